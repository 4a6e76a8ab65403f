"""Shared settings and helpers of the Rentzeperis et al. (2023) studies (not a study:
leading '_'; loaded with :func:`neurosparse.studies.load_helper`)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from neurosparse.results import claim_check

PAPER = (
    "Rentzeperis, Calatroni, Perrinet & Prandi 2023, Beyond l1 sparse coding in V1, "
    "PLOS Comput Biol 19(9): e1011459, arXiv:2301.10002"
)
PENALTIES = ("l1", "l0", "l1/2", "cel0")
LABELS = {"l1": "ℓ1 (soft)", "l0": "ℓ0 (hard)", "l1/2": "ℓ1/2 (half)", "cel0": "CEL0"}
COLORS = {"l1": "tab:red", "l0": "tab:blue", "l1/2": "tab:green", "cel0": "tab:purple"}
#: ``penalty`` coordinate values ("l1/2" is not a good name in a file): index by a name
NAMES = {"l1": "l1", "l0": "l0", "l1/2": "l1_2", "cel0": "cel0"}
#: the penalty of a ``penalty`` coordinate value
PENALTY_OF = {name: pen for pen, name in NAMES.items()}


#: Default of the studies' ``pool`` setting: at most this many training patches are
#: drawn, which keeps a 4000-batch run of 16x16 patches at 200 MB; longer runs pass over
#: them again, each time in a new order (:func:`neurosparse.coding.dictionary.batch_order`).
TRAIN_POOL = 100_000


#: What the studies' ``data`` setting (``neurosparse reproduce ID --data PATH``) takes.
DATA_FORMATS = (
    "a van Hateren image (.imc or .iml) or a folder of them, or Olshausen's IMAGES.mat "
    "(whitened, variable IMAGES) or IMAGES_RAW.mat (variable IMAGESr)"
)
SHIPPED = "the 8 shipped natural images (data/natural_images.npz), whitened as in the paper"


def read_user_images(data: str) -> tuple[list[np.ndarray], bool, str]:
    """The user's natural images: ``(images, already_whitened, description)``."""
    from neurosparse.datasets import DataError, read_olshausen_images, read_van_hateren_imc

    path = Path(data)
    if path.is_dir():
        files = sorted(
            f for f in path.iterdir()
            if f.suffix.lower() in (".imc", ".iml") and f.is_file() and not f.name.startswith(".")
        )  # fmt: skip
        if not files:
            raise DataError(
                f"{path}: no van Hateren images (.imc, .iml) here; expected {DATA_FORMATS}"
            )
        images = [read_van_hateren_imc(f) for f in files]
        return images, False, f"{len(files)} van Hateren images from {path}"
    suffix = path.suffix.lower()
    if suffix in (".imc", ".iml"):
        return [read_van_hateren_imc(path)], False, f"the van Hateren image {path}"
    if suffix == ".mat":
        try:  # Olshausen's IMAGES.mat: already whitened
            stack = read_olshausen_images(path)
        except DataError as first:
            try:  # IMAGES_RAW.mat: the raw images
                stack = read_olshausen_images(path, variable="IMAGESr")
            except DataError:
                raise first from None
            return list(stack), False, f"{len(stack)} raw images (IMAGESr) from {path}"
        return list(stack), True, f"{len(stack)} whitened images (IMAGES) from {path}"
    raise DataError(f"{path}: not natural images these studies read; expected {DATA_FORMATS}")


@functools.lru_cache(maxsize=2)
def user_whitened(data: str, f0: float = 0.4, variance: float = 0.1) -> tuple[tuple, str]:
    """The user's images prepared as the shipped ones (:func:`natural_patches`), once per
    process: whitened as in the paper, or -- Olshausen's IMAGES, whitened already -- only
    centred and scaled to the same mean pixel variance. Returns ``(images, description)``."""
    from neurosparse.coding.images import whiten_images

    images, whitened, description = read_user_images(data)
    if not whitened:
        return tuple(whiten_images(images, f0=f0, variance=variance)), (
            f"{description}, whitened as in the paper"
        )
    centred = [img - img.mean() for img in images]
    mean_var = float(np.mean([img.var() for img in centred]))
    if not mean_var > 0:
        raise ValueError(f"{data}: the images are constant")
    scale = np.sqrt(variance / mean_var)
    return tuple(img * scale for img in centred), f"{description}, scaled (whitened already)"


def data_description(data: str) -> str:
    """The result's ``data`` attr: which images the patches were cut from."""
    return user_whitened(data)[1] if data else SHIPPED


def natural_patch_set(data: str, n: int, patch_size: int, seed) -> np.ndarray:
    """``n`` whitened, mean-subtracted patches from the shipped images (``data=""``,
    :func:`neurosparse.coding.images.natural_patches`) or the user's (``data``)."""
    from neurosparse.coding.images import extract_patches, natural_patches

    if not data:
        return natural_patches(n, patch_size=patch_size, seed=seed)
    return extract_patches(list(user_whitened(data)[0]), n, patch_size=patch_size, seed=seed)


def patch_sets(
    n_train: int,
    n_cal: int,
    n_eval: int,
    patch_size: int,
    seed: int,
    pool: int = TRAIN_POOL,
    data: str = "",
):
    """Training (at most ``pool``), calibration and held-out evaluation patches
    (independent draws), from the shipped images or the user's (``data``)."""
    seeds = np.random.SeedSequence(seed).spawn(3)
    return tuple(
        natural_patch_set(data, n, patch_size, np.random.default_rng(s))
        for n, s in zip((min(n_train, pool), n_cal, n_eval), seeds)
    )


def penalty_coord(penalties=PENALTIES) -> tuple:
    """The ``penalty`` coordinate (names of :data:`NAMES`, with a ``long_name``)."""
    return ("penalty", [NAMES[p] for p in penalties], {"long_name": "sparsity penalty"})


def loglog_interp(x_new: float, x: np.ndarray, y: np.ndarray) -> float:
    """y at x_new by linear interpolation in log-log coordinates (x sorted ascending)."""
    order = np.argsort(x)
    x, y = np.asarray(x)[order], np.asarray(y)[order]
    ok = (x > 0) & (y > 0)
    x, y = x[ok], y[ok]
    if x.size < 2 or not x[0] <= x_new <= x[-1]:
        return float("nan")
    return float(np.exp(np.interp(np.log(x_new), np.log(x), np.log(y))))


def order_holds(mse: dict[str, float]) -> bool:
    """The published order in its strict part: CEL0 below both l1/2 and l0, both below l1."""
    c, h, z, s = mse["cel0"], mse["l1/2"], mse["l0"], mse["l1"]
    return bool(c < min(h, z) and max(h, z) < s)


def rel_diff_half_l0(mse: dict[str, float]) -> float:
    """``|MSE(l1/2) - MSE(l0)|`` as a fraction of their mean (the "l1/2 ≈ l0" part)."""
    h, z = mse["l1/2"], mse["l0"]
    return float(abs(h - z) / (0.5 * (h + z)))


def order_claims(
    mse_by_point: dict[str, dict[str, float]], tol_equal: float, source: str, where: str
) -> list:
    """The published order CEL0 < l1/2 ≈ l0 < l1 as two claims: the strict order and
    l1/2 ≈ l0 (their MSEs within ``tol_equal`` of their mean), each holding at every
    point of ``mse_by_point`` (``{label: {penalty: MSE}}``)."""
    strict = {label: order_holds(m) for label, m in mse_by_point.items()}
    rel = {label: rel_diff_half_l0(m) for label, m in mse_by_point.items()}
    every = " at every point" if len(mse_by_point) > 1 else ""
    reproduced = "; ".join(
        f"{label}: CEL0 {m['cel0']:.4f}, l1/2 {m['l1/2']:.4f}, l0 {m['l0']:.4f}, l1 {m['l1']:.4f}"
        for label, m in mse_by_point.items()
    )
    worst = max(rel.values())
    return [
        claim_check(
            f"Held-out MSE at matched sparsity {where}: CEL0 < l1/2 and l0 < l1",
            "CEL0 < l1/2 ≈ l0 < l1",
            reproduced,
            all(strict.values()),
            tolerance="strict inequalities" + every,
            source=source,
        ),
        claim_check(
            f"l1/2 ≈ l0 in held-out MSE {where}: |MSE(l1/2) - MSE(l0)| / their mean"
            + (" (largest over the points)" if every else ""),
            "l1/2 ≈ l0",
            worst,
            worst <= tol_equal,
            tolerance=f"at most {tol_equal:.0%} of their mean{every}",
            source=source,
        ),
    ]


def within_factor(measured: float, published: float, factor: float) -> tuple[bool, float, float]:
    """Whether ``measured`` lies in ``[published / factor, published * factor]``.

    Returns ``(agrees, low, high)``; a non-finite ``measured`` never agrees.
    """
    lo, hi = published / factor, published * factor
    return bool(np.isfinite(measured) and lo <= measured <= hi), float(lo), float(hi)
