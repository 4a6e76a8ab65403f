"""Ahmad & Hawkins (2016), Fig 4A: simulated false-match rate of a segment vs Eq. 4.

Subutai Ahmad and Jeff Hawkins, "How do neurons operate on sparse distributed
representations? A mathematical theory of sparsity, neurons and active dendrites",
arXiv:1601.00720 (2016).

Reproduced: the probability that a random SDR (``a`` active cells out of ``n``) makes a
segment of ``s = 24`` synapses reach its threshold ``theta = 12``, for ``a`` in {64, 128,
256} and ``n = 300 ... 3500`` (step 200), by Monte Carlo simulation of random SDRs and
segments (:func:`neurosparse.dendrites.simulate_false_match`, sequential sampling of the
SDR through the segment's synapses) against the exact Eq. 4. The paper ran 10⁸ trials
per point; the full run here does the same (``TRIALS_FULL``), the quick run 10⁵ on a
few points. Agreement: Eq. 4 inside every point's Clopper–Pearson interval at the
Bonferroni-corrected level ``1 - 0.05 / points``.

Published values (Eq. 4, quoted in the text with Fig 4A): a=64: 1.09e-3 (n=300),
5.70e-6 (n=500); a=128: 0.292 (n=300), 7.37e-3 (n=500), 2.50e-5 (n=900); a=256: 0.629
(n=500), 3.51e-3 (n=1100).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import xarray as xr

from neurosparse.dendrites import (
    binomial_interval,
    false_match_probability,
    simulate_false_match,
)
from neurosparse.results import new_result
from neurosparse.studies import save_study

PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"
FIGURE = "Fig 4A"
TITLE = "Simulated false-match rate of a segment vs Eq. 4 (s=24, theta=12)"
STUDY_ID = "ahmad2016/fig4a"

S, THETA = 24, 12
A_VALUES = (64, 128, 256)
N_FULL = np.arange(300, 3501, 200)
N_QUICK = np.array([300, 500, 900, 1100])
TRIALS_FULL = 10**8  # as the paper
TRIALS_QUICK = 10**5
PUBLISHED = (
    (64, 300, 1.09e-3),
    (64, 500, 5.70e-6),
    (128, 300, 0.292),
    (128, 500, 7.37e-3),
    (128, 900, 2.50e-5),
    (256, 500, 0.629),
    (256, 1100, 3.51e-3),
)
REL_TOL = 0.01  # published values carry three significant digits


def main(out: Path, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Simulate Fig 4A, compare with Eq. 4 and the published values, write the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_values = N_QUICK if quick else N_FULL
    trials = TRIALS_QUICK if quick else TRIALS_FULL
    points = len(A_VALUES) * len(n_values)
    confidence = 1.0 - 0.05 / points
    rng = np.random.default_rng(seed)
    shape = (len(A_VALUES), len(n_values))
    est, low, high, theory = (np.zeros(shape) for _ in range(4))
    low95, high95 = np.zeros(shape), np.zeros(shape)
    hits = np.zeros(shape, dtype=np.int64)
    started = time.perf_counter()
    for i, a in enumerate(A_VALUES):
        for j, n in enumerate(n_values):
            r = simulate_false_match(int(n), a, S, THETA, trials, rng, confidence=confidence)
            est[i, j], low[i, j], high[i, j], theory[i, j] = r.estimate, r.low, r.high, r.theory
            hits[i, j] = r.hits
            low95[i, j], high95[i, j] = binomial_interval(r.hits, trials)
    elapsed = time.perf_counter() - started
    inside = (theory >= low) & (theory <= high)
    inside95 = (theory >= low95) & (theory <= high95)
    agrees = bool(inside.all())

    pub_a = np.array([p[0] for p in PUBLISHED])
    pub_n = np.array([p[1] for p in PUBLISHED])
    pub_p = np.array([p[2] for p in PUBLISHED])
    ours = false_match_probability(pub_n, pub_a, S, THETA)
    rel_err = np.abs(ours / pub_p - 1.0)
    source = f"{PAPER}, text with Fig 4A (Eq. 4, s=24, theta=12)"
    reference = xr.Dataset(
        {
            "p_false_match": ("point", pub_p, {"source": source, "units": "1"}),
            "a_point": ("point", pub_a, {"source": source}),
            "n_point": ("point", pub_n, {"source": source}),
            "trials_per_point": ((), 10**8, {"source": f"{PAPER}, Fig 4A caption"}),
        }
    )
    dims = ("a", "n")
    metrics = xr.Dataset(
        {
            "p_simulated": (dims, est, {"units": "1", "long_name": "Monte Carlo estimate"}),
            "ci_low": (dims, low, {"confidence": confidence, "method": "clopper-pearson"}),
            "ci_high": (dims, high, {"confidence": confidence, "method": "clopper-pearson"}),
            "hits": (dims, hits),
            "p_theory": (dims, theory, {"units": "1", "long_name": "Eq. 4"}),
            "theory_inside_ci": (dims, inside),
            "fraction_inside_95ci": ((), float(inside95.mean())),
            "agrees": ((), agrees, {"long_name": "Eq. 4 inside every Bonferroni interval"}),
            "trials_per_point": ((), trials),
            "simulation_seconds": ((), elapsed, {"units": "s"}),
            "trials_per_second": ((), trials * points / elapsed, {"units": "1/s"}),
            "p_theory_at_published": ("point", ours),
            "relative_error_vs_published": ("point", rel_err),
            "published_agrees": ((), bool(np.all(rel_err <= REL_TOL))),
        },
        coords={"a": ("a", np.asarray(A_VALUES)), "n": ("n", n_values)},
    )
    tree = new_result(
        "dendrites.false_match_simulation",
        params={
            "s": S,
            "theta": THETA,
            "a": list(A_VALUES),
            "n": n_values.tolist(),
            "trials": trials,
            "method": "sequential",
        },
        seed=seed,
        source=PAPER,
        groups={"metrics": metrics, "reference": reference},
        study=STUDY_ID,
        extra_dims=["a", "n", "point"],
    )

    fig, ax = plt.subplots(figsize=(6.2, 4.4))
    n_fine = np.arange(300, int(n_values.max()) + 1, 20)
    for i, a in enumerate(A_VALUES):
        (line,) = ax.semilogy(
            n_fine, false_match_probability(n_fine, a, S, THETA), label=f"a = {a}, Eq. 4"
        )
        seen = hits[i] > 0
        ax.errorbar(
            n_values[seen],
            est[i, seen],
            yerr=np.vstack([est[i, seen] - low[i, seen], high[i, seen] - est[i, seen]]),
            fmt="o",
            ms=4,
            mfc="none",
            color=line.get_color(),
            capsize=2,
        )
    ax.plot([], [], "ko", mfc="none", ms=4, label=f"simulation ({trials:.0e} trials/point)")
    ax.scatter(pub_n, pub_p, marker="x", color="k", zorder=3, label="published values")
    ax.axhline(1.0 / trials, color="0.6", ls=":", lw=1)
    ax.set_xlabel("number of cells n")
    ax.set_ylabel("probability of false match")
    ax.set_ylim(max(0.1 / trials, 1e-16), 2)
    ax.set_title(f"s = {S}, θ = {THETA}  (Ahmad & Hawkins 2016, Fig 4A)")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    save_study(tree, fig, out, STUDY_ID)
    print(
        f"{STUDY_ID}: {points} points x {trials:.0e} trials in {elapsed:.1f} s; Eq. 4 inside "
        f"{inside.mean():.0%} of the {confidence:.4f} intervals, {inside95.mean():.0%} of the "
        f"95% ones -> {'agrees' if agrees else 'DOES NOT agree'}; published max rel. err "
        f"{rel_err.max():.2e}"
    )
    return tree
