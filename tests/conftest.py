"""Shared pytest configuration: the ``slow`` and ``gpu`` markers.

- ``slow`` tests run only with ``--runslow``.
- ``gpu`` tests run only where CUDA is present (torch.cuda.is_available()).
- With ``NEUROSPARSE_REQUIRE_ALL_DEPS=1`` (CI sets it), a test that would skip for a
  missing optional dependency fails instead: use ``neurosparse.testing.require``.
"""

from __future__ import annotations

import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("NUMBA_NUM_THREADS", os.environ.get("NUMBA_NUM_THREADS", "2"))


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def pytest_collection_modifyitems(config, items):
    run_slow = config.getoption("--runslow")
    has_cuda = None
    for item in items:
        if "slow" in item.keywords and not run_slow:
            item.add_marker(pytest.mark.skip(reason="slow: run with --runslow"))
        if "gpu" in item.keywords:
            if has_cuda is None:
                has_cuda = _cuda_available()
            if not has_cuda:
                item.add_marker(pytest.mark.skip(reason="gpu: no CUDA device here"))
