"""Ahmad & Hawkins (2016), Fig 4A: simulated false-match rate of a segment vs Eq. 4.

Subutai Ahmad and Jeff Hawkins, "How do neurons operate on sparse distributed
representations? A mathematical theory of sparsity, neurons and active dendrites",
arXiv:1601.00720 (2016).

Reproduced: the probability that a random SDR (``a`` active cells out of ``n``) makes a
segment of ``s = 24`` synapses reach its threshold ``theta = 12``, for ``a`` in {64, 128,
256} and ``n = 300 ... 3500`` (step 200), by Monte Carlo simulation of random SDRs and
segments (:func:`neurosparse.dendrites.simulate_false_match`, sequential sampling of the
SDR through the segment's synapses) against the exact Eq. 4. The paper ran 10⁸ trials
per point; the full run here does the same (``FULL.trials``), the quick run 10⁵ on a
few points. Agreement: Eq. 4 inside every point's Clopper–Pearson interval at the
Bonferroni-corrected level ``1 - 0.05 / points``.

Published values (Eq. 4, quoted in the text with Fig 4A): a=64: 1.09e-3 (n=300),
5.70e-6 (n=500); a=128: 0.292 (n=300), 7.37e-3 (n=500), 2.50e-5 (n=900); a=256: 0.629
(n=500), 3.51e-3 (n=1100).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse.dendrites import (
    binomial_interval,
    false_match_probability,
    simulate_false_match,
)
from neurosparse.results import claim_check, claim_close
from neurosparse.studies import params_of, study_main, study_result

PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"
FIGURE = "Fig 4A"
TITLE = "Simulated false-match rate of a segment vs Eq. 4 (s=24, theta=12)"
STUDY_ID = "ahmad2016/fig4a"


@dataclass(frozen=True)
class Params:
    """Settings of Fig 4A. The simulation's numbers depend on the seed, ``method`` and
    ``chunk_size`` (the unit that gets its own seed), never on the number of threads."""

    s: int = 24
    theta: int = 12
    a_values: tuple[int, ...] = (64, 128, 256)
    n_values: tuple[int, ...] = tuple(range(300, 3501, 200))
    trials: int = 10**8  # per point, as the paper
    method: str = "sequential"
    chunk_size: int = 1 << 20
    alpha: float = 0.05  # family-wise level, Bonferroni-corrected over the points
    n_curve_step: int = 20  # grid of the exact Eq. 4 curves drawn behind the points
    rel_tol: float = 0.01  # published values carry three significant digits


FULL = Params()
QUICK = Params(n_values=(300, 500, 900, 1100), trials=10**5)

# (a, n, published P_fp), quoted in the text with Fig 4A (Eq. 4, s=24, theta=12)
PUBLISHED = (
    (64, 300, 1.09e-3),
    (64, 500, 5.70e-6),
    (128, 300, 0.292),
    (128, 500, 7.37e-3),
    (128, 900, 2.50e-5),
    (256, 500, 0.629),
    (256, 1100, 3.51e-3),
)
PUBLISHED_SOURCE = f"{PAPER}, text with Fig 4A (Eq. 4, s=24, theta=12)"
PUBLISHED_TRIALS = 10**8
PUBLISHED_TRIALS_SOURCE = f"{PAPER}, Fig 4A caption"


def run(params: Params, seed: int = 0) -> xr.DataTree:
    """Simulate every (a, n) point, compare with Eq. 4 and the published values."""
    a_values = np.asarray(params.a_values)
    n_values = np.asarray(params.n_values)
    trials = params.trials
    points = len(a_values) * len(n_values)
    confidence = 1.0 - params.alpha / points
    rng = np.random.default_rng(seed)
    shape = (len(a_values), len(n_values))
    est, low, high, theory = (np.zeros(shape) for _ in range(4))
    low95, high95 = np.zeros(shape), np.zeros(shape)
    hits = np.zeros(shape, dtype=np.int64)
    started = time.perf_counter()
    for i, a in enumerate(params.a_values):
        for j, n in enumerate(n_values):
            r = simulate_false_match(
                int(n), a, params.s, params.theta, trials, rng,
                method=params.method, confidence=confidence, chunk_size=params.chunk_size,
            )  # fmt: skip
            est[i, j], low[i, j], high[i, j], theory[i, j] = r.estimate, r.low, r.high, r.theory
            hits[i, j] = r.hits
            low95[i, j], high95[i, j] = binomial_interval(r.hits, trials)
    elapsed = time.perf_counter() - started
    inside = (theory >= low) & (theory <= high)
    inside95 = (theory >= low95) & (theory <= high95)

    pub_a = np.array([p[0] for p in PUBLISHED])
    pub_n = np.array([p[1] for p in PUBLISHED])
    pub_p = np.array([p[2] for p in PUBLISHED])
    ours = false_match_probability(pub_n, pub_a, params.s, params.theta)
    rel_err = np.abs(ours / pub_p - 1.0)
    n_curve = np.arange(int(n_values.min()), int(n_values.max()) + 1, params.n_curve_step)
    curve = false_match_probability(n_curve[None, :], a_values[:, None], params.s, params.theta)

    point = {"point": ("point", np.arange(pub_p.size), {"long_name": "published point"})}
    reference = xr.Dataset(
        {
            "p_false_match": (
                "point",
                pub_p,
                {"source": PUBLISHED_SOURCE, "units": "1", "long_name": "P_fp (Eq. 4)"},
            ),
            "a_point": ("point", pub_a, {"source": PUBLISHED_SOURCE, "long_name": "active cells"}),
            "n_point": ("point", pub_n, {"source": PUBLISHED_SOURCE, "long_name": "cells"}),
            "trials_per_point": (
                (),
                PUBLISHED_TRIALS,
                {"source": PUBLISHED_TRIALS_SOURCE, "long_name": "simulated trials per point"},
            ),
        },
        coords=point,
    )
    dims = ("a", "n")
    ci = {"confidence": confidence, "method": "clopper-pearson"}
    metrics = xr.Dataset(
        {
            "p_simulated": (dims, est, {"units": "1", "long_name": "Monte Carlo estimate"}),
            "ci_low": (dims, low, {**ci, "units": "1", "long_name": "lower confidence bound"}),
            "ci_high": (dims, high, {**ci, "units": "1", "long_name": "upper confidence bound"}),
            "hits": (dims, hits, {"long_name": "trials that reached the threshold"}),
            "p_theory": (dims, theory, {"units": "1", "long_name": "Eq. 4"}),
            "theory_inside_ci": (
                dims,
                inside,
                {"long_name": "Eq. 4 inside the Bonferroni-corrected interval"},
            ),
            "fraction_inside_95ci": (
                (),
                float(inside95.mean()),
                {
                    "units": "1",
                    "long_name": "fraction of points with Eq. 4 inside the 95 % interval",
                },
            ),
            "trials_per_point": ((), trials, {"long_name": "simulated trials per point"}),
            "simulation_seconds": (
                (),
                elapsed,
                {"units": "s", "long_name": "wall time of the simulation"},
            ),
            "trials_per_second": (
                (),
                trials * points / elapsed,
                {"units": "1/s", "long_name": "simulated trials per second"},
            ),
            "p_theory_at_published": (
                "point",
                ours,
                {"units": "1", "long_name": "Eq. 4 at the published (a, n) points"},
            ),
            "relative_error_vs_published": (
                "point",
                rel_err,
                {"units": "1", "long_name": "relative error against the published value"},
            ),
            "p_theory_curve": (
                ("a", "n_curve"),
                curve,
                {"units": "1", "long_name": "Eq. 4 on a fine grid of n (the curves drawn)"},
            ),
        },
        coords={
            "a": ("a", a_values, {"long_name": "active cells"}),
            "n": ("n", n_values, {"long_name": "cells in the population"}),
            "n_curve": ("n_curve", n_curve, {"long_name": "cells in the population (fine grid)"}),
            **point,
        },
    )
    claims = [
        claim_check(
            f"Monte Carlo ({trials:.0e} trials per point, s={params.s}, theta={params.theta}) "
            "matches Eq. 4 at every (a, n) point",
            "simulation on the Eq. 4 curves",
            f"Eq. 4 inside {int(inside.sum())} of {points} intervals",
            bool(inside.all()),
            tolerance=(
                f"Eq. 4 inside every Clopper-Pearson interval at level {confidence:.6g} "
                f"(Bonferroni, {params.alpha:g} / {points} points)"
            ),
            source=f"{PAPER}, Fig 4A",
        ),
        *(
            claim_close(
                f"Eq. 4, s={params.s}, theta={params.theta}: P_fp at a={a}, n={n}",
                p,
                float(o),
                rtol=params.rel_tol,
                source=PUBLISHED_SOURCE,
            )
            for (a, n, p), o in zip(PUBLISHED, ours)
        ),
    ]
    return study_result(
        params,
        seed,
        kind="dendrites.false_match_simulation",
        groups={"metrics": metrics, "reference": reference},
        claims=claims,
    )


def plot(result: xr.DataTree):
    """Eq. 4 curves per a, the simulated points with their intervals, the published
    values."""
    import matplotlib.pyplot as plt

    params = params_of(result)
    m, ref = result["metrics"], result["reference"]
    n_values = m["n"].values
    est, low, high = (m[k].values for k in ("p_simulated", "ci_low", "ci_high"))
    hits = m["hits"].values
    trials = params.trials
    fig, ax = plt.subplots(figsize=(6.2, 4.4))
    for i, a in enumerate(m["a"].values):
        (line,) = ax.semilogy(
            m["n_curve"].values, m["p_theory_curve"].values[i], label=f"a = {a}, Eq. 4"
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
    ax.scatter(
        ref["n_point"], ref["p_false_match"], marker="x", color="k", zorder=3,
        label="published values",
    )  # fmt: skip
    ax.axhline(1.0 / trials, color="0.6", ls=":", lw=1)
    ax.set_xlabel("number of cells n")
    ax.set_ylabel("probability of false match")
    ax.set_ylim(max(0.1 / trials, 1e-16), 2)
    ax.set_title(f"s = {params.s}, θ = {params.theta}  (Ahmad & Hawkins 2016, Fig 4A)")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    return fig


def main(out, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Simulate Fig 4A, compare with Eq. 4 and the published values, write the figure."""
    return study_main(__name__, out, quick=quick, seed=seed)
