"""Shared settings of the Rentzeperis et al. (2023) studies (not a study: leading '_')."""

from __future__ import annotations

import numpy as np

PAPER = (
    "Rentzeperis, Calatroni, Perrinet & Prandi 2023, Beyond l1 sparse coding in V1, "
    "PLOS Comput Biol 19(9): e1011459, arXiv:2301.10002"
)
PENALTIES = ("l1", "l0", "l1/2", "cel0")
LABELS = {"l1": "ℓ1 (soft)", "l0": "ℓ0 (hard)", "l1/2": "ℓ1/2 (half)", "cel0": "CEL0"}
COLORS = {"l1": "tab:red", "l0": "tab:blue", "l1/2": "tab:green", "cel0": "tab:purple"}
#: ``penalty`` is not a legal dimension name of the result format: index by a name
NAMES = {"l1": "l1", "l0": "l0", "l1/2": "l1_2", "cel0": "cel0"}


#: At most this many training patches are drawn, which keeps a 4000-batch run of 16x16
#: patches at 200 MB; longer runs pass over them again, each time in a new order
#: (:func:`neurosparse.coding.dictionary.batch_order`).
TRAIN_POOL = 100_000


def patch_sets(n_train: int, n_cal: int, n_eval: int, patch_size: int, seed: int):
    """Training (at most :data:`TRAIN_POOL`), calibration and held-out evaluation
    patches (independent draws)."""
    from neurosparse.coding.images import natural_patches

    seeds = np.random.SeedSequence(seed).spawn(3)
    return tuple(
        natural_patches(n, patch_size=patch_size, seed=np.random.default_rng(s))
        for n, s in zip((min(n_train, TRAIN_POOL), n_cal, n_eval), seeds)
    )


def loglog_interp(x_new: float, x: np.ndarray, y: np.ndarray) -> float:
    """y at x_new by linear interpolation in log-log coordinates (x sorted ascending)."""
    order = np.argsort(x)
    x, y = np.asarray(x)[order], np.asarray(y)[order]
    ok = (x > 0) & (y > 0)
    x, y = x[ok], y[ok]
    if x.size < 2 or not x[0] <= x_new <= x[-1]:
        return float("nan")
    return float(np.exp(np.interp(np.log(x_new), np.log(x), np.log(y))))


#: "l1/2 ≈ l0": their MSEs differ by at most this fraction of their mean (our tolerance)
TOL_EQUAL = 0.25


def order_flags(mse: dict[str, float], tol_equal: float = TOL_EQUAL) -> dict[str, object]:
    """The published order CEL0 < l1/2 ≈ l0 < l1 as two separate claims.

    Returns a dict with ``order`` (strict: CEL0 below both l1/2 and l0, both below l1),
    ``approx`` (l1/2 and l0 within ``tol_equal`` of their mean), ``rel_diff`` (that
    relative difference) and ``text``.
    """
    c, h, z, s = mse["cel0"], mse["l1/2"], mse["l0"], mse["l1"]
    strict = bool(c < min(h, z) and max(h, z) < s)
    rel = abs(h - z) / (0.5 * (h + z))
    close = bool(rel <= tol_equal)
    text = (
        f"CEL0 {c:.4f} < l1/2 {h:.4f} ~ l0 {z:.4f} < l1 {s:.4f}: order "
        f"{'holds' if strict else 'does NOT hold'}; l1/2 vs l0 differ by {rel:.0%} "
        f"({'≈' if close else 'not ≈'}, tolerance {tol_equal:.0%})"
    )
    return {"order": strict, "approx": close, "rel_diff": float(rel), "text": text}


def within_factor(measured: float, published: float, factor: float) -> tuple[bool, float, float]:
    """Whether ``measured`` lies in ``[published / factor, published * factor]``.

    Returns ``(agrees, low, high)``; a non-finite ``measured`` never agrees.
    """
    lo, hi = published / factor, published * factor
    return bool(np.isfinite(measured) and lo <= measured <= hi), float(lo), float(hi)


def flag(value: bool, text: str, tolerance: str) -> tuple[tuple, bool, dict[str, str]]:
    """A scalar boolean metric with its statement and tolerance as attributes."""
    return ((), bool(value), {"long_name": text, "tolerance": tolerance})
