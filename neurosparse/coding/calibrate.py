r"""Matched sparsity: find the :math:`\lambda` that gives a target number of active units.

:math:`\lambda` means something different for every penalty, so Rentzeperis et al.
(2023) compare penalties at *equal sparsity*. :func:`calibrate_lambda` finds, for one
penalty and dictionary, the :math:`\lambda` at which the codes of a sample of patches
have a target mean number of non-zero coefficients per patch, by bisection on
:math:`\log\lambda` (the number of active units falls as :math:`\lambda` grows; for the
non-convex penalties and early-stopped solvers it is monotone only on average, so the
bisection keeps the bracket and returns the best point it evaluated).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from neurosparse._validation import check_array, check_int, check_real

__all__ = ["Calibration", "calibrate_lambda", "fit_at_sparsity"]


class Calibration(NamedTuple):
    """Result of :func:`calibrate_lambda`."""

    lam: float
    mean_active: float
    mse: float
    n_evaluations: int
    converged: bool


def calibrate_lambda(
    X: Any,
    dictionary: Any,
    *,
    penalty: str,
    target_active: float,
    q: float | None = None,
    encode: Callable[[np.ndarray, float], np.ndarray] | None = None,
    lam_range: tuple[float, float] = (1e-5, 10.0),
    rtol: float = 0.02,
    max_evaluations: int = 40,
    eta: float | None = None,
) -> Calibration:
    r"""Bisection on :math:`\log\lambda` to reach ``target_active`` active units per patch.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
        Patches the codes are computed for (a few hundred suffice).
    dictionary : array-like, shape (n_atoms, n_features)
    penalty : {"l1", "l0", "l1/2", "lq", "cel0"}
    target_active : float
        Target mean number of non-zero coefficients per patch, in ``(0, n_atoms)``.
    q : float, optional
        Exponent for ``lq``.
    encode : callable, optional
        ``encode(X, lam) -> codes``; default the dictionary learner's encoder,
        :func:`neurosparse.coding.dictionary.ista_encode` with ``eta`` (0.1 for
        ``cel0``, 0.01 otherwise), so that the calibrated :math:`\lambda` is the one a
        :class:`~neurosparse.coding.DictionaryLearner` should use.
    lam_range : (float, float)
        Bracket searched; the result is clipped to it (``converged`` is then False).
    rtol : float
        Stop when ``|mean_active / target - 1| <= rtol``.
    max_evaluations : int
    eta : float, optional
        ISTA step of the default encoder.

    Returns
    -------
    Calibration
        ``lam``, the ``mean_active`` and ``mse`` it gives, evaluations used, and
        whether ``rtol`` was met.
    """
    from neurosparse.coding.dictionary import default_eta, ista_encode

    X = check_array("X", X, ndim=2)
    D = check_array("dictionary", dictionary, ndim=2)
    target = check_real(
        "target_active", target_active, low=0.0, high=float(D.shape[0]), low_open=True,
        high_open=True,
    )  # fmt: skip
    rtol = check_real("rtol", rtol, low=0.0, low_open=True)
    max_evaluations = check_int("max_evaluations", max_evaluations, low=2)
    if not isinstance(lam_range, tuple | list) or len(lam_range) != 2:
        raise ValueError(f"lam_range must be (low, high), got {lam_range!r}")
    lo = check_real("lam_range[0]", lam_range[0], low=0.0, low_open=True)
    hi = check_real("lam_range[1]", lam_range[1], low=0.0, low_open=True)
    if not lo < hi:
        raise ValueError(f"lam_range must have low < high, got {lam_range!r}")
    if encode is None:
        step = eta if eta is not None else default_eta(penalty, *D.shape)

        def encode(Xs, lam):
            return ista_encode(Xs, D, penalty=penalty, lam=lam, q=q, eta=step)[0]

    cache: dict[float, tuple[float, float]] = {}

    def evaluate(lam: float) -> tuple[float, float]:
        if lam not in cache:
            R = np.asarray(encode(X, lam))
            active = float(np.count_nonzero(R) / X.shape[0])
            mse = float(np.mean((X - R @ D) ** 2))
            cache[lam] = (active, mse)
        return cache[lam]

    def score(lam: float) -> float:
        return abs(np.log(max(evaluate(lam)[0], 1e-3) / target))

    log_lo, log_hi = np.log(lo), np.log(hi)
    converged = False
    for _ in range(max_evaluations):
        mid = float(np.exp(0.5 * (log_lo + log_hi)))
        active, _ = evaluate(mid)
        if abs(active / target - 1.0) <= rtol:
            converged = True
            break
        if active > target:
            log_lo = np.log(mid)  # too many active: raise lambda
        else:
            log_hi = np.log(mid)
        if log_hi - log_lo < 1e-9:
            break
    best = min(cache, key=score)
    active, mse = cache[best]
    return Calibration(
        lam=float(best),
        mean_active=active,
        mse=mse,
        n_evaluations=len(cache),
        converged=converged and abs(active / target - 1.0) <= rtol,
    )


def fit_at_sparsity(
    patches: Any,
    n_atoms: int,
    *,
    penalty: str,
    target_active: float,
    n_batches: int,
    batch_size: int = 250,
    n_segments: int = 4,
    calibration_patches: Any,
    q: float | None = None,
    lr: float = 0.01,
    eta: float | None = None,
    seed: Any = None,
) -> dict[str, Any]:
    r"""Learn a dictionary whose codes keep a target sparsity (the paper's matched runs).

    :math:`\lambda` changes meaning as the dictionary learns, so it is recalibrated
    (:func:`calibrate_lambda` on ``calibration_patches``) at the start of each of
    ``n_segments`` equal parts of the run, and once more on the final dictionary.

    Returns
    -------
    dict with ``components`` (n_atoms, n_features), ``lam`` (final), ``lams`` (per
    segment), ``history`` (concatenated per-batch ``mse`` and ``mean_active``) and the
    final :class:`Calibration` (``calibration``).
    """
    from neurosparse._validation import resolve_rng
    from neurosparse.coding.dictionary import DictionaryLearner

    X = check_array("patches", patches, ndim=2)
    C = check_array("calibration_patches", calibration_patches, ndim=2)
    n_batches = check_int("n_batches", n_batches, low=1)
    n_segments = check_int("n_segments", n_segments, low=1, high=n_batches)
    rng = resolve_rng(seed)
    D = rng.standard_normal((n_atoms, X.shape[1])) / np.sqrt(n_atoms)
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    bounds = np.linspace(0, n_batches, n_segments + 1).astype(int)
    lams, mse, active = [], [], []
    for a, b in itertools.pairwise(bounds):
        cal = calibrate_lambda(C, D, penalty=penalty, target_active=target_active, q=q, eta=eta)
        lams.append(cal.lam)
        rows = (np.arange(a * batch_size, b * batch_size)) % X.shape[0]
        model = DictionaryLearner(
            n_atoms, penalty=penalty, lam=cal.lam, q=q, eta=eta, lr=lr,
            batch_size=batch_size, dictionary_init=D, seed=0,
        ).fit(X[rows])  # fmt: skip
        D = model.components_
        mse.append(model.history_["mse"])
        active.append(model.history_["mean_active"])
    final = calibrate_lambda(C, D, penalty=penalty, target_active=target_active, q=q, eta=eta)
    return {
        "components": D,
        "lam": final.lam,
        "lams": np.array(lams),
        "history": {"mse": np.concatenate(mse), "mean_active": np.concatenate(active)},
        "calibration": final,
    }
