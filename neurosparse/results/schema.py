"""The written schema of the neurosparse result format, and its validator.

Every model, study and sweep returns an :class:`xarray.DataTree` laid out as below
(see ``docs/ARCHITECTURE.md``, "The result format"). :func:`validate` checks these conventions
and raises :class:`ResultFormatError` naming the offending node.

Root attrs (all required)
    ``neurosparse_version`` (str), ``created_at`` (ISO 8601 UTC str), ``kind``
    (``family.thing``), ``params`` (JSON object as a str: netCDF refuses dict and bool
    attrs), ``seed`` (int, or a str saying what was passed), ``source`` (citation or
    arXiv id). Optional: ``study`` (the study id that made it), ``mode`` (a study's
    ``quick``, ``full`` or ``custom`` settings), ``run_seconds``, ``machine`` (the machine
    and numeric stack a study ran on), ``data`` (the data a study used, where it takes
    a user's data set), ``extra_dims`` (JSON list of dimension names beyond
    :data:`STANDARD_DIMS`).

Dimensions
    A dimension is one of :data:`STANDARD_DIMS`, or is described by a coordinate of
    the same name carrying a ``long_name`` (a swept parameter, a penalty, ...), or is
    declared in ``extra_dims``.

Groups (each optional; nothing else at the top level)
    ``params``, ``inputs``, ``state``, ``connectivity``, ``activity``, ``metrics``,
    ``reference``, ``claims``. Any depth may hang below them (but ``claims``, which
    is one flat table).

``claims`` (required when ``study`` is set)
    Dimension ``claim``; variables ``statement``, ``published``, ``reproduced``,
    ``published_value``, ``reproduced_value``, ``tolerance``, ``verdict`` (one of
    ``agrees``, ``differs``, ``not tested``) and ``source``
    (:mod:`neurosparse.results.claims`).

``connectivity/<name>``
    Either COO: ``pre`` and ``post`` (integer indices) and optionally ``weight`` along
    dimension ``synapse``; or a dense boolean ``mask`` with dims ``(post, pre)``.
    Attrs ``n_pre``, ``n_post``, ``pre_layer``, ``post_layer``.

Spike events (anywhere under ``activity``)
    ``neuron`` (int) and ``time`` (float, with ``units``) along dimension ``spike``.

``reference``
    Every data variable carries a ``source`` attr saying where the number comes from.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import numpy as np
import xarray as xr

__all__ = [
    "GROUPS",
    "REQUIRED_ATTRS",
    "STANDARD_DIMS",
    "ResultFormatError",
    "make_attrs",
    "validate",
]

#: Top-level groups a result may have.
GROUPS = (
    "params", "inputs", "state", "connectivity", "activity", "metrics", "reference", "claims",
)  # fmt: skip

#: Root attrs every result carries.
REQUIRED_ATTRS = ("neurosparse_version", "created_at", "kind", "params", "seed", "source")

#: Dimension names with a fixed meaning across families.
STANDARD_DIMS = frozenset(
    {
        "sample", "pixel", "atom", "neuron", "pre", "post", "synapse", "segment",
        "time", "step", "trial", "seed", "layer", "class", "spike", "claim",
    }
)  # fmt: skip

_KIND_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_DIM_RE = re.compile(r"^[a-z_][a-z0-9_]*$")


class ResultFormatError(ValueError):
    """A file or tree does not follow the neurosparse result format."""


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    raise TypeError(f"params value {obj!r} of type {type(obj).__name__} is not JSON-serialisable")


def make_attrs(
    kind: str,
    params: dict[str, Any] | None = None,
    seed: Any = None,
    source: str = "",
    *,
    study: str | None = None,
    extra_dims: list[str] | tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """Provenance attrs for the root of a result tree.

    Parameters
    ----------
    kind : str
        ``family.thing``, e.g. ``"coding.dictionary"`` or ``"dendrites.false_match"``.
    params : dict, optional
        The parameters that made the result; stored as a JSON string.
    seed : int, Generator or None
        The seed passed to the entry point (stored as an int, or a word).
    source : str
        The paper (citation or arXiv id) the model or study follows.
    study : str, optional
        Study id (``paper/figure``) when a study made the result.
    extra_dims : sequence of str, optional
        Dimension names used beyond :data:`STANDARD_DIMS` (swept parameters, ...).
    """
    from neurosparse._validation import seed_attr
    from neurosparse._version import __version__

    if not isinstance(kind, str) or not _KIND_RE.match(kind):
        raise ValueError(f"kind must look like 'family.thing' (lowercase), got {kind!r}")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict, got {type(params).__name__}")
    attrs: dict[str, Any] = {
        "neurosparse_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "kind": kind,
        "params": json.dumps(params, default=_json_default, sort_keys=True),
        "seed": seed_attr(seed),
        "source": str(source),
    }
    if study is not None:
        attrs["study"] = str(study)
    if extra_dims:
        attrs["extra_dims"] = json.dumps(sorted({str(d) for d in extra_dims}))
    return attrs


def _node_path(node: xr.DataTree) -> str:
    return node.path if node.path != "/" else "/ (root)"


def validate(tree: xr.DataTree) -> xr.DataTree:
    """Check that ``tree`` follows the result format; return it unchanged.

    Raises
    ------
    ResultFormatError
        Naming the offending node and what is wrong with it.
    """
    if not isinstance(tree, xr.DataTree):
        raise ResultFormatError(f"a result must be an xarray.DataTree, got {type(tree).__name__}")
    attrs = tree.attrs
    missing = [a for a in REQUIRED_ATTRS if a not in attrs]
    if missing:
        raise ResultFormatError(f"node / (root): missing root attrs {missing}")
    for name in ("neurosparse_version", "created_at", "kind", "params", "source"):
        if not isinstance(attrs[name], str):
            raise ResultFormatError(
                f"node / (root): attr {name!r} must be a str, got {type(attrs[name]).__name__}"
            )
    if not _KIND_RE.match(attrs["kind"]):
        raise ResultFormatError(
            f"node / (root): attr 'kind' must look like 'family.thing', got {attrs['kind']!r}"
        )
    try:
        datetime.fromisoformat(attrs["created_at"])
    except ValueError:
        raise ResultFormatError(
            f"node / (root): attr 'created_at' is not ISO 8601: {attrs['created_at']!r}"
        ) from None
    try:
        params = json.loads(attrs["params"])
    except json.JSONDecodeError as exc:
        raise ResultFormatError(f"node / (root): attr 'params' is not JSON: {exc}") from None
    if not isinstance(params, dict):
        raise ResultFormatError("node / (root): attr 'params' must be a JSON object")
    seed = attrs["seed"]
    if not isinstance(seed, str | int | np.integer):
        raise ResultFormatError(f"node / (root): attr 'seed' must be int or str, got {seed!r}")
    extra = set()
    if "extra_dims" in attrs:
        try:
            extra = set(json.loads(attrs["extra_dims"]))
        except (json.JSONDecodeError, TypeError):
            raise ResultFormatError(
                "node / (root): attr 'extra_dims' must be a JSON list of names"
            ) from None
    allowed_dims = STANDARD_DIMS | extra

    for child in tree.children:
        if child not in GROUPS:
            raise ResultFormatError(
                f"node /{child}: unknown top-level group; allowed are {', '.join(GROUPS)}"
            )
    if tree.data_vars:
        raise ResultFormatError(
            f"node / (root): holds variables {list(tree.data_vars)}; put them in a group"
        )

    if "claims" in tree.children:
        _validate_claims(tree["claims"])
    elif "study" in attrs:
        raise ResultFormatError(
            f"node / (root): a study's result ({attrs['study']!r}) needs a 'claims' group"
        )

    for node in tree.subtree:
        ds = node.dataset
        for dim in ds.dims:
            described = dim in ds.coords and "long_name" in ds[dim].attrs
            if not _DIM_RE.match(str(dim)) or not (dim in allowed_dims or described):
                raise ResultFormatError(
                    f"node {_node_path(node)}: dimension {dim!r} is not standard "
                    f"({', '.join(sorted(STANDARD_DIMS))}), has no coordinate with a "
                    "'long_name', and is not declared in 'extra_dims'"
                )
        parts = node.path.strip("/").split("/")
        if parts[0] == "connectivity" and len(parts) == 2:
            _validate_connectivity(node)
        if parts[0] == "reference":
            for name, var in node.data_vars.items():
                if "source" not in var.attrs:
                    raise ResultFormatError(
                        f"node {node.path}: reference variable {name!r} has no 'source' attr"
                    )
        if "spike" in ds.dims:
            for name in ("neuron", "time"):
                if name not in ds.variables or ds[name].dims != ("spike",):
                    raise ResultFormatError(
                        f"node {node.path}: spike events need {name!r} along 'spike'"
                    )
    return tree


def _validate_claims(node: xr.DataTree) -> None:
    from neurosparse.results.claims import CLAIM_VARIABLES, VERDICTS

    if node.children:
        raise ResultFormatError(f"node {node.path}: claims is one table, without subgroups")
    ds = node.dataset
    for name in CLAIM_VARIABLES:
        if name not in ds.data_vars or ds[name].dims != ("claim",):
            raise ResultFormatError(
                f"node {node.path}: needs variable {name!r} along 'claim' "
                f"(claims have {', '.join(CLAIM_VARIABLES)})"
            )
    bad = sorted({str(v) for v in ds["verdict"].values} - set(VERDICTS))
    if bad:
        raise ResultFormatError(
            f"node {node.path}: verdicts {bad} are not among {', '.join(map(repr, VERDICTS))}"
        )


def _validate_connectivity(node: xr.DataTree) -> None:
    ds = node.dataset
    path = node.path
    for name in ("n_pre", "n_post", "pre_layer", "post_layer"):
        if name not in ds.attrs:
            raise ResultFormatError(f"node {path}: connectivity is missing attr {name!r}")
    n_pre, n_post = int(ds.attrs["n_pre"]), int(ds.attrs["n_post"])
    if "mask" in ds.data_vars:
        mask = ds["mask"]
        if mask.dims != ("post", "pre") or mask.dtype != bool:
            raise ResultFormatError(
                f"node {path}: 'mask' must be bool with dims ('post', 'pre'), "
                f"got {mask.dtype} {mask.dims}"
            )
        if mask.shape != (n_post, n_pre):
            raise ResultFormatError(
                f"node {path}: mask shape {mask.shape} != (n_post, n_pre) = {(n_post, n_pre)}"
            )
        return
    for name in ("pre", "post"):
        if name not in ds.variables:
            raise ResultFormatError(f"node {path}: connectivity needs 'pre' and 'post' or 'mask'")
        var = ds[name]
        if var.dims != ("synapse",) or var.dtype.kind not in "iu":
            raise ResultFormatError(
                f"node {path}: {name!r} must be integers along 'synapse', "
                f"got {var.dtype} {var.dims}"
            )
    pre, post = ds["pre"].values, ds["post"].values
    if pre.size and (pre.min() < 0 or pre.max() >= n_pre):
        raise ResultFormatError(f"node {path}: 'pre' indices outside [0, {n_pre})")
    if post.size and (post.min() < 0 or post.max() >= n_post):
        raise ResultFormatError(f"node {path}: 'post' indices outside [0, {n_post})")
    if "weight" in ds.variables and ds["weight"].dims != ("synapse",):
        raise ResultFormatError(f"node {path}: 'weight' must be along 'synapse'")
