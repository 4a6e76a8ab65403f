"""A neuron with active dendritic segments (Ahmad & Hawkins 2016) as a runnable model.

The paper's neuron: each dendritic segment holds ``s`` synapses onto a subsample of the
active cells of a pattern it learned, and generates an NMDA spike (becomes active) when
``theta`` or more of its synapses see active cells; the neuron responds when any segment
is active. A segment can also store the union of ``M`` patterns (``s`` synapses from
each; synapses onto the same cell merge), trading capacity for false matches (Fig 7).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from neurosparse._estimator import ParamsMixin
from neurosparse._validation import check_int, resolve_rng, seed_attr
from neurosparse.dendrites import _kernels
from neurosparse.dendrites.sdr import _to_csr
from neurosparse.dendrites.theory import SOURCE

__all__ = ["DendriticNeuron"]


class DendriticNeuron(ParamsMixin):
    """A neuron whose segments learn SDR patterns and recognise them under noise.

    Parameters
    ----------
    n_synapses : int
        ``s``: synapses a segment forms per stored pattern (a random subsample of the
        pattern's active cells).
    theta : int
        NMDA threshold: active synapses a segment needs to become active.
    patterns_per_segment : int
        ``M``: patterns stored per segment (1: one pattern per segment, the paper's
        basic model; > 1: union segments).
    seed : int, Generator or None
        Seeds the synapse subsampling (resolved once, in ``fit``).

    Attributes
    ----------
    n_cells_ : int
        Presynaptic population size ``n``.
    n_segments_ : int
        ``ceil(n_patterns / M)``; segment ``k`` stores patterns ``k M ... k M + M - 1``.
    segment_indptr_, synapses_ : ndarray of int64
        The segments' synapses, CSR: segment ``k`` connects to presynaptic cells
        ``synapses_[segment_indptr_[k]:segment_indptr_[k + 1]]`` (sorted, distinct).
    pattern_segment_ : ndarray of int64
        Segment that stores each training pattern.

    Examples
    --------
    >>> from neurosparse.dendrites import random_sdr, add_noise
    >>> patterns = random_sdr(2048, 40, size=100, seed=0)
    >>> neuron = DendriticNeuron(n_synapses=20, theta=10, seed=0).fit(patterns, n=2048)
    >>> bool(neuron.predict(add_noise(patterns, 0.3, n=2048, seed=1)).all())
    True
    """

    def __init__(
        self, n_synapses: int = 24, theta: int = 12, patterns_per_segment: int = 1, seed=None
    ):
        self.n_synapses = n_synapses
        self.theta = theta
        self.patterns_per_segment = patterns_per_segment
        self.seed = seed

    def fit(self, patterns, n: int | None = None) -> DendriticNeuron:
        """Store ``patterns`` (an SDR batch: dense ``(P, n)`` bool or indices) on segments.

        ``n`` is required for index views. Each pattern must have at least
        ``n_synapses`` active cells.
        """
        s = check_int("n_synapses", self.n_synapses, low=1)
        theta = check_int("theta", self.theta, low=0, high=s)
        m = check_int("patterns_per_segment", self.patterns_per_segment, low=1)
        if n is None and not (
            np.asarray(patterns).dtype == bool if not isinstance(patterns, list | tuple) else False
        ):
            raise ValueError("n is required when patterns are given as indices")
        indptr, indices, n_cells, _ = _to_csr(patterns, n, "patterns")
        counts = np.diff(indptr)
        if counts.size == 0:
            raise ValueError("patterns must hold at least one SDR")
        if np.any(counts < s):
            raise ValueError(
                f"every pattern needs at least n_synapses={s} active cells; "
                f"the smallest has {counts.min()}"
            )
        rng = resolve_rng(self.seed)
        n_patterns = counts.size
        n_segments = -(-n_patterns // m)
        segments = []
        for k in range(n_segments):
            chosen = []
            for p in range(k * m, min((k + 1) * m, n_patterns)):
                active = indices[indptr[p] : indptr[p + 1]]
                chosen.append(rng.choice(active, size=s, replace=False))
            segments.append(np.unique(np.concatenate(chosen)))
        lengths = np.array([seg.size for seg in segments], dtype=np.int64)
        self.segment_indptr_ = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self.synapses_ = np.concatenate(segments).astype(np.int64)
        self.pattern_segment_ = np.arange(n_patterns, dtype=np.int64) // m
        self.n_cells_ = n_cells
        self.n_segments_ = n_segments
        self.theta_ = theta
        return self

    def _check_fitted(self):
        if not hasattr(self, "synapses_"):
            raise RuntimeError("this DendriticNeuron is not fitted yet; call fit(patterns)")

    def segment_overlap(self, X) -> np.ndarray:
        """Active synapses of every segment for each input SDR, shape ``(m, n_segments)``.

        ``X``: an SDR batch (dense ``(m, n)`` or indices over the same ``n`` cells).
        """
        self._check_fitted()
        xp, xi, _, single = _to_csr(X, self.n_cells_, "X")
        cell_ptr, rows = _kernels.postings(self.segment_indptr_, self.synapses_, self.n_cells_)
        out = np.empty((xp.size - 1, self.n_segments_), dtype=np.int32)
        _kernels.overlap_all_pairs(xp, xi, cell_ptr, rows, out)
        return out[0] if single else out

    def segment_activity(self, X) -> np.ndarray:
        """Which segments are active (overlap ``>= theta``), bool ``(m, n_segments)``."""
        return self.segment_overlap(X) >= self.theta_

    def predict(self, X) -> np.ndarray:
        """Whether the neuron responds (any segment active), bool ``(m,)``."""
        return self.segment_activity(X).any(axis=-1)

    def to_result(self) -> xr.DataTree:
        """The learned synapses as a result tree.

        ``connectivity/segments`` (COO): one entry per synapse, ``pre`` = presynaptic
        cell (``0 ... n - 1``, layer ``"input"``), ``post`` = segment index (layer
        ``"segment"``, ``n_post = n_segments``). ``state/pattern_segment`` (dim
        ``sample``) maps each training pattern to its segment.
        """
        self._check_fitted()
        from neurosparse.results import connectivity_from_indices, new_result

        post = np.repeat(np.arange(self.n_segments_), np.diff(self.segment_indptr_))
        conn = connectivity_from_indices(
            self.synapses_,
            post,
            self.n_cells_,
            self.n_segments_,
            pre_layer="input",
            post_layer="segment",
        )
        conn.attrs["theta"] = int(self.theta_)
        state = xr.Dataset(
            {
                "pattern_segment": (
                    "sample",
                    self.pattern_segment_,
                    {"long_name": "segment storing each training pattern"},
                )
            }
        )
        return new_result(
            "dendrites.neuron",
            params={
                "n_synapses": self.n_synapses,
                "theta": self.theta,
                "patterns_per_segment": self.patterns_per_segment,
                "n_cells": self.n_cells_,
            },
            seed=seed_attr(self.seed)
            if not isinstance(self.seed, np.random.Generator)
            else "Generator",
            source=SOURCE,
            groups={"connectivity/segments": conn, "state": state},
        )
