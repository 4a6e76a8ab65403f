"""Continual learning: tasks learned one after the other, tested on all of them.

The setting of Iyer et al. (2022), "Avoiding catastrophe: Active dendrites enable
multi-task learning in dynamic environments", *Frontiers in Neurorobotics* 16:846219,
doi:10.3389/fnbot.2022.846219: a network learns ``T`` tasks in sequence (one shared
read-out, no replay) and, after each task, is tested on every task seen so far.
Catastrophic forgetting shows as the accuracy on the early tasks falling as later ones
are learned.

- :func:`permuted_tasks` builds *permuted* tasks from any labelled data set: task ``t``
  is the data with a fixed random permutation of the input features (permuted MNIST
  when the data are MNIST digits).
- :func:`task_prototypes` gives the *prototype* context of each task, the mean of its
  training inputs (Iyer et al., training method 1); :func:`task_inference_accuracy`
  says how often a test input's nearest prototype is its own task's.
- :func:`train_continual` trains a network on the tasks one after the other and returns
  the accuracy matrix ``accuracy[step, task]``. During training the network receives
  the context of the current task; at test time the task is either inferred from the
  nearest prototype (``test_contexts="inferred"``, the task is not given) or given
  (``"given"``).

The networks are any :class:`torch.nn.Module` called as ``network(x)`` or
``network(x, context)`` and returning class scores, for example
:class:`~neurosparse.dendrites.layers.DendriticMLP` and its baseline
:class:`~neurosparse.dendrites.layers.MLP`.

PyTorch is imported only when a function runs (``pip install neurosparse[torch]``), so
importing this module, or :mod:`neurosparse.dendrites`, never imports it.

Determinism: ``seed`` fixes the permutations (:func:`permuted_tasks`) and the batch
order (:func:`train_continual`, which also seeds torch's CPU generator for anything
random inside the network, restoring it afterwards). On the CPU with a fixed
``torch.set_num_threads`` a seed gives bit-identical accuracies on a given machine and
torch build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from neurosparse._validation import check_choice, check_int, check_real, resolve_rng

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "TEST_CONTEXTS",
    "Task",
    "permuted_tasks",
    "task_inference_accuracy",
    "task_prototypes",
    "train_continual",
]

#: The allowed values of ``test_contexts`` in :func:`train_continual`.
TEST_CONTEXTS = ("inferred", "given")


def _torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ModuleNotFoundError(
            "neurosparse.dendrites.continual needs PyTorch to run; install it with "
            "`pip install neurosparse[torch]`",
            name="torch",
        ) from exc
    return torch


@dataclass(frozen=True, eq=False)
class Task:
    """One task of a continual-learning sequence (compared by identity).

    Parameters
    ----------
    x_train, x_test : Tensor, shape (n_train, d) and (n_test, d)
        Inputs, ``float32``.
    y_train, y_test : LongTensor, shape (n_train,) and (n_test,)
        Class labels.
    permutation : ndarray of int, shape (d,), optional
        For a permuted task, the feature order: ``x_task = x[:, permutation]``.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    permutation: np.ndarray | None = None


def _inputs(name: str, x: Any) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim < 2 or arr.shape[0] == 0:
        raise ValueError(f"{name} must be an array of samples (n, ...) with n >= 1, got shape "
                         f"{arr.shape}")  # fmt: skip
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr.reshape(arr.shape[0], -1).astype(np.float32, copy=False)


def _labels(name: str, y: Any, n: int) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must be 1-D with one label per sample ({n}), got shape "
                         f"{arr.shape}")  # fmt: skip
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def permuted_tasks(
    x_train: Any,
    y_train: Any,
    x_test: Any,
    y_test: Any,
    n_tasks: int,
    *,
    seed: Any = None,
) -> list[Task]:
    """Tasks made by permuting the input features (permuted MNIST on MNIST digits).

    Task ``t`` is the data with its features reordered by a fixed random permutation
    ``p_t``: ``x[:, p_t]``, the same for training and test inputs; the labels are
    unchanged. Every task is permuted (none keeps the original order).

    Parameters
    ----------
    x_train, x_test : array-like, shape (n_train, ...) and (n_test, ...)
        Inputs, already scaled as the network expects; trailing dimensions are
        flattened (images ``(n, 28, 28)`` become ``(n, 784)``) and the values converted
        to ``float32``.
    y_train, y_test : array-like of int, shape (n_train,) and (n_test,)
        Class labels.
    n_tasks : int >= 1
    seed : int, numpy Generator, SeedSequence or None
        The permutations: one child of the seed per task (``SeedSequence.spawn``), so
        the first ``k`` tasks do not depend on ``n_tasks``.

    Returns
    -------
    list of Task
        ``n_tasks`` tasks, each with its ``permutation``.

    Examples
    --------
    >>> import numpy as np
    >>> from neurosparse.dendrites.continual import permuted_tasks
    >>> x = np.arange(12, dtype=np.float32).reshape(3, 4)
    >>> tasks = permuted_tasks(x, [0, 1, 0], x, [0, 1, 0], 2, seed=0)
    >>> len(tasks), tuple(tasks[0].x_train.shape)
    (2, (3, 4))
    >>> bool((tasks[1].x_train.numpy() == x[:, tasks[1].permutation]).all())
    True
    """
    torch = _torch()
    n_tasks = check_int("n_tasks", n_tasks, low=1)
    xtr = _inputs("x_train", x_train)
    xte = _inputs("x_test", x_test)
    if xtr.shape[1] != xte.shape[1]:
        raise ValueError(
            f"x_train and x_test must have the same number of features, got "
            f"{xtr.shape[1]} and {xte.shape[1]}"
        )
    ytr = torch.from_numpy(_labels("y_train", y_train, xtr.shape[0]))
    yte = torch.from_numpy(_labels("y_test", y_test, xte.shape[0]))
    rng = resolve_rng(seed)
    tasks = []
    for child in rng.spawn(n_tasks):
        perm = child.permutation(xtr.shape[1])
        tasks.append(
            Task(
                x_train=torch.from_numpy(np.ascontiguousarray(xtr[:, perm])),
                y_train=ytr,
                x_test=torch.from_numpy(np.ascontiguousarray(xte[:, perm])),
                y_test=yte,
                permutation=perm,
            )
        )
    return tasks


def _check_tasks(tasks: Any) -> list[Task]:
    if isinstance(tasks, Task) or not isinstance(tasks, Sequence):
        raise TypeError(f"tasks must be a sequence of Task, got {type(tasks).__name__}")
    tasks = list(tasks)
    if not tasks or not all(isinstance(t, Task) for t in tasks):
        raise ValueError("tasks must be a non-empty sequence of Task")
    return tasks


def task_prototypes(tasks: Sequence[Task]) -> torch.Tensor:
    """The prototype of each task: the mean of its training inputs.

    Iyer et al. (2022), training method 1: while the network learns task ``t`` its
    dendrites receive the prototype of ``t`` as context; at test time each input gets
    the prototype nearest to it (:func:`~neurosparse.dendrites.layers.nearest_prototype`).

    Parameters
    ----------
    tasks : sequence of Task

    Returns
    -------
    Tensor, shape (n_tasks, d)
    """
    torch = _torch()
    tasks = _check_tasks(tasks)
    return torch.stack([t.x_train.mean(0) for t in tasks])


def _inferred(tasks: list[Task], prototypes: torch.Tensor) -> list[torch.Tensor]:
    from neurosparse.dendrites.layers import nearest_prototype

    return [nearest_prototype(t.x_test, prototypes) for t in tasks]


def task_inference_accuracy(tasks: Sequence[Task], prototypes: Any) -> float:
    """How often a test input's nearest prototype is its own task's.

    Parameters
    ----------
    tasks : sequence of Task
    prototypes : Tensor, shape (n_tasks, d)
        Row ``t`` for task ``t`` (:func:`task_prototypes`).

    Returns
    -------
    float
        The fraction of each task's test inputs sent to the right task, averaged over
        the tasks.
    """
    tasks = _check_tasks(tasks)
    prototypes = _contexts(prototypes, len(tasks))
    inferred = _inferred(tasks, prototypes)
    return float(np.mean([float((inf == t).float().mean()) for t, inf in enumerate(inferred)]))


def _contexts(contexts: Any, n_tasks: int) -> torch.Tensor:
    torch = _torch()
    if not isinstance(contexts, torch.Tensor):
        contexts = torch.from_numpy(np.asarray(contexts, dtype=np.float32))
    if contexts.dim() != 2 or contexts.shape[0] != n_tasks:
        raise ValueError(
            f"contexts must have one row per task, shape ({n_tasks}, d), got "
            f"{tuple(contexts.shape)}"
        )
    return contexts


def _default_optimizer(parameters: Iterable[Any], lr: float):
    """Adam, fused where the torch build supports it (the same update rule)."""
    torch = _torch()
    parameters = list(parameters)
    try:
        return torch.optim.Adam(parameters, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(parameters, lr=lr)


def _accuracy(network, x, y, contexts, task_of, device) -> float:
    """Accuracy of ``network`` on ``x``; sample ``i`` gets ``contexts[task_of[i]]``
    (one forward pass per context), or no context when ``contexts`` is None."""
    torch = _torch()
    correct = 0
    with torch.no_grad():
        if contexts is None:
            logits = network(x.to(device))
            return int((logits.argmax(1).cpu() == y).sum()) / len(y)
        for t in torch.unique(task_of):
            sel = task_of == t
            logits = network(x[sel].to(device), contexts[t].unsqueeze(0).to(device))
            correct += int((logits.argmax(1).cpu() == y[sel]).sum())
    return correct / len(y)


def train_continual(
    network: Any,
    tasks: Sequence[Task],
    contexts: Any = None,
    *,
    epochs: int = 1,
    batch_size: int = 128,
    lr: float = 1e-3,
    test_contexts: str = "inferred",
    optimizer: Callable[[Iterable[Any]], Any] | None = None,
    seed: Any = None,
) -> np.ndarray:
    """Train ``network`` on ``tasks`` one after the other; test after each task.

    For each task in turn: ``epochs`` passes over its training set in shuffled
    mini-batches, minimising the cross-entropy of ``network(x, context)`` (one
    optimizer for the whole sequence, no replay of earlier tasks), then the accuracy on
    the test set of every task seen so far. While learning task ``t`` the network gets
    ``contexts[t]``, shape ``(1, d_context)``, shared by the batch.

    Parameters
    ----------
    network : torch.nn.Module
        Called as ``network(x)`` when ``contexts`` is None, else
        ``network(x, context)``; returns class scores ``(batch, n_classes)``. It is
        trained in place, on the device of its parameters (the tasks stay on the CPU
        and are moved batch by batch).
    tasks : sequence of Task
        For example from :func:`permuted_tasks`.
    contexts : Tensor or array, shape (n_tasks, d_context), optional
        The context of each task, for example :func:`task_prototypes`. None: the
        network takes no context.
    epochs : int >= 1
        Passes over each task's training set.
    batch_size : int >= 1
    lr : float > 0
        Learning rate of the default optimizer.
    test_contexts : {"inferred", "given"}
        At test time, ``"inferred"``: the task is not given, each test input gets the
        context of the row of ``contexts`` nearest to it (Euclidean; the prototype
        method, so ``contexts`` must live in input space) and inputs sent to the wrong
        task still count; ``"given"``: each task's test inputs get its own context.
        Ignored when ``contexts`` is None.
    optimizer : callable, optional
        ``optimizer(network.parameters())`` returns the optimizer, e.g.
        ``lambda p: torch.optim.SGD(p, lr=0.01)``. Default: Adam with learning rate
        ``lr`` (fused where the torch build supports it).
    seed : int, numpy Generator, SeedSequence or None
        The batch order (a CPU :class:`torch.Generator`, one stream through all tasks),
        and torch's CPU generator while training (for anything random inside the
        network; its state is restored afterwards). The same seed gives two networks
        the same batches.

    Returns
    -------
    ndarray, shape (n_tasks, n_tasks)
        ``accuracy[step, task]``: test accuracy on ``task`` after learning tasks
        ``0..step``; NaN for tasks not yet learned (above the diagonal).

    Examples
    --------
    >>> import numpy as np
    >>> from neurosparse.dendrites import DendriticMLP
    >>> from neurosparse.dendrites.continual import (
    ...     permuted_tasks, task_prototypes, train_continual)
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(40, 16)).astype(np.float32), rng.integers(0, 2, 40)
    >>> tasks = permuted_tasks(x[:30], y[:30], x[30:], y[30:], 2, seed=0)
    >>> net = DendriticMLP(16, 2, [8], num_segments=2, dim_context=16, seed=0)
    >>> acc = train_continual(net, tasks, task_prototypes(tasks), batch_size=10, seed=0)
    >>> acc.shape, bool(np.isnan(acc[0, 1]))
    ((2, 2), True)
    """
    torch = _torch()
    import torch.nn.functional as F

    tasks = _check_tasks(tasks)
    epochs = check_int("epochs", epochs, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    test_contexts = check_choice("test_contexts", test_contexts, TEST_CONTEXTS)
    if optimizer is not None and not callable(optimizer):
        raise TypeError(f"optimizer must be a callable or None, got {optimizer!r}")
    n_tasks = len(tasks)
    if contexts is not None:
        contexts = _contexts(contexts, n_tasks)
    rng = resolve_rng(seed)
    order_seed = int(rng.integers(2**62))
    torch_seed = int(rng.integers(2**62))

    param = next(iter(network.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    opt = optimizer(network.parameters()) if optimizer else _default_optimizer(
        network.parameters(), lr
    )  # fmt: skip
    if contexts is None:
        task_of = [None] * n_tasks
    elif test_contexts == "inferred":
        task_of = _inferred(tasks, contexts)
    else:
        task_of = [torch.full((len(t.y_test),), s, dtype=torch.long) for s, t in enumerate(tasks)]

    acc = np.full((n_tasks, n_tasks), np.nan)
    gen = torch.Generator().manual_seed(order_seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(torch_seed)
        for t, task in enumerate(tasks):
            ctx = None if contexts is None else contexts[t].unsqueeze(0).to(device)
            args = () if ctx is None else (ctx,)
            network.train()
            for _ in range(epochs):
                order = torch.randperm(len(task.y_train), generator=gen)
                for i in range(0, len(order), batch_size):
                    b = order[i : i + batch_size]
                    opt.zero_grad()
                    logits = network(task.x_train[b].to(device), *args)
                    F.cross_entropy(logits, task.y_train[b].to(device)).backward()
                    opt.step()
            network.eval()
            for s in range(t + 1):
                acc[t, s] = _accuracy(
                    network, tasks[s].x_test, tasks[s].y_test, contexts, task_of[s], device
                )
    return acc
