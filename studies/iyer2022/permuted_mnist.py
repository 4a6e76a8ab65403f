"""Iyer et al. (2022): active dendrites against catastrophic forgetting on permuted MNIST.

Abhiram Iyer, Karan Grewal, Akash Velu, Lucas Oliveira Souza, Jeremy Forest and
Subutai Ahmad, "Avoiding catastrophe: Active dendrites enable multi-task learning in
dynamic environments", *Frontiers in Neurorobotics* 16:846219 (2022),
doi:10.3389/fnbot.2022.846219, arXiv:2201.00042.

Reproduced: continual learning on permuted MNIST. Each task is MNIST with a fixed
random permutation of the 784 pixels; a network learns the tasks one after the other
(one shared 10-way read-out, no replay) and is then tested on all of them
(:func:`neurosparse.dendrites.continual.train_continual`). The Active Dendrites Network
(:class:`neurosparse.dendrites.layers.DendriticMLP`: two hidden layers of dendritic
units with absolute-max gating, k-winners at 5 % activity, 50 % sparse feedforward
weights, one dendritic segment per task) is compared with the same network without
dendrites (:class:`~neurosparse.dendrites.layers.MLP`, same k-winners and weight
sparsity: the paper's "sparse representations only" ablation) and with a dense ReLU
MLP of the same sizes (the paper's "3-layer MLP").

Context (the prototype method of Iyer et al., their training method 1): while training
on task ``t`` the context vector is the task's prototype, the mean of its training
inputs. At test time the task is *not* given: each test image receives the context of
the prototype nearest to it (Euclidean distance), and the accuracy counts every image,
including any sent to the wrong task. The task-inference accuracy is reported too.

Published values (Iyer et al. 2022, permuted-MNIST test accuracy vs number of tasks,
means of 8 runs; the exact numbers are in the authors' notebook
``numenta/nupic.research: projects/dendrites/permutedMNIST/figures/figures.ipynb``):
Active Dendrites Network 96.4 % (5 tasks) and 94.6 % (10 tasks); sparse
representations only (k-winners MLP) 93.9 % (5) and 91.3 % (10); 3-layer MLP 82.0 %
(10 tasks). They train on the full 60,000 MNIST digits per task with 2,048-unit hidden
layers.

Our setting is smaller, so the absolute accuracies are not compared (their claims are
"not tested"): the shipped 5,000-digit subset
(:func:`neurosparse.datasets.load_mnist_subset`) split per class into 400 training and
100 test digits, 5 tasks (5 segments per unit), hidden layers of 1,024 units, 3 epochs
per task (Adam, lr 5e-4, batches of 128), 3 seeds; the initial weights follow the
paper's scaling (feedforward weights scaled for sparse inputs, dendritic weights
``U(±1/sqrt(0.1 · 784))``). Each task has 15x fewer training digits than in the paper
(and 2.5x fewer optimiser steps than its 5-task runs: one epoch of 60,000 digits in
batches of 256), so every network reaches a lower accuracy than the paper's. The claims
that carry over are the *orderings*, decided from our numbers: dendrites against the
same network without them, and sparse (k-winners) against dense representations. For
10 tasks: ``--set n_tasks=10`` (twice the steps and twice the segments).

Full MNIST: ``neurosparse reproduce iyer2022/permuted_mnist --data PATH`` takes the
user's copy, ``PATH`` the folder of its four IDX files
(:func:`neurosparse.datasets.load_mnist`); the training digits are then drawn from its
training split and the test digits from its test split (``t10k``), ``train_per_class``
and ``test_per_class`` of each class (the paper's whole splits: ``--set
train_per_class=5421 --set test_per_class=892``, the smallest class's counts). The
result's root attr ``data`` says which digits were used.

Determinism: ``seed`` spawns one child per repetition (``SeedSequence``); each draws
its class split, permutations, initial weights (:mod:`neurosparse.dendrites.layers`
seeds its own CPU generators) and batch order. The study runs on the CPU with one torch
thread (``torch.set_num_threads(1)``, restored afterwards; a fixed thread count keeps
the floating-point reduction order, and one thread per process is also what sweep
workers use), so a seed gives bit-identical results on a given machine and torch build.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse.dendrites.continual import (
    permuted_tasks,
    task_inference_accuracy,
    task_prototypes,
    train_continual,
)
from neurosparse.results import claim_check
from neurosparse.studies import params_of, study_main, study_result

PAPER = "Iyer et al. 2022, Frontiers in Neurorobotics 16:846219"
FIGURE = "permuted MNIST, average accuracy after 5 tasks"
TITLE = "Active dendrites vs catastrophic forgetting: permuted MNIST with task prototypes"
STUDY_ID = "iyer2022/permuted_mnist"

MODELS = ("dendritic", "mlp_kw", "mlp_relu")
MODEL_LABELS = {
    "dendritic": "Active Dendrites Network",
    "mlp_kw": "same MLP, no dendrites (k-winners)",
    "mlp_relu": "dense ReLU MLP",
}
# names in the claims: the paper's
CLAIM_LABELS = {
    "dendritic": "Active Dendrites Network",
    "mlp_kw": "k-winners MLP without dendrites (the paper's sparse representations only)",
    "mlp_relu": "dense ReLU MLP (the paper's 3-layer MLP)",
}
SHORT_LABELS = {"dendritic": "dendritic network", "mlp_kw": "k-winners MLP", "mlp_relu": "ReLU MLP"}
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # the usual MNIST normalisation


@dataclass(frozen=True)
class Params:
    """Settings of the permuted-MNIST comparison (see the module docstring)."""

    n_tasks: int
    n_seeds: int
    train_per_class: int
    test_per_class: int
    hidden_sizes: tuple[int, ...]
    epochs: int
    batch_size: int
    lr: float
    kw_percent_on: float = 0.05
    weight_sparsity: float = 0.5
    dendrite_mode: str = "absolute_max_gating"
    context_percent_on: float = 0.1  # initial dendritic weight scale, as Iyer et al.
    threads: int = 1
    data: str = ""  # "": the shipped subset; else the folder of the user's full MNIST (IDX)


FULL = Params(
    n_tasks=5,
    n_seeds=3,
    train_per_class=400,
    test_per_class=100,
    hidden_sizes=(1024, 1024),
    epochs=3,
    batch_size=128,
    lr=5e-4,
)
QUICK = Params(
    n_tasks=2,
    n_seeds=2,
    train_per_class=60,
    test_per_class=20,
    hidden_sizes=(64, 64),
    epochs=1,
    batch_size=32,
    lr=1e-3,
)

PUBLISHED_SOURCE = (
    "Iyer et al. 2022, Front. Neurorobot. 16:846219, permuted-MNIST test accuracy vs "
    "number of tasks (mean of 8 runs; full MNIST, 2048-unit layers); numbers from the "
    "authors' notebook numenta/nupic.research "
    "projects/dendrites/permutedMNIST/figures/figures.ipynb"
)
# (model, number of tasks) -> published average test accuracy over all tasks
PUBLISHED = {
    ("dendritic", 5): 0.9636,
    ("dendritic", 10): 0.9455,
    ("mlp_kw", 5): 0.9389,
    ("mlp_kw", 10): 0.9133,
    ("mlp_relu", 10): 0.8203,
}


def _split(
    labels: np.ndarray,
    params: Params,
    rng: np.random.Generator,
    test_labels: np.ndarray | None = None,
):
    """Per class: ``train_per_class`` training and ``test_per_class`` test indices, both
    into ``labels``; or, given ``test_labels`` (a separate test split), the test indices
    into ``test_labels``."""
    train, test = [], []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(labels == c))
        if test_labels is None:
            train.append(idx[: params.train_per_class])
            test.append(
                idx[params.train_per_class : params.train_per_class + params.test_per_class]
            )
            continue
        test_idx = rng.permutation(np.flatnonzero(test_labels == c))
        for split, have, want in (
            ("training", idx.size, params.train_per_class),
            ("test", test_idx.size, params.test_per_class),
        ):
            if have < want:
                raise ValueError(
                    f"the {split} split of {params.data} has {have} digits of class {c}, "
                    f"fewer than the {want} per class asked for"
                )
        train.append(idx[: params.train_per_class])
        test.append(test_idx[: params.test_per_class])
    return np.concatenate(train), np.concatenate(test)


def _flat(images: np.ndarray) -> np.ndarray:
    return (images.reshape(len(images), 784).astype(np.float32) / 255.0 - MNIST_MEAN) / MNIST_STD


def load_mnist_digits(params: Params) -> tuple[tuple, tuple | None, str]:
    """The digits the study learns: ``(images, labels)``, the separate test split (None
    for the shipped subset, which is split per class) and a description for the
    result's ``data`` attr."""
    from neurosparse.datasets import load_mnist, load_mnist_subset

    if not params.data:
        return (
            load_mnist_subset(),
            None,
            "the shipped 5,000-digit MNIST subset (data/mnist_5k.csv.gz)",
        )
    train, test = load_mnist(params.data, "train"), load_mnist(params.data, "test")
    return (
        train,
        test,
        f"full MNIST from {params.data}: {len(train[1])} training and {len(test[1])} test "
        "digits (IDX files)",
    )


def _build(model: str, params: Params, seed: int):
    from neurosparse.dendrites.layers import MLP, DendriticMLP

    # the same seed for every model: they start from the same feedforward weights
    common = dict(hidden_sizes=list(params.hidden_sizes), seed=seed)
    if model == "dendritic":
        return DendriticMLP(
            784,
            10,
            num_segments=params.n_tasks,
            dim_context=784,
            kw=True,
            kw_percent_on=params.kw_percent_on,
            dendrite_mode=params.dendrite_mode,
            weight_sparsity=params.weight_sparsity,
            context_percent_on=params.context_percent_on,
            **common,
        )
    if model == "mlp_kw":
        return MLP(
            784,
            10,
            kw=True,
            kw_percent_on=params.kw_percent_on,
            weight_sparsity=params.weight_sparsity,
            **common,
        )
    return MLP(784, 10, kw=False, **common)


def run_repetition(
    params: Params,
    images: np.ndarray,
    labels: np.ndarray,
    seed: np.random.SeedSequence,
    test: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """One repetition: all models on the same split, permutations, initial weights and
    batch order. ``test``: a separate test split ``(images, labels)`` (full MNIST's);
    by default the test digits come from ``images`` too.

    Returns ``accuracy`` (model, step, task): accuracy on ``task`` after training on
    tasks ``0..step`` (NaN for tasks not yet seen) and ``task_inference`` (fraction of
    test images whose nearest prototype is their own task).
    """
    data_ss, perm_ss, init_ss, order_ss = seed.spawn(4)
    init_seed = int(np.random.default_rng(init_ss).integers(2**62))
    train_idx, test_idx = _split(
        labels, params, np.random.default_rng(data_ss), None if test is None else test[1]
    )
    flat = _flat(images)
    test_flat, test_labels = (flat, labels) if test is None else (_flat(test[0]), test[1])
    tasks = permuted_tasks(
        flat[train_idx],
        labels[train_idx],
        test_flat[test_idx],
        test_labels[test_idx],
        params.n_tasks,
        seed=perm_ss,
    )
    prototypes = task_prototypes(tasks)
    acc = np.stack(
        [
            train_continual(
                _build(model, params, init_seed),
                tasks,
                prototypes,  # the MLPs ignore their context
                epochs=params.epochs,
                batch_size=params.batch_size,
                lr=params.lr,
                test_contexts="inferred",
                seed=order_ss,  # the same batch order for every model
            )
            for model in MODELS
        ]
    )
    return {
        "accuracy": acc,
        "task_inference": np.asarray(task_inference_accuracy(tasks, prototypes)),
    }


def _claims(params: Params, mean: np.ndarray, diffs: dict) -> list:
    digits = "the user's full MNIST" if params.data else "the 5,000-digit subset"
    setting = (
        f"our setting: {params.train_per_class} training digits per class and task from "
        f"{digits}, hidden layers of {params.hidden_sizes} units"
    )
    claims = []
    for (model, n), value in PUBLISHED.items():
        k = MODELS.index(model)
        ran = n == params.n_tasks
        claims.append(
            claim_check(
                f"{CLAIM_LABELS[model]}: mean test accuracy over {n} permuted-MNIST tasks "
                "after learning them all (prototype contexts inferred at test time)",
                value,
                float(mean[k]) if ran else f"not run ({params.n_tasks} tasks)",
                None,
                tolerance=f"not compared: the paper trains on full MNIST (60,000 digits per "
                f"task) with 2,048-unit layers; {setting}",
                source=PUBLISHED_SOURCE,
            )
        )
    for (better, worse), words in (
        (("dendritic", "mlp_kw"), "Active dendrites beat the same network without them"),
        (("mlp_kw", "mlp_relu"), "Sparse representations (k-winners) beat a dense ReLU MLP"),
    ):
        # the published difference at the number of tasks nearest to ours
        both = {n for m, n in PUBLISHED if m == better} & {n for m, n in PUBLISHED if m == worse}
        n_pub = min(both, key=lambda n: (abs(n - params.n_tasks), n))
        published = round(PUBLISHED[(better, n_pub)] - PUBLISHED[(worse, n_pub)], 4)
        diff = diffs[(better, worse)]
        claims.append(
            claim_check(
                f"{words}: mean accuracy after all tasks, {SHORT_LABELS[better]} minus "
                f"{SHORT_LABELS[worse]} (published: {n_pub} tasks; ours: "
                f"{params.n_tasks} tasks, mean of {params.n_seeds} paired seeds)",
                published,
                float(diff.mean()),
                bool(diff.mean() > 0),
                tolerance="the sign: agrees when ours is > 0",
                source=PUBLISHED_SOURCE,
            )
        )
    return claims


def run(params: Params, seed: int = 0) -> xr.DataTree:
    """Train the three networks on ``params.n_tasks`` permuted-MNIST tasks for
    ``params.n_seeds`` repetitions; the accuracies, the published values, the claims."""
    import torch

    (images, labels), test, data = load_mnist_digits(params)
    children = np.random.SeedSequence(seed).spawn(params.n_seeds)
    threads = torch.get_num_threads()
    torch.set_num_threads(params.threads)
    try:
        runs = [run_repetition(params, images, labels, ss, test) for ss in children]
    finally:
        torch.set_num_threads(threads)

    acc = np.stack([r["accuracy"] for r in runs], axis=1)  # model, seed, step, task
    final = acc[:, :, -1, :]  # model, seed, task
    average = final.mean(axis=-1)  # model, seed
    # average accuracy over the tasks seen so far, after each task
    seen_avg = np.nanmean(acc, axis=-1)  # model, seed, step
    mean = average.mean(axis=1)
    std = average.std(axis=1, ddof=1 if params.n_seeds > 1 else 0)
    diffs = {
        (a, b): average[MODELS.index(a)] - average[MODELS.index(b)]  # paired, per seed
        for a, b in (("dendritic", "mlp_kw"), ("mlp_kw", "mlp_relu"))
    }

    pct = {"units": "1"}
    metrics = xr.Dataset(
        {
            "accuracy": (
                ("model", "seed", "step", "task"),
                acc,
                {**pct, "long_name": "test accuracy on task after training tasks 0..step"},
            ),
            "final_accuracy": (
                ("model", "seed", "task"),
                final,
                {**pct, "long_name": "test accuracy per task after training on all tasks"},
            ),
            "average_accuracy": (
                ("model", "seed"),
                average,
                {**pct, "long_name": "mean over tasks of the final accuracy"},
            ),
            "average_accuracy_mean": (
                ("model",),
                mean,
                {**pct, "long_name": "mean over seeds of the average accuracy"},
            ),
            "average_accuracy_std": (
                ("model",),
                std,
                {**pct, "long_name": "sample std over seeds of the average accuracy"},
            ),
            "seen_task_accuracy": (
                ("model", "seed", "step"),
                seen_avg,
                {**pct, "long_name": "mean accuracy over tasks 0..step after step"},
            ),
            "task_inference_accuracy": (
                ("seed",),
                np.array([float(r["task_inference"]) for r in runs]),
                {**pct, "long_name": "test images whose nearest prototype is their task"},
            ),
            "dendrites_minus_mlp": (
                (),
                float(diffs[("dendritic", "mlp_kw")].mean()),
                {**pct, "long_name": "dendritic minus k-winners MLP average accuracy"},
            ),
            "kwinners_minus_relu": (
                (),
                float(diffs[("mlp_kw", "mlp_relu")].mean()),
                {**pct, "long_name": "k-winners MLP minus dense ReLU MLP average accuracy"},
            ),
        },
        coords={
            "model": ("model", list(MODELS), {"long_name": "network"}),
            "seed": ("seed", np.arange(params.n_seeds), {"long_name": "repetition"}),
            "step": ("step", np.arange(params.n_tasks), {"long_name": "last task trained"}),
            "task": ("task", np.arange(params.n_tasks), {"long_name": "task tested"}),
        },
    )
    point = {"point": ("point", np.arange(len(PUBLISHED)), {"long_name": "published value"})}
    reference = xr.Dataset(
        {
            "average_accuracy": (
                "point",
                np.array(list(PUBLISHED.values())),
                {
                    "source": PUBLISHED_SOURCE,
                    "units": "1",
                    "long_name": "mean test accuracy over all tasks after learning them",
                },
            ),
            "network": (
                "point",
                np.array([m for m, _ in PUBLISHED]),
                {"source": PUBLISHED_SOURCE, "long_name": "network (as the model coordinate)"},
            ),
            "n_tasks": (
                "point",
                np.array([n for _, n in PUBLISHED]),
                {"source": PUBLISHED_SOURCE, "long_name": "number of tasks learned"},
            ),
        },
        coords=point,
    )
    tree = study_result(
        params,
        seed,
        kind="dendrites.continual_learning",
        groups={"metrics": metrics, "reference": reference},
        claims=_claims(params, mean, diffs),
        extra_dims=["model", "task"],
    )
    tree.attrs["data"] = data
    return tree


def plot(result: xr.DataTree):
    """Accuracy per task after the last task (bars) and the mean accuracy over the tasks
    seen as they accumulate, with the published values (stars) where they fall on the
    axis."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    params = params_of(result)
    m, ref = result["metrics"], result["reference"]
    models = [str(v) for v in m["model"].values]
    final = m["final_accuracy"].values  # model, seed, task
    seen_avg = m["seen_task_accuracy"].values  # model, seed, step
    mean = m["average_accuracy_mean"].values

    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(11, 4.2))
    tasks = np.arange(1, params.n_tasks + 1)
    colours = {"dendritic": "navy", "mlp_kw": "orangered", "mlp_relu": "forestgreen"}
    width = 0.8 / len(models)
    for k, name in enumerate(models):
        ax_a.bar(
            tasks + (k - (len(models) - 1) / 2) * width,
            100 * final[k].mean(axis=0),
            width,
            yerr=100 * final[k].std(axis=0),
            color=colours[name],
            label=f"{MODEL_LABELS[name]} ({100 * mean[k]:.1f} %)",
            capsize=2,
        )
        ax_b.errorbar(
            tasks,
            100 * seen_avg[k].mean(axis=0),
            yerr=100 * seen_avg[k].std(axis=0),
            color=colours[name],
            marker="o",
            capsize=2,
            label=MODEL_LABELS[name],
        )
    star = dict(marker="*", ms=11, ls="none")
    drawn = 0
    for name, n, value in zip(
        ref["network"].values, ref["n_tasks"].values, ref["average_accuracy"].values
    ):
        if int(n) <= params.n_tasks:
            ax_b.plot(int(n), 100 * value, color=colours[str(name)], **star)
            drawn += 1
    ax_a.set_xlabel("task (in training order)")
    ax_a.set_ylabel("test accuracy after all tasks (%)")
    ax_a.set_xticks(tasks)
    ax_a.set_ylim(0, 100)
    ax_a.set_title(f"Accuracy per task after {params.n_tasks} tasks ({params.n_seeds} seeds)")
    ax_b.set_xlabel("number of tasks learned")
    ax_b.set_ylabel("mean accuracy over tasks seen (%)")
    ax_b.set_xticks(tasks)
    ax_b.set_ylim(max(0.0, min(50.0, 100 * float(np.nanmin(seen_avg)) - 10)), 100)
    ax_b.set_title("Forgetting as tasks accumulate")
    fig.suptitle(
        f"Permuted MNIST ({'full MNIST' if params.data else '5,000-digit subset'}), "
        "prototype contexts inferred at test time (Iyer et al. 2022)",
        fontsize=10,
    )
    handles, labels = ax_a.get_legend_handles_labels()
    if drawn:  # the legend shows the published marker only where one is drawn
        handles.append(Line2D([], [], color="grey", **star))
        labels.append("published (full MNIST)")
    fig.legend(
        handles,
        labels,
        loc="lower center",
        ncol=len(handles),
        frameon=False,
        fontsize=8,
    )
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def main(out, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Run the permuted-MNIST comparison, write .nc/.png/.svg, return the result."""
    return study_main(__name__, out, quick=quick, seed=seed)
