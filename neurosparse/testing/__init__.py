"""Conformance checks every model, study and bridge passes (shipped, importable).

In the manner of scikit-learn's ``estimator_checks`` and nengo's pytest plugin: each
check takes the thing under test and raises ``AssertionError`` with a clear message when
it breaks a convention. :func:`check_model` runs every model check on one registered
model class, :func:`check_study` every study check on one study; the project's
``tests/test_conformance.py`` runs them over :func:`registered_models` and every study
found, so a new family or study is checked the day it lands, without anyone adding it
(``docs/ARCHITECTURE.md``, "Conformance"). The single checks stay public for a model's
own tests::

    from neurosparse.testing import check_result_roundtrip, check_deterministic

    def test_conformance(tmp_path):
        tree = MyModel(seed=0).fit(X).to_result()
        check_result_roundtrip(tree, tmp_path)
        check_deterministic(lambda seed: MyModel(seed=seed).fit(X).to_result())

A model that cannot pass a check lists it, with the reason, in its test module.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

__all__ = [
    "assert_trees_equal",
    "check_bad_input",
    "check_deterministic",
    "check_long_names",
    "check_model",
    "check_params",
    "check_result",
    "check_result_roundtrip",
    "check_study",
    "quick_study_result",
    "registered_models",
    "require",
]


def require(module: str, extra: str | None = None):
    """Import an optional dependency in a test, or skip (fail under CI's strict mode).

    With ``NEUROSPARSE_REQUIRE_ALL_DEPS=1`` a missing dependency fails the test instead
    of skipping it, so CI never passes by skipping.
    """
    import importlib

    import pytest

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        hint = f" (pip install neurosparse[{extra}])" if extra else ""
        message = f"optional dependency {module!r} is missing{hint}: {exc}"
        if os.environ.get("NEUROSPARSE_REQUIRE_ALL_DEPS") == "1":
            pytest.fail(message + " -- NEUROSPARSE_REQUIRE_ALL_DEPS=1 forbids skipping")
        pytest.skip(message)


def _compare(a: xr.DataTree, b: xr.DataTree, *, ignore_attrs: tuple[str, ...] = ()) -> None:
    paths_a = sorted(node.path for node in a.subtree)
    paths_b = sorted(node.path for node in b.subtree)
    assert paths_a == paths_b, f"groups differ: {paths_a} vs {paths_b}"
    for path in paths_a:
        da, db = a[path].to_dataset(), b[path].to_dataset()
        attrs_a = {k: v for k, v in da.attrs.items() if k not in ignore_attrs}
        attrs_b = {k: v for k, v in db.attrs.items() if k not in ignore_attrs}
        assert _attrs_equal(attrs_a, attrs_b), f"attrs of {path} differ: {attrs_a} vs {attrs_b}"
        assert set(da.variables) == set(db.variables), (
            f"variables of {path} differ: {sorted(da.variables)} vs {sorted(db.variables)}"
        )
        for name in da.variables:
            va, vb = da[name].variable, db[name].variable
            where = f"{path}/{name}"
            assert va.dims == vb.dims, f"{where}: dims {va.dims} vs {vb.dims}"
            assert va.dtype == vb.dtype, f"{where}: dtype {va.dtype} vs {vb.dtype}"
            x, y = va.values, vb.values
            if x.dtype.kind in "fc":
                # bitwise equality, NaN at the same places
                assert x.shape == y.shape and np.array_equal(x, y, equal_nan=True), (
                    f"{where}: values differ"
                )
            else:
                assert np.array_equal(x, y), f"{where}: values differ"
            assert _attrs_equal(va.attrs, vb.attrs), f"{where}: attrs {va.attrs} vs {vb.attrs}"


def _attrs_equal(a: dict, b: dict) -> bool:
    if set(a) != set(b):
        return False
    for key in a:
        x, y = np.asarray(a[key]), np.asarray(b[key])
        if x.shape != y.shape or not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
            return False
    return True


def assert_trees_equal(
    a: xr.DataTree, b: xr.DataTree, *, ignore_attrs: tuple[str, ...] = ()
) -> None:
    """Assert two result trees hold the same groups, variables (bitwise), dims, dtypes, attrs."""
    _compare(a, b, ignore_attrs=ignore_attrs)


def check_result(tree: Any, *, kind: str | None = None) -> xr.DataTree:
    """Assert ``tree`` is a valid result (optionally of the given ``kind``)."""
    from neurosparse.results import ResultFormatError, validate

    assert isinstance(tree, xr.DataTree), f"expected a DataTree, got {type(tree).__name__}"
    try:
        validate(tree)
    except ResultFormatError as exc:
        raise AssertionError(f"result breaks the format: {exc}") from None
    if kind is not None:
        assert tree.attrs["kind"] == kind, f"kind {tree.attrs['kind']!r} != {kind!r}"
    return tree


def check_result_roundtrip(tree: xr.DataTree, directory: str | os.PathLike) -> None:
    """Save ``tree`` as ``.nc`` and ``.zarr`` in ``directory``, load each, compare exactly."""
    from neurosparse.results import load, save

    check_result(tree)
    for suffix in (".nc", ".zarr"):
        path = Path(directory) / f"roundtrip{suffix}"
        save(tree, path)
        back = load(path)
        try:
            _compare(tree, back)
        except AssertionError as exc:
            raise AssertionError(f"round trip through {suffix} changed the result: {exc}") from None


def check_deterministic(
    make: Callable[..., Any], *, seeds: tuple[int, int] = (0, 1), differ: bool = True
) -> None:
    """``make(seed=s)`` twice with the same seed gives bit-identical results.

    ``make`` returns a DataTree (compared ignoring ``created_at``) or arrays. With
    ``differ=True`` a different seed must change something (the seed is really used).
    """

    def as_tree(obj):
        if isinstance(obj, xr.DataTree):
            return obj
        if isinstance(obj, tuple | list):
            data = {f"v{i}": np.asarray(v) for i, v in enumerate(obj)}
        elif isinstance(obj, dict):
            data = {str(k): np.asarray(v) for k, v in obj.items()}
        else:
            data = {"v0": np.asarray(obj)}
        ds = xr.Dataset(
            {k: (tuple(f"d{k}_{i}" for i in range(v.ndim)), v) for k, v in data.items()}
        )
        return xr.DataTree(dataset=ds)

    first = as_tree(make(seed=seeds[0]))
    again = as_tree(make(seed=seeds[0]))
    try:
        _compare(first, again, ignore_attrs=("created_at",))
    except AssertionError as exc:
        raise AssertionError(f"same seed, different results: {exc}") from None
    if differ:
        other = as_tree(make(seed=seeds[1]))
        try:
            _compare(first, other, ignore_attrs=("created_at", "seed", "params"))
        except AssertionError:
            return
        raise AssertionError(f"seeds {seeds[0]} and {seeds[1]} gave identical results")


def check_bad_input(
    call: Callable[..., Any],
    *,
    exc: type[BaseException] | tuple[type[BaseException], ...] = (ValueError, TypeError),
    names: tuple[str, ...] | str = (),
    **kwargs: Any,
) -> BaseException:
    """``call(**kwargs)`` raises ``exc`` whose message names each of ``names``.

    Returns the raised exception so the caller can check more.
    """
    if isinstance(names, str):
        names = (names,)
    try:
        call(**kwargs)
    except exc as raised:
        message = str(raised)
        for name in names:
            assert re.search(rf"\b{re.escape(name)}\b", message), (
                f"error message does not name {name!r}: {message!r}"
            )
        return raised
    raise AssertionError(f"{getattr(call, '__name__', call)}({kwargs}) did not raise {exc}")


def check_params(estimator: Any) -> None:
    """``estimator`` follows scikit-learn's parameter protocol (what ``sklearn.base.clone``,
    ``Pipeline`` and ``GridSearchCV`` rely on), checked without scikit-learn.

    ``get_params(deep=False)`` lists exactly the constructor's arguments, each the very
    object stored; the class rebuilt from them has the same parameters; ``set_params``
    returns the estimator and sets what it is given; an unknown name is a ``ValueError``
    naming it; ``repr`` starts with the class name.
    """
    import inspect

    cls = type(estimator)
    signature = inspect.signature(cls.__init__).parameters
    names = [n for n in signature if n != "self"]
    params = estimator.get_params(deep=False)
    assert list(params) == names, f"get_params() keys {list(params)} != constructor's {names}"
    for name, value in params.items():
        assert value is getattr(estimator, name), f"get_params()[{name!r}] is not the stored value"
    rebuilt = cls(**params).get_params(deep=False)
    for name, value in params.items():
        assert rebuilt[name] is value, f"{cls.__name__}(**get_params()) changed {name!r}"
    assert estimator.set_params(**params) is estimator, "set_params must return the estimator"
    name = names[-1]
    marker = object()
    old = params[name]
    estimator.set_params(**{name: marker})
    assert getattr(estimator, name) is marker, f"set_params({name}=...) did not set it"
    estimator.set_params(**{name: old})
    check_bad_input(estimator.set_params, exc=ValueError, names="no_such_parameter",
                    no_such_parameter=1)  # fmt: skip
    assert repr(estimator).startswith(cls.__name__ + "("), f"repr {estimator!r}"


# --------------------------------------------------------------------- over the registry


def registered_models() -> dict[str, type]:
    """Every registered model class by kind, all families imported (the optional
    modules of a family where their dependency is installed)."""
    from neurosparse._estimator import import_families

    return dict(sorted(import_families().items()))


def check_long_names(tree: xr.DataTree) -> None:
    """Every variable (data and coordinate) of every node carries a ``long_name``."""
    for node in tree.subtree:
        for name, var in node.dataset.variables.items():
            assert "long_name" in var.attrs, f"{node.path}/{name} has no long_name attr"


def _fitted(cls: type, seed: int = 0):
    """The class's conformance example, fitted, with its fit arguments."""
    model, args = cls._conformance_example(seed=seed)
    if args is not None:
        model.fit(*args)
        x = args[0]
        for method in ("transform", "predict"):
            if callable(getattr(model, method, None)):
                getattr(model, method)(x)
                break
    return model, args


def _without(tree: xr.DataTree, groups: tuple[str, ...]) -> xr.DataTree:
    out = tree.copy()
    for name in groups:
        if name in out.children:
            del out[name]
    return out


def check_model(cls: type, directory: str | os.PathLike) -> None:
    """Every model check on one registered model class.

    - identity: ``kind`` and ``source`` set, the class registered under its kind;
    - for estimators (``Model``): scikit-learn's parameter protocol (:func:`check_params`);
      every constraint's bad values refused by ``fit`` with an error naming the
      parameter; :class:`~neurosparse.NotFittedError` before ``fit``;
    - the result: valid, of the class's kind and source, a ``long_name`` on every
      variable, bit-identical after a round trip through ``.nc`` and ``.zarr``;
    - determinism: the same seed gives the same result, another seed another one;
    - ``from_result`` (classes with learned state): the model comes back with the same
      state and parameters.
    """
    from neurosparse._estimator import MODELS, Model, NotFittedError

    assert cls.kind and cls.source, f"{cls.__name__} needs kind and source"
    assert MODELS.get(cls.kind) is cls, f"{cls.__name__} is not registered as {cls.kind!r}"
    model, args = cls._conformance_example(seed=0)
    if isinstance(model, Model):
        check_params(model)
        try:
            model.to_result()
        except NotFittedError:
            pass
        else:
            raise AssertionError(f"{cls.__name__}.to_result() before fit did not raise")
        for name, constraint in model._parameter_constraints.items():
            for bad in constraint.bad_values():
                fresh = cls(**model.get_params(deep=False))
                fresh.set_params(**{name: bad})
                try:
                    fresh.fit(*args)
                except (ValueError, TypeError) as exc:
                    assert re.search(rf"\b{re.escape(name)}\b", str(exc)), (
                        f"{cls.__name__}({name}={bad!r}).fit: message does not name {name!r}: {exc}"
                    )
                else:
                    raise AssertionError(f"{cls.__name__}({name}={bad!r}).fit did not raise")
    fitted, _ = _fitted(cls, seed=0)
    tree = check_result(fitted.to_result(), kind=cls.kind)
    assert tree.attrs["source"] == cls.source, "result source is not the class's source"
    check_long_names(tree)
    check_result_roundtrip(tree, directory)
    takes_seed = "seed" in inspect.signature(cls.__init__).parameters
    check_deterministic(lambda seed: _fitted(cls, seed=seed)[0].to_result(), differ=takes_seed)
    if "_restore" in dir(cls):
        back = cls.from_result(tree).to_result()
        kept = ("state", "connectivity")
        dropped = tuple(g for g in tree.children if g not in kept)
        _compare(_without(tree, dropped), _without(back, dropped), ignore_attrs=("created_at",))


@functools.cache
def quick_study_result(study_id: str, seed: int = 0) -> xr.DataTree:
    """A study's result with its ``QUICK`` settings, computed once per process (tests
    share it; do not modify it)."""
    from neurosparse.studies import get_study

    module = get_study(study_id).load_module()
    return module.run(module.QUICK, seed)


def check_study(study_id: str, directory: str | os.PathLike) -> None:
    """Every study check on one registered study.

    The module follows the study contract (``Params`` a frozen dataclass, ``QUICK`` and
    ``FULL`` instances of it, ``run``, ``plot``, ``main``); the quick result is valid,
    says it is the study's and a quick run, has claims and a ``long_name`` on every
    variable, gives its settings back (``params_of``) and survives a round trip; the
    figure is drawn from the result alone; an unknown setting is refused by name.
    """
    import dataclasses

    import matplotlib.figure
    import matplotlib.pyplot as plt

    from neurosparse.results import claims_table
    from neurosparse.studies import apply_overrides, get_study, params_of

    module = get_study(study_id).load_module()
    params_cls = module.Params
    assert dataclasses.is_dataclass(params_cls), f"{study_id}: Params is not a dataclass"
    assert params_cls.__dataclass_params__.frozen, f"{study_id}: Params must be frozen"
    for name in ("QUICK", "FULL"):
        assert isinstance(getattr(module, name), params_cls), f"{study_id}: {name} not a Params"
    assert callable(module.main), f"{study_id}: no main()"
    tree = check_result(quick_study_result(study_id))
    assert tree.attrs.get("study") == study_id, f"{study_id}: result's study attr"
    expected = "full" if module.QUICK == module.FULL else "quick"
    assert tree.attrs.get("mode") == expected, f"{study_id}: quick result's mode"
    assert claims_table(tree), f"{study_id}: no claims"
    check_long_names(tree)
    assert params_of(tree) == module.QUICK, f"{study_id}: params_of(result) != QUICK"
    try:
        apply_overrides(module.QUICK, {"no_such_setting": 1})
    except ValueError as exc:
        assert "no_such_setting" in str(exc)
    else:
        raise AssertionError(f"{study_id}: an unknown setting was accepted")
    figure = module.plot(tree)
    try:
        assert isinstance(figure, matplotlib.figure.Figure), f"{study_id}: plot() not a Figure"
    finally:
        plt.close(figure)
    check_result_roundtrip(tree, directory)
