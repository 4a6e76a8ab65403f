"""The brian2 bridge: a network built from a result against the same network by hand.

1. A 1,000-input -> 1,000-LIF network, 5 % connected, random weights, Poisson input
   (20 Hz, seed 0), numpy target: building it from a result with ``to_brian2`` and
   simulating 1 s, against the same network written by hand in brian2 (build + 1 s).
   The two must spike identically (the script checks it). Target (issue "Bridges"):
   bridge / hand at most 1.1x.
2. Export of a 4096 x 4096 mask at 5 % density to brian2 (building the ``Synapses``, no
   run): wall time and peak Python-side memory (tracemalloc, which sees numpy's and
   brian2's arrays), against making the dense equivalent (a 4096^2 float64 array). The
   script checks the peak stays far below one n^2 float64 array.

Run: ``python benchmarks/bridges_brian2.py [--repeats 5] [--duration 1.0]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np
from _harness import hand_lif_network, layer_result, machine, random_layer, table, verdict


def _bridge(result, duration, rate):
    from brian2 import Hz, second

    from neurosparse.bridges import to_brian2

    net = to_brian2(result, input="poisson")
    out = net.run(duration * second, rates=rate * Hz, seed=0)
    return out["activity/spikes/output"]["neuron"].values, out["activity/spikes/output"][
        "time"
    ].values


def _by_hand(pre, post, weight, n, duration, rate):
    import brian2 as b2
    from brian2 import second

    b2.prefs.codegen.target = "numpy"
    net, mon = hand_lif_network(pre, post, weight, n, rate)
    b2.seed(0)
    net.run(duration * second, namespace={})
    return np.asarray(mon.i[:]), np.asarray(mon.t_[:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--duration", type=float, default=1.0, help="seconds simulated")
    args = parser.parse_args()

    import brian2

    print(machine(), f"| brian2 {brian2.__version__}, target numpy")

    # 1. build + run, bridge against hand-written brian2
    n, rate = 1000, 20.0
    pre, post, weight = random_layer(n, 0.05)
    result = layer_result(pre, post, weight, n)
    # first calls (code generation caches) are excluded
    a = _bridge(result, args.duration, rate)
    b = _by_hand(pre, post, weight, n, args.duration, rate)
    order_a, order_b = np.lexsort((a[0], a[1])), np.lexsort((b[0], b[1]))
    assert np.array_equal(a[0][order_a], b[0][order_b]), "bridge and hand spike differently"
    assert np.array_equal(a[1][order_a], b[1][order_b]), "bridge and hand spike differently"
    t_bridge, t_hand = [], []
    for _ in range(args.repeats):  # interleaved, so that drifts hit both alike
        t0 = time.perf_counter()
        _bridge(result, args.duration, rate)
        t_bridge.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        _by_hand(pre, post, weight, n, args.duration, rate)
        t_hand.append(time.perf_counter() - t0)
    tb, th = statistics.median(t_bridge), statistics.median(t_hand)
    ratio = tb / th
    print(
        f"\n1. {n} Poisson inputs -> {n} LIF, 5 % connected ({pre.size:,} synapses), "
        f"build + {args.duration:g} s simulated, median of {args.repeats}; "
        f"{a[0].size:,} output spikes, identical in both"
    )
    print(
        table(
            [
                {"network": "by hand (brian2)", "s": th},
                {"network": "to_brian2 + run", "s": tb, "bridge / hand": ratio},
            ],
            ["network", "s", "bridge / hand"],
        )
    )
    print(
        "bridge at most 1.1x the hand-written network:", verdict(ratio, 1.1, higher_is_better=False)
    )

    # 2. export of a large sparse projection

    from neurosparse.bridges import to_brian2

    n = 4096
    pre, post, weight = random_layer(n, 0.05, seed=1)
    result = layer_result(pre, post, weight, n)
    del pre, post, weight
    dense_bytes = n * n * 8
    rows = []

    def measure(label, fn, note=""):
        tracemalloc.start()
        t0 = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append({"export": label, "s": seconds, "peak MB": peak / 2**20, "note": note})
        return out, peak

    net, peak = measure(
        "to_brian2 (Synapses built, no run)",
        lambda: to_brian2(result),
        "COO indices only",
    )
    n_syn = int(net.synapses["layer"].N[:])
    measure("dense 4096^2 float64 array", lambda: np.zeros((n, n)) + 0.0, "the dense equivalent")
    del net
    print(f"\n2. export of a {n} x {n} mask at 5 % density ({n_syn:,} synapses)")
    print(table(rows, ["export", "s", "peak MB", "note"]))
    print(
        f"no n^2 array made: peak {peak / 2**20:.0f} MB vs one n^2 float64 array "
        f"{dense_bytes / 2**20:.0f} MB:",
        verdict(peak / dense_bytes, 0.5, higher_is_better=False),
    )


if __name__ == "__main__":
    main()
