"""The `neurosparse` command: list, reproduce, info, and one-line user errors (exit 2)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from neurosparse.cli import main
from neurosparse.results import load


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "neurosparse", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "ahmad2016/fig5a" in out and "Ahmad & Hawkins 2016" in out and "Fig 5A" in out


def test_reproduce_and_info(tmp_path, capsys):
    assert main(["reproduce", "ahmad2016/fig5a", "--quick", "--out", str(tmp_path)]) == 0
    for ext in ("nc", "png", "svg"):
        assert (tmp_path / "ahmad2016" / f"fig5a.{ext}").stat().st_size > 0
    tree = load(tmp_path / "ahmad2016" / "fig5a.nc")
    assert tree.attrs["study"] == "ahmad2016/fig5a"
    capsys.readouterr()
    assert main(["info", str(tmp_path / "ahmad2016" / "fig5a.nc")]) == 0
    out = capsys.readouterr().out
    assert "kind:      dendrites.false_match" in out
    assert "valid:     yes" in out and "/reference" in out and "created_at" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["reproduce", "nope/fig"], "unknown study 'nope/fig'"),
        (["reproduce"], "give one or more study ids, or --all"),
        (["reproduce", "--all", "ahmad2016/fig5a"], "not both"),
        (["reproduce", "--all", "--seed", "-3"], "--seed"),
        (["reproduce", "--all", "--bogus"], "unrecognized arguments"),
        (["info", "/does/not/exist.nc"], "no such file"),
        (["info", "file.txt"], "'.nc'"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_user_errors_one_line_exit_2(capsys, args, needle):
    assert main(args) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert needle in lines[0]
    assert "Traceback" not in captured.err + captured.out


def test_info_on_garbage_and_out_is_a_file(tmp_path, capsys):
    garbage = tmp_path / "g.nc"
    garbage.write_bytes(b"\x89HDF garbage")
    assert main(["info", str(garbage)]) == 2
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["reproduce", "ahmad2016/fig5a", "--out", str(afile)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "g.nc" in err[0] and "not a folder" in err[1]


def test_unwritable_out_is_refused_before_any_study_runs(tmp_path, monkeypatch, capsys):
    """A full run must not be computed and then lost for want of an output folder."""
    from neurosparse.studies import Study

    def must_not_run(*args, **kwargs):
        raise AssertionError("a study ran although --out cannot be written")

    monkeypatch.setattr(Study, "run", must_not_run)
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["reproduce", "ahmad2016/fig5a", "--out", str(afile / "sub")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write to --out" in err[0] and "afile" in err[0]


_GOOD = """\"\"\"A good study.\"\"\"
from dataclasses import dataclass

import xarray as xr

from neurosparse.results import claim_check
from neurosparse.studies import study_main, study_result

PAPER = "Nobody 2000"
FIGURE = "Fig 2"
TITLE = "good"
STUDY_ID = "demo/good"


@dataclass(frozen=True)
class Params:
    n: int = 1


QUICK = FULL = Params()


def run(params, seed=0):
    claim = claim_check("it runs", "yes", "yes", True, tolerance="exact", source="none")
    metrics = xr.Dataset({"n": ((), params.n, {"long_name": "n"})})
    return study_result(params, seed, kind="demo.good", groups={"metrics": metrics},
                        claims=[claim])


def plot(result):
    import matplotlib.pyplot as plt

    return plt.figure()


def main(out, *, quick=False, seed=0):
    return study_main(__name__, out, quick=quick, seed=seed)
"""


def test_failing_study_reported_others_kept(tmp_path, monkeypatch, capsys):
    studies = tmp_path / "studies" / "demo"
    studies.mkdir(parents=True)
    (studies / "broken.py").write_text(
        _GOOD.replace("demo/good", "demo/broken").replace(
            "def run(params, seed=0):\n",
            "def run(params, seed=0):\n    raise RuntimeError('boom')\n",
        )
    )
    (studies / "good.py").write_text(_GOOD)
    (studies / "old.py").write_text(
        'PAPER = "Old"\ndef main(out, *, quick=False, seed=0):\n    pass\n'
    )
    monkeypatch.setenv("NEUROSPARSE_STUDIES", str(tmp_path / "studies"))
    assert main(["reproduce", "--all", "--out", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert "FAILED demo/broken: RuntimeError: boom" in captured.err
    assert "FAILED demo/old: AttributeError" in captured.err
    assert "does not follow the study contract" in captured.err
    assert load(tmp_path / "out" / "demo" / "good.nc").attrs["mode"] == "full"
    assert "demo/good: claims 1 agree" in captured.out


def test_console_entry_point_subprocess(tmp_path):
    proc = run_cli("reproduce", "missing/study")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    proc = run_cli("list")
    assert proc.returncode == 0 and "ahmad2016/fig5a" in proc.stdout


def test_load_helper_imports_sibling_once(tmp_path):
    from neurosparse.studies import load_helper

    paper = tmp_path / "paperx"
    paper.mkdir()
    (paper / "_shared.py").write_text("COUNT = [0]\nCOUNT[0] += 1\n")
    first = load_helper(paper / "fig1.py", "_shared")
    again = load_helper(paper / "fig2.py", "_shared")
    assert first is again and first.COUNT == [1]
