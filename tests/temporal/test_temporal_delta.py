"""The Delta Activation Layer, its losses, the metrics and delta inference."""

from __future__ import annotations

import numpy as np
import pytest

from neurosparse.temporal.metrics import (
    activation_sparsity,
    changes,
    event_macs,
    temporal_density,
)

torch = pytest.importorskip("torch")

from neurosparse.temporal.delta import (  # noqa: E402
    DeltaActivation,
    spatial_sparsity_loss,
    temporal_sparsity_loss,
)
from neurosparse.temporal.models import (  # noqa: E402
    DeltaNet,
    delta_inference,
    overall_density,
    train_sequence_classifier,
)


# ---------------------------------------------------------------------- metrics
def test_changes_and_densities_by_hand():
    x = np.array([[[0.0, 1.0], [0.0, 1.0], [2.0, 1.0]]])  # (1 batch, 3 frames, 2 units)
    np.testing.assert_array_equal(changes(x)[0], [[0, 1], [0, 0], [2, 0]])
    np.testing.assert_array_equal(changes(x, first="skip")[0], [[0, 0], [2, 0]])
    assert temporal_density(x) == pytest.approx(2 / 6)
    assert temporal_density(x, first="skip") == pytest.approx(1 / 4)
    assert activation_sparsity(x) == pytest.approx(1 - 4 / 6)
    assert event_macs(x, 5) == (2 * 5, 6 * 5)
    assert event_macs(x, np.array([1, 10])) == (1 + 10, 3 * 11)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: temporal_density(np.zeros((3, 4))), "time axis"),
        (lambda: temporal_density(np.zeros((2, 1, 3)), first="skip"), "no changes"),
        (lambda: changes(np.zeros((2, 2, 2)), first="last"), "first"),
        (lambda: event_macs(np.zeros((1, 2, 3)), np.array([1, 2])), "shape"),
        (lambda: event_macs(np.zeros((1, 2, 3)), -1), "non-negative"),
    ],
)
def test_metrics_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------- the layer
def test_forward_quantises_and_records_the_changes():
    layer = DeltaActivation(3, granularity="channel", threshold=0.5)
    x = torch.tensor([[[0.1, 0.6, 1.1], [0.2, 0.7, 1.2], [1.0, 0.7, 1.2]]])
    y = layer(x)
    q = 0.5
    np.testing.assert_allclose(y.detach().numpy(), np.round(x.numpy() / q) * q)
    d = layer.last_delta.detach().numpy()[0]
    np.testing.assert_allclose(d[0], y.detach().numpy()[0, 0])
    np.testing.assert_allclose(d[1:], np.diff(y.detach().numpy()[0], axis=0))
    # a change smaller than half a step moves nothing
    assert np.count_nonzero(d[1]) == 0


@pytest.mark.parametrize(
    "granularity, size", [("channel", (4,)), ("neuron", (4, 3, 3)), ("layer", ())]
)
def test_threshold_shapes_for_a_convolution(granularity, size):
    layer = DeltaActivation((4, 3, 3), granularity=granularity, threshold=0.1)
    assert tuple(layer.threshold.shape) == size
    x = torch.rand(2, 5, 4, 3, 3)
    y = layer(x)
    assert y.shape == x.shape
    y.sum().backward()
    assert layer.threshold.grad.shape == layer.threshold.shape


def test_backward_paper_rule():
    torch.manual_seed(0)
    x = torch.randn(2, 4, 3, requires_grad=True)
    layer = DeltaActivation(3, granularity="channel", threshold=0.3)
    g = torch.randn(2, 4, 3)
    (layer(x) * g).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), g.numpy())  # straight through
    n = torch.round(x.detach() / 0.3)
    expected = -(g * n).sum(dim=(0, 1))
    np.testing.assert_allclose(layer.threshold.grad.numpy(), expected.numpy(), rtol=1e-5)


def test_backward_lsq_rule():
    torch.manual_seed(1)
    x = torch.randn(2, 4, 3)
    layer = DeltaActivation(3, granularity="layer", threshold=0.3, threshold_grad="lsq")
    g = torch.randn(2, 4, 3)
    (layer(x) * g).sum().backward()
    n = torch.round(x / 0.3)
    expected = (g * (n - x / 0.3)).sum()
    assert layer.threshold.grad.item() == pytest.approx(expected.item(), rel=1e-5)


def test_temporal_loss_raises_the_threshold_and_clamp_holds():
    torch.manual_seed(2)
    layer = DeltaActivation(5, threshold=0.1)
    layer.fan_out = 7
    layer(torch.rand(3, 6, 5) * 2)
    loss = temporal_sparsity_loss([layer], 1.0)
    expected = 7 * layer.last_delta.abs().mean()
    assert loss.item() == pytest.approx(expected.item())
    loss.backward()
    assert torch.all(layer.threshold.grad <= 0)  # descent raises every step
    spatial = spatial_sparsity_loss([layer], 0.5)
    assert spatial.item() == pytest.approx(0.5 * 7 * layer.last_output.abs().mean().item())
    with torch.no_grad():
        layer.threshold.fill_(-1.0)
    step = layer.step()
    torch.testing.assert_close(step, torch.full_like(step, layer.min_threshold))
    layer.threshold.grad = None
    (layer(torch.rand(2, 3, 5)) * 1.0).sum().backward()
    assert torch.all(layer.threshold.grad != 0)  # below the floor the gradient still flows


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"shape": 3, "threshold": 0.0}, "threshold"),
        ({"shape": 3, "threshold": -1.0}, "threshold"),
        ({"shape": 0}, "shape"),
        ({"shape": (3, "a")}, "shape"),
        ({"shape": 3, "granularity": "pixel"}, "granularity"),
        ({"shape": 3, "threshold_grad": "exact"}, "threshold_grad"),
        ({"shape": 3, "threshold": 1e-6}, "min_threshold"),
    ],
)
def test_layer_bad_parameters(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        DeltaActivation(**kwargs)


def test_layer_refuses_input_without_a_time_axis():
    layer = DeltaActivation(3)
    with pytest.raises(ValueError, match="time axis"):
        layer(torch.rand(4, 3))
    with pytest.raises(ValueError, match="time axis"):
        layer(torch.rand(4, 2, 5))


def test_losses_bad_input():
    layer = DeltaActivation(3)
    with pytest.raises(ValueError, match="not run forward"):
        temporal_sparsity_loss([layer], 1.0)
    with pytest.raises(ValueError, match="empty"):
        temporal_sparsity_loss([], 1.0)
    layer(torch.rand(1, 2, 3))
    with pytest.raises(ValueError, match="sp_rate"):
        temporal_sparsity_loss([layer], -1.0)
    with pytest.raises(TypeError, match="DeltaActivation"):
        spatial_sparsity_loss([torch.nn.ReLU()], 1.0)


# ---------------------------------------------------------------------- the network
def _data(seed=0, n=48, t=6, f=20, classes=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    base = rng.random((classes, f)).astype(np.float32)
    X = base[y][:, None, :] + 0.05 * rng.standard_normal((n, t, f)).astype(np.float32)
    return np.clip(X, 0, 1).astype(np.float32), y


@pytest.mark.parametrize("delta", [True, False])
def test_delta_inference_equals_dense_and_counts_its_operations(delta):
    X, y = _data()
    net = DeltaNet(20, 3, [16, 8], delta=delta, seed=0)
    train_sequence_classifier(net, (X, y), (X, y), epochs=2, seed=0,
                              penalty="temporal" if delta else "none")  # fmt: skip
    with torch.no_grad():
        dense = net.frame_scores(torch.from_numpy(X)).numpy()
    run = delta_inference(net, X)
    np.testing.assert_allclose(run.scores, dense, atol=1e-4)
    np.testing.assert_array_equal(run.predictions, net(torch.from_numpy(X)).argmax(1).numpy())
    predicted = [event_macs(a, f) for a, f in zip(net.activity(X), net.fan_outs())]
    np.testing.assert_array_equal(run.macs, [p[0] for p in predicted])
    np.testing.assert_array_equal(run.dense_macs, [p[1] for p in predicted])
    full = delta_inference(net, X, engine="dense")
    np.testing.assert_array_equal(full.macs, run.dense_macs)
    np.testing.assert_allclose(full.scores, run.scores, atol=1e-9)
    serial, par = delta_inference(net, X, parallel=False), delta_inference(net, X, parallel=True)
    np.testing.assert_array_equal(serial.scores, par.scores)


def test_delta_kernel_matches_its_python_version():
    from neurosparse.temporal._kernels import delta_linear

    rng = np.random.default_rng(3)
    d = rng.standard_normal((2, 4, 5)).astype(np.float32)
    d[d < 0.3] = 0
    w = rng.standard_normal((5, 3)).astype(np.float32)
    b = rng.standard_normal(3)
    z1, m1 = delta_linear(d, w, b, True)
    z2, m2 = delta_linear.py_func(d, w, b, True)
    np.testing.assert_allclose(z1, z2, rtol=1e-12)
    np.testing.assert_array_equal(m1, m2)
    np.testing.assert_allclose(z1, b + np.cumsum(d.astype(np.float64) @ w, axis=1), rtol=1e-9)


def test_temporal_penalty_lowers_the_density():
    X, y = _data(seed=1, n=64, t=8)
    dens = []
    for sp_rate in (0.0, 0.2):
        net = DeltaNet(20, 3, [16], seed=0, threshold=0.02, input_threshold=0.02)
        curves = train_sequence_classifier(net, (X, y), (X, y), epochs=8, lr=3e-3,
                                           threshold_lr=0.02, batch_size=16,
                                           sp_rate=sp_rate, seed=0)  # fmt: skip
        dens.append(curves.temporal_density[-1])
        assert curves.temporal_density[-1] == pytest.approx(overall_density(net.activity(X)))
    assert dens[1] < 0.85 * dens[0]


def test_training_is_seeded():
    X, y = _data(seed=2)
    runs = []
    for _ in range(2):
        net = DeltaNet(20, 3, [8], seed=5)
        runs.append(train_sequence_classifier(net, (X, y), (X, y), epochs=2, seed=7))
    np.testing.assert_array_equal(runs[0].train_loss, runs[1].train_loss)


def test_result_round_trip_keeps_thresholds_and_curves():
    X, y = _data(seed=3)
    net = DeltaNet(20, 3, [8], seed=1, granularity="neuron")
    train_sequence_classifier(net, (X, y), (X, y), epochs=2, seed=0)
    tree = net.to_result()
    assert tree["metrics"]["test_accuracy"].size == 2
    back = DeltaNet.from_result(tree)
    xt = torch.from_numpy(X)
    torch.testing.assert_close(back.frame_scores(xt), net.frame_scores(xt))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda net, X, y: net(torch.rand(4, 20)), "time axis"),
        (lambda net, X, y: delta_inference(net, X[:, 0]), "time axis"),
        (lambda net, X, y: delta_inference(net, X[..., :5]), "20"),
        (lambda net, X, y: train_sequence_classifier(net, (X, y[:-1]), (X, y)), "disagree"),
        (lambda net, X, y: train_sequence_classifier(net, (X, y), (X[:, :, :4], y)), "20"),
        (lambda net, X, y: train_sequence_classifier(net, (X, y), (X, y), sp_rate=-1), "sp_rate"),
        (lambda net, X, y: train_sequence_classifier(net, (X, y), (X, y), penalty="l2"), "penalty"),
        (lambda net, X, y: delta_inference(net, [X[0], X[1, :3]]), "different lengths"),
        (lambda net, X, y: delta_inference(net, X, engine="sparse"), "engine"),
    ],
)
def test_network_bad_input(call, match):
    X, y = _data(n=8)
    net = DeltaNet(20, 3, [8], seed=0)
    with pytest.raises((ValueError, TypeError), match=match):
        call(net, X, y)


def test_penalty_needs_delta_layers():
    X, y = _data(n=8)
    with pytest.raises(ValueError, match="delta=False"):
        train_sequence_classifier(DeltaNet(20, 3, [8], delta=False), (X, y), (X, y))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"threshold": 0.0}, "threshold"),
        ({"input_threshold": -0.1}, "input_threshold"),
        ({"readout": "first"}, "readout"),
        ({"hidden_sizes": [0]}, "hidden_sizes"),
    ],
)
def test_network_bad_parameters(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        DeltaNet(20, 3, **kwargs)


@pytest.mark.gpu
def test_cuda_forward_backward_and_training():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    X, y = _data()
    net = DeltaNet(20, 3, [16, 8], seed=0).cuda()
    curves = train_sequence_classifier(net, (X, y), (X, y), epochs=2, seed=0)
    assert np.isfinite(curves.train_loss).all()
    assert all(d.threshold.grad is not None and d.threshold.is_cuda for d in net.deltas)
    cpu = DeltaNet.from_result(net.to_result())
    run = delta_inference(cpu, X)
    with torch.no_grad():
        gpu = net.frame_scores(torch.from_numpy(X).cuda()).cpu().numpy()
    np.testing.assert_allclose(run.scores, gpu, atol=1e-3)


def test_readme_example_runs(tmp_path, monkeypatch):
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = text.index("## Temporal sparsity: delta inference")
    code = re.search(r"```python\n(.*?)```", text[start:], re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert 0 < namespace["run"].mac_ratio
    assert "activity" in namespace["spikes"]
