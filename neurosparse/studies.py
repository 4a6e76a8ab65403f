"""The studies registry: finds ``studies/<paper>/<figure>.py`` and runs them.

A study is one script per reproduced figure or table (in the manner of brian2's
``examples/frompapers``). It defines, at module level::

    PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"   # citation shown by `neurosparse list`
    FIGURE = "Fig 5A"                                  # the figure or table reproduced
    TITLE = "False-match probability vs n"             # one line

    def main(out, *, quick=False, seed=0) -> xarray.DataTree: ...

and its docstring cites the paper, says what is reproduced and gives the published
values. ``main`` builds its result (with the published numbers in its ``reference``
group and its headline numbers in ``metrics``) and hands it, with its figure, to
:func:`save_study`, which writes ``out/<paper>/<figure>.nc``, ``.png`` and ``.svg``.

The metadata is read with :mod:`ast`, without importing the script, so ``neurosparse
list`` is fast and works even when a study's optional dependency is missing.

Where studies are looked for, in order: the ``NEUROSPARSE_STUDIES`` environment
variable; the ``studies/`` folder of a source checkout (beside the package); the copy
bundled into an installed wheel.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Study",
    "find_studies",
    "get_study",
    "load_helper",
    "run_study",
    "save_study",
    "studies_dir",
]

_PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Study:
    """One registered study script."""

    id: str
    path: Path
    paper: str
    figure: str
    title: str
    summary: str

    def load_module(self):
        """Import the study's module (under a private, unique name)."""
        name = "neurosparse_study_" + self.id.replace("/", "__")
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, self.path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        if not callable(getattr(module, "main", None)):
            raise AttributeError(f"study {self.id} ({self.path}) defines no main()")
        return module

    def run(self, out: str | os.PathLike, *, quick: bool = False, seed: int = 0):
        """Run the study's ``main(out, quick=..., seed=...)`` and return its DataTree."""
        return self.load_module().main(Path(out), quick=quick, seed=seed)


def studies_dir() -> Path:
    """The folder studies are read from (see the module docstring for the order)."""
    env = os.environ.get("NEUROSPARSE_STUDIES")
    if env:
        return Path(env)
    for candidate in (
        _PACKAGE_DIR.parent / "studies",
        _PACKAGE_DIR / "_bundled" / "studies",
    ):
        if candidate.is_dir():
            return candidate
    return _PACKAGE_DIR.parent / "studies"


def _metadata(path: Path) -> dict[str, str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    meta = {"summary": (ast.get_docstring(tree) or "").strip().split("\n\n")[0]}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in {"PAPER", "FIGURE", "TITLE"}:
                try:
                    meta[target.id.lower()] = str(ast.literal_eval(node.value))
                except ValueError:
                    pass
    return meta


def find_studies(root: str | os.PathLike | None = None) -> dict[str, Study]:
    """All studies under ``root`` (default :func:`studies_dir`), keyed by id, sorted."""
    root = Path(root) if root is not None else studies_dir()
    found: dict[str, Study] = {}
    if not root.is_dir():
        return found
    for path in sorted(root.glob("*/*.py")):
        if path.name.startswith("_"):
            continue
        study_id = f"{path.parent.name}/{path.stem}"
        meta = _metadata(path)
        found[study_id] = Study(
            id=study_id,
            path=path,
            paper=meta.get("paper", path.parent.name),
            figure=meta.get("figure", path.stem),
            title=meta.get("title", meta["summary"].splitlines()[0] if meta["summary"] else ""),
            summary=meta["summary"],
        )
    return found


def get_study(study_id: str, root: str | os.PathLike | None = None) -> Study:
    """The study with this id; ``KeyError`` listing the known ids if there is none."""
    studies = find_studies(root)
    if study_id not in studies:
        known = ", ".join(studies) or "none found in " + str(root or studies_dir())
        raise KeyError(f"unknown study {study_id!r}; known studies: {known}")
    return studies[study_id]


def run_study(study_id: str, out: str | os.PathLike, *, quick: bool = False, seed: int = 0) -> Any:
    """Run one study by id; returns its DataTree."""
    return get_study(study_id).run(out, quick=quick, seed=seed)


def load_helper(study_file: str | os.PathLike, name: str):
    """Import a private helper module beside a study script, once.

    Studies are loaded by path, not as a package, so the scripts of one paper share code
    through a file such as ``studies/<paper>/_common.py`` (skipped by the registry for its
    leading underscore). ``load_helper(__file__, "_common")`` returns that module.
    """
    path = Path(study_file).resolve().with_name(f"{name}.py")
    key = f"neurosparse_study_{path.parent.name}__{name.lstrip('_')}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(key, None)
            raise
    return sys.modules[key]


def save_study(tree, figure, out: str | os.PathLike, study_id: str) -> dict[str, Path]:
    """Write a study's result and figure: ``out/<study-id>.nc``, ``.png`` and ``.svg``.

    Stamps the ``study`` attr on the tree, validates it (nothing is written if that
    fails), saves it atomically, then saves and closes the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    from neurosparse.results import save, validate

    tree.attrs["study"] = study_id
    validate(tree)
    base = Path(out) / study_id
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = {"nc": save(tree, base.with_suffix(".nc"))}
    for ext in ("png", "svg"):
        target = base.with_suffix("." + ext)
        tmp = target.with_name(f".ns-tmp-{target.name}")
        figure.savefig(tmp, dpi=150, bbox_inches="tight", format=ext)
        os.replace(tmp, target)
        paths[ext] = target
    plt.close(figure)
    return paths
