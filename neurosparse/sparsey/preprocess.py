"""Input preparation for Sparsey: thinning binary images to one-pixel strokes.

Rinkus & Leveille's MNIST trial fed Sparsey binarised, *skeletonised* digits (ImageJ's
thinning); :func:`skeletonize` is the classic Zhang & Suen (1984) thinning, in NumPy,
so the same preparation is available without scikit-image or ImageJ (the two differ in
details: ImageJ uses a lookup-table variant, so a few pixels may differ).
"""

from __future__ import annotations

import numpy as np

from neurosparse._validation import check_array

__all__ = ["skeletonize"]


def skeletonize(images) -> np.ndarray:
    """Thin binary images to one-pixel-wide skeletons (Zhang & Suen 1984).

    Each pass has two sub-iterations; a foreground pixel with 2 to 6 foreground
    neighbours, exactly one 0 -> 1 transition around it, and the sub-iteration's
    conditions on its north, east, south and west neighbours is removed; passes repeat
    until nothing changes. Pixels outside the image count as background. All images of
    the batch are thinned together, each by the same rule as on its own.

    Parameters
    ----------
    images : array-like of bool (or numbers all 0 or 1), shape (n, H, W) or (H, W)
        Binary images (threshold grey-level ones first, e.g. ``X > 127``).

    Returns
    -------
    ndarray of bool, the shape of ``images``
        The skeletons: a subset of the foreground pixels.

    Raises
    ------
    ValueError, TypeError
        For an array that is not 2-D or 3-D, or not binary.

    Examples
    --------
    >>> import numpy as np
    >>> bar = np.zeros((7, 9), bool)
    >>> bar[2:5, 1:8] = True  # a bar three pixels thick
    >>> skeletonize(bar).sum(axis=0).max()  # one pixel thick
    np.int64(1)
    """
    arr = check_array("images", images, ndim=(2, 3), dtype=None)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"images must hold numbers or booleans, got dtype {arr.dtype}")
    if arr.dtype.kind != "b" and not np.all((arr == 0) | (arr == 1)):
        raise ValueError(
            "images must be binary (bool, or numbers that are all 0 or 1); threshold "
            "grey-level images first, e.g. images > 127"
        )
    single = arr.ndim == 2
    batch = arr[None] if single else arr
    img = np.pad(batch.astype(np.uint8), ((0, 0), (1, 1), (1, 1)))
    inner = img[:, 1:-1, 1:-1]  # a view: removals write through to img
    changed = True
    while changed:
        changed = False
        for step in (0, 1):
            # neighbours P2..P9, clockwise from north
            p2, p3, p4 = img[:, :-2, 1:-1], img[:, :-2, 2:], img[:, 1:-1, 2:]
            p5, p6, p7 = img[:, 2:, 2:], img[:, 2:, 1:-1], img[:, 2:, :-2]
            p8, p9 = img[:, 1:-1, :-2], img[:, :-2, :-2]
            ring = (p2, p3, p4, p5, p6, p7, p8, p9, p2)
            count = sum(p.astype(np.int8) for p in ring[:8])
            transitions = sum(
                ((ring[i] == 0) & (ring[i + 1] == 1)).astype(np.int8) for i in range(8)
            )
            if step == 0:
                side = ((p2 & p4 & p6) == 0) & ((p4 & p6 & p8) == 0)
            else:
                side = ((p2 & p4 & p8) == 0) & ((p2 & p6 & p8) == 0)
            remove = (inner == 1) & (count >= 2) & (count <= 6) & (transitions == 1) & side
            if remove.any():
                inner[remove] = 0
                changed = True
    out = inner.astype(bool)
    return out[0] if single else out
