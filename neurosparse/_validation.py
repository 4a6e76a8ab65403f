"""Argument checks shared by every family.

One place for the wording of error messages, so that every public function says the
same thing the same way: the parameter's name, the value received, and what is allowed.
Families call these helpers at their boundary (``fit``, public functions) and hand
clean values to the Numba kernels.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "check_array",
    "check_choice",
    "check_int",
    "check_real",
    "resolve_rng",
    "seed_attr",
]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_int(
    name: str,
    value: Any,
    *,
    low: int | None = None,
    high: int | None = None,
) -> int:
    """Return ``value`` as ``int`` if it is an integer in ``[low, high]``.

    Booleans and floats with a fractional part are refused; ``numpy`` integers and
    integral floats such as ``3.0`` are not accepted either, so that a typo never
    silently changes meaning.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_show(value)}")
    value = int(value)
    _check_range(name, value, low, high, "integer")
    return value


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as ``float`` if it is a finite real number in the given range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_show(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {_show(value)}")
    _check_range(name, value, low, high, "number", low_open, high_open)
    return value


def _check_range(name, value, low, high, what, low_open=False, high_open=False):
    bad_low = low is not None and (value <= low if low_open else value < low)
    bad_high = high is not None and (value >= high if high_open else value > high)
    if bad_low or bad_high:
        lo = "-inf" if low is None else repr(low)
        hi = "inf" if high is None else repr(high)
        lb = "(" if low_open or low is None else "["
        hb = ")" if high_open or high is None else "]"
        article = "an" if what[0] in "aeiou" else "a"
        raise ValueError(
            f"{name} must be {article} {what} in {lb}{lo}, {hi}{hb}, got {_show(value)}"
        )


def check_choice(name: str, value: Any, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``; the error lists them."""
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}; got {_show(value)}")
    return value


def check_array(
    name: str,
    value: Any,
    *,
    ndim: int | tuple[int, ...] | None = None,
    dtype: Any = np.float64,
    finite: bool = True,
    copy: bool = False,
) -> np.ndarray:
    """Convert ``value`` to an array and check its dimensionality and finiteness."""
    try:
        arr = np.array(value, dtype=dtype, copy=copy or None)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like of numbers, got {_show(value)}") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(
                f"{name} must have {' or '.join(map(str, allowed))} dimension(s), "
                f"got shape {arr.shape}"
            )
    if finite and arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s)")
    return arr


def resolve_rng(seed: Any) -> np.random.Generator:
    """Resolve ``seed`` (int, ``SeedSequence``, ``Generator`` or None) once, at an entry point."""
    if isinstance(seed, bool):
        raise TypeError(f"seed must be an int, a numpy Generator or None, got {seed!r}")
    if seed is None or isinstance(
        seed, numbers.Integral | np.random.SeedSequence | np.random.Generator
    ):
        if isinstance(seed, numbers.Integral) and int(seed) < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be an int, a numpy Generator or None, got {_show(seed)}")


def seed_attr(seed: Any) -> int | str:
    """The value stored in a result's ``seed`` attr: the int, or a word saying what it was."""
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return int(seed)
    if seed is None:
        return "none"
    if isinstance(seed, np.random.SeedSequence):
        return f"SeedSequence(entropy={seed.entropy})"
    return type(seed).__name__
