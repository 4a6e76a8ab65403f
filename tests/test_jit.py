"""neurosparse._jit.parallel_twin: parallel kernels cached on disk, apart from the serial."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

KERNEL_MODULE = """
import numba
import numpy as np
from numba import prange

from neurosparse._jit import parallel_twin


@numba.njit(cache=True)
def row_sums(x, n_blocks):
    out = np.empty(x.shape[0])
    for b in prange(n_blocks):
        for i in range(b, x.shape[0], n_blocks):
            s = 0.0
            for j in range(x.shape[1]):
                s += x[i, j]
            out[i] = s
    return out


row_sums_par = parallel_twin(row_sums)
"""

RUNNER = """
import json, sys
import numba
import numpy as np
sys.path.insert(0, sys.argv[1])
import kmod
x = np.arange(600.0).reshape(60, 10) / 7
a = kmod.row_sums(x, 1)
b = kmod.row_sums_par(x, 8)
print(json.dumps({
    "threads": numba.get_num_threads(),
    "same": bool(np.array_equal(a, b)),
    "serial_hits": sum(kmod.row_sums.stats.cache_hits.values()),
    "par_hits": sum(kmod.row_sums_par.stats.cache_hits.values()),
    "par_parallel": bool(kmod.row_sums_par.targetoptions.get("parallel")),
    "serial_parallel": bool(kmod.row_sums.targetoptions.get("parallel")),
    "par_name": kmod.row_sums_par.py_func.__qualname__,
}))
"""


def _run(tmp_path, threads: int) -> dict:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    env.pop("NUMBA_DISABLE_JIT", None)
    out = subprocess.run(
        [sys.executable, "-c", RUNNER, str(tmp_path)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_parallel_twin_is_cached_apart_and_serves_every_thread_count(tmp_path):
    (tmp_path / "kmod.py").write_text(textwrap.dedent(KERNEL_MODULE))
    first = _run(tmp_path, 2)
    assert first["par_hits"] == 0 and first["serial_hits"] == 0  # compiled, then saved
    assert first["par_parallel"] and not first["serial_parallel"]
    assert first["par_name"] == "row_sums_par"
    assert first["same"]
    cached = sorted(p.name.split(".")[1].split("-")[0] for p in tmp_path.glob("__pycache__/*.nbi"))
    assert cached == ["row_sums", "row_sums_par"]  # one index each: no shared entry
    for threads in (2, 1, 3):
        later = _run(tmp_path, threads)
        assert later["threads"] == threads
        assert later["par_hits"] == 1 and later["serial_hits"] == 1  # loaded, not compiled
        assert later["par_parallel"] and later["same"]
