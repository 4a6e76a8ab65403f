"""Fig 5A of Ahmad & Hawkins (2016): the study and its published values."""

from __future__ import annotations

from math import comb, log

import numpy as np
import pytest

from neurosparse.dendrites import false_match_probability, log_false_match_probability
from neurosparse.results import claims_table
from neurosparse.studies import find_studies, run_study
from neurosparse.testing import check_result, check_result_roundtrip

# Published Eq. 4 values (s=24, theta=12), Ahmad & Hawkins 2016 (arXiv:1601.00720),
# quoted with Fig 4A; three significant digits, so 1% relative tolerance.
PUBLISHED = [
    (64, 300, 1.09e-3),
    (64, 500, 5.70e-6),
    (128, 300, 0.292),
    (128, 500, 7.37e-3),
    (128, 900, 2.50e-5),
    (256, 500, 0.629),
    (256, 1100, 3.51e-3),
]


@pytest.mark.parametrize(("a", "n", "published"), PUBLISHED)
def test_eq4_matches_published(a, n, published):
    assert false_match_probability(n, a, 24, 12) == pytest.approx(published, rel=0.01)


@pytest.mark.parametrize(
    ("n", "a", "s", "theta"),
    [
        (300, 64, 24, 12),
        (2000, 32, 20, 10),
        (20000, 400, 30, 8),
        (1000, 1000, 24, 12),
        (100, 90, 24, 20),
    ],
)
def test_eq4_exact_against_big_integers(n, a, s, theta):
    exact = sum(comb(s, b) * comb(n - s, a - b) for b in range(theta, s + 1))
    log_exact = log(exact) - log(comb(n, a)) if exact else -np.inf
    got = log_false_match_probability(n, a, s, theta)
    if np.isinf(log_exact):
        assert got == -np.inf
    else:
        assert got == pytest.approx(log_exact, rel=1e-12, abs=1e-12)


def test_study_registered_and_quick_run(tmp_path):
    study = find_studies()["ahmad2016/fig5a"]
    assert study.figure == "Fig 5A" and "1601.00720" in study.paper
    tree = run_study("ahmad2016/fig5a", tmp_path, quick=True)
    check_result(tree, kind="dendrites.false_match")
    assert tree.attrs["mode"] == "quick"
    claims = claims_table(tree)
    assert [c.verdict for c in claims] == ["agrees"] * len(PUBLISHED)
    assert [c.published_value for c in claims] == [p for _, _, p in PUBLISHED]
    assert all("relative" in c.tolerance for c in claims)
    assert "agrees" not in tree["metrics"]
    np.testing.assert_allclose(
        tree["metrics"]["p_false_match_at_published"],
        tree["reference"]["p_false_match"],
        rtol=0.01,
    )
    assert all("source" in v.attrs for v in tree["reference"].data_vars.values())
    # curves fall with n for fixed a, and stay high when a = n/4 (the paper's point)
    curves = tree["metrics"]["log10_p_false_match"].values
    assert np.all(np.diff(curves, axis=1) < 0)
    assert np.all(tree["metrics"]["log10_p_false_match_quarter"].values > -3)
    # the published points sit on the drawn curves, even on the coarse quick grid
    m = tree["metrics"]
    for _a, n, _ in PUBLISHED:
        assert n in m["n"].values
    on_curve = [float(m["log10_p_false_match"].sel(a=a, n=n)) for a, n, _ in PUBLISHED]
    np.testing.assert_allclose(
        on_curve, np.log10(m["p_false_match_at_published"].values), rtol=1e-12
    )
    check_result_roundtrip(tree, tmp_path)
    assert (tmp_path / "ahmad2016" / "fig5a.png").exists()
    assert (tmp_path / "ahmad2016" / "fig5a.svg").exists()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"a": 400}, "a"),
        ({"s": 301}, "s"),
        ({"theta": 25}, "theta"),
        ({"n": -1}, "n"),
        ({"a": 2.5}, "a"),
    ],
)
def test_bad_sizes(kwargs, name):
    args = {"n": 300, "a": 64, "s": 24, "theta": 12, **kwargs}
    with pytest.raises((ValueError, TypeError), match=rf"^{name} "):
        false_match_probability(**args)
