r"""Ensemble-to-ensemble connectivity masks, and the random masks they are compared with.

NumPy only (no torch). Every mask is a ``bool`` array of shape ``(n_post, n_pre)`` --
the result format's ``(post, pre)``, torch's ``(out, in)`` -- with exactly
``round(density * n_post * n_pre)`` synapses, drawn from ``seed``.

Ensembles (G2GNet, Konstantaropoulos et al. 2025: "sparse, modular ensemble-to-ensemble
connectivity", after the functional connectivity of neuronal ensembles in mouse visual
cortex; only the abstract is public, so the construction below is ours):

1. Each layer's units are split into ensembles (:func:`ensemble_assignment`: contiguous
   blocks of sizes as equal as possible, or a random partition).
2. An ensemble connectivity matrix :math:`P` of shape ``(E_post, E_pre)`` gives the
   relative rate at which a unit of post ensemble :math:`a` receives a synapse from a
   unit of pre ensemble :math:`b` (:func:`ensemble_connectivity`: ``"modular"``,
   ``"hierarchical"``, or a user's matrix such as a measured functional connectivity).
3. :func:`ensemble_mask` gives exactly :math:`K` synapses: it apportions them to the
   ensemble blocks :math:`(a, b)` in proportion to :math:`P_{ab}` times the block's
   unit pairs (largest remainders; a block that would overflow is filled and passes its
   excess on), then draws each block's share uniformly among its pairs. Blocks of rate
   0 get none.

Modular: the fraction ``within`` of the expected synapses joins *matching* ensembles
(pre ensemble :math:`b` and post ensemble :math:`a` match when their positions
:math:`(b + 1/2)/E_{pre}` and :math:`(a + 1/2)/E_{post}` fall in the same one of
:math:`\min(E_{pre}, E_{post})` equal intervals: the same index when the counts agree),
spread uniformly over those pairs; the rest uniformly over the other pairs.
Hierarchical: ensembles are the leaves of a binary tree in index order; the rate falls
by a factor ``decay`` per level of the tree between the two ensembles' positions.

Random baselines: :func:`erdos_renyi_mask` (every pair equally likely) and
:func:`erk_densities` (Evci et al. 2020, "Erdős–Rényi–Kernel": a layer's density
proportional to :math:`\sum_d s_d / \prod_d s_d` over its shape, scaled to a global
density, layers that would exceed 1 made dense).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neurosparse._validation import check_array, check_choice, check_int, check_real, resolve_rng

__all__ = [
    "ASSIGNMENTS",
    "PATTERNS",
    "allowed_pairs",
    "ensemble_assignment",
    "ensemble_connectivity",
    "ensemble_mask",
    "erdos_renyi_mask",
    "erk_densities",
    "n_synapses_for",
]

#: How :func:`ensemble_assignment` splits a layer.
ASSIGNMENTS = ("contiguous", "random")

#: The built-in ensemble connectivity patterns.
PATTERNS = ("modular", "hierarchical")


def _density(density: Any) -> float:
    return check_real("density", density, low=0.0, high=1.0, low_open=True)


def n_synapses_for(n_pre: int, n_post: int, density: float) -> int:
    """``round(density * n_post * n_pre)``, at least 1: the synapse count of every mask."""
    n_pre = check_int("n_pre", n_pre, low=1)
    n_post = check_int("n_post", n_post, low=1)
    return max(1, round(_density(density) * n_pre * n_post))


def ensemble_assignment(
    n_units: int, n_ensembles: int, *, mode: str = "contiguous", seed: Any = None
) -> np.ndarray:
    """The ensemble of each unit of a layer.

    Parameters
    ----------
    n_units : int
        Units in the layer.
    n_ensembles : int
        Ensembles, ``1 <= n_ensembles <= n_units``; their sizes differ by at most one.
    mode : {"contiguous", "random"}
        Consecutive blocks of units (unit ``i`` in ensemble ``floor(i E / n)``), or the
        same sizes over a random permutation of the units (from ``seed``).
    seed : int, Generator or None
        Used by ``mode="random"`` only.

    Returns
    -------
    ndarray of int64, shape (n_units,)
    """
    n_units = check_int("n_units", n_units, low=1)
    n_ensembles = check_int("n_ensembles", n_ensembles, low=1)
    if n_ensembles > n_units:
        raise ValueError(
            f"n_ensembles={n_ensembles} is more than the layer's {n_units} units: each "
            "ensemble needs at least one unit"
        )
    check_choice("mode", mode, ASSIGNMENTS)
    labels = np.arange(n_units, dtype=np.int64) * n_ensembles // n_units
    if mode == "random":
        labels = labels[resolve_rng(seed).permutation(n_units)]
    return labels


def _matching(n_pre_ens: int, n_post_ens: int) -> np.ndarray:
    """``(E_post, E_pre)`` bool: the ensembles whose positions share an interval."""
    m = min(n_pre_ens, n_post_ens)
    pre = ((np.arange(n_pre_ens) + 0.5) / n_pre_ens * m).astype(np.int64)
    post = ((np.arange(n_post_ens) + 0.5) / n_post_ens * m).astype(np.int64)
    return post[:, None] == pre[None, :]


def ensemble_connectivity(
    n_pre_ensembles: int,
    n_post_ensembles: int | None = None,
    pattern: str = "modular",
    *,
    within: float = 0.8,
    decay: float = 0.5,
    pre_sizes: Any = None,
    post_sizes: Any = None,
) -> np.ndarray:
    r"""An ensemble connectivity matrix: relative synapse rate per unit pair.

    Parameters
    ----------
    n_pre_ensembles, n_post_ensembles : int
        Ensembles of the two layers (``n_post_ensembles`` defaults to the first).
    pattern : {"modular", "hierarchical"}
        See the module docstring.
    within : float
        Modular: the expected fraction of synapses between matching ensembles, in
        ``[0, 1]`` (``1``: matching ensembles only).
    decay : float
        Hierarchical: rate factor per level of the tree, in ``(0, 1]`` (``1``: uniform).
    pre_sizes, post_sizes : array-like of int, optional
        Units per ensemble (modular: the rates are per unit pair, so that the fraction
        ``within`` holds for these sizes; default equal sizes).

    Returns
    -------
    ndarray of float64, shape (n_post_ensembles, n_pre_ensembles)
        Nonnegative rates, not all zero (scale free: :func:`ensemble_mask` normalises).
    """
    e_pre = check_int("n_pre_ensembles", n_pre_ensembles, low=1)
    e_post = (
        e_pre
        if n_post_ensembles is None
        else check_int("n_post_ensembles", n_post_ensembles, low=1)
    )
    check_choice("pattern", pattern, PATTERNS)
    if pattern == "modular":
        within = check_real("within", within, low=0.0, high=1.0)
        s_pre = np.ones(e_pre) if pre_sizes is None else _sizes("pre_sizes", pre_sizes, e_pre)
        s_post = np.ones(e_post) if post_sizes is None else _sizes("post_sizes", post_sizes, e_post)
        match = _matching(e_pre, e_post)
        pairs = np.outer(s_post, s_pre)
        n_in, n_out = pairs[match].sum(), pairs[~match].sum()
        if n_out == 0:  # one ensemble each: everything matches
            return np.ones((e_post, e_pre))
        return np.where(match, within / n_in, (1.0 - within) / n_out)
    decay = check_real("decay", decay, low=0.0, high=1.0, low_open=True)
    leaves = max(e_pre, e_post)
    depth = int(np.ceil(np.log2(leaves))) if leaves > 1 else 0
    pre_leaf = ((np.arange(e_pre) + 0.5) / e_pre * leaves).astype(np.int64)
    post_leaf = ((np.arange(e_post) + 0.5) / e_post * leaves).astype(np.int64)
    # levels up to the lowest common ancestor of two leaves of a complete binary tree
    diff = post_leaf[:, None] ^ pre_leaf[None, :]
    levels = np.zeros(diff.shape, dtype=np.int64)
    for level in range(1, depth + 1):
        levels[(diff >> (level - 1)) > 0] = level
    return decay ** levels.astype(np.float64)


def _sizes(name: str, value: Any, n: int) -> np.ndarray:
    arr = check_array(name, value, ndim=1, dtype=None)
    if arr.dtype.kind not in "iu" or arr.shape != (n,) or np.any(arr < 1):
        raise ValueError(f"{name} must be {n} positive integers, got {value!r}")
    return arr.astype(np.float64)


def _check_matrix(matrix: Any, shape: tuple[int, int]) -> np.ndarray:
    P = check_array("connectivity", matrix, ndim=2)
    if P.shape != shape:
        raise ValueError(
            f"connectivity must have shape (post ensembles, pre ensembles) = {shape}, got {P.shape}"
        )
    if np.any(P < 0):
        raise ValueError("connectivity must be nonnegative (relative synapse rates)")
    if not np.any(P > 0):
        raise ValueError("connectivity is all zero: no pair of ensembles may connect")
    return P


def allowed_pairs(pre_ensembles: Any, post_ensembles: Any, connectivity: Any) -> np.ndarray:
    """``(n_post, n_pre)`` bool: the unit pairs whose ensembles may connect (rate > 0).

    The pairs a G2G rule may grow a synapse in (the Hebbian regrowth of
    :mod:`neurosparse.g2g.dst` stays inside them).
    """
    pre = _labels("pre_ensembles", pre_ensembles)
    post = _labels("post_ensembles", post_ensembles)
    P = _check_matrix(connectivity, (int(post.max()) + 1, int(pre.max()) + 1))
    return P[post[:, None], pre[None, :]] > 0


def _labels(name: str, value: Any) -> np.ndarray:
    arr = check_array(name, value, ndim=1, dtype=None)
    if arr.dtype.kind not in "iu" or np.any(arr < 0):
        raise TypeError(f"{name} must be nonnegative integer ensemble labels, got {arr.dtype}")
    return arr.astype(np.int64)


def _apportion(rates: np.ndarray, capacity: np.ndarray, k: int) -> np.ndarray:
    """Synapses per ensemble block: ``k`` in proportion to ``rates * capacity``, no block
    above its ``capacity`` (a full block's excess goes to the others, in proportion),
    rounded by largest remainders (ties to the lower block index)."""
    weight = (rates * capacity).ravel()
    cap = capacity.ravel().astype(np.int64)
    open_ = weight > 0
    if k > cap[open_].sum():
        raise ValueError(
            f"density asks for {k} synapses, but only {int(cap[open_].sum())} unit pairs may "
            "connect under this ensemble connectivity; lower the density or allow more "
            "ensemble pairs"
        )
    share = np.zeros(weight.size)
    full = np.zeros(weight.size, dtype=bool)
    while True:  # water-filling: blocks that would overflow are filled, the rest share
        free = open_ & ~full
        left = k - cap[full].sum()
        share[free] = left * weight[free] / weight[free].sum()
        over = free & (share > cap)
        if not over.any():
            break
        full |= over
        share[over] = cap[over]
    counts = np.floor(share).astype(np.int64)
    remainder = share - counts
    extra = k - counts.sum()
    if extra:
        order = np.argsort(-remainder, kind="stable")
        order = order[(counts[order] < cap[order]) & open_[order]]
        counts[order[:extra]] += 1
    return counts.reshape(rates.shape)


def ensemble_mask(
    n_pre: int,
    n_post: int,
    density: float,
    *,
    n_ensembles: int | tuple[int, int] = 4,
    pattern: str | Any = "modular",
    within: float = 0.8,
    decay: float = 0.5,
    pre_ensembles: Any = None,
    post_ensembles: Any = None,
    seed: Any = None,
) -> np.ndarray:
    r"""A sparse ensemble-to-ensemble mask with exactly the asked density.

    Parameters
    ----------
    n_pre, n_post : int
        Units of the presynaptic and postsynaptic layers.
    density : float
        Fraction of the ``n_post * n_pre`` pairs that are synapses, in ``(0, 1]``; the
        mask has exactly :func:`n_synapses_for` ``(n_pre, n_post, density)`` of them.
    n_ensembles : int or (int, int)
        Ensembles of both layers, or ``(pre, post)``; contiguous blocks
        (:func:`ensemble_assignment`) unless ``pre_ensembles`` / ``post_ensembles``
        give the labels.
    pattern : {"modular", "hierarchical"} or array-like
        The ensemble connectivity (:func:`ensemble_connectivity`), or a nonnegative
        matrix of shape ``(post ensembles, pre ensembles)`` (a measured functional
        connectivity, for example).
    within, decay : float
        Parameters of the built-in patterns.
    pre_ensembles, post_ensembles : array-like of int, optional
        Ensemble label of each unit (``0 .. E - 1``).
    seed : int, Generator or None

    Returns
    -------
    ndarray of bool, shape (n_post, n_pre)

    Examples
    --------
    >>> m = ensemble_mask(64, 32, 0.25, n_ensembles=4, within=1.0, seed=0)
    >>> m.shape, int(m.sum())
    ((32, 64), 512)
    >>> bool(m[:8, 16:].any())  # post ensemble 0 hears only pre ensemble 0
    False
    """
    n_pre = check_int("n_pre", n_pre, low=1)
    n_post = check_int("n_post", n_post, low=1)
    k = n_synapses_for(n_pre, n_post, density)
    if isinstance(n_ensembles, tuple):
        if len(n_ensembles) != 2:
            raise ValueError(f"n_ensembles must be an int or (pre, post), got {n_ensembles!r}")
        e_pre, e_post = n_ensembles
    else:
        e_pre = e_post = n_ensembles
    pre = (
        ensemble_assignment(n_pre, e_pre)
        if pre_ensembles is None
        else _labels("pre_ensembles", pre_ensembles)
    )
    post = (
        ensemble_assignment(n_post, e_post)
        if post_ensembles is None
        else _labels("post_ensembles", post_ensembles)
    )
    for name, labels, n in (("pre_ensembles", pre, n_pre), ("post_ensembles", post, n_post)):
        if labels.shape != (n,):
            raise ValueError(f"{name} must label each of the {n} units, got shape {labels.shape}")
    e_pre, e_post = int(pre.max()) + 1, int(post.max()) + 1
    if isinstance(pattern, str):
        P = ensemble_connectivity(
            e_pre, e_post, pattern, within=within, decay=decay,
            pre_sizes=np.bincount(pre, minlength=e_pre),
            post_sizes=np.bincount(post, minlength=e_post),
        )  # fmt: skip
    else:
        P = _check_matrix(pattern, (e_post, e_pre))
    pre_units = [np.flatnonzero(pre == b) for b in range(e_pre)]
    post_units = [np.flatnonzero(post == a) for a in range(e_post)]
    capacity = np.outer([u.size for u in post_units], [u.size for u in pre_units])
    counts = _apportion(P, capacity, k)
    rng = resolve_rng(seed)
    mask = np.zeros((n_post, n_pre), dtype=bool)
    for a, b in zip(*np.nonzero(counts), strict=True):  # uniform within each block
        rows, cols = post_units[a], pre_units[b]
        flat = rng.choice(rows.size * cols.size, size=counts[a, b], replace=False)
        mask[rows[flat // cols.size], cols[flat % cols.size]] = True
    return mask


def erdos_renyi_mask(n_pre: int, n_post: int, density: float, *, seed: Any = None) -> np.ndarray:
    """A uniformly random mask with exactly the asked density (every pair equally likely).

    Parameters and return value as :func:`ensemble_mask`, without ensembles.
    """
    k = n_synapses_for(n_pre, n_post, density)
    rng = resolve_rng(seed)
    mask = np.zeros(n_post * n_pre, dtype=bool)
    mask[rng.choice(n_post * n_pre, size=k, replace=False)] = True
    return mask.reshape(n_post, n_pre)


def erk_densities(shapes: Sequence[Sequence[int]], density: float) -> np.ndarray:
    r"""Per-layer densities of the Erdős–Rényi–Kernel rule (Evci et al. 2020).

    Layer :math:`l` of shape :math:`(s_1, \dots, s_d)` (``(n_post, n_pre)``, or a
    convolution's ``(out, in, kh, kw)``) gets density
    :math:`\epsilon \sum_d s_d / \prod_d s_d`, with :math:`\epsilon` such that the
    layers together keep ``density`` of all their weights; a layer whose density would
    exceed 1 is made dense and :math:`\epsilon` is solved again for the others.

    Parameters
    ----------
    shapes : sequence of shapes
        The layers' weight shapes.
    density : float
        Global density in ``(0, 1]``.

    Returns
    -------
    ndarray of float64, shape (n_layers,)
        Densities in ``(0, 1]`` with :math:`\sum_l d_l n_l = \text{density} \sum_l n_l`.
    """
    density = _density(density)
    if len(shapes) == 0:
        raise ValueError("shapes is empty: give at least one layer's weight shape")
    sizes, raw = [], []
    for i, shape in enumerate(shapes):
        dims = [check_int(f"shapes[{i}]", s, low=1) for s in shape]
        if len(dims) < 2:
            raise ValueError(f"shapes[{i}] must have at least two dimensions, got {shape!r}")
        sizes.append(float(np.prod(dims)))
        raw.append(sum(dims) / float(np.prod(dims)))
    sizes_a, raw_a = np.array(sizes), np.array(raw)
    budget = density * sizes_a.sum()
    dense = np.zeros(len(shapes), dtype=bool)
    while True:
        if dense.all():
            return np.ones(len(shapes))
        rest = budget - sizes_a[dense].sum()
        eps = rest / (raw_a[~dense] * sizes_a[~dense]).sum()
        d = np.where(dense, 1.0, eps * raw_a)
        over = ~dense & (d > 1.0)
        if not over.any():
            return d
        dense |= over
