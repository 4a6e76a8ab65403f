"""Rentzeperis et al. (2023), Fig 2: reconstruction error and sparsity of four penalties.

Ilias Rentzeperis, Luca Calatroni, Laurent U. Perrinet, Dario Prandi, "Beyond l1 sparse
coding in V1", PLOS Comput Biol 19(9): e1011459 (2023), arXiv:2301.10002.

Reproduced: dictionaries learned on whitened 16x16 natural-image patches with the
l1 (soft), l0 (hard), l1/2 (half) and CEL0 penalties, at *matched sparsity* (lambda
recalibrated during learning so that every penalty keeps the same mean number of active
units per patch); panels: running MSE over the batches, active units per patch,
distribution of the non-zero amplitudes, and MSE vs active units over a lambda sweep
(codes of held-out patches on each learned dictionary).

Published findings: at an equal number of active units, CEL0 < l1/2 ≈ l0 < l1 in MSE;
l1 codes are denser at the paper's settings; at fixed sparsity the l0-type penalties
reconstruct about 5 times better than l1 (abstract). The authors' CEL0 run with 1000
units reached a running MSE of 0.0265 at batch 100 and 0.0138 at batch 4000.

The paper's training length: 500 units, 4000 batches of 250 patches per penalty (the
patches drawn from a pool of 100,000 from the 8 shipped natural images, whitened as in
the paper, each pass over the pool after the first in a new order; the paper used 137
van Hateren images). Quick mode (a smoke test, not a reproduction): 8x8 patches, 96
units, 20 batches of 100. Matched sparsity is measured
on held-out patches: lambda is calibrated on them to the target number of active units,
and the MSE at exactly the target is read off each penalty's lambda sweep (log-log
interpolation).

Agreement flags (tolerances fixed before running, not tuned; boolean variables of
``metrics`` with their statement and tolerance as attributes, and printed):

- ``order_agrees``: CEL0 < l1/2 and l0 < l1 in MSE at the target sparsity (strict);
- ``approx_agrees``: l1/2 and l0 MSEs within 25 % of their mean;
- ``ratio_agrees``: MSE(l1) / MSE(CEL0) at the target sparsity within a factor 1.5 of
  the published 5x, i.e. in [3.33, 7.5] (l1/l0 and l1/l1/2 are reported beside it);
- ``denser_agrees``: at the paper's own lambda and step for each penalty
  (:data:`neurosparse.coding.dictionary.PAPER_SETTINGS`), l1 codes of held-out patches
  have more active units than the three others (on our matched-sparsity dictionaries,
  not the authors' own).

``agrees`` is the AND of the four.

Full run (seed 0): order, ≈ and density reproduced; the l1/CEL0 MSE ratio at 8 active
units is 3.0 (l1/l0 1.6), below the published 5x, so ``ratio_agrees`` is False. With
600 batches instead of 4000 it was 2.9: the training length does not explain the gap.
The steps in panel A are the lambda recalibrations between the four learning segments
(the first segment's lambda, calibrated on the random initial dictionary, gives denser
codes than the target). 351 s wall, 676 s CPU on 2 cores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from neurosparse.coding.calibrate import calibrate_lambda, fit_at_sparsity
from neurosparse.coding.dictionary import PAPER_SETTINGS, ista_encode
from neurosparse.coding.v1 import activity_statistics
from neurosparse.results import new_result
from neurosparse.studies import load_helper, save_study

PAPER = "Rentzeperis et al. 2023, PLOS Comput Biol, arXiv:2301.10002"
FIGURE = "Fig 2"
TITLE = "MSE, active units and amplitudes of l1, l0, l1/2 and CEL0 codes at matched sparsity"
STUDY_ID = "rentzeperis2023/fig2"

FULL = {"patch": 16, "atoms": 500, "batches": 4000, "batch": 250, "target": 8.0,
        "n_cal": 500, "n_eval": 2000}  # fmt: skip
QUICK = {"patch": 8, "atoms": 96, "batches": 20, "batch": 100, "target": 4.0,
         "n_cal": 150, "n_eval": 200}  # fmt: skip
SWEEP = np.geomspace(0.3, 4.0, 7)  # multiples of the calibrated lambda
PUBLISHED_MSE_RATIO = 5.0  # abstract: l0-type penalties reconstruct ~5x better at fixed sparsity
RATIO_FACTOR = 1.5  # "about 5x" is reproduced by a measured ratio in [3.33, 7.5] (our tolerance)


def _common():
    """The shared settings and helpers of these studies (``_common.py``)."""
    return load_helper(__file__, "_common")


def main(out: Path, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Learn the four dictionaries at matched sparsity, compare, write .nc/.png/.svg."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    C = _common()
    cfg = QUICK if quick else FULL
    train, cal, held = C.patch_sets(
        cfg["batches"] * cfg["batch"], cfg["n_cal"], cfg["n_eval"], cfg["patch"], seed
    )
    seeds = np.random.SeedSequence(seed).spawn(len(C.PENALTIES))
    runs = {}
    for pen, s in zip(C.PENALTIES, seeds):
        run = fit_at_sparsity(
            train, cfg["atoms"], penalty=pen, target_active=cfg["target"],
            n_batches=cfg["batches"], batch_size=cfg["batch"], calibration_patches=cal,
            seed=np.random.default_rng(s),
        )  # fmt: skip
        # matched sparsity on the held-out patches: lambda calibrated on them
        D = run["components"]
        lam = calibrate_lambda(
            held, D, penalty=pen, target_active=cfg["target"], lam_init=run["lam"]
        ).lam
        run["lam"] = lam
        R, _ = ista_encode(held, D, penalty=pen, lam=lam, eta=0.1 if pen == "cel0" else 0.01)
        stats = activity_statistics(R, bins=np.linspace(0, 1.5, 31))
        sweep_active, sweep_mse = [], []
        for f in SWEEP:
            Rs, _ = ista_encode(
                held, D, penalty=pen, lam=lam * f, eta=0.1 if pen == "cel0" else 0.01
            )
            sweep_active.append(np.count_nonzero(Rs) / len(held))
            sweep_mse.append(float(np.mean((held - Rs @ D) ** 2)))
        # density at the paper's own lambda and step (their Fig 2 runs, 500 units)
        paper = PAPER_SETTINGS[pen]
        Rp, _ = ista_encode(held, D, penalty=pen, lam=paper["lam"], eta=paper["eta"])
        run.update(
            paper_active=float(np.count_nonzero(Rp) / len(held)),
            eval_mse=float(np.mean((held - R @ D) ** 2)),
            eval_active=stats["mean_active"],
            per_patch=np.bincount(stats["active_per_sample"], minlength=61)[:61],
            amp_hist=stats["amplitude_hist"],
            amp_edges=stats["amplitude_edges"],
            sweep_active=np.array(sweep_active),
            sweep_mse=np.array(sweep_mse),
        )
        runs[pen] = run
        print(
            f"{STUDY_ID}: {pen:5s} lambda {lam:.4g}  held-out MSE {run['eval_mse']:.4f} at "
            f"{run['eval_active']:.2f} active units/patch"
        )

    mse = {p: runs[p]["eval_mse"] for p in C.PENALTIES}
    # MSE at exactly the target number of active units, from each penalty's lambda sweep
    # (log-log interpolation): the held-out calibration stops within a few % of the target
    t = cfg["target"]
    at_t = {p: C.loglog_interp(t, runs[p]["sweep_active"], runs[p]["sweep_mse"]) for p in runs}
    order = C.order_flags(at_t)
    ratio_cel0 = at_t["l1"] / at_t["cel0"]
    ratio_l0 = at_t["l1"] / at_t["l0"]
    ratio_half = at_t["l1"] / at_t["l1/2"]
    ratio_ok, lo, hi = C.within_factor(ratio_cel0, PUBLISHED_MSE_RATIO, RATIO_FACTOR)
    ratio_text = (
        f"MSE ratio l1/CEL0 at {t:g} active units: {ratio_cel0:.2f} (l1/l0 {ratio_l0:.2f}, "
        f"l1/l1/2 {ratio_half:.2f}); published about {PUBLISHED_MSE_RATIO:g}x, agrees if in "
        f"[{lo:.2f}, {hi:.2f}] -> {'agrees' if ratio_ok else 'does NOT agree'}"
    )
    paper_active = {p: runs[p]["paper_active"] for p in C.PENALTIES}
    denser_ok = bool(all(paper_active["l1"] > paper_active[p] for p in C.PENALTIES if p != "l1"))
    denser_text = (
        "active units per patch at the paper's lambdas: "
        + ", ".join(f"{p} {paper_active[p]:.1f}" for p in C.PENALTIES)
        + f" -> l1 {'densest' if denser_ok else 'NOT densest'}"
    )
    agrees = bool(order["order"] and order["approx"] and ratio_ok and denser_ok)

    names = [C.NAMES[p] for p in C.PENALTIES]
    nb = cfg["batches"]
    metrics = xr.Dataset(
        {
            "running_mse": (
                ("penalty", "step"),
                np.stack([runs[p]["history"]["mse"] for p in C.PENALTIES]),
                {"long_name": "batch reconstruction MSE during learning"},
            ),
            "running_active": (
                ("penalty", "step"),
                np.stack([runs[p]["history"]["mean_active"] for p in C.PENALTIES]),
                {"long_name": "active units per patch during learning"},
            ),
            "lam": (
                "penalty",
                [runs[p]["lam"] for p in C.PENALTIES],
                {"long_name": "lambda calibrated on the final dictionary"},
            ),
            "mse": (
                "penalty",
                [mse[p] for p in C.PENALTIES],
                {"long_name": "held-out MSE at matched sparsity"},
            ),
            "mean_active": (
                "penalty",
                [runs[p]["eval_active"] for p in C.PENALTIES],
                {"long_name": "held-out active units per patch"},
            ),
            "active_histogram": (
                ("penalty", "n_active"),
                np.stack([runs[p]["per_patch"] for p in C.PENALTIES]),
                {"long_name": "patches with n active units"},
            ),
            "amplitude_density": (
                ("penalty", "amplitude"),
                np.stack([runs[p]["amp_hist"] for p in C.PENALTIES]),
                {"long_name": "density of non-zero |r|"},
            ),
            "sweep_active": (
                ("penalty", "lam_factor"),
                np.stack([runs[p]["sweep_active"] for p in C.PENALTIES]),
            ),
            "sweep_mse": (
                ("penalty", "lam_factor"),
                np.stack([runs[p]["sweep_mse"] for p in C.PENALTIES]),
            ),
            "mse_at_target": (
                "penalty",
                [at_t[p] for p in C.PENALTIES],
                {"long_name": f"held-out MSE at {t:g} active units (sweep, log-log interpolation)"},
            ),
            "mse_ratio_l1_cel0": ((), ratio_cel0, {"long_name": f"MSE l1 / CEL0 at {t:g} active"}),
            "mse_ratio_l1_l0": ((), ratio_l0, {"long_name": f"MSE l1 / l0 at {t:g} active"}),
            "mse_ratio_l1_l1_2": ((), ratio_half, {"long_name": f"MSE l1 / l1/2 at {t:g} active"}),
            "active_at_paper_lambda": (
                "penalty",
                [paper_active[p] for p in C.PENALTIES],
                {"long_name": "held-out active units per patch at the paper's lambda and step"},
            ),
            "order_agrees": C.flag(
                order["order"], order["text"], f"strict: CEL0 < l1/2, l0 < l1 at {t:g} active units"
            ),
            "approx_agrees": C.flag(
                order["approx"],
                f"l1/2 ≈ l0 at {t:g} active units",
                f"|l1/2 - l0| <= {C.TOL_EQUAL:.0%} of their mean",
            ),
            "ratio_agrees": C.flag(
                ratio_ok,
                ratio_text,
                f"within a factor {RATIO_FACTOR:g} of {PUBLISHED_MSE_RATIO:g}: "
                f"[{lo:.2f}, {hi:.2f}]",
            ),
            "denser_agrees": C.flag(denser_ok, denser_text, "l1 strictly the most active units"),
            "agrees": C.flag(
                agrees,
                "order_agrees and approx_agrees and ratio_agrees and denser_agrees",
                "all claims",
            ),
        },
        coords={
            "penalty": ("penalty", names),
            "step": ("step", np.arange(nb)),
            "n_active": ("n_active", np.arange(61)),
            "amplitude": (
                "amplitude",
                0.5 * (runs["l1"]["amp_edges"][1:] + runs["l1"]["amp_edges"][:-1]),
            ),
            "lam_factor": ("lam_factor", SWEEP),
        },
    )
    src = f"{C.PAPER}, Fig 2 and abstract"
    notebook = "authors' notebook (github.com/rentzi/sparseRegularizers), CEL0 1000 units"
    reference = xr.Dataset(
        {
            "mse_order": ((), "cel0 < l1/2 ~ l0 < l1 at equal active units", {"source": src}),
            "mse_ratio_l1_l0type": ((), PUBLISHED_MSE_RATIO, {"source": src + " (about 5x)"}),
            "cel0_1000_running_mse_batch100": ((), 0.0265, {"source": notebook}),
            "cel0_1000_running_mse_batch4000": ((), 0.0138, {"source": notebook}),
        }
    )
    tree = new_result(
        "coding.penalty_comparison",
        params={**cfg, "penalties": list(C.PENALTIES), "sweep": SWEEP.tolist(), "quick": quick,
                "scaled_down": "paper: 4000 batches, 137 van Hateren images"},
        seed=seed, source=C.PAPER, groups={"metrics": metrics, "reference": reference},
        study=STUDY_ID, extra_dims=["penalty", "n_active", "amplitude", "lam_factor"],
    )  # fmt: skip

    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    ax = axes[0, 0]
    w = max(1, nb // 20)
    for p in C.PENALTIES:
        h = runs[p]["history"]["mse"]
        ax.plot(np.convolve(h, np.ones(w) / w, mode="valid"), color=C.COLORS[p], label=C.LABELS[p])
    ax.set_xlabel("batch")
    ax.set_ylabel(f"running MSE ({w}-batch mean)")
    ax.set_title("A  learning at matched sparsity")
    ax.legend(frameon=False)
    ax = axes[0, 1]
    for p in C.PENALTIES:
        hist = runs[p]["per_patch"] / runs[p]["per_patch"].sum()
        ax.step(np.arange(61), hist, where="mid", color=C.COLORS[p], label=C.LABELS[p])
    ax.set_xlim(0, min(60, 4 * cfg["target"]))
    ax.set_xlabel("active units per patch")
    ax.set_ylabel("fraction of patches")
    ax.set_title(f"B  sparsity (target {cfg['target']:g})")
    ax.legend(frameon=False)
    ax = axes[1, 0]
    centers = metrics["amplitude"].values
    for p in C.PENALTIES:
        ax.semilogy(
            centers, np.maximum(runs[p]["amp_hist"], 1e-4), color=C.COLORS[p], label=C.LABELS[p]
        )
    ax.set_xlabel("|coefficient| of active units")
    ax.set_ylabel("density")
    ax.set_title("C  amplitude distribution")
    ax.legend(frameon=False)
    ax = axes[1, 1]
    for p in C.PENALTIES:
        ax.loglog(
            runs[p]["sweep_active"],
            runs[p]["sweep_mse"],
            "o-",
            color=C.COLORS[p],
            label=C.LABELS[p],
        )
    ax.axvline(t, color="0.6", ls=":", lw=1)
    ax.set_xlabel("active units per patch (λ sweep)")
    ax.set_ylabel("held-out MSE")
    ax.set_title(f"D  MSE vs sparsity; l1/CEL0 at {t:g}: {ratio_cel0:.1f}x (paper ~5x)")
    ax.legend(frameon=False)
    fig.suptitle(
        f"Rentzeperis et al. 2023, Fig 2 ({cfg['atoms']} units, {nb} batches; "
        f"order {'as published' if order['order'] else 'NOT as published'})"
    )
    fig.tight_layout()
    save_study(tree, fig, out, STUDY_ID)
    print(f"{STUDY_ID}: {order['text']}")
    print(f"{STUDY_ID}: {ratio_text}")
    print(f"{STUDY_ID}: {denser_text}")
    for name in ("order_agrees", "approx_agrees", "ratio_agrees", "denser_agrees"):
        print(f"{STUDY_ID}: {name} = {bool(metrics[name])}")
    print(f"{STUDY_ID}: overall {'agrees' if agrees else 'DOES NOT agree'} with the paper")
    return tree
