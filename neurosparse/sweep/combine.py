"""Combining a sweep's points into one result with a dimension per swept parameter.

What is combined
    For a study target, each point's ``metrics`` group; for a function target, every
    group of its result that holds numeric variables, except ``claims`` (one flat table
    per result), ``connectivity`` (its layout is fixed by the format) and spike tables.
    Numeric and boolean variables are kept; text variables are left in the points.

How
    Each variable gains the sweep's dimensions in front of its own: the grid parameters
    in the spec's order, ``draw`` (random search), then ``seed``. A point's own dimensions
    are kept; where their coordinates differ between points (a grid of ``n`` that depends
    on a swept step) the union is taken and the gaps are NaN. A point that failed or has
    not run is NaN throughout; integer and boolean variables become floats then (the
    ``params/status`` variable says which points are real).

Provenance
    The ``params`` group holds, along the sweep's dimensions: ``point_index``,
    ``point_seed`` (the seed the point ran with), ``status`` (``ok``, ``failed``,
    ``missing``), ``error``, ``run_seconds``, ``worker`` and, for a study target, the
    counts of its claims' verdicts.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr

from neurosparse.sweep.spec import Spec

__all__ = ["combine", "extract", "point_info"]

_POINT = "__point__"
_SKIP_TOP = ("claims", "connectivity")


def _default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    return str(obj)


def _clean_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """Attrs as a zarr round trip gives them back, so that points combined from memory
    and from the store carry the same attrs."""
    return json.loads(json.dumps(dict(attrs), default=_default))


def _clean_values(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    if values.dtype.kind in "OUS":
        return values.astype(str)
    return values


def _numeric(var: xr.DataArray) -> bool:
    return var.dtype.kind in "biufc"


def extract(tree: xr.DataTree, target_kind: str) -> dict[str, xr.Dataset]:
    """The parts of a point's result that are combined, by node path."""
    out: dict[str, xr.Dataset] = {}
    if target_kind == "study":
        paths = ["/metrics"] if "metrics" in tree.children else []
    else:
        paths = []
        for node in tree.subtree:
            parts = node.path.strip("/").split("/")
            if node.path == "/" or parts[0] in _SKIP_TOP:
                continue
            paths.append(node.path)
    for path in paths:
        ds = tree[path].to_dataset(inherit=False)
        if "spike" in ds.dims:
            continue
        keep = [name for name, var in ds.data_vars.items() if _numeric(var)]
        if not keep:
            continue
        variables = {}
        for name in keep:
            var = ds[name].variable
            variables[name] = xr.Variable(var.dims, np.asarray(var.values),
                                          _clean_attrs(var.attrs))  # fmt: skip
        coords = {}
        for name, coord in ds.coords.items():
            if any(d not in _dims_of(variables) for d in coord.dims):
                continue
            coords[name] = xr.Variable(coord.dims, _clean_values(coord.values),
                                       _clean_attrs(coord.attrs))  # fmt: skip
        name = path.strip("/")
        if name == "params" or name.startswith("params/"):
            # the combined result's params group holds the provenance: the target's own
            # params go below it
            name = "params/point" + name[len("params") :]
        out[name] = xr.Dataset(variables, coords=coords,
                                          attrs=_clean_attrs(ds.attrs))  # fmt: skip
    return out


def _dims_of(variables: dict[str, xr.Variable]) -> set[str]:
    return {d for v in variables.values() for d in v.dims}


def point_info(tree: xr.DataTree, target_kind: str) -> dict[str, Any]:
    """What the combined result keeps of a finished point besides its numbers."""
    attrs = tree.attrs
    info = {
        "status": "ok",
        "error": "",
        "worker": str(attrs.get("sweep_worker", "")),
        "run_seconds": float(attrs.get("sweep_run_seconds", np.nan)),
        "kind": str(attrs.get("kind", "")),
        "source": str(attrs.get("source", "")),
        "extra_dims": json.loads(attrs["extra_dims"]) if "extra_dims" in attrs else [],
    }
    if target_kind == "study" and "claims" in tree.children:
        verdicts = [str(v) for v in np.asarray(tree["claims"]["verdict"].values).ravel()]
        info["claims"] = tuple(verdicts.count(v) for v in ("agrees", "differs", "not tested"))
    return info


def _sweep_coord(values: tuple[Any, ...]) -> np.ndarray:
    if all(isinstance(v, bool) for v in values):
        return np.array(values, dtype=bool)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.int64)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.float64)
    if all(isinstance(v, str) for v in values):
        return np.array(values, dtype=str)
    return np.array([json.dumps(v) for v in values], dtype=str)


def sweep_coords(spec: Spec) -> dict[str, xr.Variable]:
    """The coordinates of the sweep's dimensions (and of the random draws)."""
    coords: dict[str, xr.Variable] = {}
    for axis in spec.grid:
        attrs = {"long_name": axis.long_name}
        if axis.units:
            attrs["units"] = axis.units
        if axis.dim != axis.name:
            attrs["parameter"] = axis.name
        coords[axis.dim] = xr.Variable((axis.dim,), _sweep_coord(axis.values), attrs)
    if spec.samples:
        coords["draw"] = xr.Variable(("draw",), np.arange(spec.samples),
                                     {"long_name": "random-search draw"})  # fmt: skip
        for r in spec.random:
            attrs = {"long_name": r.long_name}
            if r.units:
                attrs["units"] = r.units
            if r.coord != r.name:
                attrs["parameter"] = r.name
            values = tuple(d[r.name] for d in spec.draws())
            coords[r.coord] = xr.Variable(("draw",), _sweep_coord(values), attrs)
    coords["seed"] = xr.Variable(("seed",), _sweep_coord(spec.seeds),
                                 {"long_name": "seed replicate (label; each point's own seed "
                                  "is params/point_seed)"})  # fmt: skip
    return coords


def _layout(spec: Spec) -> tuple[tuple[int, ...], list[int]]:
    """Canonical shape (seed, grid..., draw) and the axis order of the result's dims."""
    canon = spec.canonical_shape
    return canon, [*range(1, len(canon)), 0]


def _to_sweep(spec: Spec, flat: np.ndarray) -> np.ndarray:
    """An array over points (first axis, canonical order) laid out along spec.dims."""
    canon, order = _layout(spec)
    rest = flat.shape[1:]
    arr = flat.reshape(canon + rest)
    return arr.transpose(order + list(range(len(canon), len(canon) + len(rest))))


def _prepare(dss: list[xr.Dataset], sweep_dims: set[str]) -> list[xr.Dataset]:
    """Rename a point's dimensions that clash with the sweep's; give index-less
    dimensions whose sizes differ between points an integer coordinate."""
    out = []
    for ds in dss:
        clash = {d: f"{d}_inner" for d in ds.dims if d in sweep_dims}
        if clash:
            ds = ds.rename(clash)
        out.append(ds)
    sizes: dict[str, set[int]] = {}
    for ds in out:
        for d, n in ds.sizes.items():
            if d not in ds.indexes:
                sizes.setdefault(d, set()).add(n)
    ragged = [d for d, s in sizes.items() if len(s) > 1]
    if ragged:
        out = [
            ds.assign_coords(
                {
                    d: (d, np.arange(ds.sizes[d]), {"long_name": f"position along {d}"})
                    for d in ragged
                    if d in ds.dims
                }
            )
            for ds in out
        ]
    return out


def _combine_group(spec: Spec, parts: dict[int, xr.Dataset]) -> xr.Dataset:
    n = spec.n_points
    present = sorted(parts)
    dss = _prepare([parts[i] for i in present], set(spec.dims) | {"draw"})
    combined = xr.concat(
        dss, dim=_POINT, data_vars="all", coords="minimal", compat="override",
        join="outer", combine_attrs="override",
    )  # fmt: skip
    combined = combined.assign_coords({_POINT: np.asarray(present)})
    if len(present) < n:
        for name, var in combined.data_vars.items():
            if var.dtype.kind == "b":
                combined[name] = var.astype(np.float64)
        combined = combined.reindex({_POINT: np.arange(n)})
    sweep_dims = list(spec.dims)
    variables = {}
    for name, var in combined.data_vars.items():
        var = var.transpose(_POINT, ...)
        rest = list(var.dims[1:])
        values = _to_sweep(spec, np.asarray(var.values))
        variables[name] = xr.Variable(sweep_dims + rest, values, _clean_attrs(var.attrs))
    coords = {}
    for name, coord in combined.coords.items():
        if name == _POINT or _POINT in coord.dims:
            continue
        coords[name] = xr.Variable(coord.dims, _clean_values(coord.values),
                                   _clean_attrs(coord.attrs))  # fmt: skip
    coords.update(sweep_coords(spec))
    return xr.Dataset(variables, coords=coords, attrs=_clean_attrs(combined.attrs))


def _provenance(spec: Spec, info: dict[int, dict[str, Any]], is_study: bool) -> xr.Dataset:
    n = spec.n_points
    status = np.full(n, "missing", dtype="<U7")
    error = [""] * n
    worker = [""] * n
    run_seconds = np.full(n, np.nan)
    claims = np.full((n, 3), -1, dtype=np.int64)
    for i, rec in info.items():
        status[i] = rec["status"]
        error[i] = rec.get("error", "") or ""
        worker[i] = rec.get("worker", "") or ""
        run_seconds[i] = rec.get("run_seconds", np.nan)
        if "claims" in rec:
            claims[i] = rec["claims"]
    seeds = np.array([spec.point(i).seed for i in range(n)], dtype=np.int64)
    dims = list(spec.dims)
    data = {
        "point_index": (np.arange(n, dtype=np.int64), "index of the point in the canonical "
                        "order (seed, grid parameters, draw)", None),
        "point_seed": (seeds, "seed the point ran with: SeedSequence(seed).spawn(n)[index]", None),
        "status": (status, "ok, failed (the target raised) or missing (not run)", None),
        "error": (np.array(error, dtype=str), "error of a failed point", None),
        "run_seconds": (run_seconds, "wall time of the point on its worker", "s"),
        "worker": (np.array(worker, dtype=str), "address of the worker that ran the point", None),
    }  # fmt: skip
    if is_study:
        for k, word in enumerate(("agrees", "differs", "not_tested")):
            verdict = word.replace("_", " ")
            data[f"claims_{word}"] = (
                claims[:, k],
                f"claims of the point with verdict '{verdict}' (-1: no result)",
                None,
            )
    variables = {}
    for name, (flat, long_name, units) in data.items():
        attrs = {"long_name": long_name}
        if units:
            attrs["units"] = units
        variables[name] = xr.Variable(dims, _to_sweep(spec, flat), attrs)
    return xr.Dataset(variables, coords=sweep_coords(spec))


def combine(
    spec: Spec,
    parts: dict[int, dict[str, xr.Dataset]],
    info: dict[int, dict[str, Any]],
    *,
    run_seconds: float | None = None,
) -> xr.DataTree:
    """The sweep's result from its points' parts (:func:`extract`) and records.

    Parameters
    ----------
    spec : Spec
    parts : dict
        Point index to ``{group path: dataset}`` for the finished points.
    info : dict
        Point index to its record (:func:`point_info`, or a failure's), for every
        point that finished or failed.
    run_seconds : float, optional
        Wall time of the run, recorded in the root attrs.
    """
    from neurosparse.results import make_attrs, validate

    is_study = spec.target.kind == "study"
    ok = sorted(i for i, rec in info.items() if rec["status"] == "ok")
    first = info[ok[0]] if ok else {}
    kind = f"sweep.{first['kind']}" if first.get("kind") else "sweep.unfinished"
    extra = sorted({d for i in ok for d in info[i].get("extra_dims", [])})
    attrs = make_attrs(
        kind, params=spec.canonical(), seed=spec.seed,
        source=first.get("source", "") or spec.target.name, extra_dims=extra or None,
    )  # fmt: skip
    failed = sum(1 for rec in info.values() if rec["status"] == "failed")
    attrs.update(
        {
            "sweep_target": spec.target.name,
            "sweep_spec_hash": spec.spec_hash,
            "sweep_dims": json.dumps(list(spec.dims)),
            "sweep_points": spec.n_points,
            "sweep_finished": len(ok),
            "sweep_failed": failed,
            "sweep_missing": spec.n_points - len(ok) - failed,
        }
    )
    if spec.mode:
        attrs["sweep_mode"] = spec.mode
    if run_seconds is not None:
        attrs["run_seconds"] = round(float(run_seconds), 3)
    tree = xr.DataTree(dataset=xr.Dataset(attrs=attrs))
    tree["params"] = xr.DataTree(dataset=_provenance(spec, info, is_study))
    paths: list[str] = []
    for i in ok:
        for path in parts.get(i, {}):
            if path not in paths:
                paths.append(path)
    for path in sorted(paths, key=lambda p: (p.count("/"), paths.index(p))):
        group = {i: parts[i][path] for i in ok if path in parts.get(i, {})}
        tree[path] = xr.DataTree(dataset=_combine_group(spec, group))
    return validate(tree)
