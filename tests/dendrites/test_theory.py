"""Exact theory of Ahmad & Hawkins (2016) against exact rational sums and published values."""

from fractions import Fraction
from math import comb, log

import numpy as np
import pytest

from neurosparse.dendrites import _kernels
from neurosparse.dendrites import theory as th


def exact_tail(n, s, a, lo, hi=None):
    """Exact P(lo <= B <= hi), B ~ Hypergeometric(n, s, a), as a Fraction."""
    hi = s if hi is None else hi
    num = sum(comb(s, b) * comb(n - s, a - b) for b in range(max(lo, 0), min(hi, s, a) + 1))
    return Fraction(num, comb(n, a))


def log_fraction(x: Fraction) -> float:
    # log of a tiny rational without underflow
    return log(x.numerator) - log(x.denominator)


GRID = [
    (300, 64, 24, 12), (500, 128, 24, 12), (1000, 1, 1, 1), (1000, 1000, 24, 24),
    (50, 25, 20, 0), (10_000, 200, 25, 15), (200_000, 1000, 50, 24), (200_000, 6000, 50, 3),
    (10**6, 500, 40, 40), (10**6, 20_000, 30, 30), (10**6, 3000, 100, 50), (40, 40, 40, 40),
    (7, 3, 5, 2), (2000, 32, 30, 15),
]  # fmt: skip


@pytest.mark.parametrize(("n", "a", "s", "theta"), GRID)
def test_false_match_exact_to_1e9(n, a, s, theta):
    exact = exact_tail(n, s, a, theta)
    got = th.log_false_match_probability(n, a, s, theta)
    if exact == 0:
        assert got == -np.inf
    else:
        assert got == pytest.approx(log_fraction(exact), abs=1e-9)  # 1e-9 relative in P


def test_false_match_below_float_range():
    # P ~ 1e-400 is below float64 but exact in log space
    n, a, s, theta = 10**6, 1000, 200, 150
    exact = exact_tail(n, s, a, theta)
    got = th.log_false_match_probability(n, a, s, theta)
    assert got < -750
    assert got == pytest.approx(log_fraction(exact), abs=1e-9)
    assert th.false_match_probability(n, a, s, theta) == 0.0


def test_false_match_broadcasts_and_never_nan():
    n = np.arange(300, 20_000, 100)
    p = th.false_match_probability(n[:, None], np.array([64, 128, 256]), 24, 12)
    assert p.shape == (n.size, 3) and not np.isnan(p).any()
    assert np.all(np.diff(p, axis=0) <= 0)  # falls with n


def test_kernel_parity_with_py_func():
    for n, a, s, theta in GRID[:8]:
        assert _kernels.log_hypergeom_sf(n, s, a, theta) == pytest.approx(
            _kernels.log_hypergeom_sf.py_func(n, s, a, theta), rel=1e-13, abs=1e-13
        )
        assert _kernels.log_hypergeom_cdf(n, s, a, theta) == pytest.approx(
            _kernels.log_hypergeom_cdf.py_func(n, s, a, theta), rel=1e-13, abs=1e-13
        )
    args = [np.array([g[i] for g in GRID[:6]], dtype=np.int64) for i in (0, 2, 1, 3)]
    np.testing.assert_allclose(
        _kernels.log_hypergeom_both_grid(*args), _kernels.log_hypergeom_both_grid.py_func(*args)
    )


@pytest.mark.parametrize(
    ("a", "s", "theta", "v"),
    [(128, 30, 8, 64), (128, 30, 12, 64), (128, 30, 16, 64), (128, 30, 12, 6), (40, 40, 20, 40),
     (1000, 50, 25, 10), (10**4, 100, 50, 5000)],
)  # fmt: skip
def test_false_negative_exact(a, s, theta, v):
    exact = exact_tail(a, s, v, s - theta + 1)
    got = th.log_false_negative_probability(a, s, theta, v)
    if exact == 0:
        assert got == -np.inf
    else:
        assert got == pytest.approx(log_fraction(exact), abs=1e-9)


def test_published_fig4a_values():
    # Ahmad & Hawkins 2016, text with Fig 4A (Eq. 4, s=24, theta=12); 3 significant digits
    for a, n, p in [(64, 300, 1.09e-3), (64, 500, 5.70e-6), (128, 300, 0.292),
                    (128, 500, 7.37e-3), (128, 900, 2.50e-5), (256, 500, 0.629),
                    (256, 1100, 3.51e-3)]:  # fmt: skip
        assert th.false_match_probability(n, a, 24, 12) == pytest.approx(p, rel=0.01)


def test_published_fig4b_values():
    # Ahmad & Hawkins 2016, Fig 4B text: a=128, s=30, 50% noise; 3 significant digits
    got = th.false_negative_probability(128, 30, np.array([8, 12, 16]), 64)
    np.testing.assert_allclose(got, [7.35e-4, 0.0717, 0.583], rtol=0.01)


def test_published_fig6_medians():
    # Ahmad & Hawkins 2016, Fig 6 text: median over the grid, theta=8: 4.83e-8, 12: 7.63e-14
    med = np.exp(
        th.median_false_match_probability(
            [8, 12],
            np.arange(10_000, 200_001, 10_000),
            np.arange(1, 7) * 0.005,
            np.arange(20, 51, 5),
        )
    )
    np.testing.assert_allclose(med, [4.83e-8, 7.63e-14], rtol=0.01)


def test_median_matches_numpy_median():
    thetas, n, f, s = [5, 9], [1000, 2000, 5000], [0.01, 0.02], [20, 30]
    got = np.exp(th.median_false_match_probability(thetas, n, f, s))
    for k, t in enumerate(thetas):
        vals = [th.false_match_probability(nn, round(ff * nn), ss, t)
                for nn in n for ff in f for ss in s]  # fmt: skip
        assert got[k] == pytest.approx(np.median(vals), rel=1e-12)


@pytest.mark.parametrize("M", [1, 2, 10, 1000])
def test_neuron_false_match_exact(M):
    for n, a, s, theta in [(500, 128, 24, 12), (300, 128, 24, 12), (10_000, 200, 25, 15)]:
        p = exact_tail(n, s, a, theta)
        exact = 1 - (1 - p) ** M
        got = th.log_neuron_false_match_probability(n, a, s, theta, M)
        assert got == pytest.approx(log_fraction(exact), abs=1e-9)


def test_neuron_false_match_tiny_and_one():
    log_p = th.log_false_match_probability(10**6, 1000, 200, 150)
    got = th.log_neuron_false_match_probability(10**6, 1000, 200, 150, 50)
    assert got == pytest.approx(log(50) + log_p, abs=1e-12)
    assert th.neuron_false_match_probability(300, 300, 24, 12, 3) == 1.0
    assert th.neuron_false_match_probability(300, 0, 24, 12, 3) == 0.0


def test_union_formulas():
    np.testing.assert_allclose(th.union_synapses(1000, 25, 1), 25)
    want = 1000 * (1 - (1 - 25 / 1000) ** 7)
    assert th.union_synapses(1000, 25, 7) == pytest.approx(want, rel=1e-14)
    assert th.expected_union_size(2048, 40, 3) == pytest.approx(
        2048 * (1 - (1 - 40 / 2048) ** 3), rel=1e-14
    )
    s_m = round(want)
    assert th.union_false_match_probability(1000, 200, 25, 15, 7) == pytest.approx(
        th.false_match_probability(1000, 200, s_m, 15), rel=1e-14
    )
    lo = th.union_false_match_probability(1000, 200, 25, 15, 7, rounding="floor")
    hi = th.union_false_match_probability(1000, 200, 25, 15, 7, rounding="ceil")
    assert lo <= th.union_false_match_probability(1000, 200, 25, 15, 7) <= hi
    a_m = round(2048 * (1 - (1 - 40 / 2048) ** 3))
    assert th.union_input_false_match_probability(2048, 40, 20, 10, 3) == pytest.approx(
        th.false_match_probability(2048, a_m, 20, 10), rel=1e-14
    )
    # M = 1 is the plain segment
    assert th.union_false_match_probability(1000, 200, 25, 15, 1) == pytest.approx(
        th.false_match_probability(1000, 200, 25, 15), rel=1e-14
    )


def test_optimal_threshold_trades_errors():
    res = th.optimal_threshold(10_000, 200, 30, 0.3)
    assert 1 <= res.theta <= 30
    # P_fp falls and P_fn rises with theta
    assert np.all(np.diff(res.log_p_false_match) < 0)
    assert np.all(np.diff(res.log_p_false_negative) >= 0)
    k = int(np.argmin(res.log_p_error))
    assert res.thetas[k] == res.theta
    # more noise -> lower (or equal) best threshold
    assert th.optimal_threshold(10_000, 200, 30, 0.5).theta <= res.theta


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n": 100, "a": 101, "s": 10, "theta": 5}, "a"),
        ({"n": 100, "a": 10, "s": 101, "theta": 5}, "s"),
        ({"n": 100, "a": 10, "s": 10, "theta": 11}, "theta"),
        ({"n": 100, "a": -1, "s": 10, "theta": 5}, "a"),
        ({"n": 100, "a": 10.5, "s": 10, "theta": 5}, "a"),
        ({"n": 0, "a": 0, "s": 0, "theta": 0}, "n"),
    ],
)
def test_false_match_bad_input(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        th.false_match_probability(**kwargs)


@pytest.mark.parametrize("name", ["n", "a", "s", "theta"])
def test_integral_floats_refused_like_everywhere_else(name):
    # the package's integer policy: theory accepted 12.0 where the Monte Carlo and the
    # neuron refused it; now every entry refuses floats and accepts numpy integers
    args = {"n": 500, "a": 128, "s": 24, "theta": 12}
    with pytest.raises(TypeError, match=rf"^{name} must be integer"):
        th.false_match_probability(**{**args, name: float(args[name])})
    assert th.false_match_probability(**{**args, name: np.int64(args[name])}) == pytest.approx(
        th.false_match_probability(**args)
    )


def test_other_bad_input():
    with pytest.raises(ValueError, match="v"):
        th.false_negative_probability(128, 30, 12, 129)
    with pytest.raises(ValueError, match="s"):
        th.false_negative_probability(20, 30, 12, 5)
    with pytest.raises(ValueError, match="M"):
        th.neuron_false_match_probability(500, 128, 24, 12, 0)
    with pytest.raises(ValueError, match="M"):
        th.union_synapses(1000, 25, 0)
    with pytest.raises(ValueError, match="rounding"):
        th.union_false_match_probability(1000, 200, 25, 15, 3, rounding="nearest")
    with pytest.raises(ValueError, match="noise"):
        th.optimal_threshold(1000, 100, 20, 1.5)
    with pytest.raises(TypeError, match="n"):
        th.false_match_probability("100", 10, 10, 5)
