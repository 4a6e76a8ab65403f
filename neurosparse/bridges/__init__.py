"""Bridges: the connectivity of any result, carried into engines and back.

A bridge reads the ``connectivity`` group of the result format
(``docs/ARCHITECTURE.md``, "The result format") and never a family's objects, so every
family reaches every engine through one door:

- PyTorch (:mod:`neurosparse.bridges.torch`, extra ``torch``): :func:`to_torch`,
  :func:`apply_masks`, :func:`from_torch`.
- brian2 (:mod:`neurosparse.bridges.brian2`): :func:`to_brian2`, a spiking network of
  LIF groups and synapses, run into the result format.
- NIR (:mod:`neurosparse.bridges.nir`, extra ``nir``): :func:`to_nir`, :func:`from_nir`.

Each engine's module is imported on first use, so ``import neurosparse.bridges`` needs
none of them. :func:`projections` lists a result's projections in feed-forward order.
"""

from __future__ import annotations

from neurosparse.bridges._graph import Projection, projections

__all__ = [
    "Projection",
    "apply_masks",
    "from_nir",
    "from_torch",
    "projections",
    "to_brian2",
    "to_nir",
    "to_torch",
]

_ENGINES = {
    "to_torch": "torch",
    "apply_masks": "torch",
    "from_torch": "torch",
    "to_brian2": "brian2",
    "to_nir": "nir",
    "from_nir": "nir",
}


def __getattr__(name: str):
    if name in _ENGINES:
        import importlib

        module = importlib.import_module(f"neurosparse.bridges.{_ENGINES[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
