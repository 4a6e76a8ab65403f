"""Sparse encoding: solvers against scikit-learn and each other, fixed points, errors."""

from __future__ import annotations

import numpy as np
import pytest

from neurosparse import NotFittedError
from neurosparse.coding import _kernels as K
from neurosparse.coding.encode import (
    SOLVERS,
    EncodeInfo,
    SparseCoder,
    encode_batch,
    objective,
    sparse_encode,
)
from neurosparse.coding.prox import _penalty_record, prox
from neurosparse.testing import assert_trees_equal, check_result, check_result_roundtrip


def _problem(n_samples=12, n_atoms=40, n_features=24, seed=0, unit=True):
    rng = np.random.default_rng(seed)
    D = rng.normal(size=(n_atoms, n_features))
    if unit:
        D /= np.linalg.norm(D, axis=1, keepdims=True)
    else:
        D *= rng.uniform(0.4, 2.0, size=(n_atoms, 1)) / np.linalg.norm(D, axis=1, keepdims=True)
    X = rng.normal(size=(n_samples, n_features))
    return X, D


def test_l1_matches_sklearn_lasso():
    """l1 codes equal scikit-learn's Lasso on the same objective to 1e-6 relative.

    sklearn's Lasso minimises 1/(2 n) ||y - X w||^2 + alpha ||w||_1 with n the number of
    rows of its X = dictionary.T (n_features), so alpha = lam / n_features.
    """
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, D = _problem()
    lam = 0.1 * np.abs(X @ D.T).max()
    codes = sparse_encode(X, D, lam=lam, tol=1e-12, max_iter=100_000)
    for i in range(X.shape[0]):
        ref = linear_model.Lasso(
            alpha=lam / D.shape[1], fit_intercept=False, tol=1e-14, max_iter=1_000_000
        ).fit(D.T, X[i])
        assert np.linalg.norm(codes[i] - ref.coef_) <= 1e-6 * np.linalg.norm(ref.coef_)
    assert np.count_nonzero(codes) > 0


@pytest.mark.parametrize("solver", ["ista", "fista", "lca"])
def test_l1_solvers_agree_with_cd(solver):
    X, D = _problem(seed=1)
    lam = 0.05 * np.abs(X @ D.T).max()
    ref = sparse_encode(X, D, lam=lam, solver="cd", tol=1e-12, max_iter=100_000)
    codes, info = sparse_encode(
        X, D, lam=lam, solver=solver, tol=1e-9, max_iter=50_000, return_info=True
    )
    assert isinstance(info, EncodeInfo) and info.solver == solver
    assert info.converged.all()
    f_ref = objective(X, D, ref, lam=lam)
    f = objective(X, D, codes, lam=lam)
    np.testing.assert_allclose(f, f_ref, rtol=1e-7)
    np.testing.assert_allclose(codes, ref, atol=1e-4)


def test_ista_objective_decreases_for_l1():
    X, D = _problem(seed=2)
    lam = 0.05 * np.abs(X @ D.T).max()
    _, info = sparse_encode(X, D, lam=lam, solver="ista", tol=1e-9, return_info=True)
    h = info.objective
    assert h.size == info.n_iter.max() > 10
    assert np.all(np.diff(h) <= 1e-12 * np.abs(h[:-1]))
    assert h[-1] < h[0]


@pytest.mark.parametrize(
    ("penalty", "q"), [("l0", None), ("l1/2", None), ("lq", 0.3), ("cel0", None)]
)
def test_nonconvex_ista_reaches_a_fixed_point(penalty, q):
    """ISTA's output satisfies r = prox_{eta Psi}(r - eta grad), CEL0 with non-unit atoms."""
    X, D = _problem(seed=3, unit=False)
    lam = 0.2 if penalty != "l0" else 0.02
    codes, info = sparse_encode(
        X, D, penalty=penalty, lam=lam, q=q, solver="ista", tol=1e-13, max_iter=20_000,
        return_info=True,
    )  # fmt: skip
    eta = info.step
    norms = np.linalg.norm(D, axis=1)
    grad = (codes @ D - X) @ D.T
    if penalty == "cel0":
        again = prox(codes - eta * grad, eta, "cel0", lam=lam, norms=norms)
    else:
        again = prox(codes - eta * grad, eta * lam, penalty, q=q)
    np.testing.assert_allclose(again, codes, atol=1e-8)
    assert 0 < np.count_nonzero(codes) < codes.size


@pytest.mark.parametrize(
    ("penalty", "q"), [("l0", None), ("l1/2", None), ("lq", 0.7), ("cel0", None)]
)
@pytest.mark.parametrize("solver", ["cd", "fista", "lca"])
def test_nonconvex_solvers_improve_on_zero(penalty, q, solver):
    X, D = _problem(seed=4)
    lam = 0.2 if penalty != "l0" else 0.05
    codes = sparse_encode(X, D, penalty=penalty, lam=lam, q=q, solver=solver, max_iter=5000)
    f = objective(X, D, codes, penalty=penalty, lam=lam, q=q)
    f0 = objective(X, D, np.zeros_like(codes), penalty=penalty, lam=lam, q=q)
    assert np.all(f <= f0 + 1e-12) and np.mean(f) < 0.9 * np.mean(f0)


def test_cd_is_monotone_per_sample_for_cel0_with_scaled_atoms():
    X, D = _problem(seed=5, unit=False)
    start = sparse_encode(X, D, penalty="cel0", lam=0.3, solver="ista", max_iter=3)
    f_start = objective(X, D, start, penalty="cel0", lam=0.3)
    codes = sparse_encode(X, D, penalty="cel0", lam=0.3, solver="cd", init=start)
    assert np.all(objective(X, D, codes, penalty="cel0", lam=0.3) <= f_start + 1e-12)


def test_cd_solves_in_the_output_rows_and_leaves_init_alone(monkeypatch):
    """CD writes its codes into the result's rows (no copies): the caller's ``init`` is
    not modified, and chunked calls give the codes of one call (to the rounding of the
    chunks' own ``X D^T`` products)."""
    from neurosparse.coding import encode as E

    X, D = _problem(seed=5)
    start = sparse_encode(X, D, lam=0.2, solver="ista", max_iter=3)
    kept = start.copy()
    whole = sparse_encode(X, D, lam=0.2, solver="cd", init=start, tol=1e-10)
    np.testing.assert_array_equal(start, kept)
    monkeypatch.setattr(E, "_CHUNK", 5)
    chunked = sparse_encode(X, D, lam=0.2, solver="cd", init=start, tol=1e-10)
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(start, kept)
    assert not np.shares_memory(chunked, start)


def test_positive_codes():
    X, D = _problem(seed=6)
    lam = 0.05 * np.abs(X @ D.T).max()
    for solver in ("cd", "fista"):
        codes = sparse_encode(X, D, lam=lam, positive=True, solver=solver, tol=1e-10)
        assert codes.min() >= 0 and codes.max() > 0
    a = sparse_encode(X, D, lam=lam, positive=True, solver="cd", tol=1e-12, max_iter=10**5)
    b = sparse_encode(X, D, lam=lam, positive=True, solver="fista", tol=1e-12, max_iter=10**5)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_warm_start_and_authors_rule():
    X, D = _problem(seed=7)
    lam = 0.05 * np.abs(X @ D.T).max()
    codes = sparse_encode(X, D, lam=lam, solver="ista", tol=1e-10, max_iter=50_000)
    again, info = sparse_encode(
        X, D, lam=lam, solver="ista", tol=1e-10, init=codes, return_info=True
    )
    assert info.n_iter.max() <= 3
    np.testing.assert_allclose(again, codes, atol=1e-9)
    _, loose = sparse_encode(
        X, D, lam=lam, solver="ista", stop="authors", tol=0.01, return_info=True
    )
    _, tight = sparse_encode(X, D, lam=lam, solver="ista", tol=1e-8, return_info=True)
    assert loose.n_iter.max() < tight.n_iter.max()


def test_encode_batch_matches_sparse_encode():
    X, D = _problem(seed=8)
    lam = 0.05 * np.abs(X @ D.T).max()
    for solver in ("cd", "fista"):
        a = sparse_encode(X, D, lam=lam, solver=solver, tol=1e-10)
        b = encode_batch(X @ D.T, D @ D.T, lam=lam, solver=solver, tol=1e-10)
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_large_overcomplete_uses_factored_products():
    """n_atoms > 2 n_features: products through the dictionary give the same codes."""
    X, D = _problem(n_atoms=60, n_features=16, seed=9)
    lam = 0.1 * np.abs(X @ D.T).max()
    a = sparse_encode(X, D, lam=lam, solver="fista", tol=1e-11, max_iter=50_000)
    b = encode_batch(X @ D.T, D @ D.T, lam=lam, solver="fista", tol=1e-11, max_iter=50_000)
    np.testing.assert_allclose(a, b, atol=1e-7)


def test_deterministic():
    X, D = _problem(n_samples=30, seed=10)
    for solver in ("cd", "fista", "lca"):
        a = sparse_encode(X, D, lam=0.3, penalty="l1/2", solver=solver)
        b = sparse_encode(X, D, lam=0.3, penalty="l1/2", solver=solver)
        assert np.array_equal(a, b)


@pytest.mark.parametrize(("penalty", "solver"), [("l1", "fista"), ("cel0", "ista"), ("l1", "cd")])
def test_codes_do_not_depend_on_the_thread_count(penalty, solver):
    """The fused dense path's blocks were sized by the thread count, and BLAS's result for
    a row depends on the rows of its block: 1 and 2 threads gave different bits."""
    import numba

    rng = np.random.default_rng(0)
    D = rng.standard_normal((256, 64))
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    X = rng.standard_normal((2000, 64))
    before = numba.get_num_threads()
    out = []
    try:
        for threads in sorted({1, before}):
            numba.set_num_threads(threads)
            out.append(sparse_encode(X, D, penalty=penalty, lam=0.1, solver=solver))
    finally:
        numba.set_num_threads(before)
    for o in out[1:]:
        assert np.array_equal(o, out[0])


def test_sparse_coder_result_roundtrip(tmp_path):
    X, D = _problem(n_samples=20, seed=11)
    coder = SparseCoder(D, penalty="cel0", lam=0.3, solver="ista")
    assert coder.dictionary is D and coder.lam == 0.3  # __init__ stores unchanged
    codes = coder.fit(X).transform(X)
    assert codes.shape == (20, D.shape[0])
    tree = coder.to_result()
    check_result(tree, kind="coding.codes")
    assert tree["state"]["dictionary"].dims == ("atom", "pixel")
    assert tree["activity"]["codes"].dims == ("sample", "atom")
    resid = X - codes @ D
    assert float(tree["metrics"]["mse"]) == pytest.approx(np.mean(resid**2))
    assert float(tree["metrics"]["mean_active"]) == pytest.approx(np.count_nonzero(codes) / 20)
    check_result_roundtrip(tree, tmp_path)
    again = SparseCoder(D, penalty="cel0", lam=0.3, solver="ista").fit(X)
    again.transform(X)
    assert_trees_equal(tree, again.to_result(), ignore_attrs=("created_at",))


def test_sparse_coder_errors():
    X, D = _problem()
    with pytest.raises(NotFittedError, match="fit"):
        SparseCoder(D).to_result()
    with pytest.raises(NotFittedError, match="fit"):  # transform no longer fits silently
        SparseCoder(D).transform(X)
    with pytest.raises(ValueError, match="solver must be one of"):
        SparseCoder(D, solver="admm").fit(X)


# --- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"X": "nan"}, "X contains 1 NaN or infinite"),
        ({"X": "inf"}, "X contains 1 NaN or infinite"),
        ({"dictionary": "nan"}, "dictionary contains 1 NaN or infinite"),
        ({"X": "shape"}, r"X has shape \(12, 23\) and dictionary has shape \(40, 24\)"),
        ({"lam": -0.1}, "lam must be a number"),
        ({"penalty": "lq", "q": 1.5}, "q must be a number"),
        ({"penalty": "lq", "q": 0.0}, "q must be a number"),
        ({"penalty": "huber"}, "penalty must be one of 'l1', 'l0', 'l1/2', 'lq', 'cel0'"),
        ({"solver": "admm"}, "solver must be one of 'auto', 'cd', 'ista', 'fista', 'lca'"),
        ({"stop": "never"}, "stop must be one of 'relative', 'authors'"),
        ({"dictionary": "zero_atom"}, r"zero-norm atom\(s\) \(rows \[3\]\)"),
        ({"init": "shape"}, r"init has shape \(12, 39\)"),
        ({"max_iter": 0}, "max_iter must be an integer"),
        ({"tol": -1.0}, "tol must be a number"),
        ({"solver": "ista", "step": 0.0}, "step must be a number"),
        ({"solver": "cd", "step": 0.1}, "step is not used by solver 'cd'"),
    ],
)
def test_sparse_encode_bad_input(change, match):
    X, D = _problem()
    kwargs = {"lam": 0.1}
    init = None
    for key, value in change.items():
        if key == "X":
            X = X.copy()
            if value == "shape":
                X = X[:, :-1]
            else:
                X[2, 3] = np.nan if value == "nan" else np.inf
        elif key == "dictionary":
            D = D.copy()
            if value == "nan":
                D[1, 1] = np.nan
            else:
                D[3] = 0.0
        elif key == "init":
            init = np.zeros((X.shape[0], D.shape[0] - 1))
        else:
            kwargs[key] = value
    with pytest.raises(ValueError, match=match):
        sparse_encode(X, D, init=init, **kwargs)


def test_objective_bad_shapes():
    X, D = _problem()
    with pytest.raises(ValueError, match=r"codes has shape \(12, 3\)"):
        objective(X, D, np.zeros((12, 3)), lam=0.1)
    assert SOLVERS == ("auto", "cd", "ista", "fista", "lca")


# --- kernels against their pure-Python versions --------------------------------------


def test_solver_kernels_parity():
    """Serial kernels against their py_func; parallel drivers against the serial kernels."""
    X, D = _problem(n_samples=3, n_atoms=8, n_features=6, seed=12)
    G, C = D @ D.T, X @ D.T
    norms = np.linalg.norm(D, axis=1)
    diag = np.diag(G).copy()
    rng = np.random.default_rng(0)
    Y = rng.normal(size=C.shape) * 0.3
    Z_old = rng.normal(size=C.shape) * 0.3
    P = Y @ G
    Y[np.abs(Y) < 0.2] = 0.0  # sparse codes, for the row-by-row products
    P = Y @ G
    for code, q in [(K.L1, 0.0), (K.LQ, 0.4), (K.CEL0, 0.0), (K.HALF, 0.5), (K.L0, 0.0)]:
        thr = np.empty(8)
        K.zero_thresholds(np.full(8, 0.2), 0.3, code, q, norms, thr)
        thr_slow = np.empty(8)
        K.zero_thresholds.py_func(np.full(8, 0.2), 0.3, code, q, norms, thr_slow)
        np.testing.assert_allclose(thr, thr_slow, rtol=1e-14)
        pen = _penalty_record(code, q, 0.3, norms, step=0.2, table=True)
        np.testing.assert_array_equal(pen.thr, thr)
        outs = []
        for fn, prod, extra in (
            (K.forward_backward_rows, P, (1,)),
            (K.forward_backward_rows.py_func, P, (1,)),
            (K.forward_backward_sparse_rows, G, (1,)),
            (K.forward_backward_sparse_rows.py_func, G, (1,)),
            (K.forward_backward_sparse_rows_par, G, (2,)),
            (K.forward_backward_rows_par, P, (3,)),
        ):
            Z, Yn, st = np.empty_like(Y), np.empty_like(Y), np.empty((3, 3))
            fn(Y, prod, C, Z_old, 0.2, pen, 0.4, Z, Yn, st, *extra)
            outs.append((Z, Yn, st))
        # the fused pass: prox of the gradient step, momentum, norms and counts
        Z_ref = K.prox_rows.py_func  # the map entry by entry, without thresholds
        Z_exp = np.empty_like(Y)
        Z_ref(Y - 0.2 * (P - C), np.full(8, 0.2), _penalty_record(code, q, 0.3, norms), Z_exp, 1)
        np.testing.assert_allclose(outs[0][0], Z_exp, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(outs[0][1], Z_exp + 0.4 * (Z_exp - Z_old), atol=1e-14)
        np.testing.assert_allclose(outs[0][2][:, 0], ((Z_exp - Z_old) ** 2).sum(1), rtol=1e-12)
        np.testing.assert_allclose(outs[0][2][:, 1], (Z_exp**2).sum(1), rtol=1e-12)
        np.testing.assert_array_equal(outs[0][2][:, 2], np.count_nonzero(outs[0][1], axis=1))
        for i in (1, 2, 3):
            for ref, other in zip(outs[0], outs[i]):
                np.testing.assert_allclose(ref, other, rtol=1e-12, atol=1e-14)
        for ref, other in zip(outs[2], outs[4]):  # serial vs parallel: bit-identical
            np.testing.assert_array_equal(ref, other)
        for ref, other in zip(outs[0], outs[5]):
            np.testing.assert_array_equal(ref, other)
        outs = []
        pen_lca = _penalty_record(code, q, 0.3, norms, True)
        for fn, extra in (
            (K.lca_rows, (1,)),
            (K.lca_rows.py_func, (1,)),
            (K.lca_rows_par, (2,)),
        ):
            U, A, du = Y.copy(), np.empty_like(Y), np.empty(3)
            fn(U, P, C, Z_old, 0.1, diag, pen_lca, A, du, *extra)
            outs.append((U, A, du))
        for ref, other in zip(outs[0], outs[1]):
            np.testing.assert_allclose(ref, other, rtol=1e-12, atol=1e-14)
        for ref, other in zip(outs[0], outs[2]):
            np.testing.assert_array_equal(ref, other)
        outs = []
        pen_cd, stop = _penalty_record(code, q, 0.3, norms), K.Stop(500, 1e-10, 0.0)
        for fn, extra in ((K.cd_rows, (1,)), (K.cd_rows.py_func, (1,)), (K.cd_rows_par, (3,))):
            R = np.zeros_like(C)
            it, ok = np.zeros(3, dtype=np.int64), np.zeros(3, dtype=bool)
            fn(C, G, R, 1 / diag, pen_cd, stop, it, ok, *extra)
            outs.append((R, it, ok))
        for ref, other in zip(outs[0], outs[1]):
            np.testing.assert_allclose(ref, other, rtol=1e-12, atol=1e-14)
        for ref, other in zip(outs[0], outs[2]):
            np.testing.assert_array_equal(ref, other)
    g, act = np.empty(8), np.empty(8, dtype=np.int64)
    r_fast, r_slow = np.zeros(8), np.zeros(8)
    args = (1 / diag, _penalty_record(K.L1, 0.0, 0.3, norms), K.Stop(100, 1e-10, 0.0), g, act)
    assert K._cd_one(C[0], G, r_fast, *args) == K._cd_one.py_func(C[0], G, r_slow, *args)
    np.testing.assert_allclose(r_fast, r_slow, rtol=1e-12)


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize(
    ("code", "q"), [(K.L1, 0.0), (K.L0, 0.0), (K.HALF, 0.5), (K.LQ, 0.3), (K.CEL0, 0.0)]
)
def test_fused_pass_is_the_map_entry_by_entry(code, q, positive):
    """forward_backward_rows (threshold shortcut, nonzero branch, table roots) gives the
    same bits as prox_scalar entry by entry (l1/2, lq: to the table's accuracy), on rows
    holding entries at, just under and just over the zero threshold (within its rounding
    margin), far above it, of both signs; CEL0 with atoms where eta a^2 < 1, = 1 (the
    closed form's denominator vanishes) and > 1 (the identity above the threshold); rows
    of several lengths (the vector remainders of the root loop)."""
    rng = np.random.default_rng(5)
    eta, lam, beta = 0.25, 0.3, 0.4
    for k in (1, 7, 8, 13, 40):
        norms = rng.choice([0.5, 1.0, 2.0, 3.0], size=k)  # eta a^2: 1/16, 1/4, 1, 9/4
        thr = np.empty(k)
        K.zero_thresholds(np.full(k, eta), lam, code, q, norms, thr)
        t = np.abs(thr) / (1.0 - 1e-12)  # the exact threshold
        scale = rng.choice(
            [0.5, 1.0 - 1e-13, 1.0, 1.0 + 1e-13, 1.0 + 1e-11, 1.5, 40.0], size=(6, k)
        )
        V = scale * t * rng.choice([-1.0, 1.0], size=(6, k))
        V[0] = 0.0  # an all-zero row
        C = rng.normal(size=V.shape)
        P = rng.normal(size=V.shape)
        Y = V + eta * (P - C)  # so that the gradient step gives back V
        V = Y - eta * (P - C)
        Z_old = rng.normal(size=V.shape)
        pen = _penalty_record(code, q, lam, norms, positive, step=eta, table=True)
        Z, Yn, st = np.empty_like(V), np.empty_like(V), np.empty((6, 3))
        K.forward_backward_rows(Y, P, C, Z_old, eta, pen, beta, Z, Yn, st, 1)
        Z_exp = np.empty_like(V)
        K.prox_rows(V, np.full(k, eta), pen, Z_exp, 1)
        if code in (K.HALF, K.LQ):  # table roots: to the table's accuracy
            np.testing.assert_allclose(Z, Z_exp, rtol=1e-14, atol=0)
        else:
            np.testing.assert_array_equal(Z, Z_exp)
        np.testing.assert_array_equal(Z == 0.0, Z_exp == 0.0)
        np.testing.assert_array_equal(Yn, Z + beta * (Z - Z_old))
        np.testing.assert_allclose(st[:, 0], ((Z - Z_old) ** 2).sum(1), rtol=1e-13)
        np.testing.assert_allclose(st[:, 1], (Z**2).sum(1), rtol=1e-13)
        np.testing.assert_array_equal(st[:, 2], np.count_nonzero(Yn, axis=1))


def test_sparse_product_kernels_parity():
    rng = np.random.default_rng(3)
    D = rng.normal(size=(9, 5))
    G = D @ D.T
    Y = rng.normal(size=(4, 9)) * (rng.random((4, 9)) < 0.3)
    Y[1] = 0.0  # an all-zero row
    outs = []
    for fn, extra in (
        (K.sparse_product_rows, (1,)),
        (K.sparse_product_rows.py_func, (1,)),
        (K.sparse_product_rows_par, (2,)),
    ):
        P = np.full_like(Y, np.nan)
        fn(Y, G, P, *extra)
        outs.append(P)
    np.testing.assert_allclose(outs[0], Y @ G, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(outs[2], outs[0])


@pytest.mark.parametrize(
    ("code", "q", "a"),
    [(K.L1, 0.0, 1.0), (K.L0, 0.0, 1.0), (K.HALF, 0.5, 1.0), (K.LQ, 0.3, 1.0), (K.LQ, 0.8, 1.0),
     (K.CEL0, 0.0, 0.5), (K.CEL0, 0.0, 3.0)],
)  # fmt: skip
def test_zero_threshold_is_the_prox_threshold(code, q, a):
    """Below the bound the map is zero; just above the exact threshold it is not."""
    for eta, lam in ((0.2, 0.3), (1.0, 2.0), (0.01, 0.013)):
        t = K.zero_threshold(eta, lam, code, q, a)
        assert t == K.zero_threshold.py_func(eta, lam, code, q, a)
        for y in (t, -t, 0.5 * t, t * (1 - 1e-15)):
            assert K.prox_scalar(y, eta, lam, code, q, a, False) == 0.0
        above = t * (1 + 1e-9)
        assert K.prox_scalar(above, eta, lam, code, q, a, False) != 0.0
    # tau = 0 (the identity map): 0 for every penalty (|y| <= 0 means y = 0)
    for c in (K.L1, K.L0, K.HALF, K.LQ, K.CEL0):
        assert K.zero_threshold(0.5, 0.0, c, q or 0.3, a) == 0.0


@pytest.mark.parametrize(
    "penalty, solver, n_samples, tol",
    [("l0", "ista", 20, 0.01), ("l1/2", "fista", 20, 0.002), ("cel0", "ista", 60, 0.005),
     ("lq", "lca", 30, 0.01)],
)  # fmt: skip
def test_authors_batch_rule(penalty, solver, n_samples, tol):
    """stop="authors-batch": the learner's rule over the batch, ``||R_t - R_{t-1}||_F /
    (0.01 + ||R_{t-1}||_F) < tol`` with the Frobenius norm, stops at the iteration where
    a replay of the same iterations first meets it."""
    X, D = _problem(n_samples=n_samples, seed=13)
    lam = 0.05 * np.abs(X @ D.T).max() if penalty != "cel0" else 0.02
    q = 0.3 if penalty == "lq" else None
    kw = dict(lam=lam, penalty=penalty, q=q, solver=solver, step=0.05, max_iter=5000)
    R, info = sparse_encode(X, D, stop="authors-batch", return_info=True, tol=tol, **kw)
    assert np.all(info.n_iter == info.n_iter[0]) and info.converged.all()
    assert info.n_iter[0] > 5
    if solver == "lca":  # the rule watches the membrane state: only check the count
        return
    t_stop = None
    prev = np.zeros_like(R)
    for t in range(1, info.n_iter[0] + 3):
        r = sparse_encode(X, D, stop="relative", **(kw | dict(tol=0.0, max_iter=t)))
        if np.linalg.norm(r - prev) / (0.01 + np.linalg.norm(prev)) < tol:
            t_stop = t
            break
        prev = r
    assert t_stop == info.n_iter[0]
    np.testing.assert_allclose(R, r, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="authors-batch"):
        sparse_encode(X, D, lam=lam, stop="authors-batch")


@pytest.mark.parametrize("penalty", ["l1", "l0", "cel0"])
def test_authors_batch_ista_is_the_learners_encoder(penalty):
    """sparse_encode(solver="ista", stop="authors-batch") runs the dictionary learner's
    kernel: with the same step and tol = 0.01 (the learner's offset is its tol), the
    codes of ista_encode, bit for bit (penalties without a table; CEL0 to the last bits
    of its atom norms)."""
    from neurosparse.coding.dictionary import ista_encode

    X, D = _problem(n_samples=50, seed=17)
    lam = 0.1 * np.abs(X @ D.T).max() if penalty != "cel0" else 0.02
    for parallel in (False, True):
        want, n = ista_encode(X, D, penalty=penalty, lam=lam, eta=0.05, parallel=parallel)
        got, info = sparse_encode(X, D, penalty=penalty, lam=lam, solver="ista", step=0.05,
                                  stop="authors-batch", tol=0.01, max_iter=5000,
                                  return_info=True)  # fmt: skip
        if penalty == "cel0":  # its atom norms are summed differently (last bits)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
        else:
            np.testing.assert_array_equal(got, want)
        assert np.all(info.n_iter == n)


def test_cholesky_solve():
    """The l1 Newton step's solver: SPD systems to rounding error; False (not an
    exception) for indefinite and singular matrices."""
    rng = np.random.default_rng(23)
    for n in (1, 5, 40):
        B = rng.normal(size=(n, 2 * n))
        A, b, x = B @ B.T, rng.normal(size=n), np.empty(n)
        assert K.cholesky_solve(A, b, x)
        np.testing.assert_allclose(A @ x, b, atol=1e-10 * np.abs(b).max())
    x = np.empty(3)
    assert not K.cholesky_solve(np.diag([1.0, -1.0, 2.0]), np.ones(3), x)
    v = rng.normal(size=(3, 1))
    assert not K.cholesky_solve(v @ v.T, np.ones(3), x)  # rank one


def test_fused_dense_pass(monkeypatch):
    """forward_backward_dense_par (product fused into the pass, block by block) against
    the BLAS product followed by forward_backward_rows, through the Gram matrix and
    through the dictionary; and sparse_encode with and without fusion."""
    from neurosparse.coding import encode

    rng = np.random.default_rng(21)
    for n_atoms, factored in ((48, False), (160, True)):
        D = rng.normal(size=(n_atoms, 32))
        D /= np.linalg.norm(D, axis=1, keepdims=True)
        G, n = D @ D.T, 50
        Y = rng.normal(size=(n, n_atoms)) * (rng.random((n, n_atoms)) < 0.5)
        C, Z_old = rng.normal(size=(n, n_atoms)), rng.normal(size=(n, n_atoms))
        for code, q in ((K.L1, 0.0), (K.LQ, 0.3), (K.CEL0, 0.0)):
            pen = _penalty_record(code, q, 0.5, np.ones(n_atoms), step=0.05, table=True)
            common = (0.05, pen, 0.3)
            want_Z, want_Y, want_st = np.empty_like(Y), Y.copy(), np.empty((n, 3))
            K.forward_backward_rows(want_Y, want_Y @ G, C, Z_old, *common, want_Z, want_Y,
                                    want_st, 1)  # fmt: skip
            gram = (G, D, np.ascontiguousarray(D.T), factored)
            outs = []
            for kernel in (K.forward_backward_dense_par, K.forward_backward_dense,
                           K.forward_backward_dense.py_func):  # fmt: skip
                Z, Yw, st = np.empty_like(Y), Y.copy(), np.empty((n, 3))
                with encode._one_blas_thread():
                    kernel(Yw, gram, C, Z_old, *common, Z, Yw, st, 7)
                outs.append((Z, Yw, st))
            Z, Yw, st = outs[0]
            np.testing.assert_allclose(Z, want_Z, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(Yw, want_Y, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(st, want_st, rtol=1e-10, atol=1e-12)
            for ref, other in zip(outs[0], outs[1]):  # same blocks: the same bits
                np.testing.assert_array_equal(ref, other)
            for ref, other in zip(outs[1], outs[2]):
                np.testing.assert_allclose(ref, other, rtol=1e-12, atol=1e-12)
    X, D = _problem(n_samples=300, n_atoms=96, n_features=40, seed=22)
    for penalty in ("l1", "l1/2", "cel0"):
        lam = 0.02 * np.abs(X @ D.T).max() if penalty == "l1" else 0.01
        kw = dict(lam=lam, penalty=penalty, solver="fista", tol=1e-7, max_iter=500)
        monkeypatch.setattr(encode, "_SPARSE_COST", 1e30)  # dense products throughout
        monkeypatch.setattr(encode, "_FUSED_MIN_FLOPS", 1e30)
        unfused = sparse_encode(X, D, **kw)
        calls = []
        fused_kernel = K.forward_backward_dense_par

        def counted(*a, calls=calls, kernel=fused_kernel):
            calls.append(1)
            return kernel(*a)

        monkeypatch.setattr(K, "forward_backward_dense_par", counted)
        monkeypatch.setattr(encode, "_FUSED_MIN_FLOPS", 0)
        fused = sparse_encode(X, D, **kw)
        monkeypatch.setattr(K, "forward_backward_dense_par", fused_kernel)
        assert len(calls) > 10
        np.testing.assert_allclose(fused, unfused, rtol=1e-7, atol=1e-9)


def test_sample_by_sample_kernel_parity():
    """ista_sparse_rows: against its py_func, the parallel driver, and the batched loop."""
    X, D = _problem(n_samples=6, n_atoms=30, n_features=12, seed=14)
    G, C = D @ D.T, X @ D.T
    L = float(np.linalg.eigvalsh(G)[-1])
    norms = np.linalg.norm(D, axis=1)
    for code, q, fista in [(K.L1, 0.0, True), (K.L0, 0.0, False), (K.LQ, 0.4, True)]:
        lam = 0.3
        pen = _penalty_record(code, q, lam, norms, step=1 / L, table=True)
        outs = []
        for fn, extra in (
            (K.ista_sparse_rows, (1,)),
            (K.ista_sparse_rows.py_func, (1,)),
            (K.ista_sparse_rows_par, (3,)),
        ):
            Z, Y = np.zeros_like(C), np.zeros_like(C)
            it, ok = np.zeros(6, dtype=np.int64), np.zeros(6, dtype=bool)
            fn(C, G, Z, Y, np.zeros(6), 1 / L, pen, (fista, 1.0, 0.0, 0),
               K.Stop(20_000, 1e-6, 0.0), it, ok, *extra)  # fmt: skip
            outs.append((Z, it, ok))
        for ref, other in zip(outs[0], outs[1]):
            np.testing.assert_allclose(ref, other, rtol=1e-12, atol=1e-14)
        for ref, other in zip(outs[0], outs[2]):
            np.testing.assert_array_equal(ref, other)
        assert outs[0][1].max() > 10 and outs[0][2].all()
    # sparse_encode hands sparse blocks to the kernel; return_info=True keeps the
    # batched loop (it records the objective per iteration): same codes, same counts
    X, D = _problem(n_samples=40, n_atoms=64, n_features=16, seed=15)
    for solver, penalty in (("fista", "l1"), ("ista", "l0"), ("ista", "cel0")):
        lam = 0.2 * np.abs(X @ D.T).max() if penalty == "l1" else 0.05
        kw = dict(lam=lam, penalty=penalty, solver=solver, tol=1e-8, max_iter=3000)
        fast = sparse_encode(X, D, **kw)
        slow, _ = sparse_encode(X, D, return_info=True, **kw)
        np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)
        assert np.count_nonzero(fast) < 0.3 * fast.size


@pytest.mark.parametrize("solver", ["ista", "fista", "lca"])
@pytest.mark.parametrize("penalty", ["l1", "l0", "cel0"])
def test_a_diverging_solve_is_reported_not_marked_converged(solver, penalty):
    """Issue: step=100 (ISTA) or 50 (LCA) returned codes of 9e158, converged=True."""
    X, D = _problem(n_samples=20, seed=3)
    with pytest.raises(FloatingPointError, match=r"diverged .* step=50\.0 is too long.*1/L"):
        sparse_encode(X, D, lam=0.1, penalty=penalty, solver=solver, step=50.0, return_info=True)
    L = np.linalg.norm(D, 2) ** 2
    # the bound itself and the default step are fine
    for step in (1.0 / L, None):
        R, info = sparse_encode(X, D, lam=0.1, penalty=penalty, solver=solver, step=step,
                                return_info=True)  # fmt: skip
        assert np.isfinite(R).all() and info.converged.any()


def test_a_diverging_batch_solve_is_reported():
    X, D = _problem(n_samples=20, seed=3)
    with pytest.raises(FloatingPointError, match="diverged"):
        encode_batch(X @ D.T, D @ D.T, lam=0.1, solver="ista", step=100.0)


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("frac", [0.3, 0.05])
@pytest.mark.parametrize("shape", [(120, 30, 0.08), (400, 180, 0.5)], ids=["small", "large"])
def test_l1_working_set_matches_the_plain_cd_loop(positive, frac, shape):
    """The l1 working-set start (the default) reaches the plain CD loop's solution: same
    codes to tolerance, same objective, the same stopping rule met; serial, py_func and
    parallel kernels agree; a warm start works too. "large": working sets beyond
    ``_WS_BIG`` atoms, whose rounds stop at the looser ``_WS_TOL_BIG``."""
    n_atoms, n_features, density = shape
    rng = np.random.default_rng(3)
    D = rng.normal(size=(n_atoms, n_features))
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    X = rng.normal(size=(6, n_atoms)) * (rng.random((6, n_atoms)) < density) @ D
    X += 0.05 * rng.normal(size=X.shape)
    G, C = D @ D.T, np.ascontiguousarray(X @ D.T)
    lam = frac * np.abs(C).max()
    pen = _penalty_record(K.L1, 0.0, lam, np.sqrt(np.diag(G)), positive)
    stop = K.Stop(5000, 1e-10, 0.0)
    eta = 1 / np.diag(G)

    def run(fn, ws, n_blocks=1, R0=None):
        R = np.zeros_like(C) if R0 is None else R0.copy()
        it, ok = np.zeros(6, dtype=np.int64), np.zeros(6, dtype=bool)
        fn(C, G, R, eta, pen, stop, it, ok, n_blocks, ws)
        return R, it, ok

    def obj(R):
        resid = X - R @ D
        return 0.5 * np.einsum("ij,ij->i", resid, resid) + lam * np.abs(R).sum(1)

    R_plain, _, ok_plain = run(K.cd_rows, False)
    R_ws, it_ws, ok_ws = run(K.cd_rows, True)
    assert ok_plain.all() and ok_ws.all()
    assert (R_ws != 0).any()
    if n_atoms == 400 and frac == 0.05:  # a round's set is then larger than _WS_BIG
        assert (R_ws != 0).sum(1).max() > K._WS_BIG // 2 + 8
    if positive:
        assert (R_ws >= 0).all()
    np.testing.assert_allclose(R_ws, R_plain, atol=1e-7)
    np.testing.assert_allclose(obj(R_ws), obj(R_plain), rtol=1e-10)
    # KKT: |g_j| <= lam off the support (g_j <= lam for nonnegative codes)
    g = C - R_ws @ G
    off = R_ws == 0
    assert ((g if positive else np.abs(g))[off] <= lam * (1 + 1e-6)).all()
    R_slow, it_slow, _ = run(K.cd_rows.py_func, True)
    np.testing.assert_allclose(R_slow, R_ws, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(it_slow, it_ws)
    for got, ref in zip(run(K.cd_rows_par, True, 3), (R_ws, it_ws, ok_ws)):
        np.testing.assert_array_equal(got, ref)
    R_warm, _, ok_warm = run(K.cd_rows, True, R0=R_plain * 0.5)
    assert ok_warm.all()
    np.testing.assert_allclose(R_warm, R_plain, atol=1e-7)
    # the public encoder uses it by default and matches the plain loop
    codes = sparse_encode(X, D, penalty="l1", lam=lam, positive=positive, tol=1e-10)
    R_codes = codes[0] if isinstance(codes, tuple) else codes
    np.testing.assert_allclose(np.asarray(R_codes), R_plain, atol=1e-7)
