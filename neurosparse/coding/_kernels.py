"""Numba kernels of the sparse-coding family (pure functions over scalars and arrays).

Penalties are passed as small integer codes (:data:`L1` ... :data:`CEL0`) so that one
compiled kernel serves all of them. Every proximal map is written once, in
:func:`prox_scalar`, and the array kernels call it element by element; the friendly,
validating wrappers live in :mod:`neurosparse.coding.prox` and
:mod:`neurosparse.coding.encode`.

Conventions shared by the kernels
---------------------------------
* ``eta`` is the step of the proximal map: ``prox_scalar(y, eta, lam, ...)`` returns
  ``argmin_x 1/2 (x - y)^2 + eta * lam * psi(x)`` for the separable penalties
  (``l1``, ``l0``, ``l1/2``, ``lq``) and ``argmin_x 1/2 (x - y)^2 + eta * phi(a, lam; x)``
  for CEL0, whose penalty ``phi`` carries ``lam`` inside it. Ties (two global minimisers,
  at the threshold) are resolved towards zero.
* Array kernels take ``eta`` per column (atom), so coordinate descent and the LCA can use
  ``1 / G_jj`` while ISTA/FISTA pass a constant.
* ``norms`` holds the atoms' Euclidean norms ``a_j`` (used by CEL0 only).

Every kernel works on a range of rows ``lo <= i < hi`` and is serial (``cache=True``);
the ``*_par`` drivers (``parallel=True``, not cached: a cached parallel kernel can crash
when the thread count changes) split the rows into blocks and call the serial kernel on
each. Callers use the serial kernel for small arrays, where starting the thread pool
costs more than the work (:func:`neurosparse.coding.encode` decides).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

L1 = 0
L0 = 1
HALF = 2
LQ = 3
CEL0 = 4

_NEWTON_MAX = 60
_NEWTON_EVERY = 32  # active-set sweeps between l1 Newton attempts


@numba.njit(cache=True)
def lq_root(ay: float, tau: float, q: float) -> float:
    """Largest root ``x`` of ``x + tau q x^(q-1) = ay`` (``ay`` above the lq threshold).

    ``f(x) = x + tau q x^(q-1) - ay`` is convex and increasing on ``[beta, inf)`` with
    ``beta = (2 tau (1-q))^(1/(2-q))``, ``f(beta) < 0 < f(ay)``: Newton from ``ay`` decreases
    monotonically to the root without overshooting.
    """
    x = ay
    for _ in range(_NEWTON_MAX):
        xq = tau * q * x ** (q - 1.0)
        f = x + xq - ay
        fp = 1.0 + (q - 1.0) * xq / x
        step = f / fp
        x_new = x - step
        if x_new >= x:  # no more progress at machine precision
            break
        x = x_new
        if step <= 1e-15 * x:
            break
    return x


@numba.njit(cache=True)
def prox_scalar(
    y: float, eta: float, lam: float, code: int, q: float, a: float, positive: bool
) -> float:
    """Proximal map of one value; see the module docstring for the conventions.

    Thresholds (with ``tau = eta * lam``):

    * ``l1``: ``sign(y) max(|y| - tau, 0)``;
    * ``l0``: ``y 1{|y| > sqrt(2 tau)}``;
    * ``l1/2``: zero if ``|y| <= 3/2 tau^(2/3)``, else
      ``2/3 y (1 + cos(2 pi/3 - 2/3 arccos(tau/4 (|y|/3)^(-3/2))))`` (Xu et al. 2012);
    * ``lq``: ``beta = (2 tau (1-q))^(1/(2-q))``; zero if ``|y| <= beta + tau q beta^(q-1)``,
      else ``sign(y) x*`` with ``x*`` the root of ``x + tau q x^(q-1) = |y|`` in
      ``[beta, |y|]``;
    * CEL0 (``gamma = eta``, atom norm ``a``): if ``a^2 gamma < 1``,
      ``sign(y) min(|y|, max(|y| - sqrt(2 lam) a gamma, 0) / (1 - a^2 gamma))``, else
      ``y 1{|y| > sqrt(2 gamma lam)}``.

    With ``positive`` the map is restricted to ``x >= 0``: every penalty here is even and
    nondecreasing in ``|x|``, so this is the map of ``max(y, 0)``.
    """
    if positive and y <= 0.0:
        return 0.0
    ay = abs(y)
    if code == L1:
        v = ay - eta * lam
        if v <= 0.0:
            return 0.0
        return v if y > 0.0 else -v
    if code == L0:
        if ay * ay > 2.0 * eta * lam:
            return y
        return 0.0
    if code == HALF:
        tau = eta * lam
        if tau <= 0.0:
            return y
        if ay <= 1.5 * tau ** (2.0 / 3.0):
            return 0.0
        arg = (tau / 4.0) * (ay / 3.0) ** -1.5
        if arg > 1.0:
            arg = 1.0
        phi = math.acos(arg)
        return (2.0 / 3.0) * y * (1.0 + math.cos(2.0 * math.pi / 3.0 - (2.0 / 3.0) * phi))
    if code == LQ:
        tau = eta * lam
        if tau <= 0.0:
            return y
        beta = (2.0 * tau * (1.0 - q)) ** (1.0 / (2.0 - q))
        if ay <= beta + tau * q * beta ** (q - 1.0):
            return 0.0
        x = lq_root(ay, tau, q)
        return x if y > 0.0 else -x
    # CEL0
    a2g = a * a * eta
    if a2g < 1.0:
        v = (ay - math.sqrt(2.0 * lam) * a * eta) / (1.0 - a2g)
        if v <= 0.0:
            return 0.0
        if v > ay:
            v = ay
        return v if y > 0.0 else -v
    if ay * ay > 2.0 * eta * lam:
        return y
    return 0.0


@numba.njit(cache=True)
def penalty_scalar(r: float, lam: float, code: int, q: float, a: float) -> float:
    """Penalty of one coefficient: ``lam psi(r)``, or ``phi(a, lam; r)`` for CEL0.

    ``phi(a, lam; u) = lam - a^2/2 (|u| - sqrt(2 lam)/a)^2 1{|u| <= sqrt(2 lam)/a}``.
    """
    ar = abs(r)
    if code == L1:
        return lam * ar
    if code == L0:
        return lam if r != 0.0 else 0.0
    if code == HALF:
        return lam * math.sqrt(ar)
    if code == LQ:
        return lam * ar**q if ar > 0.0 else 0.0
    knee = math.sqrt(2.0 * lam) / a
    if ar <= knee:
        d = ar - knee
        return lam - 0.5 * a * a * d * d
    return lam


@numba.njit(cache=True)
def prox_rows(
    Y: np.ndarray,
    eta: np.ndarray,
    lam: float,
    code: int,
    q: float,
    norms: np.ndarray,
    positive: bool,
    out: np.ndarray,
    lo: int,
    hi: int,
) -> None:
    """``out[i, j] = prox_scalar(Y[i, j], eta[j], lam, code, q, norms[j], positive)``
    for rows ``lo <= i < hi``."""
    k = Y.shape[1]
    for i in range(lo, hi):
        for j in range(k):
            out[i, j] = prox_scalar(Y[i, j], eta[j], lam, code, q, norms[j], positive)


@numba.njit(cache=True)
def penalty_rows(
    R: np.ndarray,
    lam: float,
    code: int,
    q: float,
    norms: np.ndarray,
    out: np.ndarray,
    lo: int,
    hi: int,
) -> None:
    """Per-row penalty ``out[i] = sum_j penalty_scalar(R[i, j], ...)`` for ``lo <= i < hi``."""
    k = R.shape[1]
    for i in range(lo, hi):
        s = 0.0
        for j in range(k):
            s += penalty_scalar(R[i, j], lam, code, q, norms[j])
        out[i] = s


@numba.njit(cache=True)
def forward_backward_rows(
    Y: np.ndarray,
    P: np.ndarray,
    C: np.ndarray,
    Z_old: np.ndarray,
    eta: float,
    lam: float,
    code: int,
    q: float,
    norms: np.ndarray,
    positive: bool,
    beta: float,
    Z: np.ndarray,
    Y_new: np.ndarray,
    dz2: np.ndarray,
    lo: int,
    hi: int,
) -> None:
    """One fused ISTA/FISTA update of rows ``lo <= i < hi``, in a single pass over memory.

    With the gradient ``P - C = Y G - X D^T`` of the quadratic at ``Y``:
    ``Z = prox_{eta lam psi}(Y - eta (P - C))`` (prox step), ``dz2[i] = ||Z_i - Z_old_i||^2``
    (for the stopping test) and ``Y_new = Z + beta (Z - Z_old)`` (momentum step; ISTA
    passes ``beta = 0``). ``Y_new`` may alias ``Y`` or ``P``; ``Z`` must not alias
    ``Z_old``.
    """
    k = Y.shape[1]
    for i in range(lo, hi):
        s = 0.0
        for j in range(k):
            z = prox_scalar(
                Y[i, j] - eta * (P[i, j] - C[i, j]), eta, lam, code, q, norms[j], positive
            )
            d = z - Z_old[i, j]
            s += d * d
            Z[i, j] = z
            Y_new[i, j] = z + beta * d
        dz2[i] = s


@numba.njit(cache=True)
def lca_rows(
    U: np.ndarray,
    P: np.ndarray,
    C: np.ndarray,
    A_old: np.ndarray,
    dt: float,
    diag: np.ndarray,
    lam: float,
    code: int,
    q: float,
    norms: np.ndarray,
    positive: bool,
    A: np.ndarray,
    du2: np.ndarray,
    lo: int,
    hi: int,
) -> None:
    """One Euler step of the locally competitive algorithm (Rozell et al. 2008), in place,
    for rows ``lo <= i < hi``.

    Internal state ``U``, outputs ``A_old`` with ``P = A_old G``. With ``d = diag(G)``
    (``d = 1`` for unit-norm atoms, Rozell's setting):
    ``U += dt (C - U - (P - d A_old))`` (leak, drive ``b = C = X D^T`` and lateral
    inhibition ``(G - diag d) A``), then ``A = T(U)`` with the threshold function
    ``T_j(u) = prox_{(lam/d_j) psi}(u / d_j)`` matching the penalty (soft for l1, hard for
    l0, ...). A fixed point is a coordinate-wise minimiser of the objective.
    ``du2[i] = ||U_i(new) - U_i(old)||^2`` (the stopping test watches the state).
    """
    k = U.shape[1]
    for i in range(lo, hi):
        s = 0.0
        for j in range(k):
            du = dt * (C[i, j] - U[i, j] - (P[i, j] - diag[j] * A_old[i, j]))
            u = U[i, j] + du
            U[i, j] = u
            A[i, j] = prox_scalar(u / diag[j], 1.0 / diag[j], lam, code, q, norms[j], positive)
            s += du * du
        du2[i] = s


# Parallel drivers: split the rows into blocks, one serial call per block.


@numba.njit(parallel=True)
def prox_rows_par(Y, eta, lam, code, q, norms, positive, out, n_blocks):
    """:func:`prox_rows` over all rows, ``n_blocks`` blocks in parallel."""
    n = Y.shape[0]
    for b in prange(n_blocks):
        prox_rows(
            Y, eta, lam, code, q, norms, positive, out, b * n // n_blocks, (b + 1) * n // n_blocks
        )


@numba.njit(parallel=True)
def penalty_rows_par(R, lam, code, q, norms, out, n_blocks):
    """:func:`penalty_rows` over all rows, ``n_blocks`` blocks in parallel."""
    n = R.shape[0]
    for b in prange(n_blocks):
        penalty_rows(R, lam, code, q, norms, out, b * n // n_blocks, (b + 1) * n // n_blocks)


@numba.njit(parallel=True)
def forward_backward_par(
    Y, P, C, Z_old, eta, lam, code, q, norms, positive, beta, Z, Y_new, dz2, n_blocks
):
    """:func:`forward_backward_rows` over all rows, ``n_blocks`` blocks in parallel."""
    n = Y.shape[0]
    for b in prange(n_blocks):
        forward_backward_rows(
            Y, P, C, Z_old, eta, lam, code, q, norms, positive, beta, Z, Y_new, dz2,
            b * n // n_blocks, (b + 1) * n // n_blocks,
        )  # fmt: skip


@numba.njit(parallel=True)
def lca_par(U, P, C, A_old, dt, diag, lam, code, q, norms, positive, A, du2, n_blocks):
    """:func:`lca_rows` over all rows, ``n_blocks`` blocks in parallel."""
    n = U.shape[0]
    for b in prange(n_blocks):
        lca_rows(
            U, P, C, A_old, dt, diag, lam, code, q, norms, positive, A, du2,
            b * n // n_blocks, (b + 1) * n // n_blocks,
        )  # fmt: skip


@numba.njit(cache=True)
def cholesky_solve(A: np.ndarray, b: np.ndarray, L: np.ndarray, x: np.ndarray) -> bool:
    """Solve ``A x = b`` for symmetric positive definite ``A`` (n x n) by Cholesky.

    ``L`` is scratch space (n x n). Returns False, leaving ``x`` undefined, when a pivot
    is not safely positive (``A`` singular or indefinite to working precision).
    """
    n = A.shape[0]
    for j in range(n):
        s = A[j, j]
        for m in range(j):
            s -= L[j, m] * L[j, m]
        if s <= 1e-10 * A[j, j]:
            return False
        ljj = math.sqrt(s)
        L[j, j] = ljj
        for i in range(j + 1, n):
            t = A[i, j]
            for m in range(j):
                t -= L[i, m] * L[j, m]
            L[i, j] = t / ljj
    for i in range(n):  # L y = b
        t = b[i]
        for m in range(i):
            t -= L[i, m] * x[m]
        x[i] = t / L[i, i]
    for i in range(n - 1, -1, -1):  # L^T x = y
        t = x[i]
        for m in range(i + 1, n):
            t -= L[m, i] * x[m]
        x[i] = t / L[i, i]
    return True


@numba.njit(cache=True)
def _newton_l1(
    GA: np.ndarray, c: np.ndarray, r: np.ndarray, active: np.ndarray, n_active: int, lam: float
) -> bool:
    """Active-set Newton step for l1; returns True if the codes moved.

    ``x = G_AA^{-1} (c_A - lam s)`` minimises the objective on the face of the current
    sign pattern ``s``. If its signs agree with ``s`` the codes jump to ``x``; otherwise
    they move along ``x - r_A`` up to the first sign change, where that atom is set to
    zero (the objective is convex on the face and decreases along the segment).
    """
    # the atoms of the active set that are still nonzero
    sub = np.empty(n_active, dtype=np.int64)
    m = 0
    for a_i in range(n_active):
        if r[active[a_i]] != 0.0:
            sub[m] = a_i
            m += 1
    if m == 0:
        return False
    H = np.empty((m, m))
    b = np.empty(m)
    for u in range(m):
        j = active[sub[u]]
        b[u] = c[j] - lam * (1.0 if r[j] > 0.0 else -1.0)
        for v in range(m):
            H[u, v] = GA[sub[u], sub[v]]
    x = np.empty(m)
    L = np.empty((m, m))
    if not cholesky_solve(H, b, L, x):
        return False
    t = 1.0
    first = -1
    for u in range(m):
        rj = r[active[sub[u]]]
        if x[u] * rj <= 0.0:
            t_u = rj / (rj - x[u])
            if t_u < t:
                t = t_u
                first = u
    for u in range(m):
        j = active[sub[u]]
        r[j] += t * (x[u] - r[j])
    if first >= 0:
        r[active[sub[first]]] = 0.0
    return True


@numba.njit(cache=True)
def _cd_one(
    c: np.ndarray,
    G: np.ndarray,
    r: np.ndarray,
    eta: np.ndarray,
    norms: np.ndarray,
    lam: float,
    code: int,
    q: float,
    positive: bool,
    max_sweeps: int,
    tol: float,
    offset: float,
    g: np.ndarray,
    active: np.ndarray,
) -> tuple[int, bool]:
    """Coordinate descent for one sample, in place on ``r``; returns (sweeps, converged).

    Minimises ``1/2 r G r^T - c r + sum_j pen_j(r_j)`` (the objective up to a constant)
    by exact coordinate minimisation: ``r_j <- prox_{pen / G_jj}(r_j + g_j / G_jj)`` with
    ``g = c - G r`` kept up to date. Active-set strategy: a full sweep over all atoms,
    then sweeps over the nonzero atoms only, with the gradient restricted to them (the
    Gram block gathered once), until they settle, then a full sweep again. It stops
    after a full sweep with ``||r_new - r_old|| <= tol (offset + ||r_old||)``.

    For ``l1`` the active-set phase tries a Newton step every few sweeps and at its end
    (:func:`_newton_l1`): the exact minimiser on the current sign pattern, or the move
    towards it up to the first sign change; the next full sweep checks the optimality
    of the other atoms. Once the active set and signs are right this lands on the
    solution to rounding error.
    """
    k = c.shape[0]
    for j in range(k):
        g[j] = c[j]
    for j in range(k):
        rj = r[j]
        if rj != 0.0:
            for m in range(k):
                g[m] -= rj * G[j, m]
    sweeps = 0
    while sweeps < max_sweeps:
        # full sweep over every atom
        dr2 = 0.0
        r2_old = 0.0
        n_active = 0
        for j in range(k):
            old = r[j]
            r2_old += old * old
            new = prox_scalar(old + g[j] * eta[j], eta[j], lam, code, q, norms[j], positive)
            if new != old:
                delta = new - old
                r[j] = new
                for m in range(k):
                    g[m] -= delta * G[j, m]
                dr2 += delta * delta
            if new != 0.0:
                active[n_active] = j
                n_active += 1
        sweeps += 1
        if math.sqrt(dr2) <= tol * (offset + math.sqrt(r2_old)):
            return sweeps, True
        if n_active == 0:
            continue
        # sweeps restricted to the active set
        GA = np.empty((n_active, n_active))
        gA = np.empty(n_active)
        rA0 = np.empty(n_active)
        for a_i in range(n_active):
            ja = active[a_i]
            gA[a_i] = g[ja]
            rA0[a_i] = r[ja]
            for b_i in range(n_active):
                GA[a_i, b_i] = G[ja, active[b_i]]
        inner = 0
        newton = False
        while sweeps < max_sweeps:
            dr2 = 0.0
            r2_old = 0.0
            for a_i in range(n_active):
                j = active[a_i]
                old = r[j]
                r2_old += old * old
                new = prox_scalar(old + gA[a_i] * eta[j], eta[j], lam, code, q, norms[j], positive)
                if new != old:
                    delta = new - old
                    r[j] = new
                    for b_i in range(n_active):
                        gA[b_i] -= delta * GA[a_i, b_i]
                    dr2 += delta * delta
            sweeps += 1
            inner += 1
            if math.sqrt(dr2) <= tol * (offset + math.sqrt(r2_old)):
                break
            if code == L1 and inner % _NEWTON_EVERY == 0:
                newton = _newton_l1(GA, c, r, active, n_active, lam)
                if newton:
                    break
        if code == L1 and not newton:
            _newton_l1(GA, c, r, active, n_active, lam)
        # bring the full gradient up to date with the active atoms' changes
        for a_i in range(n_active):
            ja = active[a_i]
            delta = r[ja] - rA0[a_i]
            if delta != 0.0:
                for m in range(k):
                    g[m] -= delta * G[ja, m]
    return sweeps, False


@numba.njit(cache=True)
def cd_rows(
    C: np.ndarray,
    G: np.ndarray,
    R: np.ndarray,
    eta: np.ndarray,
    norms: np.ndarray,
    lam: float,
    code: int,
    q: float,
    positive: bool,
    max_sweeps: int,
    tol: float,
    offset: float,
    n_iter: np.ndarray,
    converged: np.ndarray,
    lo: int,
    hi: int,
) -> None:
    """Coordinate descent (:func:`_cd_one`) for rows ``lo <= i < hi`` of ``C = X D^T``.

    ``R`` holds the initial codes and is overwritten with the result. Each sample is
    solved independently, so the result does not depend on the number of threads.
    """
    k = C.shape[1]
    g = np.empty(k)
    active = np.empty(k, dtype=np.int64)
    for i in range(lo, hi):
        sweeps, ok = _cd_one(
            C[i], G, R[i], eta, norms, lam, code, q, positive, max_sweeps, tol, offset, g, active
        )
        n_iter[i] = sweeps
        converged[i] = ok


@numba.njit(parallel=True)
def cd_par(C, G, R, eta, norms, lam, code, q, positive, max_sweeps, tol, offset, n_iter, converged):
    """:func:`cd_rows` with one sample per parallel task (samples differ in cost)."""
    n = C.shape[0]
    for i in prange(n):
        cd_rows(
            C, G, R, eta, norms, lam, code, q, positive, max_sweeps, tol, offset, n_iter,
            converged, i, i + 1,
        )  # fmt: skip
