"""Monte Carlo simulators agree with the exact theory within their intervals."""

import numpy as np
import pytest

from neurosparse.dendrites import (
    _kernels,
    binomial_interval,
    false_match_probability,
    simulate_false_match,
    simulate_false_negative,
)
from neurosparse.testing import check_result, check_result_roundtrip


@pytest.mark.parametrize(("n", "a"), [(300, 64), (500, 128), (1100, 256)])
def test_false_match_agrees_with_eq4(n, a):
    r = simulate_false_match(n, a, 24, 12, 400_000, seed=1, confidence=0.999)
    assert r.hits > 0
    assert r.low <= false_match_probability(n, a, 24, 12) <= r.high
    assert r.agrees


def test_explicit_method_agrees_with_eq4():
    r = simulate_false_match(500, 128, 24, 12, 100_000, seed=2, method="explicit", confidence=0.999)
    assert r.low <= r.theory <= r.high
    r = simulate_false_negative(
        128, 30, 12, 64, 50_000, seed=2, method="explicit", confidence=0.999
    )
    assert r.low <= r.theory <= r.high


@pytest.mark.parametrize("theta", [8, 12, 16])
def test_false_negative_agrees(theta):
    r = simulate_false_negative(128, 30, theta, 64, 400_000, seed=3, confidence=0.999)
    assert r.low <= r.theory <= r.high


def test_deterministic_under_seed_and_chunking_threads():
    a = simulate_false_match(300, 128, 24, 12, 50_000, seed=5, chunk_size=7_000)
    b = simulate_false_match(300, 128, 24, 12, 50_000, seed=5, chunk_size=7_000)
    c = simulate_false_match(300, 128, 24, 12, 50_000, seed=6, chunk_size=7_000)
    assert a.hits == b.hits and a.hits != c.hits
    import numba

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        d = simulate_false_match(300, 128, 24, 12, 50_000, seed=5, chunk_size=7_000)
    finally:
        numba.set_num_threads(before)
    assert d.hits == a.hits


def test_kernel_parity_with_py_func():
    for args in [(300, 64, 24, 12, 2000, 11), (128, 64, 30, 19, 2000, 12), (50, 5, 5, 0, 10, 1)]:
        assert _kernels.sequential_tail_hits(*args) == _kernels.sequential_tail_hits.py_func(*args)
        assert _kernels.explicit_tail_hits(*args) == _kernels.explicit_tail_hits.py_func(*args)
    sizes, seeds = np.array([100, 50], dtype=np.int64), np.array([1, 2], dtype=np.int64)
    want = _kernels.sequential_tail_hits_chunks.py_func(300, 128, 24, 12, sizes, seeds)
    for kernel in (_kernels.sequential_tail_hits_chunks, _kernels.sequential_tail_hits_chunks_par):
        np.testing.assert_array_equal(kernel(300, 128, 24, 12, sizes, seeds), want)


def test_binomial_intervals():
    # known values: Clopper-Pearson for 0/10 upper = 1 - 0.025**(1/10)
    lo, hi = binomial_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 10), rel=1e-9)
    lo, hi = binomial_interval(10, 10)
    assert hi == 1.0 and lo == pytest.approx(0.025 ** (1 / 10), rel=1e-9)
    # Wilson for 5/10 at 95%: (0.2366, 0.7634)
    lo, hi = binomial_interval(5, 10, method="wilson")
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    with pytest.raises(ValueError, match="hits"):
        binomial_interval(11, 10)


def test_result_tree(tmp_path):
    r = simulate_false_match(500, 128, 24, 12, 10_000, seed=0)
    tree = check_result(r.to_result(), kind="dendrites.montecarlo_false_match")
    assert tree["metrics"]["trials"].item() == 10_000
    check_result_roundtrip(tree, tmp_path)


def test_bad_input():
    with pytest.raises(ValueError, match="theta"):
        simulate_false_match(500, 128, 24, 25, 100, seed=0)
    with pytest.raises(ValueError, match="trials"):
        simulate_false_match(500, 128, 24, 12, 0, seed=0)
    with pytest.raises(ValueError, match="method"):
        simulate_false_match(500, 128, 24, 12, 10, seed=0, method="fast")
    with pytest.raises(ValueError, match="v"):
        simulate_false_negative(128, 30, 12, 200, 10, seed=0)
