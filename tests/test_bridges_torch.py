"""The PyTorch bridge: connectivity from any result into torch models, and back."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from neurosparse.results import connectivity_from_mask, new_result
from neurosparse.testing import require

torch = require("torch", "torch")

from neurosparse.bridges import apply_masks, from_torch, projections, to_torch  # noqa: E402
from neurosparse.nn import KWinners, MaskedLinear  # noqa: E402


def _chain_result(sizes=(12, 9, 4), density=0.4, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    names = ["input", "hidden", "output"]
    groups = {}
    for i in range(len(sizes) - 1):
        mask = rng.random((sizes[i + 1], sizes[i])) < density
        weight = rng.standard_normal(mask.shape).astype(dtype)
        node = connectivity_from_mask(
            mask, weight=weight, pre_layer=names[i], post_layer=names[i + 1]
        )
        node["bias"] = ("neuron", rng.standard_normal(sizes[i + 1]).astype(dtype),
                        {"long_name": "bias"})  # fmt: skip
        groups[f"connectivity/layer_{i}"] = node
    # stored out of order on purpose: the bridge orders them by layer names
    groups = dict(reversed(list(groups.items())))
    return new_result("test.chain", source="test", groups=groups)


def _numpy_forward(result, x):
    h = x
    chain = projections(result)
    for i, p in enumerate(chain):
        h = h @ p.dense_weight().T + p.bias
        if i < len(chain) - 1:
            h = np.maximum(h, 0)
    return h


def test_projections_are_ordered_feed_forward():
    chain = projections(_chain_result())
    assert [p.name for p in chain] == ["layer_0", "layer_1"]
    assert chain[0].n_post == chain[1].n_pre


@pytest.mark.parametrize("mode", ["mask", "prune", "csr", "dense"])
def test_every_mode_computes_the_numpy_masked_product(mode):
    result = _chain_result(dtype=np.float64)
    model = to_torch(result, mode=mode, dtype=torch.float64)
    x = np.random.default_rng(1).standard_normal((5, 12))
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(y, _numpy_forward(result, x), rtol=1e-12, atol=1e-12)


def test_round_trip_result_torch_result_is_bit_exact():
    for dtype, tdtype in ((np.float32, torch.float32), (np.float64, torch.float64)):
        result = _chain_result(dtype=dtype)
        for mode in ("mask", "prune", "csr"):
            back = from_torch(to_torch(result, mode=mode, dtype=tdtype))
            for name in ("layer_0", "layer_1"):
                a = result[f"connectivity/{name}"].to_dataset()
                b = back[f"connectivity/{name}"].to_dataset()
                order_a = np.lexsort((a["pre"].values, a["post"].values))
                order_b = np.lexsort((b["pre"].values, b["post"].values))
                for var in ("pre", "post", "weight"):
                    np.testing.assert_array_equal(a[var].values[order_a], b[var].values[order_b])
                    assert a[var].dtype == b[var].dtype
                np.testing.assert_array_equal(a["bias"].values, b["bias"].values)
                assert b.sizes["synapse"] == int(projections(result, [name])[0].mask().sum())


def test_a_learned_zero_weight_stays_a_synapse():
    result = _chain_result()
    p = projections(result)[0]
    node = result["connectivity/layer_0"].to_dataset()
    weight = node["weight"].values.copy()
    weight[0] = 0.0
    node["weight"] = ("synapse", weight, {"long_name": "w"})
    result["connectivity/layer_0"] = xr.DataTree(dataset=node)
    back = from_torch(to_torch(result))
    assert back["connectivity/layer_0"].sizes["synapse"] == p.n_synapses


def test_trained_network_exports_and_reloads(tmp_path):
    require("torch", "torch")
    from neurosparse.dendrites.layers import MLP

    net = MLP(10, 3, [16], weight_sparsity=0.5, kw_percent_on=0.25, seed=0)
    tree = net.to_result()
    model = to_torch(tree, activation=lambda: KWinners(0.25))
    x = torch.randn(4, 10)
    torch.testing.assert_close(model(x), net(x), rtol=0, atol=0)
    model[0].weight.data.mul_(2.0)  # "train" it
    back = from_torch(model)
    assert back["connectivity/layer_0"].sizes["synapse"] == int(net.hidden[0].mask.sum())


def test_apply_masks_on_a_user_model():
    result = _chain_result()
    model = torch.nn.Sequential(torch.nn.Linear(12, 9), torch.nn.ReLU(), torch.nn.Linear(9, 4))
    apply_masks(model, result, {"layer_0": "0", "layer_1": "2"})
    assert isinstance(model[0], MaskedLinear)
    x = np.random.default_rng(2).standard_normal((3, 12)).astype(np.float32)
    with torch.no_grad():
        y = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(y, _numpy_forward(result, x), rtol=1e-5, atol=1e-5)
    pruned = torch.nn.Sequential(torch.nn.Linear(12, 9))
    apply_masks(pruned, result, {"layer_0": "0"}, mode="prune")
    assert hasattr(pruned[0], "weight_orig") and hasattr(pruned[0], "weight_mask")
    assert torch.all(pruned[0].weight[~pruned[0].weight_mask.bool()] == 0)


def test_bad_input_is_named():
    result = _chain_result()
    empty = new_result("test.empty", source="x")
    with pytest.raises(ValueError, match="has no connectivity"):
        to_torch(empty)
    with pytest.raises(ValueError, match="no projection 'nope'.*layer_0"):
        to_torch(result, names=["nope"])
    with pytest.raises(ValueError, match="do not follow each other"):
        to_torch(result, names=["layer_1", "layer_0"])
    with pytest.raises(ValueError, match="mode must be one of"):
        to_torch(result, mode="coo")
    model = torch.nn.Sequential(torch.nn.Linear(12, 8))
    with pytest.raises(ValueError, match=r"\(out, in\) = \(8, 12\).*\(9, 12\)"):
        apply_masks(model, result, {"layer_0": "0"})
    with pytest.raises(ValueError, match="no layer 'fc1'.*its linear layers are 0"):
        apply_masks(model, result, {"layer_0": "fc1"})
    with pytest.raises(ValueError, match="no linear layer"):
        from_torch(torch.nn.Sequential(torch.nn.ReLU()))


@pytest.mark.gpu
@pytest.mark.parametrize("mode", ["mask", "prune", "csr", "dense"])
def test_cuda_model_equals_cpu(mode):
    """Forward (every mode) and backward (the trainable ones) on CUDA equal the CPU's."""
    result = _chain_result()
    cpu = to_torch(result, mode=mode)
    gpu = to_torch(result, mode=mode, device="cuda")
    x = torch.randn(6, 12)
    with torch.set_grad_enabled(mode != "csr"):
        y_cpu, y_gpu = cpu(x), gpu(x.cuda())
    torch.testing.assert_close(y_gpu.cpu(), y_cpu, rtol=1e-5, atol=1e-5)
    assert all(b.is_cuda for b in gpu.buffers())
    if mode != "csr":
        y_cpu.pow(2).sum().backward()
        y_gpu.pow(2).sum().backward()
        for (name, p_cpu), p_gpu in zip(cpu.named_parameters(), gpu.parameters(), strict=True):
            torch.testing.assert_close(p_gpu.grad.cpu(), p_cpu.grad, rtol=1e-4, atol=1e-5,
                                       msg=name)  # fmt: skip


def test_dendritic_network_reaches_torch_with_its_segments_named():
    from neurosparse.dendrites import DendriticMLP

    m = DendriticMLP(20, 4, [16, 12], 3, 5, weight_sparsity=0.5, seed=0)
    tree = m.to_result()
    chain = projections(tree)  # the segments are a modulatory pathway: left out
    assert [p.name for p in chain] == ["layer_0", "layer_1", "layer_2"]
    (seg,) = projections(tree, ["segments_0"], chain=False)
    assert (seg.n_pre, seg.n_post, seg.n_synapses) == (5, 16 * 3, 16 * 3 * 5)
    np.testing.assert_array_equal(
        seg.dense_weight().reshape(16, 3, 5), m.hidden[0].segments.detach().numpy()
    )
    net = to_torch(tree, activation="relu")
    for i, lin in enumerate(m._linears()):
        torch.testing.assert_close(net[2 * i].weight, lin.effective_weight(), rtol=0, atol=0)


def test_a_learned_dictionary_runs_as_a_masked_layer():
    from neurosparse.coding import DictionaryLearner, dictionary_connectivity

    X = np.random.default_rng(1).standard_normal((200, 16))
    learner = DictionaryLearner(8, lam=0.1, batch_size=50, n_batches=4, seed=0).fit(X)
    tree = dictionary_connectivity(learner, top_k=6)
    layer = to_torch(tree, dtype=torch.float64)[0]
    drive = layer(torch.from_numpy(X)).detach().numpy()
    phi = projections(tree)[0].dense_weight()
    np.testing.assert_allclose(drive, X @ phi.T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_csr_layer_cpu_kernel_equals_torch_sparse_mm(dtype):
    import numba

    result = _chain_result(sizes=(300, 200), density=0.1, seed=4)
    layer = to_torch(result, mode="csr", dtype=dtype)[0]
    x = torch.randn(300, 300, dtype=dtype, generator=torch.Generator().manual_seed(0))
    reference = torch.sparse.mm(layer.weight, x.T.contiguous()).T + layer.bias
    with torch.no_grad():
        before = numba.get_num_threads()
        try:
            numba.set_num_threads(1)
            one = layer(x)
            numba.set_num_threads(before)
            many = layer(x)
        finally:
            numba.set_num_threads(before)
    assert layer._plan is not None  # the Numba kernel ran
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(one, reference, rtol=tol, atol=tol)
    assert torch.equal(one, many)  # the same bits on any number of threads
    # with a gradient to carry, torch's own product runs (and the gradient is right)
    xg = x[:3].clone().requires_grad_(True)
    layer(xg).sum().backward()
    dense = layer.weight.to_dense()
    torch.testing.assert_close(xg.grad, dense.sum(0).expand(3, -1), rtol=tol, atol=tol)


def test_csr_layer_rebuilds_its_plan_when_the_weights_change():
    result = _chain_result(sizes=(40, 30), density=0.3, seed=5)
    layer = to_torch(result, mode="csr")[0]
    x = torch.randn(4, 40)
    with torch.no_grad():
        a = layer(x)
        layer64 = layer.to(torch.float64)
        b = layer64(x.double())
    torch.testing.assert_close(a.double(), b, rtol=1e-5, atol=1e-5)
    assert layer64._plan[3].dtype == np.float64
