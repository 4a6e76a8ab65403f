"""Sparse distributed representations (SDRs): NumPy-native tools, Numba-fast.

What users of htm.core's ``SDR`` class expect, as plain functions over arrays:

* **dense view**: a boolean array ``(..., n)``; a batch is ``(m, n)``.
* **index view**: the sorted indices of the active cells; a batch of SDRs with equal
  counts is an int array ``(m, a)`` (what :func:`random_sdr` returns), and any batch is
  a list of 1-D index arrays.

Every function accepts either view (an integer array is read as indices and then needs
``n``, a boolean array as dense); :func:`to_dense` and :func:`to_indices` convert.

Functions: :func:`random_sdr` (seeded, batched), :func:`overlap` (all pairs of two sets,
through an inverted index: work ``~ m_x m_y a_x a_y / n`` instead of ``m_x m_y n``),
:func:`union`, :func:`intersection`, :func:`add_noise` (htm.core's ``addNoise``),
:func:`sparsity`, :func:`activation_frequency` and :func:`entropy` (htm.core's
``Metrics``: binary entropy of the activation frequencies, normalised).
"""

from __future__ import annotations

import numpy as np

from neurosparse._validation import check_int, check_real, resolve_rng
from neurosparse.dendrites import _kernels

__all__ = [
    "activation_frequency",
    "add_noise",
    "entropy",
    "intersection",
    "overlap",
    "random_sdr",
    "sparsity",
    "to_dense",
    "to_indices",
    "union",
]


def random_sdr(n: int, a: int, size: int | None = None, seed=None) -> np.ndarray:
    """Random SDRs: ``a`` active cells out of ``n``, uniformly, as sorted indices.

    Parameters
    ----------
    n, a : int
        Cells and active cells (``0 <= a <= n``).
    size : int, optional
        Number of SDRs; ``None`` returns one SDR, shape ``(a,)``.
    seed : int, Generator or None

    Returns
    -------
    ndarray of int64, shape ``(a,)`` or ``(size, a)``, each row sorted.
    """
    n = check_int("n", n, low=1)
    a = check_int("a", a, low=0, high=n)
    count = 1 if size is None else check_int("size", size, low=0)
    rng = resolve_rng(seed)
    kernel_seed = int(rng.integers(0, 2**63))
    out = _kernels.random_sdr_rows(n, a, count, kernel_seed)
    return out[0] if size is None else out


def _is_batch_of_indices(x) -> bool:
    return isinstance(x, list | tuple) and all(np.ndim(r) == 1 for r in x)


def _to_csr(x, n: int | None, name: str):
    """Any SDR batch view -> (indptr, indices, n, single)."""
    if _is_batch_of_indices(x) and not (len(x) and np.asarray(x[0]).dtype == bool):
        rows = [np.asarray(r) for r in x]
        for r in rows:
            if r.size and r.dtype.kind not in "iu":
                raise TypeError(f"{name} must hold integer indices or booleans, got {r.dtype}")
        lengths = np.array([r.size for r in rows], dtype=np.int64)
        indices = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, dtype=np.int64)
        single = False
    else:
        arr = np.asarray(x)
        if arr.dtype == bool:
            if arr.ndim not in (1, 2):
                raise ValueError(f"{name} must be 1-D or 2-D, got shape {arr.shape}")
            single = arr.ndim == 1
            arr2 = arr.reshape(-1, arr.shape[-1])
            if n is not None and arr2.shape[1] != n:
                raise ValueError(f"{name} has {arr2.shape[1]} cells, but n={n}")
            n = arr2.shape[1]
            rows_idx, cols = np.nonzero(arr2)
            lengths = np.bincount(rows_idx, minlength=arr2.shape[0]).astype(np.int64)
            indices = cols.astype(np.int64)
        elif arr.dtype.kind in "iu" or arr.size == 0:
            if arr.ndim not in (1, 2):
                raise ValueError(f"{name} must be 1-D or 2-D, got shape {arr.shape}")
            single = arr.ndim == 1
            arr2 = arr.reshape(-1, arr.shape[-1]) if arr.size or arr.ndim == 2 else arr[None]
            lengths = np.full(arr2.shape[0], arr2.shape[1] if arr2.ndim == 2 else 0, np.int64)
            indices = arr2.astype(np.int64).ravel()
        else:
            raise TypeError(
                f"{name} must be a bool (dense) or int (indices) array, got dtype {arr.dtype}"
            )
    if n is None:
        n = int(indices.max()) + 1 if indices.size else 1
    else:
        n = check_int("n", n, low=1)
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        raise ValueError(
            f"{name} indices must lie in [0, {n}), got [{indices.min()}, {indices.max()}]"
        )
    indptr = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    return indptr, indices, n, single


def to_dense(sdr, n: int | None = None) -> np.ndarray:
    """Dense boolean view ``(n,)`` or ``(m, n)`` of an SDR or a batch of SDRs.

    ``n`` is required for index views (it cannot be read from the indices).
    """
    arr = sdr if _is_batch_of_indices(sdr) else np.asarray(sdr)
    if not _is_batch_of_indices(sdr) and arr.dtype == bool:
        return arr.copy()
    if n is None:
        raise ValueError("n is required to build the dense view of index SDRs")
    indptr, indices, n, single = _to_csr(sdr, n, "sdr")
    out = np.zeros((indptr.size - 1, n), dtype=bool)
    rows = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    out[rows, indices] = True
    return out[0] if single else out


def to_indices(sdr) -> np.ndarray | list[np.ndarray]:
    """Sorted index view of a dense SDR ``(n,)`` (1-D array) or batch ``(m, n)``.

    A batch gives an ``(m, a)`` int array when every row has the same count, else a list
    of 1-D arrays.
    """
    arr = np.asarray(sdr)
    if arr.dtype != bool:
        raise TypeError(f"sdr must be a dense boolean array, got dtype {arr.dtype}")
    if arr.ndim == 1:
        return np.flatnonzero(arr)
    if arr.ndim != 2:
        raise ValueError(f"sdr must be 1-D or 2-D, got shape {arr.shape}")
    counts = arr.sum(axis=1)
    if counts.size and np.all(counts == counts[0]):
        return np.nonzero(arr)[1].reshape(arr.shape[0], int(counts[0]))
    return [np.flatnonzero(r) for r in arr]


def overlap(x, y=None, n: int | None = None, *, dtype=np.int32) -> np.ndarray:
    """Overlaps (common active cells) of every SDR of ``x`` with every SDR of ``y``.

    Parameters
    ----------
    x, y : SDR batches (dense ``(m, n)`` bool, ``(m, a)`` indices, or list of indices)
        ``y`` defaults to ``x``. A single SDR (1-D) counts as a batch of one and the
        corresponding axis is dropped.
    n : int, optional
        Cells; read from a dense view, else inferred from the largest index.
    dtype : integer dtype of the result

    Returns
    -------
    ndarray, shape ``(m_x, m_y)``
        ``out[i, j] = |x_i ∩ y_j|``, computed through an inverted index of ``y`` in
        parallel over ``x`` (Numba).
    """
    if y is None:
        y = x
    xp, xi, nx, x_single = _to_csr(x, n, "x")
    yp, yi, ny, y_single = _to_csr(y, n, "y")
    n_cells = max(nx, ny)
    cell_ptr, rows = _kernels.postings(yp, yi, n_cells)
    out = np.empty((xp.size - 1, yp.size - 1), dtype=dtype)
    _kernels.overlap_all_pairs(xp, xi, cell_ptr, rows, out)
    if x_single:
        out = out[0]
    if y_single:
        out = out[..., 0]
    return out


def _combine(sdrs, n, op):
    if not sdrs:
        raise ValueError("give at least one SDR")
    dense = [to_dense(s, n) for s in sdrs]
    shapes = {d.shape for d in dense}
    if len(shapes) != 1:
        raise ValueError(f"SDRs must have the same shape, got {sorted(shapes)}")
    result = op.reduce(np.stack(dense), axis=0)
    is_dense = not _is_batch_of_indices(sdrs[0]) and np.asarray(sdrs[0]).dtype == bool
    return result if is_dense else to_indices(result)


def union(*sdrs, n: int | None = None):
    """Cells active in any of the SDRs (same view as the first argument).

    Batches are combined row by row.
    """
    return _combine(sdrs, n, np.logical_or)


def intersection(*sdrs, n: int | None = None):
    """Cells active in all of the SDRs (same view as the first argument)."""
    return _combine(sdrs, n, np.logical_and)


def add_noise(sdr, fraction: float, n: int | None = None, seed=None):
    """Move a fraction of the active bits to inactive cells, keeping the count.

    htm.core's ``SDR.addNoise``: in each SDR, ``round(fraction * a)`` active cells,
    chosen uniformly, turn off, and as many cells chosen uniformly among the inactive
    ones turn on; the result overlaps the input in ``a - round(fraction * a)`` cells.

    Parameters
    ----------
    sdr : SDR or batch (any view); the result has the same view (index rows sorted).
    fraction : float in [0, 1]
    n : int, required for index views
    seed : int, Generator or None
    """
    fraction = check_real("fraction", fraction, low=0.0, high=1.0)
    is_dense = not _is_batch_of_indices(sdr) and np.asarray(sdr).dtype == bool
    if not is_dense and n is None:
        raise ValueError("n is required to add noise to index SDRs")
    indptr, indices, n_cells, single = _to_csr(sdr, n, "sdr")
    counts = np.diff(indptr)
    move = np.floor(fraction * counts + 0.5)
    if np.any(move > n_cells - counts):
        raise ValueError(f"fraction={fraction} would move more bits than there are inactive cells")
    if indices.size:
        # the kernel needs each row free of duplicates
        for i in range(counts.size):
            row = indices[indptr[i] : indptr[i + 1]]
            if np.unique(row).size != row.size:
                raise ValueError(f"sdr row {i} has repeated indices")
    rng = resolve_rng(seed)
    new = _kernels.add_noise_rows(indptr, indices, n_cells, fraction, int(rng.integers(0, 2**63)))
    rows = [new[indptr[i] : indptr[i + 1]] for i in range(counts.size)]
    if is_dense:
        out = to_dense(rows, n_cells)
        return out[0] if single else out
    if isinstance(sdr, list | tuple):
        return rows
    out = new.reshape(counts.size, -1) if counts.size else new.reshape(0, 0)
    return out[0] if single else out


def sparsity(sdr, n: int | None = None) -> np.ndarray | float:
    """Fraction of active cells, per SDR (a float for a single SDR)."""
    indptr, _, n_cells, single = _to_csr(sdr, n, "sdr")
    out = np.diff(indptr) / n_cells
    return float(out[0]) if single else out


def activation_frequency(sdrs, n: int | None = None) -> np.ndarray:
    """Per cell, the fraction of the SDRs of a batch in which it is active, shape ``(n,)``."""
    indptr, indices, n_cells, _ = _to_csr(sdrs, n, "sdrs")
    m = indptr.size - 1
    if m == 0:
        raise ValueError("sdrs must hold at least one SDR")
    return np.bincount(indices, minlength=n_cells) / m


def _binary_entropy(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    return np.nan_to_num(h, nan=0.0)


def entropy(sdrs, n: int | None = None) -> float:
    r"""Normalised entropy of a batch of SDRs (htm.core's ``ActivationFrequency.entropy``).

    With ``f_c`` the activation frequency of cell ``c`` and ``H(p) = -p log2 p - (1-p)
    log2 (1-p)`` the binary entropy,

    .. math::

        E = \frac{\sum_c H(f_c)}{n\, H(\bar f)},\qquad \bar f = \frac{1}{n}\sum_c f_c,

    1 when every cell is active equally often (the most information the population can
    carry at that sparsity), lower when some cells dominate; 0 when ``H(f̄) = 0``.
    htm.core updates ``f`` as a moving average over time; this is the plain average
    over the batch.
    """
    freq = activation_frequency(sdrs, n)
    max_entropy = float(_binary_entropy(np.array([freq.mean()]))[0]) * freq.size
    if max_entropy == 0.0:
        return 0.0
    return float(_binary_entropy(freq).sum() / max_entropy)
