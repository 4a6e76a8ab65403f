"""The reproduction report: one page per paper, published values beside reproduced ones.

``neurosparse report [DIR ...] --out OUT`` (or :func:`write_report`) reads every result
file (``.nc``, ``.zarr``) under the given folders -- by default the committed full runs
under ``figures/`` (:func:`figures_dir`) -- and writes into ``OUT``:

``index.html``
    The scoreboard: per paper and in total, how many claims agree, differ or were not
    tested, and which runs were quick (or custom) rather than the reproduction; then
    every study with its verdicts, linking to the paper pages.
``<paper>.html``
    One page per paper (``ahmad2016.html``): its scoreboard, then per study its figure
    (the ``.png`` beside the result, embedded as a data URI), its claims table
    (statement, published, reproduced, tolerance, verdict; verdicts coloured) and its
    provenance (version, date, seed, quick / full / custom run, run time, machine, data).
``REPORT.md``
    The same in Markdown, one section per paper, for a code host; its images are
    relative links to the PNGs, so it belongs beside them (``--out figures``).

Every page is self-contained (inline CSS, images as data URIs, no script) and
deterministic: papers sorted by id, studies by id and file name, nothing of the report
run in the pages but one "generated with neurosparse X" line, so the committed pages
change only when the results do. A file that cannot be read is named, skipped and
listed on the index; a result without claims is listed as "no claims".
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neurosparse._version import __version__

__all__ = [
    "OTHER",
    "PaperSection",
    "Report",
    "ReportError",
    "ResultEntry",
    "Skipped",
    "figures_dir",
    "prepare_output",
    "read_results",
    "render_index_html",
    "render_markdown",
    "render_paper_html",
    "write_report",
]

_PACKAGE_DIR = Path(__file__).resolve().parent

#: Id of the section holding results that no study made (no ``study`` attr).
OTHER = "other"

_VERDICTS = ("agrees", "differs", "not tested")
_WORDS = {"agrees": "agree", "differs": "differ", "not tested": "not tested"}
_SYMBOLS = {"agrees": "✓", "differs": "✗", "not tested": "–"}
_MD_SYMBOLS = {"agrees": "✅", "differs": "❌", "not tested": "➖"}
_GENERATOR = "neurosparse report"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ReportError(ValueError):
    """Nothing can be reported (no folder, no results) or the report cannot be written;
    the message is one line."""


# ------------------------------------------------------------------------------ reading


def figures_dir() -> Path | None:
    """The committed full runs: ``$NEUROSPARSE_FIGURES``, the checkout's ``figures/``
    (beside the package, as :func:`neurosparse.studies.studies_dir` finds ``studies/``),
    or a copy bundled into an installed wheel; ``None`` when there is none."""
    env = os.environ.get("NEUROSPARSE_FIGURES")
    if env:
        return Path(env) if Path(env).is_dir() else None
    for candidate in (_PACKAGE_DIR.parent / "figures", _PACKAGE_DIR / "_bundled" / "figures"):
        if candidate.is_dir():
            return candidate
    return None


@dataclass(frozen=True)
class Skipped:
    """A result file that could not be read: where, and why (one line)."""

    path: Path
    name: str
    reason: str


@dataclass(frozen=True, eq=False)
class ResultEntry:
    """One result file, as the report shows it."""

    path: Path  # where it was read
    name: str  # shown in the pages: the path relative to the folder given (posix)
    study: str  # the study id ("" for a result no study made)
    paper: str  # the paper id (first part of the study id), or OTHER
    attrs: dict[str, Any] = field(repr=False)
    claims: tuple = ()  # neurosparse.results.Claim rows
    figure: Path | None = None  # the .png beside the result
    label: str = ""  # the study's FIGURE ("Fig 4A"), from the registry
    title: str = ""  # the study's TITLE, from the registry
    notes: tuple[str, ...] = ()  # problems worth showing (claims unreadable, not valid)

    @property
    def mode(self) -> str:
        """``full``, ``quick``, ``custom``, or ``""`` when the result does not say."""
        return str(self.attrs.get("mode", ""))

    @property
    def counts(self) -> Counter:
        return Counter(c.verdict for c in self.claims)

    @property
    def anchor(self) -> str:
        return _slug(self.study or self.name)


@dataclass(frozen=True, eq=False)
class PaperSection:
    """The results of one paper, sorted."""

    id: str
    citation: str
    entries: tuple[ResultEntry, ...]

    @property
    def counts(self) -> Counter:
        total: Counter = Counter()
        for entry in self.entries:
            total.update(entry.counts)
        return total

    @property
    def page(self) -> str:
        """The file name of the paper's HTML page."""
        return f"{self.slug}.html"

    @property
    def slug(self) -> str:
        """The id as a safe file name and anchor."""
        return _slug(self.id)

    def idents(self) -> dict[int, str]:
        """What names each entry (by position): its study id, or -- where one study has
        several results here (folders given together) -- its file name too."""
        studies = Counter(e.study for e in self.entries if e.study)
        return {
            i: (f"{e.study} ({e.name})" if studies[e.study] > 1 else e.study) if e.study else e.name
            for i, e in enumerate(self.entries)
        }

    def anchors(self) -> dict[int, str]:
        """A unique HTML anchor per entry (by position)."""
        seen: Counter = Counter()
        out = {}
        for i, entry in enumerate(self.entries):
            base = entry.anchor
            seen[base] += 1
            out[i] = base if seen[base] == 1 else f"{base}-{seen[base]}"
        return out


@dataclass(frozen=True, eq=False)
class Report:
    """Everything the pages show: the papers (sorted) and the files skipped."""

    papers: tuple[PaperSection, ...]
    skipped: tuple[Skipped, ...] = ()
    version: str = __version__

    @property
    def entries(self) -> list[ResultEntry]:
        return [entry for paper in self.papers for entry in paper.entries]

    @property
    def counts(self) -> Counter:
        total: Counter = Counter()
        for paper in self.papers:
            total.update(paper.counts)
        return total


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "result"


def _result_files(root: Path, prefix: str) -> list[tuple[Path, str]]:
    """``(path, shown name)`` of every ``.nc`` file and ``.zarr`` store under ``root``
    (of a sweep's store, its ``result.zarr``), sorted; hidden files and folders
    (temporary files of a write) are left out."""

    def shown(path: Path) -> str:
        rel = path.relative_to(root).as_posix()
        return f"{prefix}/{rel}" if prefix else rel

    if root.is_file() or root.suffix.lower() == ".zarr":
        return [(root, f"{prefix}/{root.name}" if prefix else root.name)]
    found = []
    for here, dirs, files in os.walk(root):
        base = Path(here)
        keep = []
        for name in sorted(dirs):
            if name.startswith(".") or name == "__pycache__":
                continue
            if name.lower().endswith(".zarr"):
                store = base / name
                if (store / "result.zarr").is_dir():  # a sweep's store: its combined result
                    store = store / "result.zarr"
                found.append((store, shown(store)))
            else:
                keep.append(name)
        dirs[:] = keep
        for name in sorted(files):
            if name.lower().endswith(".nc") and not name.startswith("."):
                found.append((base / name, shown(base / name)))
    return sorted(found, key=lambda item: item[1])


def _reason(exc: BaseException, path: Path) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    for prefix in (f"{path}: ", f"{path.resolve()}: "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text


def _registry() -> dict:
    try:
        from neurosparse.studies import find_studies

        return find_studies()
    except Exception:  # the report needs only the results; labels are a courtesy
        return {}


def _entry(tree, path: Path, name: str, registry: dict) -> ResultEntry:
    from neurosparse.results import ResultFormatError, claims_table, validate

    attrs = dict(tree.attrs)
    study = str(attrs.get("study", ""))
    paper = study.split("/")[0] if study else OTHER
    notes = []
    try:
        claims = tuple(claims_table(tree))
    except Exception as exc:
        claims = ()
        notes.append(f"claims unreadable: {_reason(exc, path)}")
    try:
        validate(tree)
    except ResultFormatError as exc:
        notes.append(f"does not follow the result format: {_reason(exc, path)}")
    figure = path.with_suffix(".png")
    registered = registry.get(study)
    return ResultEntry(
        path=path,
        name=name,
        study=study,
        paper=paper,
        attrs=attrs,
        claims=claims,
        figure=figure if figure.is_file() else None,
        label=registered.figure if registered else "",
        title=registered.title if registered else "",
        notes=tuple(notes),
    )


def _citation(entries: Sequence[ResultEntry], paper: str) -> str:
    if paper == OTHER:
        return "Other results (not made by a study)"
    sources = Counter(str(e.attrs.get("source", "")) for e in entries if e.attrs.get("source"))
    if not sources:
        return paper
    # the most common; ties: the longest (the fullest citation), then alphabetical
    return min(sources, key=lambda s: (-sources[s], -len(s), s))


def read_results(dirs: str | os.PathLike | Iterable[str | os.PathLike] | None = None) -> Report:
    """Read every result under ``dirs`` (default: :func:`figures_dir`) into a
    :class:`Report`.

    Parameters
    ----------
    dirs : path-like or sequence of them, optional
        Folders searched recursively for ``.nc`` files and ``.zarr`` stores (a result
        file itself is taken too). With several folders, names are shown prefixed with
        the folder's name.

    Returns
    -------
    Report
        The papers sorted by id (results no study made last, under :data:`OTHER`),
        their results sorted by study id and name; files that could not be read in
        ``skipped``.

    Raises
    ------
    ReportError
        If there is no figures folder (default), a folder does not exist, or none holds
        a result file.
    """
    from neurosparse.results import load

    if dirs is None:
        default = figures_dir()
        if default is None:
            looked = os.environ.get("NEUROSPARSE_FIGURES") or str(_PACKAGE_DIR.parent / "figures")
            raise ReportError(
                f"no figures folder found (looked in {looked}); give the folders of results "
                "to report: neurosparse report DIR ..."
            )
        roots = [default]
    elif isinstance(dirs, str | os.PathLike):
        roots = [Path(dirs)]
    else:
        roots = [Path(d) for d in dirs]
        if not roots:
            return read_results(None)
    for root in roots:
        if not root.exists():
            raise ReportError(f"no such folder: {str(root)!r}")
        if root.is_file() and root.suffix.lower() != ".nc":
            raise ReportError(f"{str(root)!r} is neither a folder nor a result file (.nc, .zarr)")
    multi = len(roots) > 1
    found = [
        item
        for root in roots
        for item in _result_files(root, (root.resolve().name or str(root)) if multi else "")
    ]
    if not found:
        where = ", ".join(repr(str(r)) for r in roots)
        raise ReportError(f"no result files (.nc, .zarr) in {where}")
    registry = _registry()
    entries, skipped = [], []
    for path, name in found:
        try:
            tree = load(path, check=False)
        except Exception as exc:  # one bad file must not lose the others
            skipped.append(Skipped(path, name, _reason(exc, path)))
            continue
        entries.append(_entry(tree, path, name, registry))
    by_paper: dict[str, list[ResultEntry]] = {}
    for entry in entries:
        by_paper.setdefault(entry.paper, []).append(entry)
    papers = tuple(
        PaperSection(
            id=paper,
            citation=_citation(items, paper),
            entries=tuple(sorted(items, key=lambda e: (e.study, e.name))),
        )
        for paper, items in sorted(by_paper.items(), key=lambda kv: (kv[0] == OTHER, kv[0]))
    )
    return Report(papers=papers, skipped=tuple(skipped))


# ---------------------------------------------------------------------------- formatting


def _text(value: Any) -> str:
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    return str(value)


def _duration(value: Any) -> str:
    try:
        seconds = float(_text(value))
    except (TypeError, ValueError):
        return _text(value)
    if seconds < 60:
        return f"{seconds:.3g} s"
    if seconds < 3600:
        return f"{seconds:.0f} s ({seconds / 60:.1f} min)"
    return f"{seconds:.0f} s ({seconds / 3600:.1f} h)"


def _mode_words(mode: str) -> str:
    return {
        "full": "full run (the reproduction)",
        "quick": "QUICK run (seconds-long settings: not the reproduction)",
        "custom": "custom settings (changed from the reproduction's)",
    }.get(mode, "not recorded")


def _provenance(entry: ResultEntry) -> list[tuple[str, str]]:
    """(label, value) rows, in a fixed order; values as text."""
    a = entry.attrs
    rows = [("run", _mode_words(entry.mode) if entry.study else (entry.mode or "—"))]
    rows.append(("neurosparse", _text(a.get("neurosparse_version", "not recorded"))))
    rows.append(("date", _text(a.get("created_at", "not recorded"))))
    seed = _text(a.get("seed", "not recorded"))
    rows.append(("seed", seed if len(seed) <= 80 else seed[:77] + "..."))
    rows.append(("run time", _duration(a["run_seconds"]) if "run_seconds" in a else "not recorded"))
    rows.append(("machine", _text(a.get("machine", "not recorded"))))
    if "data" in a:
        rows.append(("data", _text(a["data"])))
    rows.append(("kind", _text(a.get("kind", ""))))
    rows.append(("file", entry.name))
    return rows


def _counts_words(counts: Counter) -> str:
    return ", ".join(f"{counts.get(v, 0)} {_WORDS[v]}" for v in _VERDICTS)


def _runs_words(entries: Sequence[ResultEntry]) -> str:
    modes = Counter(e.mode or "unrecorded" for e in entries if e.study)
    order = ("full", "quick", "custom", "unrecorded")
    parts = [f"{modes[m]} {m}" for m in order if modes.get(m)]
    parts += [f"{modes[m]} {m}" for m in sorted(modes) if m not in order]
    others = sum(1 for e in entries if not e.study)
    if others:
        parts.append(f"{others} not a study")
    return ", ".join(parts)


def _heading(entry: ResultEntry) -> str:
    if entry.label and entry.title:
        return f"{entry.label}: {entry.title}"
    return entry.label or entry.title or entry.study or entry.name


def _png(path: Path | None) -> tuple[str, int, int] | None:
    """The PNG as a data URI with its width and height, or None if it is not a PNG."""
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(_PNG_SIGNATURE) or len(data) < 24:
        return None
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii"), width, height


# ---------------------------------------------------------------------------------- HTML

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  max-width: 1120px; margin: 0 auto; padding: 1rem 1.5rem 3rem; color: #1f2328;
  line-height: 1.45; background: #fff; }
a { color: #0969da; }
h1 { font-size: 1.6rem; margin: .6rem 0 .3rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .4rem; border-bottom: 1px solid #d0d7de;
  padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin: 1.4rem 0 .3rem; }
nav { font-size: .9rem; border-bottom: 1px solid #d0d7de; padding: .3rem 0 .5rem; }
nav a { margin-right: .8rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left;
  vertical-align: top; }
th { background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; background: #f6f8fa; }
td.verdict, td.runs { font-weight: 600; white-space: nowrap; }
td.runs { font-weight: normal; }
tr.agrees td.verdict { background: #dafbe1; color: #116329; }
tr.differs td.verdict { background: #ffebe9; color: #a40e26; }
tr.not-tested td.verdict { background: #eaeef2; color: #57606a; }
th.agrees, td.agrees { color: #116329; } th.differs, td.differs { color: #a40e26; }
th.not-tested, td.not-tested { color: #57606a; }
.source { display: block; color: #57606a; font-size: .78rem; margin-top: .15rem; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-size: .75rem;
  font-weight: 600; vertical-align: middle; white-space: nowrap; }
.badge.full { background: #ddf4ff; color: #0550ae; }
.badge.quick { background: #fff1cc; color: #7d4e00; border: 1px solid #d4a72c; }
.badge.custom { background: #fbefff; color: #8250df; }
.badge.none { background: #eaeef2; color: #57606a; }
.bar { display: flex; width: 9rem; height: .65rem; border-radius: .3rem; overflow: hidden;
  background: #eaeef2; margin-top: .3rem; }
.bar span { display: block; height: 100%; }
.bar .agrees { background: #2da44e; } .bar .differs { background: #cf222e; }
.bar .not-tested { background: #8c959f; }
figure { margin: .6rem 0 1rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #d0d7de; }
dl.provenance { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .9rem;
  font-size: .85rem; margin: .5rem 0; }
dl.provenance dt { color: #57606a; } dl.provenance dd { margin: 0; }
.note { color: #9a6700; font-size: .9rem; }
.muted { color: #57606a; font-size: .9rem; }
pre { background: #f6f8fa; padding: .5rem; overflow-x: auto; font-size: .8rem; }
footer { margin-top: 3rem; color: #57606a; font-size: .8rem; border-top: 1px solid #d0d7de;
  padding-top: .5rem; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: str, report: Report) -> str:
    n = len(report.entries) + len(report.skipped)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="{_GENERATOR}">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"{body}\n"
        f"<footer>Generated with neurosparse {_e(report.version)} "
        f"(<code>neurosparse report</code>) from {n} result file{'s' if n != 1 else ''}."
        "</footer>\n</body>\n</html>\n"
    )


def _nav(report: Report, current: str = "") -> str:
    links = ['<a href="index.html">Scoreboard</a>'] if current else ["<strong>Scoreboard</strong>"]
    for paper in report.papers:
        if paper.id == current:
            links.append(f"<strong>{_e(paper.id)}</strong>")
        else:
            links.append(f'<a href="{_e(paper.page)}">{_e(paper.id)}</a>')
    return "<nav>" + " ".join(links) + "</nav>"


def _bar(counts: Counter) -> str:
    total = sum(counts.get(v, 0) for v in _VERDICTS)
    if not total:
        return ""
    spans = "".join(
        f'<span class="{_slug(v)}" style="width:{100 * counts[v] / total:.1f}%"></span>'
        for v in _VERDICTS
        if counts.get(v)
    )
    label = _e(_counts_words(counts))
    return f'<div class="bar" role="img" aria-label="{label}" title="{label}">{spans}</div>'


def _count_cells(counts: Counter) -> str:
    cells = "".join(f'<td class="num {_slug(v)}">{counts.get(v, 0)}</td>' for v in _VERDICTS)
    return cells + f'<td class="num">{sum(counts.get(v, 0) for v in _VERDICTS)}</td>'


_COUNT_HEADS = (
    '<th class="num agrees">agree</th><th class="num differs">differ</th>'
    '<th class="num not-tested">not tested</th><th class="num">claims</th>'
)


def _badge(entry: ResultEntry) -> str:
    if not entry.study:
        return '<span class="badge none">not a study</span>'
    mode = entry.mode
    text = {"full": "full run", "quick": "QUICK run", "custom": "custom settings"}.get(
        mode, "mode not recorded"
    )
    cls = mode if mode in ("full", "quick", "custom") else "none"
    return f'<span class="badge {cls}" title="{_e(_mode_words(mode))}">{_e(text)}</span>'


def _runs_cell(entries: Sequence[ResultEntry]) -> str:
    text = _e(_runs_words(entries))
    if any(e.mode == "quick" for e in entries):
        return f'<td class="runs"><span class="badge quick">{text}</span></td>'
    return f'<td class="runs">{text}</td>'


def _quick_text(entries: Sequence[ResultEntry]) -> str:
    quick = sum(1 for e in entries if e.mode == "quick")
    custom = sum(1 for e in entries if e.mode == "custom")
    parts = []
    if quick:
        parts.append(
            f"{quick} of these results {'is a QUICK run' if quick == 1 else 'are QUICK runs'}: "
            "a study's seconds-long settings, whose verdicts are about those settings, "
            "not the reproduction."
        )
    if custom:
        parts.append(
            f"{custom} {'was' if custom == 1 else 'were'} run with changed settings (custom)."
        )
    return " ".join(parts)


def _quick_note(entries: Sequence[ResultEntry]) -> str:
    text = _quick_text(entries)
    return f'<p class="note">{_e(text)}</p>' if text else ""


def render_index_html(report: Report) -> str:
    """The index page: the scoreboard per paper and in total, then every study."""
    rows = []
    for paper in report.papers:
        rows.append(
            f'<tr><td><a href="{_e(paper.page)}">{_e(paper.id)}</a>'
            f'<span class="source">{_e(paper.citation)}</span></td>'
            f'<td class="num">{len(paper.entries)}</td>{_count_cells(paper.counts)}'
            f"<td>{_bar(paper.counts)}</td>{_runs_cell(paper.entries)}</tr>"
        )
    rows.append(
        f'<tr class="total"><td>Total ({len(report.papers)} '
        f"paper{'s' if len(report.papers) != 1 else ''})</td>"
        f'<td class="num">{len(report.entries)}</td>{_count_cells(report.counts)}'
        f"<td>{_bar(report.counts)}</td>{_runs_cell(report.entries)}</tr>"
    )
    parts = [
        _nav(report),
        "<h1>Reproduction report</h1>",
        '<p class="muted">Published values beside reproduced ones, with a verdict per '
        "claim: <em>agrees</em> (within the stated tolerance), <em>differs</em>, or "
        "<em>not tested</em> (the setting does not allow the comparison).</p>",
        "<h2>Scoreboard</h2>",
        '<table id="scoreboard"><thead><tr><th>Paper</th><th class="num">results</th>'
        f"{_COUNT_HEADS}<th>verdicts</th><th>runs</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>",
        _quick_note(report.entries),
        "<h2>Studies</h2>",
    ]
    for paper in report.papers:
        anchors, idents = paper.anchors(), paper.idents()
        study_rows = []
        for i, entry in enumerate(paper.entries):
            counts = entry.counts
            verdicts = _e(_counts_words(counts)) + _bar(counts) if entry.claims else "no claims"
            study_rows.append(
                f'<tr><td><a href="{_e(paper.page)}#{_e(anchors[i])}">'
                f"{_e(idents[i])}</a></td><td>{_e(_heading(entry))}</td>"
                f"<td>{verdicts}</td><td>{_badge(entry)}</td></tr>"
            )
        parts.append(
            f'<h3><a href="{_e(paper.page)}">{_e(paper.id)}</a>: {_e(paper.citation)}</h3>'
            f'<table class="studies"><thead><tr><th>study</th><th>figure</th>'
            f"<th>claims</th><th>run</th></tr></thead><tbody>{''.join(study_rows)}</tbody></table>"
        )
    if report.skipped:
        items = "".join(
            f"<tr><td><code>{_e(s.name)}</code></td><td>{_e(s.reason)}</td></tr>"
            for s in report.skipped
        )
        parts.append(
            '<h2>Skipped files</h2><p class="note">These files could not be read and are '
            "not in the report.</p>"
            f'<table id="skipped"><thead><tr><th>file</th><th>reason</th></tr></thead>'
            f"<tbody>{items}</tbody></table>"
        )
    return _page("Reproduction report — neurosparse", "\n".join(p for p in parts if p), report)


def _claims_html(entry: ResultEntry) -> str:
    if not entry.claims:
        return '<p class="muted no-claims">no claims</p>'
    rows = []
    for claim in entry.claims:
        rows.append(
            f'<tr class="{_slug(claim.verdict)}"><td>{_e(claim.statement)}'
            f'<span class="source">{_e(claim.source)}</span></td>'
            f"<td>{_e(claim.published)}</td><td>{_e(claim.reproduced)}</td>"
            f"<td>{_e(claim.tolerance)}</td>"
            f'<td class="verdict">{_SYMBOLS[claim.verdict]} {_e(claim.verdict)}</td></tr>'
        )
    return (
        '<table class="claims"><thead><tr><th>claim</th><th>published</th>'
        "<th>reproduced</th><th>tolerance</th><th>verdict</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _settings_html(entry: ResultEntry) -> str:
    try:
        params = json.loads(_text(entry.attrs.get("params", "{}")))
        text = json.dumps(params, indent=1, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        text = _text(entry.attrs.get("params", ""))
    if not text or text == "{}":
        return ""
    return f"<details><summary>settings</summary><pre>{_e(text)}</pre></details>"


def render_paper_html(report: Report, paper: PaperSection) -> str:
    """One paper's page: its scoreboard, then per study figure, claims and provenance."""
    anchors, idents = paper.anchors(), paper.idents()
    rows = []
    for i, entry in enumerate(paper.entries):
        rows.append(
            f'<tr><td><a href="#{_e(anchors[i])}">{_e(idents[i])}</a></td>'
            f"{_count_cells(entry.counts)}<td>{_bar(entry.counts)}</td>"
            f"<td>{_badge(entry)}</td></tr>"
        )
    rows.append(
        f'<tr class="total"><td>Total ({len(paper.entries)})</td>{_count_cells(paper.counts)}'
        f"<td>{_bar(paper.counts)}</td>{_runs_cell(paper.entries)}</tr>"
    )
    parts = [
        _nav(report, paper.id),
        f"<h1>{_e(paper.citation)}</h1>",
        f'<p class="muted">{len(paper.entries)} result{"s" if len(paper.entries) != 1 else ""}; '
        f"claims: {_e(_counts_words(paper.counts))}.</p>",
        '<table id="scoreboard"><thead><tr><th>study</th>'
        f"{_COUNT_HEADS}<th>verdicts</th><th>run</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>",
        _quick_note(paper.entries),
    ]
    for i, entry in enumerate(paper.entries):
        section = [
            f'<section class="study" id="{_e(anchors[i])}">',
            f"<h2>{_e(_heading(entry))} {_badge(entry)}</h2>",
            f'<p class="muted"><code>{_e(idents[i])}</code> · claims: '
            f"{_e(_counts_words(entry.counts)) if entry.claims else 'none'}</p>",
        ]
        section += [f'<p class="note">{_e(note)}</p>' for note in entry.notes]
        png = _png(entry.figure)
        if png is not None:
            uri, width, height = png
            section.append(
                f'<figure><img src="{uri}" width="{width}" height="{height}" '
                f'alt="Figure of {_e(idents[i])}"></figure>'
            )
        else:
            section.append('<p class="muted">no figure (no readable .png beside the result)</p>')
        section.append(_claims_html(entry))
        provenance = "".join(
            f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in _provenance(entry)
        )
        section.append(f'<dl class="provenance">{provenance}</dl>')
        section.append(_settings_html(entry))
        section.append("</section>")
        parts.append("\n".join(s for s in section if s))
    return _page(f"{paper.id} — reproduction report", "\n".join(p for p in parts if p), report)


# ------------------------------------------------------------------------------ Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def _md(text: Any) -> str:
    """Text safe in a Markdown table cell or paragraph."""
    out = _MD_SPECIAL.sub(r"\\\1", str(text))
    out = out.replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(out.split())


def _md_link(path: Path, out: Path) -> str:
    try:
        rel = os.path.relpath(path.resolve(), out.resolve())
    except ValueError:  # another drive (Windows): an absolute link
        return path.resolve().as_uri()
    return Path(rel).as_posix().replace(" ", "%20")


def _md_counts(counts: Counter) -> str:
    return " | ".join(str(counts.get(v, 0)) for v in _VERDICTS)


def _md_runs(entries: Sequence[ResultEntry]) -> str:
    text = _md(_runs_words(entries))
    return f"⚠️ {text}" if any(e.mode == "quick" for e in entries) else text


def _md_badge(entry: ResultEntry) -> str:
    if not entry.study:
        return "not a study"
    return {
        "full": "full run",
        "quick": "⚠️ **QUICK run** (not the reproduction)",
        "custom": "**custom settings**",
    }.get(entry.mode, "mode not recorded")


def render_markdown(report: Report, out: str | os.PathLike = ".") -> str:
    """``REPORT.md``: the scoreboard, then one section per paper; images are links
    relative to ``out`` (the folder the file is written to)."""
    out = Path(out)
    n = len(report.entries) + len(report.skipped)
    lines = [
        "# Reproduction report",
        "",
        "Published values beside reproduced ones, with a verdict per claim: *agrees* "
        "(within the stated tolerance), *differs*, or *not tested* (the setting does not "
        f"allow the comparison). Generated with neurosparse {report.version} "
        f"(`neurosparse report`) from {n} result file{'s' if n != 1 else ''}; the same "
        "report as HTML pages: [index.html](index.html).",
        "",
        "## Scoreboard",
        "",
        "| Paper | Results | ✅ agree | ❌ differ | ➖ not tested | Runs |",
        "|:--|--:|--:|--:|--:|:--|",
    ]
    for paper in report.papers:
        lines.append(
            f"| [{_md(paper.id)}](#{paper.slug}) {_md(paper.citation)} | {len(paper.entries)} | "
            f"{_md_counts(paper.counts)} | {_md_runs(paper.entries)} |"
        )
    lines.append(
        f"| **Total** | **{len(report.entries)}** | "
        + " | ".join(f"**{report.counts.get(v, 0)}**" for v in _VERDICTS)
        + f" | {_md_runs(report.entries)} |"
    )
    note = _quick_text(report.entries)
    if note:
        lines += ["", f"⚠️ {_md(note)}"]
    for paper in report.papers:
        anchors, idents = paper.anchors(), paper.idents()
        lines += [
            "",
            f'<a name="{paper.slug}"></a>',
            "",
            f"## {_md(paper.id)}: {_md(paper.citation)}",
            "",
            f"{len(paper.entries)} result{'s' if len(paper.entries) != 1 else ''}; claims: "
            f"{_counts_words(paper.counts)}. HTML page: [{paper.page}]({paper.page}).",
        ]
        for i, entry in enumerate(paper.entries):
            lines += [
                "",
                f'<a name="{anchors[i]}"></a>',
                "",
                f"### {_md(_heading(entry))} (`{idents[i].replace('`', '')}`)",
                "",
                _md_badge(entry)
                + (f"; claims: {_counts_words(entry.counts)}." if entry.claims else "."),
            ]
            lines += [f"\n> {_md(note)}" for note in entry.notes]
            if entry.figure is not None:
                alt = _md(f"Figure of {idents[i]}")
                lines += ["", f"![{alt}]({_md_link(entry.figure, out)})"]
            else:
                lines += ["", "*no figure (no .png beside the result)*"]
            lines.append("")
            if entry.claims:
                lines += [
                    "| Claim | Published | Reproduced | Tolerance | Verdict |",
                    "|:--|:--|:--|:--|:--|",
                ]
                for c in entry.claims:
                    lines.append(
                        f"| {_md(c.statement)}<br><sub>{_md(c.source)}</sub> | "
                        f"{_md(c.published)} | {_md(c.reproduced)} | {_md(c.tolerance)} | "
                        f"{_MD_SYMBOLS[c.verdict]} {c.verdict} |"
                    )
            else:
                lines.append("*no claims*")
            lines += [
                "",
                "<sub>"
                + " · ".join(f"{label}: {_md(v)}" for label, v in _provenance(entry))
                + "</sub>",
            ]
    if report.skipped:
        lines += ["", "## Skipped files", "", "| File | Reason |", "|:--|:--|"]
        lines += [f"| `{s.name}` | {_md(s.reason)} |" for s in report.skipped]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------- writing


def prepare_output(out: str | os.PathLike) -> Path:
    """Make the output folder and check that it can be written; one-line
    :class:`ReportError` if not."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReportError(f"output {str(out)!r} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=out).close()
    except OSError as exc:
        raise ReportError(
            f"cannot write the report to {str(out)!r}: {exc.strerror or exc}"
        ) from None
    return out


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".ns-tmp-{path.name}")
    try:
        tmp.write_text(text, encoding="utf-8", newline="\n")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ReportError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None


def _ours(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(600)
    except OSError:
        return False
    return f'<meta name="generator" content="{_GENERATOR}">' in head


def write_report(
    results: Report | str | os.PathLike | Iterable[str | os.PathLike] | None = None,
    out: str | os.PathLike = "report",
) -> list[Path]:
    """Write the report: ``index.html``, ``REPORT.md`` and one ``<paper>.html`` per paper.

    Parameters
    ----------
    results : Report, path-like or sequence of them, optional
        A :class:`Report` from :func:`read_results`, or the folders to read (default:
        :func:`figures_dir`).
    out : path-like
        The folder written to (made if missing). Pages this function wrote there before
        for papers no longer reported are removed; nothing else is touched.

    Returns
    -------
    list of Path
        The files written: ``index.html``, ``REPORT.md``, then the paper pages in order.

    Raises
    ------
    ReportError
        If nothing can be reported (see :func:`read_results`; also when every file was
        skipped) or ``out`` cannot be written; nothing is written then.
    """
    report = results if isinstance(results, Report) else read_results(results)
    if not report.papers:
        raise ReportError(
            f"nothing to report: all {len(report.skipped)} result files were skipped"
            if report.skipped
            else "nothing to report: no results"
        )
    out = prepare_output(out)
    pages = {"index.html": render_index_html(report), "REPORT.md": render_markdown(report, out)}
    for paper in report.papers:
        pages[paper.page] = render_paper_html(report, paper)
    written = []
    for name, text in pages.items():
        _write(out / name, text)
        written.append(out / name)
    for stale in sorted(out.glob("*.html")):
        if stale.name not in pages and _ours(stale):
            stale.unlink(missing_ok=True)
    return written
