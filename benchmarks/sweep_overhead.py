"""What a sweep costs on top of dask: per point, against plain ``client.map``, and scaling.

neurosparse: :func:`neurosparse.sweep.run` on a LocalCluster of one-thread worker
processes (as ``neurosparse sweep`` makes it): spec checks, one task per point, each
finished point written into the zarr store, the combined result written at the end.
Peer: the same target function mapped with plain ``client.map`` + ``gather`` on the
same cluster (no store, no combining).

Targets (the issue's):

- overhead per point over a trivial target (a result with one number) <= 50 ms;
- sweep time <= 1.2x ``client.map``'s for the same function, here a CPU-bound point of
  about 0.5 s (NumPy sorts; the script calibrates the size on this machine);
- 2 workers give >= 1.7x the throughput of 1 worker on those CPU-bound points.

The machine's load is printed beside the figures: the scaling target needs two idle
cores.

Run: ``python benchmarks/sweep_overhead.py [--points 200] [--cpu-points 8] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from _harness import machine, table, verdict

from neurosparse.sweep import run
from neurosparse.sweep._targets import cpu_bound
from neurosparse.sweep.runner import _local_cluster

TARGETS = "neurosparse.sweep._targets"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def calibrate(seconds: float = 0.5) -> int:
    """The ``n`` of :func:`cpu_bound` that takes about ``seconds`` here (one core)."""
    n = 1_000_000
    cpu_bound(n)  # warm
    t0 = time.perf_counter()
    cpu_bound(n)
    took = time.perf_counter() - t0
    return max(100_000, int(n * seconds / took))


def map_once(client, func, kwargs_list) -> float:
    t0 = time.perf_counter()
    futures = [client.submit(func, pure=False, **kw) for kw in kwargs_list]
    client.gather(futures)
    return time.perf_counter() - t0


def sweep_once(client, spec, workdir: Path) -> float:
    store = workdir / f"s-{time.monotonic_ns()}.zarr"
    t0 = time.perf_counter()
    result = run(spec, client=client, store=store, progress=False)
    took = time.perf_counter() - t0
    assert result.attrs["sweep_finished"] == result.attrs["sweep_points"]
    return took


def warm(client, func, **kwargs):
    workers = list(client.nthreads())
    client.gather([client.submit(func, pure=False, workers=[w], **kwargs) for w in workers])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=200, help="points of the trivial sweep")
    parser.add_argument("--cpu-points", type=int, default=8, help="points of the CPU-bound sweep")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    print(load())
    from neurosparse.sweep._targets import trivial

    n_cpu = calibrate()
    took = []
    for _ in range(3):
        t0 = time.perf_counter()
        cpu_bound(n_cpu)
        took.append(time.perf_counter() - t0)
    one_point = statistics.median(took)
    print(f"CPU-bound point: cpu_bound(n={n_cpu}) takes {one_point:.2f} s here, in process")
    rows = []
    # Both clusters stay up and the cases alternate within each repeat, so that the
    # other work on the machine weighs on every case alike; medians are reported.
    times: dict[str, list[float]] = {}

    def record(name, seconds):
        times.setdefault(name, []).append(seconds)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        trivial_spec = {"target": f"{TARGETS}:trivial",
                        "grid": {"x": [float(i) for i in range(args.points)]}}  # fmt: skip
        trivial_kwargs = [{"x": float(i)} for i in range(args.points)]
        cpu_spec = {"target": f"{TARGETS}:cpu_bound", "fixed": {"n": n_cpu},
                    "seeds": args.cpu_points}  # fmt: skip
        cpu_kwargs = [{"n": n_cpu, "seed": i} for i in range(args.cpu_points)]
        cluster2, client2 = _local_cluster(2, retries=2)
        cluster1, client1 = _local_cluster(1, retries=2)
        try:
            for client in (client1, client2):
                warm(client, trivial)
                warm(client, cpu_bound, n=1000)
                sweep_once(client, trivial_spec, workdir)  # first run: imports, caches
            for _ in range(args.repeats):
                record("map trivial", map_once(client2, trivial, trivial_kwargs))
                record("sweep trivial", sweep_once(client2, trivial_spec, workdir))
                record("map cpu 2", map_once(client2, cpu_bound, cpu_kwargs))
                record("sweep cpu 2", sweep_once(client2, cpu_spec, workdir))
                record("map cpu 1", map_once(client1, cpu_bound, cpu_kwargs))
                record("sweep cpu 1", sweep_once(client1, cpu_spec, workdir))
        finally:
            for client, cluster in ((client1, cluster1), (client2, cluster2)):
                client.close()
                cluster.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    t_map, t_sweep = med["map trivial"], med["sweep trivial"]
    t_map_cpu, t_sweep_cpu2 = med["map cpu 2"], med["sweep cpu 2"]
    t_map_cpu1, t_sweep_cpu1 = med["map cpu 1"], med["sweep cpu 1"]
    per_point = t_sweep / args.points
    for case, tm, ts, n in (
        (f"trivial x {args.points}, 2 workers", t_map, t_sweep, args.points),
        (f"cpu-bound x {args.cpu_points}, 2 workers", t_map_cpu, t_sweep_cpu2, args.cpu_points),
        (f"cpu-bound x {args.cpu_points}, 1 worker", t_map_cpu1, t_sweep_cpu1, args.cpu_points),
    ):
        rows.append({"case": case, "client.map s": tm, "sweep s": ts,
                     "sweep ms/point": 1e3 * ts / n, "ratio sweep/map": ts / tm})  # fmt: skip
    columns = ["case", "client.map s", "sweep s", "sweep ms/point", "ratio sweep/map"]
    print(table(rows, columns))
    print(load())
    overhead_ms = 1e3 * per_point
    print(f"overhead per point (trivial target): {overhead_ms:.1f} ms "
          f"{verdict(overhead_ms, 50, higher_is_better=False)}")  # fmt: skip
    ratio = t_sweep_cpu2 / t_map_cpu
    print(f"sweep / client.map, CPU-bound points: {ratio:.2f}x "
          f"{verdict(ratio, 1.2, higher_is_better=False)}")  # fmt: skip
    print(f"(trivial points: {t_sweep / t_map:.2f}x, {1e3 * (t_sweep - t_map) / args.points:.1f} "
          "ms per point above client.map: a point's write into the store dominates)")  # fmt: skip
    scaling = t_sweep_cpu1 / t_sweep_cpu2
    map_scaling = t_map_cpu1 / t_map_cpu
    print(f"throughput 2 workers / 1 worker (sweep): {scaling:.2f}x {verdict(scaling, 1.7)}; "
          f"client.map alone: {map_scaling:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
