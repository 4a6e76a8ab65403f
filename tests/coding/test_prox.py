"""Proximal operators and penalty values against brute-force 1-D minimisation."""

from __future__ import annotations

import numpy as np
import pytest

from neurosparse.coding import _kernels as K
from neurosparse.coding.encode import sparse_encode
from neurosparse.coding.prox import PENALTIES, _penalty_record, branch_table, penalty_value, prox

GRID = np.linspace(-6.0, 6.0, 120_001)  # spacing 1e-4
Y_VALUES = np.concatenate([np.linspace(-5.0, 5.0, 41), [0.0, 1e-3, -0.37, 1.4142, 2.2]])


def _psi(x, penalty, q=None, lam=1.0, a=1.0):
    ax = np.abs(x)
    if penalty == "l1":
        return lam * ax
    if penalty == "l0":
        return lam * (x != 0)
    if penalty == "l1/2":
        return lam * np.sqrt(ax)
    if penalty == "lq":
        return lam * ax**q
    knee = np.sqrt(2 * lam) / a
    return lam - 0.5 * a * a * (ax - knee) ** 2 * (ax <= knee)


def _check_against_grid(y, value, f):
    """``value`` minimises ``f`` to grid accuracy; where the grid's minimiser is unique
    (no near-tie), they agree."""
    fx = f(GRID)
    best = int(np.argmin(fx))
    f_ours = float(f(np.array([value]))[0])
    assert f_ours <= fx[best] + 1e-9, (y, value, GRID[best], f_ours, fx[best])
    # near-ties: another point far from the grid minimiser with almost the same value
    far = np.abs(GRID - GRID[best]) > 1e-2
    if np.min(fx[far]) - fx[best] > 1e-6:
        assert abs(value - GRID[best]) <= 2e-4 + 1e-4 * abs(value), (y, value, GRID[best])


@pytest.mark.parametrize(
    ("penalty", "q"),
    [("l1", None), ("l0", None), ("l1/2", None), ("lq", 0.2), ("lq", 0.5), ("lq", 0.8)],
)
@pytest.mark.parametrize("tau", [0.1, 0.6, 1.7])
@pytest.mark.parametrize("positive", [False, True])
def test_prox_matches_brute_force(penalty, q, tau, positive):
    out = prox(Y_VALUES, tau, penalty, q=q, positive=positive)
    assert out.shape == Y_VALUES.shape
    for y, value in zip(Y_VALUES, out):
        if positive:
            assert value >= 0.0

            def f(x, y=y):
                return np.where(x >= 0, 0.5 * (x - y) ** 2 + tau * _psi(x, penalty, q), np.inf)
        else:

            def f(x, y=y):
                return 0.5 * (x - y) ** 2 + tau * _psi(x, penalty, q)

        _check_against_grid(y, value, f)


@pytest.mark.parametrize("a", [0.5, 1.0, 1.6])
@pytest.mark.parametrize("gamma", [0.1, 0.35, 1.0, 2.5])  # a^2 gamma below and above 1
@pytest.mark.parametrize("lam", [0.2, 1.0])
@pytest.mark.parametrize("positive", [False, True])
def test_cel0_prox_matches_brute_force(a, gamma, lam, positive):
    out = prox(Y_VALUES, gamma, "cel0", lam=lam, norms=np.full(Y_VALUES.size, a), positive=positive)
    for y, value in zip(Y_VALUES, out):

        def f(x, y=y):
            val = 0.5 * (x - y) ** 2 + gamma * _psi(x, "cel0", lam=lam, a=a)
            return np.where(x >= 0, val, np.inf) if positive else val

        _check_against_grid(y, value, f)


def test_cel0_per_atom_norms_follow_the_definition():
    """Non-unit atom norms: each entry uses its own a_i (penalty value and prox)."""
    rng = np.random.default_rng(3)
    norms = np.array([0.3, 0.8, 1.0, 1.7, 2.4])
    lam, gamma = 0.45, 0.3
    r = rng.normal(scale=1.5, size=(7, norms.size))
    r[:, 1] = 0.0
    knee = np.sqrt(2 * lam) / norms
    expected = np.where(np.abs(r) <= knee, lam - 0.5 * norms**2 * (np.abs(r) - knee) ** 2, lam).sum(
        axis=1
    )
    got = penalty_value(r, lam, "cel0", norms=norms)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # phi(a, lam; 0) = 0 and phi = lam beyond the knee
    assert penalty_value(np.zeros(5), lam, "cel0", norms=norms) == 0.0
    assert penalty_value(knee * 1.01, lam, "cel0", norms=norms) == pytest.approx(5 * lam)
    out = prox(r, gamma, "cel0", lam=lam, norms=norms)
    for i in range(r.shape[0]):
        for j, a in enumerate(norms):
            single = prox(r[i, j], gamma, "cel0", lam=lam, norms=a)
            assert out[i, j] == single
            y = r[i, j]
            # the closed form of REFERENCES.md section 1
            if a * a * gamma < 1:
                ref = np.sign(y) * min(
                    abs(y), max(abs(y) - np.sqrt(2 * lam) * a * gamma, 0) / (1 - a * a * gamma)
                )
            else:
                ref = y * (abs(y) > np.sqrt(2 * gamma * lam))
            assert out[i, j] == pytest.approx(ref, abs=1e-14)


@pytest.mark.parametrize(
    ("penalty", "q", "expected"),
    [
        ("l1", None, 2.0 * (1.5 + 2.0)),
        ("l0", None, 2.0 * 2),
        ("l1/2", None, 2.0 * (np.sqrt(1.5) + np.sqrt(2.0))),
        ("lq", 0.3, 2.0 * (1.5**0.3 + 2.0**0.3)),
    ],
)
def test_penalty_values(penalty, q, expected):
    r = np.array([0.0, -1.5, 2.0])
    assert penalty_value(r, 2.0, penalty, q=q) == pytest.approx(expected, rel=1e-14)
    batch = penalty_value(np.stack([r, 2 * r, 0 * r]), 2.0, penalty, q=q)
    assert batch.shape == (3,)
    assert batch[0] == pytest.approx(expected) and batch[2] == 0.0


def test_prox_shapes_and_zero_threshold():
    y = np.arange(24.0).reshape(2, 3, 4) - 12
    for penalty in ("l1", "l0", "l1/2"):
        np.testing.assert_array_equal(prox(y, 0.0, penalty), y)
    np.testing.assert_array_equal(prox(y, 0.0, "lq", q=0.3), y)
    assert prox(3.0, 1.0, "l1").shape == ()
    assert prox(3.0, 1.0, "l1") == 2.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"penalty": "l2"}, "penalty must be one of 'l1', 'l0', 'l1/2', 'lq', 'cel0'"),
        ({"penalty": "lq"}, "q must be given"),
        ({"penalty": "lq", "q": 1.0}, r"q must be a number in \(0.0, 1.0\)"),
        ({"penalty": "lq", "q": 0.0}, r"q must be a number in \(0.0, 1.0\)"),
        ({"penalty": "lq", "q": -0.5}, r"q must be a number"),
        ({"penalty": "l1", "q": 0.5}, "q is only used"),
        ({"penalty": "cel0"}, "lam must be given"),
        ({"penalty": "cel0", "lam": -1.0}, "lam must be a number"),
        ({"penalty": "l1", "lam": 1.0}, "lam is only used"),
        ({"penalty": "cel0", "lam": 1.0, "norms": [1.0, 0.0, 1.0]}, "zero-norm"),
        ({"penalty": "cel0", "lam": 1.0, "norms": [1.0, 1.0]}, "one value per atom"),
        ({"penalty": "l1", "tau": -0.1}, "tau must be a number"),
        ({"penalty": "l1", "y": [1.0, np.nan, 0.0]}, "NaN or infinite"),
        ({"penalty": "l1", "y": [1.0, np.inf, 0.0]}, "NaN or infinite"),
    ],
)
def test_prox_bad_input(kwargs, match):
    args = {"y": [1.0, 2.0, 3.0], "tau": 0.5} | kwargs
    with pytest.raises(ValueError, match=match):
        prox(args.pop("y"), args.pop("tau"), args.pop("penalty"), **args)


def test_penalty_value_bad_input():
    with pytest.raises(ValueError, match="lam must be a number"):
        penalty_value([1.0], -0.1, "l1")
    with pytest.raises(ValueError, match="penalty must be one of"):
        penalty_value([1.0], 0.1, "huber")
    with pytest.raises(ValueError, match="zero-norm"):
        penalty_value([1.0, 2.0], 0.1, "cel0", norms=[1.0, 0.0])


# --- kernels against their pure-Python versions --------------------------------------


def test_prox_scalar_parity():
    rng = np.random.default_rng(0)
    cases = [(K.L1, 0.0), (K.L0, 0.0), (K.HALF, 0.5), (K.LQ, 0.3), (K.LQ, 0.75), (K.CEL0, 0.0)]
    for code, q in cases:
        for _ in range(200):
            y, eta, lam, a = rng.normal(scale=3), rng.uniform(0, 2), rng.uniform(0, 2), 0.0
            a = rng.uniform(0.2, 2.0)
            for positive in (False, True):
                fast = K.prox_scalar(y, eta, lam, code, q, a, positive)
                slow = K.prox_scalar.py_func(y, eta, lam, code, q, a, positive)
                assert fast == pytest.approx(slow, rel=1e-13, abs=1e-15)
            assert K.penalty_scalar(y, lam, code, q, a) == pytest.approx(
                K.penalty_scalar.py_func(y, lam, code, q, a), rel=1e-13
            )
    assert K.lq_root(3.0, 0.5, 0.4) == pytest.approx(K.lq_root.py_func(3.0, 0.5, 0.4), rel=1e-14)


def test_array_kernels_parity():
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(5, 7))
    eta = rng.uniform(0.1, 1.0, size=7)
    norms = rng.uniform(0.5, 1.5, size=7)
    for code, q in [(K.L1, 0.0), (K.LQ, 0.4), (K.CEL0, 0.0)]:
        fast, slow, par = np.empty_like(Y), np.empty_like(Y), np.empty_like(Y)
        pen = _penalty_record(code, q, 0.7, norms)
        K.prox_rows(Y, eta, pen, fast, 1)
        K.prox_rows.py_func(Y, eta, pen, slow, 1)
        K.prox_rows_par(Y, eta, pen, par, 2)
        np.testing.assert_allclose(fast, slow, rtol=1e-13, atol=1e-15)
        np.testing.assert_array_equal(fast, par)
        pens = [np.empty(5) for _ in range(3)]
        K.penalty_rows(Y, pen, pens[0], 1)
        K.penalty_rows.py_func(Y, pen, pens[1], 1)
        K.penalty_rows_par(Y, pen, pens[2], 3)
        np.testing.assert_allclose(pens[0], pens[1], rtol=1e-13)
        np.testing.assert_array_equal(pens[0], pens[2])


def test_penalties_constant_lists_all():
    assert PENALTIES == ("l1", "l0", "l1/2", "lq", "cel0")


def test_prox_nonzero_is_the_nonzero_branch():
    """Above the zero threshold (with the kernels' margin) prox_nonzero == prox_scalar."""
    rng = np.random.default_rng(5)
    cases = [(K.L1, 0.0, 1.0), (K.L0, 0.0, 1.0), (K.HALF, 0.5, 1.0), (K.LQ, 0.3, 1.0),
             (K.LQ, 0.7, 1.0), (K.CEL0, 0.0, 0.4), (K.CEL0, 0.0, 2.5)]  # fmt: skip
    for code, q, a in cases:
        for eta, lam in ((0.2, 0.3), (1.0, 2.0), (0.01, 0.013), (0.5, 0.0)):
            t = K.zero_threshold(eta, lam, code, q, a) * K._THR_ABOVE
            mags = np.concatenate([[t * (1 + 1e-11)], np.abs(t) * (1 + rng.exponential(2, 30))])
            if t < 0:
                mags = np.concatenate([mags, [0.0]])  # identity map: zero maps to zero
            for y in np.concatenate([mags, -mags]):
                for positive in (False, True):
                    want = K.prox_scalar(y, eta, lam, code, q, a, positive)
                    assert K.prox_nonzero(y, eta, lam, code, q, a, positive) == want
                    assert K.prox_nonzero.py_func(y, eta, lam, code, q, a, positive) == (
                        pytest.approx(want, rel=1e-13, abs=1e-300)
                    )


def test_branch_root_matches_the_exact_root():
    """The tabulated nonzero branch (branch_root, and branch_roots on arrays) against
    Newton's root (lq_root) and Xu's closed form for l1/2, from right above the zero
    threshold to 1e8 times it, over random tau and q."""
    rng = np.random.default_rng(11)
    for _ in range(40):
        tau = 10 ** rng.uniform(-4, 2)
        q = rng.uniform(0.02, 0.93)
        beta = (2 * tau * (1 - q)) ** (1 / (2 - q))
        t = beta + tau * q * beta ** (q - 1)
        ay = t * (1 + 10 ** rng.uniform(-12, 8, 60))
        tab = branch_table(K.LQ, q)
        assert tab.size > 1 and not tab.flags.writeable
        want = np.array([K.lq_root(a, tau, q) for a in ay])
        got = np.array([K.branch_root(a, tau, K.LQ, q, tab) for a in ay])
        np.testing.assert_allclose(got, want, rtol=3e-14)
        vec, w, seg = ay.copy(), np.empty_like(ay), np.empty(ay.size, dtype=np.int64)
        K.branch_roots(vec, ay.size, tau, K.zero_threshold(1.0, tau, K.LQ, q, 1.0), K.LQ, q,
                       tab, w, seg)  # fmt: skip
        np.testing.assert_allclose(vec, got, rtol=1e-15)
        th = 1.5 * tau ** (2 / 3)
        ay_h = th * (1 + 10 ** rng.uniform(-12, 8, 60))
        tab_h = branch_table(K.HALF, 0.0)
        got_h = np.array([K.branch_root(a, tau, K.HALF, 0.5, tab_h) for a in ay_h])
        vec_h = ay_h.copy()
        K.branch_roots(vec_h, ay_h.size, tau, 0.0, K.HALF, 0.5, tab_h, w, seg)
        np.testing.assert_allclose(vec_h, got_h, rtol=1e-15)
        np.testing.assert_allclose(got_h, [K.lq_root(a, tau, 0.5) for a in ay_h], rtol=3e-14)
        # Xu's arccos form is itself ill-conditioned right at the threshold
        np.testing.assert_allclose(got_h, [K.half_prox(a, tau) for a in ay_h], rtol=1e-10)
        assert K.branch_root.py_func(ay[0], tau, K.LQ, q, tab) == pytest.approx(got[0], rel=1e-15)


def test_branch_table_covers_lq_and_half_only():
    """l1, l0 and CEL0 have no table; q too close to 1 (the fold meets the threshold)
    falls back to the exact map, and the solvers still agree with prox there."""
    for code in (K.L1, K.L0, K.CEL0):
        assert branch_table(code, 0.0).size == 1
    assert branch_table(K.HALF, 0.0) is branch_table(K.HALF, 0.7)  # q is 1/2 for l1/2
    assert branch_table(K.LQ, 0.96).size == 1 and branch_table(K.LQ, 0.995).size == 1
    X, D = np.random.default_rng(2).normal(size=(6, 10)), np.eye(10)
    for q in (0.3, 0.995):  # D = I: one prox step is the exact answer
        R = sparse_encode(X, D, penalty="lq", q=q, lam=0.4, solver="ista", max_iter=3)
        np.testing.assert_allclose(R, prox(X, 0.4, "lq", q=q), rtol=3e-14)
