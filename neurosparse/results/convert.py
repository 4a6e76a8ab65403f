"""Helpers that put connectivity and spike events into the result format and back.

Connectivity is the currency of the bridges (``DESIGN.md``): one node per projection,
either COO indices ``pre``/``post`` (and optionally ``weight``) along ``synapse``, or a
dense boolean ``mask`` with dims ``(post, pre)`` -- torch's ``(out, in)`` orientation.
Every reader here accepts both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from neurosparse._validation import check_array, check_int
from neurosparse.results.schema import ResultFormatError, make_attrs, validate

__all__ = [
    "connectivity_from_indices",
    "connectivity_from_mask",
    "indices_from_connectivity",
    "mask_from_connectivity",
    "new_result",
    "spikes_from_dataset",
    "spikes_to_dataset",
    "weights_from_connectivity",
]


def _layer_attrs(n_pre: int, n_post: int, pre_layer: str, post_layer: str) -> dict[str, Any]:
    return {
        "n_pre": int(n_pre),
        "n_post": int(n_post),
        "pre_layer": str(pre_layer),
        "post_layer": str(post_layer),
    }


def connectivity_from_indices(
    pre: Any,
    post: Any,
    n_pre: int,
    n_post: int,
    *,
    weight: Any = None,
    pre_layer: str = "pre",
    post_layer: str = "post",
) -> xr.Dataset:
    """A COO connectivity node from index arrays.

    Parameters
    ----------
    pre, post : array-like of int, shape (n_synapses,)
        Presynaptic and postsynaptic indices of each synapse.
    n_pre, n_post : int
        Sizes of the two layers.
    weight : array-like of float, shape (n_synapses,), optional
    pre_layer, post_layer : str
        Names of the layers the projection joins.
    """
    n_pre = check_int("n_pre", n_pre, low=0)
    n_post = check_int("n_post", n_post, low=0)
    pre = check_array("pre", pre, ndim=1, dtype=None, empty_ok=True)
    post = check_array("post", post, ndim=1, dtype=None, empty_ok=True)
    for name, arr, n in (("pre", pre, n_pre), ("post", post, n_post)):
        if arr.size and arr.dtype.kind not in "iu":
            raise TypeError(f"{name} must hold integer indices, got dtype {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() >= n):
            raise ValueError(f"{name} indices must lie in [0, {n}), got [{arr.min()}, {arr.max()}]")
    if pre.shape != post.shape:
        raise ValueError(f"pre and post must have the same length, got {pre.size} and {post.size}")
    data = {
        "pre": (
            "synapse",
            pre.astype(np.int64, copy=False),
            {"long_name": "presynaptic index"},
        ),
        "post": (
            "synapse",
            post.astype(np.int64, copy=False),
            {"long_name": "postsynaptic index"},
        ),
    }
    if weight is not None:
        weight = check_array("weight", weight, ndim=1, dtype=None, empty_ok=True)
        if weight.shape != pre.shape:
            raise ValueError(
                f"weight must have one value per synapse ({pre.size}), got {weight.size}"
            )
        data["weight"] = ("synapse", weight, {"long_name": "synaptic weight"})
    return xr.Dataset(data, attrs=_layer_attrs(n_pre, n_post, pre_layer, post_layer))


def connectivity_from_mask(
    mask: Any,
    *,
    weight: Any = None,
    pre_layer: str = "pre",
    post_layer: str = "post",
    dense: bool = False,
) -> xr.Dataset:
    """A connectivity node from a boolean ``(post, pre)`` mask.

    Parameters
    ----------
    mask : array-like of bool, shape (n_post, n_pre)
        ``mask[i, j]`` is True when presynaptic unit ``j`` projects to postsynaptic ``i``.
    weight : array-like, shape (n_post, n_pre), optional
        Dense weights; only the entries under the mask are kept.
    dense : bool
        Keep the dense ``mask`` variable (fine for small layers) instead of COO indices.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (post, pre), got shape {mask.shape}")
    if mask.dtype != bool:
        raise TypeError(f"mask must be boolean, got dtype {mask.dtype}")
    n_post, n_pre = mask.shape
    attrs = _layer_attrs(n_pre, n_post, pre_layer, post_layer)
    if dense:
        data = {"mask": (("post", "pre"), mask.copy())}
        if weight is not None:
            weight = check_array("weight", weight, ndim=2, dtype=None)
            if weight.shape != mask.shape:
                raise ValueError(f"weight shape {weight.shape} != mask shape {mask.shape}")
            data["weight"] = (
                ("post", "pre"),
                np.where(mask, weight, 0).astype(weight.dtype),
            )
        return xr.Dataset(data, attrs=attrs)
    post, pre = np.nonzero(mask)
    w = None
    if weight is not None:
        weight = check_array("weight", weight, ndim=2, dtype=None)
        if weight.shape != mask.shape:
            raise ValueError(f"weight shape {weight.shape} != mask shape {mask.shape}")
        w = weight[post, pre]
    return connectivity_from_indices(
        pre, post, n_pre, n_post, weight=w, pre_layer=pre_layer, post_layer=post_layer
    )


def _as_dataset(node: xr.Dataset | xr.DataTree) -> xr.Dataset:
    if isinstance(node, xr.DataTree):
        return node.to_dataset()
    if isinstance(node, xr.Dataset):
        return node
    raise TypeError(f"connectivity must be an xarray Dataset or DataTree node, got {type(node)}")


def indices_from_connectivity(
    node: xr.Dataset | xr.DataTree,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(pre, post, weight)`` index arrays from a connectivity node (COO or mask)."""
    ds = _as_dataset(node)
    if "mask" in ds:
        mask = ds["mask"].values
        post, pre = np.nonzero(mask)
        weight = ds["weight"].values[post, pre] if "weight" in ds else None
        return pre.astype(np.int64), post.astype(np.int64), weight
    if "pre" not in ds or "post" not in ds:
        raise ResultFormatError("connectivity node needs 'pre' and 'post' or a 'mask'")
    weight = ds["weight"].values if "weight" in ds else None
    return ds["pre"].values.astype(np.int64), ds["post"].values.astype(np.int64), weight


def mask_from_connectivity(node: xr.Dataset | xr.DataTree) -> np.ndarray:
    """Dense boolean ``(n_post, n_pre)`` mask from a connectivity node (COO or mask)."""
    ds = _as_dataset(node)
    if "mask" in ds:
        return ds["mask"].values.astype(bool)
    pre, post, _ = indices_from_connectivity(ds)
    mask = np.zeros((int(ds.attrs["n_post"]), int(ds.attrs["n_pre"])), dtype=bool)
    mask[post, pre] = True
    return mask


def weights_from_connectivity(
    node: xr.Dataset | xr.DataTree, *, dtype: Any = np.float64
) -> np.ndarray:
    """Dense ``(n_post, n_pre)`` weights (zero where no synapse; 1 where no weight stored).

    Duplicate synapses between the same pair add up.
    """
    ds = _as_dataset(node)
    pre, post, weight = indices_from_connectivity(ds)
    out = np.zeros((int(ds.attrs["n_post"]), int(ds.attrs["n_pre"])), dtype=dtype)
    np.add.at(out, (post, pre), 1 if weight is None else weight)
    return out


def spikes_to_dataset(
    neuron: Any,
    time: Any,
    n_neurons: int,
    *,
    units: str = "s",
    duration: float | None = None,
) -> xr.Dataset:
    """Spike events as ``neuron`` and ``time`` along dimension ``spike``, sorted by time
    (none at all is a valid answer: a silent layer)."""
    n_neurons = check_int("n_neurons", n_neurons, low=0)
    neuron = check_array("neuron", neuron, ndim=1, dtype=np.int64, empty_ok=True)
    time = check_array("time", time, ndim=1, dtype=np.float64, empty_ok=True)
    if neuron.shape != time.shape:
        raise ValueError(
            f"neuron and time must have the same length, got {neuron.size} and {time.size}"
        )
    if neuron.size and (neuron.min() < 0 or neuron.max() >= n_neurons):
        raise ValueError(f"neuron indices must lie in [0, {n_neurons})")
    order = np.lexsort((neuron, time))
    attrs: dict[str, Any] = {"n_neurons": n_neurons}
    if duration is not None:
        attrs["duration"] = float(duration)
    return xr.Dataset(
        {
            "neuron": ("spike", neuron[order], {"long_name": "neuron index"}),
            "time": ("spike", time[order], {"units": units, "long_name": "spike time"}),
        },
        attrs=attrs,
    )


def spikes_from_dataset(node: xr.Dataset | xr.DataTree) -> tuple[np.ndarray, np.ndarray]:
    """``(neuron, time)`` arrays from a spike-event node."""
    ds = _as_dataset(node)
    if "neuron" not in ds or "time" not in ds:
        raise ResultFormatError("spike node needs 'neuron' and 'time' along 'spike'")
    return ds["neuron"].values.astype(np.int64), ds["time"].values


def new_result(
    kind: str,
    *,
    params: dict[str, Any] | None = None,
    seed: Any = None,
    source: str = "",
    groups: Mapping[str, xr.Dataset | xr.DataTree] | None = None,
    study: str | None = None,
    extra_dims: list[str] | tuple[str, ...] | None = None,
) -> xr.DataTree:
    """Build and validate a result tree.

    Parameters
    ----------
    kind, params, seed, source, study, extra_dims
        As for :func:`~neurosparse.results.make_attrs`.
    groups : mapping of str to Dataset
        Node path (``"metrics"``, ``"connectivity/segments"``) to its dataset.

    Examples
    --------
    >>> import xarray as xr
    >>> tree = new_result("coding.demo", params={"lam": 0.1}, seed=0,
    ...                   groups={"metrics": xr.Dataset({"mse": 0.01})})
    >>> tree["metrics"]["mse"].item()
    0.01
    """
    tree = xr.DataTree(
        dataset=xr.Dataset(
            attrs=make_attrs(kind, params, seed, source, study=study, extra_dims=extra_dims)
        )
    )
    for path, node in (groups or {}).items():
        tree[path] = node if isinstance(node, xr.DataTree) else xr.DataTree(dataset=node)
    return validate(tree)
