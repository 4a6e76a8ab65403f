"""Ahmad & Hawkins (2016), Fig 5A: false-match probability of a dendritic segment vs n.

Subutai Ahmad and Jeff Hawkins, "How do neurons operate on sparse distributed
representations? A mathematical theory of sparsity, neurons and active dendrites",
arXiv:1601.00720 (2016).

Reproduced: Eq. 4, the probability that a random SDR with ``a`` active cells out of
``n`` matches a segment of ``s = 24`` synapses in at least ``theta = 12`` places, for
``n = 300 ... 19,900`` and ``a`` in {64, 128, 256}, plus the dashed curve where
``a = n/4`` grows with ``n`` (the false-match rate then stays high: sparsity matters).
Computed exactly in log space (:func:`neurosparse.dendrites.log_false_match_probability`).

Published values (the paper's Eq. 4 values quoted with Fig 4A, same parameters):
a=64: 1.09e-3 (n=300), 5.70e-6 (n=500); a=128: 0.292 (n=300), 7.37e-3 (n=500),
2.50e-5 (n=900); a=256: 0.629 (n=500), 3.51e-3 (n=1100).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from neurosparse.dendrites import log_false_match_probability
from neurosparse.results import new_result
from neurosparse.studies import save_study

PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"
FIGURE = "Fig 5A"
TITLE = "False-match probability of a segment vs population size n (Eq. 4)"
STUDY_ID = "ahmad2016/fig5a"

S, THETA = 24, 12
A_VALUES = (64, 128, 256)
N_FULL = np.arange(300, 19_901, 200)
N_QUICK = np.arange(300, 19_901, 1_600)
# (a, n, published P_fp), quoted in the paper with Fig 4A (Eq. 4, s=24, theta=12)
PUBLISHED = (
    (64, 300, 1.09e-3),
    (64, 500, 5.70e-6),
    (128, 300, 0.292),
    (128, 500, 7.37e-3),
    (128, 900, 2.50e-5),
    (256, 500, 0.629),
    (256, 1100, 3.51e-3),
)
REL_TOL = 0.01  # the published values carry three significant digits


def compute(n_values: np.ndarray) -> xr.Dataset:
    """log10 P_fp on the (a, n) grid, and along a = n/4."""
    a = np.asarray(A_VALUES)[:, None]
    log_p = log_false_match_probability(n_values[None, :], a, S, THETA)
    log_p_quarter = log_false_match_probability(n_values, n_values // 4, S, THETA)
    ln10 = np.log(10.0)
    return xr.Dataset(
        {
            "log10_p_false_match": (
                ("a", "n"),
                log_p / ln10,
                {"units": "1", "long_name": "log10 false-match probability (Eq. 4)"},
            ),
            "log10_p_false_match_quarter": (
                ("n",),
                log_p_quarter / ln10,
                {"units": "1", "long_name": "log10 false-match probability, a = n/4"},
            ),
        },
        coords={
            "a": ("a", np.asarray(A_VALUES), {"long_name": "active cells"}),
            "n": ("n", n_values, {"long_name": "cells in the population"}),
        },
    )


def main(out: Path, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Compute Fig 5A, compare with the published values, write .nc/.png/.svg."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_values = N_QUICK if quick else N_FULL
    curves = compute(n_values)

    pub_a = np.array([p[0] for p in PUBLISHED])
    pub_n = np.array([p[1] for p in PUBLISHED])
    pub_p = np.array([p[2] for p in PUBLISHED])
    ours = np.exp(log_false_match_probability(pub_n, pub_a, S, THETA))
    rel_err = np.abs(ours / pub_p - 1.0)
    agrees = bool(np.all(rel_err <= REL_TOL))
    source = f"{PAPER}, values quoted with Fig 4A (Eq. 4, s=24, theta=12)"

    reference = xr.Dataset(
        {
            "p_false_match": ("point", pub_p, {"source": source, "units": "1"}),
            "a_point": ("point", pub_a, {"source": source, "long_name": "active cells"}),
            "n_point": ("point", pub_n, {"source": source, "long_name": "cells"}),
        }
    )
    # smallest n (on the grid) where the false-match rate drops below 1e-9, per a
    log_p = curves["log10_p_false_match"].values
    below = log_p < -9
    n_below = np.where(below.any(axis=1), n_values[np.argmax(below, axis=1)], -1)
    metrics = xr.Dataset(
        {
            "p_false_match_at_published": (
                "point",
                ours,
                {"units": "1", "long_name": "Eq. 4 at the published (a, n) points"},
            ),
            "relative_error": ("point", rel_err, {"units": "1"}),
            "agrees": ((), agrees, {"long_name": f"all within {REL_TOL:.0%} of published"}),
            "n_below_1e9": (
                ("a",),
                n_below,
                {"long_name": "smallest n on the grid with P_fp < 1e-9 (-1: none)"},
            ),
        },
        coords={"a": ("a", np.asarray(A_VALUES))},
    )
    tree = new_result(
        "dendrites.false_match",
        params={"s": S, "theta": THETA, "a": list(A_VALUES), "n": n_values.tolist()},
        seed=seed,
        source=PAPER,
        groups={"metrics": xr.merge([curves, metrics]), "reference": reference},
        study=STUDY_ID,
        extra_dims=["a", "n", "point"],
    )

    fig, ax = plt.subplots(figsize=(6, 4.2))
    for a in A_VALUES:
        ax.semilogy(n_values, 10 ** curves["log10_p_false_match"].sel(a=a), label=f"a = {a}")
    ax.semilogy(n_values, 10 ** curves["log10_p_false_match_quarter"], "k--", label="a = n/4")
    ax.scatter(pub_n, pub_p, marker="x", color="k", zorder=3, label="published values")
    ax.set_xlabel("number of cells n")
    ax.set_ylabel("probability of false match")
    ax.set_title(f"Eq. 4, s = {S}, θ = {THETA}  (Ahmad & Hawkins 2016, Fig 5A)")
    ax.set_ylim(1e-26, 3)
    ax.legend(frameon=False)
    ax.grid(True, which="major", alpha=0.3)
    save_study(tree, fig, out, STUDY_ID)
    print(
        f"{STUDY_ID}: Eq. 4 at the 7 published points, max relative error "
        f"{rel_err.max():.2e} -> {'agrees' if agrees else 'DOES NOT agree'} (tol {REL_TOL:.0%})"
    )
    return tree
