"""Ahmad & Hawkins (2016), Fig 6: median false-match rate vs the NMDA threshold.

Subutai Ahmad and Jeff Hawkins, "How do neurons operate on sparse distributed
representations? A mathematical theory of sparsity, neurons and active dendrites",
arXiv:1601.00720 (2016).

Reproduced: for each threshold ``theta = 3 ... 24``, the median of Eq. 4 over the grid
``n = 10,000 ... 200,000`` (step 10,000), ``a = 0.5 % ... 3 %`` of ``n`` (step 0.5 %),
``s = 20 ... 50`` (step 5): 840 exact values per threshold
(:func:`neurosparse.dendrites.median_false_match_probability`; a grid point with
``theta > s`` counts as 0; the median of an even count is the mean of the two middle
values). Both the quick and the full run compute the whole grid (it takes well under a
second).

Optimal-threshold band (our analysis; the paper states the conclusion, not the
procedure): at each grid point and noise level (10 % ... 50 % of the active bits moved)
the threshold minimising ``P_fp + P_fn`` (:func:`neurosparse.dendrites.optimal_threshold`);
the band spans the 10th to 90th percentiles of those optima over the grid and noise
levels. The quick run uses every fourth ``n``.

Published values: median P_fp at theta=8: 4.83e-8; at theta=12: 7.63e-14. The paper
predicts optimal thresholds of about 9 to 20 (measured NMDA thresholds: 8 to 20).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from neurosparse.dendrites import median_false_match_probability, optimal_threshold
from neurosparse.results import new_result
from neurosparse.studies import save_study

PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"
FIGURE = "Fig 6"
TITLE = "Median false-match rate over (n, a, s) vs threshold, and the optimal-theta band"
STUDY_ID = "ahmad2016/fig6"

THETAS = np.arange(3, 25)
N_GRID = np.arange(10_000, 200_001, 10_000)
A_FRACTIONS = np.round(np.arange(0.005, 0.0301, 0.005), 4)
S_GRID = np.arange(20, 51, 5)
NOISE = (0.1, 0.2, 0.3, 0.4, 0.5)
PUBLISHED = ((8, 4.83e-8), (12, 7.63e-14))
PUBLISHED_BAND = (9, 20)
REL_TOL = 0.01  # three significant digits


def optimal_band(n_grid, noise=NOISE):
    """Optimal theta at every (n, a, s, noise) point of the grid, shape (noise, n, a, s)."""
    out = np.zeros((len(noise), len(n_grid), len(A_FRACTIONS), len(S_GRID)), dtype=int)
    for k, v in enumerate(noise):
        for i, n in enumerate(n_grid):
            for j, f in enumerate(A_FRACTIONS):
                a = int(np.rint(f * n))
                for m, s in enumerate(S_GRID):
                    out[k, i, j, m] = optimal_threshold(int(n), a, int(s), v).theta
    return out


def main(out: Path, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Compute Fig 6, compare with the published medians, write the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    log10_med = median_false_match_probability(THETAS, N_GRID, A_FRACTIONS, S_GRID) / np.log(10)
    med = 10**log10_med
    pub_t = np.array([p[0] for p in PUBLISHED])
    pub_p = np.array([p[1] for p in PUBLISHED])
    ours = med[np.searchsorted(THETAS, pub_t)]
    rel_err = np.abs(ours / pub_p - 1.0)
    agrees = bool(np.all(rel_err <= REL_TOL))

    n_opt = N_GRID[::4] if quick else N_GRID
    best = optimal_band(n_opt)
    band = np.percentile(best, [10, 90]).astype(int)
    median_opt = np.median(best.reshape(len(NOISE), -1), axis=1)

    source = f"{PAPER}, Fig 6 and text"
    reference = xr.Dataset(
        {
            "median_p_false_match": ("theta", pub_p, {"source": source, "units": "1"}),
            "optimal_theta_band": (
                "bound",
                np.asarray(PUBLISHED_BAND),
                {"source": f"{PAPER}, text (predicted optimal thresholds)"},
            ),
        },
        coords={"theta": ("theta", pub_t), "bound": ("bound", ["low", "high"])},
    )
    metrics = xr.Dataset(
        {
            "log10_median_p_false_match": (
                "theta",
                log10_med,
                {"long_name": "log10 median Eq. 4 over the grid"},
            ),
            "median_at_published": ("theta_published", ours),
            "relative_error_vs_published": ("theta_published", rel_err),
            "agrees": ((), agrees, {"long_name": f"medians within {REL_TOL:.0%} of published"}),
            "optimal_theta_band": (
                "bound",
                band,
                {"long_name": "10th-90th percentile of optimal theta"},
            ),
            "median_optimal_theta": ("noise", median_opt),
            "optimal_theta_min": ((), int(best.min())),
            "optimal_theta_max": ((), int(best.max())),
        },
        coords={
            "theta": ("theta", THETAS),
            "theta_published": ("theta_published", pub_t),
            "bound": ("bound", ["low", "high"]),
            "noise": ("noise", np.asarray(NOISE)),
        },
    )
    tree = new_result(
        "dendrites.threshold_analysis",
        params={
            "theta": THETAS.tolist(),
            "n": N_GRID.tolist(),
            "a_fraction": A_FRACTIONS.tolist(),
            "s": S_GRID.tolist(),
            "noise": list(NOISE),
            "n_optimal": n_opt.tolist(),
        },
        seed=seed,
        source=PAPER,
        groups={"metrics": metrics, "reference": reference},
        study=STUDY_ID,
        extra_dims=["theta", "theta_published", "bound", "noise"],
    )

    fig, ax = plt.subplots(figsize=(6.2, 4.4))
    ax.axvspan(
        band[0],
        band[1],
        color="tab:green",
        alpha=0.15,
        label=f"optimal θ, 10–90% (ours): {band[0]}–{band[1]}",
    )
    ax.axvspan(
        PUBLISHED_BAND[0],
        PUBLISHED_BAND[1],
        ymin=0,
        ymax=0.04,
        color="k",
        alpha=0.5,
        label=f"paper: {PUBLISHED_BAND[0]}–{PUBLISHED_BAND[1]}",
    )
    ax.semilogy(THETAS, med, "o-", ms=4, label="median Eq. 4 over the grid")
    ax.scatter(pub_t, pub_p, marker="x", s=60, color="k", zorder=3, label="published values")
    ax.set_xlabel("NMDA threshold θ")
    ax.set_ylabel("median probability of false match")
    ax.set_title("n 10k–200k, a 0.5–3% of n, s 20–50  (Ahmad & Hawkins 2016, Fig 6)", fontsize=9)
    ax.legend(frameon=False, fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    save_study(tree, fig, out, STUDY_ID)
    print(
        f"{STUDY_ID}: median P_fp at theta 8, 12: {ours[0]:.3e}, {ours[1]:.3e} vs published "
        f"{pub_p[0]:.3e}, {pub_p[1]:.3e} (max rel. err {rel_err.max():.2e}); optimal theta "
        f"10-90% band {band[0]}-{band[1]} (range {best.min()}-{best.max()})"
    )
    return tree
