"""Shared by the yousefzadeh2021 studies: the sequences, the training of one network, and
its per-layer measurements (``load_helper(__file__, "_common")``).

Data: moving digits generated offline from the shipped MNIST subset
(:func:`neurosparse.datasets.moving_digits`: one digit per sequence moving in one of 10
motions; the task is the digit), training and test sequences drawn from disjoint digit
images; or a user's own frames (``video=/path`` laid out ``class/sequence/frames``,
:func:`neurosparse.datasets.read_frame_folders`, resized to ``canvas`` x ``canvas``,
the first ``n_frames`` of each sequence, 80 % / 20 % split by sequence).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

SOURCE = (
    "Yousefzadeh & Sifalakis 2021, arXiv 2107.07305: about 3x higher activation sparsity "
    "on UCF101 (ResNet-50, 2-frame sequences) with the Delta Activation Layer, accuracy "
    "recovered with longer training; per-layer densities about 0.05-0.15"
)


@dataclass(frozen=True, kw_only=True)
class SequenceSettings:
    """The data, network and training settings the studies share (each study's
    ``Params`` adds its own): the sequences (``n_frames``, ``canvas``, ``digit_size``,
    ``speed``; or a user's ``video`` folder), the network (``hidden_sizes``,
    ``delta_input``, initial ``threshold`` and ``input_threshold``, ``readout``), its
    training (``lr``, ``threshold_lr``, ``batch_size``) and the torch ``threads``."""

    hidden_sizes: tuple[int, ...] = (256, 128)
    n_frames: int = 8
    canvas: int = 32
    digit_size: int = 16
    speed: float = 2.0
    delta_input: bool = False
    threshold: float = 0.05
    input_threshold: float = 0.1
    readout: str = "mean"
    lr: float = 1e-3
    threshold_lr: float = 1e-2
    batch_size: int = 64
    video: str = ""
    threads: int = 2


@contextmanager
def torch_threads(n: int):
    """Run with ``n`` torch threads (restored afterwards): a seed then gives the same
    numbers on one machine and torch build."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def load_sequences(params: Any, seed: np.random.SeedSequence):
    """``(train, test, n_classes, description)``; ``train``/``test`` are ``(X, y)`` with
    ``X`` float32 ``(n, time, canvas * canvas)``."""
    from neurosparse import datasets as D

    train_ss, test_ss = seed.spawn(2)
    if params.video:
        seqs = D.read_frame_folders(params.video, size=(params.canvas, params.canvas))
        X = seqs.stack(params.n_frames).reshape(len(seqs), params.n_frames, -1)
        y = np.asarray(seqs.labels, dtype=np.int64)
        order = np.random.default_rng(train_ss).permutation(len(X))
        cut = int(0.8 * len(X))
        tr, te = order[:cut], order[cut:]
        desc = f"user frames {params.video} ({len(seqs.classes)} classes, {len(X)} sequences)"
        return (X[tr], y[tr]), (X[te], y[te]), len(seqs.classes), desc
    common = dict(n_frames=params.n_frames, canvas=params.canvas,
                  digit_size=params.digit_size, speed=params.speed)  # fmt: skip
    tr = D.moving_digits(params.n_train, split="train", seed=train_ss, **common)
    te = D.moving_digits(params.n_test, split="test", seed=test_ss, **common)
    flat = [m.frames.reshape(len(m), params.n_frames, -1) for m in (tr, te)]
    desc = (
        f"moving digits from the shipped MNIST subset ({params.canvas}x{params.canvas}, "
        f"{params.n_frames} frames, speed {params.speed} px/frame; task: the digit)"
    )
    return (flat[0], tr.digit), (flat[1], te.digit), 10, desc


def train_network(params: Any, data, *, delta: bool, penalty: str, sp_rate: float, seed):
    """One :class:`~neurosparse.temporal.models.DeltaNet` trained on ``data``; returns
    ``(net, curves)``."""
    from neurosparse.temporal.models import DeltaNet, train_sequence_classifier

    (Xtr, ytr), test, n_classes, _ = data
    # a fresh copy of ``seed`` (spawn is stateful): every network trained from the same
    # seed gets the same initial weights and batch order
    fresh = np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key)
    init_ss, order_ss = fresh.spawn(2)
    net = DeltaNet(
        Xtr.shape[2], n_classes, list(params.hidden_sizes), delta=delta,
        delta_input=params.delta_input, threshold=params.threshold,
        input_threshold=params.input_threshold, readout=params.readout, seed=init_ss,
    )  # fmt: skip
    curves = train_sequence_classifier(
        net, (Xtr, ytr), test, epochs=params.epochs, batch_size=params.batch_size,
        lr=params.lr, threshold_lr=params.threshold_lr, penalty=penalty if delta else "none",
        sp_rate=sp_rate, seed=order_ss,
    )  # fmt: skip
    return net, curves


def layer_measures(net, X: np.ndarray) -> dict[str, np.ndarray]:
    """Per linear layer's input (``input``, ``hidden_0``, ...): temporal density,
    spatial density, event-driven and dense multiply-accumulates over ``X``; and the
    same summed over the hidden layers (the activations, where delta layers sit)."""
    from neurosparse.temporal.metrics import event_macs, temporal_density

    acts = net.activity(X)
    td = np.array([temporal_density(a) for a in acts])
    sd = np.array([np.count_nonzero(a) / a.size for a in acts])
    macs = np.array([event_macs(a, f) for a, f in zip(acts, net.fan_outs())], dtype=np.int64)
    units = np.array([a.shape[2] for a in acts])
    hidden = slice(1, None)
    return {
        "temporal_density": td,
        "spatial_density": sd,
        "event_macs": macs[:, 0],
        "dense_macs": macs[:, 1],
        "hidden_temporal_density": float((td[hidden] * units[hidden]).sum() / units[hidden].sum()),
        "hidden_spatial_density": float((sd[hidden] * units[hidden]).sum() / units[hidden].sum()),
        "mac_density": float(macs[:, 0].sum() / macs[:, 1].sum()),
    }
