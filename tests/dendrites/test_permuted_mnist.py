"""Tests for continual learning (neurosparse.dendrites.continual) and the permuted-MNIST
study of Iyer et al. (2022)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from neurosparse.datasets import load_mnist_subset
from neurosparse.results import VERDICTS, claims_table, load, validate
from neurosparse.studies import get_study, params_of
from neurosparse.testing import (
    check_bad_input,
    check_deterministic,
    check_result_roundtrip,
    require,
)

torch = require("torch", "torch")

import neurosparse.dendrites as dendrites  # noqa: E402
from neurosparse.dendrites.continual import (  # noqa: E402
    Task,
    permuted_tasks,
    task_inference_accuracy,
    task_prototypes,
    train_continual,
)
from neurosparse.dendrites.layers import MLP, DendriticMLP  # noqa: E402

STUDY_ID = "iyer2022/permuted_mnist"


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny networks: one torch thread is faster and bit-reproducible."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _data(n_train=60, n_test=30, d=20, n_classes=3, seed=0):
    """Classes separated along the first features (learnable in a few steps)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n_train + n_test)
    x = rng.normal(size=(n_train + n_test, d)).astype(np.float32)
    x[np.arange(len(y)), y] += 4.0
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


@pytest.fixture(scope="module")
def tasks():
    return permuted_tasks(*_data(), 3, seed=0)


def _dendritic(seed=0, d=20, n_tasks=3):
    return DendriticMLP(d, 3, [32], num_segments=n_tasks, dim_context=d,
                        kw_percent_on=0.25, seed=seed)  # fmt: skip


# ------------------------------------------------------------------ permuted_tasks


def test_permuted_tasks_permute_train_and_test_alike():
    x_train, y_train, x_test, y_test = _data()
    tasks = permuted_tasks(x_train, y_train, x_test, y_test, 3, seed=1)
    assert len(tasks) == 3 and all(isinstance(t, Task) for t in tasks)
    for task in tasks:
        p = task.permutation
        assert sorted(p) == list(range(x_train.shape[1]))
        assert task.x_train.dtype == torch.float32 and task.y_train.dtype == torch.int64
        np.testing.assert_array_equal(task.x_train.numpy(), x_train[:, p])
        np.testing.assert_array_equal(task.x_test.numpy(), x_test[:, p])
        np.testing.assert_array_equal(task.y_train.numpy(), y_train)
        np.testing.assert_array_equal(task.y_test.numpy(), y_test)
    assert not np.array_equal(tasks[0].permutation, tasks[1].permutation)


def test_permuted_tasks_flatten_images_and_follow_the_seed():
    images = np.random.default_rng(0).integers(0, 255, (10, 4, 5)).astype(np.uint8)
    labels = np.arange(10) % 2
    tasks = permuted_tasks(images, labels, images[:4], labels[:4], 2, seed=3)
    assert tuple(tasks[0].x_train.shape) == (10, 20)
    assert tuple(tasks[0].x_test.shape) == (4, 20)
    again = permuted_tasks(images, labels, images[:4], labels[:4], 4, seed=3)
    # one seed child per task: the first tasks do not depend on the number of tasks
    for a, b in zip(tasks, again):
        np.testing.assert_array_equal(a.permutation, b.permutation)
    other = permuted_tasks(images, labels, images[:4], labels[:4], 2, seed=4)
    assert not np.array_equal(tasks[0].permutation, other[0].permutation)


def test_permuted_tasks_refuse_bad_input():
    x_train, y_train, x_test, y_test = _data()
    args = dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, n_tasks=2)
    for name, bad in (("n_tasks", 0), ("n_tasks", True), ("n_tasks", 2.0)):
        check_bad_input(permuted_tasks, names=name, **{**args, name: bad})
    check_bad_input(
        permuted_tasks, names=("x_train", "x_test"), **{**args, "x_test": x_test[:, :5]}
    )
    check_bad_input(permuted_tasks, names="y_train", **{**args, "y_train": y_train[:-1]})
    check_bad_input(permuted_tasks, names="y_test", **{**args, "y_test": y_test.astype(float)})
    check_bad_input(permuted_tasks, names="x_train", **{**args, "x_train": x_train[0]})
    check_bad_input(permuted_tasks, names="seed", **{**args, "seed": "0"})


# ------------------------------------------------------------------ prototypes


def test_prototypes_are_the_task_means_and_infer_the_task(tasks):
    protos = task_prototypes(tasks)
    assert tuple(protos.shape) == (3, 20)
    for t, task in enumerate(tasks):
        torch.testing.assert_close(protos[t], task.x_train.mean(0))
    # the class signal sits on different pixels in every task: the prototypes tell
    # the tasks apart
    assert task_inference_accuracy(tasks, protos) > 0.9
    # all prototypes equal: every input goes to task 0
    same = protos[:1].repeat(3, 1)
    assert task_inference_accuracy(tasks, same) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="one row per task"):
        task_inference_accuracy(tasks, protos[:2])
    with pytest.raises(TypeError, match="tasks"):
        task_prototypes(tasks[0])


# ------------------------------------------------------------------ train_continual


def test_train_continual_fills_the_lower_triangle_and_learns(tasks):
    acc = train_continual(_dendritic(), tasks, task_prototypes(tasks), epochs=3,
                          batch_size=10, lr=1e-2, seed=0)  # fmt: skip
    assert acc.shape == (3, 3)
    seen = np.tril(np.ones((3, 3), dtype=bool))
    assert np.all(np.isnan(acc[~seen]))
    assert np.all((acc[seen] >= 0) & (acc[seen] <= 1))
    assert acc[0, 0] > 0.6  # well above chance (1/3)


@pytest.mark.parametrize("test_contexts", ["inferred", "given"])
def test_train_continual_is_deterministic_under_seed(tasks, test_contexts):
    protos = task_prototypes(tasks)

    def make(seed):
        return train_continual(_dendritic(), tasks, protos, batch_size=16,
                               test_contexts=test_contexts, seed=seed)  # fmt: skip

    check_deterministic(make, seeds=(0, 1))


def test_same_seed_same_batches_for_two_networks(tasks):
    """Two equal networks with the same seed train identically (same batch order)."""
    protos = task_prototypes(tasks)
    a, b = _dendritic(), _dendritic()
    acc_a = train_continual(a, tasks, protos, batch_size=16, seed=5)
    acc_b = train_continual(b, tasks, protos, batch_size=16, seed=np.random.SeedSequence(5))
    np.testing.assert_array_equal(acc_a, acc_b)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_train_continual_without_context_and_with_own_optimizer(tasks):
    net = MLP(20, 3, [16], kw=False, seed=0)
    acc = train_continual(net, tasks, epochs=2, batch_size=10, seed=0,
                          optimizer=lambda p: torch.optim.SGD(p, lr=0.05))  # fmt: skip
    assert np.isfinite(acc[np.tril_indices(3)]).all()
    assert acc[2, 2] > 0.5


def test_train_continual_leaves_the_global_torch_generator_alone(tasks):
    state = torch.get_rng_state()
    train_continual(_dendritic(), tasks[:1], task_prototypes(tasks[:1]), seed=0)
    assert torch.equal(torch.get_rng_state(), state)


def test_train_continual_refuses_bad_input(tasks):
    protos = task_prototypes(tasks)
    args = dict(network=_dendritic(), tasks=tasks, contexts=protos)
    for name, bad in (
        ("epochs", 0), ("epochs", 1.5), ("batch_size", 0), ("lr", 0.0), ("lr", "big"),
        ("test_contexts", "oracle"), ("seed", -1), ("optimizer", "adam"),
    ):  # fmt: skip
        check_bad_input(train_continual, names=name, **{**args, name: bad})
    check_bad_input(train_continual, names="contexts", **{**args, "contexts": protos[:2]})
    check_bad_input(train_continual, names="tasks", **{**args, "tasks": []})


def test_exported_from_the_family_without_torch_at_import():
    # importing neurosparse.dendrites without torch is checked in test_layers.py
    assert dendrites.train_continual is train_continual
    assert dendrites.permuted_tasks is permuted_tasks
    for name in ("Task", "permuted_tasks", "task_prototypes", "task_inference_accuracy",
                 "train_continual"):  # fmt: skip
        assert name in dendrites.__all__


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_train_continual_on_cuda(tasks):
    protos = task_prototypes(tasks)
    cpu = train_continual(_dendritic(), tasks, protos, batch_size=16, seed=0)
    net = _dendritic().to("cuda")
    gpu = train_continual(net, tasks, protos, batch_size=16, seed=0)
    assert next(net.parameters()).device.type == "cuda"
    seen = np.tril_indices(3)
    # the same batches and initial weights; float results may differ slightly
    np.testing.assert_allclose(gpu[seen], cpu[seen], atol=0.1)


# ------------------------------------------------------------------ the study


@pytest.fixture(scope="module")
def module():
    return get_study(STUDY_ID).load_module()


@pytest.fixture(scope="module")
def quick_run(module, tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    return module.main(out, quick=True, seed=0), out


def test_registered_with_metadata(module):
    study = get_study(STUDY_ID)
    assert "Iyer" in study.paper and "846219" in study.paper
    assert study.figure and study.title
    with pytest.raises(KeyError):
        get_study("ahmad2016/dendritic_continual")  # moved to its own paper
    assert dataclasses.is_dataclass(module.Params)
    with pytest.raises(dataclasses.FrozenInstanceError):
        module.QUICK.n_tasks = 3


def test_quick_run_writes_a_valid_result(quick_run, module):
    tree, out = quick_run
    validate(tree)
    for ext in ("nc", "png", "svg"):
        assert (out / f"{STUDY_ID}.{ext}").is_file()
    assert tree.attrs["study"] == STUDY_ID and tree.attrs["mode"] == "quick"
    assert params_of(tree) == module.QUICK
    metrics = tree["metrics"]
    p = module.QUICK
    n_models = len(module.MODELS)
    assert metrics["accuracy"].shape == (n_models, p.n_seeds, p.n_tasks, p.n_tasks)
    acc = metrics["accuracy"].values
    # a task is tested only once it has been trained: NaN above the diagonal only
    seen = np.tril(np.ones((p.n_tasks, p.n_tasks), dtype=bool))
    assert np.all(np.isfinite(acc[..., seen])) and np.all(np.isnan(acc[..., ~seen]))
    assert np.all((acc[..., seen] >= 0) & (acc[..., seen] <= 1))
    np.testing.assert_allclose(metrics["average_accuracy"].values, acc[:, :, -1, :].mean(axis=-1))
    np.testing.assert_allclose(
        metrics["average_accuracy_mean"].values,
        metrics["average_accuracy"].values.mean(axis=1),
    )
    # permuted images are told apart by their nearest prototype almost always
    assert metrics["task_inference_accuracy"].values.min() > 0.9
    for group in ("metrics", "reference", "claims"):
        ds = tree[group].to_dataset()
        for name in [*ds.data_vars, *ds.coords]:
            assert "long_name" in ds[name].attrs, f"{group}/{name} has no long_name"


def test_claims_compare_with_the_published_values(quick_run, module):
    tree, _ = quick_run
    claims = claims_table(tree)
    assert len(claims) == len(module.PUBLISHED) + 2
    assert all(c.verdict in VERDICTS and "Iyer" in c.source for c in claims)
    absolute, orderings = claims[: len(module.PUBLISHED)], claims[len(module.PUBLISHED) :]
    # our setting is not the paper's: the absolute accuracies are not compared
    assert {c.verdict for c in absolute} == {"not tested"}
    assert sorted(c.published_value for c in absolute) == sorted(module.PUBLISHED.values())
    # the orderings are decided from our numbers
    m = tree["metrics"]
    assert orderings[0].reproduced_value == pytest.approx(float(m["dendrites_minus_mlp"]))
    assert orderings[1].reproduced_value == pytest.approx(float(m["kwinners_minus_relu"]))
    for claim in orderings:
        assert claim.verdict == ("agrees" if claim.reproduced_value > 0 else "differs")
    assert orderings[0].published_value == pytest.approx(0.9636 - 0.9389)


def test_full_settings_run_a_published_number_of_tasks(module):
    assert any(n == module.FULL.n_tasks for _, n in module.PUBLISHED)


def test_reference_values_have_sources(quick_run):
    tree, _ = quick_run
    ref = tree["reference"]
    published = {
        (str(m), int(n)): float(v)
        for m, n, v in zip(
            ref["network"].values, ref["n_tasks"].values, ref["average_accuracy"].values
        )
    }
    # Iyer et al. 2022, Active Dendrites Network, 10 permuted-MNIST tasks: 94.6 %
    # (mean of 8 runs; figures.ipynb of numenta/nupic.research), 3-layer MLP 82.0 %
    assert published[("dendritic", 10)] == pytest.approx(0.946, abs=5e-4)
    assert published[("mlp_relu", 10)] == pytest.approx(0.820, abs=5e-4)
    for var in ref.data_vars.values():
        assert "Iyer" in var.attrs["source"]


def test_round_trip_and_plot_from_the_file(quick_run, module, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tree, out = quick_run
    check_result_roundtrip(tree, tmp_path)  # .nc and .zarr, bitwise
    back = load(out / f"{STUDY_ID}.nc")
    validate(back)
    for name in ("accuracy", "average_accuracy", "task_inference_accuracy"):
        np.testing.assert_array_equal(back["metrics"][name].values, tree["metrics"][name].values)
    for a, b in zip(claims_table(back), claims_table(tree), strict=True):
        assert (a.statement, a.verdict, a.published, a.reproduced) == (
            b.statement, b.verdict, b.published, b.reproduced
        )  # fmt: skip
        np.testing.assert_array_equal(
            [a.published_value, a.reproduced_value], [b.published_value, b.reproduced_value]
        )
    fig = module.plot(back)  # the figure needs nothing but the result
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    # QUICK learns 2 tasks: no published value on the axis, so none in the legend
    assert not any("published" in label for label in labels)
    plt.close(fig)


def test_plot_draws_the_published_markers_it_lists(module):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # 5 tasks, as published, on tiny settings (a custom run)
    p = dataclasses.replace(module.QUICK, n_tasks=5, n_seeds=1, train_per_class=8,
                            test_per_class=4, hidden_sizes=(16, 16))  # fmt: skip
    tree = module.run(p, 0)
    assert tree.attrs["mode"] == "custom"
    fig = module.plot(tree)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "published (full MNIST)" in labels
    stars = [
        line for line in fig.axes[1].get_lines()
        if line.get_marker() == "*" and len(line.get_xdata())
    ]  # fmt: skip
    assert len(stars) == sum(n <= 5 for _, n in module.PUBLISHED)
    # at 5 tasks the absolute claims carry our numbers (still not compared)
    numbered = [c for c in claims_table(tree) if "over 5 permuted" in c.statement]
    assert numbered and all(np.isfinite(c.reproduced_value) for c in numbered)
    assert {c.verdict for c in numbered} == {"not tested"}
    plt.close(fig)


def test_repetition_is_deterministic_under_seed(module):
    p = dataclasses.replace(
        module.QUICK, train_per_class=8, test_per_class=4, hidden_sizes=(16, 16)
    )
    images, labels = load_mnist_subset()

    def make(seed):
        return module.run_repetition(p, images, labels, np.random.SeedSequence(seed))

    check_deterministic(make, seeds=(3, 4))
