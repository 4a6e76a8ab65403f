"""Ahmad & Hawkins (2016), Fig 7B: false matches of a segment that stores a union.

Subutai Ahmad and Jeff Hawkins, "How do neurons operate on sparse distributed
representations? A mathematical theory of sparsity, neurons and active dendrites",
arXiv:1601.00720 (2016).

Reproduced: Eq. 4 with the union's expected synapse count ``s_M = n (1 - (1 - s/n)^M)``
rounded to the nearest integer (:func:`neurosparse.dendrites.union_false_match_probability`)
for ``a = 200``, ``s = 25``, ``theta = 15``, ``n`` in {1000, 10,000, 20,000} and
``M = 1 ... 19`` stored patterns. For ``n = 1000`` (where the rates are measurable) a
simulation with a :class:`neurosparse.dendrites.DendriticNeuron` storing ``M`` random
SDRs per segment, tested on random SDRs (full run: 1000 segments x 20,000 inputs per
``M``; quick: 50 x 1000), measures the real rate, in which the synapse count varies
from segment to segment; the formula is an approximation of it (Jensen's gap: the rate
is convex in ``s_M``), and the metrics give the ratio.

The paper shows the curves without quoting numbers: with ``n = 1000`` a union of a few
patterns already makes false matches likely, while larger populations keep the rate
low for many more stored patterns. Claims: the second part is checked as an ordering
(the first ``M`` at which the rate exceeds 1e-9 grows with ``n``); for the first, the
claims table gives the first ``M`` at which a false match is more likely than not,
without a verdict (the paper does not say how many patterns "a few" is).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse.dendrites import (
    DendriticNeuron,
    binomial_interval,
    random_sdr,
    union_false_match_probability,
)
from neurosparse.results import claim_check
from neurosparse.studies import params_of, study_main, study_result

PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"
FIGURE = "Fig 7B"
TITLE = "False-match rate of a union segment vs stored patterns M (a=200, s=25, theta=15)"
STUDY_ID = "ahmad2016/fig7b"


@dataclass(frozen=True)
class Params:
    """Settings of Fig 7B: ``M = 1 ... m_max``; the simulation at ``n = sim_n`` with
    ``segments`` segments tested on ``inputs`` random SDRs per ``M``; ``rounding`` of
    ``s_M`` in the formula."""

    a: int = 200
    s: int = 25
    theta: int = 15
    n_values: tuple[int, ...] = (1000, 10_000, 20_000)
    m_max: int = 19
    rounding: str = "round"
    sim_n: int = 1000
    segments: int = 1000
    inputs: int = 20_000
    low_rate: float = 1e-9  # "low": the ordering claim compares where each n first exceeds it


FULL = Params()
QUICK = Params(segments=50, inputs=1000)

CLAIM = (
    "n=1000: false matches become likely after a few patterns; larger n "
    "keeps the rate low for many more patterns"
)
CLAIM_SOURCE = f"{PAPER}, Fig 7B and text"


def _first_m_above(rates: np.ndarray, m_values: np.ndarray, level: float) -> list[int]:
    return [int(m_values[np.argmax(t > level)]) if np.any(t > level) else -1 for t in rates]


def run(params: Params, seed: int = 0) -> xr.DataTree:
    """The formula on the (n, M) grid and the simulated rate at ``n = sim_n``."""
    a, s, theta, sim_n = params.a, params.s, params.theta, params.sim_n
    segments, inputs = params.segments, params.inputs
    n = np.asarray(params.n_values)
    m_values = np.arange(1, params.m_max + 1)
    theory = union_false_match_probability(
        n[:, None], a, s, theta, m_values[None, :], rounding=params.rounding
    )
    rng = np.random.default_rng(seed)
    sim, low, high = (np.zeros(len(m_values)) for _ in range(3))
    for j, m in enumerate(m_values):
        patterns = random_sdr(sim_n, a, size=segments * int(m), seed=rng)
        neuron = DendriticNeuron(
            n_synapses=s, theta=theta, patterns_per_segment=int(m), seed=rng
        ).fit(patterns, n=sim_n)
        probes = random_sdr(sim_n, a, size=inputs, seed=rng)
        hits = int(neuron.segment_activity(probes).sum())
        total = segments * inputs
        sim[j] = hits / total
        low[j], high[j] = binomial_interval(hits, total)
    sim_row = int(np.flatnonzero(n == sim_n)[0]) if np.any(n == sim_n) else None
    if sim_row is None:
        sim_theory = union_false_match_probability(
            sim_n, a, s, theta, m_values, rounding=params.rounding
        )
    else:
        sim_theory = theory[sim_row]
    ratio = np.where(sim > 0, sim_theory / np.where(sim > 0, sim, 1.0), np.nan)
    m_at_low = _first_m_above(theory, m_values, params.low_rate)
    m_at_half = _first_m_above(theory, m_values, 0.5)
    reference = xr.Dataset(
        {"claim": ((), CLAIM, {"source": CLAIM_SOURCE, "long_name": "the paper's claim"})}
    )
    ci = {"confidence": 0.95, "method": "clopper-pearson"}
    metrics = xr.Dataset(
        {
            "p_false_match": (
                ("n", "m"),
                theory,
                {"long_name": f"Eq. 4 with s_M rounded ({params.rounding})", "units": "1"},
            ),
            "p_simulated_n1000": (
                "m",
                sim,
                {"units": "1", "long_name": f"simulated false-match rate, n = {sim_n}"},
            ),
            "ci_low_n1000": (
                "m",
                low,
                {**ci, "units": "1", "long_name": "lower confidence bound of the simulation"},
            ),
            "ci_high_n1000": (
                "m",
                high,
                {**ci, "units": "1", "long_name": "upper confidence bound of the simulation"},
            ),
            "formula_over_simulation_n1000": (
                "m",
                ratio,
                {"units": "1", "long_name": f"formula / simulated rate, n = {sim_n}"},
            ),
            "first_m_above_1e9": (
                "n",
                np.asarray(m_at_low),
                {"long_name": f"smallest M with P_fp > {params.low_rate:g} (-1: none)"},
            ),
            "first_m_above_half": (
                "n",
                np.asarray(m_at_half),
                {"long_name": "smallest M with P_fp > 0.5 (-1: none)"},
            ),
        },
        coords={
            "n": ("n", n, {"long_name": "cells in the population"}),
            "m": ("m", m_values, {"long_name": "patterns stored on the segment"}),
        },
    )
    # the ordering: a population that never exceeds the level ranks above every M
    rank = np.where(np.asarray(m_at_low) < 0, params.m_max + 1, m_at_low)
    ordered = bool(np.all(np.diff(rank[np.argsort(n)]) > 0))
    listed = ", ".join(f"{m} (n={nn})" if m > 0 else f"none (n={nn})" for m, nn in zip(m_at_low, n))
    claims = [
        claim_check(
            f"n={n.min()}: false matches become likely after a few stored patterns",
            "after a few patterns",
            f"P_fp > 0.5 from M = {m_at_half[int(np.argmin(n))]} (Eq. 4 with s_M)",
            None,
            tolerance='none: the paper does not say how many patterns "a few" is',
            source=CLAIM_SOURCE,
        ),
        claim_check(
            "Larger n keeps the false-match rate low for many more stored patterns",
            "more patterns as n grows",
            f"first M with P_fp > {params.low_rate:g}: {listed}",
            ordered,
            tolerance=f"the first M with P_fp > {params.low_rate:g} grows strictly with n",
            source=CLAIM_SOURCE,
        ),
    ]
    return study_result(
        params,
        seed,
        kind="dendrites.union_false_match",
        groups={"metrics": metrics, "reference": reference},
        claims=claims,
    )


def plot(result: xr.DataTree):
    """The formula per n and the simulated rate at n = sim_n with its intervals."""
    import matplotlib.pyplot as plt

    params = params_of(result)
    m = result["metrics"]
    m_values = m["m"].values
    theory = m["p_false_match"].values
    sim, low, high = (m[k].values for k in ("p_simulated_n1000", "ci_low_n1000", "ci_high_n1000"))
    fig, ax = plt.subplots(figsize=(6.2, 4.4))
    for i, nn in enumerate(m["n"].values):
        ax.semilogy(m_values, theory[i], "-", label=f"n = {nn:,}, Eq. 4 (rounded s_M)")
    seen = sim > 0
    ax.errorbar(
        m_values[seen],
        sim[seen],
        yerr=np.vstack([sim[seen] - low[seen], high[seen] - sim[seen]]),
        fmt="o",
        mfc="none",
        ms=4,
        color="tab:blue",
        capsize=2,
        label=f"simulated, n = {params.sim_n}",
    )
    ax.set_xlabel("patterns stored on the segment M")
    ax.set_ylabel("probability of false match")
    ax.set_ylim(1e-30, 2)
    ax.set_xticks(m_values[::2])
    ax.set_title(
        f"a = {params.a}, s = {params.s}, θ = {params.theta}  (Ahmad & Hawkins 2016, Fig 7B)"
    )
    ax.legend(frameon=False, fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    return fig


def main(out, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Compute Fig 7B, simulate the n=1000 curve, write the figure."""
    return study_main(__name__, out, quick=quick, seed=seed)
