"""Tests for the permuted-MNIST continual-learning study (Iyer et al. 2022)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from neurosparse.datasets import load_mnist_subset
from neurosparse.results import load, validate
from neurosparse.studies import get_study
from neurosparse.testing import check_deterministic, check_result_roundtrip, require

torch = require("torch", "torch")

STUDY_ID = "ahmad2016/dendritic_continual"


@pytest.fixture(scope="module")
def module():
    return get_study(STUDY_ID).load_module()


@pytest.fixture(scope="module")
def quick_run(module, tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    return module.main(out, quick=True, seed=0), out


def test_registered_with_metadata():
    study = get_study(STUDY_ID)
    assert "Iyer" in study.paper and "846219" in study.paper
    assert study.figure and study.title


def test_quick_run_writes_a_valid_result(quick_run, module):
    tree, out = quick_run
    validate(tree)
    for ext in ("nc", "png", "svg"):
        assert (out / f"{STUDY_ID}.{ext}").is_file()
    assert tree.attrs["study"] == STUDY_ID
    metrics = tree["metrics"]
    cfg = module.QUICK
    n_models = len(module.MODELS)
    assert metrics["accuracy"].shape == (n_models, cfg.n_seeds, cfg.n_tasks, cfg.n_tasks)
    acc = metrics["accuracy"].values
    # a task is tested only once it has been trained: NaN above the diagonal only
    seen = np.tril(np.ones((cfg.n_tasks, cfg.n_tasks), dtype=bool))
    assert np.all(np.isfinite(acc[..., seen])) and np.all(np.isnan(acc[..., ~seen]))
    assert np.all((acc[..., seen] >= 0) & (acc[..., seen] <= 1))
    np.testing.assert_allclose(metrics["average_accuracy"].values, acc[:, :, -1, :].mean(axis=-1))
    np.testing.assert_allclose(
        metrics["average_accuracy_mean"].values,
        metrics["average_accuracy"].values.mean(axis=1),
    )
    # permuted images are told apart by their nearest prototype almost always
    assert metrics["task_inference_accuracy"].values.min() > 0.9
    assert "statement" in metrics.attrs and "5,000-digit" in metrics.attrs["statement"]
    assert metrics["dendrites_beat_mlp"].dtype == bool


def test_reference_values_have_sources(quick_run):
    tree, _ = quick_run
    ref = tree["reference"]
    # Iyer et al. 2022, Active Dendrites Network, 10 permuted-MNIST tasks: 94.6 %
    # (mean of 8 runs; figures.ipynb of numenta/nupic.research), 3-layer MLP 82.0 %
    assert ref["average_accuracy_dendritic_10_tasks"].item() == pytest.approx(0.946, abs=5e-4)
    assert ref["average_accuracy_mlp_relu_10_tasks"].item() == pytest.approx(0.820, abs=5e-4)
    for var in ref.data_vars.values():
        assert "Iyer" in var.attrs["source"]


def test_round_trip_through_the_file(quick_run, tmp_path):
    tree, out = quick_run
    check_result_roundtrip(tree, tmp_path)  # .nc and .zarr, bitwise
    back = load(out / f"{STUDY_ID}.nc")
    validate(back)
    for name in ("accuracy", "average_accuracy", "task_inference_accuracy"):
        np.testing.assert_array_equal(back["metrics"][name].values, tree["metrics"][name].values)
    assert bool(back["metrics"]["dendrites_beat_mlp"]) == bool(
        tree["metrics"]["dendrites_beat_mlp"]
    )
    assert list(back["metrics"]["model"].values) == list(tree["metrics"]["model"].values)
    assert back["reference"]["average_accuracy_dendritic_10_tasks"].attrs["source"]


def test_repetition_is_deterministic_under_seed(module):
    cfg = dataclasses.replace(
        module.QUICK, train_per_class=8, test_per_class=4, hidden_sizes=(16, 16)
    )
    images, labels = load_mnist_subset()

    def make(seed):
        return module.run_repetition(cfg, images, labels, np.random.SeedSequence(seed))

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        check_deterministic(make, seeds=(3, 4))
    finally:
        torch.set_num_threads(before)
