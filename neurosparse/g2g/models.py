r"""G2GNet in PyTorch: a feed-forward network of ensemble-to-ensemble sparse layers.

``x -> [MaskedLinear -> activation] x len(hidden_sizes) -> MaskedLinear``, every layer a
:class:`neurosparse.nn.MaskedLinear` whose mask comes from ``connectivity``:

``"ensemble"`` (G2GNet)
    each layer's units split into ``n_ensembles`` contiguous ensembles, the mask drawn by
    :func:`neurosparse.g2g.ensemble_mask` (``pattern``, ``within``, ``decay``), the same
    ``density`` in every sparse layer;
``"erdos_renyi"``
    uniformly random masks, the same ``density`` in every sparse layer;
``"erk"``
    uniformly random masks with the Erdős–Rényi–Kernel densities of the sparse layers
    (:func:`neurosparse.g2g.erk_densities`, global ``density``);
``"dense"``
    every synapse (``density`` ignored).

The read-out layer is dense unless ``sparse_output=True`` (the sparse-training
literature usually keeps it dense: it is small and every class needs its inputs).
Weights are drawn as ``torch.nn.Linear`` draws them, from ``seed``, then masked; the
masks are drawn from the same seed. :attr:`allowed` gives, per sparse layer, the unit
pairs whose ensembles may connect: where the Hebbian regrowth of dynamic sparse
training may grow a synapse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ModuleNotFoundError(
        "neurosparse.g2g.models needs PyTorch; install it with `pip install neurosparse[torch]`",
        name="torch",
    ) from exc

from neurosparse._estimator import ResultMixin
from neurosparse._validation import check_bool, check_choice, check_int, check_real
from neurosparse.g2g.masks import (
    PATTERNS,
    allowed_pairs,
    ensemble_assignment,
    ensemble_connectivity,
    ensemble_mask,
    erdos_renyi_mask,
    erk_densities,
)
from neurosparse.nn import MaskedLinear

__all__ = ["CONNECTIVITIES", "G2GNet"]

#: How :class:`G2GNet` draws its masks.
CONNECTIVITIES = ("ensemble", "erdos_renyi", "erk", "dense")

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


class G2GNet(ResultMixin, nn.Module):
    """A G2G multilayer perceptron (module docstring).

    Parameters
    ----------
    input_size, output_size : int
    hidden_sizes : sequence of int
    density : float
        Fraction of synapses kept in each sparse layer (``"erk"``: over all of them),
        in ``(0, 1]``.
    connectivity : {"ensemble", "erdos_renyi", "erk", "dense"}
    n_ensembles : int
        Ensembles per layer (``"ensemble"``); at most the smallest layer's size.
    pattern : {"modular", "hierarchical"}
    within, decay : float
        Parameters of the pattern (:func:`neurosparse.g2g.ensemble_connectivity`).
    sparse_output : bool
        Mask the read-out layer too.
    activation : {"relu", "tanh"}
    seed : int, Generator or None
        Masks and initial weights; recorded when the network is built.

    Attributes
    ----------
    layers : torch.nn.ModuleList of MaskedLinear
    ensembles : list of ndarray
        Ensemble label of each unit, per layer (input first).
    allowed : list of ndarray or None
        Per layer, ``(post, pre)`` bool: the pairs whose ensembles may connect (all
        pairs for the random and dense connectivities); ``None`` for a dense layer.
    """

    kind = "g2g.g2gnet"
    source = "Konstantaropoulos, Smyrnakis & Papadopouli 2025, arXiv 2508.14140"

    def __init__(
        self,
        input_size: int,
        output_size: int,
        hidden_sizes: Sequence[int] = (256, 128),
        *,
        density: float = 0.25,
        connectivity: str = "ensemble",
        n_ensembles: int = 4,
        pattern: str = "modular",
        within: float = 0.8,
        decay: float = 0.5,
        sparse_output: bool = False,
        activation: str = "relu",
        seed: Any = None,
    ) -> None:
        super().__init__()
        self.input_size = check_int("input_size", input_size, low=1)
        self.output_size = check_int("output_size", output_size, low=1)
        if isinstance(hidden_sizes, int | str) or not isinstance(hidden_sizes, Sequence):
            raise TypeError(f"hidden_sizes must be a sequence of ints, got {hidden_sizes!r}")
        self.hidden_sizes = [
            check_int(f"hidden_sizes[{i}]", h, low=1) for i, h in enumerate(hidden_sizes)
        ]
        self.density = check_real("density", density, low=0.0, high=1.0, low_open=True)
        self.connectivity = check_choice("connectivity", connectivity, CONNECTIVITIES)
        self.n_ensembles = check_int("n_ensembles", n_ensembles, low=1)
        self.pattern = check_choice("pattern", pattern, PATTERNS)
        self.within = check_real("within", within, low=0.0, high=1.0)
        self.decay = check_real("decay", decay, low=0.0, high=1.0, low_open=True)
        self.sparse_output = check_bool("sparse_output", sparse_output)
        self.activation = check_choice("activation", activation, tuple(_ACTIVATIONS))
        sizes = [self.input_size, *self.hidden_sizes, self.output_size]
        if self.connectivity == "ensemble" and self.n_ensembles > min(sizes[:-1]):
            raise ValueError(
                f"n_ensembles={self.n_ensembles} is more than the smallest layer's "
                f"{min(sizes[:-1])} units"
            )
        rng = self._record_seed(seed)
        mask_rng, weight_rng = rng.spawn(2)
        generator = torch.Generator().manual_seed(int(weight_rng.integers(2**63)))
        n_layers = len(sizes) - 1
        sparse = [i < n_layers - 1 or self.sparse_output for i in range(n_layers)]
        if self.connectivity == "ensemble":
            e_out = min(self.n_ensembles, self.output_size)
            self.ensembles = [
                ensemble_assignment(n, self.n_ensembles if i < n_layers else e_out)
                for i, n in enumerate(sizes)
            ]
        else:
            self.ensembles = [np.zeros(n, dtype=np.int64) for n in sizes]
        densities = self._densities(sizes, sparse)
        self.allowed: list[np.ndarray | None] = []
        layers = []
        for i in range(n_layers):
            mask = None
            allowed = None
            if sparse[i] and self.connectivity != "dense":
                mask, allowed = self._mask(i, sizes, densities[i], mask_rng)
            self.allowed.append(allowed)
            layers.append(MaskedLinear(sizes[i], sizes[i + 1], mask=mask, generator=generator))
        self.layers = nn.ModuleList(layers)
        self.act = _ACTIVATIONS[self.activation]()

    def _densities(self, sizes: list[int], sparse: list[bool]) -> list[float]:
        if self.connectivity != "erk":
            return [self.density] * len(sparse)
        shapes = [(sizes[i + 1], sizes[i]) for i in range(len(sparse)) if sparse[i]]
        erk = iter(erk_densities(shapes, self.density))
        return [float(next(erk)) if s else 1.0 for s in sparse]

    def _mask(self, i: int, sizes: list[int], density: float, rng) -> tuple[np.ndarray, Any]:
        n_pre, n_post = sizes[i], sizes[i + 1]
        if self.connectivity == "ensemble":
            pre, post = self.ensembles[i], self.ensembles[i + 1]
            mask = ensemble_mask(
                n_pre, n_post, density, pattern=self.pattern, within=self.within,
                decay=self.decay, pre_ensembles=pre, post_ensembles=post, seed=rng,
            )  # fmt: skip
            P = ensemble_connectivity(
                int(pre.max()) + 1, int(post.max()) + 1, self.pattern, within=self.within,
                decay=self.decay, pre_sizes=np.bincount(pre), post_sizes=np.bincount(post),
            )  # fmt: skip
            return mask, allowed_pairs(pre, post, P)
        mask = erdos_renyi_mask(n_pre, n_post, density, seed=rng)
        return mask, np.ones((n_post, n_pre), dtype=bool)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.reshape(x.shape[0], -1)
        for layer in self.layers[:-1]:
            h = self.act(layer(h))
        return self.layers[-1](h)

    def densities(self) -> list[float]:
        """The fraction of synapses each layer keeps (its mask's density)."""
        return [float(layer.density) for layer in self.layers]

    # ---------------------------------------------------------------- the contract

    @classmethod
    def _conformance_example(cls, seed: int = 0) -> tuple[G2GNet, None]:
        return cls(16, 3, [12, 8], density=0.5, n_ensembles=2, seed=seed), None

    def _result_params(self) -> dict[str, Any]:
        return {
            "input_size": self.input_size,
            "output_size": self.output_size,
            "hidden_sizes": list(self.hidden_sizes),
            "density": self.density,
            "connectivity": self.connectivity,
            "n_ensembles": self.n_ensembles,
            "pattern": self.pattern,
            "within": self.within,
            "decay": self.decay,
            "sparse_output": self.sparse_output,
            "activation": self.activation,
        }

    def _layer_names(self) -> list[str]:
        return ["input", *(f"hidden_{i}" for i in range(len(self.hidden_sizes))), "output"]

    def _result_groups(self) -> dict[str, Any]:
        """``connectivity/layer_<i>``: each layer's synapses (COO ``pre``, ``post``,
        ``weight``; ``bias`` along ``neuron``), with the ensemble of each presynaptic and
        postsynaptic unit as coordinates ``pre_ensemble`` (along ``pre_unit``) and
        ``post_ensemble`` (along ``post_unit``)."""
        from neurosparse.results import connectivity_from_mask

        names = self._layer_names()
        groups = {}
        for i, layer in enumerate(self.layers):
            node = connectivity_from_mask(
                layer.mask.detach().cpu().numpy(),
                weight=layer.effective_weight().detach().cpu().numpy(),
                pre_layer=names[i],
                post_layer=names[i + 1],
            )
            node["bias"] = ("neuron", layer.bias.detach().cpu().numpy(),
                            {"long_name": "bias of each postsynaptic unit"})  # fmt: skip
            pre, post = self.ensembles[i], self.ensembles[i + 1]
            node = node.assign_coords(
                pre_unit=("pre_unit", np.arange(pre.size),
                          {"long_name": "presynaptic unit (index of pre)"}),
                pre_ensemble=("pre_unit", pre, {"long_name": "ensemble of the presynaptic unit"}),
                post_unit=("post_unit", np.arange(post.size),
                           {"long_name": "postsynaptic unit (index of post)"}),
                post_ensemble=("post_unit", post,
                               {"long_name": "ensemble of the postsynaptic unit"}),
            )  # fmt: skip
            groups[f"connectivity/layer_{i}"] = node
        return groups

    def _restore(self, tree: Any) -> None:
        """Masks, weights and biases from a result's ``connectivity`` nodes."""
        from neurosparse.results import mask_from_connectivity, weights_from_connectivity

        with torch.no_grad():
            for i, layer in enumerate(self.layers):
                node = tree[f"connectivity/layer_{i}"]
                weight = weights_from_connectivity(node, dtype=np.float32)
                layer.weight.copy_(torch.from_numpy(weight))
                layer.mask.copy_(torch.from_numpy(mask_from_connectivity(node)))
                layer.bias.copy_(torch.from_numpy(node["bias"].values))
                self.ensembles[i] = node["pre_ensemble"].values.copy()
                self.ensembles[i + 1] = node["post_ensemble"].values.copy()
