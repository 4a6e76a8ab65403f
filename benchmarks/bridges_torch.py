"""The PyTorch and NIR bridges: CSR inference against a dense layer, and export cost.

1. Inference of one 4096-wide layer, 90 % sparse (10 % of the synapses), batch 256, on
   the CPU: the bridge's ``mode="csr"`` layer against the same weights as a dense
   ``torch.nn.Linear``. Target (issue "Bridges"): CSR at least 2x faster.
2. Export of a 4096 x 4096 mask at 5 % density from a result into each torch form
   (``mask``, ``prune``, ``csr``, ``dense``) and into a NIR graph and file: wall time
   and peak Python-side memory (tracemalloc; torch's own allocations are not traced, so
   the dense n^2 copies the dense forms need are reported by size next to them),
   against building a dense ``nn.Linear`` from the dense weight array. The brian2 export
   is in ``bridges_brian2.py``.

Run: ``python benchmarks/bridges_torch.py [--repeats 7] [--threads N]``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
from _harness import machine, table, verdict


def _result(n: int, density: float, seed: int = 0):
    from neurosparse.results import connectivity_from_indices, new_result

    rng = np.random.default_rng(seed)
    n_syn = round(density * n * n)
    flat = rng.choice(n * n, size=n_syn, replace=False)
    post, pre = np.divmod(flat, n)
    weight = rng.standard_normal(n_syn).astype(np.float32)
    node = connectivity_from_indices(
        pre, post, n, n, weight=weight, pre_layer="input", post_layer="output"
    )
    return new_result("bench.layer", source="benchmark", groups={"connectivity/layer": node})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    args = parser.parse_args()

    import torch

    from neurosparse.bridges import projections, to_torch

    if args.threads:
        torch.set_num_threads(args.threads)
    print(machine(), f"| torch {torch.__version__}, {torch.get_num_threads()} threads")

    # 1. inference: the three timed in turn within each repeat, so that load on the
    # machine falls on all of them alike; medians, and the median of per-repeat ratios
    n, batch = 4096, 256
    result = _result(n, 0.10)
    csr = to_torch(result, mode="csr")
    dense = to_torch(result, mode="dense")
    weight = csr[0].weight
    x = torch.randn(batch, n)
    contenders = {
        "dense nn.Linear": lambda: dense(x),
        "CSR (bridge, Numba kernel)": lambda: csr(x),
        "torch.sparse.mm (same CSR)": lambda: torch.sparse.mm(weight, x.T.contiguous()).T,
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    with torch.no_grad():
        torch.testing.assert_close(csr(x), dense(x), rtol=1e-4, atol=1e-4)
        for fn in contenders.values():
            fn()
        for _ in range(args.repeats):
            for name, fn in contenders.items():
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
    dense_t = np.array(times["dense nn.Linear"])
    rows = [
        {
            "layer": name,
            "ms": 1e3 * float(np.median(t)),
            "dense / this": float(np.median(dense_t / np.array(t))),
        }
        for name, t in times.items()
    ]
    ratio = rows[1]["dense / this"]
    print("\n1. one 4096-wide layer, 90 % sparse, batch 256, CPU inference")
    print(table(rows, ["layer", "ms", "dense / this"]))
    print("CSR at least 2x faster than dense:", verdict(ratio, 2.0))

    # 2. export
    result = _result(n, 0.05)
    p = projections(result)[0]
    rows = []

    def measure(label, fn, note=""):
        tracemalloc.start()
        t0 = time.perf_counter()
        fn()
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append({"export": label, "s": seconds, "peak MB (numpy)": peak / 2**20, "note": note})

    dense_mb = n * n * 4 / 2**20
    for mode in ("mask", "prune", "csr", "dense"):
        note = "no n^2 array" if mode == "csr" else f"layer holds n^2 weights ({dense_mb:.0f} MB)"
        measure(f"to_torch(mode={mode!r})", lambda mode=mode: to_torch(result, mode=mode), note)

    def baseline():
        w = p.dense_weight(np.float32)
        layer = torch.nn.Linear(n, n)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(w))

    measure("dense nn.Linear from a dense array", baseline, "the dense equivalent")
    try:  # the NIR bridge (extra nir): NIR has no sparse node, its weights are dense
        import tempfile

        from neurosparse.bridges import to_nir

        measure(
            "to_nir (graph)", lambda: to_nir(result), f"dense float32 weights ({dense_mb:.0f} MB)"
        )
        with tempfile.TemporaryDirectory() as d:
            measure("to_nir + nir.write (HDF5)", lambda: to_nir(result, f"{d}/x.nir"),
                    "the file gzipped")  # fmt: skip
    except ModuleNotFoundError as exc:
        print(f"(NIR rows left out: {exc})")
    print(f"\n2. export of a {n} x {n} mask at 5 % density ({p.n_synapses:,} synapses)")
    print(table(rows, ["export", "s", "peak MB (numpy)", "note"]))


if __name__ == "__main__":
    main()
