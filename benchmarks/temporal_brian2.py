"""The spiking network of the temporal family per brian2 runtime target, against brian2 by hand.

1,000 Poisson inputs (12 Hz each, seed 0) -> 1,000 LIF neurons, 5 % random connectivity
(seeded; weights uniform in [0, 0.2)), 1 s of biological time, dt = 0.1 ms: the LIF
layer fires at tens of Hz. For each runtime target (``numpy``, ``cython``,
``cpp_standalone``) the network is built by the bridge (``to_brian2(...,
input="poisson")`` and ``run``, what :class:`neurosparse.temporal.spiking.SpikingNetwork`
builds on) and written by hand in brian2 with the same equations on the same target, in
fresh processes, one after the other, and timed twice:

- **build + first run**: building the objects, code generation and compilation
  (Cython: into a fresh cache directory, so the compilation is counted; C++ standalone:
  writing and compiling the project) and simulating 1 s;
- **second run** (median of ``--repeats``): simulating the same 1 s again from the
  initial state (runtime targets: ``restore`` then ``run``; standalone: running the
  compiled binary again, the bridge with its rates given through ``run_args``).

The script checks that the bridge and the hand-written network spike identically on each
target (same seed), and prints the times, the spikes and the ratios bridge / hand
(below or near 1: the bridge costs nothing over brian2 itself). Each network runs in a
process of its own, so that neither inherits the other's caches (brian2's parsed
equations, a Cython cache).

Run: ``python benchmarks/temporal_brian2.py [--duration 1.0] [--repeats 5]
[--targets numpy,cython,cpp_standalone]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from _harness import hand_lif_network, layer_result, machine, random_layer, table

N, DENSITY, RATE, SEED = 1000, 0.05, 12.0, 0


@contextlib.contextmanager
def _cython_cache():
    """A fresh Cython cache directory (so that compiling is timed), removed after."""
    import brian2 as b2

    previous = b2.prefs.codegen.runtime.cython.cache_dir
    directory = tempfile.mkdtemp(prefix="bench_cython_")
    b2.prefs.codegen.runtime.cython.cache_dir = directory
    try:
        yield
    finally:
        b2.prefs.codegen.runtime.cython.cache_dir = previous
        shutil.rmtree(directory, ignore_errors=True)


class Bridge:
    """The network built by neurosparse's bridge."""

    def __init__(self, result, target, duration, directory):
        self.result, self.target, self.duration, self.directory = (
            result,
            target,
            duration,
            directory,
        )

    def first(self):
        from brian2 import Hz, second

        from neurosparse.bridges import to_brian2

        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # no silent fallback to numpy
            self.net = to_brian2(self.result, input="poisson", target=self.target,
                                 on_unavailable="raise", directory=self.directory)  # fmt: skip
            out = self.net.run(self.duration * second, rates=RATE * Hz, seed=SEED)
        assert out.attrs["target"] == self.target, out.attrs["target"]
        return _spikes(out)

    def second(self):
        from brian2 import Hz, second

        return _spikes(self.net.run(self.duration * second, rates=RATE * Hz, seed=SEED))


def _spikes(out):
    node = out["activity/spikes/output"]
    return node["neuron"].values, node["time"].values


class Hand:
    """The same network written in brian2 by hand (the bridges_brian2.py benchmark's, on
    any target)."""

    def __init__(self, layer, target, duration, directory):
        self.layer, self.target, self.duration, self.directory = layer, target, duration, directory

    def _objects(self):
        net, self.mon = hand_lif_network(*self.layer, N, RATE)
        return net

    def first(self):
        import brian2 as b2
        from brian2 import second

        if self.target == "cpp_standalone":
            from brian2.devices.cpp_standalone.device import CPPStandaloneDevice
            from brian2.devices.device import reset_device, set_device

            self.device = CPPStandaloneDevice()
            set_device(self.device, build_on_run=False)
            try:
                net = self._objects()
                b2.seed(SEED)
                net.run(self.duration * second, namespace={})
                self.device.build(directory=self.directory, compile=True, run=True,
                                  with_output=False)  # fmt: skip
                return self._read()
            finally:
                reset_device()
        b2.prefs.codegen.target = self.target
        try:
            self.net = self._objects()
            self.net.store("initial")
            b2.seed(SEED)
            self.net.run(self.duration * second, namespace={})
            return self._read()
        finally:
            b2.prefs.codegen.target = "numpy"

    def second(self):
        import brian2 as b2
        from brian2 import second

        if self.target == "cpp_standalone":
            from brian2.devices.device import reset_device, set_device

            set_device(self.device, build_on_run=False)
            try:
                self.device.run(directory=self.directory, with_output=False, run_args={})
                return self._read()
            finally:
                reset_device()
        b2.prefs.codegen.target = self.target
        try:
            self.net.restore("initial")
            b2.seed(SEED)
            self.net.run(self.duration * second, namespace={})
            return self._read()
        finally:
            b2.prefs.codegen.target = "numpy"

    def _read(self):
        return np.asarray(self.mon.i[:]), np.asarray(self.mon.t_[:])


def _same(a, b) -> bool:
    oa, ob = np.lexsort((a[0], a[1])), np.lexsort((b[0], b[1]))
    return (
        a[0].size == b[0].size
        and np.array_equal(a[0][oa], b[0][ob])
        and np.allclose(a[1][oa], b[1][ob], rtol=0, atol=1e-12)
    )


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _child(target: str, which: str, duration: float, out: str, repeats: int) -> None:
    """One network on one target, in a process of its own: time both runs, keep the
    spikes (``out``.npz) and print the times as JSON."""
    import brian2  # noqa: F401  (imported before the clock starts, for both networks)

    if which == "bridge":
        import neurosparse.bridges.brian2  # noqa: F401

    layer = random_layer(N, DENSITY)
    work = tempfile.mkdtemp(prefix=f"bench_{target}_{which}_")
    try:
        cache = _cython_cache() if target == "cython" else contextlib.nullcontext()
        with cache:
            if which == "bridge":
                make = Bridge(layer_result(*layer, N), target, duration, work + "/cpp")
            else:
                make = Hand(layer, target, duration, work + "/cpp")
            t_first, s_first = _timed(make.first)
            seconds = []
            for _ in range(repeats):
                t_second, s_second = _timed(make.second)
                seconds.append(t_second)
                assert _same(s_first, s_second), f"{which} on {target}: the runs differ"
            t_second = statistics.median(seconds)
        np.savez(out, neuron=s_first[0], time=s_first[1])
        print(json.dumps({"first": t_first, "second": t_second}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1.0, help="seconds simulated")
    parser.add_argument("--targets", default="numpy,cython,cpp_standalone")
    parser.add_argument("--repeats", type=int, default=5, help="second runs (median)")
    parser.add_argument("--child", nargs=3, metavar=("TARGET", "WHICH", "OUT"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], args.duration, args.child[2], args.repeats)
        return

    import brian2

    from neurosparse.bridges.brian2 import _target_unavailable

    print(machine(), f"| brian2 {brian2.__version__}")
    n_syn = random_layer(N, DENSITY)[0].size
    print(
        f"{N} Poisson inputs ({RATE:g} Hz) -> {N} LIF, {DENSITY:.0%} connected "
        f"({n_syn:,} synapses), {args.duration:g} s simulated, dt 0.1 ms; each network "
        "in a fresh process (Cython: a fresh cache)"
    )
    rows = []
    work = tempfile.mkdtemp(prefix="bench_temporal_brian2_")
    try:
        for target in args.targets.split(","):
            reason = _target_unavailable(target)
            if reason is not None:
                print(f"{target}: not available here ({reason}); skipped")
                continue
            times, spikes = {}, {}
            for which in ("hand", "bridge"):
                out = os.path.join(work, f"{target}_{which}.npz")
                done = subprocess.run(
                    [sys.executable, __file__, "--duration", str(args.duration),
                     "--repeats", str(args.repeats), "--child", target, which, out],
                    capture_output=True, text=True, check=False,
                )  # fmt: skip
                if done.returncode != 0:
                    raise RuntimeError(f"{which} on {target} failed:\n{done.stderr[-3000:]}")
                times[which] = json.loads(done.stdout.strip().splitlines()[-1])
                with np.load(out) as data:
                    spikes[which] = (data["neuron"], data["time"])
            assert _same(spikes["hand"], spikes["bridge"]), (
                f"{target}: the bridge and the hand-written network spike differently"
            )
            th, tb = times["hand"], times["bridge"]
            for which, label in (("hand", "by hand (brian2)"), ("bridge", "to_brian2 + run")):
                n_spikes = spikes[which][0].size
                row = {"target": target, "network": label, "first s": times[which]["first"],
                       "second s": times[which]["second"], "spikes": f"{n_spikes:,}",
                       "rate Hz": n_spikes / N / args.duration}  # fmt: skip
                if which == "bridge":
                    row["first bridge/hand"] = tb["first"] / th["first"]
                    row["second bridge/hand"] = tb["second"] / th["second"]
                rows.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    columns = ["target", "network", "first s", "second s", "spikes", "rate Hz",
               "first bridge/hand", "second bridge/hand"]  # fmt: skip
    print(
        "\nfirst = build + code generation/compilation + first run; second = the same run "
        f"again from the initial state (median of {args.repeats}); the spikes are identical "
        "between bridge and hand on every target (checked)"
    )
    print(table(rows, columns))


if __name__ == "__main__":
    main()
