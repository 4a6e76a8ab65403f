"""V1-style analysis of a learned dictionary (Rentzeperis et al. 2023, Figs 4-5).

Three measurements that physiologists make on V1 simple cells, made here on the units
(atoms) of a sparse-coding dictionary:

* **Orientation tuning** from responses to sinusoidal gratings
  (:func:`grating_stimuli`, :func:`grating_responses`, :func:`orientation_tuning`)
  summarised by the circular variance (Ringach, Shapley & Hawken 2002)

  .. math:: CV = 1 - \\frac{\\left|\\sum_k r_k e^{2 i \\theta_k}\\right|}{\\sum_k r_k},

  0 for a unit that answers a single orientation, 1 for one that answers all alike
  (:func:`circular_variance`).
* **Gabor fits** of each receptive field (atom) with their goodness of fit
  :math:`R^2` (:func:`fit_gabor`, :func:`fit_gabors`).
* **Activity statistics** of the codes: active units per patch, activation frequency
  of each unit, distribution of the non-zero amplitudes (:func:`activity_statistics`).

Response model (a choice, as the paper leaves details open): the paper probes its
units by *encoding* the gratings with the sparse coder, so that a unit's response is
its coefficient in the population's sparse code (units compete: an atom that matches a
grating less well than a neighbour may stay silent). :func:`grating_responses` takes
the encoder as a callable ``encode(X) -> codes`` to do exactly that; with
``encode=None`` it uses the linear projection :math:`\\langle \\phi_i, x\\rangle`
(a classical linear receptive field), which is broader. A unit's response to one
orientation is the largest absolute coefficient over the grating's phases (a
phase-invariant peak response), at the unit's preferred spatial frequency (the
frequency where its largest response over orientations and phases occurs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from neurosparse._validation import check_array, check_int, check_real

__all__ = [
    "GABOR_PARAMS",
    "activity_statistics",
    "circular_variance",
    "fit_gabor",
    "fit_gabors",
    "gabor",
    "grating_responses",
    "grating_stimuli",
    "orientation_tuning",
]

#: Names of the Gabor parameters, in the order :func:`fit_gabor` returns them.
GABOR_PARAMS = (
    "amplitude",
    "x0",
    "y0",
    "theta",
    "frequency",
    "phase",
    "sigma_x",
    "sigma_y",
)


def _orientations(orientations: int | Sequence[float]) -> np.ndarray:
    if isinstance(orientations, int | np.integer) and not isinstance(orientations, bool):
        n = check_int("orientations", int(orientations), low=2)
        return np.arange(n) * np.pi / n
    theta = check_array("orientations", orientations, ndim=1)
    if theta.size < 2:
        raise ValueError(f"orientations must hold at least 2 angles, got {theta.size}")
    return theta


def grating_stimuli(
    patch_size: int = 16,
    *,
    orientations: int | Sequence[float] = 16,
    frequencies: Sequence[float] | None = None,
    phases: int = 8,
    amplitude: float = math.sqrt(0.2),
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Sinusoidal gratings on a ``patch_size x patch_size`` patch.

    .. math::
        g(x, y) = A \\cos\\left(2\\pi f (x\\cos\\theta + y\\sin\\theta)
        + \\varphi\\right),

    ``theta`` being the direction of the wave vector (the bars run at ``theta + 90°``),
    ``f`` in cycles per pixel; each grating has its own mean removed, as the training
    patches do.

    Parameters
    ----------
    patch_size : int
    orientations : int or sequence of float
        Number of orientations evenly spaced in ``[0, pi)``, or the angles (radians).
    frequencies : sequence of float, optional
        Spatial frequencies in cycles per pixel; default 6 values from 1/16 to 3/8.
    phases : int
        Number of phases evenly spaced in ``[0, 2 pi)``.
    amplitude : float
        ``A``; the default ``sqrt(0.2)`` gives the pixel variance 0.1 of the whitened
        training patches.

    Returns
    -------
    stimuli : ndarray, shape (n_orientations, n_frequencies, n_phases, patch_size**2)
    coords : dict
        ``orientation``, ``frequency`` and ``phase`` arrays.
    """
    patch_size = check_int("patch_size", patch_size, low=2)
    theta = _orientations(orientations)
    if frequencies is None:
        freq = np.array([1, 2, 3, 4, 5, 6]) / 16.0
    else:
        freq = check_array("frequencies", frequencies, ndim=1)
        if freq.size == 0 or np.any(freq <= 0):
            raise ValueError(f"frequencies must be positive, got {freq}")
    phases = check_int("phases", phases, low=1)
    amplitude = check_real("amplitude", amplitude, low=0.0, low_open=True)
    phi = np.arange(phases) * 2 * np.pi / phases
    y, x = np.mgrid[0:patch_size, 0:patch_size].astype(np.float64)
    c = patch_size / 2 - 0.5
    x, y = (x - c).ravel(), (y - c).ravel()
    proj = np.cos(theta)[:, None] * x[None, :] + np.sin(theta)[:, None] * y[None, :]
    arg = 2 * np.pi * freq[None, :, None, None] * proj[:, None, None, :] + phi[None, None, :, None]
    stim = amplitude * np.cos(arg)
    stim -= stim.mean(axis=-1, keepdims=True)
    return stim, {"orientation": theta, "frequency": freq, "phase": phi}


def grating_responses(
    dictionary: np.ndarray,
    stimuli: np.ndarray,
    *,
    encode: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Responses of every atom to every grating.

    Parameters
    ----------
    dictionary : ndarray, shape (n_atoms, n_features)
    stimuli : ndarray, shape (..., n_features)
        From :func:`grating_stimuli`.
    encode : callable, optional
        ``encode(X (n, n_features)) -> codes (n, n_atoms)``, e.g.
        ``lambda X: sparse_encode(X, D, penalty="cel0", lam=...)``: responses are the
        sparse codes (the paper's way). ``None``: linear projections ``X @ D.T``.

    Returns
    -------
    ndarray, shape (n_atoms, ...)
        Absolute responses (sign is the grating's phase, not the unit's drive).
    """
    dictionary = check_array("dictionary", dictionary, ndim=2)
    stimuli = check_array("stimuli", stimuli)
    if stimuli.shape[-1] != dictionary.shape[1]:
        raise ValueError(
            f"stimuli have {stimuli.shape[-1]} pixels, the dictionary's atoms {dictionary.shape[1]}"
        )
    flat = stimuli.reshape(-1, stimuli.shape[-1])
    if encode is None:
        codes = flat @ dictionary.T
    else:
        codes = np.asarray(encode(flat), dtype=np.float64)
        if codes.shape != (flat.shape[0], dictionary.shape[0]):
            raise ValueError(
                f"encode returned shape {codes.shape}, expected "
                f"{(flat.shape[0], dictionary.shape[0])}"
            )
    resp = np.abs(codes).T
    return resp.reshape((dictionary.shape[0], *stimuli.shape[:-1]))


def orientation_tuning(responses: np.ndarray) -> dict[str, np.ndarray]:
    """Orientation tuning curves at each atom's preferred spatial frequency.

    Parameters
    ----------
    responses : ndarray, shape (n_atoms, n_orientations, n_frequencies, n_phases)
        From :func:`grating_responses`.

    Returns
    -------
    dict with
        ``tuning`` (n_atoms, n_orientations): max over phases at the preferred frequency;
        ``preferred_frequency_index`` (n_atoms,); ``preferred_orientation_index``
        (n_atoms,); ``peak`` (n_atoms,): the largest response (0: never active).
    """
    r = check_array("responses", responses, ndim=4)
    over_phase = r.max(axis=3)  # atom, orientation, frequency
    best_per_freq = over_phase.max(axis=1)  # atom, frequency
    pref_f = best_per_freq.argmax(axis=1)
    tuning = np.take_along_axis(over_phase, pref_f[:, None, None], axis=2)[:, :, 0]
    return {
        "tuning": tuning,
        "preferred_frequency_index": pref_f,
        "preferred_orientation_index": tuning.argmax(axis=1),
        "peak": tuning.max(axis=1),
    }


def circular_variance(tuning: np.ndarray, orientations: np.ndarray) -> np.ndarray:
    """Circular variance of orientation tuning curves.

    .. math:: CV = 1 - \\left|\\sum_k r_k e^{2 i \\theta_k}\\right| / \\sum_k r_k

    Parameters
    ----------
    tuning : ndarray, shape (..., n_orientations)
        Non-negative responses.
    orientations : ndarray, shape (n_orientations,)
        Angles in radians (orientation is ``pi``-periodic, hence the factor 2).

    Returns
    -------
    ndarray, shape (...)
        In ``[0, 1]``; NaN where a curve is all zero (a unit that never responds).
    """
    r = check_array("tuning", tuning, ndim=None)
    theta = check_array("orientations", orientations, ndim=1)
    if r.shape[-1] != theta.size:
        raise ValueError(f"tuning has {r.shape[-1]} orientations, orientations has {theta.size}")
    if np.any(r < 0):
        raise ValueError("tuning must be non-negative (use absolute responses)")
    total = r.sum(axis=-1)
    vec = np.abs((r * np.exp(2j * theta)).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = 1.0 - vec / total
    cv = np.where(total > 0, np.clip(cv, 0.0, 1.0), np.nan)
    return cv


def gabor(params: Sequence[float], patch_size: int) -> np.ndarray:
    """A Gabor patch, flattened row-major.

    .. math::
        G(x, y) = A \\exp\\left(-\\frac{x'^2}{2\\sigma_x^2}
        - \\frac{y'^2}{2\\sigma_y^2}\\right) \\cos(2\\pi f x' + \\varphi),

    with :math:`x' = (x - x_0)\\cos\\theta + (y - y_0)\\sin\\theta`,
    :math:`y' = -(x - x_0)\\sin\\theta + (y - y_0)\\cos\\theta`; pixel coordinates
    (column ``x``, row ``y``) from 0; ``params`` in :data:`GABOR_PARAMS` order.
    """
    amp, x0, y0, theta, freq, phase, sx, sy = (float(p) for p in params)
    y, x = np.mgrid[0:patch_size, 0:patch_size].astype(np.float64)
    dx, dy = x - x0, y - y0
    xr = dx * np.cos(theta) + dy * np.sin(theta)
    yr = -dx * np.sin(theta) + dy * np.cos(theta)
    env = np.exp(-0.5 * (xr / sx) ** 2 - 0.5 * (yr / sy) ** 2)
    return (amp * env * np.cos(2 * np.pi * freq * xr + phase)).ravel()


def _gabor_init(img: np.ndarray, pad: int = 64) -> list[np.ndarray]:
    """Starting points from the FFT peak (frequency, orientation) and the energy's
    centre of mass and spread (position, widths); several phases."""
    n = img.shape[0]
    spec = np.abs(np.fft.fft2(img, s=(pad, pad)))
    spec[0, 0] = 0.0
    ky, kx = np.unravel_index(np.argmax(spec), spec.shape)
    fy = np.fft.fftfreq(pad)[ky]
    fx = np.fft.fftfreq(pad)[kx]
    freq = max(float(np.hypot(fx, fy)), 1.0 / (2 * n))
    theta = float(np.arctan2(fy, fx))
    energy = img**2
    total = energy.sum()
    y, x = np.mgrid[0:n, 0:n].astype(np.float64)
    if total > 0:
        x0, y0 = (energy * x).sum() / total, (energy * y).sum() / total
        spread = np.sqrt(((energy * ((x - x0) ** 2 + (y - y0) ** 2)).sum() / total) / 2)
    else:
        x0 = y0 = (n - 1) / 2
        spread = n / 4
    sigma = float(np.clip(spread, 0.6, n))
    amp = float(np.abs(img).max()) or 1.0
    return [
        np.array([amp, x0, y0, theta, freq, ph, sigma, sigma])
        for ph in (0.0, np.pi / 2, np.pi, 3 * np.pi / 2)
    ]


def fit_gabor(atom: np.ndarray, patch_size: int | None = None) -> tuple[np.ndarray, float]:
    """Least-squares Gabor fit of one receptive field.

    Fitted with :func:`scipy.optimize.least_squares` (trust-region reflective, bounded)
    from four starting points that share the FFT-peak frequency and orientation and the
    energy's centre and spread, and differ in phase; the best is kept.

    Parameters
    ----------
    atom : ndarray, shape (patch_size**2,) or (patch_size, patch_size)
    patch_size : int, optional
        Inferred from a square atom.

    Returns
    -------
    params : ndarray, shape (8,)
        In :data:`GABOR_PARAMS` order; ``theta`` in ``[0, pi)``, ``phase`` in
        ``[0, 2 pi)``, ``amplitude > 0``.
    r2 : float
        Coefficient of determination :math:`1 - SS_{res}/SS_{tot}` (``SS_tot`` about 0,
        as the atoms are zero-mean-ish oscillations; about the mean would flatter fits).
    """
    from scipy.optimize import least_squares

    a = check_array("atom", atom)
    if a.ndim == 2:
        if a.shape[0] != a.shape[1]:
            raise ValueError(f"atom must be a square patch, got shape {a.shape}")
        n = a.shape[0]
    elif a.ndim == 1:
        n = math.isqrt(a.size) if patch_size is None else patch_size
        n = check_int("patch_size", n, low=2)
        if n * n != a.size:
            if patch_size is None:
                raise ValueError(f"atom of {a.size} pixels is not a square patch")
            raise ValueError(
                f"atom of {a.size} pixels does not match patch_size={n} ({n * n} pixels)"
            )
    else:
        raise ValueError(f"atom must be 1-D or 2-D, got shape {a.shape}")
    img = a.reshape(n, n)
    target = img.ravel()
    ss_tot = float(np.sum(target**2))
    if ss_tot == 0.0:
        return np.full(8, np.nan), float("nan")
    amp_max = 4 * float(np.abs(target).max())
    lower = [0.0, -2.0, -2.0, -4 * np.pi, 0.0, -8 * np.pi, 0.3, 0.3]
    upper = [amp_max, n + 1.0, n + 1.0, 4 * np.pi, 0.5, 8 * np.pi, 2.0 * n, 2.0 * n]

    def residual(p):
        return gabor(p, n) - target

    best = None
    for p0 in _gabor_init(img):
        p0 = np.clip(p0, np.array(lower) + 1e-9, np.array(upper) - 1e-9)
        sol = least_squares(residual, p0, bounds=(lower, upper), method="trf", max_nfev=400)
        if best is None or sol.cost < best.cost:
            best = sol
    p = best.x.copy()
    # canonical form: theta in [0, pi); flipping theta by pi flips x' and so the phase
    theta = p[3] % (2 * np.pi)
    if theta >= np.pi:
        theta -= np.pi
        p[5] = -p[5]
    p[3] = theta
    p[5] = p[5] % (2 * np.pi)
    r2 = 1.0 - 2.0 * best.cost / ss_tot
    return p, float(r2)


def fit_gabors(dictionary: np.ndarray, patch_size: int | None = None) -> dict[str, np.ndarray]:
    """:func:`fit_gabor` on every atom of ``dictionary`` (n_atoms, patch_size**2).

    Returns
    -------
    dict with ``params`` (n_atoms, 8) in :data:`GABOR_PARAMS` order and ``r2`` (n_atoms,).
    """
    d = check_array("dictionary", dictionary, ndim=2)
    out = [fit_gabor(atom, patch_size) for atom in d]
    return {
        "params": np.array([p for p, _ in out]).reshape(len(out), 8),
        "r2": np.array([r for _, r in out]),
    }


def activity_statistics(
    codes: np.ndarray, *, bins: int | Sequence[float] = 50, tol: float = 0.0
) -> dict[str, np.ndarray]:
    """How sparse a set of codes is.

    Parameters
    ----------
    codes : ndarray, shape (n_samples, n_atoms)
    bins : int or sequence
        Bins of the histogram of the non-zero amplitudes ``|r|`` (int: that many
        between 0 and the largest).
    tol : float
        A coefficient counts as active when ``|r| > tol``.

    Returns
    -------
    dict with
        ``active_per_sample`` (n_samples,) int; ``mean_active`` float;
        ``activation_frequency`` (n_atoms,): fraction of samples where each unit is
        active; ``amplitude_hist`` and ``amplitude_edges``: histogram (density) of the
        active amplitudes ``|r|``; ``fraction_silent``: units never active.
    """
    r = check_array("codes", codes, ndim=2)
    if r.shape[0] == 0 or r.shape[1] == 0:
        raise ValueError(f"codes must hold at least one sample and one unit, got shape {r.shape}")
    tol = check_real("tol", tol, low=0.0)
    active = np.abs(r) > tol
    per_sample = active.sum(axis=1)
    freq = active.mean(axis=0)
    amps = np.abs(r[active])
    if isinstance(bins, int | np.integer):
        top = float(amps.max()) if amps.size else 1.0
        edges = np.linspace(0.0, top, int(bins) + 1)
    else:
        edges = check_array("bins", bins, ndim=1)
    hist, edges = np.histogram(amps, bins=edges, density=amps.size > 0)
    return {
        "active_per_sample": per_sample,
        "mean_active": float(per_sample.mean()),
        "activation_frequency": freq,
        "amplitude_hist": hist.astype(np.float64),
        "amplitude_edges": edges,
        "fraction_silent": float(np.mean(freq == 0)),
    }
