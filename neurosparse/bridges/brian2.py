r"""Connectivity into brian2: a spiking network of LIF layers, run into the result format.

:func:`to_brian2` reads a result's projections (:func:`neurosparse.bridges.projections`,
feed-forward order) and builds a :class:`Brian2Network` around a ``brian2.Network``:

- the **input layer** (the first projection's ``pre_layer``) is a
  ``SpikeGeneratorGroup`` (``input="spikes"``: indices and times given to
  :meth:`Brian2Network.run`) or a ``PoissonGroup`` (``input="poisson"``: rates given to
  :meth:`~Brian2Network.run`);
- every **later layer** is a ``NeuronGroup`` of leaky integrate-and-fire units with a
  dimensionless membrane potential

  .. math::

     \tau \frac{dv}{dt} = v_\mathrm{rest} - v \;(+\, b_i), \qquad
     v > v_\mathrm{threshold} \Rightarrow \text{spike},\; v \leftarrow v_\mathrm{reset},

  held at :math:`v_\mathrm{reset}` for the ``refractory`` period after a spike
  (brian2: ``dv/dt = (v_rest - v)/tau : 1 (unless refractory)``, ``threshold="v >
  v_threshold"``, ``reset="v = v_reset"``, integrated with ``method="exact"``), starting
  at :math:`v = v_\mathrm{rest}`; :math:`b_i` is the projection's ``bias``, a constant
  input (``bias="current"``, the default: ``bias : 1 (constant)`` per unit), or left
  out (``bias="ignore"``). With ``reset_rule="subtract"`` a spike lowers the potential
  by the distance from reset to threshold instead, :math:`v \leftarrow v -
  (v_\mathrm{threshold} - v_\mathrm{reset})` (``reset="v -= v_threshold - v_reset"``),
  keeping the overshoot: the "reset by subtraction" of rate-coded conversions
  (Rueckauer et al. 2017), whose rate is the input drift over the threshold distance
  without the loss of the overshoot;
- every **projection** is a ``Synapses`` object connected with ``connect(i=pre,
  j=post)`` from the synapse list (no dense ``n_post x n_pre`` array is made on the way),
  ``w : 1`` set to ``weight_scale * weight`` (``weight_scale`` where the node has no
  weights), ``on_pre="v_post += w"``: a presynaptic spike moves the postsynaptic
  potential by ``w`` at once (no delay).

**The input projection's synapse** (``input_synapse``). ``"pulse"`` (the default) is the
rule above for the first projection too. ``"sigma"`` makes the first LIF layer a
*sigma-delta receiver*: its units get a persistent input current :math:`I_i` (``I : 1``,
no decay), the first projection adds to it (``on_pre="I_post += w"``) and

.. math::

   \tau \frac{dv_i}{dt} = v_\mathrm{rest} - v_i + I_i \;(+\, b_i), \qquad
   I_i(t) = \sum_j w_{ij}\, n_j(t),

with :math:`n_j(t)` the number of events input unit :math:`j` has sent by time
:math:`t` (brian2: ``dv/dt = (v_rest - v + I)/tau : 1 (unless refractory)``, ``I : 1``).
With send-on-delta input (:func:`neurosparse.temporal.spiking.send_on_delta_encode`):
ON channel :math:`j` and OFF channel :math:`j + n` of pixel :math:`j` with weights
:math:`+\delta W_{ij}` and :math:`-\delta W_{ij}`, :math:`I = W \hat x` where
:math:`\hat x = \delta\,(n_\mathrm{ON} - n_\mathrm{OFF})` is the sender's reference,
within :math:`\delta` of the input :math:`x`. The layer then fires at a rate set by the
current input *level* (for :math:`I + b > v_\mathrm{threshold} - v_\mathrm{rest}`, the
LIF rate :math:`1/(t_\mathrm{ref} + \tau \ln\frac{I + b + v_\mathrm{rest} - v_\mathrm{reset}}
{I + b + v_\mathrm{rest} - v_\mathrm{threshold}})`), not by the number of events: a
constant input sends no events and still drives the layer. Later projections stay
``"pulse"``.

**Trials back to back** (``reset_every`` of :meth:`Brian2Network.run`): every LIF layer
is put back to its initial state (``v = v_rest``, ``I = 0``, not refractory) at
:math:`t = k \cdot` ``reset_every`` (``run_regularly(..., when="start")``, before the
step's update), so one run simulates independent trials one after the other and a
standalone build serves them all; the spikes are those of separate runs from the initial
state, each shifted by its start time (as long as no input spike is still in flight:
the synapses have no delay).

:meth:`Brian2Network.run` simulates from the initial state and returns the spikes of every
LIF layer (and of the input layer with ``record_input=True``) as a result (kind
``bridges.brian2_run``), under ``activity/spikes/<layer>``.

Runtime targets (``target``): ``"numpy"`` (default, no compiler), ``"cython"`` (compiled
on first use, cached by brian2) and ``"cpp_standalone"`` (a C++ project compiled once
per duration, input kind, seed and reset period, and run again with new Poisson rates
through ``device.run(run_args=...)``; new input spikes need a new build, since brian2 2.9
cannot set a ``SpikeGeneratorGroup``'s spikes by ``run_args``, written into the same
project with the same object names, so that the compiler redoes only what changed: the
spikes' data, and the objects file where their number or the duration changed. brian2's
standalone device is global state, so the bridge uses a device of its own and puts the
previous device back after every build and run).
A target that cannot be used here falls back to ``"numpy"`` with a warning naming the
reason (``on_unavailable="fallback"``) or raises ``RuntimeError``
(``on_unavailable="raise"``); the result records the target that ran.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import numbers
import os
import re
import shutil
import tempfile
import warnings
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from neurosparse._validation import (
    check_array,
    check_bool,
    check_choice,
    check_real,
    seed_attr,
)
from neurosparse.bridges._graph import Projection, projections

try:
    import brian2 as b2
    from brian2 import Hz, Quantity, ms, second
except ImportError as exc:  # pragma: no cover - brian2 is a core dependency
    raise ModuleNotFoundError(
        "neurosparse.bridges.brian2 needs brian2; install it with `pip install brian2`",
        name="brian2",
    ) from exc

__all__ = [
    "DEFAULTS",
    "INPUTS",
    "INPUT_SYNAPSES",
    "RESET_RULES",
    "TARGETS",
    "Brian2Network",
    "to_brian2",
]

#: The runtime targets :func:`to_brian2` knows.
TARGETS = ("numpy", "cython", "cpp_standalone")

#: The input layer's forms.
INPUTS = ("spikes", "poisson")

#: The input projection's synapse rules (module docstring).
INPUT_SYNAPSES = ("pulse", "sigma")

#: The LIF parameters and their defaults (time constants as brian2 quantities,
#: potentials dimensionless).
DEFAULTS: dict[str, Any] = {
    "tau": 20 * ms,
    "v_rest": 0.0,
    "v_threshold": 1.0,
    "v_reset": 0.0,
    "refractory": 2 * ms,
}

_TIMES = ("tau", "refractory")
_EQS = "dv/dt = (v_rest - v)/tau : 1 (unless refractory)"
_EQS_BIAS = "dv/dt = (v_rest - v + bias)/tau : 1 (unless refractory)\nbias : 1 (constant)"
_EQS_SIGMA = "dv/dt = (v_rest - v + I)/tau : 1 (unless refractory)\nI : 1"
_EQS_SIGMA_BIAS = (
    "dv/dt = (v_rest - v + I + bias)/tau : 1 (unless refractory)\nI : 1\nbias : 1 (constant)"
)
_ON_PRE = {"pulse": "v_post += w", "sigma": "I_post += w"}
#: The reset rules (module docstring).
RESET_RULES = {"set": "v = v_reset", "subtract": "v -= v_threshold - v_reset"}


def _check_time(name: str, value: Any, *, positive: bool = True, zero_ok: bool = False) -> Any:
    """A brian2 time quantity (scalar), finite, > 0 (or >= 0 with ``zero_ok``)."""
    if not isinstance(value, Quantity) or value.dim != second.dim or np.ndim(value) != 0:
        raise TypeError(f"{name} must be a brian2 time quantity such as 20*ms, got {value!r}")
    seconds = float(value / second)
    if not np.isfinite(seconds):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and (seconds < 0 or (seconds == 0 and not zero_ok)):
        bound = ">= 0" if zero_ok else "> 0"
        raise ValueError(f"{name} must be a time {bound}, got {value!r}")
    return value


def _check_neuron_params(where: str, params: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in params.items():
        if key not in DEFAULTS:
            raise ValueError(
                f"{where}: unknown neuron parameter {key!r}; allowed are "
                f"{', '.join(map(repr, DEFAULTS))}"
            )
        if key in _TIMES:
            out[key] = _check_time(key, value, zero_ok=key == "refractory")
        else:
            out[key] = check_real(key, value)
    return out


def _identifier(name: str) -> str:
    """A brian2 object name from a layer or projection name."""
    text = re.sub(r"\W", "_", name)
    return "ns_" + text


def _cpp_compiler() -> str | None:
    """The reason a C++ compiler cannot be used, or None."""
    names = [os.environ.get("CXX", ""), "c++", "g++", "clang++"]
    if not any(n and shutil.which(n) for n in names):
        return "no C++ compiler (c++, g++ or clang++) on the PATH"
    return None


def _target_unavailable(target: str) -> str | None:
    """Why ``target`` cannot run here, or None."""
    if target == "numpy":
        return None
    reason = _cpp_compiler()
    if reason is not None:
        return reason
    if target == "cython":
        try:
            from brian2.codegen.runtime.cython_rt import CythonCodeObject

            if not CythonCodeObject.is_available():
                return "brian2 cannot compile Cython code here (is Cython installed?)"
        except Exception as exc:  # any failure means: not available
            return f"brian2's Cython runtime failed to load ({exc})"
    return None


@contextlib.contextmanager
def _codegen_target(target: str) -> Iterator[None]:
    """``prefs.codegen.target`` set to ``target`` inside, put back on exit."""
    previous = b2.prefs.codegen.target
    b2.prefs.codegen.target = target
    try:
        yield
    finally:
        b2.prefs.codegen.target = previous


def _brian2_seed(seed: Any) -> tuple[int | None, Any]:
    """``(seed for brian2.seed, record for the result)`` from an entry point's ``seed``."""
    if seed is None:
        return None, seed_attr(None)
    record = seed_attr(seed)  # before anything draws; raises for bad types
    if isinstance(seed, numbers.Integral):
        if not 0 <= int(seed) < 2**32:
            raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
        return int(seed), record
    rng = np.random.default_rng(seed)
    return int(rng.integers(2**32)), record


def _spikes_node(neuron: np.ndarray, time: np.ndarray, n_neurons: int, duration: float) -> Any:
    """A layer's spikes as a result node (:func:`~neurosparse.results.spikes_to_dataset`;
    a silent layer has none)."""
    from neurosparse.results import spikes_to_dataset

    return spikes_to_dataset(neuron, time, n_neurons, units="s", duration=duration)


class Brian2Network:
    """A brian2 network built from a result's projections (made by :func:`to_brian2`).

    Attributes
    ----------
    network : brian2.Network
        The network of the current build (for ``"cpp_standalone"``: set by the first
        :meth:`run`, since the standalone code is written for one duration).
    groups : dict of str to brian2 group
        Layer name -> its group: the input layer's ``SpikeGeneratorGroup`` or
        ``PoissonGroup``, the other layers' ``NeuronGroup``.
    synapses : dict of str to brian2.Synapses
        Projection name -> its ``Synapses`` (variables ``w``; ``i``, ``j`` the indices).
    monitors : dict of str to brian2.SpikeMonitor
    layers : list of str
        Layer names in feed-forward order, input first.
    target : str
        The runtime target that runs (after any fallback); ``requested_target`` the one
        asked for.
    input : {"spikes", "poisson"}
        The input layer's current form.
    input_synapse : {"pulse", "sigma"}
        The first projection's synapse rule (module docstring).
    reset_rule : {"set", "subtract"}
        What a spike does to ``v`` (module docstring).
    """

    def __init__(
        self,
        chain: list[Projection],
        *,
        target: str,
        requested_target: str,
        dt: Any,
        neuron_params: dict[str, dict[str, Any]],
        weight_scale: float,
        bias: str,
        input: str,
        record_input: bool,
        input_synapse: str = "pulse",
        reset_every: Any = None,
        reset_rule: str = "set",
        on_unavailable: str,
        directory: str | None,
        source: str,
        kind: str | None,
    ) -> None:
        self._chain = chain
        self.layers = [chain[0].pre_layer] + [p.post_layer for p in chain]
        self.sizes = {chain[0].pre_layer: chain[0].n_pre}
        self.sizes.update({p.post_layer: p.n_post for p in chain})
        self.target = target
        self.requested_target = requested_target
        self.dt = dt
        self.neuron_params = neuron_params
        self.weight_scale = weight_scale
        self.bias = bias
        self.input = input
        self.record_input = record_input
        self.input_synapse = input_synapse
        self.reset_rule = reset_rule
        self._reset_every: int | None = None  # in steps of dt, as built
        reset = self._check_reset(reset_every)
        self._on_unavailable = on_unavailable
        self._source = source
        self._result_kind = kind
        self._directory = directory
        self._device = None
        self._build_key: tuple | None = None
        self._stored = False
        self.network: Any = None
        self.groups: dict[str, Any] = {}
        self.synapses: dict[str, Any] = {}
        self.monitors: dict[str, Any] = {}
        if target != "cpp_standalone":
            with _codegen_target(target):
                self._build(input, reset_every=reset)

    # ------------------------------------------------------------------ building
    def _equations(self, layer: str, bias: bool) -> str:
        """The LIF equations of ``layer`` (the sigma-delta receiver's for the first LIF
        layer under ``input_synapse="sigma"``)."""
        if self.input_synapse == "sigma" and layer == self.layers[1]:
            return _EQS_SIGMA_BIAS if bias else _EQS_SIGMA
        return _EQS_BIAS if bias else _EQS

    def _build(
        self, input: str, spikes: tuple | None = None, reset_every: int | None = None
    ) -> None:
        """Create every brian2 object (under whatever device is active); with
        ``reset_every`` (steps), the LIF layers' periodic reset."""
        chain = self._chain
        clock = b2.Clock(dt=self.dt, name="ns_clock*")
        first = self.layers[0]
        n_in = self.sizes[first]
        name = _identifier(first) + "*"
        if input == "spikes":
            idx, times = spikes if spikes is not None else (np.zeros(0, np.int64), [] * second)
            inp = b2.SpikeGeneratorGroup(n_in, idx, times, clock=clock, name=name)
        else:
            inp = b2.PoissonGroup(n_in, np.zeros(n_in) * Hz, clock=clock, name=name)
        groups = {first: inp}
        biases = {p.post_layer: p.bias for p in chain}
        for layer in self.layers[1:]:
            par = self.neuron_params[layer]
            bias = biases[layer] if self.bias == "current" else None
            group = b2.NeuronGroup(
                self.sizes[layer],
                self._equations(layer, bias is not None),
                threshold="v > v_threshold",
                reset=RESET_RULES[self.reset_rule],
                refractory=par["refractory"],
                method="exact",
                namespace={k: par[k] for k in ("tau", "v_rest", "v_threshold", "v_reset")},
                clock=clock,
                name=_identifier(layer) + "*",
            )
            group.v = par["v_rest"]
            if bias is not None:
                group.bias = np.asarray(bias, dtype=np.float64)
            groups[layer] = group
        if reset_every is not None:
            # two steps: brian2 writes an "(unless refractory)" variable only where
            # not_refractory holds (a unit that spiked in the step before the reset
            # still has it False), so the refractory state is cleared first
            period = reset_every * self.dt
            for layer in self.layers[1:]:
                group = groups[layer]
                code = "lastspike = -1e4*second\nnot_refractory = True"
                if "I" in group.variables:
                    code += "\nI = 0"
                group.run_regularly(
                    code, dt=period, when="start", order=0, name=f"{group.name}_unrefractory"
                )
                group.run_regularly(
                    "v = v_rest", dt=period, when="start", order=1, name=f"{group.name}_reset"
                )
        synapses = {}
        for p in chain:
            syn = b2.Synapses(
                groups[p.pre_layer],
                groups[p.post_layer],
                model="w : 1",
                on_pre=_ON_PRE[self.input_synapse if p is chain[0] else "pulse"],
                namespace={},
                clock=clock,
                name=_identifier(p.name) + "*",
            )
            if p.n_synapses:
                syn.connect(i=p.pre, j=p.post)
                if p.weight is None:
                    syn.w = self.weight_scale
                elif self.weight_scale == 1.0:
                    syn.w = np.asarray(p.weight, dtype=np.float64)
                else:
                    syn.w = self.weight_scale * np.asarray(p.weight, dtype=np.float64)
            else:  # a projection without synapses: kept, inactive (brian2 refuses it active)
                syn.active = False
            synapses[p.name] = syn
        monitors = {
            layer: b2.SpikeMonitor(g, record=True, name=f"{g.name}_spikes")
            for layer, g in groups.items()
            if layer != first or self.record_input
        }
        self.groups, self.synapses, self.monitors = groups, synapses, monitors
        # (the resets are contained in their groups: the network adds them)
        self.network = b2.Network(*groups.values(), *synapses.values(), *monitors.values())
        self.input = input
        self._reset_every = reset_every
        self._stored = False

    # ------------------------------------------------------------------ running
    def _check_input(self, spikes: Any, rates: Any) -> tuple[str, Any]:
        n_in = self.sizes[self.layers[0]]
        if (spikes is None) == (rates is None):
            raise ValueError(
                "give the input layer exactly one of spikes=(indices, times) (a "
                "SpikeGeneratorGroup) or rates= (a PoissonGroup), got "
                + ("both" if spikes is not None else "neither")
            )
        if spikes is not None:
            if not isinstance(spikes, tuple | list) or len(spikes) != 2:
                raise TypeError(
                    f"spikes must be a pair (indices, times), got {type(spikes).__name__}"
                )
            idx = check_array("spikes indices", spikes[0], ndim=1, dtype=None, empty_ok=True)
            if idx.size and idx.dtype.kind not in "iu":
                raise TypeError(f"spikes indices must be integers, got dtype {idx.dtype}")
            idx = idx.astype(np.int64)
            times = spikes[1]
            if not isinstance(times, Quantity) or times.dim != second.dim:
                raise TypeError(
                    "spikes times must be a brian2 time quantity (e.g. times*ms), got "
                    f"{type(times).__name__}"
                )
            t = np.atleast_1d(np.asarray(times / second, dtype=np.float64))
            if t.shape != idx.shape:
                raise ValueError(
                    f"spikes indices and times must have the same length, got {idx.size} "
                    f"and {t.size}"
                )
            if idx.size and (idx.min() < 0 or idx.max() >= n_in):
                raise ValueError(
                    f"spikes indices must lie in [0, {n_in}) (the input layer "
                    f"{self.layers[0]!r} has {n_in} units), got [{idx.min()}, {idx.max()}]"
                )
            if t.size and (not np.all(np.isfinite(t)) or t.min() < 0):
                raise ValueError("spikes times must be finite and >= 0")
            return "spikes", (idx, t)
        if not isinstance(rates, Quantity) or rates.dim != Hz.dim:
            raise TypeError(
                f"rates must be a brian2 rate quantity (e.g. 20*Hz), got {rates!r}"[:200]
            )
        r = np.asarray(rates / Hz, dtype=np.float64)
        if r.ndim > 1 or (r.ndim == 1 and r.size != n_in):
            raise ValueError(
                f"rates must be one rate or one per input unit ({n_in}, layer "
                f"{self.layers[0]!r}), got shape {r.shape}"
            )
        if not np.all(np.isfinite(r)) or np.any(r < 0):
            raise ValueError("rates must be finite and >= 0 Hz")
        return "poisson", np.broadcast_to(r, (n_in,)).copy()

    def run(
        self,
        duration: Any,
        *,
        spikes: tuple[Any, Any] | None = None,
        rates: Any = None,
        seed: Any = None,
        reset_every: Any = None,
    ) -> Any:
        """Simulate ``duration`` from the initial state; the spikes of every layer.

        Parameters
        ----------
        duration : brian2 time quantity
            How long to simulate (``>= 0``), e.g. ``1 * second``.
        spikes : (array of int, brian2 time quantity), optional
            Input spikes: indices into the input layer and their times, for a
            ``SpikeGeneratorGroup``.
        rates : brian2 rate quantity, optional
            One rate or one per input unit, for a ``PoissonGroup``. Give exactly one of
            ``spikes`` and ``rates``; the network switches its input form (rebuilding
            itself) when the other one was built.
        seed : int, numpy Generator, SeedSequence or None
            Applied with ``brian2.seed`` before the run (a Generator or SeedSequence
            draws the integer given to brian2); the same seed gives the same spikes.
            None: fresh entropy.
        reset_every : brian2 time quantity, optional
            Put every LIF layer back to its initial state (``v = v_rest``, ``I = 0``,
            not refractory) at every multiple of this period (a whole number of ``dt``,
            ``> 0``): independent trials back to back in one run (module docstring).
            A network built with another period (or none) rebuilds itself (a
            ``"cpp_standalone"`` one compiles again).

        Returns
        -------
        xarray.DataTree
            A result of kind ``bridges.brian2_run``: ``activity/spikes/<layer>`` per
            recorded layer (``neuron``, ``time`` in seconds, along ``spike``; attrs
            ``n_neurons``, ``duration``), ``inputs/rates`` for Poisson input; root attrs
            ``engine`` and ``target``, the parameters in ``params`` (``input_synapse``;
            ``reset_every_s``, None without resets).
        """
        from neurosparse.results import new_result

        duration = _check_time("duration", duration, zero_ok=True)
        kind, data = self._check_input(spikes, rates)
        reset = self._check_reset(reset_every)
        brian_seed, seed_record = _brian2_seed(seed)
        try:
            if self.target == "cpp_standalone":
                spikes_out = self._run_standalone(duration, kind, data, brian_seed, reset)
            else:
                spikes_out = self._run_runtime(duration, kind, data, brian_seed, reset)
        except Exception as exc:
            if self.target == "numpy":
                raise
            reason = f"{type(exc).__name__}: {exc}"
            if self._on_unavailable == "raise":
                raise RuntimeError(
                    f"target {self.target!r} failed to build or run ({reason})"
                ) from exc
            warnings.warn(
                f"target {self.target!r} failed to build or run ({reason}); falling back "
                "to 'numpy'",
                RuntimeWarning,
                stacklevel=2,
            )
            self.target = "numpy"
            with _codegen_target("numpy"):
                self._build(kind, reset_every=reset)
            spikes_out = self._run_runtime(duration, kind, data, brian_seed, reset)
        seconds = float(duration / second)
        groups = {
            f"activity/spikes/{layer}": _spikes_node(i, t, self.sizes[layer], seconds)
            for layer, (i, t) in spikes_out.items()
        }
        if kind == "poisson":
            import xarray as xr

            groups["inputs"] = xr.Dataset(
                {"rates": ("neuron", data, {"long_name": "Poisson input rate", "units": "Hz"})}
            )
        params = self._params(seconds, kind, brian_seed)
        params["reset_every_s"] = None if reset is None else reset * float(self.dt / second)
        tree = new_result(
            self._result_kind or "bridges.brian2_run",
            params=params,
            seed=seed_record,
            source=self._source,
            groups=groups,
        )
        tree.attrs["engine"] = f"brian2 {b2.__version__}"
        tree.attrs["target"] = self.target
        return tree

    def _check_reset(self, reset_every: Any) -> int | None:
        """``reset_every`` as a whole number of steps of ``dt`` (None: no reset)."""
        if reset_every is None:
            return None
        _check_time("reset_every", reset_every)
        steps = float(reset_every / self.dt)
        if round(steps) < 1 or abs(steps - round(steps)) > 1e-6 * max(steps, 1.0):
            raise ValueError(
                f"reset_every must be a whole number of time steps dt={self.dt!r} (> 0), "
                f"got {reset_every!r}"
            )
        return round(steps)

    def _params(self, seconds: float, kind: str, brian_seed: int | None) -> dict[str, Any]:
        neuron = {
            layer: {k: (float(v / second) if k in _TIMES else float(v)) for k, v in par.items()}
            for layer, par in self.neuron_params.items()
        }
        sigma = self.input_synapse == "sigma"
        return {
            "engine": "brian2",
            "brian2_version": b2.__version__,
            "target": self.target,
            "requested_target": self.requested_target,
            "duration_s": seconds,
            "dt_s": float(self.dt / second),
            "input": kind,
            "record_input": self.record_input,
            "layers": self.layers,
            "sizes": [self.sizes[layer] for layer in self.layers],
            "projections": [p.name for p in self._chain],
            "model": _EQS if self.bias == "ignore" else _EQS_BIAS,
            "threshold": "v > v_threshold",
            "reset": RESET_RULES[self.reset_rule],
            "neuron_params_s": neuron,
            "weight_scale": self.weight_scale,
            "bias": self.bias,
            "brian2_seed": brian_seed,
            "input_synapse": self.input_synapse,
            "input_on_pre": _ON_PRE[self.input_synapse],
            "input_layer_model": self._equations(self.layers[1], self.bias == "current")
            if sigma
            else None,
        }

    def _collect(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return {
            layer: (np.asarray(m.i[:], dtype=np.int64), np.asarray(m.t_[:], dtype=np.float64))
            for layer, m in self.monitors.items()
        }

    def _run_runtime(self, duration, kind, data, brian_seed, reset=None):
        with _codegen_target(self.target):
            if kind != self.input or reset != self._reset_every:
                self._build(kind, reset_every=reset)
            if self._stored:
                self.network.restore("neurosparse_initial")
            else:
                self.network.store("neurosparse_initial")
                self._stored = True
            inp = self.groups[self.layers[0]]
            if kind == "spikes":
                idx, t = data
                inp.set_spikes(idx, t * second)
            else:
                inp.rates = data * Hz
            b2.seed(brian_seed)
            self.network.run(duration, namespace={})
            return self._collect()

    # ---------------------------------------------------------------- standalone
    def _run_standalone(self, duration, kind, data, brian_seed, reset=None):
        from brian2.devices.cpp_standalone.device import CPPStandaloneDevice
        from brian2.devices.device import reset_device, set_device

        steps = round(float(duration / self.dt))
        key: tuple = (steps, kind, brian_seed, reset)
        if kind == "spikes":  # brian2 2.9 cannot set a SpikeGeneratorGroup's spikes by run_args
            key += (hashlib.sha1(data[0].tobytes() + data[1].tobytes()).hexdigest(),)
        if self._build_key != key:
            if self._directory is None:
                self._directory = tempfile.mkdtemp(prefix="neurosparse_brian2_")
                weakref.finalize(self, shutil.rmtree, self._directory, True)
            # drop the previous build's objects first, so that the new ones take the same
            # names: the project's code then stays the same where the network does, and
            # the compiler only redoes what changed (new input spikes: their data)
            self.network, self.groups, self.synapses, self.monitors = None, {}, {}, {}
            self._device = None
            gc.collect()
            self._device = CPPStandaloneDevice()
            set_device(self._device, build_on_run=False)
            try:
                self._build(
                    kind,
                    spikes=(data[0], data[1] * second) if kind == "spikes" else None,
                    reset_every=reset,
                )
                if brian_seed is not None:
                    b2.seed(brian_seed)
                self.network.run(duration, namespace={})
                self._device.build(
                    directory=self._directory, compile=True, run=False, with_output=False
                )
            except Exception:
                self._build_key = None
                raise
            finally:
                reset_device()
            self._build_key = key
        inp = self.groups[self.layers[0]]
        run_args = {inp.rates: data * Hz} if kind == "poisson" else None
        set_device(self._device, build_on_run=False)
        try:
            self._device.run(directory=self._directory, with_output=False, run_args=run_args)
            return self._collect()
        finally:
            reset_device()

    def __repr__(self) -> str:
        sizes = " -> ".join(f"{layer}({self.sizes[layer]})" for layer in self.layers)
        return f"Brian2Network({sizes}, target={self.target!r}, input={self.input!r})"


def to_brian2(
    result: Any,
    *,
    names: list[str] | tuple[str, ...] | None = None,
    target: str = "numpy",
    on_unavailable: str = "fallback",
    input: str = "spikes",
    record_input: bool = False,
    dt: Any = 0.1 * ms,
    tau: Any = DEFAULTS["tau"],
    v_rest: float = DEFAULTS["v_rest"],
    v_threshold: float = DEFAULTS["v_threshold"],
    v_reset: float = DEFAULTS["v_reset"],
    refractory: Any = DEFAULTS["refractory"],
    layer_params: Mapping[str, Mapping[str, Any]] | None = None,
    weight_scale: float = 1.0,
    bias: str = "current",
    directory: str | os.PathLike | None = None,
    input_synapse: str = "pulse",
    reset_every: Any = None,
    reset_rule: str = "set",
) -> Brian2Network:
    r"""A brian2 spiking network from a result's projections.

    Each layer after the input is a group of LIF units (module docstring),

    .. math::

       \frac{dv}{dt} = \frac{v_\mathrm{rest} - v\,(+\,b_i)}{\tau}, \quad
       v > v_\mathrm{threshold}:\ \text{spike},\ v \leftarrow v_\mathrm{reset},\
       \text{then refractory},

    each projection a ``Synapses`` with ``w : 1`` and ``on_pre="v_post += w"`` (the
    first one, with ``input_synapse="sigma"``, ``on_pre="I_post += w"`` into a
    persistent input current ``I`` of the first LIF layer).

    Parameters
    ----------
    result : xarray.DataTree or path-like
        Any result with a ``connectivity`` group whose projections form one chain (or
        choose them with ``names``).
    names : sequence of str, optional
        Projections to use, in order (default: all, in feed-forward order).
    target : {"numpy", "cython", "cpp_standalone"}
        brian2's runtime target. ``"cpp_standalone"`` writes and compiles a C++ project
        at the first :meth:`~Brian2Network.run` (into ``directory``) and reuses it for
        runs of the same duration, input form and seed (and the same input spikes).
    on_unavailable : {"fallback", "raise"}
        When ``target`` cannot be used here (no compiler, no Cython): fall back to
        ``"numpy"`` with a warning naming the reason, or raise ``RuntimeError``.
    input : {"spikes", "poisson"}
        The input layer built now: a ``SpikeGeneratorGroup`` or a ``PoissonGroup``
        (a run given the other kind of input rebuilds the network).
    record_input : bool
        Also record the input layer's spikes (a ``SpikeMonitor`` on it; off by default,
        since the input is given, and a monitor costs time every step).
    dt : brian2 time quantity
        Time step of every group (default ``0.1*ms``), on a clock of the network's own
        (``defaultclock`` is left alone).
    tau, refractory : brian2 time quantity
        Membrane time constant (default ``20*ms``) and refractory period (``2*ms``).
    v_rest, v_threshold, v_reset : float
        Resting potential (0), firing threshold (1), reset potential (0), dimensionless.
    layer_params : mapping of str to mapping, optional
        Per-layer overrides of ``tau``, ``v_rest``, ``v_threshold``, ``v_reset``,
        ``refractory``, by layer name, e.g. ``{"output": {"tau": 10*ms}}``.
    weight_scale : float
        Multiplies every weight (and is the weight where a node has none).
    bias : {"current", "ignore"}
        A projection's ``bias`` as a constant input in its target layer's equation
        (``dv/dt = (v_rest - v + bias)/tau``), or left out.
    directory : path-like, optional
        Where ``"cpp_standalone"`` writes its project (default: a temporary directory
        removed with the network).
    input_synapse : {"pulse", "sigma"}
        The first projection's synapse: ``"pulse"`` (``v_post += w``, as every other
        projection) or ``"sigma"``: the first LIF layer integrates a persistent input
        current, ``dv/dt = (v_rest - v + I [+ bias])/tau``, ``I : 1``, which each input
        event moves by its weight (``I_post += w``): a sigma-delta receiver for signed
        send-on-delta events (module docstring).
    reset_every : brian2 time quantity, optional
        The periodic reset the network is built with (as ``input``: what is built now;
        each :meth:`~Brian2Network.run` says its own ``reset_every``, and one given
        another period, or none, rebuilds the network).
    reset_rule : {"set", "subtract"}
        After a spike: ``v = v_reset`` (default), or ``v -= v_threshold - v_reset``
        (reset by subtraction, which keeps the overshoot; module docstring).

    Returns
    -------
    Brian2Network
        Holds the ``brian2.Network`` and its groups, synapses and monitors; its
        :meth:`~Brian2Network.run` returns a result.

    Raises
    ------
    ValueError, TypeError
        A result without connectivity, projections that do not chain or whose sizes
        disagree, an unknown target, input, bias or layer, a bad parameter value.
    RuntimeError
        ``target`` cannot be used here and ``on_unavailable="raise"``.
    """
    check_choice("target", target, TARGETS)
    check_choice("on_unavailable", on_unavailable, ("fallback", "raise"))
    check_choice("input", input, INPUTS)
    check_choice("bias", bias, ("current", "ignore"))
    check_choice("input_synapse", input_synapse, INPUT_SYNAPSES)
    check_choice("reset_rule", reset_rule, tuple(RESET_RULES))
    record_input = check_bool("record_input", record_input)
    dt = _check_time("dt", dt)
    weight_scale = check_real("weight_scale", weight_scale)
    base = _check_neuron_params(
        "to_brian2",
        {"tau": tau, "v_rest": v_rest, "v_threshold": v_threshold, "v_reset": v_reset,
         "refractory": refractory},
    )  # fmt: skip
    if directory is not None and not isinstance(directory, str | os.PathLike):
        raise TypeError(f"directory must be a path or None, got {directory!r}")
    chain = projections(result, names)
    layers = [p.post_layer for p in chain]
    neuron_params = {layer: dict(base) for layer in layers}
    if layer_params is not None:
        if not isinstance(layer_params, Mapping):
            raise TypeError(f"layer_params must be a mapping, got {type(layer_params).__name__}")
        for layer, over in layer_params.items():
            if layer not in neuron_params:
                raise ValueError(
                    f"layer_params names layer {layer!r}; the LIF layers are "
                    f"{', '.join(map(repr, layers))}"
                )
            if not isinstance(over, Mapping):
                raise TypeError(f"layer_params[{layer!r}] must be a mapping, got {over!r}")
            neuron_params[layer].update(_check_neuron_params(f"layer_params[{layer!r}]", over))
    requested = target
    reason = _target_unavailable(target)
    if reason is not None:
        if on_unavailable == "raise":
            raise RuntimeError(f"target {target!r} cannot be used here: {reason}")
        warnings.warn(
            f"target {target!r} cannot be used here ({reason}); falling back to 'numpy'",
            RuntimeWarning,
            stacklevel=2,
        )
        target = "numpy"
    source = ""
    if hasattr(result, "attrs"):
        source = str(result.attrs.get("source", ""))
    return Brian2Network(
        chain,
        target=target,
        requested_target=requested,
        dt=dt,
        neuron_params=neuron_params,
        weight_scale=weight_scale,
        bias=bias,
        input=input,
        record_input=record_input,
        input_synapse=input_synapse,
        reset_every=reset_every,
        reset_rule=reset_rule,
        on_unavailable=on_unavailable,
        directory=None if directory is None else os.fspath(directory),
        source=source,
        kind=None,
    )
