"""Empty input is refused the same way on every entry (issue: silent NaN statistics,
numpy reshape errors): a ValueError naming the argument and saying it is empty."""

from __future__ import annotations

import numpy as np
import pytest

import neurosparse.coding as c
import neurosparse.dendrites as d

D = np.eye(16)[:8] + 0.1
D /= np.linalg.norm(D, axis=1, keepdims=True)
E16 = np.empty((0, 16))
NO_SDR = np.zeros((0, 50), dtype=bool)

ENTRIES = {
    "sparse_encode": lambda: c.sparse_encode(E16, D, lam=0.1),
    "sparse_encode dictionary": lambda: c.sparse_encode(np.ones((2, 16)), E16, lam=0.1),
    "encode_batch": lambda: c.encode_batch(np.empty((0, 8)), D @ D.T, lam=0.1),
    "SparseCoder.transform": lambda: c.SparseCoder(D, lam=0.1).fit().transform(E16),
    "prox": lambda: c.prox(np.array([]), 1.0, "l1"),
    "penalty_value": lambda: c.penalty_value(np.array([]), 1.0, "l1"),
    "objective": lambda: c.objective(E16, D, np.empty((0, 8)), lam=0.1),
    "DictionaryLearner.fit": lambda: c.DictionaryLearner(8, lam=0.1).fit(E16),
    "activity_statistics": lambda: c.activity_statistics(np.empty((0, 4))),
    "overlap": lambda: d.overlap(NO_SDR),
    "overlap, no cells": lambda: d.overlap(np.zeros(0, dtype=bool)),
    "sparsity": lambda: d.sparsity(NO_SDR),
    "union": lambda: d.union(NO_SDR),
    "intersection": lambda: d.intersection(NO_SDR),
    "intersection, index list": lambda: d.intersection([], n=5),
    "activation_frequency": lambda: d.activation_frequency(NO_SDR),
    "entropy": lambda: d.entropy(NO_SDR),
    "add_noise": lambda: d.add_noise(NO_SDR, 0.1),
    "to_dense": lambda: d.to_dense([], n=5),
    "false_match_probability": lambda: d.false_match_probability(np.array([], int), 40, 20, 10),
    "simulate_false_match": lambda: d.simulate_false_match(
        np.array([], int), 40, 20, 10, trials=10
    ),
    "DendriticNeuron.fit": lambda: d.DendriticNeuron(seed=0).fit(NO_SDR),
}


@pytest.mark.parametrize("entry", list(ENTRIES))
def test_empty_input_is_refused_clearly(entry):
    with pytest.raises(ValueError, match=r"empty|0 cells"):
        ENTRIES[entry]()


def test_one_sdr_with_no_active_cell_is_still_an_sdr():
    assert d.sparsity(np.array([], dtype=int), n=10) == 0.0
    assert d.overlap(np.array([], dtype=int), np.array([1, 2]), n=10) == 0
