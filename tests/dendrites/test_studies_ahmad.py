"""The Ahmad & Hawkins (2016) studies follow the study contract: quick runs give valid
results whose claims carry the expected verdicts, figures drawn from the result alone,
settings changed by name (``--set``), and the same random numbers as before."""

import dataclasses
import json

import numpy as np
import pytest

from neurosparse.cli import main as cli_main
from neurosparse.results import STANDARD_DIMS, claims_table, load
from neurosparse.studies import apply_overrides, get_study, params_of
from neurosparse.testing import check_long_names, check_result

# the verdicts of each quick run, in the order of its claims
EXPECTED_VERDICTS = {
    "fig4a": ["agrees"] * 8,  # simulation vs Eq. 4, then the 7 published values
    "fig4b": ["agrees"] * 3,  # the 3 published values at 50 % noise
    "fig5b": ["agrees"] * 4,  # one row per curve
    "fig6": ["agrees", "agrees", "not tested"],  # 2 published medians, the band
    "fig7a": ["agrees", "agrees"],  # simulation vs formula, sub-linear growth
    "fig7b": ["not tested", "agrees"],  # "a few patterns", the ordering in n
}
IDS = list(EXPECTED_VERDICTS)


def _module(fig):
    return get_study(f"ahmad2016/{fig}").load_module()


def _check_described(tree):
    """Every variable (coordinates included) has a long_name; every dimension is
    standard or has a coordinate with a long_name (no extra_dims needed)."""
    assert "extra_dims" not in tree.attrs
    check_long_names(tree)
    for node in tree.subtree:
        ds = node.dataset
        for dim in ds.dims:
            if dim not in STANDARD_DIMS:
                assert "long_name" in ds[dim].attrs, f"{node.path}: dim {dim} undescribed"


@pytest.mark.parametrize("fig", IDS)
def test_contract_names(fig):
    module = _module(fig)
    assert module.PAPER.startswith("Ahmad & Hawkins 2016")
    assert module.STUDY_ID == f"ahmad2016/{fig}"
    assert dataclasses.is_dataclass(module.Params)
    assert module.Params.__dataclass_params__.frozen
    assert isinstance(module.QUICK, module.Params) and isinstance(module.FULL, module.Params)
    assert module.QUICK != module.FULL


@pytest.mark.parametrize("fig", IDS)
def test_quick_study(fig, tmp_path):
    study = get_study(f"ahmad2016/{fig}")
    assert study.paper.startswith("Ahmad & Hawkins 2016")
    tree = check_result(study.run(tmp_path, quick=True, seed=0))
    assert tree.attrs["study"] == f"ahmad2016/{fig}"
    assert tree.attrs["mode"] == "quick"
    assert len(tree["reference"].data_vars) > 0
    assert all("source" in v.attrs for v in tree["reference"].data_vars.values())
    assert len(tree["metrics"].data_vars) > 0
    assert not {"agrees", "published_agrees"} & set(tree["metrics"].data_vars)
    _check_described(tree)

    claims = claims_table(tree)
    assert [c.verdict for c in claims] == EXPECTED_VERDICTS[fig]
    assert all(c.source.startswith("Ahmad & Hawkins 2016") for c in claims)
    for c in claims:
        if c.verdict != "not tested":
            assert c.tolerance and c.reproduced

    for ext in ("nc", "png", "svg"):
        assert (tmp_path / "ahmad2016" / f"{fig}.{ext}").is_file()

    # the figure comes from the saved result alone
    saved = load(tmp_path / "ahmad2016" / f"{fig}.nc")
    assert params_of(saved) == study.load_module().QUICK
    figure = study.load_module().plot(saved)
    assert figure.axes
    import matplotlib.pyplot as plt

    plt.close(figure)


def test_published_values_are_claims(tmp_path):
    # Ahmad & Hawkins 2016: Eq. 4 values quoted with Fig 4A; P_fn at 50 % noise (Fig 4B);
    # median P_fp at theta=8: 4.83e-8, theta=12: 7.63e-14 (Fig 6). Three significant
    # digits: 1 % relative.
    expected = {
        "fig4a": [1.09e-3, 5.70e-6, 0.292, 7.37e-3, 2.50e-5, 0.629, 3.51e-3],
        "fig4b": [7.35e-4, 0.0717, 0.583],
        "fig6": [4.83e-8, 7.63e-14],
    }
    for fig, values in expected.items():
        module = _module(fig)
        claims = claims_table(module.run(module.QUICK, 0))
        numeric = [c for c in claims if np.isfinite(c.published_value)]
        assert [c.published_value for c in numeric] == values
        for c in numeric:
            assert "relative" in c.tolerance
            assert abs(c.reproduced_value / c.published_value - 1) <= 0.01


def test_monte_carlo_draws_unchanged():
    # hits of the quick runs (seed 0) as drawn before the study contract: same seed,
    # same random numbers
    module = _module("fig4a")
    hits = module.run(module.QUICK, 0)["metrics"]["hits"].values
    assert hits.tolist() == [[132, 0, 0, 0], [29305, 747, 3, 0], [100000, 62787, 1894, 342]]
    module = _module("fig4b")
    tree = module.run(module.QUICK, 0)
    trials = int(tree["metrics"]["trials_per_point"])
    hits = np.rint(tree["metrics"]["p_simulated"].values * trials).astype(int)
    assert hits.tolist() == [
        [0, 0, 0, 5, 928, 7686],
        [0, 0, 4, 697, 6692, 9963],
        [0, 0, 432, 5829, 9859, 10000],
    ]


def test_reproduce_with_set(tmp_path, capsys):
    argv = ["reproduce", "ahmad2016/fig6", "--quick", "--out", str(tmp_path)]
    assert cli_main([*argv, "--set", "optimal_n_stride=10", "--set", "noise=0.1,0.5"]) == 0
    assert "custom settings" in capsys.readouterr().out
    tree = load(tmp_path / "ahmad2016" / "fig6.nc")
    assert tree.attrs["mode"] == "custom"
    params = json.loads(tree.attrs["params"])
    assert params["optimal_n_stride"] == 10 and params["noise"] == [0.1, 0.5]
    assert tree["metrics"]["noise"].values.tolist() == [0.1, 0.5]
    assert [c.verdict for c in claims_table(tree)] == EXPECTED_VERDICTS["fig6"]


def test_reproduce_unknown_setting(tmp_path, capsys):
    argv = ["reproduce", "ahmad2016/fig6", "--quick", "--out", str(tmp_path)]
    assert cli_main([*argv, "--set", "bogus=1"]) == 2
    err = capsys.readouterr().err
    assert "unknown setting 'bogus'" in err and "optimal_n_stride" in err


@pytest.mark.parametrize(
    ("fig", "overrides"),
    [
        ("fig4a", {"trials": "2000", "n_values": "500,700"}),
        ("fig5b", {"curves": "[(32, 2000), (4000, 16000)]", "dense_curves": "1"}),
        ("fig7a", {"segments": "5", "s_values": "20", "m_max": "4"}),
        ("fig7b", {"segments": "5", "inputs": "50", "m_max": "5"}),
    ],
)
def test_custom_params(fig, overrides):
    module = _module(fig)
    params = apply_overrides(module.QUICK, overrides)
    tree = check_result(module.run(params, 1))
    assert tree.attrs["mode"] == "custom"
    assert params_of(tree) == params
    assert claims_table(tree)
