"""The report's pages in a real browser: headless Chromium loads each page, every image
must have decoded (naturalWidth > 0) and every table must have rendered rows; a
screenshot must be a non-blank picture.

How: a probe page loads the report's pages, unchanged, in iframes and, once each has
loaded, writes what it finds (the images that failed, each table's rows and height) into
a ``<pre id="ns-check">``; ``chromium --headless --dump-dom`` prints the probe's DOM after
load and the test reads that element back. A second call takes a screenshot of a page
(``--screenshot``). No driver package is
needed, only the browser: ``chromium`` (Debian's package; ``.ci/run`` installs it where
missing), or the path in ``NEUROSPARSE_CHROMIUM``. Without it the tests skip, or fail
under ``NEUROSPARSE_REQUIRE_ALL_DEPS=1`` (CI).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import xarray as xr

from neurosparse.report import figures_dir, read_results, write_report
from neurosparse.results import claim_check, claim_close, claims_dataset, new_result, save

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

# Loads every page in an iframe (file:// pages may read each other's DOM under
# --allow-file-access-from-files), then writes what it finds into <pre id="ns-check">.
_PROBE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>probe</title></head><body>
<pre id="ns-check"></pre>
<script>
const pages = PAGES;
const results = {};
let left = pages.length;
function look(doc) {
  const images = [...doc.images];
  return {
    title: doc.title,
    images: images.length,
    broken: images.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.alt),
    unshown: images.filter((i) => i.getBoundingClientRect().width <= 0).map((i) => i.alt),
    tables: [...doc.querySelectorAll("table")].map((t) => ({
      id: t.id || t.className,
      rows: t.tBodies.length ? t.tBodies[0].rows.length : 0,
      height: t.getBoundingClientRect().height,
    })),
    verdicts: doc.querySelectorAll("td.verdict").length,
  };
}
for (const url of pages) {
  const frame = document.createElement("iframe");
  frame.style.cssText = "width: 1280px; height: 900px; display: block";
  frame.onload = () => {
    try {
      results[url] = look(frame.contentDocument);
    } catch (error) {
      results[url] = {error: String(error)};
    }
    if (--left === 0) document.getElementById("ns-check").textContent = JSON.stringify(results);
  };
  frame.src = url;
  document.body.appendChild(frame);
}
</script></body></html>
"""


@pytest.fixture(scope="module")
def chromium() -> str:
    path = os.environ.get("NEUROSPARSE_CHROMIUM") or next(
        (found for name in BROWSERS if (found := shutil.which(name))), None
    )
    if path is None:
        message = (
            "headless Chromium is missing (apt-get install chromium, or set "
            "NEUROSPARSE_CHROMIUM to the browser's path)"
        )
        if os.environ.get("NEUROSPARSE_REQUIRE_ALL_DEPS") == "1":
            pytest.fail(message + " -- NEUROSPARSE_REQUIRE_ALL_DEPS=1 forbids skipping")
        pytest.skip(message)
    return path


def _browser(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [
        chromium, "--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run",
        "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars",
        "--mute-audio", f"--user-data-dir={profile}", *args,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stderr[-2000:]}"
    return done


def check_pages(chromium: str, pages: list[Path], tmp: Path) -> dict[str, dict]:
    """Load the pages in one headless Chromium; what the probe found, by file name."""
    urls = [page.resolve().as_uri() for page in pages]
    probe = tmp / "probe.html"
    probe.write_text(_PROBE.replace("PAGES", json.dumps(urls)), encoding="utf-8")
    dom = _browser(
        chromium, tmp / "profile-probe", "--allow-file-access-from-files",
        "--virtual-time-budget=20000", "--dump-dom", probe.as_uri(),
    ).stdout  # fmt: skip
    found = re.search(r'<pre id="ns-check">(.*?)</pre>', dom, re.S)
    assert found and found.group(1), f"the probe wrote nothing (pages not loaded?)\n{dom[:500]}"
    results = json.loads(html.unescape(found.group(1)))
    out = {}
    for page, url in zip(pages, urls):
        assert "error" not in results[url], f"{page.name}: {results[url]['error']}"
        out[page.name] = results[url]
    return out


def check_screenshot(chromium: str, page: Path, tmp: Path) -> None:
    from PIL import Image

    shot = tmp / f"shot-{page.stem}.png"
    _browser(
        chromium, tmp / "profile-shot", f"--screenshot={shot}", "--window-size=1280,2000",
        page.as_uri(),
    )  # fmt: skip
    with Image.open(shot) as image:
        assert image.size == (1280, 2000)
        pixels = image.convert("RGB")
        colours = pixels.getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50, f"{shot}: a blank screenshot"
        white = max(count for count, colour in colours if colour == (255, 255, 255))
        assert white < 0.98 * 1280 * 2000, f"{shot}: almost all white"


def _assert_rendered(result: dict, page: str) -> None:
    assert not result["broken"], f"{page}: images that did not load: {result['broken']}"
    assert not result["unshown"], f"{page}: images not laid out: {result['unshown']}"
    assert result["tables"], f"{page}: no tables"
    for table in result["tables"]:
        assert table["rows"] > 0 and table["height"] > 0, f"{page}: empty table {table}"


def _result(study: str, mode: str, verdicts: tuple[bool | None, ...]):
    claims = [claim_close(f"number {i}", 1.0, 1.0, source="Fig 1", rtol=0.01) for i in range(2)]
    claims += [
        claim_check(f"check {i}", "yes", "no", ok, tolerance="exact", source="text")
        for i, ok in enumerate(verdicts)
    ]
    tree = new_result(
        "demo.thing", params={"n": 1}, seed=0, source=f"{study.split('/')[0]} paper",
        groups={"metrics": xr.Dataset({"x": ((), 1.0, {"long_name": "x"})}),
                "claims": claims_dataset(claims)},
        study=study,
    )  # fmt: skip
    tree.attrs.update(mode=mode, run_seconds=3.0, machine="test")
    return tree


def test_report_renders_in_chromium(chromium, tmp_path):
    """A report of small results: two papers, a quick run, a result without figure."""
    import matplotlib.pyplot as plt

    res = tmp_path / "results"
    for study, mode, verdicts in (
        ("alpha2019/fig1", "full", (True, False)),
        ("alpha2019/fig2", "quick", (None,)),
        ("beta2020/fig3", "full", (True,)),
    ):
        base = res / study
        base.parent.mkdir(parents=True, exist_ok=True)
        save(_result(study, mode, verdicts), base.with_suffix(".nc"))
        if study != "beta2020/fig3":
            fig, ax = plt.subplots(figsize=(3, 2))
            ax.plot([0, 1, 2], [0, 1, 4])
            fig.savefig(base.with_suffix(".png"), dpi=60)
            plt.close(fig)
    out = tmp_path / "out"
    write_report(res, out)
    found = check_pages(chromium, [out / "index.html", out / "alpha2019.html"], tmp_path)
    for name, result in found.items():
        _assert_rendered(result, name)
    index, alpha = found["index.html"], found["alpha2019.html"]
    assert index["tables"][0] == {**index["tables"][0], "id": "scoreboard", "rows": 3}
    assert alpha["images"] == 2 and alpha["verdicts"] == 4 + 3
    check_screenshot(chromium, out / "alpha2019.html", tmp_path)


def test_committed_report_renders_in_chromium(chromium, tmp_path, monkeypatch):
    """The report of the committed full runs (figures/), as it would be committed."""
    monkeypatch.delenv("NEUROSPARSE_FIGURES", raising=False)
    if figures_dir() is None:
        pytest.skip("no figures/ folder beside the package (an installed copy)")
    report = read_results()
    out = tmp_path / "out"
    write_report(report, out)
    pages = [out / "index.html"] + [out / paper.page for paper in report.papers]
    found = check_pages(chromium, pages, tmp_path)
    for name, result in found.items():
        _assert_rendered(result, name)
    assert found["index.html"]["tables"][0]["rows"] == len(report.papers) + 1  # and the total
    for paper in report.papers:
        result = found[paper.page]
        assert result["images"] == sum(e.figure is not None for e in paper.entries)
        assert result["verdicts"] == sum(len(e.claims) for e in paper.entries)
    check_screenshot(chromium, out / "index.html", tmp_path)
