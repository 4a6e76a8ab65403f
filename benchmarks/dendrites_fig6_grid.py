"""Fig 6 of Ahmad & Hawkins (2016): the whole exact grid, vs a straightforward exact sum.

neurosparse: :func:`neurosparse.dendrites.median_false_match_probability` over
theta 3..24 x n 10k..200k x a 0.5..3 % x s 20..50 (18,480 exact Eq. 4 values, log space,
Numba). Peer: the textbook exact implementation (Python big integers, ``math.comb``,
one final division), timed on a subset (every theta, n = 10k and 200k, every a, s = 20 and 50) and
compared per value. The subset values are checked to agree (relative 1e-9).
Target: the full grid in < 5 s.

Run: ``python benchmarks/dendrites_fig6_grid.py [--repeats 5]``
"""

from __future__ import annotations

import argparse
import time
from math import comb

import numpy as np
from _harness import machine, table, timeit, verdict

from neurosparse.dendrites import log_false_match_probability, median_false_match_probability

THETAS = np.arange(3, 25)
N = np.arange(10_000, 200_001, 10_000)
F = np.arange(1, 7) * 0.005
S = np.arange(20, 51, 5)


def exact_bigint(n, a, s, theta):
    num = sum(comb(s, b) * comb(n - s, a - b) for b in range(theta, min(s, a) + 1))
    return num / comb(n, a)  # exact integers, rounded once


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    t0 = time.perf_counter()
    median_false_match_probability(THETAS, N[:2], F[:1], S[:1])
    compile_s = time.perf_counter() - t0
    ours, med = timeit(
        lambda: median_false_match_probability(THETAS, N, F, S), repeats=args.repeats
    )
    values = THETAS.size * N.size * F.size * S.size

    subset = [(int(n), int(np.rint(f * n)), int(s), int(t))
              for t in THETAS for n in N[[0, 19]] for f in F for s in S[[0, 6]]
              if t <= s]  # fmt: skip
    peer, peer_vals = timeit(lambda: [exact_bigint(*p) for p in subset], repeats=1, warmup=0)
    arr = np.array(subset)
    mine = np.exp(log_false_match_probability(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]))
    pv = np.array(peer_vals)
    ok = pv > 1e-300
    max_rel = float(np.max(np.abs(mine[ok] / pv[ok] - 1)))
    assert max_rel < 1e-9, max_rel
    ratio = (peer / len(subset)) / (ours / values)
    print(table(
        [
            {"implementation": "neurosparse (log space, Numba)", "values": values,
             "median s": ours, "s per value": ours / values},
            {"implementation": "Python big integers (math.comb)", "values": len(subset),
             "median s": peer, "s per value": peer / len(subset)},
        ],
        ["implementation", "values", "median s", "s per value"],
    ))  # fmt: skip
    print(f"compile (first call, excluded): {compile_s:.2f} s")
    print(f"full grid {ours:.3f} s: {verdict(ours, 5.0, higher_is_better=False)}")
    print(
        f"ratio per value (peer / neurosparse): {ratio:.0f}x; peer extrapolated to the grid: "
        f"{peer / len(subset) * values:.0f} s; max relative difference {max_rel:.1e}"
    )
    print(
        f"median P_fp theta=8: {np.exp(med[5]):.3e} (paper 4.83e-8), "
        f"theta=12: {np.exp(med[9]):.3e} (paper 7.63e-14)"
    )


if __name__ == "__main__":
    main()
