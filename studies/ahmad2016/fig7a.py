"""Ahmad & Hawkins (2016), Fig 7A: synapses on a segment that stores a union of patterns.

Subutai Ahmad and Jeff Hawkins, "How do neurons operate on sparse distributed
representations? A mathematical theory of sparsity, neurons and active dendrites",
arXiv:1601.00720 (2016).

Reproduced: the expected number of distinct synapses on a segment that learns ``M``
patterns with ``s`` synapses each, ``s_M = n (1 - (1 - s/n)^M)``
(:func:`neurosparse.dendrites.union_synapses`), for ``n = 1000``, ``s`` in {20, 25, 30},
``M = 1 ... 19``, next to a simulation: segments of a
:class:`neurosparse.dendrites.DendriticNeuron` that store ``M`` random SDRs
(``a = 200`` active cells each, as in Fig 7B; 2000 segments per point in the full run,
100 in the quick one), averaged. Synapses onto the same cell merge, so the count grows
less than linearly in ``M``.

The paper gives the curves without numbers; the reference group states its formula and
the claim, the metrics the largest relative gap between simulation and formula.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from neurosparse.dendrites import DendriticNeuron, random_sdr, union_synapses
from neurosparse.results import new_result
from neurosparse.studies import save_study

PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"
FIGURE = "Fig 7A"
TITLE = "Expected synapses on a union segment vs stored patterns M (n=1000)"
STUDY_ID = "ahmad2016/fig7a"

N, A = 1000, 200
S_VALUES = (20, 25, 30)
M_VALUES = np.arange(1, 20)
SEGMENTS_FULL, SEGMENTS_QUICK = 2000, 100
REL_TOL = 0.02  # simulation vs formula, mean over segments


def main(out: Path, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Compute and simulate Fig 7A, write the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    segments = SEGMENTS_QUICK if quick else SEGMENTS_FULL
    s = np.asarray(S_VALUES)
    theory = union_synapses(N, s[:, None], M_VALUES[None, :])
    rng = np.random.default_rng(seed)
    simulated = np.zeros(theory.shape)
    for i, ss in enumerate(S_VALUES):
        for j, m in enumerate(M_VALUES):
            patterns = random_sdr(N, A, size=segments * int(m), seed=rng)
            neuron = DendriticNeuron(
                n_synapses=ss, theta=1, patterns_per_segment=int(m), seed=rng
            ).fit(patterns, n=N)
            simulated[i, j] = np.diff(neuron.segment_indptr_).mean()
    rel_gap = np.abs(simulated / theory - 1.0)
    agrees = bool(rel_gap.max() <= REL_TOL)
    reference = xr.Dataset(
        {
            "formula": ((), "s_M = n (1 - (1 - s/n)^M)", {"source": f"{PAPER}, Section on unions"}),
            "claim": (
                (),
                "synapses on a union segment grow sub-linearly with M",
                {"source": f"{PAPER}, Fig 7A"},
            ),
        }
    )
    dims = ("s", "m")
    metrics = xr.Dataset(
        {
            "synapses_expected": (dims, theory, {"long_name": "s_M (formula)"}),
            "synapses_simulated": (
                dims,
                simulated,
                {"long_name": f"mean over {segments} simulated segments"},
            ),
            "max_relative_gap": ((), float(rel_gap.max())),
            "agrees": ((), agrees, {"long_name": f"simulation within {REL_TOL:.0%} of formula"}),
        },
        coords={"s": ("s", s), "m": ("m", M_VALUES)},
    )
    tree = new_result(
        "dendrites.union_synapses",
        params={"n": N, "a": A, "s": list(S_VALUES), "M": M_VALUES.tolist(), "segments": segments},
        seed=seed,
        source=PAPER,
        groups={"metrics": metrics, "reference": reference},
        study=STUDY_ID,
        extra_dims=["s", "m"],
    )

    fig, ax = plt.subplots(figsize=(6.2, 4.4))
    for i, ss in enumerate(S_VALUES):
        (line,) = ax.plot(M_VALUES, theory[i], label=f"s = {ss}, formula")
        ax.plot(M_VALUES, simulated[i], "o", mfc="none", ms=4, color=line.get_color())
    ax.plot([], [], "ko", mfc="none", ms=4, label=f"simulated ({segments} segments)")
    ax.set_xlabel("patterns stored on the segment M")
    ax.set_ylabel("expected number of synapses")
    ax.set_title(f"n = {N}  (Ahmad & Hawkins 2016, Fig 7A)")
    ax.set_xticks(M_VALUES[::2])
    ax.legend(frameon=False, fontsize=8)
    ax.grid(True, alpha=0.3)
    save_study(tree, fig, out, STUDY_ID)
    print(
        f"{STUDY_ID}: s_M at M=19: {np.array2string(theory[:, -1], precision=1)}; "
        f"simulation max rel. gap {rel_gap.max():.2e}"
    )
    return tree
