r"""The Delta Activation Layer and its losses (PyTorch), after Yousefzadeh & Sifalakis 2021.

:class:`DeltaActivation` sits after an activation function. Its input has a time axis,
``(batch, time, *units)``; it quantises each activation with a trainable step
:math:`q > 0` (the *threshold*),

.. math::

   y_t = \operatorname{round}(x_t / q)\, q, \qquad \Delta_t = y_t - y_{t-1}
   \quad (y_{-1} = 0),

and returns :math:`y`. The changes :math:`\Delta` are what an event-driven engine
transmits (:func:`neurosparse.temporal.models.delta_inference`); a small change of
:math:`x` (less than half a step) moves nothing.

Backward (the paper's rule):

- to :math:`x`, straight through the rounding: :math:`\partial y/\partial x = 1`;
- to :math:`q`, with the path through the divisor blocked:
  :math:`\partial y/\partial q = -\operatorname{round}(x/q)` (``threshold_grad="paper"``).
  The sign is the paper's choice: under the temporal-sparsity loss the gradient of
  :math:`|\Delta_t| = q\,|n_t - n_{t-1}|` to :math:`q` is then :math:`-|n_t - n_{t-1}|
  \le 0`, so descent *raises* the step where activations change, coarsening the
  quantisation until small changes vanish. (The derivative with the rounded integer
  held fixed is :math:`+\operatorname{round}(x/q)`, which would shrink the step and
  add events.) ``threshold_grad="lsq"`` gives instead the learned-step-size rule of
  Esser et al. 2020, :math:`\operatorname{round}(x/q) - x/q`.

The step is shared per ``granularity``: ``"channel"`` (one per channel, the paper's
default: ``units[0]``), ``"neuron"`` (one per unit, shape ``units``) or ``"layer"``
(one). The forward pass uses at least ``min_threshold``; the gradient reaches the
threshold unchanged even below it (the clamp is passed straight through, so a step
pushed under the floor by the task loss can come back), and
:func:`~neurosparse.temporal.models.train_sequence_classifier` projects the thresholds
back onto ``[min_threshold, inf)`` after every optimiser step.

Losses, summed over a network's delta layers :math:`l`:

.. math::

   \mathcal{L}_\text{temporal} = \lambda \sum_l \text{fan\_out}_l\,
     \operatorname{mean}|\Delta^{(l)}|, \qquad
   \mathcal{L}_\text{spatial} = \lambda \sum_l \text{fan\_out}_l\,
     \operatorname{mean}|y^{(l)}| ,

with :math:`\lambda` the paper's ``sp_rate``: a change that drives more
multiply-accumulates costs more. The spatial loss is the usual ℓ1 activation penalty,
the baseline the paper compares with.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ModuleNotFoundError(
        "neurosparse.temporal.delta needs PyTorch; install it with "
        "`pip install neurosparse[torch]`",
        name="torch",
    ) from exc

from neurosparse._validation import check_bool, check_choice, check_int, check_real

__all__ = [
    "GRANULARITIES",
    "THRESHOLD_GRADS",
    "DeltaActivation",
    "spatial_sparsity_loss",
    "temporal_sparsity_loss",
]

#: How :class:`DeltaActivation` shares its thresholds.
GRANULARITIES = ("channel", "neuron", "layer")
#: The gradient rules for the threshold.
THRESHOLD_GRADS = ("paper", "lsq")


class _Quantise(torch.autograd.Function):
    """``round(x / q) * q`` with the paper's (or LSQ's) backward rule."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, q: torch.Tensor, lsq: bool) -> torch.Tensor:
        n = torch.round(x / q)
        ctx.save_for_backward(x, q, n)
        ctx.lsq = lsq
        return n * q

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, q, n = ctx.saved_tensors
        dq = (n - x / q) if ctx.lsq else -n
        grad_q = (grad * dq).sum_to_size(q.shape) if ctx.needs_input_grad[1] else None
        return grad, grad_q, None


def _shape(value: Any) -> tuple[int, ...]:
    if isinstance(value, numbers.Integral | Sequence) and not isinstance(value, str | bool):
        items = [value] if isinstance(value, numbers.Integral) else list(value)
        if items:
            return tuple(check_int("shape", v, low=1) for v in items)
    raise ValueError(
        f"shape must be a positive integer or a non-empty sequence of them (the units "
        f"of one frame), got {value!r}"
    )


class DeltaActivation(nn.Module):
    """Quantise activations with a trainable step and expose their temporal changes.

    Parameters
    ----------
    shape : int or sequence of int
        The units of one frame: ``n`` for a dense layer, ``(channels, height, width)``
        for a convolution's output. Inputs are ``(batch, time, *shape)``.
    granularity : {"channel", "neuron", "layer"}
        One threshold per channel (``shape[0]``), per unit, or one for the layer.
    threshold : float
        Initial quantisation step, > 0.
    min_threshold : float
        The smallest step used in the forward pass, > 0.
    threshold_grad : {"paper", "lsq"}
        The threshold's gradient rule (module docstring).
    trainable : bool
        Train the threshold (default) or keep it fixed.

    Attributes
    ----------
    threshold : torch.nn.Parameter
        The steps: shape ``()``, ``(shape[0],)`` or ``shape``.
    fan_out : int
        Multiply-accumulates one change of a unit drives in the next layer, used by the
        losses (set by the network that holds the layer; default 1).
    last_output, last_delta : torch.Tensor or None
        The quantised output and its changes from the latest forward pass (with their
        graphs, for the losses).
    """

    def __init__(
        self,
        shape: int | Sequence[int],
        *,
        granularity: str = "channel",
        threshold: float = 0.05,
        min_threshold: float = 1e-4,
        threshold_grad: str = "paper",
        trainable: bool = True,
    ) -> None:
        super().__init__()
        self.shape = _shape(shape)
        self.granularity = check_choice("granularity", granularity, GRANULARITIES)
        init = check_real("threshold", threshold, low=0.0, low_open=True)
        self.min_threshold = check_real("min_threshold", min_threshold, low=0.0, low_open=True)
        if init < self.min_threshold:
            raise ValueError(
                f"threshold={init} is below min_threshold={self.min_threshold}; it must be "
                "at least min_threshold"
            )
        self.threshold_grad = check_choice("threshold_grad", threshold_grad, THRESHOLD_GRADS)
        trainable = check_bool("trainable", trainable)
        size = {"layer": (), "channel": self.shape[:1], "neuron": self.shape}[self.granularity]
        self.threshold = nn.Parameter(torch.full(size, float(init)), requires_grad=trainable)
        self.fan_out = 1
        self.last_output: torch.Tensor | None = None
        self.last_delta: torch.Tensor | None = None

    def step(self) -> torch.Tensor:
        """The quantisation step used in the forward pass, broadcastable over one
        frame's units (``threshold`` clamped at ``min_threshold``)."""
        t = self.threshold
        q = t + (t.clamp(min=self.min_threshold) - t).detach()  # clamped, gradient kept
        if self.granularity == "channel":
            q = q.reshape(q.shape + (1,) * (len(self.shape) - 1))
        return q

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != len(self.shape) + 2 or tuple(x.shape[2:]) != self.shape:
            units = ", ".join(map(str, self.shape))
            raise ValueError(
                f"DeltaActivation expects input of shape (batch, time, {units}) -- a time "
                f"axis after the batch -- got shape {tuple(x.shape)}"
            )
        y = _Quantise.apply(x, self.step(), self.threshold_grad == "lsq")
        self.last_output = y
        self.last_delta = torch.diff(y, dim=1, prepend=torch.zeros_like(y[:, :1]))
        return y

    def extra_repr(self) -> str:
        return (
            f"shape={self.shape}, granularity={self.granularity!r}, "
            f"threshold_grad={self.threshold_grad!r}"
        )


def _penalty(layers: Iterable[DeltaActivation], sp_rate: float, attr: str) -> torch.Tensor:
    sp_rate = check_real("sp_rate", sp_rate, low=0.0)
    total = None
    for layer in layers:
        if not isinstance(layer, DeltaActivation):
            raise TypeError(f"layers must be DeltaActivation modules, got {type(layer).__name__}")
        value = getattr(layer, attr)
        if value is None:
            raise ValueError("a DeltaActivation layer has not run forward yet: nothing to penalise")
        term = layer.fan_out * value.abs().mean()
        total = term if total is None else total + term
    if total is None:
        raise ValueError("layers is empty: no DeltaActivation to penalise")
    return sp_rate * total


def temporal_sparsity_loss(layers: Iterable[DeltaActivation], sp_rate: float) -> torch.Tensor:
    r"""The paper's loss from each layer's latest forward pass,

    .. math::

       \lambda \sum_l \text{fan\_out}_l \operatorname{mean}|\Delta^{(l)}| .


    Parameters
    ----------
    layers : iterable of DeltaActivation
    sp_rate : float
        :math:`\lambda \ge 0`.
    """
    return _penalty(layers, sp_rate, "last_delta")


def spatial_sparsity_loss(layers: Iterable[DeltaActivation], sp_rate: float) -> torch.Tensor:
    r"""The ℓ1 baseline, :math:`\lambda \sum_l \text{fan\_out}_l \operatorname{mean}|y^{(l)}|`,
    from each layer's latest forward pass.

    Parameters
    ----------
    layers : iterable of DeltaActivation
    sp_rate : float
        :math:`\lambda \ge 0`.
    """
    return _penalty(layers, sp_rate, "last_output")
