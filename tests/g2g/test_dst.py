"""Dynamic sparse training and gradual magnitude pruning: exact counts, the chosen sets
checked against independent computations (autograd on a plain Linear, NumPy
correlations, sorted magnitudes), determinism and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurosparse.testing import require

torch = require("torch", "torch")

from torch import nn  # noqa: E402

from neurosparse.g2g.dst import (  # noqa: E402
    DynamicSparseTraining,
    GradualMagnitudePruning,
    cosine_prune_fraction,
    gmp_sparsity,
)
from neurosparse.nn import MaskedLinear  # noqa: E402


def _mask(shape, density, seed):
    rng = np.random.default_rng(seed)
    flat = np.zeros(shape[0] * shape[1], dtype=bool)
    flat[rng.choice(flat.size, round(density * flat.size), replace=False)] = True
    return flat.reshape(shape)


def _mlp(seed=0):
    gen = torch.Generator().manual_seed(seed)
    first = MaskedLinear(12, 16, mask=_mask((16, 12), 0.3, seed), generator=gen)
    second = MaskedLinear(16, 4, mask=_mask((4, 16), 0.5, seed + 1), generator=gen)
    return nn.Sequential(first, nn.ReLU(), second)


def _set(mask):
    return set(map(int, np.flatnonzero(np.asarray(mask).reshape(-1))))


def _top(values, eligible, k, largest=True):
    """The k eligible flat indices of largest (smallest) value, no ties expected."""
    idx = np.flatnonzero(eligible.reshape(-1))
    vals = values.reshape(-1)[idx]
    order = np.argsort(-vals if largest else vals, kind="stable")[:k]
    return set(map(int, idx[order]))


# --------------------------------------------------------------------------- schedules


def test_cosine_schedule():
    assert cosine_prune_fraction(0, initial=0.3, end_step=100) == 0.3
    assert cosine_prune_fraction(50, initial=0.3, end_step=100) == pytest.approx(0.15)
    assert cosine_prune_fraction(25, initial=0.4, end_step=100) == pytest.approx(
        0.2 * (1 + math.cos(math.pi / 4))
    )
    assert cosine_prune_fraction(100, initial=0.3, end_step=100) == 0.0
    assert cosine_prune_fraction(500, initial=0.3, end_step=100) == 0.0
    values = [cosine_prune_fraction(t, initial=0.5, end_step=40) for t in range(41)]
    assert (np.diff(values) <= 0).all()


def test_gmp_schedule_function():
    s = [gmp_sparsity(t, final=0.9, initial=0.1, start_step=10, end_step=30) for t in range(40)]
    assert s[:11] == [0.1] * 11 and s[30:] == [0.9] * 10
    assert s[20] == pytest.approx(0.9 + (0.1 - 0.9) * 0.5**3)


# --------------------------------------------------------------------------- training


@pytest.mark.parametrize("regrowth", ["random", "gradient", "hebbian"])
@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_training_keeps_density_and_zeros(regrowth, opt):
    torch.manual_seed(0)
    net = _mlp(0)
    layers = [net[0], net[2]]
    allowed = [_mask((16, 12), 0.6, 7), None]
    if opt == "sgd":
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    else:
        optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    dst = DynamicSparseTraining(
        net,
        regrowth=regrowth,
        prune_fraction=0.3,
        update_every=5,
        end_step=40,
        allowed=allowed,
        optimizer=optimizer,
        seed=3,
    )
    assert dst.layers == layers
    counts = [int(layer.mask.sum()) for layer in layers]
    gen = torch.Generator().manual_seed(1)
    x_all = torch.randn(50, 32, 12, generator=gen)
    y_all = torch.randint(0, 4, (50, 32), generator=gen)
    n_updates = 0
    for t in range(50):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(net(x_all[t]), y_all[t])
        loss.backward()
        for layer in layers:
            assert torch.all(layer.weight.grad[~layer.mask] == 0)
        optimizer.step()
        old = [layer.mask.clone() for layer in layers]
        updated = dst.step()
        assert updated == ((t + 1) % 5 == 0 and t + 1 < 40)
        for i, layer in enumerate(layers):
            assert int(layer.mask.sum()) == counts[i]
            assert torch.all(layer.weight[~layer.mask] == 0)
        if updated:
            n_updates += 1
            for i, layer in enumerate(layers):
                grown = dst.last_regrown[i]
                assert torch.equal(grown, layer.mask & ~old[i])
                assert torch.equal(dst.last_pruned[i], old[i] & ~layer.mask)
                f = cosine_prune_fraction(t + 1, initial=0.3, end_step=40)
                assert int(grown.sum()) == round(f * counts[i])
                assert torch.all(layer.weight[grown] == 0)
                assert not (grown & old[i]).any()
                if allowed[i] is not None:
                    assert not grown[~torch.from_numpy(allowed[i])].any()
                for value in optimizer.state[layer.weight].values():
                    if isinstance(value, torch.Tensor) and value.shape == layer.weight.shape:
                        assert torch.all(value[grown | dst.last_pruned[i]] == 0)
    assert n_updates == 7
    hist = dst.history
    assert hist["step"].tolist() == [5, 10, 15, 20, 25, 30, 35]
    assert hist["n_pruned"].shape == (7, 2)
    np.testing.assert_array_equal(hist["n_pruned"], hist["n_regrown"])
    np.testing.assert_array_equal(hist["n_active"], np.tile(counts, (7, 1)))
    np.testing.assert_allclose(hist["turnover"], hist["n_regrown"] / hist["n_active"])
    assert (hist["turnover"][:3] > 0).all()  # late fractions round to 0 in small layers
    fractions = [cosine_prune_fraction(s, initial=0.3, end_step=40) for s in hist["step"]]
    np.testing.assert_allclose(hist["prune_fraction"], fractions)
    expected = [[round(f * c) for c in counts] for f in hist["prune_fraction"]]
    np.testing.assert_array_equal(hist["n_pruned"], expected)
    np.testing.assert_allclose(hist["density"], np.tile(dst.densities(), (7, 1)))
    assert dst._hooks == []  # no update left after step 35
    assert all(not layer._forward_hooks for layer in layers)


def _run_random(seed):
    net = _mlp(0)
    dst = DynamicSparseTraining(net, regrowth="random", update_every=2, seed=seed)
    for _ in range(6):
        dst.step()
    return dst.masks()


def test_random_regrowth_seeded():
    a, b, c = _run_random(5), _run_random(5), _run_random(6)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))
    assert DynamicSparseTraining(_mlp(0), regrowth="random")._hooks == []


def test_optimizer_state_reset_by_hand():
    net = _mlp(0)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    dst = DynamicSparseTraining(net, regrowth="random", update_every=1, seed=0)
    net(torch.randn(8, 12)).sum().backward()
    optimizer.step()
    assert dst.step()
    layer = net[0]
    changed = dst.last_pruned[0] | dst.last_regrown[0]
    assert (optimizer.state[layer.weight]["exp_avg"][changed] != 0).any()
    dst.reset_optimizer_state(optimizer)
    assert torch.all(optimizer.state[layer.weight]["exp_avg"][changed] == 0)
    assert torch.all(optimizer.state[layer.weight]["exp_avg_sq"][changed] == 0)


# --------------------------------------------------------------------------- rules


def test_gradient_regrowth_picks_top_dense_gradient():
    gen = torch.Generator().manual_seed(0)
    mask = _mask((6, 10), 0.4, 2)
    allowed = _mask((6, 10), 0.7, 3)
    layer = MaskedLinear(10, 6, mask=mask, generator=gen)
    x = torch.randn(4, 8, 10, generator=gen)  # leading dims flattened into samples
    target = torch.randn(4, 8, 6, generator=gen)
    ref = nn.Linear(10, 6)
    with torch.no_grad():
        ref.weight.copy_(layer.effective_weight())
        ref.bias.copy_(layer.bias)
    ((torch.tanh(ref(x)) - target) ** 2).mean().backward()
    dense = ref.weight.grad.numpy()
    assert (dense[~mask] != 0).all()

    dst = DynamicSparseTraining(
        [layer], regrowth="gradient", prune_fraction=0.5, update_every=1, allowed=allowed
    )
    ((torch.tanh(layer(x)) - target) ** 2).mean().backward()
    assert torch.all(layer.weight.grad[~layer.mask] == 0)  # the raw gradient is masked
    weights = layer.weight.detach().numpy().copy()
    assert dst.step()
    k = round(0.5 * mask.sum())
    assert dst.history["n_regrown"][0, 0] == k
    assert _set(dst.last_regrown[0]) == _top(np.abs(dense), ~mask & allowed, k)
    assert _set(dst.last_pruned[0]) == _top(np.abs(weights), mask, k, largest=False)
    assert not dst.last_regrown[0].numpy()[~allowed].any()


def test_gradient_capture_matches_autograd():
    gen = torch.Generator().manual_seed(4)
    layer = MaskedLinear(7, 5, mask=_mask((5, 7), 0.5, 4), generator=gen)
    ref = nn.Linear(7, 5)
    with torch.no_grad():
        ref.weight.copy_(layer.effective_weight())
        ref.bias.copy_(layer.bias)
    dst = DynamicSparseTraining([layer], regrowth="gradient", update_every=2)
    dst.step()  # step 1: nothing captured, no update
    assert dst._capturing
    for _ in range(2):  # two backward passes in one step accumulate, as .grad does
        x = torch.randn(16, 7, generator=gen)
        layer(x).pow(2).sum().backward()
        ref(x).pow(2).sum().backward()
    with torch.no_grad():
        layer(torch.randn(3, 7))  # no gradient: ignored
    np.testing.assert_allclose(dst.dense_gradients[0].numpy(), ref.weight.grad.numpy(), rtol=1e-5)


def _numpy_corr(x, y):
    xc = x - x.mean(0)
    yc = y - y.mean(0)
    cov = yc.T @ xc
    return np.abs(cov / np.sqrt(np.outer((yc**2).sum(0), (xc**2).sum(0))))


@pytest.mark.parametrize("activation", [None, torch.tanh])
def test_hebbian_regrowth_picks_top_correlation(activation):
    gen = torch.Generator().manual_seed(1)
    mask = _mask((8, 10), 0.3, 5)
    allowed = _mask((8, 10), 0.5, 6)
    layer = MaskedLinear(10, 8, mask=mask, generator=gen)
    dst = DynamicSparseTraining(
        [layer],
        regrowth="hebbian",
        prune_fraction=0.4,
        update_every=3,
        allowed=[allowed],
        activation=activation,
        seed=0,
    )
    xs, ys = [], []
    for t in range(3):
        x = torch.randn(20, 10, generator=gen) + torch.linspace(0, 1, 10)
        y = layer(x)
        xs.append(x.numpy().astype(np.float64))
        ys.append((y if activation is None else activation(y)).detach().double().numpy())
        with torch.no_grad():
            layer.eval()
            layer(torch.randn(5, 10))  # evaluation passes are not counted
            layer.train()
        if t < 2:
            assert not dst.step()
    corr = _numpy_corr(np.concatenate(xs), np.concatenate(ys))
    np.testing.assert_allclose(dst.correlations(0).numpy(), corr, rtol=1e-9, atol=1e-12)
    weights = layer.weight.detach().numpy().copy()
    assert dst.step()
    k = round(0.4 * mask.sum())
    assert _set(dst.last_regrown[0]) == _top(corr, ~mask & allowed, k)
    assert _set(dst.last_pruned[0]) == _top(np.abs(weights), mask, k, largest=False)
    assert not dst.last_regrown[0].numpy()[~allowed].any()
    assert dst._stats[0] is None  # sums restart after the update


def test_regrowth_limited_by_allowed_room():
    mask = _mask((4, 5), 0.5, 0)
    allowed = mask.copy()
    free = np.flatnonzero(~mask.reshape(-1))[:2]
    allowed.reshape(-1)[free] = True  # only two pairs may grow
    layer = MaskedLinear(5, 4, mask=mask)
    dst = DynamicSparseTraining(
        [layer], regrowth="random", prune_fraction=0.9, update_every=1, allowed=[allowed]
    )
    dst.step()
    assert dst.history["n_pruned"][0, 0] == 2 and int(layer.mask.sum()) == 10
    assert _set(dst.last_regrown[0]) == set(map(int, free))


def test_missing_statistics_raise():
    layer = MaskedLinear(4, 3)
    with pytest.raises(RuntimeError, match=r"gradient regrowth needs the dense gradient"):
        DynamicSparseTraining([layer], regrowth="gradient", update_every=1).step()
    with pytest.raises(RuntimeError, match=r"hebbian regrowth needs the activations"):
        DynamicSparseTraining([layer], regrowth="hebbian", update_every=1).step()


# --------------------------------------------------------------------------- GMP


def test_gmp_follows_cubic_schedule_and_keeps_largest():
    gen = torch.Generator().manual_seed(0)
    layers = [MaskedLinear(20, 10, generator=gen), MaskedLinear(10, 6, generator=gen)]
    w0 = [layer.weight.detach().numpy().copy() for layer in layers]
    gmp = GradualMagnitudePruning(layers, final_sparsity=0.8, end_step=22, frequency=5)
    events = [0]
    for t in range(1, 30):
        if gmp.step():
            events.append(t)
    assert events == [0, 5, 10, 15, 20, 22]
    hist = gmp.history
    assert hist["step"].tolist() == events
    expected_s = [0.8 * (1 - (1 - t / 22) ** 3) for t in events]
    np.testing.assert_allclose(hist["sparsity"], expected_s)
    for row, s in zip(hist["n_active"], expected_s, strict=True):
        assert row.tolist() == [round((1 - s) * 200), round((1 - s) * 60)]
    assert hist["n_active"][-1].tolist() == [40, 12]
    assert gmp.densities() == [0.2, 0.2]
    for layer, w in zip(layers, w0, strict=True):  # weights unchanged: top |w| overall
        keep = int(layer.mask.sum())
        assert _set(layer.mask) == _top(np.abs(w), np.ones_like(w, bool), keep)
        assert torch.all(layer.weight[~layer.mask] == 0)


def test_gmp_global_and_training():
    torch.manual_seed(0)
    net = nn.Sequential(MaskedLinear(12, 16), nn.ReLU(), MaskedLinear(16, 4))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    gmp = GradualMagnitudePruning(
        net,
        final_sparsity=0.75,
        initial_sparsity=0.25,
        start_step=4,
        end_step=16,
        frequency=4,
        scope="global",
        optimizer=optimizer,
        seed=0,
    )
    total = 12 * 16 + 16 * 4
    for t in range(1, 21):
        optimizer.zero_grad()
        net(torch.randn(8, 12)).pow(2).mean().backward()
        optimizer.step()
        before = [layer.mask.clone() for layer in gmp.layers]
        mags = np.concatenate([layer.weight.detach().abs().numpy().ravel() for layer in gmp.layers])
        active = np.concatenate([m.numpy().ravel() for m in before])
        if gmp.step():
            s = gmp_sparsity(t, final=0.75, initial=0.25, start_step=4, end_step=16)
            keep = round((1 - s) * total)
            now = np.concatenate([layer.mask.numpy().ravel() for layer in gmp.layers])
            assert now.sum() == keep
            assert _set(now) == _top(mags, active, keep)
        for layer in gmp.layers:
            assert torch.all(layer.weight[~layer.mask] == 0)
    assert gmp.history["step"].tolist() == [4, 8, 12, 16]
    assert gmp.history["n_active"][-1].sum() == round(0.25 * total)


# --------------------------------------------------------------------------- bad input


def test_bad_input():
    layer = MaskedLinear(4, 3)
    with pytest.raises(
        ValueError, match=r"prune_fraction must be a number in \[0.0, 1.0\), got 1.0"
    ):
        DynamicSparseTraining([layer], prune_fraction=1.0)
    with pytest.raises(ValueError, match=r"prune_fraction .* got -0.1"):
        DynamicSparseTraining([layer], prune_fraction=-0.1)
    with pytest.raises(ValueError, match=r"update_every must be an integer in \[1, inf\), got 0"):
        DynamicSparseTraining([layer], update_every=0)
    with pytest.raises(TypeError, match=r"update_every must be an integer, got 2.0"):
        DynamicSparseTraining([layer], update_every=2.0)
    with pytest.raises(ValueError, match=r"end_step must be an integer in \[1, inf\), got 0"):
        DynamicSparseTraining([layer], end_step=0)
    with pytest.raises(ValueError, match=r"regrowth must be one of 'random', 'gradient', "):
        DynamicSparseTraining([layer], regrowth="magic")
    with pytest.raises(ValueError, match=r"allowed\[0\] must have the shape \(post, pre\) = "):
        DynamicSparseTraining([layer], allowed=[np.ones((4, 3), bool)])
    with pytest.raises(TypeError, match=r"allowed\[0\] must be a boolean array, got dtype int"):
        DynamicSparseTraining([layer], allowed=[np.ones((3, 4), int)])
    with pytest.raises(TypeError, match=r"allowed\[0\] must be a boolean array, got dtype"):
        DynamicSparseTraining([layer], allowed=[torch.ones(3, 4)])
    with pytest.raises(ValueError, match=r"allowed must have one entry per layer \(1\), got 2"):
        DynamicSparseTraining([layer], allowed=[None, None])
    with pytest.raises(ValueError, match=r"layers must contain at least one MaskedLinear"):
        DynamicSparseTraining(nn.Sequential(nn.Linear(4, 3)))
    with pytest.raises(ValueError, match=r"layers must contain at least one MaskedLinear"):
        DynamicSparseTraining([])
    with pytest.raises(TypeError, match=r"layers\[0\] must be a neurosparse.nn.MaskedLinear"):
        DynamicSparseTraining([nn.Linear(4, 3)])
    with pytest.raises(ValueError, match=r"the same MaskedLinear twice"):
        DynamicSparseTraining([layer, layer])
    with pytest.raises(ValueError, match=r"seed must be a non-negative integer"):
        DynamicSparseTraining([layer], seed=-1)
    with pytest.raises(ValueError, match=r"optimizer does not hold the weight of layers\[0\]"):
        DynamicSparseTraining([layer], optimizer=torch.optim.SGD([nn.Parameter(torch.ones(1))]))
    with pytest.raises(TypeError, match=r"activation must be callable"):
        DynamicSparseTraining([layer], activation="relu")
    with pytest.raises(ValueError, match=r"step must be an integer in \[0, inf\), got -1"):
        cosine_prune_fraction(-1, initial=0.3, end_step=10)
    with pytest.raises(ValueError, match=r"final_sparsity must be a number in \[0.0, 1.0\)"):
        GradualMagnitudePruning([layer], final_sparsity=1.0, end_step=10)
    with pytest.raises(ValueError, match=r"initial_sparsity must be a number in \[0.0, 0.5\]"):
        GradualMagnitudePruning([layer], final_sparsity=0.5, initial_sparsity=0.6, end_step=10)
    with pytest.raises(ValueError, match=r"end_step must be an integer in \[6, inf\), got 5"):
        GradualMagnitudePruning([layer], final_sparsity=0.5, start_step=5, end_step=5)
    with pytest.raises(ValueError, match=r"frequency must be an integer in \[1, inf\), got 0"):
        GradualMagnitudePruning([layer], final_sparsity=0.5, end_step=10, frequency=0)
    with pytest.raises(ValueError, match=r"scope must be one of 'layer', 'global'; got 'all'"):
        GradualMagnitudePruning([layer], final_sparsity=0.5, end_step=10, scope="all")
