"""Sweeps without a cluster: specs, their checks, seeds, the store's refusals, combining,
the CLI's dry run and one-line errors (issue: "Parameter sweeps on dask.distributed").

The runs on real dask clusters (worker faults, Ctrl-C, a separate scheduler) are in
``test_sweep_cluster.py``.
"""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from neurosparse.cli import main
from neurosparse.results import validate
from neurosparse.sweep import Store, SweepError, combine, load_spec, point_seed
from neurosparse.sweep.combine import extract, point_info
from neurosparse.sweep.runner import run_point

DRAWS = "neurosparse.sweep._targets:draws"


def _spec(tmp_path, **changes):
    spec = {"target": DRAWS, "store": str(tmp_path / "s.zarr"), "seeds": 2,
            "grid": {"x": [0.5, 1.0, 2.0], "y": [1, 2]}, "fixed": {"k": 3}}  # fmt: skip
    spec.update(changes)
    return spec


def _one_line(capsys, needle):
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert needle in lines[0], lines[0]
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


# ------------------------------------------------------------------------------ specs


def test_grid_forms_expand_and_give_one_canonical_hash(tmp_path):
    echo = "neurosparse.sweep._targets:echo"
    ranges = load_spec(
        _spec(
            tmp_path,
            target=echo,
            fixed={},
            grid={
                "lin": {"start": 0.0, "stop": 1.0, "num": 3},
                "log": {"start": 0.01, "stop": 1.0, "num": 3, "scale": "log"},
                "n": {"start": 300, "stop": 1100, "step": 400, "long_name": "cells"},
                "f": {"start": 0.5, "stop": 1.0, "step": 0.25},
                "k": {"start": 1, "stop": 10, "num": 3, "type": "int"},
            },
        )
    )
    values = {a.name: a.values for a in ranges.grid}
    assert values["lin"] == (0.0, 0.5, 1.0)
    np.testing.assert_allclose(values["log"], [0.01, 0.1, 1.0])
    assert values["n"] == (300, 700, 1100) and all(type(v) is int for v in values["n"])
    assert values["f"] == (0.5, 0.75, 1.0)
    assert values["k"] == (1, 6, 10)
    assert ranges.grid[2].long_name == "cells"
    listed = load_spec(
        _spec(tmp_path, target=echo, fixed={},
              grid={k: {"values": list(v)} for k, v in values.items()})
    )  # fmt: skip
    assert listed.spec_hash == ranges.spec_hash  # the same sweep however it is written
    toml = tmp_path / "s.toml"
    toml.write_text(
        f'target = "{DRAWS}"\nstore = "x.zarr"\nseeds = 2\n[fixed]\nk = 3\n'
        "[grid]\nx = [0.5, 1.0, 2.0]\ny = {start = 1, stop = 2, step = 1}\n"
    )
    assert load_spec(toml).spec_hash == load_spec(_spec(tmp_path)).spec_hash
    assert load_spec(_spec(tmp_path, seed=1)).spec_hash != ranges.spec_hash


def test_points_canonical_order_and_spawned_seeds(tmp_path):
    spec = load_spec(_spec(tmp_path, seed=7))
    assert spec.dims == ("x", "y", "seed") and spec.shape == (3, 2, 2)
    assert spec.canonical_shape == (2, 3, 2) and spec.n_points == 12
    points = list(spec.points())
    # seed replicate outermost, then the grid in the spec's order
    assert [(p.seed_label, p.params["x"], p.params["y"]) for p in points[:3]] == [
        (0, 0.5, 1), (0, 0.5, 2), (0, 1.0, 1),
    ]  # fmt: skip
    assert points[6].seed_label == 1 and points[6].params == {"x": 0.5, "y": 1}
    children = np.random.SeedSequence(7).spawn(spec.n_points)
    expected = [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
    assert [p.seed for p in points] == expected == [point_seed(7, i) for i in range(12)]
    assert len(set(expected)) == 12 and all(0 <= s < 2**63 for s in expected)
    assert spec.kwargs(points[0]) == {"k": 3, "x": 0.5, "y": 1}


def test_random_search_is_seeded_and_in_range(tmp_path):
    raw = _spec(
        tmp_path, grid={"y": [1, 2]}, samples=5, fixed={},
        random={"x": {"start": 0.1, "stop": 10.0, "scale": "log"},
                "k": {"start": 2, "stop": 4, "type": "int"}},
    )  # fmt: skip
    a, b = load_spec(raw), load_spec(raw)
    assert a.draws() == b.draws() and len(a.draws()) == 5
    assert all(0.1 <= d["x"] <= 10.0 and d["k"] in (2, 3, 4) for d in a.draws())
    assert a.dims == ("y", "draw", "seed") and a.n_points == 2 * 5 * 2
    assert load_spec({**raw, "seed": 1}).draws() != a.draws()
    assert a.point(3).params == {"y": 1, **a.draws()[3]}


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"target": "nope/fig"}, "unknown target 'nope/fig'"),
        ({"target": "no_such_module_xyz:f"}, "no module 'no_such_module_xyz'"),
        ({"target": "neurosparse.sweep._targets:nope"}, "has no 'nope'"),
        ({"grid": {"z": [1, 2]}}, "unknown parameter 'z'"),
        ({"fixed": {"kk": 1}}, "unknown parameter 'kk'"),
        ({"grid": {"x": []}}, "no values (an empty grid)"),
        ({"grid": {}, "seeds": 1}, "nothing to sweep"),
        ({"grid": {"x": [1.0, 1.0]}}, "given twice"),
        ({"grid": {"x": [1.0, "a"]}}, "of one kind"),
        ({"grid": {"x": [1.0], "seed": [1, 2]}}, "'seed' is set by the sweep"),
        ({"grid": {"x": {"start": 1, "stop": 2}}}, "exactly one of num and step"),
        ({"grid": {"x": {"start": 0, "stop": 1, "num": 3, "scale": "log"}}}, "start and stop > 0"),
        ({"grid": {"x": {"start": 1, "stop": 2, "num": 2, "bogus": 1}}}, "unknown key 'bogus'"),
        ({"fixed": {"x": 1.0}}, "given twice"),
        ({"store": "out/s.nc"}, "ending in .zarr"),
        ({"mode": "quick"}, "mode applies to a study target"),
        ({"samples": 3}, "[random] names no parameter"),
        ({"seeds": 0}, "seeds must be a positive count"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"grid": {"y": [1]}, "fixed": {}}, "missing a required argument: 'x'"),
        (
            {
                "target": "neurosparse.sweep._targets:thread_counts",
                "grid": {"x": [0.0, 1.0]},
                "fixed": {},
            },
            "takes no seed",
        ),
    ],
)
def test_bad_specs_are_refused_in_one_line(tmp_path, changes, needle):
    with pytest.raises(SweepError) as info:
        load_spec(_spec(tmp_path, **changes))
    message = str(info.value)
    assert needle in message and "\n" not in message


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ({"grid": {"nope": [1]}}, "unknown parameter 'nope' for study ahmad2016/fig5a"),
        ({"grid": {"s": [24, 3.5]}}, "must be an integer, got 3.5"),
        ({"grid": {"theta": ["twelve"]}}, "theta"),
        ({"mode": "fast", "grid": {"s": [24]}}, "mode must be 'quick' or 'full'"),
    ],
)
def test_study_parameters_and_values_checked_before_any_work(tmp_path, spec, needle):
    raw = {"target": "ahmad2016/fig5a", "mode": "quick", "store": str(tmp_path / "s.zarr"), **spec}
    with pytest.raises(SweepError) as info:
        load_spec(raw)
    assert needle in str(info.value)
    assert not (tmp_path / "s.zarr").exists()


def test_toml_syntax_error_names_the_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('target = "ahmad2016/fig5a"\nmode = quick\n')
    with pytest.raises(SweepError, match=r"bad.toml: invalid TOML: .*line 2"):
        load_spec(bad)
    assert main(["sweep", str(bad)]) == 2
    _one_line(capsys, "line 2")
    assert main(["sweep", str(tmp_path / "missing.toml")]) == 2
    _one_line(capsys, "no such spec file")


def test_example_specs_load_and_the_registry_ignores_them():
    from neurosparse.studies import find_studies, studies_dir

    specs = sorted((studies_dir() / "sweeps").glob("*.toml"))
    assert len(specs) >= 3
    targets = {load_spec(p).target.name for p in specs}
    assert {"ahmad2016/fig4a", "rentzeperis2023/receptive_fields"} <= targets
    assert "neurosparse.sweep.examples:false_match" in targets
    assert not any(i.startswith("sweeps/") for i in find_studies())


# ------------------------------------------------------------------------ the CLI


def test_dry_run_prints_points_and_writes_nothing(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    store = tmp_path / "out" / "s.zarr"
    spec.write_text(
        f'target = "{DRAWS}"\nstore = "{store}"\nseeds = 3\n[grid]\n'
        "x = {start = 1.0, stop = 4.0, num = 4}\n"
    )
    assert main(["sweep", str(spec), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "12 points, x (4) x seed (3)" in out and "new (nothing is written" in out
    assert "0: x=1.0, seed=0" in out and f"runs with seed {point_seed(0, 0)}" in out
    assert "... and 2 more" in out
    assert not (tmp_path / "out").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_refusals_are_one_line_and_write_nothing(tmp_path, capsys):
    spec_path = tmp_path / "s.toml"
    store = tmp_path / "s.zarr"
    spec_path.write_text(f'target = "{DRAWS}"\nstore = "{store}"\n[grid]\nx = [1.0, 2.0]\n')

    # an unreachable scheduler: a short timeout, nothing written
    port = _free_port()
    args = ["sweep", str(spec_path), "--scheduler", f"tcp://127.0.0.1:{port}", "--timeout", "1"]
    assert main(args) == 2
    _one_line(capsys, f"cannot reach the dask scheduler at 'tcp://127.0.0.1:{port}'")
    assert not store.exists()

    assert main(["sweep", str(spec_path), "--workers", "2", "--scheduler", "tcp://x:1"]) == 2
    _one_line(capsys, "--workers")
    assert main(["sweep", str(spec_path), "--workers", "0"]) == 2
    _one_line(capsys, "positive integer")

    # a folder that is not a sweep store
    other = tmp_path / "other.zarr"
    other.mkdir()
    (other / "x").write_text("x")
    assert main(["sweep", str(spec_path), "--store", str(other), "--resume"]) == 2
    _one_line(capsys, "is not a neurosparse sweep store")
    assert sorted(p.name for p in other.iterdir()) == ["x"]

    # a store of another sweep: refused, with or without --resume
    another = load_spec(_spec(tmp_path, store=str(store)))
    Store(store).create(another)
    for extra in ([], ["--resume"], ["--dry-run"]):
        assert main(["sweep", str(spec_path), *extra]) == 2
        _one_line(capsys, "holds another sweep")
    # this sweep's own store: --resume needed
    mine = tmp_path / "mine.zarr"
    Store(mine).create(load_spec(spec_path, store=mine))
    assert main(["sweep", str(spec_path), "--store", str(mine)]) == 2
    line = _one_line(capsys, "already holds this sweep (0 of 2 points finished)")
    assert "--resume" in line
    assert main(["sweep", str(spec_path), "--store", str(mine), "--dry-run", "--resume"]) == 0
    assert "holds this sweep: 0 of 2 points finished" in capsys.readouterr().out


# ----------------------------------------------------------------- points, combining


def _points(spec, indices=None):
    """Run points in this process (run_point, as a worker would) -> parts, info, trees."""
    parts, info, trees = {}, {}, {}
    for i in range(spec.n_points) if indices is None else indices:
        p = spec.point(i)
        out = run_point({"index": i, "seed": p.seed, "target": spec.target,
                         "mode": spec.mode, "kwargs": spec.kwargs(p)})  # fmt: skip
        if out["status"] == "ok":
            trees[i] = out["tree"]
            parts[i] = extract(out["tree"], spec.target.kind)
            info[i] = point_info(out["tree"], spec.target.kind)
        else:
            info[i] = {k: out[k] for k in ("status", "error", "worker", "run_seconds")}
    return parts, info, trees


def test_combine_lays_points_along_the_sweep_dims(tmp_path):
    from neurosparse.sweep._targets import draws

    spec = load_spec(_spec(tmp_path))
    parts, info, _ = _points(spec)
    tree = combine(spec, parts, info)
    validate(tree)
    m = tree["metrics"]
    assert m["value"].dims == ("x", "y", "seed", "sample")
    assert m["count"].dtype == np.int64 and m["positive"].dtype == bool
    for p in spec.points():
        direct = draws(k=3, seed=p.seed, **p.params)["metrics"]
        at = m.sel(x=p.params["x"], y=p.params["y"], seed=p.seed_label)
        np.testing.assert_array_equal(at["value"].values, direct["value"].values)
        assert at["total"].item() == direct["total"].item()
    prov = tree["params"]
    assert prov["point_seed"].sel(x=2.0, y=2, seed=1).item() == spec.point(11).seed
    assert (prov["status"].values == "ok").all()
    assert m["x"].attrs["long_name"] == "swept parameter x"
    attrs = tree.attrs
    assert attrs["kind"] == "sweep.testing.draws" and attrs["sweep_finished"] == 12
    assert json.loads(attrs["params"]) == spec.canonical()


def test_combine_failed_and_missing_points_and_ragged_dims(tmp_path):
    spec = load_spec(_spec(
        tmp_path, target="neurosparse.sweep._targets:fail_if", fixed={"bad": 2.0},
        grid={"x": [1.0, 2.0, 3.0]}, seeds=1,
    ))  # fmt: skip
    parts, info, _ = _points(spec, [0, 1])  # point 2 never ran
    assert info[1]["status"] == "failed" and "x = 2.0 is refused" in info[1]["error"]
    tree = validate(combine(spec, parts, info))
    prov = tree["params"]
    assert list(prov["status"].values.ravel()) == ["ok", "failed", "missing"]
    assert "ValueError: x = 2.0 is refused on purpose" in str(prov["error"].values[1, 0])
    m = tree["metrics"]
    assert np.isnan(m["total"].values[1:]).all() and not np.isnan(m["total"].values[0]).all()
    assert m["count"].dtype == np.float64 and m["positive"].dtype == np.float64
    assert tree.attrs["sweep_failed"] == 1 and tree.attrs["sweep_missing"] == 1
    nothing = validate(combine(spec, {}, {1: info[1]}))  # no point finished: still a result
    assert nothing.attrs["kind"] == "sweep.unfinished" and "metrics" not in nothing.children

    # inner dims whose length follows a swept parameter: the union, NaN beyond
    ragged = load_spec(_spec(tmp_path, grid={"k": [2, 4]}, fixed={"x": 1.0}, seeds=1))
    parts, info, _ = _points(ragged)
    m = validate(combine(ragged, parts, info))["metrics"]
    assert m["value"].shape == (2, 1, 4)
    assert np.isnan(m["value"].values[0, 0, 2:]).all()
    assert not np.isnan(m["value"].values[1]).any()


def test_study_points_combine_metrics_and_count_claims(tmp_path):
    spec = load_spec({"target": "ahmad2016/fig5a", "mode": "quick", "store": "x.zarr",
                      "grid": {"s": [20, 24], "n_step": [1600, 3200]}})  # fmt: skip
    parts, info, trees = _points(spec)
    assert trees[0].attrs["study"] == "ahmad2016/fig5a"
    tree = validate(combine(spec, parts, info))
    m = tree["metrics"]
    assert m["log10_p_false_match"].dims == ("s", "n_step", "seed", "a", "n")
    # the n grid follows n_step: the coarse grid's points are NaN between its values
    assert m.sizes["n"] > len(trees[1]["metrics"]["n"])
    assert np.isnan(m["log10_p_false_match"].sel(n_step=3200).values).any()
    assert set(tree["params"]["claims_agrees"].values.ravel()) <= set(range(8))
    assert "claims" not in tree.children and tree.attrs["sweep_mode"] == "quick"
