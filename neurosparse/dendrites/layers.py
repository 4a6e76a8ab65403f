"""Context-gated dendritic layers in PyTorch (Iyer et al. 2022).

Iyer, Grewal, Velu, Souza, Forest & Ahmad (2022), "Avoiding catastrophe: Active
dendrites enable multi-task learning in dynamic environments", *Frontiers in
Neurorobotics* 16:846219, doi:10.3389/fnbot.2022.846219 (arXiv:2201.00042).

A point neuron sums its feedforward input; an *active-dendrites* neuron also has
``S`` dendritic segments that each read a context vector ``c`` (for example a task
prototype) and modulate the feedforward response. For a layer of ``U`` units,

.. math::

    y_u = \\sum_i W_{ui}\\, x_i + b_u, \\qquad
    s_{uj} = \\sum_k D_{ujk}\\, c_k \\quad (j = 1, \\dots, S),

with feedforward weights ``W`` (``[units, in_features]``) and dendritic weights ``D``
(``[units, segments, context_dim]``). The segment responses ``s_uj`` are reduced to
one dendritic activation ``d*_u`` per unit, and the unit's output ``ŷ_u`` is, by
``dendrite_mode``:

- ``"biasing"``: ``d*_u = max_j s_uj`` and ``ŷ_u = y_u + d*_u``;
- ``"gating"``: ``d*_u = max_j s_uj`` and ``ŷ_u = y_u · σ(d*_u)``;
- ``"absolute_max_gating"``: ``d*_u = s_uj*`` with ``j* = argmax_j |s_uj|`` and
  ``ŷ_u = y_u · σ(d*_u)``,

where ``σ`` is the logistic sigmoid. Absolute-max gating keeps the sign of the
strongest segment, so a segment can *inhibit* a unit (``σ(d*) → 0``) as well as let it
through (``σ(d*) → 1``); it is the mode Iyer et al. use. Gradients flow only into the
selected segment of each unit (the arg-max), as for any max.

After the modulation, :class:`~neurosparse.nn.KWinners` keeps the ``k`` largest
activations of each sample and zeroes the rest (sparse representations); the gradient
flows only through the winners. Together the two mechanisms let a context select a
sparse, task-specific subnetwork, which is what protects earlier tasks from being
overwritten in continual learning (:mod:`neurosparse.dendrites.continual` trains them
on a sequence of tasks; ``studies/iyer2022/permuted_mnist.py`` reproduces the paper's
permuted MNIST).

Feedforward weights may be sparse (``weight_sparsity``, a fixed random mask with the
same fan-in for every unit, as in the paper's networks): :class:`SparseLinear` is a
:class:`~neurosparse.nn.MaskedLinear`, whose masked weights stay zero and receive no
gradient.

Everything here is a plain :class:`torch.nn.Module`: it moves with ``.to("cuda")`` and
trains with any optimizer. ``seed`` fixes the initial weights and masks (drawn on the
CPU, so a seed gives the same network on every device); on the CPU, training is then
bit-for-bit reproducible for a fixed thread count.

This module needs PyTorch (``pip install neurosparse[torch]``); the rest of
:mod:`neurosparse.dendrites` does not import it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ModuleNotFoundError(
        "neurosparse.dendrites.layers needs PyTorch; install it with "
        "`pip install neurosparse[torch]`",
        name="torch",
    ) from exc

import numpy as np

from neurosparse._estimator import ResultMixin
from neurosparse._validation import (
    check_choice,
    check_int,
    check_real,
    check_sizes,
    resolve_rng,
)
from neurosparse.nn import KWinners, MaskedLinear

__all__ = [
    "DENDRITE_MODES",
    "MLP",
    "DendriticLayer",
    "DendriticMLP",
    "KWinners",
    "SparseLinear",
    "nearest_prototype",
]

#: The allowed values of ``dendrite_mode``.
DENDRITE_MODES = ("biasing", "gating", "absolute_max_gating")


def _torch_generator(rng: np.random.Generator) -> torch.Generator:
    """A CPU torch generator seeded from a numpy generator (one draw)."""
    gen = torch.Generator(device="cpu")
    gen.manual_seed(int(rng.integers(0, 2**62)))
    return gen


def _check_percent_on(value: Any) -> float:
    return check_real("kw_percent_on", value, low=0.0, high=1.0, low_open=True)


def _check_sparsity(value: Any) -> float:
    return check_real("weight_sparsity", value, low=0.0, high=1.0, high_open=True)


# --------------------------------------------------------------------------- k-winners


# ------------------------------------------------------------------- sparse linear


class SparseLinear(MaskedLinear):
    """A :class:`~neurosparse.nn.MaskedLinear` with a fixed random mask and the
    initialisation of Iyer et al. (2022).

    Every output unit keeps the same number of inputs,
    ``round((1 - weight_sparsity) · in_features)`` (at least one), chosen at random.
    ``weight_sparsity=0`` gives a dense layer (an all-True mask). Weights and biases are
    drawn uniformly in ``±1/sqrt(input_density · fan_in)`` with ``fan_in`` the number of
    inputs a unit actually has: PyTorch's default, corrected for the mask and for sparse
    inputs (after k-winners only a fraction ``input_density`` of the inputs is non-zero),
    which keeps the variance of the output as for dense layers (the "modified Kaiming"
    initialisation of Iyer et al.).

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
    weight_sparsity : float in [0, 1)
        Fraction of feedforward weights fixed at zero.
    input_density : float in (0, 1]
        Expected fraction of non-zero inputs; scales the initial weights only.
    seed : int, numpy Generator or None
        Draws the mask and the initial weights.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        bias: bool = True,
        weight_sparsity: float = 0.0,
        input_density: float = 1.0,
        seed: Any = None,
    ) -> None:
        in_features = check_int("in_features", in_features, low=1)
        out_features = check_int("out_features", out_features, low=1)
        weight_sparsity = _check_sparsity(weight_sparsity)
        input_density = check_real("input_density", input_density, low=0, high=1, low_open=True)
        gen = _torch_generator(resolve_rng(seed))
        fan_in = max(1, round((1.0 - weight_sparsity) * in_features))
        mask = None
        if fan_in < in_features:
            order = torch.rand(out_features, in_features, generator=gen).argsort(-1)
            mask = torch.zeros(out_features, in_features, dtype=torch.bool)
            mask.scatter_(1, order[:, :fan_in], True)
        self.weight_sparsity = weight_sparsity
        self.fan_in = fan_in
        self._input_density = input_density
        super().__init__(in_features, out_features, bias=bias, mask=mask, generator=gen)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Uniform in ``±1/sqrt(input_density · fan_in)``, masked."""
        bound = 1.0 / math.sqrt(self._input_density * self.fan_in)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound, generator=generator)
            self.weight.mul_(self.mask)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound, generator=generator)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}, weight_sparsity={self.weight_sparsity}"
        )


# ------------------------------------------------------------------ dendritic layer


class DendriticLayer(nn.Module):
    """A linear layer whose units are modulated by context-reading dendritic segments.

    Output ``ŷ = modulate(W x + b, d*(c))`` with the segment responses
    ``s[u, j] = D[u, j, :] · c`` and the modulation chosen by ``dendrite_mode``
    (``"biasing"``: ``y + max_j s``; ``"gating"``: ``y · σ(max_j s)``;
    ``"absolute_max_gating"``: ``y · σ(s[u, j*])`` with ``j* = argmax_j |s[u, j]|``);
    see the module docstring for the maths.

    Parameters
    ----------
    in_features, out_features : int
        Feedforward input size and number of units.
    num_segments : int >= 1
        Dendritic segments per unit.
    context_dim : int >= 1
        Length of the context vector.
    dendrite_mode : {"biasing", "gating", "absolute_max_gating"}
    bias : bool
        Feedforward bias.
    weight_sparsity : float in [0, 1)
        Fraction of feedforward weights fixed at zero (see :class:`SparseLinear`).
    input_density : float in (0, 1]
        Expected fraction of non-zero inputs (scales the initial feedforward weights).
    context_percent_on : float in (0, 1]
        Expected fraction of non-zero context entries; the dendritic weights start
        uniform in ``±1/sqrt(context_percent_on · context_dim)``.
    seed : int, numpy Generator or None
        Draws the initial weights (feedforward and dendritic from separate streams).

    Attributes
    ----------
    linear : SparseLinear
        The feedforward part, ``W`` and ``b``.
    segments : torch.nn.Parameter, shape (out_features, num_segments, context_dim)
        The dendritic weights ``D``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        num_segments: int,
        context_dim: int,
        *,
        dendrite_mode: str = "absolute_max_gating",
        bias: bool = True,
        weight_sparsity: float = 0.0,
        input_density: float = 1.0,
        context_percent_on: float = 1.0,
        seed: Any = None,
    ) -> None:
        super().__init__()
        self.num_segments = check_int("num_segments", num_segments, low=1)
        self.context_dim = check_int("context_dim", context_dim, low=1)
        self.dendrite_mode = check_choice("dendrite_mode", dendrite_mode, DENDRITE_MODES)
        ff_rng, dend_rng = resolve_rng(seed).spawn(2)
        self.linear = SparseLinear(
            in_features,
            out_features,
            bias=bias,
            weight_sparsity=weight_sparsity,
            input_density=input_density,
            seed=ff_rng,
        )
        context_percent_on = check_real(
            "context_percent_on", context_percent_on, low=0, high=1, low_open=True
        )
        gen = _torch_generator(dend_rng)
        bound = 1.0 / math.sqrt(context_percent_on * self.context_dim)
        self.segments = nn.Parameter(
            torch.empty(out_features, self.num_segments, self.context_dim).uniform_(
                -bound, bound, generator=gen
            )
        )

    @property
    def in_features(self) -> int:
        return self.linear.in_features

    @property
    def out_features(self) -> int:
        return self.linear.out_features

    def _context(self, context: torch.Tensor) -> torch.Tensor:
        if context.dim() == 1:
            context = context.unsqueeze(0)
        if context.dim() != 2 or context.shape[-1] != self.context_dim:
            raise ValueError(
                f"context must have shape (batch, {self.context_dim}) or "
                f"({self.context_dim},), got {tuple(context.shape)}"
            )
        return context

    def segment_responses(self, context: torch.Tensor) -> torch.Tensor:
        """``s[b, u, j] = D[u, j, :] · c[b]``, shape ``(batch, units, segments)``.

        ``context`` is ``(batch, context_dim)``, or ``(context_dim,)`` / ``(1,
        context_dim)`` for one context shared by the whole batch (computed once).
        """
        context = self._context(context)
        units, segs, dim = self.segments.shape
        flat = context @ self.segments.reshape(units * segs, dim).T
        return flat.reshape(context.shape[0], units, segs)

    def dendritic_activation(self, context: torch.Tensor) -> torch.Tensor:
        """``d*[b, u]``: the max segment response, or the signed absolute max."""
        s = self.segment_responses(context)
        if self.dendrite_mode == "absolute_max_gating":
            idx = s.abs().argmax(dim=-1, keepdim=True)
            return s.gather(-1, idx).squeeze(-1)
        return s.max(dim=-1).values

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """Modulated output, shape ``(batch, out_features)``.

        Parameters
        ----------
        x : Tensor, shape (batch, in_features)
        context : Tensor, shape (batch, context_dim), (1, context_dim) or (context_dim,)
            One context per sample, or one shared by the batch.
        """
        if context.dim() == 2 and context.shape[0] not in (1, x.shape[0]):
            raise ValueError(f"context has {context.shape[0]} rows but x has {x.shape[0]} samples")
        y = self.linear(x)
        d = self.dendritic_activation(context)
        if self.dendrite_mode == "biasing":
            return y + d
        return y * torch.sigmoid(d)

    def extra_repr(self) -> str:
        return (
            f"num_segments={self.num_segments}, context_dim={self.context_dim}, "
            f"dendrite_mode={self.dendrite_mode!r}"
        )


# ------------------------------------------------------------------------ networks


class _MLPBase(ResultMixin, nn.Module):
    """Shared structure: hidden layers, each followed by k-winners (or ReLU), then a
    dense linear read-out. The seed is recorded when the network is built (the model
    contract, ``docs/ARCHITECTURE.md``)."""

    source = "Iyer et al. 2022, Frontiers in Neurorobotics 16:846219"

    def _setup(
        self,
        input_size: int,
        output_size: int,
        hidden_sizes: Sequence[int],
        kw: bool,
        kw_percent_on: float,
        weight_sparsity: float,
    ) -> None:
        self.input_size = check_int("input_size", input_size, low=1)
        self.output_size = check_int("output_size", output_size, low=1)
        self.hidden_sizes = check_sizes("hidden_sizes", hidden_sizes, empty_ok=True)
        if not isinstance(kw, bool):
            raise TypeError(f"kw must be a bool, got {kw!r}")
        self.kw = kw
        self.kw_percent_on = _check_percent_on(kw_percent_on)
        self.weight_sparsity = _check_sparsity(weight_sparsity)

    def _input_density(self, layer: int) -> float:
        """Fraction of non-zero inputs of ``layer`` (k-winners output after layer 0)."""
        return self.kw_percent_on if (self.kw and layer > 0) else 1.0

    def _activation(self) -> nn.Module:
        return KWinners(self.kw_percent_on) if self.kw else nn.ReLU()

    def _build_head(self, out_rng) -> None:
        """The activations after each hidden layer, then the (sparse) output layer."""
        self.activations = nn.ModuleList(self._activation() for _ in self.hidden_sizes)
        self.output = SparseLinear(
            self.hidden_sizes[-1] if self.hidden_sizes else self.input_size,
            self.output_size,
            input_density=self._input_density(len(self.hidden_sizes)),
            seed=out_rng,
        )

    def hidden_activations(
        self, x: torch.Tensor, context: torch.Tensor | None = None
    ) -> list[torch.Tensor]:
        """The output of each hidden layer (after k-winners / ReLU)."""
        out = []
        h = x
        for layer, act in zip(self.hidden, self.activations):
            h = act(self._apply_layer(layer, h, context))
            out.append(h)
        return out

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        h = x
        for layer, act in zip(self.hidden, self.activations):
            h = act(self._apply_layer(layer, h, context))
        return self.output(h)

    def _params(self) -> dict[str, Any]:
        return {
            "input_size": self.input_size,
            "output_size": self.output_size,
            "hidden_sizes": list(self.hidden_sizes),
            "kw": self.kw,
            "kw_percent_on": self.kw_percent_on,
            "weight_sparsity": self.weight_sparsity,
        }

    def _linears(self) -> list[SparseLinear]:
        raise NotImplementedError

    def _result_params(self) -> dict[str, Any]:
        return self._params()

    def _result_groups(self) -> dict[str, Any]:
        """``connectivity/layer_<i>`` holds each feedforward projection (COO, with its
        weights, and ``bias`` along ``neuron``; ``pre_layer``/``post_layer`` ``input``,
        ``hidden_0``, ..., ``output``); for the dendritic network,
        ``connectivity/segments_<i>`` the segments' synapses from the context
        (:func:`_segment_connectivity`, a modulatory pathway) and ``state/hidden_<i>``
        the same dendritic weights ``segment_weight`` with dims
        ``(post, segment, context)``."""
        import xarray as xr

        from neurosparse.results import connectivity_from_mask

        names = ["input"] + [f"hidden_{i}" for i in range(len(self.hidden_sizes))]
        names.append("output")
        groups: dict[str, xr.Dataset] = {}
        for i, lin in enumerate(self._linears()):
            w = lin.effective_weight().detach().cpu().numpy()
            mask = lin.mask.detach().cpu().numpy()
            node = connectivity_from_mask(
                mask, weight=w, pre_layer=names[i], post_layer=names[i + 1]
            )
            if lin.bias is not None:
                node["bias"] = (
                    "neuron",
                    lin.bias.detach().cpu().numpy(),
                    {"long_name": "bias of each postsynaptic unit"},
                )
            groups[f"connectivity/layer_{i}"] = node
        for i, layer in enumerate(self.hidden):
            if isinstance(layer, DendriticLayer):
                groups[f"connectivity/segments_{i}"] = _segment_connectivity(layer, i)
                groups[f"state/hidden_{i}"] = xr.Dataset(
                    {
                        "segment_weight": (
                            ("post", "segment", "context"),
                            layer.segments.detach().cpu().numpy(),
                            {"long_name": "dendritic segment weights D[unit, segment, c]"},
                        )
                    },
                    attrs={"dendrite_mode": layer.dendrite_mode},
                )
        return groups

    def _restore(self, tree) -> None:
        """Weights, masks, biases (and dendritic segments) from a result's nodes."""
        from neurosparse.results import mask_from_connectivity, weights_from_connectivity

        with torch.no_grad():
            for i, lin in enumerate(self._linears()):
                node = tree[f"connectivity/layer_{i}"]
                weight = weights_from_connectivity(node, dtype=np.float32)
                lin.weight.copy_(torch.from_numpy(weight))
                lin.mask.copy_(torch.from_numpy(mask_from_connectivity(node)))
                if lin.bias is not None:
                    lin.bias.copy_(torch.from_numpy(node["bias"].values))
            for i, layer in enumerate(self.hidden):
                if isinstance(layer, DendriticLayer):
                    segments = tree[f"state/hidden_{i}"]["segment_weight"].values
                    layer.segments.copy_(torch.from_numpy(segments))


def _segment_connectivity(layer: DendriticLayer, i: int):
    """The dendritic segments of hidden layer ``i`` as connectivity: one synapse from
    each context unit ``c`` onto each segment ``(unit u, segment s)``, postsynaptic index
    ``u * n_segments + s`` (layer ``hidden_<i>_segments``), weight ``D[u, s, c]``.

    The pathway is modulatory (attr ``pathway``): segments gate or bias their unit
    rather than drive it (Iyer et al. 2022, Eq. 1-2), so the bridges' feed-forward chain
    leaves them out unless they are named."""
    from neurosparse.results import connectivity_from_indices

    seg = layer.segments.detach().cpu().numpy()
    units, n_seg, n_ctx = seg.shape
    post, pre = np.divmod(np.arange(units * n_seg * n_ctx), n_ctx)
    node = connectivity_from_indices(
        pre, post, n_ctx, units * n_seg, weight=seg.reshape(-1),
        pre_layer="context", post_layer=f"hidden_{i}_segments",
    )  # fmt: skip
    node.attrs.update(
        pathway="modulatory", n_segments=int(n_seg), dendrite_mode=layer.dendrite_mode
    )
    return node


class DendriticMLP(_MLPBase):
    """Active Dendrites Network: dendritic hidden layers with k-winners, linear read-out.

    ``x → [DendriticLayer(·, context) → KWinners] × len(hidden_sizes) → Linear``, the
    architecture of Iyer et al. (2022). With ``kw=False`` the hidden layers use ReLU
    instead of k-winners. The read-out has no dendrites and dense weights. Layers fed by
    k-winners start with weights scaled for their sparse input (see
    :class:`SparseLinear`).

    Parameters
    ----------
    input_size, output_size : int
    hidden_sizes : sequence of int
    num_segments : int >= 1
        Dendritic segments per hidden unit (Iyer et al.: one per task).
    dim_context : int >= 1
        Length of the context vector.
    kw : bool
        k-winners (True) or ReLU (False) after each hidden layer.
    kw_percent_on : float in (0, 1]
        Fraction of hidden units kept active by k-winners (paper: 0.05).
    dendrite_mode : {"biasing", "gating", "absolute_max_gating"}
    weight_sparsity : float in [0, 1)
        Fraction of hidden-layer feedforward weights fixed at zero (paper: 0.5).
    context_percent_on : float in (0, 1]
        Scales the initial dendritic weights, ``U(±1/sqrt(context_percent_on ·
        dim_context))`` (paper: 0.1 with dense prototype contexts, i.e. initial
        segment responses ~3x those of the plain ``1/sqrt(dim_context)`` scale).
    seed : int, numpy Generator or None
        Initial weights and masks. Feedforward weights come from the same streams as
        in :class:`MLP`, so a ``DendriticMLP`` and an ``MLP`` built with the same seed
        and sizes start with identical feedforward weights.

    Examples
    --------
    >>> import torch
    >>> net = DendriticMLP(784, 10, [64, 64], num_segments=5, dim_context=784, seed=0)
    >>> net(torch.zeros(8, 784), torch.zeros(784)).shape
    torch.Size([8, 10])
    """

    kind = "dendrites.dendritic_mlp"
    result_extra_dims = ("context",)

    def __init__(
        self,
        input_size: int,
        output_size: int,
        hidden_sizes: Sequence[int],
        num_segments: int,
        dim_context: int,
        *,
        kw: bool = True,
        kw_percent_on: float = 0.05,
        dendrite_mode: str = "absolute_max_gating",
        weight_sparsity: float = 0.0,
        context_percent_on: float = 1.0,
        seed: Any = None,
    ) -> None:
        super().__init__()
        self._setup(input_size, output_size, hidden_sizes, kw, kw_percent_on, weight_sparsity)
        self.context_percent_on = check_real(
            "context_percent_on", context_percent_on, low=0, high=1, low_open=True
        )
        self.num_segments = check_int("num_segments", num_segments, low=1)
        self.dim_context = check_int("dim_context", dim_context, low=1)
        self.dendrite_mode = check_choice("dendrite_mode", dendrite_mode, DENDRITE_MODES)
        layer_rngs, out_rng = _layer_rngs(self._record_seed(seed), len(self.hidden_sizes))
        sizes = [self.input_size, *self.hidden_sizes]
        self.hidden = nn.ModuleList(
            DendriticLayer(
                sizes[i],
                sizes[i + 1],
                self.num_segments,
                self.dim_context,
                dendrite_mode=self.dendrite_mode,
                weight_sparsity=self.weight_sparsity,
                input_density=self._input_density(i),
                context_percent_on=self.context_percent_on,
                seed=layer_rngs[i],
            )
            for i in range(len(self.hidden_sizes))
        )
        self._build_head(out_rng)

    @classmethod
    def _conformance_example(cls, seed: int = 0) -> tuple[DendriticMLP, None]:
        net = cls(12, 3, [8, 8], num_segments=2, dim_context=5, weight_sparsity=0.5, seed=seed)
        return net, None

    def _apply_layer(self, layer, h, context):
        if context is None:
            raise ValueError("DendriticMLP needs a context tensor: forward(x, context)")
        return layer(h, context)

    def _linears(self) -> list[SparseLinear]:
        return [layer.linear for layer in self.hidden] + [self.output]

    def _params(self) -> dict[str, Any]:
        params = super()._params()
        params.update(
            num_segments=self.num_segments,
            dim_context=self.dim_context,
            dendrite_mode=self.dendrite_mode,
            context_percent_on=self.context_percent_on,
        )
        return params


class MLP(_MLPBase):
    """The same network without dendrites: the baseline for :class:`DendriticMLP`.

    ``x → [SparseLinear → KWinners (or ReLU)] × len(hidden_sizes) → Linear``.
    ``forward(x, context=None)`` accepts and ignores a context, so both networks can be
    trained by the same loop. Parameters as for :class:`DendriticMLP` (without the
    dendritic ones); with equal ``seed`` both start from the same feedforward weights.
    """

    kind = "dendrites.mlp"

    def __init__(
        self,
        input_size: int,
        output_size: int,
        hidden_sizes: Sequence[int],
        *,
        kw: bool = True,
        kw_percent_on: float = 0.05,
        weight_sparsity: float = 0.0,
        seed: Any = None,
    ) -> None:
        super().__init__()
        self._setup(input_size, output_size, hidden_sizes, kw, kw_percent_on, weight_sparsity)
        layer_rngs, out_rng = _layer_rngs(self._record_seed(seed), len(self.hidden_sizes))
        sizes = [self.input_size, *self.hidden_sizes]
        # the feedforward stream of a DendriticLayer built from the same generator
        self.hidden = nn.ModuleList(
            SparseLinear(
                sizes[i],
                sizes[i + 1],
                weight_sparsity=self.weight_sparsity,
                input_density=self._input_density(i),
                seed=layer_rngs[i].spawn(2)[0],
            )
            for i in range(len(self.hidden_sizes))
        )
        self._build_head(out_rng)

    @classmethod
    def _conformance_example(cls, seed: int = 0) -> tuple[MLP, None]:
        return cls(12, 3, [8, 8], weight_sparsity=0.5, seed=seed), None

    def _apply_layer(self, layer, h, context):
        return layer(h)

    def _linears(self) -> list[SparseLinear]:
        return [*self.hidden, self.output]


def _layer_rngs(seed: Any, n_hidden: int):
    """Independent generators: one per hidden layer (which a :class:`DendriticLayer`
    splits into a feedforward and a dendritic stream), and one for the read-out."""
    children = resolve_rng(seed).spawn(n_hidden + 1)
    return children[:n_hidden], children[n_hidden]


# ----------------------------------------------------------------------- prototypes


def nearest_prototype(inputs: torch.Tensor, prototypes: torch.Tensor) -> torch.Tensor:
    """Index of the nearest prototype (Euclidean) for each input.

    The prototype method of Iyer et al. (2022): during training the context of task
    ``t`` is the mean of its training inputs; at test time the task is unknown and each
    input gets the context of the prototype nearest to it.

    Parameters
    ----------
    inputs : Tensor, shape (n, d)
    prototypes : Tensor, shape (n_tasks, d)

    Returns
    -------
    LongTensor, shape (n,)
    """
    if inputs.dim() != 2 or prototypes.dim() != 2 or inputs.shape[1] != prototypes.shape[1]:
        raise ValueError(
            f"inputs (n, d) and prototypes (n_tasks, d) must share d, got "
            f"{tuple(inputs.shape)} and {tuple(prototypes.shape)}"
        )
    # ||x - p||² = ||x||² - 2 x·p + ||p||²; ||x||² does not change the arg-min
    scores = prototypes.pow(2).sum(1) - 2.0 * inputs @ prototypes.T
    return scores.argmin(dim=1)
