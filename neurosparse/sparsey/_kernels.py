"""Numba kernels of the Sparsey family: the code selection algorithm (CSA) over a
hierarchy of macs, in learning and in recognition mode.

Pure functions over arrays and scalars (``docs/ARCHITECTURE.md``, "Numba kernels"). The
network's structure travels as one named tuple, :class:`Net` (flat integer arrays over
every mac of every level, levels in order), the CSA's constants as another,
:class:`Csa`; the learned binary weights are flat ``uint8`` arrays, one per kind of
input (``wu`` bottom-up, ``wh`` horizontal, ``wd`` top-down), mac ``m``'s block a
row-major ``(n_afferents, Q K)`` matrix starting at ``w*_off[m]``.

Unit space: every binary unit of the network has one global index: the ``n_pix`` input
pixels first, then the cells of level 1, mac by mac (cell ``q K + k`` of mac ``m`` at
``mac_cell[m] + q K + k``), then level 2, ... An activity vector over that space holds
one frame: the pixels, then the codes each level chose. A mac's afferents (``u_idx``,
``h_idx``, ``d_idx``) are global indices, sorted within the mac.

Random numbers: learning draws one uniform per (frame, mac, CM) from a SplitMix64
stream (Steele, Lea & Flood 2014) whose state is seeded once per item by the caller
(from the model's seed), so an item's draws depend on its own seed only; recognition
draws nothing (argmax).

Serial and parallel: :func:`recognise_items` runs its items in blocks under ``prange``
and has a parallel twin, ``recognise_items_par``; every item is computed by the same
operations whatever the blocks, so both give the same bits. :func:`learn_item` is
sequential by nature (each item changes the weights the next one sees).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from neurosparse._jit import parallel_twin


class Net(NamedTuple):
    """The structure of a Sparsey network (read-only in the kernels).

    ``n_pix`` input pixels; ``n_units`` = pixels + every cell. Per mac (``n_macs``,
    levels in order): ``mac_q``, ``mac_k`` (its Q and K), ``mac_cell`` (global index of
    its first cell), ``src_units`` (active afferents per active source: 1 at level 1,
    where a source is a pixel; Q of the level below above it, where a source is a mac),
    ``pi_min``, ``pi_max`` (the gate on active sources), ``freeze_at`` (set bottom-up
    weights at which a cell freezes); CSR afferent lists ``u_ptr``/``u_idx``,
    ``h_ptr``/``h_idx``, ``d_ptr``/``d_idx`` with the weight offsets ``wu_off``,
    ``wh_off``, ``wd_off`` (``n_macs + 1`` entries each).
    """

    n_pix: int
    n_units: int
    mac_q: np.ndarray
    mac_k: np.ndarray
    mac_cell: np.ndarray
    src_units: np.ndarray
    pi_min: np.ndarray
    pi_max: np.ndarray
    freeze_at: np.ndarray
    u_ptr: np.ndarray
    u_idx: np.ndarray
    wu_off: np.ndarray
    h_ptr: np.ndarray
    h_idx: np.ndarray
    wh_off: np.ndarray
    d_ptr: np.ndarray
    d_idx: np.ndarray
    wd_off: np.ndarray


class Csa(NamedTuple):
    """The constants of the code selection algorithm: the exponents ``lambda_u``,
    ``lambda_h``, ``lambda_d`` of ``V = U^lu H^lh D^ld``; the expansivity
    ``eta = 1 + max(0, (G - g_min) / (1 - g_min))^gamma * chi * K``; the sigmoid's
    ``gain`` and ``center``."""

    lambda_u: float
    lambda_h: float
    lambda_d: float
    g_min: float
    gamma: float
    chi: float
    gain: float
    center: float


# --------------------------------------------------------------------------------------
# SplitMix64: one uint64 of state, seeded by the caller.
# --------------------------------------------------------------------------------------


@numba.njit(cache=True, inline="always")
def _uniform(state):
    """``(new_state, u)``, ``u`` uniform on [0, 1) with 53 random bits (SplitMix64)."""
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return state, float(z >> np.uint64(11)) * 1.1102230246251565e-16


@numba.njit(cache=True, inline="always")
def _logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


@numba.njit(cache=True)
def sigmoid_weights(v, n, eta, gain, center, out):
    """``out[i] = 1 + (eta - 1) s(v[i])`` for ``i < n``: the CSA's transform of V into
    relative win probabilities (step 6), with ``s`` the logistic
    ``1 / (1 + exp(-gain (V - center)))`` rescaled to run from 0 at ``V = 0`` to 1 at
    ``V = 1``. At ``eta = 1`` (an unfamiliar input) every cell weighs 1: a uniform draw.
    """
    s0 = _logistic(-gain * center)
    s1 = _logistic(gain * (1.0 - center))
    scale = (eta - 1.0) / (s1 - s0)
    for i in range(n):
        out[i] = 1.0 + scale * (_logistic(gain * (v[i] - center)) - s0)


@numba.njit(cache=True)
def expansivity(g, k, g_min, gamma, chi):
    """``eta = 1 + max(0, (G - g_min) / (1 - g_min))^gamma * chi * K`` (CSA step 5)."""
    x = (g - g_min) / (1.0 - g_min)
    if x <= 0.0:
        return 1.0
    return 1.0 + x**gamma * chi * k


@numba.njit(cache=True)
def _source_sum(w, off, m_cells, active, n_active, acc):
    """``acc[i] = sum_t w[off + active[t] M + i]``: the input sums of a mac's cells from
    its active afferents (rows of its weight block)."""
    for i in range(m_cells):
        acc[i] = 0
    for t in range(n_active):
        row = off + active[t] * m_cells
        for i in range(m_cells):
            acc[i] += w[row + i]


@numba.njit(cache=True)
def _gather(ptr, idx, m, vec, out):
    """Local indices (within mac ``m``'s list) of the afferents active in ``vec``."""
    n = 0
    lo = ptr[m]
    for a in range(lo, ptr[m + 1]):
        if vec[idx[a]]:
            out[n] = a - lo
            n += 1
    return n


@numba.njit(cache=True)
def _apply(v, acc, m_cells, n_active, lam):
    """``v *= (acc / n_active)^lam`` (one normalised source's factor of V)."""
    inv = 1.0 / n_active
    if lam == 1.0:
        for i in range(m_cells):
            v[i] *= acc[i] * inv
    else:
        for i in range(m_cells):
            v[i] *= (acc[i] * inv) ** lam


@numba.njit(cache=True)
def _learn(w, off, m_cells, active, n_active, cell):
    """Set the weights from the active afferents to ``cell``; returns how many were 0."""
    new = 0
    for t in range(n_active):
        j = off + active[t] * m_cells + cell
        if w[j] == 0:
            w[j] = 1
            new += 1
    return new


@numba.njit(cache=True)
def _argmax(v, lo, n):
    """Index (from 0) of the largest of ``v[lo:lo + n]``; ties to the lowest."""
    chosen = 0
    best = v[lo]
    for k in range(1, n):
        if v[lo + k] > best:
            best = v[lo + k]
            chosen = k
    return chosen


@numba.njit(cache=True)
def frame_step(
    net, csa, wu, wh, wd, n_set, act, prev, has_prev, learn, state,
    win, fam, acc, v, mu, act_u, act_h, act_d,
):  # fmt: skip
    """One frame through every mac of the network, levels in order.

    ``act`` holds the frame's pixels and zeros elsewhere on entry, and the codes every
    mac chose on return; ``prev`` is the previous frame's ``act`` (read when
    ``has_prev``: H from the same level, D from the level above). Per mac: the gate on
    its active sources (``[pi_min, pi_max]``), the normalised input sums, ``V``, the
    familiarity ``G``, and one winner per CM -- drawn from ``rho`` (``learn``, using
    ``state``) or the argmax of ``V`` (recognition, and a CM whose cells are all frozen;
    ties go to the lowest cell). With
    ``learn``, every weight from an active afferent (U, H, D) to a winner that is not
    frozen is set to 1 (``n_set`` counts each cell's set U weights). Writes the winners
    (``win[m, q]``, -1 for a gated-off mac) and ``G`` (``fam[m]``, NaN for a gated-off
    mac); returns the new random state.
    """
    n_macs = net.mac_q.shape[0]
    for m in range(n_macs):
        q_n = net.mac_q[m]
        k_n = net.mac_k[m]
        m_cells = q_n * k_n
        for q in range(win.shape[1]):
            win[m, q] = -1
        fam[m] = np.nan
        n_u = _gather(net.u_ptr, net.u_idx, m, act, act_u)
        sources = n_u // net.src_units[m]
        if n_u == 0 or sources < net.pi_min[m] or sources > net.pi_max[m]:
            continue
        for i in range(m_cells):
            v[i] = 1.0
        _source_sum(wu, net.wu_off[m], m_cells, act_u, n_u, acc)
        _apply(v, acc, m_cells, n_u, csa.lambda_u)
        n_h = 0
        n_d = 0
        if has_prev:
            n_h = _gather(net.h_ptr, net.h_idx, m, prev, act_h)
            if n_h > 0:
                _source_sum(wh, net.wh_off[m], m_cells, act_h, n_h, acc)
                _apply(v, acc, m_cells, n_h, csa.lambda_h)
            n_d = _gather(net.d_ptr, net.d_idx, m, prev, act_d)
            if n_d > 0:
                _source_sum(wd, net.wd_off[m], m_cells, act_d, n_d, acc)
                _apply(v, acc, m_cells, n_d, csa.lambda_d)
        g = 0.0
        for q in range(q_n):
            best = v[q * k_n]
            for k in range(1, k_n):
                if v[q * k_n + k] > best:
                    best = v[q * k_n + k]
            g += best
        g /= q_n
        fam[m] = g
        first = net.mac_cell[m]
        if learn:
            eta = expansivity(g, k_n, csa.g_min, csa.gamma, csa.chi)
            sigmoid_weights(v, m_cells, eta, csa.gain, csa.center, mu)
            c0 = first - net.n_pix
            for q in range(q_n):
                plastic = False
                for k in range(k_n):
                    if n_set[c0 + q * k_n + k] < net.freeze_at[m]:
                        plastic = True
                        break
                if not plastic:  # every cell frozen: the CM reports its best match
                    win[m, q] = _argmax(v, q * k_n, k_n)
                    continue
                total = 0.0
                for k in range(k_n):
                    total += mu[q * k_n + k]
                state, r = _uniform(np.uint64(state))
                target = r * total
                chosen = k_n - 1
                run = 0.0
                for k in range(k_n):
                    run += mu[q * k_n + k]
                    if target < run:
                        chosen = k
                        break
                win[m, q] = chosen
        else:
            for q in range(q_n):
                win[m, q] = _argmax(v, q * k_n, k_n)
        for q in range(q_n):
            act[first + q * k_n + win[m, q]] = 1
        if learn:
            for q in range(q_n):
                cell = q * k_n + win[m, q]
                c = first + cell - net.n_pix
                if n_set[c] >= net.freeze_at[m]:
                    continue  # frozen: its critical period is over
                n_set[c] += _learn(wu, net.wu_off[m], m_cells, act_u, n_u, cell)
                _learn(wh, net.wh_off[m], m_cells, act_h, n_h, cell)
                _learn(wd, net.wd_off[m], m_cells, act_d, n_d, cell)
    return state


@numba.njit(cache=True)
def _scratch(net):
    """Work arrays sized for the largest mac: activity vectors and per-mac buffers."""
    n_macs = net.mac_q.shape[0]
    big_m = 1
    big_u = 1
    big_h = 1
    big_d = 1
    for m in range(n_macs):
        big_m = max(big_m, net.mac_q[m] * net.mac_k[m])
        big_u = max(big_u, net.u_ptr[m + 1] - net.u_ptr[m])
        big_h = max(big_h, net.h_ptr[m + 1] - net.h_ptr[m])
        big_d = max(big_d, net.d_ptr[m + 1] - net.d_ptr[m])
    act = np.zeros(net.n_units, dtype=np.uint8)
    prev = np.zeros(net.n_units, dtype=np.uint8)
    acc = np.zeros(big_m, dtype=np.int32)
    v = np.zeros(big_m)
    mu = np.zeros(big_m)
    act_u = np.zeros(big_u, dtype=np.int64)
    act_h = np.zeros(big_h, dtype=np.int64)
    act_d = np.zeros(big_d, dtype=np.int64)
    return act, prev, acc, v, mu, act_u, act_h, act_d


@numba.njit(cache=True)
def learn_item(net, csa, wu, wh, wd, n_set, frames, seed, win, fam):
    """Learn one item (an image: one frame; a sequence: its frames in order) in one
    pass, single-trial.

    ``frames``: ``uint8 (n_frames, n_pix)`` (0/1); ``seed``: the item's SplitMix64 seed.
    The weights ``wu``, ``wh``, ``wd`` and the counts ``n_set`` are updated in place;
    ``win (n_frames, n_macs, q_max)`` and ``fam (n_frames, n_macs)`` receive the codes
    chosen and the familiarity of every mac at every frame. Horizontal and top-down
    inputs start empty (a reset between items).
    """
    act, prev, acc, v, mu, act_u, act_h, act_d = _scratch(net)
    state = np.uint64(seed)
    for t in range(frames.shape[0]):
        act[:] = 0
        act[: net.n_pix] = frames[t]
        state = frame_step(
            net, csa, wu, wh, wd, n_set, act, prev, t > 0, True, state,
            win[t], fam[t], acc, v, mu, act_u, act_h, act_d,
        )  # fmt: skip
        prev[:] = act


@numba.njit(cache=True)
def _block(b, n, n_blocks):
    return b * n // n_blocks, (b + 1) * n // n_blocks


@numba.njit(cache=True)
def recognise_items(net, csa, wu, wh, wd, x, win, fam, n_blocks):
    """Recognise items (no learning): ``x uint8 (n_items, n_frames, n_pix)``; writes
    ``win (n_items, n_frames, n_macs, q_max)`` and ``fam (n_items, n_frames, n_macs)``.

    Items run in ``n_blocks`` blocks (in parallel in ``recognise_items_par``), each with
    its own scratch arrays; horizontal and top-down inputs reset at each item.
    """
    n_items = x.shape[0]
    for b in numba.prange(n_blocks):
        lo, hi = _block(b, n_items, n_blocks)
        act, prev, acc, v, mu, act_u, act_h, act_d = _scratch(net)
        n_set = np.zeros(1, dtype=np.int64)  # not touched when not learning
        for s in range(lo, hi):
            for t in range(x.shape[1]):
                act[:] = 0
                act[: net.n_pix] = x[s, t]
                frame_step(
                    net, csa, wu, wh, wd, n_set, act, prev, t > 0, False, np.uint64(0),
                    win[s, t], fam[s, t], acc, v, mu, act_u, act_h, act_d,
                )  # fmt: skip
                prev[:] = act


recognise_items_par = parallel_twin(recognise_items)


@numba.njit(cache=True, inline="always")
def _shared(a, b, n_s):
    """Slots with the same winner in slot vectors ``a`` and ``b`` (``-1``: off, never
    shared). Branch-free, so that the compiler vectorises it: with ``int8`` slots
    (``K <= 127``) 16 to 64 slots per instruction."""
    c = 0
    for s in range(n_s):
        c += (a[s] == b[s]) & (a[s] >= 0)
    return c


@numba.njit(cache=True)
def code_overlap(codes_a, codes_b, n_blocks):
    """``out[i, j]`` = cells active in both code ``codes_a[i]`` and code ``codes_b[j]``.

    A code is given by its winners, one slot per (mac, CM): ``codes[i, s]`` is the
    winning cell of slot ``s`` (``-1`` where the mac is off), so the overlap is the
    number of slots with the same winner. Any signed integer type (``int8`` is the
    fastest). In parallel over the rows of ``codes_a`` in ``code_overlap_par``.
    """
    n_a = codes_a.shape[0]
    n_b = codes_b.shape[0]
    n_s = codes_a.shape[1]
    out = np.zeros((n_a, n_b), dtype=np.int32)
    for blk in numba.prange(n_blocks):
        lo, hi = _block(blk, n_a, n_blocks)
        for i in range(lo, hi):
            for j in range(n_b):
                out[i, j] = _shared(codes_a[i], codes_b[j], n_s)
    return out


code_overlap_par = parallel_twin(code_overlap)


@numba.njit(cache=True)
def knn_votes(codes_a, codes_b, labels, n_classes, k, n_blocks):
    """``out[i, c]``: the summed overlaps, with code ``codes_a[i]``, of those among the
    ``k`` stored codes ``codes_b`` that overlap it most and whose label is ``c``.

    Codes are given by their winners, one slot per (mac, CM), as in
    :func:`code_overlap`; ``labels[j]`` (``0 .. n_classes - 1``) is the label of stored
    code ``j``. The ``k`` nearest are kept by insertion, replacing only on a strictly
    larger overlap, so ties go to the stored code that comes first; with fewer than
    ``k`` stored codes, all of them vote. No ``(len(a), len(b))`` matrix is built. In
    parallel over the rows of ``codes_a`` in ``knn_votes_par``.
    """
    n_a = codes_a.shape[0]
    n_b = codes_b.shape[0]
    n_s = codes_a.shape[1]
    out = np.zeros((n_a, n_classes), dtype=np.int64)
    for blk in numba.prange(n_blocks):
        lo, hi = _block(blk, n_a, n_blocks)
        best_ov = np.empty(k, dtype=np.int64)
        best_j = np.empty(k, dtype=np.int64)
        for i in range(lo, hi):
            for r in range(k):
                best_ov[r] = -1
                best_j[r] = -1
            for j in range(n_b):
                c = _shared(codes_a[i], codes_b[j], n_s)
                if c <= best_ov[k - 1]:
                    continue
                r = k - 1
                while r > 0 and best_ov[r - 1] < c:
                    best_ov[r] = best_ov[r - 1]
                    best_j[r] = best_j[r - 1]
                    r -= 1
                best_ov[r] = c
                best_j[r] = j
            for r in range(k):
                if best_j[r] >= 0:
                    out[i, labels[best_j[r]]] += best_ov[r]
    return out


knn_votes_par = parallel_twin(knn_votes)
