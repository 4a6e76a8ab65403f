"""Sparse coding beyond l1 (Rentzeperis, Calatroni, Perrinet & Prandi 2023).

- Penalties and proximal operators, written once: :func:`prox`, :func:`penalty_value`
  for ``"l1"``, ``"l0"``, ``"l1/2"``, ``"lq"`` and ``"cel0"`` (per-atom column norms).
- Encoding: :func:`sparse_encode` (ISTA, FISTA, LCA, coordinate descent), :func:`objective`,
  the scikit-learn-style :class:`SparseCoder`.
- Dictionary learning on natural-image patches: :class:`DictionaryLearner`, the paper's
  whitening and patch sampling, λ calibration at matched sparsity.
- V1 analysis: grating responses, orientation tuning, circular variance, Gabor fits.

Heavy loops live in ``_kernels.py`` / ``_dictionary_kernels.py`` (pure Numba functions):
serial kernels are cached, ``parallel=True`` kernels are not.
"""

from neurosparse.coding.encode import (
    SOLVERS,
    STOP_RULES,
    EncodeInfo,
    SparseCoder,
    encode_batch,
    objective,
    sparse_encode,
)
from neurosparse.coding.prox import PENALTIES, penalty_value, prox

__all__ = [
    "PENALTIES",
    "SOLVERS",
    "STOP_RULES",
    "EncodeInfo",
    "SparseCoder",
    "encode_batch",
    "objective",
    "penalty_value",
    "prox",
    "sparse_encode",
]
