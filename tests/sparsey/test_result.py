"""Sparsey in the result format: binary weights as connectivity the bridges follow,
codes and familiarity as activity, and the fitted model back from a result."""

import numpy as np
import pytest

from neurosparse import model_from_result
from neurosparse.bridges import projections
from neurosparse.sparsey import Sparsey, SparseyClassifier
from neurosparse.testing import check_result, check_result_roundtrip, require


def images(n, seed=0, side=12):
    return np.random.default_rng(seed).random((n, side, side)) < 0.2


@pytest.fixture(scope="module")
def model():
    return Sparsey(grid=((2, 2), (1, 1)), n_cms=(4, 6), cells_per_cm=(5, 8),
                   rf_radius=(4.0, None), seed=0).fit(images(15))  # fmt: skip


def test_result_layout(model, tmp_path):
    tree = check_result(model.to_result(), kind="sparsey.sparsey")
    assert set(tree["connectivity"].children) == {"U_L1", "U_L2"}
    u1 = tree["connectivity/U_L1"]
    assert (u1.attrs["pre_layer"], u1.attrs["post_layer"]) == ("input", "L1")
    assert (u1.attrs["n_pre"], u1.attrs["n_post"]) == (144, 4 * 4 * 5)
    assert u1["pre"].size == int(model._weights[0][: model._net.wu_off[4]].sum())
    chain = projections(tree)
    assert [p.name for p in chain] == ["U_L1", "U_L2"]
    assert chain[1].n_pre == 80 and chain[1].n_post == 48
    assert tree["activity/codes"].shape == (15, 1, 48)
    check_result_roundtrip(tree, tmp_path)


def test_from_result_gives_the_model_back(model, tmp_path):
    from neurosparse.results import save

    path = save(model.to_result(), tmp_path / "sparsey.nc")
    back = model_from_result(path)
    assert isinstance(back, Sparsey) and back.image_shape_ == (12, 12)
    X = images(10, seed=1)
    np.testing.assert_array_equal(back.transform(X), model.transform(X))
    np.testing.assert_array_equal(back.familiarity(X), model.familiarity(X))
    np.testing.assert_array_equal(back.codes_, model.codes_)
    for a, b in zip(back._weights, model._weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_sequence_result_has_modulatory_paths():
    X = np.stack([images(3, seed=s) for s in range(4)])
    seq = Sparsey(grid=((2, 2), (1, 1)), rf_radius=(4.0, None), seed=0).fit(X)
    tree = check_result(seq.to_result())
    nodes = tree["connectivity"].children
    assert set(nodes) == {"U_L1", "U_L2", "H_L1", "H_L2", "D_L1"}
    assert nodes["D_L1"].attrs["pathway"] == "modulatory"
    assert (nodes["D_L1"].attrs["pre_layer"], nodes["D_L1"].attrs["post_layer"]) == ("L2", "L1")
    assert nodes["H_L1"].attrs["input"] == "horizontal"
    assert [p.name for p in projections(tree)] == ["U_L1", "U_L2"]
    back = Sparsey.from_result(tree)
    np.testing.assert_array_equal(back.transform(X), seq.transform(X))
    assert back.codes_.shape == seq.codes_.shape == (4, 3, 16 * 8)


def test_classifier_result(tmp_path):
    X, y = images(12), np.repeat(["a", "b", "c"], 4)
    for readout in ("overlap", "knn", "association"):
        clf = SparseyClassifier(readout=readout, n_neighbors=3, seed=0).fit(X, y)
        tree = check_result(clf.to_result(), kind="sparsey.classifier")
        names = [p.name for p in projections(tree)]
        assert names == (["U_L1", "memory", "label"] if readout != "association"
                         else ["U_L1", "readout"])  # fmt: skip
        check_result_roundtrip(tree, tmp_path)
        back = model_from_result(tree)
        np.testing.assert_array_equal(back.predict(X), clf.predict(X))
        assert list(back.classes_) == ["a", "b", "c"]


def test_torch_bridge_computes_the_input_sums(model):
    torch = require("torch", "torch")
    from neurosparse.bridges import to_torch

    net = to_torch(model.to_result(), names=["U_L1"], activation=None)
    X = images(5, seed=2)
    with torch.no_grad():
        u = net(torch.as_tensor(X.reshape(5, -1), dtype=torch.float32)).numpy()
    # the same sums from the kernel's weights
    n = model._net
    size = 4 * 5
    expected = np.zeros((5, 4 * size))
    for m in range(4):
        block = model._weights[0][n.wu_off[m] : n.wu_off[m + 1]].reshape(-1, size)
        field = n.u_idx[n.u_ptr[m] : n.u_ptr[m + 1]]
        expected[:, m * size : (m + 1) * size] = X.reshape(5, -1)[:, field] @ block
    np.testing.assert_array_equal(u, expected)


def test_brian2_and_nir_bridges_carry_a_trained_hierarchy(tmp_path):
    """A trained two-level Sparsey runs as a brian2 network and travels through NIR: every
    set bottom-up weight arrives as a synapse (U_L1, U_L2)."""
    require("nir", "nir")
    from brian2 import ms

    from neurosparse.bridges import from_nir, to_brian2, to_nir

    X = images(20, seed=3)
    model = Sparsey(grid=((2, 2), (1, 1)), n_cms=4, cells_per_cm=4, rf_radius=(1.0, None),
                    seed=0).fit(X)  # fmt: skip
    tree = model.to_result()
    chain = projections(tree)
    assert [p.name for p in chain] == ["U_L1", "U_L2"]
    net = to_brian2(tree)
    assert net.layers == ["input", "L1", "L2"]
    out = net.run(2 * ms, spikes=(np.array([0, 1]), np.array([0.1, 0.2]) * ms), seed=0)
    assert set(out["activity/spikes"].children) == {"L1", "L2"}
    to_nir(tree, tmp_path / "sparsey.nir")
    back = from_nir(tmp_path / "sparsey.nir")
    for p in chain:
        assert back[f"connectivity/{p.name}"].sizes["synapse"] == p.n_synapses


def test_classifier_result_last_frame(tmp_path):
    X = np.stack([images(3, seed=s) for s in range(6)])  # 6 sequences of 3 frames
    y = np.arange(6) % 2
    clf = SparseyClassifier(readout="knn", n_neighbors=2, frames="last", seed=0).fit(X, y)
    tree = check_result(clf.to_result(), kind="sparsey.classifier")
    assert tree["connectivity/memory"].attrs["n_post"] == 6  # one stored code per sequence
    assert tree["state"].attrs["frames"] == "last"
    back = model_from_result(tree)
    np.testing.assert_array_equal(back.decision_function(X), clf.decision_function(X))
    assert back.predict(X).shape == (6,)
