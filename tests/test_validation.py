"""Argument checks and the conformance helpers themselves."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neurosparse._validation import (
    check_array,
    check_choice,
    check_int,
    check_real,
    resolve_rng,
    seed_attr,
)
from neurosparse.results import new_result
from neurosparse.testing import (
    assert_trees_equal,
    check_bad_input,
    check_deterministic,
    check_result,
)


def test_check_int():
    assert check_int("k", np.int32(3), low=1) == 3
    with pytest.raises(TypeError, match=r"k must be an integer, got 2\.5"):
        check_int("k", 2.5)
    with pytest.raises(TypeError, match="k must be an integer, got True"):
        check_int("k", True)
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, 5\], got 7"):
        check_int("k", 7, low=1, high=5)


def test_check_real():
    assert check_real("lam", 1, low=0) == 1.0
    with pytest.raises(ValueError, match=r"lam must be a number in \[0, inf\), got -0\.1"):
        check_real("lam", -0.1, low=0)
    with pytest.raises(ValueError, match=r"q must be a number in \(0\.0, 1\.0\)"):
        check_real("q", 1.0, low=0.0, high=1.0, low_open=True, high_open=True)
    with pytest.raises(ValueError, match="finite"):
        check_real("lam", float("nan"))
    with pytest.raises(TypeError, match="lam must be a real number"):
        check_real("lam", "0.1")


def test_check_choice_lists_allowed():
    with pytest.raises(ValueError, match=r"penalty must be one of 'l1', 'l0'; got 'l3'"):
        check_choice("penalty", "l3", ["l1", "l0"])


def test_check_array():
    with pytest.raises(ValueError, match="X contains 1 NaN"):
        check_array("X", [[1.0, np.nan]])
    with pytest.raises(ValueError, match=r"X must have 2 dimension\(s\), got shape \(3,\)"):
        check_array("X", [1.0, 2.0, 3.0], ndim=2)
    with pytest.raises(TypeError, match="X must be array-like"):
        check_array("X", [[1.0], "a"])


def test_seeds():
    assert resolve_rng(3).integers(1 << 30) == np.random.default_rng(3).integers(1 << 30)
    gen = np.random.default_rng(0)
    assert resolve_rng(gen) is gen
    with pytest.raises(TypeError, match="seed"):
        resolve_rng("zero")
    with pytest.raises(ValueError, match="seed"):
        resolve_rng(-1)
    assert seed_attr(5) == 5 and seed_attr(None) == "none"


def _model(seed):
    rng = resolve_rng(seed)
    return new_result(
        "test.model",
        params={},
        seed=seed,
        groups={"state": xr.Dataset({"w": ("neuron", rng.random(4))})},
    )


def test_check_deterministic_passes_and_catches():
    check_deterministic(_model)
    with pytest.raises(AssertionError, match="same seed, different results"):
        check_deterministic(lambda seed: np.random.default_rng().random(3))
    with pytest.raises(AssertionError, match="identical results"):
        check_deterministic(lambda seed: np.zeros(3))


def test_check_bad_input():
    def f(lam):
        return check_real("lam", lam, low=0)

    check_bad_input(f, names="lam", lam=-1.0)
    with pytest.raises(AssertionError, match="does not name 'mu'"):
        check_bad_input(f, names="mu", lam=-1.0)
    with pytest.raises(AssertionError, match="did not raise"):
        check_bad_input(f, lam=1.0)


def test_check_result_and_tree_compare():
    tree = _model(0)
    check_result(tree, kind="test.model")
    with pytest.raises(AssertionError, match="kind"):
        check_result(tree, kind="test.other")
    other = _model(1)
    with pytest.raises(AssertionError, match="values differ"):
        assert_trees_equal(tree, other, ignore_attrs=("created_at", "seed"))
