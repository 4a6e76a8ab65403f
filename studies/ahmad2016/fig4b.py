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

from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse.dendrites import false_negative_probability, simulate_false_negative
from neurosparse.results import claim_close
from neurosparse.studies import params_of, study_main, study_result

PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"
FIGURE = "Fig 4B"
TITLE = "False negatives of a segment vs noise (a=128, s=30, theta in {8, 12, 16})"
STUDY_ID = "ahmad2016/fig4b"

_NOISE = tuple(float(x) for x in np.round(np.arange(0.05, 0.801, 0.05), 2))


@dataclass(frozen=True)
class Params:
    """Settings of Fig 4B. ``noise``: fractions of the ``a`` active bits moved (rounded
    to whole bits). ``n`` is the paper's population: the false-negative rate does not
    depend on it (the moved bits land on cells the segment does not connect to)."""

    a: int = 128
    n: int = 6000
    s: int = 30
    thetas: tuple[int, ...] = (8, 12, 16)
    noise: tuple[float, ...] = _NOISE
    trials: int = 10**7  # per point
    method: str = "sequential"
    chunk_size: int = 1 << 20
    rel_tol: float = 0.01  # published values carry three significant digits


FULL = Params()
QUICK = Params(noise=_NOISE[::3], trials=10**4)

PUBLISHED_50 = (7.35e-4, 0.0717, 0.583)  # at 50 % noise, theta = 8, 12, 16
PUBLISHED_THETAS = (8, 12, 16)
PUBLISHED_SOURCE = f"{PAPER}, text with Fig 4B (a=128, s=30, 50% noise)"


def run(params: Params, seed: int = 0) -> xr.DataTree:
    """Exact P_fn and its simulation on the (theta, noise) grid; P_fn at 50 % noise
    against the published values."""
    noise = np.asarray(params.noise, dtype=float)
    a, s = params.a, params.s
    v = np.floor(noise * a + 0.5).astype(int)
    th = np.asarray(params.thetas)
    theory = false_negative_probability(a, s, th[:, None], v[None, :])
    rng = np.random.default_rng(seed)
    shape = theory.shape
    est, low, high = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for i, t in enumerate(params.thetas):
        for j, vv in enumerate(v):
            r = simulate_false_negative(
                a, s, t, int(vv), params.trials, rng,
                method=params.method, chunk_size=params.chunk_size,
            )  # fmt: skip
            est[i, j], low[i, j], high[i, j] = r.estimate, r.low, r.high
    inside = (theory >= low) & (theory <= high)
    v_curve = np.arange(1, int(noise.max() * a) + 1)
    curve = false_negative_probability(a, s, th[:, None], v_curve[None, :])

    pub_t = np.asarray(PUBLISHED_THETAS)
    ours_50 = false_negative_probability(a, s, pub_t, a // 2)
    rel_err = np.abs(ours_50 / np.asarray(PUBLISHED_50) - 1.0)
    theta_pub = {
        "theta_published": (
            "theta_published",
            pub_t,
            {"long_name": "threshold of a published value"},
        )
    }
    reference = xr.Dataset(
        {
            "p_false_negative_50pct": (
                "theta_published",
                np.asarray(PUBLISHED_50),
                {"source": PUBLISHED_SOURCE, "units": "1", "long_name": "P_fn at 50 % noise"},
            )
        },
        coords=theta_pub,
    )
    dims = ("theta", "noise")
    ci = {"confidence": 0.95, "method": "clopper-pearson"}
    metrics = xr.Dataset(
        {
            "p_theory": (dims, theory, {"units": "1", "long_name": "exact P_fn"}),
            "p_simulated": (dims, est, {"units": "1", "long_name": "Monte Carlo estimate"}),
            "ci_low": (dims, low, {**ci, "units": "1", "long_name": "lower confidence bound"}),
            "ci_high": (dims, high, {**ci, "units": "1", "long_name": "upper confidence bound"}),
            "fraction_inside_95ci": (
                (),
                float(inside.mean()),
                {
                    "units": "1",
                    "long_name": "fraction of points with P_fn inside the 95 % interval",
                },
            ),
            "p_false_negative_50pct": (
                "theta_published",
                ours_50,
                {"units": "1", "long_name": f"exact P_fn with {a // 2} of {a} bits moved"},
            ),
            "relative_error_vs_published": (
                "theta_published",
                rel_err,
                {"units": "1", "long_name": "relative error against the published value"},
            ),
            "trials_per_point": ((), params.trials, {"long_name": "simulated trials per point"}),
            "p_theory_curve": (
                ("theta", "v_curve"),
                curve,
                {"units": "1", "long_name": "exact P_fn for every count of moved bits (curves)"},
            ),
        },
        coords={
            "theta": ("theta", th, {"long_name": "segment threshold"}),
            "noise": ("noise", noise, {"units": "1", "long_name": "fraction of active bits moved"}),
            "v": ("noise", v, {"long_name": "moved active bits"}),
            "v_curve": ("v_curve", v_curve, {"long_name": "moved active bits (fine grid)"}),
            **theta_pub,
        },
    )
    claims = [
        claim_close(
            f"P_fn at 50 % noise (a={a}, s={s}), theta={t}",
            p,
            float(o),
            rtol=params.rel_tol,
            source=PUBLISHED_SOURCE,
        )
        for t, p, o in zip(PUBLISHED_THETAS, PUBLISHED_50, ours_50)
    ]
    return study_result(
        params,
        seed,
        kind="dendrites.false_negative",
        groups={"metrics": metrics, "reference": reference},
        claims=claims,
    )


def plot(result: xr.DataTree):
    """Exact P_fn vs noise per theta, the simulated points, the published values."""
    import matplotlib.pyplot as plt

    params = params_of(result)
    m, ref = result["metrics"], result["reference"]
    a, s = params.a, params.s
    noise, est = m["noise"].values, m["p_simulated"].values
    fig, ax = plt.subplots(figsize=(6.2, 4.4))
    fine = m["v_curve"].values
    for i, t in enumerate(m["theta"].values):
        (line,) = ax.semilogy(fine / a * 100, m["p_theory_curve"].values[i], label=f"θ = {t}")
        seen = est[i] > 0
        ax.plot(noise[seen] * 100, est[i, seen], "o", mfc="none", ms=4, color=line.get_color())
    ax.plot([], [], "ko", mfc="none", ms=4, label=f"simulation ({params.trials:.0e} trials)")
    published = ref["p_false_negative_50pct"].values
    ax.scatter(
        [50] * published.size, published, marker="x", color="k", zorder=3,
        label="published (50%)",
    )  # fmt: skip
    ax.set_xlabel("noise (% of active bits moved)")
    ax.set_ylabel("probability of false negative")
    ax.set_ylim(1e-12, 2)
    ax.set_title(f"a = {a}, s = {s}  (Ahmad & Hawkins 2016, Fig 4B)")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    return fig


def main(out, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Compute and simulate Fig 4B, compare with the published values, write the figure."""
    return study_main(__name__, out, quick=quick, seed=seed)
