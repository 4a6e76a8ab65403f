r"""Dictionary learning with any sparsity penalty (Rentzeperis et al. 2023).

The learner follows the scheme of the paper and of the authors' public code
(github.com/rentzi/sparseRegularizers, read, not copied): the dictionary
:math:`\Phi` starts as ``randn / sqrt(n_atoms)``; before each batch its atoms are
renormalised to unit norm; the batch's codes are found by plain ISTA from zero,

.. math::
    r \leftarrow \operatorname{prox}_{\eta\lambda\psi}\left(r + \eta\,(x - r\Phi)\Phi^T\right),

stopped by the authors' rule :math:`\|R_t - R_{t-1}\| / (\epsilon + \|R_{t-1}\|) <
\epsilon` (:math:`\epsilon = 0.01`, over the whole batch); then one Hebbian step moves
the dictionary along the gradient of the reconstruction error,

.. math:: \Phi \leftarrow \Phi + \eta_\Phi(t)\, R^T (X - R\Phi),
          \qquad \eta_\Phi(t) = \frac{\eta_\Phi}{1 + d\,t},

``t`` the batch index, ``d`` the optional decay (the authors' decaying schedule uses
``d = eta_Phi / 50``).

Orientation: ``components_`` is ``(n_atoms, n_features)`` (the transpose of the
authors' ``Phi``), codes are ``(n_samples, n_atoms)``, as in scikit-learn.

Choices made here, each a parameter: the ISTA step ``eta`` is fixed (the authors' code
also decays it within a batch for CEL0 runs beyond 500 units; we do not); the stopping
norm is the Frobenius norm of the batch (the authors' ``np.linalg.norm(., ord=2)`` on a
matrix is its spectral norm, which costs an SVD per step); the Hebbian step uses the
converged codes (the authors take one more ISTA step first); atoms are renormalised
once more after the last batch so that ``components_`` has unit-norm rows.

Penalty scale: :math:`\lambda` multiplies the penalty of the half-quadratic objective
:math:`\tfrac12\|x - r\Phi\|^2 + \lambda\sum\psi(r_i)` for every penalty. The authors'
hard threshold :math:`\sqrt{\eta\lambda}` and their ``l1/2`` threshold (Xu's form for the
full quadratic) correspond to *half* their :math:`\lambda` here: their ``hard`` 0.013 and
``half`` 0.13 are ``l0`` 0.0065 and ``l1/2`` 0.065 in this module; ``l1`` and ``cel0``
use the same :math:`\lambda`.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from typing import Any, ClassVar

import numba
import numpy as np

from neurosparse._estimator import Model
from neurosparse._validation import (
    ArrayLike,
    Boolean,
    Constraint,
    Integer,
    Options,
    Real,
    Seed,
    check_array,
    check_bool,
    check_int,
    check_real,
)
from neurosparse.coding import _kernels as K
from neurosparse.coding.encode import _one_blas_thread
from neurosparse.coding.prox import PENALTIES, _check_norms, _penalty_code, _penalty_record

__all__ = ["PAPER_SETTINGS", "DictionaryLearner", "default_eta", "ista_encode"]

SOURCE = (
    "Rentzeperis, Calatroni, Perrinet & Prandi, Beyond l1 sparse coding in V1, "
    "PLOS Comput Biol 2023, arXiv:2301.10002"
)

#: The paper's settings for 500 units (lambda in this module's convention, see above),
#: ISTA step eta and dictionary learning rate.
PAPER_SETTINGS = {
    "l1": {"lam": 0.41, "eta": 0.01, "lr": 0.01},
    "l0": {"lam": 0.0065, "eta": 0.01, "lr": 0.01},
    "l1/2": {"lam": 0.065, "eta": 0.01, "lr": 0.01},
    "cel0": {"lam": 0.45, "eta": 0.1, "lr": 0.01},
}


#: CEL0's default step keeps ``eta * L <= CEL0_STEP_NORM`` (``L`` the squared spectral norm)
CEL0_STEP_NORM = 0.5


def default_eta(penalty: str, n_atoms: int, n_features: int) -> float:
    r"""Default ISTA step ``eta`` for the fixed-step solver of the paper's scheme.

    0.01 for ``l1``, ``l0``, ``l1/2`` and ``lq`` (the authors'). For ``cel0`` the authors'
    0.1, reduced so that :math:`\eta L \le 0.5` with
    :math:`L = (\sqrt{n_{atoms}} + \sqrt{n_{features}})^2 / n_{features}`, the squared
    spectral norm of a random unit-norm dictionary. This gives back the authors' own
    choices (about 0.09 for 500 units and 0.055 for 1000 units of 16x16 patches; they used
    0.1 and 0.05), while a fixed 0.1 makes ISTA diverge beyond about 4x overcomplete.
    Pass ``eta`` explicitly to use the paper's exact values (``PAPER_SETTINGS``).
    """
    if penalty != "cel0":
        return 0.01
    lip = (np.sqrt(n_atoms) + np.sqrt(n_features)) ** 2 / n_features
    return float(min(0.1, CEL0_STEP_NORM / lip))


def ista_encode(
    X: Any,
    dictionary: Any,
    *,
    penalty: str = "l1",
    lam: float,
    q: float | None = None,
    eta: float = 0.01,
    max_iter: int = 5000,
    tol: float = 0.01,
    positive: bool = False,
    init: Any = None,
    parallel: bool = True,
) -> tuple[np.ndarray, int]:
    r"""Codes of a batch by plain ISTA with a fixed step and the authors' stopping rule.

    The encoder the :class:`DictionaryLearner` uses (and the one the paper's numbers
    come from): ``r <- prox_{eta lam psi}(r + eta (x - r D) D^T)`` from ``init`` (zero
    by default) until ``||R_t - R_{t-1}||_F / (tol + ||R_{t-1}||_F) < tol`` over the
    batch. With a small step this stops well before the minimiser is reached, as in
    the paper; for converged codes use :func:`neurosparse.coding.sparse_encode`.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
    dictionary : array-like, shape (n_atoms, n_features)
    penalty : {"l1", "l0", "l1/2", "lq", "cel0"}
    lam : float
        :math:`\lambda \ge 0`.
    q : float, optional
        Exponent for ``lq``.
    eta : float
        ISTA step (``cel0`` needs ``eta * ||d_i||^2 < 1`` for its continuous branch).
    max_iter : int
    tol : float
        :math:`\epsilon` of the stopping rule (0.01 in the paper).
    positive : bool
        Nonnegative codes.
    init : array-like, optional
        Starting codes, shape (n_samples, n_atoms).
    parallel : bool
        Use the multi-threaded kernel (the same bits; BLAS held to one thread meanwhile,
        so that its idle threads do not compete with Numba's). ``False``: one thread.

    Returns
    -------
    codes : ndarray, shape (n_samples, n_atoms)
    n_iter : int
        ISTA steps taken.
    """
    X = check_array("X", X, ndim=2)
    D = check_array("dictionary", dictionary, ndim=2)
    if X.shape[1] != D.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features but the dictionary's atoms have {D.shape[1]}"
        )
    code, qv = _penalty_code(penalty, q)
    lam = check_real("lam", lam, low=0.0)
    eta = check_real("eta", eta, low=0.0, low_open=True)
    max_iter = check_int("max_iter", max_iter, low=1)
    tol = check_real("tol", tol, low=0.0, low_open=True)
    positive = check_bool("positive", positive)
    norms = np.linalg.norm(D, axis=1)
    if np.any(norms == 0):
        raise ValueError(f"dictionary has a zero atom (index {int(np.argmin(norms))})")
    if init is None:
        R0 = np.zeros((X.shape[0], D.shape[0]))
    else:
        R0 = check_array("init", init, ndim=2, copy=True)
        if R0.shape != (X.shape[0], D.shape[0]):
            raise ValueError(f"init must have shape {(X.shape[0], D.shape[0])}, got {R0.shape}")
    return _encode(X, D, code, qv, lam, eta, norms, bool(positive), max_iter, tol, R0, parallel)


def _encode(X, D, code, q, lam, eta, norms, positive, max_iter, tol, R0, parallel):
    with _blas_for(parallel):
        return _encode_batch(X, D, code, q, lam, eta, norms, positive, max_iter, tol, R0,
                             _kernel_for(parallel))  # fmt: skip


def _kernel_for(parallel: bool):
    """The ISTA engine's batch driver, :func:`._kernels.ista_batch`, or its parallel
    version (blocks of samples on Numba's threads; the same bits)."""
    return K.ista_batch_par if parallel else K.ista_batch


def _blas_for(parallel: bool):
    """BLAS held to one thread around the multi-threaded kernel (its idle threads would
    spin against Numba's); left as it is otherwise."""
    return _one_blas_thread() if parallel else contextlib.nullcontext()


def _encode_batch(X, D, code, q, lam, eta, norms, positive, max_iter, tol, R0, kernel):
    """Codes of the batch ``X`` by the learner's ISTA (:func:`._kernels.ista_batch`: the
    authors' Gram-form update, exact proximal maps, the batch rule with ``offset =
    tol``); returns ``(R, n_iter)``."""
    G = np.ascontiguousarray(D @ D.T)
    B = np.ascontiguousarray(X @ D.T)
    pen = _penalty_record(code, q, lam, norms, positive, step=eta)
    stop = K.Stop(int(max_iter), float(tol), float(tol))
    n_blocks = max(1, min(B.shape[0], numba.get_num_threads())) if kernel is K.ista_batch_par else 1
    R, n_iter, _ = kernel(B, G, np.ascontiguousarray(R0), float(eta), pen, stop, n_blocks)
    return R, int(n_iter)


def batch_order(
    n_rows: int, n_batches: int, batch_size: int, rng: np.random.Generator, *, shuffle: bool
) -> np.ndarray:
    """Row indices of ``n_batches`` consecutive batches of ``batch_size`` rows out of
    ``n_rows``: the rows in their order on the first pass; on each later pass (when the
    batches need more rows than there are) a new permutation drawn from ``rng`` with
    ``shuffle``, else the first pass again.

    Examples
    --------
    >>> import numpy as np
    >>> batch_order(4, 3, 2, np.random.default_rng(0), shuffle=False)
    array([0, 1, 2, 3, 0, 1])
    """
    total = n_batches * batch_size
    if not shuffle or total <= n_rows:
        return np.arange(total) % n_rows
    passes = -(-total // n_rows)
    order = [np.arange(n_rows)] + [rng.permutation(n_rows) for _ in range(passes - 1)]
    return np.concatenate(order)[:total]


class DictionaryLearner(Model):
    r"""Sparse-coding dictionary learning with a choice of penalty (Rentzeperis et al. 2023).

    See the module docstring for the algorithm. ``fit(patches)`` runs ``n_batches``
    batches of ``batch_size`` consecutive rows of ``patches``; when they ask for more
    rows than there are, the rows are visited again, each later pass in a new random
    order with ``shuffle`` (:func:`batch_order`).

    Parameters
    ----------
    n_atoms : int
        Number of units (dictionary atoms).
    penalty : {"l1", "l0", "l1/2", "lq", "cel0"}
    lam : float
        :math:`\lambda` (see the module docstring for the scale).
    q : float, optional
        Exponent for ``lq``.
    eta : float, optional
        ISTA step; default :func:`default_eta` (0.01, or for ``cel0`` the paper's 0.1
        reduced with the dictionary's size so that ISTA stays stable).
    lr : float
        Hebbian learning rate :math:`\eta_\Phi` (0.01 in the paper).
    lr_decay : float
        ``d`` in :math:`\eta_\Phi/(1 + d t)`; 0 keeps it constant.
    batch_size : int
        Patches per batch (250 in the paper).
    n_batches : int, optional
        Batches to run; default ``n_samples // batch_size``.
    max_iter : int
        Cap on ISTA steps per batch (5000 in the paper).
    tol : float
        :math:`\epsilon` of the stopping rule (0.01).
    positive : bool
        Nonnegative codes.
    shuffle : bool
        Visit the rows in a new random order (from ``seed``) on every pass after the
        first; ``False`` repeats the first pass's order, so the batches (and the
        history's batch-to-batch pattern) repeat with the period of one pass.
    parallel : bool
        Multi-threaded ISTA kernel (the same bits), with BLAS held to one thread during
        ``fit`` (its idle threads would compete with Numba's); ``False``: one thread
        (``benchmarks/coding_dictionary_learning.py`` compares them).
    dictionary_init : array-like, optional
        Starting dictionary (n_atoms, n_features), e.g. to continue a run; default
        ``randn / sqrt(n_atoms)`` drawn from ``seed``.
    seed : int, Generator or None
        Seeds the initial dictionary, then the order of the later passes.

    Attributes
    ----------
    components_ : ndarray, shape (n_atoms, n_features)
        Unit-norm atoms.
    n_iter_ : int
        Batches run.
    history_ : dict of ndarray, each of shape (n_iter_,)
        ``mse`` (mean squared reconstruction error of each batch, codes before the
        Hebbian step), ``mean_active`` (active units per patch), ``ista_iterations``,
        ``lr`` (the learning rate used).
    fit_time_ : float
        Seconds spent in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from neurosparse.coding.dictionary import DictionaryLearner
    >>> X = np.random.default_rng(0).standard_normal((500, 16))
    >>> model = DictionaryLearner(32, penalty="cel0", lam=0.3, batch_size=50, seed=0)
    >>> model.fit(X).components_.shape
    (32, 16)
    """

    kind = "coding.dictionary"
    source = SOURCE
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "n_atoms": Integer(low=1),
        "penalty": Options(*PENALTIES),
        "lam": Real(low=0.0),
        "q": Real(low=0.0, high=1.0, low_open=True, high_open=True, none_ok=True),
        "eta": Real(low=0.0, low_open=True, none_ok=True),
        "lr": Real(low=0.0, low_open=True),
        "lr_decay": Real(low=0.0),
        "batch_size": Integer(low=1),
        "n_batches": Integer(low=1, none_ok=True),
        "max_iter": Integer(low=1),
        "tol": Real(low=0.0, low_open=True),
        "positive": Boolean(),
        "shuffle": Boolean(),
        "parallel": Boolean(),
        "dictionary_init": ArrayLike(ndim=2, none_ok=True),
        "seed": Seed(),
    }
    _fitted_attr = "components_"
    _params_not_recorded = ("dictionary_init", "seed")

    def __init__(
        self,
        n_atoms: int = 500,
        *,
        penalty: str = "l1",
        lam: float = 0.41,
        q: float | None = None,
        eta: float | None = None,
        lr: float = 0.01,
        lr_decay: float = 0.0,
        batch_size: int = 250,
        n_batches: int | None = None,
        max_iter: int = 5000,
        tol: float = 0.01,
        positive: bool = False,
        shuffle: bool = True,
        parallel: bool = True,
        dictionary_init: Any = None,
        seed: Any = None,
    ) -> None:
        self.n_atoms = n_atoms
        self.penalty = penalty
        self.lam = lam
        self.q = q
        self.eta = eta
        self.lr = lr
        self.lr_decay = lr_decay
        self.batch_size = batch_size
        self.n_batches = n_batches
        self.max_iter = max_iter
        self.tol = tol
        self.positive = positive
        self.shuffle = shuffle
        self.parallel = parallel
        self.dictionary_init = dictionary_init
        self.seed = seed

    # -- validation ---------------------------------------------------------------------

    def _validated(self, n_samples: int, n_features: int) -> dict[str, Any]:
        """The constraints table, then the defaults that depend on the data and the
        rules that tie parameters together."""
        p = self._validate_params()
        p["code"], p["q"] = _penalty_code(p["penalty"], p["q"])
        if p["eta"] is None:
            p["eta"] = default_eta(p["penalty"], p["n_atoms"], n_features)
        if p["n_batches"] is None:
            if n_samples < p["batch_size"]:
                raise ValueError(
                    f"patches has {n_samples} rows, fewer than batch_size="
                    f"{p['batch_size']}: give fewer per batch or n_batches"
                )
            p["n_batches"] = n_samples // p["batch_size"]
        return p

    # -- learning -----------------------------------------------------------------------

    def fit(self, patches: Any, y: Any = None) -> DictionaryLearner:
        """Learn the dictionary from ``patches`` (n_samples, n_features)."""
        X = check_array("patches", patches, ndim=2)
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"patches must be non-empty, got shape {X.shape}")
        p = self._validated(*X.shape)
        rng = self._record_seed(self.seed)
        f = X.shape[1]
        k, nb = p["n_atoms"], p["n_batches"]
        if self.dictionary_init is None:
            D = rng.standard_normal((k, f)) / np.sqrt(k)
        else:
            D = check_array("dictionary_init", self.dictionary_init, ndim=2, copy=True)
            if D.shape != (k, f):
                raise ValueError(
                    f"dictionary_init must have shape (n_atoms, n_features) = {(k, f)}, "
                    f"got {D.shape}"
                )
        mse = np.empty(nb)
        active = np.empty(nb)
        iters = np.empty(nb, dtype=np.int64)
        lrs = np.empty(nb)
        start = time.perf_counter()
        order = batch_order(X.shape[0], nb, p["batch_size"], rng, shuffle=bool(self.shuffle))
        with _blas_for(self.parallel):
            self._learn(X, D, order, p, mse, active, iters, lrs)
        D /= np.maximum(np.linalg.norm(D, axis=1, keepdims=True), 1e-8)
        self.fit_time_ = time.perf_counter() - start
        self.components_ = D
        self.n_iter_ = nb
        self.n_features_in_ = f
        self.history_ = {"mse": mse, "mean_active": active, "ista_iterations": iters, "lr": lrs}
        self._params = p
        zero = int(np.count_nonzero(active == 0))
        if zero >= max(1, nb // 2):  # the Hebbian step learns nothing from zero codes
            warnings.warn(
                f"the codes were all zero in {zero} of {nb} batches, and the dictionary "
                f"learns nothing from those: the first ISTA step from zero, eta * |x D^T| "
                f"with eta={p['eta']!r}, did not pass the {self.penalty!r} penalty's zero "
                f"threshold at lam={p['lam']!r}. "
                "Lower lam or raise eta (sparse_encode, which picks its step from the "
                "dictionary, codes the same patches).",
                RuntimeWarning,
                stacklevel=2,
            )
        return self

    def _learn(self, X, D, order, p, mse, active, iters, lrs) -> None:
        """The batches of :meth:`fit` (rows ``order``, batch after batch): codes, then a
        Hebbian step, ``D`` in place."""
        k, bs, nb = p["n_atoms"], p["batch_size"], p["n_batches"]
        ones = np.ones(k)
        kernel = _kernel_for(bool(self.parallel))  # BLAS already set by fit (_blas_for)
        for t in range(nb):
            D /= np.maximum(np.linalg.norm(D, axis=1, keepdims=True), 1e-8)
            Xb = X[order[t * bs : (t + 1) * bs]]
            R, it = _encode_batch(
                Xb, D, p["code"], p["q"], p["lam"], p["eta"], ones, bool(self.positive),
                p["max_iter"], p["tol"], np.zeros((bs, k)), kernel,
            )  # fmt: skip
            E = Xb - R @ D
            mse[t] = np.mean(E * E)
            active[t] = np.count_nonzero(R) / bs
            iters[t] = it
            lrs[t] = p["lr"] / (1.0 + p["lr_decay"] * t)
            D += lrs[t] * (R.T @ E)
            if not np.all(np.isfinite(R)):
                raise FloatingPointError(
                    f"the codes diverged at batch {t}: the ISTA step eta={p['eta']!r} is too "
                    "large for this dictionary (ISTA needs eta * ||D||_2^2 < 2)"
                )
            if not np.all(np.isfinite(D)):
                raise FloatingPointError(
                    f"the dictionary diverged at batch {t}: the learning rate lr={p['lr']!r} "
                    "is too large"
                )

    def transform(self, X: Any) -> np.ndarray:
        """Codes of ``X`` (n_samples, n_features) with the learner's encoder and penalty."""
        self._check_fitted()
        X = check_array("X", X, ndim=2)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, the dictionary was fitted on {self.n_features_in_}"
            )
        p = self._params
        norms = _check_norms(None, p["n_atoms"], self.penalty)
        R, _ = _encode(
            X, self.components_, p["code"], p["q"], p["lam"], p["eta"], norms,
            bool(self.positive), p["max_iter"], p["tol"], np.zeros((X.shape[0], p["n_atoms"])),
            bool(self.parallel),
        )  # fmt: skip
        return R

    def reconstruction_error(self, X: Any) -> float:
        """Mean squared error of reconstructing ``X`` from its codes."""
        R = self.transform(X)
        X = np.asarray(X, dtype=np.float64)
        return float(np.mean((X - R @ self.components_) ** 2))

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """:meth:`fit` on ``X``, then the codes of ``X`` (:meth:`transform`)."""
        return self.fit(X).transform(X)

    def score(self, X: Any, y: Any = None) -> float:
        r"""Minus the mean objective of ``X`` under the learned dictionary (higher is
        better, as scikit-learn's scorers expect), with the learner's encoder:

        .. math:: -\frac{1}{m}\sum_{k=1}^{m} \tfrac12\|x_k - r_k \Phi\|^2
                  + \lambda \sum_i \psi(r_{k,i})

        Comparable between dictionaries learned with the same penalty and ``lam`` (not
        a way to choose them: they change the objective itself).
        """
        from neurosparse.coding.encode import objective

        R = self.transform(X)
        X = np.asarray(X, dtype=np.float64)
        values = objective(X, self.components_, R, penalty=self.penalty, lam=self.lam, q=self.q)
        return -float(np.mean(values))

    # -- result format ------------------------------------------------------------------

    def _result_params(self) -> dict[str, Any]:
        """The constructor's arguments but the initial dictionary (an array) and the seed
        (the result's own attr), with the values the fit used for the defaults."""
        return super()._result_params() | {
            "eta": self._params["eta"],
            "n_batches": self._params["n_batches"],
            "n_features": int(self.n_features_in_),
        }

    def _result_groups(self) -> dict[str, Any]:
        """``state/components`` along ``(atom, pixel)``; ``connectivity/dictionary`` the
        atoms as synapses from pixels onto atoms, every nonzero weight
        (:func:`~neurosparse.coding.dictionary_connectivity` selects fewer); ``metrics``
        holds the per-batch history along ``step`` plus the final running MSE and active
        units."""
        import xarray as xr

        h = self.history_
        steps = np.arange(self.n_iter_)
        tail = max(1, self.n_iter_ // 10)
        state = xr.Dataset(
            {
                "components": (
                    ("atom", "pixel"),
                    self.components_,
                    {"long_name": "dictionary atoms (unit norm)", "units": "1"},
                )
            },
            coords={"atom": ("atom", np.arange(self.components_.shape[0]), {"long_name": "unit"})},
        )
        metrics = xr.Dataset(
            {
                "mse": ("step", h["mse"], {"long_name": "batch reconstruction MSE"}),
                "mean_active": (
                    "step",
                    h["mean_active"],
                    {"long_name": "active units per patch (batch mean)"},
                ),
                "ista_iterations": (
                    "step",
                    h["ista_iterations"],
                    {"long_name": "ISTA iterations of the batch"},
                ),
                "lr": ("step", h["lr"], {"long_name": "dictionary learning rate"}),
                "final_mse": (
                    (),
                    float(h["mse"][-tail:].mean()),
                    {"long_name": f"mean batch MSE over the last {tail} batches"},
                ),
                "final_mean_active": (
                    (),
                    float(h["mean_active"][-tail:].mean()),
                    {"long_name": f"active units per patch over the last {tail} batches"},
                ),
            },
            coords={"step": ("step", steps, {"long_name": "batch index"})},
        )
        from neurosparse.coding.connectivity import dictionary_connectivity_node

        return {
            "state": state,
            "connectivity/dictionary": dictionary_connectivity_node(self.components_),
            "metrics": metrics,
        }

    def _restore(self, tree: Any) -> None:
        self.components_ = tree["state"]["components"].values.copy()
        metrics = tree["metrics"]
        self.n_iter_ = int(metrics.sizes["step"])
        self.n_features_in_ = int(self.components_.shape[1])
        self.history_ = {
            name: metrics[name].values.copy()
            for name in ("mse", "mean_active", "ista_iterations", "lr")
        }
        self._params = self._validated(self.n_iter_, self.n_features_in_)

    @classmethod
    def _conformance_example(cls, seed: int = 0) -> tuple[DictionaryLearner, tuple]:
        X = np.random.default_rng(0).standard_normal((60, 8))
        return cls(6, penalty="l1/2", lam=0.05, batch_size=20, n_batches=4, seed=seed), (X,)
