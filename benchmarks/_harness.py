"""Timing and reporting helpers shared by the benchmark scripts (see README.md)."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any


def machine() -> str:
    """One line describing the machine and the numeric stack."""
    import numpy as np

    parts = [
        platform.processor() or platform.machine(),
        f"{os.cpu_count()} cores",
        f"python {platform.python_version()}",
        f"numpy {np.__version__}",
    ]
    try:
        import numba

        parts.append(f"numba {numba.__version__} ({numba.get_num_threads()} threads)")
    except ImportError:
        pass
    return ", ".join(parts)


def timeit(fn: Callable[[], Any], *, repeats: int = 5, warmup: int = 1) -> tuple[float, Any]:
    """Median wall time of ``fn()`` over ``repeats`` calls after ``warmup`` calls.

    Returns ``(median_seconds, last_result)``.
    """
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def timeit_paired(
    fns: dict[str, Callable[[], Any]], *, repeats: int = 5
) -> tuple[dict[str, float], dict[str, list[float]], dict[str, Any]]:
    """Time several functions in alternating rounds (one call of each per round).

    On a machine whose speed drifts (a shared or virtual machine) two functions timed one
    after the other can see different machines; within a round they see nearly the same
    one, so the per-round ratio of two times is steadier than the ratio of their medians.
    Returns ``(median_seconds, times, last_results)`` keyed like ``fns``; ``times`` holds
    each function's per-round times, in round order (``times[a][i] / times[b][i]`` is
    round ``i``'s ratio).
    """
    times: dict[str, list[float]] = {k: [] for k in fns}
    results: dict[str, Any] = {}
    for _ in range(repeats):
        for key, fn in fns.items():
            t0 = time.perf_counter()
            results[key] = fn()
            times[key].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}, times, results


def round_ratio(times: dict[str, list[float]], num: str, den: str) -> float:
    """Median over rounds of ``times[num][i] / times[den][i]`` (see :func:`timeit_paired`)."""
    return statistics.median(a / b for a, b in zip(times[num], times[den]))


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A plain-text table of ``rows`` (dicts) with the given columns."""

    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    cells = [[fmt(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def verdict(ratio: float, target: float, *, higher_is_better: bool = True) -> str:
    """'MET' or 'NOT MET' for a ratio against its target."""
    ok = ratio >= target if higher_is_better else ratio <= target
    return f"{'MET' if ok else 'NOT MET'} (target {'>=' if higher_is_better else '<='} {target:g})"


def random_layer(n: int, density: float, seed: int = 0):
    """``(pre, post, weight)`` of an ``n -> n`` layer with ``round(density n^2)``
    synapses drawn without replacement, weights uniform in [0, 0.2)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n_syn = round(density * n * n)
    flat = rng.choice(n * n, size=n_syn, replace=False)
    post, pre = np.divmod(flat, n)
    weight = 0.2 * rng.random(n_syn)
    return pre, post, weight


def layer_result(pre, post, weight, n: int):
    """A result holding that layer as ``connectivity/layer`` (input -> output)."""
    from neurosparse.results import connectivity_from_indices, new_result

    node = connectivity_from_indices(
        pre, post, n, n, weight=weight, pre_layer="input", post_layer="output"
    )
    return new_result("bench.layer", source="benchmark", groups={"connectivity/layer": node})


def hand_lif_network(pre, post, weight, n: int, rate: float):
    """The reference the brian2 benchmarks compare the bridge with: Poisson inputs at
    ``rate`` Hz into ``n`` LIF units (the bridge's default equations), synapses
    ``pre -> post`` with ``weight``, written directly in brian2 on the current target.
    Returns ``(network, spike_monitor)``."""
    import brian2 as b2
    from brian2 import Hz, ms

    clock = b2.Clock(dt=0.1 * ms)
    inp = b2.PoissonGroup(n, rate * Hz, clock=clock)
    lif = b2.NeuronGroup(
        n,
        "dv/dt = (v_rest - v)/tau : 1 (unless refractory)",
        threshold="v > v_threshold",
        reset="v = v_reset",
        refractory=2 * ms,
        method="exact",
        namespace={"tau": 20 * ms, "v_rest": 0.0, "v_threshold": 1.0, "v_reset": 0.0},
        clock=clock,
    )
    syn = b2.Synapses(inp, lif, "w : 1", on_pre="v_post += w", clock=clock, namespace={})
    syn.connect(i=pre, j=post)
    syn.w = weight
    mon = b2.SpikeMonitor(lif)
    return b2.Network(inp, lif, syn, mon), mon
