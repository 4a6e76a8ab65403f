"""Sparsey: the checks of the idea (distinct codes, exact recall, similar inputs to
similar codes, capacity), single pass, freezing, hierarchy, determinism."""

import numpy as np
from scipy.stats import spearmanr

from neurosparse.sparsey import Sparsey, _kernels

SIDE, ACTIVE = 16, 20


def random_items(n, seed=0, side=SIDE, active=ACTIVE):
    """``n`` binary images with exactly ``active`` pixels on."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n, side * side), dtype=bool)
    for i in range(n):
        X[i, rng.choice(side * side, active, replace=False)] = True
    return X.reshape(n, side, side)


def test_distinct_inputs_get_distinct_codes():
    X = random_items(40)
    model = Sparsey(seed=0).fit(X)
    assert model.codes_.shape == (40, 8 * 16)
    assert np.all(model.codes_.sum(axis=1) == 8)
    assert len(np.unique(model.codes_, axis=0)) == 40
    overlap = (model.codes_[:, None] & model.codes_[None]).sum(-1)
    off = overlap[~np.eye(40, dtype=bool)]
    assert off.mean() < 2.0  # near-random codes: about Q / K = 0.5 cells shared


def test_stored_inputs_are_recognised_exactly():
    X = random_items(40)
    model = Sparsey(seed=0).fit(X)
    assert np.all(model.familiarity(X) == 1.0)
    np.testing.assert_array_equal(model.transform(X), model.codes_)
    # a novel input is unfamiliar
    assert np.all(model.familiarity(random_items(20, seed=9)) < 0.6)


def _pair(rng, keep):
    n_pix = SIDE * SIDE
    x1 = np.zeros(n_pix, bool)
    on = rng.choice(n_pix, ACTIVE, replace=False)
    x1[on] = True
    x2 = np.zeros(n_pix, bool)
    x2[rng.choice(on, keep, replace=False)] = True
    x2[rng.choice(np.flatnonzero(~x1), ACTIVE - keep, replace=False)] = True
    return np.stack([x1, x2]).reshape(2, SIDE, SIDE)


def test_code_overlap_rises_with_input_overlap():
    rng = np.random.default_rng(0)
    inputs, codes = [], []
    for trial in range(150):
        keep = int(rng.integers(0, ACTIVE + 1))
        model = Sparsey(seed=trial).fit(_pair(rng, keep))
        inputs.append(keep / ACTIVE)
        codes.append((model.codes_[0] & model.codes_[1]).sum() / 8)
    inputs, codes = np.array(inputs), np.array(codes)
    assert spearmanr(inputs, codes)[0] > 0.6
    assert codes[inputs == 1.0].min() >= 0.75  # the same input: its code again
    assert codes[inputs <= 0.3].mean() < 0.2  # unlike inputs: near-random codes


def test_capacity_recall_falls_for_many_items():
    # one mac (8 CMs of 16 cells, 256 inputs), no critical period: exact recall until
    # the cells' weights fill up, then none (every cell answers every input)
    recall, novel = {}, {}
    for n in (20, 80, 640):
        X = random_items(n, seed=n)
        model = Sparsey(freeze_fraction=1.0, seed=0).fit(X)
        recall[n] = np.mean(np.all(model.transform(X) == model.codes_, axis=1))
        novel[n] = model.familiarity(random_items(20, seed=1)).mean()
    assert recall[20] == 1.0 and recall[80] >= 0.95
    assert recall[640] < 0.2, recall
    assert novel[20] < 0.5 and novel[640] > 0.95  # saturated: everything looks familiar
    # with a critical period (cells freeze once half their weights are set) recall still
    # falls, but novel inputs stay less familiar than stored ones
    X = random_items(640, seed=640)
    frozen = Sparsey(freeze_fraction=0.5, seed=0).fit(X)
    assert frozen.familiarity(random_items(20, seed=1)).mean() < frozen.familiarity(X).mean()


def test_fit_learns_each_item_once(monkeypatch):
    calls = []
    real = _kernels.learn_item

    def counting(*args):
        calls.append(args[6].copy())  # the item's frames
        return real(*args)

    monkeypatch.setattr(_kernels, "learn_item", counting)
    X = random_items(12)
    Sparsey(grid=((2, 2), (1, 1)), rf_radius=(5.0, None), seed=0).fit(X)
    assert len(calls) == 12
    for frames, x in zip(calls, X, strict=True):
        np.testing.assert_array_equal(frames.reshape(SIDE, SIDE), x)
    calls.clear()
    Xs = np.stack([random_items(4, seed=s) for s in range(3)])  # 3 sequences of 4 frames
    Sparsey(seed=0).fit(Xs)
    assert len(calls) == 3 and calls[0].shape == (4, SIDE * SIDE)


def test_deterministic_under_seed():
    X = random_items(30)

    def run(seed):
        model = Sparsey(grid=((2, 2), (1, 1)), rf_radius=(5.0, None), seed=seed).fit(X)
        return model.codes_, model.transform(X), model._weights[0]

    a, b, c = run(3), run(3), run(4)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])
    gen = Sparsey(seed=np.random.default_rng(5)).fit(X).codes_
    np.testing.assert_array_equal(gen, Sparsey(seed=np.random.default_rng(5)).fit(X).codes_)


def test_hierarchy_codes_and_gate():
    X = random_items(10, side=12, active=30)
    X[0] = False
    X[0, :3, :3] = True  # only the top-left corner is on
    model = Sparsey(
        grid=((3, 3), (1, 1)), n_cms=(4, 6), cells_per_cm=(5, 7), rf_radius=(2.0, None),
        pi_min=(2, 1), seed=0,
    ).fit(X)  # fmt: skip
    low = model.transform(X, level=0)
    assert low.shape == (10, 9 * 4 * 5)
    per_mac = low.reshape(10, 9, 20).sum(-1)
    assert set(np.unique(per_mac)) <= {0, 4}  # Q active cells, or none (gated off)
    assert per_mac[0, 0] == 4 and np.all(per_mac[0, 1:] == 0)  # item 0: one mac on
    top = model.transform(X)
    assert top.shape == (10, 6 * 7) and np.all(top.sum(-1) == 6)
    np.testing.assert_array_equal(model.transform(X, level=1), top)
    assert model.familiarity(X, level=0).shape == (10,)
    # a blank image turns every mac off
    blank = np.zeros((1, 12, 12), bool)
    assert not model.transform(blank).any() and np.isnan(model.familiarity(blank)[0])


def test_pi_max_gates_dense_patches():
    X = np.ones((3, 6, 6), bool)
    model = Sparsey(grid=((2, 2),), rf_radius=1.5, pi_max=5, seed=0).fit(X)
    assert not model.codes_.any()
    assert np.isnan(model.familiarity_).all()


def test_freezing_stops_learning():
    X = random_items(200)
    model = Sparsey(cells_per_cm=4, freeze_fraction=0.1, seed=0).fit(X)
    n_set = model._weights[3]
    limit = int(np.ceil(0.1 * SIDE * SIDE))
    assert np.all(n_set < limit + ACTIVE)  # at most one item past the threshold
    assert np.all(n_set >= limit)  # every cell used up its critical period
    # once every cell is frozen, learning reports best matches: codes of the last
    # items equal what recognition gives them
    last = X[-20:]
    np.testing.assert_array_equal(model.transform(last), model.codes_[-20:])
    free = Sparsey(cells_per_cm=4, seed=0).fit(X)
    assert free._weights[3].max() > n_set.max()


def test_binarize_threshold():
    X = random_items(10).astype(np.uint8) * 200
    a = Sparsey(binarize=100.0, seed=0).fit(X)
    b = Sparsey(seed=0).fit(X > 100)
    np.testing.assert_array_equal(a.codes_, b.codes_)
    np.testing.assert_array_equal(a.transform(X), b.transform(X > 100))
    ints = Sparsey(seed=0).fit((X > 100).astype(np.int64))  # 0/1 numbers are binary
    np.testing.assert_array_equal(ints.codes_, b.codes_)


def test_circle_fields_are_smaller():
    X = random_items(5)
    square = Sparsey(grid=((2, 2),), rf_radius=4.0, seed=0).fit(X)._net
    circle = Sparsey(grid=((2, 2),), rf_radius=4.0, rf_shape="circle", seed=0).fit(X)._net
    assert np.all(np.diff(circle.u_ptr) < np.diff(square.u_ptr))


def test_parallel_recognition_matches_serial():
    X = random_items(100)
    model = Sparsey(grid=((2, 2), (1, 1)), rf_radius=(5.0, None), seed=0).fit(X[:50])
    np.testing.assert_array_equal(model.transform(X), np.concatenate(
        [model.transform(X[i : i + 10]) for i in range(0, 100, 10)]
    ))  # fmt: skip


def test_familiarity_of_stored_hierarchy_items():
    X = random_items(20)
    model = Sparsey(grid=((2, 2), (1, 1)), rf_radius=(5.0, None), seed=0).fit(X)
    np.testing.assert_array_equal(model.familiarity(X, level=0), 1.0)
    # level 1 may recall a tied cell in a CM, so the top sees a code close to the one it
    # learned: G close to 1
    np.testing.assert_allclose(model.familiarity(X), 1.0, atol=0.05)
    novel = model.familiarity(random_items(20, seed=7))
    assert novel.max() < 0.8
