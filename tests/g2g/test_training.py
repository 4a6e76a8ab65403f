"""The classifier training loop the G2G studies share."""

from __future__ import annotations

import numpy as np
import pytest

from neurosparse.testing import require

torch = require("torch", "torch")

from neurosparse.g2g.models import G2GNet  # noqa: E402
from neurosparse.g2g.training import train_classifier  # noqa: E402


def _data(seed=0, n=120):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 10)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    return (X[:90], y[:90]), (X[90:], y[90:])


def test_curves_learn_and_repeat_under_a_seed():
    train, test = _data()
    runs = []
    for _ in range(2):
        net = G2GNet(10, 2, [16], density=0.5, n_ensembles=2, seed=0)
        runs.append(train_classifier(net, train, test, epochs=8, batch_size=16, lr=1e-2,
                                     seed=1))  # fmt: skip
    a, b = runs
    assert a.test_accuracy.shape == (8,) and a.steps == 8 * 6
    assert np.array_equal(a.test_accuracy, b.test_accuracy)
    assert np.array_equal(a.train_loss, b.train_loss)
    assert a.final_accuracy > 0.8 and a.train_loss[-1] < a.train_loss[0]


def test_a_controller_or_a_function_of_the_optimizer():
    from neurosparse.g2g.dst import DynamicSparseTraining

    train, test = _data()
    net = G2GNet(10, 2, [16], density=0.5, n_ensembles=2, seed=0)
    seen = {}

    def make(opt):
        seen["opt"] = opt
        return DynamicSparseTraining(net.layers[:1], regrowth="random", update_every=2,
                                     optimizer=opt, seed=0)  # fmt: skip

    n = int(net.layers[0].mask.sum())
    curves = train_classifier(net, train, test, epochs=2, batch_size=16, sparse_training=make)
    assert isinstance(seen["opt"], torch.optim.Adam)
    assert int(net.layers[0].mask.sum()) == n
    assert curves.extra["sparse_training"]["step"].size == 6  # steps 0, 2, ..., 10


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 0}, "epochs"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"lr": 0.0}, "lr"),
        ({"sparse_training": 3}, "sparse_training"),
    ],
)
def test_bad_input_is_named(kwargs, match):
    train, test = _data()
    net = G2GNet(10, 2, [16], seed=0)
    with pytest.raises((ValueError, TypeError), match=match):
        train_classifier(net, train, test, **kwargs)


def test_mismatched_data_is_named():
    (X, y), test = _data()
    with pytest.raises(ValueError, match="train inputs and labels disagree"):
        train_classifier(G2GNet(10, 2, [16], seed=0), (X, y[:-1]), test)


def test_the_models_result_carries_curves_and_mask_turnover(tmp_path):
    from neurosparse.g2g.dst import DynamicSparseTraining
    from neurosparse.results import load, save

    train, test = _data()
    net = G2GNet(10, 2, [16], density=0.5, n_ensembles=2, seed=0)
    assert "metrics" not in net.to_result().children  # nothing trained yet

    def make(opt):
        return DynamicSparseTraining(net.layers[:1], regrowth="hebbian", update_every=3,
                                     optimizer=opt, seed=0)  # fmt: skip

    curves = train_classifier(net, train, test, epochs=3, batch_size=16, sparse_training=make)
    save(net.to_result(), tmp_path / "g.nc")
    m = load(tmp_path / "g.nc")["metrics"].to_dataset()
    assert np.array_equal(m["test_accuracy"].values, curves.test_accuracy)
    hist = curves.extra["sparse_training"]
    assert m["dst_turnover"].dims == ("update", "layer")
    assert np.array_equal(m["dst_turnover"].values, hist["turnover"])
    assert np.array_equal(m["dst_step"].values, hist["step"])
    assert (m["dst_turnover"].values > 0).any()
