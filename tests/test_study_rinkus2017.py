"""The rinkus2017 studies: their helpers, and the events study on a user's frame folders
(the conformance suite runs every study's QUICK settings)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from neurosparse.results import claims_table
from neurosparse.studies import get_study
from neurosparse.testing import check_result


def module(name):
    return get_study(f"rinkus2017/{name}").load_module()


def test_similar_pairs_share_exactly_keep_pixels():
    common = module("similarity")._common
    rng = np.random.default_rng(0)
    for keep in (0, 7, 20):
        a, b = common.similar_pair(16, 20, keep, rng)
        assert a.sum() == b.sum() == 20
        assert (a & b).sum() == keep
    items = common.random_items(5, 8, 6, rng)
    assert items.shape == (5, 8, 8) and np.all(items.reshape(5, -1).sum(1) == 6)


def test_mnist_split_and_preparation():
    mnist = module("mnist")
    labels = np.repeat(np.arange(3), 10)
    params = dataclasses.replace(mnist.QUICK, n_train_per_class=4, n_test_per_class=5)
    tr, te = mnist.split(labels, params, np.random.default_rng(0))
    assert len(tr) == 12 and len(te) == 15 and not set(tr) & set(te)
    assert np.all(np.bincount(labels[tr]) == 4) and np.all(np.bincount(labels[te]) == 5)
    with pytest.raises(ValueError, match="more than the 10 digits of class 0"):
        mnist.split(labels, dataclasses.replace(params, n_test_per_class=7),
                    np.random.default_rng(0))  # fmt: skip
    images = np.zeros((2, 9, 9), np.uint8)
    images[:, 2:7, 3:6] = 200
    thick = mnist.prepare(images, params)
    thin = mnist.prepare(images, dataclasses.replace(params, preprocess="skeleton"))
    assert thick.dtype == bool and thick.sum() == 30
    assert np.all(thin <= thick) and 0 < thin.sum() < thick.sum()
    with pytest.raises(ValueError, match="preprocess must be"):
        mnist.prepare(images, dataclasses.replace(params, preprocess="blur"))


def test_capacity_n50():
    n50 = module("capacity")._n50
    loads = np.array([10, 100, 1000])
    assert n50(loads, np.array([1.0, 0.5, 0.0])) == pytest.approx(100)
    assert n50(loads, np.array([1.0, 0.75, 0.25])) == pytest.approx(np.sqrt(100 * 1000))
    assert n50(loads, np.array([0.4, 0.1, 0.0])) == 10
    assert np.isnan(n50(loads, np.array([1.0, 0.9, 0.6])))


def _write_frames(root, n_classes=2, n_sequences=4, n_frames=3, side=12):
    """Bright squares moving right (class 0) or down (class 1), as PNG frame folders."""
    from PIL import Image

    for c in range(n_classes):
        for s in range(n_sequences):
            folder = root / f"action{c}" / f"seq{s}"
            folder.mkdir(parents=True)
            for t in range(n_frames):
                img = np.zeros((side, side), np.uint8)
                r0, c0 = (2 + s % 2, 1 + t * 3) if c == 0 else (1 + t * 3, 2 + s % 2)
                img[r0 : r0 + 4, c0 : c0 + 4] = 255
                Image.fromarray(img).save(folder / f"frame{t + 1}.png")


def test_events_on_frame_folders(tmp_path):
    pytest.importorskip("PIL")
    events = module("events")
    _write_frames(tmp_path)
    params = dataclasses.replace(
        events.QUICK, video=str(tmp_path), video_size=(12, 12), n_frames=3,
        grid=((3, 3),), rf_radius=(2.5,), hrf_radius=(1.0,), n_cms=(4,), cells_per_cm=(4,),
        n_neighbors=1, test_fraction=0.5, n_seeds=1,
    )  # fmt: skip
    tree = check_result(events.run(params, seed=0))
    metrics = tree["metrics"]
    assert list(metrics["class"].values) == ["action0", "action1"]
    assert int(metrics["n_train"]) == 4 and int(metrics["n_test"]) == 4
    assert float(metrics["chance"]) == 0.5
    assert tree["inputs"]["example"].shape == (2, 3, 12, 12)
    rows = claims_table(tree)
    assert len(rows) == 3 and "action" not in rows[0].published
    assert "2 classes" in rows[0].statement
    assert tree.attrs["mode"] == "custom"
