"""Monte Carlo simulation of dendritic segments on random SDRs (Ahmad & Hawkins 2016).

The paper checks Eq. 4 against simulation (Fig 4A: 10⁸ trials per point, with a C++
simulator). Here each trial is simulated synapse by synapse in Numba:

``method="sequential"`` (default, fast)
    A segment has ``s`` synapses onto fixed cells; a fresh random SDR (``a`` active out
    of ``n``) is revealed one synapse at a time, without replacement: given ``k``
    synapses looked at and ``r`` active cells still unseen among the ``n - k`` unseen
    cells, the next synapse's cell is active with probability ``r / (n - k)``. This is
    the exact law of a uniformly random subset, observed cell by cell (a true simulation
    of random SDRs, not a draw from the hypergeometric formula). A trial stops as soon
    as its outcome is decided, so a trial costs about ``s`` random numbers at most.
``method="explicit"`` (literal, slower)
    Each trial draws a random SDR and a random segment (Floyd's algorithm for both) and
    counts their common cells.

Trials run in chunks of ``chunk_size``, each with its own seed drawn once from the
entry point's generator, in parallel (Numba threads): the result depends on ``seed`` and
``chunk_size`` only, never on the number of threads. Random numbers inside the kernels
come from SplitMix64 (64-bit state per chunk).

Confidence intervals are binomial: Clopper–Pearson (exact, conservative; the default)
or Wilson (score interval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse._validation import check_choice, check_int, check_real, resolve_rng, seed_attr
from neurosparse.dendrites import _kernels
from neurosparse.dendrites.theory import (
    SOURCE,
    log_false_match_probability,
    log_false_negative_probability,
)

__all__ = [
    "MonteCarloEstimate",
    "binomial_interval",
    "simulate_false_match",
    "simulate_false_negative",
]

_METHODS = ("sequential", "explicit")
_INTERVALS = ("clopper-pearson", "wilson")


def binomial_interval(
    hits: int, trials: int, *, confidence: float = 0.95, method: str = "clopper-pearson"
) -> tuple[float, float]:
    r"""Two-sided confidence interval for a binomial proportion ``hits / trials``.

    With :math:`k` hits in :math:`N` trials, :math:`\hat p = k/N` and
    :math:`\alpha = 1 - \text{confidence}`:

    ``"clopper-pearson"`` (exact, conservative): from Beta quantiles,

    .. math:: \left[B_{\alpha/2}(k, N-k+1),\; B_{1-\alpha/2}(k+1, N-k)\right]

    with the lower end 0 when :math:`k = 0` and the upper end 1 when :math:`k = N`.

    ``"wilson"`` (the score interval, shorter), :math:`z` the normal quantile
    :math:`1 - \alpha/2`:

    .. math:: \frac{\hat p + \frac{z^2}{2N} \pm z\sqrt{\frac{\hat p(1-\hat p)}{N}
              + \frac{z^2}{4N^2}}}{1 + z^2/N}

    Parameters
    ----------
    hits : int
        Successes, ``0 <= hits <= trials``.
    trials : int
        Trials, at least 1.
    confidence : float in (0, 1)
        Coverage of the interval.
    method : {"clopper-pearson", "wilson"}

    Returns
    -------
    (low, high) : tuple of float
        The interval, within ``[0, 1]``.

    Examples
    --------
    >>> low, high = binomial_interval(0, 1000)
    >>> (low, round(high, 5))
    (0.0, 0.00368)
    """
    from scipy import special  # not scipy.stats: the same quantiles, a third of the import

    trials = check_int("trials", trials, low=1)
    hits = check_int("hits", hits, low=0, high=trials)
    confidence = check_real(
        "confidence", confidence, low=0.0, high=1.0, low_open=True, high_open=True
    )
    check_choice("method", method, _INTERVALS)
    alpha = 1.0 - confidence
    if method == "clopper-pearson":
        misses = trials - hits
        low = 0.0 if hits == 0 else float(special.betaincinv(hits, misses + 1, alpha / 2))
        high = 1.0 if misses == 0 else float(special.betainccinv(hits + 1, misses, alpha / 2))
        return low, high
    z = float(-special.ndtri(alpha / 2))
    p = hits / trials
    denom = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class MonteCarloEstimate:
    """A Monte Carlo estimate of a probability, with its binomial confidence interval.

    Attributes
    ----------
    hits, trials : int
        Trials that matched (or missed, for false negatives), and trials run.
    estimate : float
        ``hits / trials``.
    low, high : float
        Confidence interval (``confidence``, ``interval`` method).
    theory : float
        The exact value (Eq. 4 or the false-negative formula) for the same parameters.
    kind : str
        ``"false_match"`` or ``"false_negative"``.
    params : dict
        The parameters of the simulation (JSON-serialisable).
    seed : int or str
        The seed as recorded before the simulation drew from it
        (:func:`neurosparse._validation.seed_attr`).
    """

    hits: int
    trials: int
    estimate: float
    low: float
    high: float
    confidence: float
    interval: str
    theory: float
    kind: str
    params: dict
    seed: int | str = "none"

    @property
    def agrees(self) -> bool:
        """Whether the exact value lies inside the confidence interval."""
        return self.low <= self.theory <= self.high

    def to_result(self) -> xr.DataTree:
        """The estimate as a result tree (``metrics``: estimate, interval, theory)."""
        from neurosparse.results import new_result

        metrics = xr.Dataset(
            {
                "hits": ((), self.hits, {"long_name": "trials over threshold"}),
                "trials": ((), self.trials),
                "estimate": ((), self.estimate, {"units": "1"}),
                "ci_low": ((), self.low, {"confidence": self.confidence, "method": self.interval}),
                "ci_high": (
                    (),
                    self.high,
                    {"confidence": self.confidence, "method": self.interval},
                ),
                "theory": ((), self.theory, {"long_name": "exact value"}),
                "agrees": ((), self.agrees),
            }
        )
        return new_result(
            f"dendrites.montecarlo_{self.kind}",
            params=dict(self.params),
            seed=self.seed,
            source=SOURCE,
            groups={"metrics": metrics},
        )


def _run(pop, marked, draws, threshold, trials, rng, method, chunk_size):
    n_chunks = max(1, -(-trials // chunk_size))
    sizes = np.full(n_chunks, chunk_size, dtype=np.int64)
    sizes[-1] = trials - chunk_size * (n_chunks - 1)
    seeds = rng.integers(0, 2**63, size=n_chunks, dtype=np.int64)
    if method == "sequential":
        if n_chunks == 1:
            return int(
                _kernels.sequential_tail_hits(pop, marked, draws, threshold, trials, seeds[0])
            )
        hits = _kernels.sequential_tail_hits_chunks_par(pop, marked, draws, threshold, sizes, seeds)
        return int(hits.sum())
    return int(
        sum(
            _kernels.explicit_tail_hits(pop, marked, draws, threshold, int(k), int(sd))
            for k, sd in zip(sizes, seeds)
        )
    )


def _finish(hits, trials, confidence, interval, theory, kind, params, seed):
    low, high = binomial_interval(hits, trials, confidence=confidence, method=interval)
    return MonteCarloEstimate(
        hits=hits,
        trials=trials,
        estimate=hits / trials,
        low=low,
        high=high,
        confidence=confidence,
        interval=interval,
        theory=float(theory),
        kind=kind,
        params=params,
        seed=seed,
    )


def _common(trials, method, confidence, interval, chunk_size):
    trials = check_int("trials", trials, low=1)
    check_choice("method", method, _METHODS)
    check_choice("interval", interval, _INTERVALS)
    confidence = check_real(
        "confidence", confidence, low=0.0, high=1.0, low_open=True, high_open=True
    )
    chunk_size = check_int("chunk_size", chunk_size, low=1)
    return trials, confidence, chunk_size


def simulate_false_match(
    n: int,
    a: int,
    s: int,
    theta: int,
    trials: int,
    seed=None,
    *,
    method: str = "sequential",
    confidence: float = 0.95,
    interval: str = "clopper-pearson",
    chunk_size: int = 1 << 20,
) -> MonteCarloEstimate:
    """Simulate the false-match rate of a segment on random SDRs (Fig 4A).

    Each trial: a random SDR with ``a`` active cells out of ``n``, against a segment of
    ``s`` synapses onto distinct cells; a false match when ``theta`` or more synapses
    see active cells. See the module docstring for the two methods.

    Parameters
    ----------
    n, a, s, theta : int
        Cells, active cells, synapses, threshold (``a, s <= n``, ``theta <= s``).
    trials : int
        Number of independent trials.
    seed : int, Generator or None
        Resolved once; each chunk of ``chunk_size`` trials gets its own seed from it.
    method : {"sequential", "explicit"}
    confidence : float
        Level of the binomial interval.
    interval : {"clopper-pearson", "wilson"}
    chunk_size : int
        Trials per chunk (the parallel unit).

    Returns
    -------
    MonteCarloEstimate
        ``estimate``, ``low``, ``high``, ``hits``, the exact ``theory`` value, and
        ``to_result()``.
    """
    trials, confidence, chunk_size = _common(trials, method, confidence, interval, chunk_size)
    log_theory = log_false_match_probability(n, a, s, theta)  # validates n, a, s, theta
    n, a, s, theta = (int(x) for x in (n, a, s, theta))
    recorded = seed_attr(seed)  # before anything draws from it
    hits = _run(n, a, s, theta, trials, resolve_rng(seed), method, chunk_size)
    params = {
        "n": n,
        "a": a,
        "s": s,
        "theta": theta,
        "trials": trials,
        "method": method,
        "chunk_size": chunk_size,
    }
    return _finish(
        hits, trials, confidence, interval, math.exp(log_theory), "false_match", params, recorded
    )


def simulate_false_negative(
    a: int,
    s: int,
    theta: int,
    v: int,
    trials: int,
    seed=None,
    *,
    method: str = "sequential",
    confidence: float = 0.95,
    interval: str = "clopper-pearson",
    chunk_size: int = 1 << 20,
) -> MonteCarloEstimate:
    r"""Simulate the false-negative rate of a segment under noise (Fig 4B).

    Each trial: a stored pattern of ``a`` active cells, a segment with ``s`` synapses
    onto ``s`` of them, and noise that moves ``v`` of the ``a`` active bits to inactive
    cells (the count stays, as htm.core's ``addNoise``). The segment misses when fewer
    than ``theta`` of its synapses still see active cells. The moved bits land on cells
    the segment does not connect to, so only which ``v`` bits leave matters: a random
    ``v``-subset of the ``a`` cells, observed through the segment's ``s`` cells
    (sequential method) or drawn explicitly.

    A trial misses when more than ``s - theta`` of the segment's cells are among the
    ``v`` moved bits; its probability is the hypergeometric tail that
    :func:`~neurosparse.dendrites.false_negative_probability` gives exactly:

    .. math::

        P_{fn} = \sum_{b = s - \theta + 1}^{\min(s, v)}
                 \frac{\binom{s}{b}\binom{a - s}{v - b}}{\binom{a}{v}}

    Parameters
    ----------
    a : int
        Active cells of the stored pattern.
    s : int
        Synapses of the segment, onto ``s`` of the pattern's active cells (``s <= a``).
    theta : int
        NMDA threshold (``theta <= s``).
    v : int
        Active bits moved by the noise (``v <= a``).
    trials : int
        Number of independent trials.
    seed : int, Generator or None
        Resolved once; each chunk of ``chunk_size`` trials gets its own seed from it.
    method : {"sequential", "explicit"}
        Observe the moved bits through the segment's cells one by one, or draw the
        ``v``-subset explicitly (module docstring).
    confidence : float
        Level of the binomial interval.
    interval : {"clopper-pearson", "wilson"}
    chunk_size : int
        Trials per chunk (the parallel unit).

    Returns
    -------
    MonteCarloEstimate
        ``estimate``, ``low``, ``high``, ``hits``, the exact ``theory`` value, and
        ``to_result()``.
    """
    trials, confidence, chunk_size = _common(trials, method, confidence, interval, chunk_size)
    log_theory = log_false_negative_probability(a, s, theta, v)  # validates
    a, s, theta, v = (int(x) for x in (a, s, theta, v))
    recorded = seed_attr(seed)  # before anything draws from it
    # a miss = more than s - theta of the segment's cells among the v moved bits
    hits = _run(a, v, s, s - theta + 1, trials, resolve_rng(seed), method, chunk_size)
    params = {
        "a": a,
        "s": s,
        "theta": theta,
        "v": v,
        "trials": trials,
        "method": method,
        "chunk_size": chunk_size,
    }
    return _finish(
        hits, trials, confidence, interval, math.exp(log_theory), "false_negative", params,
        recorded,
    )  # fmt: skip
