"""The shared result format (see :mod:`neurosparse.results.schema` for the schema).

Every model, study and sweep in neurosparse returns an :class:`xarray.DataTree` that
:func:`validate` accepts; :func:`save` writes it atomically to ``.nc`` or ``.zarr`` and
:func:`load` reads it back, never running code.
"""

from neurosparse.results.claims import (
    VERDICTS,
    Claim,
    claim_check,
    claim_close,
    claims_dataset,
    claims_table,
)
from neurosparse.results.convert import (
    connectivity_from_indices,
    connectivity_from_mask,
    indices_from_connectivity,
    mask_from_connectivity,
    new_result,
    spikes_from_dataset,
    spikes_to_dataset,
    weights_from_connectivity,
)
from neurosparse.results.io import load, save
from neurosparse.results.schema import (
    GROUPS,
    REQUIRED_ATTRS,
    STANDARD_DIMS,
    ResultFormatError,
    make_attrs,
    validate,
)

__all__ = [
    "GROUPS",
    "REQUIRED_ATTRS",
    "STANDARD_DIMS",
    "VERDICTS",
    "Claim",
    "ResultFormatError",
    "claim_check",
    "claim_close",
    "claims_dataset",
    "claims_table",
    "connectivity_from_indices",
    "connectivity_from_mask",
    "indices_from_connectivity",
    "load",
    "make_attrs",
    "mask_from_connectivity",
    "new_result",
    "save",
    "spikes_from_dataset",
    "spikes_to_dataset",
    "validate",
    "weights_from_connectivity",
]
