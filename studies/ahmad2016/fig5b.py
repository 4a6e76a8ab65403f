"""Ahmad & Hawkins (2016), Fig 5B: false-match probability vs synapses on a segment.

Subutai Ahmad and Jeff Hawkins, "How do neurons operate on sparse distributed
representations? A mathematical theory of sparsity, neurons and active dendrites",
arXiv:1601.00720 (2016).

Reproduced: Eq. 4 (exact, log space) against the number of synapses ``s`` with the
threshold at half of them, ``theta = s/2`` (``s = 2, 4, ..., 30``: even ``s`` so that
``theta`` is whole), for ``(a, n)`` in {(32, 2000), (32, 4000), (512, 16000),
(4000, 16000)}. The paper's point: with sparse activity the false-match rate falls
exponentially with ``s`` (a segment needs only a handful of synapses), while at 25 %
activity (a=4000 of 16000) it stays high whatever ``s``.

The paper gives no numbers for this panel; the reference group states the claim, and
the claims check it at ``s = 30`` (the end of the range), one row per curve: each
sparse curve below 1e-9, the dense one above 1e-3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse.dendrites import log_false_match_probability
from neurosparse.results import claim_check
from neurosparse.studies import study_main, study_result

PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"
FIGURE = "Fig 5B"
TITLE = "False-match probability vs synapses per segment, theta = s/2"
STUDY_ID = "ahmad2016/fig5b"


@dataclass(frozen=True)
class Params:
    """Settings of Fig 5B: ``s`` from ``s_start`` to ``s_stop`` in steps of ``s_step``,
    ``theta = s // 2``; the claims are checked at ``s = s_stop``. ``curves``: ``(a, n)``
    pairs; those listed in ``dense_curves`` (by position) should stay above
    ``10**log10_dense_min``, the others fall below ``10**log10_sparse_max``."""

    curves: tuple[tuple[int, int], ...] = ((32, 2000), (32, 4000), (512, 16000), (4000, 16000))
    dense_curves: tuple[int, ...] = (3,)
    s_start: int = 2
    s_stop: int = 30
    s_step: int = 2
    log10_sparse_max: float = -9.0
    log10_dense_min: float = -3.0


FULL = Params()
QUICK = Params(s_step=4)

CLAIM = (
    "With sparse activity the false-match rate drops rapidly with s; at a=4000, "
    "n=16000 (25% active) it stays high."
)
CLAIM_SOURCE = f"{PAPER}, Fig 5B and text"


def run(params: Params, seed: int = 0) -> xr.DataTree:
    """Eq. 4 with theta = s/2 along s for each curve (exact: ``seed`` is unused)."""
    s = np.arange(params.s_start, params.s_stop + 1, params.s_step)
    a = np.array([c[0] for c in params.curves])[:, None]
    n = np.array([c[1] for c in params.curves])[:, None]
    log10_p = log_false_match_probability(n, a, s[None, :], s[None, :] // 2) / np.log(10)
    s_end = params.s_stop
    at_end = log_false_match_probability(n[:, 0], a[:, 0], s_end, s_end // 2) / np.log(10)
    reference = xr.Dataset(
        {"claim": ((), CLAIM, {"source": CLAIM_SOURCE, "long_name": "the paper's claim"})}
    )
    metrics = xr.Dataset(
        {
            "log10_p_false_match": (
                ("curve", "s"),
                log10_p,
                {"units": "1", "long_name": "log10 P_fp (Eq. 4), theta = s/2"},
            ),
            "log10_p_at_s30": (
                "curve",
                at_end,
                {"units": "1", "long_name": f"log10 P_fp at s = {s_end}, theta = {s_end // 2}"},
            ),
        },
        coords={
            "curve": ("curve", np.arange(len(params.curves)), {"long_name": "curve (a, n)"}),
            "a": ("curve", a[:, 0], {"long_name": "active cells"}),
            "n": ("curve", n[:, 0], {"long_name": "cells in the population"}),
            "s": ("s", s, {"long_name": "synapses on the segment"}),
        },
    )
    claims = []
    for k, ((aa, nn), value) in enumerate(zip(params.curves, at_end)):
        where = f"a={aa}, n={nn} ({aa / nn:.1%} active)"
        if k in params.dense_curves:
            claims.append(
                claim_check(
                    f"Dense activity, {where}: P_fp stays high whatever s (value at s={s_end})",
                    "stays high whatever s",
                    float(10**value),
                    bool(value > params.log10_dense_min),
                    tolerance=f"P_fp > 1e{params.log10_dense_min:g} at s = {s_end}",
                    source=CLAIM_SOURCE,
                )
            )
        else:
            claims.append(
                claim_check(
                    f"Sparse activity, {where}: P_fp drops rapidly with s (value at s={s_end})",
                    "drops rapidly with s",
                    float(10**value),
                    bool(value < params.log10_sparse_max),
                    tolerance=f"P_fp < 1e{params.log10_sparse_max:g} at s = {s_end}",
                    source=CLAIM_SOURCE,
                )
            )
    return study_result(
        params,
        seed,
        kind="dendrites.false_match",
        groups={"metrics": metrics, "reference": reference},
        claims=claims,
    )


def plot(result: xr.DataTree):
    """P_fp vs s, one curve per (a, n)."""
    import matplotlib.pyplot as plt

    m = result["metrics"]
    s = m["s"].values
    fig, ax = plt.subplots(figsize=(6.2, 4.4))
    for k, (aa, nn) in enumerate(zip(m["a"].values, m["n"].values)):
        label = f"a = {aa}, n = {nn:,}"
        ax.semilogy(s, 10 ** m["log10_p_false_match"].values[k], "o-", ms=3, label=label)
    ax.set_xlabel("number of synapses on the segment s (θ = s/2)")
    ax.set_ylabel("probability of false match")
    ax.set_ylim(1e-30, 2)
    ax.set_title("Eq. 4 vs s  (Ahmad & Hawkins 2016, Fig 5B)")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    return fig


def main(out, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Compute Fig 5B, check the paper's claim, write the figure."""
    return study_main(__name__, out, quick=quick, seed=seed)
