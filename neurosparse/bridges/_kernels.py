"""Numba kernels of the bridges: the CPU product of a sparse layer.

``docs/ARCHITECTURE.md``, "Numba kernels": one pure function whose outer loop over
blocks of rows is a ``prange``, compiled serially (cached) and as its parallel twin.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from neurosparse._jit import parallel_twin


@numba.njit(cache=True)
def csr_blocked_product(
    block_ptr: np.ndarray,
    col: np.ndarray,
    val: np.ndarray,
    xt: np.ndarray,
    yt: np.ndarray,
    n_blocks: int,
) -> None:
    """``yt += W xt`` for a sparse ``W`` stored by column block, then row.

    ``block_ptr[c, j] : block_ptr[c, j + 1]`` are the synapses of row ``j`` whose
    column lies in column block ``c`` (their ``col``, ``val``); ``xt`` is ``(n_in, m)``
    and ``yt`` ``(n_out, m)``, both C-contiguous. Column block by column block, so the
    rows of ``xt`` one block reads stay in cache while every output row uses them; the
    output rows are split into ``n_blocks`` blocks (the parallel unit). Each output
    entry sums its synapses in one fixed order (column block, then column, four at a
    time), whatever ``n_blocks``: the same bits serially and in parallel. (No
    ``fastmath``: contracting to fused multiply-adds is the optimiser's choice, and it
    chose differently for the serial and the parallel build.)
    """
    n_cb = block_ptr.shape[0]
    n_out = block_ptr.shape[1] - 1
    m = xt.shape[1]
    for c in range(n_cb):
        for b in prange(n_blocks):
            lo = b * n_out // n_blocks
            hi = (b + 1) * n_out // n_blocks
            for j in range(lo, hi):
                yr = yt[j]
                k = block_ptr[c, j]
                end = block_ptr[c, j + 1]
                while k + 4 <= end:  # four synapses per pass over the row
                    w0, w1, w2, w3 = val[k], val[k + 1], val[k + 2], val[k + 3]
                    x0, x1, x2, x3 = xt[col[k]], xt[col[k + 1]], xt[col[k + 2]], xt[col[k + 3]]
                    for t in range(m):
                        yr[t] += (w0 * x0[t] + w1 * x1[t]) + (w2 * x2[t] + w3 * x3[t])
                    k += 4
                while k < end:
                    w = val[k]
                    xr = xt[col[k]]
                    for t in range(m):
                        yr[t] += w * xr[t]
                    k += 1


csr_blocked_product_par = parallel_twin(csr_blocked_product)
