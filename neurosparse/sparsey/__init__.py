"""Sparsey: single-trial learning and recognition on sparse distributed codes
(Rinkus 2010, 2014; Rinkus & Leveille 2017).

A hierarchy of macs (:class:`Sparsey`), each ``Q`` competitive modules of ``K`` binary
cells, chooses a sparse distributed code per input with the code selection algorithm:
familiar inputs reactivate their stored code, novel ones get new near-random codes, and
similar inputs get overlapping codes; every item is learned in one pass, in one trial,
with binary weights. :class:`SparseyClassifier` reads labels from the top-level codes;
:func:`skeletonize` thins binary images as the MNIST trial of Rinkus & Leveille did.
Images (``(n, H, W)``) and sequences of frames (``(n, T, H, W)``) are both taken.

Compile-cache policy of the Numba kernels (``_kernels.py``): every kernel and its
``parallel=True`` twin are cached on disk. Random numbers inside kernels come from
SplitMix64 states seeded once per training item from the model's ``seed``.
"""

from neurosparse.sparsey.model import SOURCE, Sparsey, SparseyClassifier
from neurosparse.sparsey.preprocess import skeletonize

#: Read by neurosparse's family registry (docs/ARCHITECTURE.md, "How to add").
FAMILY = "Sparsey: single-trial learning on sparse distributed codes (Rinkus 2010-2017)"

__all__ = ["SOURCE", "Sparsey", "SparseyClassifier", "skeletonize"]
