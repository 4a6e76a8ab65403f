"""Numba kernels of delta inference (pure functions over arrays; docs/ARCHITECTURE.md,
"Numba kernels")."""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from neurosparse._jit import parallel_twin


@numba.njit(cache=True)
def delta_linear(
    delta: np.ndarray, weight_t: np.ndarray, bias: np.ndarray, skip_zeros: bool
) -> tuple[np.ndarray, np.ndarray]:
    r"""A linear layer run on input changes, sequence by sequence.

    For each sequence ``b``: :math:`z_{-1} = \text{bias}`, :math:`z_t = z_{t-1} +
    W \Delta_t`, accumulated in float64 one input column at a time, skipping the zero
    changes (``skip_zeros``; without it, the same loop over every column: the dense
    engine the event-driven one is measured against).

    Parameters
    ----------
    delta : float32, (batch, time, n_in)
    weight_t : float32, (n_in, n_out) -- the weight transposed, so a column is contiguous
    bias : float64, (n_out,)
    skip_zeros : bool

    Returns
    -------
    z : float64, (batch, time, n_out)
    macs : int64, (batch,) -- multiply-accumulates done per sequence
    """
    n_batch, n_time, n_in = delta.shape
    n_out = weight_t.shape[1]
    z_out = np.empty((n_batch, n_time, n_out), dtype=np.float64)
    macs = np.zeros(n_batch, dtype=np.int64)
    for b in prange(n_batch):
        z = bias.copy()
        done = 0
        for t in range(n_time):
            for j in range(n_in):
                d = np.float64(delta[b, t, j])
                if skip_zeros and d == 0.0:
                    continue
                done += n_out
                for k in range(n_out):
                    z[k] += d * weight_t[j, k]
            z_out[b, t, :] = z
        macs[b] = done
    return z_out, macs


delta_linear_par = parallel_twin(delta_linear)
