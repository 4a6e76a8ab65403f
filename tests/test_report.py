"""`neurosparse report` (neurosparse/report.py) and `neurosparse reproduce --data`.

The report is built here from small results the tests write (a few claims, a tiny PNG),
so these tests take about a second; the browser check is in test_report_browser.py.
The `--data` tests run two studies in quick mode on tiny data files written here.
"""

from __future__ import annotations

import base64
import datetime
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neurosparse.cli import main
from neurosparse.report import (
    OTHER,
    ReportError,
    figures_dir,
    read_results,
    render_markdown,
    write_report,
)
from neurosparse.results import claim_check, claim_close, claims_dataset, load, new_result, save

CREATED = "2020-01-02T03:04:05+00:00"


def _png(path: Path, colour=(200, 30, 30)) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (40, 24), "white")
    ImageDraw.Draw(image).rectangle((4, 4, 30, 18), fill=colour)
    image.save(path)
    return path.read_bytes()


def _study_result(study: str, claims, *, mode="full", source=None, run_seconds=12.5):
    tree = new_result(
        "demo.thing",
        params={"n": 3},
        seed=7,
        source=source or f"{study.split('/')[0]} paper",
        groups={
            "metrics": xr.Dataset({"x": ((), 1.0, {"long_name": "x"})}),
            "claims": claims_dataset(claims),
        },
        study=study,
    )
    tree.attrs.update(
        created_at=CREATED, mode=mode, run_seconds=run_seconds, machine="test machine, 2 cores"
    )
    return tree


def _claims():
    return [
        claim_close("a number | with a pipe", 1.0, 1.004, source="Fig 1", rtol=0.01),
        claim_close("another number <b>", 2.0, 3.0, source="Fig 1", rtol=0.01),
        claim_check("an ordering", "a < b", "not run", None, tolerance="strict", source="text"),
    ]


def make_results(root: Path) -> Path:
    """Two papers (one with a quick run), and a result no study made (no claims)."""
    (root / "zeta2021").mkdir(parents=True)
    (root / "alpha2019").mkdir()
    with_data = _study_result("zeta2021/fig2", _claims()[:1])
    with_data.attrs["data"] = "the user's copy of the full data set"
    save(with_data, root / "zeta2021" / "fig2.nc")
    _png(root / "zeta2021" / "fig2.png")
    save(_study_result("zeta2021/fig1", _claims(), mode="quick"), root / "zeta2021" / "fig1.nc")
    _png(root / "zeta2021" / "fig1.png", (30, 30, 200))
    save(
        _study_result("alpha2019/table1", _claims()[1:], run_seconds=4000.0),
        root / "alpha2019" / "table1.zarr",
    )
    _png(root / "alpha2019" / "table1.png", (30, 160, 30))
    other = new_result("demo.other", params={}, seed=0, source="nobody")
    other.attrs["created_at"] = CREATED
    save(other, root / "misc.nc")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return make_results(tmp_path_factory.mktemp("built") / "results")


@pytest.fixture
def results(built, tmp_path) -> Path:
    """A copy of the results, free to change."""
    return Path(shutil.copytree(built, tmp_path / "results"))


# ----------------------------------------------------------------------------- reading


def test_read_results_sorted_and_counted(results):
    report = read_results(results)
    assert [p.id for p in report.papers] == ["alpha2019", "zeta2021", OTHER]
    zeta = report.papers[1]
    assert [e.study for e in zeta.entries] == ["zeta2021/fig1", "zeta2021/fig2"]
    assert [e.mode for e in zeta.entries] == ["quick", "full"]
    assert dict(zeta.counts) == {"agrees": 2, "differs": 1, "not tested": 1}
    assert dict(report.counts) == {"agrees": 2, "differs": 2, "not tested": 2}
    alpha = report.papers[0].entries[0]
    assert alpha.name == "alpha2019/table1.zarr" and alpha.figure.name == "table1.png"
    other = report.papers[2].entries[0]
    assert other.claims == () and other.figure is None and other.study == ""
    assert report.skipped == ()


def test_pages_show_claims_figures_provenance(results, tmp_path):
    out = tmp_path / "out"
    written = write_report(results, out)
    assert [p.name for p in written] == [
        "index.html", "REPORT.md", "alpha2019.html", "zeta2021.html", "other.html",
    ]  # fmt: skip
    index = (out / "index.html").read_text()
    # the scoreboard: papers in order, counts, the quick run flagged
    assert index.index("alpha2019") < index.index("zeta2021") < index.index(">other<")
    assert 'class="badge quick"' in index and "1 full, 1 quick" in index
    assert "1 of these results is a QUICK run" in index
    assert "Total (3 papers)" in index
    zeta = (out / "zeta2021.html").read_text()
    # the figure, embedded
    png = base64.b64encode((results / "zeta2021" / "fig1.png").read_bytes()).decode()
    assert f'src="data:image/png;base64,{png}"' in zeta and 'width="40" height="24"' in zeta
    # the claims, escaped, verdicts coloured by class
    assert "a number | with a pipe" in zeta and "another number &lt;b&gt;" in zeta
    assert zeta.count('<tr class="agrees">') == 2 and zeta.count('<tr class="differs">') == 1
    assert zeta.count('<tr class="not-tested">') == 1
    # provenance
    for text in (CREATED, "test machine, 2 cores", "12.5 s", "<dd>7</dd>", "zeta2021/fig1.nc"):
        assert text in zeta, text
    assert "QUICK run (seconds-long settings: not the reproduction)" in zeta
    assert "<dt>data</dt><dd>the user&#x27;s copy of the full data set</dd>" in zeta
    assert "4000 s (1.1 h)" in (out / "alpha2019.html").read_text()
    assert "no claims" in (out / "other.html").read_text()
    # self-contained: no external resources, no script
    for page in out.glob("*.html"):
        text = page.read_text()
        assert "<script" not in text and "http://" not in text and "https://" not in text


def test_markdown_links_pngs_relatively(results, tmp_path):
    out = tmp_path / "out"
    write_report(results, out)
    md = (out / "REPORT.md").read_text()
    assert "![Figure of zeta2021/fig1](../results/zeta2021/fig1.png)" in md
    assert "| a number \\| with a pipe<br><sub>Fig 1</sub> | 1 | 1.004 |" in md
    assert "another number &lt;b&gt;" in md and "❌ differs" in md and "➖ not tested" in md
    assert "⚠️ **QUICK run** (not the reproduction)" in md
    assert '<a name="zeta2021-fig1"></a>' in md and "[zeta2021](#zeta2021)" in md
    assert "| **Total** | **4** | **2** | **2** | **2** |" in md
    # written into the results' own folder (figures/), the links are plain relative paths
    assert "](zeta2021/fig1.png)" in render_markdown(read_results(results), results)


def test_deterministic(results, tmp_path):
    """The same results give the same bytes: no time of the report run in the pages."""
    first, second = tmp_path / "a" / "out", tmp_path / "b" / "out"
    write_report(results, first)
    os.utime(results / "zeta2021" / "fig1.nc")  # a newer file time changes nothing
    write_report(read_results([results]), second)
    for name in ("index.html", "REPORT.md", "zeta2021.html", "alpha2019.html", "other.html"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    today = datetime.date.today().isoformat()
    assert today not in (first / "index.html").read_text()


def test_several_folders_named_apart(results, tmp_path):
    again = Path(shutil.copytree(results, tmp_path / "again"))
    report = read_results([results, again])
    zeta = report.papers[1]
    assert [e.name for e in zeta.entries] == [
        "again/zeta2021/fig1.nc", "results/zeta2021/fig1.nc",
        "again/zeta2021/fig2.nc", "results/zeta2021/fig2.nc",
    ]  # fmt: skip
    assert zeta.idents()[0] == "zeta2021/fig1 (again/zeta2021/fig1.nc)"
    assert len(set(zeta.anchors().values())) == 4


def test_sweep_store_gives_its_combined_result(tmp_path):
    tree = new_result("sweep.demo", params={}, seed=0, source="nobody")
    save(tree, tmp_path / "sweeps" / "demo.zarr" / "result.zarr")
    save(tree, tmp_path / "sweeps" / "demo.zarr" / "points" / "0000000.zarr")
    report = read_results(tmp_path)
    assert [e.name for e in report.entries] == ["sweeps/demo.zarr/result.zarr"]
    assert report.skipped == ()


def test_stale_pages_removed_foreign_kept(results, tmp_path):
    out = tmp_path / "out"
    write_report(results, out)
    (out / "mine.html").write_text("<html>not the report's</html>")
    for path in (results / "zeta2021").glob("*"):
        path.unlink()
    (results / "zeta2021").rmdir()
    write_report(results, out)
    assert not (out / "zeta2021.html").exists()
    assert (out / "mine.html").exists() and (out / "alpha2019.html").exists()


def test_figures_dir_finds_the_checkout(monkeypatch, tmp_path):
    monkeypatch.delenv("NEUROSPARSE_FIGURES", raising=False)
    found = figures_dir()
    checkout = Path(__file__).resolve().parents[1] / "figures"
    assert found == (checkout if checkout.is_dir() else None)
    monkeypatch.setenv("NEUROSPARSE_FIGURES", str(tmp_path))
    assert figures_dir() == tmp_path
    monkeypatch.setenv("NEUROSPARSE_FIGURES", str(tmp_path / "missing"))
    assert figures_dir() is None
    with pytest.raises(ReportError, match="no figures folder found"):
        read_results()


# --------------------------------------------------------------------------------- CLI


def _one_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


def test_cli_report(results, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", str(results), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "3 papers, 4 results (claims: 2 agree, 2 differ, 2 not tested)" in captured.out
    assert (out / "index.html").is_file() and (out / "REPORT.md").is_file()


def test_cli_default_folder_missing(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("NEUROSPARSE_FIGURES", str(tmp_path / "missing"))
    monkeypatch.chdir(tmp_path)
    assert main(["report"]) == 2
    assert "no figures folder found" in _one_line(capsys)
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize("case", ["empty", "missing"])
def test_cli_no_results_one_line_nothing_written(tmp_path, capsys, case):
    folder = tmp_path / "empty"
    if case == "empty":
        folder.mkdir()
        (folder / "notes.txt").write_text("no results here")
    out = tmp_path / "out"
    assert main(["report", str(folder), "--out", str(out)]) == 2
    line = _one_line(capsys)
    assert ("no result files" if case == "empty" else "no such folder") in line
    assert not out.exists()


def test_cli_unwritable_out(results, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for out in (afile, afile / "sub"):
        assert main(["report", str(results), "--out", str(out)]) == 2
        line = _one_line(capsys)
        assert "afile" in line and ("not a folder" in line or "cannot write" in line)
    assert afile.read_text() == "x"


def test_cli_corrupt_file_skipped_rest_reported(results, tmp_path, capsys):
    (results / "zeta2021" / "broken.nc").write_bytes(b"\x89HDF\r\n\x1a\n garbage")
    out = tmp_path / "out"
    assert main(["report", str(results), "--out", str(out)]) == 0
    line = _one_line(capsys)
    assert line.startswith("neurosparse report: skipped ") and "broken.nc" in line
    index = (out / "index.html").read_text()
    assert "Skipped files" in index and "zeta2021/broken.nc" in index
    assert "zeta2021/fig1" in index  # the rest is reported


def test_cli_every_file_corrupt(tmp_path, capsys):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "a.nc").write_bytes(b"nope")
    (folder / "b.nc").write_bytes(b"nope either")
    out = tmp_path / "out"
    assert main(["report", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert [line.split(": ")[1].split()[0] for line in err[:2]] == ["skipped", "skipped"]
    assert "nothing to report" in err[2] and len(err) == 3
    assert not out.exists()


def test_study_result_without_claims_listed(tmp_path, capsys):
    """A study's result that lost its claims does not validate, yet is reported."""
    tree = _study_result("beta2000/fig1", _claims())
    del tree["claims"]
    (tmp_path / "res" / "beta2000").mkdir(parents=True)
    save(tree, tmp_path / "res" / "beta2000" / "fig1.nc", check=False)
    assert main(["report", str(tmp_path / "res"), "--out", str(tmp_path / "out")]) == 0
    page = (tmp_path / "out" / "beta2000.html").read_text()
    assert "no claims" in page and "does not follow the result format" in page
    assert "no figure" in page


# ---------------------------------------------------------------------- reproduce --data


def _write_idx(path: Path, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array, dtype=np.uint8)
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(bytes([0, 0, 0x08, array.ndim]) + dims + array.tobytes())


def test_data_studies_registered():
    from neurosparse.studies import find_studies

    takers = sorted(i for i, s in find_studies().items() if s.takes_data)
    assert "iyer2022/permuted_mnist" in takers and "rentzeperis2023/fig2" in takers
    assert {"rentzeperis2023/fig3", "rentzeperis2023/fig4"} <= set(takers)
    assert "rentzeperis2023/receptive_fields" in takers and "ahmad2016/fig5a" not in takers


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["ahmad2016/fig5a", "--data", "."], "takes no --data"),
        (["--all", "--data", "."], "--data is for the studies whose paper used a full data"),
        (["iyer2022/permuted_mnist", "--data", "/does/not/exist"], "no such file or folder"),
        (["iyer2022/permuted_mnist", "--data", ".", "--set", "data=x"], "not both"),
    ],
)
def test_data_refused_one_line(tmp_path, capsys, args, needle):
    assert main(["reproduce", *args, "--quick", "--out", str(tmp_path / "o")]) == 2
    line = _one_line(capsys)
    assert needle in line
    if "takes no --data" in needle:
        assert "iyer2022/permuted_mnist" in line and "rentzeperis2023/fig2" in line
    assert not (tmp_path / "o").exists()


def test_data_full_mnist(tmp_path, capsys):
    """Tiny IDX files stand in for full MNIST: training digits from its train split,
    test digits from t10k, and the result says so."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for split, per_class in (("train", 6), ("t10k", 2)):
        labels = np.repeat(np.arange(10), per_class)
        images = rng.integers(0, 256, (labels.size, 28, 28))
        _write_idx(folder / f"{split}-images-idx3-ubyte", images)
        _write_idx(folder / f"{split}-labels-idx1-ubyte", labels)
    out = tmp_path / "out"
    code = main([
        "reproduce", "iyer2022/permuted_mnist", "--quick", "--out", str(out), "--data",
        str(folder), "--set", "train_per_class=6", "--set", "test_per_class=2",
        "--set", "n_seeds=1", "--set", "hidden_sizes=16,16",
    ])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    tree = load(out / "iyer2022" / "permuted_mnist.nc")
    assert tree.attrs["mode"] == "custom"
    assert '"data": "' + str(folder.resolve()) in tree.attrs["params"]
    assert tree.attrs["data"].startswith(f"full MNIST from {folder.resolve()}: 60 training")
    assert "user's full MNIST" in str(tree["claims"]["tolerance"].values[0])
    # too few digits of a class: refused by the study, naming the split
    from neurosparse.studies import get_study

    module = get_study("iyer2022/permuted_mnist").load_module()
    params = get_study("iyer2022/permuted_mnist").params(
        quick=True, overrides={"data": str(folder), "train_per_class": 6, "test_per_class": 5}
    )
    with pytest.raises(ValueError, match="test split .* 2 digits of class 0"):
        module.run(params)


def test_data_natural_images(tmp_path, capsys):
    """A tiny Olshausen IMAGES.mat and van Hateren .imc files for the Rentzeperis studies."""
    import scipy.io

    from neurosparse.datasets import DataError
    from neurosparse.studies import get_study

    rng = np.random.default_rng(1)
    mat = tmp_path / "IMAGES.mat"
    scipy.io.savemat(mat, {"IMAGES": rng.standard_normal((48, 40, 2))})
    out = tmp_path / "out"
    code = main([
        "reproduce", "rentzeperis2023/receptive_fields", "--quick", "--out", str(out),
        "--data", str(mat), "--set", "batches=5",
    ])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    tree = load(out / "rentzeperis2023" / "receptive_fields.nc")
    expected = f"2 whitened images (IMAGES) from {mat.resolve()}, scaled (whitened already)"
    assert tree.attrs["data"] == expected
    assert tree.attrs["mode"] == "custom"

    common = get_study("rentzeperis2023/fig2").load_module()._common()
    folder = tmp_path / "vanhateren"
    folder.mkdir()
    for i in range(2):
        rng.integers(0, 4000, (1024, 1536)).astype(">u2").tofile(folder / f"imk0000{i}.imc")
    images, whitened, text = common.read_user_images(str(folder))
    assert len(images) == 2 and images[0].shape == (1024, 1536) and not whitened
    assert text == f"2 van Hateren images from {folder}"
    patches = common.patch_sets(30, 5, 5, 6, 0, data=str(folder / "imk00001.imc"))
    assert [p.shape for p in patches] == [(30, 36), (5, 36), (5, 36)]
    again = common.patch_sets(30, 5, 5, 6, 0, data=str(folder / "imk00001.imc"))
    assert all(np.array_equal(a, b) for a, b in zip(patches, again))
    raw = tmp_path / "IMAGES_RAW.mat"
    scipy.io.savemat(raw, {"IMAGESr": rng.random((32, 32, 1))})
    assert common.read_user_images(str(raw))[1:] == (False, f"1 raw images (IMAGESr) from {raw}")
    (tmp_path / "empty").mkdir()
    (tmp_path / "images.txt").write_text("not images")
    for bad in (tmp_path / "empty", tmp_path / "images.txt"):
        with pytest.raises(DataError, match="expected a van Hateren image"):
            common.read_user_images(str(bad))
