"""SDR toolkit: views, random SDRs, overlaps, noise, set operations, metrics."""

import numpy as np
import pytest

from neurosparse.dendrites import _kernels
from neurosparse.dendrites import sdr as S


def test_random_sdr_shapes_sorted_distinct_deterministic():
    x = S.random_sdr(2048, 40, size=50, seed=0)
    assert x.shape == (50, 40) and x.dtype == np.int64
    assert np.all(np.diff(x, axis=1) > 0) and x.min() >= 0 and x.max() < 2048
    np.testing.assert_array_equal(x, S.random_sdr(2048, 40, size=50, seed=0))
    assert not np.array_equal(x, S.random_sdr(2048, 40, size=50, seed=1))
    assert S.random_sdr(100, 10, seed=0).shape == (10,)


def test_random_sdr_is_uniform():
    x = S.random_sdr(20, 5, size=40_000, seed=3)
    freq = S.activation_frequency(x, 20)
    np.testing.assert_allclose(freq, 0.25, atol=0.01)


def test_views_roundtrip():
    x = S.random_sdr(500, 20, size=10, seed=1)
    d = S.to_dense(x, 500)
    assert d.shape == (10, 500) and d.dtype == bool and np.all(d.sum(1) == 20)
    np.testing.assert_array_equal(S.to_indices(d), x)
    np.testing.assert_array_equal(S.to_indices(d[0]), x[0])
    ragged = [np.array([1, 5]), np.array([2])]
    dense = S.to_dense(ragged, 8)
    assert [list(r) for r in S.to_indices(dense)] == [[1, 5], [2]]


def test_overlap_matches_dense_product():
    x = S.random_sdr(300, 30, size=40, seed=2)
    y = S.random_sdr(300, 25, size=30, seed=3)
    want = S.to_dense(x, 300).astype(int) @ S.to_dense(y, 300).T.astype(int)
    np.testing.assert_array_equal(S.overlap(x, y, 300), want)
    np.testing.assert_array_equal(S.overlap(S.to_dense(x, 300), S.to_dense(y, 300)), want)
    assert S.overlap(x[0], y, 300).shape == (30,)
    assert S.overlap(x[0], y[0], 300) == want[0, 0]


def test_overlap_kernel_parity():
    x = S.random_sdr(100, 10, size=8, seed=4)
    xp = np.arange(0, 81, 10, dtype=np.int64)
    cp, rows = _kernels.postings(xp, x.ravel(), 100)
    cp2, rows2 = _kernels.postings.py_func(xp, x.ravel(), 100)
    np.testing.assert_array_equal(cp, cp2)
    np.testing.assert_array_equal(rows, rows2)
    out1, out2, out3 = (np.zeros((8, 8), dtype=np.int32) for _ in range(3))
    _kernels.overlap_all_pairs_par(xp, x.ravel(), cp, rows, out1)
    _kernels.overlap_all_pairs.py_func(xp, x.ravel(), cp, rows, out2)
    _kernels.overlap_all_pairs(xp, x.ravel(), cp, rows, out3)
    np.testing.assert_array_equal(out1, out2)
    np.testing.assert_array_equal(out1, out3)
    r1 = _kernels.random_sdr_rows(50, 7, 5, 9)
    np.testing.assert_array_equal(r1, _kernels.random_sdr_rows.py_func(50, 7, 5, 9))
    a1 = _kernels.add_noise_rows(xp, x.ravel(), 100, 0.3, 5)
    np.testing.assert_array_equal(a1, _kernels.add_noise_rows.py_func(xp, x.ravel(), 100, 0.3, 5))


def test_add_noise_moves_fraction_keeps_count():
    x = S.random_sdr(2048, 40, size=200, seed=5)
    y = S.add_noise(x, 0.25, n=2048, seed=6)
    assert y.shape == x.shape and np.all(np.diff(y, axis=1) > 0)
    np.testing.assert_array_equal(S.overlap(x, y, 2048).diagonal(), 30)  # 40 - round(10)
    d = S.to_dense(x[0], 2048)
    dn = S.add_noise(d, 0.5, seed=1)
    assert dn.dtype == bool and dn.sum() == 40 and (d & dn).sum() == 20
    np.testing.assert_array_equal(S.add_noise(x, 0.0, n=2048, seed=0), x)
    with pytest.raises(ValueError, match="fraction"):
        S.add_noise(x, 1.5, n=2048)
    with pytest.raises(ValueError, match="n is required"):
        S.add_noise(x, 0.1)


def test_union_intersection():
    a, b = np.array([1, 3, 5]), np.array([3, 4])
    np.testing.assert_array_equal(S.union(a, b, n=8), [1, 3, 4, 5])
    np.testing.assert_array_equal(S.intersection(a, b, n=8), [3])
    da, db = S.to_dense(a, 8), S.to_dense(b, 8)
    np.testing.assert_array_equal(S.union(da, db), da | db)
    np.testing.assert_array_equal(S.intersection(da, db), da & db)


def test_metrics():
    x = S.random_sdr(1000, 20, size=500, seed=7)
    np.testing.assert_allclose(S.sparsity(x, 1000), 0.02)
    assert S.sparsity(x[0], 1000) == pytest.approx(0.02)
    freq = S.activation_frequency(x, 1000)
    assert freq.shape == (1000,) and freq.sum() == pytest.approx(20)
    assert 0.85 < S.entropy(x, 1000) <= 1.0
    # one pattern repeated: frequencies are 0 or 1, entropy 0
    assert S.entropy(np.repeat(x[:1], 10, axis=0), 1000) == 0.0
    # every cell equally often: entropy 1
    assert S.entropy(np.eye(10, dtype=bool)) == pytest.approx(1.0)


def test_bad_input():
    with pytest.raises(ValueError, match="a"):
        S.random_sdr(10, 11)
    with pytest.raises(ValueError, match="indices"):
        S.overlap(np.array([[1, 50]]), np.array([[1, 2]]), 10)
    with pytest.raises(TypeError, match="x"):
        S.overlap(np.array([[0.5, 1.0]]))
    with pytest.raises(ValueError, match="n is required"):
        S.to_dense(np.array([1, 2]))


# --- the view rule: dense views are bool, index views are sets of cells ------------

activation_frequency, intersection, overlap = S.activation_frequency, S.intersection, S.overlap
sparsity, to_dense, union = S.sparsity, S.to_dense, S.union


def test_dense_01_integers_are_not_read_as_indices():
    A = np.random.default_rng(0).random((3, 50)) < 0.2
    for as_int in (A.astype(int), A.astype(np.uint8)):
        with pytest.raises(ValueError, match=r"repeats an index.*astype\(bool\)"):
            overlap(as_int)
        with pytest.raises(ValueError, match="repeats an index"):
            sparsity(as_int[0], n=50)
    np.testing.assert_array_equal(np.diag(overlap(A)), A.sum(1))


def test_duplicate_indices_are_refused():
    with pytest.raises(ValueError, match="row 0 repeats an index"):
        overlap([1, 1, 2], [1, 2])
    x = np.array([3, 7, 9])
    with pytest.raises(ValueError, match="repeats an index"):
        overlap(np.r_[x, x], x)


def test_unsorted_index_rows_are_read_as_sets():
    assert overlap(np.array([9, 3, 7]), np.array([3, 7, 8])) == 2
    np.testing.assert_array_equal(to_dense(np.array([4, 1]), 6), to_dense(np.array([1, 4]), 6))


def test_dense_sdrs_of_different_sizes_are_refused():
    rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match="x has 60 cells and y 50"):
        overlap(rng.random((2, 60)) < 0.3, rng.random((2, 50)) < 0.3)


def test_sparsity_of_indices_needs_n():
    with pytest.raises(ValueError, match="n is required"):
        sparsity([1, 2, 3])
    assert sparsity(np.array([1, 2, 3]), n=100) == pytest.approx(0.03)
    with pytest.raises(ValueError, match="n is required"):
        activation_frequency(np.array([[1, 2], [2, 3]]))


def test_union_and_intersection_of_a_batch_combine_its_rows():
    B = np.array([[0, 3], [3, 5], [3, 6]])
    np.testing.assert_array_equal(union(B, n=8), [0, 3, 5, 6])
    np.testing.assert_array_equal(intersection(B, n=8), [3])
    dense = to_dense(B, 8)
    np.testing.assert_array_equal(union(dense), dense.any(0))
    with pytest.raises(ValueError, match="n is required"):
        union(B)
    with pytest.raises(ValueError, match="one batch"):
        union(np.array([1, 2]), n=4)
