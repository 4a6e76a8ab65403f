"""DendriticNeuron: learns patterns on segments, recognises them under noise."""

import numpy as np
import pytest

from neurosparse import NotFittedError
from neurosparse.dendrites import (
    DendriticNeuron,
    add_noise,
    false_match_probability,
    random_sdr,
    to_dense,
)
from neurosparse.results import mask_from_connectivity
from neurosparse.testing import check_deterministic, check_result, check_result_roundtrip

N, A = 2048, 40


@pytest.fixture(scope="module")
def patterns():
    return random_sdr(N, A, size=200, seed=0)


def test_recognises_stored_patterns_under_noise(patterns):
    neuron = DendriticNeuron(n_synapses=20, theta=10, seed=0).fit(patterns, n=N)
    assert neuron.n_segments_ == 200
    assert neuron.predict(patterns).all()
    assert neuron.predict(add_noise(patterns, 0.3, n=N, seed=1)).all()
    act = neuron.segment_activity(patterns)
    assert act.shape == (200, 200) and np.all(act[np.arange(200), np.arange(200)])


def test_false_match_rate_matches_eq4():
    # small n so that false matches are frequent enough to count
    n, a, s, theta = 300, 64, 24, 10
    neuron = DendriticNeuron(n_synapses=s, theta=theta, seed=0).fit(
        random_sdr(n, a, size=300, seed=1), n=n
    )
    probes = random_sdr(n, a, size=3000, seed=2)
    rate = neuron.segment_activity(probes).mean()
    p = false_match_probability(n, a, s, theta)
    se = np.sqrt(p * (1 - p) / 3000)  # per-probe correlation across segments: loose bound
    assert abs(rate - p) < 6 * se


def test_union_segments(patterns):
    neuron = DendriticNeuron(n_synapses=20, theta=10, patterns_per_segment=5, seed=0)
    neuron.fit(to_dense(patterns, N))
    assert neuron.n_segments_ == 40
    assert np.all(neuron.pattern_segment_ == np.arange(200) // 5)
    assert np.all(np.diff(neuron.segment_indptr_) <= 100)
    act = neuron.segment_activity(patterns)
    assert np.all(act[np.arange(200), neuron.pattern_segment_])


def test_to_result(patterns, tmp_path):
    neuron = DendriticNeuron(n_synapses=20, theta=10, seed=0).fit(patterns[:20], n=N)
    tree = check_result(neuron.to_result(), kind="dendrites.neuron")
    conn = tree["connectivity/segments"]
    assert conn.attrs["n_pre"] == N and conn.attrs["n_post"] == 20
    mask = mask_from_connectivity(conn)
    assert mask.shape == (20, N) and np.all(mask.sum(1) == 20)
    # every synapse lands on an active cell of its pattern
    assert np.all(to_dense(patterns[:20], N)[mask.nonzero()[0], mask.nonzero()[1]])
    check_result_roundtrip(tree, tmp_path)


def test_deterministic(patterns):
    check_deterministic(
        lambda seed: (
            DendriticNeuron(n_synapses=20, theta=10, seed=seed).fit(patterns, n=N).to_result()
        )
    )


def test_bad_input(patterns):
    with pytest.raises(ValueError, match="theta"):
        DendriticNeuron(n_synapses=20, theta=21).fit(patterns, n=N)
    with pytest.raises(ValueError, match="n_synapses"):
        DendriticNeuron(n_synapses=41, theta=10).fit(patterns, n=N)
    with pytest.raises(ValueError, match="patterns_per_segment"):
        DendriticNeuron(patterns_per_segment=0).fit(patterns, n=N)
    with pytest.raises(NotFittedError, match="fit"):
        DendriticNeuron().predict(patterns)
    with pytest.raises(TypeError, match="theta"):  # the integer policy: no floats
        DendriticNeuron(theta=4.0).fit(patterns, n=N)
    DendriticNeuron(n_synapses=np.int64(20), theta=np.int32(10)).fit(patterns, n=N)
