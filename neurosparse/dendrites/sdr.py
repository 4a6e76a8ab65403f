"""Sparse distributed representations (SDRs): NumPy-native tools, Numba-fast.

What users of htm.core's ``SDR`` class expect, as plain functions over arrays:

* **dense view**: a boolean array ``(..., n)``; a batch is ``(m, n)``. Only ``bool``
  arrays are dense: a 0/1 integer or uint8 array is not.
* **index view**: the indices of the active cells, each at most once (rows are sorted
  where they are not); a batch of SDRs with equal counts is an int array ``(m, a)``
  (what :func:`random_sdr` returns), and any batch is a list of 1-D index arrays.

Every function accepts either view; an integer array is read as indices, and one that
repeats an index in a row (as a dense 0/1 integer array does) is refused with a message
saying how to pass it. Where the answer depends on the number of cells ``n``
(:func:`sparsity`, :func:`activation_frequency`, :func:`entropy`, :func:`add_noise`,
:func:`union`, :func:`intersection`), index views need ``n``; dense views compared with
each other must have the same ``n``. :func:`to_dense` and :func:`to_indices` convert.

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


_HOW = (
    "pass a dense SDR as a bool array (x.astype(bool)) and an index SDR as integer "
    "indices of distinct active cells"
)


def _to_csr(x, n: int | None, name: str, *, need_n: bool = False):
    """Any SDR batch view -> (indptr, indices, n, single).

    The rule (module docstring): a bool array is a dense view; an integer array (1-D:
    one SDR, 2-D: a batch of equal counts) or a list of 1-D integer arrays is an index
    view, each row a set of distinct cells (sorted here if it is not). Anything else is
    refused, and so is an index row with a repeated cell -- a dense 0/1 integer array
    lands here, and is told how to pass itself. ``need_n``: an index view must come with
    ``n`` (the caller's answer depends on it).
    """
    dense = False
    if _is_batch_of_indices(x) and not (len(x) and np.asarray(x[0]).dtype == bool):
        rows = [np.asarray(r) for r in x]
        for r in rows:
            if r.size and (r.dtype.kind not in "iu" or r.dtype == bool):
                raise TypeError(f"{name} must hold integer indices or booleans, got {r.dtype}")
        lengths = np.array([r.size for r in rows], dtype=np.int64)
        indices = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, dtype=np.int64)
        single = False
    else:
        arr = np.asarray(x)
        if arr.ndim not in (1, 2):
            raise ValueError(f"{name} must be 1-D or 2-D, got shape {arr.shape}")
        if arr.dtype == bool:
            if arr.shape[-1] == 0:
                raise ValueError(f"{name} has 0 cells: an SDR needs at least one cell")
            dense = True
            single = arr.ndim == 1
            arr2 = arr.reshape(-1, arr.shape[-1])
            if n is not None and arr2.shape[1] != n:
                raise ValueError(f"{name} has {arr2.shape[1]} cells, but n={n}")
            n = arr2.shape[1]
            rows_idx, cols = np.nonzero(arr2)
            lengths = np.bincount(rows_idx, minlength=arr2.shape[0]).astype(np.int64)
            indices = cols.astype(np.int64)
        elif arr.dtype.kind in "iu" or arr.size == 0:
            single = arr.ndim == 1
            arr2 = arr.reshape(-1, arr.shape[-1]) if arr.size or arr.ndim == 2 else arr[None]
            lengths = np.full(arr2.shape[0], arr2.shape[1] if arr2.ndim == 2 else 0, np.int64)
            indices = arr2.astype(np.int64).ravel()
        else:
            raise TypeError(
                f"{name} must be a bool (dense) or int (indices) array, got dtype {arr.dtype}; "
                + _HOW
            )
    if n is None:
        if need_n:
            raise ValueError(f"n is required with index SDRs ({name}): the cell count "
                             "cannot be read from the indices")  # fmt: skip
        n = int(indices.max()) + 1 if indices.size else 1
    else:
        n = check_int("n", n, low=1)
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        raise ValueError(
            f"{name} indices must lie in [0, {n}), got [{indices.min()}, {indices.max()}]"
        )
    if lengths.size == 0:  # (one SDR with no active cell is fine; no SDR at all is not)
        raise ValueError(f"{name} is an empty batch (no SDR): give at least one SDR")
    indptr = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    if not dense and indices.size:
        indices = _sorted_distinct_rows(indptr, indices, name)
    return indptr, indices, n, single


def _sorted_distinct_rows(indptr: np.ndarray, indices: np.ndarray, name: str) -> np.ndarray:
    """Index rows sorted (a copy if any was not); a repeated cell is refused."""
    rows = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    same_row = rows[1:] == rows[:-1]
    if not np.any(same_row & (np.diff(indices) <= 0)):
        return indices  # sorted and distinct already (the common case: no copy)
    out = indices[np.lexsort((indices, rows))]
    repeated = (np.diff(out) == 0) & same_row
    if np.any(repeated):
        row = int(rows[1:][repeated][0])
        raise ValueError(
            f"{name} row {row} repeats an index, so it is not an index SDR (a dense 0/1 "
            f"integer array looks like this); {_HOW}"
        )
    return out


def _cells(node_n: list[int], names: tuple[str, str]) -> None:
    if node_n[0] != node_n[1]:
        raise ValueError(
            f"{names[0]} has {node_n[0]} cells and {names[1]} {node_n[1]}: SDRs compared "
            "must have the same number of cells"
        )


def to_dense(sdr, n: int | None = None) -> np.ndarray:
    """Dense boolean view of an SDR or a batch of SDRs.

    Parameters
    ----------
    sdr : SDR or batch, any view (see the module docstring)
    n : int, optional
        Cells; required for index views (it cannot be read from the indices).

    Returns
    -------
    ndarray of bool, shape ``(n,)`` for one SDR or ``(m, n)`` for a batch
        ``out[..., c]`` is True where cell ``c`` is active (a copy for a dense input).

    Examples
    --------
    >>> to_dense(np.array([0, 2]), 4)
    array([ True, False,  True, False])
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
        Cells; read from a dense view, else inferred from the largest index (the
        overlaps do not depend on it). Dense views of different cell counts are refused.
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
    if n is None and _is_dense(x) and _is_dense(y):
        _cells([nx, ny], ("x", "y"))
    n_cells = max(nx, ny)
    cell_ptr, rows = _kernels.postings(yp, yi, n_cells)
    out = np.empty((xp.size - 1, yp.size - 1), dtype=dtype)
    _kernels.overlap_all_pairs_par(xp, xi, cell_ptr, rows, out)
    if x_single:
        out = out[0]
    if y_single:
        out = out[..., 0]
    return out


def _is_dense(sdr) -> bool:
    return not _is_batch_of_indices(sdr) and np.asarray(sdr).dtype == bool


def _combine(sdrs, n, op):
    if not sdrs:
        raise ValueError("give at least one SDR")
    if any(not _is_dense(s) for s in sdrs) and n is None:
        raise ValueError("n is required to combine index SDRs")
    dense = [to_dense(s, n) for s in sdrs]
    if any(d.size == 0 for d in dense):
        raise ValueError("sdrs holds an empty batch (no SDR) or 0 cells: give at least one SDR")
    if len(dense) == 1:  # one batch: combine its rows
        if dense[0].ndim != 2:
            raise ValueError("give two or more SDRs, or one batch (2-D) to combine its rows")
        result = op.reduce(dense[0], axis=0)
    else:
        shapes = {d.shape for d in dense}
        if len(shapes) != 1:
            raise ValueError(f"SDRs must have the same shape, got {sorted(shapes)}")
        result = op.reduce(np.stack(dense), axis=0)
    return result if _is_dense(sdrs[0]) else to_indices(result)


def union(*sdrs, n: int | None = None):
    r"""Cells active in any of the SDRs.

    .. math:: (x \cup y)_c = x_c \lor y_c

    Parameters
    ----------
    *sdrs : SDRs or batches of one shape, or a single batch
        Two or more SDRs (or batches, combined row by row), or one batch ``(m, n)``,
        whose ``m`` rows are combined into one SDR (the union of a batch, as for the
        union segments of Ahmad & Hawkins 2016, Fig 7).
    n : int, optional
        Cells; required for index views.

    Returns
    -------
    ndarray or list
        In the view of the first argument (dense bool, or sorted indices).

    Examples
    --------
    >>> union(np.array([0, 3]), np.array([3, 5]), n=8)
    array([0, 3, 5])
    >>> union(np.array([[0, 3], [3, 5]]), n=8)
    array([0, 3, 5])
    """
    return _combine(sdrs, n, np.logical_or)


def intersection(*sdrs, n: int | None = None):
    r"""Cells active in all of the SDRs.

    .. math:: (x \cap y)_c = x_c \land y_c

    Parameters and return value as :func:`union` (one batch: the cells active in every
    row).

    Examples
    --------
    >>> intersection(np.array([0, 3]), np.array([3, 5]), n=8)
    array([3])
    """
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
    r"""Fraction of active cells, per SDR.

    .. math:: s(x) = \frac{|x|}{n}

    Parameters
    ----------
    sdr : SDR or batch (any view)
    n : int, optional
        Cells; read from a dense view, required for an index view.

    Returns
    -------
    float or ndarray of shape (m,)
        A float for a single SDR, one value per row for a batch; in ``[0, 1]``.

    Examples
    --------
    >>> sparsity(np.array([1, 2, 3]), n=100)
    0.03
    """
    indptr, _, n_cells, single = _to_csr(sdr, n, "sdr", need_n=True)
    out = np.diff(indptr) / n_cells
    return float(out[0]) if single else out


def activation_frequency(sdrs, n: int | None = None) -> np.ndarray:
    """Per cell, the fraction of the SDRs of a batch in which it is active, shape ``(n,)``."""
    indptr, indices, n_cells, _ = _to_csr(sdrs, n, "sdrs", need_n=True)
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
