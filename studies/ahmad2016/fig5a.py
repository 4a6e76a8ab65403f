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

from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse.dendrites import log_false_match_probability
from neurosparse.results import claim_close
from neurosparse.studies import params_of, study_main, study_result

PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"
FIGURE = "Fig 5A"
TITLE = "False-match probability of a segment vs population size n (Eq. 4)"
STUDY_ID = "ahmad2016/fig5a"


@dataclass(frozen=True)
class Params:
    """Settings of Fig 5A (``n`` from ``n_start`` to ``n_stop`` in steps of ``n_step``)."""

    s: int = 24
    theta: int = 12
    a_values: tuple[int, ...] = (64, 128, 256)
    n_start: int = 300
    n_stop: int = 19_900
    n_step: int = 200
    rel_tol: float = 0.01  # the published values carry three significant digits


FULL = Params()
QUICK = Params(n_step=1_600)

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
PUBLISHED_SOURCE = f"{PAPER}, values quoted with Fig 4A (Eq. 4, s=24, theta=12)"


def compute(n_values: np.ndarray, params: Params = FULL) -> xr.Dataset:
    """log10 P_fp on the (a, n) grid, and along a = n/4."""
    a = np.asarray(params.a_values)[:, None]
    log_p = log_false_match_probability(n_values[None, :], a, params.s, params.theta)
    log_p_quarter = log_false_match_probability(n_values, n_values // 4, params.s, params.theta)
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
            "a": ("a", np.asarray(params.a_values), {"long_name": "active cells"}),
            "n": ("n", n_values, {"long_name": "cells in the population"}),
        },
    )


def run(params: Params, seed: int = 0) -> xr.DataTree:
    """Eq. 4 on the grid and at the published points (exact: ``seed`` is unused). The
    published ``n`` join the grid, so the curves pass through the points on any grid."""
    pub_a = np.array([p[0] for p in PUBLISHED])
    pub_n = np.array([p[1] for p in PUBLISHED])
    grid = np.arange(params.n_start, params.n_stop + 1, params.n_step)
    n_values = np.union1d(grid, pub_n[(pub_n >= params.n_start) & (pub_n <= params.n_stop)])
    curves = compute(n_values, params)

    pub_p = np.array([p[2] for p in PUBLISHED])
    ours = np.exp(log_false_match_probability(pub_n, pub_a, params.s, params.theta))
    rel_err = np.abs(ours / pub_p - 1.0)
    point = {"point": ("point", np.arange(pub_p.size), {"long_name": "published point"})}
    reference = xr.Dataset(
        {
            "p_false_match": (
                "point",
                pub_p,
                {"source": PUBLISHED_SOURCE, "units": "1", "long_name": "P_fp"},
            ),
            "a_point": (
                "point",
                pub_a,
                {"source": PUBLISHED_SOURCE, "long_name": "active cells"},
            ),
            "n_point": ("point", pub_n, {"source": PUBLISHED_SOURCE, "long_name": "cells"}),
        },
        coords=point,
    )
    # smallest n (on the grid) where the false-match rate drops below 1e-9, per a
    below = curves["log10_p_false_match"].values < -9
    n_below = np.where(below.any(axis=1), n_values[np.argmax(below, axis=1)], -1)
    metrics = xr.Dataset(
        {
            "p_false_match_at_published": (
                "point",
                ours,
                {"units": "1", "long_name": "Eq. 4 at the published (a, n) points"},
            ),
            "relative_error": (
                "point",
                rel_err,
                {"units": "1", "long_name": "relative error against the published value"},
            ),
            "n_below_1e9": (
                ("a",),
                n_below,
                {"long_name": "smallest n on the grid with P_fp < 1e-9 (-1: none)"},
            ),
        },
        coords={"a": ("a", np.asarray(params.a_values), {"long_name": "active cells"}), **point},
    )
    claims = [
        claim_close(
            f"Eq. 4, s={params.s}, theta={params.theta}: P_fp at a={a}, n={n}",
            p,
            float(o),
            rtol=params.rel_tol,
            source=PUBLISHED_SOURCE,
        )
        for (a, n, p), o in zip(PUBLISHED, ours)
    ]
    return study_result(
        params,
        seed,
        kind="dendrites.false_match",
        groups={"metrics": xr.merge([curves, metrics]), "reference": reference},
        claims=claims,
    )


def plot(result: xr.DataTree):
    """The curves of P_fp vs n per a, the a = n/4 curve, and the published points."""
    import matplotlib.pyplot as plt

    params = params_of(result)
    m, ref = result["metrics"], result["reference"]
    n_values = m["n"].values
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for a in m["a"].values:
        ax.semilogy(n_values, 10 ** m["log10_p_false_match"].sel(a=a), label=f"a = {a}")
    ax.semilogy(n_values, 10 ** m["log10_p_false_match_quarter"], "k--", label="a = n/4")
    ax.scatter(
        ref["n_point"], ref["p_false_match"], marker="x", color="k", zorder=3,
        label="published values",
    )  # fmt: skip
    ax.set_xlabel("number of cells n")
    ax.set_ylabel("probability of false match")
    ax.set_title(f"Eq. 4, s = {params.s}, θ = {params.theta}  (Ahmad & Hawkins 2016, Fig 5A)")
    ax.set_ylim(1e-26, 3)
    ax.legend(frameon=False)
    ax.grid(True, which="major", alpha=0.3)
    return fig


def main(out, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Compute Fig 5A, compare with the published values, write .nc/.png/.svg."""
    return study_main(__name__, out, quick=quick, seed=seed)
