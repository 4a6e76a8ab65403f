"""Targets of the example sweeps (``studies/sweeps/*.toml``): functions returning a result.

A sweep's function target takes its swept parameters as keyword arguments (and
``seed``, when it has one) and returns a result tree (:mod:`neurosparse.results`); the
sweep combines the numeric groups of the points along the swept dimensions.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

__all__ = ["false_match"]


def false_match(
    n: int,
    theta: int,
    s: int,
    *,
    a: int = 128,
    trials: int = 100_000,
    seed=None,
) -> xr.DataTree:
    """False-match rate of one dendritic segment at ``(n, a, s, theta)``: Eq. 4 of Ahmad &
    Hawkins (2016) and a Monte Carlo estimate on random SDRs beside it.

    Parameters
    ----------
    n, theta, s : int
        Cells in the population, the segment's threshold, its synapses (``theta <= s``).
    a : int
        Active cells of a random SDR.
    trials : int
        Monte Carlo trials (:func:`neurosparse.dendrites.simulate_false_match`).
    seed : int, Generator or None
        Seed of the simulation.

    Returns
    -------
    xarray.DataTree
        ``metrics``: ``log10_p_theory``, ``p_theory``, ``p_simulated`` with its 95 %
        Clopper-Pearson interval (``ci_low``, ``ci_high``), ``hits``, ``theory_inside_ci``.
    """
    from neurosparse.dendrites import log_false_match_probability, simulate_false_match
    from neurosparse.dendrites.theory import SOURCE
    from neurosparse.results import new_result

    log_p = float(log_false_match_probability(n, a, s, theta))  # validates n, a, s, theta
    est = simulate_false_match(n, a, s, theta, trials, seed=seed)
    metrics = xr.Dataset(
        {
            "log10_p_theory": ((), log_p / math.log(10.0),
                               {"long_name": "log10 false-match probability (Eq. 4)"}),
            "p_theory": ((), math.exp(log_p), {"long_name": "false-match probability (Eq. 4)",
                                               "units": "1"}),
            "p_simulated": ((), est.estimate, {"long_name": "simulated false-match rate",
                                               "units": "1"}),
            "ci_low": ((), est.low, {"long_name": "95 % interval of the rate, low end",
                                     "units": "1"}),
            "ci_high": ((), est.high, {"long_name": "95 % interval of the rate, high end",
                                       "units": "1"}),
            "hits": ((), np.int64(est.hits), {"long_name": "trials over threshold"}),
            "theory_inside_ci": ((), bool(est.agrees),
                                 {"long_name": "Eq. 4 inside the simulated interval"}),
        }
    )  # fmt: skip
    return new_result(
        "dendrites.false_match_point",
        params={"n": n, "a": a, "s": s, "theta": theta, "trials": trials},
        seed=est.seed,
        source=SOURCE,
        groups={"metrics": metrics},
    )
