"""Rinkus & Leveille (2017): single-trial learning of MNIST, 200 digits per class.

Gerard Rinkus and Jasmin Leveille, "Superposed episodic and semantic memory via sparse
distributed representation", arXiv 1710.07829 (2017), and the Neurithmic Systems page
"Preliminary MNIST Results" (sparsey.com): a 2-level Sparsey -- the input level and one
internal level of macs -- learned 200 training digits per class single-trial, each seen
once, and recognised held-out digits with 91 % accuracy (test sets of 100 to 700 per
class); learning took 220 s on a single thread. Their digits were scaled to 16 x 24,
binarised and skeletonised with ImageJ.

Reproduced: :class:`neurosparse.sparsey.SparseyClassifier` with one internal level
(``grid``: a grid of macs over the pixels; the paper's "2 levels" count the input) on
the shipped MNIST subset (:func:`neurosparse.datasets.load_mnist_subset`, 500 digits per
class): per class ``n_train_per_class`` digits drawn for training (learned in a shuffled
order, each once) and ``n_test_per_class`` of the others for testing (by default all
300 remaining), ``n_seeds`` draws. The learning pass is followed by a recognition-only
pass over the training digits (``memory="recognised"``: their codes under the final
weights are the classifier's memory; nothing is learned in it, and ``train_seconds``
includes it; ``memory="learned"`` keeps the codes chosen while learning instead).
Labels are read from the codes with ``readout`` (``"knn"``: the ``n_neighbors`` stored
codes that overlap a test digit's code most vote, each with its overlap; ``"overlap"``:
the single nearest). Numba runs on ``threads`` threads (one, as
published); the kernels are compiled (or loaded from Numba's cache) on a few digits
before the clock starts.

Preprocessing (``preprocess``): ``"threshold"`` (default), the 28 x 28 digits binarised
at ``threshold`` (pixel > 127 of 255) and nothing else; ``"skeleton"``, binarised then
thinned to one-pixel strokes (:func:`neurosparse.sparsey.skeletonize`, Zhang & Suen, in
place of ImageJ's thinning). We keep the paper's binarisation but not its
skeletonisation or its 16 x 24 rescaling: on this subset both lowered the accuracy of
the same model (thin strokes overlap less between two writings of a digit, and
Sparsey's codes follow input overlap; ``python benchmarks/sparsey_mnist.py --attempts``
measures the variants, and the changelog records the figures).

Also reported, for context: a nearest neighbour on the raw grey-level pixels (cosine
similarity) on the same split, ``pixel_nn_accuracy``.

Claims: the accuracy (mean over draws) against the published 0.91, within
``tolerance`` (0.02 absolute); and the learning time (our ``train_seconds``, learning
and the recognition pass, mean over draws) at most the published 220 s on one thread
(machines differ: ours is recorded in the result's ``machine`` attr).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse.results import claim_check, claim_close
from neurosparse.studies import load_helper, params_of, study_main, study_result

_common = load_helper(__file__, "_common")

PAPER = "Rinkus & Leveille 2017, arXiv 1710.07829; Rinkus 2010, 2014"
FIGURE = "MNIST, 200 training digits per class, single-trial (sparsey.com MNIST results)"
TITLE = "Sparsey on MNIST: single-trial learning of 200 digits per class"
STUDY_ID = "rinkus2017/mnist"
PUBLISHED_ACCURACY = 0.91
PUBLISHED_SECONDS = 220.0


@dataclass(frozen=True)
class Params:
    """Settings of the trial (module docstring). Model settings are per level."""

    n_train_per_class: int = 200
    n_test_per_class: int = 300
    n_seeds: int = 3
    preprocess: str = "threshold"
    threshold: int = 127
    grid: tuple[tuple[int, int], ...] = ((16, 16),)
    rf_radius: tuple[float, ...] = (4.5,)
    n_cms: tuple[int, ...] = (16,)
    cells_per_cm: tuple[int, ...] = (12,)
    freeze_fraction: tuple[float, ...] = (0.2,)
    readout: str = "knn"
    n_neighbors: int = 5
    memory: str = "recognised"
    threads: int = 1
    tolerance: float = 0.02


FULL = Params()
QUICK = Params(
    n_train_per_class=20, n_test_per_class=10, n_seeds=1, grid=((8, 8),), n_cms=(8,),
    cells_per_cm=(8,),
)  # fmt: skip


def prepare(images: np.ndarray, params: Params) -> np.ndarray:
    """The binary input of the model (``preprocess``, module docstring)."""
    from neurosparse.sparsey import skeletonize

    binary = images > params.threshold
    if params.preprocess == "threshold":
        return binary
    if params.preprocess == "skeleton":
        return skeletonize(binary)
    raise ValueError(f"preprocess must be 'threshold' or 'skeleton', got {params.preprocess!r}")


def split(labels: np.ndarray, params: Params, rng: np.random.Generator):
    """Training indices (shuffled across classes) and test indices, per class
    ``n_train_per_class`` and ``n_test_per_class`` drawn without overlap."""
    train, test = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        need = params.n_train_per_class + params.n_test_per_class
        if need > members.size:
            raise ValueError(
                f"n_train_per_class + n_test_per_class = {need} is more than the "
                f"{members.size} digits of class {c} in the subset"
            )
        train.append(members[: params.n_train_per_class])
        test.append(members[params.n_train_per_class : need])
    return rng.permutation(np.concatenate(train)), np.concatenate(test)


def make_model(params: Params, seed):
    from neurosparse.sparsey import SparseyClassifier

    return SparseyClassifier(
        grid=params.grid, rf_radius=params.rf_radius, n_cms=params.n_cms,
        cells_per_cm=params.cells_per_cm, freeze_fraction=params.freeze_fraction,
        readout=params.readout, n_neighbors=params.n_neighbors, memory=params.memory,
        seed=seed,
    )  # fmt: skip


def _pixel_nn(train: np.ndarray, y_train, test: np.ndarray) -> np.ndarray:
    a = test.reshape(len(test), -1).astype(np.float64)
    b = train.reshape(len(train), -1).astype(np.float64)
    a /= np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b /= np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return y_train[np.argmax(a @ b.T, axis=1)]


def run(params: Params, seed: int = 0) -> xr.DataTree:
    """``n_seeds`` draws: split, learn once, recognise the test digits, time both."""
    from neurosparse.datasets import load_mnist_subset

    images, labels = load_mnist_subset()
    binary = prepare(images, params)
    n_classes = int(labels.max()) + 1
    n = params.n_seeds
    accuracy, pixel = np.zeros(n), np.zeros(n)
    wall, cpu = np.zeros((n, 2)), np.zeros((n, 2))
    confusion = np.zeros((n, n_classes, n_classes), dtype=np.int64)
    with _common.numba_threads(params.threads):
        _common.warm_up(lambda: make_model(params, 0), binary, labels)
        for r, child in enumerate(np.random.SeedSequence(seed).spawn(n)):
            split_ss, model_ss = child.spawn(2)
            tr, te = split(labels, params, np.random.default_rng(split_ss))
            model = make_model(params, model_ss)
            w0, c0 = time.perf_counter(), time.process_time()
            model.fit(binary[tr], labels[tr])
            w1, c1 = time.perf_counter(), time.process_time()
            predicted = model.predict(binary[te])
            w2, c2 = time.perf_counter(), time.process_time()
            wall[r], cpu[r] = (w1 - w0, w2 - w1), (c1 - c0, c2 - c1)
            accuracy[r] = np.mean(predicted == labels[te])
            np.add.at(confusion[r], (labels[te], predicted), 1)
            pixel[r] = np.mean(_pixel_nn(images[tr], labels[tr], images[te]) == labels[te])
    n_train, n_test = len(tr), len(te)
    return _result(params, seed, accuracy, pixel, wall, cpu, confusion, n_train, n_test)


def _result(params, seed, accuracy, pixel, wall, cpu, confusion, n_train, n_test):
    n_classes = confusion.shape[1]
    coords = {
        "seed": ("seed", np.arange(params.n_seeds), {"long_name": "draw of the split"}),
        "class": ("class", np.arange(n_classes), {"long_name": "true digit"}),
        "predicted": ("predicted", np.arange(n_classes), {"long_name": "predicted digit"}),
    }
    metrics = xr.Dataset(
        {
            "accuracy": ("seed", accuracy, {"long_name": "test accuracy", "units": "1"}),
            "accuracy_mean": ((), accuracy.mean(),
                              {"long_name": "mean over draws of the test accuracy",
                               "units": "1"}),
            "train_seconds": ("seed", wall[:, 0],
                              {"long_name": "wall time of fit: the single-trial learning "
                               "pass and the recognition pass over the training digits",
                               "units": "s"}),
            "test_seconds": ("seed", wall[:, 1],
                             {"long_name": "wall time of predict on the test digits",
                              "units": "s"}),
            "train_cpu_seconds": ("seed", cpu[:, 0],
                                  {"long_name": "CPU time of fit (this process)", "units": "s"}),
            "test_cpu_seconds": ("seed", cpu[:, 1],
                                 {"long_name": "CPU time of predict (this process)",
                                  "units": "s"}),
            "n_train": ((), n_train, {"long_name": "training digits (each learned once)"}),
            "n_test": ((), n_test, {"long_name": "test digits"}),
            "pixel_nn_accuracy": ("seed", pixel,
                                  {"long_name": "test accuracy of a cosine nearest neighbour "
                                   "on the raw grey-level pixels, same split", "units": "1"}),
            "confusion": (("seed", "class", "predicted"), confusion,
                          {"long_name": "test digits per (true, predicted) digit"}),
        },
        coords=coords,
    )  # fmt: skip
    reference = xr.Dataset(
        {
            "accuracy": ((), PUBLISHED_ACCURACY, {"long_name": "published test accuracy",
                                                  "units": "1", "source": _common.SOURCE_MNIST}),
            "train_seconds": ((), PUBLISHED_SECONDS,
                              {"long_name": "published learning time, one thread", "units": "s",
                               "source": _common.SOURCE_MNIST}),
        }
    )  # fmt: skip
    train_time = float(wall[:, 0].mean())
    claims = [
        claim_close(
            f"MNIST test accuracy after single-trial learning of {params.n_train_per_class} "
            f"digits per class ({n_test} test digits, mean of {params.n_seeds} draws; "
            f"{params.preprocess} preprocessing, readout {params.readout})",
            PUBLISHED_ACCURACY, float(accuracy.mean()), atol=params.tolerance,
            source=_common.SOURCE_MNIST,
        ),
        claim_check(
            f"learning time on {params.threads} thread(s) at most the published 220 s "
            f"(our fit: learning pass and recognition pass over the {n_train} training "
            "digits, mean of the draws)",
            f"{PUBLISHED_SECONDS:g} s", f"{train_time:.3g} s (x{train_time / PUBLISHED_SECONDS:.3g}"
            f"; test {float(wall[:, 1].mean()):.3g} s)",
            bool(train_time <= PUBLISHED_SECONDS),
            tolerance="agrees when ours <= 220 s (different machines: ours in the "
            "result's machine attr)",
            source=_common.SOURCE_MNIST,
        ),
    ]  # fmt: skip
    return study_result(
        params, seed, kind="sparsey.mnist", groups={"metrics": metrics, "reference": reference},
        claims=claims,
    )  # fmt: skip


def plot(result: xr.DataTree):
    """Accuracy (ours per draw, published, pixel nearest neighbour), times against the
    published 220 s, and the confusion matrix summed over draws."""
    import matplotlib.pyplot as plt

    params = params_of(result)
    m = result["metrics"].to_dataset()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.9), width_ratios=(1, 1, 1.1))
    ax = axes[0]
    ours, pixel = m["accuracy"].values, m["pixel_nn_accuracy"].values
    ax.bar([0, 1, 2], [PUBLISHED_ACCURACY, ours.mean(), pixel.mean()],
           color=["0.6", "C0", "C2"])  # fmt: skip
    ax.plot(np.full(ours.size, 1), ours, "k.", label="each draw")
    ax.plot(np.full(pixel.size, 2), pixel, "k.")
    ax.axhspan(PUBLISHED_ACCURACY - params.tolerance, PUBLISHED_ACCURACY + params.tolerance,
               color="0.85", zorder=0, label=f"published ± {params.tolerance:g}")  # fmt: skip
    ax.set_xticks([0, 1, 2], ["published\n(16x24, skeleton)", "Sparsey\n(ours)",
                              "pixel nearest\nneighbour"])  # fmt: skip
    ax.set(ylabel="test accuracy", ylim=(max(0.0, min(ours.min(), 0.85) - 0.05), 1.0),
           title=f"{int(m['n_train'])} training, {int(m['n_test'])} test digits")  # fmt: skip
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax = axes[1]
    values = [PUBLISHED_SECONDS, m["train_seconds"].mean().item(), m["test_seconds"].mean().item()]
    ax.bar([0, 1, 2], values, color=["0.6", "C0", "C1"])
    for x, v in enumerate(values):
        ax.text(x, v, f"{v:.3g} s", ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_xticks([0, 1, 2], ["published\nlearning", "ours: fit", "ours: predict"])
    ax.set(ylabel="wall time (s)", title=f"{params.threads} thread(s)")
    ax = axes[2]
    conf = m["confusion"].sum("seed").values
    im = ax.imshow(conf / np.maximum(conf.sum(1, keepdims=True), 1), cmap="Blues", vmin=0,
                   vmax=1)  # fmt: skip
    ax.set(xlabel="predicted digit", ylabel="true digit", title="confusion (row-normalised)")
    ax.set_xticks(range(conf.shape[1]))
    ax.set_yticks(range(conf.shape[0]))
    fig.colorbar(im, ax=ax, fraction=0.046)
    levels = ", ".join(
        f"L{i + 1}: {r}x{c} macs, Q={q}, K={k}"
        for i, ((r, c), q, k) in enumerate(zip(params.grid, _per_level(params.n_cms, params),
                                               _per_level(params.cells_per_cm, params)))
    )  # fmt: skip
    fig.suptitle(f"{TITLE} ({levels}; {params.preprocess}; readout {params.readout})",
                 fontsize=9)  # fmt: skip
    fig.tight_layout()
    return fig


def _per_level(values: tuple, params: Params) -> tuple:
    return values if len(values) == len(params.grid) else values * len(params.grid)


def main(out, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Run the trial, write .nc/.png/.svg, return the result."""
    return study_main(__name__, out, quick=quick, seed=seed)
