r"""Penalties and their proximal operators, in one place.

The sparse-coding problem of Rentzeperis et al. (2023) is, per sample,

.. math:: \min_r \tfrac12 \|x - r D\|_2^2 + \Psi(r),

with ``D`` the dictionary, shape ``(n_atoms, n_features)``, and the penalty

======== =========================================================================
``l1``   :math:`\Psi(r) = \lambda \sum_i |r_i|`
``l0``   :math:`\Psi(r) = \lambda \sum_i 1\{r_i \ne 0\}`
``l1/2`` :math:`\Psi(r) = \lambda \sum_i |r_i|^{1/2}`
``lq``   :math:`\Psi(r) = \lambda \sum_i |r_i|^q`, :math:`0 < q < 1`
``cel0`` :math:`\Psi(r) = \sum_i \phi(a_i, \lambda; r_i)`, :math:`a_i = \|D_i\|_2`,
         :math:`\phi(a, \lambda; u) = \lambda - \tfrac{a^2}{2}(|u| - \sqrt{2\lambda}/a)^2
         1\{|u| \le \sqrt{2\lambda}/a\}` (Soubies, Blanc-Féraud & Aubert 2015)
======== =========================================================================

:func:`prox` evaluates the proximal operator elementwise and :func:`penalty_value` the
penalty. ``positive=True`` restricts the codes to be nonnegative.

Ties (two global minimisers exactly at the threshold) are resolved towards zero.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numba
import numpy as np

from neurosparse._validation import check_array, check_choice, check_real
from neurosparse.coding import _kernels as K

__all__ = ["PENALTIES", "penalty_value", "prox"]

#: Names accepted for ``penalty``.
PENALTIES = ("l1", "l0", "l1/2", "lq", "cel0")

_CODES = {"l1": K.L1, "l0": K.L0, "l1/2": K.HALF, "lq": K.LQ, "cel0": K.CEL0}


#: Below this many elements (rows x columns) the serial kernels run: starting the
#: thread pool costs more than the work.
_PARALLEL_MIN_ELEMENTS = 1 << 16


def _run_rows(
    kernel, kernel_par, n: int, work: int, *args, min_work: int = _PARALLEL_MIN_ELEMENTS
) -> None:
    """Call the serial ``kernel(*args, 1)``, or its parallel version ``kernel_par(*args,
    n_blocks)`` (one block per thread) when ``work`` is at least ``min_work`` (see
    :mod:`._kernels`, "Serial and parallel kernels")."""
    threads = numba.get_num_threads()
    if threads > 1 and n > 1 and work >= min_work:
        kernel_par(*args, min(n, threads))
    else:
        kernel(*args, 1)


_ONE = np.zeros(1)  # the placeholder of an unused Penalty field
_ONE.flags.writeable = False


def _penalty_record(
    code: int,
    q: float,
    lam: float,
    norms: np.ndarray,
    positive: bool = False,
    *,
    step: float | None = None,
    table: bool = False,
) -> K.Penalty:
    """The :class:`._kernels.Penalty` record the array kernels take: with ``step``, the
    zero thresholds (:func:`._kernels.zero_threshold` per column) at that step; with
    ``table``, the :func:`branch_table` of the nonzero branch (``l1/2``, ``lq``)."""
    norms = np.ascontiguousarray(norms, dtype=np.float64)
    thr = _ONE
    if step is not None:
        thr = np.empty(norms.shape[0])
        K.zero_thresholds(np.full(norms.shape[0], float(step)), float(lam), int(code),
                          float(q), norms, thr)  # fmt: skip
    tab = branch_table(code, q) if table else _NO_TABLE
    return K.Penalty(int(code), float(q), float(lam), norms, bool(positive), thr, tab)


def _penalty_code(penalty: Any, q: Any) -> tuple[int, float]:
    """Validate ``penalty`` and ``q``; return the kernel code and q (0.0 if unused)."""
    check_choice("penalty", penalty, PENALTIES)
    if penalty == "lq":
        if q is None:
            raise ValueError("q must be given for penalty 'lq' (a number in (0, 1))")
        q = check_real("q", q, low=0.0, high=1.0, low_open=True, high_open=True)
        if q == 0.5:
            return K.HALF, 0.5  # closed form (Xu et al. 2012), same operator
        return K.LQ, q
    if q is not None:
        raise ValueError(f"q is only used by penalty 'lq', got q={q!r} with penalty {penalty!r}")
    return _CODES[penalty], 0.0


#: A :func:`branch_table` is used only if it reproduces :func:`._kernels.lq_root` to this
#: relative error on its check grid (evaluating ``kappa`` in floating point alone costs a
#: few units of roundoff).
BRANCH_RTOL = 1e-14
_NO_TABLE = np.zeros(1)
_NO_TABLE.flags.writeable = False


def _branch_constants(q: float) -> tuple[float, float]:
    """``kappa_t`` (zero threshold) and ``kappa_c`` (fold) of :func:`._kernels.branch_root`.

    With ``beta^(2-q) = 2 tau (1-q)`` the threshold is ``t = beta (2-q) / (2 (1-q))``,
    so ``kappa_t = tau q t^(q-2) = q / (2 (1-q)) ((2-q) / (2 (1-q)))^(q-2)``; the fold
    ``f'(x_c) = 0`` has ``x_c^(2-q) = (1-q) tau q`` and ``ay_c = x_c (2-q) / (1-q)``, so
    ``kappa_c = 1 / (1-q) ((2-q) / (1-q))^(q-2)``. Neither depends on ``tau``.
    """
    kappa_t = q / (2.0 * (1.0 - q)) * ((2.0 - q) / (2.0 * (1.0 - q))) ** (q - 2.0)
    kappa_c = 1.0 / (1.0 - q) * ((2.0 - q) / (1.0 - q)) ** (q - 2.0)
    return kappa_t, kappa_c


def _fit_half_table() -> np.ndarray:
    """``l1/2``: interpolate ``1 - eps`` at the Chebyshev points of ``s`` over
    ``[s_t, sqrt(kappa_c)]`` (see :func:`._kernels.branch_root`), from exact roots at
    ``tau = 1``; one polynomial of degree :data:`._kernels.HALF_DEG`."""
    q, deg = 0.5, K.HALF_DEG
    kappa_t, kappa_c = _branch_constants(q)
    lo, hi = math.sqrt(kappa_c - kappa_t), math.sqrt(kappa_c)
    nodes = np.cos(np.pi * (np.arange(deg + 1) + 0.5) / (deg + 1))
    x = lo + 0.5 * (nodes + 1.0) * (hi - lo)
    ay = ((kappa_c - x * x) / q) ** (1.0 / (q - 2.0))
    tab = np.empty(K.BRANCH_HEAD + deg + 1)
    tab[: K.BRANCH_HEAD] = kappa_c, lo, 1.0 / (hi - lo), 1
    tab[K.BRANCH_HEAD :] = _segment_coefficients(nodes, _exact_one_minus_eps(ay, q)[None])[0]
    return tab


def _fit_lq_table(q: float) -> np.ndarray:
    """``lq``: interpolate ``1 - eps`` at Chebyshev points of every segment of ``x = ay /
    t - 1`` that :func:`._kernels._lq_position` addresses, from exact roots at ``tau =
    1`` (``t`` its zero threshold, computed as the kernels compute it)."""
    deg, sub = K.BRANCH_DEG, 2**K.LQ_SUB_BITS
    nodes = np.cos(np.pi * (np.arange(deg + 1) + 0.5) / (deg + 1))
    octave = 2.0 ** np.arange(K.LQ_E_MIN, K.LQ_E_MAX, dtype=float)
    left = (octave[:, None] * (1.0 + np.arange(sub) / sub)).ravel()
    width = np.repeat(octave / sub, sub)
    x = left[:, None] + 0.5 * (nodes + 1.0) * width[:, None]
    t = K.zero_threshold(1.0, 1.0, K.LQ, q, 1.0)
    ay = t * (1.0 + x)
    tab = np.empty(K.BRANCH_HEAD + left.size * (deg + 1))
    tab[: K.BRANCH_HEAD] = q, K.LQ_E_MIN, K.LQ_E_MAX, left.size
    tab[K.BRANCH_HEAD :] = _segment_coefficients(nodes, _exact_one_minus_eps(ay, q)).ravel()
    return tab


def _exact_one_minus_eps(ay: np.ndarray, q: float) -> np.ndarray:
    """``lq_root(ay, 1, q) / ay`` elementwise (Newton's root at ``tau = 1``)."""
    flat = ay.ravel()
    return np.array([K.lq_root(a, 1.0, q) for a in flat]).reshape(ay.shape) / ay


def _segment_coefficients(nodes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Monomial coefficients (lowest first) in ``u`` of the polynomials through
    ``values[i]`` at the Chebyshev ``nodes``, one row per segment."""
    deg = nodes.size - 1
    cheb = np.linalg.solve(np.polynomial.chebyshev.chebvander(nodes, deg), values.T)
    to_mono = np.zeros((deg + 1, deg + 1))  # column i: T_i in monomials
    for i in range(deg + 1):
        to_mono[: i + 1, i] = np.polynomial.chebyshev.cheb2poly(np.eye(deg + 1)[i])[: i + 1]
    return (to_mono @ cheb).T


def _branch_error(tab: np.ndarray, code: int, q: float) -> float:
    """Largest relative error of :func:`._kernels.branch_root` against
    :func:`._kernels.lq_root` at ``tau = 1``, from where the kernels take the nonzero
    branch (right above the zero threshold) to 1e8 times it."""
    t = K.zero_threshold(1.0, 1.0, K.LQ, q, 1.0) * K._THR_ABOVE
    ays = np.concatenate([t * (1.0 + np.logspace(-12, 0, 1500)), t * np.logspace(0, 8, 1500)[1:]])
    worst = 0.0
    for ay in ays:
        want = K.lq_root(ay, 1.0, q)
        got = K.branch_root(ay, 1.0, code, q, tab)
        worst = max(worst, abs(got - want) / want)
    return worst


def branch_table(code: int, q: float) -> np.ndarray:
    """The table of :func:`._kernels.branch_root` for penalty ``code`` (``l1/2``, ``lq``).

    ``l1/2``: one polynomial of degree :data:`._kernels.HALF_DEG`; ``lq``: 2,880
    segments of degree :data:`._kernels.BRANCH_DEG` (32 per octave of ``|v| / t - 1``,
    157 kB). Each is checked against the exact root (:func:`._kernels.lq_root`) on a grid
    from the threshold to 1e8 times it, to :data:`BRANCH_RTOL`; a one-entry array (the
    kernels then use the exact map) for the other penalties, or when the table is not
    that accurate (``q`` close to 1, where the fold nears the threshold).
    Cached per ``q``; read-only.
    """
    if code == K.HALF:
        return _cached_branch_table(code, 0.5)
    if code == K.LQ:
        return _cached_branch_table(code, float(q))
    return _NO_TABLE


@functools.lru_cache(maxsize=32)
def _cached_branch_table(code: int, q: float) -> np.ndarray:
    tab = _fit_half_table() if code == K.HALF else _fit_lq_table(q)
    if _branch_error(tab, code, q) <= BRANCH_RTOL:
        tab.flags.writeable = False
        return tab
    return _NO_TABLE


def _check_norms(norms: Any, n: int, penalty: str) -> np.ndarray:
    """Per-atom norms ``a_i`` (ones when not given), validated: finite and positive."""
    if norms is None:
        return np.ones(n)
    if penalty != "cel0":
        raise ValueError(f"norms is only used by penalty 'cel0', got penalty {penalty!r}")
    a = check_array("norms", norms, ndim=(0, 1))
    a = np.broadcast_to(a, (n,)) if a.ndim == 0 else a
    if a.shape != (n,):
        raise ValueError(
            f"norms must have one value per atom (the last axis, {n}), got shape {a.shape}"
        )
    if np.any(a <= 0):
        raise ValueError(f"norms must be positive (zero-norm atom at index {np.argmin(a)})")
    return np.ascontiguousarray(a, dtype=np.float64)


def _as_rows(y: Any, name: str) -> tuple[np.ndarray, tuple[int, ...]]:
    arr = check_array(name, y)
    shape = arr.shape
    if arr.ndim == 0:
        return arr.reshape(1, 1), shape
    return np.ascontiguousarray(arr.reshape(-1, shape[-1])), shape


def prox(
    y: Any,
    tau: float,
    penalty: str,
    *,
    q: float | None = None,
    lam: float | None = None,
    norms: Any = None,
    positive: bool = False,
) -> np.ndarray:
    r"""Proximal operator of a sparsity penalty, elementwise.

    For ``l1``, ``l0``, ``l1/2`` and ``lq``:

    .. math:: \operatorname{prox}(y) = \arg\min_x \tfrac12 (x - y)^2 + \tau\,\psi(x),

    i.e. ``tau`` is the threshold parameter ``eta * lam`` of an ISTA step of size
    ``eta``. For ``cel0`` the penalty already contains :math:`\lambda`, so ``tau`` is the
    step :math:`\gamma` and ``lam`` must be given:

    .. math:: \operatorname{prox}(y_i) = \arg\min_x \tfrac12 (x - y_i)^2
              + \gamma\,\phi(a_i, \lambda; x),

    with :math:`a_i` = ``norms[i]`` along the last axis (default 1).

    Closed forms (see :func:`neurosparse.coding._kernels.prox_scalar`): soft threshold
    (``l1``), hard threshold at :math:`\sqrt{2\tau}` (``l0``), Xu et al.'s half
    threshold (``l1/2``), the root of :math:`x + \tau q x^{q-1} = |y|` above
    :math:`\beta + \tau q \beta^{q-1}`, :math:`\beta = (2\tau(1-q))^{1/(2-q)}` (``lq``),
    and for CEL0 :math:`\mathrm{sign}(y)\min(|y|, (|y| - \sqrt{2\lambda} a\gamma)_+ /
    (1 - a^2\gamma))` when :math:`a^2\gamma < 1`, a hard threshold at
    :math:`\sqrt{2\gamma\lambda}` otherwise.

    Parameters
    ----------
    y : array-like
        Input values (any shape; ``norms`` runs along the last axis).
    tau : float
        Threshold ``eta * lam`` (``l1``, ``l0``, ``l1/2``, ``lq``), or the step
        :math:`\gamma` (``cel0``); nonnegative.
    penalty : {"l1", "l0", "l1/2", "lq", "cel0"}
    q : float, optional
        Exponent in (0, 1), for ``lq`` only (``q=0.5`` uses the ``l1/2`` closed form).
    lam : float, optional
        :math:`\lambda \ge 0` of CEL0 (required for ``cel0``, refused otherwise).
    norms : array-like, optional
        Atom norms :math:`a_i > 0` for ``cel0``, one per entry of the last axis.
    positive : bool
        Restrict the minimiser to :math:`x \ge 0`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y``, float64.

    Examples
    --------
    >>> prox([-2.0, 0.5, 3.0], 1.0, "l1")
    array([-1.,  0.,  2.])
    >>> prox([1.0, 2.0], 1.0, "l0")  # hard threshold at sqrt(2)
    array([0., 2.])
    """
    code, qv = _penalty_code(penalty, q)
    tau = check_real("tau", tau, low=0.0)
    if penalty == "cel0":
        if lam is None:
            raise ValueError("lam must be given for penalty 'cel0' (tau is then the step gamma)")
        lamv = check_real("lam", lam, low=0.0)
        eta = tau
    else:
        if lam is not None:
            raise ValueError(
                f"lam is only used by penalty 'cel0'; for {penalty!r} pass the threshold "
                f"eta * lam as tau"
            )
        lamv, eta = 1.0, tau
    if not isinstance(positive, bool | np.bool_):
        raise TypeError(f"positive must be a bool, got {positive!r}")
    rows, shape = _as_rows(y, "y")
    a = _check_norms(norms, rows.shape[1], penalty)
    out = np.empty_like(rows)
    eta_k = np.full(rows.shape[1], eta)
    pen = _penalty_record(code, qv, lamv, a, bool(positive))
    _run_rows(K.prox_rows, K.prox_rows_par, rows.shape[0], rows.size, rows, eta_k, pen, out)
    return out.reshape(shape)


def penalty_value(
    r: Any,
    lam: float,
    penalty: str,
    q: float | None = None,
    norms: Any = None,
) -> float | np.ndarray:
    r"""Value of the penalty :math:`\Psi(r)`, summed over the last axis.

    ``lam * sum|r|`` (``l1``), ``lam * count(r != 0)`` (``l0``), ``lam * sum|r|^(1/2)``
    (``l1/2``), ``lam * sum|r|^q`` (``lq``), and :math:`\sum_i \phi(a_i, \lambda; r_i)`
    (``cel0``, see the module docstring; :math:`\phi \le \lambda` and
    :math:`\phi(a, \lambda; u) = \lambda` once :math:`|u| \ge \sqrt{2\lambda}/a`).

    Parameters
    ----------
    r : array-like
        Codes; the last axis runs over atoms.
    lam : float
        :math:`\lambda \ge 0`.
    penalty : {"l1", "l0", "l1/2", "lq", "cel0"}
    q : float, optional
        Exponent in (0, 1), for ``lq`` only.
    norms : array-like, optional
        Atom norms :math:`a_i > 0` (``cel0`` only), one per entry of the last axis.

    Returns
    -------
    float or numpy.ndarray
        A float for 0-d or 1-d ``r``; otherwise an array of shape ``r.shape[:-1]``.
    """
    code, qv = _penalty_code(penalty, q)
    lamv = check_real("lam", lam, low=0.0)
    rows, shape = _as_rows(r, "r")
    a = _check_norms(norms, rows.shape[1], penalty)
    if lamv == 0.0:
        vals = np.zeros(rows.shape[0])
    else:
        vals = np.empty(rows.shape[0])
        pen = _penalty_record(code, qv, lamv, a)
        _run_rows(K.penalty_rows, K.penalty_rows_par, rows.shape[0], rows.size, rows, pen, vals)
    if len(shape) <= 1:
        return float(vals[0])
    return vals.reshape(shape[:-1])
