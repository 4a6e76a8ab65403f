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
40 in the quick one), averaged. Synapses onto the same cell merge, so the count grows
less than linearly in ``M``.

The paper gives the curves without numbers; the reference group states its formula and
the claim. Claims: the simulation agrees with the formula (largest relative gap within
2 %), and the simulated count grows less than linearly (below ``M s`` for ``M >= 2``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse.dendrites import DendriticNeuron, random_sdr, union_synapses
from neurosparse.results import claim_check
from neurosparse.studies import params_of, study_main, study_result

PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"
FIGURE = "Fig 7A"
TITLE = "Expected synapses on a union segment vs stored patterns M (n=1000)"
STUDY_ID = "ahmad2016/fig7a"


@dataclass(frozen=True)
class Params:
    """Settings of Fig 7A: ``M = 1 ... m_max`` patterns per segment, ``segments``
    simulated segments per (s, M) point."""

    n: int = 1000
    a: int = 200
    s_values: tuple[int, ...] = (20, 25, 30)
    m_max: int = 19
    segments: int = 2000
    rel_tol: float = 0.02  # simulation vs formula, mean over segments


FULL = Params()
QUICK = Params(segments=40)

FORMULA = "s_M = n (1 - (1 - s/n)^M)"
FORMULA_SOURCE = f"{PAPER}, Section on unions"
CLAIM = "synapses on a union segment grow sub-linearly with M"
CLAIM_SOURCE = f"{PAPER}, Fig 7A"


def run(params: Params, seed: int = 0) -> xr.DataTree:
    """The formula and the simulated mean synapse count on the (s, M) grid."""
    n, segments = params.n, params.segments
    s = np.asarray(params.s_values)
    m_values = np.arange(1, params.m_max + 1)
    theory = union_synapses(n, s[:, None], m_values[None, :])
    rng = np.random.default_rng(seed)
    simulated = np.zeros(theory.shape)
    for i, ss in enumerate(params.s_values):
        for j, m in enumerate(m_values):
            patterns = random_sdr(n, params.a, size=segments * int(m), seed=rng)
            neuron = DendriticNeuron(
                n_synapses=ss, theta=1, patterns_per_segment=int(m), seed=rng
            ).fit(patterns, n=n)
            simulated[i, j] = np.diff(neuron.segment_indptr_).mean()
    rel_gap = np.abs(simulated / theory - 1.0)
    linear = s[:, None] * m_values[None, :]
    several = m_values >= 2
    sublinear = bool(np.all(simulated[:, several] < linear[:, several]))
    reference = xr.Dataset(
        {
            "formula": ((), FORMULA, {"source": FORMULA_SOURCE, "long_name": "the formula"}),
            "claim": ((), CLAIM, {"source": CLAIM_SOURCE, "long_name": "the paper's claim"}),
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
            "max_relative_gap": (
                (),
                float(rel_gap.max()),
                {"units": "1", "long_name": "largest relative gap, simulation vs formula"},
            ),
        },
        coords={
            "s": ("s", s, {"long_name": "synapses per stored pattern"}),
            "m": ("m", m_values, {"long_name": "patterns stored on the segment"}),
        },
    )
    claims = [
        claim_check(
            f"Simulated union segments (n={n}, a={params.a}, {segments} segments per point) "
            f"have {FORMULA} synapses on average",
            FORMULA,
            float(rel_gap.max()),
            bool(rel_gap.max() <= params.rel_tol),
            tolerance=f"largest relative gap over the (s, M) grid <= {params.rel_tol:g}",
            source=FORMULA_SOURCE,
        ),
        claim_check(
            "Synapses on a union segment grow sub-linearly with M",
            "sub-linear in M",
            "below M s at every M >= 2" if sublinear else "not below M s at every M >= 2",
            sublinear,
            tolerance="simulated mean count < M s for every s and M >= 2",
            source=CLAIM_SOURCE,
        ),
    ]
    return study_result(
        params,
        seed,
        kind="dendrites.union_synapses",
        groups={"metrics": metrics, "reference": reference},
        claims=claims,
    )


def plot(result: xr.DataTree):
    """Formula curves per s and the simulated means."""
    import matplotlib.pyplot as plt

    params = params_of(result)
    m = result["metrics"]
    m_values = m["m"].values
    theory, simulated = m["synapses_expected"].values, m["synapses_simulated"].values
    fig, ax = plt.subplots(figsize=(6.2, 4.4))
    for i, ss in enumerate(m["s"].values):
        (line,) = ax.plot(m_values, theory[i], label=f"s = {ss}, formula")
        ax.plot(m_values, simulated[i], "o", mfc="none", ms=4, color=line.get_color())
    ax.plot([], [], "ko", mfc="none", ms=4, label=f"simulated ({params.segments} segments)")
    ax.set_xlabel("patterns stored on the segment M")
    ax.set_ylabel("expected number of synapses")
    ax.set_title(f"n = {params.n}  (Ahmad & Hawkins 2016, Fig 7A)")
    ax.set_xticks(m_values[::2])
    ax.legend(frameon=False, fontsize=8)
    ax.grid(True, alpha=0.3)
    return fig


def main(out, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Compute and simulate Fig 7A, write the figure."""
    return study_main(__name__, out, quick=quick, seed=seed)
