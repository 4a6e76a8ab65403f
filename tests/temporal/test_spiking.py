"""Spiking networks on the sequence task: encoders, spike measures, the converted network."""

from __future__ import annotations

import json

import numpy as np
import pytest
from brian2 import ms, second

from neurosparse import NotFittedError
from neurosparse.bridges import projections
from neurosparse.results import (
    connectivity_from_indices,
    connectivity_from_mask,
    new_result,
    spikes_to_dataset,
    validate,
)
from neurosparse.temporal.spiking import (
    SpikingNetwork,
    _forward,
    poisson_encode,
    send_on_delta_encode,
    spike_measures,
)

# ------------------------------------------------------------------------------ encoders


def test_poisson_rates_follow_the_frames_and_the_seed():
    values = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    frames = np.tile(values, (200, 1))
    frames[1::2] = frames[1::2, ::-1]  # odd frames reversed: rates change at frame borders
    idx, times = poisson_encode(frames, max_rate=100.0, frame_duration=0.05, dt=1e-4, seed=3)
    assert idx.dtype == np.int64 and times.dim == second.dim
    t = np.asarray(times / second)
    assert np.all(np.diff(t) >= 0), "sorted by time"
    steps = np.rint(t / 1e-4).astype(np.int64)
    np.testing.assert_allclose(t, steps * 1e-4, rtol=0, atol=1e-12)  # on the dt grid
    assert np.unique(steps * 5 + idx).size == idx.size, "at most one spike per pixel and step"
    frame = steps // 500
    counts = np.zeros_like(frames)
    np.add.at(counts, (frame, idx), 1)
    r_dt = frames * 100.0 * 1e-4
    expected = -np.expm1(-r_dt) * 500  # the Bernoulli per step of the module docstring
    for parity in (0, 1):  # each pixel's count over 100 frames of one value
        got, want = counts[parity::2].sum(0), expected[parity::2].sum(0)
        assert np.all(np.abs(got - want) <= 5 * np.sqrt(want) + 1e-9), (got, want)
    assert counts[frames == 0].sum() == 0
    again = poisson_encode(frames, max_rate=100.0, frame_duration=0.05, dt=1e-4, seed=3)
    np.testing.assert_array_equal(again[0], idx)
    np.testing.assert_array_equal(np.asarray(again[1] / second), t)
    other = poisson_encode(frames, max_rate=100.0, frame_duration=0.05, dt=1e-4, seed=4)
    assert not np.array_equal(np.asarray(other[1] / second), t)
    # brian2 quantities for the times are accepted too, and (n_frames, H, W) frames
    q = poisson_encode(frames.reshape(200, 5, 1), max_rate=100.0, frame_duration=50 * ms,
                       dt=0.1 * ms, seed=3)  # fmt: skip
    np.testing.assert_array_equal(q[0], idx)


def _levels_by_loop(frames, delta):
    """Send-on-delta written plainly: per pixel, step the reference by delta."""
    n_frames, n = frames.shape
    ref = np.zeros(n)
    on = np.zeros((n_frames, n), dtype=np.int64)
    off = np.zeros((n_frames, n), dtype=np.int64)
    for t in range(n_frames):
        for j in range(n):
            while frames[t, j] - ref[j] >= delta:
                ref[j] += delta
                on[t, j] += 1
            while ref[j] - frames[t, j] >= delta:
                ref[j] -= delta
                off[t, j] += 1
    return on, off


def _per_frame(idx, times, n_pixels, n_frames, m, dt):
    steps = np.rint(np.asarray(times / second) / dt).astype(np.int64)
    frame = steps // m
    on = np.zeros((n_frames, n_pixels), dtype=np.int64)
    off = np.zeros((n_frames, n_pixels), dtype=np.int64)
    np.add.at(on, (frame[idx < n_pixels], idx[idx < n_pixels]), 1)
    np.add.at(off, (frame[idx >= n_pixels], idx[idx >= n_pixels] - n_pixels), 1)
    return on, off, steps


@pytest.mark.parametrize("timing", ["onset", "spread"])
def test_send_on_delta_reconstructs_within_delta(timing):
    rng = np.random.default_rng(0)
    frames = np.clip(np.cumsum(rng.normal(0, 0.15, (30, 12)), axis=0) + 0.5, 0, 1)
    frames[:, 0] = 0.0  # a pixel that never moves: no event at all
    delta, m, dt = 0.07, 100, 1e-4
    idx, times = send_on_delta_encode(frames, delta=delta, frame_duration=m * dt, dt=dt,
                                      timing=timing)  # fmt: skip
    assert idx.min() >= 0 and idx.max() < 24
    on, off, steps = _per_frame(idx, times, 12, 30, m, dt)
    assert np.all(np.diff(steps) >= 0)
    assert np.unique(steps * 24 + idx).size == idx.size, "one event per channel and step"
    assert not np.any(on & off), "a pixel moves one way in a frame"
    reference = delta * np.cumsum(on - off, axis=0)
    assert np.all(np.abs(frames - reference) < delta * (1 + 1e-9)), "|x - ref| < delta"
    loop_on, loop_off = _levels_by_loop(frames, delta)
    np.testing.assert_array_equal(on, loop_on)  # the number of levels crossed
    np.testing.assert_array_equal(off, loop_off)
    assert on[:, 0].sum() == off[:, 0].sum() == 0
    # where in the frame: consecutive steps from its start, or spread over it
    n_events = (on + off)[steps // m, idx % 12]
    k = np.zeros_like(idx)
    for key in np.unique(steps // m * 24 + idx):  # rank of each event in its frame
        sel = np.flatnonzero(steps // m * 24 + idx == key)
        k[sel] = np.arange(sel.size)
    offset = steps % m
    expected = k if timing == "onset" else (k * m) // n_events
    np.testing.assert_array_equal(offset, expected)


def test_send_on_delta_constant_input_sends_only_the_first_frame():
    frames = np.tile([0.0, 0.35, 1.0, -0.25], (6, 1))
    idx, times = send_on_delta_encode(frames, delta=0.1, frame_duration=0.01, dt=1e-3)
    t = np.asarray(times / second)
    assert np.all(t < 0.01), "nothing after the first frame"
    assert np.sum(idx == 1) == 3 and np.sum(idx == 2) == 10  # floor(x / delta) ON events
    assert np.sum(idx == 4 + 3) == 2  # a negative value: OFF events
    assert np.sum(idx == 0) == 0
    again = send_on_delta_encode(frames, delta=0.1, frame_duration=0.01, dt=1e-3)
    np.testing.assert_array_equal(again[0], idx)  # deterministic


def test_encoders_refuse_bad_input():
    good = np.full((3, 4), 0.5)
    with pytest.raises(ValueError, match=r"frames must have a time axis.*got shape \(4,\)"):
        poisson_encode(np.ones(4))
    with pytest.raises(ValueError, match=r"frames must have a time axis.*got shape \(4,\)"):
        send_on_delta_encode(np.ones(4))
    with pytest.raises(ValueError, match=r"frames must lie in \[0, 1\].*got values in \[0.5, 2\]"):
        poisson_encode(np.array([[0.5, 2.0]]))
    with pytest.raises(ValueError, match=r"frame_duration must be a number in \(0.0, inf\), got 0"):
        poisson_encode(good, frame_duration=0)
    with pytest.raises(
        ValueError, match=r"frame_duration must be a number in \(0.0, inf\), got -0.1"
    ):
        send_on_delta_encode(good, frame_duration=-0.1)
    with pytest.raises(ValueError, match=r"delta must be a number in \(0.0, inf\), got 0"):
        send_on_delta_encode(good, delta=0.0)
    with pytest.raises(ValueError, match=r"max_rate must be a number in \(0.0, inf\), got -5"):
        poisson_encode(good, max_rate=-5.0)
    with pytest.raises(ValueError, match="frame_duration must be a whole number of time steps"):
        poisson_encode(good, frame_duration=0.00015, dt=1e-4)
    with pytest.raises(TypeError, match="frame_duration must be a time"):
        send_on_delta_encode(good, frame_duration=5 * ms / second * ms / ms * 1e3 * (1 / second))
    with pytest.raises(ValueError, match="delta=0.001 is too small.*100 steps of delta"):
        send_on_delta_encode(np.array([[0.0], [0.1]]), delta=0.001, frame_duration=0.005,
                             dt=1e-4)  # fmt: skip
    with pytest.raises(ValueError, match="timing must be one of 'onset', 'spread'; got 'late'"):
        send_on_delta_encode(good, timing="late")
    with pytest.raises(ValueError, match="frames contains 1 NaN"):
        send_on_delta_encode(np.array([[0.1, np.nan]]))
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        poisson_encode(good, seed=-1)


# ---------------------------------------------------------------------------- measures


def _hand_spikes(with_connectivity=True):
    a = spikes_to_dataset([0, 0, 1, 2, 0], [0.05, 0.1, 0.3, 0.3, 0.9], 4, duration=1.0)
    b = spikes_to_dataset([1, 1, 1], [0.2, 0.21, 0.6], 2, duration=1.0)
    groups = {"activity/spikes/b": b, "activity/spikes/a": a}
    if with_connectivity:  # a -> b: unit 0 reaches 2 neurons, unit 1 one, units 2 and 3 none
        groups["connectivity/ab"] = connectivity_from_indices(
            [0, 0, 1], [0, 1, 1], 4, 2, weight=[1.0, 1.0, 1.0], pre_layer="a", post_layer="b"
        )
    return new_result("test.spikes", source="t", groups=groups)


def test_spike_measures_by_hand():
    out = spike_measures(_hand_spikes(), bin=0.25)
    assert list(out["layer"].values) == ["a", "b"]  # feed-forward order from the connectivity
    for var in out.variables.values():
        assert "long_name" in var.attrs
    assert out["rate"].attrs["units"] == "Hz"
    np.testing.assert_array_equal(out["n_neurons"], [4, 2])
    np.testing.assert_array_equal(out["total_spikes"], [5, 3])
    # a: 4 bins of 0.25 s x 4 neurons; b: 4 bins x 2 neurons
    np.testing.assert_allclose(out["spikes_per_neuron_per_bin"], [5 / 16, 3 / 8])
    # a's (neuron, bin) pairs: (0, 0), (1, 1), (2, 1), (0, 3); b's: (1, 0), (1, 2)
    np.testing.assert_allclose(out["active_fraction"], [4 / 16, 2 / 8])
    np.testing.assert_allclose(out["silent_fraction"], [1 / 4, 1 / 2])
    np.testing.assert_allclose(out["rate"], [5 / 4, 3 / 2])
    # a's spikes: three of unit 0 (out-degree 2), one of unit 1 (1), one of unit 2 (0)
    np.testing.assert_array_equal(out["synaptic_operations"], [7.0, 0.0])
    assert out.attrs["bin"] == 0.25 and out.attrs["duration"] == 1.0
    # a bin that does not divide the run: ceil(1 / 0.3) = 4 bins, the last one partial
    np.testing.assert_allclose(spike_measures(_hand_spikes(), bin=0.3)["spikes_per_neuron_per_bin"],
                               [5 / 16, 3 / 8])  # fmt: skip
    # the connectivity given apart, or none (no synaptic operations then)
    bare = _hand_spikes(with_connectivity=False)
    node = _hand_spikes()["connectivity/ab"].to_dataset()
    conn = new_result("test.c", source="t", groups={"connectivity/ab": node})
    np.testing.assert_array_equal(
        spike_measures(bare, bin=0.25, connectivity=conn)["synaptic_operations"], [7.0, 0.0]
    )
    assert np.all(np.isnan(spike_measures(bare, bin=0.25 * second)["synaptic_operations"]))


def test_spike_measures_refuse_bad_input():
    with pytest.raises(ValueError, match="bin must be given"):
        spike_measures(_hand_spikes())
    with pytest.raises(ValueError, match=r"bin must be a number in \(0.0, inf\), got 0"):
        spike_measures(_hand_spikes(), bin=0.0)
    with pytest.raises(ValueError, match="has no activity/spikes group"):
        spike_measures(new_result("test.empty", source="t"), bin=0.1)
    with pytest.raises(TypeError, match="run_result must be a result"):
        spike_measures({"a": 1}, bin=0.1)


# ------------------------------------------------------------------ the converted network


def _quadrant_ann():
    """A 2-layer ReLU network on 4x4 frames: hidden unit k sums quadrant k (bias -0.05,
    so the ReLU clips dim quadrants), output k = hidden k minus 0.3 x the others."""
    q = np.zeros((4, 4, 4))
    q[0, :2, :2] = q[1, :2, 2:] = q[2, 2:, :2] = q[3, 2:, 2:] = 1
    w1, w2 = 0.25 * q.reshape(4, 16), 1.3 * np.eye(4) - 0.3
    groups = {}
    for i, (w, b, pre, post) in enumerate(
        ((w1, -0.05, "input", "hidden"), (w2, 0.02, "hidden", "output"))
    ):
        node = connectivity_from_mask(w != 0, weight=w, pre_layer=pre, post_layer=post)
        node["bias"] = ("neuron", np.full(4, b), {"long_name": "bias"})
        groups[f"connectivity/layer_{i}"] = node
    return new_result("test.quadrants", source="test", groups=groups)


def _quadrant_data(n, n_frames, seed):
    """Frames of noise in [0, 0.35) with one quadrant brighter by 0.3 to 0.5 (the
    label), the same quadrant over a sequence, the values changing from frame to frame."""
    rng = np.random.default_rng(seed)
    x = 0.35 * rng.random((n, n_frames, 4, 4))
    y = rng.integers(0, 4, n)
    for k in range(n):
        r, c = divmod(int(y[k]), 2)
        x[k, :, 2 * r : 2 * r + 2, 2 * c : 2 * c + 2] += 0.3 + 0.2 * rng.random((n_frames, 2, 2))
    return x, y


_FAST = {"frame_duration": 0.02, "dt": 5e-4, "max_rate": 400.0}


@pytest.mark.parametrize("encoder", ["poisson", "send_on_delta"])
def test_conversion_agrees_with_the_ann(encoder):
    """On 40 sequences of 3 frames, the spiking network's class (output spikes during the
    last frame) is the ANN's argmax on the last frame for at least 90 % of them (the
    quadrant network classifies all 40 correctly; the spiking one agrees with it on
    40/40 with either encoder at seed 0 here)."""
    ann = _quadrant_ann()
    X, y = _quadrant_data(40, 3, seed=0)
    ann_class = _forward(projections(ann), X[:, -1].reshape(40, 16))[-1].argmax(axis=1)
    assert np.mean(ann_class == y) == 1.0
    model = SpikingNetwork(ann, encoder=encoder, seed=0, **_FAST).fit(X)
    out = model.run(X)
    validate(out)
    agree = np.mean(out["activity"]["prediction"].values == ann_class)
    assert agree >= 0.9, agree
    assert out.attrs["kind"] == "temporal.spiking_run" and out.attrs["target"] == "numpy"
    assert set(out["activity/spikes"].children) == {"input", "hidden", "output"}
    n_in = 32 if encoder == "send_on_delta" else 16
    assert out["activity/spikes/input"].attrs["n_neurons"] == n_in
    assert out["connectivity/layer_0"].attrs["n_pre"] == n_in
    act = out["activity"]
    np.testing.assert_allclose(act["sequence_start"], np.arange(40) * 0.06)
    np.testing.assert_allclose(act["sequence_stop"], np.arange(1, 41) * 0.06)
    np.testing.assert_array_equal(act["prediction"], act["output_counts"].values.argmax(1))
    # the readout counts are the output spikes of each sequence's last frame
    node = out["activity/spikes/output"]
    t, i = node["time"].values, node["neuron"].values
    k = 7
    last = (t >= 0.06 * k + 0.04 - 1e-9) & (t < 0.06 * (k + 1) - 1e-9)
    np.testing.assert_array_equal(act["output_counts"][k], np.bincount(i[last], minlength=4))
    metrics = out["metrics"].to_dataset()
    assert list(metrics["layer"].values) == ["input", "hidden", "output"]
    assert metrics.attrs["bin"] == 0.02
    assert metrics["synaptic_operations"].sel(layer="output") == 0
    params = json.loads(out.attrs["params"])
    assert params["input_synapse"] == ("sigma" if encoder == "send_on_delta" else "pulse")
    assert params["brian2"]["reset_every_s"] == pytest.approx(0.06)
    assert params["n_sequences"] == 40 and params["n_frames"] == 3
    # predict and score read the same run
    assert model.score(X, ann_class) >= 0.9
    assert model.predict(X).shape == (40,)


def test_normalised_weights_follow_the_formula():
    ann = _quadrant_ann()
    X, _ = _quadrant_data(10, 2, seed=1)
    model = SpikingNetwork(ann, encoder="send_on_delta", percentile=100.0, tau=0.5,
                           max_rate=300.0, delta=0.05, v_threshold=2.0).fit(X)  # fmt: skip
    acts = _forward(projections(ann), X.reshape(-1, 16))
    lam = [1.0] + [a[a > 0].max() for a in acts]
    np.testing.assert_allclose(model.scales_, lam)
    conn = model.spiking_connectivity()
    c0, c1 = conn["connectivity/layer_0"], conn["connectivity/layer_1"]
    a0, a1 = ann["connectivity/layer_0"], ann["connectivity/layer_1"]
    u = 2.0 * 0.5 * 300.0 * 0.05 * a0["weight"].values / lam[1]
    n_syn = a0.sizes["synapse"]
    assert c0.attrs["n_pre"] == 32 and c0.sizes["synapse"] == 2 * n_syn
    np.testing.assert_allclose(c0["weight"].values, np.concatenate([u, -u]))
    np.testing.assert_array_equal(c0["pre"].values[n_syn:], a0["pre"].values + 16)
    np.testing.assert_allclose(c1["weight"].values, 2.0 * a1["weight"].values * lam[1] / lam[2])
    np.testing.assert_allclose(c1["bias"].values, 2.0 * 0.5 * 300.0 * 0.02 / lam[2])
    # the Poisson network: pulses, lambda_0 = 1
    poisson = SpikingNetwork(ann, percentile=100.0).fit(X).spiking_connectivity()
    np.testing.assert_allclose(poisson["connectivity/layer_0"]["weight"].values,
                               a0["weight"].values / lam[1])  # fmt: skip


def test_many_sequences_one_build_each_from_rest():
    """The sequences of one run see the network as separate runs would (resets between
    them), and later runs reuse the network built by the first."""
    ann = _quadrant_ann()
    X, _ = _quadrant_data(4, 3, seed=2)
    model = SpikingNetwork(ann, encoder="send_on_delta", **_FAST).fit(X)
    together = model.run(X)
    network = model._brian2.network
    for k in range(4):
        alone = model.run(X[k : k + 1])
        for layer in ("input", "hidden", "output"):
            node = together[f"activity/spikes/{layer}"]
            t, i = node["time"].values, node["neuron"].values
            inside = (t >= 0.06 * k - 1e-9) & (t < 0.06 * (k + 1) - 1e-9)
            a = alone[f"activity/spikes/{layer}"]
            np.testing.assert_array_equal(i[inside], a["neuron"].values)
            np.testing.assert_allclose(t[inside] - 0.06 * k, a["time"].values, atol=1e-9, rtol=0)
    assert model._brian2.network is network, "built once"
    assert together["activity/spikes/hidden"].sizes["spike"] > 0


def test_seed_repeats_poisson_runs():
    ann = _quadrant_ann()
    X, _ = _quadrant_data(3, 2, seed=3)

    def spikes(model, **kw):
        out = model.run(X, **kw)
        return out["activity/spikes/hidden"]["time"].values, out.attrs["seed"]

    a = SpikingNetwork(ann, seed=5, **_FAST).fit(X)
    b = SpikingNetwork(ann, seed=5, **_FAST).fit(X)
    first_a, first_b = spikes(a), spikes(b)
    np.testing.assert_array_equal(first_a[0], first_b[0])
    assert first_a[1].startswith("Generator")  # drawn from the fitted generator
    assert not np.array_equal(spikes(a)[0], first_a[0])  # the next run draws anew
    np.testing.assert_array_equal(spikes(a, seed=9)[0], spikes(b, seed=9)[0])
    assert spikes(a, seed=9)[1] == 9


def test_targets(monkeypatch):
    import neurosparse.bridges.brian2 as bridge

    ann = _quadrant_ann()
    X, _ = _quadrant_data(2, 2, seed=4)
    ref = SpikingNetwork(ann, encoder="send_on_delta", **_FAST).fit(X).run(X)
    assert ref.attrs["target"] == "numpy"  # the default
    # cython: selectable, and the same spikes (compiled once, then cached by brian2)
    reason = bridge._target_unavailable("cython")
    if reason is None:
        out = SpikingNetwork(ann, encoder="send_on_delta", target="cython", **_FAST).fit(X).run(X)
        assert out.attrs["target"] == "cython"
        for layer in ("hidden", "output"):
            a, b = ref[f"activity/spikes/{layer}"], out[f"activity/spikes/{layer}"]
            np.testing.assert_array_equal(a["neuron"].values, b["neuron"].values)
            np.testing.assert_allclose(a["time"].values, b["time"].values, atol=1e-12, rtol=0)
    # cpp_standalone where it cannot compile: a warning naming why, then numpy
    monkeypatch.setattr(bridge, "_cpp_compiler", lambda: "no C++ compiler (test)")
    model = SpikingNetwork(ann, encoder="send_on_delta", target="cpp_standalone", **_FAST)
    with pytest.warns(RuntimeWarning, match="'cpp_standalone' cannot be used here.*no C\\+\\+"):
        out = model.fit(X).run(X)
    assert out.attrs["target"] == "numpy"
    assert json.loads(out.attrs["params"])["brian2"]["requested_target"] == "cpp_standalone"
    np.testing.assert_array_equal(out["activity/spikes/output"]["neuron"].values,
                                  ref["activity/spikes/output"]["neuron"].values)  # fmt: skip
    strict = SpikingNetwork(ann, target="cython", on_unavailable="raise", **_FAST).fit(X)
    with pytest.raises(RuntimeError, match="'cython' cannot be used here"):
        strict.run(X)
    if reason is not None:
        pytest.skip(f"cython compared with numpy only where it compiles: {reason}")


@pytest.mark.slow
def test_cpp_standalone_equals_numpy(tmp_path):
    ann = _quadrant_ann()
    X, _ = _quadrant_data(3, 2, seed=5)
    for encoder in ("poisson", "send_on_delta"):
        ref = SpikingNetwork(ann, encoder=encoder, seed=0, **_FAST).fit(X).run(X, seed=1)
        model = SpikingNetwork(ann, encoder=encoder, target="cpp_standalone", **_FAST).fit(X)
        out = model.run(X, seed=1)
        assert out.attrs["target"] == "cpp_standalone"
        for layer in ("hidden", "output"):
            a, b = ref[f"activity/spikes/{layer}"], out[f"activity/spikes/{layer}"]
            np.testing.assert_array_equal(a["neuron"].values, b["neuron"].values)
            np.testing.assert_allclose(a["time"].values, b["time"].values, atol=1e-12, rtol=0)
        again = model.run(X[:2], seed=2)  # new spikes: same project, data rewritten
        assert again.attrs["target"] == "cpp_standalone"


def test_model_refuses_bad_input():
    ann = _quadrant_ann()
    X, _ = _quadrant_data(2, 2, seed=6)
    with pytest.raises(ValueError, match=r"X must be sequences of frames.*got shape \(2, 16\)"):
        SpikingNetwork(ann).fit(X.reshape(2, 2, 16)[:, 0])
    with pytest.raises(ValueError, match="X has frames of 9 values; the network's input layer "
                                         "has 16 units"):  # fmt: skip
        SpikingNetwork(ann).fit(np.zeros((2, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"frame_duration must be a number in \(0.0, inf\), got 0"):
        SpikingNetwork(ann, frame_duration=0.0).fit(X)
    with pytest.raises(ValueError, match="frame_duration must be a whole number of time steps"):
        SpikingNetwork(ann, frame_duration=0.01, dt=3e-3).fit(X)
    with pytest.raises(ValueError, match=r"delta must be a number in \(0.0, inf\), got -0.1"):
        SpikingNetwork(ann, delta=-0.1).fit(X)
    with pytest.raises(ValueError, match="encoder must be one of 'poisson', 'send_on_delta'; "
                                         "got 'rate'"):  # fmt: skip
        SpikingNetwork(ann, encoder="rate").fit(X)
    with pytest.raises(ValueError, match="target must be one of 'numpy', 'cython', "
                                         "'cpp_standalone'; got 'gpu'"):  # fmt: skip
        SpikingNetwork(ann, target="gpu").fit(X)
    with pytest.raises(ValueError, match="readout must be one of"):
        SpikingNetwork(ann, readout="first").fit(X)
    with pytest.raises(ValueError, match=r"percentile must be a number in \(0.0, 100.0\]"):
        SpikingNetwork(ann, percentile=120.0).fit(X)
    with pytest.raises(ValueError, match=r"X must lie in \[0, 1\] for the Poisson encoder"):
        SpikingNetwork(ann).fit(X + 1.0)
    with pytest.raises(TypeError, match="ann must be a result"):
        SpikingNetwork(np.zeros(3)).fit(X)
    with pytest.raises(ValueError, match="has no connectivity"):
        SpikingNetwork(new_result("test.empty", source="t")).fit(X)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        SpikingNetwork(ann).predict(X)
    model = SpikingNetwork(ann, **_FAST).fit(X)
    with pytest.raises(ValueError, match="X has frames of 4 values"):
        model.run(np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="X must be sequences of frames"):
        model.run(np.zeros((2, 16)))
    with pytest.raises(ValueError, match="y must have one label per sequence"):
        model.score(X, [0, 1, 2])


def test_round_trip_through_the_result(tmp_path):
    from neurosparse import model_from_result
    from neurosparse.results import load, save

    ann = _quadrant_ann()
    X, _ = _quadrant_data(2, 2, seed=7)
    model = SpikingNetwork(ann, encoder="send_on_delta", **_FAST).fit(X)
    model.run(X)
    tree = model.to_result()
    assert {"connectivity", "state", "activity", "metrics"} <= set(tree.children)
    save(tree, tmp_path / "model.nc")
    back = model_from_result(load(tmp_path / "model.nc"))
    assert isinstance(back, SpikingNetwork) and back.encoder == "send_on_delta"
    np.testing.assert_array_equal(back.scales_, model.scales_)
    a, b = model.run(X), back.run(X)  # deterministic encoder: the same spikes
    np.testing.assert_array_equal(a["activity/spikes/output"]["time"].values,
                                  b["activity/spikes/output"]["time"].values)  # fmt: skip
