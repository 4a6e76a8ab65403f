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
``M``; quick: 100 x 1000), measures the real rate, in which the synapse count varies
from segment to segment; the formula is an approximation of it (Jensen's gap: the rate
is convex in ``s_M``), and the metrics give the ratio.

The paper shows the curves without quoting numbers: with ``n = 1000`` a union of a few
patterns already makes false matches likely, while larger populations keep the rate
low for many more stored patterns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from neurosparse.dendrites import (
    DendriticNeuron,
    binomial_interval,
    random_sdr,
    union_false_match_probability,
)
from neurosparse.results import new_result
from neurosparse.studies import save_study

PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"
FIGURE = "Fig 7B"
TITLE = "False-match rate of a union segment vs stored patterns M (a=200, s=25, theta=15)"
STUDY_ID = "ahmad2016/fig7b"

A, S, THETA = 200, 25, 15
N_VALUES = (1000, 10_000, 20_000)
M_VALUES = np.arange(1, 20)
SIM_N = 1000
SEGMENTS_FULL, INPUTS_FULL = 1000, 20_000
SEGMENTS_QUICK, INPUTS_QUICK = 100, 1000


def main(out: Path, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Compute Fig 7B, simulate the n=1000 curve, write the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    segments, inputs = (SEGMENTS_QUICK, INPUTS_QUICK) if quick else (SEGMENTS_FULL, INPUTS_FULL)
    n = np.asarray(N_VALUES)
    theory = union_false_match_probability(n[:, None], A, S, THETA, M_VALUES[None, :])
    rng = np.random.default_rng(seed)
    sim, low, high = (np.zeros(len(M_VALUES)) for _ in range(3))
    for j, m in enumerate(M_VALUES):
        patterns = random_sdr(SIM_N, A, size=segments * int(m), seed=rng)
        neuron = DendriticNeuron(
            n_synapses=S, theta=THETA, patterns_per_segment=int(m), seed=rng
        ).fit(patterns, n=SIM_N)
        probes = random_sdr(SIM_N, A, size=inputs, seed=rng)
        hits = int(neuron.segment_activity(probes).sum())
        total = segments * inputs
        sim[j] = hits / total
        low[j], high[j] = binomial_interval(hits, total)
    ratio = np.where(sim > 0, theory[0] / np.where(sim > 0, sim, 1.0), np.nan)
    m_at_1e9 = [int(M_VALUES[np.argmax(t > 1e-9)]) if np.any(t > 1e-9) else -1 for t in theory]
    reference = xr.Dataset(
        {
            "claim": (
                (),
                "n=1000: false matches become likely after a few patterns; larger n "
                "keeps the rate low for many more patterns",
                {"source": f"{PAPER}, Fig 7B and text"},
            ),
        }
    )
    metrics = xr.Dataset(
        {
            "p_false_match": (
                ("n", "m"),
                theory,
                {"long_name": "Eq. 4 with rounded s_M", "units": "1"},
            ),
            "p_simulated_n1000": ("m", sim, {"units": "1"}),
            "ci_low_n1000": ("m", low, {"confidence": 0.95}),
            "ci_high_n1000": ("m", high, {"confidence": 0.95}),
            "formula_over_simulation_n1000": ("m", ratio),
            "first_m_above_1e9": (
                "n",
                np.asarray(m_at_1e9),
                {"long_name": "smallest M with P_fp > 1e-9 (-1: none)"},
            ),
        },
        coords={"n": ("n", n), "m": ("m", M_VALUES)},
    )
    tree = new_result(
        "dendrites.union_false_match",
        params={
            "a": A,
            "s": S,
            "theta": THETA,
            "n": list(N_VALUES),
            "M": M_VALUES.tolist(),
            "rounding": "round",
            "segments": segments,
            "inputs": inputs,
        },
        seed=seed,
        source=PAPER,
        groups={"metrics": metrics, "reference": reference},
        study=STUDY_ID,
        extra_dims=["n", "m"],
    )

    fig, ax = plt.subplots(figsize=(6.2, 4.4))
    for i, nn in enumerate(N_VALUES):
        ax.semilogy(M_VALUES, theory[i], "-", label=f"n = {nn:,}, Eq. 4 (rounded s_M)")
    seen = sim > 0
    ax.errorbar(
        M_VALUES[seen],
        sim[seen],
        yerr=np.vstack([sim[seen] - low[seen], high[seen] - sim[seen]]),
        fmt="o",
        mfc="none",
        ms=4,
        color="tab:blue",
        capsize=2,
        label=f"simulated, n = {SIM_N}",
    )
    ax.set_xlabel("patterns stored on the segment M")
    ax.set_ylabel("probability of false match")
    ax.set_ylim(1e-30, 2)
    ax.set_xticks(M_VALUES[::2])
    ax.set_title(f"a = {A}, s = {S}, θ = {THETA}  (Ahmad & Hawkins 2016, Fig 7B)")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    save_study(tree, fig, out, STUDY_ID)
    print(
        f"{STUDY_ID}: P_fp at M=19: {np.array2string(theory[:, -1], precision=3)}; "
        f"n=1000 formula/simulation ratio range "
        f"{np.nanmin(ratio):.2f}-{np.nanmax(ratio):.2f}"
    )
    return tree
