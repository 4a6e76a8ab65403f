"""Conformance checks every model, study and bridge test runs (shipped, importable).

In the manner of scikit-learn's ``estimator_checks`` and nengo's pytest plugin: each
check takes the thing under test and raises ``AssertionError`` with a clear message when
it breaks a convention. A model's test module calls them with one line each::

    from neurosparse.testing import check_result_roundtrip, check_deterministic

    def test_conformance(tmp_path):
        tree = MyModel(seed=0).fit(X).to_result()
        check_result_roundtrip(tree, tmp_path)
        check_deterministic(lambda seed: MyModel(seed=seed).fit(X).to_result())

An engine that cannot pass a check lists it, with the reason, in its test module.
"""

from __future__ import annotations

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
    "check_params",
    "check_result",
    "check_result_roundtrip",
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
