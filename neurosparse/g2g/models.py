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

:class:`G2GConvNet` is the small convolutional variant: convolutions whose *channels*
are connected ensemble to ensemble (:class:`neurosparse.nn.MaskedConv2d` with a channel
mask), then the same masked dense layers.

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
from neurosparse._validation import (
    check_bool,
    check_choice,
    check_int,
    check_real,
    check_sizes,
)
from neurosparse.g2g.masks import (
    PATTERNS,
    allowed_pairs,
    ensemble_assignment,
    ensemble_connectivity,
    ensemble_mask,
    erdos_renyi_mask,
    erk_densities,
)
from neurosparse.nn import MaskedConv2d, MaskedLinear

__all__ = ["CONNECTIVITIES", "G2GConvNet", "G2GNet"]

#: How :class:`G2GNet` draws its masks.
CONNECTIVITIES = ("ensemble", "erdos_renyi", "erk", "dense")

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


class _G2GBase(ResultMixin, nn.Module):
    """The connectivity settings, mask drawing and generators both G2G networks share."""

    source = "Konstantaropoulos, Smyrnakis & Papadopouli 2025, arXiv 2508.14140"

    def _set_connectivity(
        self, density, connectivity, n_ensembles, pattern, within, decay, activation,
        smallest: int,
    ) -> None:  # fmt: skip
        """Validate and store the shared settings; ``smallest``: the fewest units (or
        channels) of a layer that is split into ensembles."""
        self.density = check_real("density", density, low=0.0, high=1.0, low_open=True)
        self.connectivity = check_choice("connectivity", connectivity, CONNECTIVITIES)
        self.n_ensembles = check_int("n_ensembles", n_ensembles, low=1)
        self.pattern = check_choice("pattern", pattern, PATTERNS)
        self.within = check_real("within", within, low=0.0, high=1.0)
        self.decay = check_real("decay", decay, low=0.0, high=1.0, low_open=True)
        self.activation = check_choice("activation", activation, tuple(_ACTIVATIONS))
        if self.connectivity == "ensemble" and self.n_ensembles > smallest:
            raise ValueError(
                f"n_ensembles={self.n_ensembles} is more than the smallest layer's {smallest} units"
            )
        self.act = _ACTIVATIONS[self.activation]()
        self.training_history_ = None  # set by neurosparse.g2g.training.train_classifier

    def _generators(self, seed: Any) -> tuple[np.random.Generator, torch.Generator]:
        """The masks' generator and the initial weights' torch generator, from ``seed``
        (recorded)."""
        mask_rng, weight_rng = self._record_seed(seed).spawn(2)
        return mask_rng, torch.Generator().manual_seed(int(weight_rng.integers(2**63)))

    def _draw(self, n_pre, n_post, density, pre, post, rng) -> np.ndarray:
        """A ``(n_post, n_pre)`` mask of this network's connectivity (not ``"dense"``)."""
        if self.connectivity == "ensemble":
            return ensemble_mask(
                n_pre, n_post, density, pattern=self.pattern, within=self.within,
                decay=self.decay, pre_ensembles=pre, post_ensembles=post, seed=rng,
            )  # fmt: skip
        return erdos_renyi_mask(n_pre, n_post, density, seed=rng)

    def _connectivity_params(self) -> dict[str, Any]:
        return {
            "density": self.density,
            "connectivity": self.connectivity,
            "n_ensembles": self.n_ensembles,
            "pattern": self.pattern,
            "within": self.within,
            "decay": self.decay,
        }


class G2GNet(_G2GBase):
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
        self.hidden_sizes = check_sizes("hidden_sizes", hidden_sizes, empty_ok=True)
        self.sparse_output = check_bool("sparse_output", sparse_output)
        sizes = [self.input_size, *self.hidden_sizes, self.output_size]
        self._set_connectivity(density, connectivity, n_ensembles, pattern, within, decay,
                               activation, smallest=min(sizes[:-1]))  # fmt: skip
        mask_rng, generator = self._generators(seed)
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

    def _densities(self, sizes: list[int], sparse: list[bool]) -> list[float]:
        if self.connectivity != "erk":
            return [self.density] * len(sparse)
        shapes = [(sizes[i + 1], sizes[i]) for i in range(len(sparse)) if sparse[i]]
        erk = iter(erk_densities(shapes, self.density))
        return [float(next(erk)) if s else 1.0 for s in sparse]

    def _mask(self, i: int, sizes: list[int], density: float, rng) -> tuple[np.ndarray, Any]:
        """Layer ``i``'s mask and the pairs whose ensembles may connect."""
        pre, post = self.ensembles[i], self.ensembles[i + 1]
        mask = self._draw(sizes[i], sizes[i + 1], density, pre, post, rng)
        if self.connectivity != "ensemble":
            return mask, np.ones(mask.shape, dtype=bool)
        P = ensemble_connectivity(
            int(pre.max()) + 1, int(post.max()) + 1, self.pattern, within=self.within,
            decay=self.decay, pre_sizes=np.bincount(pre), post_sizes=np.bincount(post),
        )  # fmt: skip
        return mask, allowed_pairs(pre, post, P)

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
            **self._connectivity_params(),
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
        groups = _dense_groups(self.layers, self.ensembles, self._layer_names())
        groups.update(_training_metrics(self.training_history_))
        return groups

    def _restore(self, tree: Any) -> None:
        """Masks, weights and biases from a result's ``connectivity`` nodes."""
        _restore_dense(self.layers, self.ensembles, tree)


def _dense_groups(layers, ensembles, names) -> dict[str, Any]:
    """The ``connectivity/layer_<i>`` nodes of masked dense layers (see
    :meth:`G2GNet._result_groups`)."""
    from neurosparse.results import connectivity_from_mask

    groups = {}
    for i, layer in enumerate(layers):
        node = connectivity_from_mask(
            layer.mask.detach().cpu().numpy(),
            weight=layer.effective_weight().detach().cpu().numpy(),
            pre_layer=names[i],
            post_layer=names[i + 1],
        )
        node["bias"] = ("neuron", layer.bias.detach().cpu().numpy(),
                        {"long_name": "bias of each postsynaptic unit"})  # fmt: skip
        pre, post = ensembles[i], ensembles[i + 1]
        node = node.assign_coords(
            pre_unit=("pre_unit", np.arange(pre.size),
                      {"long_name": "presynaptic unit (index of pre)"}),
            pre_ensemble=("pre_unit", pre, {"long_name": "ensemble of the presynaptic unit"}),
            post_unit=("post_unit", np.arange(post.size),
                       {"long_name": "postsynaptic unit (index of post)"}),
            post_ensemble=("post_unit", post, {"long_name": "ensemble of the postsynaptic unit"}),
        )  # fmt: skip
        groups[f"connectivity/layer_{i}"] = node
    return groups


def _restore_dense(layers, ensembles, tree) -> None:
    from neurosparse.results import mask_from_connectivity, weights_from_connectivity

    with torch.no_grad():
        for i, layer in enumerate(layers):
            node = tree[f"connectivity/layer_{i}"]
            weight = weights_from_connectivity(node, dtype=np.float32)
            layer.weight.copy_(torch.from_numpy(weight))
            layer.mask.copy_(torch.from_numpy(mask_from_connectivity(node)))
            layer.bias.copy_(torch.from_numpy(node["bias"].values))
            ensembles[i] = node["pre_ensemble"].values.copy()
            ensembles[i + 1] = node["post_ensemble"].values.copy()


class G2GConvNet(_G2GBase):
    """The convolutional variant of :class:`G2GNet`.

    ``x -> [MaskedConv2d 3x3 -> activation -> max-pool 2] x len(channels) -> flatten ->
    [MaskedLinear -> activation] x len(hidden_sizes) -> MaskedLinear``. The first
    convolution is dense (an image has too few channels to split); every later one has a
    channel mask drawn like :class:`G2GNet`'s masks over channel pairs (an output
    channel hears an input channel at every kernel position or not at all), with the
    channels split into ``n_ensembles`` ensembles. A flattened feature belongs to its
    channel's ensemble, so the ensembles carry on into the dense layers.

    Parameters
    ----------
    in_channels, image_size, output_size : int
        Input channels, side of the square input images, classes.
    channels : sequence of int
        Output channels of each convolution.
    hidden_sizes : sequence of int
        Units of the masked dense layers after the convolutions.
    density, connectivity, n_ensembles, pattern, within, decay, activation, seed
        As for :class:`G2GNet` (``"erk"`` takes each layer's whole weight shape, the
        convolutions' ``(out, in, 3, 3)`` included).

    Notes
    -----
    Its result holds the dense layers as ``connectivity`` (input layer
    ``conv_features``), which the bridges carry, and each convolution's weights and
    channel mask under ``state/conv_<i>``.
    """

    kind = "g2g.g2gconvnet"

    def __init__(
        self,
        in_channels: int = 1,
        image_size: int = 28,
        output_size: int = 10,
        channels: Sequence[int] = (16, 32),
        hidden_sizes: Sequence[int] = (128,),
        *,
        density: float = 0.25,
        connectivity: str = "ensemble",
        n_ensembles: int = 4,
        pattern: str = "modular",
        within: float = 0.8,
        decay: float = 0.5,
        activation: str = "relu",
        seed: Any = None,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels, low=1)
        self.image_size = check_int("image_size", image_size, low=1)
        self.output_size = check_int("output_size", output_size, low=1)
        self.channels = check_sizes("channels", channels)
        self.hidden_sizes = check_sizes("hidden_sizes", hidden_sizes, empty_ok=True)
        if not self.channels:
            raise ValueError("channels must list at least one convolution")
        side = self.image_size >> len(self.channels)
        if side < 1:
            raise ValueError(
                f"image_size={self.image_size} is too small for {len(self.channels)} poolings by 2"
            )
        smallest = min([*self.channels, *self.hidden_sizes])
        self._set_connectivity(density, connectivity, n_ensembles, pattern, within, decay,
                               activation, smallest=smallest)  # fmt: skip
        mask_rng, generator = self._generators(seed)
        k = 3
        chans = [self.in_channels, *self.channels]
        features = self.channels[-1] * side * side
        fc = [features, *self.hidden_sizes, self.output_size]
        # layers that get a mask: convolutions after the first, dense layers but the last
        conv_shapes = [(chans[i + 1], chans[i], k, k) for i in range(len(self.channels))]
        fc_shapes = [(fc[i + 1], fc[i]) for i in range(len(fc) - 1)]
        sparse_conv = [i > 0 for i in range(len(conv_shapes))]
        sparse_fc = [i < len(fc_shapes) - 1 for i in range(len(fc_shapes))]
        densities = self._densities(conv_shapes, fc_shapes, sparse_conv, sparse_fc)
        e = self.n_ensembles if self.connectivity == "ensemble" else 1
        chan_ens = [ensemble_assignment(c, min(e, c)) for c in chans]
        chan_ens[0] = np.zeros(self.in_channels, dtype=np.int64)
        self.ensembles = [np.repeat(chan_ens[-1], side * side)]
        self.ensembles += [ensemble_assignment(n, min(e, n)) for n in fc[1:]]
        convs = []
        for i in range(len(conv_shapes)):
            mask = None
            if sparse_conv[i] and self.connectivity != "dense":
                mask = self._draw(chans[i], chans[i + 1], densities[0][i], chan_ens[i],
                                  chan_ens[i + 1], mask_rng)  # fmt: skip
            convs.append(MaskedConv2d(chans[i], chans[i + 1], k, padding=1, mask=mask,
                                      generator=generator))  # fmt: skip
        self.convs = nn.ModuleList(convs)
        layers = []
        for i in range(len(fc_shapes)):
            mask = None
            if sparse_fc[i] and self.connectivity != "dense":
                mask = self._draw(fc[i], fc[i + 1], densities[1][i], self.ensembles[i],
                                  self.ensembles[i + 1], mask_rng)  # fmt: skip
            layers.append(MaskedLinear(fc[i], fc[i + 1], mask=mask, generator=generator))
        self.layers = nn.ModuleList(layers)
        self.pool = nn.MaxPool2d(2)

    def _densities(self, conv_shapes, fc_shapes, sparse_conv, sparse_fc):
        if self.connectivity != "erk":
            return [self.density] * len(conv_shapes), [self.density] * len(fc_shapes)
        shapes = [s for s, m in zip(conv_shapes, sparse_conv, strict=True) if m]
        shapes += [s for s, m in zip(fc_shapes, sparse_fc, strict=True) if m]
        erk = iter(erk_densities(shapes, self.density))
        conv = [float(next(erk)) if m else 1.0 for m in sparse_conv]
        dense = [float(next(erk)) if m else 1.0 for m in sparse_fc]
        return conv, dense

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:  # flattened images
            x = x.reshape(x.shape[0], self.in_channels, self.image_size, self.image_size)
        h = x
        for conv in self.convs:
            h = self.pool(self.act(conv(h)))
        h = h.flatten(1)
        for layer in self.layers[:-1]:
            h = self.act(layer(h))
        return self.layers[-1](h)

    def densities(self) -> list[float]:
        """The fraction of weights each convolution and dense layer keeps."""
        return [float(m.density) for m in [*self.convs, *self.layers]]

    @classmethod
    def _conformance_example(cls, seed: int = 0) -> tuple[G2GConvNet, None]:
        return cls(1, 8, 3, channels=(4, 8), hidden_sizes=(12,), density=0.5,
                   n_ensembles=2, seed=seed), None  # fmt: skip

    def _result_params(self) -> dict[str, Any]:
        return {
            "in_channels": self.in_channels,
            "image_size": self.image_size,
            "output_size": self.output_size,
            "channels": list(self.channels),
            "hidden_sizes": list(self.hidden_sizes),
            **self._connectivity_params(),
            "activation": self.activation,
        }

    def _result_groups(self) -> dict[str, Any]:
        """``state/conv_<i>``: each convolution's ``weight`` (zero off the mask), ``mask``
        and ``bias``; ``connectivity/layer_<i>``: the dense layers, as in
        :class:`G2GNet` (first layer ``conv_features``)."""
        import xarray as xr

        groups: dict[str, Any] = {}
        for i, conv in enumerate(self.convs):
            out_c, in_c, kh, kw = conv.weight.shape
            coords = {
                "out_channel": ("out_channel", np.arange(out_c), {"long_name": "output channel"}),
                "in_channel": ("in_channel", np.arange(in_c), {"long_name": "input channel"}),
                "kernel_row": ("kernel_row", np.arange(kh), {"long_name": "kernel row"}),
                "kernel_col": ("kernel_col", np.arange(kw), {"long_name": "kernel column"}),
            }
            dims = ("out_channel", "in_channel", "kernel_row", "kernel_col")
            groups[f"state/conv_{i}"] = xr.Dataset(
                {
                    "weight": (dims, conv.effective_weight().detach().cpu().numpy(),
                               {"long_name": "convolution weight (zero off the mask)"}),
                    "mask": (dims, conv.mask.detach().cpu().numpy(),
                             {"long_name": "which weights exist"}),
                    "bias": ("out_channel", conv.bias.detach().cpu().numpy(),
                             {"long_name": "bias of each output channel"}),
                },
                coords=coords,
            )  # fmt: skip
        names = ["conv_features", *(f"hidden_{i}" for i in range(len(self.hidden_sizes)))]
        names.append("output")
        groups.update(_dense_groups(self.layers, self.ensembles, names))
        groups.update(_training_metrics(self.training_history_))
        return groups

    def _restore(self, tree: Any) -> None:
        with torch.no_grad():
            for i, conv in enumerate(self.convs):
                node = tree[f"state/conv_{i}"]
                conv.mask.copy_(torch.from_numpy(node["mask"].values.astype(bool)))
                conv.weight.copy_(torch.from_numpy(node["weight"].values))
                conv.bias.copy_(torch.from_numpy(node["bias"].values))
        _restore_dense(self.layers, self.ensembles, tree)


def _training_metrics(curves: Any) -> dict[str, Any]:
    """``metrics``: the curves of :func:`neurosparse.g2g.training.train_classifier` along
    ``epoch`` and, after sparse training, every mask update's counts along ``(update,
    layer)`` (``turnover``: fraction of a layer's synapses grown at that update)."""
    import xarray as xr

    if curves is None:
        return {}
    n_epochs = len(curves.train_loss)
    data = {
        "train_loss": ("epoch", np.asarray(curves.train_loss),
                       {"long_name": "mean training cross-entropy of the epoch"}),
        "test_accuracy": ("epoch", np.asarray(curves.test_accuracy),
                          {"long_name": "test accuracy after the epoch", "units": "1"}),
    }  # fmt: skip
    coords = {"epoch": ("epoch", np.arange(1, n_epochs + 1), {"long_name": "epoch"})}
    history = curves.extra.get("sparse_training")
    if history:
        n_updates = len(history["step"])
        coords["update"] = ("update", np.arange(n_updates), {"long_name": "mask update"})
        names = {
            "step": "training step of the update", "prune_fraction": "fraction pruned",
            "sparsity": "scheduled sparsity", "n_active": "synapses before the update",
            "n_pruned": "synapses pruned", "n_regrown": "synapses regrown",
            "turnover": "fraction of the synapses grown anew", "density": "density after",
        }  # fmt: skip
        for key, values in history.items():
            values = np.asarray(values)
            dims = ("update",) if values.ndim == 1 else ("update", "layer")
            data[f"dst_{key}"] = (dims, values, {"long_name": names.get(key, key)})
        if any(np.asarray(v).ndim == 2 for v in history.values()):
            n_layers = next(np.asarray(v).shape[1] for v in history.values() if np.ndim(v) == 2)
            coords["layer"] = ("layer", np.arange(n_layers), {"long_name": "managed layer"})
    return {"metrics": xr.Dataset(data, coords=coords, attrs={"steps": int(curves.steps)})}
