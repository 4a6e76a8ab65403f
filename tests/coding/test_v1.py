"""V1 analysis: gratings, orientation tuning, circular variance, Gabor fits, activity."""

from __future__ import annotations

import numpy as np
import pytest

from neurosparse.coding.v1 import (
    activity_statistics,
    circular_variance,
    fit_gabor,
    fit_gabors,
    gabor,
    grating_responses,
    grating_stimuli,
    orientation_tuning,
)
from neurosparse.testing import check_bad_input


def test_circular_variance_limits():
    theta = np.arange(8) * np.pi / 8
    tuned = np.zeros(8)
    tuned[3] = 2.0
    assert circular_variance(tuned, theta) == pytest.approx(0.0, abs=1e-12)
    assert circular_variance(np.ones(8), theta) == pytest.approx(1.0, abs=1e-12)
    # two orthogonal orientations cancel: CV 1; a cosine bump is in between
    orth = np.zeros(8)
    orth[[0, 4]] = 1.0
    assert circular_variance(orth, theta) == pytest.approx(1.0)
    bump = 1 + np.cos(2 * (theta - theta[2]))
    assert circular_variance(bump, theta) == pytest.approx(0.5)
    assert np.isnan(circular_variance(np.zeros(8), theta))
    check_bad_input(circular_variance, names="tuning", tuning=-np.ones(8), orientations=theta)


def test_gabor_fit_recovers_parameters():
    true = np.array([1.3, 7.2, 8.4, 0.7, 0.16, 1.1, 2.2, 3.1])
    rng = np.random.default_rng(0)
    img = gabor(true, 16) + 0.01 * rng.standard_normal(256)
    params, r2 = fit_gabor(img)
    assert r2 > 0.99
    np.testing.assert_allclose(params[[1, 2]], true[[1, 2]], atol=0.1)  # centre
    assert params[3] == pytest.approx(true[3], abs=0.03)  # orientation
    assert params[4] == pytest.approx(true[4], rel=0.03)  # frequency
    np.testing.assert_allclose(params[[6, 7]], true[[6, 7]], rtol=0.1)  # widths
    out = fit_gabors(np.stack([img, rng.standard_normal(256)]))
    assert out["params"].shape == (2, 8)
    assert out["r2"][0] > 0.99 and out["r2"][1] < 0.5  # noise is not Gabor-like


def test_gratings_and_tuning_of_a_gabor_unit():
    stim, coords = grating_stimuli(16, orientations=12, phases=8)
    assert stim.shape == (12, 6, 8, 256)
    np.testing.assert_allclose(stim.mean(axis=-1), 0, atol=1e-12)
    unit = gabor([1, 7.5, 7.5, coords["orientation"][4], 0.125, 0, 3, 3], 16)
    unit /= np.linalg.norm(unit)
    resp = grating_responses(unit[None], stim)
    tuning = orientation_tuning(resp)
    assert tuning["preferred_orientation_index"][0] == 4
    assert coords["frequency"][tuning["preferred_frequency_index"][0]] == 0.125
    assert circular_variance(tuning["tuning"], coords["orientation"])[0] < 0.5

    # with an encoder (here: linear, thresholded) the shapes are the same
    def encode(X):
        lin = X @ unit[:, None]
        return np.where(np.abs(lin) > 1, lin, 0)

    thresholded = grating_responses(unit[None], stim, encode=encode)
    assert thresholded.shape == resp.shape


def test_activity_statistics():
    codes = np.array([[0.0, 1.0, -2.0], [0.0, 0.0, 0.5], [0.0, 0.0, 0.0]])
    s = activity_statistics(codes, bins=4)
    assert s["active_per_sample"].tolist() == [2, 1, 0]
    assert s["mean_active"] == pytest.approx(1.0)
    np.testing.assert_allclose(s["activation_frequency"], [0, 1 / 3, 2 / 3])
    assert s["fraction_silent"] == pytest.approx(1 / 3)
    assert np.sum(s["amplitude_hist"] * np.diff(s["amplitude_edges"])) == pytest.approx(1.0)


def test_v1_bad_input_names_the_parameter():
    check_bad_input(activity_statistics, names="codes", codes=np.zeros((0, 5)))
    err = check_bad_input(fit_gabor, exc=ValueError, names="atom", atom=np.ones(250))
    assert "square" in str(err)
    err = check_bad_input(fit_gabor, exc=ValueError, names="patch_size", atom=np.ones(250),
                          patch_size=16)  # fmt: skip
    assert "256" in str(err)
