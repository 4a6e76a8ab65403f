"""Sparsey on sequences: a sequence is stored as a chain of codes (horizontal and
top-down inputs carry the context) and recognised again; the context is reset between
sequences."""

import numpy as np

from neurosparse.sparsey import Sparsey

SIDE = 10


def frames(n, seed=0):
    return np.random.default_rng(seed).random((n, SIDE, SIDE)) < 0.15


def test_stored_sequences_are_recognised_as_chains():
    A, B, C, D, E = frames(5)
    X = np.stack([np.stack([A, B, C]), np.stack([D, B, E])])
    for kw in ({}, {"grid": ((2, 2), (1, 1)), "rf_radius": (3.0, None)}):
        model = Sparsey(seed=0, **kw).fit(X)
        assert model.codes_.shape[:2] == (2, 3) and model.familiarity_.shape == (2, 3)
        np.testing.assert_array_equal(model.transform(X), model.codes_)
        np.testing.assert_array_equal(model.familiarity(X), 1.0)
        # the same frame after another one gets another code (its context differs)
        shared = (model.codes_[0, 1] & model.codes_[1, 1]).sum()
        assert shared < model.codes_[0, 1].sum() // 2


def test_context_matters_for_recognition():
    A, B, C, D = frames(4, seed=1)
    model = Sparsey(seed=0).fit(np.stack([np.stack([A, B, C])]))
    # B after D: the bottom-up input is familiar, the horizontal one is not
    fam = model.familiarity(np.stack([np.stack([D, B, C])]))
    assert fam[0, 1] < 0.5
    # B on its own (first frame: no context) is fully familiar
    assert model.familiarity(np.stack([np.stack([B, C])]))[0, 0] == 1.0


def test_images_are_one_frame_sequences():
    X = frames(6, seed=2)
    a = Sparsey(seed=0).fit(X)
    b = Sparsey(seed=0).fit(X[:, None])
    np.testing.assert_array_equal(a.codes_, b.codes_[:, 0])
    np.testing.assert_array_equal(a.transform(X), b.transform(X[:, None])[:, 0])


def test_horizontal_and_topdown_can_be_turned_off():
    X = np.stack([frames(3, seed=s) for s in range(2)])
    off = Sparsey(grid=((2, 2), (1, 1)), rf_radius=(3.0, None), lambda_h=0.0, lambda_d=0.0,
                  seed=0).fit(X)  # fmt: skip
    assert off._net.h_idx.size == 0 and off._net.d_idx.size == 0
    assert off._weights[1].size == 0 and off._weights[2].size == 0
    on = Sparsey(grid=((2, 2), (1, 1)), rf_radius=(3.0, None), seed=0).fit(X)
    assert on._weights[1].any() and on._weights[2].any()
    # without context, each frame's code depends on the frame alone
    np.testing.assert_array_equal(off.transform(X)[:, 1], off.transform(X[:, 1:2])[:, 0])
