"""Sparsey refuses bad input with errors that name the parameter, the value and what
is allowed."""

import numpy as np
import pytest

from neurosparse import NotFittedError
from neurosparse.sparsey import Sparsey, SparseyClassifier

X = np.random.default_rng(0).random((6, 8, 8)) < 0.3


@pytest.mark.parametrize(
    ("params", "exc", "pattern"),
    [
        ({"n_cms": 0}, ValueError, r"n_cms must be an integer in \[1, inf\), got 0"),
        ({"cells_per_cm": 0}, ValueError, r"cells_per_cm must be an integer in \[1"),
        ({"n_cms": (4, 0)}, ValueError, r"n_cms\[1\] must be an integer in \[1"),
        ({"n_cms": 2.0}, TypeError, r"n_cms must be an integer, got 2.0"),
        ({"cells_per_cm": True}, TypeError, r"cells_per_cm must be an integer"),
        ({"n_cms": (4, 4)}, ValueError, r"n_cms has 2 entries but grid has 1 level"),
        ({"n_cms": []}, ValueError, r"n_cms is empty"),
        ({"grid": ()}, TypeError, r"grid must be a non-empty sequence of \(rows, cols\)"),
        ({"grid": ((2, 0),)}, ValueError, r"grid\[0\]\[1\] must be an integer in \[1"),
        ({"grid": ((2,),)}, TypeError, r"grid\[0\] must be a \(rows, cols\) pair"),
        ({"rf_radius": -1.0}, ValueError, r"rf_radius must be a number in \[0"),
        ({"rf_shape": "hex"}, ValueError, r"rf_shape must be one of 'square', 'circle'"),
        ({"g_min": 1.0}, ValueError, r"g_min must be a number in \[0, 1\)"),
        ({"freeze_fraction": 0.0}, ValueError, r"freeze_fraction must be a number in \(0"),
        ({"lambda_u": 0.0}, ValueError, r"lambda_u must be a number in \(0"),
        ({"pi_min": 5, "pi_max": 3}, ValueError, r"pi_max\[0\]=3 is below pi_min\[0\]=5"),
        ({"seed": -1}, ValueError, r"seed must be a non-negative integer"),
    ],
)
def test_bad_parameters(params, exc, pattern):
    with pytest.raises(exc, match=pattern):
        Sparsey(**params).fit(X)


def test_radius_that_covers_nothing():
    with pytest.raises(ValueError, match=r"rf_radius\[0\]=0.2 covers no pixel for mac \(0, 0\)"):
        Sparsey(grid=((2, 2),), rf_radius=0.2).fit(X)  # centres fall between pixels
    with pytest.raises(ValueError, match=r"radius of at least 0.5"):
        Sparsey(grid=((2, 2),), rf_radius=0.2).fit(X)
    with pytest.raises(ValueError, match=r"rf_radius\[1\]=0.1 covers no mac of level 1"):
        Sparsey(grid=((4, 4), (1, 1)), rf_radius=(2.0, 0.1)).fit(X)
    # a centre on a pixel: radius 0 covers it
    Sparsey(grid=((8, 8),), rf_radius=0.0, seed=0).fit(X)


@pytest.mark.parametrize(
    ("data", "exc", "pattern"),
    [
        (np.zeros((6, 8)), ValueError, r"X must have 3 or 4 dimension\(s\), got shape \(6, 8\)"),
        (np.zeros((2, 2, 2, 8, 8)), ValueError, r"X must have 3 or 4 dimension"),
        (
            np.full((2, 8, 8), 0.5),
            ValueError,
            r"X must be binary \(bool, or 0 and 1\), got a "
            r"value 0.5; set binarize",
        ),
        (np.full((2, 8, 8), 2), ValueError, r"X must be binary"),
        (np.full((2, 8, 8), np.nan), ValueError, r"X contains 128 NaN"),
        (np.zeros((0, 8, 8)), ValueError, r"X is empty"),
        (np.full((2, 8, 8), "a"), TypeError, r"X must hold numbers or booleans"),
        ("abc", ValueError, r"X must have 3 or 4 dimension"),
    ],
)
def test_bad_input_arrays(data, exc, pattern):
    with pytest.raises(exc, match=pattern):
        Sparsey(seed=0).fit(data)


def test_binarize_must_be_a_number():
    with pytest.raises(TypeError, match=r"binarize must be a real number, got '1'"):
        Sparsey(binarize="1").fit(X)
    Sparsey(binarize=0.5, seed=0).fit(X * 1.0)  # numbers, thresholded


def test_unfitted_model():
    model = Sparsey()
    for call in (model.transform, model.familiarity):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            call(X)
    with pytest.raises(NotFittedError):
        model.to_result()
    clf = SparseyClassifier()
    for call in (clf.predict, clf.decision_function, clf.transform):
        with pytest.raises(NotFittedError):
            call(X)


def test_recognition_input_must_match_fit():
    model = Sparsey(seed=0).fit(X)
    with pytest.raises(ValueError, match=r"X must hold images of shape \(8, 8\) .* got \(9, 9\)"):
        model.transform(np.zeros((2, 9, 9), bool))
    with pytest.raises(ValueError, match="X must be binary"):
        model.familiarity(np.full((2, 8, 8), 3))
    with pytest.raises(ValueError, match=r"level must be an integer in \[-1, 0\], got 1"):
        model.transform(X, level=1)
    with pytest.raises(TypeError, match="level must be an integer"):
        model.transform(X, level=0.0)


def test_classifier_labels():
    with pytest.raises(ValueError, match=r"y must hold one label per item of X \(6\)"):
        SparseyClassifier(seed=0).fit(X, [0, 1])
    with pytest.raises(TypeError, match="y must hold integer or string labels"):
        SparseyClassifier(seed=0).fit(X, np.zeros(6))
    with pytest.raises(ValueError, match="readout must be one of 'overlap', 'knn', 'association'"):
        SparseyClassifier(readout="vote").fit(X, np.arange(6))
    with pytest.raises(ValueError, match=r"n_neighbors must be an integer in \[1"):
        SparseyClassifier(n_neighbors=0).fit(X, np.arange(6))
    with pytest.raises(ValueError, match="frames must be one of 'each', 'last'"):
        SparseyClassifier(frames="first").fit(X, np.arange(6))
    with pytest.raises(ValueError, match="memory must be one of 'recognised', 'learned'"):
        SparseyClassifier(memory="all").fit(X, np.arange(6))


def test_too_big_a_network():
    with pytest.raises(ValueError, match="GiB of weights"):
        Sparsey(n_cms=1000, cells_per_cm=1000).fit(np.zeros((1, 100, 100), bool))
