"""Sparse coding beyond l1 (Rentzeperis, Calatroni, Perrinet & Prandi 2023).

- Penalties and proximal operators, written once: :func:`prox`, :func:`penalty_value`
  for ``"l1"``, ``"l0"``, ``"l1/2"``, ``"lq"`` and ``"cel0"`` (per-atom column norms).
- Encoding: :func:`sparse_encode` (ISTA, FISTA, LCA, coordinate descent), :func:`objective`,
  the scikit-learn-style :class:`SparseCoder`.
- Dictionary learning on natural-image patches: :class:`DictionaryLearner`, the paper's
  whitening and patch sampling, λ calibration at matched sparsity.
- V1 analysis: grating responses, orientation tuning, circular variance, Gabor fits.

Heavy loops live in ``_kernels.py`` (pure Numba functions; "Numba kernels" in ARCHITECTURE.md):
serial kernels and their ``parallel=True`` twins are cached on disk.
"""

from neurosparse.coding.calibrate import Calibration, calibrate_lambda, fit_at_sparsity
from neurosparse.coding.connectivity import dictionary_connectivity, dictionary_connectivity_node
from neurosparse.coding.dictionary import (
    PAPER_SETTINGS,
    DictionaryLearner,
    default_eta,
    ista_encode,
)
from neurosparse.coding.encode import (
    SOLVERS,
    STOP_RULES,
    EncodeInfo,
    SparseCoder,
    encode_batch,
    objective,
    sparse_encode,
)
from neurosparse.coding.images import (
    extract_patches,
    natural_patches,
    whiten_images,
    whitening_filter,
)
from neurosparse.coding.prox import PENALTIES, penalty_value, prox
from neurosparse.coding.v1 import (
    GABOR_PARAMS,
    activity_statistics,
    circular_variance,
    fit_gabor,
    fit_gabors,
    gabor,
    grating_responses,
    grating_stimuli,
    orientation_tuning,
)

#: Read by neurosparse's family registry (docs/ARCHITECTURE.md, "How to add").
FAMILY = "Sparse coding beyond l1 (Rentzeperis et al. 2023)"

__all__ = [
    "GABOR_PARAMS",
    "PAPER_SETTINGS",
    "PENALTIES",
    "SOLVERS",
    "STOP_RULES",
    "Calibration",
    "DictionaryLearner",
    "EncodeInfo",
    "SparseCoder",
    "activity_statistics",
    "calibrate_lambda",
    "circular_variance",
    "default_eta",
    "dictionary_connectivity",
    "dictionary_connectivity_node",
    "encode_batch",
    "extract_patches",
    "fit_at_sparsity",
    "fit_gabor",
    "fit_gabors",
    "gabor",
    "grating_responses",
    "grating_stimuli",
    "ista_encode",
    "natural_patches",
    "objective",
    "orientation_tuning",
    "penalty_value",
    "prox",
    "sparse_encode",
    "whiten_images",
    "whitening_filter",
]
