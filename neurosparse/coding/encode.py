r"""Sparse encoding: batched ISTA, FISTA, LCA and coordinate-descent solvers.

Every sample ``x`` (a row of ``X``, shape ``(n_samples, n_features)``) is encoded with
the dictionary ``D`` (shape ``(n_atoms, n_features)``, scikit-learn's layout) by

.. math:: r^\star(x) = \arg\min_r \tfrac12 \|x - r D\|_2^2 + \Psi(r),

with ``Psi`` one of the penalties of :mod:`neurosparse.coding.prox` (``lam * sum psi(r_i)``,
or ``sum_i phi(a_i, lam; r_i)`` for CEL0 with ``a_i = ||D_i||``). Samples are independent:
a sample's code does not depend on the other samples of the batch (up to the last bits
of the BLAS products), and each stops on its own.

Solvers
-------
``"ista"``
    Forward-backward splitting: ``r <- prox_{eta Psi}(r - eta (r G - c))`` with
    ``G = D D^T``, ``c = x D^T`` and step ``eta = 1 / L``, ``L = ||D||_2^2`` (the
    authors' algorithm, with their step when ``step`` is given). Monotone for ``l1``.
``"fista"``
    ISTA with Nesterov/Beck-Teboulle momentum ``t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2``.
    No convergence guarantee for the nonconvex penalties.
``"lca"``
    The locally competitive algorithm (Rozell et al. 2008), an Euler discretisation of
    ``du/dt = c - u - (G - diag G) a``, ``a = T(u)``, with the threshold function ``T``
    matching the penalty (``T_j(u) = prox_{(lam / G_jj) psi}(u / G_jj)``: soft for
    ``l1``, hard for ``l0``, ...; Rozell's form when atoms have unit norm). Time step
    ``step`` (default ``min_j G_jj / L``).
``"cd"``
    Coordinate descent on the Gram matrix with an active set, in Numba, parallel over
    samples: exact minimisation along each coordinate,
    ``r_j <- prox_{Psi_j / G_jj}(r_j + (c - r G)_j / G_jj)``; monotone for every penalty
    (it reaches coordinate-wise minima; for CEL0 the coordinate-wise step makes
    ``a_j^2 gamma = 1``, so CD on CEL0 coincides with CD on ``l0``).
    For ``l1`` it starts from a working set (:func:`._kernels._l1_working_set`): the
    largest optimality violators, solved roughly on their Gram block, the set doubling
    until no atom violates; then the active-set loop of :func:`._kernels._cd_one`
    (full sweeps, sweeps over the nonzero atoms, Newton steps on the sign pattern),
    whose stopping rule decides.
``"auto"`` (default)
    ``"cd"`` for ``l1`` (the fastest here; see ``benchmarks/coding_l1_vs_peers.py``),
    ``"ista"`` for the nonconvex penalties (the algorithm of Rentzeperis et al. 2023,
    whose fixed points the published results, and CEL0's guarantees, refer to).

Why coordinate descent for ``l1``
---------------------------------
The peers people use for ``l1`` coding solve each sample on its own: SPAMS by LARS (the
homotopy path from ``lam = max|c|`` down, one atom entering or leaving per step, each
step updating the correlations of all ``n_atoms`` atoms: about ``n_atoms m^2``
operations for ``m`` active atoms, exact), scikit-learn by one ``Lasso`` or
``LassoLars`` fit per sample (Python and validation overhead per sample, and CD on the
residual, ``n_features`` per coordinate update). Here the products shared by all samples
are two BLAS calls (``c = X D^T``, ``G = D D^T``), and each sample then works in Gram
form on its working set only: a sweep costs ``n_w`` per changed atom, a full gradient
check ``n_atoms`` per changed atom, and only the few rounds of the working set and the
final full sweep pay the latter; samples run in parallel. This wins by the largest
factor where codes are sparse relative to the signal dimension (tens of active atoms in
256 dimensions). It wins by the least where the support approaches the dimension
(natural patches at a small ``lam``: up to about 250 active atoms in 256 dimensions):
such atoms are nearly collinear, CD converges slowly on them, and the Newton step on the
sign pattern (:func:`._kernels._newton_l1`) finishes them; LARS pays the same ``m``
there but in exact steps. Measured ratios: ``benchmarks/coding_l1_vs_peers.py`` and the
CHANGELOG.

ISTA, FISTA and LCA share one loop (:class:`_IterativeSolver`): a gradient step (one
BLAS product for all active samples), a prox step and a momentum step (fused into one
Numba pass over memory), then the stopping test; they differ only in their steps.

Sparse codes are exploited: the product ``r G`` only needs the rows of ``G`` of the
nonzero codes (``n_active x n_atoms`` work per sample instead of ``n_atoms^2``), so when
a block is sparse enough (cost model :data:`_SPARSE_COST`) ISTA/FISTA form it row by row
inside the fused pass, and LCA's product does the same; dense blocks use BLAS (for
ISTA/FISTA, large ones block by block of rows inside the same parallel pass, so that the
product never goes through memory: :data:`_FUSED_MIN_FLOPS`). Once
ISTA/FISTA codes are sparse and no per-iteration record is asked for
(``return_info=False``) and the rule is per sample, the remaining iterations of every
sample run in one Numba call, sample by sample (same arithmetic, no per-iteration
overhead). Entries under the penalty's closed-form zero threshold (precomputed per
call) skip the proximal map's transcendental work.

Stopping rule
-------------
Per sample, after each iteration (a sweep for ``"cd"``):
``||r_t - r_{t-1}||_2 <= tol * (offset + ||r_{t-1}||_2)`` with ``offset = 0``
(``stop="relative"``, default) or ``offset = 0.01`` (``stop="authors"``, the rule of
Rentzeperis et al.'s code, who use ``tol = 0.01``, here per sample). ``max_iter`` caps
the iterations (sweeps for ``"cd"``).

``stop="authors-batch"`` is their rule over the whole batch (each block of up to 4,096
samples), the dictionary learner's rule (:func:`._kernels.batch_converged`):
``||R_t - R_{t-1}||_F / (0.01 + ||R_{t-1}||_F) < tol`` with the Frobenius norm of the
batch. (The authors' code takes ``numpy.linalg.norm(., ord=2)`` of the code matrix, its
spectral norm, an SVD per step; an earlier version of this rule used it too.)
Every sample of the batch runs the same number of iterations. For ISTA, FISTA and LCA
only (for the LCA the membrane state is monitored, as with the per-sample rules). ISTA
under this rule runs the learner's kernel (:func:`._kernels.ista_batch`, the update in
the authors' Gram form, in one call for the whole batch): with ``step=eta`` and
``tol=0.01`` its codes are those of :func:`neurosparse.coding.dictionary.ista_encode`
(up to the ``l1/2`` and ``lq`` maps, taken here from their tables), and
``info.objective`` holds the final value only.

Lower-level entry point
-----------------------
:func:`encode_batch` takes ``cov = X D^T`` and ``gram = D D^T`` directly (no validation
of finiteness, no copies of ``X``), for dictionary learning loops that reuse the Gram
matrix across batches.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import numba
import numpy as np
import scipy.linalg
import xarray as xr

from neurosparse._estimator import Model
from neurosparse._validation import (
    ArrayLike,
    Boolean,
    Constraint,
    Integer,
    Options,
    Real,
    check_array,
    check_bool,
    check_choice,
    check_int,
    check_real,
)
from neurosparse.coding import _kernels as K
from neurosparse.coding.prox import (
    PENALTIES,
    _penalty_code,
    _penalty_record,
    _run_rows,
    penalty_value,
)

__all__ = [
    "SOLVERS",
    "STOP_RULES",
    "EncodeInfo",
    "SparseCoder",
    "encode_batch",
    "objective",
    "sparse_encode",
]

#: Names accepted for ``solver``.
SOLVERS = ("auto", "cd", "ista", "fista", "lca")
#: Names accepted for ``stop`` and the offset each adds to the norm in the test.
STOP_RULES = {"relative": 0.0, "authors": 0.01, "authors-batch": 0.01}

#: Samples processed together; bounds memory (a few arrays of chunk x n_atoms floats).
_CHUNK = 4096

#: Cost of one multiply-add of the row-by-row sparse product (:mod:`._kernels`,
#: ``sum_{j active} y_j G_j``) relative to one of a BLAS matrix product; the sparse
#: product runs when ``nnz x n_atoms x _SPARSE_COST`` is below the BLAS product's count
#: (see ``benchmarks/coding_iteration_cost.py``).
_SPARSE_COST = 3.5

#: Work (rows x n_atoms) from which a whole sample-by-sample solve runs in parallel.
_PARALLEL_MIN_SOLVE = 1 << 14

#: Work (element operations) from which one iteration's Numba pass runs in parallel:
#: below it, synchronising the threads costs more than the work (much more on a loaded
#: machine, where a waiting thread can lose a whole scheduler slice).
_PARALLEL_MIN_WORK = 1 << 21

#: Dense products of at least this many multiply-adds run fused with the ISTA/FISTA
#: pass, block by block of rows on Numba's threads with BLAS on one thread each
#: (:func:`._kernels.forward_backward_dense`, parallel version): the product never goes
#: through memory and the pass runs in parallel (a multithreaded BLAS product followed
#: by a parallel pass is slower than with a serial one, as BLAS's threads keep spinning
#: after the product); see ``benchmarks/coding_iteration_cost.py``.
_FUSED_MIN_FLOPS = 1 << 22

#: Rows per block of the fused product and pass: at most :data:`_FUSED_BLOCK`, and at
#: least :data:`_FUSED_MIN_BLOCKS` blocks when the rows allow (4 per thread for 16
#: threads). Set by the row count alone, never by the thread count: BLAS's result for a
#: row can depend on the row count of the block it is computed in.
_FUSED_BLOCK = 256
_FUSED_MIN_BLOCKS = 64

_BLAS_CONTROL = None


def _one_blas_thread():
    """Context manager limiting every loaded BLAS to one thread (threadpoolctl)."""
    global _BLAS_CONTROL
    if _BLAS_CONTROL is None:
        import scipy.linalg.cython_blas  # noqa: F401  (the BLAS Numba's np.dot calls)
        from threadpoolctl import ThreadpoolController

        _BLAS_CONTROL = ThreadpoolController()
    return _BLAS_CONTROL.limit(limits=1, user_api="blas")


class EncodeInfo(NamedTuple):
    """Diagnostics of one :func:`sparse_encode` call (``return_info=True``).

    Attributes
    ----------
    solver : str
        The solver that ran (``"auto"`` resolved).
    n_iter : numpy.ndarray of int, shape (n_samples,)
        Iterations (sweeps for ``"cd"``) each sample took.
    converged : numpy.ndarray of bool, shape (n_samples,)
        Whether each sample met the stopping rule before ``max_iter``.
    objective : numpy.ndarray, shape (n_recorded,)
        Mean over samples of the per-sample objective after each iteration
        (ISTA/FISTA/LCA; a converged sample keeps its final value). ``"cd"`` records the
        final value only. Recording costs one extra matrix product per iteration.
    step : float
        The step used (``nan`` for ``"cd"``, whose steps are ``1 / G_jj``).
    """

    solver: str
    n_iter: np.ndarray
    converged: np.ndarray
    objective: np.ndarray
    step: float


# --------------------------------------------------------------------------- helpers


def _lipschitz(dictionary: np.ndarray | None, gram: np.ndarray | None = None) -> float:
    """``L = ||D||_2^2``, the largest eigenvalue of ``D D^T`` (or of ``D^T D``); from
    ``gram`` alone when there is no dictionary (Gram-form input)."""
    if dictionary is None:
        top = gram.shape[0] - 1
        return float(scipy.linalg.eigvalsh(gram, subset_by_index=[top, top])[0])
    n_atoms, n_features = dictionary.shape
    m = gram if gram is not None and n_atoms <= n_features else None
    if m is None:
        m = dictionary @ dictionary.T if n_atoms <= n_features else dictionary.T @ dictionary
    top = m.shape[0] - 1
    return float(scipy.linalg.eigvalsh(m, subset_by_index=[top, top])[0])


def _resolve_solver(solver: str, penalty: str) -> str:
    check_choice("solver", solver, SOLVERS)
    if solver == "auto":
        return "cd" if penalty == "l1" else "ista"
    return solver


def _check_params(penalty, lam, q, solver, max_iter, tol, stop, positive, step):
    code, qv = _penalty_code(penalty, q)
    lamv = check_real("lam", lam, low=0.0)
    solver = _resolve_solver(solver, penalty)
    max_iter = check_int("max_iter", max_iter, low=1)
    tolv = check_real("tol", tol, low=0.0)
    check_choice("stop", stop, STOP_RULES)
    positive = check_bool("positive", positive)
    stepv = None
    if stop == "authors-batch" and solver == "cd":
        raise ValueError(
            "stop='authors-batch' (a rule over the whole batch) needs solver 'ista', 'fista' "
            "or 'lca'; coordinate descent stops per sample"
        )
    if step is not None:
        if solver == "cd":
            raise ValueError("step is not used by solver 'cd' (its steps are 1 / G_jj)")
        stepv = check_real("step", step, low=0.0, low_open=True)
    return code, qv, lamv, solver, max_iter, tolv, STOP_RULES[stop], bool(positive), stepv


def _check_dictionary(dictionary: Any) -> tuple[np.ndarray, np.ndarray]:
    D = check_array("dictionary", dictionary, ndim=2)
    if D.shape[0] == 0 or D.shape[1] == 0:
        raise ValueError(f"dictionary must be non-empty, got shape {D.shape}")
    norms = np.sqrt(np.einsum("ij,ij->i", D, D))
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise ValueError(
            f"dictionary has {zero.size} zero-norm atom(s) (rows {zero[:10].tolist()}); "
            "every atom needs a nonzero norm"
        )
    return np.ascontiguousarray(D), norms


def _check_X(X: Any, D: np.ndarray) -> np.ndarray:
    X = check_array("X", X, ndim=2)
    if X.shape[1] != D.shape[1]:
        raise ValueError(
            f"X has shape {X.shape} and dictionary has shape {D.shape}: X must be "
            f"(n_samples, n_features) and dictionary (n_atoms, n_features) with the same "
            f"n_features"
        )
    return np.ascontiguousarray(X)


def _check_init(init: Any, n_samples: int, n_atoms: int) -> np.ndarray | None:
    if init is None:
        return None
    R0 = check_array("init", init, ndim=2)
    if R0.shape != (n_samples, n_atoms):
        raise ValueError(
            f"init has shape {R0.shape}, expected (n_samples, n_atoms) = {(n_samples, n_atoms)}"
        )
    return R0


# --------------------------------------------------------------------------- solvers


class _Problem:
    """The quadratic part for a block of samples: ``1/2 |x|^2 - r c + 1/2 r G r^T``.

    Products ``Y G`` go through the Gram matrix (``n_atoms <= 2 n_features``) or through
    the dictionary, ``(Y D) D^T``, whichever needs fewer flops.
    """

    def __init__(self, cov, gram, dictionary=None, xnorm2=None):
        self.cov = cov
        self.gram = gram
        self.dictionary = dictionary
        self.xnorm2 = xnorm2
        n_atoms = gram.shape[0]
        self.factored = dictionary is not None and n_atoms > 2 * dictionary.shape[1]
        self._factors = None

    def factors(self) -> tuple[np.ndarray, np.ndarray]:
        """``(D, D^T)``, both C-contiguous, for the fused kernel's factored product (the
        Gram matrix twice, unused, when the product goes through it)."""
        if self._factors is None:
            if self.factored:
                D = np.ascontiguousarray(self.dictionary, dtype=np.float64)
                self._factors = (D, np.ascontiguousarray(D.T))
            else:
                self._factors = (self.gram, self.gram)
        return self._factors

    def dense_flops(self, n_rows: int) -> int:
        """Multiply-adds of the BLAS product for ``n_rows`` rows."""
        k = self.gram.shape[0]
        if self.factored:
            return 2 * n_rows * k * self.dictionary.shape[1]
        return n_rows * k * k

    def use_sparse(self, nnz: float, n_rows: int) -> bool:
        """Whether the product of a block with ``nnz`` nonzero codes is cheaper row by row
        through the nonzero entries (``nnz x n_atoms`` multiply-adds at
        :data:`_SPARSE_COST` times BLAS's cost each) than by BLAS."""
        return nnz * self.gram.shape[0] * _SPARSE_COST < self.dense_flops(n_rows)

    def product(self, Y: np.ndarray, out: np.ndarray, nnz: float | None = None) -> np.ndarray:
        """``Y G`` into ``out``: row by row from the nonzero codes when ``Y`` is sparse
        enough (:meth:`use_sparse`; ``nnz`` counted when not given), else BLAS."""
        if nnz is None:
            nnz = np.count_nonzero(Y)
        if self.use_sparse(nnz, Y.shape[0]):
            _run_rows(
                K.sparse_product_rows, K.sparse_product_rows_par, Y.shape[0], nnz * Y.shape[1],
                Y, self.gram, out, min_work=_PARALLEL_MIN_WORK,
            )  # fmt: skip
            return out
        if self.factored:
            return np.matmul(Y @ self.dictionary, self.dictionary.T, out=out)
        return np.matmul(Y, self.gram, out=out)

    def objective(self, R, P, C, xnorm2, pen) -> np.ndarray:
        """Per-sample objective from ``P = R G`` (``xnorm2`` may be zeros) with the
        penalty record ``pen``."""
        quad = np.einsum("ij,ij->i", R, 0.5 * P - C)
        out = np.empty(R.shape[0])
        _run_rows(K.penalty_rows, K.penalty_rows_par, R.shape[0], R.size, R, pen, out)
        return xnorm2 + quad + out


class _IterativeSolver:
    """Template of ISTA, FISTA and LCA: the shared loop over iterations.

    Subclasses define :meth:`start` (state from the initial codes), :meth:`gradient_step`
    (the product at the current point, unless the prox step's pass forms it),
    :meth:`prox_step` (the thresholding, with
    the momentum step fused in the same Numba pass; it returns the squared change and
    the squared norm of each sample's :meth:`monitored` array: the codes, or the LCA's
    membrane state) and
    :meth:`momentum_step` (the scalar momentum schedule). The loop does the stopping
    test, writes converged samples out and drops them from the working set.
    """

    def __init__(
        self, problem, *, step, lam, code, q, norms, positive, max_iter, tol, offset,
        batch=False,
    ):  # fmt: skip
        self.batch = batch
        self.pb = problem
        self.step = step
        self.lam, self.code, self.q, self.norms = lam, code, q, norms
        self.positive = positive
        self.max_iter, self.tol, self.offset = max_iter, tol, offset
        # the penalty at the step (zero thresholds, the l1/2 and lq nonzero branch tabulated)
        self.pen = _penalty_record(code, q, lam, norms, positive, step=self.thr_step(),
                                   table=True)  # fmt: skip

    def thr_step(self) -> float | None:
        """The step of the proximal map whose zero thresholds the passes use (none)."""
        return None

    # steps (overridden)
    def start(self, R0: np.ndarray) -> None:
        raise NotImplementedError

    def gradient_step(self) -> None:
        raise NotImplementedError

    def prox_step(self) -> np.ndarray:
        raise NotImplementedError

    def momentum_step(self) -> None:
        """Scalar momentum schedule; none by default."""

    def codes(self) -> np.ndarray:
        """The current codes of the working set."""
        raise NotImplementedError

    def monitored(self) -> np.ndarray:
        """The array whose change the stopping test measures (the codes by default)."""
        return self.codes()

    def finish(self, it_done: int, prev2: np.ndarray):
        """Run the remaining iterations of every sample at once, if the solver can;
        return ``(codes, n_iter, converged)`` for the working set, or None."""
        return None

    def keep(self, mask: np.ndarray) -> None:
        """Restrict every per-sample array of the state to ``mask``."""
        raise NotImplementedError

    # the loop
    def solve(self, R0: np.ndarray, track: bool):
        n = R0.shape[0]
        out = R0.copy()
        n_iter = np.zeros(n, dtype=np.int64)
        converged = np.zeros(n, dtype=bool)
        history = []
        idx = np.arange(n)
        self.C = self.pb.cov
        self.xnorm2 = self.pb.xnorm2 if self.pb.xnorm2 is not None else np.zeros(n)
        self.start(R0)
        M = self.monitored()
        prev2 = np.einsum("ij,ij->i", M, M)
        obj = None
        if track:
            obj = self._objective_of(R0, self.C, self.xnorm2)
        for it in range(1, self.max_iter + 1):
            if not track and not self.batch:
                res = self.finish(it - 1, prev2)
                if res is not None:  # the rest ran sample by sample in one kernel call
                    out[idx], n_iter[idx], converged[idx] = res
                    break
            self.gradient_step()
            dr2, norm2 = self.prox_step()
            self.momentum_step()
            R = self.codes()
            if self.batch:  # the batch rule (Frobenius norm), as in the learner's kernel
                done = np.full(idx.size, K.batch_converged(dr2, prev2, self.tol, self.offset))
            else:  # the per-sample rule, K.sample_converged on arrays
                done = np.sqrt(dr2) <= self.tol * (self.offset + np.sqrt(prev2))
            n_iter[idx] = it
            if track:
                obj[idx] = self._objective_of(R, self.C, self.xnorm2)
                history.append(float(obj.mean()))
            if done.any() or it == self.max_iter:
                if it == self.max_iter or done.all():
                    out[idx] = R
                    converged[idx] = done
                    break
                out[idx[done]] = R[done]
                converged[idx[done]] = True
                keep = ~done
                idx = idx[keep]
                self.C = self.C[keep]
                self.xnorm2 = self.xnorm2[keep]
                norm2 = norm2[keep]
                self.keep(keep)
            prev2 = norm2
        return out, n_iter, converged, np.asarray(history)

    def _objective_of(self, R, C, xnorm2):
        P = self.pb.product(R, np.empty_like(R))
        return self.pb.objective(R, P, C, xnorm2, self.pen)


class _ISTA(_IterativeSolver):
    """Forward-backward splitting; FISTA adds the momentum schedule.

    Each iteration is one fused Numba pass per row: the product ``Y_i G`` (from the
    nonzero entries of ``Y_i`` when the block is sparse, see :meth:`_Problem.use_sparse`,
    else by BLAS, per block of rows inside the pass when large, beforehand for small
    problems), the prox step (entries under the
    penalty's zero threshold skip the map), the momentum step and the norms of the
    stopping test.
    """

    beta = 0.0

    def thr_step(self):
        return self.step

    def start(self, R0):
        self.Y = R0.copy()  # point where the gradient is taken
        self.Z = R0.copy()  # current iterate
        self.Z_new = np.empty_like(R0)
        self.P = np.empty_like(R0)
        self.nnz = float(np.count_nonzero(R0))
        self.stats = np.empty((R0.shape[0], 3))

    def gradient_step(self):
        n = self.Y.shape[0]
        self.sparse = self.pb.use_sparse(self.nnz, n)
        self.fused = not self.sparse and self.pb.dense_flops(n) >= _FUSED_MIN_FLOPS
        if not self.sparse and not self.fused:  # (the fused pass takes the product itself)
            self.P = self.pb.product(self.Y, self.P, self.nnz)

    def prox_step(self):
        st = self.stats
        args = (self.C, self.Z, self.step, self.pen, self.beta, self.Z_new, self.Y, st)
        if self.sparse:
            work = self.nnz * self.Y.shape[1] + self.Y.size
            _run_rows(
                K.forward_backward_sparse_rows, K.forward_backward_sparse_rows_par, st.shape[0],
                work, self.Y, self.pb.gram, *args, min_work=_PARALLEL_MIN_WORK,
            )  # fmt: skip
        elif self.fused:
            n = st.shape[0]
            block = max(8, min(_FUSED_BLOCK, -(-n // _FUSED_MIN_BLOCKS)))
            D, Dt = self.pb.factors()
            with _one_blas_thread():
                K.forward_backward_dense_par(
                    self.Y, (self.pb.gram, D, Dt, self.pb.factored), *args, block
                )
        else:  # small: the pass runs serially
            K.forward_backward_rows(self.Y, self.P, *args, 1)
        self.Z, self.Z_new = self.Z_new, self.Z
        self.nnz = float(st[:, 2].sum())
        return st[:, 0].copy(), st[:, 1].copy()

    def codes(self):
        return self.Z

    def finish(self, it_done, prev2):
        """Once the codes are sparse (:meth:`_Problem.use_sparse`), the remaining
        iterations run sample by sample in one Numba call (:func:`._kernels.ista_sparse_rows`,
        the same arithmetic as the batched sparse iterations): no per-iteration Python
        overhead or thread synchronisation, each sample's state stays in cache."""
        n, k = self.Z.shape
        # from the second iteration on (zero codes say nothing of the sparsity to come)
        if it_done < 2 or not self.pb.use_sparse(self.nnz, n):
            return None
        n_it = np.zeros(n, dtype=np.int64)
        conv = np.zeros(n, dtype=bool)
        Z = np.ascontiguousarray(self.Z)
        fista = isinstance(self, _FISTA)
        momentum = (fista, float(getattr(self, "t", 1.0)), float(self.beta), int(it_done))
        args = (
            np.ascontiguousarray(self.C), self.pb.gram, Z, np.ascontiguousarray(self.Y),
            np.ascontiguousarray(prev2, dtype=np.float64), self.step, self.pen, momentum,
            K.Stop(self.max_iter, float(self.tol), float(self.offset)), n_it, conv,
        )  # fmt: skip
        threads = numba.get_num_threads()
        if threads > 1 and n > 1 and n * k >= _PARALLEL_MIN_SOLVE:
            K.ista_sparse_rows_par(*args, min(n, 8 * threads))
        else:
            K.ista_sparse_rows(*args, 1)
        return Z, n_it, conv

    def keep(self, mask):
        self.Y = np.ascontiguousarray(self.Y[mask])
        self.Z = np.ascontiguousarray(self.Z[mask])
        self.Z_new = np.empty_like(self.Z)
        self.P = np.empty_like(self.Z)
        self.stats = np.empty((self.Z.shape[0], 3))
        self.nnz = float(np.count_nonzero(self.Y))


class _FISTA(_ISTA):
    def start(self, R0):
        super().start(R0)
        self.t = 1.0
        self.momentum_step()

    def momentum_step(self):
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * self.t * self.t))
        self.beta = (self.t - 1.0) / t_next
        self.t = t_next


class _LCA(_IterativeSolver):
    def start(self, R0):
        self.diag = np.ascontiguousarray(np.diag(self.pb.gram))
        self.U = R0 * self.diag  # a membrane state whose threshold is near R0
        if np.any(R0):
            self.U += self.lam * np.sign(R0) * (self.code == K.L1)
        self.A = R0.copy()
        self.A_new = np.empty_like(R0)
        self.P = np.empty_like(R0)

    def gradient_step(self):
        self.P = self.pb.product(self.A, self.P)

    def prox_step(self):
        da2 = np.empty(self.A.shape[0])
        _run_rows(
            K.lca_rows, K.lca_rows_par, da2.size, self.U.size,
            self.U, self.P, self.C, self.A, self.step, self.diag, self.pen, self.A_new, da2,
            min_work=_PARALLEL_MIN_WORK,
        )  # fmt: skip
        self.A, self.A_new = self.A_new, self.A
        return da2, np.einsum("ij,ij->i", self.U, self.U)

    def codes(self):
        return self.A

    def monitored(self):
        # the membrane state: the codes can sit still at zero while it charges up
        return self.U

    def keep(self, mask):
        self.U = np.ascontiguousarray(self.U[mask])
        self.A = np.ascontiguousarray(self.A[mask])
        self.A_new = np.empty_like(self.A)
        self.P = np.empty_like(self.A)


_ITERATIVE = {"ista": _ISTA, "fista": _FISTA, "lca": _LCA}


def _ista_batch(B, G, R0, eta, pen, stop, parallel=None):
    """:func:`._kernels.ista_batch` on ``B = X D^T``, ``G = D D^T`` from ``R0``; its
    parallel version (BLAS held to one thread meanwhile, so that its idle threads do not
    compete with Numba's) when ``parallel`` (default: when one iteration's pass is large
    enough to run in parallel, :data:`_PARALLEL_MIN_WORK`, as in the solver loop).
    Returns ``(R, n_iter, converged)``."""
    n, k = B.shape
    threads = numba.get_num_threads()
    if parallel is None:
        parallel = threads > 1 and n > 1 and n * k >= _PARALLEL_MIN_WORK
    if parallel:
        with _one_blas_thread():
            return K.ista_batch_par(B, G, R0, eta, pen, stop, max(1, min(n, threads)))
    return K.ista_batch(B, G, R0, eta, pen, stop, 1)


def _final_objective(track, cov, gram, dictionary, xnorm2, R, code, q, lam, norms):
    """The history of a solver that records the final objective only (empty unless
    ``track``)."""
    if not track:
        return np.empty(0)
    pb = _Problem(cov, gram, dictionary, xnorm2)
    P = pb.product(R, np.empty_like(R))
    x2 = xnorm2 if xnorm2 is not None else np.zeros(R.shape[0])
    pen = _penalty_record(code, q, lam, norms)
    return np.array([pb.objective(R, P, cov, x2, pen).mean()])


def _solve_block(
    cov, gram, dictionary, xnorm2, R0, *, solver, step, lam, code, q, norms, positive,
    max_iter, tol, offset, track, batch=False,
):  # fmt: skip
    """Run one solver on one block of samples (Gram-form data already computed).

    Coordinate descent overwrites ``R0`` (C-contiguous float64, owned by the caller) with
    its result and returns it; the other solvers leave it as it is."""
    if solver == "cd":
        R = R0
        n = R.shape[0]
        n_iter = np.zeros(n, dtype=np.int64)
        converged = np.zeros(n, dtype=bool)
        eta = 1.0 / np.diag(gram)
        a = norms if code == K.CEL0 else np.sqrt(np.diag(gram))
        args = (
            np.ascontiguousarray(cov), gram, R, eta, _penalty_record(code, q, lam, a, positive),
            K.Stop(int(max_iter), float(tol), float(offset)), n_iter, converged,
        )  # fmt: skip
        with _one_blas_thread():  # the l1 Newton steps' LAPACK Cholesky, per sample
            if numba.get_num_threads() > 1 and n > 1 and n * gram.size >= 1 << 16:
                K.cd_rows_par(*args, n)  # one sample per block: samples differ in cost
            else:
                K.cd_rows(*args, 1)
        return (
            R,
            n_iter,
            converged,
            _final_objective(track, cov, gram, dictionary, xnorm2, R, code, q, lam, norms),
        )
    if solver == "ista" and batch:  # the learner's kernel: the whole block in one call
        pen = _penalty_record(code, q, lam, norms, positive, step=step, table=True)
        R, it, done = _ista_batch(
            np.ascontiguousarray(cov), gram, np.ascontiguousarray(R0, dtype=np.float64),
            step, pen, K.Stop(int(max_iter), float(tol), float(offset)),
        )  # fmt: skip
        n = R.shape[0]
        return (
            R,
            np.full(n, it, dtype=np.int64),
            np.full(n, done),
            _final_objective(track, cov, gram, dictionary, xnorm2, R, code, q, lam, norms),
        )
    pb = _Problem(cov, gram, dictionary, xnorm2)
    engine = _ITERATIVE[solver](
        pb, step=step, lam=lam, code=code, q=q, norms=norms, positive=positive,
        max_iter=max_iter, tol=tol, offset=offset, batch=batch,
    )  # fmt: skip
    return engine.solve(np.ascontiguousarray(R0, dtype=np.float64), track)


def _run(
    X, D, norms, gram, R0, *, penalty, code, q, lam, solver, step, lipschitz, positive,
    max_iter, tol, offset, return_info, cov=None, batch=False,
):  # fmt: skip
    """Chunked driver shared by :func:`sparse_encode` and :func:`encode_batch`."""
    n = X.shape[0] if X is not None else cov.shape[0]
    k = gram.shape[0]
    if solver != "cd" and lipschitz is None:  # once per call: the step and the
        lipschitz = _lipschitz(D, gram)  # divergence check of every chunk use it
    if solver != "cd" and step is None:
        step = 1.0 / lipschitz
        if solver == "lca":
            step *= float(np.min(np.diag(gram)))
    norms_k = norms if code == K.CEL0 else np.ones(k)
    codes = np.empty((n, k))
    n_iter = np.zeros(n, dtype=np.int64)
    converged = np.zeros(n, dtype=bool)
    hist_sum = None
    for lo in range(0, max(n, 1), _CHUNK):
        hi = min(n, lo + _CHUNK)
        if hi <= lo:
            break
        if cov is None:
            Xb = X[lo:hi]
            C = Xb @ D.T
            x2 = 0.5 * np.einsum("ij,ij->i", Xb, Xb)
        else:
            C = np.ascontiguousarray(cov[lo:hi])
            x2 = None
        if solver == "cd":  # solved in place, in the output's rows (no copies)
            Rb = codes[lo:hi]
            Rb[...] = 0.0 if R0 is None else R0[lo:hi]
        else:
            Rb = np.zeros((hi - lo, k)) if R0 is None else np.array(R0[lo:hi], dtype=np.float64)
        # a diverging solve overflows on the way; it is reported just below, as such
        with np.errstate(over="ignore", invalid="ignore"):
            R, it, ok, hist = _solve_block(
                C, gram, D, x2, Rb, solver=solver, step=step, lam=lam, code=code, q=q,
                norms=norms_k, positive=positive, max_iter=max_iter, tol=tol,
                offset=offset, track=return_info, batch=batch,
            )  # fmt: skip
        _check_not_diverged(
            R, Rb, C, gram, code=code, q=q, lam=lam, norms=norms_k, positive=positive,
            solver=solver, step=step, lipschitz=lipschitz, first=lo,
        )  # fmt: skip
        if R is not Rb:
            codes[lo:hi] = R
        n_iter[lo:hi], converged[lo:hi] = it, ok
        if return_info:
            w = (hi - lo) / n
            if hist_sum is None:
                hist_sum = hist * w
            else:  # chunks may stop at different iterations: pad with the last value
                m = max(hist_sum.size, hist.size)
                hist_sum = _pad(hist_sum, m) + _pad(hist, m) * w
    if not return_info:
        return codes
    info = EncodeInfo(
        solver=solver,
        n_iter=n_iter,
        converged=converged,
        objective=hist_sum if hist_sum is not None else np.empty(0),
        step=float("nan") if step is None else float(step),
    )
    return codes, info


def _check_not_diverged(
    R, R0, C, gram, *, code, q, lam, norms, positive, solver, step, lipschitz, first,
):  # fmt: skip
    """Raise ``FloatingPointError`` when a solve diverged, instead of returning its codes.

    A sample diverged when its codes are not finite, or when its objective ended above
    twice its value at the zero codes (or at the initial codes, if higher). Every
    solver here decreases the objective from its start when its step is stable (ISTA, CD
    monotonically; FISTA and the LCA up to a small overshoot), so a code that doubled
    the objective is a step too long, never a slow convergence. The objective is taken
    relative to its value at zero, ``F(r) - F(0) = 1/2 r G r^T - r c^T + Psi(r)``, which
    needs no ``||x||^2`` (``encode_batch`` works from ``c = x D^T`` alone); ``F(0) =
    1/2 ||x||^2`` is bounded below by ``1/2 ||c||^2 / L`` (``||c|| <= ||D|| ||x||``).
    """
    finite = np.isfinite(R).all(axis=1)
    # coordinate descent minimises exactly along each coordinate: its objective cannot
    # rise, so only non-finite codes (a broken dictionary or lam) can betray it
    if finite.all() and solver != "cd":  # (huge codes overflowing the objective: caught)
        pb = _Problem(C, gram)
        pen = _penalty_record(code, q, lam, norms, positive)
        zero = np.zeros(R.shape[0])
        with np.errstate(over="ignore", invalid="ignore"):
            delta = pb.objective(R, pb.product(R, np.empty_like(R)), C, zero, pen)
        ref = 0.5 * np.einsum("ij,ij->i", C, C) / lipschitz  # <= F(0)
        if np.any(R0 != 0):
            ref = ref + np.maximum(
                0.0, pb.objective(R0, pb.product(R0, np.empty_like(R0)), C, zero, pen)
            )
        bad = ~np.isfinite(delta) | (delta > ref)
    else:
        bad = ~finite
    if not bad.any():
        return
    sample = first + int(np.flatnonzero(bad)[0])
    hint = (
        "the coordinate descent step is exact; check the dictionary and lam"
        if solver == "cd"
        else f"step={step!r} is too long: ISTA and FISTA converge for step <= 1/L = "
        f"{1.0 / lipschitz:.4g}"
        + (" (the LCA for step <= min_i ||d_i||^2 / L)" if solver == "lca" else "")
        + "; leave step=None to use that bound"
    )
    raise FloatingPointError(
        f"sparse_encode({solver!r}) diverged on {int(bad.sum())} of {R.shape[0]} samples "
        f"(first: sample {sample}; codes not finite or the objective above twice its value "
        f"at zero): {hint}"
    )


def _pad(h: np.ndarray, m: int) -> np.ndarray:
    if h.size == m or h.size == 0:
        return h if h.size else np.zeros(m)
    return np.concatenate([h, np.full(m - h.size, h[-1])])


# --------------------------------------------------------------------------- public API


def sparse_encode(
    X: Any,
    dictionary: Any,
    *,
    penalty: str = "l1",
    lam: float,
    q: float | None = None,
    solver: str = "auto",
    max_iter: int = 1000,
    tol: float = 1e-4,
    stop: str = "relative",
    positive: bool = False,
    init: Any = None,
    step: float | None = None,
    return_info: bool = False,
) -> np.ndarray | tuple[np.ndarray, EncodeInfo]:
    r"""Sparse codes of ``X`` in ``dictionary``: per sample
    :math:`\arg\min_r \tfrac12\|x - rD\|_2^2 + \Psi(r)`.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
        Data, one sample per row.
    dictionary : array-like, shape (n_atoms, n_features)
        Atoms as rows (scikit-learn's layout); no atom may have zero norm. Atoms need
        not have unit norm (CEL0 uses each atom's norm ``a_i``).
    penalty : {"l1", "l0", "l1/2", "lq", "cel0"}
        See :mod:`neurosparse.coding.prox`.
    lam : float
        :math:`\lambda \ge 0` (its meaning differs between penalties: compare penalties
        at matched sparsity).
    q : float, optional
        Exponent in (0, 1) for ``penalty="lq"``.
    solver : {"auto", "cd", "ista", "fista", "lca"}
        See the module docstring; ``"auto"`` is ``"cd"`` for ``l1`` and ``"ista"``
        otherwise.
    max_iter : int
        Maximum iterations per sample (sweeps for ``"cd"``).
    tol : float
        Tolerance of the stopping rule.
    stop : {"relative", "authors", "authors-batch"}
        ``||r_t - r_{t-1}|| <= tol (offset + ||r_{t-1}||)`` per sample with offset 0 or
        0.01, or (``"authors-batch"``) the authors' rule over the batch, with the
        Frobenius norm of the batch (the dictionary learner's rule; see the module
        docstring; not for ``"cd"``).
    positive : bool
        Nonnegative codes.
    init : array-like, shape (n_samples, n_atoms), optional
        Warm start (default zeros).
    step : float, optional
        Step ``eta`` of ISTA/FISTA (default ``1 / ||D||_2^2``) or time step of the LCA
        (default ``min_j ||D_j||^2 / ||D||_2^2``). Not used by ``"cd"``.
    return_info : bool
        Also return an :class:`EncodeInfo` (iterations, convergence, objective history).

    Returns
    -------
    codes : numpy.ndarray, shape (n_samples, n_atoms)
    info : EncodeInfo
        Only with ``return_info=True``.

    Examples
    --------
    >>> import numpy as np
    >>> D = np.eye(3)
    >>> sparse_encode(np.array([[2.0, 0.5, -3.0]]), D, lam=1.0)
    array([[ 1.,  0., -2.]])
    """
    code, qv, lamv, solver, max_iter, tolv, offset, positive, stepv = _check_params(
        penalty, lam, q, solver, max_iter, tol, stop, positive, step
    )
    D, norms = _check_dictionary(dictionary)
    X = _check_X(X, D)
    R0 = _check_init(init, X.shape[0], D.shape[0])
    if not isinstance(return_info, bool):
        raise TypeError(f"return_info must be a bool, got {return_info!r}")
    gram = D @ D.T
    return _run(
        X, D, norms, gram, R0, penalty=penalty, code=code, q=qv, lam=lamv, solver=solver,
        step=stepv, lipschitz=None, positive=positive, max_iter=max_iter, tol=tolv,
        offset=offset, return_info=return_info, batch=stop == "authors-batch",
    )  # fmt: skip


def encode_batch(
    cov: np.ndarray,
    gram: np.ndarray,
    *,
    penalty: str = "l1",
    lam: float,
    q: float | None = None,
    solver: str = "auto",
    max_iter: int = 1000,
    tol: float = 1e-4,
    stop: str = "relative",
    positive: bool = False,
    init: np.ndarray | None = None,
    step: float | None = None,
    lipschitz: float | None = None,
    return_info: bool = False,
) -> np.ndarray | tuple[np.ndarray, EncodeInfo]:
    r"""Lower-level :func:`sparse_encode` from ``cov = X D^T`` and ``gram = D D^T``.

    For loops (dictionary learning) that encode many batches with one dictionary:
    compute ``gram`` and ``lipschitz = ||D||_2^2`` once, pass ``cov = X_batch @ D.T`` per
    batch. The arrays are only shape-checked (not scanned for NaN). Objectives in
    ``info.objective`` omit the constant ``1/2 ||x||^2`` (``X`` is not known here).
    CEL0 takes the atom norms from ``sqrt(diag(gram))``.

    Parameters
    ----------
    cov : numpy.ndarray, shape (n_samples, n_atoms)
    gram : numpy.ndarray, shape (n_atoms, n_atoms)
    lipschitz : float, optional
        Largest eigenvalue of ``gram`` (computed when needed and not given).
    penalty, lam, q, solver, max_iter, tol, stop, positive, init, step, return_info
        As for :func:`sparse_encode`.
    """
    code, qv, lamv, solver, max_iter, tolv, offset, positive, stepv = _check_params(
        penalty, lam, q, solver, max_iter, tol, stop, positive, step
    )
    cov = np.ascontiguousarray(cov, dtype=np.float64)
    gram = np.ascontiguousarray(gram, dtype=np.float64)
    if cov.ndim != 2 or gram.ndim != 2 or gram.shape != (cov.shape[1], cov.shape[1]):
        raise ValueError(
            f"cov has shape {cov.shape} and gram has shape {gram.shape}: expected "
            f"(n_samples, n_atoms) and (n_atoms, n_atoms)"
        )
    if cov.size == 0:
        raise ValueError(f"cov is empty (shape {cov.shape}): give at least one sample and atom")
    d = np.diag(gram)
    if np.any(d <= 0):
        raise ValueError(f"gram has zero-norm atom(s) at {np.flatnonzero(d <= 0)[:10].tolist()}")
    R0 = None if init is None else _check_init(init, cov.shape[0], cov.shape[1])
    L = lipschitz
    if L is None and solver != "cd" and stepv is None:
        top = gram.shape[0] - 1
        L = float(scipy.linalg.eigvalsh(gram, subset_by_index=[top, top])[0])
    return _run(
        None, None, np.sqrt(d), gram, R0, penalty=penalty, code=code, q=qv, lam=lamv,
        solver=solver, step=stepv, lipschitz=L, positive=positive, max_iter=max_iter,
        tol=tolv, offset=offset, return_info=return_info, cov=cov,
        batch=stop == "authors-batch",
    )  # fmt: skip


def objective(
    X: Any,
    dictionary: Any,
    codes: Any,
    *,
    penalty: str = "l1",
    lam: float,
    q: float | None = None,
) -> np.ndarray:
    r"""Per-sample objective :math:`\tfrac12\|x - rD\|_2^2 + \Psi(r)`, shape ``(n_samples,)``.

    Take ``.mean()`` or ``.sum()`` for a batch value. For CEL0, ``a_i`` are the norms
    of the dictionary's rows.
    """
    D, norms = _check_dictionary(dictionary)
    X = _check_X(X, D)
    R = check_array("codes", codes, ndim=2)
    if R.shape != (X.shape[0], D.shape[0]):
        raise ValueError(
            f"codes has shape {R.shape}, expected (n_samples, n_atoms) = {(X.shape[0], D.shape[0])}"
        )
    resid = X - R @ D
    pen = penalty_value(R, lam, penalty, q=q, norms=norms if penalty == "cel0" else None)
    return 0.5 * np.einsum("ij,ij->i", resid, resid) + np.asarray(pen).reshape(-1)


class SparseCoder(Model):
    """Sparse coding with a fixed dictionary, in scikit-learn's style.

    ``__init__`` stores the arguments unchanged; :meth:`fit` validates them (nothing is
    learned); :meth:`transform` encodes with :func:`sparse_encode` and keeps the last
    codes (``codes_``) for :meth:`to_result`.

    Parameters
    ----------
    dictionary : array-like, shape (n_atoms, n_features)
    penalty, lam, q, solver, max_iter, tol, stop, positive, step
        As for :func:`sparse_encode`.

    Attributes
    ----------
    dictionary_ : numpy.ndarray, shape (n_atoms, n_features)
        The validated dictionary (set by :meth:`fit`).
    n_components_, n_features_in_ : int
        Set by :meth:`fit`.
    codes_ : numpy.ndarray, shape (n_samples, n_atoms)
        Codes from the last :meth:`transform`.
    n_iter_ : numpy.ndarray
        Iterations per sample in the last :meth:`transform`.
    mse_ : float
        Mean squared reconstruction error per pixel in the last :meth:`transform`.

    Examples
    --------
    >>> import numpy as np
    >>> coder = SparseCoder(np.eye(4), lam=0.5).fit()
    >>> coder.transform(np.ones((2, 4)))
    array([[0.5, 0.5, 0.5, 0.5],
           [0.5, 0.5, 0.5, 0.5]])
    """

    kind = "coding.codes"
    source = "Rentzeperis et al. 2023, PLOS Comput Biol (arXiv 2301.10002)"
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "dictionary": ArrayLike(ndim=2),
        "penalty": Options(*PENALTIES),
        "lam": Real(low=0.0),
        "q": Real(low=0.0, high=1.0, low_open=True, high_open=True, none_ok=True),
        "solver": Options(*SOLVERS),
        "max_iter": Integer(low=1),
        "tol": Real(low=0.0),
        "stop": Options(*STOP_RULES),
        "positive": Boolean(),
        "step": Real(low=0.0, low_open=True, none_ok=True),
    }
    _fitted_attr = "dictionary_"
    _params_not_recorded = ("dictionary",)  # in state/dictionary

    def __init__(
        self,
        dictionary: Any,
        *,
        penalty: str = "l1",
        lam: float = 0.1,
        q: float | None = None,
        solver: str = "auto",
        max_iter: int = 1000,
        tol: float = 1e-4,
        stop: str = "relative",
        positive: bool = False,
        step: float | None = None,
    ) -> None:
        self.dictionary = dictionary
        self.penalty = penalty
        self.lam = lam
        self.q = q
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.stop = stop
        self.positive = positive
        self.step = step

    def _encoder_params(self) -> dict[str, Any]:
        params = self.get_params(deep=False)
        del params["dictionary"]
        return params

    def fit(self, X: Any = None, y: Any = None) -> SparseCoder:
        """Validate the parameters (and ``X`` if given); nothing is learned."""
        self._validate_params()
        _check_params(**self._encoder_params())  # the rules that tie parameters together
        D, _ = _check_dictionary(self.dictionary)
        if X is not None:
            _check_X(X, D)
        self.dictionary_ = D
        self.n_components_, self.n_features_in_ = D.shape
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Codes of ``X``, shape ``(n_samples, n_atoms)``."""
        self._check_fitted()
        X = _check_X(X, self.dictionary_)
        codes, info = sparse_encode(
            X, self.dictionary_, return_info=True, init=None, **self._encoder_params()
        )
        resid = X - codes @ self.dictionary_
        self.codes_ = codes
        self.n_iter_ = info.n_iter
        self.converged_ = info.converged
        self.solver_ = info.solver
        self.mse_ = float(np.mean(resid * resid)) if resid.size else float("nan")
        self.objective_ = objective(
            X, self.dictionary_, codes, penalty=self.penalty, lam=self.lam, q=self.q
        )
        return codes

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """:meth:`fit` then :meth:`transform`."""
        return self.fit(X).transform(X)

    def score(self, X: Any, y: Any = None) -> float:
        r"""Minus the mean objective of ``X``'s codes (higher is better, as
        scikit-learn's scorers expect):

        .. math:: -\frac{1}{m}\sum_{k=1}^{m} \tfrac12\|x_k - r_k D\|^2 + \Psi(r_k)

        It compares encoders of the same objective (solvers, tolerances); it is not a
        way to choose ``lam`` or the penalty, which change the objective itself (give
        ``GridSearchCV`` a ``scoring`` for that, e.g. reconstruction error at a
        target sparsity).
        """
        self.transform(X)
        return -float(np.mean(self.objective_))

    # -- result format ------------------------------------------------------------------

    def _result_groups(self) -> dict[str, Any]:
        """``state/dictionary`` (atom, pixel); after a :meth:`transform`, also
        ``activity/codes`` (sample, atom) and in ``metrics``: ``mse`` (per pixel),
        ``mean_active`` (nonzero codes per sample), ``objective`` (mean per sample),
        ``n_iter`` (max over samples), ``converged_fraction`` and ``solver`` (the one
        ``"auto"`` chose)."""
        n_atoms = self.dictionary_.shape[0]
        atom = {"atom": ("atom", np.arange(n_atoms), {"long_name": "dictionary atom"})}
        groups: dict[str, Any] = {
            "state": xr.Dataset(
                {
                    "dictionary": (
                        ("atom", "pixel"),
                        self.dictionary_,
                        {"long_name": "dictionary atoms (rows)", "units": "1"},
                    )
                },
                coords=atom,
            )
        }
        if not hasattr(self, "codes_"):
            return groups
        codes = self.codes_
        sample = {"sample": ("sample", np.arange(codes.shape[0]), {"long_name": "sample"})}
        groups["activity"] = xr.Dataset(
            {"codes": (("sample", "atom"), codes, {"long_name": "sparse codes", "units": "1"})},
            coords={**atom, **sample},
        )
        groups["metrics"] = xr.Dataset(
            {
                "mse": (
                    (),
                    self.mse_,
                    {"long_name": "mean squared reconstruction error per pixel", "units": "1"},
                ),
                "mean_active": (
                    (),
                    float(np.count_nonzero(codes) / max(codes.shape[0], 1)),
                    {"long_name": "mean number of nonzero codes per sample", "units": "1"},
                ),
                "objective": (
                    (),
                    float(np.mean(self.objective_)),
                    {"long_name": "mean objective per sample", "units": "1"},
                ),
                "n_iter": (
                    (),
                    int(np.max(self.n_iter_, initial=0)),
                    {"long_name": "iterations of the slowest sample", "units": "1"},
                ),
                "converged_fraction": (
                    (),
                    float(np.mean(self.converged_)),
                    {"long_name": "fraction of samples that met the stopping rule", "units": "1"},
                ),
                "solver": ((), self.solver_, {"long_name": "solver used"}),
            }
        )
        return groups

    @classmethod
    def _from_params(cls, params: dict[str, Any], tree: Any) -> SparseCoder:
        return cls(tree["state"]["dictionary"].values, **params)

    def _restore(self, tree: Any) -> None:
        self.fit()

    @classmethod
    def _conformance_example(cls, seed: int = 0) -> tuple[SparseCoder, tuple]:
        rng = np.random.default_rng(0)  # nothing is random in a SparseCoder: seed unused
        D = rng.standard_normal((12, 8))
        D /= np.linalg.norm(D, axis=1, keepdims=True)
        return cls(D, penalty="cel0", lam=0.2), (rng.standard_normal((5, 8)),)
