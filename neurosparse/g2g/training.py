r"""Training a classifier, with or without sparse training, into curves.

:func:`train_classifier` is the loop the G2G studies and a user's sweeps share:
mini-batch training of any ``torch.nn.Module`` classifier (cross-entropy), the batch
order drawn from ``seed``, test accuracy after every epoch, and an optional sparse-
training controller called after every optimiser step (dynamic sparse training or
gradual magnitude pruning, :mod:`neurosparse.g2g.dst`: any object with a ``step()``
method; one with ``bind_optimizer(optimizer)`` is given the optimiser first, so that it
can clear the state of regrown weights).

A G2G model (:class:`~neurosparse.g2g.models.G2GNet`, ``G2GConvNet``) keeps the curves
and the controller's history as ``training_history_``; its ``to_result()`` writes them
under ``metrics``.

Determinism: the batch order comes from ``seed``; on the CPU with a fixed
``torch.set_num_threads`` a seed gives the same curves on one machine and torch build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurosparse._validation import check_array, check_choice, check_int, check_real, resolve_rng

__all__ = ["OPTIMIZERS", "TrainingCurves", "train_classifier"]

#: The optimisers :func:`train_classifier` builds.
OPTIMIZERS = ("adam", "sgd")


@dataclass
class TrainingCurves:
    """What :func:`train_classifier` measured, one entry per epoch.

    Attributes
    ----------
    train_loss : ndarray, shape (epochs,)
        Mean cross-entropy over the epoch's batches.
    test_accuracy : ndarray, shape (epochs,)
        Fraction of the test set classified correctly after the epoch.
    steps : int
        Optimiser steps taken.
    """

    train_loss: np.ndarray
    test_accuracy: np.ndarray
    steps: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def final_accuracy(self) -> float:
        return float(self.test_accuracy[-1])


def _data(name: str, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X = check_array(f"{name} inputs", X, dtype=np.float32)
    y = check_array(f"{name} labels", y, ndim=1, dtype=None)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{name} labels must be integers, got dtype {y.dtype}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{name} inputs and labels disagree: {X.shape[0]} inputs, {y.shape[0]} labels"
        )
    return X.reshape(X.shape[0], -1), y.astype(np.int64)


def train_classifier(
    model: Any,
    train: tuple[Any, Any],
    test: tuple[Any, Any],
    *,
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 1e-3,
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    sparse_training: Any = None,
    seed: Any = None,
) -> TrainingCurves:
    """Train ``model`` on ``train`` and test it on ``test`` after every epoch.

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch of flattened inputs ``(batch, features)`` to class scores.
    train, test : (inputs, labels)
        Arrays; inputs are flattened per sample, labels are integers ``0 .. C - 1``.
    epochs, batch_size : int
    lr, weight_decay : float
        Learning rate and L2 weight decay of the optimiser.
    optimizer : {"adam", "sgd"}
        ``torch.optim.Adam``, or SGD with momentum 0.9.
    sparse_training : object or callable, optional
        A controller called as ``controller.step()`` after every optimiser step, or a
        function ``optimizer -> controller`` called once the optimiser exists.
    seed : int, Generator or None
        The batch order.

    Returns
    -------
    TrainingCurves
    """
    import torch

    Xtr, ytr = _data("train", *train)
    Xte, yte = _data("test", *test)
    epochs = check_int("epochs", epochs, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    weight_decay = check_real("weight_decay", weight_decay, low=0.0)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    rng = resolve_rng(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    else:
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    controller = sparse_training
    if controller is not None and not callable(getattr(controller, "step", None)):
        controller = sparse_training(opt) if callable(sparse_training) else None
        if controller is None or not callable(getattr(controller, "step", None)):
            raise TypeError(
                "sparse_training must have a step() method or be a function of the "
                f"optimiser returning such an object, got {type(sparse_training).__name__}"
            )
    device = next(model.parameters()).device
    Xtr_t, ytr_t = torch.from_numpy(Xtr).to(device), torch.from_numpy(ytr).to(device)
    Xte_t, yte_t = torch.from_numpy(Xte).to(device), torch.from_numpy(yte).to(device)
    losses = np.zeros(epochs)
    accuracy = np.zeros(epochs)
    steps = 0
    for epoch in range(epochs):
        model.train()
        order = torch.from_numpy(rng.permutation(Xtr.shape[0])).to(device)
        total, batches = 0.0, 0
        for start in range(0, Xtr.shape[0], batch_size):
            idx = order[start : start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(Xtr_t[idx]), ytr_t[idx])
            loss.backward()
            opt.step()
            steps += 1
            if controller is not None:
                controller.step()
            total += float(loss.detach())
            batches += 1
        losses[epoch] = total / batches
        model.eval()
        with torch.no_grad():
            accuracy[epoch] = float((model(Xte_t).argmax(1) == yte_t).float().mean())
    extra = {}
    if controller is not None and hasattr(controller, "history"):
        extra["sparse_training"] = controller.history
    curves = TrainingCurves(train_loss=losses, test_accuracy=accuracy, steps=steps, extra=extra)
    if hasattr(model, "training_history_"):  # G2G models write it into their results
        model.training_history_ = curves
    return curves
