"""SparseyClassifier: labels read from top-level codes."""

import numpy as np
import pytest

from neurosparse.sparsey import SparseyClassifier

SIDE = 12


def noisy_classes(n_per_class, seed, n_classes=3, flip=0.08):
    """Binary images: a random prototype per class (fixed), each pixel flipped with
    probability ``flip``."""
    protos = np.random.default_rng(100).random((n_classes, SIDE, SIDE)) < 0.25
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    X = protos[y] ^ (rng.random((y.size, SIDE, SIDE)) < flip)
    order = rng.permutation(y.size)
    return X[order], y[order]


@pytest.mark.parametrize("readout", ["overlap", "knn", "association"])
@pytest.mark.parametrize("memory", ["recognised", "learned"])
def test_classifies_noisy_prototypes(readout, memory):
    X, y = noisy_classes(20, seed=0)
    Xt, yt = noisy_classes(20, seed=1)
    clf = SparseyClassifier(grid=((2, 2), (1, 1)), rf_radius=(4.0, None), readout=readout,
                            memory=memory, seed=0).fit(X, y)  # fmt: skip
    assert clf.score(Xt, yt) >= 0.9
    assert clf.decision_function(Xt).shape == (60, 3)
    assert clf.memory_.shape == clf.codes_.shape


def test_training_items_are_recalled_with_their_labels():
    X, y = noisy_classes(10, seed=2, flip=0.3)
    assert SparseyClassifier(seed=0).fit(X, y).score(X, y) == 1.0
    # the codes chosen while learning are the memory with memory="learned"
    X, y = noisy_classes(4, seed=2, flip=0.3)
    clf = SparseyClassifier(memory="learned", freeze_fraction=1.0, seed=0).fit(X, y)
    assert clf.memory_ is clf.codes_
    assert clf.score(X, y) == 1.0


def test_string_labels_and_sequences():
    X, y = noisy_classes(6, seed=3)
    labels = np.array(["cat", "dog", "eel"])[y]
    seqs = np.stack([X[0::2], X[1::2]], axis=1)  # pairs of frames
    seq_labels = labels[0::2]
    clf = SparseyClassifier(seed=0).fit(seqs, seq_labels)
    assert clf.predict(seqs).shape == (9, 2)
    assert clf.predict(seqs).dtype.kind == "U"
    assert clf.score(seqs, seq_labels) == 1.0


def test_knn_readout_votes_with_overlaps():
    X, y = noisy_classes(10, seed=4, flip=0.15)
    Xt = noisy_classes(5, seed=5, flip=0.15)[0]
    one = SparseyClassifier(readout="overlap", seed=0).fit(X, y)
    knn = SparseyClassifier(readout="knn", n_neighbors=X.shape[0], seed=0).fit(X, y)
    codes, memory = one.transform(Xt), one.memory_
    overlap = (codes[:, None] & memory[None]).sum(-1)  # (test, stored)
    # every stored code voting: each class's summed overlaps
    expected = np.stack([overlap[:, y == c].sum(1) for c in range(3)], axis=1)
    np.testing.assert_array_equal(knn.decision_function(Xt), expected)
    # one neighbour: the nearest stored code's label (ties to the first stored)
    knn1 = SparseyClassifier(readout="knn", n_neighbors=1, seed=0).fit(X, y)
    np.testing.assert_array_equal(knn1.predict(Xt), y[np.argmax(overlap, axis=1)])
    assert knn1.decision_function(Xt).max(axis=1).tolist() == overlap.max(axis=1).tolist()


def test_sequences_read_at_the_last_frame():
    X, y = noisy_classes(6, seed=6)
    seqs = np.stack([X[0::3], X[1::3], X[2::3]], axis=1)  # 6 sequences of 3 frames
    labels = y[0::3]
    clf = SparseyClassifier(readout="knn", n_neighbors=1, frames="last", seed=0)
    clf.fit(seqs, labels)
    assert clf.predict(seqs).shape == (6,)
    assert clf.decision_function(seqs).shape == (6, 3)
    assert clf.score(seqs, labels) == 1.0
    assert clf._memory_flat.shape == (6, clf.memory_.shape[-1])
    np.testing.assert_array_equal(clf._memory_flat, clf.memory_[:, -1])
