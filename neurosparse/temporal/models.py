r"""A network of Delta Activation Layers for frame sequences, its training, and delta
inference that counts its operations.

:class:`DeltaNet` classifies sequences ``(batch, time, *frame)``, frame by frame:

.. math::

   a^{(0)}_t = D_0(x_t), \qquad
   a^{(l)}_t = D_l\big(\operatorname{relu}(W_l a^{(l-1)}_t + b_l)\big), \qquad
   s_t = W_L a^{(L-1)}_t + b_L ,

where :math:`D_l` is a :class:`~neurosparse.temporal.delta.DeltaActivation` (``delta=True``)
or the identity (the baseline network), and :math:`D_0` quantises the input
(``delta_input=True``). The class scores of a sequence are those of its last frame
(``readout="last"``) or their mean over frames (``"mean"``). Each delta layer's
``fan_out`` is the next layer's ``out_features``: a change of one of its units costs that
many multiply-accumulates.

:func:`train_sequence_classifier` trains it with cross-entropy plus the temporal-sparsity
loss (``penalty="temporal"``), the spatial ℓ1 baseline (``"spatial"``) or nothing.

:func:`delta_inference` runs a trained network as an event-driven engine would: each
layer keeps its pre-activation :math:`z` and adds :math:`W \Delta_t` for the nonzero
changes :math:`\Delta_t` of its input only (:func:`neurosparse.temporal._kernels.delta_linear`);
its outputs equal dense inference up to floating-point rounding (float64 accumulation
here, float32 in torch), and it counts the multiply-accumulates it did, which equal
:func:`neurosparse.temporal.metrics.event_macs` of the layer inputs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ModuleNotFoundError(
        "neurosparse.temporal.models needs PyTorch; install it with "
        "`pip install neurosparse[torch]`",
        name="torch",
    ) from exc

from neurosparse._estimator import ResultMixin
from neurosparse._validation import (
    check_array,
    check_bool,
    check_choice,
    check_int,
    check_real,
    check_sizes,
    resolve_rng,
)
from neurosparse.temporal.delta import (
    GRANULARITIES,
    THRESHOLD_GRADS,
    DeltaActivation,
    spatial_sparsity_loss,
    temporal_sparsity_loss,
)

__all__ = [
    "PENALTIES",
    "READOUTS",
    "DeltaInference",
    "DeltaNet",
    "SequenceCurves",
    "delta_inference",
    "train_sequence_classifier",
]

#: How a sequence's class scores are read out.
READOUTS = ("last", "mean")
#: The sparsity penalties :func:`train_sequence_classifier` adds.
PENALTIES = ("temporal", "spatial", "none")

SOURCE = "Yousefzadeh & Sifalakis 2021, arXiv 2107.07305"


def check_sequences(name: str, X: Any, frame_size: int | None = None) -> np.ndarray:
    """``X`` as float32 ``(batch, time, features)``: frames flattened; a clear error for
    input without a time axis or with frames of the wrong size, and for sequences of
    different lengths given as a list."""
    if isinstance(X, list | tuple) and X and all(hasattr(x, "shape") for x in X):
        lengths = sorted({np.shape(x)[0] if np.ndim(x) else 0 for x in X})
        if len(lengths) > 1:
            raise ValueError(
                f"{name}: the sequences have different lengths ({', '.join(map(str, lengths))} "
                "frames); give sequences of one length (cut them, or use "
                "FrameSequences.stack(n_frames))"
            )
    X = check_array(name, X, dtype=np.float32)
    if X.ndim < 3:
        raise ValueError(
            f"{name} must be sequences of frames, shape (batch, time, *frame), got shape "
            f"{X.shape} (no time axis?)"
        )
    X = X.reshape(X.shape[0], X.shape[1], -1)
    if frame_size is not None and X.shape[2] != frame_size:
        raise ValueError(f"{name} frames have {X.shape[2]} values; the network takes {frame_size}")
    return X


class DeltaNet(ResultMixin, nn.Module):
    """A multilayer perceptron over frame sequences with Delta Activation Layers.

    Parameters
    ----------
    input_size, output_size : int
        Values per frame (frames are flattened) and classes.
    hidden_sizes : sequence of int
    delta : bool
        Put a :class:`DeltaActivation` after every hidden activation (False: the baseline
        network, float activations).
    delta_input : bool
        Quantise the input frames too (with ``delta``), so that the first layer also
        receives quantised changes.
    granularity : {"channel", "neuron", "layer"}
        Threshold sharing of the hidden delta layers (for a dense layer, a channel is a
        unit); the input's is per layer.
    threshold, input_threshold : float
        Initial quantisation steps of the hidden layers and of the input, > 0.
    threshold_grad : {"paper", "lsq"}
    readout : {"last", "mean"}
        Class scores of a sequence: its last frame's, or the mean over frames.
    seed : int, Generator or None
        Initial weights (drawn as ``torch.nn.Linear`` draws them); recorded.

    Attributes
    ----------
    layers : torch.nn.ModuleList of torch.nn.Linear
    deltas : torch.nn.ModuleList of DeltaActivation
        The delta layers in order (the input's first when ``delta_input``); empty for
        the baseline.
    training_history_ : SequenceCurves or None
        Set by :func:`train_sequence_classifier`; written under ``metrics``.
    """

    kind = "temporal.deltanet"
    source = SOURCE

    def __init__(
        self,
        input_size: int,
        output_size: int,
        hidden_sizes: Sequence[int] = (256, 128),
        *,
        delta: bool = True,
        delta_input: bool = True,
        granularity: str = "channel",
        threshold: float = 0.05,
        input_threshold: float = 0.1,
        threshold_grad: str = "paper",
        readout: str = "last",
        seed: Any = None,
    ) -> None:
        super().__init__()
        self.input_size = check_int("input_size", input_size, low=1)
        self.output_size = check_int("output_size", output_size, low=1)
        self.hidden_sizes = check_sizes("hidden_sizes", hidden_sizes, empty_ok=True)
        self.delta = check_bool("delta", delta)
        self.delta_input = check_bool("delta_input", delta_input)
        self.granularity = check_choice("granularity", granularity, GRANULARITIES)
        self.threshold = check_real("threshold", threshold, low=0.0, low_open=True)
        self.input_threshold = check_real("input_threshold", input_threshold, low=0.0,
                                          low_open=True)  # fmt: skip
        self.threshold_grad = check_choice("threshold_grad", threshold_grad, THRESHOLD_GRADS)
        self.readout = check_choice("readout", readout, READOUTS)
        rng = self._record_seed(seed)
        generator = torch.Generator().manual_seed(int(rng.integers(2**63)))
        sizes = [self.input_size, *self.hidden_sizes, self.output_size]
        layers = []
        for i in range(len(sizes) - 1):
            layer = nn.Linear(sizes[i], sizes[i + 1])
            bound = 1.0 / np.sqrt(sizes[i])
            with torch.no_grad():  # nn.Linear's default draws, from our generator
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)
            layers.append(layer)
        self.layers = nn.ModuleList(layers)
        # where a delta layer sits: before layer i (its input), for every i with one
        self._delta_at: list[int] = []
        deltas = []
        if self.delta and self.delta_input:
            deltas.append(DeltaActivation(self.input_size, granularity="layer",
                                          threshold=self.input_threshold,
                                          threshold_grad=self.threshold_grad))  # fmt: skip
            self._delta_at.append(0)
        if self.delta:
            for i, n in enumerate(self.hidden_sizes):
                deltas.append(DeltaActivation(n, granularity=self.granularity,
                                              threshold=self.threshold,
                                              threshold_grad=self.threshold_grad))  # fmt: skip
                self._delta_at.append(i + 1)
        for d, i in zip(deltas, self._delta_at):
            d.fan_out = sizes[i + 1]
        self.deltas = nn.ModuleList(deltas)
        self.training_history_: SequenceCurves | None = None

    # ------------------------------------------------------------------ forward
    def _layer_inputs(self, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The input of every linear layer (after its delta layer) and the per-frame
        class scores ``(batch, time, classes)``."""
        if x.ndim < 3:
            raise ValueError(
                "DeltaNet expects sequences of frames, shape (batch, time, *frame), got "
                f"shape {tuple(x.shape)} (no time axis?)"
            )
        h = x.reshape(x.shape[0], x.shape[1], -1)
        if h.shape[2] != self.input_size:
            raise ValueError(f"frames have {h.shape[2]} values; DeltaNet takes {self.input_size}")
        where = dict(zip(self._delta_at, self.deltas))
        inputs = []
        for i, layer in enumerate(self.layers):
            if i > 0:
                h = torch.relu(h)
            if i in where:
                h = where[i](h)
            inputs.append(h)
            h = layer(h)
        return inputs, h

    def frame_scores(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores of every frame, ``(batch, time, classes)``."""
        return self._layer_inputs(x)[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores of each sequence, ``(batch, classes)`` (``readout``)."""
        scores = self.frame_scores(x)
        return scores[:, -1] if self.readout == "last" else scores.mean(dim=1)

    def fan_outs(self) -> list[int]:
        """Multiply-accumulates one unit of each linear layer's input drives."""
        return [layer.out_features for layer in self.layers]

    def layer_names(self) -> list[str]:
        return ["input", *(f"hidden_{i}" for i in range(len(self.hidden_sizes))), "output"]

    @torch.no_grad()
    def activity(self, X: Any, *, batch_size: int = 512) -> list[np.ndarray]:
        """Every linear layer's input over the sequences ``X``, float32 ``(batch, time,
        units)`` per layer: what :mod:`neurosparse.temporal.metrics` measures."""
        X = check_sequences("X", X, self.input_size)
        device = next(self.parameters()).device
        was = self.training
        self.eval()
        parts: list[list[np.ndarray]] = [[] for _ in self.layers]
        for start in range(0, X.shape[0], batch_size):
            batch = torch.from_numpy(X[start : start + batch_size]).to(device)
            inputs, _ = self._layer_inputs(batch)
            for i, a in enumerate(inputs):
                parts[i].append(a.cpu().numpy())
        self.train(was)
        return [np.concatenate(p) for p in parts]

    # ---------------------------------------------------------------- the contract
    @classmethod
    def _conformance_example(cls, seed: int = 0) -> tuple[DeltaNet, None]:
        return cls(12, 3, [8, 6], seed=seed), None

    def _result_params(self) -> dict[str, Any]:
        return {
            "input_size": self.input_size,
            "output_size": self.output_size,
            "hidden_sizes": list(self.hidden_sizes),
            "delta": self.delta,
            "delta_input": self.delta_input,
            "granularity": self.granularity,
            "threshold": self.threshold,
            "input_threshold": self.input_threshold,
            "threshold_grad": self.threshold_grad,
            "readout": self.readout,
        }

    def _result_groups(self) -> dict[str, Any]:
        """``connectivity/layer_<i>``: each linear layer's weights (dense, COO with
        ``weight``; ``bias`` along ``neuron``); ``state/delta_<l>``: each delta layer's
        thresholds (``threshold`` along ``unit`` -- one entry per channel, unit or
        layer), with the index of the linear layer it feeds; ``metrics``: the training
        curves after :func:`train_sequence_classifier`."""
        import xarray as xr

        from neurosparse.results import connectivity_from_indices

        names = self.layer_names()
        groups: dict[str, Any] = {}
        for i, layer in enumerate(self.layers):
            w = layer.weight.detach().cpu().numpy().astype(np.float64)
            post, pre = np.nonzero(np.ones_like(w, dtype=bool))
            node = connectivity_from_indices(
                pre, post, w.shape[1], w.shape[0], weight=w[post, pre],
                pre_layer=names[i], post_layer=names[i + 1],
            )  # fmt: skip
            node["bias"] = ("neuron", layer.bias.detach().cpu().numpy().astype(np.float64),
                            {"long_name": "bias of each postsynaptic unit"})  # fmt: skip
            groups[f"connectivity/layer_{i}"] = node
        for k, (d, i) in enumerate(zip(self.deltas, self._delta_at)):
            q = d.threshold.detach().cpu().numpy().astype(np.float64).reshape(-1)
            groups[f"state/delta_{k}"] = xr.Dataset(
                {"threshold": ("unit", q, {"long_name": "quantisation step (threshold)"})},
                coords={"unit": ("unit", np.arange(q.size),
                                 {"long_name": "threshold index (channel, unit or layer)"})},
                attrs={"feeds_layer": i, "granularity": d.granularity, "fan_out": d.fan_out},
            )  # fmt: skip
        if self.training_history_ is not None:
            groups["metrics"] = self.training_history_.to_dataset()
        return groups

    def _restore(self, tree: Any) -> None:
        from neurosparse.results import weights_from_connectivity

        with torch.no_grad():
            for i, layer in enumerate(self.layers):
                node = tree[f"connectivity/layer_{i}"]
                w = weights_from_connectivity(node, dtype=np.float32)
                layer.weight.copy_(torch.from_numpy(w))
                layer.bias.copy_(torch.from_numpy(node["bias"].values.astype(np.float32)))
            for k, d in enumerate(self.deltas):
                q = tree[f"state/delta_{k}"]["threshold"].values.astype(np.float32)
                d.threshold.copy_(torch.from_numpy(q).reshape(d.threshold.shape))


# ---------------------------------------------------------------------- training
@dataclass
class SequenceCurves:
    """What :func:`train_sequence_classifier` measured, one entry per epoch.

    Attributes
    ----------
    train_loss : ndarray
        Mean cross-entropy over the epoch's batches (without the penalty).
    penalty : ndarray
        Mean sparsity penalty over the epoch's batches.
    test_accuracy : ndarray
        Fraction of the test sequences classified correctly after the epoch.
    temporal_density : ndarray
        Over the test sequences after the epoch: nonzero changes of all linear layers'
        inputs over their number (first frame against zero).
    """

    train_loss: np.ndarray
    penalty: np.ndarray
    test_accuracy: np.ndarray
    temporal_density: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def final_accuracy(self) -> float:
        return float(self.test_accuracy[-1])

    def to_dataset(self):
        import xarray as xr

        epoch = np.arange(1, self.train_loss.size + 1)
        return xr.Dataset(
            {
                "train_loss": ("epoch", self.train_loss, {"long_name": "training cross-entropy"}),
                "penalty": ("epoch", self.penalty, {"long_name": "sparsity penalty"}),
                "test_accuracy": ("epoch", self.test_accuracy,
                                  {"long_name": "test accuracy", "units": "1"}),
                "temporal_density": ("epoch", self.temporal_density,
                                     {"long_name": "temporal density of the layer inputs",
                                      "units": "1"}),
            },
            coords={"epoch": ("epoch", epoch, {"long_name": "training epoch"})},
            attrs={k: str(v) for k, v in self.settings.items()},
        )  # fmt: skip


def _labelled(name: str, data: Any, frame_size: int) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(data, tuple | list) or len(data) != 2:
        raise TypeError(f"{name} must be a pair (sequences, labels), got {type(data).__name__}")
    X = check_sequences(f"{name} sequences", data[0], frame_size)
    y = check_array(f"{name} labels", data[1], ndim=1, dtype=None)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{name} labels must be integers, got dtype {y.dtype}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{name} sequences and labels disagree: {X.shape[0]} sequences, {y.shape[0]} labels"
        )
    return X, y.astype(np.int64)


def overall_density(inputs: list[np.ndarray]) -> float:
    """Nonzero changes over all layers' inputs divided by their number (first frame
    against zero)."""
    nonzero = total = 0
    for a in inputs:
        d = np.diff(a, axis=1, prepend=0)
        nonzero += np.count_nonzero(d)
        total += d.size
    return nonzero / total


def train_sequence_classifier(
    model: DeltaNet,
    train: tuple[Any, Any],
    test: tuple[Any, Any],
    *,
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 1e-3,
    threshold_lr: float | None = None,
    penalty: str = "temporal",
    sp_rate: float = 1e-3,
    seed: Any = None,
) -> SequenceCurves:
    r"""Train ``model`` with cross-entropy plus a sparsity penalty; test every epoch.

    The loss of a batch is :math:`\text{CE} + \mathcal{L}_\text{temporal}` (or
    :math:`\mathcal{L}_\text{spatial}`, or nothing), Adam on all parameters.

    Parameters
    ----------
    model : DeltaNet
    train, test : (sequences, labels)
        Sequences ``(n, time, *frame)``, integer labels ``(n,)``.
    epochs, batch_size : int
    lr : float
        Adam's learning rate for the weights.
    threshold_lr : float, optional
        Learning rate of the delta layers' thresholds (default: ``lr``).
    penalty : {"temporal", "spatial", "none"}
        The paper's temporal-sparsity loss, the spatial ℓ1 baseline, or none. A penalty
        needs delta layers (``model.delta``).
    sp_rate : float
        The penalty's weight :math:`\lambda \ge 0`.
    seed : int, Generator or None
        The batch order.

    Returns
    -------
    SequenceCurves
        Also kept as ``model.training_history_``.
    """
    if not isinstance(model, DeltaNet):
        raise TypeError(f"model must be a DeltaNet, got {type(model).__name__}")
    Xtr, ytr = _labelled("train", train, model.input_size)
    Xte, yte = _labelled("test", test, model.input_size)
    epochs = check_int("epochs", epochs, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    threshold_lr = lr if threshold_lr is None else check_real("threshold_lr", threshold_lr,
                                                              low=0.0)  # fmt: skip
    check_choice("penalty", penalty, PENALTIES)
    sp_rate = check_real("sp_rate", sp_rate, low=0.0)
    if penalty != "none" and not len(model.deltas):
        raise ValueError(
            f"penalty={penalty!r} needs delta layers; this DeltaNet has delta=False "
            "(use penalty='none')"
        )
    rng = resolve_rng(seed)
    thresholds = [d.threshold for d in model.deltas if d.threshold.requires_grad]
    ids = {id(p) for p in thresholds}
    weights = [p for p in model.parameters() if p.requires_grad and id(p) not in ids]
    groups = [{"params": weights, "lr": lr}]
    if thresholds:
        groups.append({"params": thresholds, "lr": threshold_lr})
    opt = torch.optim.Adam(groups)
    loss_fn = {"temporal": temporal_sparsity_loss, "spatial": spatial_sparsity_loss}.get(penalty)
    device = next(model.parameters()).device
    Xtr_t, ytr_t = torch.from_numpy(Xtr).to(device), torch.from_numpy(ytr).to(device)
    Xte_t, yte_t = torch.from_numpy(Xte).to(device), torch.from_numpy(yte).to(device)
    ce_curve, pen_curve = np.zeros(epochs), np.zeros(epochs)
    acc_curve, dens_curve = np.zeros(epochs), np.zeros(epochs)
    for epoch in range(epochs):
        model.train()
        order = torch.from_numpy(rng.permutation(Xtr.shape[0])).to(device)
        ce_total = pen_total = 0.0
        batches = 0
        for start in range(0, Xtr.shape[0], batch_size):
            idx = order[start : start + batch_size]
            opt.zero_grad(set_to_none=True)
            ce = nn.functional.cross_entropy(model(Xtr_t[idx]), ytr_t[idx])
            loss = ce
            if loss_fn is not None:
                pen = loss_fn(model.deltas, sp_rate)
                loss = ce + pen
                pen_total += float(pen.detach())
            loss.backward()
            opt.step()
            with torch.no_grad():  # keep every step at least its floor (projection)
                for d in model.deltas:
                    d.threshold.clamp_(min=d.min_threshold)
            ce_total += float(ce.detach())
            batches += 1
        ce_curve[epoch], pen_curve[epoch] = ce_total / batches, pen_total / batches
        model.eval()
        with torch.no_grad():
            acc_curve[epoch] = float((model(Xte_t).argmax(1) == yte_t).float().mean())
        dens_curve[epoch] = overall_density(model.activity(Xte))
    for d in model.deltas:  # drop the graphs kept for the losses
        d.last_output = d.last_delta = None
    curves = SequenceCurves(
        train_loss=ce_curve, penalty=pen_curve, test_accuracy=acc_curve,
        temporal_density=dens_curve,
        settings={"penalty": penalty, "sp_rate": sp_rate, "lr": lr, "epochs": epochs,
                  "batch_size": batch_size, "threshold_lr": threshold_lr},
    )  # fmt: skip
    model.training_history_ = curves
    return curves


# ---------------------------------------------------------------------- delta inference
@dataclass(frozen=True)
class DeltaInference:
    """What :func:`delta_inference` computed and counted.

    Attributes
    ----------
    scores : ndarray, (batch, time, classes)
        Class scores of every frame.
    predictions : ndarray of int64, (batch,)
        The network's readout of each sequence.
    layers : list of str
        Names of the linear layers' inputs (``"input"``, ``"hidden_0"``, ...).
    events : ndarray of int64, (layers,)
        Nonzero input changes each linear layer received.
    macs : ndarray of int64, (layers,)
        Multiply-accumulates each layer did.
    dense_macs : ndarray of int64, (layers,)
        Those a dense engine does on the same sequences.
    seconds : float
        Wall time of the layer kernels.
    """

    scores: np.ndarray
    predictions: np.ndarray
    layers: list[str]
    events: np.ndarray
    macs: np.ndarray
    dense_macs: np.ndarray
    seconds: float

    @property
    def mac_ratio(self) -> float:
        """Dense multiply-accumulates over event-driven ones."""
        return float(self.dense_macs.sum() / max(self.macs.sum(), 1))


def _quantise(a: np.ndarray, d: DeltaActivation) -> np.ndarray:
    q = d.step().detach().cpu().numpy().astype(np.float32)
    return (np.round(a / q) * q).astype(np.float32)


@torch.no_grad()
def delta_inference(
    model: DeltaNet, X: Any, *, engine: str = "event", parallel: bool | None = None
) -> DeltaInference:
    r"""Run ``model`` on sequences by propagating only the nonzero changes.

    Each linear layer keeps its pre-activation :math:`z` (starting at its bias) and, at
    every frame, adds :math:`W \Delta_t` over the nonzero entries of its input's change
    :math:`\Delta_t` (the first frame is a change from zero); activation and
    quantisation follow as in the network. ``engine="dense"`` runs the same loop over
    every input entry, zero or not (the operations a dense engine does).

    Parameters
    ----------
    model : DeltaNet
    X : array-like, (batch, time, *frame)
    engine : {"event", "dense"}
    parallel : bool, optional
        Split the sequences over Numba threads (default: when there are at least 64).

    Returns
    -------
    DeltaInference
    """
    from neurosparse.temporal._kernels import delta_linear, delta_linear_par

    if not isinstance(model, DeltaNet):
        raise TypeError(f"model must be a DeltaNet, got {type(model).__name__}")
    check_choice("engine", engine, ("event", "dense"))
    X = check_sequences("X", X, model.input_size)
    if parallel is None:
        parallel = X.shape[0] >= 64
    kernel = delta_linear_par if check_bool("parallel", parallel) else delta_linear
    where = dict(zip(model._delta_at, model.deltas))
    n_layers = len(model.layers)
    events = np.zeros(n_layers, dtype=np.int64)
    macs = np.zeros(n_layers, dtype=np.int64)
    dense = np.zeros(n_layers, dtype=np.int64)
    a = X
    seconds = 0.0
    for i, layer in enumerate(model.layers):
        if i > 0:
            a = np.maximum(a, np.float32(0))
        if i in where:
            a = _quantise(a, where[i])
        change = np.diff(a, axis=1, prepend=np.float32(0)).astype(np.float32)
        w_t = np.ascontiguousarray(layer.weight.detach().cpu().numpy().T, dtype=np.float32)
        bias = layer.bias.detach().cpu().numpy().astype(np.float64)
        start = time.perf_counter()
        z, done = kernel(change, w_t, bias, engine == "event")
        seconds += time.perf_counter() - start
        events[i] = np.count_nonzero(change)
        macs[i] = done.sum()
        dense[i] = change.shape[0] * change.shape[1] * w_t.shape[0] * w_t.shape[1]
        a = z.astype(np.float32)
    scores = a
    read = scores[:, -1] if model.readout == "last" else scores.mean(axis=1)
    return DeltaInference(
        scores=scores, predictions=read.argmax(axis=1).astype(np.int64),
        layers=model.layer_names()[:-1], events=events, macs=macs, dense_macs=dense,
        seconds=seconds,
    )  # fmt: skip
