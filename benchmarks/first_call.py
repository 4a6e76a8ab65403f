"""First calls in a fresh process: what a script, a CLI command or a sweep worker pays.

Each entry runs in its own new Python process, twice: the first process may compile
and fill Numba's on-disk cache (reported apart); the following ``--repeats`` processes
are what every later script pays. Measured per process: the import of the family, and
the entry's first call on a small input (the issue "Silent wrong results, lost data and
slow first calls" targets at most 0.5 s for the call in a process after the first).

Run: ``python benchmarks/first_call.py [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from _harness import machine, table, verdict

ENTRIES = {
    "sparse_encode(l1)": """
import neurosparse.coding as c
rng = np.random.default_rng(0)
D = rng.standard_normal((64, 32)); D /= np.linalg.norm(D, axis=1, keepdims=True)
X = rng.standard_normal((20, 32))
t0 = time.perf_counter(); c.sparse_encode(X, D, penalty="l1", lam=0.1)
""",
    "sparse_encode(cel0, fista)": """
import neurosparse.coding as c
rng = np.random.default_rng(0)
D = rng.standard_normal((64, 32)); D /= np.linalg.norm(D, axis=1, keepdims=True)
X = rng.standard_normal((20, 32))
t0 = time.perf_counter(); c.sparse_encode(X, D, penalty="cel0", lam=0.1, solver="fista")
""",
    "DictionaryLearner.fit": """
import neurosparse.coding as c
X = np.random.default_rng(0).standard_normal((60, 32))
t0 = time.perf_counter()
c.DictionaryLearner(16, penalty="l1", lam=0.1, batch_size=20, n_batches=3, seed=0).fit(X)
""",
    "simulate_false_match": """
import neurosparse.dendrites as d
t0 = time.perf_counter(); d.simulate_false_match(300, 64, 24, 12, trials=1000, seed=0)
""",
    "overlap (SDR batches)": """
import neurosparse.dendrites as d
x = d.random_sdr(2048, 40, size=50, seed=0)
t0 = time.perf_counter(); d.overlap(x)
""",
}

_TEMPLATE = """
import json, time
start = time.perf_counter()
import numpy as np
{body}
call = time.perf_counter() - t0
print(json.dumps({{"import": t0 - start, "call": call}}))
"""


def _run(body: str) -> dict[str, float]:
    code = _TEMPLATE.format(body=body)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    rows = []
    worst = 0.0
    for name, body in ENTRIES.items():
        first = _run(body)
        later = [_run(body) for _ in range(args.repeats)]
        call = statistics.median(r["call"] for r in later)
        worst = max(worst, call)
        rows.append(
            {
                "entry": name,
                "first process: call s": first["call"],
                "later: import s": statistics.median(r["import"] for r in later),
                "later: first call s": call,
            }
        )
    cols = ["entry", "first process: call s", "later: import s", "later: first call s"]
    print(table(rows, cols))
    print("first call in a later process <= 0.5 s:", verdict(worst, 0.5, higher_is_better=False))


if __name__ == "__main__":
    main()
