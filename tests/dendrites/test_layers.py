"""Tests for the context-gated dendritic layers (Iyer et al. 2022) in PyTorch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from neurosparse.testing import (
    check_bad_input,
    check_deterministic,
    check_result_roundtrip,
    require,
)

torch = require("torch", "torch")

from neurosparse.dendrites.layers import (  # noqa: E402
    DENDRITE_MODES,
    MLP,
    DendriticLayer,
    DendriticMLP,
    KWinners,
    SparseLinear,
    nearest_prototype,
)
from neurosparse.results import mask_from_connectivity, validate  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny networks: one torch thread is faster and immune to oversubscription."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ------------------------------------------------------------------ dendritic layer


def _set(layer: DendriticLayer, w, b, d) -> None:
    with torch.no_grad():
        layer.linear.weight.copy_(torch.tensor(w, dtype=torch.float32))
        layer.linear.bias.copy_(torch.tensor(b, dtype=torch.float32))
        layer.segments.copy_(torch.tensor(d, dtype=torch.float32))


def _hand_layer(mode: str) -> DendriticLayer:
    # 2 inputs, 2 units, 2 segments, context of length 2
    layer = DendriticLayer(2, 2, 2, 2, dendrite_mode=mode, seed=0)
    _set(
        layer,
        w=[[1.0, 2.0], [-1.0, 0.5]],
        b=[0.5, -0.5],
        # unit 0: segments (1, 0) and (0, -3); unit 1: segments (2, 1) and (-1, 1)
        d=[[[1.0, 0.0], [0.0, -3.0]], [[2.0, 1.0], [-1.0, 1.0]]],
    )
    return layer


# x = (1, 1), c = (1, 1):
#   y = W x + b = (1 + 2 + 0.5, -1 + 0.5 - 0.5) = (3.5, -1.0)
#   segment responses: unit 0 -> (1, -3); unit 1 -> (3, 0)
#   max:            d* = (1, 3)
#   signed abs max: d* = (-3, 3)
_X = [[1.0, 1.0]]
_C = [[1.0, 1.0]]
_SIG = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
_EXPECTED = {
    "biasing": [3.5 + 1.0, -1.0 + 3.0],
    "gating": [3.5 * _SIG(1.0), -1.0 * _SIG(3.0)],
    "absolute_max_gating": [3.5 * _SIG(-3.0), -1.0 * _SIG(3.0)],
}


@pytest.mark.parametrize("mode", DENDRITE_MODES)
def test_modulation_matches_hand_computation(mode):
    layer = _hand_layer(mode)
    out = layer(torch.tensor(_X), torch.tensor(_C))
    np.testing.assert_allclose(out.detach().numpy()[0], _EXPECTED[mode], rtol=1e-6)


def test_segment_responses_and_dendritic_activation_by_hand():
    layer = _hand_layer("absolute_max_gating")
    s = layer.segment_responses(torch.tensor(_C)).detach().numpy()
    np.testing.assert_allclose(s[0], [[1.0, -3.0], [3.0, 0.0]])
    d = layer.dendritic_activation(torch.tensor(_C)).detach().numpy()
    np.testing.assert_allclose(d[0], [-3.0, 3.0])  # the sign of the strongest is kept
    layer.dendrite_mode = "gating"
    d = layer.dendritic_activation(torch.tensor(_C)).detach().numpy()
    np.testing.assert_allclose(d[0], [1.0, 3.0])


def _reference(mode, x, c, w, b, d):
    """Loop-by-loop numpy version of the module docstring's maths."""
    out = np.empty((x.shape[0], w.shape[0]))
    for n in range(x.shape[0]):
        for u in range(w.shape[0]):
            y = sum(w[u, i] * x[n, i] for i in range(x.shape[1])) + b[u]
            s = [float(d[u, j] @ c[n]) for j in range(d.shape[1])]
            if mode == "absolute_max_gating":
                dstar = s[int(np.argmax(np.abs(s)))]
            else:
                dstar = max(s)
            out[n, u] = y + dstar if mode == "biasing" else y * _SIG(dstar)
    return out


@pytest.mark.parametrize("mode", DENDRITE_MODES)
def test_modes_match_loop_reference_and_shapes(mode):
    layer = DendriticLayer(6, 4, 3, 5, dendrite_mode=mode, seed=1)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(7, 6)).astype(np.float32)
    c = rng.normal(size=(7, 5)).astype(np.float32)
    out = layer(torch.from_numpy(x), torch.from_numpy(c))
    assert out.shape == (7, 4)
    assert layer.segments.shape == (4, 3, 5)  # [units, segments, context_dim]
    assert layer.segment_responses(torch.from_numpy(c)).shape == (7, 4, 3)
    ref = _reference(
        mode,
        x,
        c,
        layer.linear.weight.detach().numpy(),
        layer.linear.bias.detach().numpy(),
        layer.segments.detach().numpy(),
    )
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-5, atol=1e-6)
    # one context shared by the batch == the same context repeated per sample
    shared = layer(torch.from_numpy(x), torch.from_numpy(c[0]))
    repeated = layer(torch.from_numpy(x), torch.from_numpy(np.repeat(c[:1], 7, axis=0)))
    torch.testing.assert_close(shared, repeated)


def test_gradient_reaches_only_the_selected_segment():
    layer = DendriticLayer(3, 5, 4, 6, dendrite_mode="absolute_max_gating", seed=3)
    c = torch.randn(1, 6, generator=torch.Generator().manual_seed(0))
    layer(torch.randn(2, 3), c).sum().backward()
    s = layer.segment_responses(c).detach()[0]  # (units, segments)
    chosen = s.abs().argmax(dim=-1)
    grad_norm = layer.segments.grad.abs().sum(-1)  # (units, segments)
    for u in range(5):
        for j in range(4):
            assert (grad_norm[u, j] > 0) == (j == chosen[u])


def test_context_shape_errors():
    layer = DendriticLayer(3, 2, 2, 4, seed=0)
    with pytest.raises(ValueError, match="context must have shape"):
        layer(torch.zeros(5, 3), torch.zeros(5, 3))
    with pytest.raises(ValueError, match="rows but x has"):
        layer(torch.zeros(5, 3), torch.zeros(2, 4))
    net = DendriticMLP(3, 2, [4], num_segments=2, dim_context=4, seed=0)
    with pytest.raises(ValueError, match="needs a context"):
        net(torch.zeros(1, 3))


# ----------------------------------------------------------------------- k-winners


@pytest.mark.parametrize(("n", "p", "k"), [(100, 0.05, 5), (64, 0.1, 6), (10, 0.01, 1)])
def test_kwinners_keeps_exactly_k(n, p, k):
    kw = KWinners(p)
    assert kw.k_for(n) == k
    x = torch.randn(32, n, generator=torch.Generator().manual_seed(n))
    out = kw(x)
    assert torch.all((out != 0).sum(1) == k)
    # the kept values are the k largest, unchanged
    top = torch.topk(x, k, dim=1).values
    torch.testing.assert_close(torch.sort(out[out != 0].reshape(32, k), 1).values,
                               torch.sort(top, 1).values)  # fmt: skip


def test_kwinners_percent_on_one_is_identity():
    x = torch.randn(4, 9)
    torch.testing.assert_close(KWinners(1.0)(x), x)


def test_kwinners_gradient_only_through_winners():
    kw = KWinners(0.25)
    x = torch.randn(8, 20, generator=torch.Generator().manual_seed(5), requires_grad=True)
    weights = torch.arange(20, dtype=torch.float32)
    (kw(x) * weights).sum().backward()
    winners = kw.winners(x.detach())
    torch.testing.assert_close(x.grad, winners.float() * weights)
    assert torch.all(x.grad[~winners] == 0)


# --------------------------------------------------------------------- bad input


@pytest.mark.parametrize("segments", [0, -1])
def test_bad_num_segments(segments):
    with pytest.raises(ValueError, match="num_segments"):
        DendriticLayer(3, 2, segments, 4)
    with pytest.raises(ValueError, match="num_segments"):
        DendriticMLP(3, 2, [4], num_segments=segments, dim_context=4)


@pytest.mark.parametrize("p", [0.0, -0.1, 1.01, 2])
def test_bad_kw_percent_on(p):
    with pytest.raises(ValueError, match="kw_percent_on"):
        DendriticMLP(3, 2, [4], num_segments=1, dim_context=4, kw_percent_on=p)
    with pytest.raises(ValueError, match="kw_percent_on"):
        MLP(3, 2, [4], kw_percent_on=p)
    with pytest.raises(ValueError, match="percent_on"):
        KWinners(p)


def test_unknown_dendrite_mode_lists_the_allowed():
    for cls, extra in ((DendriticMLP, {}), (DendriticLayer, {"in_features": 3})):
        kwargs = dict(num_segments=1, dendrite_mode="max", **extra)
        if cls is DendriticMLP:
            kwargs.update(input_size=3, output_size=2, hidden_sizes=[4], dim_context=4)
        else:
            kwargs.update(out_features=2, context_dim=4)
        raised = check_bad_input(
            cls, exc=ValueError, names=("dendrite_mode", *DENDRITE_MODES), **kwargs
        )
        assert "'max'" in str(raised)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="weight_sparsity"):
        SparseLinear(4, 3, weight_sparsity=1.0)
    with pytest.raises(TypeError, match="hidden_sizes"):
        MLP(3, 2, 4)
    with pytest.raises(ValueError, match=r"hidden_sizes\[1\]"):
        MLP(3, 2, [4, 0])
    with pytest.raises(TypeError, match="kw"):
        MLP(3, 2, [4], kw=1)


# ------------------------------------------------------------- networks, training


def _toy_problem():
    """Two contexts; the label depends on the context (an XOR-like pair of tasks)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 10, generator=g)
    base = (x[:, 0] > 0).long()
    contexts = torch.eye(2).repeat_interleave(4, dim=1)  # (2, 8)
    return x, base, contexts


def _train(net, steps=60, context=True):
    x, base, contexts = _toy_problem()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        loss = 0.0
        for t in range(2):
            y = base if t == 0 else 1 - base
            loss = loss + torch.nn.functional.cross_entropy(net(x, contexts[t]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses


def test_dendritic_mlp_trains_and_uses_context():
    net = DendriticMLP(10, 2, [32], num_segments=2, dim_context=8, kw_percent_on=0.25, seed=0)
    losses = _train(net, steps=80)
    assert losses[-1] < 0.5 * losses[0]
    # the context must switch the answer: the two tasks have opposite labels
    x, base, contexts = _toy_problem()
    with torch.no_grad():
        acc = [
            float((net(x, contexts[t]).argmax(1) == (base if t == 0 else 1 - base)).float().mean())
            for t in range(2)
        ]
    assert min(acc) > 0.8
    # a network without dendrites cannot solve both tasks at once (same data, opposite labels)
    mlp = MLP(10, 2, [32], kw_percent_on=0.25, seed=0)
    mlp_losses = _train(mlp, steps=80)
    assert mlp_losses[-1] > 0.9 * 2 * np.log(2)


def test_same_seed_same_network_and_training():
    def make(seed):
        net = DendriticMLP(10, 2, [16, 16], num_segments=2, dim_context=8, seed=seed)
        initial = [p.detach().clone().numpy() for p in net.parameters()]
        torch.manual_seed(0)
        _train(net, steps=5)
        return initial + [p.detach().numpy() for p in net.parameters()]

    check_deterministic(make)


def test_mlp_shares_feedforward_initialisation_with_dendritic_mlp():
    kw = dict(weight_sparsity=0.5, seed=7)
    d = DendriticMLP(12, 3, [8, 6], num_segments=2, dim_context=4, **kw)
    m = MLP(12, 3, [8, 6], **kw)
    for dl, ml in zip(d.hidden, m.hidden):
        assert torch.equal(dl.linear.weight, ml.weight)
        assert torch.equal(dl.linear.mask, ml.mask)
    assert torch.equal(d.output.weight, m.output.weight)


def test_sparse_weights_fixed_fan_in_and_stay_zero():
    lin = SparseLinear(20, 6, weight_sparsity=0.75, seed=0)
    assert torch.all(lin.mask.sum(1) == 5)
    assert torch.all(lin.weight[~lin.mask] == 0)
    lin(torch.randn(3, 20)).sum().backward()
    assert torch.all(lin.weight.grad[~lin.mask] == 0)
    assert torch.all(lin.effective_weight()[~lin.mask] == 0)


def test_initial_weight_scales():
    # U(±1/sqrt(input_density · fan_in)): fan_in 100 · 0.25 -> bound 0.2
    lin = SparseLinear(200, 50, weight_sparsity=0.5, input_density=0.25, seed=0)
    w = lin.weight.detach()[lin.mask]
    assert float(w.abs().max()) <= 0.2 and float(w.abs().max()) > 0.19
    # dendrites: U(±1/sqrt(context_percent_on · context_dim)) -> 1/sqrt(0.1 · 40) = 0.5
    layer = DendriticLayer(3, 30, 4, 40, context_percent_on=0.1, seed=0)
    assert 0.49 < float(layer.segments.detach().abs().max()) <= 0.5
    # in a k-winners network the layers after the first are scaled for sparse input
    net = MLP(20, 3, [100, 50], kw_percent_on=0.04, seed=0)
    assert float(net.hidden[1].weight.detach().abs().max()) > 0.45  # bound 1/sqrt(0.04 · 100) = 0.5
    with pytest.raises(ValueError, match="context_percent_on"):
        DendriticMLP(3, 2, [4], num_segments=1, dim_context=4, context_percent_on=0)
    with pytest.raises(ValueError, match="input_density"):
        SparseLinear(3, 2, input_density=1.5)


def test_hidden_activations_are_k_sparse():
    net = DendriticMLP(10, 2, [40, 20], num_segments=3, dim_context=8, kw_percent_on=0.1)
    acts = net.hidden_activations(torch.randn(5, 10), torch.randn(8))
    assert [int((a != 0).sum(1).max()) for a in acts] == [4, 2]


def test_nearest_prototype_matches_brute_force():
    g = torch.Generator().manual_seed(1)
    protos = torch.randn(4, 7, generator=g)
    x = torch.randn(50, 7, generator=g)
    brute = torch.cdist(x, protos).argmin(1)
    assert torch.equal(nearest_prototype(x, protos), brute)
    with pytest.raises(ValueError, match="share d"):
        nearest_prototype(x, protos[:, :3])


# --------------------------------------------------------------- result format


@pytest.mark.parametrize("dendrites", [True, False])
def test_to_result_round_trip(tmp_path, dendrites):
    kw = dict(weight_sparsity=0.5, seed=0)
    if dendrites:
        net = DendriticMLP(12, 3, [8], num_segments=2, dim_context=5, **kw)
    else:
        net = MLP(12, 3, [8], **kw)
    tree = validate(net.to_result())
    assert tree.attrs["kind"] == ("dendrites.dendritic_mlp" if dendrites else "dendrites.mlp")
    assert tree.attrs["seed"] == 0  # recorded when the network was built
    mask = mask_from_connectivity(tree["connectivity/layer_0"])
    first = net.hidden[0].linear if dendrites else net.hidden[0]
    np.testing.assert_array_equal(mask, first.mask.numpy())
    if dendrites:
        seg = tree["state/hidden_0"]["segment_weight"]
        assert seg.dims == ("post", "segment", "context")
        np.testing.assert_array_equal(seg.values, net.hidden[0].segments.detach().numpy())
    check_result_roundtrip(tree, tmp_path)  # .nc and .zarr, bitwise


# ------------------------------------------------------------------ lazy import


def test_torch_is_optional():
    code = (
        "import sys\n"
        "import neurosparse.dendrites\n"
        "assert 'torch' not in sys.modules, 'neurosparse.dendrites imported torch'\n"
        "sys.modules['torch'] = None\n"
        "try:\n"
        "    import neurosparse.dendrites.layers\n"
        "except ImportError as e:\n"
        "    assert 'pip install neurosparse[torch]' in str(e), e\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- GPU


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("mode", DENDRITE_MODES)
def test_cuda_matches_cpu_forward_and_backward(mode):
    cpu = DendriticMLP(
        30, 5, [64, 32], num_segments=4, dim_context=12, dendrite_mode=mode,
        kw_percent_on=0.2, weight_sparsity=0.5, seed=0,
    )  # fmt: skip
    gpu = DendriticMLP(
        30, 5, [64, 32], num_segments=4, dim_context=12, dendrite_mode=mode,
        kw_percent_on=0.2, weight_sparsity=0.5, seed=0,
    ).to("cuda")  # fmt: skip
    g = torch.Generator().manual_seed(0)
    x, c = torch.randn(16, 30, generator=g), torch.randn(16, 12, generator=g)
    y = torch.randint(0, 5, (16,), generator=g)
    out_cpu = cpu(x, c)
    out_gpu = gpu(x.cuda(), c.cuda())
    assert out_gpu.device.type == "cuda"
    torch.testing.assert_close(out_gpu.cpu(), out_cpu, rtol=1e-4, atol=1e-5)
    torch.nn.functional.cross_entropy(out_cpu, y).backward()
    torch.nn.functional.cross_entropy(out_gpu, y.cuda()).backward()
    for p_cpu, p_gpu in zip(cpu.parameters(), gpu.parameters()):
        torch.testing.assert_close(p_gpu.grad.cpu(), p_cpu.grad, rtol=1e-3, atol=1e-5)
