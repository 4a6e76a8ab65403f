"""RigL (gradient regrowth) against the independent implementation rigl-torch.

neurosparse: :class:`neurosparse.g2g.models.G2GNet` (``connectivity="erdos_renyi"``,
MaskedLinear layers) with :class:`neurosparse.g2g.dst.DynamicSparseTraining`
(``regrowth="gradient"``). Peer: ``rigl_torch.RigL.RigLScheduler`` (pip package
``rigl-torch``, McCreary; never a dependency of neurosparse, never vendored) on a plain
``torch.nn.Sequential`` of ``nn.Linear``, which it masks itself.

Matched: the 784 -> 300 -> 100 -> 10 ReLU MLP on the shipped MNIST subset (a fixed
4000 / 1000 split, inputs / 255); both trained by the loop of ``train_classifier``, in
lock step (each step taken by one then the other, who goes first alternating, so that
load on the machine falls on both alike; the script checks on seed 0 that
``train_classifier`` itself gives ours the same accuracy and masks): SGD, momentum 0.9,
the same lr, the same batch order from the seed (rigl-torch resets only SGD's momentum
buffer, so SGD is the optimiser it supports correctly); a mask update every
``--update-every`` steps, drop fraction alpha = 0.3 cosine-decayed, no update from 75 %
of training on; uniform density in the two hidden layers and a dense read-out (rigl-
torch's ``"uniform"`` distribution keeps the first layer it lists dense, so it is given
the read-out first, then the hidden layers; ``ignore_linear_layers=False``).
Known differences of the rules: rigl-torch prunes ``int(f n)`` synapses, we prune
``round(f n)``; rigl-torch may regrow a synapse it has just pruned (it then keeps its
old weight), we never do.

Measured, at 75 % and 90 % sparsity over ``--repeats`` seeds: final test accuracy
(mean +- sd); the cost of one mask update: the controller's update call timed directly
(median over all updates, and the median of the per-update ratios), the whole update
cycle (the gradient-capturing training step plus the update call, minus a plain step)
and a plain step; each layer's mask density (and non-zero weights) after training.
Targets: accuracy within 1 point of rigl-torch; update call no slower (ours / theirs <= 1).

Run: ``pip install rigl-torch`` (into the environment that runs it, not the project's
dependencies), then ``python benchmarks/g2g_rigl_vs_rigl_torch.py [--repeats 3]
[--epochs 10] [--update-every 50] [--threads 2]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import statistics
import sys
import time
import types

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
from neurosparse.g2g.training import train_classifier

SIZES = (784, 300, 100, 10)
BATCH = 64


def import_rigl_torch():
    """``RigLScheduler`` and a note on how it was imported; exits if it is missing.

    rigl-torch imports torchvision only to test ``isinstance(module, Bottleneck |
    BasicBlock)`` (ResNet blocks) while walking the model. Where torchvision is not
    installed (no build for this torch), a stand-in module with two empty classes is put
    in ``sys.modules`` for that import: nothing of rigl-torch is changed.
    """
    if importlib.util.find_spec("rigl_torch") is None:
        raise SystemExit("rigl-torch is not installed: `pip install rigl-torch`, then rerun")
    note = "torchvision present"
    if importlib.util.find_spec("torchvision") is None:
        tv = types.ModuleType("torchvision")
        tv.models = types.ModuleType("torchvision.models")
        tv.models.resnet = types.ModuleType("torchvision.models.resnet")
        tv.models.resnet.Bottleneck = type("Bottleneck", (), {})
        tv.models.resnet.BasicBlock = type("BasicBlock", (), {})
        for name, mod in (
            ("torchvision", tv),
            ("torchvision.models", tv.models),
            ("torchvision.models.resnet", tv.models.resnet),
        ):
            sys.modules[name] = mod
        note = "torchvision absent: stand-in for its two ResNet block classes"
    from rigl_torch.RigL import RigLScheduler

    try:
        from importlib.metadata import version

        note = f"rigl-torch {version('rigl-torch')}, {note}"
    except Exception:  # pragma: no cover - metadata missing
        pass
    return RigLScheduler, note


def data():
    images, labels = load_mnist_subset()
    X = images.reshape(len(images), -1).astype(np.float32) / 255.0
    order = np.random.default_rng(0).permutation(len(X))
    tr, te = order[:4000], order[4000:]
    return (X[tr], labels[tr]), (X[te], labels[te])


def update_steps(total: int, every: int, end: int) -> list[int]:
    """The steps at which both update their masks (``step % every == 0``, ``step < end``)."""
    return [s for s in range(1, total + 1) if s % every == 0 and s < end]


def build_ours(sparsity, seed, args, T_end):
    """G2GNet (random masks), its SGD optimiser and the DST controller."""
    model = G2GNet(
        SIZES[0],
        SIZES[-1],
        list(SIZES[1:-1]),
        density=1 - sparsity,
        connectivity="erdos_renyi",
        seed=seed,
    )
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    dst = DynamicSparseTraining(
        list(model.layers[:-1]),
        regrowth="gradient",
        prune_fraction=args.alpha,
        update_every=args.update_every,
        end_step=T_end,
        optimizer=opt,
        seed=seed,
    )
    masks = [layer.mask for layer in model.layers]
    weights = [layer.weight for layer in model.layers]
    return model, opt, dst.step, dst, masks, weights


def build_theirs(RigLScheduler, sparsity, seed, args, T_end):
    """A plain nn.Sequential, its SGD optimiser and rigl-torch's scheduler."""
    torch.manual_seed(seed)  # nn.Linear's initial weights and rigl-torch's random masks
    lin = [nn.Linear(SIZES[i], SIZES[i + 1]) for i in range(len(SIZES) - 1)]
    model = nn.Sequential(lin[0], nn.ReLU(), lin[1], nn.ReLU(), lin[2])
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    # rigl-torch's "uniform" distribution keeps the first layer it finds dense: list the
    # read-out first, so that it stays dense and the two hidden layers are sparse
    view = nn.Sequential(lin[2], lin[0], lin[1])
    sched = RigLScheduler(
        view,
        opt,
        dense_allocation=1 - sparsity,
        T_end=T_end,
        sparsity_distribution="uniform",
        ignore_linear_layers=False,
        delta=args.update_every,
        alpha=args.alpha,
        static_topo=False,
    )
    masks = [sched.backward_masks[1], sched.backward_masks[2], None]
    weights = [lin[0].weight, lin[1].weight, lin[2].weight]
    return model, opt, sched, sched, masks, weights


def train_pair(contenders, train, test, epochs, seed):
    """Train the contenders in lock step: the loop of ``train_classifier`` (batch order
    from ``seed``, cross-entropy, ``optimizer.step()`` then the controller), each step
    taken by one then the other (who goes first alternates), so that load on the
    machine falls on both alike. Returns test accuracies and per-step seconds."""
    Xtr, ytr = (torch.from_numpy(a) for a in train)
    Xte, yte = (torch.from_numpy(a) for a in test)
    rng = np.random.default_rng(seed)  # what train_classifier draws its batch order from
    names = list(contenders)
    train_s = {n: [] for n in names}  # forward, backward, optimizer.step()
    call_s = {n: [] for n in names}  # the controller's step()
    step = 0
    for _ in range(epochs):
        for _, (model, *_rest) in contenders.items():
            model.train()
        order = torch.from_numpy(rng.permutation(len(Xtr)))
        for start in range(0, len(Xtr), BATCH):
            idx = order[start : start + BATCH]
            step += 1
            for name in names if step % 2 else names[::-1]:
                model, opt, call = contenders[name][:3]
                t0 = time.perf_counter()
                opt.zero_grad(set_to_none=True)
                loss = nn.functional.cross_entropy(model(Xtr[idx]), ytr[idx])
                loss.backward()
                opt.step()
                t1 = time.perf_counter()
                call()
                t2 = time.perf_counter()
                train_s[name].append(t1 - t0)
                call_s[name].append(t2 - t1)
    accuracy = {}
    for name, (model, *_rest) in contenders.items():
        model.eval()
        with torch.no_grad():
            accuracy[name] = 100 * float((model(Xte).argmax(1) == yte).float().mean())
    return accuracy, train_s, call_s


def density_rows(name, sparsity, seed, masks, weights):
    row = {"model": name, "sparsity": sparsity, "seed": seed}
    exact = True
    for i, (m, w) in enumerate(zip(masks, weights)):
        if m is None:
            m = torch.ones_like(w, dtype=torch.bool)
        n = m.numel()
        want = n if i == len(masks) - 1 else round((1 - sparsity) * n)
        exact &= int(m.sum()) == want and int((w.detach() != 0).sum()) <= want
        row[f"layer {i} mask"] = float(m.float().mean())
        row[f"layer {i} w!=0"] = float((w.detach() != 0).float().mean())
    row["exact"] = "yes" if exact else "NO"
    return row, exact


def same_as_train_classifier(sparsity, seed, train, test, args, T_end, accuracy, masks):
    """Whether ``train_classifier`` trains our contender to the same accuracy and masks
    as the lock-step loop (a check of the loop, on one seed)."""
    model, _, _, _, _, _ = build_ours(sparsity, seed, args, T_end)

    def make(opt):
        return DynamicSparseTraining(
            list(model.layers[:-1]),
            regrowth="gradient",
            prune_fraction=args.alpha,
            update_every=args.update_every,
            end_step=T_end,
            optimizer=opt,
            seed=seed,
        )

    curves = train_classifier(
        model, train, test, epochs=args.epochs, batch_size=BATCH, lr=args.lr,
        optimizer="sgd", sparse_training=make, seed=seed,
    )  # fmt: skip
    same_masks = all(bool((a == b.mask).all()) for a, b in zip(masks, model.layers))
    return abs(100 * curves.final_accuracy - accuracy) < 1e-9 and same_masks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="seeds (each trains both)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--update-every", type=int, default=50, help="Delta T, in steps")
    parser.add_argument("--alpha", type=float, default=0.3, help="initial drop fraction")
    parser.add_argument("--lr", type=float, default=0.05, help="SGD (momentum 0.9)")
    parser.add_argument("--sparsities", type=float, nargs="+", default=[0.75, 0.9])
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    print(machine(), f"| torch {torch.__version__}, {torch.get_num_threads()} threads")
    RigLScheduler, note = import_rigl_torch()
    print(f"peer: {note}")
    train, test = data()
    total = args.epochs * math.ceil(len(train[0]) / BATCH)
    T_end = int(0.75 * total)
    updates = update_steps(total, args.update_every, T_end)
    plain = [s for s in range(2, T_end) if s not in updates]
    print(
        f"784-300-100-10 MLP, {len(train[0])} train / {len(test[0])} test, batch {BATCH}, "
        f"{args.epochs} epochs = {total} steps, SGD lr {args.lr} momentum 0.9; update every "
        f"{args.update_every} steps, alpha {args.alpha} cosine, T_end {T_end} "
        f"({len(updates)} updates); uniform density in the hidden layers, dense read-out; "
        "both trained in lock step"
    )

    acc_rows, time_rows, dens_rows = [], [], []
    all_exact, met_acc, loop_checked = True, True, None
    names = ("ours", "rigl-torch")
    for sparsity in args.sparsities:
        acc = {n: [] for n in names}
        call = {n: [] for n in names}  # update calls, all updates of all seeds
        cycle = {n: [] for n in names}
        plain_step = {n: [] for n in names}
        paired = []
        for seed in range(args.repeats):
            contenders = {
                "ours": build_ours(sparsity, seed, args, T_end),
                "rigl-torch": build_theirs(RigLScheduler, sparsity, seed, args, T_end),
            }
            accuracy, train_s, call_s = train_pair(contenders, train, test, args.epochs, seed)
            dst, sched = contenders["ours"][3], contenders["rigl-torch"][3]
            assert [int(s) for s in dst.history["step"]] == updates
            assert sched.rigl_steps == len(updates)
            for name in names:
                acc[name].append(accuracy[name])
                full = [train_s[name][s - 1] + call_s[name][s - 1] for s in plain]
                plain_full = statistics.median(full)
                plain_step[name] += full
                call[name] += [call_s[name][s - 1] for s in updates]
                cycle[name] += [
                    train_s[name][s - 1] + call_s[name][s - 1] - plain_full for s in updates
                ]
                row, exact = density_rows(name, sparsity, seed, *contenders[name][4:])
                dens_rows.append(row)
                all_exact &= exact
            paired += [call_s["ours"][s - 1] / call_s["rigl-torch"][s - 1] for s in updates]
            if loop_checked is None:
                loop_checked = same_as_train_classifier(
                    sparsity, seed, train, test, args, T_end, accuracy["ours"],
                    contenders["ours"][4],
                )  # fmt: skip
        for name in names:
            a = acc[name]
            acc_rows.append(
                {
                    "sparsity": sparsity,
                    "model": name,
                    "test acc % (mean)": statistics.mean(a),
                    "sd": statistics.stdev(a) if len(a) > 1 else 0.0,
                    "per seed": " ".join(f"{v:.1f}" for v in a),
                }
            )
        diff = statistics.mean(acc["ours"]) - statistics.mean(acc["rigl-torch"])
        met_acc &= abs(diff) <= 1.0
        acc_rows.append(
            {"sparsity": sparsity, "model": "ours - rigl-torch", "test acc % (mean)": diff}
        )
        med = {
            n: {
                "call": statistics.median(call[n]),
                "cycle": statistics.median(cycle[n]),
                "plain": statistics.median(plain_step[n]),
            }
            for n in names
        }
        for name in names:
            time_rows.append(
                {
                    "sparsity": sparsity,
                    "model": name,
                    "update call ms": 1e3 * med[name]["call"],
                    "update cycle ms": 1e3 * med[name]["cycle"],
                    "plain step ms": 1e3 * med[name]["plain"],
                    "n updates": len(call[name]),
                }
            )
        time_rows.append(
            {
                "sparsity": sparsity,
                "model": "ours / rigl-torch",
                "update call ms": med["ours"]["call"] / med["rigl-torch"]["call"],
                "update cycle ms": med["ours"]["cycle"] / med["rigl-torch"]["cycle"],
                "plain step ms": med["ours"]["plain"] / med["rigl-torch"]["plain"],
                "median paired ratio": statistics.median(paired),
            }
        )

    print(f"loop check: train_classifier gives our contender the same accuracy and masks "
          f"(seed 0): {'yes' if loop_checked else 'NO'}")  # fmt: skip
    print("\n1. final test accuracy (%)")
    print(table(acc_rows, ["sparsity", "model", "test acc % (mean)", "sd", "per seed"]))
    diffs = [r["test acc % (mean)"] for r in acc_rows if r["model"] == "ours - rigl-torch"]
    print(
        "accuracy within 1 point of rigl-torch:",
        f"{'MET' if met_acc else 'NOT MET'} (largest |difference| {max(map(abs, diffs)):.2f})",
    )

    print("\n2. cost of one mask update, medians over all updates of all seeds. update call:")
    print("   the controller's step() on an update step; update cycle: the gradient-capturing")
    print("   training step plus that call, minus a plain step; ratio rows ours / rigl-torch")
    print("   (below 1: ours faster); paired: per update, ours over rigl-torch's same update")
    cols = ["sparsity", "model", "update call ms", "update cycle ms", "plain step ms"]
    print(table(time_rows, [*cols, "n updates", "median paired ratio"]))
    worst = max(r["update call ms"] for r in time_rows if r["model"] == "ours / rigl-torch")
    print("update call no slower than rigl-torch:", verdict(worst, 1.0, higher_is_better=False))

    print("\n3. mask density after training (layer 2 is the read-out, kept dense)")
    cols = ["model", "sparsity", "seed"]
    cols += [f"layer {i} {k}" for i in range(3) for k in ("mask", "w!=0")] + ["exact"]
    print(table(dens_rows, cols))
    print("every layer keeps its asked number of synapses:", "yes" if all_exact else "NO")


if __name__ == "__main__":
    main()
