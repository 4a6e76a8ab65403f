"""Ensemble-to-ensemble masks and the random baselines: exact densities, seeds, structure."""

from __future__ import annotations

import numpy as np
import pytest

from neurosparse.g2g import (
    allowed_pairs,
    ensemble_assignment,
    ensemble_connectivity,
    ensemble_mask,
    erdos_renyi_mask,
    erk_densities,
    n_synapses_for,
)


def test_assignment_sizes_differ_by_at_most_one():
    labels = ensemble_assignment(10, 3)
    assert labels.tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    shuffled = ensemble_assignment(10, 3, mode="random", seed=0)
    assert sorted(np.bincount(shuffled).tolist()) == [3, 3, 4]
    assert not np.array_equal(shuffled, labels)
    assert np.array_equal(shuffled, ensemble_assignment(10, 3, mode="random", seed=0))


@pytest.mark.parametrize("density", [0.05, 0.25, 0.5, 1.0])
@pytest.mark.parametrize("pattern", ["modular", "hierarchical"])
def test_density_is_exact_and_the_mask_is_seeded(density, pattern):
    m = ensemble_mask(60, 40, density, n_ensembles=4, pattern=pattern, seed=1)
    assert m.dtype == bool and m.shape == (40, 60)
    assert m.sum() == round(density * 2400) == n_synapses_for(60, 40, density)
    assert np.array_equal(m, ensemble_mask(60, 40, density, n_ensembles=4, pattern=pattern,
                                           seed=1))  # fmt: skip
    if density < 1:
        assert not np.array_equal(
            m, ensemble_mask(60, 40, density, n_ensembles=4, pattern=pattern, seed=2)
        )


def test_modular_masks_put_the_asked_fraction_within_matching_ensembles():
    pre, post = ensemble_assignment(200, 4), ensemble_assignment(100, 4)
    inside = post[:, None] == pre[None, :]
    for within in (0.8, 0.5, 0.25):
        m = ensemble_mask(200, 100, 0.1, n_ensembles=4, within=within, seed=3)
        assert m[inside].sum() == round(within * 2000)  # apportioned exactly
        # uniform within a block: each of the 4 matching blocks gets a quarter
        per_block = [m[post == e][:, pre == e].sum() for e in range(4)]
        assert per_block == [round(within * 500)] * 4
    only = ensemble_mask(200, 100, 0.1, n_ensembles=4, within=1.0, seed=0)
    assert not only[~inside].any()
    # a block that would overflow is filled and passes the rest on
    full = ensemble_mask(40, 40, 0.5, n_ensembles=4, within=0.9, seed=0)
    inside = ensemble_assignment(40, 4)[:, None] == ensemble_assignment(40, 4)[None, :]
    assert full[inside].all() and full.sum() == 800


def test_modular_with_different_ensemble_counts_matches_by_position():
    P = ensemble_connectivity(4, 2, "modular", within=1.0)
    assert (P > 0).tolist() == [[True, True, False, False], [False, False, True, True]]


def test_hierarchical_rates_fall_with_tree_distance():
    P = ensemble_connectivity(4, 4, "hierarchical", decay=0.5)
    assert P[0].tolist() == [1.0, 0.5, 0.25, 0.25]
    assert np.array_equal(P, P.T)
    assert np.all(ensemble_connectivity(4, 4, "hierarchical", decay=1.0) == 1)


def test_a_users_matrix_and_the_allowed_pairs():
    fc = np.array([[1.0, 0.0, 0.2], [0.0, 1.0, 0.0]])  # (post ensembles, pre ensembles)
    pre, post = ensemble_assignment(30, 3), ensemble_assignment(20, 2)
    m = ensemble_mask(30, 20, 0.2, pattern=fc, pre_ensembles=pre, post_ensembles=post, seed=0)
    ok = allowed_pairs(pre, post, fc)
    assert ok.shape == (20, 30) and not m[~ok].any() and m.sum() == 120
    with pytest.raises(ValueError, match="only 200 unit pairs may connect"):
        ensemble_mask(30, 20, 0.5, pattern=np.eye(2, 3), pre_ensembles=pre,
                      post_ensembles=post)  # fmt: skip


def test_erdos_renyi_is_exact_and_uniform():
    m = erdos_renyi_mask(100, 50, 0.3, seed=0)
    assert m.shape == (50, 100) and m.sum() == 1500
    rows = np.mean([erdos_renyi_mask(100, 50, 0.3, seed=s).mean(1) for s in range(10)], 0)
    assert np.all(np.abs(rows - 0.3) < 0.05)


def test_erk_densities_keep_the_global_budget():
    shapes = [(300, 784), (100, 300), (10, 100)]
    d = erk_densities(shapes, 0.1)
    sizes = np.array([np.prod(s) for s in shapes])
    assert np.isclose((d * sizes).sum(), 0.1 * sizes.sum())
    raw = np.array([sum(s) / np.prod(s) for s in shapes])
    free = d < 1
    assert np.allclose(d[free] / raw[free], d[free][0] / raw[free][0])  # eps * raw
    assert d[-1] == 1.0  # the small output layer would exceed 1: dense
    assert np.array_equal(erk_densities(shapes, 1.0), np.ones(3))
    conv = erk_densities([(16, 3, 3, 3), (32, 16, 3, 3), (10, 512)], 0.3)
    assert np.all((conv > 0) & (conv <= 1))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ensemble_mask(10, 10, 0.0), "density"),
        (lambda: ensemble_mask(10, 10, 1.5), "density"),
        (lambda: ensemble_mask(10, 10, 0.5, n_ensembles=11), "n_ensembles=11 is more than"),
        (lambda: ensemble_mask(10, 10, 0.5, pattern=np.ones((3, 3))), r"shape \(post"),
        (lambda: ensemble_mask(10, 10, 0.5, pattern=-np.ones((4, 4))), "nonnegative"),
        (lambda: ensemble_mask(10, 10, 0.5, pattern=np.zeros((4, 4))), "all zero"),
        (lambda: ensemble_mask(10, 10, 0.5, pattern="ring"), "pattern"),
        (lambda: ensemble_connectivity(4, 4, within=1.2), "within"),
        (lambda: ensemble_connectivity(4, 4, "hierarchical", decay=0.0), "decay"),
        (lambda: erk_densities([(10,)], 0.5), "two dimensions"),
        (lambda: erk_densities([], 0.5), "empty"),
        (lambda: ensemble_assignment(5, 2, mode="striped"), "mode"),
    ],
)
def test_bad_input_is_named(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
