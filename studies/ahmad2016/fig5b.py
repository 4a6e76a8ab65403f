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
the metrics give the values at ``s = 30`` and whether the claim holds (sparse curves
below 1e-9 at ``s = 30``, the dense one above 1e-3: it falls by about two decades
over the whole range of ``s``, the sparse ones by 14 to 25).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from neurosparse.dendrites import log_false_match_probability
from neurosparse.results import new_result
from neurosparse.studies import save_study

PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"
FIGURE = "Fig 5B"
TITLE = "False-match probability vs synapses per segment, theta = s/2"
STUDY_ID = "ahmad2016/fig5b"

CURVES = ((32, 2000), (32, 4000), (512, 16000), (4000, 16000))  # (a, n)
S_FULL = np.arange(2, 31, 2)
S_QUICK = np.arange(2, 31, 4)


def main(out: Path, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Compute Fig 5B, check the paper's claim, write the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = S_QUICK if quick else S_FULL
    a = np.array([c[0] for c in CURVES])[:, None]
    n = np.array([c[1] for c in CURVES])[:, None]
    log10_p = log_false_match_probability(n, a, s[None, :], s[None, :] // 2) / np.log(10)
    at_30 = log_false_match_probability(n[:, 0], a[:, 0], 30, 15) / np.log(10)
    sparse_ok = bool(np.all(at_30[:3] < -9))
    dense_ok = bool(at_30[3] > -3)
    claim = (
        "With sparse activity the false-match rate drops rapidly with s; at a=4000, "
        "n=16000 (25% active) it stays high."
    )
    reference = xr.Dataset({"claim": ((), claim, {"source": f"{PAPER}, Fig 5B and text"})})
    metrics = xr.Dataset(
        {
            "log10_p_false_match": (
                ("curve", "s"),
                log10_p,
                {"long_name": "log10 P_fp (Eq. 4), theta = s/2"},
            ),
            "log10_p_at_s30": ("curve", at_30),
            "agrees": (
                (),
                sparse_ok and dense_ok,
                {"long_name": "sparse curves < 1e-9 and dense > 1e-3 at s=30"},
            ),
        },
        coords={
            "curve": ("curve", np.arange(len(CURVES))),
            "a": ("curve", a[:, 0]),
            "n": ("curve", n[:, 0]),
            "s": ("s", s),
        },
    )
    tree = new_result(
        "dendrites.false_match",
        params={"curves": [list(c) for c in CURVES], "s": s.tolist(), "theta": "s/2"},
        seed=seed,
        source=PAPER,
        groups={"metrics": metrics, "reference": reference},
        study=STUDY_ID,
        extra_dims=["curve", "s"],
    )

    fig, ax = plt.subplots(figsize=(6.2, 4.4))
    for k, (aa, nn) in enumerate(CURVES):
        ax.semilogy(s, 10 ** log10_p[k], "o-", ms=3, label=f"a = {aa}, n = {nn:,}")
    ax.set_xlabel("number of synapses on the segment s (θ = s/2)")
    ax.set_ylabel("probability of false match")
    ax.set_ylim(1e-30, 2)
    ax.set_title("Eq. 4 vs s  (Ahmad & Hawkins 2016, Fig 5B)")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    save_study(tree, fig, out, STUDY_ID)
    print(
        f"{STUDY_ID}: log10 P_fp at s=30: {np.array2string(at_30, precision=2)}; "
        f"claim {'holds' if sparse_ok and dense_ok else 'DOES NOT hold'}"
    )
    return tree
