"""Bridges: the connectivity of any result, carried into engines and back.

A bridge reads the ``connectivity`` group of the result format
(``docs/ARCHITECTURE.md``, "The result format") and never a family's objects, so every
family reaches every engine through one door:

- PyTorch (:mod:`neurosparse.bridges.torch`, extra ``torch``): :func:`to_torch`,
  :func:`apply_masks`, :func:`from_torch`.

Each engine's module is imported on first use, so ``import neurosparse.bridges`` needs
none of them. :func:`projections` lists a result's projections in feed-forward order.
"""

from __future__ import annotations

from neurosparse.bridges._graph import Projection, projections

__all__ = ["Projection", "apply_masks", "from_torch", "projections", "to_torch"]

_ENGINES = {"to_torch": "torch", "apply_masks": "torch", "from_torch": "torch"}


def __getattr__(name: str):
    if name in _ENGINES:
        import importlib

        module = importlib.import_module(f"neurosparse.bridges.{_ENGINES[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
