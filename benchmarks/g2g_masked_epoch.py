"""One training epoch of a 75 %-sparse masked MLP against the same model dense.

neurosparse: :class:`neurosparse.g2g.models.G2GNet` 784 -> 300 -> 100 -> 10 (ReLU) with
ensemble masks at 75 % sparsity in the two hidden layers (``connectivity="ensemble"``,
dense read-out), its layers :class:`neurosparse.nn.MaskedLinear`. Peers: the same
network dense (``connectivity="dense"``, also MaskedLinear: what the masks cost) and a
plain ``torch.nn.Sequential`` of ``nn.Linear`` (for reference). Also the sparse epoch
with :class:`neurosparse.g2g.dst.DynamicSparseTraining` updating every 50 steps
(``regrowth="gradient"`` and ``"hebbian"``, growth restricted to the ensemble pairs
``G2GNet.allowed``, prune fraction 0.3; a fresh controller each epoch, so every epoch
holds exactly one update).

One epoch: 4000 shipped MNIST digits (inputs / 255), batch 64 (63 steps), a fixed
batch order, Adam (lr 1e-3), cross-entropy, forward, backward, ``optimizer.step()``
(then the controller's ``step()``), no evaluation. CPU with ``torch.set_num_threads``
fixed (``--threads``, default 2), and CUDA when available (synchronised before and
after each epoch). The contenders take turns within each repeat (the order rotating),
so that load on the machine falls on all alike; the first repeat is a warm-up, reported
apart; medians of the times and of the per-repeat ratios.
Target: the masked sparse epoch at most 1.3x the dense MaskedLinear epoch. The DST
overheads are printed as ratios to the static sparse epoch (no target).

Run: ``python benchmarks/g2g_masked_epoch.py [--repeats 7] [--threads 2]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _harness import machine, table, verdict

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - the script needs torch
    raise SystemExit(f"this benchmark needs torch: {exc}") from None

from neurosparse.datasets import load_mnist_subset
from neurosparse.g2g.dst import DynamicSparseTraining
from neurosparse.g2g.models import G2GNet

SIZES = (784, 300, 100, 10)
BATCH = 64
SPARSITY = 0.75
UPDATE_EVERY = 50

NN_LINEAR = "nn.Sequential of nn.Linear"
DENSE = "G2GNet dense (MaskedLinear)"
SPARSE = "G2GNet ensemble 75 % sparse"
DST_GRAD = "sparse + DST gradient /50"
DST_HEBB = "sparse + DST hebbian /50"


def build(name: str, device: str):
    """The model, its optimiser and a controller factory (None: no controller)."""
    if name == NN_LINEAR:
        torch.manual_seed(0)
        model = nn.Sequential(
            nn.Linear(SIZES[0], SIZES[1]),
            nn.ReLU(),
            nn.Linear(SIZES[1], SIZES[2]),
            nn.ReLU(),
            nn.Linear(SIZES[2], SIZES[3]),
        )
    else:
        model = G2GNet(
            SIZES[0],
            SIZES[-1],
            list(SIZES[1:-1]),
            density=1 - SPARSITY,
            connectivity="dense" if name == DENSE else "ensemble",
            seed=0,
        )
    model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    factory = None
    if name in (DST_GRAD, DST_HEBB):

        def factory():
            return DynamicSparseTraining(
                list(model.layers[:-1]),
                regrowth="gradient" if name == DST_GRAD else "hebbian",
                prune_fraction=0.3,
                update_every=UPDATE_EVERY,
                end_step=None,
                allowed=model.allowed[:-1],
                optimizer=opt,
                seed=0,
            )

    return model, opt, factory


def epoch_fn(model, opt, factory, X, y, order, device):
    """One timed epoch (the controller is built and closed outside the timing)."""

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    def run() -> float:
        controller = factory() if factory is not None else None
        model.train()
        sync()
        t0 = time.perf_counter()
        for start in range(0, X.shape[0], BATCH):
            idx = order[start : start + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
            if controller is not None:
                controller.step()
        sync()
        seconds = time.perf_counter() - t0
        if controller is not None:
            assert len(controller.history["step"]) == 1  # one update per epoch
            controller.close()
        return seconds

    return run


def measure(device: str, repeats: int, X_np, y_np) -> list[dict]:
    X = torch.from_numpy(X_np).to(device)
    y = torch.from_numpy(y_np).to(device)
    order = torch.from_numpy(np.random.default_rng(0).permutation(len(X_np))).to(device)
    names = [NN_LINEAR, DENSE, SPARSE, DST_GRAD, DST_HEBB]
    runs = {name: epoch_fn(*build(name, device), X, y, order, device) for name in names}
    first = {name: run() for name, run in runs.items()}  # warm-up, reported apart
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            times[name].append(runs[name]())
    t = {name: np.array(v) for name, v in times.items()}
    rows = []
    for name in names:
        row = {
            "device": device,
            "epoch": name,
            "ms": 1e3 * float(np.median(t[name])),
            "first ms": 1e3 * first[name],
            "/ dense MaskedLinear": float(np.median(t[name] / t[DENSE])),
            "/ nn.Linear": float(np.median(t[name] / t[NN_LINEAR])),
        }
        if name in (DST_GRAD, DST_HEBB):
            row["/ static sparse"] = float(np.median(t[name] / t[SPARSE]))
            row["extra ms per update"] = 1e3 * float(np.median(t[name] - t[SPARSE]))
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    cuda = torch.cuda.is_available()
    gpu = f", CUDA {torch.cuda.get_device_name(0)}" if cuda else ", no CUDA device"
    print(machine(), f"| torch {torch.__version__}, {torch.get_num_threads()} threads{gpu}")
    images, labels = load_mnist_subset()
    X = images.reshape(len(images), -1).astype(np.float32) / 255.0
    keep = np.random.default_rng(0).permutation(len(X))[:4000]
    X, y = X[keep], labels[keep].astype(np.int64)
    steps = -(-len(X) // BATCH)
    print(
        f"one epoch: {len(X)} samples, batch {BATCH} ({steps} steps), Adam, 784-300-100-10; "
        f"sparse: ensemble masks, {SPARSITY:.0%} sparse hidden layers, dense read-out; "
        f"DST: one update (step {UPDATE_EVERY}) per epoch; {args.repeats} repeats"
    )
    rows = []
    for device in ["cpu", "cuda"] if cuda else ["cpu"]:
        rows += measure(device, args.repeats, X, y)
    cols = ["device", "epoch", "ms", "first ms", "/ dense MaskedLinear", "/ nn.Linear"]
    print()
    print(table(rows, [*cols, "/ static sparse", "extra ms per update"]))
    for row in rows:
        if row["epoch"] == SPARSE:
            print(
                f"{row['device']}: masked sparse epoch at most 1.3x the dense MaskedLinear "
                f"epoch: {verdict(row['/ dense MaskedLinear'], 1.3, higher_is_better=False)}"
            )
    if not cuda:
        print("(no CUDA device here: the CUDA rows are left out)")


if __name__ == "__main__":
    main()
