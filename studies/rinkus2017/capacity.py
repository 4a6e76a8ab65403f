"""Rinkus (2010, 2014): storage capacity of a mac and of a hierarchy, exact recall.

Gerard Rinkus, "A cortical sparse distributed coding model linking mini- and
macrocolumn-scale functionality", Front. Neuroanat. 4:17 (2010); "Sparsey: event
recognition via deep hierarchical sparse distributed codes", Front. Comput. Neurosci.
8:160 (2014); Rinkus & Leveille, arXiv 1710.07829 (2017).

The property checked: a mac stores items single-trial, and a stored item presented
again gives back its exact code (``G = 1``, the argmax of ``V`` in every CM is the
learned winner), until the mac's binary weights fill up: a cell whose weights are all
set answers every input with ``V = 1``, and recall fails. The papers describe this
qualitatively (capacity grows with the mac's size; critical periods -- cells freezing
once enough of their weights are set -- protect what is stored); no capacity number is
published for a configuration we could rebuild, so the claims are decided by our
numbers.

Reproduced with :class:`neurosparse.sparsey.Sparsey` on random ``side x side`` binary
items of exactly ``active`` pixels each, stored once each, for each load ``N`` in
``loads`` and ``n_seeds`` item sets; then every stored item is recognised. Three models:

``mac``              one mac (``n_cms`` CMs of ``cells_per_cm`` cells) over the whole
                     image, no critical period (``freeze_fraction=1``);
``mac_large``        the same with ``large_cells_per_cm`` cells per CM;
``mac_critical``     the same mac with a critical period (a cell freezes once
                     ``critical_fraction`` of its weights are set);
``hierarchy``        a 2 x 2 grid of such macs (fields of radius ``rf_radius`` pixels)
                     under one top mac, no critical period: recall of the top code.

Measured: the fraction of stored items whose recognised code equals the learned one
exactly; the fraction of code cells recalled; the mean familiarity ``G`` of the stored
items and of ``n_novel`` new random items; and, as a capacity, the load ``N50`` at
which the mean fraction exactly recalled falls to one half (interpolated linearly in
``log N`` between the loads around the crossing).

Claims (per model): exact recall at small loads (every stored item recalled exactly at
the smallest load; the largest load up to which this holds is reported), and recall
falling at large loads (below one half at the largest load; where it crosses one half
is reported). The larger mac stores more (a larger ``N50``). And the purpose of the
critical period: at the largest load, novel items stay less familiar than stored ones
with it, while without it the saturated mac finds novel items as familiar as stored
ones (``G`` of novel items >= 0.95).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse.results import claim_check
from neurosparse.studies import load_helper, params_of, study_main, study_result

_common = load_helper(__file__, "_common")

PAPER = "Rinkus & Leveille 2017, arXiv 1710.07829; Rinkus 2010, 2014"
FIGURE = "capacity: exact recall vs items stored (Rinkus 2010, 2014)"
TITLE = "Sparsey: fraction of stored items recalled exactly vs the number stored"
STUDY_ID = "rinkus2017/capacity"
SOURCE = (
    f"{_common.SOURCE_2010}; {_common.SOURCE_2014}: a stored item is recalled exactly, "
    "until the mac's weights fill up; critical periods protect stored codes (qualitative)"
)
MODELS = ("mac", "mac_large", "mac_critical", "hierarchy")
LABELS = {
    "mac": "one mac",
    "mac_large": "one larger mac (more cells per CM)",
    "mac_critical": "one mac, critical period",
    "hierarchy": "hierarchy (2 x 2 macs + top mac)",
}


@dataclass(frozen=True)
class Params:
    """Settings of the check (module docstring)."""

    side: int = 16
    active: int = 20
    loads: tuple[int, ...] = (10, 20, 30, 50, 70, 100, 150, 200, 300, 500, 1000)
    n_seeds: int = 5
    n_cms: int = 8
    cells_per_cm: int = 16
    large_cells_per_cm: int = 32
    critical_fraction: float = 0.5
    rf_radius: float = 4.5
    n_novel: int = 100


FULL = Params()
QUICK = Params(loads=(10, 50, 300), n_seeds=1, n_novel=20)


def _model(name: str, params: Params, seed: int):
    from neurosparse.sparsey import Sparsey

    common = {"n_cms": params.n_cms, "cells_per_cm": params.cells_per_cm, "seed": seed}
    if name == "mac":
        return Sparsey(freeze_fraction=1.0, **common)
    if name == "mac_large":
        common["cells_per_cm"] = params.large_cells_per_cm
        return Sparsey(freeze_fraction=1.0, **common)
    if name == "mac_critical":
        return Sparsey(freeze_fraction=params.critical_fraction, **common)
    # the top mac's field (radius 1 in macs) covers the whole 2 x 2 grid below
    return Sparsey(grid=((2, 2), (1, 1)), rf_radius=(params.rf_radius, 1.0),
                   freeze_fraction=1.0, **common)  # fmt: skip


def run(params: Params, seed: int = 0) -> xr.DataTree:
    """Every model at every load, ``n_seeds`` item sets each."""
    shape = (len(MODELS), len(params.loads), params.n_seeds)
    exact = np.zeros(shape)
    cells = np.zeros(shape)
    g_stored = np.zeros(shape)
    g_novel = np.zeros(shape)
    reps = np.random.SeedSequence(seed).spawn(params.n_seeds)
    for r, rep in enumerate(reps):
        for j, (load, child) in enumerate(zip(params.loads, rep.spawn(len(params.loads)),
                                              strict=True)):  # fmt: skip
            rng = np.random.default_rng(child)
            X = _common.random_items(load, params.side, params.active, rng)
            novel = _common.random_items(params.n_novel, params.side, params.active, rng)
            model_seed = int(rng.integers(2**31))
            for m, name in enumerate(MODELS):  # the same items for every model
                model = _model(name, params, model_seed).fit(X)
                back = model.transform(X)
                exact[m, j, r] = np.mean(np.all(back == model.codes_, axis=1))
                cells[m, j, r] = np.mean((back & model.codes_).sum(1) / model.codes_.sum(1))
                g_stored[m, j, r] = np.nanmean(model.familiarity(X))
                g_novel[m, j, r] = np.nanmean(model.familiarity(novel))
    return _result(params, seed, exact, cells, g_stored, g_novel)


def _crossing(loads: np.ndarray, recall: np.ndarray) -> tuple[int | None, int | None]:
    """(largest load up to which every mean recall is 1, first load with recall < 0.5)."""
    perfect = None
    for load, value in zip(loads, recall, strict=True):
        if value < 1.0:
            break
        perfect = int(load)
    below = np.flatnonzero(recall < 0.5)
    return perfect, (int(loads[below[0]]) if below.size else None)


def _n50(loads: np.ndarray, recall: np.ndarray) -> float:
    """The load at which ``recall`` first falls to 0.5, interpolated in ``log N``."""
    below = np.flatnonzero(recall <= 0.5)
    if below.size == 0:
        return float("nan")
    i = int(below[0])
    if i == 0:
        return float(loads[0])
    x0, x1 = np.log(loads[i - 1]), np.log(loads[i])
    y0, y1 = recall[i - 1], recall[i]
    return float(np.exp(x0 + (y0 - 0.5) / (y0 - y1) * (x1 - x0)))


def _result(params, seed, exact, cells, g_stored, g_novel) -> xr.DataTree:
    loads = np.asarray(params.loads)
    dims = ("model", "load", "seed")
    coords = {
        "model": ("model", list(MODELS), {"long_name": "model"}),
        "load": ("load", loads, {"long_name": "items stored"}),
        "seed": ("seed", np.arange(params.n_seeds), {"long_name": "item set"}),
    }

    def var(values, long_name):
        return dims, values, {"long_name": long_name, "units": "1"}

    capacity = np.array([_n50(loads, row) for row in exact.mean(-1)])
    metrics = xr.Dataset(
        {
            "exact_recall": var(exact, "fraction of stored items recalled with their exact code"),
            "cell_recall": var(cells, "fraction of the learned code's cells recalled"),
            "familiarity_stored": var(g_stored, "mean familiarity G of the stored items"),
            "familiarity_novel": var(g_novel, "mean familiarity G of novel random items"),
            "exact_recall_mean": (dims[:2], exact.mean(-1),
                                  {"long_name": "mean over item sets of exact_recall",
                                   "units": "1"}),
            "capacity": ("model", capacity,
                         {"long_name": "N50: load at which the mean fraction recalled exactly "
                          "falls to 0.5 (interpolated in log N; NaN: it does not)"}),
        },
        coords=coords,
    )  # fmt: skip
    mean = exact.mean(-1)
    claims = []
    for m, name in enumerate(MODELS):
        perfect, falls = _crossing(loads, mean[m])
        first = bool(np.all(exact[m, 0] == 1.0))
        claims.append(claim_check(
            f"{LABELS[name]}: every stored item gives back its exact code at small loads "
            f"(fraction exactly recalled at N = {loads[0]}, every item set)",
            "1 (exact recall of stored items)",
            f"{exact[m, 0].min():.3g}; 1 up to N = {perfect}" if perfect is not None
            else f"{exact[m, 0].min():.3g}",
            first, tolerance="agrees when exactly 1 for every item set", source=SOURCE,
        ))  # fmt: skip
        last = float(mean[m, -1])
        where = f"below 0.5 from N = {falls}" if falls is not None else "never below 0.5"
        claims.append(claim_check(
            f"{LABELS[name]}: recall falls once the mac's weights fill up (mean fraction "
            f"exactly recalled at the largest load, N = {loads[-1]})",
            "falls (finite capacity)", f"{last:.3g}; {where}", bool(last < 0.5),
            tolerance="agrees when below 0.5", source=SOURCE,
        ))  # fmt: skip
    large, plain = MODELS.index("mac_large"), MODELS.index("mac")
    claims.append(claim_check(
        f"a larger mac stores more: N50 (the load at which half the items are recalled "
        f"exactly) with K = {params.large_cells_per_cm} against K = {params.cells_per_cm} "
        "cells per CM", "capacity grows with the mac's size (qualitative)",
        f"{capacity[large]:.4g} vs {capacity[plain]:.4g} items",
        None if np.isnan(capacity[[large, plain]]).any()
        else bool(capacity[large] > capacity[plain]),
        tolerance="agrees when larger (NaN: recall never fell to 0.5, not decided)",
        source=SOURCE,
    ))  # fmt: skip
    crit = MODELS.index("mac_critical")
    gs, gn = float(g_stored[crit, -1].mean()), float(g_novel[crit, -1].mean())
    gp = float(g_novel[plain, -1].mean())
    claims.append(claim_check(
        f"a critical period keeps novel items less familiar than stored ones at N = "
        f"{loads[-1]} (mean G novel vs stored), where without it the saturated mac finds "
        "novel items familiar (mean G novel >= 0.95)",
        "critical periods protect stored codes (qualitative)",
        f"with: G novel {gn:.3f} < stored {gs:.3f}; without: G novel {gp:.3f}",
        bool(gn < gs and gp >= 0.95), tolerance="both orderings hold", source=SOURCE,
    ))  # fmt: skip
    return study_result(
        params, seed, kind="sparsey.capacity", groups={"metrics": metrics}, claims=claims
    )


def plot(result: xr.DataTree):
    """Exact recall and cell recall against the load per model; G of stored and novel
    items."""
    import matplotlib.pyplot as plt

    params = params_of(result)
    m = result["metrics"].to_dataset()
    loads = m["load"].values
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for k, name in enumerate(MODELS):
        colour = f"C{k}"
        sel = {"model": name}
        ex = m["exact_recall"].sel(sel)
        axes[0].errorbar(loads, ex.mean("seed"), yerr=ex.std("seed"), fmt="o-", ms=3,
                         capsize=2, color=colour, label=LABELS[name])  # fmt: skip
        axes[1].plot(loads, m["cell_recall"].sel(sel).mean("seed"), "o-", ms=3, color=colour,
                     label=LABELS[name])  # fmt: skip
        axes[2].plot(loads, m["familiarity_stored"].sel(sel).mean("seed"), "o-", ms=3,
                     color=colour, label=f"{LABELS[name]}: stored")  # fmt: skip
        axes[2].plot(loads, m["familiarity_novel"].sel(sel).mean("seed"), "x--", ms=4,
                     color=colour, label=f"{LABELS[name]}: novel")  # fmt: skip
    axes[0].set(ylabel="fraction recalled exactly", title="exact recall")
    axes[1].set(ylabel="fraction of code cells recalled", title="partial recall")
    axes[2].set(ylabel="familiarity G", title="G of stored and novel items")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("items stored N")
        ax.set_ylim(-0.03, 1.03)
        ax.legend(fontsize=6, frameon=False)
    fig.suptitle(f"{TITLE} (Q = {params.n_cms}, K = {params.cells_per_cm} or "
                 f"{params.large_cells_per_cm}, "
                 f"{params.side}x{params.side} inputs of {params.active} pixels, "
                 f"{params.n_seeds} item sets)", fontsize=9)  # fmt: skip
    fig.tight_layout()
    return fig


def main(out, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Run the check, write .nc/.png/.svg, return the result."""
    return study_main(__name__, out, quick=quick, seed=seed)
