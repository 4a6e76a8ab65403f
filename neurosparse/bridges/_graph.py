"""The projections of a result, checked and ordered: what every bridge starts from."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

__all__ = ["Projection", "projections"]


@dataclass(frozen=True)
class Projection:
    """One ``connectivity/<name>`` node, read into arrays.

    Attributes
    ----------
    name : str
        The node's name.
    pre, post : ndarray of int64, shape (n_synapses,)
        Presynaptic and postsynaptic index of each synapse (COO; a dense mask node is
        read as the indices of its True entries, row-major).
    weight : ndarray or None, shape (n_synapses,)
        The synaptic weights, where the node has them.
    bias : ndarray or None, shape (n_post,)
        The postsynaptic units' bias, where the node has one (variable ``bias``).
    n_pre, n_post : int
    pre_layer, post_layer : str
    """

    name: str
    pre: np.ndarray
    post: np.ndarray
    weight: np.ndarray | None
    bias: np.ndarray | None
    n_pre: int
    n_post: int
    pre_layer: str
    post_layer: str

    @property
    def n_synapses(self) -> int:
        return int(self.pre.size)

    def mask(self) -> np.ndarray:
        """Dense bool ``(n_post, n_pre)`` mask (n_post x n_pre booleans: for small layers;
        the bridges that can avoid it do)."""
        out = np.zeros((self.n_post, self.n_pre), dtype=bool)
        out[self.post, self.pre] = True
        return out

    def dense_weight(self, dtype: Any = None) -> np.ndarray:
        """Dense ``(n_post, n_pre)`` weights, zero where there is no synapse (1 under the
        mask where the node has no weights)."""
        if dtype is None:
            dtype = self.weight.dtype if self.weight is not None else np.float64
        out = np.zeros((self.n_post, self.n_pre), dtype=dtype)
        out[self.post, self.pre] = 1 if self.weight is None else self.weight
        return out


def _read(name: str, node: xr.DataTree) -> Projection:
    from neurosparse.results import indices_from_connectivity

    ds = node.to_dataset()
    pre, post, weight = indices_from_connectivity(ds)
    n_pre, n_post = int(ds.attrs["n_pre"]), int(ds.attrs["n_post"])
    pairs = np.sort(post * n_pre + pre)  # a sort: numpy's hash-based unique is slower here
    if np.any(pairs[1:] == pairs[:-1]):
        raise ValueError(
            f"connectivity/{name} lists the same (pre, post) pair more than once; a bridge "
            "needs one synapse per pair"
        )
    bias = None
    if "bias" in ds:
        bias = ds["bias"].values
        if bias.shape != (n_post,):
            raise ValueError(
                f"connectivity/{name}: bias must have one value per postsynaptic unit "
                f"({n_post}), got shape {bias.shape}"
            )
    return Projection(
        name=name,
        pre=pre,
        post=post,
        weight=weight,
        bias=bias,
        n_pre=n_pre,
        n_post=n_post,
        pre_layer=str(ds.attrs["pre_layer"]),
        post_layer=str(ds.attrs["post_layer"]),
    )


def projections(
    result: Any, names: list[str] | tuple[str, ...] | None = None, *, chain: bool = True
) -> list[Projection]:
    """The projections of ``result`` (a DataTree or a path), checked.

    Parameters
    ----------
    result : xarray.DataTree or path-like
        Any valid result with a ``connectivity`` group.
    names : sequence of str, optional
        The projections to take, in this order; default all of them except modulatory
        pathways (attr ``pathway="modulatory"``, such as dendritic segments), which only
        a name selects.
    chain : bool
        Order them feed-forward (each projection's ``pre_layer`` the previous one's
        ``post_layer``, sizes agreeing) and refuse anything that is not one chain; with
        ``names`` given, their order is kept and checked.

    Raises
    ------
    ValueError
        A result without connectivity, an unknown projection name (the message lists the
        known ones), projections that do not form one chain, or layer sizes that
        disagree along it.
    """
    from neurosparse.results import load, validate

    if isinstance(result, str | os.PathLike):
        result = load(result)
    elif isinstance(result, xr.DataTree):
        validate(result)
    else:
        raise TypeError(f"result must be a DataTree or a path, got {type(result).__name__}")
    if "connectivity" not in result.children or not result["connectivity"].children:
        raise ValueError(
            f"the result (kind {result.attrs.get('kind')!r}) has no connectivity: a bridge "
            "needs a 'connectivity/<projection>' node"
        )
    nodes = result["connectivity"].children
    if names is None:
        chosen = [n for n in nodes if nodes[n].attrs.get("pathway") != "modulatory"]
    else:
        unknown = [n for n in names if n not in nodes]
        if unknown:
            raise ValueError(
                f"no projection {unknown[0]!r} in the result; it has {', '.join(nodes)}"
            )
        chosen = list(names)
    found = [_read(name, nodes[name]) for name in chosen]
    if not chain:
        return found
    ordered = found if names is not None else _order(found)
    for prev, nxt in itertools.pairwise(ordered):
        if prev.post_layer != nxt.pre_layer:
            raise ValueError(
                f"projections {prev.name!r} (to layer {prev.post_layer!r}) and {nxt.name!r} "
                f"(from layer {nxt.pre_layer!r}) do not follow each other"
            )
        if prev.n_post != nxt.n_pre:
            raise ValueError(
                f"layer {prev.post_layer!r} has {prev.n_post} units as the target of "
                f"{prev.name!r} but {nxt.n_pre} as the source of {nxt.name!r}"
            )
    return ordered


def _order(found: list[Projection]) -> list[Projection]:
    """Feed-forward order: start at the projection whose source no other one targets."""
    by_pre: dict[str, list[Projection]] = {}
    for p in found:
        by_pre.setdefault(p.pre_layer, []).append(p)
    targets = {p.post_layer for p in found}
    starts = [p for p in found if p.pre_layer not in targets]
    if len(starts) != 1 or any(len(v) > 1 for v in by_pre.values()):
        layers = ", ".join(f"{p.name}: {p.pre_layer} -> {p.post_layer}" for p in found)
        raise ValueError(
            "the projections do not form one feed-forward chain (" + layers + "); "
            "give the ones to use, in order, with names="
        )
    ordered = [starts[0]]
    while ordered[-1].post_layer in by_pre and len(ordered) < len(found):
        ordered.append(by_pre[ordered[-1].post_layer][0])
    if len(ordered) != len(found):
        raise ValueError("the projections do not form one feed-forward chain")
    return ordered
