"""Monte Carlo throughput for Fig 4A parameters (segment trials per second, one thread).

neurosparse: the serial kernel behind :func:`neurosparse.dendrites.simulate_false_match`
(sequential sampling of a random SDR through the segment's synapses, SplitMix64, early
exit), with ``numba.set_num_threads(1)``. Peer: the same experiment in vectorised NumPy
(a random SDR per trial from ``Generator.random(...).argpartition``, overlap with a fixed
segment), on fewer trials. Both estimates are checked against Eq. 4.
Target: >= 1e7 segment trials/s on one core.

Run: ``python benchmarks/dendrites_montecarlo.py [--repeats 3] [--small]``
"""

from __future__ import annotations

import argparse
import statistics

import numba
import numpy as np
from _harness import machine, table, timeit, verdict

from neurosparse.dendrites import _kernels, binomial_interval, false_match_probability

S, THETA = 24, 12
POINTS = [(300, 64), (500, 128), (1100, 256), (2000, 128), (3500, 256)]


def numpy_peer(n, a, trials, rng, batch=10_000):
    hits = 0
    segment = np.arange(S)  # a fixed segment; the SDR is uniformly random
    for start in range(0, trials, batch):
        k = min(batch, trials - start)
        active = rng.random((k, n)).argpartition(a, axis=1)[:, :a]
        hits += int((np.isin(active, segment).sum(axis=1) >= THETA).sum())
    return hits


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    trials = 10**6 if args.small else 10**7
    peer_trials = 20_000 if args.small else 100_000
    numba.set_num_threads(1)
    print(machine())
    rows, rates = [], []
    for n, a in POINTS:
        sec, hits = timeit(
            lambda n=n, a=a: _kernels.sequential_tail_hits(n, a, S, THETA, trials, 12345),
            repeats=args.repeats,
        )
        p = false_match_probability(n, a, S, THETA)
        lo, hi = binomial_interval(int(hits), trials, confidence=0.999)
        peer_sec, peer_hits = timeit(
            lambda n=n, a=a: numpy_peer(n, a, peer_trials, np.random.default_rng(0)),
            repeats=1,
            warmup=0,
        )
        plo, phi = binomial_interval(int(peer_hits), peer_trials, confidence=0.999)
        rate, peer_rate = trials / sec, peer_trials / peer_sec
        rates.append(rate)
        rows.append(
            {
                "n": n,
                "a": a,
                "P_fp (Eq. 4)": p,
                "neurosparse trials/s": rate,
                "numpy trials/s": peer_rate,
                "ratio": rate / peer_rate,
                "both in 99.9% CI": bool(lo <= p <= hi and plo <= p <= phi),
            }
        )
    print(table(rows, list(rows[0])))
    med = statistics.median(rates)
    print(f"median one-thread rate {med:.3e} segment trials/s: {verdict(med, 1e7)}")
    print(f"a Fig 4A point at 1e8 trials: {1e8 / med:.1f} s on one core")


if __name__ == "__main__":
    main()
