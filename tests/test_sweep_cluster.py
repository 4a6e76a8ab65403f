"""Sweeps on real dask clusters: the same bits on two workers (the reference), on one
worker of a scheduler started as a separate process, on a threaded cluster whose client
writes the points, and after a resume; a worker killed mid-sweep, a point that raises,
Ctrl-C; one thread per worker; the example specs.

One LocalCluster (two one-thread worker processes, as ``neurosparse sweep`` makes it) is
shared by the tests of this module to keep them quick.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest

from neurosparse.cli import main
from neurosparse.results import load, validate
from neurosparse.sweep import load as load_sweep
from neurosparse.sweep import load_spec, run
from neurosparse.sweep._targets import draws
from neurosparse.sweep.runner import _local_cluster

TARGETS = "neurosparse.sweep._targets"


@pytest.fixture(scope="module")
def client():
    cluster, client = _local_cluster(2, retries=2)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def reference(client, tmp_path_factory):
    """The reference sweep, on the shared two-worker LocalCluster: (store, bits)."""
    store = tmp_path_factory.mktemp("reference") / "ref.zarr"
    result = run(_draws_spec(store), client=client, progress=False)
    assert set(result["params"]["worker"].values.ravel()) == set(client.nthreads())  # both
    bits = _bits(store)
    assert len([k for k in bits if k.endswith(":seed")]) == 8
    return store, bits


def _draws_spec(store, **changes):
    spec = {"target": f"{TARGETS}:draws", "store": str(store), "seeds": 2, "seed": 11,
            "grid": {"x": [0.5, 2.0], "y": [1, 2]}, "fixed": {"k": 3}}  # fmt: skip
    spec.update(changes)
    return spec


def _bits(store: Path) -> dict:
    """Every number of every point and of the combined result, as bytes (provenance that
    names the worker or the time taken left out)."""

    def as_bytes(values):
        arr = np.asarray(values)
        if arr.dtype.kind in "OU":
            arr = arr.astype(str)
        return arr.dtype.str, arr.shape, np.ascontiguousarray(arr).tobytes()

    out = {}
    for path in sorted((store / "points").glob("[0-9]*.zarr")):
        tree = load(path)
        out[f"{path.name}:seed"] = tree.attrs["sweep_point_seed"]
        for node in tree.subtree:
            for name, var in node.dataset.variables.items():
                out[f"{path.name}{node.path}/{name}"] = as_bytes(var.values)
    result = load(store / "result.zarr")
    for node in result.subtree:
        for name, var in node.dataset.variables.items():
            if name not in ("run_seconds", "worker"):
                out[f"result{node.path}/{name}"] = as_bytes(var.values)
    return out


def _expected_total(spec, index):
    p = spec.point(index)
    return draws(seed=p.seed, **spec.kwargs(p))["metrics"]["total"].item()


# ---------------------------------------------------------------------- determinism


def test_same_bits_after_a_resume(tmp_path, client, reference):
    ref, bits = reference
    two = tmp_path / "two.zarr"
    shutil.copytree(ref, two)
    # a resume after losing half of the points (and the result) gives the same bits
    for path in sorted((two / "points").glob("[0-9]*.zarr"))[::2]:
        shutil.rmtree(path)
    shutil.rmtree(two / "result.zarr")
    (two / "points" / ".ns-tmp-leftover-0000001.zarr").mkdir()  # a crash's leftover
    r3 = run(_draws_spec(two), client=client, resume=True, progress=False)
    assert _bits(two) == bits
    assert not list((two / "points").glob(".ns-*"))
    assert r3.attrs["sweep_finished"] == 8 and validate(r3) is r3
    spec = load_spec(_draws_spec(two))
    got = r3["metrics"]["total"].sel(x=2.0, y=1, seed=1).item()
    assert got == _expected_total(spec, 6)  # bit-identical to calling the target directly
    assert load_sweep(two, recombine=True)["metrics"].identical(r3["metrics"])


def test_one_worker_on_a_separate_scheduler_gives_the_same_bits(tmp_path, reference):
    """``dask scheduler`` and ``dask worker`` (one process) started apart, on loopback."""
    dask = Path(sys.executable).with_name("dask")
    scheduler_file = tmp_path / "scheduler.json"
    procs = []
    try:
        procs.append(subprocess.Popen(
            [str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(scheduler_file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        ))  # fmt: skip
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(subprocess.Popen(
            [str(dask), "worker", address, "--nthreads", "1", "--nworkers", "1",
             "--no-dashboard", "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        ))  # fmt: skip
        spec = tmp_path / "s.toml"
        remote = tmp_path / "remote.zarr"
        spec.write_text(
            f'target = "{TARGETS}:draws"\nstore = "{remote}"\nseed = 11\nseeds = 2\n'
            "[fixed]\nk = 3\n[grid]\nx = [0.5, 2.0]\ny = [1, 2]\n"
        )
        assert main(["sweep", str(spec), "--scheduler", address]) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
    assert _bits(remote) == reference[1]
    assert len(set(load(remote / "result.zarr")["params"]["worker"].values.ravel())) == 1


@pytest.mark.filterwarnings("ignore:Port .* is already in use")
def test_the_client_writes_points_when_workers_cannot_see_the_store(
    tmp_path, reference, monkeypatch
):
    """Workers on other machines without the store's disk hand their trees back."""
    from distributed import Client

    import neurosparse.sweep.runner as runner

    monkeypatch.setattr(runner, "_store_visible", lambda path, store_id: False)
    seen = []
    write = runner.Store.write_point_once
    monkeypatch.setattr(runner.Store, "write_point_once",
                        lambda self, i, tree: seen.append(i) or write(self, i, tree))  # fmt: skip
    with Client(processes=False, n_workers=1, threads_per_worker=2,
                dashboard_address=None) as threaded:  # fmt: skip
        run(_draws_spec(tmp_path / "client.zarr"), client=threaded, progress=False)
    assert sorted(seen) == list(range(8))  # every point written here, by the client
    assert _bits(tmp_path / "client.zarr") == reference[1]


# --------------------------------------------------------------------------- faults


def test_a_killed_worker_loses_no_point_and_duplicates_none(tmp_path, client):
    markers = tmp_path / "markers"
    markers.mkdir()
    xs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    for x in xs:
        if x not in (2.0, 5.0):  # these two points kill their worker the first time
            (markers / f"killed-{x!r}").write_text("not killed")
    spec = {"target": f"{TARGETS}:kill_once", "store": str(tmp_path / "k.zarr"),
            "grid": {"x": xs}, "fixed": {"marker_dir": str(markers)}}  # fmt: skip
    result = run(spec, client=client, progress=False)
    assert (result["params"]["status"].values == "ok").all()
    for x in (2.0, 5.0):
        pid = int((markers / f"killed-{x!r}").read_text())
        with pytest.raises(ProcessLookupError):  # that worker process really died
            os.kill(pid, 0)
    assert len(list((tmp_path / "k.zarr" / "points").glob("[0-9]*.zarr"))) == len(xs)
    assert not list((tmp_path / "k.zarr" / "failed").glob("[0-9]*.zarr"))
    checked = load_spec(spec)
    for i in range(checked.n_points):
        p = checked.point(i)
        expected = draws(p.params["x"], seed=p.seed)["metrics"]["total"].item()
        assert result["metrics"]["total"].sel(x=p.params["x"], seed=0).item() == expected


def test_a_failing_point_is_recorded_the_others_finish_exit_1(tmp_path, client, capsys):
    spec = tmp_path / "f.toml"
    store = tmp_path / "f.zarr"
    spec.write_text(
        f'target = "{TARGETS}:fail_if"\nstore = "{store}"\n[fixed]\nbad = 2.0\n'
        "[grid]\nx = [1.0, 2.0, 3.0]\n"
    )
    address = client.scheduler.address
    assert main(["sweep", str(spec), "--scheduler", address]) == 1
    captured = capsys.readouterr()
    assert "3 points (3 run now, 0 resumed), 1 failed" in captured.out
    assert "point 1 (x=2.0, seed=0): ValueError: x = 2.0 is refused on purpose" in captured.err
    result = load(store / "result.zarr")
    assert list(result["params"]["status"].values.ravel()) == ["ok", "failed", "ok"]
    assert sorted(p.name for p in (store / "failed").glob("[0-9]*.zarr")) == ["0000001.zarr"]
    # --resume runs only the unfinished point (which fails again)
    assert main(["sweep", str(spec), "--scheduler", address, "--resume"]) == 1
    assert "3 points (1 run now, 2 resumed), 1 failed" in capsys.readouterr().out
    with pytest.warns(RuntimeWarning, match=r"1 of 3 points failed; point 1 \(x=2.0"):
        run(spec, client=client, resume=True, progress=False)


def test_ctrl_c_keeps_finished_points_and_the_sweep_resumes(tmp_path, client):
    spec_path = tmp_path / "slow.toml"
    store = tmp_path / "slow.zarr"
    spec_path.write_text(
        f'target = "{TARGETS}:draws"\nstore = "{store}"\n[fixed]\nsleep = 0.4\n'
        "[grid]\nx = {start = 1.0, stop = 10.0, num = 10}\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "neurosparse", "sweep", str(spec_path), "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list((store / "points").glob("[0-9]*.zarr"))) >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "--resume" in err and "Traceback" not in err
    kept = sorted((store / "points").glob("[0-9]*.zarr"))
    assert 2 <= len(kept) < 10
    stamps = {p.name: (p / "zarr.json").stat().st_mtime_ns for p in kept}
    for p in kept:
        load(p)  # whole, with its checksums
    result = run(spec_path, client=client, resume=True, progress=False)
    assert (result["params"]["status"].values == "ok").all()
    assert {p.name: (p / "zarr.json").stat().st_mtime_ns for p in kept} == stamps  # not re-run
    spec = load_spec(spec_path)
    totals = result["metrics"]["total"].values[:, 0]
    assert [float(t) for t in totals] == [_expected_total(spec, i) for i in range(10)]


# ---------------------------------------------------------------- workers, examples


def test_workers_run_points_on_one_thread(tmp_path, client):
    spec = {"target": f"{TARGETS}:thread_counts", "store": str(tmp_path / "t.zarr"),
            "grid": {"x": [0.0]}}  # fmt: skip
    m = run(spec, client=client, progress=False)["metrics"]
    assert (m["numba_configured"].values == 1).all()  # NUMBA_NUM_THREADS set before import
    assert (m["numba_threads"].values == 1).all()
    has_torch = importlib.util.find_spec("torch") is not None
    assert (m["torch_threads"].values == (1 if has_torch else -1)).all()


def _example(name: str, store: Path, **changes) -> dict:
    from neurosparse.studies import studies_dir

    raw = tomllib.loads((studies_dir() / "sweeps" / name).read_text())
    raw["store"] = str(store)
    for key, value in changes.items():
        if isinstance(value, dict):
            raw.setdefault(key, {}).update(value)
        else:
            raw[key] = value
    return raw


def test_the_example_specs_run(tmp_path, client):
    dendrites = _example("dendrites_false_match.toml", tmp_path / "d.zarr",
                         grid={"n": [300, 800], "theta": [12], "s": [24]},
                         fixed={"trials": 20_000})  # fmt: skip
    result = run(dendrites, client=client, progress=False)
    m = result["metrics"]
    assert m["p_theory"].dims == ("n", "theta", "s", "seed")
    # Eq. 4 at (n=300, a=128, s=24, theta=12): 0.292 (Ahmad & Hawkins 2016, with Fig 4A)
    assert m["p_theory"].sel(n=300).item() == pytest.approx(0.292, rel=0.01)
    assert bool(m["theory_inside_ci"].sel(n=300).item())

    coding = _example("coding_penalty_lambda.toml", tmp_path / "c.zarr",
                      grid={"penalty": ["l1", "cel0"], "lam": [0.1]},
                      fixed={"batches": 4, "atoms": 4})  # fmt: skip
    m = run(coding, client=client, progress=False)["metrics"]
    assert m["final_mse"].dims == ("penalty", "lam", "seed")
    assert list(m["penalty"].values) == ["l1", "cel0"]
    assert np.isfinite(m["final_mse"].values).all()

    fig4a = _example("ahmad2016_fig4a_trials_seeds.toml", tmp_path / "a.zarr",
                     grid={"trials": [1000, 10_000]}, seeds=2)  # fmt: skip
    result = run(fig4a, client=client, progress=False)
    assert result["metrics"]["p_simulated"].dims == ("trials", "seed", "a", "n")
    assert (result["params"]["status"].values == "ok").all()
    assert result["params"]["claims_agrees"].dims == ("trials", "seed")
    seeds = result["params"]["point_seed"].values
    assert len(np.unique(seeds)) == 4
