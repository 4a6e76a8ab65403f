"""The model and study contracts: provenance recorded once, one validator, claims.

Each provenance and validation bug the contract fixed has a test here (issue: "One
contract for models and studies").
"""

from __future__ import annotations

import json
from typing import ClassVar

import numpy as np
import pytest
import xarray as xr

import neurosparse as ns
from neurosparse._estimator import MODELS, Model, families, import_families
from neurosparse._validation import (
    Integer,
    Options,
    Real,
    check_bool,
    check_int,
    seed_attr,
    seed_from_attr,
    validate_params,
)
from neurosparse.dendrites import DendriticNeuron, random_sdr, simulate_false_match
from neurosparse.results import (
    Claim,
    ResultFormatError,
    claim_check,
    claim_close,
    claims_dataset,
    claims_table,
    new_result,
    validate,
)
from neurosparse.testing import require

# ----------------------------------------------------------------------------- seeds


def test_seed_attr_records_every_kind_of_seed():
    assert seed_attr(3) == 3 and seed_attr(np.int64(3)) == 3
    assert isinstance(seed_attr(np.int64(3)), int)
    assert seed_attr(None) == "none"
    assert seed_attr(np.random.SeedSequence(5)).startswith("SeedSequence(entropy=5")
    record = seed_attr(np.random.default_rng(7))
    assert record.startswith("Generator ")
    again = seed_from_attr(record)
    assert again.integers(1 << 30) == np.random.default_rng(7).integers(1 << 30)
    with pytest.raises(TypeError, match="seed"):
        seed_attr(True)


def test_neuron_with_a_generator_records_its_state_and_can_be_repeated():
    # was: seed="str" for a Generator
    patterns = random_sdr(300, 20, size=5, seed=0)
    tree = (
        DendriticNeuron(n_synapses=10, theta=5, seed=np.random.default_rng(11))
        .fit(patterns, n=300)
        .to_result()
    )
    record = tree.attrs["seed"]
    assert record.startswith("Generator ")
    again = DendriticNeuron(n_synapses=10, theta=5, seed=seed_from_attr(record)).fit(
        patterns, n=300
    )
    np.testing.assert_array_equal(
        again.to_result()["connectivity/segments"]["pre"].values,
        tree["connectivity/segments"]["pre"].values,
    )


@pytest.mark.parametrize("seed", [np.int64(3), 3])
def test_monte_carlo_records_numpy_integer_seeds(seed):
    # was: "none" for np.int64(3)
    tree = simulate_false_match(300, 64, 24, 12, trials=1000, seed=seed).to_result()
    assert tree.attrs["seed"] == 3
    assert "seed_attr" not in json.loads(tree.attrs["params"])


def test_monte_carlo_records_a_generator_before_drawing():
    rng = np.random.default_rng(5)
    est = simulate_false_match(300, 64, 24, 12, trials=1000, seed=rng)
    record = est.to_result().attrs["seed"]
    assert record == seed_attr(np.random.default_rng(5))  # the state before the draws
    repeat = simulate_false_match(300, 64, 24, 12, trials=1000, seed=seed_from_attr(record))
    assert repeat.hits == est.hits


def test_dendritic_network_records_its_seed_when_built():
    require("torch", "torch")
    from neurosparse.dendrites.layers import DendriticMLP

    net = DendriticMLP(8, 2, [4], num_segments=2, dim_context=3, seed=9)
    assert net.to_result().attrs["seed"] == 9  # was: only when passed to to_result again
    with pytest.raises(TypeError):
        net.to_result(seed=9)


# ------------------------------------------------------------------------ validation


def test_integer_policy():
    assert check_int("n", np.int32(4)) == 4
    for bad in (4.0, True, "4"):
        with pytest.raises(TypeError, match="^n must be an integer"):
            check_int("n", bad)
    assert check_bool("flag", np.bool_(True)) is True
    with pytest.raises(TypeError, match="^flag must be a bool"):
        check_bool("flag", 1)


def test_validate_params_names_the_parameter():
    table = {"k": Integer(low=1), "mode": Options("a", "b"), "lam": Real(low=0.0, none_ok=True)}
    assert validate_params(table, {"k": np.int64(2), "mode": "a", "lam": None}) == {
        "k": 2,
        "mode": "a",
        "lam": None,
    }
    with pytest.raises(ValueError, match=r"^k must be an integer in \[1, inf\), got 0"):
        validate_params(table, {"k": 0, "mode": "a", "lam": None})
    with pytest.raises(ValueError, match="^mode must be one of 'a', 'b'"):
        validate_params(table, {"k": 1, "mode": "c", "lam": None})


def test_a_model_must_declare_every_argument():
    with pytest.raises(TypeError, match="missing \\['b'\\]"):

        class Broken(Model):
            kind = "test.broken"
            source = "nowhere"
            _parameter_constraints: ClassVar[dict] = {"a": Integer()}

            def __init__(self, a=1, b=2):
                self.a, self.b = a, b

    assert "test.broken" not in MODELS


def test_not_fitted_error_is_one_error_everywhere():
    assert issubclass(ns.NotFittedError, ValueError)
    assert issubclass(ns.NotFittedError, AttributeError)
    messages = set()
    for cls in (DendriticNeuron, ns.coding.DictionaryLearner):
        with pytest.raises(ns.NotFittedError) as info:
            cls().to_result()
        messages.add(str(info.value).replace(cls.__name__, "X"))
    assert len(messages) == 1


# ------------------------------------------------------------------ registry, reload


def test_families_are_found_without_a_table():
    assert {"coding", "dendrites"} <= set(families())
    models = import_families()
    assert {"coding.dictionary", "coding.codes", "dendrites.neuron"} <= set(models)


def test_model_from_result_reloads_a_saved_model(tmp_path):
    X = np.random.default_rng(0).standard_normal((80, 8))
    learner = ns.coding.DictionaryLearner(
        6, penalty="cel0", lam=0.1, batch_size=20, n_batches=4, seed=0
    ).fit(X)
    path = ns.save(learner.to_result(), tmp_path / "dictionary.nc")
    back = ns.model_from_result(path)
    assert isinstance(back, ns.coding.DictionaryLearner)
    np.testing.assert_array_equal(back.components_, learner.components_)
    np.testing.assert_array_equal(back.transform(X), learner.transform(X))
    with pytest.raises(ValueError, match="kind"):
        DendriticNeuron.from_result(path)


# ----------------------------------------------------------------------------- claims


def test_claims_rows_and_validation():
    rows = [
        claim_close("P at n=500", 7.37e-3, 7.3706e-3, rtol=0.01, source="paper, Fig 4A"),
        claim_close("P at n=300", 0.292, 0.35, rtol=0.01, source="paper"),
        claim_close("not run", 1.0, None, atol=0.1, source="paper"),
        claim_check("order", "CEL0 < l1", "CEL0 < l1", True, tolerance="same order", source="p"),
    ]
    assert [r.verdict for r in rows] == ["agrees", "differs", "not tested", "agrees"]
    ds = claims_dataset(rows)
    assert ds["published_value"].values[0] == 7.37e-3
    assert np.isnan(ds["published_value"].values[3])
    tree = new_result("test.demo", source="x", groups={"claims": ds})
    back = claims_table(tree)
    assert [(c.statement, c.verdict, c.published) for c in back] == [
        (c.statement, c.verdict, c.published) for c in rows
    ]
    with pytest.raises(ValueError, match="verdict"):
        Claim("s", "1", "1", "exact", "maybe", "src")
    bad = ds.copy()
    bad["verdict"] = ("claim", np.array(["agrees", "ok", "agrees", "agrees"]))
    with pytest.raises(ResultFormatError, match="'ok'"):
        new_result("test.demo", source="x", groups={"claims": bad})
    with pytest.raises(ResultFormatError, match="needs a 'claims' group"):
        new_result("test.demo", source="x", study="paper/fig", groups={})


def test_a_named_dimension_needs_a_described_coordinate():
    ds = xr.Dataset({"v": ("penalty", [1.0, 2.0], {"long_name": "v"})})
    with pytest.raises(ResultFormatError, match="'penalty'"):
        new_result("test.demo", source="x", groups={"metrics": ds})
    ds = ds.assign_coords(penalty=("penalty", ["l1", "l0"], {"long_name": "penalty"}))
    validate(new_result("test.demo", source="x", groups={"metrics": ds}))


# ---------------------------------------------------------------------- study contract


def _write_study(root):
    paper = root / "demo2020"
    paper.mkdir(parents=True)
    (paper / "fig1.py").write_text(
        '''"""A demo study."""
from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse.results import claim_close
from neurosparse.studies import params_of, study_main, study_result

PAPER = "Demo 2020"
FIGURE = "Fig 1"
TITLE = "demo"
STUDY_ID = "demo2020/fig1"


@dataclass(frozen=True)
class Params:
    n: int = 10
    scale: float = 1.0
    sizes: tuple[int, ...] = (1, 2)
    exact: bool = True


FULL = Params()
QUICK = Params(n=3)


def run(params, seed=0):
    values = np.arange(params.n) * params.scale
    metrics = xr.Dataset({"total": ((), float(values.sum()), {"long_name": "sum"})})
    claim = claim_close("sum", 45.0, float(values.sum()), rtol=0.0, atol=1e-9, source="demo")
    return study_result(params, seed, kind="demo.sum", groups={"metrics": metrics},
                        claims=[claim])


def plot(result):
    import matplotlib.pyplot as plt

    params = params_of(result)
    fig, ax = plt.subplots()
    ax.set_title(str(params.n))
    return fig


def main(out, *, quick=False, seed=0):
    return study_main(__name__, out, quick=quick, seed=seed)
'''
    )


def test_study_contract_overrides_and_modes(tmp_path, monkeypatch, capsys):
    from neurosparse.cli import main
    from neurosparse.studies import apply_overrides, get_study, parse_overrides

    _write_study(tmp_path / "studies")
    monkeypatch.setenv("NEUROSPARSE_STUDIES", str(tmp_path / "studies"))
    study = get_study("demo2020/fig1")
    full = study.run(tmp_path / "out", quick=False)
    assert full.attrs["mode"] == "full" and full.attrs["study"] == "demo2020/fig1"
    assert claims_table(full)[0].verdict == "agrees"
    quick = study.run(tmp_path / "out", quick=True)
    assert quick.attrs["mode"] == "quick" and claims_table(quick)[0].verdict == "differs"
    assert "quick settings: not the reproduction" in capsys.readouterr().out

    p = study.params(overrides=parse_overrides(["n=4", "scale=0.5", "sizes=3,4", "exact=false"]))
    assert (p.n, p.scale, p.sizes, p.exact) == (4, 0.5, (3, 4), False)
    for bad, match in (("n=4.5", "n must be an integer"), ("nn=1", "unknown setting 'nn'")):
        with pytest.raises(ValueError, match=match):
            study.params(overrides=parse_overrides([bad]))
    with pytest.raises(ValueError, match="name=value"):
        parse_overrides(["n"])
    assert apply_overrides(p, {}) == p

    assert main(["reproduce", "demo2020/fig1", "--out", str(tmp_path / "o2"), "--set", "n=10"]) == 0
    assert ns.load(tmp_path / "o2" / "demo2020" / "fig1.nc").attrs["mode"] == "full"
    assert main(["reproduce", "demo2020/fig1", "--out", str(tmp_path / "o3"), "--set", "m=1"]) == 2
    err = capsys.readouterr().err
    assert "unknown setting 'm'" in err and "settings: exact, n, scale, sizes" in err
    assert not (tmp_path / "o3" / "demo2020").exists()  # refused before anything ran


def test_study_without_the_contract_is_refused(tmp_path, monkeypatch):
    from neurosparse.studies import get_study

    paper = tmp_path / "old2019"
    paper.mkdir()
    (paper / "fig.py").write_text(
        '"""Old style."""\n\ndef main(out, *, quick=False, seed=0):\n    pass\n'
    )
    monkeypatch.setenv("NEUROSPARSE_STUDIES", str(tmp_path))
    with pytest.raises(AttributeError, match="lacks PAPER, FIGURE, TITLE, STUDY_ID, Params"):
        get_study("old2019/fig").load_module()
