"""Ahmad & Hawkins (2016), Fig 4B: false negatives of a segment vs noise.

Subutai Ahmad and Jeff Hawkins, "How do neurons operate on sparse distributed
representations? A mathematical theory of sparsity, neurons and active dendrites",
arXiv:1601.00720 (2016).

Reproduced: a segment with ``s = 30`` synapses onto a stored pattern of ``a = 128``
active cells (out of ``n = 6000``), threshold ``theta`` in {8, 12, 16}; noise moves a
fraction (5 % ... 80 %) of the active bits to inactive cells, and the segment misses
when fewer than ``theta`` synapses stay active. Exact formula
(:func:`neurosparse.dendrites.false_negative_probability`) and Monte Carlo
(:func:`neurosparse.dendrites.simulate_false_negative`; 10⁷ trials per point in the
full run, 10⁴ in the quick one). Lower thresholds tolerate much more noise.

Published values at 50 % noise: theta=8: 7.35e-4, theta=12: 0.0717, theta=16: 0.583.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from neurosparse.dendrites import false_negative_probability, simulate_false_negative
from neurosparse.results import new_result
from neurosparse.studies import save_study

PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"
FIGURE = "Fig 4B"
TITLE = "False negatives of a segment vs noise (a=128, s=30, theta in {8, 12, 16})"
STUDY_ID = "ahmad2016/fig4b"

A, N, S = 128, 6000, 30
THETAS = (8, 12, 16)
NOISE = np.round(np.arange(0.05, 0.801, 0.05), 2)
TRIALS_FULL = 10**7
TRIALS_QUICK = 10**4
PUBLISHED_50 = (7.35e-4, 0.0717, 0.583)  # at 50 % noise, theta = 8, 12, 16
REL_TOL = 0.01


def main(out: Path, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Compute and simulate Fig 4B, compare with the published values, write the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trials = TRIALS_QUICK if quick else TRIALS_FULL
    noise = NOISE[::3] if quick else NOISE
    v = np.floor(noise * A + 0.5).astype(int)
    th = np.asarray(THETAS)
    theory = false_negative_probability(A, S, th[:, None], v[None, :])
    rng = np.random.default_rng(seed)
    shape = theory.shape
    est, low, high = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for i, t in enumerate(THETAS):
        for j, vv in enumerate(v):
            r = simulate_false_negative(A, S, t, int(vv), trials, rng)
            est[i, j], low[i, j], high[i, j] = r.estimate, r.low, r.high
    inside = (theory >= low) & (theory <= high)

    ours_50 = false_negative_probability(A, S, th, A // 2)
    rel_err = np.abs(ours_50 / np.asarray(PUBLISHED_50) - 1.0)
    agrees = bool(np.all(rel_err <= REL_TOL))
    source = f"{PAPER}, text with Fig 4B (a=128, s=30, 50% noise)"
    reference = xr.Dataset(
        {
            "p_false_negative_50pct": (
                "theta",
                np.asarray(PUBLISHED_50),
                {"source": source, "units": "1"},
            )
        },
        coords={"theta": ("theta", th)},
    )
    dims = ("theta", "noise")
    metrics = xr.Dataset(
        {
            "p_theory": (dims, theory, {"units": "1", "long_name": "exact P_fn"}),
            "p_simulated": (dims, est, {"units": "1"}),
            "ci_low": (dims, low, {"confidence": 0.95, "method": "clopper-pearson"}),
            "ci_high": (dims, high, {"confidence": 0.95, "method": "clopper-pearson"}),
            "fraction_inside_95ci": ((), float(inside.mean())),
            "p_false_negative_50pct": ("theta", ours_50),
            "relative_error_vs_published": ("theta", rel_err),
            "agrees": ((), agrees, {"long_name": f"within {REL_TOL:.0%} of published"}),
            "trials_per_point": ((), trials),
        },
        coords={
            "theta": ("theta", th),
            "noise": ("noise", noise),
            "v": ("noise", v, {"long_name": "moved active bits"}),
        },
    )
    tree = new_result(
        "dendrites.false_negative",
        params={
            "a": A,
            "n": N,
            "s": S,
            "theta": list(THETAS),
            "noise": noise.tolist(),
            "trials": trials,
        },
        seed=seed,
        source=PAPER,
        groups={"metrics": metrics, "reference": reference},
        study=STUDY_ID,
        extra_dims=["theta", "noise"],
    )

    fig, ax = plt.subplots(figsize=(6.2, 4.4))
    fine = np.arange(1, int(0.8 * A) + 1)
    for i, t in enumerate(THETAS):
        (line,) = ax.semilogy(
            fine / A * 100, false_negative_probability(A, S, t, fine), label=f"θ = {t}"
        )
        seen = est[i] > 0
        ax.plot(noise[seen] * 100, est[i, seen], "o", mfc="none", ms=4, color=line.get_color())
    ax.plot([], [], "ko", mfc="none", ms=4, label=f"simulation ({trials:.0e} trials)")
    ax.scatter([50] * 3, PUBLISHED_50, marker="x", color="k", zorder=3, label="published (50%)")
    ax.set_xlabel("noise (% of active bits moved)")
    ax.set_ylabel("probability of false negative")
    ax.set_ylim(1e-12, 2)
    ax.set_title(f"a = {A}, s = {S}  (Ahmad & Hawkins 2016, Fig 4B)")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    save_study(tree, fig, out, STUDY_ID)
    print(
        f"{STUDY_ID}: P_fn at 50% noise {np.array2string(ours_50, precision=4)} vs published "
        f"{PUBLISHED_50}; max rel. err {rel_err.max():.2e}; simulation inside 95% CI at "
        f"{inside.mean():.0%} of points"
    )
    return tree
