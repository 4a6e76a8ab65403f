r"""Temporal sparsity: the Delta Activation Layer, delta inference, spiking networks.

After Yousefzadeh & Sifalakis 2021 ("Training for temporal sparsity in deep neural
networks, application in video processing", arXiv 2107.07305): a network trained so that
its activations change rarely from one frame to the next, run by *delta inference*,
which transmits only the changes

.. math::

   \Delta_t = a_t - a_{t-1}, \qquad z_t = z_{t-1} + W \Delta_t ,

so that the multiply-accumulates done per frame scale with the number of nonzero
changes, not with the layer's size.

- Metrics (NumPy, :mod:`neurosparse.temporal.metrics`): :func:`temporal_density`,
  :func:`activation_sparsity`, :func:`event_macs`.
- The layer and its losses (PyTorch, :mod:`neurosparse.temporal.delta`, imported on
  first use): ``DeltaActivation``, ``temporal_sparsity_loss``, ``spatial_sparsity_loss``.
- The network, its training and delta inference (PyTorch,
  :mod:`neurosparse.temporal.models`): ``DeltaNet``, ``train_sequence_classifier``,
  ``delta_inference``.
- Spiking networks on the same task (brian2 through :mod:`neurosparse.bridges`,
  :mod:`neurosparse.temporal.spiking`).
"""

from neurosparse.temporal.metrics import activation_sparsity, event_macs, temporal_density

#: Read by neurosparse's family registry (docs/ARCHITECTURE.md, "How to add").
FAMILY = (
    "Temporal sparsity: the Delta Activation Layer and spiking networks "
    "(Yousefzadeh & Sifalakis 2021)"
)
OPTIONAL_MODULES = ("delta", "models", "spiking")  # torch (delta, models); brian2 (spiking)

__all__ = ["activation_sparsity", "event_macs", "temporal_density"]
