r"""Spiking networks on the same task: a ReLU network converted to LIF neurons (brian2).

The event-driven counterpart of delta inference (:mod:`neurosparse.temporal`): a ReLU
network given as a result's ``connectivity`` (``connectivity/<layer>``: ``pre``,
``post``, ``weight`` along ``synapse``, ``bias`` along ``neuron``, in feed-forward order,
as :class:`~neurosparse.temporal.models.DeltaNet` writes it) is run as a rate-coded
spiking network of leaky integrate-and-fire layers built by the brian2 bridge
(:func:`neurosparse.bridges.brian2.to_brian2`; this module writes no neuron model of its
own), fed by one of two input encoders, and measured in spikes.

**Input encoders** (one sequence of frames, shape ``(n_frames, n_pixels)`` or
``(n_frames, H, W)``, presented one after the other for ``frame_duration`` each; the
events lie on the simulation's time grid ``dt``, at most one per channel and step, as
brian2's ``SpikeGeneratorGroup`` requires):

- :func:`poisson_encode`: pixel :math:`j` of frame :math:`t` fires as a Poisson process
  of rate :math:`x_{t,j} \cdot` ``max_rate``. Drawn as Poisson counts per pixel and
  frame, placed on uniformly drawn steps of the frame, several in one step merged: a
  Bernoulli process of probability :math:`1 - e^{-r\,dt}` per step, what brian2's
  ``PoissonGroup`` draws with :math:`r\,dt` (the same to first order: the rate is
  :math:`r(1 - r\,dt/2 + \dots)`). Precomputed spikes, rather than a ``PoissonGroup``
  with changing rates, run the same on every target, and their seed is a NumPy one.
- :func:`send_on_delta_encode`: per pixel, a reference :math:`\hat x = \delta L`
  (:math:`L` an integer, 0 before the first frame) follows the input by whole steps of
  ``delta``: at each frame, an ON event (channel :math:`j`) for every level the value
  has risen above the reference, an OFF event (channel :math:`j + n`, ``n = n_pixels``)
  for every level it has fallen below it,

  .. math::

     L_t = \min\big(\max(L_{t-1}, \lfloor x_t/\delta \rfloor), \lceil x_t/\delta \rceil\big),
     \qquad n^\mathrm{ON}_t - n^\mathrm{OFF}_t = L_t - L_{t-1},

  so that after every frame :math:`|x_t - \hat x_t| < \delta` (up to the rounding of
  :math:`x/\delta`), a constant input sends nothing after the first frame, and the
  number of events is the number of levels crossed. The :math:`k`-th of a frame's
  :math:`n` events of one pixel is sent :math:`k` steps into the frame (``timing=
  "onset"``, what :class:`SpikingNetwork` uses) or ``floor(k m / n)`` steps into it
  (``"spread"``), ``m = frame_duration / dt``; a change needing more than ``m`` events
  in one frame is refused (``delta`` too small).

**Conversion** (Diehl et al. 2015, data-based normalisation, with the percentile of
Rueckauer et al. 2017). :meth:`SpikingNetwork.fit` runs the ANN in NumPy on sample frames
and takes :math:`\lambda_l`, the ``percentile`` of the positive ReLU activations of each
layer :math:`l` (the output layer's scores through a ReLU too; :math:`\lambda_0 = 1`, the
pixels' maximum; a layer that never activates keeps :math:`\lambda_l = 1`). Unit
:math:`i` of layer :math:`l` is meant to fire at :math:`R\,a_i/\lambda_l`
(:math:`R` = ``max_rate``). Ignoring the leak (``tau`` long against the interspike
intervals: the default 1 s), its potential climbs at :math:`\sum_j w'_{ij} r_j +
b'_i/\tau` per second and it fires each time it has climbed ``v_threshold``
(:math:`\theta`), so the bridge is given

.. math::

   w'_{ij} = \theta\, w_{ij}\, \frac{\lambda_{l-1}}{\lambda_l}, \qquad
   b'_i = \theta\, \tau R\, \frac{b_i}{\lambda_l}

(``v_rest = v_reset = 0``, refractory period ``refractory``, default 0; after a spike
``v -= v_threshold``, the reset by subtraction of Rueckauer et al. 2017, by default:
``reset_rule``). With the
send-on-delta encoder the first projection is a sigma-delta receiver
(``input_synapse="sigma"`` of the bridge: the first layer integrates a persistent current
:math:`I = \sum_j u_{ij}(n^\mathrm{ON}_j - n^\mathrm{OFF}_j)`, :math:`\tau\,dv/dt = -v + I +
b'`), with ON weights :math:`u_{ij} = \theta\,\tau R\,\delta\, w_{ij}/\lambda_1` and OFF
weights :math:`-u_{ij}` (input channels ``0..n-1`` ON, ``n..2n-1`` OFF), so that
:math:`I/\tau = \theta R\, (W \hat x)_i/\lambda_1`: the first layer fires at the rate the
current input level sets, not at the rate of events. The Poisson encoder drives the first
layer with pulses (``v += w'``), :math:`\lambda_0 = 1`.

**Many sequences, one build.** :meth:`SpikingNetwork.run` presents all sequences back to
back in one simulation (sequence :math:`s` from :math:`s F T`, ``F`` frames of ``T =
frame_duration``), every LIF layer reset to its initial state at each sequence start (the
bridge's ``reset_every``): each sequence sees the network as a separate run from rest
would, and the network is built once per fit, by the first :meth:`~SpikingNetwork.run`
(runtime targets store and restore its initial state between runs; a run with another
number of frames per sequence rebuilds it). Under ``"cpp_standalone"`` the first run
compiles the C++ project and every later run writes its new input spikes into it (brian2
cannot change a standalone binary's spikes by ``run_args``), which recompiles only the
objects file when the number of spikes or the duration changed: give it many sequences
per run. The spikes come back in the result format, times along the concatenated run,
with each sequence's start and stop in ``activity``.

**Measures** (:func:`spike_measures`): per layer, spikes per neuron per bin (mean),
the fraction of (neuron, bin) pairs with a spike (the spiking analogue of
:func:`~neurosparse.temporal.metrics.temporal_density`), the silent fraction (neurons
that never fire), total spikes and synaptic operations (each spike times its neuron's
out-degree in the next projection: what an event-driven engine does per spike).

Times are floats in seconds throughout (the encoders also take brian2 time quantities;
they return spike times as a brian2 quantity, ready for
:meth:`~neurosparse.bridges.brian2.Brian2Network.run`).

References: Diehl, Neil, Binas, Cook, Liu & Pfeiffer 2015, "Fast-classifying,
high-accuracy spiking deep networks through weight and threshold balancing" (IJCNN);
Rueckauer, Lungu, Hu, Pfeiffer & Liu 2017, "Conversion of continuous-valued deep networks
to efficient event-driven networks for image classification" (Front. Neurosci.).
"""

from __future__ import annotations

import json
import os
from typing import Any, ClassVar

import numpy as np
import xarray as xr

from neurosparse._estimator import Model
from neurosparse._validation import (
    Anything,
    Options,
    Real,
    Seed,
    check_array,
    check_choice,
    check_real,
    resolve_rng,
    seed_attr,
)

try:
    from brian2 import Quantity, second
except ImportError as exc:  # pragma: no cover - brian2 is a core dependency
    raise ModuleNotFoundError(
        "neurosparse.temporal.spiking needs brian2; install it with `pip install brian2`",
        name="brian2",
    ) from exc

__all__ = [
    "ENCODERS",
    "READOUTS",
    "TIMINGS",
    "SpikingNetwork",
    "poisson_encode",
    "send_on_delta_encode",
    "spike_measures",
]

#: The input encoders :class:`SpikingNetwork` knows.
ENCODERS = ("poisson", "send_on_delta")
#: How :class:`SpikingNetwork` reads its class out of the output spikes.
READOUTS = ("last_frame", "all")
#: When :func:`send_on_delta_encode` sends a frame's events.
TIMINGS = ("onset", "spread")
#: brian2's runtime targets (:data:`neurosparse.bridges.brian2.TARGETS`).
TARGETS = ("numpy", "cython", "cpp_standalone")

_SOURCE = (
    "Diehl et al. 2015 (IJCNN), data-based normalisation with the percentile of "
    "Rueckauer et al. 2017 (Front. Neurosci. 11:682); task of Yousefzadeh & Sifalakis "
    "2021, arXiv 2107.07305"
)


# ------------------------------------------------------------------------------ checks
def _seconds(name: str, value: Any) -> float:
    """A time > 0 in seconds, from a float (seconds) or a brian2 time quantity."""
    if isinstance(value, Quantity):
        if value.dim != second.dim or np.ndim(value) != 0:
            raise TypeError(f"{name} must be a time (seconds or a brian2 time), got {value!r}")
        value = float(value / second)
    return check_real(name, value, low=0.0, low_open=True)


def _steps_per_frame(frame_duration: float, dt: float) -> int:
    """``frame_duration / dt``, which must be a whole number >= 1."""
    ratio = frame_duration / dt
    steps = round(ratio)
    if steps < 1 or abs(ratio - steps) > 1e-6 * ratio:
        raise ValueError(
            f"frame_duration must be a whole number of time steps dt={dt!r} s, got "
            f"{frame_duration!r} s ({ratio:.6g} steps)"
        )
    return steps


def _one_sequence(name: str, frames: Any) -> np.ndarray:
    """One sequence as float64 ``(n_frames, n_pixels)``."""
    x = check_array(name, frames)
    if x.ndim < 2:
        raise ValueError(
            f"{name} must have a time axis: shape (n_frames, n_pixels) or (n_frames, H, W), "
            f"got shape {x.shape}"
        )
    return x.reshape(x.shape[0], -1)


def _sequences(name: str, X: Any, n_pixels: int | None = None) -> np.ndarray:
    """Sequences as float64 ``(n_sequences, n_frames, n_pixels)``."""
    x = check_array(name, X)
    if x.ndim < 3:
        raise ValueError(
            f"{name} must be sequences of frames, shape (n_sequences, n_frames, n_pixels) "
            f"or (n_sequences, n_frames, H, W), got shape {x.shape} (no time axis?)"
        )
    x = x.reshape(x.shape[0], x.shape[1], -1)
    if n_pixels is not None and x.shape[2] != n_pixels:
        raise ValueError(
            f"{name} has frames of {x.shape[2]} values; the network's input layer has "
            f"{n_pixels} units"
        )
    return x


def _check_unit_interval(name: str, x: np.ndarray) -> None:
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(
            f"{name} must lie in [0, 1] for the Poisson encoder (rate = value * max_rate), "
            f"got values in [{x.min():.6g}, {x.max():.6g}]"
        )


# ---------------------------------------------------------------------------- encoders
def _poisson_events(
    x: np.ndarray, max_rate: float, m: int, dt: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events of frames ``x`` ``(n_frames, n_pixels)`` as (channel, step)."""
    n_pixels = x.shape[1]
    counts = rng.poisson(x.ravel() * (max_rate * m * dt))
    cell = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    frame, pixel = np.divmod(cell, n_pixels)
    step = frame * m + rng.integers(0, m, size=cell.size)
    key = np.unique(step * n_pixels + pixel)  # several in one step: one spike
    step, pixel = np.divmod(key, n_pixels)
    return pixel, step


def _delta_levels(x: np.ndarray, delta: float) -> np.ndarray:
    """The send-on-delta reference levels ``L`` (int64, same shape as ``x`` whose axis
    -2 is time), starting from 0 before the first frame (module docstring)."""
    q = x / delta
    lo, hi = np.floor(q).astype(np.int64), np.ceil(q).astype(np.int64)
    levels = np.empty(x.shape, dtype=np.int64)
    current = np.zeros(x.shape[:-2] + x.shape[-1:], dtype=np.int64)
    for t in range(x.shape[-2]):
        current = np.minimum(np.maximum(current, lo[..., t, :]), hi[..., t, :])
        levels[..., t, :] = current
    return levels


def _delta_events(
    change: np.ndarray, m: int, delta: float, timing: str = "onset"
) -> tuple[np.ndarray, np.ndarray]:
    """Events of level changes ``change`` ``(n_frames, n_pixels)`` as (channel, step):
    ON channels ``0..n-1``, OFF ``n..2n-1``; a frame's events of one pixel on
    consecutive steps from its start (``"onset"``) or spread over it (``"spread"``)."""
    n_pixels = change.shape[1]
    size = np.abs(change).ravel()
    worst = int(size.max(initial=0))
    if worst > m:
        raise ValueError(
            f"delta={delta!r} is too small for frame_duration / dt = {m} steps: one pixel "
            f"changes by {worst} steps of delta in one frame, and a channel sends at most one "
            "event per time step (raise delta or frame_duration, or lower dt)"
        )
    cell = np.repeat(np.arange(size.size, dtype=np.int64), size)
    first = np.repeat(np.cumsum(size) - size, size)
    k = np.arange(cell.size, dtype=np.int64) - first
    frame, pixel = np.divmod(cell, n_pixels)
    step = frame * m + (k if timing == "onset" else (k * m) // size[cell])
    channel = np.where(change.ravel()[cell] > 0, pixel, pixel + n_pixels)
    order = np.lexsort((channel, step))
    return channel[order], step[order]


def poisson_encode(
    frames: Any,
    *,
    max_rate: float = 200.0,
    frame_duration: Any = 0.05,
    dt: Any = 1e-4,
    seed: Any = None,
) -> tuple[np.ndarray, Any]:
    r"""Poisson spikes of one sequence of frames, frame after frame.

    Pixel :math:`j` of frame :math:`t` fires at :math:`x_{t,j} \cdot` ``max_rate``
    during :math:`[t T, (t + 1) T)`, ``T = frame_duration``, on the time grid ``dt``
    (at most one spike per pixel and step; the per-step probability is
    :math:`1 - e^{-r\,dt}`, module docstring).

    Parameters
    ----------
    frames : array-like, shape (n_frames, n_pixels) or (n_frames, H, W)
        Values in [0, 1] (pixels flattened in C order).
    max_rate : float
        Rate of a pixel of value 1, in Hz (> 0).
    frame_duration, dt : float (seconds) or brian2 time quantity
        How long each frame is shown (a whole number of ``dt``), and the time step.
    seed : int, numpy Generator, SeedSequence or None

    Returns
    -------
    indices : ndarray of int64
        The pixel of each spike, sorted by time (then pixel).
    times : brian2 time quantity
        Their times, multiples of ``dt``.
    """
    x = _one_sequence("frames", frames)
    _check_unit_interval("frames", x)
    max_rate = check_real("max_rate", max_rate, low=0.0, low_open=True)
    frame_duration = _seconds("frame_duration", frame_duration)
    dt = _seconds("dt", dt)
    m = _steps_per_frame(frame_duration, dt)
    rng = resolve_rng(seed)
    pixel, step = _poisson_events(x, max_rate, m, dt, rng)
    return pixel, step * dt * second


def send_on_delta_encode(
    frames: Any,
    *,
    delta: float = 0.1,
    frame_duration: Any = 0.05,
    dt: Any = 1e-4,
    timing: str = "onset",
) -> tuple[np.ndarray, Any]:
    r"""Send-on-delta events of one sequence of frames, on ``2 * n_pixels`` channels.

    Per pixel, an ON event (channel ``j``) each time the value has risen by ``delta``
    above the reference, which then moves up by ``delta``; an OFF event (channel
    ``j + n_pixels``) each time it has fallen by ``delta`` below it. The first frame is
    encoded against a zero reference. After every frame the reference
    :math:`\hat x = \delta\,(n_\mathrm{ON} - n_\mathrm{OFF})` (events so far) is within
    ``delta`` of the frame: :math:`|x - \hat x| < \delta` (module docstring).
    Deterministic.

    Parameters
    ----------
    frames : array-like, shape (n_frames, n_pixels) or (n_frames, H, W)
        Any finite values (pixels flattened in C order).
    delta : float
        The step (> 0).
    frame_duration, dt : float (seconds) or brian2 time quantity
        How long each frame is shown (a whole number of ``dt``) and the time step.
    timing : {"onset", "spread"}
        When a frame's ``n`` events of one pixel are sent: the ``k``-th (from 0) ``k``
        steps after the frame's start (``"onset"``: the frame is seen at once, as
        :func:`poisson_encode`'s rates change at once), or ``floor(k m / n)`` steps after
        it (``"spread"`` evenly over the frame, ``m = frame_duration / dt``: the value
        moving from one frame to the next).

    Returns
    -------
    indices : ndarray of int64
        The channel of each event (ON ``0..n_pixels-1``, OFF ``n_pixels..2 n_pixels-1``),
        sorted by time (then channel).
    times : brian2 time quantity
        Their times, multiples of ``dt``.

    Raises
    ------
    ValueError
        Frames without a time axis; ``delta``, ``frame_duration`` or ``dt`` not > 0; a
        ``frame_duration`` that is not a whole number of ``dt``; a change needing more
        events in one frame than the frame has time steps.
    """
    x = _one_sequence("frames", frames)
    delta = check_real("delta", delta, low=0.0, low_open=True)
    check_choice("timing", timing, TIMINGS)
    frame_duration = _seconds("frame_duration", frame_duration)
    dt = _seconds("dt", dt)
    m = _steps_per_frame(frame_duration, dt)
    levels = _delta_levels(x, delta)
    change = np.diff(levels, axis=0, prepend=0)
    channel, step = _delta_events(change, m, delta, timing)
    return channel, step * dt * second


# ---------------------------------------------------------------------------- measures
def _spike_nodes(run_result: Any) -> dict[str, xr.Dataset]:
    if not isinstance(run_result, xr.DataTree):
        raise TypeError(f"run_result must be a result (DataTree), got {type(run_result).__name__}")
    try:
        node = run_result["activity/spikes"]
    except KeyError:
        raise ValueError(
            f"run_result (kind {run_result.attrs.get('kind')!r}) has no activity/spikes "
            "group: give a spiking run's result"
        ) from None
    nodes = {name: child.to_dataset() for name, child in node.children.items()}
    if not nodes:
        raise ValueError("run_result's activity/spikes group holds no layer")
    return nodes


def _out_degrees(connectivity: Any) -> tuple[list[str], dict[str, np.ndarray]]:
    """Layer order and each layer's out-degree in the projection leaving it."""
    from neurosparse.bridges import projections

    chain = projections(connectivity, chain=False)
    order: list[str] = []
    degrees: dict[str, np.ndarray] = {}
    try:
        ordered = projections(connectivity)
        order = [ordered[0].pre_layer] + [p.post_layer for p in ordered]
    except ValueError:  # not one chain: out-degrees still count
        pass
    for p in chain:
        deg = np.bincount(p.pre, minlength=p.n_pre).astype(np.int64)
        degrees[p.pre_layer] = degrees.get(p.pre_layer, 0) + deg
    return order, degrees


def spike_measures(run_result: Any, *, bin: Any = None, connectivity: Any = None) -> xr.Dataset:
    """Temporal-sparsity measures of a spiking run, per layer.

    Parameters
    ----------
    run_result : xarray.DataTree
        A result with ``activity/spikes/<layer>`` nodes (``neuron``, ``time`` in
        seconds along ``spike``; attrs ``n_neurons`` and ``duration``), such as
        :meth:`SpikingNetwork.run`'s or :meth:`~neurosparse.bridges.brian2.Brian2Network.run`'s.
    bin : float (seconds) or brian2 time quantity, optional
        The bin of the per-bin measures (> 0); default the run's ``frame_duration``
        (recorded in its ``params``).
    connectivity : xarray.DataTree or path-like, optional
        The network's connectivity, for the synaptic operations; default the run's own
        ``connectivity`` group. Without either, ``synaptic_operations`` is NaN.

    Returns
    -------
    xarray.Dataset
        Along ``layer`` (feed-forward order where the connectivity gives it):
        ``n_neurons``; ``total_spikes``; ``rate`` (mean per neuron, Hz);
        ``spikes_per_neuron_per_bin`` (mean over neurons and bins);
        ``active_fraction`` (fraction of (neuron, bin) pairs with at least one spike);
        ``silent_fraction`` (neurons without a spike in the whole run);
        ``synaptic_operations`` (sum over spikes of the neuron's out-degree in the
        projection leaving its layer; 0 for a layer no projection leaves). Attrs
        ``bin`` and ``duration`` (s). Bins: ``ceil(duration / bin)``, the last one
        possibly partial.
    """
    nodes = _spike_nodes(run_result)
    if bin is None:
        params = json.loads(run_result.attrs.get("params", "{}") or "{}")
        if "frame_duration" not in params:
            raise ValueError(
                "bin must be given (seconds or a brian2 time): the run records no "
                "frame_duration to default to"
            )
        bin = params["frame_duration"]
    bin = _seconds("bin", bin)
    if connectivity is None and "connectivity" in run_result.children:
        connectivity = run_result
    order, degrees = ([], {}) if connectivity is None else _out_degrees(connectivity)
    names = [n for n in order if n in nodes] + [n for n in nodes if n not in order]
    durations = []
    rows: dict[str, list] = {k: [] for k in (
        "n_neurons", "total_spikes", "rate", "spikes_per_neuron_per_bin", "active_fraction",
        "silent_fraction", "synaptic_operations",
    )}  # fmt: skip
    for name in names:
        ds = nodes[name]
        if "neuron" not in ds or "time" not in ds or "n_neurons" not in ds.attrs:
            raise ValueError(
                f"activity/spikes/{name} needs 'neuron' and 'time' along 'spike' and an "
                "n_neurons attr"
            )
        if "duration" not in ds.attrs:
            raise ValueError(f"activity/spikes/{name} records no duration (attr 'duration')")
        n = int(ds.attrs["n_neurons"])
        duration = float(ds.attrs["duration"])
        durations.append(duration)
        neuron = ds["neuron"].values.astype(np.int64)
        time = ds["time"].values.astype(np.float64)
        n_bins = max(int(np.ceil(duration / bin - 1e-9)), 1)
        which = np.minimum((time / bin + 1e-9).astype(np.int64), n_bins - 1)
        active = np.unique(neuron * n_bins + which).size
        total = int(neuron.size)
        cells = n * n_bins
        rows["n_neurons"].append(n)
        rows["total_spikes"].append(total)
        rows["rate"].append(total / (n * duration) if n and duration > 0 else np.nan)
        rows["spikes_per_neuron_per_bin"].append(total / cells if cells else np.nan)
        rows["active_fraction"].append(active / cells if cells else np.nan)
        rows["silent_fraction"].append(1.0 - np.unique(neuron).size / n if n else np.nan)
        if connectivity is None:
            rows["synaptic_operations"].append(np.nan)
        elif name in degrees:
            deg = degrees[name]
            if deg.size != n:
                raise ValueError(
                    f"layer {name!r} has {n} neurons in the run but {deg.size} in the connectivity"
                )
            rows["synaptic_operations"].append(float(deg[neuron].sum()))
        else:
            rows["synaptic_operations"].append(0.0)
    attrs = {
        "n_neurons": ("neurons in the layer", "1"),
        "total_spikes": ("spikes in the whole run", "1"),
        "rate": ("mean firing rate per neuron", "Hz"),
        "spikes_per_neuron_per_bin": ("mean spikes per neuron per bin", "1"),
        "active_fraction": ("fraction of (neuron, bin) pairs with at least one spike", "1"),
        "silent_fraction": ("fraction of neurons without a spike in the whole run", "1"),
        "synaptic_operations": (
            "synaptic operations: spikes times their neuron's out-degree in the next projection",
            "1",
        ),
    }
    dtypes = {"n_neurons": np.int64, "total_spikes": np.int64}
    data = {
        key: ("layer", np.asarray(rows[key], dtype=dtypes.get(key, np.float64)),
              {"long_name": attrs[key][0], "units": attrs[key][1]})
        for key in rows
    }  # fmt: skip
    return xr.Dataset(
        data,
        coords={"layer": ("layer", np.asarray(names, dtype=str), {"long_name": "layer"})},
        attrs={"bin": bin, "duration": float(max(durations))},
    )


# ----------------------------------------------------------------------------- the model
class SpikingNetwork(Model):
    r"""A ReLU network converted into a rate-coded spiking network (brian2).

    Parameters
    ----------
    ann : xarray.DataTree or path-like
        The ReLU network: a result whose ``connectivity`` projections form one
        feed-forward chain (weights along ``synapse``, optional ``bias`` along
        ``neuron``), e.g. a :class:`~neurosparse.temporal.models.DeltaNet`'s (its delta
        layers are left out: the plain ReLU network is converted). Checked by :meth:`fit`.
    encoder : {"poisson", "send_on_delta"}
        :func:`poisson_encode` (pulse synapses into the first layer) or
        :func:`send_on_delta_encode` (a sigma-delta receiver, module docstring).
    frame_duration : float
        Seconds each frame is shown (> 0, a whole number of ``dt``).
    max_rate : float
        :math:`R`, Hz: the rate of a pixel of value 1 (Poisson) and the rate each layer's
        units fire at for the activation :math:`\lambda_l`.
    delta : float
        The send-on-delta step (> 0; unused by the Poisson encoder).
    percentile : float
        Percentile of each layer's positive ANN activations taken as its scale
        :math:`\lambda_l`, in (0, 100] (100: the maximum, Diehl et al. 2015).
    readout : {"last_frame", "all"}
        The class of a sequence: the output unit with most spikes during its last frame
        (ties broken by the counts over the whole sequence, then the lowest index), or
        over the whole sequence.
    target : {"numpy", "cython", "cpp_standalone"}
        brian2's runtime target (:func:`~neurosparse.bridges.brian2.to_brian2`).
    on_unavailable : {"fallback", "raise"}
        A target that cannot be used here (no compiler, no Cython): fall back to
        ``"numpy"`` with a ``RuntimeWarning`` naming the reason, or raise
        ``RuntimeError``. The run result records the target that ran.
    dt : float
        Time step, seconds (> 0).
    tau : float
        Membrane time constant, seconds (> 0; long, so that the LIF units integrate
        nearly without leak).
    v_threshold : float
        Firing threshold :math:`\theta` (> 0; rest and reset are 0).
    refractory : float
        Refractory period, seconds (>= 0).
    reset_rule : {"subtract", "set"}
        After a spike, ``v -= v_threshold`` (reset by subtraction, Rueckauer et al.
        2017: the rate follows the input without losing the overshoot) or ``v = 0``
        (Diehl et al. 2015) (the bridge's ``reset_rule``).
    seed : int, numpy Generator, SeedSequence or None
        Seeds the Poisson encoder: :meth:`fit` resolves it, and every :meth:`run` draws
        its spikes from that generator (the send-on-delta network is deterministic).

    Attributes
    ----------
    scales_ : ndarray, shape (n_layers,)
        :math:`\lambda_l` of every layer, input first (:math:`\lambda_0 = 1`).
    layers_ : list of str
        Layer names, input first.
    run_result_ : xarray.DataTree
        The result of the last :meth:`run` (or :meth:`predict`).

    Notes
    -----
    The brian2 network is built by the first :meth:`run` after :meth:`fit`, so a target
    that cannot be used here warns (or raises) then. Times are floats in seconds.

    Examples
    --------
    ::

        net = SpikingNetwork(deltanet.to_result(), encoder="send_on_delta", delta=0.1)
        net.fit(X_train[:200])                  # (n, n_frames, H, W) or (n, n_frames, pixels)
        run = net.run(X_test)                   # spikes, predictions, spike_measures
        accuracy = net.score(X_test, y_test)    # a second run
    """

    kind = "temporal.spiking_network"
    source = _SOURCE
    _fitted_attr = "scales_"
    _params_not_recorded = ("seed", "ann")
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "ann": Anything(),  # a DataTree or a path: checked by fit (bridges.projections)
        "encoder": Options(*ENCODERS),
        "frame_duration": Real(0.0, low_open=True),
        "max_rate": Real(0.0, low_open=True),
        "delta": Real(0.0, low_open=True),
        "percentile": Real(0.0, 100.0, low_open=True),
        "readout": Options(*READOUTS),
        "target": Options(*TARGETS),
        "on_unavailable": Options("fallback", "raise"),
        "dt": Real(0.0, low_open=True),
        "tau": Real(0.0, low_open=True),
        "v_threshold": Real(0.0, low_open=True),
        "refractory": Real(0.0),
        "reset_rule": Options("subtract", "set"),
        "seed": Seed(),
    }

    def __init__(
        self,
        ann: Any,
        *,
        encoder: str = "poisson",
        frame_duration: float = 0.05,
        max_rate: float = 200.0,
        delta: float = 0.1,
        percentile: float = 99.9,
        readout: str = "last_frame",
        target: str = "numpy",
        on_unavailable: str = "fallback",
        dt: float = 1e-4,
        tau: float = 1.0,
        v_threshold: float = 1.0,
        refractory: float = 0.0,
        reset_rule: str = "subtract",
        seed: Any = None,
    ) -> None:
        self.ann = ann
        self.encoder = encoder
        self.frame_duration = frame_duration
        self.max_rate = max_rate
        self.delta = delta
        self.percentile = percentile
        self.readout = readout
        self.target = target
        self.on_unavailable = on_unavailable
        self.dt = dt
        self.tau = tau
        self.v_threshold = v_threshold
        self.refractory = refractory
        self.reset_rule = reset_rule
        self.seed = seed

    # ------------------------------------------------------------------------ fitting
    def _chain(self) -> list:
        from neurosparse.bridges import projections

        ann = self.ann
        if not isinstance(ann, xr.DataTree | str | os.PathLike):
            raise TypeError(
                "ann must be a result (xarray.DataTree) or the path of one, with the ReLU "
                f"network's connectivity, got {type(ann).__name__}"
            )
        return projections(ann)

    def fit(self, X: Any, y: Any = None) -> SpikingNetwork:
        """Calibrate the weight normalisation on sample frames.

        Parameters
        ----------
        X : array-like, shape (n_sequences, n_frames, n_pixels) or (n_sequences, n_frames, H, W)
            Sample sequences (every frame counts; values in [0, 1] for the Poisson
            encoder).
        y : ignored

        Returns
        -------
        SpikingNetwork
            ``self``, with ``scales_`` and ``layers_`` set.
        """
        p = self._validate_params()
        _steps_per_frame(p["frame_duration"], p["dt"])
        chain = self._chain()
        x = _sequences("X", X, chain[0].n_pre)
        if p["encoder"] == "poisson":
            _check_unit_interval("X", x)
        activations = _forward(chain, x.reshape(-1, x.shape[2]))
        scales = [1.0]
        for a in activations:
            positive = a[a > 0]
            scales.append(float(np.percentile(positive, p["percentile"])) if positive.size else 1.0)
        self._rng = self._record_seed(self.seed)
        self._chain_ = chain
        self._params_ = p
        self._brian2 = self._connectivity = None
        self.layers_ = [chain[0].pre_layer] + [q.post_layer for q in chain]
        self.scales_ = np.asarray(scales, dtype=np.float64)
        if hasattr(self, "run_result_"):
            del self.run_result_
        return self

    # ---------------------------------------------------------------- the spiking network
    def spiking_connectivity(self) -> xr.DataTree:
        """The connectivity the spiking network runs (normalised weights and biases;
        under ``send_on_delta`` the first projection from ``2 * n_pixels`` ON/OFF
        channels), as a result (kind ``temporal.spiking_connectivity``)."""
        from neurosparse.results import connectivity_from_indices, new_result

        self._check_fitted()
        if self._connectivity is not None:
            return self._connectivity
        p, lam = self._params_, self.scales_
        theta, scale_b = p["v_threshold"], p["v_threshold"] * p["tau"] * p["max_rate"]
        groups = {}
        for k, proj in enumerate(self._chain_):
            w = np.ones(proj.n_synapses) if proj.weight is None else proj.weight
            w = np.asarray(w, dtype=np.float64)
            pre, n_pre = proj.pre, proj.n_pre
            if k == 0 and p["encoder"] == "send_on_delta":
                u = scale_b * p["delta"] * w / lam[1]
                pre, n_pre = np.concatenate([pre, pre + n_pre]), 2 * n_pre
                post, weight = np.concatenate([proj.post, proj.post]), np.concatenate([u, -u])
            else:
                post, weight = proj.post, theta * w * lam[k] / lam[k + 1]
            node = connectivity_from_indices(
                pre, post, n_pre, proj.n_post, weight=weight,
                pre_layer=proj.pre_layer, post_layer=proj.post_layer,
            )  # fmt: skip
            if proj.bias is not None:
                bias = scale_b * np.asarray(proj.bias, dtype=np.float64) / lam[k + 1]
                node["bias"] = ("neuron", bias, {"long_name": "bias input (normalised)"})
            groups[f"connectivity/{proj.name}"] = node
        self._connectivity = new_result(
            "temporal.spiking_connectivity",
            params={"scales": self.scales_.tolist()},
            seed="none",
            source=self.source,
            groups=groups,
        )
        return self._connectivity

    def _network(self, period: Any):
        """The bridge's network, built once per fit (with its reset every ``period``)."""
        if self._brian2 is None:
            from neurosparse.bridges.brian2 import to_brian2

            p = self._params_
            self._brian2 = to_brian2(
                self.spiking_connectivity(),
                target=p["target"],
                on_unavailable=p["on_unavailable"],
                input="spikes",
                dt=p["dt"] * second,
                tau=p["tau"] * second,
                v_rest=0.0,
                v_threshold=p["v_threshold"],
                v_reset=0.0,
                refractory=p["refractory"] * second,
                reset_rule=p["reset_rule"],
                bias="current",
                input_synapse="sigma" if p["encoder"] == "send_on_delta" else "pulse",
                reset_every=period,
            )
        return self._brian2

    def _encode(
        self, x: np.ndarray, rng: np.random.Generator | None
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """All sequences back to back: (channel, step, steps per frame)."""
        p = self._params_
        m = _steps_per_frame(p["frame_duration"], p["dt"])
        n, f, n_pixels = x.shape
        if p["encoder"] == "poisson":
            channel, step = _poisson_events(x.reshape(n * f, n_pixels), p["max_rate"], m,
                                            p["dt"], rng)  # fmt: skip
        else:
            levels = _delta_levels(x, p["delta"])
            change = np.diff(levels, axis=1, prepend=0).reshape(n * f, n_pixels)
            channel, step = _delta_events(change, m, p["delta"])
        return channel, step, m

    def run(self, X: Any, *, seed: Any = None) -> xr.DataTree:
        """Simulate the sequences ``X``, back to back, each from the network's rest state.

        Parameters
        ----------
        X : array-like, shape (n_sequences, n_frames, n_pixels) or (n_sequences, n_frames, H, W)
        seed : int, numpy Generator, SeedSequence or None
            Seeds this run's Poisson spikes; None: draw them from the generator
            :meth:`fit` resolved from ``self.seed`` (successive runs then differ, and
            the sequence of runs repeats with the seed).

        Returns
        -------
        xarray.DataTree
            A result of kind ``temporal.spiking_run``: ``activity/spikes/<layer>`` for
            every layer, the input's events included (times in seconds along the
            concatenated run, ``duration`` its length); ``activity``: per ``sequence``
            its ``sequence_start``, ``sequence_stop`` (s), ``output_counts``
            (``sequence``, ``class``: output spikes in the readout window) and
            ``prediction``; ``connectivity``: the spiking network's
            (:meth:`spiking_connectivity`); ``metrics``: :func:`spike_measures` with
            ``bin = frame_duration``. Root attrs ``engine`` and ``target`` (the one
            that ran).
        """
        from neurosparse.results import new_result, spikes_to_dataset

        self._check_fitted()
        p = self._params_
        x = _sequences("X", X, self._chain_[0].n_pre)
        if p["encoder"] == "poisson":
            _check_unit_interval("X", x)
        if seed is None:
            record, rng = seed_attr(self._rng), self._rng
        else:
            record, rng = seed_attr(seed), resolve_rng(seed)
        n, f, _ = x.shape
        channel, step, m = self._encode(x, rng if p["encoder"] == "poisson" else None)
        dt = p["dt"]
        period, total = f * m, n * f * m
        reset = period * dt * second
        out = self._network(reset).run(
            total * dt * second, spikes=(channel, step * dt * second), reset_every=reset
        )
        connectivity = self.spiking_connectivity()
        n_in = int(connectivity[f"connectivity/{self._chain_[0].name}"].attrs["n_pre"])
        last = out[f"activity/spikes/{self.layers_[-1]}"]
        counts, whole = self._counts(last, m, n, f)
        prediction = _readout(counts, whole)
        seq = {"sequence": ("sequence", np.arange(n), {"long_name": "sequence index"})}
        start = np.arange(n) * period * dt
        groups: dict[str, Any] = {"activity": xr.Dataset(
            {
                "sequence_start": ("sequence", start,
                                   {"long_name": "start of the sequence", "units": "s"}),
                "sequence_stop": ("sequence", start + period * dt,
                                  {"long_name": "end of the sequence", "units": "s"}),
                "output_counts": (("sequence", "class"), counts,
                                  {"long_name": "output spikes in the readout window",
                                   "units": "1"}),
                "prediction": ("sequence", prediction, {"long_name": "predicted class"}),
            },
            coords=seq,
            attrs={"readout": p["readout"]},
        )}  # fmt: skip
        for name, node in connectivity["connectivity"].children.items():
            groups[f"connectivity/{name}"] = node.to_dataset()
        groups[f"activity/spikes/{self.layers_[0]}"] = spikes_to_dataset(
            channel, step * dt, n_in, units="s", duration=total * dt
        )
        for layer in self.layers_[1:]:
            groups[f"activity/spikes/{layer}"] = out[f"activity/spikes/{layer}"].to_dataset()
        params = {
            **self._result_params(),
            "n_sequences": n,
            "n_frames": f,
            "duration_s": total * dt,
            "scales": self.scales_.tolist(),
            "input_synapse": "sigma" if p["encoder"] == "send_on_delta" else "pulse",
            "brian2": json.loads(out.attrs["params"]),
        }
        tree = new_result("temporal.spiking_run", params=params, seed=record,
                          source=self.source, groups=groups)  # fmt: skip
        tree["metrics"] = xr.DataTree(dataset=spike_measures(tree, bin=p["frame_duration"]))
        tree.attrs["engine"] = out.attrs["engine"]
        tree.attrs["target"] = out.attrs["target"]
        self.run_result_ = tree
        return tree

    def _counts(self, node: Any, m: int, n: int, f: int) -> tuple[np.ndarray, np.ndarray]:
        """Output spikes per sequence and class: in the readout window, and overall."""
        n_classes = int(node.attrs["n_neurons"])
        neuron = node["neuron"].values.astype(np.int64)
        step = np.rint(node["time"].values / self._params_["dt"]).astype(np.int64)
        frame = np.minimum(step // m, n * f - 1)
        seq = frame // f
        whole = np.zeros((n, n_classes), dtype=np.int64)
        np.add.at(whole, (seq, neuron), 1)
        if self._params_["readout"] == "all":
            return whole, whole
        keep = frame % f == f - 1
        last = np.zeros((n, n_classes), dtype=np.int64)
        np.add.at(last, (seq[keep], neuron[keep]), 1)
        return last, whole

    def predict(self, X: Any) -> np.ndarray:
        """The class of each sequence (``readout``), from a :meth:`run`.

        Returns
        -------
        ndarray of int64, shape (n_sequences,)
        """
        return self.run(X)["activity"]["prediction"].values

    def score(self, X: Any, y: Any) -> float:
        """Accuracy of :meth:`predict` against the labels ``y`` (one per sequence)."""
        pred = self.predict(X)
        y = check_array("y", y, ndim=1, dtype=None)
        if y.shape != pred.shape:
            raise ValueError(f"y must have one label per sequence ({pred.size}), got {y.size}")
        return float(np.mean(pred == y))

    # --------------------------------------------------------------------- the contract
    def _result_params(self) -> dict[str, Any]:
        params = super()._result_params()
        ann = self.ann
        if isinstance(ann, xr.DataTree):
            params["ann_kind"] = str(ann.attrs.get("kind", ""))
        return params

    def _result_groups(self) -> dict[str, Any]:
        """``connectivity``: the ANN's projections (as given); ``state``: ``scale``
        (:math:`\\lambda_l`) along ``layer``; after a :meth:`run`, its ``activity`` and
        ``metrics``."""
        from neurosparse.results import connectivity_from_indices

        groups: dict[str, Any] = {}
        for proj in self._chain_:
            node = connectivity_from_indices(
                proj.pre, proj.post, proj.n_pre, proj.n_post, weight=proj.weight,
                pre_layer=proj.pre_layer, post_layer=proj.post_layer,
            )  # fmt: skip
            if proj.bias is not None:
                node["bias"] = ("neuron", np.asarray(proj.bias),
                                {"long_name": "bias of each postsynaptic unit"})  # fmt: skip
            groups[f"connectivity/{proj.name}"] = node
        groups["state"] = xr.Dataset(
            {
                "scale": ("layer", self.scales_, {
                    "long_name": "activation scale: percentile of the layer's positive ANN "
                                 "activations (input: 1)", "units": "1"}),
            },
            coords={"layer": ("layer", np.asarray(self.layers_, dtype=str),
                              {"long_name": "layer"})},
        )  # fmt: skip
        if hasattr(self, "run_result_"):
            run = self.run_result_
            groups["activity"] = run["activity"].copy()
            groups["metrics"] = run["metrics"].to_dataset()
        return groups

    @classmethod
    def _from_params(cls, params: dict[str, Any], tree: Any) -> SpikingNetwork:
        from neurosparse._validation import seed_from_attr
        from neurosparse.results import new_result

        ann = new_result(
            params.get("ann_kind") or "temporal.ann",
            seed="none",
            source=str(tree.attrs.get("source", "")),
            groups={
                f"connectivity/{name}": node.to_dataset()
                for name, node in tree["connectivity"].children.items()
            },
        )
        names = cls._param_names()
        kwargs = {k: v for k, v in params.items() if k in names and k != "ann"}
        return cls(ann, **kwargs, seed=seed_from_attr(tree.attrs["seed"]))

    def _restore(self, tree: Any) -> None:
        p = self._validate_params()
        self._params_ = p
        self._chain_ = self._chain()
        self._brian2 = self._connectivity = None
        self._rng = resolve_rng(self.seed)
        self.layers_ = [str(v) for v in tree["state"]["layer"].values]
        self.scales_ = tree["state"]["scale"].values.astype(np.float64)

    @classmethod
    def _conformance_example(cls, seed: int = 0) -> tuple[SpikingNetwork, tuple]:
        ann, X = _tiny_ann()
        model = cls(ann, frame_duration=0.01, dt=5e-4, max_rate=400.0, seed=seed)
        return model, (X,)


def _forward(chain: list, x: np.ndarray) -> list[np.ndarray]:
    """The ANN's ReLU activations of every layer after the input (the output's through
    a ReLU too), from the projections' weights and biases (sparse products)."""
    from scipy import sparse

    out = []
    a = x
    for proj in chain:
        w = np.ones(proj.n_synapses) if proj.weight is None else proj.weight
        mat = sparse.csr_matrix(
            (np.asarray(w, dtype=np.float64), (proj.post, proj.pre)),
            shape=(proj.n_post, proj.n_pre),
        )
        z = np.asarray((mat @ a.T).T)
        if proj.bias is not None:
            z = z + np.asarray(proj.bias, dtype=np.float64)
        a = np.maximum(z, 0.0)
        out.append(a)
    return out


def _readout(counts: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """Argmax of ``counts`` per row, ties broken by ``whole``, then the lowest index."""
    n, k = counts.shape
    if k == 0:
        return np.zeros(n, dtype=np.int64)
    key = counts.astype(np.float64) * (whole.max(initial=0) + 1) + whole
    return np.argmax(key, axis=1).astype(np.int64)


def _tiny_ann() -> tuple[xr.DataTree, np.ndarray]:
    """A 2-layer ReLU network (4 pixels -> 3 -> 2) and sample sequences, for the
    conformance suite: the output class is the brighter half of the frame."""
    from neurosparse.results import connectivity_from_mask, new_result

    w1 = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0], [0.5, 0.5, 0.5, 0.5]])
    w2 = np.array([[1.0, -1.0, 0.0], [-1.0, 1.0, 0.0]])
    groups = {}
    for i, (w, pre, post) in enumerate(((w1, "input", "hidden"), (w2, "hidden", "output"))):
        node = connectivity_from_mask(w != 0, weight=w, pre_layer=pre, post_layer=post)
        node["bias"] = ("neuron", np.zeros(w.shape[0]), {"long_name": "bias"})
        groups[f"connectivity/layer_{i}"] = node
    ann = new_result("temporal.tiny_ann", seed="none", source="test network", groups=groups)
    X = np.array(
        [
            [[0.9, 0.8, 0.1, 0.0], [1.0, 0.7, 0.0, 0.1]],
            [[0.1, 0.0, 0.8, 0.9], [0.0, 0.2, 0.9, 1.0]],
        ]
    )
    return ann, X
