r"""A dictionary as connectivity: atoms as postsynaptic units, pixels as presynaptic.

A dictionary :math:`\Phi` (``components_``, shape ``(n_atoms, n_pixels)``) is the weight
matrix of a layer whose units are the atoms: unit :math:`j` receives pixel :math:`i`
through the weight :math:`\Phi_{ji}`, in the ``(post, pre)`` orientation of the result
format. Learned atoms are dense; which weights become synapses is a choice, made here
by a magnitude threshold and/or the ``top_k`` largest magnitudes per atom, so that the
bridges (:mod:`neurosparse.bridges`) carry the dictionary into PyTorch, brian2 and NIR.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from neurosparse._validation import check_array, check_int, check_real

__all__ = ["dictionary_connectivity", "dictionary_connectivity_node"]


def _components(dictionary: Any) -> np.ndarray:
    """The atoms of a fitted model (``DictionaryLearner``, ``SparseCoder``) or an array."""
    from neurosparse._estimator import Model

    if isinstance(dictionary, Model):
        dictionary._check_fitted()  # NotFittedError, worded once
        return np.asarray(getattr(dictionary, type(dictionary)._fitted_attr))
    return check_array("dictionary", dictionary, ndim=2)


def dictionary_connectivity_node(
    dictionary: Any,
    *,
    threshold: float = 0.0,
    top_k: int | None = None,
    pre_layer: str = "pixel",
    post_layer: str = "atom",
) -> xr.Dataset:
    r"""The connectivity node of a dictionary (COO, with the weights).

    Synapse :math:`(j, i)` exists when :math:`|\Phi_{ji}| > \text{threshold}` and, with
    ``top_k``, when :math:`|\Phi_{ji}|` is among the ``top_k`` largest magnitudes of atom
    :math:`j` (ties broken towards the lower pixel index). Its weight is
    :math:`\Phi_{ji}`.

    Parameters
    ----------
    dictionary : array-like, shape (n_atoms, n_pixels), or a fitted model
        The atoms as rows (a fitted ``DictionaryLearner``'s ``components_`` or a
        ``SparseCoder``'s ``dictionary_`` are read from the model).
    threshold : float
        Magnitudes at or below it are not synapses (``0``: every nonzero weight).
    top_k : int, optional
        Keep at most this many synapses per atom, the largest in magnitude.
    pre_layer, post_layer : str
        Layer names of the pixels and the atoms.

    Returns
    -------
    xarray.Dataset
        ``pre`` (pixel), ``post`` (atom) and ``weight`` along ``synapse``, sorted by
        atom then pixel; attrs ``n_pre``, ``n_post``, ``pre_layer``, ``post_layer``,
        ``threshold``, ``top_k`` (``-1`` for none).
    """
    from neurosparse.results import connectivity_from_indices

    phi = _components(dictionary)
    threshold = check_real("threshold", threshold, low=0.0)
    n_atoms, n_pixels = phi.shape
    keep = np.abs(phi) > threshold
    if top_k is not None:
        top_k = check_int("top_k", top_k, low=1, high=n_pixels)
        # stable sort of -|w|: equal magnitudes keep pixel order
        order = np.argsort(-np.abs(phi), axis=1, kind="stable")[:, :top_k]
        in_top = np.zeros_like(keep)
        np.put_along_axis(in_top, order, True, axis=1)
        keep &= in_top
    post, pre = np.nonzero(keep)
    node = connectivity_from_indices(
        pre, post, n_pixels, n_atoms, weight=phi[post, pre],
        pre_layer=pre_layer, post_layer=post_layer,
    )  # fmt: skip
    node.attrs["threshold"] = float(threshold)
    node.attrs["top_k"] = -1 if top_k is None else int(top_k)
    return node


def dictionary_connectivity(
    dictionary: Any,
    *,
    threshold: float = 0.0,
    top_k: int | None = None,
    pre_layer: str = "pixel",
    post_layer: str = "atom",
) -> xr.DataTree:
    """A result holding a dictionary as ``connectivity/dictionary``, ready for the bridges.

    Parameters and selection of the synapses as :func:`dictionary_connectivity_node`.

    Returns
    -------
    xarray.DataTree
        A valid result of kind ``coding.dictionary_connectivity`` (params ``threshold``,
        ``top_k``, ``n_atoms``, ``n_pixels``).

    Examples
    --------
    >>> import numpy as np
    >>> phi = np.array([[0.9, -0.1, 0.3], [0.0, 0.5, -0.8]])
    >>> tree = dictionary_connectivity(phi, top_k=2)
    >>> tree["connectivity/dictionary"]["weight"].values
    array([ 0.9,  0.3,  0.5, -0.8])
    """
    from neurosparse.results import new_result

    node = dictionary_connectivity_node(
        dictionary, threshold=threshold, top_k=top_k, pre_layer=pre_layer, post_layer=post_layer
    )
    return new_result(
        "coding.dictionary_connectivity",
        params={
            "threshold": node.attrs["threshold"],
            "top_k": node.attrs["top_k"],
            "n_atoms": int(node.attrs["n_post"]),
            "n_pixels": int(node.attrs["n_pre"]),
        },
        source="Rentzeperis et al. 2023, PLOS Comput Biol (arXiv 2301.10002)",
        groups={"connectivity/dictionary": node},
    )
