r"""Connectivity into PyTorch, and back.

- :func:`to_torch` builds a feed-forward model from a result's projections (layer order
  from ``pre_layer``/``post_layer``), in one of four forms (``mode``):

  ``"mask"`` (default, trainable)
      :class:`neurosparse.nn.MaskedLinear` layers: the mask is a bool buffer, masked
      weights are exactly zero in the forward pass and in the gradient.
  ``"prune"``
      plain ``torch.nn.Linear`` layers with ``torch.nn.utils.prune.custom_from_mask``
      (parameters ``weight_orig`` and buffers ``weight_mask``), for code that expects
      PyTorch's pruning API.
  ``"csr"`` (inference)
      :class:`CSRLinear` layers holding the weights as a ``torch.sparse_csr_tensor``
      built from the synapse list (no dense ``n_post x n_pre`` array on the way).
  ``"dense"``
      plain ``torch.nn.Linear`` layers with the weights baked in: their state dict loads
      into any model of ``nn.Linear`` layers.

- :func:`apply_masks` puts a result's masks on the linear layers of an existing model,
  by name.
- :func:`from_torch` writes a model's linear layers (masked, pruned or dense) back as a
  result, so a trained network reaches the other bridges.

Orientation: a projection's ``(post, pre)`` is torch's ``(out_features, in_features)``;
sizes are checked on the way in and out. A synapse of weight zero is still a synapse:
the mask travels with the weights.
"""

from __future__ import annotations

import collections
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from neurosparse.bridges._graph import Projection, projections

try:
    import torch
    import torch.nn.utils.prune
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ModuleNotFoundError(
        "neurosparse.bridges.torch needs PyTorch; install it with `pip install neurosparse[torch]`",
        name="torch",
    ) from exc

from neurosparse._validation import check_choice
from neurosparse.nn import MaskedLinear

__all__ = ["MODES", "CSRLinear", "apply_masks", "from_torch", "to_torch"]

#: The forms :func:`to_torch` builds.
MODES = ("mask", "prune", "csr", "dense")

_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "identity": nn.Identity,
}


class CSRLinear(nn.Module):
    """An inference layer whose weights are a CSR sparse tensor.

    ``y = x W^T + b`` with ``W`` a ``(out_features, in_features)``
    ``torch.sparse_csr_tensor`` (32-bit indices where they fit). On the CPU, without
    autograd, the product runs in a Numba kernel (:func:`._kernels.csr_blocked_product`)
    over the synapses grouped by blocks of input columns, so that the inputs one block
    reads stay in cache (``benchmarks/bridges_torch.py``); the grouping is built from
    ``W`` on the first such call and rebuilt when ``W`` changes. Elsewhere (CUDA, or when
    a gradient with respect to ``x`` is needed) it is ``torch.sparse.mm``. The weights
    get no gradient.
    """

    #: Batch columns per kernel call, and bytes of inputs one column block may read.
    batch_tile = 256
    block_bytes = 1 << 21

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> None:
        super().__init__()
        if weight.layout != torch.sparse_csr:
            raise TypeError(f"weight must be a sparse CSR tensor, got layout {weight.layout}")
        self.out_features, self.in_features = weight.shape
        self.register_buffer("weight", weight)
        self.register_buffer("bias", bias)
        self._plan: tuple | None = None

    def _cpu_plan(self) -> tuple:
        """``(key, block_ptr, col, val)``: the synapses by column block, then row."""
        w = self.weight
        values = w.values()
        key = (values.data_ptr(), values.dtype, values.numel())
        if self._plan is not None and self._plan[0] == key:
            return self._plan
        crow = w.crow_indices().numpy().astype(np.int64)
        col = w.col_indices().numpy().astype(np.int64)
        val = values.numpy()
        width = max(1, self.block_bytes // (self.batch_tile * val.itemsize))
        n_cb = -(-self.in_features // width)
        row = np.repeat(np.arange(self.out_features), np.diff(crow))
        cb = col // width
        order = np.lexsort((col, row, cb))  # column block, then row, then column
        counts = np.zeros((n_cb, self.out_features), dtype=np.int64)
        np.add.at(counts, (cb, row), 1)
        flat = np.concatenate([[0], np.cumsum(counts.ravel())])
        idx = np.arange(n_cb)[:, None] * self.out_features + np.arange(self.out_features + 1)
        block_ptr = np.ascontiguousarray(flat[idx])
        self._plan = (key, block_ptr, col[order].astype(np.int32), np.ascontiguousarray(val[order]))
        return self._plan

    def _cpu_forward(self, flat: torch.Tensor) -> torch.Tensor:
        import numba

        from neurosparse.bridges import _kernels as K

        _, block_ptr, col, val = self._cpu_plan()
        x = flat.detach().numpy()
        out = np.empty((x.shape[0], self.out_features), dtype=val.dtype)
        threads = numba.get_num_threads()
        for t0 in range(0, x.shape[0], self.batch_tile):
            xt = np.ascontiguousarray(x[t0 : t0 + self.batch_tile].T)
            yt = np.zeros((self.out_features, xt.shape[1]), dtype=val.dtype)
            if threads > 1 and val.size * xt.shape[1] >= 1 << 20:
                K.csr_blocked_product_par(block_ptr, col, val, xt, yt, 4 * threads)
            else:
                K.csr_blocked_product(block_ptr, col, val, xt, yt, 1)
            out[t0 : t0 + xt.shape[1]] = yt.T
        return torch.from_numpy(out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, self.in_features)
        numba_ok = (
            flat.device.type == "cpu"
            and flat.dtype == self.weight.dtype
            and flat.dtype in (torch.float32, torch.float64)
            and not (torch.is_grad_enabled() and flat.requires_grad)
            and flat.shape[0] > 0
        )
        if numba_ok:
            y = self._cpu_forward(flat)
        else:
            y = torch.sparse.mm(self.weight, flat.T.contiguous()).T
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        nnz = int(self.weight.values().numel())
        return f"in_features={self.in_features}, out_features={self.out_features}, nnz={nnz}"


def _activation(activation: Any) -> Callable[[], nn.Module] | None:
    if activation is None:
        return None
    if isinstance(activation, str):
        check_choice("activation", activation, _ACTIVATIONS)
        return _ACTIVATIONS[activation]
    if callable(activation):
        return activation
    raise TypeError(
        f"activation must be None, one of {', '.join(map(repr, _ACTIVATIONS))} or a "
        f"callable returning a module, got {activation!r}"
    )


def _tensor(values: np.ndarray, dtype, device) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(values), dtype=dtype, device=device)


def _layer(p: Projection, mode: str, dtype, device, generator) -> nn.Module:
    bias = None if p.bias is None else _tensor(p.bias, dtype, device)
    if mode == "csr":
        order = np.lexsort((p.pre, p.post))
        rows = p.post[order]
        crow = np.zeros(p.n_post + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=p.n_post), out=crow[1:])
        values = np.ones(p.n_synapses) if p.weight is None else p.weight[order]
        index = torch.int32 if max(p.n_synapses, p.n_pre) < 2**31 - 1 else torch.int64
        with warnings.catch_warnings():  # torch calls its CSR support "beta"
            warnings.simplefilter("ignore", UserWarning)
            weight = torch.sparse_csr_tensor(
                _tensor(crow, index, device),
                _tensor(p.pre[order], index, device),
                _tensor(values, dtype, device),
                size=(p.n_post, p.n_pre),
                check_invariants=True,
            )
        return CSRLinear(weight, bias)
    mask = _tensor(p.mask(), torch.bool, device)
    layer = MaskedLinear(
        p.n_pre, p.n_post, bias=p.bias is not None, mask=mask, generator=generator,
        device=device, dtype=dtype,
    )  # fmt: skip
    with torch.no_grad():
        if p.weight is not None:
            layer.weight.copy_(_tensor(p.dense_weight(), dtype, device))
        if bias is not None:
            layer.bias.copy_(bias)
    if mode == "mask":
        return layer
    plain = layer.to_linear()
    if mode == "prune":
        nn.utils.prune.custom_from_mask(plain, "weight", mask)
    return plain


def to_torch(
    result: Any,
    *,
    mode: str = "mask",
    activation: Any = "relu",
    names: list[str] | tuple[str, ...] | None = None,
    device: Any = None,
    dtype: Any = torch.float32,
    seed: int | None = None,
) -> nn.Sequential:
    """A feed-forward PyTorch model from a result's projections.

    Parameters
    ----------
    result : xarray.DataTree or path-like
        Any result with a ``connectivity`` group whose projections form one chain (or
        choose them with ``names``).
    mode : {"mask", "prune", "csr", "dense"}
        The form of each layer (module docstring).
    activation : str, callable or None
        Between layers (not after the last): ``"relu"`` (default), ``"tanh"``,
        ``"sigmoid"``, ``"identity"``, a callable returning a module, or None.
    names : sequence of str, optional
        Projections to use, in order (default: all, in feed-forward order).
    device, dtype
        Where and in what precision the parameters live (``"cuda"`` where present).
    seed : int, optional
        Seeds the initial weights of projections that carry no weights (a mask only);
        projections with weights take them, and biases they carry.

    Returns
    -------
    torch.nn.Sequential
        Its linear layers are named after the projections, activations ``act_<i>``.
    """
    check_choice("mode", mode, MODES)
    make_act = _activation(activation)
    chain = projections(result, names)
    generator = None
    if seed is not None:
        generator = torch.Generator(device="cpu").manual_seed(int(seed))
    build_device = "cpu" if generator is not None else device  # generators are per device
    modules: collections.OrderedDict[str, nn.Module] = collections.OrderedDict()
    for i, p in enumerate(chain):
        name = p.name.replace(".", "_")
        modules[name] = _layer(p, mode, dtype, build_device, generator)
        if make_act is not None and i < len(chain) - 1:
            modules[f"act_{i}"] = make_act()
    model = nn.Sequential(modules)
    return model.to(device) if device is not None else model


def _mask_of(module: nn.Module) -> torch.Tensor | None:
    if isinstance(module, MaskedLinear):
        return module.mask
    return getattr(module, "weight_mask", None)


def apply_masks(
    model: nn.Module, result: Any, mapping: Mapping[str, str], *, mode: str = "mask"
) -> nn.Module:
    """Put the masks (and weights, where the result has them) of ``result``'s
    projections on ``model``'s linear layers, by name.

    Parameters
    ----------
    model : torch.nn.Module
    result : xarray.DataTree or path-like
    mapping : mapping of str to str
        Projection name -> the dotted name of a layer of ``model``
        (``model.get_submodule``): an ``nn.Linear`` or a ``MaskedLinear``.
    mode : {"mask", "prune"}
        ``"mask"``: a plain ``nn.Linear`` is replaced by a ``MaskedLinear`` carrying its
        weights; ``"prune"``: ``torch.nn.utils.prune.custom_from_mask`` is applied to
        it (``weight_orig`` + ``weight_mask``). A ``MaskedLinear`` gets ``set_mask``.

    Returns
    -------
    torch.nn.Module
        ``model``, changed in place.

    Raises
    ------
    ValueError
        An unknown projection or layer, or a layer whose ``(out, in)`` is not the
        projection's ``(n_post, n_pre)``.
    """
    check_choice("mode", mode, ("mask", "prune"))
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    chosen = {p.name: p for p in projections(result, list(mapping), chain=False)}
    for proj_name, layer_name in mapping.items():
        p = chosen[proj_name]
        try:
            layer = model.get_submodule(layer_name)
        except AttributeError:
            kinds = nn.Linear | MaskedLinear
            linear = [n for n, m in model.named_modules() if isinstance(m, kinds)]
            raise ValueError(
                f"the model has no layer {layer_name!r}; its linear layers are "
                f"{', '.join(linear) or 'none'}"
            ) from None
        if not isinstance(layer, nn.Linear | MaskedLinear):
            raise ValueError(
                f"layer {layer_name!r} is a {type(layer).__name__}, not a linear layer"
            )
        shape = (layer.out_features, layer.in_features)
        if shape != (p.n_post, p.n_pre):
            raise ValueError(
                f"layer {layer_name!r} is (out, in) = {shape} but projection {proj_name!r} "
                f"is (n_post, n_pre) = {(p.n_post, p.n_pre)}"
            )
        weight = layer.weight
        mask = _tensor(p.mask(), torch.bool, weight.device)
        with torch.no_grad():
            if p.weight is not None:
                weight.copy_(_tensor(p.dense_weight(), weight.dtype, weight.device))
            if p.bias is not None and layer.bias is not None:
                layer.bias.copy_(_tensor(p.bias, weight.dtype, weight.device))
        if isinstance(layer, MaskedLinear):
            layer.set_mask(mask)
        elif mode == "prune":
            nn.utils.prune.custom_from_mask(layer, "weight", mask)
        else:
            masked = MaskedLinear(
                layer.in_features, layer.out_features, bias=layer.bias is not None,
                mask=mask, device=weight.device, dtype=weight.dtype,
            )  # fmt: skip
            with torch.no_grad():
                masked.weight.copy_(weight * mask)
                if layer.bias is not None:
                    masked.bias.copy_(layer.bias)
            parent_name, _, child = layer_name.rpartition(".")
            parent = model.get_submodule(parent_name) if parent_name else model
            setattr(parent, child, masked)
    return model


def from_torch(
    model: nn.Module,
    *,
    layers: list[str] | tuple[str, ...] | None = None,
    source: str = "a PyTorch model",
) -> Any:
    """The linear layers of ``model`` as a result (kind ``bridges.torch_model``).

    Each layer becomes ``connectivity/<name>`` (dots in module names become ``_``):
    COO indices of its synapses -- the mask of a ``MaskedLinear``, the ``weight_mask``
    of a pruned ``nn.Linear``, every entry of a plain one --, the weights under them in
    the layer's dtype, and ``bias`` along ``neuron``. Layers chain in module order:
    ``pre_layer`` is the previous layer's ``post_layer`` (``"input"`` for the first).

    Parameters
    ----------
    model : torch.nn.Module
    layers : sequence of str, optional
        Dotted names of the layers to write, in order (default: every ``nn.Linear``,
        ``MaskedLinear`` and :class:`CSRLinear`, in module order).
    source : str
        What the model follows (the result's ``source``).
    """
    import xarray as xr

    from neurosparse.results import connectivity_from_indices, new_result

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    kinds = (nn.Linear, MaskedLinear, CSRLinear)
    found = dict(model.named_modules())
    if layers is None:
        layers = [n for n, m in found.items() if isinstance(m, kinds)]
    if not layers:
        raise ValueError("the model has no linear layer to write")
    groups: dict[str, xr.Dataset] = {}
    previous = "input"
    for name in layers:
        if name not in found or not isinstance(found[name], kinds):
            linear = [n for n, m in found.items() if isinstance(m, kinds)]
            raise ValueError(
                f"the model has no linear layer {name!r}; it has {', '.join(linear) or 'none'}"
            )
        layer = found[name]
        if isinstance(layer, CSRLinear):
            w = layer.weight.detach().cpu()
            crow, col = w.crow_indices().numpy(), w.col_indices().numpy()
            post = np.repeat(np.arange(layer.out_features), np.diff(crow))
            pre, weight = col, w.values().numpy()
        else:
            mask = _mask_of(layer)
            dense = layer.weight.detach().cpu()
            if isinstance(layer, MaskedLinear):
                dense = layer.effective_weight().detach().cpu()
            post, pre = (
                np.nonzero(mask.detach().cpu().numpy())
                if mask is not None
                else np.indices(tuple(dense.shape)).reshape(2, -1)
            )
            weight = dense.numpy()[post, pre]
        label = name.replace(".", "_")
        node = connectivity_from_indices(
            pre, post, layer.in_features, layer.out_features, weight=weight,
            pre_layer=previous, post_layer=label,
        )  # fmt: skip
        if layer.bias is not None:
            node["bias"] = (
                "neuron",
                layer.bias.detach().cpu().numpy(),
                {"long_name": "bias of each postsynaptic unit"},
            )
        groups[f"connectivity/{label}"] = node
        previous = label
    return new_result(
        "bridges.torch_model",
        params={"layers": [n.replace(".", "_") for n in layers]},
        source=source,
        groups=groups,
    )
