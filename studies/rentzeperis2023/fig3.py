"""Rentzeperis et al. (2023), Fig 3: MSE vs dictionary size at matched sparsity.

Ilias Rentzeperis, Luca Calatroni, Laurent U. Perrinet, Dario Prandi, "Beyond l1 sparse
coding in V1", PLOS Comput Biol 19(9): e1011459 (2023), arXiv:2301.10002.

Reproduced: dictionaries from 2x to 20x overcomplete learned with the l1, l0, l1/2 and
CEL0 penalties, lambda recalibrated so that the number of active units per patch stays
the same for every size and penalty; held-out MSE vs size.

Published: CEL0 < l1/2 ≈ l0 < l1 at every size; at equal sparsity l1 needs about 10
times more units than CEL0 for the same reconstruction (abstract).

Scaled down to fit 15 minutes on 2 cores: 8x8 patches (64 pixels, so 20x is 1280
units; the paper's 16x16 patches would need 5120), 1200 batches of 250 patches per run
(the paper: 4000), the 8 shipped natural images whitened as in the paper. Quick mode
(a smoke test, not a reproduction): 6x6 patches, 2x and 4x, 8 batches of 100, one
calibration segment. Matched sparsity is measured on held-out patches: lambda is
calibrated on them so their codes have the target number of active units. ISTA step:
the authors' 0.01 for l1, l0, l1/2; for CEL0 their 0.1 lowered to keep the step times
the dictionary's squared spectral norm at 0.5, as they did for 1000 units (a fixed 0.1
diverges beyond about 4x overcomplete on 8x8 patches).

Agreement flags (tolerances fixed before running, not tuned; each a boolean variable of
``metrics`` with its statement and tolerance as attributes, and printed):

- ``order_agrees``: CEL0 < l1/2 and l0 < l1 in held-out MSE at every size (strict);
- ``approx_agrees``: l1/2 and l0 MSEs within 25 % of their mean at every size;
- ``ratio_agrees``: the units l1 needs to reach CEL0's smallest-size MSE, divided by
  that size, within a factor 2 of the published 10x, i.e. in [5, 20]. It is
  interpolated in log-log between tested sizes; if l1 never reaches that MSE within the
  tested sizes it is extrapolated by a power law fitted to l1's MSE vs size (the
  ``extrapolated`` attribute says so; beyond 4 times the largest size the ratio is
  reported as ``inf``, "more than tested", and does not agree).

``agrees`` is the AND of the three.

Known deviation at this scale (full run, seed 0): the order holds at every size, but
every penalty's MSE *rises* slowly with the number of units (CEL0 most: 0.0083 at 2x,
0.0201 at 20x; l1 0.0442 to 0.0483), so l1 never reaches CEL0's 2x MSE and
``ratio_agrees`` is False. Training length does not explain it: with 300 batches
instead of 1200 every MSE was 1-12 % higher (CEL0 0.0094 to 0.0228) and rose the same
way. Nor does the authors' early-stopped ISTA alone: codes solved to convergence (FISTA,
tol 1e-7, lambda recalibrated) have about 2.5x lower l1 MSE but still rise with size
(0.0170 at 2x, 0.0192 at 20x, 900 batches). CEL0's step shrinks with size (its step
times the squared spectral norm stays at 0.5), which makes the relative-change rule end
its ISTA earlier at large sizes. Full run: 366 s wall, 709 s CPU on 2 cores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from neurosparse.coding.calibrate import calibrate_lambda, fit_at_sparsity
from neurosparse.results import new_result
from neurosparse.studies import load_helper, save_study

PAPER = "Rentzeperis et al. 2023, PLOS Comput Biol, arXiv:2301.10002"
FIGURE = "Fig 3"
TITLE = "Reconstruction MSE vs overcompleteness (2x-20x) at matched sparsity"
STUDY_ID = "rentzeperis2023/fig3"

FULL = {"patch": 8, "factors": [2, 5, 10, 20], "batches": 1200, "batch": 250, "target": 5.0,
        "segments": 3, "n_cal": 400, "n_eval": 1500}  # fmt: skip
QUICK = {"patch": 6, "factors": [2, 4], "batches": 8, "batch": 100, "target": 3.0,
         "segments": 1, "n_cal": 100, "n_eval": 150}  # fmt: skip
PUBLISHED_UNIT_RATIO = 10.0  # abstract: l1 needs ~10x more units than CEL0 for the same MSE
EXTRAPOLATE_MAX = 4.0  # trust a power-law extrapolation up to 4x the largest tested size
RATIO_FACTOR = 2.0  # "about 10x" is reproduced by a measured ratio in [5, 20] (our tolerance)


def _common():
    """The shared settings and helpers of these studies (``_common.py``)."""
    return load_helper(__file__, "_common")


def units_to_match(sizes: np.ndarray, mse_l1: np.ndarray, target_mse: float) -> float:
    """Units l1 needs to reach ``target_mse`` (log-log interpolation; nan if never)."""
    for i in range(1, len(sizes)):
        lo, hi = mse_l1[i - 1], mse_l1[i]
        if lo >= target_mse >= hi:
            frac = np.log(lo / target_mse) / np.log(lo / hi) if lo != hi else 0.0
            return float(np.exp(np.log(sizes[i - 1]) + frac * np.log(sizes[i] / sizes[i - 1])))
    return float("nan")


def units_to_match_extrapolated(sizes: np.ndarray, mse_l1: np.ndarray, target_mse: float) -> float:
    """Units l1 needs by a power law ``mse = c k^b`` fitted to all sizes.

    Extrapolation is not trusted beyond ``EXTRAPOLATE_MAX`` times the largest tested
    size: there (or if the fitted MSE does not fall with size) the result is ``inf``.
    """
    b, log_c = np.polyfit(np.log(sizes), np.log(mse_l1), 1)
    if not b < 0:
        return float("inf")
    log_k = (np.log(target_mse) - log_c) / b  # compared in logs: exp may overflow
    return float(np.exp(log_k)) if log_k <= np.log(EXTRAPOLATE_MAX * sizes[-1]) else float("inf")


def main(out: Path, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Learn every (penalty, size) at matched sparsity, compare, write .nc/.png/.svg."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    C = _common()
    cfg = QUICK if quick else FULL
    n_pix = cfg["patch"] ** 2
    sizes = np.array(cfg["factors"]) * n_pix
    train, cal, held = C.patch_sets(
        cfg["batches"] * cfg["batch"], cfg["n_cal"], cfg["n_eval"], cfg["patch"], seed
    )
    children = np.random.SeedSequence(seed).spawn(len(C.PENALTIES) * len(sizes))
    mse = np.empty((len(C.PENALTIES), len(sizes)))
    active = np.empty_like(mse)
    lams = np.empty_like(mse)
    for i, pen in enumerate(C.PENALTIES):
        for j, k in enumerate(sizes):
            run = fit_at_sparsity(
                train,
                int(k),
                penalty=pen,
                target_active=cfg["target"],
                n_batches=cfg["batches"],
                batch_size=cfg["batch"],
                calibration_patches=cal,
                n_segments=cfg["segments"],
                seed=np.random.default_rng(children[i * len(sizes) + j]),
            )
            # matched sparsity on the held-out patches themselves: lambda is set so that
            # their codes have the target number of active units
            final = calibrate_lambda(
                held,
                run["components"],
                penalty=pen,
                target_active=cfg["target"],
                lam_init=run["lam"],
            )
            mse[i, j], active[i, j], lams[i, j] = final.mse, final.mean_active, final.lam
            print(
                f"{STUDY_ID}: {pen:5s} {k:5d} units ({k // n_pix}x): MSE {mse[i, j]:.4f} "
                f"at {active[i, j]:.2f} active"
            )

    idx = {p: i for i, p in enumerate(C.PENALTIES)}
    per_size = [C.order_flags({p: mse[idx[p], j] for p in C.PENALTIES}) for j in range(len(sizes))]
    order_ok = all(f["order"] for f in per_size)
    approx_ok = all(f["approx"] for f in per_size)
    target_mse = mse[idx["cel0"], 0]
    k_l1 = units_to_match(sizes, mse[idx["l1"]], target_mse)
    extrapolated = not np.isfinite(k_l1)
    if extrapolated:
        k_l1 = units_to_match_extrapolated(sizes, mse[idx["l1"]], target_mse)
    ratio = k_l1 / sizes[0]
    ratio_ok, lo, hi = C.within_factor(ratio, PUBLISHED_UNIT_RATIO, RATIO_FACTOR)
    how = (
        f"extrapolated beyond {sizes[-1]} units by a power law fitted to l1's MSE"
        if extrapolated
        else "interpolated"
    )
    needs = (
        f"{ratio:.1f}x"
        if np.isfinite(ratio)
        else f"more than {EXTRAPOLATE_MAX * sizes[-1] / sizes[0]:g}x"
    )
    ratio_text = (
        f"l1 needs {needs} the units of CEL0 ({sizes[0]}) to reach CEL0's MSE "
        f"{target_mse:.4f} ({how}); published about {PUBLISHED_UNIT_RATIO:g}x, agrees if in "
        f"[{lo:g}, {hi:g}] -> {'agrees' if ratio_ok else 'does NOT agree'}"
    )
    agrees = bool(order_ok and approx_ok and ratio_ok)
    order_text = "; ".join(f"{k} units: {f['text']}" for k, f in zip(sizes, per_size))

    names = [C.NAMES[p] for p in C.PENALTIES]
    metrics = xr.Dataset(
        {
            "mse": (("penalty", "n_units"), mse, {"long_name": "held-out MSE at matched sparsity"}),
            "mean_active": (("penalty", "n_units"), active),
            "lam": (("penalty", "n_units"), lams),
            "units_l1_to_match_cel0": (
                (),
                k_l1,
                {
                    "long_name": "units l1 needs for CEL0's smallest-size MSE",
                    "extrapolated": int(extrapolated),
                },
            ),
            "unit_ratio_l1_cel0": (
                (),
                ratio,
                {"long_name": ratio_text, "extrapolated": int(extrapolated)},
            ),
            "l1_2_l0_rel_diff": ("n_units", [f["rel_diff"] for f in per_size]),
            "order_agrees": C.flag(
                order_ok, order_text, "strict: CEL0 < l1/2, l0 < l1 at every size"
            ),
            "approx_agrees": C.flag(
                approx_ok,
                "l1/2 ≈ l0 at every size",
                f"|l1/2 - l0| <= {C.TOL_EQUAL:.0%} of their mean",
            ),
            "ratio_agrees": C.flag(
                ratio_ok,
                ratio_text,
                f"within a factor {RATIO_FACTOR:g} of {PUBLISHED_UNIT_RATIO:g}: [{lo:g}, {hi:g}]",
            ),
            "agrees": C.flag(
                agrees, "order_agrees and approx_agrees and ratio_agrees", "all claims"
            ),
        },
        coords={
            "penalty": ("penalty", names),
            "n_units": ("n_units", sizes),
            "overcompleteness": ("n_units", np.array(cfg["factors"])),
        },
    )
    src = f"{C.PAPER}, Fig 3 and abstract"
    reference = xr.Dataset(
        {
            "mse_order": ((), "cel0 < l1/2 ~ l0 < l1 at every dictionary size", {"source": src}),
            "unit_ratio_l1_cel0": ((), PUBLISHED_UNIT_RATIO, {"source": src + " (about 10x)"}),
        }
    )
    tree = new_result(
        "coding.overcompleteness",
        params={**cfg, "penalties": list(C.PENALTIES), "quick": quick,
                "scaled_down": "paper: 16x16 patches, 4000 batches, 137 van Hateren images"},
        seed=seed, source=C.PAPER, groups={"metrics": metrics, "reference": reference},
        study=STUDY_ID, extra_dims=["penalty", "n_units"],
    )  # fmt: skip

    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    for p in C.PENALTIES:
        ax.loglog(cfg["factors"], mse[idx[p]], "o-", color=C.COLORS[p], label=C.LABELS[p])
    ax.axhline(
        target_mse, color=C.COLORS["cel0"], ls=":", lw=1, label=f"CEL0 at {cfg['factors'][0]}x"
    )
    if np.isfinite(ratio) and ratio > 0:
        ax.plot(
            [ratio * cfg["factors"][0]], [target_mse], "x", color=C.COLORS["l1"], ms=9,
            label=f"l1 reaches it: {ratio:.1f}x the units{' (extrap.)' if extrapolated else ''}",
        )  # fmt: skip
    ax.set_xticks(cfg["factors"], [f"{f}x" for f in cfg["factors"]])
    ax.minorticks_off()
    ax.set_xlabel(
        f"overcompleteness (units / {n_pix} pixels of {cfg['patch']}x{cfg['patch']} patches)"
    )
    ax.set_ylabel("held-out MSE")
    ax.set_title(
        f"Rentzeperis et al. 2023, Fig 3: MSE vs dictionary size at {cfg['target']:g} active "
        f"units/patch\n({cfg['batches']} batches of {cfg['batch']}; order "
        f"{'as' if order_ok else 'NOT as'} published; l1 needs {needs} units, paper ~10x)",
        fontsize=9,
    )
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    save_study(tree, fig, out, STUDY_ID)
    for f in per_size:
        print(f"{STUDY_ID}: {f['text']}")
    for name in ("order_agrees", "approx_agrees", "ratio_agrees"):
        print(f"{STUDY_ID}: {name} = {bool(metrics[name])}")
    print(f"{STUDY_ID}: {ratio_text}")
    print(f"{STUDY_ID}: overall {'agrees' if agrees else 'DOES NOT agree'} with the paper")
    return tree
