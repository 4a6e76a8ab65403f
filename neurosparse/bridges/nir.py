r"""Connectivity into the Neuromorphic Intermediate Representation (NIR), and back.

`NIR <https://neuroir.org>`_ describes a spiking network as a graph of continuous-time
nodes that simulators and neuromorphic chips (snnTorch, Norse, Lava, Rockpool, Sinabs,
SpiNNaker2, ...) read. This bridge writes a result's projections as one feed-forward
chain and reads such a chain back:

- :func:`to_nir`: a result -> a ``nir.NIRGraph`` (and, with ``path``, an HDF5 file by
  ``nir.write``);
- :func:`from_nir`: a ``nir.NIRGraph`` or a NIR file -> a result (kind
  ``bridges.nir_graph``);
- :func:`simulate`: a NumPy reference run of such a graph in discrete time, to check
  what another engine makes of it.

The graph
---------
``Input`` (named after the first layer) -> for each projection, in feed-forward order, a
weight node named after the projection -> a neuron node named after its postsynaptic
layer -> ... -> ``Output`` (named ``"output"``). Names that would clash get a suffix
(``_w`` for a weight node, ``_lif``/``_if``/``_cubalif`` for a neuron node, ``_node`` for
the Output node, then ``_1``, ``_2``, ...: a last layer called ``"output"`` gives an
Output node ``"output_node"``); the true names travel in the metadata. The last layer has
a neuron node too (the graph's output is spikes) unless ``output_neurons=False``, where
the last weight node feeds ``Output`` directly (its output is the synaptic current).

Weight nodes: NIR has no sparse node, so each projection is a dense ``(out, in)`` =
``(n_post, n_pre)`` matrix, zero where there is no synapse: an ``Affine`` where the
projection has a ``bias`` (or with ``affine=True``, a zero bias), a ``Linear`` otherwise.
The weights keep their dtype (float32 stays float32, float64 stays float64; a projection
without weights is written as ones under the mask, in float32) unless ``dtype`` is given.

The mask travels explicitly, so that a learned zero weight and a missing synapse stay
different: each weight node's ``metadata["neurosparse"]`` holds the projection's COO
indices ``pre`` and ``post`` (int64, in the projection's own order), its name and layers,
and whether it had weights and a bias. ``nir.write`` stores metadata as HDF5 datasets
and ``nir.read`` gives them back, so a round trip result -> graph -> file -> graph ->
result returns the same ``pre``, ``post``, ``weight`` and ``bias`` arrays, bit for bit
and in the same dtypes. A graph from elsewhere, without this metadata, is read with
the mask of its nonzero weights.

Neurons
-------
NIR's neuron nodes are continuous-time ODEs (per neuron, parameters as arrays of the
layer's size, plain floats in SI units: time constants in seconds):

``"LIF"``
    :math:`\tau \dot v = (v_{leak} - v) + r I`; a spike when :math:`v > v_{th}`, then
    :math:`v \leftarrow v_{reset}`.
``"IF"``
    :math:`\dot v = r I`; spike and reset as for LIF.
``"CubaLIF"``
    :math:`\tau_{syn} \dot I_{syn} = -I_{syn} + w_{in} I`,
    :math:`\tau_{mem} \dot v = (v_{leak} - v) + r I_{syn}`; spike and reset as for LIF.

Defaults (chosen to match the brian2 bridge's): :math:`\tau = \tau_{mem} = 20` ms
(``0.02``), :math:`\tau_{syn} = 5` ms (``0.005``), :math:`v_{leak} = 0`,
:math:`v_{th} = 1`, :math:`v_{reset} = 0`, :math:`r = 1`, :math:`w_{in} = 1`.
:func:`from_nir` keeps each neuron node's parameters in ``params/neurons/<layer>``;
:func:`to_nir` reads them back from there when it is not given others.

Discretisation (:func:`simulate`)
---------------------------------
Forward Euler with step :math:`\Delta t`, every state starting at zero, the whole chain
evaluated within one step (no synaptic delay), for step :math:`t`:

.. math::

    I_t &= W x_t + b \quad (\text{Affine; } b = 0 \text{ for Linear}) \\
    \text{LIF:}\quad v &\leftarrow v + \tfrac{\Delta t}{\tau}\,(v_{leak} - v + r I_t) \\
    \text{IF:}\quad v &\leftarrow v + \Delta t\, r I_t \\
    \text{CubaLIF:}\quad I_{syn} &\leftarrow I_{syn}
        + \tfrac{\Delta t}{\tau_{syn}}\,(-I_{syn} + w_{in} I_t), \quad
      v \leftarrow v + \tfrac{\Delta t}{\tau_{mem}}\,(v_{leak} - v + r I_{syn}) \\
    z_t &= [v > v_{th}], \quad v \leftarrow v_{reset} \text{ where } z_t = 1

and :math:`z_t` is the input of the next weight node.

Reading the graph in snnTorch
-----------------------------
``snntorch.import_nir.import_from_nir`` (read in snnTorch 1.0) runs the graph at a fixed
:math:`\Delta t = 10^{-4}` s: a LIF node becomes ``snn.Leaky`` with
:math:`\beta = 1 - \Delta t/\tau`, ``reset_mechanism="zero"`` and the threshold
:math:`v_{th} / (r \Delta t / \tau)`, i.e. ``mem`` is :math:`v` in units of
:math:`r \Delta t / \tau`: :math:`mem \leftarrow \beta\, mem + I_t`, a spike when
:math:`mem > v_{th}\,\tau / (r \Delta t)`, then :math:`mem \leftarrow 0`. That is the
Euler step above at :math:`\Delta t = 10^{-4}` when :math:`v_{leak} = 0`,
:math:`v_{reset} = 0`, and :math:`v_{th}` and :math:`r \Delta t / \tau` are each the
same for every neuron of a layer (snnTorch refuses :math:`v_{leak} \ne 0` and
per-neuron thresholds, and scales by the first neuron's :math:`r \Delta t/\tau`). A
CubaLIF node becomes ``snn.Synaptic`` (:math:`\alpha = 1 - \Delta t/\tau_{syn}`,
threshold :math:`v_{th} / (w_{in} \Delta t / \tau_{syn})`) and needs
:math:`r = \tau_{mem} / \Delta t` (``r=`` of :func:`to_nir`). snnTorch reads an IF node as
a leaky neuron (:math:`\beta = 0.9`, threshold :math:`r\, v_{th}`, reset by
subtraction), which is not NIR's IF: compare IF graphs against :func:`simulate` only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from neurosparse._validation import check_array, check_bool, check_choice, check_real
from neurosparse.bridges._graph import Projection, projections

try:
    import nir
except ImportError as exc:  # pragma: no cover - exercised only without nir
    raise ModuleNotFoundError(
        "neurosparse.bridges.nir needs the NIR package; install it with "
        "`pip install neurosparse[nir]`",
        name="nir",
    ) from exc

__all__ = ["DEFAULTS", "NEURONS", "SUPPORTED_NODES", "from_nir", "simulate", "to_nir"]

#: The neuron models :func:`to_nir` writes, with the parameters of each (NIR's names).
NEURONS: dict[str, tuple[str, ...]] = {
    "LIF": ("tau", "r", "v_leak", "v_threshold", "v_reset"),
    "IF": ("r", "v_threshold", "v_reset"),
    "CubaLIF": ("tau_mem", "tau_syn", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
}

#: Default neuron parameters (SI units: seconds for time constants).
DEFAULTS: dict[str, float] = {
    "tau": 0.02,
    "tau_mem": 0.02,
    "tau_syn": 0.005,
    "r": 1.0,
    "v_leak": 0.0,
    "v_threshold": 1.0,
    "v_reset": 0.0,
    "w_in": 1.0,
}

#: The NIR node types :func:`from_nir` and :func:`simulate` read.
SUPPORTED_NODES = ("Input", "Output", "Affine", "Linear", "LIF", "IF", "CubaLIF")

#: Major versions of the NIR file format this bridge reads.
SUPPORTED_VERSIONS = (1,)

_LONG_NAMES = {
    "tau": ("membrane time constant", "s"),
    "tau_mem": ("membrane time constant", "s"),
    "tau_syn": ("synaptic time constant", "s"),
    "r": ("membrane resistance", None),
    "v_leak": ("leak potential", None),
    "v_threshold": ("firing threshold", None),
    "v_reset": ("reset potential", None),
    "w_in": ("input current weight", None),
}

_KIND = "bridges.nir_graph"
_META = "neurosparse"  # the key of this bridge's metadata in a node's metadata
_META_FORMAT = 1  # the layout of that metadata


# ----------------------------------------------------------------------------- to NIR


def _per_layer(name: str, value: Any, layer: str, n: int) -> np.ndarray | None:
    """``value`` (a number, an array of the layer's size, or a mapping layer -> one of
    those) as a float64 array of size ``n``; None where the mapping lacks the layer."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        if layer not in value:
            return None
        value = value[layer]
        name = f"{name}[{layer!r}]"
    arr = check_array(name, value, ndim=(0, 1), dtype=np.float64)
    if arr.ndim == 1 and arr.shape != (n,):
        raise ValueError(
            f"{name} must be a number or have one value per neuron ({n}), got {arr.shape}"
        )
    return np.array(np.broadcast_to(arr, (n,)), dtype=np.float64)


def _stored_neurons(result: Any) -> dict[str, xr.Dataset]:
    if not isinstance(result, xr.DataTree):
        return {}
    try:
        group = result["params/neurons"]
    except KeyError:
        return {}
    return {name: child.to_dataset() for name, child in group.children.items()}


def _neuron_node(
    model: str, layer: str, n: int, given: dict[str, Any], stored: xr.Dataset | None
) -> nir.NIRNode:
    params: dict[str, np.ndarray] = {}
    for key in NEURONS[model]:
        arg = "tau" if key == "tau_mem" else key
        value = _per_layer(arg, given.get(arg), layer, n)
        if value is None and stored is not None and key in stored:
            value = _per_layer(f"params/neurons/{layer}/{key}", stored[key].values, layer, n)
        if value is None:
            value = np.full(n, DEFAULTS[key], dtype=np.float64)
        if key.startswith("tau") and not np.all(value > 0):
            raise ValueError(f"{arg} of layer {layer!r} must be > 0 s, got {value.min()!r}")
        params[key] = value
    cls = getattr(nir, model)
    return cls(**params, metadata={_META: {"layer": layer}})


def _weight_node(p: Projection, affine: bool, dtype: Any) -> nir.NIRNode:
    if p.weight is None:
        weight = np.zeros((p.n_post, p.n_pre), dtype=np.float32 if dtype is None else dtype)
        weight[p.post, p.pre] = 1
    else:
        if p.weight.dtype.kind != "f":
            raise TypeError(
                f"connectivity/{p.name}: weight must be floating point for NIR, got "
                f"{p.weight.dtype}"
            )
        weight = p.dense_weight(dtype)
    meta = {
        "format": _META_FORMAT,
        "projection": p.name,
        "pre_layer": p.pre_layer,
        "post_layer": p.post_layer,
        "pre": np.ascontiguousarray(p.pre, dtype=np.int64),
        "post": np.ascontiguousarray(p.post, dtype=np.int64),
        "n_pre": p.n_pre,
        "n_post": p.n_post,
        "has_weight": p.weight is not None,
        "has_bias": p.bias is not None,
    }
    if p.bias is None and not affine:
        return nir.Linear(weight=weight, metadata={_META: meta})
    if p.bias is None:
        bias = np.zeros(p.n_post, dtype=weight.dtype)
    else:
        bias = np.array(p.bias, dtype=p.bias.dtype if dtype is None else dtype)
    return nir.Affine(weight=weight, bias=bias, metadata={_META: meta})


def _unique(name: str, taken: set[str], suffix: str) -> str:
    name = name.replace("/", "_")
    out = name if name not in taken else f"{name}_{suffix}"
    i = 1
    while out in taken:
        out = f"{name}_{suffix}_{i}"
        i += 1
    taken.add(out)
    return out


def to_nir(
    result: Any,
    path: str | os.PathLike | None = None,
    *,
    neuron: str | None = None,
    names: list[str] | tuple[str, ...] | None = None,
    tau: Any = None,
    tau_syn: Any = None,
    r: Any = None,
    v_leak: Any = None,
    v_threshold: Any = None,
    v_reset: Any = None,
    output_neurons: bool = True,
    affine: bool = False,
    dtype: Any = None,
) -> nir.NIRGraph:
    r"""A NIR graph of a result's projections: one feed-forward chain of spiking layers.

    ``Input -> weights -> neurons -> ... -> weights -> neurons -> Output`` (module
    docstring, "The graph"): each projection a dense ``Affine`` (where it has a bias) or
    ``Linear`` node of ``(n_post, n_pre)`` weights, each postsynaptic layer a neuron node.
    The mask travels as COO indices in each weight node's ``metadata["neurosparse"]``.

    Parameters
    ----------
    result : xarray.DataTree or path-like
        Any result with a ``connectivity`` group whose projections form one chain (or
        choose them with ``names``).
    path : path-like, optional
        Also write the graph there with ``nir.write`` (HDF5, gzip-compressed; the file
        is written next to it and moved into place, so a failed write leaves no file).
    neuron : {"LIF", "IF", "CubaLIF"}, optional
        The neuron model of every layer. Default: the model stored for the layer in the
        result's ``params/neurons/<layer>`` (as :func:`from_nir` writes it), else
        ``"LIF"``.
    names : sequence of str, optional
        Projections to use, in order (default: all, in feed-forward order).
    tau, tau_syn, r, v_leak, v_threshold, v_reset : float, array or mapping, optional
        Neuron parameters: a number for every neuron, an array with one value per neuron
        of each layer, or a mapping layer name -> number or array (layers it lacks take
        the default). ``tau`` is LIF's :math:`\tau` and CubaLIF's :math:`\tau_{mem}`, in
        seconds, as ``tau_syn``. Where not given: the values stored in the result's
        ``params/neurons/<layer>``, else :data:`DEFAULTS` (:math:`\tau` = 0.02 s,
        :math:`\tau_{syn}` = 0.005 s, :math:`r` = 1, :math:`v_{leak}` = 0,
        :math:`v_{th}` = 1, :math:`v_{reset}` = 0). Written as float64 arrays.
    output_neurons : bool
        Give the last layer a neuron node (default; the graph outputs spikes). With
        False the last weight node feeds ``Output`` (the graph outputs its current).
    affine : bool
        Write every projection as ``Affine``, with a zero bias where it has none (for
        engines that read only ``Affine``); :func:`from_nir` drops that bias again.
    dtype : numpy dtype, optional
        The dtype of weights and biases; default: each projection's own (float32 for a
        projection without weights). A cast breaks the bit-exact round trip.

    Returns
    -------
    nir.NIRGraph
        ``graph.metadata["neurosparse"]`` records the result's kind and source, the
        neuron models and the node of each layer.

    Raises
    ------
    ValueError
        A result without connectivity, projections that are not one chain, an unknown
        neuron model, a parameter that does not apply to the model (``tau`` for IF,
        ``tau_syn`` for LIF), a parameter of the wrong size or a time constant <= 0.
    TypeError
        A result that is neither a DataTree nor a path, or integer weights.
    """
    if neuron is not None:
        check_choice("neuron", neuron, NEURONS)
    output_neurons = check_bool("output_neurons", output_neurons)
    affine = check_bool("affine", affine)
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype must be a floating-point dtype, got {dtype}")
    given = {"tau": tau, "tau_syn": tau_syn, "r": r, "v_leak": v_leak,
             "v_threshold": v_threshold, "v_reset": v_reset}  # fmt: skip
    if isinstance(result, str | os.PathLike):
        from neurosparse.results import load

        result = load(result)
    chain = projections(result, names)
    stored = _stored_neurons(result)

    taken: set[str] = set()
    first = chain[0]
    input_name = _unique(first.pre_layer, taken, "input")
    nodes: dict[str, nir.NIRNode] = {
        input_name: nir.Input(
            input_type={"input": np.array([first.n_pre])},
            metadata={_META: {"layer": first.pre_layer}},
        )
    }
    edges: list[tuple[str, str]] = []
    layers: dict[str, dict[str, str]] = {first.pre_layer: {"node": input_name}}
    models: list[str] = []
    previous = input_name
    for i, p in enumerate(chain):
        w_name = _unique(p.name, taken, "w")
        nodes[w_name] = _weight_node(p, affine, dtype)
        edges.append((previous, w_name))
        previous = w_name
        if i == len(chain) - 1 and not output_neurons:
            layers[p.post_layer] = {"node": w_name}
            continue
        layer_stored = stored.get(p.post_layer)
        model = neuron
        if model is None:
            model = str(layer_stored.attrs.get("model", "LIF")) if layer_stored else "LIF"
            check_choice(f"params/neurons/{p.post_layer} model", model, NEURONS)
        if layer_stored is not None and layer_stored.attrs.get("model") != model:
            layer_stored = None
        for arg, value in given.items():
            key = "tau_mem" if (arg == "tau" and model == "CubaLIF") else arg
            if value is not None and key not in NEURONS[model]:
                raise ValueError(
                    f"{arg} does not apply to {model} neurons; {model} has "
                    f"{', '.join(NEURONS[model])}"
                )
        n_name = _unique(p.post_layer, taken, model.lower())
        nodes[n_name] = _neuron_node(model, p.post_layer, p.n_post, given, layer_stored)
        edges.append((previous, n_name))
        previous = n_name
        layers[p.post_layer] = {"node": n_name, "model": model}
        models.append(model)
    out_name = _unique("output", taken, "node")
    nodes[out_name] = nir.Output(output_type={"output": np.array([chain[-1].n_post])})
    edges.append((previous, out_name))
    attrs = result.attrs if isinstance(result, xr.DataTree) else {}
    meta = {
        "format": _META_FORMAT,
        "kind": str(attrs.get("kind", "")),
        "source": str(attrs.get("source", "")),
        "projections": json.dumps([p.name for p in chain]),
        "layers": json.dumps(layers),
        "neurons": json.dumps(models),
    }
    graph = nir.NIRGraph(nodes=nodes, edges=edges, metadata={_META: meta})
    if path is not None:
        _write(graph, path)
    return graph


def _write(graph: nir.NIRGraph, path: str | os.PathLike) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        nir.write(tmp, graph)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


# --------------------------------------------------------------------------- from NIR


@dataclass
class _Stage:
    """One weight node and the neuron node after it (or None)."""

    weight_name: str
    weight: nir.NIRNode
    neuron_name: str | None
    neuron: nir.NIRNode | None


def _read_file(path: str | os.PathLike) -> tuple[nir.NIRGraph, str]:
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no NIR file at {str(path)!r}")
    try:
        with h5py.File(path, "r") as f:
            if "version" not in f or "node" not in f:
                raise ValueError(
                    f"{str(path)!r} is an HDF5 file but not a NIR graph file (no 'version' "
                    "and 'node' entries)"
                )
            version = f["version"][()]
    except OSError as exc:
        raise ValueError(f"{str(path)!r} is not a NIR file (not HDF5: {exc})") from None
    version = version.decode("utf8") if isinstance(version, bytes) else str(version)
    try:
        major = int(version.split(".")[0])
    except ValueError:
        major = None
    if major not in SUPPORTED_VERSIONS:
        allowed = ", ".join(f"{v}.x" for v in SUPPORTED_VERSIONS)
        raise ValueError(
            f"NIR file {str(path)!r} has version {version!r}, which this bridge does not "
            f"read; supported versions: {allowed} (nir {nir.version} is installed)"
        )
    try:
        graph = nir.read(path)
    except (KeyError, AssertionError, TypeError) as exc:
        raise ValueError(
            f"NIR file {str(path)!r} (version {version}) holds a node nir {nir.version} "
            f"cannot read: {exc!r}; supported nodes: {', '.join(SUPPORTED_NODES)}"
        ) from None
    return graph, version


def _chain(graph: Any) -> tuple[str, nir.Input, list[_Stage], str]:
    """Check that ``graph`` is one chain Input -> (weights -> [neurons])+ -> Output."""
    if not isinstance(graph, nir.NIRGraph):
        raise TypeError(
            f"graph must be a nir.NIRGraph or the path of a NIR file, got {type(graph).__name__}"
        )
    allowed = ", ".join(SUPPORTED_NODES)
    for name, node in graph.nodes.items():
        kind = type(node).__name__
        if kind not in SUPPORTED_NODES:
            raise ValueError(
                f"node {name!r} is a {kind}, which the NIR bridge does not support; it reads "
                f"one chain of {allowed} nodes"
            )
    inputs = [n for n, node in graph.nodes.items() if isinstance(node, nir.Input)]
    outputs = [n for n, node in graph.nodes.items() if isinstance(node, nir.Output)]
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(
            f"the graph has {len(inputs)} Input and {len(outputs)} Output nodes; the NIR "
            "bridge reads a chain with one of each"
        )
    nxt: dict[str, str] = {}
    incoming: dict[str, int] = {}
    for src, dst in graph.edges:
        for end in (src, dst):
            if end not in graph.nodes:
                raise ValueError(f"edge ({src!r}, {dst!r}) names no node {end!r}")
        if src in nxt:
            raise ValueError(
                f"node {src!r} has more than one outgoing edge ({nxt[src]!r}, {dst!r}); the "
                "NIR bridge reads a chain (no branches or recurrence)"
            )
        nxt[src] = dst
        incoming[dst] = incoming.get(dst, 0) + 1
    order = [inputs[0]]
    while order[-1] in nxt and len(order) <= len(graph.nodes):
        order.append(nxt[order[-1]])
    if order[-1] != outputs[0] or len(order) != len(graph.nodes) or max(incoming.values()) > 1:
        raise ValueError(
            "the graph is not one chain from its Input to its Output through every node "
            f"(walk from {inputs[0]!r}: {' -> '.join(order)}); the NIR bridge reads "
            "Input -> Affine/Linear -> LIF/IF/CubaLIF -> ... -> Output"
        )
    stages: list[_Stage] = []
    for name in order[1:-1]:
        node = graph.nodes[name]
        if isinstance(node, nir.Affine | nir.Linear):
            if np.ndim(node.weight) != 2:
                raise ValueError(
                    f"node {name!r}: weight must be 2-D (out, in), got shape "
                    f"{np.shape(node.weight)}"
                )
            stages.append(_Stage(name, node, None, None))
        elif not stages or stages[-1].neuron is not None:
            where = "the Input" if not stages else f"neuron node {stages[-1].neuron_name!r}"
            raise ValueError(
                f"neuron node {name!r} follows {where}; the NIR bridge reads neuron nodes "
                "only after an Affine or Linear node"
            )
        else:
            stages[-1].neuron_name, stages[-1].neuron = name, node
    if not stages:
        raise ValueError("the graph has no Affine or Linear node: no projection to read")
    n_in = int(np.prod(graph.nodes[inputs[0]].input_type["input"]))
    for s in stages:
        n_post, n_pre = np.shape(s.weight.weight)
        if n_pre != n_in:
            raise ValueError(f"node {s.weight_name!r} takes {n_pre} inputs but receives {n_in}")
        if isinstance(s.weight, nir.Affine) and np.shape(s.weight.bias) != (n_post,):
            raise ValueError(
                f"node {s.weight_name!r}: bias must have shape ({n_post},), got "
                f"{np.shape(s.weight.bias)}"
            )
        if s.neuron is not None:
            model = type(s.neuron).__name__
            for key in NEURONS[model]:
                if np.shape(getattr(s.neuron, key)) != (n_post,):
                    raise ValueError(
                        f"node {s.neuron_name!r}: {key} must have shape ({n_post},), got "
                        f"{np.shape(getattr(s.neuron, key))}"
                    )
        n_in = n_post
    return inputs[0], graph.nodes[inputs[0]], stages, outputs[0]


def _meta(node: nir.NIRNode) -> dict[str, Any]:
    meta = getattr(node, "metadata", None)
    if isinstance(meta, dict) and isinstance(meta.get(_META), dict):
        return meta[_META]
    return {}


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf8")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return _text(value.item())
    return str(value)


def _connectivity(s: _Stage, pre_layer: str, post_layer: str, mask: str) -> xr.Dataset:
    from neurosparse.results import connectivity_from_indices

    weight = np.asarray(s.weight.weight)
    n_post, n_pre = weight.shape
    meta = _meta(s.weight)
    if int(meta.get("format", _META_FORMAT)) > _META_FORMAT:
        raise ValueError(
            f"node {s.weight_name!r} carries neurosparse metadata of format {meta['format']}, "
            f"newer than this version reads ({_META_FORMAT}); update neurosparse"
        )
    has_mask = "pre" in meta and "post" in meta
    if mask == "metadata" and not has_mask:
        raise ValueError(
            f"node {s.weight_name!r} carries no mask in its metadata (a graph not written by "
            "neurosparse); use mask='nonzero' to take the nonzero weights as synapses"
        )
    if has_mask and mask != "nonzero":
        pre = np.asarray(meta["pre"], dtype=np.int64).reshape(-1)
        post = np.asarray(meta["post"], dtype=np.int64).reshape(-1)
        if pre.shape != post.shape or (
            pre.size
            and (pre.min() < 0 or pre.max() >= n_pre or post.min() < 0 or post.max() >= n_post)
        ):
            raise ValueError(
                f"node {s.weight_name!r}: the mask in its metadata does not fit its "
                f"{weight.shape} weights"
            )
        under = np.count_nonzero(weight[post, pre])
        if np.count_nonzero(weight) != under:
            raise ValueError(
                f"node {s.weight_name!r} has {np.count_nonzero(weight) - under} nonzero "
                "weights outside the mask in its metadata (weights changed after export?); "
                "use mask='nonzero' to take the nonzero weights as synapses"
            )
    else:
        post, pre = np.nonzero(weight)
    values = weight[post, pre] if bool(meta.get("has_weight", True)) else None
    node = connectivity_from_indices(
        pre, post, n_pre, n_post, weight=values, pre_layer=pre_layer, post_layer=post_layer
    )
    if isinstance(s.weight, nir.Affine) and bool(meta.get("has_bias", True)):
        node["bias"] = (
            "neuron",
            np.asarray(s.weight.bias),
            {"long_name": "bias of each postsynaptic unit"},
        )
    return node


def _neuron_dataset(node: nir.NIRNode, layer: str) -> xr.Dataset:
    model = type(node).__name__
    data = {}
    for key in NEURONS[model]:
        long_name, units = _LONG_NAMES[key]
        attrs = {"long_name": long_name}
        if units:
            attrs["units"] = units
        data[key] = ("neuron", np.asarray(getattr(node, key)), attrs)
    return xr.Dataset(data, attrs={"model": model, "layer": layer})


def from_nir(graph: Any, *, mask: str = "auto") -> xr.DataTree:
    """A result (kind ``bridges.nir_graph``) from a NIR graph or file.

    Parameters
    ----------
    graph : nir.NIRGraph or path-like
        One chain ``Input -> (Affine | Linear) -> [LIF | IF | CubaLIF] -> ... -> Output``
        (a neuron node after a weight node is optional), or the HDF5 file of one (NIR
        file format 1.x).
    mask : {"auto", "metadata", "nonzero"}
        Where the synapses come from. ``"auto"``: the COO mask :func:`to_nir` put in
        each weight node's metadata, else the nonzero weights (a graph from elsewhere:
        a zero weight is then no synapse). ``"metadata"``: the metadata only (an error
        without it). ``"nonzero"``: the nonzero weights, whatever the metadata says.

    Returns
    -------
    xarray.DataTree
        ``connectivity/<projection>`` per weight node: ``pre``, ``post``, ``weight``
        (the node's dtype) along ``synapse``, ``bias`` along ``neuron`` for an ``Affine``
        node; ``params/neurons/<layer>`` per neuron node: its parameters along
        ``neuron`` (attr ``model``). Names: those recorded by :func:`to_nir`, else the
        node names (a projection is named after its weight node; the input layer after
        the Input node; a layer after its neuron node, else after the Output node for
        the last one, else after its weight node).

    Raises
    ------
    ValueError
        A file that is not NIR or of an unsupported version, a node type outside
        :data:`SUPPORTED_NODES` (convolutions, pooling, nested graphs, ...), a graph that
        is not one chain, sizes that disagree, or a mask that does not fit the weights
        (nonzero weights outside it).
    TypeError
        ``graph`` neither a ``nir.NIRGraph`` nor a path.
    """
    from neurosparse.results import new_result

    check_choice("mask", mask, ("auto", "metadata", "nonzero"))
    version = None
    where = "a NIR graph"
    if isinstance(graph, str | os.PathLike):
        where = f"NIR file {os.fspath(graph)}"
        graph, version = _read_file(graph)
    input_name, input_node, stages, output_name = _chain(graph)
    graph_meta = _meta(graph)

    def layer_name(node: nir.NIRNode | None, fallback: str) -> str:
        layer = _meta(node).get("layer") if node is not None else None
        return (_text(layer) if layer is not None else fallback).replace("/", "_")

    previous = layer_name(input_node, input_name)
    groups: dict[str, xr.Dataset] = {}
    models: list[str | None] = []
    for i, s in enumerate(stages):
        meta = _meta(s.weight)
        if s.neuron is not None:
            fallback = s.neuron_name
        elif i == len(stages) - 1:
            fallback = output_name
        else:
            fallback = s.weight_name
        post_layer = _text(meta["post_layer"]) if "post_layer" in meta else fallback
        post_layer = layer_name(s.neuron, post_layer)
        pre_layer = _text(meta["pre_layer"]) if "pre_layer" in meta else previous
        name = _text(meta.get("projection", s.weight_name)).replace("/", "_")
        if f"connectivity/{name}" in groups:
            raise ValueError(f"two weight nodes give projection {name!r}")
        groups[f"connectivity/{name}"] = _connectivity(s, pre_layer, post_layer, mask)
        if s.neuron is not None:
            groups[f"params/neurons/{post_layer}"] = _neuron_dataset(s.neuron, post_layer)
        models.append(None if s.neuron is None else type(s.neuron).__name__)
        previous = post_layer
    source = _text(graph_meta["source"]) if graph_meta.get("source") else where
    params = {
        "projections": [k.split("/", 1)[1] for k in groups if k.startswith("connectivity/")],
        "neurons": models,
        "nir_version": version,
        "mask": mask,
        "from_kind": _text(graph_meta["kind"]) if graph_meta.get("kind") else None,
    }
    return new_result(_KIND, params=params, source=source, groups=groups)


# --------------------------------------------------------------------------- simulate


def simulate(
    graph: Any, inputs: Any, dt: float = 1e-4, *, record: bool = False
) -> np.ndarray | dict[str, np.ndarray]:
    r"""Run a chain of ``Affine``/``Linear`` and ``LIF``/``IF``/``CubaLIF`` nodes in NumPy.

    The reference the other engines are compared with: forward Euler with step
    :math:`\Delta t`, states starting at zero, the whole chain evaluated within each step
    (module docstring, "Discretisation"), in float64:

    .. math::

        I_t = W x_t + b, \quad
        v \leftarrow v + \tfrac{\Delta t}{\tau}(v_{leak} - v + r I_t), \quad
        z_t = [v > v_{th}], \quad v \leftarrow v_{reset} \text{ where } z_t

    for LIF (IF: :math:`v \leftarrow v + \Delta t\, r I_t`; CubaLIF first
    :math:`I_{syn} \leftarrow I_{syn} + \frac{\Delta t}{\tau_{syn}}(-I_{syn} + w_{in}
    I_t)`, then the LIF step with :math:`\tau_{mem}` and :math:`I_{syn}`). At
    :math:`\Delta t = 10^{-4}` s this is what snnTorch's ``import_from_nir`` runs for
    LIF and CubaLIF graphs within its limits (module docstring).

    Parameters
    ----------
    graph : nir.NIRGraph or path-like
        A chain as :func:`from_nir` reads it.
    inputs : array-like, shape (n_steps, n_in) or (n_steps, batch, n_in)
        The input at each step (spikes as 0/1, or any real values).
    dt : float
        The time step, in seconds (snnTorch's import uses ``1e-4``).
    record : bool
        Return every weight and neuron node's output too.

    Returns
    -------
    ndarray, shape (n_steps, [batch,] n_out), or dict of str to ndarray
        What reaches the Output node at each step (spikes as 0.0/1.0 when the last node
        is a neuron node); with ``record``, a dict node name -> output per step, the
        Output node's name included.
    """
    if isinstance(graph, str | os.PathLike):
        graph, _ = _read_file(graph)
    input_name, input_node, stages, output_name = _chain(graph)
    dt = check_real("dt", dt, low=0, low_open=True)
    record = check_bool("record", record)
    x = check_array("inputs", inputs, ndim=(2, 3), dtype=np.float64)
    n_in = int(np.prod(input_node.input_type["input"]))
    if x.shape[-1] != n_in:
        raise ValueError(
            f"inputs must have {n_in} values per step (the size of {input_name!r}), got "
            f"shape {x.shape}"
        )
    batch = x.shape[1:-1]
    traces: dict[str, np.ndarray] = {}
    states = []
    for s in stages:
        n_post = np.shape(s.weight.weight)[0]
        if record:
            traces[s.weight_name] = np.empty((x.shape[0], *batch, n_post))
            if s.neuron is not None:
                traces[s.neuron_name] = np.empty((x.shape[0], *batch, n_post))
        states.append((np.zeros((*batch, n_post)), np.zeros((*batch, n_post))))
    out = np.empty((x.shape[0], *batch, np.shape(stages[-1].weight.weight)[0]))
    weights = []
    for s in stages:
        w = np.asarray(s.weight.weight, dtype=np.float64)
        b = np.asarray(s.weight.bias, dtype=np.float64) if isinstance(s.weight, nir.Affine) else 0.0
        p = {}
        if s.neuron is not None:
            p = {
                k: np.asarray(getattr(s.neuron, k), dtype=np.float64)
                for k in NEURONS[type(s.neuron).__name__]
            }
        weights.append((w, b, p))
    for t in range(x.shape[0]):
        h = x[t]
        for s, (w, b, p), (v, syn) in zip(stages, weights, states, strict=True):
            h = h @ w.T + b
            if record:
                traces[s.weight_name][t] = h
            if s.neuron is None:
                continue
            if isinstance(s.neuron, nir.LIF):
                v += dt / p["tau"] * (p["v_leak"] - v + p["r"] * h)
            elif isinstance(s.neuron, nir.IF):
                v += dt * p["r"] * h
            else:  # CubaLIF
                syn += dt / p["tau_syn"] * (-syn + p["w_in"] * h)
                v += dt / p["tau_mem"] * (p["v_leak"] - v + p["r"] * syn)
            spikes = v > p["v_threshold"]
            v[...] = np.where(spikes, p["v_reset"], v)
            h = spikes.astype(np.float64)
            if record:
                traces[s.neuron_name][t] = h
        out[t] = h
    if record:
        traces[output_name] = out
        return traces
    return out
