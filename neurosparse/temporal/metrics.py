r"""Temporal and spatial activation sparsity, and the operations they save (NumPy).

Activations carry a time axis: ``(batch, time, *units)`` (any unit shape). For each
layer,

.. math::

   \Delta_t = a_t - a_{t-1} \quad (a_{-1} = 0), \qquad
   \text{temporal density} = \frac{\#\{\Delta \ne 0\}}{\#\Delta}, \qquad
   \text{spatial density} = \frac{\#\{a \ne 0\}}{\#a},

and sparsity is one minus density, as NeuroBench defines activation sparsity
(Yik et al. 2024). The first frame is compared with zero: an event-driven engine
starting from rest sends every nonzero activation of the first frame (``first="zero"``,
the default); ``first="skip"`` leaves the first frame out (the steady-state rate of a
long stream).

An event-driven engine multiplies a weight only for a nonzero input change: a layer
whose input unit ``j`` feeds ``fan_out[j]`` multiply-accumulates (MACs) costs

.. math::

   \text{MACs}_\text{event} = \sum_{t, j} [\Delta_{t,j} \ne 0]\, \text{fan\_out}_j, \qquad
   \text{MACs}_\text{dense} = \sum_{t, j} \text{fan\_out}_j ,

(:func:`event_macs`), which is what :func:`neurosparse.temporal.models.delta_inference`
counts as it runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurosparse._validation import check_array, check_choice

__all__ = ["activation_sparsity", "changes", "event_macs", "temporal_density"]

FIRST = ("zero", "skip")


def _activations(name: str, x: Any) -> np.ndarray:
    x = check_array(name, x, dtype=None)
    if x.ndim < 3:
        raise ValueError(
            f"{name} must have a batch and a time axis, shape (batch, time, *units), got "
            f"shape {x.shape}"
        )
    if x.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be numeric, got dtype {x.dtype}")
    return x


def changes(x: Any, *, first: str = "zero") -> np.ndarray:
    r"""The frame-to-frame changes :math:`\Delta_t = a_t - a_{t-1}` along axis 1.

    Parameters
    ----------
    x : array-like, shape (batch, time, *units)
    first : {"zero", "skip"}
        ``"zero"``: the first frame is compared with zero (kept, ``time`` frames out);
        ``"skip"``: left out (``time - 1`` frames out).

    Returns
    -------
    ndarray, shape (batch, time or time - 1, *units)
    """
    x = _activations("x", x)
    check_choice("first", first, FIRST)
    x = x.astype(np.float64) if x.dtype.kind != "f" else x
    d = np.diff(x, axis=1)
    if first == "skip":
        return d
    return np.concatenate([x[:, :1], d], axis=1)


def temporal_density(x: Any, *, first: str = "zero") -> float:
    r"""Fraction of nonzero frame-to-frame changes, :math:`\#\{\Delta \ne 0\}/\#\Delta`.

    Parameters
    ----------
    x : array-like, shape (batch, time, *units)
        One layer's activations over time.
    first : {"zero", "skip"}
        How the first frame counts (module docstring).

    Returns
    -------
    float in [0, 1]; temporal sparsity is ``1 - density``.
    """
    d = changes(x, first=first)
    if d.size == 0:
        raise ValueError("x has no changes to count (one frame and first='skip')")
    return float(np.count_nonzero(d)) / d.size


def activation_sparsity(x: Any) -> float:
    r"""NeuroBench's activation sparsity: :math:`1 - \#\{a \ne 0\}/\#a`.

    Parameters
    ----------
    x : array-like
        Activations of any shape (spatial sparsity: no time axis needed).

    Returns
    -------
    float in [0, 1]
    """
    x = check_array("x", x, dtype=None)
    return 1.0 - float(np.count_nonzero(x)) / x.size


def event_macs(x: Any, fan_out: Any, *, first: str = "zero") -> tuple[int, int]:
    r"""Multiply-accumulates of an event-driven and of a dense engine for one layer.

    Parameters
    ----------
    x : array-like, shape (batch, time, *units)
        The activations entering the layer (its input).
    fan_out : int or array-like of int, shape units
        Multiply-accumulates one input unit's change drives (a linear layer:
        its ``out_features``; a convolution: ``out_channels * kernel area`` away
        from the borders).
    first : {"zero", "skip"}
        How the first frame counts (module docstring).

    Returns
    -------
    (event, dense) : tuple of int
        ``sum [Delta != 0] * fan_out`` and ``sum fan_out`` over batch and time.
    """
    d = changes(x, first=first)
    fan = np.asarray(fan_out)
    if fan.dtype.kind not in "iu" or np.any(fan < 0):
        raise ValueError(f"fan_out must be non-negative integers, got {fan_out!r}"[:200])
    units = d.shape[2:]
    if fan.ndim and fan.shape != units:
        raise ValueError(f"fan_out must be one integer or of shape {units}, got {fan.shape}")
    fan = np.broadcast_to(fan, units).astype(np.int64)
    nonzero = np.count_nonzero(d.reshape(-1, *units), axis=0) if units else np.count_nonzero(d)
    event = int(np.sum(nonzero * fan))
    dense = int(d.shape[0] * d.shape[1] * fan.sum())
    return event, dense
