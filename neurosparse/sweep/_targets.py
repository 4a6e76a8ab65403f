"""Small sweep targets for the tests and ``benchmarks/sweep_overhead.py`` (not public).

Every one returns a result tree; the seeded ones draw from ``numpy.random.default_rng``
so that a point's numbers depend on its seed only. The fault targets fail on purpose:
``kill_once`` kills its own worker process the first time it runs a point (a marker file
remembers it), ``fail_if`` raises for chosen values.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import xarray as xr

from neurosparse.results import new_result


def _result(kind: str, params: dict, seed, variables: dict) -> xr.DataTree:
    metrics = xr.Dataset(
        {
            name: (dims, value, {"long_name": name.replace("_", " ")})
            for name, (dims, value) in variables.items()
        }
    )
    return new_result(kind, params=params, seed=seed, source="neurosparse tests",
                      groups={"metrics": metrics})  # fmt: skip


def trivial(x: float = 0.0, seed: int = 0) -> xr.DataTree:
    """Nothing to compute: the sweep's own cost per point."""
    return _result("testing.trivial", {"x": x}, seed, {"y": ((), float(x) + 1.0)})


def trivial_value(x: float = 0.0, seed: int = 0) -> float:
    """The same with no result around it (plain ``client.map`` in the benchmark)."""
    return float(x) + 1.0


def draws(x: float, y: int = 1, *, k: int = 4, sleep: float = 0.0, seed: int = 0):
    """Random numbers from the point's seed, with dims of their own (``sample``)."""
    if sleep:
        time.sleep(sleep)
    rng = np.random.default_rng(seed)
    values = rng.normal(size=k) * x + y
    return _result(
        "testing.draws", {"x": x, "y": y, "k": k}, seed,
        {"value": (("sample",), values), "total": ((), float(values.sum())),
         "count": ((), np.int64(k)), "positive": ((), bool(values.sum() > 0))},
    )  # fmt: skip


def echo(seed: int = 0, **params) -> xr.DataTree:
    """Any keyword arguments, given back as numbers (``0`` for text)."""
    values = {k: ((), float(v) if isinstance(v, int | float) else 0.0) for k, v in params.items()}
    return _result("testing.echo", params, seed, values or {"none": ((), 0.0)})


def cpu_bound(n: int = 2_000_000, seed: int = 0) -> xr.DataTree:
    """About half a second of NumPy work on one core (``n`` sets the size)."""
    rng = np.random.default_rng(seed)
    total = 0.0
    for _ in range(8):
        v = rng.random(n // 8 * 8)
        total += float(np.sort(v)[len(v) // 2])
    return _result("testing.cpu_bound", {"n": n}, seed, {"median_sum": ((), total)})


def cpu_bound_value(n: int = 2_000_000, seed: int = 0) -> float:
    return float(cpu_bound(n, seed)["metrics"]["median_sum"])


def kill_once(x: float, marker_dir: str, seed: int = 0) -> xr.DataTree:
    """SIGKILL this worker process the first time point ``x`` runs, then behave."""
    marker = Path(marker_dir) / f"killed-{x!r}"
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(10)  # pragma: no cover - the process is gone
    return draws(x, seed=seed)


def fail_if(x: float, bad: float = -1.0, seed: int = 0) -> xr.DataTree:
    """Raise ``ValueError`` for ``x == bad``."""
    if x == bad:
        raise ValueError(f"x = {x} is refused on purpose")
    return draws(x, seed=seed)


def thread_counts(x: float = 0.0) -> xr.DataTree:
    """The worker's thread settings: Numba's (now, and as configured at its import) and
    torch's."""
    import numba

    try:
        import torch

        torch_threads = torch.get_num_threads()
    except ImportError:  # pragma: no cover
        torch_threads = -1
    configured = int(numba.config.NUMBA_NUM_THREADS)  # read when numba was imported
    return _result(
        "testing.threads", {"x": x}, 0,
        {"numba_threads": ((), np.int64(numba.get_num_threads())),
         "torch_threads": ((), np.int64(torch_threads)),
         "numba_configured": ((), np.int64(configured))},
    )  # fmt: skip
