"""Rinkus (2010, 2014), Rinkus & Leveille (2017): similar inputs get similar codes.

Gerard Rinkus, "A cortical sparse distributed coding model linking mini- and
macrocolumn-scale functionality", Front. Neuroanat. 4:17 (2010); "Sparsey: event
recognition via deep hierarchical sparse distributed codes", Front. Comput. Neurosci.
8:160 (2014); Rinkus & Leveille, arXiv 1710.07829 (2017).

The property checked: the code selection algorithm (CSA) maps more similar inputs to
more overlapping codes. Its familiarity ``G`` (how well the input matches what the mac
stores) sets how far the code draw leans on the stored codes: ``G`` near 1 reactivates
the stored code, ``G`` below ``G^-`` (``g_min``) gives a uniform draw, a new
near-random code. The papers state the property qualitatively (their figures show code
intersection rising with input similarity); no number is published to match.

Reproduced with one mac (:class:`neurosparse.sparsey.Sparsey`, ``n_cms`` CMs of
``cells_per_cm`` cells, whole-image field) over ``side x side`` binary inputs of
``active`` pixels each. Per pair: the mac learns ``load`` random items (its existing
memories), then an input ``x1``, then ``x2``, which shares ``keep`` of ``x1``'s pixels
(``keep`` uniform in 0..``active``; input overlap ``keep / active``). Measured: the
overlap of the two learned codes (fraction of the ``Q`` cells shared) and the
familiarity ``G`` of ``x2`` when it was learned. One fresh model per pair (its own
seed), for each ``load`` in ``loads``.

Claims (decided by our numbers, tolerances stated): the Spearman rank correlation of
code overlap with input overlap is positive (p < 0.01), for every load; ``G`` rises
with input overlap likewise; and unrelated inputs (input overlap <= 0.2) get
near-random codes: their mean code overlap is within ``chance_tolerance`` of chance,
``1 / cells_per_cm``. The largest load brings the mac towards its capacity (study
``rinkus2017/capacity``): as its cells' weights fill up, an input unlike every stored
one is no longer unfamiliar (its ``G`` can exceed ``G^-``), and its code leans towards
the busiest cells -- the last claim then tells whether codes stay near-random there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse.results import claim_check
from neurosparse.studies import load_helper, params_of, study_main, study_result

_common = load_helper(__file__, "_common")

PAPER = "Rinkus & Leveille 2017, arXiv 1710.07829; Rinkus 2010, 2014"
FIGURE = "similar inputs to similar codes (Rinkus 2010, 2014)"
TITLE = "Sparsey: code overlap and familiarity G against input overlap"
STUDY_ID = "rinkus2017/similarity"
SOURCE = (
    f"{_common.SOURCE_2010}; {_common.SOURCE_2014}; {_common.SOURCE_2017}: similar inputs "
    "are mapped to similar (more overlapping) codes, qualitatively"
)
#: Upper edge of the input overlaps counted as unrelated inputs.
UNRELATED = 0.2


@dataclass(frozen=True)
class Params:
    """Settings of the check (module docstring)."""

    side: int = 16
    active: int = 20
    n_pairs: int = 1000
    loads: tuple[int, ...] = (0, 20, 50, 100)
    n_cms: int = 16
    cells_per_cm: int = 16
    g_min: float = 0.5
    chance_tolerance: float = 0.05


FULL = Params()
QUICK = Params(n_pairs=60, loads=(0, 20))


def run(params: Params, seed: int = 0) -> xr.DataTree:
    """``n_pairs`` pairs per load, each learned by a fresh mac after ``load`` items."""
    from neurosparse.sparsey import Sparsey

    if not 1 <= params.active < params.side**2:
        raise ValueError(f"active must be in [1, side**2), got {params.active}")
    shape = (len(params.loads), params.n_pairs)
    input_overlap = np.zeros(shape)
    code_overlap = np.zeros(shape)
    familiarity = np.zeros(shape)
    children = np.random.SeedSequence(seed).spawn(len(params.loads))
    for i, (load, child) in enumerate(zip(params.loads, children, strict=True)):
        rng = np.random.default_rng(child)
        for j in range(params.n_pairs):
            keep = int(rng.integers(0, params.active + 1))
            pair = _common.similar_pair(params.side, params.active, keep, rng)
            memories = _common.random_items(load, params.side, params.active, rng)
            model = Sparsey(
                n_cms=params.n_cms, cells_per_cm=params.cells_per_cm, g_min=params.g_min,
                seed=int(rng.integers(2**31)),
            ).fit(np.concatenate([memories, pair]))  # fmt: skip
            codes = model.codes_
            input_overlap[i, j] = keep / params.active
            code_overlap[i, j] = (codes[-1] & codes[-2]).sum() / params.n_cms
            familiarity[i, j] = model.familiarity_[-1]
    return _result(params, seed, input_overlap, code_overlap, familiarity)


def _binned(x: np.ndarray, y: np.ndarray, edges: np.ndarray) -> np.ndarray:
    which = np.clip(np.digitize(x, edges) - 1, 0, edges.size - 2)
    out = np.full(edges.size - 1, np.nan)
    for b in range(edges.size - 1):
        if np.any(which == b):
            out[b] = y[which == b].mean()
    return out


def _result(params, seed, input_overlap, code_overlap, familiarity) -> xr.DataTree:
    from scipy.stats import spearmanr

    edges = np.linspace(0.0, 1.0 + 1e-9, 6)
    n_loads = len(params.loads)
    rho = np.zeros(n_loads)
    p_value = np.zeros(n_loads)
    rho_g = np.zeros(n_loads)
    p_g = np.zeros(n_loads)
    unrelated = np.zeros(n_loads)
    binned_code = np.zeros((n_loads, edges.size - 1))
    binned_g = np.zeros((n_loads, edges.size - 1))
    for i in range(n_loads):
        x = input_overlap[i]
        rho[i], p_value[i] = spearmanr(x, code_overlap[i], alternative="greater")
        rho_g[i], p_g[i] = spearmanr(x, familiarity[i], alternative="greater")
        low = x <= UNRELATED + 1e-12
        unrelated[i] = code_overlap[i][low].mean() if low.any() else np.nan
        binned_code[i] = _binned(x, code_overlap[i], edges)
        binned_g[i] = _binned(x, familiarity[i], edges)
    chance = 1.0 / params.cells_per_cm
    coords = {
        "load": ("load", np.asarray(params.loads), {"long_name": "items stored before the pair"}),
        "pair": ("pair", np.arange(params.n_pairs), {"long_name": "input pair"}),
        "bin": ("bin", 0.5 * (edges[:-1] + edges[1:]),
                {"long_name": "input overlap (bin centre)", "units": "1"}),
    }  # fmt: skip
    metrics = xr.Dataset(
        {
            "input_overlap": (("load", "pair"), input_overlap,
                              {"long_name": "fraction of the active pixels the two inputs share",
                               "units": "1"}),
            "code_overlap": (("load", "pair"), code_overlap,
                             {"long_name": "fraction of the code's cells the two learned "
                              "codes share", "units": "1"}),
            "familiarity": (("load", "pair"), familiarity,
                            {"long_name": "familiarity G of the second input when learned",
                             "units": "1"}),
            "spearman_code": ("load", rho, {"long_name": "Spearman rank correlation, input "
                                            "overlap vs code overlap", "units": "1"}),
            "spearman_code_p": ("load", p_value, {"long_name": "one-sided p-value of "
                                                  "spearman_code", "units": "1"}),
            "spearman_familiarity": ("load", rho_g, {"long_name": "Spearman rank correlation, "
                                                     "input overlap vs G", "units": "1"}),
            "spearman_familiarity_p": ("load", p_g, {"long_name": "one-sided p-value of "
                                                     "spearman_familiarity", "units": "1"}),
            "unrelated_code_overlap": ("load", unrelated,
                                       {"long_name": f"mean code overlap of pairs with input "
                                        f"overlap <= {UNRELATED}", "units": "1"}),
            "binned_code_overlap": (("load", "bin"), binned_code,
                                    {"long_name": "mean code overlap per input-overlap bin",
                                     "units": "1"}),
            "binned_familiarity": (("load", "bin"), binned_g,
                                   {"long_name": "mean G per input-overlap bin", "units": "1"}),
            "chance_code_overlap": ((), chance, {"long_name": "code overlap of two random "
                                                 "codes, 1 / cells_per_cm", "units": "1"}),
        },
        coords=coords,
    )  # fmt: skip
    claims = []
    for i, load in enumerate(params.loads):
        claims.append(claim_check(
            f"code overlap rises with input overlap ({load} items stored before each pair; "
            f"Spearman rank correlation over {params.n_pairs} pairs)",
            "yes: similar inputs get similar codes (qualitative)",
            f"rho = {rho[i]:.3f} (p = {p_value[i]:.1e})",
            bool(rho[i] > 0 and p_value[i] < 0.01),
            tolerance="agrees when rho > 0 with one-sided p < 0.01", source=SOURCE,
        ))  # fmt: skip
        claims.append(claim_check(
            f"familiarity G rises with input overlap ({load} items stored before each pair; "
            "Spearman rank correlation)",
            "yes: G measures how well the input matches the stored codes (qualitative)",
            f"rho = {rho_g[i]:.3f} (p = {p_g[i]:.1e})",
            bool(rho_g[i] > 0 and p_g[i] < 0.01),
            tolerance="agrees when rho > 0 with one-sided p < 0.01", source=SOURCE,
        ))  # fmt: skip
        claims.append(claim_check(
            f"unrelated inputs (input overlap <= {UNRELATED}) get near-random codes ({load} "
            "items stored first): mean code overlap against chance 1/K",
            f"near chance, 1/K = {chance:.4g} (G below G- gives a uniform draw)",
            f"{unrelated[i]:.4g}",
            None if np.isnan(unrelated[i])
            else bool(abs(unrelated[i] - chance) <= params.chance_tolerance),
            tolerance=f"agrees within {params.chance_tolerance:g} absolute of 1/K",
            source=SOURCE,
        ))  # fmt: skip
    return study_result(
        params, seed, kind="sparsey.similarity", groups={"metrics": metrics}, claims=claims
    )


def plot(result: xr.DataTree):
    """Code overlap and G against input overlap, one colour per load, with bin means
    and the chance level."""
    import matplotlib.pyplot as plt

    params = params_of(result)
    m = result["metrics"].to_dataset()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    jitter = np.random.default_rng(0).uniform(-0.012, 0.012, m.sizes["pair"])
    for i, load in enumerate(params.loads):
        colour = f"C{i}"
        x = m["input_overlap"].values[i] + jitter
        rho = float(m["spearman_code"].values[i])
        axes[0].scatter(x, m["code_overlap"].values[i], s=6, alpha=0.3, color=colour)
        axes[0].plot(m["bin"], m["binned_code_overlap"].values[i], "o-", color=colour,
                     label=f"{load} items stored first (rho = {rho:.2f})")  # fmt: skip
        axes[1].scatter(x, m["familiarity"].values[i], s=6, alpha=0.3, color=colour)
        axes[1].plot(m["bin"], m["binned_familiarity"].values[i], "o-", color=colour,
                     label=f"{load} items stored first")  # fmt: skip
    axes[0].axhline(float(m["chance_code_overlap"]), color="k", ls=":", label="chance, 1/K")
    axes[1].axhline(params.g_min, color="k", ls=":", label="G- (g_min)")
    axes[0].set(xlabel="input overlap", ylabel="code overlap (fraction of Q cells)",
                title="similar inputs, similar codes")  # fmt: skip
    axes[1].set(xlabel="input overlap", ylabel="familiarity G of the second input",
                title="familiarity")  # fmt: skip
    for ax in axes:
        ax.legend(fontsize=7, frameon=False)
        ax.set_xlim(-0.05, 1.05)
        ax.set_ylim(-0.05, 1.05)
    fig.suptitle(f"{TITLE} (one mac, Q = {params.n_cms}, K = {params.cells_per_cm})", fontsize=9)
    fig.tight_layout()
    return fig


def main(out, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Run the check, write .nc/.png/.svg, return the result."""
    return study_main(__name__, out, quick=quick, seed=seed)
