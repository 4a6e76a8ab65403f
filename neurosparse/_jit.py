"""Numba compilation helpers shared by the families' kernel modules.

One convention (``docs/ARCHITECTURE.md``, "Numba kernels"): a kernel whose outer loop
runs over independent units is one pure function with that loop written as
``numba.prange``. It is compiled serially with ``cache=True`` (``prange`` is then
``range``), and :func:`parallel_twin` compiles the same code once more with
``parallel=True``, cached too, under its own name, so that a new process loads both
from Numba's on-disk cache instead of compiling them again.
"""

from __future__ import annotations

import types
from typing import Any

import numba


def parallel_twin(kernel: Any) -> Any:
    """The ``parallel=True`` version of a serial ``prange`` kernel, cached on disk.

    Parameters
    ----------
    kernel : numba dispatcher
        A kernel compiled with ``numba.njit(cache=True)`` whose outer loop is a
        ``prange``.

    Returns
    -------
    numba dispatcher
        The same Python code compiled with the kernel's options (``fastmath``,
        ``boundscheck``, ...) and ``parallel=True, cache=True``, under the qualified
        name ``<name>_par``.

    Notes
    -----
    Numba keys its cache index by the function's qualified name and its bytecode, not by
    the compilation flags: compiling ``kernel.py_func`` itself with ``parallel=True`` and
    ``cache=True`` would share the serial kernel's cache entry, and a later process could
    load the serial machine code for the parallel kernel (or the reverse). The twin is a
    copy of the function object (same code, globals, defaults and closure) renamed
    ``<name>_par``, so it gets cache files of its own. The number of threads is read when
    the kernel runs (``numba.set_num_threads``, ``NUMBA_NUM_THREADS``), not when it is
    compiled, so one cache entry serves every thread count.
    """
    func = kernel.py_func
    twin = types.FunctionType(
        func.__code__, func.__globals__, func.__name__ + "_par", func.__defaults__, func.__closure__
    )
    twin.__qualname__ = func.__qualname__ + "_par"
    twin.__module__ = func.__module__
    twin.__doc__ = func.__doc__
    twin.__kwdefaults__ = func.__kwdefaults__
    options = {k: v for k, v in kernel.targetoptions.items() if k not in ("nopython", "parallel")}
    return numba.njit(**options, parallel=True, cache=True)(twin)
