"""Sparsey's Numba kernels against their pure-Python ``py_func`` on small input."""

import numpy as np
import pytest

from neurosparse.sparsey import Sparsey, _kernels


@pytest.fixture(scope="module")
def fitted():
    """A two-level model fitted on sequences, so that U, H and D weights all exist."""
    rng = np.random.default_rng(3)
    X = rng.random((3, 3, 6, 6)) < 0.3
    model = Sparsey(
        grid=((2, 2), (1, 1)), n_cms=(3, 2), cells_per_cm=(3, 4), rf_radius=(1.5, None),
        freeze_fraction=(0.5, 1.0), seed=0,
    ).fit(X)  # fmt: skip
    assert model._net.h_idx.size and model._net.d_idx.size
    frames = np.ascontiguousarray(X.reshape(3, 3, -1), dtype=np.uint8)
    return model, frames


def _py(kernel):
    return kernel.py_func


def test_uniform_and_logistic():
    with np.errstate(over="ignore"):
        state = np.uint64(12345)
        for _ in range(5):
            a = _kernels._uniform(state)
            b = _py(_kernels._uniform)(state)
            assert np.uint64(a[0]) == np.uint64(b[0]) and a[1] == b[1]
            assert 0.0 <= a[1] < 1.0
            state = np.uint64(a[0])
    for x in (-3.0, 0.0, 0.7, 12.0):
        assert _kernels._logistic(x) == _py(_kernels._logistic)(x)


def test_expansivity_and_sigmoid():
    for g in (0.0, 0.3, 0.5, 0.9, 1.0):
        assert _kernels.expansivity(g, 8, 0.5, 2.0, 100.0) == _py(_kernels.expansivity)(
            g, 8, 0.5, 2.0, 100.0
        )
    assert _kernels.expansivity(0.2, 8, 0.5, 2.0, 100.0) == 1.0
    assert _kernels.expansivity(1.0, 8, 0.5, 2.0, 100.0) == 801.0
    v = np.array([0.0, 0.25, 0.5, 1.0])
    a, b = np.empty(4), np.empty(4)
    _kernels.sigmoid_weights(v, 4, 50.0, 10.0, 0.5, a)
    _py(_kernels.sigmoid_weights)(v, 4, 50.0, 10.0, 0.5, b)
    np.testing.assert_array_equal(a, b)
    assert a[0] == pytest.approx(1.0) and a[-1] == pytest.approx(50.0)
    _kernels.sigmoid_weights(v, 4, 1.0, 10.0, 0.5, a)  # eta = 1: uniform
    np.testing.assert_array_equal(a, np.ones(4))


def test_small_helpers():
    v = np.array([0.1, 0.7, 0.7, 0.2, 0.9, 0.0])
    for lo, n in ((0, 3), (3, 3), (0, 6)):
        assert _kernels._argmax(v, lo, n) == _py(_kernels._argmax)(v, lo, n)
    assert _kernels._argmax(v, 0, 3) == 1  # ties to the lowest
    ptr = np.array([0, 3, 5])
    idx = np.array([0, 2, 4, 1, 3])
    vec = np.array([1, 0, 1, 1, 0], dtype=np.uint8)
    out_a, out_b = np.zeros(5, np.int64), np.zeros(5, np.int64)
    for m in (0, 1):
        na = _kernels._gather(ptr, idx, m, vec, out_a)
        nb = _py(_kernels._gather)(ptr, idx, m, vec, out_b)
        assert na == nb and np.array_equal(out_a[:na], out_b[:nb])
    w = (np.arange(24) % 3 == 0).astype(np.uint8)
    active = np.array([0, 2])
    acc_a, acc_b = np.zeros(4, np.int32), np.zeros(4, np.int32)
    _kernels._source_sum(w, 4, 4, active, 2, acc_a)
    _py(_kernels._source_sum)(w, 4, 4, active, 2, acc_b)
    np.testing.assert_array_equal(acc_a, acc_b)
    for lam in (1.0, 0.5):
        va, vb = np.ones(4), np.ones(4)
        _kernels._apply(va, acc_a, 4, 2, lam)
        _py(_kernels._apply)(vb, acc_b, 4, 2, lam)
        np.testing.assert_array_equal(va, vb)
    wa, wb = w.copy(), w.copy()
    assert _kernels._learn(wa, 4, 4, active, 2, 1) == _py(_kernels._learn)(wb, 4, 4, active, 2, 1)
    np.testing.assert_array_equal(wa, wb)
    assert _kernels._block(2, 10, 3) == _py(_kernels._block)(2, 10, 3)


def test_scratch(fitted):
    model, _ = fitted
    a = _kernels._scratch(model._net)
    b = _py(_kernels._scratch)(model._net)
    for x, y in zip(a, b, strict=True):
        assert x.shape == y.shape and x.dtype == y.dtype


def _learn_both(model, frames, kernel_a, kernel_b):
    out = []
    for kernel in (kernel_a, kernel_b):
        weights = [w.copy() for w in model._weights]
        n_macs = model._net.mac_q.size
        win = np.full((frames.shape[0], n_macs, model._q_max), -1, np.int32)
        fam = np.full((frames.shape[0], n_macs), np.nan)
        with np.errstate(over="ignore"):
            kernel(model._net, model._csa, *weights, frames, np.uint64(99), win, fam)
        out.append((weights, win, fam))
    return out


def test_learn_item_parity(fitted):
    model, frames = fitted
    (wa, win_a, fam_a), (wb, win_b, fam_b) = _learn_both(
        model, frames[0], _kernels.learn_item, _py(_kernels.learn_item)
    )
    for x, y in zip(wa, wb, strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(win_a, win_b)
    np.testing.assert_array_equal(fam_a, fam_b)


def test_frame_step_parity(fitted):
    model, frames = fitted
    net = model._net
    results = []
    for kernel in (_kernels.frame_step, _py(_kernels.frame_step)):
        wu, wh, wd, n_set = (w.copy() for w in model._weights)
        act, prev, acc, v, mu, au, ah, ad = _kernels._scratch(net)
        act[: net.n_pix] = frames[1, 0]
        prev[: net.n_pix] = frames[1, 1]
        prev[net.n_pix :: 3] = 1  # some cells active at the "previous frame"
        win = np.full((net.mac_q.size, model._q_max), -1, np.int32)
        fam = np.full(net.mac_q.size, np.nan)
        with np.errstate(over="ignore"):
            state = kernel(net, model._csa, wu, wh, wd, n_set, act, prev, True, True,
                           np.uint64(7), win, fam, acc, v, mu, au, ah, ad)  # fmt: skip
        results.append((np.uint64(state), win, fam, act, wu, wh, wd, n_set))
    for x, y in zip(*results, strict=True):
        np.testing.assert_array_equal(x, y)


def test_recognise_items_parity(fitted):
    model, frames = fitted
    wu, wh, wd, _ = model._weights
    shape = (frames.shape[0], frames.shape[1], model._net.mac_q.size)
    outs = []
    for kernel, blocks in (
        (_kernels.recognise_items, 1),
        (_py(_kernels.recognise_items), 1),
        (_kernels.recognise_items_par, 2),
        (_kernels.recognise_items_par, 3),
    ):
        win = np.full((*shape, model._q_max), -1, np.int32)
        fam = np.full(shape, np.nan)
        kernel(model._net, model._csa, wu, wh, wd, frames, win, fam, blocks)
        outs.append((win, fam))
    for win, fam in outs[1:]:
        np.testing.assert_array_equal(win, outs[0][0])
        np.testing.assert_array_equal(fam, outs[0][1])


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32])
def test_code_overlap_parity(dtype):
    rng = np.random.default_rng(0)
    a = rng.integers(-1, 4, size=(7, 5)).astype(dtype)
    b = rng.integers(-1, 4, size=(4, 5)).astype(dtype)
    expected = ((a[:, None] == b[None]) & (a[:, None] >= 0)).sum(-1)
    np.testing.assert_array_equal(_kernels.code_overlap(a, b, 1), expected)
    np.testing.assert_array_equal(_py(_kernels.code_overlap)(a, b, 1), expected)
    np.testing.assert_array_equal(_kernels.code_overlap_par(a, b, 3), expected)


def _knn_reference(a, b, labels, n_classes, k):
    """Votes by a stable sort: the k largest overlaps, ties to the stored code first."""
    overlap = ((a[:, None] == b[None]) & (a[:, None] >= 0)).sum(-1)
    out = np.zeros((a.shape[0], n_classes), np.int64)
    for i, row in enumerate(overlap):
        for j in np.argsort(-row, kind="stable")[:k]:
            out[i, labels[j]] += row[j]
    return out


@pytest.mark.parametrize("k", [1, 3, 12])
def test_knn_votes_parity(k):
    rng = np.random.default_rng(1)
    a = rng.integers(-1, 3, size=(9, 6)).astype(np.int8)  # few values: many ties
    b = rng.integers(-1, 3, size=(12, 6)).astype(np.int8)
    labels = rng.integers(0, 4, size=12)
    expected = _knn_reference(a, b, labels, 4, k)
    np.testing.assert_array_equal(_kernels.knn_votes(a, b, labels, 4, k, 1), expected)
    np.testing.assert_array_equal(_py(_kernels.knn_votes)(a, b, labels, 4, k, 1), expected)
    np.testing.assert_array_equal(_kernels.knn_votes_par(a, b, labels, 4, k, 4), expected)
