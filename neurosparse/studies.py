"""The studies registry and the study contract: ``studies/<paper>/<figure>.py``.

A study is one script per reproduced figure or table (in the manner of brian2's
``examples/frompapers``; ``docs/ARCHITECTURE.md``, "The study contract"). At module
level it defines::

    PAPER = "Ahmad & Hawkins 2016, arXiv:1601.00720"   # citation shown by `neurosparse list`
    FIGURE = "Fig 5A"                                  # the figure or table reproduced
    TITLE = "False-match probability vs n"             # one line
    STUDY_ID = "ahmad2016/fig5a"

    @dataclass(frozen=True)
    class Params: ...                                  # every setting, with its type
    QUICK = Params(...)                                # seconds, for tests and CI
    FULL = Params(...)                                 # the real reproduction

    def run(params: Params, seed: int) -> xarray.DataTree: ...   # compute; no plotting
    def plot(result: xarray.DataTree) -> matplotlib.figure.Figure: ...  # from the result alone
    def main(out, *, quick=False, seed=0):
        return study_main(__name__, out, quick=quick, seed=seed)

and its docstring cites the paper, says what is reproduced and gives the published
values. ``run`` builds its result with :func:`study_result`, which records the
parameters, the seed and the mode (quick / full / custom) and adds the ``claims``
group (:mod:`neurosparse.results.claims`): the published values beside the reproduced
ones, with a verdict each. :func:`run_and_save` (behind ``main``, ``neurosparse
reproduce`` and :meth:`Study.run`) runs it, draws the figure and writes
``out/<paper>/<figure>.nc``, ``.png`` and ``.svg``. ``neurosparse reproduce ID --set
name=value`` and the sweeps change parameters through :func:`apply_overrides`.

A study whose paper used a full data set that cannot be shipped declares a setting
``data: str = ""`` in its ``Params``: ``""`` is the shipped subset, anything else the
path of the user's copy (``neurosparse reproduce ID --data PATH``, sugar for ``--set
data=PATH``; :attr:`Study.takes_data`), and its result says which data it used (root
attr ``data``).

The metadata is read with :mod:`ast`, without importing the script, so ``neurosparse
list`` is fast and works even when a study's optional dependency is missing.

Where studies are looked for, in order: the ``NEUROSPARSE_STUDIES`` environment
variable; the ``studies/`` folder of a source checkout (beside the package); the copy
bundled into an installed wheel.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import json
import numbers
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CONTRACT",
    "Study",
    "apply_overrides",
    "find_studies",
    "get_study",
    "load_helper",
    "machine_description",
    "params_of",
    "parse_overrides",
    "run_and_save",
    "run_study",
    "save_study",
    "studies_dir",
    "study_main",
    "study_result",
]

#: What a study module must define (checked when it is loaded).
CONTRACT = ("PAPER", "FIGURE", "TITLE", "STUDY_ID", "Params", "QUICK", "FULL", "run", "plot")

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
    #: whether its ``Params`` has a ``data`` setting: the user's copy of the full data set
    #: the paper used (``neurosparse reproduce ID --data PATH``); "" means the shipped one
    takes_data: bool = False

    def load_module(self):
        """Import the study's module (under a private, unique name) and check that it
        follows the study contract (:data:`CONTRACT`)."""
        name = "neurosparse_study_" + self.id.replace("/", "__")
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, self.path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
            missing = [attr for attr in CONTRACT if not hasattr(module, attr)]
            if missing:
                raise AttributeError(
                    f"study {self.id} ({self.path}) does not follow the study contract: "
                    f"it lacks {', '.join(missing)}"
                )
            if module.STUDY_ID != self.id:
                raise AttributeError(
                    f"study {self.path} declares STUDY_ID {module.STUDY_ID!r}, "
                    f"but its path makes it {self.id!r}"
                )
        except BaseException:
            sys.modules.pop(name, None)
            raise
        return module

    def params(self, *, quick: bool = False, overrides: Mapping[str, Any] | None = None):
        """The study's ``QUICK`` or ``FULL`` settings with ``overrides`` applied."""
        module = self.load_module()
        base = module.QUICK if quick else module.FULL
        return apply_overrides(base, overrides or {})

    def run(
        self,
        out: str | os.PathLike,
        *,
        quick: bool = False,
        seed: int = 0,
        overrides: Mapping[str, Any] | None = None,
    ):
        """Run the study (``QUICK`` or ``FULL`` with ``overrides``), write its result
        and figure under ``out``; return the result."""
        module = self.load_module()
        return run_and_save(module, self.params(quick=quick, overrides=overrides), out, seed=seed)


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


def _metadata(path: Path) -> dict[str, Any]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    meta: dict[str, Any] = {"summary": (ast.get_docstring(tree) or "").strip().split("\n\n")[0]}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Params":
            meta["takes_data"] = any(
                isinstance(item, ast.AnnAssign)
                and isinstance(item.target, ast.Name)
                and item.target.id == "data"
                for item in node.body
            )
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
            takes_data=meta.get("takes_data", False),
        )
    return found


def get_study(study_id: str, root: str | os.PathLike | None = None) -> Study:
    """The registered study with this id.

    Parameters
    ----------
    study_id : str
        ``paper/figure``, as ``neurosparse list`` shows it.
    root : path-like, optional
        Folder to look in (default :func:`studies_dir`).

    Returns
    -------
    Study
        Its metadata; :meth:`Study.load_module` imports it, :meth:`Study.run` runs it.

    Raises
    ------
    KeyError
        If there is no such study; the message lists the known ids.
    """
    studies = find_studies(root)
    if study_id not in studies:
        known = ", ".join(studies) or "none found in " + str(root or studies_dir())
        raise KeyError(f"unknown study {study_id!r}; known studies: {known}")
    return studies[study_id]


def run_study(
    study_id: str,
    out: str | os.PathLike,
    *,
    quick: bool = False,
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
) -> Any:
    """Run one study by id and write its files under ``out``.

    Parameters
    ----------
    study_id : str
        ``paper/figure``, as ``neurosparse list`` shows it.
    out : path-like
        Folder that receives ``<study_id>.nc``, ``.png`` and ``.svg``.
    quick : bool
        The study's ``QUICK`` settings (seconds) instead of ``FULL`` (the reproduction).
    seed : int
        Seed of the run.
    overrides : mapping, optional
        Settings to change, by name (values or their text, see :func:`apply_overrides`).

    Returns
    -------
    xarray.DataTree
        The study's result, with its ``claims``.
    """
    return get_study(study_id).run(out, quick=quick, seed=seed, overrides=overrides)


# ------------------------------------------------------------------------ the contract


def parse_overrides(items: Sequence[str]) -> dict[str, str]:
    """``["name=value", ...]`` (the CLI's ``--set``) as ``{name: "value"}``.

    Raises
    ------
    ValueError
        For an item without ``=`` or with an empty name, or a name given twice.
    """
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"--set takes name=value, got {item!r}")
        if name in out:
            raise ValueError(f"--set gives {name!r} twice")
        out[name] = value.strip()
    return out


def _convert(name: str, value: Any, current: Any) -> Any:
    """``value`` (or its text) as the type of the setting's current value."""
    text = value if isinstance(value, str) else None
    if text is not None and not isinstance(current, str):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            if isinstance(current, bool):
                lowered = text.lower()
                if lowered in ("true", "false"):
                    return lowered == "true"
            raise ValueError(
                f"setting {name}: cannot read {text!r} as a {type(current).__name__}"
            ) from None
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ValueError(f"setting {name} must be True or False, got {value!r}")
        return value
    if isinstance(current, numbers.Integral):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"setting {name} must be an integer, got {value!r}")
        return int(value)
    if isinstance(current, numbers.Real):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"setting {name} must be a number, got {value!r}")
        return float(value)
    if isinstance(current, str):
        if not isinstance(value, str):
            raise ValueError(f"setting {name} must be text, got {value!r}")
        return value
    if isinstance(current, tuple):
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = (value,)
        if not isinstance(value, list | tuple):
            raise ValueError(f"setting {name} must be a sequence, got {value!r}")
        if current:
            return tuple(_convert(f"{name}[{i}]", v, current[0]) for i, v in enumerate(value))
        return tuple(value)
    return value  # None or another type: taken as given (the study's Params checks it)


def apply_overrides(params: Any, overrides: Mapping[str, Any]) -> Any:
    """``params`` (a study's ``Params``) with some settings changed.

    Values may be given as text (the CLI's ``--set name=value``: Python literals,
    ``true``/``false``), and are converted to the type of the setting they replace;
    an integer setting refuses ``3.5``, a sequence takes ``1,2,3`` or ``[1, 2, 3]``.

    Raises
    ------
    ValueError
        For a name the study does not declare (the message lists the ones it does) or
        a value of the wrong type; and whatever the study's ``Params`` refuses.
    """
    if not dataclasses.is_dataclass(params):
        raise TypeError(f"params must be a study's Params dataclass, got {type(params).__name__}")
    fields = {f.name for f in dataclasses.fields(params)}
    unknown = [name for name in overrides if name not in fields]
    if unknown:
        owner = getattr(sys.modules.get(type(params).__module__), "STUDY_ID", type(params).__name__)
        raise ValueError(
            f"unknown setting {unknown[0]!r} for {owner}; settings: {', '.join(sorted(fields))}"
        )
    changes = {
        name: _convert(name, value, getattr(params, name)) for name, value in overrides.items()
    }
    return dataclasses.replace(params, **changes)


def _study_module(params: Any):
    module = sys.modules.get(type(params).__module__)
    if module is None or not hasattr(module, "STUDY_ID"):
        raise TypeError(f"{type(params).__name__} is not the Params of a study module")
    return module


def _mode(module, params) -> str:
    if params == module.FULL:  # first: where QUICK is FULL, the quick run reproduces too
        return "full"
    if params == module.QUICK:
        return "quick"
    return "custom"


def study_result(
    params: Any,
    seed: Any,
    *,
    kind: str,
    groups: Mapping[str, Any],
    claims: Sequence[Any],
    source: str | None = None,
    extra_dims: Sequence[str] | None = None,
):
    """A study's result: provenance from ``params`` (its ``Params``) and ``seed``, the
    given groups and the ``claims`` group.

    Root attrs: ``study`` (the module's ``STUDY_ID``), ``source`` (its ``PAPER`` unless
    given), ``params`` (every setting), ``mode`` (``quick``, ``full`` or ``custom``:
    only ``full`` is the reproduction).
    """
    from neurosparse.results import claims_dataset, new_result

    module = _study_module(params)
    tree = new_result(
        kind,
        params=dataclasses.asdict(params),
        seed=seed,
        source=source if source is not None else module.PAPER,
        groups={**groups, "claims": claims_dataset(list(claims))},
        study=module.STUDY_ID,
        extra_dims=list(extra_dims) if extra_dims else None,
    )
    tree.attrs["mode"] = _mode(module, params)
    return tree


def params_of(result: Any) -> Any:
    """The ``Params`` a study's result was made with (from its ``params`` attr), so that
    ``plot(result)`` needs nothing but the result. Lists come back as tuples."""
    study_id = result.attrs.get("study")
    if study_id is None:
        raise ValueError("the result has no 'study' attr: it was not made by a study")
    module = get_study(study_id).load_module()
    raw = json.loads(result.attrs["params"])
    fields = {f.name for f in dataclasses.fields(module.Params)}
    return module.Params(**{k: _tuples(v) for k, v in raw.items() if k in fields})


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def run_and_save(module: Any, params: Any, out: str | os.PathLike, *, seed: int = 0):
    """Run a study module with ``params``, draw its figure, write both under ``out``
    and print a one-line summary of its claims. Returns the result."""
    from neurosparse.results import claims_table

    start = time.perf_counter()
    tree = module.run(params, seed)
    tree.attrs["run_seconds"] = round(time.perf_counter() - start, 3)
    tree.attrs["machine"] = machine_description()
    figure = module.plot(tree)
    save_study(tree, figure, out, module.STUDY_ID)
    verdicts = [c.verdict for c in claims_table(tree)]
    counts = ", ".join(
        f"{verdicts.count(v)} {word}"
        for v, word in (("agrees", "agree"), ("differs", "differ"), ("not tested", "not tested"))
    )
    mode = tree.attrs.get("mode", "custom")
    note = "" if mode == "full" else f" ({mode} settings: not the reproduction)"
    print(f"{module.STUDY_ID}: claims {counts}{note}")
    return tree


def machine_description() -> str:
    """One line naming the machine and the numeric stack a result was computed with.

    "Same seed, same bits" holds on one machine and software stack: NumPy, BLAS and torch
    pick their code paths by CPU (AVX2 or AVX-512, thread counts), and the last bits of
    some results follow. The studies record this line (root attr ``machine``) beside
    their numbers.
    """
    import platform

    import numpy as np

    parts = [platform.machine(), f"{os.cpu_count()} cores", f"Python {platform.python_version()}",
             f"numpy {np.__version__}"]  # fmt: skip
    for name in ("numba", "scipy", "torch"):
        module = sys.modules.get(name)
        if module is not None:
            parts.append(f"{name} {getattr(module, '__version__', '?')}")
    try:  # numpy's own report of the CPU features it dispatches on
        features = np._core._multiarray_umath.__cpu_features__
    except AttributeError:
        features = {}
    best = [f for f in ("AVX512F", "AVX2", "NEON", "SVE") if features.get(f)]
    if best:
        parts.append(f"CPU {best[0]}")
    return ", ".join(parts)


def study_main(module_name: str, out: str | os.PathLike, *, quick: bool = False, seed: int = 0):
    """The body of every study's ``main``: ``QUICK`` or ``FULL``, run, plot, save."""
    module = sys.modules[module_name]
    return run_and_save(module, module.QUICK if quick else module.FULL, out, seed=seed)


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

    Checks that the tree is ``study_id``'s, validates it (nothing is written if that
    fails), saves it atomically, then saves and closes the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    from neurosparse.results import save, validate

    if tree.attrs.get("study") != study_id:
        raise ValueError(
            f"the result is study {tree.attrs.get('study')!r}'s, not {study_id!r}: build it "
            "with neurosparse.studies.study_result"
        )
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
