"""A learned dictionary as connectivity (atoms post, pixels pre), for the bridges."""

from __future__ import annotations

import numpy as np
import pytest

from neurosparse import NotFittedError
from neurosparse.coding import (
    DictionaryLearner,
    SparseCoder,
    dictionary_connectivity,
    dictionary_connectivity_node,
)
from neurosparse.results import load, save, validate

PHI = np.array([[0.9, -0.1, 0.3, 0.0], [0.0, 0.5, -0.8, 0.5], [0.2, -0.2, 0.2, -0.2]])


def test_every_nonzero_weight_is_a_synapse_by_default():
    node = dictionary_connectivity_node(PHI)
    assert node.sizes["synapse"] == np.count_nonzero(PHI)
    dense = np.zeros_like(PHI)
    dense[node["post"].values, node["pre"].values] = node["weight"].values
    assert np.array_equal(dense, PHI)  # (post, pre) = (atom, pixel), bit for bit
    assert (node.attrs["n_pre"], node.attrs["n_post"]) == (4, 3)
    assert (node.attrs["pre_layer"], node.attrs["post_layer"]) == ("pixel", "atom")


def test_threshold_and_top_k_per_atom():
    node = dictionary_connectivity_node(PHI, threshold=0.25)
    assert sorted(zip(node["post"].values, node["pre"].values, strict=True)) == [
        (0, 0), (0, 2), (1, 1), (1, 2), (1, 3),
    ]  # fmt: skip
    top = dictionary_connectivity_node(PHI, top_k=2)
    per_atom = np.bincount(top["post"].values, minlength=3)
    assert per_atom.tolist() == [2, 2, 2]
    # atom 1: |-0.8| then a tie 0.5 / 0.5 broken towards the lower pixel
    assert top["pre"].values[top["post"].values == 1].tolist() == [1, 2]
    # atom 2: four equal magnitudes: the first two pixels
    assert top["pre"].values[top["post"].values == 2].tolist() == [0, 1]
    both = dictionary_connectivity_node(PHI, threshold=0.25, top_k=1)
    assert both.sizes["synapse"] == 2  # atom 2 has nothing above the threshold


def test_from_fitted_models_and_as_a_result(tmp_path):
    X = np.random.default_rng(0).standard_normal((200, 16))
    learner = DictionaryLearner(8, lam=0.1, batch_size=50, n_batches=4, seed=0).fit(X)
    tree = dictionary_connectivity(learner, top_k=4)
    validate(tree)
    assert tree.attrs["kind"] == "coding.dictionary_connectivity"
    assert tree["connectivity/dictionary"].sizes["synapse"] == 8 * 4
    save(tree, tmp_path / "d.nc")
    back = load(tmp_path / "d.nc")
    assert np.array_equal(
        back["connectivity/dictionary"]["weight"].values,
        tree["connectivity/dictionary"]["weight"].values,
    )
    # the learner's own result carries the whole dictionary as connectivity
    own = learner.to_result()["connectivity/dictionary"]
    assert own.sizes["synapse"] == np.count_nonzero(learner.components_)
    coder = SparseCoder(learner.components_, lam=0.1).fit()
    assert dictionary_connectivity(coder).attrs["kind"] == "coding.dictionary_connectivity"


def test_bad_input():
    with pytest.raises(NotFittedError):
        dictionary_connectivity(DictionaryLearner(4, lam=0.1))
    with pytest.raises(ValueError, match="top_k"):
        dictionary_connectivity_node(PHI, top_k=5)
    with pytest.raises(TypeError, match="top_k"):
        dictionary_connectivity_node(PHI, top_k=2.0)
    with pytest.raises(ValueError, match="threshold"):
        dictionary_connectivity_node(PHI, threshold=-1.0)
    with pytest.raises(ValueError, match="dictionary"):
        dictionary_connectivity_node(np.ones(3))
