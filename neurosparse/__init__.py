"""neurosparse: neuroscience-inspired sparsity with one result format.

Families (imported on first use, so ``import neurosparse`` stays light):

- :mod:`neurosparse.coding` -- sparse coding beyond l1 (Rentzeperis et al. 2023)
- :mod:`neurosparse.dendrites` -- active dendrites (Ahmad & Hawkins 2016; Iyer et al. 2022)

Shared pieces: :mod:`neurosparse.results` (the result format), :mod:`neurosparse.datasets`,
:mod:`neurosparse.studies` (the registry behind ``neurosparse reproduce``) and
:mod:`neurosparse.testing` (conformance checks).

Numba compile-cache policy: serial kernels use ``cache=True``; ``parallel=True`` kernels
are never cached (a cached parallel kernel can crash when the thread count changes), nor
are kernels that take functions as arguments.
"""

from __future__ import annotations

import importlib

from neurosparse import results
from neurosparse._version import __version__
from neurosparse.results import load, save, validate

__all__ = [
    "__version__",
    "coding",
    "datasets",
    "dendrites",
    "load",
    "results",
    "save",
    "studies",
    "testing",
    "validate",
]

_LAZY = {"coding", "datasets", "dendrites", "studies", "testing"}


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f"neurosparse.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'neurosparse' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY)
