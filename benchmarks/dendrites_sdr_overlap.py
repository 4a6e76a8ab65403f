"""All-pairs overlap of 10^4 x 10^4 SDRs (n = 2048, a = 40) vs a dense matrix product.

neurosparse: :func:`neurosparse.dendrites.overlap` (inverted index, Numba, parallel over
rows; int32 result). Peer: ``D @ D.T`` with ``D`` the dense float32 (10^4, 2048) matrix
(BLAS, all threads). Both give the same integer matrix (checked).

Run: ``python benchmarks/dendrites_sdr_overlap.py [--repeats 3] [--small]``
"""

from __future__ import annotations

import argparse

import numpy as np
from _harness import machine, table, timeit, verdict

from neurosparse.dendrites import overlap, random_sdr, to_dense

N, A = 2048, 40


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    m = 2_000 if args.small else 10_000
    print(machine())
    x = random_sdr(N, A, size=m, seed=0)
    dense = to_dense(x, N).astype(np.float32)
    ours, o1 = timeit(lambda: overlap(x, x, N), repeats=args.repeats)
    peer, o2 = timeit(lambda: dense @ dense.T, repeats=args.repeats)
    assert np.array_equal(o1, o2.astype(np.int32))
    print(table(
        [{"implementation": "neurosparse overlap (inverted index)", "median s": ours},
         {"implementation": "NumPy float32 dense @ dense.T", "median s": peer}],
        ["implementation", "median s"],
    ))  # fmt: skip
    print(
        f"{m} x {m} SDRs, n={N}, a={A}: ratio dense / neurosparse = {peer / ours:.1f}x "
        f"({verdict(peer / ours, 1.0)}); identical results"
    )


if __name__ == "__main__":
    main()
