"""Active Dendrites Network training step on the CPU and on a CUDA device.

neurosparse: one SGD step (forward, cross-entropy, backward, update) of
:class:`neurosparse.dendrites.DendriticMLP` at the sizes of Iyer et al. (2022), permuted
MNIST with 10 tasks: 784 -> 2048 -> 2048 -> 10, 10 segments per unit, a 784-long
context, 5 % k-winners, 50 % weight sparsity, batch 256. Peer: the same network without
dendrites (:class:`neurosparse.dendrites.MLP`, the paper's baseline) on the same device,
so the table shows what the dendrites cost, and the CPU against the GPU.
No target (the issue sets none); the ratios are printed for the record.
Before timing, one step on each device is checked to give the same loss (relative 1e-4).

Run: ``python benchmarks/dendrites_layers_device.py [--repeats 20] [--batch 256]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _harness import machine, table

try:
    import torch
except ImportError as exc:  # pragma: no cover - the script needs torch
    raise SystemExit(f"this benchmark needs torch: {exc}") from None

from neurosparse.dendrites import MLP, DendriticMLP


def build(kind: str, device: str):
    common = dict(kw=True, kw_percent_on=0.05, weight_sparsity=0.5, seed=0)
    if kind == "dendritic":
        net = DendriticMLP(784, 10, [2048, 2048], 10, 784, **common)
    else:
        net = MLP(784, 10, [2048, 2048], **common)
    return net.to(device)


def step_fn(net, x, c, y):
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(net(x, c), y)
        loss.backward()
        opt.step()
        return loss.detach()

    return step


def time_step(step, device: str, repeats: int) -> float:
    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    for _ in range(3):
        step()
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    print(machine(), f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
        print("CUDA device:", torch.cuda.get_device_name(0))
    else:
        print("no CUDA device here: CPU only")

    gen = torch.Generator().manual_seed(0)
    x = torch.rand(args.batch, 784, generator=gen)
    c = torch.rand(args.batch, 784, generator=gen)
    y = torch.randint(0, 10, (args.batch,), generator=gen)

    # the same step on every device gives the same loss
    losses = {}
    for device in devices:
        net = build("dendritic", device)
        losses[device] = float(step_fn(net, x.to(device), c.to(device), y.to(device))())
    for device in devices[1:]:
        rel = abs(losses[device] / losses["cpu"] - 1)
        assert rel < 1e-4, (device, losses)

    times = {}
    for device in devices:
        xd, cd, yd = x.to(device), c.to(device), y.to(device)
        for kind in ("mlp", "dendritic"):
            net = build(kind, device)
            times[device, kind] = time_step(step_fn(net, xd, cd, yd), device, args.repeats)

    rows = []
    for device in devices:
        rows.append({
            "device": device,
            "MLP step (ms)": 1e3 * times[device, "mlp"],
            "dendritic step (ms)": 1e3 * times[device, "dendritic"],
            "dendritic / MLP": times[device, "dendritic"] / times[device, "mlp"],
            "CPU / this (dendritic)": times["cpu", "dendritic"] / times[device, "dendritic"],
        })  # fmt: skip
    print(table(rows, list(rows[0])))


if __name__ == "__main__":
    main()
