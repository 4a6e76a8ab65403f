"""scikit-learn's parameter protocol for neurosparse's estimators, without scikit-learn.

The estimators (:class:`~neurosparse.coding.SparseCoder`,
:class:`~neurosparse.coding.DictionaryLearner`,
:class:`~neurosparse.dendrites.DendriticNeuron`) store their constructor's arguments
unchanged under the same names and validate them in ``fit``, as scikit-learn's do. This
mixin derives ``get_params``, ``set_params`` and the ``repr`` from the constructor's
signature, so that ``sklearn.base.clone``, ``Pipeline`` and ``GridSearchCV`` take them
like their own (scikit-learn stays an optional dependency).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np


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
