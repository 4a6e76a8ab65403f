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
* The array kernels take the penalty as one record, :class:`Penalty` (code, ``q``,
  ``lam``, the atoms' norms ``a_j`` (CEL0), ``positive``, and for the ISTA/FISTA passes
  the zero thresholds at their step and the nonzero-branch table), and the stopping
  rule as another, :class:`Stop` (``max_iter``, ``tol``, ``offset``);
  :func:`neurosparse.coding.prox._penalty_record` builds the first.
* One zero threshold per penalty, :func:`zero_threshold` (0 where ``eta lam = 0``).

One ISTA engine
---------------
Every ISTA/FISTA iteration in the family goes through one row step: a forward
(gradient) point, then :func:`_fb_row` (the proximal map with the zero-threshold
shortcut, the momentum point and the stopping test's norms). Its drivers:
:func:`forward_backward_rows` / :func:`forward_backward_sparse_rows` /
:func:`forward_backward_dense` (one iteration of a block, for the solver loop of
:mod:`neurosparse.coding.encode`), :func:`ista_sparse_rows` (every sample to its own
stopping rule) and :func:`ista_batch` (all samples under the batch rule: the dictionary
learner's encoder). Two stopping rules, each written once: per sample,
:func:`sample_converged`; over the batch, :func:`batch_converged` (Frobenius norm).

Serial and parallel kernels
---------------------------
One convention for the whole package (``docs/ARCHITECTURE.md``, "Numba kernels"): a
kernel over rows is one pure function whose outer loop is ``for b in prange(n_blocks)``
over blocks of rows (:func:`_block`; scratch allocated per block). It is compiled
serially with ``cache=True`` (``prange`` is then ``range``; call it with
``n_blocks=1``) and, for its parallel version ``<name>_par``, compiled once more with
``parallel=True`` (:func:`neurosparse._jit.parallel_twin`, cached under its own name).
Both give the same bits: every row is computed by the
same operations whatever the blocks. Callers use the serial kernel for small arrays,
where starting the thread pool costs more than the work
(:func:`neurosparse.coding.prox._run_rows`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np
from llvmlite import ir
from numba import prange
from numba.core import types
from numba.extending import intrinsic

from neurosparse._jit import parallel_twin

L1 = 0
L0 = 1
HALF = 2
LQ = 3
CEL0 = 4

_NEWTON_MAX = 60
#: ``zero_threshold(...) * _THR_ABOVE`` lies above the exact zero threshold (which
#: :func:`zero_threshold` undercuts by a relative 1e-12): beyond it the map is nonzero.
_THR_ABOVE = 1.0 + 4e-12
_NEWTON_EVERY = 32  # active-set sweeps between l1 Newton attempts


class Penalty(NamedTuple):
    """The penalty, as the array kernels take it (a Numba named tuple).

    ``code`` (:data:`L1` ... :data:`CEL0`), ``q`` (``lq``; 0 otherwise), ``lam``,
    ``norms`` (the atoms' norms ``a_j``, per column: used by CEL0), ``positive``
    (nonnegative codes); for the ISTA/FISTA passes also ``thr`` (:func:`zero_threshold`
    per column at the pass's step) and ``tab`` (the :func:`branch_root` table, or one
    entry: the exact map). Kernels that do not use ``thr`` / ``tab`` take one-entry
    placeholders there.
    """

    code: int
    q: float
    lam: float
    norms: np.ndarray
    positive: bool
    thr: np.ndarray
    tab: np.ndarray


class Stop(NamedTuple):
    """A stopping rule: at most ``max_iter`` iterations (sweeps for CD), and the test of
    :func:`sample_converged` (per sample) or :func:`batch_converged` (over the batch)
    with ``tol`` and ``offset``."""

    max_iter: int
    tol: float
    offset: float


@numba.njit(inline="always")
def _block(b: int, n: int, n_blocks: int) -> tuple[int, int]:
    """Rows ``lo <= i < hi`` of block ``b`` of ``n_blocks`` over ``n`` rows."""
    return b * n // n_blocks, (b + 1) * n // n_blocks


@numba.njit(inline="always")
def sample_converged(d2: float, p2: float, tol: float, offset: float) -> bool:
    """The per-sample stopping rule ``||r_t - r_{t-1}|| <= tol (offset + ||r_{t-1}||)``
    from the squared norms ``d2`` (change) and ``p2`` (previous iterate). (The solver
    loop of :mod:`neurosparse.coding.encode` applies the same expression to arrays.)"""
    return math.sqrt(d2) <= tol * (offset + math.sqrt(p2))


@numba.njit(cache=True)
def batch_converged(d2: np.ndarray, p2: np.ndarray, tol: float, offset: float) -> bool:
    """The batch stopping rule of Rentzeperis et al. (``stop="authors-batch"``, the
    dictionary learner): ``||R_t - R_{t-1}||_F / (offset + ||R_{t-1}||_F) < tol``, from
    the per-sample squared norms ``d2`` (change) and ``p2`` (previous iterate), summed
    in sample order. The Frobenius norm of the batch: the authors' code takes
    ``numpy.linalg.norm(., ord=2)`` of the matrix, its spectral norm (an SVD per step)."""
    d = 0.0
    p = 0.0
    for s in range(d2.shape[0]):
        d += d2[s]
        p += p2[s]
    return math.sqrt(d) / (offset + math.sqrt(p)) < tol


@numba.njit(cache=True)
def lq_root(ay: float, tau: float, q: float) -> float:
    """Largest root ``x`` of ``x + tau q x^(q-1) = ay`` (``ay`` above the lq threshold).

    ``f(x) = x + tau q x^(q-1) - ay`` is convex and increasing on ``[beta, inf)`` with
    ``beta = (2 tau (1-q))^(1/(2-q))``, ``f(beta) < 0 < f(ay)``: Newton from ``ay`` decreases
    monotonically to the root without overshooting.
    """
    return _lq_newton(ay, tau, q, ay)


@numba.njit(cache=True)
def _lq_newton(ay: float, tau: float, q: float, x: float) -> float:
    """Newton for ``x + tau q x^(q-1) = ay`` from ``x`` at or right of the root."""
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
def half_prox(y: float, tau: float) -> float:
    """Nonzero branch of the ``l1/2`` map (Xu et al. 2012's closed form), for ``|y|``
    above ``3/2 tau^(2/3)``:
    ``2/3 y (1 + cos(2 pi/3 - 2/3 arccos(tau/4 (|y|/3)^(-3/2))))``."""
    ay = abs(y)
    arg = (tau / 4.0) * (ay / 3.0) ** -1.5
    if arg > 1.0:
        arg = 1.0
    phi = math.acos(arg)
    return (2.0 / 3.0) * y * (1.0 + math.cos(2.0 * math.pi / 3.0 - (2.0 / 3.0) * phi))


@intrinsic
def _bits(typingctx, x):
    """The IEEE-754 bits of a float64, as an int64 (an LLVM bitcast: vectorises)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, x):
    """The float64 with the given IEEE-754 bits (inverse of :func:`_bits`)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


#: Degree of the piecewise polynomials of the ``lq`` table of :func:`branch_root`.
BRANCH_DEG = 6
#: Degree of the one polynomial of the ``l1/2`` table (one segment: no table lookup per
#: root, so the loop of :func:`branch_roots` vectorises).
HALF_DEG = 12
#: Header of a :func:`branch_root` table: ``l1/2``: fold constant ``kappa_c``, coordinate
#: at the zero threshold, ``1 / h``, 1; ``lq``: ``q``, :data:`LQ_E_MIN`,
#: :data:`LQ_E_MAX`, number of segments.
BRANCH_HEAD = 4
#: The ``lq`` table covers ``x = |v| / t - 1`` (``t`` the zero threshold) in the octaves
#: ``2^e <= x < 2^(e+1)``, ``LQ_E_MIN <= e < LQ_E_MAX``, each cut into ``2^LQ_SUB_BITS``
#: equal segments: segment and position come from the bits of ``x`` (no logarithm), and
#: the segments get finer towards the threshold, where the branch bends most. Outside,
#: ``x`` is clamped: below ``2^-40`` the kernels never ask (they take the nonzero branch
#: only from ``4e-12`` above the threshold), above ``2^50`` ``eps < 2^-55``.
LQ_E_MIN = -40
LQ_E_MAX = 50
LQ_SUB_BITS = 5
_LQ_X_LO = 2.0**LQ_E_MIN
_LQ_X_HI = 2.0**LQ_E_MAX * (1.0 - 2.0**-52)
_ONE_BITS = 1023 << 52
_MANTISSA = (1 << 52) - 1
_SUB_MASK = (1 << (52 - LQ_SUB_BITS)) - 1


@numba.njit(inline="always")
def _lq_position(ay: float, inv_t: float) -> tuple[int, float]:
    """Start of the coefficients of the ``lq`` table segment holding ``x = ay / t - 1``
    (``inv_t = 1 / t``), and ``u`` in ``[-1, 1]`` across the segment: the segment is the
    octave of ``x`` (its exponent bits) and the top :data:`LQ_SUB_BITS` bits of its
    mantissa; ``u`` comes from the remaining mantissa bits, exactly. Integer and bit
    operations only, so a loop over roots vectorises."""
    x = min(max(ay * inv_t - 1.0, _LQ_X_LO), _LQ_X_HI)
    b = _bits(x)
    mant = b & _MANTISSA
    i = (((b >> 52) - 1023 - LQ_E_MIN) << LQ_SUB_BITS) + (mant >> (52 - LQ_SUB_BITS))
    u = 2.0 * _from_bits(_ONE_BITS | ((mant & _SUB_MASK) << LQ_SUB_BITS)) - 3.0
    return BRANCH_HEAD + i * (BRANCH_DEG + 1), u


# not inline="always": inlined in Numba's IR, the Horner loop is not unrolled before LLVM
# vectorises the caller's loop (several times slower per root); LLVM inlines it
@numba.njit(error_model="numpy")
def _half_value(
    ay: float, tau: float, kappa_c: float, lo: float, inv_h: float, tab: np.ndarray
) -> float:
    """``l1/2`` root from its one-segment table: ``ay (1 - eps)`` with ``1 - eps`` the
    polynomial of degree :data:`HALF_DEG` in ``u = 2 w - 1``, ``w = (s - lo) inv_h`` the
    position of ``s = sqrt(kappa_c - kappa)``, ``kappa = tau / (2 ay^(3/2))``, in
    ``[0, 1]`` (clamped). The coefficients are the same for every root, so a loop over
    roots vectorises."""
    s = math.sqrt(max(kappa_c - 0.5 * tau / (ay * math.sqrt(ay)), 0.0))
    u = 2.0 * min(max((s - lo) * inv_h, 0.0), 1.0) - 1.0
    acc = tab[BRANCH_HEAD + HALF_DEG]
    for r in range(HALF_DEG - 1, -1, -1):
        acc = acc * u + tab[BRANCH_HEAD + r]
    return ay * acc


@numba.njit(inline="always")
def _segment_value(tab: np.ndarray, base: int, u: float) -> float:
    """``1 - eps``: the segment's polynomial of degree 6 (:data:`BRANCH_DEG`,
    coefficients from ``tab[base]``) at ``u``, by Estrin's scheme (three independent
    pairs, then powers of ``u``: a shorter dependency chain than Horner's)."""
    c = tab[base : base + BRANCH_DEG + 1]
    u2 = u * u
    return (c[0] + c[1] * u) + (c[2] + c[3] * u) * u2 + ((c[4] + c[5] * u) + c[6] * u2) * (u2 * u2)


@numba.njit(cache=True)
def branch_root(ay: float, tau: float, code: int, q: float, tab: np.ndarray) -> float:
    """Magnitude of the ``l1/2`` or ``lq`` map of ``ay`` (above the zero threshold), from
    a table of polynomials: no iteration, and no library call per root (``lq`` computes
    its zero threshold ``t`` from ``tau``, one power, once per call).

    With ``x = ay (1 - eps)`` the nonzero branch ``x + tau q x^(q-1) = ay`` becomes
    ``eps = kappa (1 - eps)^(q-1)`` with ``kappa = tau q ay^(q-2)``: a one-parameter
    family in ``q`` alone. ``kappa`` runs over ``(0, kappa_t]`` (``kappa_t`` at the zero
    threshold) and ``eps(kappa)`` is analytic there, with a fold (square-root branch
    point, where ``f'(x) = 0``) at ``kappa_c > kappa_t``. The tables (built and checked
    against :func:`lq_root` by :func:`neurosparse.coding.prox.branch_table`) hold a
    header of :data:`BRANCH_HEAD` numbers, then per segment the monomial coefficients
    (lowest first) of ``1 - eps`` in ``u`` in ``[-1, 1]`` across the segment:

    * ``l1/2`` (``q = 1/2``, ``kappa = tau / (2 ay^(3/2))``): one segment, in
      ``s = sqrt(kappa_c - kappa)`` over the bounded ``[s_t, sqrt(kappa_c)]``, where
      ``1 - eps`` is smooth up to the fold and one polynomial of degree
      :data:`HALF_DEG` is accurate to ~1e-15 (:func:`_half_value`);
    * ``lq``: ``1 - eps`` as a function of ``x = ay / t - 1`` (``kappa = kappa_t
      (1 + x)^(q-2)`` when ``t`` is the threshold at ``tau``), on segments of
      degree :data:`BRANCH_DEG` found from the bits of ``x`` (:func:`_lq_position`):
      32 per octave from ``2^-40`` to ``2^50``, so that they are finer near the
      threshold, where the fold (at ``x < 0``) is closest.
    """
    if code == HALF:
        return _half_value(ay, tau, tab[0], tab[1], tab[2], tab)
    base, u = _lq_position(ay, 1.0 / zero_threshold(1.0, tau, LQ, q, 1.0))
    return ay * _segment_value(tab, base, u)


@numba.njit(cache=True, error_model="numpy")
def branch_roots(
    a: np.ndarray,
    m: int,
    tau: float,
    t: float,
    code: int,
    q: float,
    tab: np.ndarray,
    w: np.ndarray,
    seg: np.ndarray,
) -> None:
    """:func:`branch_root` of ``a[:m]`` in place. ``t`` is the zero threshold at ``tau``
    (:func:`zero_threshold`, which the callers have; used by ``lq``). ``l1/2`` in one
    loop (it vectorises), ``lq`` in two: the segments and positions in them (this loop
    vectorises; ``w`` and the int64 ``seg`` are its scratch), then the polynomials
    (table lookups and multiply-adds only)."""
    if code == HALF:
        kappa_c, lo, inv_h = tab[0], tab[1], tab[2]
        for u in range(m):
            a[u] = _half_value(a[u], tau, kappa_c, lo, inv_h, tab)
        return
    inv_t = 1.0 / t
    for u in range(m):
        seg[u], w[u] = _lq_position(a[u], inv_t)
    for u in range(m):
        a[u] = a[u] * _segment_value(tab, seg[u], w[u])


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
        return half_prox(y, tau)
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
def prox_nonzero(
    y: float, eta: float, lam: float, code: int, q: float, a: float, positive: bool
) -> float:
    """:func:`prox_scalar` for ``|y|`` known to lie strictly above the zero threshold
    (see :func:`zero_threshold`): the nonzero branch alone, without recomputing the
    threshold (for ``lq`` that saves two powers per entry). Same arithmetic as
    :func:`prox_scalar` there, so the same bits."""
    if positive and y <= 0.0:
        return 0.0
    ay = abs(y)
    if code == L1:
        v = ay - eta * lam
        return v if y > 0.0 else -v
    if code == L0:
        return y
    if code == HALF:
        tau = eta * lam
        if tau <= 0.0:
            return y
        return half_prox(y, tau)
    if code == LQ:
        tau = eta * lam
        if tau <= 0.0:
            return y
        x = lq_root(ay, tau, q)
        return x if y > 0.0 else -x
    a2g = a * a * eta
    if a2g < 1.0:
        v = (ay - math.sqrt(2.0 * lam) * a * eta) / (1.0 - a2g)
        if v > ay:
            v = ay
        return v if y > 0.0 else -v
    return y


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
def prox_rows(Y: np.ndarray, eta: np.ndarray, pen: Penalty, out: np.ndarray, n_blocks: int) -> None:
    """``out[i, j] = prox_scalar(Y[i, j], eta[j], ...)`` with the penalty ``pen``
    (``norms[j]`` for column ``j``), over ``n_blocks`` blocks of rows."""
    n, k = Y.shape
    for b in prange(n_blocks):
        lo, hi = _block(b, n, n_blocks)
        for i in range(lo, hi):
            for j in range(k):
                out[i, j] = prox_scalar(
                    Y[i, j], eta[j], pen.lam, pen.code, pen.q, pen.norms[j], pen.positive
                )


@numba.njit(cache=True)
def penalty_rows(R: np.ndarray, pen: Penalty, out: np.ndarray, n_blocks: int) -> None:
    """Per-row penalty ``out[i] = sum_j penalty_scalar(R[i, j], ...)``, over ``n_blocks``
    blocks of rows."""
    n, k = R.shape
    for b in prange(n_blocks):
        lo, hi = _block(b, n, n_blocks)
        for i in range(lo, hi):
            s = 0.0
            for j in range(k):
                s += penalty_scalar(R[i, j], pen.lam, pen.code, pen.q, pen.norms[j])
            out[i] = s


prox_rows_par = parallel_twin(prox_rows)
penalty_rows_par = parallel_twin(penalty_rows)


@numba.njit(cache=True)
def zero_threshold(eta: float, lam: float, code: int, q: float, a: float) -> float:
    """The zero threshold of the penalty: a bound ``t`` with
    ``|y| <= t  =>  prox_scalar(y, eta, lam, code, q, a, ...) == 0``, the one every kernel
    uses.

    The closed-form zero thresholds of :func:`prox_scalar` (``tau = eta lam``): ``tau``
    (``l1``), ``sqrt(2 tau)`` (``l0``), ``3/2 tau^(2/3)`` (``l1/2``),
    ``beta + tau q beta^(q-1)`` (``lq``), ``sqrt(2 lam) a eta`` or ``sqrt(2 eta lam)``
    (CEL0), lowered by a relative ``1e-12`` so that rounding in the closed forms can never
    make the cheap test disagree with the full map: entries under ``t`` skip the
    transcendental work, the others go through the map unchanged (the results are
    bit-identical to calling :func:`prox_scalar` on every entry). 0 for every penalty
    when ``tau = 0`` (the map is then the identity, and ``|y| <= 0`` means ``y = 0``).
    """
    tau = eta * lam
    if code == L1:
        t = tau
    elif code == L0:
        t = math.sqrt(2.0 * tau)
    elif code == HALF:
        if tau <= 0.0:
            return 0.0
        t = 1.5 * tau ** (2.0 / 3.0)
    elif code == LQ:
        if tau <= 0.0:
            return 0.0
        beta = (2.0 * tau * (1.0 - q)) ** (1.0 / (2.0 - q))
        t = beta + tau * q * beta ** (q - 1.0)
    else:
        if a * a * eta < 1.0:
            t = math.sqrt(2.0 * lam) * a * eta
        else:
            t = math.sqrt(2.0 * eta * lam)
    return t * (1.0 - 1e-12)


@numba.njit(cache=True)
def zero_thresholds(
    eta: np.ndarray, lam: float, code: int, q: float, norms: np.ndarray, out: np.ndarray
) -> None:
    """:func:`zero_threshold` per column: ``out[j]`` for ``eta[j]``, ``norms[j]``."""
    for j in range(out.shape[0]):
        out[j] = zero_threshold(eta[j], lam, code, q, norms[j])


@numba.njit(inline="always")
def _store(z, j, z_old, beta, z_out, y_new, s, z2, nnz):
    """Write entry ``j`` of the new iterate ``z`` and its momentum point
    ``z + beta (z - z_old[j])``; return the running ``||dz||^2``, ``||z||^2`` and nonzero
    count of the momentum point."""
    d = z - z_old[j]
    z_out[j] = z
    yn = z + beta * d
    y_new[j] = yn
    return s + d * d, z2 + z * z, nnz + (1 if yn != 0.0 else 0)


@numba.njit(cache=True)
def _fb_row(
    y: np.ndarray,
    p: np.ndarray,
    c: np.ndarray,
    z_old: np.ndarray,
    eta: float,
    pen: Penalty,
    beta: float,
    z_out: np.ndarray,
    y_new: np.ndarray,
    stats: np.ndarray,
    defer: np.ndarray,
    buf: np.ndarray,
) -> None:
    """The row step of the ISTA engine: the prox and momentum pass of one row.

    ``z = prox_{eta Psi}(v)`` at the forward point ``v = y - eta (p - c)`` (``p = y G``,
    ``c = x D^T``; the Gram form of :func:`ista_batch` passes its own forward point as
    ``y`` with ``p = c = 0``, so that ``v = y`` exactly); entries with ``|v| <=
    pen.thr[j]`` are set to zero without evaluating the map. ``z_out = z``, ``y_new = z +
    beta (z - z_old)`` and ``stats = (||z - z_old||^2, ||z||^2, nnz(y_new))``. ``y``,
    ``z_out`` and ``y_new`` may be the same array.

    With a :func:`branch_root` table (``pen.tab`` longer than one entry: ``l1/2`` and
    ``lq``) the entries on the nonzero branch are only listed in the first loop (their
    columns in ``defer[0]``, their ``|v|`` in ``buf[0]``; scratch, ``defer`` (int64) and
    ``buf`` of shape ``(2, k + 8)``, ``k`` the row's length), mapped all at once by
    :func:`branch_roots` (its scratch: ``buf[1]``, ``defer[1]``) and finished in a
    second loop.
    """
    k = y.shape[0]
    s = 0.0
    z2 = 0.0
    nnz = 0
    m = 0
    lam, code, q, norms, thr, positive = pen.lam, pen.code, pen.q, pen.norms, pen.thr, pen.positive
    tau = eta * lam
    tabled = pen.tab.shape[0] > 1 and tau > 0.0
    for j in range(k):
        v = y[j] - eta * (p[j] - c[j])
        av = abs(v)
        t = thr[j]
        if av <= t:
            z = 0.0
        elif av > t * _THR_ABOVE:
            if tabled and not (positive and v <= 0.0):
                defer[0, m] = j
                buf[0, m] = av
                z_out[j] = v  # for its sign
                m += 1
                continue
            z = prox_nonzero(v, eta, lam, code, q, norms[j], positive)
        else:  # within rounding of the threshold: the full map decides
            z = prox_scalar(v, eta, lam, code, q, norms[j], positive)
        s, z2, nnz = _store(z, j, z_old, beta, z_out, y_new, s, z2, nnz)
    if m > 0:
        m8 = (m + 7) & -8  # whole vectors: no scalar remainder loop (buf has k + 8 columns)
        for u in range(m, m8):
            buf[0, u] = 1.0
        # thr[0]: the lq threshold, the same in every column (norms only enter CEL0's)
        branch_roots(buf[0], m8, tau, thr[0], code, q, pen.tab, buf[1], defer[1])
    for u in range(m):
        j = defer[0, u]
        s, z2, nnz = _store(math.copysign(buf[0, u], z_out[j]), j, z_old, beta, z_out, y_new,
                            s, z2, nnz)  # fmt: skip
    stats[0] = s
    stats[1] = z2
    stats[2] = nnz


@numba.njit(cache=True)
def forward_backward_rows(
    Y: np.ndarray,
    P: np.ndarray,
    C: np.ndarray,
    Z_old: np.ndarray,
    eta: float,
    pen: Penalty,
    beta: float,
    Z: np.ndarray,
    Y_new: np.ndarray,
    stats: np.ndarray,
    n_blocks: int,
) -> None:
    """One fused ISTA/FISTA update of every row, in a single pass over memory.

    With the gradient ``P - C = Y G - X D^T`` of the quadratic at ``Y``:
    ``Z = prox_{eta Psi}(Y - eta (P - C))`` (prox step; entries with
    ``|.| <= pen.thr[j]``, from :func:`zero_thresholds`, are set to zero without
    evaluating the map; for ``l1/2`` and ``lq`` the nonzero branch comes from the table
    ``pen.tab`` of :func:`branch_root`, or from :func:`prox_nonzero` when it has one
    entry), ``Y_new = Z + beta (Z - Z_old)`` (momentum step; ISTA passes ``beta = 0``)
    and per row ``stats[i] = (||Z_i - Z_old_i||^2, ||Z_i||^2, nnz(Y_new_i))`` (the
    stopping test's norms and the sparsity that picks the next product). ``Y_new`` may
    alias ``Y`` or ``P``; ``Z`` must not alias ``Z_old``.
    """
    n, k = Y.shape
    for b in prange(n_blocks):
        lo, hi = _block(b, n, n_blocks)
        defer = np.empty((2, k + 8), dtype=np.int64)
        buf = np.empty((2, k + 8))
        for i in range(lo, hi):
            _fb_row(Y[i], P[i], C[i], Z_old[i], eta, pen, beta, Z[i], Y_new[i], stats[i],
                    defer, buf)  # fmt: skip


@numba.njit(cache=True)
def _sparse_row_product(y: np.ndarray, G: np.ndarray, idx: np.ndarray, p: np.ndarray) -> None:
    """``p = y G`` from the nonzero entries of ``y`` only: ``sum_{j: y_j != 0} y_j G_j``
    (``n_active x n_atoms`` multiply-adds instead of ``n_atoms^2``)."""
    k = y.shape[0]
    m = 0
    for j in range(k):
        if y[j] != 0.0:
            idx[m] = j
            m += 1
    for l in range(k):
        p[l] = 0.0
    u = 0
    while u + 4 <= m:  # four rows of G per pass over p: a quarter of the loads/stores of p
        j0, j1, j2, j3 = idx[u], idx[u + 1], idx[u + 2], idx[u + 3]
        y0, y1, y2, y3 = y[j0], y[j1], y[j2], y[j3]
        g0, g1, g2, g3 = G[j0], G[j1], G[j2], G[j3]
        for l in range(k):
            p[l] += y0 * g0[l] + y1 * g1[l] + y2 * g2[l] + y3 * g3[l]
        u += 4
    while u < m:
        j = idx[u]
        yj = y[j]
        g = G[j]
        for l in range(k):
            p[l] += yj * g[l]
        u += 1


@numba.njit(cache=True)
def sparse_product_rows(Y: np.ndarray, G: np.ndarray, P: np.ndarray, n_blocks: int) -> None:
    """``P[i] = Y[i] G`` for every row through the nonzero entries of ``Y[i]``
    (:func:`_sparse_row_product`; ``G`` symmetric, so its rows are its columns)."""
    n, k = Y.shape
    for b in prange(n_blocks):
        lo, hi = _block(b, n, n_blocks)
        idx = np.empty(k, dtype=np.int64)
        for i in range(lo, hi):
            _sparse_row_product(Y[i], G, idx, P[i])


@numba.njit(cache=True)
def forward_backward_sparse_rows(
    Y: np.ndarray,
    G: np.ndarray,
    C: np.ndarray,
    Z_old: np.ndarray,
    eta: float,
    pen: Penalty,
    beta: float,
    Z: np.ndarray,
    Y_new: np.ndarray,
    stats: np.ndarray,
    n_blocks: int,
) -> None:
    """:func:`forward_backward_rows` with the product ``Y_i G`` formed per row from the
    nonzero entries of ``Y_i`` (sparse codes: ``n_active x n_atoms`` work per row, the
    product row kept in cache). ``Y_new`` may alias ``Y``."""
    n, k = Y.shape
    for b in prange(n_blocks):
        lo, hi = _block(b, n, n_blocks)
        p = np.empty(k)
        idx = np.empty(k, dtype=np.int64)
        defer = np.empty((2, k + 8), dtype=np.int64)
        buf = np.empty((2, k + 8))
        for i in range(lo, hi):
            _sparse_row_product(Y[i], G, idx, p)
            _fb_row(Y[i], p, C[i], Z_old[i], eta, pen, beta, Z[i], Y_new[i], stats[i],
                    defer, buf)  # fmt: skip


@numba.njit(cache=True)
def forward_backward_dense(
    Y: np.ndarray,
    gram: tuple,
    C: np.ndarray,
    Z_old: np.ndarray,
    eta: float,
    pen: Penalty,
    beta: float,
    Z: np.ndarray,
    Y_new: np.ndarray,
    stats: np.ndarray,
    block: int,
) -> None:
    """:func:`forward_backward_rows` with the dense product fused in: per block of
    ``block`` rows (the last one shorter) ``P_b = Y_b G``, or ``(Y_b D) D^T`` when
    ``factored``, with ``gram = (G, D, D^T, factored)`` (``D^T`` contiguous), by BLAS into
    block-sized scratch, then the pass over the block while ``P_b`` and ``Y_b`` are still
    in cache: the product never goes through memory, and in the parallel version the
    pass runs on all threads. The blocks are given by their size, not their number: the
    last bits of a BLAS product depend on its shape, so the codes depend on ``block``
    (not on the version, serial or parallel). Call the parallel version with BLAS
    limited to one thread (each block's product runs on its own Numba thread)."""
    G, D, Dt, factored = gram
    n, k = Y.shape
    for b in prange((n + block - 1) // block):
        lo = b * block
        hi = min(n, lo + block)
        P = np.empty((hi - lo, k))
        if factored:
            T = np.empty((hi - lo, D.shape[1]))
            np.dot(Y[lo:hi], D, T)
            np.dot(T, Dt, P)
        else:
            np.dot(Y[lo:hi], G, P)
        forward_backward_rows(Y[lo:hi], P, C[lo:hi], Z_old[lo:hi], eta, pen, beta, Z[lo:hi],
                              Y_new[lo:hi], stats[lo:hi], 1)  # fmt: skip


@numba.njit(cache=True)
def ista_sparse_rows(
    C: np.ndarray,
    G: np.ndarray,
    Z: np.ndarray,
    Y: np.ndarray,
    prev2: np.ndarray,
    eta: float,
    pen: Penalty,
    momentum: tuple,
    stop: Stop,
    n_iter: np.ndarray,
    converged: np.ndarray,
    n_blocks: int,
) -> None:
    """ISTA (or FISTA) run to convergence sample by sample.

    The iterations of :func:`forward_backward_sparse_rows` for one sample at a time,
    with its state kept in cache: ``Z[i]`` (iterate), ``Y[i]`` (momentum point) and
    ``prev2[i] = ||Z[i]||^2`` after the iterations already done; ``momentum = (fista,
    t, beta, it0)``: FISTA's schedule (``fista=False``: ``beta = 0``), its state ``t``
    and the next step's ``beta`` after those ``it0`` iterations. Each sample stops on
    :func:`sample_converged` or at ``stop.max_iter``; ``Z[i]``, ``n_iter[i]`` and
    ``converged[i]`` receive the result. The same arithmetic as the batched loop with
    sparse products (bit-identical), without its per-iteration overheads.
    """
    fista, t, beta0, it0 = momentum
    n, k = C.shape
    for b in prange(n_blocks):
        lo, hi = _block(b, n, n_blocks)
        p = np.empty(k)
        idx = np.empty(k, dtype=np.int64)
        za = np.empty(k)
        zb = np.empty(k)
        y = np.empty(k)
        st = np.empty(3)
        defer = np.empty((2, k + 8), dtype=np.int64)
        buf = np.empty((2, k + 8))
        for i in range(lo, hi):
            for j in range(k):
                za[j] = Z[i, j]
                y[j] = Y[i, j]
            tt = t
            beta = beta0
            p2 = prev2[i]
            it = it0
            done = False
            while it < stop.max_iter:
                it += 1
                _sparse_row_product(y, G, idx, p)
                _fb_row(y, p, C[i], za, eta, pen, beta, zb, y, st, defer, buf)
                za, zb = zb, za
                if fista:
                    t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * tt * tt))
                    beta = (tt - 1.0) / t_next
                    tt = t_next
                done = sample_converged(st[0], p2, stop.tol, stop.offset)
                p2 = st[1]
                if done:
                    break
            for j in range(k):
                Z[i, j] = za[j]
            n_iter[i] = it
            converged[i] = done


@numba.njit(cache=True)
def _gram_forward(
    r: np.ndarray, b: np.ndarray, G: np.ndarray, eta: float, idx: np.ndarray, v: np.ndarray
) -> None:
    """The forward point of plain ISTA in Gram form, as the authors' update is written:
    ``v = r + eta b - sum_{m: r_m != 0} (eta r_m) G_m`` (``b = x D^T``), summed over the
    nonzero codes only (``O(active x n_atoms)``)."""
    k = r.shape[0]
    m = 0
    for j in range(k):
        v[j] = r[j] + eta * b[j]
        if r[j] != 0.0:
            idx[m] = j
            m += 1
    for u in range(m):
        j = idx[u]
        erj = eta * r[j]
        g = G[j]
        for l in range(k):
            v[l] -= erj * g[l]


@numba.njit(cache=True)
def ista_batch(
    B: np.ndarray, G: np.ndarray, R0: np.ndarray, eta: float, pen: Penalty, stop: Stop,
    n_blocks: int,
) -> tuple[np.ndarray, int, bool]:  # fmt: skip
    """Plain ISTA over a batch with the batch stopping rule (the dictionary learner's
    encoder, and ``sparse_encode(solver="ista", stop="authors-batch")``).

    For every row ``b_s = x_s D^T`` of ``B`` (``G = D D^T``) iterate, from ``R0``, the
    engine's row step (:func:`_gram_forward`, then :func:`_fb_row` without momentum),

        r <- prox_{eta Psi}(r + eta b_s - sum_{m active} (eta r_m) G_m),

    all samples at each iteration (in parallel over blocks of samples in
    ``ista_batch_par``), until :func:`batch_converged` (``||R_t - R_{t-1}||_F / (offset +
    ||R_{t-1}||_F) < tol`` over the batch) or ``stop.max_iter`` iterations. Returns
    ``(R, n_iter, converged)``.
    """
    n, k = B.shape
    R = R0.copy()
    Rn = np.empty_like(R)
    zero = np.zeros(k)  # p = c = 0: the forward point is formed by _gram_forward
    stats = np.empty((n, 3))
    prev2 = np.empty(n)
    for s in range(n):
        p = 0.0
        for j in range(k):
            p += R[s, j] * R[s, j]
        prev2[s] = p
    idx = np.empty((n_blocks, k), dtype=np.int64)
    defer = np.empty((n_blocks, 2, k + 8), dtype=np.int64)
    buf = np.empty((n_blocks, 2, k + 8))
    n_iter = 0
    done = False
    for it in range(stop.max_iter):
        for b in prange(n_blocks):
            lo, hi = _block(b, n, n_blocks)
            for s in range(lo, hi):
                v = Rn[s]
                _gram_forward(R[s], B[s], G, eta, idx[b], v)
                _fb_row(v, zero, zero, R[s], eta, pen, 0.0, v, v, stats[s], defer[b], buf[b])
        R, Rn = Rn, R
        n_iter = it + 1
        done = batch_converged(stats[:, 0], prev2, stop.tol, stop.offset)
        if done:
            break
        for s in range(n):
            prev2[s] = stats[s, 1]
    return R, n_iter, done


@numba.njit(cache=True)
def lca_rows(
    U: np.ndarray,
    P: np.ndarray,
    C: np.ndarray,
    A_old: np.ndarray,
    dt: float,
    diag: np.ndarray,
    pen: Penalty,
    A: np.ndarray,
    du2: np.ndarray,
    n_blocks: int,
) -> None:
    """One Euler step of the locally competitive algorithm (Rozell et al. 2008), in place,
    over ``n_blocks`` blocks of rows.

    Internal state ``U``, outputs ``A_old`` with ``P = A_old G``. With ``d = diag(G)``
    (``d = 1`` for unit-norm atoms, Rozell's setting):
    ``U += dt (C - U - (P - d A_old))`` (leak, drive ``b = C = X D^T`` and lateral
    inhibition ``(G - diag d) A``), then ``A = T(U)`` with the threshold function
    ``T_j(u) = prox_{(lam/d_j) psi}(u / d_j)`` matching the penalty (soft for l1, hard for
    l0, ...). A fixed point is a coordinate-wise minimiser of the objective.
    ``du2[i] = ||U_i(new) - U_i(old)||^2`` (the stopping test watches the state).
    """
    n, k = U.shape
    lam, code, q, norms, positive = pen.lam, pen.code, pen.q, pen.norms, pen.positive
    for b in prange(n_blocks):
        lo, hi = _block(b, n, n_blocks)
        for i in range(lo, hi):
            s = 0.0
            for j in range(k):
                du = dt * (C[i, j] - U[i, j] - (P[i, j] - diag[j] * A_old[i, j]))
                u = U[i, j] + du
                U[i, j] = u
                A[i, j] = prox_scalar(u / diag[j], 1.0 / diag[j], lam, code, q, norms[j],
                                      positive)  # fmt: skip
                s += du * du
            du2[i] = s


# The parallel versions: the same functions compiled with parallel=True (not cached).
forward_backward_rows_par = parallel_twin(forward_backward_rows)
forward_backward_sparse_rows_par = parallel_twin(forward_backward_sparse_rows)
forward_backward_dense_par = parallel_twin(forward_backward_dense)
sparse_product_rows_par = parallel_twin(sparse_product_rows)
ista_sparse_rows_par = parallel_twin(ista_sparse_rows)
ista_batch_par = parallel_twin(ista_batch)
lca_rows_par = parallel_twin(lca_rows)


@numba.njit(cache=True)
def cholesky_solve(A: np.ndarray, b: np.ndarray, x: np.ndarray) -> bool:
    """Solve ``A x = b`` for symmetric positive definite ``A`` (n x n) by Cholesky.

    The factor comes from LAPACK (``numpy.linalg.cholesky``, about twice as fast as a
    Numba loop at n = 100); then two triangular solves. Returns False, leaving ``x``
    undefined, when ``A`` is not positive definite or a pivot is not safely positive
    (``A`` singular or indefinite to working precision).
    """
    n = A.shape[0]
    try:
        L = np.linalg.cholesky(A)
    except Exception:  # not positive definite
        return False
    for j in range(n):
        if L[j, j] * L[j, j] <= 1e-10 * A[j, j]:
            return False
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
    if not cholesky_solve(H, b, x):
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
def _gather_active(G, g, r, active, n):
    """The Gram block, gradient and codes of the first ``n`` atoms of ``active``."""
    GA = np.empty((n, n))
    gA = np.empty(n)
    rA0 = np.empty(n)
    for a_i in range(n):
        ja = active[a_i]
        gA[a_i] = g[ja]
        rA0[a_i] = r[ja]
        for b_i in range(n):
            GA[a_i, b_i] = G[ja, active[b_i]]
    return GA, gA, rA0


@numba.njit(cache=True)
def _restricted_sweep(GA, gA, r, active, n, eta, lam, code, q, norms, positive):
    """One CD sweep over the first ``n`` atoms of ``active``, updating ``gA`` from the
    Gram block; returns ``(dr2, r2_old, changed)``."""
    dr2 = 0.0
    r2_old = 0.0
    changed = 0
    for a_i in range(n):
        j = active[a_i]
        old = r[j]
        r2_old += old * old
        new = prox_scalar(old + gA[a_i] * eta[j], eta[j], lam, code, q, norms[j], positive)
        if new != old:
            delta = new - old
            r[j] = new
            for b_i in range(n):
                gA[b_i] -= delta * GA[a_i, b_i]
            dr2 += delta * delta
            changed += 1
    return dr2, r2_old, changed


@numba.njit(cache=True)
def _sync_gradient(G, g, r, rA0, active, n):
    """Bring the full gradient ``g`` up to date with the changes of the first ``n``
    atoms of ``active`` since ``rA0``."""
    for a_i in range(n):
        ja = active[a_i]
        delta = r[ja] - rA0[a_i]
        if delta != 0.0:
            for m in range(g.shape[0]):
                g[m] -= delta * G[ja, m]


_WS_START = 16  # atoms in the first l1 working set (the largest KKT violators)
_WS_ROUNDS = 40  # at most this many working-set rounds before the plain CD loop
_WS_TOL = 1e-3  # the rounds' CD sweeps stop at sample_converged with max(tol, _WS_TOL)
_WS_BIG = 128  # working sets of more atoms than this stop at max(tol, _WS_TOL_BIG)
_WS_TOL_BIG = 3e-3


@numba.njit(cache=True)
def _l1_working_set(
    c: np.ndarray,
    G: np.ndarray,
    r: np.ndarray,
    eta: np.ndarray,
    pen: Penalty,
    stop: Stop,
    g: np.ndarray,
    active: np.ndarray,
) -> int:
    """Working-set prephase of :func:`_cd_one` for ``l1``, in place on ``r`` and the
    gradient ``g = c - G r``; returns the sweeps it spent (restricted sweeps).

    Rounds: the working set is the nonzero atoms plus the largest violators of the zero
    atoms' optimality condition (``|g_j| > lam``; ``g_j > lam`` for nonnegative codes),
    at most :data:`_WS_START` in the first round, then about as many as there are
    nonzero atoms (the set roughly doubles). The problem restricted to the set is solved
    roughly, by CD sweeps over its Gram block until :func:`sample_converged` with the
    looser tolerance ``max(tol, _WS_TOL)``, or ``max(tol, _WS_TOL_BIG)`` on working sets
    of more than :data:`_WS_BIG` atoms (no Newton step: the plain loop's restricted
    phase has them); the full gradient is brought up to date, and a round with no
    violator ends the phase.

    Why the looser tolerance on large sets: a sweep costs ``n_w^2`` there, and a set of
    a few hundred atoms in a few hundred dimensions is nearly collinear, where CD
    converges slowly; the round's solution only ranks the next violators, and the plain
    loop's stopping rule decides the accuracy. The plain loop of :func:`_cd_one` (full
    sweeps, its stopping rule) then starts from these codes: the phase only changes the
    starting point, so the objective and the stopping rule are those of the plain loop.
    It avoids the first full sweep from zero switching on several times more atoms than
    the solution keeps, each costing a full gradient update.
    """
    lam, code, q, norms, positive = pen.lam, pen.code, pen.q, pen.norms, pen.positive
    max_sweeps, tol, offset = stop.max_iter, stop.tol, stop.offset
    k = c.shape[0]
    viol = np.empty(k)
    cand = np.empty(k, dtype=np.int64)
    sweeps = 0
    for rnd in range(_WS_ROUNDS):
        n_nz = 0
        n_v = 0
        for j in range(k):
            if r[j] != 0.0:
                active[n_nz] = j
                n_nz += 1
            else:
                v = (g[j] if positive else abs(g[j])) - lam
                if v > 0.0:
                    viol[n_v] = v
                    cand[n_v] = j
                    n_v += 1
        if n_v == 0 or sweeps >= max_sweeps:
            break
        n_add = _WS_START if rnd == 0 else max(_WS_START, n_nz)
        if n_add > n_v:
            n_add = n_v
        if n_add == n_v:  # every violator, in index order
            for t in range(n_add):
                active[n_nz + t] = cand[t]
        else:  # the largest violations (stable: ties in index order)
            order = np.argsort(-viol[:n_v], kind="mergesort")
            for t in range(n_add):
                active[n_nz + t] = cand[order[t]]
        n_w = n_nz + n_add
        GA, gA, rA0 = _gather_active(G, g, r, active, n_w)
        round_tol = max(tol, _WS_TOL_BIG if n_w > _WS_BIG else _WS_TOL)
        while sweeps < max_sweeps:
            dr2, r2_old, _ = _restricted_sweep(GA, gA, r, active, n_w, eta, lam, code, q,
                                               norms, positive)  # fmt: skip
            sweeps += 1
            if sample_converged(dr2, r2_old, round_tol, offset):
                break
        _sync_gradient(G, g, r, rA0, active, n_w)
    return sweeps


@numba.njit(cache=True)
def _cd_one(
    c: np.ndarray,
    G: np.ndarray,
    r: np.ndarray,
    eta: np.ndarray,
    pen: Penalty,
    stop: Stop,
    g: np.ndarray,
    active: np.ndarray,
    working_set: bool = True,
) -> tuple[int, bool]:
    """Coordinate descent for one sample, in place on ``r``; returns (sweeps, converged).

    Minimises ``1/2 r G r^T - c r + sum_j pen_j(r_j)`` (the objective up to a constant)
    by exact coordinate minimisation: ``r_j <- prox_{pen / G_jj}(r_j + g_j / G_jj)`` with
    ``g = c - G r`` kept up to date. Active-set strategy: a full sweep over all atoms,
    then sweeps over the nonzero atoms only, with the gradient restricted to them (the
    Gram block gathered once), until they settle, then a full sweep again. It stops
    after a full sweep that meets :func:`sample_converged` (``||r_new - r_old|| <= tol
    (offset + ||r_old||)``), or after ``stop.max_iter`` sweeps.

    For ``l1`` the active-set phase tries a Newton step (:func:`_newton_l1`: the exact
    minimiser on the current sign pattern, or the move towards it up to the first sign
    change) every :data:`_NEWTON_EVERY` sweeps, and at its end if its sweeps cost at
    least as many multiply-adds as the step (``m^2 (m / 3 + 1)`` for ``m`` active atoms):
    a phase that a loose tolerance ends in a few cheap sweeps is not worth the step.
    The next full sweep checks the optimality of the other atoms. Once the active set
    and signs are right the step lands on the solution to rounding error.

    For ``l1`` with ``working_set`` (the default) the loop starts from the codes of
    :func:`_l1_working_set` (the problem solved roughly on a working set grown from the
    largest optimality violators) instead of a first full sweep from the initial codes;
    its sweeps count towards ``stop.max_iter``. ``working_set=False``: the plain loop.
    """
    lam, code, q, norms, positive = pen.lam, pen.code, pen.q, pen.norms, pen.positive
    max_sweeps, tol, offset = stop.max_iter, stop.tol, stop.offset
    k = c.shape[0]
    for j in range(k):
        g[j] = c[j]
    for j in range(k):
        rj = r[j]
        if rj != 0.0:
            for m in range(k):
                g[m] -= rj * G[j, m]
    sweeps = 0
    if code == L1 and working_set:
        sweeps = _l1_working_set(c, G, r, eta, pen, stop, g, active)
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
        if sample_converged(dr2, r2_old, tol, offset):
            return sweeps, True
        if n_active == 0:
            continue
        # sweeps restricted to the active set
        GA, gA, rA0 = _gather_active(G, g, r, active, n_active)
        inner = 0
        newton = False
        spent = 0.0
        newton_cost = n_active * n_active * (n_active / 3.0 + 1.0)
        while sweeps < max_sweeps:
            dr2, r2_old, changed = _restricted_sweep(GA, gA, r, active, n_active, eta, lam,
                                                     code, q, norms, positive)  # fmt: skip
            spent += n_active + changed * n_active
            sweeps += 1
            inner += 1
            if sample_converged(dr2, r2_old, tol, offset):
                break
            if code == L1 and inner % _NEWTON_EVERY == 0:
                newton = _newton_l1(GA, c, r, active, n_active, lam)
                if newton:
                    break
        if code == L1 and not newton and spent >= newton_cost:
            _newton_l1(GA, c, r, active, n_active, lam)
        # bring the full gradient up to date with the active atoms' changes
        _sync_gradient(G, g, r, rA0, active, n_active)
    return sweeps, False


@numba.njit(cache=True)
def cd_rows(
    C: np.ndarray,
    G: np.ndarray,
    R: np.ndarray,
    eta: np.ndarray,
    pen: Penalty,
    stop: Stop,
    n_iter: np.ndarray,
    converged: np.ndarray,
    n_blocks: int,
    working_set: bool = True,
) -> None:
    """Coordinate descent (:func:`_cd_one`) for every row of ``C = X D^T``, over
    ``n_blocks`` blocks of rows (``cd_rows_par`` with one sample per block: samples differ in
    cost).

    ``R`` holds the initial codes and is overwritten with the result. Each sample is
    solved independently, so the result does not depend on the blocks. ``working_set``:
    see :func:`_cd_one` (``l1`` only).
    """
    n, k = C.shape
    for b in prange(n_blocks):
        lo, hi = _block(b, n, n_blocks)
        g = np.empty(k)
        active = np.empty(k, dtype=np.int64)
        for i in range(lo, hi):
            sweeps, ok = _cd_one(C[i], G, R[i], eta, pen, stop, g, active, working_set)
            n_iter[i] = sweeps
            converged[i] = ok


cd_rows_par = parallel_twin(cd_rows)
