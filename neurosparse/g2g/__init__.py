"""G2G: ensemble-to-ensemble connectivity and dynamic sparse training.

After G2GNet (Konstantaropoulos, Smyrnakis & Papadopouli 2025, arXiv 2508.14140):
sparse, modular connectivity between ensembles of units across feed-forward layers,
dynamic sparse training that prunes and regrows synapses, and a Hebbian regrowth rule on
activation correlations; beside the baselines a user knows (Erdős–Rényi and ERK random
masks, gradual magnitude pruning, SET, RigL).

- Masks (NumPy, :mod:`neurosparse.g2g.masks`): :func:`ensemble_assignment`,
  :func:`ensemble_connectivity`, :func:`ensemble_mask`, :func:`allowed_pairs`,
  :func:`erdos_renyi_mask`, :func:`erk_densities`.
- G2GNet (PyTorch, :mod:`neurosparse.g2g.models`, imported on first use): a multilayer
  perceptron of :class:`neurosparse.nn.MaskedLinear` layers with ensemble, random, ERK or
  dense masks.
- Dynamic sparse training (PyTorch, :mod:`neurosparse.g2g.dst`, imported on first use).
"""

from neurosparse.g2g.masks import (
    allowed_pairs,
    ensemble_assignment,
    ensemble_connectivity,
    ensemble_mask,
    erdos_renyi_mask,
    erk_densities,
    n_synapses_for,
)

#: Read by neurosparse's family registry (docs/ARCHITECTURE.md, "How to add").
FAMILY = "G2G ensemble connectivity (Konstantaropoulos et al. 2025)"
OPTIONAL_MODULES = ("models",)  # needs torch (registers G2GNet)

__all__ = [
    "allowed_pairs",
    "ensemble_assignment",
    "ensemble_connectivity",
    "ensemble_mask",
    "erdos_renyi_mask",
    "erk_densities",
    "n_synapses_for",
]
