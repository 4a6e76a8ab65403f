"""Argument checks shared by every family.

One place for the wording of error messages, so that every public function says the
same thing the same way: the parameter's name, the value received, and what is allowed.
Families call these helpers at their boundary (``fit``, public functions) and hand
clean values to the Numba kernels.

The integer policy (``docs/ARCHITECTURE.md``, "Validation"): Python and NumPy integers
are accepted; booleans and floats are refused, integral floats such as ``12.0``
included, so that a value computed in floating point never silently becomes a count.

Models declare their parameters once as a table of constraints (:class:`Integer`,
:class:`Real`, :class:`Options`, :class:`Boolean`, ...) and :func:`validate_params`
checks them all with these helpers (see :mod:`neurosparse._estimator`).
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Anything",
    "ArrayLike",
    "Boolean",
    "Constraint",
    "Integer",
    "Options",
    "Real",
    "Seed",
    "check_array",
    "check_bool",
    "check_choice",
    "check_int",
    "check_real",
    "check_sizes",
    "resolve_rng",
    "seed_attr",
    "seed_from_attr",
    "validate_params",
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

    Python and NumPy integers are accepted. Booleans and floats are refused, integral
    floats such as ``3.0`` included, so that a typo never silently changes meaning.
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


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` as ``bool`` if it is a Python or NumPy boolean (not 0/1)."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool (True or False), got {_show(value)}")
    return bool(value)


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
    empty_ok: bool = False,
) -> np.ndarray:
    """Convert ``value`` to an array and check its dimensionality and finiteness.

    Empty input (an axis of length 0) is refused unless ``empty_ok``: one rule for every
    entry, as in scikit-learn, rather than NaN statistics or a reshape error further on.
    """
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
    if not empty_ok and arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}): give at least one value")
    if finite and arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s)")
    return arr


def check_sizes(name: str, value: Any, *, empty_ok: bool = False) -> list[int]:
    """A sequence of positive integers (layer sizes), as a list; each entry checked by
    :func:`check_int` under the name ``name[i]``."""
    if isinstance(value, int | str) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a sequence of ints, got {_show(value)}")
    out = [check_int(f"{name}[{i}]", v, low=1) for i, v in enumerate(value)]
    if not out and not empty_ok:
        raise ValueError(f"{name} is empty: give at least one size")
    return out


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
    """The value stored in a result's ``seed`` attr, recorded once per entry point.

    - an integer (Python or NumPy) -> that ``int``;
    - ``None`` -> ``"none"`` (fresh OS entropy: the run cannot be repeated);
    - a ``SeedSequence`` -> ``"SeedSequence(entropy=..., spawn_key=...)"``;
    - a ``Generator`` -> ``"Generator <JSON of its bit generator's state>"``, the state
      *before* the entry point draws from it, so that the run can be repeated by
      restoring it (``rng.bit_generator.state = json.loads(text.split(" ", 1)[1])``).

    Call it before the seed is used: a Generator's state moves as it draws. A ``str``
    is taken as a record already made and returned unchanged.
    """
    if isinstance(seed, str):
        return seed
    if isinstance(seed, bool):
        raise TypeError(f"seed must be an int, a numpy Generator or None, got {seed!r}")
    if isinstance(seed, numbers.Integral):
        return int(seed)
    if seed is None:
        return "none"
    if isinstance(seed, np.random.SeedSequence):
        return f"SeedSequence(entropy={seed.entropy}, spawn_key={tuple(seed.spawn_key)})"
    if isinstance(seed, np.random.Generator):
        return "Generator " + json.dumps(seed.bit_generator.state, sort_keys=True)
    raise TypeError(f"seed must be an int, a numpy Generator or None, got {_show(seed)}")


def seed_from_attr(attr: Any) -> Any:
    """The ``seed`` argument that repeats a run from its recorded :func:`seed_attr`
    (an ``int``, a ``Generator`` restored to the recorded state, or ``None``)."""
    if isinstance(attr, numbers.Integral) and not isinstance(attr, bool):
        return int(attr)
    if isinstance(attr, str) and attr.startswith("Generator "):
        state = json.loads(attr.split(" ", 1)[1])
        bit_generator = getattr(np.random, state["bit_generator"])()
        bit_generator.state = state
        return np.random.Generator(bit_generator)
    return None


# --------------------------------------------------------------------------- constraints
# A model declares each constructor argument once, in a table {name: Constraint}, and
# validates them all with validate_params (neurosparse._estimator.Model). Each constraint
# also names the bad values the conformance suite tries (neurosparse.testing).


class Constraint:
    """What a parameter may be. ``none_ok``: ``None`` is also allowed (a default)."""

    none_ok: bool = False

    def check(self, name: str, value: Any) -> Any:
        """Return the clean value, or raise ``TypeError``/``ValueError`` naming ``name``."""
        if value is None and self.none_ok:
            return None
        return self._check(name, value)

    def _check(self, name: str, value: Any) -> Any:
        raise NotImplementedError

    def bad_values(self) -> list[Any]:
        """Values this constraint must refuse (for the conformance suite)."""
        return [] if self.none_ok else [None]


class Integer(Constraint):
    """An integer in ``[low, high]`` (see the module's integer policy)."""

    def __init__(self, low: int | None = None, high: int | None = None, *, none_ok=False):
        self.low, self.high, self.none_ok = low, high, none_ok

    def _check(self, name, value):
        return check_int(name, value, low=self.low, high=self.high)

    def bad_values(self):
        bad = [*super().bad_values(), 2.0, True, "3"]
        if self.low is not None:
            bad.append(self.low - 1)
        if self.high is not None:
            bad.append(self.high + 1)
        return bad


class Real(Constraint):
    """A finite real number in the given (closed or open) range."""

    def __init__(
        self,
        low: float | None = None,
        high: float | None = None,
        *,
        low_open: bool = False,
        high_open: bool = False,
        none_ok: bool = False,
    ):
        self.low, self.high = low, high
        self.low_open, self.high_open, self.none_ok = low_open, high_open, none_ok

    def _check(self, name, value):
        return check_real(
            name, value, low=self.low, high=self.high,
            low_open=self.low_open, high_open=self.high_open,
        )  # fmt: skip

    def bad_values(self):
        bad = [*super().bad_values(), "0.1", float("nan"), True]
        if self.low is not None:
            bad.append(self.low if self.low_open else self.low - 1.0)
        if self.high is not None:
            bad.append(self.high if self.high_open else self.high + 1.0)
        return bad


class Options(Constraint):
    """One of a fixed set of strings."""

    def __init__(self, *options: str, none_ok: bool = False):
        self.options, self.none_ok = tuple(options), none_ok

    def _check(self, name, value):
        return check_choice(name, value, self.options)

    def bad_values(self):
        return [*super().bad_values(), "no-such-option", 1]


class Boolean(Constraint):
    """``True`` or ``False`` (Python or NumPy), never 0/1 or a string."""

    def _check(self, name, value):
        return check_bool(name, value)

    def bad_values(self):
        return [*super().bad_values(), 1, "yes"]


class Seed(Constraint):
    """A seed: a non-negative integer, a ``SeedSequence``, a ``Generator`` or ``None``."""

    none_ok = True

    def _check(self, name, value):
        resolve_rng(value)  # raises for anything else
        return value

    def bad_values(self):
        return [-1, 1.5, "0"]


class ArrayLike(Constraint):
    """An array of finite numbers with ``ndim`` dimensions (checked, returned unchanged:
    the model converts it where it uses it)."""

    def __init__(self, ndim: int | tuple[int, ...] | None = None, *, none_ok: bool = False):
        self.ndim, self.none_ok = ndim, none_ok

    def _check(self, name, value):
        check_array(name, value, ndim=self.ndim)
        return value

    def bad_values(self):
        return [*super().bad_values(), "abc"]


class Anything(Constraint):
    """No check here: the model checks this parameter itself (say why in its docstring)."""

    none_ok = True

    def _check(self, name, value):
        return value


def validate_params(constraints: dict[str, Constraint], values: dict[str, Any]) -> dict[str, Any]:
    """Check every value against its constraint; return the clean values.

    Raises
    ------
    TypeError, ValueError
        From the first parameter that breaks its constraint, naming it, the value
        received and what is allowed.
    """
    return {name: constraints[name].check(name, values[name]) for name in constraints}
