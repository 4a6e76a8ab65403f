"""Exact theory of Ahmad & Hawkins (2016), "How do neurons operate on sparse distributed
representations? A mathematical theory of sparsity, neurons and active dendrites",
arXiv:1601.00720.

Notation: ``n`` cells, ``a`` of them active in an SDR, a dendritic segment with ``s``
synapses and NMDA threshold ``theta``, overlap ``b``; ``v`` active bits moved by noise;
``M`` segments on a neuron, or patterns stored in a union.

Everything is computed in log space from exact sums of hypergeometric terms (see
:mod:`neurosparse.dendrites._kernels`), so probabilities far below float range keep their
value through the ``log_*`` functions (about 1e-9 relative or better for ``n`` up to
10⁶, checked against exact rational sums), and the plain functions never return NaN
(values below the smallest float64 underflow to 0).

Input rules (broadcast over arrays): sizes are integers (``3.0`` is accepted, ``2.5``
raises ``ValueError``, a string ``TypeError``); ``n >= 1``; ``0 <= a, s <= n``;
``0 <= theta <= s``; ``0 <= v <= a``; ``M >= 1``. A bad value raises ``ValueError``
naming the parameter.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from neurosparse._validation import check_choice, check_real
from neurosparse.dendrites import _kernels

__all__ = [
    "ThresholdTradeoff",
    "expected_union_size",
    "false_match_probability",
    "false_negative_probability",
    "log_false_match_probability",
    "log_false_negative_probability",
    "log_neuron_false_match_probability",
    "log_union_false_match_probability",
    "log_union_input_false_match_probability",
    "median_false_match_probability",
    "neuron_false_match_probability",
    "optimal_threshold",
    "union_false_match_probability",
    "union_input_false_match_probability",
    "union_synapses",
]

SOURCE = "Ahmad & Hawkins 2016, arXiv:1601.00720"
_ROUNDING = ("round", "floor", "ceil")


def _ints(**named) -> list[np.ndarray]:
    """Validate named integer scalars/arrays (>= 0) and broadcast them to int64 arrays.

    The package's integer policy (``neurosparse._validation``): Python and NumPy integers
    only; floats are refused, integral ones such as ``12.0`` included.
    """
    arrays = []
    for name, value in named.items():
        arr = np.asarray(value)
        if arr.dtype == bool or arr.dtype.kind not in "iu":
            raise TypeError(
                f"{name} must be integer(s) (floats such as 12.0 are refused), got {value!r}"
            )
        if arr.size == 0:
            raise ValueError(f"{name} is empty (shape {arr.shape}): give at least one value")
        if np.any(arr < 0):
            raise ValueError(f"{name} must be non-negative, got {value!r}")
        arrays.append(arr.astype(np.int64))
    return list(np.broadcast_arrays(*arrays))


def _check_sizes(n, a, s, theta):
    """Validate (broadcast) integer arrays n, a, s, theta; returns them as int64 arrays."""
    n, a, s, theta = _ints(n=n, a=a, s=s, theta=theta)
    if np.any(n < 1):
        raise ValueError(f"n must be >= 1, got min {n.min()}")
    if np.any(a > n):
        raise ValueError(f"a must be <= n (active cells out of n), got a={a.max()} n={n.min()}")
    if np.any(s > n):
        raise ValueError(f"s must be <= n (synapses on distinct cells), got s={s.max()}")
    if np.any(theta > s):
        raise ValueError(f"theta must be <= s (threshold out of s synapses), got {theta.max()}")
    return n, a, s, theta


def _check_m(M) -> np.ndarray:
    (m,) = _ints(M=M)
    if np.any(m < 1):
        raise ValueError(f"M must be >= 1 (segments or stored patterns), got {M!r}")
    return m


def _out(arr: np.ndarray):
    return float(arr) if arr.ndim == 0 else arr


def _log_fp_both(n, a, s, theta):
    """(log P_fp, log(1 - P_fp)) on validated int64 arrays of one shape."""
    shape = n.shape
    sf, cdf = _kernels.log_hypergeom_both_grid(n.ravel(), s.ravel(), a.ravel(), theta.ravel())
    return sf.reshape(shape), cdf.reshape(shape)


# --------------------------------------------------------------------------------------
# One segment
# --------------------------------------------------------------------------------------


def log_false_match_probability(n, a, s, theta) -> np.ndarray | float:
    r"""Natural log of the false-match probability of one segment (Eq. 4).

    .. math::

        P_{fp} = \frac{\sum_{b=\theta}^{s} \binom{s}{b}\binom{n-s}{a-b}}{\binom{n}{a}}

    Parameters
    ----------
    n : int or array of int
        Cells in the population.
    a : int or array of int
        Active cells in a random SDR (``a <= n``).
    s : int or array of int
        Synapses on the segment (``s <= n``).
    theta : int or array of int
        NMDA threshold: matches needed (``theta <= s``).

    Returns
    -------
    float or ndarray
        ``log P_fp`` (``-inf`` where the probability is exactly 0), broadcast over inputs.
    """
    n, a, s, theta = _check_sizes(n, a, s, theta)
    shape = n.shape
    out = _kernels.log_hypergeom_sf_grid(n.ravel(), s.ravel(), a.ravel(), theta.ravel())
    return _out(out.reshape(shape))


def false_match_probability(n, a, s, theta) -> np.ndarray | float:
    r"""False-match probability of one segment (Eq. 4 of Ahmad & Hawkins 2016).

    The probability that a random SDR with ``a`` of ``n`` cells active reaches the
    threshold ``theta`` on a segment whose ``s`` synapses sit on ``s`` distinct cells,
    i.e. the upper tail of a hypergeometric distribution:

    .. math::

        P_{fp} = \frac{\sum_{b=\theta}^{s} \binom{s}{b}\binom{n-s}{a-b}}{\binom{n}{a}}

    computed exactly in log space (:func:`log_false_match_probability`) and
    exponentiated: values below the smallest float64 underflow to 0; use the log version
    for those.

    Parameters
    ----------
    n : int or array of int
        Cells in the population.
    a : int or array of int
        Active cells in a random SDR (``a <= n``).
    s : int or array of int
        Synapses on the segment (``s <= n``).
    theta : int or array of int
        NMDA threshold: matches needed (``theta <= s``).

    Returns
    -------
    float or ndarray
        ``P_fp``, broadcast over the inputs.

    Raises
    ------
    TypeError, ValueError
        For a non-integer size (floats such as ``12.0`` included) or sizes out of range
        (the message names the parameter).

    Examples
    --------
    >>> round(false_match_probability(500, 128, 24, 12), 5)  # paper, Fig 4A: 7.37e-3
    0.00737
    """
    return np.exp(log_false_match_probability(n, a, s, theta))


def log_false_negative_probability(a, s, theta, v) -> np.ndarray | float:
    r"""Natural log of the false-negative probability of a segment under noise.

    A segment holds ``s`` synapses onto cells of a stored pattern of ``a`` active cells.
    Noise moves ``v`` of the ``a`` active bits to inactive cells (htm.core's
    ``addNoise``); the segment misses the pattern when fewer than ``theta`` of its
    synapses stay active, i.e. when more than ``s - theta`` of its cells were moved:

    .. math::

        P_{fn} = \frac{\sum_{b=s-\theta+1}^{s} \binom{s}{b}\binom{a-s}{v-b}}{\binom{a}{v}}

    Parameters
    ----------
    a : int or array of int
        Active cells of the stored pattern (``s <= a``).
    s : int or array of int
        Synapses on the segment, all onto active cells of the pattern.
    theta : int or array of int
        Threshold (``theta <= s``).
    v : int or array of int
        Active bits moved by noise (``v <= a``).

    Returns
    -------
    float or ndarray
        ``log P_fn``; ``-inf`` where the segment cannot miss (e.g. ``v <= s - theta``).
    """
    a, s, theta, v = _ints(a=a, s=s, theta=theta, v=v)
    if np.any(a < 1):
        raise ValueError(f"a must be >= 1, got min {a.min()}")
    if np.any(s > a):
        raise ValueError(
            f"s must be <= a (the segment samples active cells), got s={s.max()} a={a.min()}"
        )
    if np.any(theta > s):
        raise ValueError(f"theta must be <= s (threshold out of s synapses), got {theta.max()}")
    if np.any(v > a):
        raise ValueError(f"v must be <= a (moved bits out of a active), got v={v.max()}")
    shape = a.shape
    out = _kernels.log_hypergeom_sf_grid(a.ravel(), s.ravel(), v.ravel(), (s - theta + 1).ravel())
    return _out(out.reshape(shape))


def false_negative_probability(a, s, theta, v) -> np.ndarray | float:
    """False-negative probability under noise; see :func:`log_false_negative_probability`.

    Examples
    --------
    >>> f"{false_negative_probability(128, 30, 12, 64):.3g}"  # paper, Fig 4B: 0.0717
    '0.0717'
    """
    return np.exp(log_false_negative_probability(a, s, theta, v))


# --------------------------------------------------------------------------------------
# A neuron with M segments
# --------------------------------------------------------------------------------------


def _log_one_minus_pow(log_p, log_1mp, m):
    """log(1 - (1 - p)^m) from log p and log(1 - p), stable everywhere, never NaN."""
    p = np.exp(log_p)
    log1mp = np.where(p > 0.5, log_1mp, np.log1p(-np.minimum(p, 0.5)))
    x = m * log1mp
    with np.errstate(divide="ignore"):
        out = np.log(-np.expm1(x))
    # where p underflows (or nearly), 1 - (1-p)^m = m p (1 + O(m p)) with m p < 1e-290
    tiny = log_p < -700.0
    return np.where(tiny, np.log(m.astype(float)) + log_p, out)


def log_neuron_false_match_probability(n, a, s, theta, M) -> np.ndarray | float:
    r"""Natural log of the false-match probability of a neuron with ``M`` segments.

    The neuron fires when any of its ``M`` independent segments matches:

    .. math::

        P = 1 - (1 - P_{fp})^M = -\operatorname{expm1}(M \log(1 - P_{fp}))

    where ``log(1 - P_fp)`` is summed directly from the lower tail when ``P_fp`` is
    large (no cancellation), and ``log P = log M + log P_fp`` to within ``M P_fp`` when
    ``P_fp`` is below float range.

    Parameters
    ----------
    n, a, s, theta
        As for :func:`log_false_match_probability`.
    M : int or array of int
        Segments on the neuron (``>= 1``).
    """
    n, a, s, theta = _check_sizes(n, a, s, theta)
    m = _check_m(M)
    n, a, s, theta, m = np.broadcast_arrays(n, a, s, theta, m)
    log_p, log_1mp = _log_fp_both(n, a, s, theta)
    return _out(_log_one_minus_pow(log_p, log_1mp, m))


def neuron_false_match_probability(n, a, s, theta, M) -> np.ndarray | float:
    """False-match probability of a neuron with ``M`` segments; see the log version."""
    return np.exp(log_neuron_false_match_probability(n, a, s, theta, M))


# --------------------------------------------------------------------------------------
# Unions
# --------------------------------------------------------------------------------------


def _expected_union(n, k, M):
    """n (1 - (1 - k/n)^M), computed as -n expm1(M log1p(-k/n))."""
    n = n.astype(float)
    return -n * np.expm1(M * np.log1p(-k / n))


def union_synapses(n, s, M) -> np.ndarray | float:
    r"""Expected synapses on a segment that stores a union of ``M`` patterns (Fig 7A).

    Each pattern contributes ``s`` synapses onto cells drawn at random out of ``n``;
    synapses onto the same cell merge, so the expected count is

    .. math::

        s_M = n \left(1 - (1 - s/n)^M\right).

    Returns a float (an expectation); see :func:`union_false_match_probability` for how
    it is rounded for Eq. 4.
    """
    (n_, s_) = _ints(n=n, s=s)
    if np.any(n_ < 1):
        raise ValueError(f"n must be >= 1, got min {n_.min()}")
    if np.any(s_ > n_):
        raise ValueError(f"s must be <= n, got s={s_.max()}")
    m = _check_m(M)
    n_, s_, m = np.broadcast_arrays(n_, s_, m)
    return _out(_expected_union(n_, s_, m))


def expected_union_size(n, a, M) -> np.ndarray | float:
    r"""Expected active cells in the union of ``M`` random SDRs of ``a`` out of ``n``.

    .. math::

        a_M = n \left(1 - (1 - a/n)^M\right)
    """
    (n_, a_) = _ints(n=n, a=a)
    if np.any(n_ < 1):
        raise ValueError(f"n must be >= 1, got min {n_.min()}")
    if np.any(a_ > n_):
        raise ValueError(f"a must be <= n, got a={a_.max()}")
    m = _check_m(M)
    n_, a_, m = np.broadcast_arrays(n_, a_, m)
    return _out(_expected_union(n_, a_, m))


def _round(x: np.ndarray, rounding: str) -> np.ndarray:
    check_choice("rounding", rounding, _ROUNDING)
    fn = {"round": np.rint, "floor": np.floor, "ceil": np.ceil}[rounding]
    # 1e-9 guards values such as 24.999999999 that are integers up to rounding error
    if rounding == "floor":
        return np.floor(x + 1e-9).astype(np.int64)
    if rounding == "ceil":
        return np.ceil(x - 1e-9).astype(np.int64)
    return fn(x).astype(np.int64)


def log_union_false_match_probability(
    n, a, s, theta, M, *, rounding: str = "round"
) -> np.ndarray | float:
    r"""Natural log of the false-match probability of a segment storing ``M`` patterns.

    The union segment has (in expectation) ``s_M = n(1 - (1 - s/n)^M)`` synapses
    (:func:`union_synapses`), and a random SDR matches it when ``theta`` of them are
    active: Eq. 4 with ``s_M`` in place of ``s`` (Fig 7B).

    Eq. 4 needs a whole number of synapses; the paper plugs in the expectation. Here
    ``s_M`` is rounded to the nearest integer (``rounding="round"``, the default);
    ``"floor"`` and ``"ceil"`` bracket it. The difference is small where the curves
    are steep in ``M`` (it shifts the curve by a fraction of one stored pattern).
    """
    n_, a_, s_, theta_ = _check_sizes(n, a, s, theta)
    m = _check_m(M)
    n_, a_, s_, theta_, m = np.broadcast_arrays(n_, a_, s_, theta_, m)
    s_m = np.clip(_round(_expected_union(n_, s_, m), rounding), s_, n_)
    return log_false_match_probability(n_, a_, s_m, theta_)


def union_false_match_probability(n, a, s, theta, M, *, rounding="round"):
    """False-match probability of a union segment; see the log version."""
    return np.exp(log_union_false_match_probability(n, a, s, theta, M, rounding=rounding))


def log_union_input_false_match_probability(
    n, a, s, theta, M, *, rounding: str = "round"
) -> np.ndarray | float:
    r"""Natural log of the false-match probability of a segment against a union input.

    The input is the union of ``M`` random SDRs, with (in expectation)
    ``a_M = n(1 - (1 - a/n)^M)`` active cells (:func:`expected_union_size`): Eq. 4 with
    ``a_M`` in place of ``a``, ``a_M`` rounded as in
    :func:`log_union_false_match_probability`.
    """
    n_, a_, s_, theta_ = _check_sizes(n, a, s, theta)
    m = _check_m(M)
    n_, a_, s_, theta_, m = np.broadcast_arrays(n_, a_, s_, theta_, m)
    a_m = np.clip(_round(_expected_union(n_, a_, m), rounding), a_, n_)
    return log_false_match_probability(n_, a_m, s_, theta_)


def union_input_false_match_probability(n, a, s, theta, M, *, rounding="round"):
    """False-match probability against a union of ``M`` inputs; see the log version."""
    return np.exp(log_union_input_false_match_probability(n, a, s, theta, M, rounding=rounding))


# --------------------------------------------------------------------------------------
# Thresholds
# --------------------------------------------------------------------------------------


class ThresholdTradeoff(NamedTuple):
    """Result of :func:`optimal_threshold`.

    Attributes
    ----------
    theta : int
        The threshold with the smallest total error.
    thetas : ndarray of int
        Thresholds examined.
    log_p_false_match, log_p_false_negative, log_p_error : ndarray
        Natural logs of ``P_fp``, ``P_fn`` and ``P_fp + weight * P_fn`` per threshold.
    """

    theta: int
    thetas: np.ndarray
    log_p_false_match: np.ndarray
    log_p_false_negative: np.ndarray
    log_p_error: np.ndarray


def optimal_threshold(
    n: int, a: int, s: int, noise: float, *, weight: float = 1.0, thetas=None
) -> ThresholdTradeoff:
    r"""The threshold that best trades false matches against misses under noise.

    For each ``theta`` in ``thetas`` (default ``1 ... s``) the segment's false-match
    probability ``P_fp`` (Eq. 4, a random SDR) and its false-negative probability
    ``P_fn`` (the stored pattern with ``v = round(noise * a)`` bits moved) are computed
    exactly, and the threshold minimising ``P_fp + weight * P_fn`` is returned (ties:
    the smallest). Raising ``theta`` lowers ``P_fp`` and raises ``P_fn``: the paper's
    argument (Section "Robustness", Fig 6) that moderate thresholds, 9 to 20 for
    realistic ``n, a, s``, give both tiny false-match rates and tolerance to noise.

    Parameters
    ----------
    n, a, s : int
        Cells, active cells and synapses (``s <= a <= n``).
    noise : float
        Fraction of the ``a`` active bits moved, in [0, 1].
    weight : float
        Cost of a miss relative to a false match (> 0).
    thetas : array of int, optional
        Thresholds to compare (each in ``0 ... s``).
    """
    noise = check_real("noise", noise, low=0.0, high=1.0)
    weight = check_real("weight", weight, low=0.0, low_open=True)
    n_, a_, s_ = (int(x) for x in _ints(n=n, a=a, s=s))
    if thetas is None:
        thetas = np.arange(1, s_ + 1)
    (th,) = _ints(thetas=thetas)
    th = np.atleast_1d(th)
    v = math.floor(noise * a_ + 0.5)
    log_fp = np.atleast_1d(log_false_match_probability(n_, a_, s_, th))
    log_fn = np.atleast_1d(log_false_negative_probability(a_, s_, th, v))
    log_err = np.logaddexp(log_fp, np.log(weight) + log_fn)
    best = int(th[int(np.argmin(log_err))])
    return ThresholdTradeoff(best, th, log_fp, log_fn, log_err)


def median_false_match_probability(thetas, n, a_fraction, s) -> np.ndarray:
    r"""Natural log of the median of Eq. 4 over a grid of ``(n, a, s)``, per threshold.

    Fig 6 of the paper: for each ``theta``, the median false-match probability over all
    combinations of ``n`` (cells), ``a = round(a_fraction * n)`` and ``s``. A grid point
    with ``theta > s`` can never match and counts as ``P_fp = 0``. With an even number of
    points the median is the mean of the two middle values (as ``numpy.median``),
    taken in log space (``logaddexp``) so it stays exact below float range.

    Parameters
    ----------
    thetas : array of int
    n : array of int
    a_fraction : array of float
        Active fraction of ``n`` (``a`` is rounded to the nearest integer).
    s : array of int

    Returns
    -------
    ndarray, shape (len(thetas),)
        ``log`` of the median ``P_fp``.
    """
    (th,) = _ints(thetas=thetas)
    (nn,) = _ints(n=n)
    (ss,) = _ints(s=s)
    frac = np.asarray(a_fraction, dtype=float)
    if np.any(~np.isfinite(frac)) or np.any(frac < 0) or np.any(frac > 1):
        raise ValueError(f"a_fraction must lie in [0, 1], got {a_fraction!r}")
    th, nn, ss = np.atleast_1d(th), np.atleast_1d(nn), np.atleast_1d(ss)
    T, N, F, S = np.meshgrid(th, nn, frac, ss, indexing="ij")
    A = np.rint(F * N).astype(np.int64)
    valid = T <= S
    _check_sizes(N, A, S, np.minimum(T, S))
    log_p = np.full(T.shape, -np.inf)
    log_p[valid] = _kernels.log_hypergeom_sf_grid(N[valid], S[valid], A[valid], T[valid])
    flat = np.sort(log_p.reshape(len(th), -1), axis=1)
    k = flat.shape[1]
    if k % 2:
        return flat[:, k // 2]
    lo, hi = flat[:, k // 2 - 1], flat[:, k // 2]
    with np.errstate(invalid="ignore"):
        med = np.logaddexp(lo, hi) - np.log(2.0)
    return np.where(np.isneginf(hi), -np.inf, med)
