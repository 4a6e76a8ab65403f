"""Sparsey: single-trial learning of sparse distributed codes in a hierarchy of macs
(Rinkus 2010, 2014; Rinkus & Leveille 2017).

A *mac* (macrocolumn) is ``Q`` winner-take-all competitive modules (CMs) of ``K``
binary cells; its code is one winner per CM, ``Q`` active cells out of ``Q K``. Levels
are grids of macs; a mac of level 1 sees the pixels within ``rf_radius`` of its centre,
a mac of level ``n + 1`` the codes of the level-``n`` macs within its radius. Each mac
chooses its code with the code selection algorithm (CSA), per frame:

1. **Gate**: the mac is active only if its number of active sources (pixels at level
   1, active macs above) lies in ``[pi_min, pi_max]``; an inactive mac has no code.
2. **Input sums**, each normalised by its number of active afferents (binary weights:
   in ``[0, 1]``): ``U(i)`` from the bottom-up field, ``H(i)`` from the codes of the
   same level's macs within ``hrf_radius`` at the previous frame, ``D(i)`` from the
   codes of the level above at the previous frame.
3. ``V(i) = U(i)^lambda_u H(i)^lambda_h D(i)^lambda_d``; a source with no active
   afferent (the first frame of a sequence, an image) is left out of the product.
4. **Familiarity** ``G`` = mean over CMs of the largest ``V`` in the CM.
5. **Expansivity** ``eta = 1 + max(0, (G - g_min) / (1 - g_min))^gamma * chi * K``.
6. ``mu(i) = 1 + (eta - 1) s(V(i))``, ``s`` the logistic ``1/(1 + exp(-sigmoid_gain
   (V - sigmoid_center)))`` rescaled to run from 0 at ``V = 0`` to 1 at ``V = 1``;
   ``rho = mu / sum_CM mu``.
7. **Learning**: one winner per CM drawn from ``rho``; **recognition**: the argmax of
   ``V`` per CM (ties to the lowest cell).

High ``G`` (a familiar input) makes ``eta`` large and the cells of the stored code win
again; low ``G`` makes ``eta = 1``, a uniform draw: a new, near-random code; in between,
the code's overlap with stored codes grows with the input's similarity to them.
Learning is single-trial: every weight from an active afferent (U, H, D) to a winner is
set to 1, once; a cell *freezes* (its critical period ends: its weights change no more)
once ``freeze_fraction`` of its bottom-up weights are set.

Where the papers are silent (choices made here, each a parameter where it can be):

- Mac centres are spread evenly over the level below (``(i + 0.5) n_low / n - 0.5``)
  and a field holds the positions within ``rf_radius`` of the centre, measured in the
  level below's spacing (pixels for level 1, macs above), by Chebyshev (``"square"``)
  or Euclidean (``"circle"``) distance; ``rf_radius=None`` is the whole level below.
- The rescaled logistic of step 6 (``mu = 1`` exactly for ``V = 0``) makes the draw
  exactly uniform at ``eta = 1``, whatever the sigmoid's parameters.
- The top-down field of a mac is the cells of every mac of the level above whose
  bottom-up field contains it; H and D weights are learned only where used
  (``lambda_h``, ``lambda_d`` > 0).
- A cell's freezing counts its bottom-up weights only; a frozen cell still wins and
  is read, it no longer learns (U, H or D). A CM whose cells are all frozen can store
  nothing new, so while learning it takes its best match (the argmax of ``V``, as in
  recognition) instead of a draw: once its critical period is over, a mac is a fixed
  encoder whose codes for training and test inputs agree.
- A saturated cell (every weight set) answers every input with ``V = 1``: without a
  critical period, a mac's recall fails once its cells fill up
  (``tests/sparsey/test_sparsey.py``, capacity). Freezing keeps novel inputs less
  familiar than stored ones; ``freeze_fraction`` is therefore on (0.5) by default.
- Random numbers: one SplitMix64 stream per training item, seeded from ``seed``
  (``neurosparse.sparsey._kernels``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import xarray as xr

from neurosparse._estimator import Model
from neurosparse._validation import (
    Constraint,
    Integer,
    Options,
    Real,
    Seed,
    _show,
    check_array,
    check_int,
)
from neurosparse.sparsey import _kernels
from neurosparse.sparsey._network import (
    build_network,
    empty_weights,
    weights_from_connectivity,
    weights_to_connectivity,
)

__all__ = ["SOURCE", "Sparsey", "SparseyClassifier"]

SOURCE = (
    "Rinkus & Leveille 2017, arXiv 1710.07829; Rinkus 2014, Front. Comput. Neurosci. "
    "8:160; Rinkus 2010, Front. Neuroanat. 4:17"
)

#: Parameters given per level (one value for all, or one per level).
_PER_LEVEL = (
    "n_cms", "cells_per_cm", "rf_radius", "hrf_radius", "pi_min", "pi_max", "freeze_fraction",
)  # fmt: skip
#: Items from which recognition runs in parallel (below, the serial kernel is faster).
_PARALLEL_FROM = 64
#: Items per block of the parallel kernels.
_BLOCK = 16
#: Test items whose overlaps with the stored codes are held at once (readout "overlap").
_CHUNK = 1024


# ---------------------------------------------------------------------- constraints


class PerLevel(Constraint):
    """One value for every level, or a sequence (list or tuple) with one per level;
    each value checked by ``inner`` (under ``name[i]`` in a sequence)."""

    def __init__(self, inner: Constraint):
        self.inner = inner
        self.none_ok = inner.none_ok

    def check(self, name: str, value: Any) -> Any:
        if isinstance(value, list | tuple):
            if not value:
                raise ValueError(f"{name} is empty: give one value, or one per level")
            return tuple(self.inner.check(f"{name}[{i}]", v) for i, v in enumerate(value))
        return self.inner.check(name, value)

    def bad_values(self) -> list[Any]:
        bad = self.inner.bad_values()
        return [*bad, [], [bad[-1]]]


class Grid(Constraint):
    """The levels: a non-empty sequence of ``(rows, cols)`` pairs of positive integers,
    level 1 first."""

    def _check(self, name: str, value: Any) -> Any:
        if isinstance(value, str) or not isinstance(value, Sequence) or not value:
            raise TypeError(
                f"{name} must be a non-empty sequence of (rows, cols) pairs, one per "
                f"level, got {_show(value)}"
            )
        out = []
        for i, pair in enumerate(value):
            if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise TypeError(f"{name}[{i}] must be a (rows, cols) pair, got {_show(pair)}")
            out.append(tuple(check_int(f"{name}[{i}][{j}]", v, low=1) for j, v in enumerate(pair)))
        return tuple(out)

    def bad_values(self) -> list[Any]:
        return [None, [], "abc", 3, [(0, 1)], [(2,)], [(2.0, 2)]]


# ---------------------------------------------------------------------- input


def _as_frames(X: Any, binarize: float | None, image_shape=None):
    """``(uint8 (n_items, n_frames, n_pix), is_sequence, (H, W))`` from ``X``.

    ``X``: ``(n_items, H, W)`` images or ``(n_sequences, n_frames, H, W)`` sequences;
    binary (bool, or numbers that are all 0 or 1) unless ``binarize`` is a threshold
    (then ``X > binarize`` is the input).
    """
    arr = check_array("X", X, ndim=(3, 4), dtype=None)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"X must hold numbers or booleans, got dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError("X contains NaN or infinite values")
    sequence = arr.ndim == 4
    if not sequence:
        arr = arr[:, None]
    shape = tuple(int(s) for s in arr.shape[2:])
    if image_shape is not None and shape != tuple(image_shape):
        raise ValueError(
            f"X must hold images of shape {tuple(image_shape)} (the shape the model was "
            f"fitted on), got {shape}"
        )
    if binarize is not None:
        binary = arr > binarize
    elif arr.dtype == bool:
        binary = arr
    else:
        binary = arr != 0
        if not np.all(binary | (arr == 0)) or not np.all(arr[binary] == 1):
            other = arr[(arr != 0) & (arr != 1)].ravel()[0].item()
            raise ValueError(
                f"X must be binary (bool, or 0 and 1), got a value {other!r}; set "
                "binarize=<threshold> to binarise it (X > threshold)"
            )
    frames = np.ascontiguousarray(binary.reshape(arr.shape[0], arr.shape[1], -1), np.uint8)
    return frames, sequence, shape


def _per_level(p: dict[str, Any], name: str, n_levels: int) -> tuple:
    value = p[name]
    if not isinstance(value, tuple):
        return (value,) * n_levels
    if len(value) != n_levels:
        raise ValueError(
            f"{name} has {len(value)} entries but grid has {n_levels} level(s): give one "
            "value, or one per level"
        )
    return value


# ---------------------------------------------------------------------- the model


class Sparsey(Model):
    """A Sparsey hierarchy: one-pass, single-trial learning of sparse distributed codes.

    See the module docstring for the algorithm and the choices made where the papers
    are silent.

    Parameters
    ----------
    grid : sequence of (rows, cols)
        The macs of each level, level 1 first; the last level is the top, whose codes
        :meth:`transform` returns. ``((1, 1),)``: one mac over the whole image.
    n_cms : int or sequence of int
        ``Q``: competitive modules per mac (one value, or one per level).
    cells_per_cm : int or sequence of int
        ``K``: cells per competitive module.
    rf_radius : float, None or sequence of them
        Bottom-up receptive-field radius of each level's macs, in the spacing of the
        level below (pixels at level 1, macs above); ``None``: the whole level below.
        A radius that leaves some mac without any afferent is refused.
    rf_shape : {"square", "circle"}
        Distance of the fields: Chebyshev (square fields) or Euclidean (round ones).
    hrf_radius : float or sequence of float
        Horizontal receptive-field radius, in macs of the same level: the macs whose
        codes at the previous frame feed a mac's ``H`` (sequences only).
    pi_min, pi_max : int (pi_max also None) or sequence
        The gate: a mac is active when its number of active sources (active pixels at
        level 1, active macs of the level below above) lies in ``[pi_min, pi_max]``
        (``pi_max=None``: no upper bound).
    lambda_u, lambda_h, lambda_d : float
        Exponents of ``V = U^lambda_u H^lambda_h D^lambda_d``; ``lambda_h = 0`` or
        ``lambda_d = 0`` turns that input off (its weights are then not learned).
    g_min : float in [0, 1)
        ``G^-``: the familiarity below which the code is drawn uniformly.
    gamma : float > 0
        Exponent of the expansivity's rise with familiarity.
    chi : float >= 0
        Scale of the expansivity (``eta`` peaks at ``1 + chi K``).
    sigmoid_gain : float > 0
        Steepness of the sigmoid transform of ``V`` (step 6).
    sigmoid_center : float in [0, 1]
        Its inflection point.
    freeze_fraction : float in (0, 1] or sequence of them
        A cell freezes once this fraction of its bottom-up weights is set (1: only when
        all are: no critical period to speak of). Above level 1 an input sets one cell
        in ``K`` of each active mac below, so a smaller fraction there (0.1 to 0.2) ends
        the critical period after a comparable number of items.
    binarize : float or None
        ``None``: ``X`` must be binary (bool or 0/1). A number: ``X > binarize`` is the
        input (e.g. 127 for 8-bit images).
    seed : int, Generator, SeedSequence or None
        Seeds the code draws of learning (resolved once, in ``fit``); recognition draws
        nothing.

    Attributes
    ----------
    codes_ : ndarray of bool, shape (n_items, n_top_cells) or (n_sequences, n_frames, n_top_cells)
        The top level's code chosen for each training item (frame) while learning; cells
        ordered ``mac * Q * K + cm * K + cell``, macs row-major.
    familiarity_ : ndarray of float, shape (n_items,) or (n_sequences, n_frames)
        The top level's familiarity ``G`` when each item was learned (mean over its
        active macs; NaN where none was active).
    image_shape_ : tuple of int
        ``(H, W)`` of the training images.
    n_items_seen_ : int
        Items learned (each exactly once).

    Notes
    -----
    For 28 x 28 digits, the setting of the study ``rinkus2017/mnist`` (one internal
    level, as in the published trial, whose "2 levels" count the input; the study and
    ``benchmarks/sparsey_mnist.py`` hold the figures): ``grid=((16, 16),),
    rf_radius=4.5, n_cms=16, cells_per_cm=12, freeze_fraction=0.2, binarize=127``, with
    :class:`SparseyClassifier`'s ``readout="knn"``. A second level on top of it reads
    less from the codes than the first level does.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((30, 16, 16)) < 0.1
    >>> model = Sparsey(seed=0).fit(X)  # one mac: 8 CMs of 16 cells
    >>> bool(np.array_equal(model.transform(X), model.codes_))  # stored codes come back
    True
    >>> bool(np.all(model.familiarity(X) == 1.0))
    True
    >>> model.transform(X).sum(axis=1)[:3]  # one active cell per CM
    array([8, 8, 8])
    """

    kind = "sparsey.sparsey"
    source = SOURCE
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "grid": Grid(),
        "n_cms": PerLevel(Integer(low=1)),
        "cells_per_cm": PerLevel(Integer(low=1)),
        "rf_radius": PerLevel(Real(low=0, none_ok=True)),
        "rf_shape": Options("square", "circle"),
        "hrf_radius": PerLevel(Real(low=0)),
        "pi_min": PerLevel(Integer(low=1)),
        "pi_max": PerLevel(Integer(low=1, none_ok=True)),
        "lambda_u": Real(low=0, low_open=True),
        "lambda_h": Real(low=0),
        "lambda_d": Real(low=0),
        "g_min": Real(low=0, high=1, high_open=True),
        "gamma": Real(low=0, low_open=True),
        "chi": Real(low=0),
        "sigmoid_gain": Real(low=0, low_open=True),
        "sigmoid_center": Real(low=0, high=1),
        "freeze_fraction": PerLevel(Real(low=0, high=1, low_open=True)),
        "binarize": Real(none_ok=True),
        "seed": Seed(),
    }
    _fitted_attr = "codes_"

    def __init__(
        self,
        grid=((1, 1),),
        n_cms=8,
        cells_per_cm=16,
        rf_radius=None,
        rf_shape: str = "square",
        hrf_radius=1.0,
        pi_min=1,
        pi_max=None,
        lambda_u: float = 1.0,
        lambda_h: float = 1.0,
        lambda_d: float = 1.0,
        g_min: float = 0.5,
        gamma: float = 2.0,
        chi: float = 100.0,
        sigmoid_gain: float = 15.0,
        sigmoid_center: float = 0.7,
        freeze_fraction=0.5,
        binarize: float | None = None,
        seed=None,
    ):
        self.grid = grid
        self.n_cms = n_cms
        self.cells_per_cm = cells_per_cm
        self.rf_radius = rf_radius
        self.rf_shape = rf_shape
        self.hrf_radius = hrf_radius
        self.pi_min = pi_min
        self.pi_max = pi_max
        self.lambda_u = lambda_u
        self.lambda_h = lambda_h
        self.lambda_d = lambda_d
        self.g_min = g_min
        self.gamma = gamma
        self.chi = chi
        self.sigmoid_gain = sigmoid_gain
        self.sigmoid_center = sigmoid_center
        self.freeze_fraction = freeze_fraction
        self.binarize = binarize
        self.seed = seed

    # -- building ------------------------------------------------------------------------

    def _checked(self) -> dict[str, Any]:
        """The validated parameters, per-level ones broadcast to one entry per level."""
        p = self._validate_params()
        n_levels = len(p["grid"])
        for name in _PER_LEVEL:
            p[name] = _per_level(p, name, n_levels)
        for lv, (lo, hi) in enumerate(zip(p["pi_min"], p["pi_max"], strict=True)):
            if hi is not None and hi < lo:
                raise ValueError(
                    f"pi_max[{lv}]={hi} is below pi_min[{lv}]={lo}: the gate [pi_min, "
                    "pi_max] must not be empty"
                )
        return p

    def _build(self, p: dict[str, Any], image_shape) -> None:
        self._net, self._layout = build_network(
            image_shape, p["grid"], p["n_cms"], p["cells_per_cm"], p["rf_radius"],
            p["rf_shape"], p["hrf_radius"], p["pi_min"], p["pi_max"], p["freeze_fraction"],
            p["lambda_h"] > 0, p["lambda_d"] > 0,
        )  # fmt: skip
        self._csa = _kernels.Csa(
            lambda_u=p["lambda_u"],
            lambda_h=p["lambda_h"],
            lambda_d=p["lambda_d"],
            g_min=p["g_min"],
            gamma=p["gamma"],
            chi=p["chi"],
            gain=p["sigmoid_gain"],
            center=p["sigmoid_center"],
        )
        self._q_max = max(p["n_cms"])
        self._binarize = p["binarize"]
        self.image_shape_ = tuple(image_shape)

    # -- learning ------------------------------------------------------------------------

    def fit(self, X, y=None) -> Sparsey:
        """Learn every item of ``X`` once, in order (single-trial, one pass).

        Parameters
        ----------
        X : array-like, shape (n_items, H, W) or (n_sequences, n_frames, H, W)
            Binary images (each learned as one frame), or binary sequences of frames
            (the horizontal and top-down inputs carry each frame's context to the next;
            they are reset between sequences). Non-binary input needs ``binarize``.
        y : ignored

        Returns
        -------
        self
        """
        p = self._checked()
        frames, sequence, shape = _as_frames(X, p["binarize"])
        self._build(p, shape)
        rng = self._record_seed(self.seed)
        n_items, n_frames = frames.shape[:2]
        seeds = rng.integers(0, np.iinfo(np.int64).max, size=n_items, dtype=np.int64)
        seeds = seeds.astype(np.uint64)
        self._weights = empty_weights(self._net)
        wu, wh, wd, n_set = self._weights
        n_macs = self._net.mac_q.size
        win = np.full((n_items, n_frames, n_macs, self._q_max), -1, dtype=np.int32)
        fam = np.full((n_items, n_frames, n_macs), np.nan)
        for i in range(n_items):  # one call per item: each item is learned exactly once
            _kernels.learn_item(
                self._net, self._csa, wu, wh, wd, n_set, frames[i], seeds[i], win[i], fam[i]
            )
        self._sequence = sequence
        self.n_items_seen_ = int(n_items)
        top = self._layout.n_levels - 1
        self.familiarity_ = self._shape_out(self._level_familiarity(fam, top))
        self.codes_ = self._shape_out(self._level_codes(win, top))
        return self

    # -- recognition ---------------------------------------------------------------------

    def _recognise(self, X):
        """Winners ``(n, T, n_macs, q_max)`` and familiarities ``(n, T, n_macs)`` of every
        mac for every frame of ``X`` (recognition: no learning), and whether ``X`` is a
        batch of sequences."""
        self._check_fitted()
        frames, sequence, _ = _as_frames(X, self._binarize, self.image_shape_)
        n_items, n_frames = frames.shape[:2]
        n_macs = self._net.mac_q.size
        win = np.full((n_items, n_frames, n_macs, self._q_max), -1, dtype=np.int32)
        fam = np.full((n_items, n_frames, n_macs), np.nan)
        wu, wh, wd, _ = self._weights
        if n_items >= _PARALLEL_FROM:
            _kernels.recognise_items_par(
                self._net, self._csa, wu, wh, wd, frames, win, fam, _n_blocks(n_items)
            )
        else:
            _kernels.recognise_items(self._net, self._csa, wu, wh, wd, frames, win, fam, 1)
        return win, fam, sequence

    def _level(self, level: Any) -> int:
        n_levels = self._layout.n_levels
        level = check_int("level", level, low=-n_levels, high=n_levels - 1)
        return level % n_levels

    def _level_codes(self, win: np.ndarray, level: int) -> np.ndarray:
        """Bool codes ``(n, T, n_cells)`` of one level from the winners."""
        lay = self._layout
        lo, hi = int(lay.mac_ptr[level]), int(lay.mac_ptr[level + 1])
        q, k = lay.q[level], lay.k[level]
        w = win[:, :, lo:hi, :q]
        n, t = w.shape[:2]
        codes = np.zeros((n, t, hi - lo, q, k), dtype=bool)
        on = w >= 0
        ii, tt, mm, qq = np.nonzero(on)
        codes[ii, tt, mm, qq, w[on]] = True
        return codes.reshape(n, t, -1)

    def _level_familiarity(self, fam: np.ndarray, level: int) -> np.ndarray:
        """Mean ``G`` over the level's active macs ``(n, T)``; NaN where none is."""
        lay = self._layout
        f = fam[:, :, int(lay.mac_ptr[level]) : int(lay.mac_ptr[level + 1])]
        active = ~np.isnan(f)
        count = active.sum(axis=-1)
        total = np.where(active, f, 0.0).sum(axis=-1)
        out = np.full(count.shape, np.nan)
        np.divide(total, count, out=out, where=count > 0)
        return out

    @staticmethod
    def _shape(arr: np.ndarray, sequence: bool) -> np.ndarray:
        return arr if sequence else arr[:, 0]

    def _shape_out(self, arr: np.ndarray) -> np.ndarray:
        return self._shape(arr, self._sequence)

    def transform(self, X, level: int = -1) -> np.ndarray:
        """The codes of ``X``, recognised (argmax per CM; nothing is learned).

        Parameters
        ----------
        X : array-like, shape (n_items, H, W) or (n_sequences, n_frames, H, W)
            As for :meth:`fit`, images of the fitted shape.
        level : int
            The level whose codes to return (``-1``: the top; ``0``: level 1).

        Returns
        -------
        ndarray of bool, shape (n_items, n_cells) or (n_sequences, n_frames, n_cells)
            SDRs: exactly ``Q`` active cells per active mac (none for a gated-off mac);
            cells ordered ``mac * Q * K + cm * K + cell``, macs row-major.
        """
        self._check_fitted()
        level = self._level(level)
        win, _, sequence = self._recognise(X)
        return self._shape(self._level_codes(win, level), sequence)

    def familiarity(self, X, level: int = -1) -> np.ndarray:
        """The familiarity ``G`` of ``X`` (mean over the level's active macs; NaN where
        none is active): 1 for a stored input, near 0 for an input unlike any stored.

        Returns
        -------
        ndarray of float, shape (n_items,) or (n_sequences, n_frames)
        """
        self._check_fitted()
        level = self._level(level)
        _, fam, sequence = self._recognise(X)
        return self._shape(self._level_familiarity(fam, level), sequence)

    # -- result format ------------------------------------------------------------------

    def _result_params(self) -> dict:
        return super()._result_params() | {"image_shape": list(self.image_shape_)}

    def _result_groups(self) -> dict:
        """``connectivity/U_L1`` (``input`` -> ``L1``), ``U_L2`` (``L1`` -> ``L2``), ...:
        the set bottom-up weights (one synapse each, weight 1); ``H_L<n>`` and
        ``D_L<n>`` (horizontal, top-down; ``pathway="modulatory"``) where learned.
        ``activity/codes`` (``sample``, ``time``, ``neuron``: the top level's learned
        codes, one time step per frame) and ``activity/familiarity`` (``sample``,
        ``time``), attr ``sequence``."""
        groups = weights_to_connectivity(self._layout, self._net, self._weights[:3])
        codes = self.codes_ if self._sequence else self.codes_[:, None]
        fam = self.familiarity_ if self._sequence else self.familiarity_[:, None]
        n, t = codes.shape[:2]
        groups["activity"] = xr.Dataset(
            {
                "codes": (("sample", "time", "neuron"), codes,
                          {"long_name": "top-level code learned for each item and frame"}),
                "familiarity": (("sample", "time"), fam,
                                {"long_name": "top-level familiarity G when learned"}),
            },
            coords={
                "sample": ("sample", np.arange(n), {"long_name": "training item"}),
                "time": ("time", np.arange(t), {"long_name": "frame"}),
            },
            attrs={"sequence": int(self._sequence), "level": self._layout.layer_name(
                self._layout.n_levels - 1)},
        )  # fmt: skip
        return groups

    def _restore(self, tree) -> None:
        p = self._checked()
        shape = tuple(json.loads(tree.attrs["params"])["image_shape"])
        self._build(p, shape)
        self._weights = weights_from_connectivity(self._layout, self._net, tree)
        act = tree["activity"]
        self._sequence = bool(act.attrs["sequence"])
        codes = act["codes"].values.astype(bool)
        fam = act["familiarity"].values
        self.n_items_seen_ = int(codes.shape[0])
        self.familiarity_ = self._shape_out(fam)
        self.codes_ = self._shape_out(codes)

    @classmethod
    def _conformance_example(cls, seed: int = 0) -> tuple[Sparsey, tuple]:
        X = np.random.default_rng(1).random((8, 8, 8)) < 0.25
        model = cls(
            grid=((2, 2), (1, 1)), n_cms=4, cells_per_cm=4, rf_radius=(2.5, None), seed=seed
        )
        return model, (X,)


# ---------------------------------------------------------------------- classifier


class SparseyClassifier(Sparsey):
    """A :class:`Sparsey` hierarchy with a readout from its top-level codes to labels.

    ``fit(X, y)`` learns every item once, as :class:`Sparsey` does, and associates each
    item's top-level code with its label; ``predict`` recognises the code of a new input
    and reads a label from it.

    Which codes stand for the training items (``memory``):

    - ``"recognised"`` (default): the codes the fitted hierarchy gives the training
      items (after the learning pass, a recognition pass: nothing is learned, each item
      is seen a second time only to be recognised). These are the codes a test input is
      matched against under the same, final weights; a code chosen early in learning
      may no longer be the one its item evokes once later items have set more weights
      (and once cells froze).
    - ``"learned"``: the codes chosen while learning (``codes_``): Sparsey's own memory
      traces, with no second look at the data.

    How a label is read (``readout``):

    - ``"overlap"`` (default): the label of the stored code that overlaps the input's
      code most (a nearest neighbour in code space; ties to the smallest label). Code
      overlap is Sparsey's own similarity measure: similar inputs get overlapping codes.
    - ``"knn"``: the ``n_neighbors`` stored codes that overlap the input's code most
      vote for their labels, each with its overlap (the number of cells it shares with
      the input's code); the label with the most votes wins (ties among stored codes to
      the one stored first, among labels to the smallest). Less swayed than ``"overlap"``
      by one stored code that happens to match well.
    - ``"association"``: a one-layer associative readout, one unit per class, whose
      weight from a top cell is the fraction of the class's items whose code held the
      cell; the class with the largest summed weight wins. One row per class instead
      of one per item.

    Which frames of a sequence stand for it (``frames``; images have one frame):

    - ``"each"`` (default): every frame's code is stored with the sequence's label, and
      ``predict`` labels every frame of a test sequence.
    - ``"last"``: the code of the last frame only (which, through the horizontal and
      top-down inputs, carries the sequence's history): one stored code per sequence,
      and ``predict`` gives one label per test sequence.

    Parameters are those of :class:`Sparsey`, plus ``readout``, ``n_neighbors`` (used by
    ``readout="knn"``), ``memory`` and ``frames``.

    Attributes
    ----------
    classes_ : ndarray
        The labels seen in ``fit``, sorted.
    labels_ : ndarray of int64, shape (n_items,)
        Each training item's label, as an index into ``classes_``.
    memory_ : ndarray of bool, shape (n_items, n_top_cells) or (n_sequences, n_frames, n_top_cells)
        The codes of the training items (see ``memory``); with ``frames="last"`` the
        readout uses the last frame's.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> protos = rng.random((3, 12, 12)) < 0.25
    >>> y = np.repeat(np.arange(3), 20)
    >>> X = protos[y] ^ (rng.random((60, 12, 12)) < 0.05)  # noisy copies
    >>> clf = SparseyClassifier(readout="knn", n_neighbors=5, seed=0).fit(X, y)
    >>> float(clf.score(protos, np.arange(3)))
    1.0
    """

    kind = "sparsey.classifier"
    source = SOURCE
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        **Sparsey._parameter_constraints,
        "readout": Options("overlap", "knn", "association"),
        "n_neighbors": Integer(low=1),
        "memory": Options("recognised", "learned"),
        "frames": Options("each", "last"),
    }

    def __init__(
        self,
        grid=((1, 1),),
        n_cms=8,
        cells_per_cm=16,
        rf_radius=None,
        rf_shape: str = "square",
        hrf_radius=1.0,
        pi_min=1,
        pi_max=None,
        lambda_u: float = 1.0,
        lambda_h: float = 1.0,
        lambda_d: float = 1.0,
        g_min: float = 0.5,
        gamma: float = 2.0,
        chi: float = 100.0,
        sigmoid_gain: float = 15.0,
        sigmoid_center: float = 0.7,
        freeze_fraction=0.5,
        binarize: float | None = None,
        readout: str = "overlap",
        n_neighbors: int = 5,
        memory: str = "recognised",
        frames: str = "each",
        seed=None,
    ):
        super().__init__(
            grid=grid, n_cms=n_cms, cells_per_cm=cells_per_cm, rf_radius=rf_radius,
            rf_shape=rf_shape, hrf_radius=hrf_radius, pi_min=pi_min, pi_max=pi_max,
            lambda_u=lambda_u, lambda_h=lambda_h, lambda_d=lambda_d, g_min=g_min,
            gamma=gamma, chi=chi, sigmoid_gain=sigmoid_gain, sigmoid_center=sigmoid_center,
            freeze_fraction=freeze_fraction, binarize=binarize, seed=seed,
        )  # fmt: skip
        self.readout = readout
        self.n_neighbors = n_neighbors
        self.memory = memory
        self.frames = frames

    def fit(self, X, y) -> SparseyClassifier:
        """Learn every item of ``X`` once (see :meth:`Sparsey.fit`) and associate its
        top-level code with its label ``y`` (one per image, or one per sequence: every
        frame's code, or the last frame's with ``frames="last"``, then carries the
        sequence's label)."""
        p = self._validate_params()
        arr = check_array("X", X, ndim=(3, 4), dtype=None)
        labels = np.asarray(y)
        if labels.ndim != 1 or labels.shape[0] != arr.shape[0]:
            raise ValueError(
                f"y must hold one label per item of X ({arr.shape[0]}), got shape {labels.shape}"
            )
        if labels.dtype.kind not in "biuU":
            raise TypeError(f"y must hold integer or string labels, got dtype {labels.dtype}")
        super().fit(arr)
        self._readout, self._memory_kind = p["readout"], p["memory"]
        self._n_neighbors, self._frames = p["n_neighbors"], p["frames"]
        self.classes_, inverse = np.unique(labels, return_inverse=True)
        self.labels_ = inverse.astype(np.int64)
        if p["memory"] == "learned":
            self.memory_ = self.codes_
        else:
            win, _, _ = self._recognise(arr)
            self.memory_ = self._shape_out(self._level_codes(win, self._layout.n_levels - 1))
        self._set_readout()
        return self

    @property
    def _last_only(self) -> bool:
        return self._sequence and self._frames == "last"

    def _set_readout(self) -> None:
        codes = self.memory_ if self._sequence else self.memory_[:, None]
        if self._last_only:
            codes = codes[:, -1:]
        n, t, n_cells = codes.shape
        flat = codes.reshape(n * t, n_cells)
        self._memory_flat = flat
        self._memory_slots = self._slots(flat)
        self._memory_labels = np.repeat(self.labels_, t)
        n_classes = self.classes_.size
        counts = np.zeros((n_classes, n_cells), dtype=np.int64)
        np.add.at(counts, self._memory_labels, flat.astype(np.int64))
        self._class_counts = counts
        self._class_size = np.bincount(self._memory_labels, minlength=n_classes)

    def _slots(self, codes: np.ndarray) -> np.ndarray:
        """Winners ``(n, n_slots)`` (one slot per top mac and CM; -1 where off) from
        bool top-level codes ``(n, n_cells)``."""
        lay = self._layout
        top = lay.n_levels - 1
        grouped = codes.reshape(codes.shape[0], lay.n_macs(top) * lay.q[top], lay.k[top])
        # the narrowest type that holds the cell index: int8 slots compare fastest
        dtype = np.int8 if lay.k[top] <= 127 else np.int16 if lay.k[top] <= 32767 else np.int32
        return np.where(grouped.any(axis=-1), grouped.argmax(axis=-1), -1).astype(dtype)

    def _scores(self, flat: np.ndarray) -> np.ndarray:
        """Per-class scores ``(n, n_classes)`` of bool top-level codes ``(n, n_cells)``."""
        n_classes = self.classes_.size
        if self._readout == "association":
            weights = self._class_counts / np.maximum(self._class_size, 1)[:, None]
            return flat.astype(np.float64) @ weights.T
        slots = self._slots(flat)
        if self._readout == "knn":
            k = min(self._n_neighbors, self._memory_slots.shape[0])
            args = (slots, self._memory_slots, self._memory_labels, n_classes, k)
            n = slots.shape[0]
            if n < _PARALLEL_FROM:
                votes = _kernels.knn_votes(*args, 1)
            else:
                votes = _kernels.knn_votes_par(*args, _n_blocks(n))
            return votes.astype(np.float64)
        scores = np.full((slots.shape[0], n_classes), -1.0)
        for lo in range(0, slots.shape[0], _CHUNK):  # bounded memory: rows in chunks
            overlap = _overlap(slots[lo : lo + _CHUNK], self._memory_slots)
            for c in range(n_classes):
                mine = self._memory_labels == c
                if mine.any():
                    scores[lo : lo + _CHUNK, c] = overlap[:, mine].max(axis=1)
        return scores

    def decision_function(self, X) -> np.ndarray:
        """Per-class scores, shape ``(n_items, n_classes)`` (sequences: ``(n_sequences,
        n_frames, n_classes)``, or ``(n_sequences, n_classes)`` with ``frames="last"``):
        with ``readout="overlap"`` the largest overlap of the input's code with a
        stored code of the class; with ``"knn"`` the summed overlaps of the class's
        codes among the ``n_neighbors`` nearest; with ``"association"`` the summed
        readout weights of the code's cells."""
        self._check_fitted()
        win, _, sequence = self._recognise(X)
        codes = self._level_codes(win, self._layout.n_levels - 1)
        if sequence and self._frames == "last":
            return self._scores(codes[:, -1])
        n, t, n_cells = codes.shape
        scores = self._scores(codes.reshape(n * t, n_cells))
        return self._shape(scores.reshape(n, t, -1), sequence)

    def predict(self, X) -> np.ndarray:
        """The predicted label of each item (or of each frame of each sequence; of each
        sequence with ``frames="last"``)."""
        self._check_fitted()
        return self.classes_[np.argmax(self.decision_function(X), axis=-1)]

    def score(self, X, y) -> float:
        """Accuracy of :meth:`predict` on ``(X, y)`` (per frame for sequences, unless
        ``frames="last"``: ``y`` holds one label per sequence)."""
        pred = self.predict(X)
        y = np.asarray(y)
        if pred.ndim == 2:
            y = np.repeat(y[:, None], pred.shape[1], axis=1)
        return float(np.mean(pred == y))

    # -- result format ------------------------------------------------------------------

    def _result_groups(self) -> dict:
        """As :class:`Sparsey`'s, plus ``state`` (``labels`` along ``sample``, each
        training item's label as an index into the coordinate ``class``; ``memory``,
        the codes of the items, as ``activity/codes``; attrs ``readout``, ``memory``,
        ``frames``) and the readout's connectivity: ``readout="overlap"`` or ``"knn"``:
        ``connectivity/memory`` (top level -> ``memory``, one unit per stored code,
        its synapses from the code's cells) and ``connectivity/label`` (``memory`` ->
        ``class``); ``"association"``: ``connectivity/readout`` (top level -> ``class``,
        weight = fraction of the class's items whose code held the cell)."""
        from neurosparse.results import connectivity_from_indices

        groups = super()._result_groups()
        top = self._layout.layer_name(self._layout.n_levels - 1)
        n_cells = self._class_counts.shape[1]
        n_classes = self.classes_.size
        codes = self.memory_ if self._sequence else self.memory_[:, None]
        if self._readout in ("overlap", "knn"):
            flat = self._memory_flat
            item, cell = np.nonzero(flat)
            groups["connectivity/memory"] = connectivity_from_indices(
                cell, item, n_cells, flat.shape[0], pre_layer=top, post_layer="memory"
            )
            groups["connectivity/label"] = connectivity_from_indices(
                np.arange(flat.shape[0]), self._memory_labels, flat.shape[0], n_classes,
                pre_layer="memory", post_layer="class",
            )  # fmt: skip
        else:
            cls_idx, cell = np.nonzero(self._class_counts)
            weight = self._class_counts[cls_idx, cell] / self._class_size[cls_idx]
            groups["connectivity/readout"] = connectivity_from_indices(
                cell, cls_idx, n_cells, n_classes, weight=weight, pre_layer=top,
                post_layer="class",
            )  # fmt: skip
        classes = self.classes_
        n, t = codes.shape[:2]
        groups["state"] = xr.Dataset(
            {
                "labels": ("sample", self.labels_,
                           {"long_name": "label of each training item (index into class)"}),
                "memory": (("sample", "time", "neuron"), codes,
                           {"long_name": "top-level code standing for each training item"}),
            },
            coords={
                "sample": ("sample", np.arange(n), {"long_name": "training item"}),
                "time": ("time", np.arange(t), {"long_name": "frame"}),
                "class": ("class", classes.astype(str) if classes.dtype.kind == "U"
                          else classes, {"long_name": "class label"}),
            },
            attrs={"readout": self._readout, "memory": self._memory_kind,
                   "frames": self._frames},
        )  # fmt: skip
        return groups

    def _restore(self, tree) -> None:
        super()._restore(tree)
        state = tree["state"]
        p = self._validate_params()
        self._readout = str(state.attrs["readout"])
        self._memory_kind = str(state.attrs["memory"])
        self._frames = str(state.attrs.get("frames", "each"))
        self._n_neighbors = p["n_neighbors"]
        self.classes_ = state["class"].values
        self.labels_ = state["labels"].values.astype(np.int64)
        memory = state["memory"].values.astype(bool)
        self.memory_ = memory if self._sequence else memory[:, 0]
        self._set_readout()

    @classmethod
    def _conformance_example(cls, seed: int = 0) -> tuple[SparseyClassifier, tuple]:
        X = np.random.default_rng(1).random((8, 8, 8)) < 0.25
        model = cls(
            grid=((2, 2), (1, 1)), n_cms=4, cells_per_cm=4, rf_radius=(2.5, None), seed=seed
        )
        return model, (X, np.arange(X.shape[0]) % 3)


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Overlaps ``(len(a), len(b))`` of codes given as slots (see ``code_overlap``)."""
    n = a.shape[0]
    if n < _PARALLEL_FROM:
        return _kernels.code_overlap(a, b, 1)
    return _kernels.code_overlap_par(a, b, _n_blocks(n))


def _n_blocks(n: int) -> int:
    """Blocks of :data:`_BLOCK` items: set by the data, never by the thread count
    (``docs/ARCHITECTURE.md``, "Numba kernels"; the results do not depend on it)."""
    return -(-n // _BLOCK)
