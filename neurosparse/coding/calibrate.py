r"""Matched sparsity: find the :math:`\lambda` that gives a target number of active units.

:math:`\lambda` means something different for every penalty, so Rentzeperis et al.
(2023) compare penalties at *equal sparsity*. :func:`calibrate_lambda` finds, for one
penalty and dictionary, the :math:`\lambda` at which the codes of a sample of patches
have a target mean number of non-zero coefficients per patch, by a safeguarded secant
search on :math:`\log\lambda` against :math:`\log` (active units) (the number of active
units falls roughly as a power of :math:`\lambda`; for the non-convex penalties and
early-stopped solvers it is monotone only on average, so the search keeps a bracket,
bisects when a secant step leaves it, and returns the best point it evaluated).
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
    lam_init: float | None = None,
) -> Calibration:
    r"""Find :math:`\lambda` such that the codes have ``target_active`` active units per patch.

    With :math:`g(u) = \log a(e^u) - \log a^*` (:math:`a` the mean number of active
    units at :math:`\lambda = e^u`, :math:`a^*` the target; :math:`g` decreases on
    average), the search starts at ``lam_init``, steps by factors of 4 (or by the secant
    through the last two points, between factors 1.5 and 16) until :math:`g` changes
    sign, then takes secant steps inside the bracket, bisecting when a step would land
    in the outer tenths of it. It stops when :math:`|a/a^* - 1| \le` ``rtol``, when the
    bracket is narrower than 1e-9, or at an end of ``lam_range`` that does not bracket
    the target.

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
        Range searched; the result is clipped to it (``converged`` is then False).
    rtol : float
        Stop when ``|mean_active / target - 1| <= rtol``.
    max_evaluations : int
    eta : float, optional
        ISTA step of the default encoder.
    lam_init : float, optional
        First :math:`\lambda` tried (e.g. the previous calibration's, when the dictionary
        has changed a little); default the geometric middle of ``lam_range``. Clipped to
        ``lam_range``.

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
    if lam_init is not None:
        lam_init = check_real("lam_init", lam_init, low=0.0, low_open=True)
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

    def misfit(active: float) -> float:  # log(active / target), finite at 0 active
        return float(np.log(max(active, 1e-3) / target))

    def g(u: float) -> float:
        return misfit(evaluate(float(np.exp(u)))[0])

    u_min, u_max = np.log(lo), np.log(hi)
    u = (
        0.5 * (u_min + u_max)
        if lam_init is None
        else float(np.clip(np.log(lam_init), u_min, u_max))
    )
    below = above = None  # (u, g) with g > 0 (too many active) / g < 0 (too few)
    prev = None
    converged = False
    for _ in range(max_evaluations):
        gu = g(u)
        if abs(np.exp(gu) - 1.0) <= rtol:
            converged = True
            break
        if gu > 0 and (below is None or u > below[0]):
            below = (u, gu)
        if gu < 0 and (above is None or u < above[0]):
            above = (u, gu)
        secant = None
        if prev is not None and gu != prev[1]:
            secant = u - gu * (u - prev[0]) / (gu - prev[1])
        prev = (u, gu)
        if below is not None and above is not None:  # bracketed: safeguarded secant
            a, b = below[0], above[0]
            if abs(b - a) < 1e-9:
                break
            inner = min(a, b) + 0.1 * abs(b - a), max(a, b) - 0.1 * abs(b - a)
            if secant is None or not inner[0] <= secant <= inner[1]:
                secant = 0.5 * (a + b)
            u = secant
        else:  # expand towards the sign change
            direction = 1.0 if gu > 0 else -1.0  # too many active: raise lambda
            stride = np.log(4.0)
            if secant is not None and (secant - u) * direction > 0:
                stride = float(np.clip(abs(secant - u), np.log(1.5), np.log(16.0)))
            new = float(np.clip(u + direction * stride, u_min, u_max))
            if new == u:  # at the end of lam_range without a bracket
                break
            u = new
    best = min(cache, key=lambda lam: abs(misfit(cache[lam][0])))
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
    (:func:`calibrate_lambda` on ``calibration_patches``, each search starting from the
    previous :math:`\lambda`) at the start of each of ``n_segments`` equal parts of the
    run, and once more on the final dictionary. The batches take ``patches`` in order,
    each later pass over them in a new random order (:func:`.dictionary.batch_order`,
    drawn from ``seed`` after the initial dictionary).

    Returns
    -------
    dict with ``components`` (n_atoms, n_features), ``lam`` (final), ``lams`` (per
    segment), ``history`` (concatenated per-batch ``mse`` and ``mean_active``) and the
    final :class:`Calibration` (``calibration``).
    """
    from neurosparse._validation import resolve_rng
    from neurosparse.coding.dictionary import DictionaryLearner, batch_order

    X = check_array("patches", patches, ndim=2)
    C = check_array("calibration_patches", calibration_patches, ndim=2)
    n_batches = check_int("n_batches", n_batches, low=1)
    n_segments = check_int("n_segments", n_segments, low=1, high=n_batches)
    rng = resolve_rng(seed)
    D = rng.standard_normal((n_atoms, X.shape[1])) / np.sqrt(n_atoms)
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    bounds = np.linspace(0, n_batches, n_segments + 1).astype(int)
    order = batch_order(X.shape[0], n_batches, batch_size, rng, shuffle=True)
    lams, mse, active = [], [], []
    for a, b in itertools.pairwise(bounds):
        cal = calibrate_lambda(C, D, penalty=penalty, target_active=target_active, q=q, eta=eta,
                               lam_init=lams[-1] if lams else None)  # fmt: skip
        lams.append(cal.lam)
        rows = order[a * batch_size : b * batch_size]
        model = DictionaryLearner(
            n_atoms, penalty=penalty, lam=cal.lam, q=q, eta=eta, lr=lr,
            batch_size=batch_size, dictionary_init=D, seed=0,
        ).fit(X[rows])  # fmt: skip
        D = model.components_
        mse.append(model.history_["mse"])
        active.append(model.history_["mean_active"])
    final = calibrate_lambda(C, D, penalty=penalty, target_active=target_active, q=q, eta=eta,
                             lam_init=lams[-1])  # fmt: skip
    return {
        "components": D,
        "lam": final.lam,
        "lams": np.array(lams),
        "history": {"mse": np.concatenate(mse), "mean_active": np.concatenate(active)},
        "calibration": final,
    }
