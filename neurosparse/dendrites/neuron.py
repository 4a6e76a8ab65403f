"""A neuron with active dendritic segments (Ahmad & Hawkins 2016) as a runnable model.

The paper's neuron: each dendritic segment holds ``s`` synapses onto a subsample of the
active cells of a pattern it learned, and generates an NMDA spike (becomes active) when
``theta`` or more of its synapses see active cells; the neuron responds when any segment
is active. A segment can also store the union of ``M`` patterns (``s`` synapses from
each; synapses onto the same cell merge), trading capacity for false matches (Fig 7).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import xarray as xr

from neurosparse._estimator import Model
from neurosparse._validation import Constraint, Integer, Seed
from neurosparse.dendrites import _kernels
from neurosparse.dendrites.sdr import _to_csr
from neurosparse.dendrites.theory import SOURCE

__all__ = ["DendriticNeuron"]


class DendriticNeuron(Model):
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

    kind = "dendrites.neuron"
    source = SOURCE
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "n_synapses": Integer(low=1),
        "theta": Integer(low=0),
        "patterns_per_segment": Integer(low=1),
        "seed": Seed(),
    }
    _fitted_attr = "synapses_"

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
        p = self._validate_params()
        s, theta, m = p["n_synapses"], p["theta"], p["patterns_per_segment"]
        if theta > s:
            raise ValueError(f"theta must be an integer in [0, n_synapses={s}], got {theta}")
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
        rng = self._record_seed(self.seed)
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

    def segment_overlap(self, X) -> np.ndarray:
        """Active synapses of every segment for each input SDR, shape ``(m, n_segments)``.

        ``X``: an SDR batch (dense ``(m, n)`` or indices over the same ``n`` cells).
        """
        self._check_fitted()
        xp, xi, _, single = _to_csr(X, self.n_cells_, "X")
        cell_ptr, rows = _kernels.postings(self.segment_indptr_, self.synapses_, self.n_cells_)
        out = np.empty((xp.size - 1, self.n_segments_), dtype=np.int32)
        _kernels.overlap_all_pairs_par(xp, xi, cell_ptr, rows, out)
        return out[0] if single else out

    def segment_activity(self, X) -> np.ndarray:
        """Which segments are active (overlap ``>= theta``), bool ``(m, n_segments)``."""
        return self.segment_overlap(X) >= self.theta_

    def predict(self, X) -> np.ndarray:
        """Whether the neuron responds (any segment active), bool ``(m,)``."""
        return self.segment_activity(X).any(axis=-1)

    # -- result format ------------------------------------------------------------------

    def _result_params(self) -> dict:
        return super()._result_params() | {"n_cells": int(self.n_cells_)}

    def _result_groups(self) -> dict:
        """``connectivity/segments`` (COO): one entry per synapse, ``pre`` = presynaptic
        cell (``0 ... n - 1``, layer ``"input"``), ``post`` = segment index (layer
        ``"segment"``, ``n_post = n_segments``), attr ``theta``. ``state/pattern_segment``
        (dim ``sample``) maps each training pattern to its segment."""
        from neurosparse.results import connectivity_from_indices

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
            },
            coords={"sample": ("sample", np.arange(self.pattern_segment_.size),
                               {"long_name": "training pattern"})},
        )  # fmt: skip
        return {"connectivity/segments": conn, "state": state}

    def _restore(self, tree) -> None:
        from neurosparse.results import indices_from_connectivity

        node = tree["connectivity/segments"]
        pre, post, _ = indices_from_connectivity(node)
        n_segments = int(node.attrs["n_post"])
        order = np.lexsort((pre, post))  # by segment, cells sorted within each
        self.synapses_ = pre[order].astype(np.int64)
        counts = np.bincount(post, minlength=n_segments)
        self.segment_indptr_ = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.pattern_segment_ = tree["state"]["pattern_segment"].values.astype(np.int64)
        self.n_cells_ = int(node.attrs["n_pre"])
        self.n_segments_ = n_segments
        self.theta_ = int(node.attrs["theta"])

    @classmethod
    def _conformance_example(cls, seed: int = 0) -> tuple[DendriticNeuron, tuple]:
        from neurosparse.dendrites.sdr import random_sdr

        model = cls(n_synapses=8, theta=4, patterns_per_segment=2, seed=seed)
        return model, (random_sdr(200, 16, size=6, seed=1), 200)
