r"""Torch building blocks shared by the families and the bridges.

:class:`MaskedLinear` is the one sparse linear layer of neurosparse: the dendritic
networks (Iyer et al. 2022), the ensemble-connectivity networks and the bridges that
carry a learned connectivity into PyTorch all build on it. :class:`KWinners` is the
k-winners-take-all activation.

Imported on first use (``neurosparse.nn``): it needs PyTorch (``pip install
neurosparse[torch]``); nothing else in neurosparse imports it eagerly.

The mask, not the weights, says which synapses exist: it is a ``bool`` buffer of shape
``(out_features, in_features)`` -- the result format's ``(post, pre)`` -- saved in the
state dict and moved by ``.to(device)``. A masked weight is exactly zero in the forward
pass and gets exactly zero gradient, so it stays zero under any optimiser; a learned
weight that happens to be zero under an open mask entry stays a synapse.
"""

from __future__ import annotations

import math
from typing import Any

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ModuleNotFoundError(
        "neurosparse.nn needs PyTorch; install it with `pip install neurosparse[torch]`",
        name="torch",
    ) from exc

import numpy as np

from neurosparse._validation import check_bool, check_int, check_real

__all__ = ["KWinners", "MaskedConv2d", "MaskedLinear"]


def _as_mask(mask: Any, shape: tuple[int, int], device=None) -> torch.Tensor:
    """``mask`` as a bool tensor of ``shape`` ``(out_features, in_features)``."""
    if isinstance(mask, torch.Tensor):
        tensor = mask
    else:
        array = np.asarray(mask)
        if array.dtype != bool:
            raise TypeError(f"mask must be boolean, got dtype {array.dtype}")
        tensor = torch.from_numpy(array.copy())
    if tensor.dtype != torch.bool:
        raise TypeError(f"mask must be boolean, got dtype {tensor.dtype}")
    if tuple(tensor.shape) != tuple(shape):
        raise ValueError(
            f"mask must have shape (out_features, in_features) = {tuple(shape)}, "
            f"got {tuple(tensor.shape)}"
        )
    return tensor.to(device=device)


class _Masked(nn.Module):
    r"""What the masked layers share: the weight is ``W ⊙ M`` with ``M`` the ``bool``
    buffer ``mask`` of the weight's shape; initial weights uniform in
    :math:`\pm 1/\sqrt{\text{fan\_in}}` as torch draws them, then masked."""

    def _fan_in(self) -> int:
        return self.weight[0].numel()

    def _full_mask(self, mask: Any) -> torch.Tensor:
        return _as_mask(mask, tuple(self.mask.shape), self.mask.device)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw the weights and bias as ``torch.nn.Linear`` / ``Conv2d`` do, then apply
        the mask."""
        bound = 1.0 / math.sqrt(self._fan_in())
        with torch.no_grad():
            self.weight.uniform_(-bound, bound, generator=generator)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound, generator=generator)
            self.weight.mul_(self.mask)

    def effective_weight(self) -> torch.Tensor:
        """``W ⊙ M``, the weight the forward pass uses."""
        return self.weight * self.mask

    def set_mask(self, mask: Any) -> None:
        """Replace the mask; weights outside the new mask become zero, weights inside
        keep their values (a newly opened synapse starts at zero)."""
        new = self._full_mask(mask)
        with torch.no_grad():
            self.mask.copy_(new)
            self.weight.mul_(self.mask)

    @property
    def density(self) -> float:
        """Fraction of synapses that exist (exact: a count over the size)."""
        return int(self.mask.sum()) / self.mask.numel()


class MaskedLinear(_Masked):
    r"""A linear layer whose synapses are given by a boolean mask.

    .. math:: y = x\,(W \odot M)^\top + b

    ``M`` is a ``bool`` buffer (``mask``) of shape ``(out_features, in_features)``;
    masked entries of ``W`` are zero from the start, contribute nothing to ``y`` and
    receive exactly zero gradient (:math:`\partial y / \partial W = M \odot \ldots`).

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
        Learn an additive bias.
    mask : bool array-like or Tensor of shape (out_features, in_features), optional
        Which synapses exist; default all of them (a dense layer).
    generator : torch.Generator, optional
        Draws the initial weights: PyTorch's default for ``nn.Linear``, uniform in
        :math:`\pm 1/\sqrt{\text{in\_features}}` for weights and bias, from this
        generator (the global one if None), then multiplied by the mask.
    device, dtype
        As for ``torch.nn.Linear``.

    Examples
    --------
    >>> import torch
    >>> layer = MaskedLinear(3, 2, mask=torch.tensor([[True, False, True], [False, True, False]]))
    >>> layer(torch.ones(4, 3)).shape
    torch.Size([4, 2])
    >>> bool((layer.weight[~layer.mask] == 0).all())
    True
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        bias: bool = True,
        mask: Any = None,
        generator: torch.Generator | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = check_int("in_features", in_features, low=1)
        self.out_features = check_int("out_features", out_features, low=1)
        bias = check_bool("bias", bias)
        shape = (self.out_features, self.in_features)
        self.weight = nn.Parameter(torch.empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = nn.Parameter(torch.empty(self.out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        full = torch.ones(shape, dtype=torch.bool, device=device)
        self.register_buffer("mask", full if mask is None else _as_mask(mask, shape, device))
        self.reset_parameters(generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.effective_weight(), self.bias)

    def to_linear(self) -> nn.Linear:
        """A plain ``torch.nn.Linear`` with the masked weights baked in (dense)."""
        out = nn.Linear(
            self.in_features,
            self.out_features,
            bias=self.bias is not None,
            device=self.weight.device,
            dtype=self.weight.dtype,
        )
        with torch.no_grad():
            out.weight.copy_(self.effective_weight())
            if self.bias is not None:
                out.bias.copy_(self.bias)
        return out

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}, density={self.density:.3g}"
        )


class MaskedConv2d(_Masked):
    r"""A 2-D convolution whose channel-to-channel synapses are given by a boolean mask.

    .. math:: y = (W \odot M) \star x + b

    ``M`` is a ``bool`` buffer (``mask``) of the weight's shape ``(out_channels,
    in_channels, kh, kw)``; given as ``(out_channels, in_channels)`` it is a channel
    mask, the same for every kernel position (an output channel hears an input channel
    entirely or not at all: the convolutional form of ensemble-to-ensemble
    connectivity). Masked weights are exactly zero and get exactly zero gradient, as
    in :class:`MaskedLinear`.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int
        Square kernels.
    stride, padding : int
    bias : bool
    mask : bool array-like or Tensor, optional
        ``(out_channels, in_channels)`` or the weight's shape; default all synapses.
    generator : torch.Generator, optional
        Draws the initial weights as ``torch.nn.Conv2d`` does (uniform in
        :math:`\pm 1/\sqrt{\text{fan\_in}}`, ``fan_in = in_channels * kh * kw``),
        then the mask is applied.
    device, dtype
        As for ``torch.nn.Conv2d``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        *,
        stride: int = 1,
        padding: int = 0,
        bias: bool = True,
        mask: Any = None,
        generator: torch.Generator | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels, low=1)
        self.out_channels = check_int("out_channels", out_channels, low=1)
        self.kernel_size = check_int("kernel_size", kernel_size, low=1)
        self.stride = check_int("stride", stride, low=1)
        self.padding = check_int("padding", padding, low=0)
        bias = check_bool("bias", bias)
        k = self.kernel_size
        shape = (self.out_channels, self.in_channels, k, k)
        self.weight = nn.Parameter(torch.empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = nn.Parameter(torch.empty(self.out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.register_buffer("mask", torch.ones(shape, dtype=torch.bool, device=device))
        if mask is not None:
            self.mask.copy_(self._full_mask(mask))
        self.reset_parameters(generator)

    def _full_mask(self, mask: Any) -> torch.Tensor:
        channels = (self.out_channels, self.in_channels)
        shape = tuple(self.mask.shape)
        given = tuple(mask.shape) if hasattr(mask, "shape") else np.shape(mask)
        if tuple(given) == channels:
            m = _as_mask(mask, channels, self.mask.device)
            return m[:, :, None, None].expand(shape).clone()
        if tuple(given) == shape:
            t = mask if isinstance(mask, torch.Tensor) else torch.from_numpy(np.asarray(mask))
            if t.dtype != torch.bool:
                raise TypeError(f"mask must be boolean, got dtype {t.dtype}")
            return t.to(self.mask.device)
        raise ValueError(
            f"mask must have shape (out_channels, in_channels) = {channels} or the weight's "
            f"shape {shape}, got {tuple(given)}"
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.effective_weight(), self.bias, self.stride, self.padding)

    def channel_mask(self) -> torch.Tensor:
        """``(out_channels, in_channels)``: which input channels each output channel hears."""
        return self.mask.flatten(2).any(-1)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}, "
            f"density={self.density:.3g}"
        )


class KWinners(nn.Module):
    r"""Keep the ``k`` largest activations of each sample, zero the others.

    .. math::

        \mathrm{kw}(x)_i = x_i \;\text{if}\; x_i \text{ is among the } k
        \text{ largest of } x, \text{ else } 0, \qquad
        k = \max(1, \mathrm{round}(p \cdot n)),

    for ``n`` units and ``p = percent_on``. Exactly ``k`` units win per sample (ties
    are broken by :func:`torch.topk`). The gradient is ``∂L/∂x_i`` for winners and
    ``0`` for losers: the winners' selection is treated as a constant, so only the
    winning units learn from a sample. No boosting (duty-cycle homeostasis) is applied.

    Parameters
    ----------
    percent_on : float in (0, 1]
        Fraction of units kept active.

    Examples
    --------
    >>> import torch
    >>> kw = KWinners(0.5)
    >>> kw(torch.tensor([[0.1, -2.0, 3.0, 0.5]]))
    tensor([[0.0000, -0.0000, 3.0000, 0.5000]])
    """

    def __init__(self, percent_on: float) -> None:
        super().__init__()
        self.percent_on = check_real("percent_on", percent_on, low=0.0, high=1.0, low_open=True)

    def k_for(self, n_units: int) -> int:
        """Number of winners for a layer of ``n_units``."""
        return max(1, min(int(n_units), round(self.percent_on * n_units)))

    def winners(self, x: torch.Tensor) -> torch.Tensor:
        """Boolean mask of the winners of each sample (same shape as ``x``)."""
        k = self.k_for(x.shape[-1])
        idx = torch.topk(x.detach(), k, dim=-1, sorted=False).indices
        return torch.zeros_like(x, dtype=torch.bool).scatter_(-1, idx, True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.k_for(x.shape[-1]) >= x.shape[-1]:
            return x
        return x * self.winners(x)

    def extra_repr(self) -> str:
        return f"percent_on={self.percent_on}"
