"""Claims: what a paper says, what a study got, and whether they agree, in one table.

Every study writes a ``claims`` group (``docs/ARCHITECTURE.md``, "Claims") with
dimension ``claim`` and these variables, one row per claim:

``statement``
    The claim in words ("Eq. 4 gives 7.37e-3 at n=500, a=128, s=24, theta=12").
``published`` / ``reproduced``
    The published and the reproduced value as text (numbers formatted, or words for a
    qualitative claim such as an ordering).
``published_value`` / ``reproduced_value``
    The same as numbers where they are numbers, else NaN.
``tolerance``
    What counts as agreement ("1 % relative", "same order").
``verdict``
    ``"agrees"``, ``"differs"`` or ``"not tested"`` (:data:`VERDICTS`).
``source``
    Where the published value comes from (paper, figure, table).

Helpers build the rows: :func:`claim_close` for a number against a published number
within a tolerance, :func:`claim_check` for anything decided by the study itself, and
:func:`claims_dataset` turns a list of rows into the group; :func:`claims_table` reads
a result's group back as rows.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

__all__ = [
    "CLAIM_VARIABLES",
    "VERDICTS",
    "Claim",
    "claim_check",
    "claim_close",
    "claims_dataset",
    "claims_table",
]

#: The verdicts a claim can have.
VERDICTS = ("agrees", "differs", "not tested")

#: The variables of the ``claims`` group, all along dimension ``claim``.
CLAIM_VARIABLES = (
    "statement",
    "published",
    "reproduced",
    "published_value",
    "reproduced_value",
    "tolerance",
    "verdict",
    "source",
)

_LONG_NAMES = {
    "statement": "the claim",
    "published": "published value",
    "reproduced": "reproduced value",
    "published_value": "published value (NaN: not a number)",
    "reproduced_value": "reproduced value (NaN: not a number)",
    "tolerance": "what counts as agreement",
    "verdict": "agrees / differs / not tested",
    "source": "where the published value comes from",
}


@dataclass(frozen=True)
class Claim:
    """One row of a study's ``claims`` group (see the module docstring)."""

    statement: str
    published: str
    reproduced: str
    tolerance: str
    verdict: str
    source: str
    published_value: float = math.nan
    reproduced_value: float = math.nan

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(
                f"verdict must be one of {', '.join(map(repr, VERDICTS))}; got {self.verdict!r}"
            )
        for name in ("statement", "published", "reproduced", "tolerance", "source"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"{name} must be a str, got {getattr(self, name)!r}")


def _fmt(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return f"{float(value):.4g}"
    return str(value)


def _number(value: Any) -> float:
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        return float(value)
    return math.nan


def claim_close(
    statement: str,
    published: float,
    reproduced: float | None,
    *,
    source: str,
    rtol: float | None = None,
    atol: float | None = None,
) -> Claim:
    """A numeric claim: ``reproduced`` agrees with ``published`` when
    ``|reproduced - published| <= atol + rtol * |published|``.

    ``reproduced=None`` (or NaN) gives ``"not tested"``. At least one of ``rtol`` /
    ``atol`` is required; the tolerance column says which were used.
    """
    if rtol is None and atol is None:
        raise ValueError("claim_close needs rtol or atol")
    parts = []
    if rtol is not None:
        parts.append(f"{100 * rtol:.3g} % relative")
    if atol is not None:
        parts.append(f"{atol:.3g} absolute")
    tolerance = " + ".join(parts)
    pub = float(published)
    if reproduced is None or not np.isfinite(reproduced):
        return Claim(statement, _fmt(pub), "not run", tolerance, "not tested", source, pub)
    rep = float(reproduced)
    ok = abs(rep - pub) <= (atol or 0.0) + (rtol or 0.0) * abs(pub)
    return Claim(
        statement, _fmt(pub), _fmt(rep), tolerance, "agrees" if ok else "differs", source,
        pub, rep,
    )  # fmt: skip


def claim_check(
    statement: str,
    published: Any,
    reproduced: Any,
    agrees: bool | None,
    *,
    tolerance: str,
    source: str,
) -> Claim:
    """A claim decided by the study (an ordering, a range, a qualitative finding).

    ``agrees``: ``True`` / ``False`` for ``"agrees"`` / ``"differs"``, ``None`` for
    ``"not tested"``. ``published`` / ``reproduced``: numbers or text.
    """
    verdict = "not tested" if agrees is None else ("agrees" if agrees else "differs")
    return Claim(
        statement, _fmt(published), _fmt(reproduced), tolerance, verdict, source,
        _number(published), _number(reproduced),
    )  # fmt: skip


def claims_dataset(claims: list[Claim] | tuple[Claim, ...]) -> xr.Dataset:
    """The ``claims`` group from a list of :class:`Claim` rows (at least one)."""
    claims = list(claims)
    if not claims or not all(isinstance(c, Claim) for c in claims):
        raise ValueError("claims must be a non-empty list of Claim rows")
    data = {}
    for name in CLAIM_VARIABLES:
        values = [getattr(c, name) for c in claims]
        arr = np.asarray(values, dtype=np.float64 if name.endswith("_value") else str)
        data[name] = ("claim", arr, {"long_name": _LONG_NAMES[name]})
    coords = {"claim": ("claim", np.arange(len(claims)), {"long_name": "claim number"})}
    return xr.Dataset(data, coords=coords)


def claims_table(tree: xr.DataTree) -> list[Claim]:
    """A result's ``claims`` group as :class:`Claim` rows ([] when it has none)."""
    if "claims" not in tree.children:
        return []
    ds = tree["claims"].to_dataset()
    rows = []
    for i in range(ds.sizes["claim"]):
        values = {name: ds[name].values[i] for name in CLAIM_VARIABLES}
        rows.append(
            Claim(**{k: (float(v) if k.endswith("_value") else str(v)) for k, v in values.items()})
        )
    return rows
