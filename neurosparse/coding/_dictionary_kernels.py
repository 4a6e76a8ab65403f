"""Numba kernel of the dictionary learner: batched ISTA with the authors' stopping rule.

A pure function over arrays and scalars; the proximal maps are the family's single
implementation, :func:`neurosparse.coding._kernels.prox_scalar`. The same Python
function is compiled twice: :func:`ista_gram_batch` (serial, ``cache=True``) and
:func:`ista_gram_batch_parallel` (``parallel=True``, one sample per thread, no cache,
per the family's compile-cache policy). Both give bit-identical results: every sample
is computed by the same sequence of operations, and the stopping test sums per-sample
numbers in a fixed order.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from neurosparse.coding._kernels import CEL0, HALF, L0, L1, prox_scalar

_SAFE = 1.0 - 1e-12  # keep the shortcut strictly inside prox_scalar's own zero region


@numba.njit(cache=True)
def zero_threshold(eta, lam, code, q, a):
    """Largest ``|y|`` that :func:`prox_scalar` maps to zero (up to rounding).

    ``l1``: ``eta lam``; ``l0``: ``sqrt(2 eta lam)``; ``l1/2``: ``3/2 (eta lam)^(2/3)``;
    ``lq``: ``beta + eta lam q beta^(q-1)``; CEL0: ``sqrt(2 lam) a eta`` when
    ``a^2 eta < 1``, else ``sqrt(2 eta lam)``. The batched solver skips the proximal
    map below ``_SAFE`` times this value (the result is 0 either way).
    """
    tau = eta * lam
    if code == L1:
        return tau
    if code == L0:
        return math.sqrt(2.0 * tau)
    if code == HALF:
        return 1.5 * tau ** (2.0 / 3.0)
    if code == CEL0:
        if a * a * eta < 1.0:
            return math.sqrt(2.0 * lam) * a * eta
        return math.sqrt(2.0 * tau)
    if tau <= 0.0:
        return 0.0
    beta = (2.0 * tau * (1.0 - q)) ** (1.0 / (2.0 - q))
    return beta + tau * q * beta ** (q - 1.0)


def _ista_gram_batch(B, G, R0, eta, lam, code, q, norms, positive, max_iter, tol):
    """Batched ISTA in Gram form with Rentzeperis et al.'s relative-change stopping rule.

    For every row ``b_s = x_s D^T`` of ``B`` (``G = D D^T``) iterate, from ``R0``,

        r <- prox_{eta lam psi}(r + eta b_s - sum_{m active} (eta r_m) G_m),

    summing ``r G`` over the active atoms only (a sparse code costs
    ``O(active * n_atoms)`` per sample and step). Stop when, over the whole batch,
    ``||R_t - R_{t-1}||_F / (tol + ||R_{t-1}||_F) < tol``, or after ``max_iter`` steps.

    Returns ``(R, n_iter)``.
    """
    n, k = B.shape
    thr = np.empty(k)
    for j in range(k):
        thr[j] = _SAFE * zero_threshold(eta, lam, code, q, norms[j])
    R = R0.copy()
    Rn = np.empty_like(R)
    act = np.empty((n, k), dtype=np.int64)
    nact = np.zeros(n, dtype=np.int64)
    for s in range(n):
        c = 0
        for j in range(k):
            if R[s, j] != 0.0:
                act[s, c] = j
                c += 1
        nact[s] = c
    diff = np.zeros(n)
    prev = np.zeros(n)
    n_iter = 0
    for it in range(max_iter):
        for s in numba.prange(n):
            row = Rn[s]
            for j in range(k):
                row[j] = R[s, j] + eta * B[s, j]
            for m in range(nact[s]):
                j = act[s, m]
                erj = eta * R[s, j]
                for l in range(k):
                    row[l] -= erj * G[j, l]
            d = 0.0
            p = 0.0
            c = 0
            for j in range(k):
                old = R[s, j]
                y = row[j]
                if abs(y) <= thr[j] or (positive and y <= 0.0):
                    row[j] = 0.0
                    if old != 0.0:
                        d += old * old
                        p += old * old
                    continue
                v = prox_scalar(y, eta, lam, code, q, norms[j], positive)
                row[j] = v
                d += (v - old) * (v - old)
                p += old * old
                if v != 0.0:
                    act[s, c] = j
                    c += 1
            nact[s] = c
            diff[s] = d
            prev[s] = p
        R, Rn = Rn, R
        n_iter = it + 1
        d_tot = 0.0
        p_tot = 0.0
        for s in range(n):
            d_tot += diff[s]
            p_tot += prev[s]
        if math.sqrt(d_tot) / (tol + math.sqrt(p_tot)) < tol:
            break
    return R, n_iter


ista_gram_batch = numba.njit(cache=True)(_ista_gram_batch)
ista_gram_batch_parallel = numba.njit(parallel=True)(_ista_gram_batch)
