"""Sweep specs: what to run (a study or a function), on which grid, with which seeds.

A spec is a TOML file (read with :mod:`tomllib`) or the same content as a dict::

    target = "rentzeperis2023/receptive_fields"   # a study id, or "module:function"
    mode = "quick"                                # a study's QUICK or FULL settings
    store = "out/penalty_lambda.zarr"             # where the points are written
    seed = 0                                      # root of every point's seed
    seeds = 2                                     # replicates: a count or a list of labels

    [fixed]                                       # the same for every point
    eta = 0.01

    [grid]                                        # one dimension per parameter, in this order
    penalty = ["l1", "l0", "l1/2", "cel0"]
    lam = {start = 0.05, stop = 0.4, num = 4, scale = "log"}

Grid values: a list; ``{values = [...]}``; ``{start, stop, num}`` (``scale = "linear"``
or ``"log"``, both ends included); ``{start, stop, step}`` (``start, start + step, ...``
up to ``stop`` included when it falls on the grid). ``type = "int"`` rounds a ``num`` range
to integers; ``long_name`` and ``units`` describe the dimension in the result.

Random search: ``samples = N`` with a ``[random]`` table of ``{start, stop}`` ranges
(uniform, ``scale = "log"`` for log-uniform, ``type = "int"`` for integers) or lists
(uniform choice). The ``N`` draws form one dimension, ``draw``, crossed with the grid;
they come from ``numpy.random.default_rng(SeedSequence([seed, 1]))``, so the same spec
draws the same values.

Points are numbered in the canonical order: the seed replicate outermost, then the grid
parameters in the spec's order, then the draws. Point ``i`` runs with the seed
``SeedSequence(seed).spawn(n_points)[i]`` made an integer (:func:`point_seed`), the
same whichever worker runs it and whenever.

Everything is checked by :func:`load_spec` before any work starts: unknown keys,
parameter names the target does not take (a study's ``Params`` fields, a function's
keyword arguments), values a study's ``Params`` refuses, empty or repeated values.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import inspect
import json
import math
import numbers
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Axis",
    "Point",
    "RandomParam",
    "Spec",
    "SweepError",
    "Target",
    "load_spec",
    "point_seed",
]

#: Keys a spec may have at the top level.
SPEC_KEYS = (
    "target", "mode", "store", "seed", "seeds", "samples", "fixed", "grid", "random",
    "retries", "description",
)  # fmt: skip
_RANGE_KEYS = {"values", "start", "stop", "num", "step", "scale", "type", "long_name", "units"}
_DIM_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
_RESERVED_DIMS = ("seed", "draw")
_MODES = ("quick", "full")


class SweepError(ValueError):
    """A mistake in a sweep's spec, store or cluster: one line, before any work starts."""


# ------------------------------------------------------------------------------ values


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_value(where: str, value: Any) -> Any:
    """A TOML/JSON scalar (or a list of them, for a sequence setting), as plain Python."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if not math.isfinite(value):
            raise SweepError(f"{where}: values must be finite, got {value!r}")
        return float(value)
    if isinstance(value, list | tuple):
        return [_check_value(where, v) for v in value]
    raise SweepError(
        f"{where}: values must be numbers, text, true/false or lists of them, got {_show(value)}"
    )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    return "list"


def _expand(where: str, spec: Any) -> tuple[list[Any], dict[str, str]]:
    """A grid entry as its list of values and its description (long_name, units)."""
    if isinstance(spec, list | tuple):
        spec = {"values": list(spec)}
    if not isinstance(spec, Mapping):
        raise SweepError(
            f"{where}: give a list of values, {{values = [...]}}, {{start, stop, num}} or "
            f"{{start, stop, step}}; got {_show(spec)}"
        )
    unknown = sorted(set(spec) - _RANGE_KEYS)
    if unknown:
        raise SweepError(
            f"{where}: unknown key {unknown[0]!r}; keys: {', '.join(sorted(_RANGE_KEYS))}"
        )
    describe = {k: str(spec[k]) for k in ("long_name", "units") if k in spec}
    if "values" in spec:
        extra = sorted(set(spec) & {"start", "stop", "num", "step", "scale", "type"})
        if extra:
            raise SweepError(f"{where}: give values or a range, not both ({extra[0]!r})")
        values = spec["values"]
        if not isinstance(values, list | tuple):
            raise SweepError(f"{where}: values must be a list, got {_show(values)}")
        return [_check_value(where, v) for v in values], describe
    missing = [k for k in ("start", "stop") if k not in spec]
    if missing:
        raise SweepError(f"{where}: a range needs start and stop (and num or step)")
    start, stop = spec["start"], spec["stop"]
    for name, v in (("start", start), ("stop", stop)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise SweepError(f"{where}: {name} must be a finite number, got {_show(v)}")
    scale = spec.get("scale", "linear")
    if scale not in ("linear", "log"):
        raise SweepError(f"{where}: scale must be 'linear' or 'log', got {_show(scale)}")
    vtype = spec.get("type", None)
    if vtype not in (None, "int", "float"):
        raise SweepError(f"{where}: type must be 'int' or 'float', got {_show(vtype)}")
    if ("num" in spec) == ("step" in spec):
        raise SweepError(f"{where}: a range needs exactly one of num and step")
    if "num" in spec:
        num = spec["num"]
        if isinstance(num, bool) or not isinstance(num, numbers.Integral) or num < 1:
            raise SweepError(f"{where}: num must be a positive integer, got {_show(num)}")
        if scale == "log":
            if start <= 0 or stop <= 0:
                raise SweepError(f"{where}: a log range needs start and stop > 0")
            arr = np.geomspace(start, stop, int(num))
        else:
            arr = np.linspace(start, stop, int(num))
        if vtype == "int":
            values = [int(v) for v in np.rint(arr)]
        else:
            values = [float(v) for v in arr]
        return values, describe
    if scale != "linear":
        raise SweepError(f"{where}: a step range is linear; use num with scale = 'log'")
    step = spec["step"]
    if isinstance(step, bool) or not isinstance(step, numbers.Real) or not step > 0:
        raise SweepError(f"{where}: step must be a positive number, got {_show(step)}")
    if stop < start:
        raise SweepError(f"{where}: stop ({stop!r}) is below start ({start!r})")
    count = math.floor((stop - start) / step * (1 + 1e-12) + 1e-9) + 1
    if count > 10_000_000:
        raise SweepError(f"{where}: the range holds {count} values; that is too many")
    all_int = all(isinstance(v, int) and not isinstance(v, bool) for v in (start, stop, step))
    if all_int or vtype == "int":
        values = [round(start + k * step) for k in range(count)]
    else:
        values = [float(start + k * step) for k in range(count)]
    return values, describe


def _check_values(where: str, values: list[Any]) -> None:
    if not values:
        raise SweepError(f"{where}: no values (an empty grid); give at least one")
    kinds = {_kind(v) for v in values}
    if len(kinds) > 1:
        raise SweepError(f"{where}: values must be of one kind, got {', '.join(sorted(kinds))}")
    seen = set()
    for v in values:
        key = json.dumps(v)
        if key in seen:
            raise SweepError(f"{where}: value {v!r} is given twice")
        seen.add(key)


# -------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class Axis:
    """One swept parameter of the grid: a dimension of the result."""

    name: str  # the parameter's name (a Params field or a keyword argument)
    dim: str  # the dimension's name in the result
    values: tuple[Any, ...]
    long_name: str
    units: str | None = None


@dataclass(frozen=True)
class RandomParam:
    """One randomly drawn parameter (random search): a coordinate along ``draw``."""

    name: str
    coord: str
    start: float | None = None
    stop: float | None = None
    scale: str = "linear"
    integer: bool = False
    choices: tuple[Any, ...] | None = None
    long_name: str = ""
    units: str | None = None

    def canonical(self) -> dict[str, Any]:
        if self.choices is not None:
            return {"choices": list(self.choices)}
        return {"start": self.start, "stop": self.stop, "scale": self.scale,
                "type": "int" if self.integer else "float"}  # fmt: skip

    def draw(self, rng: np.random.Generator) -> Any:
        if self.choices is not None:
            return self.choices[int(rng.integers(len(self.choices)))]
        if self.scale == "log":
            value = float(np.exp(rng.uniform(np.log(self.start), np.log(self.stop))))
        elif self.integer:
            return int(rng.integers(int(self.start), int(self.stop) + 1))
        else:
            value = float(rng.uniform(self.start, self.stop))
        return round(value) if self.integer else value


@dataclass(frozen=True)
class Point:
    """One point of a sweep: its index in the canonical order, its parameters, its seed."""

    index: int
    params: dict[str, Any]  # the swept values (grid and draws), by parameter name
    seed_label: Any  # the replicate's label (the ``seed`` coordinate)
    seed: int  # the seed the target runs with (point_seed)

    def describe(self) -> str:
        parts = [f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in self.params.items()]
        parts.append(f"seed={self.seed_label}")
        return ", ".join(parts)


def point_seed(seed: int, index: int) -> int:
    """The integer seed of point ``index``: ``SeedSequence(seed).spawn(...)[index]``'s
    first 64-bit word, halved into ``[0, 2**63)`` so that every target takes it."""
    child = np.random.SeedSequence(seed, spawn_key=(index,))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


@dataclass(frozen=True)
class Target:
    """What a sweep runs: a registered study, or a function returning a result."""

    kind: str  # "study" or "function"
    name: str  # the study id, or "module:function"
    path: str | None = None  # the study's file (workers load it from there when they can)
    takes_seed: bool = True

    def load(self):
        """The study module, or the function."""
        if self.kind == "study":
            from neurosparse.studies import Study, get_study

            if self.path and Path(self.path).is_file():
                return Study(self.name, Path(self.path), "", "", "", "").load_module()
            return get_study(self.name).load_module()
        module_name, _, attr = self.name.partition(":")
        module = importlib.import_module(module_name)
        func = module
        for part in attr.split("."):
            func = getattr(func, part)
        return func


@dataclass(frozen=True)
class Spec:
    """A checked sweep spec (build it with :func:`load_spec`)."""

    target: Target
    mode: str | None
    fixed: dict[str, Any]
    grid: tuple[Axis, ...]
    random: tuple[RandomParam, ...]
    samples: int
    seed: int
    seeds: tuple[Any, ...]
    store: Path | None
    retries: int = 2
    description: str = ""
    origin: str = "<dict>"
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _draws: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    # ---- shape and points

    @property
    def dims(self) -> tuple[str, ...]:
        """The result's sweep dimensions: grid parameters, ``draw`` (random search), ``seed``."""
        return (*(a.dim for a in self.grid), *(("draw",) if self.samples else ()), "seed")

    @property
    def shape(self) -> tuple[int, ...]:
        """Sizes of :attr:`dims`."""
        return (*(len(a.values) for a in self.grid), *((self.samples,) if self.samples else ()),
                len(self.seeds))  # fmt: skip

    @property
    def canonical_shape(self) -> tuple[int, ...]:
        """Sizes in the order points are numbered: seed, grid parameters, draw."""
        return (len(self.seeds), *self.shape[:-1])

    @property
    def n_points(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def draws(self) -> tuple[dict[str, Any], ...]:
        """The random-search draws, by draw index (empty without ``samples``)."""
        return self._draws

    def point(self, index: int) -> Point:
        """Point ``index`` of the canonical order."""
        if not 0 <= index < self.n_points:
            raise IndexError(f"point {index} is outside 0 .. {self.n_points - 1}")
        pos = np.unravel_index(index, self.canonical_shape)
        params = {a.name: a.values[int(i)] for a, i in zip(self.grid, pos[1:])}
        if self.samples:
            params.update(self._draws[int(pos[-1])])
        return Point(index, params, self.seeds[int(pos[0])], point_seed(self.seed, index))

    def points(self) -> Iterator[Point]:
        for i in range(self.n_points):
            yield self.point(i)

    def kwargs(self, point: Point) -> dict[str, Any]:
        """Everything the target receives for ``point`` but the seed: fixed, then swept."""
        return {**self.fixed, **point.params}

    # ---- identity

    def canonical(self) -> dict[str, Any]:
        """What the sweep computes, as plain JSON data: two specs that compute the same
        thing have the same canonical form (and :attr:`spec_hash`), however their grids
        were written. The store, retries, descriptions and names of dimensions are left
        out."""
        return {
            "target": self.target.name,
            "target_kind": self.target.kind,
            "mode": self.mode,
            "fixed": dict(sorted(self.fixed.items())),
            "grid": [[a.name, list(a.values)] for a in self.grid],
            "random": [[r.name, r.canonical()] for r in self.random],
            "samples": self.samples,
            "seed": self.seed,
            "seeds": list(self.seeds),
        }

    def canonical_json(self) -> str:
        return json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))

    @property
    def spec_hash(self) -> str:
        """SHA-256 of :meth:`canonical_json` (hex)."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def describe(self) -> str:
        """One line: the target and the shape of the grid."""
        sizes = " x ".join(f"{d} ({n})" for d, n in zip(self.dims, self.shape))
        mode = f" ({self.mode})" if self.mode else ""
        return f"{self.target.name}{mode}: {self.n_points} points, {sizes}"


# ------------------------------------------------------------------------------ parsing


def load_spec(source: Any, *, store: str | os.PathLike | None = None) -> Spec:
    """Read and check a sweep spec.

    Parameters
    ----------
    source : path-like, dict or Spec
        A ``.toml`` file, or its content as a dict (see the module docstring).
    store : path-like, optional
        Overrides the spec's ``store``.

    Returns
    -------
    Spec
        With its target resolved and every point's parameters checked.

    Raises
    ------
    SweepError
        One line, naming the file (and the line for a TOML syntax error), the key
        and what is allowed.
    """
    if isinstance(source, Spec):
        return dataclasses.replace(source, store=Path(store)) if store is not None else source
    origin = "<dict>"
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        origin = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SweepError(f"{path}: no such spec file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SweepError(f"{path}: cannot read the spec: {exc}") from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SweepError(f"{path}: invalid TOML: {exc}") from None
    elif isinstance(source, Mapping):
        raw = dict(source)
    else:
        raise SweepError(f"a spec is a .toml path or a dict, got {type(source).__name__}")
    try:
        return _parse(raw, origin, store)
    except SweepError as exc:
        msg = str(exc)
        if origin == "<dict>" or msg.startswith(origin):
            raise
        raise SweepError(f"{origin}: {msg}") from None


def _parse(raw: dict[str, Any], origin: str, store_override) -> Spec:
    unknown = sorted(set(raw) - set(SPEC_KEYS))
    if unknown:
        raise SweepError(f"unknown key {unknown[0]!r}; a spec has {', '.join(SPEC_KEYS)}")
    if "target" not in raw:
        raise SweepError("no target: give a study id or 'module:function'")
    target = _resolve_target(raw["target"])

    mode = raw.get("mode")
    if target.kind == "study":
        mode = "full" if mode is None else mode
        if mode not in _MODES:
            raise SweepError(f"mode must be 'quick' or 'full', got {_show(mode)}")
    elif mode is not None:
        raise SweepError(f"mode applies to a study target, not to the function {target.name}")

    store = store_override if store_override is not None else raw.get("store")
    if store is not None:
        if not isinstance(store, str | os.PathLike) or not str(store):
            raise SweepError(f"store must be a path ending in .zarr, got {_show(store)}")
        store = Path(store)
        if store.suffix != ".zarr":
            raise SweepError(f"store must be a path ending in .zarr, got {str(store)!r}")

    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise SweepError(f"seed must be a non-negative integer, got {_show(seed)}")
    seeds = raw.get("seeds", 1)
    if isinstance(seeds, list):
        if not seeds:
            raise SweepError("seeds: an empty list; give a count or some labels")
        labels = [_check_value("seeds", s) for s in seeds]
        if any(isinstance(s, bool) or not isinstance(s, int | str) for s in labels):
            raise SweepError("seeds: labels must be integers or text")
        _check_values("seeds", labels)
        seeds = tuple(labels)
    elif isinstance(seeds, bool) or not isinstance(seeds, numbers.Integral) or seeds < 1:
        raise SweepError(f"seeds must be a positive count or a list of labels, got {_show(seeds)}")
    else:
        seeds = tuple(range(int(seeds)))

    retries = raw.get("retries", 2)
    if isinstance(retries, bool) or not isinstance(retries, numbers.Integral) or retries < 0:
        raise SweepError(f"retries must be a non-negative integer, got {_show(retries)}")
    description = str(raw.get("description", ""))

    fixed = raw.get("fixed", {})
    if not isinstance(fixed, Mapping):
        raise SweepError(f"[fixed] must be a table of name = value, got {_show(fixed)}")
    fixed = {str(k): _check_value(f"fixed.{k}", v) for k, v in fixed.items()}

    grid_raw = raw.get("grid", {})
    if not isinstance(grid_raw, Mapping):
        raise SweepError(f"[grid] must be a table of name = values, got {_show(grid_raw)}")
    grid = []
    dims_used: set[str] = set(_RESERVED_DIMS)
    for name, entry in grid_raw.items():
        values, describe = _expand(f"grid.{name}", entry)
        _check_values(f"grid.{name}", values)
        dim = _dim_name(str(name), dims_used)
        long_name = describe.get("long_name", f"swept parameter {name}")
        grid.append(Axis(str(name), dim, tuple(values), long_name, describe.get("units")))

    samples = raw.get("samples", 0)
    if isinstance(samples, bool) or not isinstance(samples, numbers.Integral) or samples < 0:
        raise SweepError(f"samples must be a non-negative integer, got {_show(samples)}")
    samples = int(samples)
    random_raw = raw.get("random", {})
    if not isinstance(random_raw, Mapping):
        raise SweepError(f"[random] must be a table of name = range, got {_show(random_raw)}")
    if samples and not random_raw:
        raise SweepError("samples is set but [random] names no parameter to draw")
    if random_raw and not samples:
        raise SweepError("[random] needs samples = N (how many draws)")
    random = [_random_param(str(n), e, dims_used) for n, e in random_raw.items()]

    names = [a.name for a in grid] + [r.name for r in random]
    for name in names:
        if name == "seed":
            raise SweepError("'seed' is set by the sweep: use the spec's seed and seeds")
    if "seed" in fixed:
        raise SweepError("'seed' is set by the sweep: use the spec's seed and seeds")
    twice = sorted({n for n in names if names.count(n) > 1} | (set(names) & set(fixed)))
    if twice:
        raise SweepError(f"parameter {twice[0]!r} is given twice (in [fixed], [grid], [random])")
    if not grid and not random and len(seeds) == 1:
        raise SweepError("nothing to sweep: [grid] is empty, no [random] draws and one seed")

    draws: tuple[dict[str, Any], ...] = ()
    if samples:
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), 1]))
        draws = tuple({r.name: r.draw(rng) for r in random} for _ in range(samples))

    spec = Spec(
        target=target, mode=mode, fixed=fixed, grid=tuple(grid), random=tuple(random),
        samples=samples, seed=int(seed), seeds=seeds, store=store, retries=int(retries),
        description=description, origin=origin, raw=raw, _draws=draws,
    )  # fmt: skip
    if spec.n_points > 50_000_000:
        raise SweepError(f"{spec.n_points} points is more than a sweep should hold")
    target = _check_target(spec)
    return dataclasses.replace(spec, target=target)


def _dim_name(name: str, used: set[str]) -> str:
    """The dimension of a parameter: its name when that is a valid lowercase dimension
    name, else a cleaned-up one; never a name already used."""
    if not name:
        raise SweepError("a parameter name is empty")
    if name == "seed":
        raise SweepError("'seed' is set by the sweep: use the spec's seed and seeds")
    dim = name if _DIM_RE.match(name) else "p_" + re.sub(r"[^a-z0-9_]", "_", name.lower())
    if dim in used:
        if name in _RESERVED_DIMS:
            raise SweepError(f"a parameter cannot be called {name!r}: the sweep uses that name")
        raise SweepError(f"parameter {name!r} gives dimension {dim!r}, which is already used")
    used.add(dim)
    return dim


def _random_param(name: str, entry: Any, used: set[str]) -> RandomParam:
    where = f"random.{name}"
    coord = _dim_name(name, used)
    if isinstance(entry, list | tuple):
        entry = {"values": list(entry)}
    if not isinstance(entry, Mapping):
        raise SweepError(f"{where}: give {{start, stop}} (scale, type) or a list of choices")
    allowed = {"values", "start", "stop", "scale", "type", "long_name", "units"}
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise SweepError(f"{where}: unknown key {unknown[0]!r}; keys: {', '.join(sorted(allowed))}")
    long_name = str(entry.get("long_name", f"randomly drawn parameter {name}"))
    units = str(entry["units"]) if "units" in entry else None
    if "values" in entry:
        values = [_check_value(where, v) for v in entry["values"]]
        _check_values(where, values)
        return RandomParam(name, coord, choices=tuple(values), long_name=long_name, units=units)
    if "start" not in entry or "stop" not in entry:
        raise SweepError(f"{where}: a random range needs start and stop")
    start, stop = entry["start"], entry["stop"]
    for key, v in (("start", start), ("stop", stop)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise SweepError(f"{where}: {key} must be a finite number, got {_show(v)}")
    if not stop > start:
        raise SweepError(f"{where}: stop ({stop!r}) must be above start ({start!r})")
    scale = entry.get("scale", "linear")
    if scale not in ("linear", "log"):
        raise SweepError(f"{where}: scale must be 'linear' or 'log', got {_show(scale)}")
    if scale == "log" and start <= 0:
        raise SweepError(f"{where}: a log range needs start > 0")
    vtype = entry.get("type", "float")
    if vtype not in ("int", "float"):
        raise SweepError(f"{where}: type must be 'int' or 'float', got {_show(vtype)}")
    return RandomParam(name, coord, float(start), float(stop), scale, vtype == "int",
                       long_name=long_name, units=units)  # fmt: skip


def _resolve_target(name: Any) -> Target:
    if not isinstance(name, str) or not name:
        raise SweepError(f"target must be a study id or 'module:function', got {_show(name)}")
    if ":" in name:
        module_name, _, attr = name.partition(":")
        if not module_name or not attr:
            raise SweepError(f"target {name!r}: write it 'module:function'")
        try:
            func = Target("function", name).load()
        except ModuleNotFoundError as exc:
            raise SweepError(f"unknown target {name!r}: no module {exc.name!r}") from None
        except AttributeError:
            raise SweepError(f"unknown target {name!r}: {module_name} has no {attr!r}") from None
        except Exception as exc:
            raise SweepError(f"target {name!r} cannot be imported: {exc}") from None
        if not callable(func):
            raise SweepError(f"target {name!r} is not a function")
        return Target("function", name)
    from neurosparse.studies import find_studies, studies_dir

    studies = find_studies()
    if name not in studies:
        known = ", ".join(studies) or f"none in {studies_dir()}"
        raise SweepError(
            f"unknown target {name!r}: not a study (known: {known}) nor 'module:function'"
        )
    return Target("study", name, str(studies[name].path))


def _check_target(spec: Spec) -> Target:
    """Check every point's parameters against the target before anything runs."""
    target = spec.target
    try:
        loaded = target.load()
    except Exception as exc:
        raise SweepError(f"target {target.name!r} cannot be loaded: {exc}") from None
    if target.kind == "study":
        from neurosparse.studies import apply_overrides

        base = loaded.QUICK if spec.mode == "quick" else loaded.FULL
        fields = {f.name for f in dataclasses.fields(base)}
        for name in [*spec.fixed, *(a.name for a in spec.grid), *(r.name for r in spec.random)]:
            if name not in fields:
                raise SweepError(
                    f"unknown parameter {name!r} for study {target.name}; "
                    f"its Params has {', '.join(sorted(fields))}"
                )
        checked = 0
        for point in spec.points():
            try:
                apply_overrides(base, spec.kwargs(point))
            except (ValueError, TypeError) as exc:
                raise SweepError(f"point {point.index} ({point.describe()}): {exc}") from None
            checked += 1
            if checked >= 100_000:  # beyond that, the values seen are representative
                break
        return target
    try:
        sig = inspect.signature(loaded)
    except (TypeError, ValueError):
        return target
    params = sig.parameters
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    takes_seed = "seed" in params or var_kw
    named = [*spec.fixed, *(a.name for a in spec.grid), *(r.name for r in spec.random)]
    for name in named:
        p = params.get(name)
        if (p is None and not var_kw) or (p is not None and p.kind is p.POSITIONAL_ONLY):
            accepted = [n for n, q in params.items() if q.kind in (q.POSITIONAL_OR_KEYWORD,
                        q.KEYWORD_ONLY) and n != "seed"]  # fmt: skip
            raise SweepError(
                f"unknown parameter {name!r} for {target.name}; it takes "
                f"{', '.join(accepted) or 'no keyword arguments'}"
            )
    dummy = dict.fromkeys(named)
    if takes_seed:
        dummy["seed"] = 0
    try:
        sig.bind(**dummy)
    except TypeError as exc:
        raise SweepError(f"target {target.name}: {exc} (give it in [fixed] or [grid])") from None
    if not takes_seed and len(spec.seeds) > 1:
        raise SweepError(
            f"target {target.name} takes no seed, so seeds = {len(spec.seeds)} would run "
            "the same points again; give one seed or a target with a seed argument"
        )
    return dataclasses.replace(target, takes_seed=takes_seed)
