"""Natural-image preprocessing of Rentzeperis et al. (2023): whitening and patch sampling.

The paper (and the authors' public notebook) prepares its training data in three steps:

1. each image is rescaled to ``[0, 1]`` and then standardised (zero mean, unit variance);
2. it is filtered in the Fourier domain by the whitening / low-pass filter of Olshausen &
   Field (1997),

   .. math:: W(\\rho) = \\rho \\, \\exp\\!\\left(-(\\rho / f_0)^4\\right),

   where :math:`\\rho` is the radial spatial frequency and :math:`f_0 = 0.4 \\times`
   image size (cycles per image), then all images are scaled by one common factor so that
   their mean pixel variance is 0.1;
3. ``16 x 16`` patches are cut at random places of random images and each patch has its
   own mean subtracted.

Choice made here: frequencies are measured in cycles per pixel, isotropically
(``rho = hypot(fy, fx)`` with ``numpy.fft.fftfreq``), and ``f0`` is given in the same
unit, ``0.4`` by default. For a square ``N x N`` image this is exactly the paper's
``f0 = 0.4 N`` cycles per image; for the non-square images shipped here it keeps the
filter round (the authors' code measured both axes in cycles per image with the height's
``f0``, which stretches the filter on a non-square image).
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from neurosparse._validation import check_int, check_real, resolve_rng

__all__ = [
    "extract_patches",
    "natural_patches",
    "whiten_images",
    "whitening_filter",
]


def whitening_filter(shape: tuple[int, int], *, f0: float = 0.4) -> np.ndarray:
    """The whitening filter :math:`\\rho\\exp(-(\\rho/f_0)^4)` on an FFT grid.

    Parameters
    ----------
    shape : (int, int)
        Image height and width.
    f0 : float
        Cut-off of the low-pass part, in cycles per pixel (``0.4``: the paper's
        ``0.4 x image size`` cycles per image).

    Returns
    -------
    ndarray, shape ``shape``
        Filter gains in :func:`numpy.fft.fft2` layout (zero frequency at ``[0, 0]``):
        zero at DC, rising linearly with ``rho`` (whitening the ``1/f`` amplitude
        spectrum of natural images), peaking at ``rho = f0 / 4**0.25`` and falling
        steeply above (suppressing the noisy corners of the spectrum).
    """
    if (
        not isinstance(shape, tuple | list)
        or len(shape) != 2
        or not all(isinstance(s, numbers.Integral) and s > 0 for s in shape)
    ):
        raise ValueError(f"shape must be two positive integers (height, width), got {shape!r}")
    f0 = check_real("f0", f0, low=0.0, low_open=True)
    fy = np.fft.fftfreq(int(shape[0]))[:, None]
    fx = np.fft.fftfreq(int(shape[1]))[None, :]
    rho = np.hypot(fy, fx)
    return rho * np.exp(-((rho / f0) ** 4))


def _as_image_list(images: Any, name: str = "images") -> list[np.ndarray]:
    if isinstance(images, Mapping):
        images = list(images.values())
    if isinstance(images, np.ndarray):
        if images.ndim == 2:
            images = [images]
        elif images.ndim == 3:
            images = list(images)
        else:
            raise ValueError(
                f"{name} must be a 2-D image, a 3-D stack (n_images, height, width), "
                f"a list or a dict of 2-D images; got an array of shape {images.shape}"
            )
    if not isinstance(images, Iterable) or isinstance(images, str | bytes):
        raise TypeError(f"{name} must be an array, a list or a dict of 2-D images, got {images!r}")
    out = []
    for i, img in enumerate(images):
        arr = np.asarray(img)
        if arr.ndim != 2 or arr.dtype.kind not in "biuf":
            raise ValueError(
                f"{name}[{i}] must be a 2-D real image, got dtype {arr.dtype} shape {arr.shape}"
            )
        arr = arr.astype(np.float64)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}[{i}] contains NaN or infinite values")
        out.append(arr)
    if not out:
        raise ValueError(f"{name} is empty")
    return out


def whiten_images(
    images: Any,
    *,
    f0: float = 0.4,
    variance: float = 0.1,
    standardise: bool = True,
) -> list[np.ndarray]:
    """Whiten natural images as the paper does.

    Parameters
    ----------
    images : 2-D array, 3-D array (n, H, W), list or dict of 2-D arrays
        Grayscale images (any real dtype); sizes may differ.
    f0 : float
        Filter cut-off in cycles per pixel (see :func:`whitening_filter`).
    variance : float
        Mean pixel variance of the whitened images (one common scale factor; 0.1 in
        the paper).
    standardise : bool
        First rescale each image to ``[0, 1]`` and z-score it (the authors' step).

    Returns
    -------
    list of ndarray (float64)
        One whitened image per input, in the input's order.
    """
    imgs = _as_image_list(images)
    f0 = check_real("f0", f0, low=0.0, low_open=True)
    variance = check_real("variance", variance, low=0.0, low_open=True)
    filtered = []
    for img in imgs:
        if standardise:
            lo, hi = img.min(), img.max()
            img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
            sd = img.std()
            img = (img - img.mean()) / sd if sd > 0 else img - img.mean()
        spectrum = np.fft.fft2(img) * whitening_filter(img.shape, f0=f0)
        filtered.append(np.fft.ifft2(spectrum).real)
    mean_var = float(np.mean([f.var() for f in filtered]))
    if mean_var <= 0:
        raise ValueError("images are constant: nothing to whiten")
    scale = np.sqrt(variance / mean_var)
    return [f * scale for f in filtered]


def extract_patches(
    images: Any,
    n_patches: int,
    *,
    patch_size: int = 16,
    mean_subtract: bool = True,
    seed: Any = None,
) -> np.ndarray:
    """Cut ``n_patches`` square patches at random places of random images.

    Each patch comes from an image drawn uniformly (as in the authors' code, not
    weighted by image area), at a uniformly drawn top-left corner; the patch is
    flattened in row-major order and, with ``mean_subtract``, has its own mean removed.

    Parameters
    ----------
    images : 2-D array, 3-D array, list or dict of 2-D arrays
        Usually the output of :func:`whiten_images`.
    n_patches : int
    patch_size : int
        Side of the square patch (16 in the paper).
    mean_subtract : bool
    seed : int, Generator or None

    Returns
    -------
    ndarray, shape (n_patches, patch_size**2), float64
    """
    imgs = _as_image_list(images)
    n_patches = check_int("n_patches", n_patches, low=1)
    patch_size = check_int("patch_size", patch_size, low=1)
    for i, img in enumerate(imgs):
        if min(img.shape) < patch_size:
            raise ValueError(
                f"images[{i}] of shape {img.shape} is smaller than patch_size={patch_size}"
            )
    rng = resolve_rng(seed)
    which = rng.integers(0, len(imgs), n_patches)
    out = np.empty((n_patches, patch_size * patch_size))
    for k, img in enumerate(imgs):
        idx = np.flatnonzero(which == k)
        if idx.size == 0:
            continue
        top = rng.integers(0, img.shape[0] - patch_size + 1, idx.size)
        left = rng.integers(0, img.shape[1] - patch_size + 1, idx.size)
        rows = top[:, None, None] + np.arange(patch_size)[None, :, None]
        cols = left[:, None, None] + np.arange(patch_size)[None, None, :]
        out[idx] = img[rows, cols].reshape(idx.size, -1)
    if mean_subtract:
        out -= out.mean(axis=1, keepdims=True)
    return out


@functools.lru_cache(maxsize=4)
def _shipped_whitened(f0: float, variance: float) -> tuple[np.ndarray, ...]:
    from neurosparse.datasets import load_natural_images

    whitened = whiten_images(load_natural_images(), f0=f0, variance=variance)
    for w in whitened:
        w.setflags(write=False)
    return tuple(whitened)


def natural_patches(
    n_patches: int,
    *,
    patch_size: int = 16,
    images: Any = None,
    f0: float = 0.4,
    variance: float = 0.1,
    seed: Any = None,
) -> np.ndarray:
    """Whitened, mean-subtracted natural-image patches, ready for sparse coding.

    Parameters
    ----------
    n_patches : int
    patch_size : int
    images : optional
        Raw images to whiten; default: the shipped natural images
        (:func:`neurosparse.datasets.load_natural_images`, whitened once and cached).
    f0, variance : float
        As for :func:`whiten_images`.
    seed : int, Generator or None
        Seeds the patch positions.

    Returns
    -------
    ndarray, shape (n_patches, patch_size**2)
    """
    f0 = check_real("f0", f0, low=0.0, low_open=True)
    variance = check_real("variance", variance, low=0.0, low_open=True)
    if images is None:
        whitened = list(_shipped_whitened(f0, variance))
    else:
        whitened = whiten_images(images, f0=f0, variance=variance)
    return extract_patches(whitened, n_patches, patch_size=patch_size, seed=seed)
