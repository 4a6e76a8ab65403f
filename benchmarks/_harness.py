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
