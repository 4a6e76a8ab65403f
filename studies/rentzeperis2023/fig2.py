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
units reached a running MSE of 0.0265 at batch 100 and 0.0138 at batch 4000 (kept in
``reference``; this study learns 500 units).

The paper's training length: 500 units, 4000 batches of 250 patches per penalty (the
patches drawn from a pool of 100,000 from the 8 shipped natural images, whitened as in
the paper, each pass over the pool after the first in a new order; the paper used 137
van Hateren images). Matched sparsity is measured on held-out patches: lambda is
calibrated on them to the target number of active units, and the MSE at exactly the
target is read off each penalty's lambda sweep (log-log interpolation).

Claims (tolerances fixed before running, not tuned):

- the order: CEL0 < l1/2 and l0 < l1 in MSE at the target sparsity (strict);
- l1/2 ≈ l0: their MSEs within 25 % of their mean;
- MSE(l1) / MSE(CEL0) at the target sparsity within a factor 1.5 of the published 5x,
  i.e. in [3.33, 7.5] (l1/l0 and l1/l1/2 are in ``metrics`` beside it);
- at the paper's own lambda and step for each penalty
  (:data:`neurosparse.coding.dictionary.PAPER_SETTINGS`), l1 codes of held-out patches
  have more active units than the three others (on our matched-sparsity dictionaries,
  not the authors' own).

Not reproduced: the ratio of about 5, which comes out lower here, and training for
fewer batches does not change it much. The steps in panel A are the lambda
recalibrations between the learning segments (the first segment's lambda, calibrated on
the random initial dictionary, gives denser codes than the target).

Natural images: ``neurosparse reproduce ID --data PATH`` cuts the patches from the
user's copy instead of the 8 shipped images -- van Hateren ``.imc``/``.iml`` images (one
file or a folder) or Olshausen's ``IMAGES.mat`` (``_common.DATA_FORMATS``); the result's
root attr ``data`` says which images were used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse.coding.calibrate import calibrate_lambda, fit_at_sparsity
from neurosparse.coding.dictionary import PAPER_SETTINGS, ista_encode
from neurosparse.coding.v1 import activity_statistics
from neurosparse.results import claim_check, claims_table
from neurosparse.studies import load_helper, params_of, study_main, study_result

PAPER = "Rentzeperis et al. 2023, PLOS Comput Biol, arXiv:2301.10002"
FIGURE = "Fig 2"
TITLE = "MSE, active units and amplitudes of l1, l0, l1/2 and CEL0 codes at matched sparsity"
STUDY_ID = "rentzeperis2023/fig2"

PUBLISHED_MSE_RATIO = 5.0  # abstract: l0-type penalties reconstruct ~5x better at fixed sparsity


def _common():
    """The shared settings and helpers of these studies (``_common.py``)."""
    return load_helper(__file__, "_common")


@dataclass(frozen=True)
class Params:
    """Settings of Fig 2."""

    patch: int = 16  # patch side (pixels)
    atoms: int = 500  # units of each dictionary
    batches: int = 4000  # learning batches per penalty
    batch: int = 250  # patches per batch
    segments: int = 4  # lambda recalibrations during learning (fit_at_sparsity)
    target: float = 8.0  # active units per patch (matched sparsity)
    pool: int = 100_000  # at most this many training patches (passed over again)
    n_cal: int = 500  # calibration patches (lambda during learning)
    n_eval: int = 2000  # held-out patches (matched sparsity, MSE, sweep)
    sweep: tuple[float, ...] = tuple(np.geomspace(0.3, 4.0, 7).tolist())  # x calibrated lambda
    eta: float = 0.01  # ISTA step of the held-out codes (l1, l0, l1/2)
    eta_cel0: float = 0.1  # ISTA step of the held-out codes (CEL0)
    amplitude_max: float = 1.5  # amplitude histogram on [0, amplitude_max]
    amplitude_bins: int = 30
    max_active: int = 60  # histogram of active units per patch: 0 ... max_active
    tol_equal: float = 0.25  # "l1/2 ≈ l0": MSEs within this fraction of their mean
    ratio_factor: float = 1.5  # "about 5x": a ratio within this factor of 5
    data: str = ""  # "": the shipped images; else the user's (see _common.DATA_FORMATS)

    def __post_init__(self):
        if len(self.sweep) < 2:
            raise ValueError(f"sweep must hold at least 2 lambda factors, got {self.sweep!r}")


FULL = Params()
QUICK = Params(
    patch=6, atoms=24, batches=4, batch=50, segments=2, target=3.0, n_cal=60, n_eval=80,
    sweep=(0.3, 1.0, 4.0),
)  # fmt: skip


# ------------------------------------------------------------------------------ compute


def learn(params: Params, penalty: str, train, cal, held, seed) -> dict:
    """One penalty's dictionary at matched sparsity, and lambda recalibrated on the
    held-out patches so that their codes have the target number of active units."""
    run = fit_at_sparsity(
        train, params.atoms, penalty=penalty, target_active=params.target,
        n_batches=params.batches, batch_size=params.batch, n_segments=params.segments,
        calibration_patches=cal, seed=np.random.default_rng(seed),
    )  # fmt: skip
    run["lam"] = calibrate_lambda(
        held, run["components"], penalty=penalty, target_active=params.target,
        lam_init=run["lam"],
    ).lam  # fmt: skip
    return run


def evaluate(params: Params, penalty: str, D: np.ndarray, lam: float, held) -> dict:
    """Codes of the held-out patches: at the calibrated lambda (MSE, active units,
    amplitudes), over the lambda sweep, and at the paper's own lambda and step."""
    eta = params.eta_cel0 if penalty == "cel0" else params.eta
    edges = np.linspace(0, params.amplitude_max, params.amplitude_bins + 1)
    R, _ = ista_encode(held, D, penalty=penalty, lam=lam, eta=eta)
    stats = activity_statistics(R, bins=edges)
    sweep_active, sweep_mse = [], []
    for f in params.sweep:
        Rs, _ = ista_encode(held, D, penalty=penalty, lam=lam * f, eta=eta)
        sweep_active.append(np.count_nonzero(Rs) / len(held))
        sweep_mse.append(float(np.mean((held - Rs @ D) ** 2)))
    paper = PAPER_SETTINGS[penalty]  # the paper's Fig 2 runs (500 units)
    Rp, _ = ista_encode(held, D, penalty=penalty, lam=paper["lam"], eta=paper["eta"])
    n = params.max_active + 1
    return {
        "paper_active": float(np.count_nonzero(Rp) / len(held)),
        "eval_mse": float(np.mean((held - R @ D) ** 2)),
        "eval_active": stats["mean_active"],
        "per_patch": np.bincount(stats["active_per_sample"], minlength=n)[:n],
        "amp_hist": stats["amplitude_hist"],
        "amp_edges": stats["amplitude_edges"],
        "sweep_active": np.array(sweep_active),
        "sweep_mse": np.array(sweep_mse),
    }


def metrics_dataset(params: Params, runs: dict) -> xr.Dataset:
    """The ``metrics`` group from every penalty's run and evaluation."""
    C = _common()
    pens = C.PENALTIES
    t = params.target

    def per_penalty(key):
        return [runs[p][key] for p in pens]

    # MSE at exactly the target number of active units, from each penalty's lambda sweep
    # (log-log interpolation): the held-out calibration stops within a few % of the target
    at_t = {p: C.loglog_interp(t, runs[p]["sweep_active"], runs[p]["sweep_mse"]) for p in pens}
    edges = runs[pens[0]]["amp_edges"]
    return xr.Dataset(
        {
            "running_mse": (
                ("penalty", "step"),
                np.stack([runs[p]["history"]["mse"] for p in pens]),
                {"long_name": "batch reconstruction MSE during learning"},
            ),
            "running_active": (
                ("penalty", "step"),
                np.stack([runs[p]["history"]["mean_active"] for p in pens]),
                {"long_name": "active units per patch during learning", "units": "1"},
            ),
            "lam": (
                "penalty",
                per_penalty("lam"),
                {"long_name": "lambda calibrated on the held-out patches (final dictionary)"},
            ),
            "mse": ("penalty", per_penalty("eval_mse"),
                    {"long_name": "held-out MSE at matched sparsity"}),
            "mean_active": ("penalty", per_penalty("eval_active"),
                            {"long_name": "held-out active units per patch", "units": "1"}),
            "active_histogram": (
                ("penalty", "n_active"),
                np.stack(per_penalty("per_patch")),
                {"long_name": "held-out patches with n active units", "units": "1"},
            ),
            "amplitude_density": (
                ("penalty", "amplitude"),
                np.stack(per_penalty("amp_hist")),
                {"long_name": "density of the non-zero |r| of the held-out codes"},
            ),
            "sweep_active": (
                ("penalty", "lam_factor"),
                np.stack(per_penalty("sweep_active")),
                {"long_name": "held-out active units per patch over the lambda sweep",
                 "units": "1"},
            ),
            "sweep_mse": (
                ("penalty", "lam_factor"),
                np.stack(per_penalty("sweep_mse")),
                {"long_name": "held-out MSE over the lambda sweep"},
            ),
            "mse_at_target": (
                "penalty",
                [at_t[p] for p in pens],
                {"long_name": f"held-out MSE at {t:g} active units (sweep, log-log interpolation)"},
            ),
            "mse_ratio_l1_cel0": ((), at_t["l1"] / at_t["cel0"],
                                  {"long_name": f"MSE l1 / CEL0 at {t:g} active", "units": "1"}),
            "mse_ratio_l1_l0": ((), at_t["l1"] / at_t["l0"],
                                {"long_name": f"MSE l1 / l0 at {t:g} active", "units": "1"}),
            "mse_ratio_l1_l1_2": ((), at_t["l1"] / at_t["l1/2"],
                                  {"long_name": f"MSE l1 / l1/2 at {t:g} active", "units": "1"}),
            "active_at_paper_lambda": (
                "penalty",
                per_penalty("paper_active"),
                {"long_name": "held-out active units per patch at the paper's lambda and step",
                 "units": "1"},
            ),
        },
        coords={
            "penalty": C.penalty_coord(pens),
            "step": ("step", np.arange(params.batches), {"long_name": "learning batch"}),
            "n_active": ("n_active", np.arange(params.max_active + 1),
                         {"long_name": "active units per patch"}),
            "amplitude": ("amplitude", 0.5 * (edges[1:] + edges[:-1]),
                          {"long_name": "|coefficient| (bin centre)"}),
            "lam_factor": ("lam_factor", np.asarray(params.sweep),
                           {"long_name": "lambda / calibrated lambda"}),
        },
    )  # fmt: skip


def reference_dataset() -> xr.Dataset:
    """The published values (``reference`` group)."""
    C = _common()
    src = f"{C.PAPER}, Fig 2 and abstract"
    notebook = "authors' notebook (github.com/rentzi/sparseRegularizers), CEL0 1000 units"
    return xr.Dataset(
        {
            "mse_order": ((), "cel0 < l1/2 ~ l0 < l1 at equal active units",
                          {"source": src, "long_name": "order of the MSEs at matched sparsity"}),
            "mse_ratio_l1_l0type": ((), PUBLISHED_MSE_RATIO,
                                    {"source": src + " (about 5x)", "units": "1",
                                     "long_name": "MSE l1 / l0-type penalties at fixed sparsity"}),
            "cel0_1000_running_mse_batch100": ((), 0.0265, {
                "source": notebook, "long_name": "running MSE of CEL0, 1000 units, batch 100"}),
            "cel0_1000_running_mse_batch4000": ((), 0.0138, {
                "source": notebook, "long_name": "running MSE of CEL0, 1000 units, batch 4000"}),
        }
    )  # fmt: skip


def claims_of(params: Params, metrics: xr.Dataset) -> list:
    """The paper's findings against the measured numbers."""
    C = _common()
    t = params.target
    src = f"{C.PAPER}, Fig 2"
    at_t = {
        C.PENALTY_OF[str(n)]: float(v)
        for n, v in zip(metrics["penalty"].values, metrics["mse_at_target"].values)
    }
    ratio = float(metrics["mse_ratio_l1_cel0"])
    ratio_ok, lo, hi = C.within_factor(ratio, PUBLISHED_MSE_RATIO, params.ratio_factor)
    dense = {
        C.PENALTY_OF[str(n)]: float(v)
        for n, v in zip(metrics["penalty"].values, metrics["active_at_paper_lambda"].values)
    }
    densest = all(dense["l1"] > dense[p] for p in dense if p != "l1")
    return [
        *C.order_claims(
            {f"{t:g} active units": at_t}, params.tol_equal, src,
            f"({t:g} active units per patch, lambda sweep interpolated)",
        ),
        claim_check(
            f"MSE(l1) / MSE(CEL0) at {t:g} active units per patch",
            PUBLISHED_MSE_RATIO,
            ratio,
            ratio_ok,
            tolerance=f"within a factor {params.ratio_factor:g}: [{lo:.2f}, {hi:.2f}]",
            source=f"{C.PAPER}, abstract and Fig 2",
        ),
        claim_check(
            "At the paper's lambda and step for each penalty, l1 codes have the most active "
            "units (held-out patches, our dictionaries)",
            "l1 densest",
            ", ".join(f"{p} {dense[p]:.1f}" for p in C.PENALTIES),
            densest,
            tolerance="l1 strictly the most active units per patch",
            source=src,
        ),
    ]  # fmt: skip


def run(params: Params, seed: int = 0) -> xr.DataTree:
    """Learn the four dictionaries at matched sparsity and compare them."""
    C = _common()
    train, cal, held = C.patch_sets(
        params.batches * params.batch, params.n_cal, params.n_eval, params.patch, seed,
        pool=params.pool, data=params.data,
    )  # fmt: skip
    seeds = np.random.SeedSequence(seed).spawn(len(C.PENALTIES))
    runs = {}
    for pen, s in zip(C.PENALTIES, seeds):
        run_ = learn(params, pen, train, cal, held, s)
        run_.update(evaluate(params, pen, run_["components"], run_["lam"], held))
        runs[pen] = run_
    metrics = metrics_dataset(params, runs)
    tree = study_result(
        params, seed, kind="coding.penalty_comparison", source=C.PAPER,
        groups={"metrics": metrics, "reference": reference_dataset()},
        claims=claims_of(params, metrics),
    )  # fmt: skip
    tree.attrs["data"] = C.data_description(params.data)
    return tree


# --------------------------------------------------------------------------------- plot


def plot(result: xr.DataTree):
    """Panels A-D: running MSE, active units per patch, amplitudes, MSE vs sparsity."""
    import matplotlib.pyplot as plt

    C = _common()
    params = params_of(result)
    m = result["metrics"].to_dataset()
    pens = [C.PENALTY_OF[str(n)] for n in m["penalty"].values]
    t, nb = params.target, params.batches
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    ax = axes[0, 0]
    w = max(1, nb // 20)
    for p in pens:
        h = m["running_mse"].sel(penalty=C.NAMES[p]).values
        ax.plot(np.convolve(h, np.ones(w) / w, mode="valid"), color=C.COLORS[p], label=C.LABELS[p])
    ax.set_xlabel("batch")
    ax.set_ylabel(f"running MSE ({w}-batch mean)")
    ax.set_title("A  learning at matched sparsity")
    ax.legend(frameon=False)
    ax = axes[0, 1]
    for p in pens:
        counts = m["active_histogram"].sel(penalty=C.NAMES[p]).values
        ax.step(m["n_active"].values, counts / counts.sum(), where="mid", color=C.COLORS[p],
                label=C.LABELS[p])  # fmt: skip
    ax.set_xlim(0, min(params.max_active, 4 * t))
    ax.set_xlabel("active units per patch")
    ax.set_ylabel("fraction of patches")
    ax.set_title(f"B  sparsity (target {t:g})")
    ax.legend(frameon=False)
    ax = axes[1, 0]
    for p in pens:
        density = m["amplitude_density"].sel(penalty=C.NAMES[p]).values
        ax.semilogy(m["amplitude"].values, np.maximum(density, 1e-4), color=C.COLORS[p],
                    label=C.LABELS[p])  # fmt: skip
    ax.set_xlabel("|coefficient| of active units")
    ax.set_ylabel("density")
    ax.set_title("C  amplitude distribution")
    ax.legend(frameon=False)
    ax = axes[1, 1]
    for p in pens:
        ax.loglog(
            m["sweep_active"].sel(penalty=C.NAMES[p]).values,
            m["sweep_mse"].sel(penalty=C.NAMES[p]).values,
            "o-", color=C.COLORS[p], label=C.LABELS[p],
        )  # fmt: skip
    ax.axvline(t, color="0.6", ls=":", lw=1)
    ax.set_xlabel("active units per patch (λ sweep)")
    ax.set_ylabel("held-out MSE")
    ratio = float(m["mse_ratio_l1_cel0"])
    ax.set_title(f"D  MSE vs sparsity; l1/CEL0 at {t:g}: {ratio:.1f}x (paper ~5x)")
    ax.legend(frameon=False)
    order = claims_table(result)[0]
    fig.suptitle(
        f"Rentzeperis et al. 2023, Fig 2 ({params.atoms} units, {nb} batches; "
        f"order {'as published' if order.verdict == 'agrees' else 'NOT as published'})"
    )
    fig.tight_layout()
    return fig


def main(out, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Learn the four dictionaries at matched sparsity, compare, write .nc/.png/.svg."""
    return study_main(__name__, out, quick=quick, seed=seed)
