"""The model contract: one way for every model to declare, validate, record and reload.

Everything in neurosparse that produces a result from parameters (an estimator that
learns, a torch network) follows it (``docs/ARCHITECTURE.md``, "The model contract"):

- **Identity**: class attributes ``kind`` (the result's ``family.thing``) and
  ``source`` (the paper it follows). A class that sets ``kind`` registers itself in
  :data:`MODELS`, and the conformance suite (:mod:`neurosparse.testing`) checks every
  registered class without anyone adding it by hand.
- **Parameters** (estimators, :class:`Model`): ``__init__`` stores its arguments
  unchanged under the same names; they are declared once, in the class's
  ``_parameter_constraints`` table (:mod:`neurosparse._validation`), and ``fit`` checks
  them all with :meth:`Model._validate_params` -- one wording for every error, one
  integer policy. ``get_params`` / ``set_params`` / ``repr`` come from the constructor's
  signature (:class:`ParamsMixin`), so ``sklearn.base.clone`` and ``GridSearchCV`` take
  them like scikit-learn's own.
- **Provenance, written once** (:class:`ResultMixin`): :meth:`~ResultMixin.to_result`
  builds the tree from the class's ``kind`` and ``source``, its parameters and the seed
  recorded by :meth:`~ResultMixin._record_seed` when the seed was first used; the class
  adds only its groups (``_result_groups``).
- **Fitted or not**: learned state ends in ``_``; using a model before ``fit`` raises
  :class:`NotFittedError` with one wording.
- **Back from a result**: classes with learned state implement ``_restore(tree)``, and
  ``Cls.from_result(tree_or_path)`` (or :func:`model_from_result`, which finds the
  class from the result's ``kind``) gives the model back.
"""

from __future__ import annotations

import inspect
import json
import os
from typing import Any, ClassVar

import numpy as np

from neurosparse._validation import (
    Constraint,
    resolve_rng,
    seed_attr,
    seed_from_attr,
    validate_params,
)

__all__ = [
    "MODELS",
    "Model",
    "NotFittedError",
    "ParamsMixin",
    "ResultMixin",
    "model_from_result",
]

#: Every registered model class, by its result ``kind``.
MODELS: dict[str, type] = {}


class NotFittedError(ValueError, AttributeError):
    """A model was used before ``fit`` (as scikit-learn's, a ``ValueError`` and an
    ``AttributeError``)."""


class ParamsMixin:
    """``get_params`` / ``set_params`` / ``repr`` from the constructor's signature."""

    @classmethod
    def _param_names(cls) -> list[str]:
        """The constructor's named parameters, in their order (``self`` and ``*args``,
        ``**kwargs`` left out)."""
        params = inspect.signature(cls.__init__).parameters.values()
        skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        return [p.name for p in params if p.name != "self" and p.kind not in skip]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's arguments, as stored.

        Parameters
        ----------
        deep : bool
            Also list the parameters of arguments that are estimators themselves, as
            ``name__param`` (scikit-learn's convention).
        """
        out = {}
        for name in self._param_names():
            value = getattr(self, name)
            out[name] = value
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params().items())
        return out

    def set_params(self, **params: Any) -> ParamsMixin:
        """Set constructor arguments (``name__param`` for a nested estimator's); the
        new values are validated by the next ``fit``. Returns the estimator.

        Raises
        ------
        ValueError
            For a name that is not a constructor argument (the message lists them).
        """
        valid = self._param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"{key!r} is not a parameter of {type(self).__name__}; "
                    f"its parameters are {', '.join(valid)}"
                )
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __sklearn_tags__(self):
        """scikit-learn's estimator tags (asked for by its model selection tools; only
        called by scikit-learn, so importing it here costs nothing otherwise): an
        unsupervised estimator, a transformer where it has ``transform``."""
        from sklearn.utils import Tags, TargetTags, TransformerTags

        return Tags(
            estimator_type=None,
            target_tags=TargetTags(required=False),
            transformer_tags=TransformerTags() if hasattr(self, "transform") else None,
        )

    def __repr__(self) -> str:
        """``Name(arg=value, ...)`` with the arguments that differ from their defaults
        (arrays by shape)."""
        defaults = inspect.signature(type(self).__init__).parameters
        parts = []
        for name in self._param_names():
            value = getattr(self, name)
            if not _is_default(value, defaults[name].default):
                parts.append(f"{name}={_short_repr(value)}")
        return f"{type(self).__name__}({', '.join(parts)})"


class ResultMixin:
    """``kind``, ``source``, registration, the seed record and ``to_result`` written once.

    Subclasses set ``kind`` and ``source``, call :meth:`_record_seed` where the seed is
    first used, and implement ``_result_groups()`` (``{node path: Dataset}``) and, where
    the parameters to record are not simply the constructor's, ``_result_params()``.
    """

    #: Result kind, ``family.thing``; setting it registers the class in :data:`MODELS`.
    kind: ClassVar[str] = ""
    #: The paper the model follows (root attr ``source`` of its results).
    source: ClassVar[str] = ""
    #: Dimension names beyond the standard ones that the result uses.
    result_extra_dims: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if not kind:
            return
        if not cls.__dict__.get("source") and not cls.source:
            raise TypeError(f"{cls.__name__} sets kind {kind!r} but no source")
        other = MODELS.get(kind)
        if other is not None and other.__qualname__ != cls.__qualname__:
            raise TypeError(f"kind {kind!r} of {cls.__name__} is taken by {other.__name__}")
        MODELS[kind] = cls

    # -- seed ----------------------------------------------------------------------------

    def _record_seed(self, seed: Any) -> np.random.Generator:
        """Record ``seed`` for the result's provenance (before anything draws from it)
        and return the generator it resolves to. Call it once, where the seed is used."""
        self._seed_attr = seed_attr(seed)
        return resolve_rng(seed)

    # -- result --------------------------------------------------------------------------

    def _result_params(self) -> dict[str, Any]:
        raise NotImplementedError

    def _result_groups(self) -> dict[str, Any]:
        raise NotImplementedError

    def _check_ready(self) -> None:
        """Raise :class:`NotFittedError` if there is nothing to write yet."""

    def to_result(self):
        """The model as a result tree (see the class's ``_result_groups`` for its nodes).

        Root attrs: ``kind`` and ``source`` of the class, ``params`` (the constructor's
        arguments, with defaults resolved where the fit resolved them), ``seed`` as
        recorded when the seed was first used.
        """
        from neurosparse.results import new_result

        self._check_ready()
        return new_result(
            self.kind,
            params=self._result_params(),
            seed=getattr(self, "_seed_attr", "none"),
            source=self.source,
            groups=self._result_groups(),
            extra_dims=list(self.result_extra_dims) or None,
        )

    @classmethod
    def from_result(cls, result: Any):
        """The model saved in ``result`` (a DataTree or a path to a saved result).

        Raises
        ------
        ValueError
            If the result is of another kind, or the class keeps no learned state
            to restore.
        """
        tree = _as_tree(result)
        if tree.attrs.get("kind") != cls.kind:
            raise ValueError(
                f"result is of kind {tree.attrs.get('kind')!r}; {cls.__name__}.from_result "
                f"needs kind {cls.kind!r}"
            )
        if "_restore" not in dir(cls):
            raise ValueError(f"{cls.__name__} has no learned state to restore from a result")
        model = cls._from_params(json.loads(tree.attrs["params"]), tree)
        model._restore(tree)
        model._seed_attr = tree.attrs["seed"]
        return model

    @classmethod
    def _from_params(cls, params: dict[str, Any], tree: Any):
        """A model built from a result's recorded parameters (those the constructor
        takes; ``seed`` from the recorded seed)."""
        names = inspect.signature(cls.__init__).parameters
        kwargs = {k: v for k, v in params.items() if k in names}
        if "seed" in names:
            kwargs["seed"] = seed_from_attr(tree.attrs["seed"])
        return cls(**kwargs)

    @classmethod
    def _conformance_example(cls, seed: int = 0) -> tuple[Any, tuple | None]:
        """A small example for the conformance suite (:mod:`neurosparse.testing`):
        ``(model, fit_args)``, the model built with ``seed`` and not yet fitted, and the
        arguments of its ``fit`` (``None`` for a model that is ready once built, such
        as a torch network)."""
        raise NotImplementedError(f"{cls.__name__} gives no conformance example")


class Model(ParamsMixin, ResultMixin):
    """Base of neurosparse's estimators: parameters declared once, validated by one
    validator, ``NotFittedError``, ``to_result`` / ``from_result`` written once.

    Subclasses declare ``_parameter_constraints`` (one entry per constructor argument,
    checked when the class is defined) and ``_fitted_attr`` (the attribute ``fit``
    sets), call :meth:`_validate_params` at the start of ``fit`` and
    :meth:`_record_seed` where they use ``seed``.
    """

    #: ``{constructor argument: Constraint}``, every argument exactly once.
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {}
    #: The attribute that ``fit`` sets (what "fitted" means).
    _fitted_attr: ClassVar[str] = ""
    #: Constructor arguments left out of a result's ``params`` (arrays; seed is the
    #: result's own attr).
    _params_not_recorded: ClassVar[tuple[str, ...]] = ("seed",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if cls.__dict__.get("kind"):  # checked before the class is registered
            declared, names = set(cls._parameter_constraints), set(cls._param_names())
            if declared != names:
                raise TypeError(
                    f"{cls.__name__}._parameter_constraints must list exactly the "
                    f"constructor's arguments: missing {sorted(names - declared)}, "
                    f"extra {sorted(declared - names)}"
                )
        super().__init_subclass__(**kwargs)

    def _validate_params(self) -> dict[str, Any]:
        """Every constructor argument checked against its constraint; the clean values."""
        return validate_params(self._parameter_constraints, self.get_params(deep=False))

    def _check_ready(self) -> None:
        self._check_fitted()

    def _check_fitted(self) -> None:
        """Raise :class:`NotFittedError` unless ``fit`` has run."""
        if not hasattr(self, self._fitted_attr):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit() before "
                "using it (or load one with from_result)"
            )

    def _result_params(self) -> dict[str, Any]:
        params = self.get_params(deep=False)
        for name in self._params_not_recorded:
            params.pop(name, None)
        return params


def model_from_result(result: Any):
    """The model saved in ``result`` (a DataTree or a path), of the class registered
    for its ``kind``.

    Raises
    ------
    ValueError
        If no registered model writes results of that kind.
    """
    import_families()
    tree = _as_tree(result)
    kind = tree.attrs.get("kind")
    if kind not in MODELS:
        raise ValueError(
            f"no model writes results of kind {kind!r}; models: {', '.join(sorted(MODELS))}"
        )
    return MODELS[kind].from_result(tree)


def families() -> dict[str, tuple[str, ...]]:
    """The model families and their optional modules.

    A family is a subpackage of :mod:`neurosparse` whose ``__init__.py`` sets
    ``FAMILY = "<one line>"`` at module level, and optionally ``OPTIONAL_MODULES =
    ("layers", ...)``: its submodules that need an optional dependency (torch, ...).
    Both are read without importing anything, so adding a family edits no shared file.
    """
    import ast
    from pathlib import Path

    found: dict[str, tuple[str, ...]] = {}
    for init in sorted(Path(__file__).resolve().parent.glob("*/__init__.py")):
        assigned = {}
        for node in ast.parse(init.read_text(encoding="utf-8")).body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                try:
                    assigned[node.targets[0].id] = ast.literal_eval(node.value)
                except ValueError:
                    continue
        if "FAMILY" in assigned:
            found[init.parent.name] = tuple(assigned.get("OPTIONAL_MODULES", ()))
    return found


def import_families(*, optional: bool = True) -> dict[str, type]:
    """Import every family, optional modules included where their dependency is
    installed (with ``optional=False``, a missing one raises ``ImportError``), so that
    all models are registered; return :data:`MODELS`."""
    import importlib

    for name, extras in families().items():
        importlib.import_module(f"neurosparse.{name}")
        for sub in extras:
            try:
                importlib.import_module(f"neurosparse.{name}.{sub}")
            except ModuleNotFoundError as exc:  # a missing dependency, not our own bug
                if not optional or (exc.name or "").startswith("neurosparse"):
                    raise
    return MODELS


def _as_tree(result: Any):
    import xarray as xr

    from neurosparse.results import load, validate

    if isinstance(result, str | os.PathLike):
        return load(result)
    if not isinstance(result, xr.DataTree):
        raise TypeError(f"result must be a DataTree or a path, got {type(result).__name__}")
    return validate(result)


def _is_default(value: Any, default: Any) -> bool:
    if value is default:
        return True
    if default is inspect.Parameter.empty or isinstance(value, np.ndarray):
        return False
    try:
        return bool(value == default) and type(value) is type(default)
    except (TypeError, ValueError):
        return False


def _short_repr(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<array {value.shape} {value.dtype}>"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
