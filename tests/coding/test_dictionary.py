"""Dictionary learner, its batched ISTA kernel and lambda calibration."""

from __future__ import annotations

import numpy as np
import pytest

from neurosparse import NotFittedError
from neurosparse.coding import _kernels as K
from neurosparse.coding.calibrate import calibrate_lambda
from neurosparse.coding.dictionary import (
    DictionaryLearner,
    batch_order,
    default_eta,
    ista_encode,
)
from neurosparse.coding.images import natural_patches
from neurosparse.coding.prox import _penalty_record
from neurosparse.testing import check_bad_input, check_deterministic, check_result_roundtrip

PENALTY_ARGS = [("l1", 0.3, None), ("l0", 0.005, None), ("l1/2", 0.05, None),
                ("lq", 0.05, 0.3), ("cel0", 0.2, None)]  # fmt: skip


@pytest.fixture(scope="module")
def patches():
    return natural_patches(2000, patch_size=8, seed=0)


def _random_dictionary(k, f, seed=0):
    D = np.random.default_rng(seed).standard_normal((k, f))
    return D / np.linalg.norm(D, axis=1, keepdims=True)


@pytest.mark.parametrize(("penalty", "lam", "q"), PENALTY_ARGS)
def test_kernel_parity_with_py_func_and_parallel(patches, penalty, lam, q):
    D = _random_dictionary(48, 64)
    X = patches[:40]
    code = {"l1": K.L1, "l0": K.L0, "l1/2": K.HALF, "lq": K.LQ, "cel0": K.CEL0}[penalty]
    pen = _penalty_record(code, q or 0.0, lam, np.ones(48), False, step=0.1)
    args = (np.ascontiguousarray(X @ D.T), D @ D.T, np.zeros((40, 48)), 0.1, pen,
            K.Stop(300, 0.01, 0.01))  # fmt: skip
    R, n, ok = K.ista_batch(*args, 1)
    R_py, n_py, ok_py = K.ista_batch.py_func(*args, 1)
    R_par, n_par, ok_par = K.ista_batch_par(*args, 3)
    assert n == n_py == n_par and ok == ok_py == ok_par
    np.testing.assert_allclose(R, R_py, rtol=1e-12, atol=1e-14)
    assert np.array_equal(R, R_par)
    # the zero-region shortcut never changes a value: same as prox_scalar everywhere
    t = K.zero_threshold(0.1, lam, code, q or 0.0, 1.0)
    for y in np.linspace(-1, 1, 2001):
        if abs(y) <= t:
            assert K.prox_scalar(y, 0.1, lam, code, q or 0.0, 1.0, False) == 0.0


def test_ista_encode_matches_plain_numpy(patches):
    D = _random_dictionary(40, 64, seed=1)
    X = patches[:30]
    R, n_iter = ista_encode(X, D, penalty="l1", lam=0.2, eta=0.1)
    Rn = np.zeros((30, 40))
    steps = 0
    while steps < 5000:
        Y = Rn + 0.1 * (X - Rn @ D) @ D.T
        new = np.sign(Y) * np.maximum(np.abs(Y) - 0.02, 0)
        stop = np.linalg.norm(new - Rn) / (0.01 + np.linalg.norm(Rn)) < 0.01
        Rn = new
        steps += 1
        if stop:
            break
    assert n_iter == steps
    np.testing.assert_allclose(R, Rn, atol=1e-10)


def test_learner_reduces_mse_and_keeps_unit_norm(patches):
    model = DictionaryLearner(64, penalty="cel0", lam=0.2, batch_size=100, n_batches=40,
                              seed=0).fit(patches)  # fmt: skip
    h = model.history_
    assert model.components_.shape == (64, 64)
    np.testing.assert_allclose(np.linalg.norm(model.components_, axis=1), 1.0)
    assert h["mse"][-10:].mean() < 0.8 * h["mse"][:3].mean()
    assert model.n_iter_ == 40 and h["mean_active"].shape == (40,)
    codes = model.transform(patches[:50])
    assert codes.shape == (50, 64)
    assert model.reconstruction_error(patches[:50]) < np.mean(patches[:50] ** 2)


def test_learner_deterministic_and_roundtrip(patches, tmp_path):
    def make(seed):
        return DictionaryLearner(32, penalty="l0", lam=0.005, batch_size=50, n_batches=5,
                                 seed=seed).fit(patches).to_result()  # fmt: skip

    check_deterministic(make)
    tree = make(0)
    assert tree.attrs["kind"] == "coding.dictionary"
    assert tree["state"]["components"].dims == ("atom", "pixel")
    assert tree["metrics"]["mse"].dims == ("step",)
    check_result_roundtrip(tree, tmp_path)


def test_batch_order_reshuffles_later_passes():
    rng = np.random.default_rng(0)
    once = batch_order(10, 2, 3, rng, shuffle=True)  # within one pass: the rows in order
    np.testing.assert_array_equal(once, np.arange(6))
    order = batch_order(10, 9, 3, np.random.default_rng(1), shuffle=True)  # 27 rows: 3 passes
    assert order.shape == (27,)
    np.testing.assert_array_equal(order[:10], np.arange(10))
    for later in (order[10:20], order[20:]):  # each later pass: distinct rows, a new order
        assert len(set(later)) == len(later)
    np.testing.assert_array_equal(np.sort(order[10:20]), np.arange(10))
    assert not np.array_equal(order[10:20], np.arange(10))
    np.testing.assert_array_equal(order, batch_order(10, 9, 3, np.random.default_rng(1),
                                                     shuffle=True))  # fmt: skip
    np.testing.assert_array_equal(batch_order(10, 9, 3, rng, shuffle=False), np.arange(27) % 10)


def test_learner_shuffle_changes_only_later_passes(patches):
    """One pass: shuffle makes no difference; beyond it, the batches differ."""

    def history(shuffle, n_batches):
        model = DictionaryLearner(16, penalty="l1", lam=0.3, batch_size=100,
                                  n_batches=n_batches, shuffle=shuffle, seed=3)  # fmt: skip
        return model.fit(patches[:500]).history_["mse"]

    np.testing.assert_array_equal(history(True, 5), history(False, 5))
    a, b = history(True, 10), history(False, 10)
    np.testing.assert_array_equal(a[:5], b[:5])
    assert not np.array_equal(a[5:], b[5:])
    assert DictionaryLearner(4, shuffle=False).get_params()["shuffle"] is False


def test_learner_bad_inputs(patches):
    def fit(**kw):
        return DictionaryLearner(**kw).fit(patches)

    check_bad_input(fit, names="penalty", penalty="l2")
    check_bad_input(fit, names="n_atoms", n_atoms=0)
    check_bad_input(fit, names="lr", lr=-1.0)
    check_bad_input(fit, names="shuffle", shuffle="yes")
    check_bad_input(fit, names="q", penalty="lq", lam=0.1)
    check_bad_input(fit, names="dictionary_init", n_atoms=4, dictionary_init=np.ones((3, 64)))
    check_bad_input(DictionaryLearner(4).fit, names="patches", patches=np.ones(5))
    with pytest.raises(NotFittedError, match="not fitted"):
        DictionaryLearner(4).transform(patches[:2])
    check_bad_input(ista_encode, names="lam", X=patches[:2], dictionary=np.eye(64), lam=-1.0)


def test_calibration_hits_target(patches):
    D = _random_dictionary(128, 64, seed=2)
    for penalty in ("l1", "cel0"):
        cal = calibrate_lambda(patches[:200], D, penalty=penalty, target_active=5.0, rtol=0.05)
        assert cal.converged
        assert cal.mean_active == pytest.approx(5.0, rel=0.05)
        # re-encode with the calibration's lambda and the same default step
        R, _ = ista_encode(patches[:200], D, penalty=penalty, lam=cal.lam,
                           eta=default_eta(penalty, *D.shape))  # fmt: skip
        assert np.count_nonzero(R) / 200 == pytest.approx(cal.mean_active)
    check_bad_input(calibrate_lambda, names="target_active", X=patches[:10], dictionary=D,
                    penalty="l1", target_active=500.0)  # fmt: skip


def test_calibration_secant_search():
    """The search on a known power law (active = 40 lam^-0.7 of 200 units), from either
    side and from the end of lam_range; warm starts take fewer evaluations; targets out of
    reach stop at the end of lam_range, not converged."""

    def encode(X, lam):
        n_active = int(np.clip(np.rint(40.0 * lam**-0.7), 0, 200))
        R = np.zeros((X.shape[0], 200))
        R[:, :n_active] = 1.0
        return R

    X, D = np.zeros((3, 8)), np.ones((200, 8))
    want = (40.0 / 10.0) ** (1 / 0.7)  # 10 active units
    cold = calibrate_lambda(X, D, penalty="l1", target_active=10.0, encode=encode)
    assert cold.converged and cold.mean_active == 10.0
    assert cold.lam == pytest.approx(want, rel=0.05)
    for start in (1e-5, 0.1, 50.0, 10.0):
        cal = calibrate_lambda(X, D, penalty="l1", target_active=10.0, encode=encode,
                               lam_init=start)  # fmt: skip
        assert cal.converged and cal.lam == pytest.approx(want, rel=0.05)
    warm = calibrate_lambda(X, D, penalty="l1", target_active=10.0, encode=encode,
                            lam_init=1.2 * want)  # fmt: skip
    assert warm.converged and warm.n_evaluations < cold.n_evaluations
    far = calibrate_lambda(X, D, penalty="l1", target_active=10.0, encode=encode,
                           lam_range=(1e-3, 1.0))  # fmt: skip
    assert not far.converged and far.lam == pytest.approx(1.0)
    check_bad_input(calibrate_lambda, names="lam_init", X=X, dictionary=D, penalty="l1",
                    target_active=10.0, encode=encode, lam_init=-1.0)  # fmt: skip


def test_default_eta_keeps_cel0_ista_stable():
    # the authors used 0.1 (500 units) and 0.05 (1000 units) on 16x16 patches
    assert default_eta("l1", 1280, 64) == 0.01
    assert default_eta("cel0", 500, 256) == pytest.approx(0.1, rel=0.15)
    assert default_eta("cel0", 1000, 256) == pytest.approx(0.05, rel=0.15)
    for k in (128, 320, 640, 1280):
        lip = (np.sqrt(k) + 8.0) ** 2 / 64
        assert default_eta("cel0", k, 64) * lip <= 0.5 + 1e-12
    learner = DictionaryLearner(n_atoms=40, penalty="cel0", lam=0.1, n_batches=1, batch_size=20)
    learner.fit(natural_patches(20, patch_size=4, seed=0))
    assert learner.to_result().attrs["kind"] == "coding.dictionary"


@pytest.mark.parametrize(("penalty", "q"), [("l0", None), ("lq", 0.3)])
def test_learning_from_all_zero_codes_is_reported(penalty, q):
    # was silent: mean_active [0, 0], one ISTA iteration per batch
    X = np.random.default_rng(0).standard_normal((200, 16))
    with pytest.warns(RuntimeWarning, match=r"all zero in [12] of 2 batches.*eta=0\.01.*lam=0\.3"):
        model = DictionaryLearner(
            24, penalty=penalty, q=q, lam=0.3, batch_size=50, n_batches=2, seed=0
        ).fit(X)
    assert (model.history_["mean_active"] == 0).sum() >= 1


def test_a_diverging_ista_step_is_blamed_on_eta():
    X = np.random.default_rng(0).standard_normal((100, 16))
    with pytest.raises(FloatingPointError, match=r"ISTA step eta=10\.0"):
        DictionaryLearner(8, eta=10.0, batch_size=50, n_batches=2, seed=0).fit(X)
