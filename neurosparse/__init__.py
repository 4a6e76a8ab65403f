"""neurosparse: neuroscience-inspired sparsity with one result format.

Families (imported on first use, so ``import neurosparse`` stays light): every
subpackage whose ``__init__`` declares ``FAMILY``, today

- :mod:`neurosparse.coding` -- sparse coding beyond l1 (Rentzeperis et al. 2023)
- :mod:`neurosparse.dendrites` -- active dendrites (Ahmad & Hawkins 2016; Iyer et al. 2022)

Shared pieces: :mod:`neurosparse.results` (the result format, with claims),
:mod:`neurosparse.datasets`, :mod:`neurosparse.studies` (the study contract and the
registry behind ``neurosparse reproduce``) and :mod:`neurosparse.testing` (conformance
checks). How the pieces fit, and how to add one: ``docs/ARCHITECTURE.md``.

Numba compile-cache policy: every kernel is cached on disk (``cache=True``), its
``parallel=True`` twin too, under its own name (:func:`neurosparse._jit.parallel_twin`),
so that a new process loads them instead of compiling; kernels that take functions as
arguments are not cached.
"""

from __future__ import annotations

import importlib
import importlib.util

from neurosparse import results
from neurosparse._estimator import NotFittedError, model_from_result
from neurosparse._version import __version__
from neurosparse.results import load, save, validate

__all__ = [
    "NotFittedError",
    "__version__",
    "coding",
    "datasets",
    "dendrites",
    "load",
    "model_from_result",
    "results",
    "save",
    "studies",
    "testing",
    "validate",
]


def __getattr__(name: str):
    # any subpackage or module of neurosparse (a family, datasets, studies, testing)
    # loads on first access: adding a family edits nothing here
    if not name.startswith("_") and importlib.util.find_spec(f"neurosparse.{name}"):
        module = importlib.import_module(f"neurosparse.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'neurosparse' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
