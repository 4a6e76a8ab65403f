"""G2GNet: masks as asked in every layer, results that load back and reach the bridges."""

from __future__ import annotations

import numpy as np
import pytest

from neurosparse.testing import require

torch = require("torch", "torch")

from neurosparse.g2g import ensemble_assignment, erk_densities  # noqa: E402
from neurosparse.g2g.models import G2GNet  # noqa: E402


def test_ensemble_masks_in_every_sparse_layer():
    net = G2GNet(64, 10, [48, 32], density=0.25, n_ensembles=4, within=1.0, seed=0)
    assert [int(m.mask.sum()) for m in net.layers] == [768, 384, 320]  # read-out dense
    for i, layer in enumerate(net.layers[:-1]):
        mask = layer.mask.numpy()
        pre, post = net.ensembles[i], net.ensembles[i + 1]
        assert np.array_equal(pre, ensemble_assignment(mask.shape[1], 4))
        assert not mask[post[:, None] != pre[None, :]].any()  # within=1: blocks only
        assert np.array_equal(net.allowed[i], post[:, None] == pre[None, :])
        assert torch.all(layer.weight[~layer.mask] == 0)
    assert net.allowed[-1] is None


def test_seeded_and_connectivities():
    a = G2GNet(20, 3, [16], density=0.3, seed=1)
    b = G2GNet(20, 3, [16], density=0.3, seed=1)
    c = G2GNet(20, 3, [16], density=0.3, seed=2)
    assert torch.equal(a.layers[0].mask, b.layers[0].mask)
    assert torch.equal(a.layers[0].weight, b.layers[0].weight)
    assert not torch.equal(a.layers[0].mask, c.layers[0].mask)
    er = G2GNet(20, 3, [16], density=0.3, connectivity="erdos_renyi", seed=0)
    assert int(er.layers[0].mask.sum()) == round(0.3 * 320) and er.allowed[0].all()
    dense = G2GNet(20, 3, [16], connectivity="dense", seed=0)
    assert dense.densities() == [1.0, 1.0]
    erk = G2GNet(784, 10, [300, 100], density=0.1, connectivity="erk", sparse_output=True,
                 seed=0)  # fmt: skip
    want = erk_densities([(300, 784), (100, 300), (10, 100)], 0.1)
    counts = [int(layer.mask.sum()) for layer in erk.layers]
    sizes = [300 * 784, 100 * 300, 10 * 100]
    assert counts == [max(1, round(d * n)) for d, n in zip(want, sizes, strict=True)]


def test_result_round_trip_and_bridges(tmp_path):
    from neurosparse.bridges import projections, to_torch
    from neurosparse.results import load, save

    net = G2GNet(16, 3, [12, 8], density=0.5, n_ensembles=2, seed=0)
    tree = net.to_result()
    node = tree["connectivity/layer_0"]
    assert node["pre_ensemble"].values.tolist() == [0] * 8 + [1] * 8
    assert [p.n_synapses for p in projections(tree)] == [96, 48, 24]
    save(tree, tmp_path / "g.nc")
    back = G2GNet.from_result(tmp_path / "g.nc")
    x = torch.randn(5, 16)
    assert torch.equal(back(x), net(x))
    model = to_torch(load(tmp_path / "g.nc"), activation="relu")
    torch.testing.assert_close(model(x), net(x), rtol=0, atol=0)


def test_masked_weights_stay_zero_under_training():
    net = G2GNet(16, 3, [12], density=0.4, seed=0)
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    x, y = torch.randn(32, 16), torch.randint(0, 3, (32,))
    for _ in range(5):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        assert torch.all(net.layers[0].weight.grad[~net.layers[0].mask] == 0)
        opt.step()
    assert torch.all(net.layers[0].weight[~net.layers[0].mask] == 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"density": 0.0}, "density"),
        ({"density": 1.2}, "density"),
        ({"connectivity": "ring"}, "connectivity"),
        ({"n_ensembles": 13}, "n_ensembles=13 is more than"),
        ({"hidden_sizes": 12}, "hidden_sizes"),
        ({"activation": "gelu"}, "activation"),
        ({"within": -0.1}, "within"),
    ],
)
def test_bad_input_is_named(kwargs, match):
    args = {"input_size": 16, "output_size": 3, "hidden_sizes": [12], **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        G2GNet(**args)


def test_conv_variant_masks_channels_and_round_trips(tmp_path):
    from neurosparse.g2g.models import G2GConvNet

    net = G2GConvNet(1, 16, 4, channels=(8, 8), hidden_sizes=(12,), density=0.5,
                     n_ensembles=2, within=1.0, seed=0)  # fmt: skip
    assert [round(d, 3) for d in net.densities()] == [1.0, 0.5, 0.5, 1.0]
    cm = net.convs[1].channel_mask().numpy()
    ens = ensemble_assignment(8, 2)
    assert not cm[ens[:, None] != ens[None, :]].any()  # channels hear their ensemble only
    # a channel heard is heard at every kernel position
    full = net.convs[1].mask.numpy()
    assert np.array_equal(full.all(axis=(2, 3)), full.any(axis=(2, 3)))
    x = torch.randn(3, 1, 16, 16)
    assert net(x).shape == (3, 4) and torch.equal(net(x), net(x.reshape(3, -1)))
    loss = net(x).pow(2).sum()
    loss.backward()
    assert torch.all(net.convs[1].weight.grad[~net.convs[1].mask] == 0)
    from neurosparse.results import save

    save(net.to_result(), tmp_path / "c.nc")
    back = G2GConvNet.from_result(tmp_path / "c.nc")
    assert torch.equal(back(x), net(x))
    # the dense layers' ensembles follow the channels they come from
    assert net.ensembles[0].tolist() == np.repeat(ens, 16).tolist()


@pytest.mark.gpu
def test_cuda_forward_backward_equals_cpu():
    net = G2GNet(16, 3, [12, 8], density=0.5, n_ensembles=2, seed=0)
    gpu = G2GNet(16, 3, [12, 8], density=0.5, n_ensembles=2, seed=0).cuda()
    x = torch.randn(6, 16)
    y_cpu, y_gpu = net(x), gpu(x.cuda())
    torch.testing.assert_close(y_gpu.cpu(), y_cpu, rtol=1e-5, atol=1e-5)
    y_cpu.pow(2).sum().backward()
    y_gpu.pow(2).sum().backward()
    for a, b in zip(net.parameters(), gpu.parameters(), strict=True):
        torch.testing.assert_close(b.grad.cpu(), a.grad, rtol=1e-4, atol=1e-5)
