"""Sparsey on MNIST: single-trial learning of 200 digits per class on one core, against
the published 91 % in 220 s on one thread (Rinkus & Leveille 2017, sparsey.com).

neurosparse: :class:`neurosparse.sparsey.SparseyClassifier` with the settings of the
study ``rinkus2017/mnist``'s ``FULL`` (read from the study, so that the two never
differ): one internal level of macs over the 28 x 28 digits binarised at 127, readout
by a vote of the nearest stored codes. Data: the shipped MNIST subset, per class 200
training digits and the 300 others for testing, drawn per seed as the study draws them.

Single pass: ``fit`` learns each training digit exactly once (one trial, in a shuffled
order), then runs a recognition-only pass over the training digits (nothing is learned:
their codes under the final weights become the classifier's memory); ``predict``
recognises the test digits. Timed: ``fit`` (train) and ``predict`` (test), wall clock,
with Numba on one thread (``NUMBA_NUM_THREADS=1`` set by this script unless
``--threads`` says otherwise). Not timed: reading the data, and the first call that
compiles the kernels (or loads them from Numba's cache), reported apart.

Peers: the published run (91 %, learning in 220 s on one thread; their machine, not
ours), and, for context, a cosine nearest neighbour on the raw pixels (NumPy, BLAS).

Targets: accuracy >= 90 % (mean over seeds) and train + test < 30 s (every seed).

``--attempts`` also runs the configurations tried on the way (two seeds each): the
first two-level model, one level with a nearest-code readout, the readouts, the
``memory`` choices, skeletonised input, a second level on top of the chosen one.

Run: ``python benchmarks/sparsey_mnist.py [--seeds 2] [--threads 1] [--attempts]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

PUBLISHED_ACCURACY = 0.91
PUBLISHED_SECONDS = 220.0
TARGET_ACCURACY = 0.90
TARGET_SECONDS = 30.0

# settings changed from the study's FULL for each attempt (--attempts)
ATTEMPTS = (
    ("first 2-level model, nearest code", {
        "grid": ((12, 12), (3, 3)), "rf_radius": (3.5, 3.0), "n_cms": (16, 16),
        "cells_per_cm": (8, 16), "freeze_fraction": (0.3, 0.15), "readout": "overlap"}),
    ("first 2-level model, knn 5", {
        "grid": ((12, 12), (3, 3)), "rf_radius": (3.5, 3.0), "n_cms": (16, 16),
        "cells_per_cm": (8, 16), "freeze_fraction": (0.3, 0.15)}),
    ("1 level 12x12, Q16 K8, nearest code", {
        "grid": ((12, 12),), "rf_radius": (3.5,), "cells_per_cm": (8,),
        "freeze_fraction": (0.3,), "readout": "overlap"}),
    ("1 level 12x12, Q16 K8, knn 5", {
        "grid": ((12, 12),), "rf_radius": (3.5,), "cells_per_cm": (8,),
        "freeze_fraction": (0.3,)}),
    ("FULL, nearest code", {"readout": "overlap"}),
    ("FULL, association readout", {"readout": "association"}),
    ("FULL, memory = learned codes", {"memory": "learned"}),
    ("FULL, skeletonised input", {"preprocess": "skeleton"}),
    ("FULL + level 2 (4x4 macs)", {
        "grid": ((16, 16), (4, 4)), "rf_radius": (4.5, 2.0), "n_cms": (16, 16),
        "cells_per_cm": (12, 16), "freeze_fraction": (0.2, 0.15)}),
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2, help="draws of the split")
    parser.add_argument("--threads", type=int, default=1, help="Numba threads")
    parser.add_argument("--attempts", action="store_true", help="also run the attempts")
    args = parser.parse_args()
    os.environ["NUMBA_NUM_THREADS"] = str(args.threads)  # before numba is imported
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")

    import numpy as np
    from _harness import machine, table, verdict

    from neurosparse.datasets import load_mnist_subset
    from neurosparse.studies import get_study

    study = get_study("rinkus2017/mnist").load_module()
    full = study.FULL
    print(machine())
    print(
        f"setting (study rinkus2017/mnist FULL): grid {full.grid}, rf_radius {full.rf_radius}, "
        f"Q {full.n_cms}, K {full.cells_per_cm}, freeze {full.freeze_fraction}, "
        f"{full.preprocess} at {full.threshold}, readout {full.readout} "
        f"(k = {full.n_neighbors}); {full.n_train_per_class} training / "
        f"{full.n_test_per_class} test digits per class"
    )
    images, labels = load_mnist_subset()

    def measure(params, seeds) -> list[dict]:
        """One row per seed: accuracy and the timed fit / predict."""
        from neurosparse.sparsey import SparseyClassifier

        binary = study.prepare(images, params)
        t0 = time.perf_counter()
        warm = study.make_model(params, 0).fit(binary[:70], labels[:70])
        warm.predict(binary[:70])
        warm.predict(binary[:2])
        first = time.perf_counter() - t0
        rows = []
        for s, child in enumerate(np.random.SeedSequence(0).spawn(seeds)):
            split_ss, model_ss = child.spawn(2)
            tr, te = study.split(labels, params, np.random.default_rng(split_ss))
            model: SparseyClassifier = study.make_model(params, model_ss)
            t0 = time.perf_counter()
            model.fit(binary[tr], labels[tr])
            t1 = time.perf_counter()
            pred = model.predict(binary[te])
            t2 = time.perf_counter()
            rows.append({"seed": s, "accuracy": float(np.mean(pred == labels[te])),
                         "train s": t1 - t0, "test s": t2 - t1, "total s": t2 - t0,
                         "first call s": first, "n_train": len(tr), "n_test": len(te)})  # fmt: skip
        return rows

    rows = measure(full, args.seeds)
    for row in rows:
        row["/ published 220 s"] = row["train s"] / PUBLISHED_SECONDS
    # the pixel nearest neighbour, same splits
    for row, child in zip(rows, np.random.SeedSequence(0).spawn(args.seeds), strict=True):
        tr, te = study.split(labels, full, np.random.default_rng(child.spawn(2)[0]))
        t0 = time.perf_counter()
        pred = study._pixel_nn(images[tr], labels[tr], images[te])
        row["pixel NN accuracy"] = float(np.mean(pred == labels[te]))
        row["pixel NN s"] = time.perf_counter() - t0
    print()
    print(table(rows, ["seed", "n_train", "n_test", "accuracy", "train s", "test s", "total s",
                       "/ published 220 s", "first call s", "pixel NN accuracy",
                       "pixel NN s"]))  # fmt: skip
    acc = float(np.mean([r["accuracy"] for r in rows]))
    total = max(r["total s"] for r in rows)
    train = float(np.median([r["train s"] for r in rows]))
    print()
    print(f"published: {PUBLISHED_ACCURACY:.0%} accuracy, learning in {PUBLISHED_SECONDS:g} s "
          f"on one thread; ours: {acc:.2%}, learning (fit) {train:.2f} s = "
          f"{train / PUBLISHED_SECONDS:.4f} x 220 s, i.e. {PUBLISHED_SECONDS / train:.0f}x "
          "faster (different machines)")  # fmt: skip
    print(f"accuracy >= 90 % (mean of {args.seeds} seeds, {acc:.2%}): "
          f"{verdict(acc, TARGET_ACCURACY)}")  # fmt: skip
    print(f"train + test < 30 s on {args.threads} thread(s) (slowest seed, {total:.2f} s): "
          f"{verdict(total, TARGET_SECONDS, higher_is_better=False)}")  # fmt: skip
    print(
        "single pass: each training digit is learned once; fit then recognises the "
        "training digits once more (no learning) for the classifier's memory"
    )

    if args.attempts:
        out = []
        for name, changes in ATTEMPTS:
            tried = measure(dataclasses.replace(full, **changes), args.seeds)
            out.append({
                "attempt": name,
                "accuracy": float(np.mean([r["accuracy"] for r in tried])),
                "per seed": " ".join(f"{r['accuracy']:.4f}" for r in tried),
                "train s": float(np.median([r["train s"] for r in tried])),
                "test s": float(np.median([r["test s"] for r in tried])),
            })  # fmt: skip
            print(f"  {name}: {out[-1]['accuracy']:.4f}", file=sys.stderr, flush=True)
        out.append({
            "attempt": "FULL (the setting above)", "accuracy": acc,
            "per seed": " ".join(f"{r['accuracy']:.4f}" for r in rows),
            "train s": float(np.median([r["train s"] for r in rows])),
            "test s": float(np.median([r["test s"] for r in rows])),
        })  # fmt: skip
        print()
        print(table(out, ["attempt", "accuracy", "per seed", "train s", "test s"]))


if __name__ == "__main__":
    main()
