"""Active dendrites: SDRs, the exact theory and Monte Carlo of Ahmad & Hawkins (2016),
dendritic neurons and context-gated dendritic layers.

The PyTorch layers of Iyer et al. (2022) (:mod:`neurosparse.dendrites.layers`:
``DendriticLayer``, ``DendriticMLP``, ``MLP``, ``KWinners``, ``SparseLinear``,
``nearest_prototype``, ``DENDRITE_MODES``) are loaded on first access, so importing this
package never imports torch. Continual learning (:mod:`neurosparse.dendrites.continual`:
``permuted_tasks``, ``task_prototypes``, ``task_inference_accuracy``,
``train_continual``, ``Task``) imports torch only when its functions run.

Compile-cache policy of the Numba kernels (``_kernels.py``): every kernel and
its ``parallel=True`` twin are cached on disk. Random numbers inside kernels
come from SplitMix64 states seeded once from the entry point's ``seed``.
"""

from neurosparse.dendrites.continual import (
    Task,
    permuted_tasks,
    task_inference_accuracy,
    task_prototypes,
    train_continual,
)
from neurosparse.dendrites.montecarlo import (
    MonteCarloEstimate,
    binomial_interval,
    simulate_false_match,
    simulate_false_negative,
)
from neurosparse.dendrites.neuron import DendriticNeuron
from neurosparse.dendrites.sdr import (
    activation_frequency,
    add_noise,
    entropy,
    intersection,
    overlap,
    random_sdr,
    sparsity,
    to_dense,
    to_indices,
    union,
)
from neurosparse.dendrites.theory import (
    ThresholdTradeoff,
    expected_union_size,
    false_match_probability,
    false_negative_probability,
    log_false_match_probability,
    log_false_negative_probability,
    log_neuron_false_match_probability,
    log_union_false_match_probability,
    log_union_input_false_match_probability,
    median_false_match_probability,
    neuron_false_match_probability,
    optimal_threshold,
    union_false_match_probability,
    union_input_false_match_probability,
    union_synapses,
)

#: Read by neurosparse's family registry (docs/ARCHITECTURE.md, "How to add").
FAMILY = "Active dendrites (Ahmad & Hawkins 2016; Iyer et al. 2022)"
OPTIONAL_MODULES = ("layers",)  # needs torch

__all__ = [
    "DendriticNeuron",
    "MonteCarloEstimate",
    "Task",
    "ThresholdTradeoff",
    "activation_frequency",
    "add_noise",
    "binomial_interval",
    "entropy",
    "expected_union_size",
    "false_match_probability",
    "false_negative_probability",
    "intersection",
    "log_false_match_probability",
    "log_false_negative_probability",
    "log_neuron_false_match_probability",
    "log_union_false_match_probability",
    "log_union_input_false_match_probability",
    "median_false_match_probability",
    "neuron_false_match_probability",
    "optimal_threshold",
    "overlap",
    "permuted_tasks",
    "random_sdr",
    "simulate_false_match",
    "simulate_false_negative",
    "sparsity",
    "task_inference_accuracy",
    "task_prototypes",
    "to_dense",
    "to_indices",
    "train_continual",
    "union",
    "union_false_match_probability",
    "union_input_false_match_probability",
    "union_synapses",
]

_LAYERS = frozenset(
    {"DENDRITE_MODES", "DendriticLayer", "DendriticMLP", "KWinners", "MLP", "SparseLinear",
     "nearest_prototype"}
)  # fmt: skip
__all__ += sorted(_LAYERS)


def __getattr__(name: str):
    if name in _LAYERS:
        from neurosparse.dendrites import layers

        return getattr(layers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
