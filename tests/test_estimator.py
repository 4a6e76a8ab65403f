"""scikit-learn's parameter protocol on every estimator (neurosparse._estimator.ParamsMixin)."""

from __future__ import annotations

import numpy as np
import pytest

from neurosparse.coding import DictionaryLearner, SparseCoder
from neurosparse.dendrites import DendriticNeuron
from neurosparse.testing import check_params, require


def _dictionary(n_atoms=24, n_features=16, seed=0):
    rng = np.random.default_rng(seed)
    D = rng.standard_normal((n_atoms, n_features))
    return D / np.linalg.norm(D, axis=1, keepdims=True)


ESTIMATORS = [
    lambda: SparseCoder(_dictionary(), penalty="cel0", lam=0.2),
    lambda: DictionaryLearner(8, penalty="l1/2", lam=0.1, batch_size=10, seed=3),
    lambda: DendriticNeuron(n_synapses=10, theta=5, seed=1),
]


@pytest.mark.parametrize(
    "make", ESTIMATORS, ids=["SparseCoder", "DictionaryLearner", "DendriticNeuron"]
)
def test_params_protocol(make):
    check_params(make())


def test_set_params_then_fit_uses_the_new_values():
    X = np.random.default_rng(1).standard_normal((20, 16))
    coder = SparseCoder(_dictionary(), lam=0.01)
    dense = np.count_nonzero(coder.fit_transform(X))
    sparse = np.count_nonzero(coder.set_params(lam=0.5).fit_transform(X))
    assert coder.lam == 0.5 and sparse < dense
    with pytest.raises(ValueError, match="lam"):
        coder.set_params(lam=-1.0).fit(X)  # validated by fit, as in scikit-learn


def test_repr_shows_what_differs_from_the_defaults():
    assert repr(DendriticNeuron(theta=10)) == "DendriticNeuron(theta=10)"
    text = repr(SparseCoder(_dictionary(), penalty="l1/2"))
    assert text == "SparseCoder(dictionary=<array (24, 16) float64>, penalty='l1/2')"


def test_sklearn_clone_pipeline_and_grid_search():
    """A user's model selection over lam and the penalty, scikit-learn's way."""
    base = require("sklearn.base", "test")
    model_selection = require("sklearn.model_selection", "test")
    pipeline = require("sklearn.pipeline", "test")
    linear_model = require("sklearn.linear_model", "test")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 16))
    y = (X[:, 0] > 0).astype(int)
    coder = SparseCoder(_dictionary(), penalty="cel0", lam=0.05)
    twin = base.clone(coder)
    assert twin is not coder and twin.get_params()["penalty"] == "cel0"
    np.testing.assert_array_equal(twin.fit_transform(X), coder.fit_transform(X))
    pipe = pipeline.make_pipeline(SparseCoder(_dictionary()), linear_model.LogisticRegression())
    grid = {"sparsecoder__lam": [0.01, 0.1], "sparsecoder__penalty": ["l1", "cel0"]}
    search = model_selection.GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert set(search.best_params_) == set(grid)
    assert search.best_estimator_[0].lam in grid["sparsecoder__lam"]


def test_score_and_fit_transform_for_grid_search():
    sklearn = require("sklearn", "test")
    from sklearn.model_selection import GridSearchCV

    X = np.random.default_rng(0).standard_normal((60, 16))
    learner = DictionaryLearner(8, penalty="l1", lam=0.1, batch_size=20, n_batches=3, seed=0)
    codes = learner.fit_transform(X)
    assert codes.shape == (60, 8)
    assert learner.score(X) < 0
    coder = SparseCoder(_dictionary(), penalty="l1", lam=0.1)
    assert coder.fit(X).score(X) == pytest.approx(
        -np.mean(
            __import__("neurosparse").coding.objective(
                X, _dictionary(), coder.transform(X), penalty="l1", lam=0.1
            )
        )
    )
    # GridSearchCV needs no scorer now (it compares solvers of one objective)
    search = GridSearchCV(SparseCoder(_dictionary(), lam=0.1), {"solver": ["cd", "fista"]}, cv=2)
    search.fit(X)
    assert search.best_params_["solver"] in ("cd", "fista")
    assert sklearn is not None
