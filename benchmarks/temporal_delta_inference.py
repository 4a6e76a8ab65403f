"""Delta inference against dense inference on the same sequences: operations and wall time.

Networks: :class:`neurosparse.temporal.models.DeltaNet` 1024 -> 256 -> 128 -> 10 (ReLU,
scores averaged over frames), trained as in the study ``yousefzadeh2021/density``
(its ``FULL`` data settings; ``--epochs``, default 10): the **baseline** (float
activations) and the **delta** network (Delta Activation Layers, temporal loss,
``--sp-rate``, default the study's). Test set: 1,000 moving-digit sequences of 8
frames.

Engines, all on the same sequences, timing the layer computations only:

- ``event``: :func:`neurosparse.temporal.models.delta_inference` -- each layer adds
  ``W[:, j] * Delta_j`` for the nonzero input changes only (Numba, float64 accumulator);
- ``dense loop``: the same kernel with the zero test removed (every column, every
  frame): the operations a dense streaming engine does, same code otherwise;
- ``torch GEMM``: ``DeltaNet.frame_scores`` in torch (one batched matrix product per
  layer over all frames; BLAS), the fastest dense reference here.

Printed: multiply-accumulates (event / dense) per network and the wall-time ratios
dense loop / event and torch GEMM / event, medians of ``--repeats`` after a warm-up.
Numba threads: ``--threads`` (default 2), torch the same.

Run: ``python benchmarks/temporal_delta_inference.py [--epochs 10] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from _harness import machine, table, timeit

try:
    import torch
except ImportError as exc:  # pragma: no cover
    raise SystemExit(f"this benchmark needs torch: {exc}") from None

import numba

from neurosparse.studies import get_study, load_helper
from neurosparse.temporal.models import delta_inference

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sp-rate", type=float, default=None)
    args = ap.parse_args(argv)
    numba.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    density = get_study("yousefzadeh2021/density").load_module()
    common = load_helper(ROOT / "studies" / "yousefzadeh2021" / "density.py", "_common")
    from dataclasses import replace

    params = replace(density.FULL, epochs=args.epochs, threads=args.threads)
    sp_rate = params.sp_rate if args.sp_rate is None else args.sp_rate
    print(machine())
    print(f"training (epochs={params.epochs}, sp_rate={sp_rate:g}) ...", flush=True)
    data_ss, model_ss = np.random.SeedSequence(0).spawn(2)
    data = common.load_sequences(params, data_ss)
    X = data[1][0]
    rows = []
    for name, delta in (("baseline", False), ("delta", True)):
        net, curves = common.train_network(params, data, delta=delta, penalty="temporal",
                                           sp_rate=sp_rate, seed=model_ss)  # fmt: skip
        net.eval()
        xt = torch.from_numpy(X)
        t_event, ev = timeit(lambda n=net: delta_inference(n, X, parallel=True),
                             repeats=args.repeats)  # fmt: skip
        t_loop, _ = timeit(lambda n=net: delta_inference(n, X, engine="dense", parallel=True),
                           repeats=args.repeats)  # fmt: skip
        with torch.no_grad():
            t_gemm, dense = timeit(lambda n=net, x=xt: n.frame_scores(x), repeats=args.repeats)
        # time only the kernels for the Numba engines (delta_inference reports it)
        k_event = min(delta_inference(net, X, parallel=True).seconds for _ in range(args.repeats))
        k_loop = min(
            delta_inference(net, X, engine="dense", parallel=True).seconds
            for _ in range(args.repeats)
        )
        agree = float(np.mean(ev.predictions == dense.numpy().mean(1).argmax(1)))
        rows.append({
            "network": name,
            "accuracy": curves.final_accuracy,
            "MACs event": int(ev.macs.sum()),
            "MACs dense": int(ev.dense_macs.sum()),
            "MAC ratio": ev.mac_ratio,
            "event s": k_event,
            "dense loop s": k_loop,
            "torch GEMM s": t_gemm,
            "loop/event": k_loop / k_event,
            "GEMM/event": t_gemm / k_event,
            "event call s": t_event,
            "dense call s": t_loop,
            "same predictions": agree,
        })  # fmt: skip
    print(table(rows, list(rows[0])))
    b, d = rows
    print(
        f"\ndelta network vs baseline, event engine: {b['MACs event'] / d['MACs event']:.2f}x "
        f"fewer MACs, {b['event s'] / d['event s']:.2f}x less kernel time"
    )


if __name__ == "__main__":
    main()
