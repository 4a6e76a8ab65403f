"""neurosparse.nn: the shared masked layer and k-winners."""

from __future__ import annotations

import numpy as np
import pytest

from neurosparse.testing import require

torch = require("torch", "torch")

from neurosparse.nn import KWinners, MaskedLinear  # noqa: E402


def _mask(out=5, inp=7, density=0.4, seed=0):
    return np.random.default_rng(seed).random((out, inp)) < density


def test_forward_is_the_numpy_masked_product():
    mask = _mask()
    layer = MaskedLinear(7, 5, mask=mask, generator=torch.Generator().manual_seed(0))
    x = torch.randn(3, 7, dtype=torch.float32)
    w = layer.weight.detach().numpy()
    expected = x.numpy() @ (w * mask).T + layer.bias.detach().numpy()
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-6, atol=1e-6)
    assert np.all(w[~mask] == 0)


def test_masked_weights_get_exactly_zero_gradient_and_stay_zero():
    mask = _mask()
    layer = MaskedLinear(7, 5, mask=mask)
    opt = torch.optim.SGD(layer.parameters(), lr=0.5, momentum=0.9, weight_decay=0.1)
    for _ in range(3):
        opt.zero_grad()
        layer(torch.randn(4, 7)).pow(2).sum().backward()
        assert torch.all(layer.weight.grad[~layer.mask] == 0)
        opt.step()
    assert torch.all(layer.weight[~layer.mask] == 0)
    assert torch.any(layer.weight[layer.mask] != 0)


def test_mask_is_a_bool_buffer_in_the_state_dict():
    layer = MaskedLinear(7, 5, mask=_mask())
    state = layer.state_dict()
    assert state["mask"].dtype == torch.bool
    again = MaskedLinear(7, 5)
    again.load_state_dict(state)
    assert torch.equal(again.mask, layer.mask)
    assert layer.to(torch.float64).mask.dtype == torch.bool  # dtype moves leave it bool


def test_set_mask_and_baked_linear():
    layer = MaskedLinear(7, 5, mask=_mask(seed=1))
    new = _mask(seed=2)
    kept = layer.weight.detach().clone()
    layer.set_mask(new)
    both = torch.from_numpy(new) & torch.from_numpy(_mask(seed=1))
    assert torch.equal(layer.weight[both], kept[both])
    assert torch.all(layer.weight[~torch.from_numpy(new)] == 0)
    assert layer.density == pytest.approx(new.mean())
    plain = layer.to_linear()
    assert isinstance(plain, torch.nn.Linear)
    x = torch.randn(2, 7)
    torch.testing.assert_close(plain(x), layer(x))
    torch.nn.Linear(7, 5).load_state_dict(plain.state_dict())


def test_dense_by_default_like_nn_linear():
    gen = torch.Generator().manual_seed(3)
    layer = MaskedLinear(6, 4, generator=gen)
    assert layer.density == 1.0
    bound = 1 / np.sqrt(6)
    assert float(layer.weight.detach().abs().max()) <= bound


@pytest.mark.parametrize(
    ("mask", "exc", "match"),
    [
        (np.ones((5, 6), dtype=bool), ValueError, r"mask must have shape .*\(5, 7\)"),
        (np.ones((5, 7)), TypeError, "mask must be boolean"),
        (torch.ones(5, 7), TypeError, "mask must be boolean"),
    ],
)
def test_bad_masks(mask, exc, match):
    with pytest.raises(exc, match=match):
        MaskedLinear(7, 5, mask=mask)


def test_bad_sizes():
    with pytest.raises(ValueError, match="in_features"):
        MaskedLinear(0, 5)
    with pytest.raises(TypeError, match="out_features"):
        MaskedLinear(3, 2.0)
    with pytest.raises(TypeError, match="bias"):
        MaskedLinear(3, 2, bias=1)


def test_kwinners_keeps_k_largest():
    kw = KWinners(0.5)
    out = kw(torch.tensor([[0.1, -2.0, 3.0, 0.5]]))
    assert torch.equal(out != 0, torch.tensor([[False, False, True, True]]))
    with pytest.raises(ValueError, match="percent_on"):
        KWinners(0.0)


@pytest.mark.gpu
def test_cuda_forward_backward_equals_cpu():
    mask = _mask(50, 80, 0.3)
    cpu = MaskedLinear(80, 50, mask=mask, generator=torch.Generator().manual_seed(0))
    gpu = MaskedLinear(80, 50, mask=mask).cuda()
    gpu.load_state_dict(cpu.state_dict())
    assert gpu.mask.is_cuda and gpu.mask.dtype == torch.bool
    x = torch.randn(16, 80)
    y_cpu, y_gpu = cpu(x), gpu(x.cuda())
    y_cpu.pow(2).sum().backward()
    y_gpu.pow(2).sum().backward()
    torch.testing.assert_close(y_gpu.cpu(), y_cpu, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(gpu.weight.grad.cpu(), cpu.weight.grad, rtol=1e-5, atol=1e-5)
    assert torch.all(gpu.weight.grad[~gpu.mask] == 0)


def test_masked_conv_channel_and_full_masks():
    from neurosparse.nn import MaskedConv2d

    channels = torch.tensor([[True, False, True], [False, True, False]])
    conv = MaskedConv2d(3, 2, 3, padding=1, mask=channels,
                        generator=torch.Generator().manual_seed(0))  # fmt: skip
    assert conv.mask.shape == (2, 3, 3, 3) and torch.equal(conv.channel_mask(), channels)
    assert conv.density == 3 / 6
    assert torch.all(conv.weight[~conv.mask] == 0)
    x = torch.randn(2, 3, 5, 5)
    y = conv(x)
    plain = torch.nn.functional.conv2d(x, conv.weight * conv.mask, conv.bias, padding=1)
    assert torch.equal(y, plain)
    y.sum().backward()
    assert torch.all(conv.weight.grad[~conv.mask] == 0)
    # output channel 1 ignores input channels 0 and 2
    x2 = x.clone()
    x2[:, [0, 2]] = 0
    torch.testing.assert_close(conv(x2)[:, 1], y[:, 1].detach())
    full = torch.rand(2, 3, 3, 3, generator=torch.Generator().manual_seed(1)) < 0.5
    conv.set_mask(full)
    assert torch.equal(conv.mask, full) and torch.all(conv.weight[~full] == 0)
    with pytest.raises(ValueError, match="out_channels, in_channels"):
        MaskedConv2d(3, 2, 3, mask=torch.ones(3, 2, dtype=torch.bool))
    with pytest.raises(TypeError, match="boolean"):
        MaskedConv2d(3, 2, 3, mask=np.ones((2, 3)))
