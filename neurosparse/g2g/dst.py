r"""Dynamic sparse training (SET, RigL, G2G Hebbian) and gradual magnitude pruning.

Controllers that change the masks of :class:`neurosparse.nn.MaskedLinear` layers during
training. Call ``controller.step()`` once per training step, after ``optimizer.step()``.

:class:`DynamicSparseTraining` -- sparse to sparse, at a constant density. Every
``update_every`` steps, in every layer, the ``k`` active synapses of smallest
:math:`|w|` are pruned and exactly ``k`` inactive ones are regrown, so that each layer
keeps its number of synapses. The fraction pruned decays along a cosine
(:func:`cosine_prune_fraction`, as in RigL). The regrowth rule chooses the new synapses:

``"random"``
    uniformly at random (SET: Mocanu et al. 2018, Nat. Commun. 9, 2383);
``"gradient"``
    largest :math:`|\partial L/\partial W|` of the *dense* gradient, the gradient with
    respect to the effective weight :math:`W \odot M` (RigL: Evci et al. 2020, ICML);
``"hebbian"``
    largest :math:`|\mathrm{corr}(y_i, x_j)|`, the Pearson correlation between a layer's
    postsynaptic output and its presynaptic input over the samples seen since the last
    update (G2GNet's rewiring on activation correlations: Konstantaropoulos et al. 2025,
    arXiv 2508.14140, of which only the abstract is public, so this rule is ours).

``allowed`` restricts regrowth (never pruning) to given ``(post, pre)`` pairs: the
ensemble pairs of G2GNet (:attr:`neurosparse.g2g.models.G2GNet.allowed`).

:class:`GradualMagnitudePruning` -- dense to sparse (Zhu & Gupta 2017, arXiv
1710.01878): the baseline that shrinks the masks along a cubic sparsity schedule
(:func:`gmp_sparsity`), keeping the weights of largest magnitude.

Both keep masked weights exactly zero: :class:`~neurosparse.nn.MaskedLinear` gives them
exactly zero gradient, and an optimiser's leftover state (momentum, Adam's moments) could
still move them, so ``step()`` multiplies every managed weight by its mask, and, given
the ``optimizer``, the controllers zero its per-weight state of every synapse they prune
or grow (:meth:`DynamicSparseTraining.reset_optimizer_state`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ModuleNotFoundError(
        "neurosparse.g2g.dst needs PyTorch; install it with `pip install neurosparse[torch]`",
        name="torch",
    ) from exc

from neurosparse._validation import (
    _show,
    check_choice,
    check_int,
    check_real,
    resolve_rng,
    seed_attr,
)
from neurosparse.nn import MaskedLinear

__all__ = [
    "REGROWTH_RULES",
    "DynamicSparseTraining",
    "GradualMagnitudePruning",
    "cosine_prune_fraction",
    "gmp_sparsity",
]

#: The regrowth rules of :class:`DynamicSparseTraining`.
REGROWTH_RULES = ("random", "gradient", "hebbian")

#: The scopes of :class:`GradualMagnitudePruning`.
SCOPES = ("layer", "global")


# --------------------------------------------------------------------------- schedules


def cosine_prune_fraction(step: int, *, initial: float, end_step: int) -> float:
    r"""The drop fraction of RigL and SET at training step ``step``.

    .. math::

        f(t) = \frac{f_0}{2}\left(1 + \cos\frac{\pi t}{T_{end}}\right) \quad (t < T_{end}),
        \qquad f(t) = 0 \quad (t \ge T_{end}).

    Parameters
    ----------
    step : int >= 0
    initial : float in [0, 1]
        :math:`f_0`, the fraction at step 0.
    end_step : int >= 1
        :math:`T_{end}`.

    Examples
    --------
    >>> cosine_prune_fraction(0, initial=0.3, end_step=100)
    0.3
    >>> cosine_prune_fraction(50, initial=0.3, end_step=100)
    0.15
    >>> cosine_prune_fraction(100, initial=0.3, end_step=100)
    0.0
    """
    step = check_int("step", step, low=0)
    initial = check_real("initial", initial, low=0.0, high=1.0)
    end_step = check_int("end_step", end_step, low=1)
    if step >= end_step:
        return 0.0
    return initial / 2.0 * (1.0 + math.cos(math.pi * step / end_step))


def gmp_sparsity(
    step: int,
    *,
    final: float,
    end_step: int,
    initial: float = 0.0,
    start_step: int = 0,
) -> float:
    r"""The sparsity of gradual magnitude pruning at step ``step`` (Zhu & Gupta 2017).

    .. math::

        s_t = s_f + (s_i - s_f)\left(1 - \frac{t - t_0}{n\Delta t}\right)^3,
        \qquad n\Delta t = T_{end} - t_0,

    for :math:`t_0 \le t \le T_{end}`; :math:`s_i` before :math:`t_0` and :math:`s_f`
    after :math:`T_{end}`.

    Parameters
    ----------
    step : int >= 0
    final : float in [0, 1)
        :math:`s_f`.
    end_step : int > start_step
        :math:`T_{end}`, where the sparsity reaches ``final``.
    initial : float in [0, final]
        :math:`s_i`.
    start_step : int >= 0
        :math:`t_0`.

    Examples
    --------
    >>> gmp_sparsity(0, final=0.9, end_step=100)
    0.0
    >>> gmp_sparsity(100, final=0.9, end_step=100)
    0.9
    """
    step = check_int("step", step, low=0)
    final, initial, start_step, end_step = _check_gmp(final, initial, start_step, end_step)
    return _gmp(step, final, initial, start_step, end_step)


def _check_gmp(final, initial, start_step, end_step):
    final = check_real("final_sparsity", final, low=0.0, high=1.0, high_open=True)
    initial = check_real("initial_sparsity", initial, low=0.0, high=final)
    start_step = check_int("start_step", start_step, low=0)
    end_step = check_int("end_step", end_step, low=start_step + 1)
    return final, initial, start_step, end_step


def _gmp(step, final, initial, start_step, end_step):
    if step <= start_step:
        return initial
    if step >= end_step:
        return final
    progress = (step - start_step) / (end_step - start_step)
    return final + (initial - final) * (1.0 - progress) ** 3


# --------------------------------------------------------------------------- shared parts


def _resolve_layers(layers: Any) -> list[MaskedLinear]:
    """The ``MaskedLinear`` layers of a module (in ``.modules()`` order) or a sequence."""
    if isinstance(layers, nn.Module):
        found = [m for m in layers.modules() if isinstance(m, MaskedLinear)]
        if not found:
            raise ValueError(
                f"layers must contain at least one MaskedLinear; got a "
                f"{type(layers).__name__} module with none"
            )
        return found
    if isinstance(layers, str) or not isinstance(layers, Sequence):
        raise TypeError(
            f"layers must be a torch Module or a sequence of MaskedLinear layers, "
            f"got {_show(layers)}"
        )
    if len(layers) == 0:
        raise ValueError("layers must contain at least one MaskedLinear; got an empty sequence")
    for i, layer in enumerate(layers):
        if not isinstance(layer, MaskedLinear):
            raise TypeError(
                f"layers[{i}] must be a neurosparse.nn.MaskedLinear, got {type(layer).__name__}"
            )
    if len({id(layer) for layer in layers}) != len(layers):
        raise ValueError("layers must not contain the same MaskedLinear twice")
    return list(layers)


def _check_optimizer(optimizer: Any, layers: list[MaskedLinear]):
    if optimizer is None:
        return None
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer or None, got {_show(optimizer)}"
        )
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    for i, layer in enumerate(layers):
        if id(layer.weight) not in held:
            raise ValueError(f"optimizer does not hold the weight of layers[{i}]")
    return optimizer


def _torch_generator(seed: Any) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded from ``seed`` (resolved once, as everywhere)."""
    rng = resolve_rng(seed)
    return torch.Generator().manual_seed(int(rng.integers(0, 2**63 - 1)))


def _select(scores: torch.Tensor, k: int, generator: torch.Generator, *, largest: bool):
    """Positions of the ``k`` largest (or smallest) ``scores``, ties broken at random.

    The candidates are shuffled, then stably sorted: among equal scores the shuffled
    order decides. With all scores equal this is a uniform random choice of ``k``.
    """
    if k == 0:
        return torch.zeros(0, dtype=torch.long, device=scores.device)
    perm = torch.randperm(scores.numel(), generator=generator).to(scores.device)
    order = torch.sort(scores[perm], descending=largest, stable=True).indices[:k]
    return perm[order]


def _reset_state(optimizer, weight: torch.Tensor, where: torch.Tensor) -> None:
    """Zero every per-weight state tensor of ``optimizer`` for ``weight`` at ``where``."""
    state = optimizer.state.get(weight)
    if not state:
        return
    with torch.no_grad():
        for value in state.values():
            if isinstance(value, torch.Tensor) and value.shape == weight.shape:
                value[where] = 0


class _MaskController:
    """Step counting, masked weights kept at zero, optimiser state, history."""

    _history_keys: tuple[str, ...] = ()

    def _init_common(self, layers, optimizer, seed) -> None:
        self.layers = _resolve_layers(layers)
        self.optimizer = _check_optimizer(optimizer, self.layers)
        self.seed = seed
        self.seed_record = seed_attr(seed)
        self.generator = _torch_generator(seed)
        self.step_count = 0
        self._history: dict[str, list] = {key: [] for key in self._history_keys}

    def _apply_masks(self) -> None:
        with torch.no_grad():
            for layer in self.layers:
                layer.weight.mul_(layer.mask)

    def masks(self) -> list[np.ndarray]:
        """The current masks, ``bool`` arrays of shape ``(post, pre)``."""
        return [layer.mask.detach().cpu().numpy().copy() for layer in self.layers]

    def densities(self) -> list[float]:
        """The current density of every layer."""
        return [layer.density for layer in self.layers]

    @property
    def history(self) -> dict[str, np.ndarray]:
        """One entry per update: 1-D arrays along the updates (``step``, schedule
        values) and 2-D arrays ``(update, layer)`` for per-layer counts and fractions."""
        out = {}
        for key, values in self._history.items():
            dtype = np.int64 if key == "step" or key.startswith("n_") else np.float64
            if values:
                out[key] = np.asarray(values, dtype=dtype)
            else:
                out[key] = np.zeros(
                    (0,) if key in self._scalar_keys else (0, len(self.layers)), dtype
                )
        return out

    _scalar_keys: tuple[str, ...] = ("step",)


# --------------------------------------------------------------------------- DST


class DynamicSparseTraining(_MaskController):
    r"""Prune and regrow synapses of ``MaskedLinear`` layers at constant density.

    Call :meth:`step` after every ``optimizer.step()``. On update steps -- every
    ``update_every``-th step while ``step < end_step`` -- each layer, with ``n`` active
    synapses and prune fraction :math:`f` (:func:`cosine_prune_fraction`):

    1. ``k = round(f * n)`` (Python's rounding), reduced if fewer synapses can be grown
       (inactive pairs inside ``allowed``);
    2. prunes the ``k`` active synapses of smallest :math:`|w|`;
    3. grows ``k`` synapses among the pairs that were inactive *before* the update (a
       synapse just pruned is never regrown in the same update) and lie in ``allowed``,
       chosen by the ``regrowth`` rule; their weights start at exactly zero.

    Each layer's number of synapses is therefore unchanged by every update. Ties
    (equal magnitudes, equal scores) are broken at random from ``seed``.

    Parameters
    ----------
    layers : torch Module or sequence of MaskedLinear
        The layers to manage; from a module, all its ``MaskedLinear`` submodules.
    regrowth : {"random", "gradient", "hebbian"}
        The rule choosing where synapses grow (module docstring).
    prune_fraction : float in [0, 1)
        Fraction of each layer's active synapses pruned by an update at step 0, decayed
        along a cosine to 0 at ``end_step`` (constant if ``end_step`` is None). RigL's
        default is 0.3.
    update_every : int >= 1
        Steps between updates (RigL's :math:`\Delta T`).
    end_step : int >= 1 or None
        The last update is the last multiple of ``update_every`` below it (RigL stops at
        75 % of training). None: the fraction stays ``prune_fraction`` and updates never
        stop (SET's constant rate).
    allowed : sequence of bool arrays ``(post, pre)`` or None, optional
        One per layer (an entry may be None: no restriction): synapses grow only where
        ``True``. Pruning may remove any synapse. A single array is taken for a single
        layer.
    activation : callable or None
        ``"hebbian"``: applied to the layer's output before correlating, e.g.
        ``torch.relu`` to correlate the firing of the next layer; default None, the
        output of the ``MaskedLinear`` itself (the postsynaptic drive, before the
        nonlinearity).
    optimizer : torch.optim.Optimizer, optional
        If given, its per-weight state (momentum buffers, Adam's moments) is zeroed for
        every pruned and grown synapse at each update, as RigL does.
    seed : int, numpy Generator, SeedSequence or None
        Seeds the ``torch.Generator`` of random regrowth and tie-breaking.

    Notes
    -----
    **Dense gradient** (``"gradient"``). ``MaskedLinear`` computes ``x @ (W * M).T``, so
    ``weight.grad`` is zero where the mask is off. The gradient with respect to the
    effective weight :math:`W \odot M` is :math:`\sum_{\text{samples}} g^\top x`, with
    :math:`x` the layer's input and :math:`g = \partial L/\partial y` the gradient at its
    output. On the training step before an update a forward hook stores ``x`` and puts a
    hook on the output ``y`` that adds :math:`g^\top x` when backward reaches it (summed
    over every backward pass of that step, as ``.grad`` accumulates). Nothing is stored
    on other steps. :attr:`dense_gradients` holds the result until the next update.

    **Correlations** (``"hebbian"``). Forward hooks accumulate, over the samples of every
    forward pass in training mode (``layer.training``) since the last update,
    :math:`n, \sum x, \sum y, \sum x^2, \sum y^2, \sum y^\top x` in float64 (leading
    dimensions flattened into samples), and score pair :math:`(i, j)` by
    :math:`|r_{ij}|`, :math:`r_{ij} = (n\sum y_i x_j - \sum y_i \sum x_j) /
    \sqrt{(n\sum y_i^2 - (\sum y_i)^2)(n\sum x_j^2 - (\sum x_j)^2)}`; a unit of zero
    variance scores 0. The sums restart after every update. Memory: one
    ``(post, pre)`` float64 array per layer.

    Hooks exist only for the ``"gradient"`` and ``"hebbian"`` rules, and are removed
    once no update remains (or by :meth:`close`).

    **Optimiser state.** A pruned synapse's momentum or Adam moments decay but do not
    vanish while it is masked, and would push its weight once it is grown again. Give
    ``optimizer`` (its state at every pruned and grown synapse is zeroed at each
    update, as RigL does), or call :meth:`reset_optimizer_state` whenever :meth:`step`
    returns True. Either way the weights themselves stay exactly zero while masked,
    since :meth:`step` multiplies every weight by its mask.

    Attributes
    ----------
    layers : list of MaskedLinear
    step_count : int
        Calls of :meth:`step` so far.
    history : dict of ndarray
        Per update: ``step`` and ``prune_fraction`` ``(update,)``; ``n_active``,
        ``n_pruned``, ``n_regrown``, ``turnover`` (synapses grown over synapses before
        the update: the fraction of the mask that changed) and ``density``
        ``(update, layer)``.
    last_pruned, last_regrown : list of bool Tensor ``(post, pre)``
        The synapses changed by the last update, per layer.
    dense_gradients : list of Tensor or None
        ``"gradient"``: the dense gradients captured for the coming update.

    Examples
    --------
    >>> import torch
    >>> from neurosparse.nn import MaskedLinear
    >>> mask = torch.rand(4, 8, generator=torch.Generator().manual_seed(0)) < 0.5
    >>> layer = MaskedLinear(8, 4, mask=mask)
    >>> dst = DynamicSparseTraining([layer], regrowth="random", update_every=1, seed=0)
    >>> n = int(layer.mask.sum()); dst.step()
    True
    >>> int(layer.mask.sum()) == n
    True
    """

    _history_keys = (
        "step",
        "prune_fraction",
        "n_active",
        "n_pruned",
        "n_regrown",
        "turnover",
        "density",
    )
    _scalar_keys = ("step", "prune_fraction")

    def __init__(
        self,
        layers: Any,
        *,
        regrowth: str = "random",
        prune_fraction: float = 0.3,
        update_every: int = 100,
        end_step: int | None = None,
        allowed: Any = None,
        activation: Callable[[torch.Tensor], torch.Tensor] | None = None,
        optimizer: torch.optim.Optimizer | None = None,
        seed: Any = None,
    ) -> None:
        self.regrowth = check_choice("regrowth", regrowth, REGROWTH_RULES)
        self.prune_fraction = check_real(
            "prune_fraction", prune_fraction, low=0.0, high=1.0, high_open=True
        )
        self.update_every = check_int("update_every", update_every, low=1)
        self.end_step = None if end_step is None else check_int("end_step", end_step, low=1)
        if activation is not None and not callable(activation):
            raise TypeError(f"activation must be callable or None, got {_show(activation)}")
        self.activation = activation
        self._init_common(layers, optimizer, seed)
        self.allowed = self._check_allowed(allowed)
        self.dense_gradients: list[torch.Tensor | None] = [None] * len(self.layers)
        self.last_pruned: list[torch.Tensor] = []
        self.last_regrown: list[torch.Tensor] = []
        self._stats: list[dict[str, Any] | None] = [None] * len(self.layers)
        self._hooks: list[Any] = []
        self._capturing = False
        if self.regrowth != "random" and self._updates_remain():
            for i, layer in enumerate(self.layers):
                hook = self._gradient_hook if self.regrowth == "gradient" else self._hebbian_hook
                self._hooks.append(layer.register_forward_hook(hook(i)))
        self._arm()

    # ------------------------------------------------------------------ validation
    def _check_allowed(self, allowed: Any) -> list[torch.Tensor | None]:
        n = len(self.layers)
        if allowed is None:
            return [None] * n
        if isinstance(allowed, np.ndarray | torch.Tensor):
            allowed = [allowed]
        if isinstance(allowed, str) or not isinstance(allowed, Sequence):
            raise TypeError(
                f"allowed must be a sequence of bool arrays (post, pre), one per layer, "
                f"or None; got {_show(allowed)}"
            )
        if len(allowed) != n:
            raise ValueError(
                f"allowed must have one entry per layer ({n}), got {len(allowed)} entries"
            )
        out: list[torch.Tensor | None] = []
        for i, (entry, layer) in enumerate(zip(allowed, self.layers, strict=True)):
            if entry is None:
                out.append(None)
                continue
            if isinstance(entry, torch.Tensor):
                dtype_ok, dtype, tensor = entry.dtype == torch.bool, entry.dtype, entry
            else:
                array = np.asarray(entry)
                dtype_ok, dtype = array.dtype == np.bool_, array.dtype
                tensor = torch.from_numpy(array.copy()) if dtype_ok else None
            if not dtype_ok:
                raise TypeError(f"allowed[{i}] must be a boolean array, got dtype {dtype}")
            shape = tuple(layer.mask.shape)
            if tuple(tensor.shape) != shape:
                raise ValueError(
                    f"allowed[{i}] must have the shape (post, pre) = {shape} of layers[{i}], "
                    f"got {tuple(tensor.shape)}"
                )
            out.append(tensor.detach().to(device=layer.mask.device).clone())
        return out

    # ------------------------------------------------------------------ schedule
    def prune_fraction_at(self, step: int) -> float:
        """The prune fraction of an update at ``step``."""
        if self.end_step is None:
            return self.prune_fraction
        return cosine_prune_fraction(step, initial=self.prune_fraction, end_step=self.end_step)

    def is_update_step(self, step: int) -> bool:
        """Whether ``step()`` updates the masks when the step count reaches ``step``."""
        return (
            step >= 1
            and step % self.update_every == 0
            and (self.end_step is None or step < self.end_step)
        )

    def _updates_remain(self) -> bool:
        if self.end_step is None:
            return True
        nxt = (self.step_count // self.update_every + 1) * self.update_every
        return nxt < self.end_step

    def _arm(self) -> None:
        """Capture dense gradients during the next training step if it is an update."""
        self._capturing = self.regrowth == "gradient" and self.is_update_step(self.step_count + 1)
        if self._capturing:
            self.dense_gradients = [None] * len(self.layers)

    # ------------------------------------------------------------------ hooks
    def _gradient_hook(self, index: int):
        def hook(module, inputs, output):
            if not self._capturing or not torch.is_grad_enabled() or not output.requires_grad:
                return
            x = inputs[0].detach()

            def on_grad(grad):
                g = grad.detach().reshape(-1, module.out_features)
                dense = g.T @ x.reshape(-1, module.in_features).to(g.dtype)
                prev = self.dense_gradients[index]
                self.dense_gradients[index] = dense if prev is None else prev + dense

            output.register_hook(on_grad)

        return hook

    def _hebbian_hook(self, index: int):
        def hook(module, inputs, output):
            if not module.training:
                return
            with torch.no_grad():
                x = inputs[0].detach().reshape(-1, module.in_features).double()
                y = output.detach()
                if self.activation is not None:
                    y = self.activation(y)
                y = y.reshape(-1, module.out_features).double()
                stats = self._stats[index]
                if stats is None:
                    shape = (module.out_features, module.in_features)
                    dev = x.device
                    stats = self._stats[index] = {
                        "n": 0,
                        "sx": torch.zeros(module.in_features, dtype=torch.float64, device=dev),
                        "sy": torch.zeros(module.out_features, dtype=torch.float64, device=dev),
                        "sxx": torch.zeros(module.in_features, dtype=torch.float64, device=dev),
                        "syy": torch.zeros(module.out_features, dtype=torch.float64, device=dev),
                        "syx": torch.zeros(shape, dtype=torch.float64, device=dev),
                    }
                stats["n"] += x.shape[0]
                stats["sx"] += x.sum(0)
                stats["sy"] += y.sum(0)
                stats["sxx"] += (x * x).sum(0)
                stats["syy"] += (y * y).sum(0)
                stats["syx"] += y.T @ x

        return hook

    def correlations(self, index: int) -> torch.Tensor:
        """|Pearson correlation| ``(post, pre)`` of layer ``index`` since the last update
        (``"hebbian"`` only); raises ``RuntimeError`` if no sample was seen."""
        stats = self._stats[index]
        if stats is None or stats["n"] == 0:
            raise RuntimeError(
                f"hebbian regrowth needs the activations of layers[{index}]: run forward "
                "passes in training mode between updates"
            )
        n = stats["n"]
        cov = n * stats["syx"] - torch.outer(stats["sy"], stats["sx"])
        var_y = (n * stats["syy"] - stats["sy"] ** 2).clamp_min(0.0)
        var_x = (n * stats["sxx"] - stats["sx"] ** 2).clamp_min(0.0)
        denom = torch.sqrt(torch.outer(var_y, var_x))
        corr = torch.where(denom > 0, cov / torch.where(denom > 0, denom, 1.0), 0.0)
        return corr.abs().clamp_max(1.0)

    def close(self) -> None:
        """Remove the forward hooks (no more statistics or gradients are gathered)."""
        for handle in self._hooks:
            handle.remove()
        self._hooks = []
        self._capturing = False

    # ------------------------------------------------------------------ stepping
    def step(self) -> bool:
        """Count one training step (call it after ``optimizer.step()``); update the
        masks if it is an update step. Returns whether it updated."""
        self.step_count += 1
        self._apply_masks()
        updated = self.is_update_step(self.step_count)
        if updated:
            self._update()
        if self._hooks and not self._updates_remain():
            self.close()
        self._arm()
        return updated

    def _scores(self, index: int) -> torch.Tensor | None:
        if self.regrowth == "random":
            return None
        if self.regrowth == "gradient":
            grad = self.dense_gradients[index]
            if grad is None:
                raise RuntimeError(
                    f"gradient regrowth needs the dense gradient of layers[{index}]: run a "
                    "forward and backward pass (with gradients enabled) on every step "
                    "before calling step()"
                )
            return grad.abs()
        return self.correlations(index)

    def _update(self) -> None:
        fraction = self.prune_fraction_at(self.step_count)
        pruned_all, regrown_all = [], []
        rows = {key: [] for key in ("n_active", "n_pruned", "n_regrown", "turnover", "density")}
        for i, layer in enumerate(self.layers):
            old = layer.mask.detach().clone()
            flat_old = old.reshape(-1)
            grow_ok = ~flat_old
            if self.allowed[i] is not None:
                grow_ok &= self.allowed[i].reshape(-1)
            active_idx = torch.nonzero(flat_old).reshape(-1)
            grow_idx = torch.nonzero(grow_ok).reshape(-1)
            n_active = int(active_idx.numel())
            k = min(round(fraction * n_active), int(grow_idx.numel()))
            scores = self._scores(i)
            with torch.no_grad():
                weight = layer.weight.detach().reshape(-1)
                drop = active_idx[
                    _select(weight[active_idx].abs(), k, self.generator, largest=False)
                ]
                if scores is None:
                    grow_scores = torch.zeros(grow_idx.numel(), device=old.device)
                else:
                    grow_scores = scores.reshape(-1)[grow_idx].to(old.device)
                grow = grow_idx[_select(grow_scores, k, self.generator, largest=True)]
                new = flat_old.clone()
                new[drop] = False
                new[grow] = True
                new = new.reshape(old.shape)
                layer.set_mask(new)
                layer.weight.view(-1)[grow] = 0.0
            pruned = torch.zeros_like(old)
            pruned.view(-1)[drop] = True
            regrown = torch.zeros_like(old)
            regrown.view(-1)[grow] = True
            if self.optimizer is not None:
                _reset_state(self.optimizer, layer.weight, pruned | regrown)
            pruned_all.append(pruned)
            regrown_all.append(regrown)
            changed = int((new & ~old).sum())
            rows["n_active"].append(int(new.sum()))
            rows["n_pruned"].append(int(drop.numel()))
            rows["n_regrown"].append(int(grow.numel()))
            rows["turnover"].append(changed / n_active if n_active else 0.0)
            rows["density"].append(layer.density)
            self._stats[i] = None
        self.last_pruned, self.last_regrown = pruned_all, regrown_all
        self.dense_gradients = [None] * len(self.layers)
        self._history["step"].append(self.step_count)
        self._history["prune_fraction"].append(fraction)
        for key, values in rows.items():
            self._history[key].append(values)

    def reset_optimizer_state(self, optimizer: torch.optim.Optimizer) -> None:
        """Zero ``optimizer``'s per-weight state (tensors shaped like the weight:
        momentum, Adam's ``exp_avg``/``exp_avg_sq``) at the synapses pruned and grown by
        the last update. Done automatically when the controller was given ``optimizer``."""
        optimizer = _check_optimizer(optimizer, self.layers)
        for layer, pruned, regrown in zip(
            self.layers, self.last_pruned, self.last_regrown, strict=True
        ):
            _reset_state(optimizer, layer.weight, pruned | regrown)


# --------------------------------------------------------------------------- GMP


class GradualMagnitudePruning(_MaskController):
    r"""Gradual magnitude pruning (Zhu & Gupta 2017): dense (or sparse) to sparser.

    Call :meth:`step` after every ``optimizer.step()``. At step ``t`` -- ``start_step``,
    every ``frequency`` steps after it, and ``end_step`` itself -- the target sparsity is
    :math:`s_t` (:func:`gmp_sparsity`) and each layer keeps exactly
    ``round((1 - s_t) * post * pre)`` synapses (``scope="layer"``), or all layers
    together keep ``round((1 - s_t) * total)`` (``scope="global"``), chosen among the
    synapses still active as those of largest :math:`|w|` (ties at random from
    ``seed``). A layer already sparser than the target is left alone: masks only shrink.
    After ``end_step`` the masks stay as they are. The step ``start_step = 0`` is applied
    when the controller is built.

    Parameters
    ----------
    layers : torch Module or sequence of MaskedLinear
    final_sparsity : float in [0, 1)
    end_step : int > start_step
        The step at which ``final_sparsity`` is reached.
    initial_sparsity : float in [0, final_sparsity]
    start_step : int >= 0
    frequency : int >= 1
        Steps between pruning events (Zhu & Gupta's :math:`\Delta t`).
    scope : {"layer", "global"}
    optimizer : torch.optim.Optimizer, optional
        Its per-weight state of pruned synapses is zeroed.
    seed : int, numpy Generator, SeedSequence or None
        Breaks ties between equal magnitudes.
    """

    _history_keys = ("step", "sparsity", "n_active", "n_pruned", "density")
    _scalar_keys = ("step", "sparsity")

    def __init__(
        self,
        layers: Any,
        *,
        final_sparsity: float,
        end_step: int,
        initial_sparsity: float = 0.0,
        start_step: int = 0,
        frequency: int = 100,
        scope: str = "layer",
        optimizer: torch.optim.Optimizer | None = None,
        seed: Any = None,
    ) -> None:
        (self.final_sparsity, self.initial_sparsity, self.start_step, self.end_step) = _check_gmp(
            final_sparsity, initial_sparsity, start_step, end_step
        )
        self.frequency = check_int("frequency", frequency, low=1)
        self.scope = check_choice("scope", scope, SCOPES)
        self._init_common(layers, optimizer, seed)
        if self.start_step == 0:
            self._prune()

    def sparsity_at(self, step: int) -> float:
        """The scheduled sparsity at ``step``."""
        return _gmp(
            step, self.final_sparsity, self.initial_sparsity, self.start_step, self.end_step
        )

    def is_prune_step(self, step: int) -> bool:
        """Whether the masks are pruned when the step count reaches ``step``."""
        if step < self.start_step or step > self.end_step:
            return False
        return step == self.end_step or (step - self.start_step) % self.frequency == 0

    def step(self) -> bool:
        """Count one training step; prune if it is a pruning step. Returns whether it did."""
        self.step_count += 1
        self._apply_masks()
        pruned = self.is_prune_step(self.step_count)
        if pruned:
            self._prune()
        return pruned

    def _prune(self) -> None:
        sparsity = self.sparsity_at(self.step_count)
        density = 1.0 - sparsity
        flats = [layer.mask.detach().reshape(-1) for layer in self.layers]
        actives = [torch.nonzero(flat).reshape(-1) for flat in flats]
        if self.scope == "layer":
            keeps = []
            for layer, active in zip(self.layers, actives, strict=True):
                target = round(density * layer.mask.numel())
                keeps.append(min(target, int(active.numel())))
            drops = []
            for layer, active, keep in zip(self.layers, actives, keeps, strict=True):
                mags = layer.weight.detach().reshape(-1)[active].abs()
                n_drop = int(active.numel()) - keep
                drops.append(active[_select(mags, n_drop, self.generator, largest=False)])
        else:
            total = sum(layer.mask.numel() for layer in self.layers)
            n_active = sum(int(a.numel()) for a in actives)
            n_drop = max(0, n_active - round(density * total))
            mags = torch.cat(
                [
                    layer.weight.detach().reshape(-1)[active].abs().cpu()
                    for layer, active in zip(self.layers, actives, strict=True)
                ]
            )
            chosen = _select(mags, n_drop, self.generator, largest=False)
            owner = torch.cat(
                [torch.full((int(a.numel()),), i, dtype=torch.long) for i, a in enumerate(actives)]
            )
            offsets = torch.cumsum(torch.tensor([0] + [int(a.numel()) for a in actives]), 0)
            drops = []
            for i, active in enumerate(actives):
                local = chosen[owner[chosen] == i] - offsets[i]
                drops.append(active[local.to(active.device)])
        rows = {key: [] for key in ("n_active", "n_pruned", "density")}
        for layer, flat, drop in zip(self.layers, flats, drops, strict=True):
            new = flat.clone()
            new[drop] = False
            layer.set_mask(new.reshape(layer.mask.shape))
            if self.optimizer is not None:
                where = torch.zeros_like(layer.mask)
                where.view(-1)[drop] = True
                _reset_state(self.optimizer, layer.weight, where)
            rows["n_active"].append(int(layer.mask.sum()))
            rows["n_pruned"].append(int(drop.numel()))
            rows["density"].append(layer.density)
        self._history["step"].append(self.step_count)
        self._history["sparsity"].append(sparsity)
        for key, values in rows.items():
            self._history[key].append(values)
