"""The NIR bridge: connectivity into NIR graphs and files, read back by us, snnTorch and
nirtorch."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from neurosparse.results import connectivity_from_indices, connectivity_from_mask, new_result
from neurosparse.results import validate as validate_result
from neurosparse.testing import require

nir = require("nir", "nir")

from neurosparse.bridges import from_nir, projections, to_nir  # noqa: E402
from neurosparse.bridges.nir import simulate  # noqa: E402

DT = 1e-4  # the step snnTorch's import_from_nir assumes


def _chain_result(sizes=(20, 15, 5), density=0.4, seed=0, dtype=np.float32, spiking=False):
    """A chain input -> hidden -> output; with ``spiking``, excitatory-leaning weights and
    positive biases large enough for LIF neurons (tau = 5 ms, dt = 0.1 ms) to fire."""
    rng = np.random.default_rng(seed)
    names = ["input", "hidden", "output"]
    groups = {}
    for i in range(len(sizes) - 1):
        mask = rng.random((sizes[i + 1], sizes[i])) < density
        if spiking:
            weight = (rng.uniform(-1, 3, mask.shape) * (5 if i == 0 else 3)).astype(dtype)
            bias = rng.uniform(0, 1, sizes[i + 1]).astype(dtype)
        else:
            weight = rng.standard_normal(mask.shape).astype(dtype)
            bias = rng.standard_normal(sizes[i + 1]).astype(dtype)
        node = connectivity_from_mask(
            mask, weight=weight, pre_layer=names[i], post_layer=names[i + 1]
        )
        node["bias"] = ("neuron", bias, {"long_name": "bias"})
        groups[f"connectivity/layer_{i}"] = node
    return new_result("test.chain", source="test", groups=groups)


def _shuffled(result, seed=1):
    """The same result with each projection's synapses in a random order, one learned
    zero weight, and the second projection without bias."""
    rng = np.random.default_rng(seed)
    out = result.copy()
    for i, name in enumerate(("layer_0", "layer_1")):
        ds = result[f"connectivity/{name}"].to_dataset()
        order = rng.permutation(ds.sizes["synapse"])
        weight = ds["weight"].values[order].copy()
        weight[0] = 0.0
        node = connectivity_from_indices(
            ds["pre"].values[order], ds["post"].values[order], ds.attrs["n_pre"],
            ds.attrs["n_post"], weight=weight, pre_layer=ds.attrs["pre_layer"],
            post_layer=ds.attrs["post_layer"],
        )  # fmt: skip
        if i == 0:
            node["bias"] = ds["bias"]
        out[f"connectivity/{name}"] = xr.DataTree(dataset=node)
    return validate_result(out)


def _assert_same_connectivity(a, b, names=("layer_0", "layer_1")):
    for name in names:
        da = a[f"connectivity/{name}"].to_dataset()
        db = b[f"connectivity/{name}"].to_dataset()
        assert set(da.data_vars) == set(db.data_vars), name
        for var in da.data_vars:
            assert da[var].dtype == db[var].dtype, f"{name}/{var}"
            np.testing.assert_array_equal(da[var].values, db[var].values, err_msg=name)
        for key in ("n_pre", "n_post", "pre_layer", "post_layer"):
            assert da.attrs[key] == db.attrs[key]


def _quiet(call, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()):  # snnTorch's import prints warnings
        return call(*args, **kwargs)


# ------------------------------------------------------------------------ the graph


def test_graph_is_a_chain_of_dense_weights_and_neurons():
    result = _chain_result()
    graph = to_nir(result)
    assert list(graph.nodes) == ["input", "layer_0", "hidden", "layer_1", "output", "output_node"]
    assert graph.edges == [
        ("input", "layer_0"), ("layer_0", "hidden"), ("hidden", "layer_1"),
        ("layer_1", "output"), ("output", "output_node"),
    ]  # fmt: skip
    assert isinstance(graph.nodes["input"], nir.Input)
    assert isinstance(graph.nodes["output_node"], nir.Output)
    for name, p in zip(("layer_0", "layer_1"), projections(result), strict=True):
        node = graph.nodes[name]
        assert isinstance(node, nir.Affine)
        assert node.weight.shape == (p.n_post, p.n_pre) and node.weight.dtype == np.float32
        np.testing.assert_array_equal(node.weight, p.dense_weight())
        np.testing.assert_array_equal(node.bias, p.bias)
    lif = graph.nodes["hidden"]
    assert isinstance(lif, nir.LIF)
    for key, value in {"tau": 0.02, "r": 1.0, "v_leak": 0.0, "v_threshold": 1.0,
                       "v_reset": 0.0}.items():  # fmt: skip
        assert getattr(lif, key).shape == (15,) and getattr(lif, key).dtype == np.float64
        assert np.all(getattr(lif, key) == value), key


def test_neuron_models_parameters_and_options():
    result = _chain_result()
    graph = to_nir(result, neuron="CubaLIF", tau=0.01, v_threshold={"output": 2.0})
    hidden, out = graph.nodes["hidden"], graph.nodes["output"]
    assert isinstance(hidden, nir.CubaLIF)
    assert np.all(hidden.tau_mem == 0.01) and np.all(hidden.tau_syn == 0.005)
    assert np.all(hidden.v_threshold == 1.0) and np.all(out.v_threshold == 2.0)
    graph = to_nir(result, neuron="IF", r={"hidden": np.full(15, 2.0)})
    assert isinstance(graph.nodes["hidden"], nir.IF) and np.all(graph.nodes["hidden"].r == 2)
    assert np.all(graph.nodes["output"].r == 1)
    # without a last neuron node, and every projection Affine
    no_bias = _shuffled(result)
    graph = to_nir(no_bias, output_neurons=False, affine=True)
    assert list(graph.nodes) == ["input", "layer_0", "hidden", "layer_1", "output"]
    assert isinstance(graph.nodes["layer_1"], nir.Affine)
    assert not np.any(graph.nodes["layer_1"].bias)
    back = from_nir(graph)
    assert "bias" not in back["connectivity/layer_1"].dataset
    assert "output" not in back["params/neurons"].children
    _assert_same_connectivity(no_bias, back)


# ------------------------------------------------------------------------ round trips


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trips_are_bit_exact(dtype, tmp_path):
    result = _shuffled(_chain_result(dtype=dtype))
    graph = to_nir(result)
    assert isinstance(graph.nodes["layer_1"], nir.Linear)  # no bias: a Linear node
    back = from_nir(graph)
    validate_result(back)
    _assert_same_connectivity(result, back)
    path = tmp_path / "net.nir"
    to_nir(result, path)
    from_file = from_nir(path)
    _assert_same_connectivity(result, from_file)
    for name in ("layer_0", "layer_1"):
        p = projections(result, [name])[0]
        node = from_file[f"connectivity/{name}"].dataset
        assert node.sizes["synapse"] == int(p.mask().sum())
        assert np.count_nonzero(node["weight"].values == 0) >= 1  # the learned zero stays
        assert graph.nodes[name].weight.dtype == dtype
    # the file, read by nir itself, holds the same graph
    again = nir.read(path)
    for name in ("layer_0", "layer_1"):
        np.testing.assert_array_equal(again.nodes[name].weight, graph.nodes[name].weight)
    # and result -> graph -> result -> graph keeps the neuron parameters
    graph = to_nir(result, neuron="CubaLIF", tau={"hidden": 0.03}, v_reset=-0.5)
    regraph = to_nir(from_nir(graph))
    for name in ("hidden", "output"):
        assert isinstance(regraph.nodes[name], nir.CubaLIF)
        for key in ("tau_mem", "tau_syn", "r", "v_leak", "v_threshold", "v_reset", "w_in"):
            np.testing.assert_array_equal(
                getattr(regraph.nodes[name], key), getattr(graph.nodes[name], key)
            )
    tree = from_nir(graph)
    for var in tree["params/neurons/hidden"].dataset.data_vars.values():
        assert "long_name" in var.attrs


def test_a_mask_without_weights_comes_back_without_weights(tmp_path):
    mask = np.random.default_rng(3).random((6, 8)) < 0.5
    result = new_result(
        "test.mask", source="test",
        groups={"connectivity/c": connectivity_from_mask(mask, pre_layer="a", post_layer="b")},
    )  # fmt: skip
    graph = to_nir(result, tmp_path / "m.nir")
    np.testing.assert_array_equal(graph.nodes["c"].weight, mask.astype(np.float32))
    back = from_nir(tmp_path / "m.nir")
    assert "weight" not in back["connectivity/c"].dataset
    np.testing.assert_array_equal(projections(back)[0].mask(), mask)


def test_a_graph_from_elsewhere_takes_the_nonzero_weights_and_node_names():
    rng = np.random.default_rng(4)
    w1 = np.where(rng.random((4, 6)) < 0.5, rng.standard_normal((4, 6)), 0).astype(np.float32)
    w2 = rng.standard_normal((3, 4)).astype(np.float32)
    n = 4
    graph = nir.NIRGraph(
        nodes={
            "x": nir.Input(input_type={"input": np.array([6])}),
            "fc1": nir.Linear(weight=w1),
            "lif1": nir.LIF(
                tau=np.full(n, 0.01), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n)
            ),
            "fc2": nir.Affine(weight=w2, bias=np.zeros(3, np.float32)),
            "y": nir.Output(output_type={"output": np.array([3])}),
        },
        edges=[("x", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "y")],
    )
    back = from_nir(graph)
    first, second = projections(back)
    assert (first.name, first.pre_layer, first.post_layer) == ("fc1", "x", "lif1")
    assert (second.name, second.pre_layer, second.post_layer) == ("fc2", "lif1", "y")
    assert first.n_synapses == np.count_nonzero(w1)
    np.testing.assert_array_equal(first.dense_weight(), w1)
    assert back["params/neurons/lif1"].attrs["model"] == "LIF"
    with pytest.raises(ValueError, match="carries no mask in its metadata"):
        from_nir(graph, mask="metadata")


def test_simulate_follows_the_documented_euler_steps():
    one = np.ones((1, 1), dtype=np.float32)
    graph = nir.NIRGraph.from_list(
        nir.Linear(weight=one), nir.IF(r=np.ones(1), v_threshold=np.ones(1))
    )
    # v += dt r I: 0.25, 0.5, 0.75, 1.0 (not > 1), 1.25 -> spike and reset, ...
    spikes = simulate(graph, np.ones((10, 1)), dt=0.25)[:, 0]
    np.testing.assert_array_equal(np.flatnonzero(spikes), [4, 9])
    lif = nir.LIF(
        tau=np.full(1, 0.5), r=np.full(1, 2.0), v_leak=np.full(1, 0.1), v_threshold=np.full(1, 0.5)
    )
    graph = nir.NIRGraph.from_list(nir.Linear(weight=one), lif)
    # v += dt/tau (v_leak - v + r I): 0.42, 0.42 + 0.2 (0.1 - 0.42 + 2) = 0.756 > 0.5 -> spike,
    # reset to 0, then 0.42 and 0.756 again
    trace = simulate(graph, np.ones((4, 1)), dt=0.1, record=True)
    np.testing.assert_array_equal(trace["lif"][:, 0], [0, 1, 0, 1])
    np.testing.assert_array_equal(trace["output"], trace["lif"])
    np.testing.assert_array_equal(trace["linear"][:, 0], [1, 1, 1, 1])


# ------------------------------------------------------------- clients we did not write


def test_snntorch_and_nirtorch_load_the_file_bit_for_bit(tmp_path):
    torch = require("torch", "torch")
    nirtorch = require("nirtorch", "nir")
    import_nir = require("snntorch.import_nir", "test")
    result = _chain_result(spiking=True)
    path = tmp_path / "net.nir"
    to_nir(result, path, tau=0.005)
    graph = nir.read(path)
    chain = projections(result)

    net = _quiet(import_nir.import_from_nir, graph)
    for p in chain:
        layer = net.get_submodule(p.name)
        assert layer.weight.dtype == torch.float32
        np.testing.assert_array_equal(layer.weight.detach().numpy(), p.dense_weight())
        np.testing.assert_array_equal(layer.bias.detach().numpy(), p.bias)

    class EulerLIF(torch.nn.Module):
        """The bridge's forward-Euler LIF step, as a stateful module for nirtorch."""

        def __init__(self, node):
            super().__init__()
            for key in ("tau", "r", "v_leak", "v_threshold", "v_reset"):
                self.register_buffer(key, torch.from_numpy(getattr(node, key)))

        def forward(self, x, state=None):
            v = torch.zeros_like(x) if state is None else state
            v = v + DT / self.tau * (self.v_leak - v + self.r * x)
            z = v > self.v_threshold
            return z.to(x.dtype), torch.where(z, self.v_reset, v)

    def linear(node, bias):
        layer = torch.nn.Linear(node.weight.shape[1], node.weight.shape[0], bias=bias)
        layer.weight.data = torch.from_numpy(node.weight)
        if bias:
            layer.bias.data = torch.from_numpy(node.bias)
        return layer

    node_map = {
        nir.Affine: lambda node: linear(node, True),
        nir.Linear: lambda node: linear(node, False),
        nir.LIF: EulerLIF,
    }
    loaded = nirtorch.nir_to_torch(path, node_map)
    for p in chain:
        layer = loaded.get_submodule(p.name)
        np.testing.assert_array_equal(layer.weight.detach().numpy(), p.dense_weight())
        np.testing.assert_array_equal(layer.bias.detach().numpy(), p.bias)
    # run in float64, nirtorch's wiring gives our simulation's spikes step for step
    run64 = nirtorch.nir_to_torch(graph, node_map, dtype=torch.float64)
    x = (np.random.default_rng(5).random((100, 1, 20)) < 0.3).astype(np.float64)
    state, out = None, []
    with torch.no_grad():
        for step in x:
            y, state = run64(torch.from_numpy(step), state)
            out.append(y.numpy())
    np.testing.assert_array_equal(np.array(out), simulate(graph, x, DT))


def _snntorch_run(graph, x):
    """Spikes of the hidden and output layers of snnTorch's import, step by step."""
    import torch
    from snntorch.import_nir import import_from_nir

    net = _quiet(import_from_nir, graph)
    hidden = []
    net.get_submodule("hidden").register_forward_hook(
        lambda module, args, out: hidden.append(out.detach().numpy().copy())
    )
    out, state = [], None
    with torch.no_grad():
        for step in x.astype(np.float32):
            y, state = net(torch.from_numpy(step), state)
            out.append(y.numpy().copy())
    return np.array(hidden), np.array(out)


@pytest.mark.parametrize(
    "neuron, params",
    [
        ("LIF", {"tau": 0.005}),
        # snnTorch's CubaLIF import needs r = tau_mem / dt
        ("CubaLIF", {"tau": 0.005, "tau_syn": 0.002, "r": 0.005 / DT, "v_threshold": 40.0}),
    ],
)
def test_snntorch_spike_counts_agree_with_our_simulation(neuron, params, tmp_path):
    require("snntorch", "test")
    result = _chain_result(spiking=True)
    path = tmp_path / "net.nir"
    to_nir(result, path, neuron=neuron, **params)
    graph = nir.read(path)
    x = (np.random.default_rng(6).random((100, 1, 20)) < 0.3).astype(np.float64)
    ours = simulate(graph, x, DT, record=True)
    hidden, out = _snntorch_run(graph, x)
    counts = ours["hidden"].sum(axis=(0, 1)), ours["output_node"].sum(axis=(0, 1))
    assert np.all(counts[0] > 0) and np.any(counts[1] > 0)  # the network does spike
    assert np.all(counts[0] < 100) and np.all(counts[1] < 100)  # without saturating
    np.testing.assert_array_equal(hidden.sum(axis=(0, 1)), counts[0])
    np.testing.assert_array_equal(out.sum(axis=(0, 1)), counts[1])
    np.testing.assert_array_equal(out, ours["output_node"])  # and step for step


# ------------------------------------------------------------------------- bad input


def test_bad_input_is_named(tmp_path):
    import h5py

    result = _chain_result()
    with pytest.raises(ValueError, match="has no connectivity"):
        to_nir(new_result("test.empty", source="x"))
    with pytest.raises(ValueError, match="neuron must be one of 'LIF', 'IF', 'CubaLIF'"):
        to_nir(result, neuron="Izhikevich")
    with pytest.raises(ValueError, match="tau does not apply to IF neurons"):
        to_nir(result, neuron="IF", tau=0.01)
    with pytest.raises(ValueError, match="tau of layer 'hidden' must be > 0"):
        to_nir(result, tau={"hidden": 0.0})
    with pytest.raises(ValueError, match=r"one value per neuron \(15\)"):
        to_nir(result, v_threshold={"hidden": np.ones(3)})
    with pytest.raises(TypeError, match="result must be a DataTree or a path"):
        to_nir(42)

    graph = to_nir(result)
    scaled = nir.NIRGraph(
        nodes={**graph.nodes, "scale": nir.Scale(scale=np.ones(15))},
        edges=[("input", "layer_0"), ("layer_0", "scale"), ("scale", "hidden"),
               *graph.edges[2:]],
    )  # fmt: skip
    with pytest.raises(ValueError, match="node 'scale' is a Scale, which the NIR bridge "
                                         "does not support.*Affine, Linear, LIF"):  # fmt: skip
        from_nir(scaled)
    branched = nir.NIRGraph(
        nodes=dict(graph.nodes), edges=[*graph.edges, ("layer_0", "output")], type_check=False
    )
    with pytest.raises(ValueError, match="more than one outgoing edge"):
        from_nir(branched)
    twice = nir.NIRGraph(
        nodes={**graph.nodes, "again": nir.LIF(**{k: np.ones(15) for k in
                                                 ("tau", "r", "v_leak", "v_threshold")})},
        edges=[("input", "layer_0"), ("layer_0", "hidden"), ("hidden", "again"),
               ("again", "layer_1"), *graph.edges[3:]],
    )  # fmt: skip
    with pytest.raises(ValueError, match="neuron node 'again' follows neuron node 'hidden'"):
        from_nir(twice)
    with pytest.raises(TypeError, match="graph must be a nir.NIRGraph or the path"):
        from_nir({"nodes": {}})
    with pytest.raises(ValueError, match="mask must be one of"):
        from_nir(graph, mask="dense")

    stale = to_nir(result)
    stale.nodes["layer_0"].weight[~projections(result)[0].mask()] = 1.0
    with pytest.raises(ValueError, match="nonzero weights outside the mask"):
        from_nir(stale)
    assert from_nir(stale, mask="nonzero")["connectivity/layer_0"].sizes["synapse"] == 300

    path = tmp_path / "net.nir"
    to_nir(result, path)
    with h5py.File(path, "r+") as f:
        del f["version"]
        f.create_dataset("version", data="9.0.0", dtype=h5py.string_dtype())
    with pytest.raises(ValueError, match="has version '9.0.0'.*supported versions: 1.x"):
        from_nir(path)
    text = tmp_path / "notes.nir"
    text.write_text("not a graph")
    with pytest.raises(ValueError, match="is not a NIR file"):
        from_nir(text)
    with pytest.raises(FileNotFoundError, match="no NIR file"):
        from_nir(tmp_path / "missing.nir")
    with pytest.raises(ValueError, match="inputs must have 20 values per step"):
        simulate(graph, np.zeros((3, 7)))


def test_the_package_imports_without_nir():
    code = (
        "import sys; sys.modules['nir'] = None\n"
        "import neurosparse, neurosparse.bridges\n"
        "try:\n"
        "    neurosparse.bridges.to_nir\n"
        "except ModuleNotFoundError as exc:\n"
        "    assert 'pip install neurosparse[nir]' in str(exc), exc\n"
        "else:\n"
        "    raise SystemExit('to_nir loaded without nir')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
