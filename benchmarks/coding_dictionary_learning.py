"""Benchmark: dictionary learning of 500 units, CEL0, the paper's settings.

Ours (:class:`neurosparse.coding.DictionaryLearner`) on ``--batches`` batches of 250
whitened 16x16 patches (default 1600 batches = 400,000 patches; target: under 2 minutes
on 2 cores), and side by side, on the same first ``--authors-batches`` batches, the
authors' NumPy implementation (github.com/rentzi/sparseRegularizers, ``SparseModel`` and
``runModelSim`` from ``generativeModels.py``), imported from ``--authors-path`` (a
checkout; never copied here). Prints a table of medians over ``--repeats`` and the
per-batch time ratio measured in the same run.

    python benchmarks/coding_dictionary_learning.py --authors-path /path/to/sparseRegularizers
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

import numpy as np

from neurosparse.coding.dictionary import DictionaryLearner
from neurosparse.coding.images import natural_patches

UNITS, BATCH, LAM, ETA, LR = 500, 250, 0.45, 0.1, 0.01


def run_ours(X, n_batches, parallel):
    model = DictionaryLearner(UNITS, penalty="cel0", lam=LAM, eta=ETA, lr=LR,
                              batch_size=BATCH, n_batches=n_batches, parallel=parallel,
                              seed=0)  # fmt: skip
    t = time.perf_counter()
    model.fit(X)
    return time.perf_counter() - t, model.history_["mse"]


def run_authors(path, X, n_batches):
    sys.path.insert(0, str(path))
    try:
        import generativeModels as gm  # the authors' module, imported from their checkout
    finally:
        sys.path.pop(0)
    gm.tqdm = lambda it: it  # their progress bar needs a notebook
    np.random.seed(0)  # noqa: NPY002 (the authors' code draws from the global state)
    model = gm.SparseModel(256, UNITS, BATCH, LAM, "CEL0", lr_r=ETA, lr_Phi=LR)
    # their code decays the rates; the paper's 500-unit runs used constant rates
    model.lr_rV[:] = ETA
    model.lrPhiV[:] = LR
    r0 = np.zeros((n_batches * BATCH, UNITS))
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        out = gm.runModelSim(model, n_batches, BATCH, X[: n_batches * BATCH], r0)
    return time.perf_counter() - t, np.asarray(out[3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batches", type=int, default=1600)
    ap.add_argument("--authors-path", type=Path, default=None)
    ap.add_argument("--authors-batches", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument(
        "--serial",
        action="store_true",
        help="one-thread ISTA kernel (parallel=False; the default is parallel)",
    )
    args = ap.parse_args()

    X = natural_patches(args.batches * BATCH, seed=0)
    run_ours(X, 2, not args.serial)  # compile
    ours = [run_ours(X, args.batches, not args.serial) for _ in range(args.repeats)]
    t_ours = float(np.median([t for t, _ in ours]))
    mse = ours[0][1]
    met = "met" if t_ours * 1600 / args.batches < 120 else "NOT met"
    print(
        f"ours ({'serial' if args.serial else 'parallel'}): {args.batches} batches x {BATCH} "
        f"patches, {UNITS} units, CEL0: "
        f"{t_ours:.1f} s ({1e3 * t_ours / args.batches:.1f} ms/batch), "
        f"target < 120 s for 1600 batches -> {met}; "
        f"running MSE first/last 50 batches {mse[:50].mean():.4f} / {mse[-50:].mean():.4f}"
    )
    if args.authors_path is None:
        print("authors' code: not run (give --authors-path to a checkout of "
              "github.com/rentzi/sparseRegularizers); ours alone above")  # fmt: skip
        return
    nb = min(args.authors_batches, args.batches)
    ta = [run_authors(args.authors_path, X, nb) for _ in range(args.repeats)]
    t_auth = float(np.median([t for t, _ in ta]))
    ours_nb = [run_ours(X, nb, not args.serial) for _ in range(args.repeats)]
    t_ours_nb = float(np.median([t for t, _ in ours_nb]))
    print(
        f"\n{'implementation':<28}{'batches':>8}{'median s':>10}{'ms/batch':>10}{'MSE last 10':>13}"
    )
    for name, t, runs in (
        ("authors (NumPy ISTA)", t_auth, ta),
        ("neurosparse", t_ours_nb, ours_nb),
    ):
        print(f"{name:<28}{nb:>8}{t:>10.2f}{1e3 * t / nb:>10.1f}{runs[0][1][-10:].mean():>13.4f}")
    print(f"speed-up (authors / ours, same {nb} batches): {t_auth / t_ours_nb:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
