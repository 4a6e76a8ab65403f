"""The brian2 bridge: connectivity from any result into a brian2 network, spikes back."""

from __future__ import annotations

import json
import tracemalloc

import brian2 as b2
import numpy as np
import pytest
import xarray as xr
from brian2 import Hz, ms, second

from neurosparse.bridges import to_brian2
from neurosparse.results import (
    connectivity_from_indices,
    connectivity_from_mask,
    load,
    new_result,
    save,
    spikes_from_dataset,
    validate,
)


def _chain_result(
    sizes=(20, 15, 10), density=0.4, seed=0, dtype=np.float32, bias=False, dense=False
):
    rng = np.random.default_rng(seed)
    names = ["input", "hidden", "output"]
    groups = {}
    for i in range(len(sizes) - 1):
        mask = rng.random((sizes[i + 1], sizes[i])) < density
        weight = (0.6 * rng.random(mask.shape)).astype(dtype)
        node = connectivity_from_mask(
            mask, weight=weight, pre_layer=names[i], post_layer=names[i + 1], dense=dense
        )
        if bias:
            node["bias"] = ("neuron", np.full(sizes[i + 1], 0.5), {"long_name": "bias"})
        groups[f"connectivity/layer_{i}"] = node
    return new_result("test.chain", source="test", groups=groups)


_SPIKES = (np.array([0, 3, 5, 7, 0, 11, 19, 2, 3]), np.array([1, 1, 2, 3, 4, 6, 8, 9, 9.5]) * ms)


def _by_hand(result, duration, *, spikes=None, rates=None, seed=None):
    """The same network as the bridge's, written in plain brian2 (no neurosparse code
    beyond reading the arrays out of the result)."""
    b2.prefs.codegen.target = "numpy"
    nodes = [result[f"connectivity/layer_{i}"].to_dataset() for i in range(2)]
    n_in = nodes[0].attrs["n_pre"]
    if spikes is not None:
        inp = b2.SpikeGeneratorGroup(n_in, spikes[0], spikes[1], dt=0.1 * ms)
    else:
        inp = b2.PoissonGroup(n_in, rates, dt=0.1 * ms)
    groups, objects, monitors = [inp], [inp], []
    for ds in nodes:
        lif = b2.NeuronGroup(
            ds.attrs["n_post"],
            "dv/dt = (0 - v)/(20*ms) : 1 (unless refractory)",
            threshold="v > 1",
            reset="v = 0",
            refractory=2 * ms,
            method="exact",
            dt=0.1 * ms,
        )
        syn = b2.Synapses(groups[-1], lif, "w : 1", on_pre="v_post += w", dt=0.1 * ms)
        syn.connect(i=ds["pre"].values, j=ds["post"].values)
        syn.w = ds["weight"].values
        mon = b2.SpikeMonitor(lif)
        groups.append(lif)
        monitors.append(mon)
        objects += [lif, syn, mon]
    net = b2.Network(*objects)
    b2.seed(seed)
    net.run(duration)
    return [(np.asarray(m.i[:]), np.asarray(m.t_[:])) for m in monitors]


def _events(out, layer):
    neuron, time = spikes_from_dataset(out[f"activity/spikes/{layer}"])
    return neuron, time


def _sorted(neuron, time):
    order = np.lexsort((neuron, time))
    return neuron[order], time[order]


@pytest.mark.parametrize("input_kind", ["spikes", "poisson"])
def test_spikes_equal_a_hand_written_brian2_network(input_kind):
    if input_kind == "spikes":  # dense enough for the few input spikes to reach the output
        result = _chain_result(sizes=(20, 15, 10), density=0.8, dtype=np.float64)
        kwargs = {"spikes": _SPIKES}
    else:
        result = _chain_result(sizes=(20, 15, 10), dtype=np.float64)
        kwargs = {"rates": 80 * Hz, "seed": 7}
    out = to_brian2(result, input=input_kind).run(30 * ms, **kwargs)
    hand = _by_hand(result, 30 * ms, **kwargs)
    total = 0
    for layer, (i_hand, t_hand) in zip(["hidden", "output"], hand):
        i_b, t_b = _events(out, layer)
        i_h, t_h = _sorted(i_hand, t_hand)
        np.testing.assert_array_equal(i_b, i_h)
        np.testing.assert_array_equal(t_b, t_h)  # times to the bit
        total += i_b.size
    assert total > 0, "the comparison needs spikes"
    assert out.attrs["target"] == "numpy"


def test_synapses_and_weights_are_the_results():
    result = _chain_result(dtype=np.float32, dense=True)  # dense mask nodes
    net = to_brian2(result)
    for name in ("layer_0", "layer_1"):
        ds = result[f"connectivity/{name}"].to_dataset()
        syn = net.synapses[name]
        mask = ds["mask"].values
        assert len(syn) == int(np.count_nonzero(mask))
        pre, post = np.asarray(syn.i[:]), np.asarray(syn.j[:])
        assert np.all(mask[post, pre])
        expected = ds["weight"].values[post, pre].astype(np.float64)
        np.testing.assert_array_equal(np.asarray(syn.w[:]), expected)  # bit for bit
    scaled = to_brian2(result, weight_scale=2.0).synapses["layer_0"]
    ds = result["connectivity/layer_0"].to_dataset()
    w = ds["weight"].values[np.asarray(scaled.j[:]), np.asarray(scaled.i[:])]
    np.testing.assert_array_equal(np.asarray(scaled.w[:]), 2.0 * w.astype(np.float64))


def test_projection_without_weights_uses_the_scale():
    node = connectivity_from_indices([0, 1, 2], [1, 1, 0], 3, 2, pre_layer="in", post_layer="out")
    result = new_result("test.coo", source="t", groups={"connectivity/p": node})
    syn = to_brian2(result, weight_scale=1.5).synapses["p"]
    np.testing.assert_array_equal(np.asarray(syn.w[:]), [1.5, 1.5, 1.5])


def test_result_is_valid_and_round_trips(tmp_path):
    result = _chain_result(bias=True)
    net = to_brian2(
        result, input="poisson", record_input=True, layer_params={"output": {"tau": 10 * ms}}
    )
    out = net.run(20 * ms, rates=100 * Hz, seed=3)
    validate(out)
    assert out.attrs["kind"] == "bridges.brian2_run"
    assert out.attrs["seed"] == 3
    assert out.attrs["engine"].startswith("brian2")
    assert set(out["activity/spikes"].children) == {"input", "hidden", "output"}
    path = tmp_path / "run.nc"
    save(out, path)
    back = load(path)
    for layer in ("input", "hidden", "output"):
        for a, b in zip(_events(out, layer), _events(back, layer)):
            np.testing.assert_array_equal(a, b)

    params = json.loads(back.attrs["params"])
    assert params["neuron_params_s"]["output"]["tau"] == pytest.approx(0.01)
    assert params["target"] == "numpy" and params["brian2_seed"] == 3


def test_silent_layers_give_empty_spike_nodes():
    out = to_brian2(_chain_result()).run(5 * ms, spikes=(np.array([0]), np.array([1.0]) * ms))
    validate(out)
    assert out["activity/spikes/output"].sizes["spike"] == 0


def test_poisson_seed_repeats_and_another_seed_differs():
    net = to_brian2(_chain_result(), input="poisson")
    a = net.run(20 * ms, rates=100 * Hz, seed=1)
    b = net.run(20 * ms, rates=100 * Hz, seed=1)
    c = net.run(20 * ms, rates=100 * Hz, seed=2)
    d = to_brian2(_chain_result(), input="poisson").run(
        20 * ms, rates=100 * Hz, seed=np.random.default_rng(1)
    )
    assert d.attrs["seed"].startswith("Generator")
    for x, y in zip(_events(a, "hidden"), _events(b, "hidden")):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(_events(a, "hidden")[1], _events(c, "hidden")[1])
    # the input form can change between runs
    e = net.run(5 * ms, spikes=_SPIKES)
    validate(e)
    assert net.input == "spikes"


def test_bad_input_is_named():
    result = _chain_result()
    with pytest.raises(ValueError, match="has no connectivity"):
        to_brian2(new_result("test.empty", source="x"))
    with pytest.raises(ValueError, match="target must be one of 'numpy', 'cython'.*got 'gpu'"):
        to_brian2(result, target="gpu")
    with pytest.raises(ValueError, match="input must be one of"):
        to_brian2(result, input="current")
    with pytest.raises(TypeError, match="tau must be a brian2 time quantity"):
        to_brian2(result, tau=0.02)
    with pytest.raises(ValueError, match="tau must be a time > 0"):
        to_brian2(result, tau=-1 * ms)
    with pytest.raises(ValueError, match="layer_params names layer 'nope'.*'hidden', 'output'"):
        to_brian2(result, layer_params={"nope": {"tau": 5 * ms}})
    with pytest.raises(ValueError, match="unknown neuron parameter 'gain'"):
        to_brian2(result, layer_params={"hidden": {"gain": 2}})
    with pytest.raises(ValueError, match="do not follow each other"):
        to_brian2(result, names=["layer_1", "layer_0"])
    # indices out of range are refused where the connectivity is made
    with pytest.raises(ValueError, match=r"pre indices must lie in \[0, 3\)"):
        connectivity_from_indices([0, 5], [0, 0], 3, 1)
    # a layer size that disagrees along the chain
    a = connectivity_from_indices([0], [0], 2, 3, pre_layer="in", post_layer="mid")
    b = connectivity_from_indices([0], [0], 4, 1, pre_layer="mid", post_layer="out")
    bad = new_result("test.bad", source="x", groups={"connectivity/a": a, "connectivity/b": b})
    with pytest.raises(ValueError, match="layer 'mid' has 3 units.*but 4"):
        to_brian2(bad)
    net = to_brian2(result)
    with pytest.raises(ValueError, match="duration must be a time >= 0, got -5"):
        net.run(-5 * ms, spikes=_SPIKES)
    with pytest.raises(TypeError, match="duration must be a brian2 time quantity"):
        net.run(1.0, spikes=_SPIKES)
    with pytest.raises(ValueError, match="exactly one of spikes=.*got neither"):
        net.run(5 * ms)
    with pytest.raises(ValueError, match="exactly one of spikes=.*got both"):
        net.run(5 * ms, spikes=_SPIKES, rates=10 * Hz)
    with pytest.raises(ValueError, match=r"spikes indices must lie in \[0, 20\).*got \[0, 20\]"):
        net.run(5 * ms, spikes=(np.array([0, 20]), np.array([1, 2]) * ms))
    with pytest.raises(ValueError, match="same length, got 2 and 1"):
        net.run(5 * ms, spikes=(np.array([0, 1]), np.array([1]) * ms))
    with pytest.raises(TypeError, match="spikes times must be a brian2 time quantity"):
        net.run(5 * ms, spikes=(np.array([0]), np.array([0.001])))
    with pytest.raises(ValueError, match=r"one rate or one per input unit \(20"):
        net.run(5 * ms, rates=np.ones(7) * Hz)
    with pytest.raises(ValueError, match="rates must be finite and >= 0"):
        net.run(5 * ms, rates=-1 * Hz)
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*32\), got -1"):
        net.run(5 * ms, spikes=_SPIKES, seed=-1)


def test_numpy_target_makes_no_dense_array():
    n, density = 4096, 0.05
    rng = np.random.default_rng(0)
    flat = rng.choice(n * n, size=round(density * n * n), replace=False)
    post, pre = np.divmod(flat, n)
    node = connectivity_from_indices(
        pre, post, n, n, weight=rng.random(pre.size), pre_layer="in", post_layer="out"
    )
    result = new_result("test.big", source="t", groups={"connectivity/p": node})
    del flat, post, pre
    tracemalloc.start()
    try:
        net = to_brian2(result)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(net.synapses["p"]) == node.sizes["synapse"]
    # one dense n x n float64 array would be 128 MiB; even a bool one 16 MiB per copy
    assert peak < n * n * 8 / 2, f"peak {peak / 2**20:.0f} MiB"


def test_unavailable_target_falls_back_or_raises(monkeypatch):
    import neurosparse.bridges.brian2 as bridge

    monkeypatch.setattr(bridge, "_cpp_compiler", lambda: "no C++ compiler (test)")
    with pytest.warns(RuntimeWarning, match="'cython' cannot be used here.*no C\\+\\+ compiler"):
        net = to_brian2(_chain_result(), target="cython")
    assert net.target == "numpy" and net.requested_target == "cython"
    out = net.run(5 * ms, spikes=_SPIKES)
    assert out.attrs["target"] == "numpy"
    with pytest.raises(RuntimeError, match="'cpp_standalone' cannot be used here"):
        to_brian2(_chain_result(), target="cpp_standalone", on_unavailable="raise")


@pytest.mark.slow
def test_cython_target_equals_numpy():
    result = _chain_result()
    ref = to_brian2(result).run(20 * ms, spikes=_SPIKES)
    out = to_brian2(result, target="cython").run(20 * ms, spikes=_SPIKES)
    assert out.attrs["target"] == "cython"
    for layer in ("hidden", "output"):
        i_r, t_r = _events(ref, layer)
        i_o, t_o = _events(out, layer)
        np.testing.assert_array_equal(i_r, i_o)
        np.testing.assert_allclose(t_r, t_o, rtol=0, atol=1e-12)


@pytest.mark.slow
def test_cpp_standalone_reuses_its_build(tmp_path):
    from brian2.devices.device import RuntimeDevice, get_device

    result = _chain_result(density=0.8)
    ref = to_brian2(result).run(20 * ms, spikes=_SPIKES)
    net = to_brian2(result, target="cpp_standalone", directory=tmp_path / "cpp")
    out = net.run(20 * ms, spikes=_SPIKES)
    assert isinstance(get_device(), RuntimeDevice), "the standalone device must be put back"
    assert out.attrs["target"] == "cpp_standalone"
    for layer in ("hidden", "output"):
        i_r, t_r = _events(ref, layer)
        i_o, t_o = _events(out, layer)
        np.testing.assert_array_equal(i_r, i_o)
        np.testing.assert_allclose(t_r, t_o, rtol=0, atol=1e-12)
    p1 = net.run(20 * ms, rates=100 * Hz, seed=4)  # a new build (input form, seed)
    key = net._build_key
    p2 = net.run(20 * ms, rates=100 * Hz, seed=4)  # reused: same binary, run_args
    p3 = net.run(20 * ms, rates=300 * Hz, seed=4)
    assert net._build_key == key
    np.testing.assert_array_equal(_events(p1, "hidden")[1], _events(p2, "hidden")[1])
    assert _events(p3, "hidden")[0].size > _events(p1, "hidden")[0].size
    assert isinstance(get_device(), RuntimeDevice)
    # the runtime device still works for other code
    assert to_brian2(result).run(1 * ms, spikes=_SPIKES).attrs["target"] == "numpy"
    assert float(out["activity/spikes/output"].attrs["duration"]) == float(20 * ms / second)


# ------------------------------------------------------------ input_synapse="sigma"
def _sigma_by_hand(result, duration, spikes, *, bias=False, reset="v = 0"):
    """The bridge's sigma-delta network written in plain brian2: the first LIF layer
    integrates a persistent current I that each input event moves by its weight."""
    b2.prefs.codegen.target = "numpy"
    nodes = [result[f"connectivity/layer_{i}"].to_dataset() for i in range(2)]
    inp = b2.SpikeGeneratorGroup(nodes[0].attrs["n_pre"], spikes[0], spikes[1], dt=0.1 * ms)
    eqs = ["dv/dt = (0 - v + I + bias)/(20*ms) : 1 (unless refractory)\nI : 1\nbias : 1",
           "dv/dt = (0 - v + bias)/(20*ms) : 1 (unless refractory)\nbias : 1"]  # fmt: skip
    rules = ["I_post += w", "v_post += w"]
    groups, objects, monitors = [inp], [inp], []
    for ds, eq, rule in zip(nodes, eqs, rules):
        lif = b2.NeuronGroup(ds.attrs["n_post"], eq, threshold="v > 1", reset=reset,
                             refractory=2 * ms, method="exact", dt=0.1 * ms)  # fmt: skip
        lif.bias = ds["bias"].values if bias else 0.0
        syn = b2.Synapses(groups[-1], lif, "w : 1", on_pre=rule, dt=0.1 * ms)
        syn.connect(i=ds["pre"].values, j=ds["post"].values)
        syn.w = ds["weight"].values
        mon = b2.SpikeMonitor(lif)
        groups.append(lif)
        monitors.append(mon)
        objects += [lif, syn, mon]
    net = b2.Network(*objects)
    net.run(duration)
    return [(np.asarray(m.i[:]), np.asarray(m.t_[:])) for m in monitors], groups[1]


def _signed_result(bias=False):
    """A chain whose first projection has weights of both signs (ON/OFF style)."""
    result = _chain_result(sizes=(20, 15, 10), density=0.8, dtype=np.float64, bias=bias)
    node = result["connectivity/layer_0"].to_dataset()
    sign = np.where(np.arange(node.sizes["synapse"]) % 3 == 0, -1.0, 1.0)
    node["weight"] = node["weight"] * sign * 2.0
    result["connectivity/layer_0"] = xr.DataTree(dataset=node)
    return validate(result)


_MANY = (
    np.array([0, 3, 5, 7, 0, 11, 19, 2, 3, 4, 6, 8, 9, 12, 13, 0, 1, 14, 15, 16, 17, 18]),
    np.array([1, 1, 2, 3, 4, 6, 8, 9, 9.5, 10, 10, 11, 12, 12, 13, 14, 15, 16, 17, 18, 19, 20])
    * ms,
)


@pytest.mark.parametrize(("bias", "rule"), [(False, "set"), (True, "set"), (True, "subtract")])
def test_sigma_synapse_equals_a_hand_written_brian2_network(bias, rule):
    result = _signed_result(bias=bias)
    net = to_brian2(result, input_synapse="sigma", reset_rule=rule)
    out = net.run(40 * ms, spikes=_MANY)
    reset = "v = 0" if rule == "set" else "v -= 1 - 0"
    hand, hand_first = _sigma_by_hand(result, 40 * ms, _MANY, bias=bias, reset=reset)
    total = 0
    for layer, (i_hand, t_hand) in zip(["hidden", "output"], hand):
        i_b, t_b = _events(out, layer)
        i_h, t_h = _sorted(i_hand, t_hand)
        np.testing.assert_array_equal(i_b, i_h)
        np.testing.assert_array_equal(t_b, t_h)  # times to the bit
        total += i_b.size
    assert total > 0, "the comparison needs spikes"
    # the current is the weighted sum of every event received (no decay)
    ds = result["connectivity/layer_0"].to_dataset()
    w = np.zeros((ds.attrs["n_post"], ds.attrs["n_pre"]))
    w[ds["post"].values, ds["pre"].values] = ds["weight"].values
    events = np.bincount(_MANY[0], minlength=ds.attrs["n_pre"])
    current = np.asarray(net.groups["hidden"].I[:])
    np.testing.assert_allclose(current, w @ events, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(current, np.asarray(hand_first.I[:]))

    params = json.loads(out.attrs["params"])
    assert params["input_synapse"] == "sigma" and params["input_on_pre"] == "I_post += w"
    assert "I : 1" in params["input_layer_model"]
    # later projections stay pulses; the default is a pulse everywhere
    assert net.synapses["layer_1"].pre.code.strip() == "v_post += w"
    assert net.synapses["layer_0"].pre.code.strip() == "I_post += w"
    plain = to_brian2(result)
    assert "I" not in plain.groups["hidden"].variables
    assert json.loads(plain.run(1 * ms, spikes=_MANY).attrs["params"])["input_synapse"] == "pulse"


@pytest.mark.parametrize("input_synapse", ["pulse", "sigma"])
def test_reset_every_runs_trials_as_separate_runs(input_synapse):
    result = _signed_result(bias=True)
    period = 25 * ms
    trials = [_MANY, (_SPIKES[0], _SPIKES[1] + 2 * ms)]
    separate = [
        to_brian2(result, input_synapse=input_synapse).run(period, spikes=s) for s in trials
    ]
    idx = np.concatenate([trials[0][0], trials[1][0]])
    times = np.concatenate([np.asarray(trials[0][1] / second), np.asarray(trials[1][1] / second)
                            + float(period / second)]) * second  # fmt: skip
    net = to_brian2(result, input_synapse=input_synapse, reset_every=period)
    together = net.run(2 * period, spikes=(idx, times), reset_every=period)

    assert json.loads(together.attrs["params"])["reset_every_s"] == pytest.approx(0.025)
    total = 0
    for layer in ("hidden", "output"):
        i_t, t_t = _events(together, layer)
        for k, run in enumerate(separate):
            i_s, t_s = _events(run, layer)
            start = k * float(period / second)
            inside = (t_t >= start - 1e-12) & (t_t < start + float(period / second) - 1e-12)
            np.testing.assert_array_equal(i_t[inside], i_s)
            np.testing.assert_allclose(t_t[inside] - start, t_s, rtol=0, atol=1e-12)
            total += i_s.size
    assert total > 0
    if input_synapse == "sigma":  # after the last reset, only the second trial's events
        ds = result["connectivity/layer_0"].to_dataset()
        w = np.zeros((ds.attrs["n_post"], ds.attrs["n_pre"]))
        w[ds["post"].values, ds["pre"].values] = ds["weight"].values
        events = np.bincount(trials[1][0], minlength=ds.attrs["n_pre"])
        np.testing.assert_allclose(net.groups["hidden"].I[:], w @ events, rtol=0, atol=1e-12)
    # a run without the reset rebuilds the network without it, and differs
    plain = net.run(2 * period, spikes=(idx, times))
    assert json.loads(plain.attrs["params"])["reset_every_s"] is None
    assert net._reset_every is None


def test_bad_sigma_and_reset_input_is_named():
    result = _chain_result()
    with pytest.raises(ValueError, match="input_synapse must be one of 'pulse', 'sigma'; got 'x'"):
        to_brian2(result, input_synapse="x")
    with pytest.raises(ValueError, match="reset_every must be a whole number of time steps"):
        to_brian2(result, reset_every=0.25 * ms)
    net = to_brian2(result)
    with pytest.raises(ValueError, match="reset_every must be a whole number of time steps"):
        net.run(5 * ms, spikes=_SPIKES, reset_every=0.05 * ms)
    with pytest.raises(ValueError, match="reset_every must be a time > 0"):
        net.run(5 * ms, spikes=_SPIKES, reset_every=-1 * ms)
    with pytest.raises(TypeError, match="reset_every must be a brian2 time quantity"):
        net.run(5 * ms, spikes=_SPIKES, reset_every=0.01)


@pytest.mark.parametrize("rule", ["set", "subtract"])
def test_reset_clears_a_refractory_unit(rule):
    """A unit that spiked just before a reset (refractory then: brian2 writes v only where
    not_refractory holds) starts the next trial from rest all the same."""
    node = connectivity_from_indices([0], [0], 1, 1, weight=[300.0], pre_layer="in",
                                     post_layer="out")  # fmt: skip
    result = new_result("test.one", source="t", groups={"connectivity/p": node})
    kwargs = {"input_synapse": "sigma", "reset_rule": rule, "tau": 1 * second, "dt": 0.5 * ms}
    net = to_brian2(result, reset_every=10 * ms, **kwargs)
    out = net.run(20 * ms, spikes=(np.array([0, 0]), np.array([0, 10]) * ms), reset_every=10 * ms)
    steps = np.rint(_events(out, "out")[1] / 5e-4).astype(int)
    first = steps[steps < 20]
    assert first[-1] >= 17, "the case needs a spike within the refractory period of the reset"
    np.testing.assert_array_equal(steps[steps >= 20], first + 20)
    params = json.loads(out.attrs["params"])
    assert params["reset"] == ("v = v_reset" if rule == "set" else "v -= v_threshold - v_reset")
    with pytest.raises(ValueError, match="reset_rule must be one of 'set', 'subtract'; got 'x'"):
        to_brian2(result, reset_rule="x")
