"""Ahmad & Hawkins (2016), Fig 6: median false-match rate vs the NMDA threshold.

Subutai Ahmad and Jeff Hawkins, "How do neurons operate on sparse distributed
representations? A mathematical theory of sparsity, neurons and active dendrites",
arXiv:1601.00720 (2016).

Reproduced: for each threshold ``theta = 3 ... 24``, the median of Eq. 4 over the grid
``n = 10,000 ... 200,000`` (step 10,000), ``a = 0.5 % ... 3 %`` of ``n`` (step 0.5 %),
``s = 20 ... 50`` (step 5): 840 exact values per threshold
(:func:`neurosparse.dendrites.median_false_match_probability`; a grid point with
``theta > s`` counts as 0; the median of an even count is the mean of the two middle
values). Both the quick and the full run compute the whole grid.

Optimal-threshold band (our analysis; the paper states the conclusion, not the
procedure): at each grid point and noise level (10 % ... 50 % of the active bits moved)
the threshold minimising ``P_fp + P_fn`` (:func:`neurosparse.dendrites.optimal_threshold`);
the band spans the 10th to 90th percentiles of those optima over the grid and noise
levels. The quick run uses every fourth ``n``. Since the paper gives no procedure, the
band's claim has no verdict ("not tested"): the claims table shows both bands.

Published values: median P_fp at theta=8: 4.83e-8; at theta=12: 7.63e-14. The paper
predicts optimal thresholds of about 9 to 20 (measured NMDA thresholds: 8 to 20).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse.dendrites import median_false_match_probability, optimal_threshold
from neurosparse.results import claim_check, claim_close
from neurosparse.studies import params_of, study_main, study_result

PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"
FIGURE = "Fig 6"
TITLE = "Median false-match rate over (n, a, s) vs threshold, and the optimal-theta band"
STUDY_ID = "ahmad2016/fig6"


@dataclass(frozen=True)
class Params:
    """Settings of Fig 6: the median over ``n`` (``n_start`` to ``n_stop`` in steps of
    ``n_step``), ``a = a_fraction * n`` and ``s``; the optimal-theta band over every
    ``optimal_n_stride``-th ``n`` of that grid and the ``noise`` levels, spanning the
    ``band_percentiles``."""

    thetas: tuple[int, ...] = tuple(range(3, 25))
    n_start: int = 10_000
    n_stop: int = 200_000
    n_step: int = 10_000
    a_fractions: tuple[float, ...] = (0.005, 0.01, 0.015, 0.02, 0.025, 0.03)
    s_values: tuple[int, ...] = (20, 25, 30, 35, 40, 45, 50)
    noise: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5)
    optimal_n_stride: int = 1
    band_percentiles: tuple[int, ...] = (10, 90)
    rel_tol: float = 0.01  # published values carry three significant digits


FULL = Params()
QUICK = Params(optimal_n_stride=4)

PUBLISHED = ((8, 4.83e-8), (12, 7.63e-14))  # (theta, median P_fp)
PUBLISHED_SOURCE = f"{PAPER}, Fig 6 and text"
PUBLISHED_BAND = (9, 20)
PUBLISHED_BAND_SOURCE = f"{PAPER}, text (predicted optimal thresholds)"


def optimal_band(params: Params, n_grid: np.ndarray) -> np.ndarray:
    """Optimal theta at every (noise, n, a, s) point of the grid, shape (noise, n, a, s)."""
    shape = (len(params.noise), len(n_grid), len(params.a_fractions), len(params.s_values))
    out = np.zeros(shape, dtype=int)
    for k, v in enumerate(params.noise):
        for i, n in enumerate(n_grid):
            for j, f in enumerate(params.a_fractions):
                a = int(np.rint(f * n))
                for m, s in enumerate(params.s_values):
                    out[k, i, j, m] = optimal_threshold(int(n), a, int(s), v).theta
    return out


def run(params: Params, seed: int = 0) -> xr.DataTree:
    """Medians of Eq. 4 per threshold and the optimal-theta band (exact: ``seed`` is
    unused)."""
    thetas = np.asarray(params.thetas)
    n_grid = np.arange(params.n_start, params.n_stop + 1, params.n_step)
    a_fractions = np.asarray(params.a_fractions)
    s_values = np.asarray(params.s_values)
    log10_med = median_false_match_probability(thetas, n_grid, a_fractions, s_values) / np.log(10)
    med = 10**log10_med
    pub_t = np.array([p[0] for p in PUBLISHED])
    pub_p = np.array([p[1] for p in PUBLISHED])
    ours = med[np.searchsorted(thetas, pub_t)]
    rel_err = np.abs(ours / pub_p - 1.0)

    best = optimal_band(params, n_grid[:: params.optimal_n_stride])
    band = np.percentile(best, list(params.band_percentiles)).astype(int)
    median_opt = np.median(best.reshape(len(params.noise), -1), axis=1)

    bound = {"bound": ("bound", ["low", "high"], {"long_name": "bound of the optimal-theta band"})}
    theta_pub = {
        "theta_published": (
            "theta_published",
            pub_t,
            {"long_name": "threshold of a published value"},
        )
    }
    reference = xr.Dataset(
        {
            "median_p_false_match": (
                "theta_published",
                pub_p,
                {"source": PUBLISHED_SOURCE, "units": "1", "long_name": "median P_fp"},
            ),
            "optimal_theta_band": (
                "bound",
                np.asarray(PUBLISHED_BAND),
                {"source": PUBLISHED_BAND_SOURCE, "long_name": "predicted optimal thresholds"},
            ),
        },
        coords={**theta_pub, **bound},
    )
    low_pct, high_pct = params.band_percentiles
    metrics = xr.Dataset(
        {
            "log10_median_p_false_match": (
                "theta",
                log10_med,
                {"units": "1", "long_name": "log10 median Eq. 4 over the grid"},
            ),
            "median_at_published": (
                "theta_published",
                ours,
                {"units": "1", "long_name": "median Eq. 4 at the published thresholds"},
            ),
            "relative_error_vs_published": (
                "theta_published",
                rel_err,
                {"units": "1", "long_name": "relative error against the published value"},
            ),
            "optimal_theta_band": (
                "bound",
                band,
                {"long_name": f"{low_pct}th-{high_pct}th percentile of optimal theta"},
            ),
            "median_optimal_theta": (
                "noise",
                median_opt,
                {"long_name": "median optimal theta over the grid"},
            ),
            "optimal_theta_min": ((), int(best.min()), {"long_name": "smallest optimal theta"}),
            "optimal_theta_max": ((), int(best.max()), {"long_name": "largest optimal theta"}),
        },
        coords={
            "theta": ("theta", thetas, {"long_name": "NMDA threshold"}),
            "noise": (
                "noise",
                np.asarray(params.noise),
                {"units": "1", "long_name": "fraction of active bits moved"},
            ),
            **theta_pub,
            **bound,
        },
    )
    claims = [
        *(
            claim_close(
                f"Median of Eq. 4 over the (n, a, s) grid at theta={t}",
                p,
                float(o),
                rtol=params.rel_tol,
                source=PUBLISHED_SOURCE,
            )
            for (t, p), o in zip(PUBLISHED, ours)
        ),
        claim_check(
            "Optimal thresholds lie in a band of about 9 to 20",
            f"{PUBLISHED_BAND[0]}-{PUBLISHED_BAND[1]}",
            f"{band[0]}-{band[1]} ({low_pct}th-{high_pct}th percentile of the thresholds "
            "minimising P_fp + P_fn)",
            None,
            tolerance="none: the paper gives no procedure for its band (the one here is ours)",
            source=PUBLISHED_BAND_SOURCE,
        ),
    ]
    return study_result(
        params,
        seed,
        kind="dendrites.threshold_analysis",
        groups={"metrics": metrics, "reference": reference},
        claims=claims,
    )


def plot(result: xr.DataTree):
    """Median P_fp vs theta with the published values, our band and the paper's."""
    import matplotlib.pyplot as plt

    params = params_of(result)
    m, ref = result["metrics"], result["reference"]
    band = m["optimal_theta_band"].values
    paper_band = ref["optimal_theta_band"].values
    low_pct, high_pct = params.band_percentiles
    fig, ax = plt.subplots(figsize=(6.2, 4.4))
    ax.axvspan(
        band[0],
        band[1],
        color="tab:green",
        alpha=0.15,
        label=f"optimal θ, {low_pct}–{high_pct}% (ours): {band[0]}–{band[1]}",
    )
    ax.axvspan(
        paper_band[0],
        paper_band[1],
        ymin=0,
        ymax=0.04,
        color="k",
        alpha=0.5,
        label=f"paper: {paper_band[0]}–{paper_band[1]}",
    )
    ax.semilogy(
        m["theta"].values,
        10 ** m["log10_median_p_false_match"].values,
        "o-",
        ms=4,
        label="median Eq. 4 over the grid",
    )
    ax.scatter(
        ref["theta_published"].values, ref["median_p_false_match"].values,
        marker="x", s=60, color="k", zorder=3, label="published values",
    )  # fmt: skip
    ax.set_xlabel("NMDA threshold θ")
    ax.set_ylabel("median probability of false match")
    fractions, s_values = params.a_fractions, params.s_values
    ax.set_title(
        f"n {params.n_start // 1000}k–{params.n_stop // 1000}k, "
        f"a {100 * min(fractions):g}–{100 * max(fractions):g}% of n, "
        f"s {min(s_values)}–{max(s_values)}  (Ahmad & Hawkins 2016, Fig 6)",
        fontsize=9,
    )
    ax.legend(frameon=False, fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    return fig


def main(out, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Compute Fig 6, compare with the published medians, write the figure."""
    return study_main(__name__, out, quick=quick, seed=seed)
