"""Numba kernels of the active-dendrites family (pure functions over scalars and arrays).

Serial and parallel kernels (``docs/ARCHITECTURE.md``, "Numba kernels"): a kernel whose
outer loop runs over independent units (chunks of trials, SDRs) is one pure function with
that loop written as ``prange``, compiled serially with ``cache=True`` (``prange`` is
then ``range``) and once more with ``parallel=True`` as ``<name>_par``
(:func:`neurosparse._jit.parallel_twin`, cached too). Both give the same bits.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from neurosparse._jit import parallel_twin


@numba.njit(cache=True)
def log_comb(n: int, k: int) -> float:
    """log C(n, k) for 0 <= k <= n, as a sum of logs over the shorter side.

    Exact to a few ulps per factor (no cancellation between large ``lgamma`` values).
    """
    if k < 0 or k > n:
        return -np.inf
    k = min(k, n - k)
    total = 0.0
    for i in range(k):
        total += math.log((n - i) / (k - i))
    return total


@numba.njit(cache=True)
def log_hypergeom_range(n: int, s: int, a: int, lo: int, hi: int) -> float:
    """log P(lo <= B <= hi) for B ~ Hypergeometric(population n, s marked, a drawn).

    The first term ``T(b0) = C(s, b0) C(n-s, a-b0) / C(n, a)`` is computed as a product
    of ratios, ``prod_{i<b0} (a-i)/(n-i) * prod_{j<s-b0} (n-a-j)/(n-b0-j)``, in log
    space with ``log1p`` (no large-number cancellation), and the following terms by the
    ratio ``T(b+1)/T(b) = (s-b)(a-b) / ((b+1)(n-s-a+b+1))``, then log-sum-exp. Each
    term carries a relative error of a few ulps per factor, so the result is exact to
    about ``(s + a) * 1e-16`` relative, whatever its size (no underflow: log space).
    Returns ``-inf`` for an empty range.
    """
    b_lo = max(lo, a - (n - s), 0)
    b_hi = min(hi, s, a)
    if b_lo > b_hi:
        return -np.inf
    b0 = b_lo
    # log T(b0)
    lt = log_comb(s, b0)
    for i in range(b0):
        lt += math.log((a - i) / (n - i))
    for j in range(s - b0):
        lt += math.log1p(-(a - b0) / (n - b0 - j))
    # terms of the range, then log-sum-exp relative to the largest
    count = b_hi - b0 + 1
    logs = np.empty(count)
    logs[0] = lt
    for idx in range(1, count):
        b = b0 + idx - 1
        logs[idx] = logs[idx - 1] + math.log(
            ((s - b) * (a - b)) / ((b + 1.0) * (n - s - a + b + 1.0))
        )
    peak = logs.max()
    acc = 0.0
    for idx in range(count):
        acc += math.exp(logs[idx] - peak)
    return peak + math.log(acc)


@numba.njit(cache=True)
def log_hypergeom_sf(n: int, s: int, a: int, theta: int) -> float:
    """log P(B >= theta) for B ~ Hypergeometric(population n, s marked, a drawn).

    This is Eq. 4 of Ahmad & Hawkins (2016): the probability that a random SDR of ``a``
    active cells out of ``n`` overlaps a segment of ``s`` synapses in ``theta`` or more.
    See :func:`log_hypergeom_range` for the method.
    """
    return log_hypergeom_range(n, s, a, theta, s)


@numba.njit(cache=True)
def log_hypergeom_cdf(n: int, s: int, a: int, k: int) -> float:
    """log P(B <= k) for B ~ Hypergeometric(n, s, a): the complement of the tail."""
    return log_hypergeom_range(n, s, a, 0, k)


@numba.njit(cache=True)
def log_hypergeom_sf_grid(n, s, a, theta):
    """Vectorised :func:`log_hypergeom_sf` over equal-length 1-D int64 arrays."""
    out = np.empty(n.shape[0])
    for i in range(n.shape[0]):
        out[i] = log_hypergeom_sf(n[i], s[i], a[i], theta[i])
    return out


@numba.njit(cache=True)
def log_hypergeom_both_grid(n, s, a, theta):
    """``(log P(B >= theta), log P(B < theta))`` over equal-length 1-D int64 arrays.

    Both tails are summed directly, so ``log(1 - P)`` keeps full relative precision even
    when ``P`` is close to 1 (needed by the neuron and union formulas).
    """
    sf = np.empty(n.shape[0])
    cdf = np.empty(n.shape[0])
    for i in range(n.shape[0]):
        sf[i] = log_hypergeom_range(n[i], s[i], a[i], theta[i], s[i])
        cdf[i] = log_hypergeom_range(n[i], s[i], a[i], 0, theta[i] - 1)
    return sf, cdf


# --------------------------------------------------------------------------------------
# Random numbers inside kernels: SplitMix64 (Steele, Lea & Flood 2014), a counter-based
# generator that passes BigCrush. Its state is one uint64 that the caller seeds from a
# numpy SeedSequence, so a chunk's stream depends only on its own seed.
# --------------------------------------------------------------------------------------


@numba.njit(cache=True, inline="always")
def _splitmix64(state):
    """Advance a SplitMix64 state; returns ``(new_state, 64 random bits)``."""
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return state, z ^ (z >> np.uint64(31))


@numba.njit(cache=True, inline="always")
def _uniform(state):
    """``(new_state, u)`` with ``u`` uniform on [0, 1) with 53 random bits."""
    state, z = _splitmix64(state)
    return state, float(z >> np.uint64(11)) * 1.1102230246251565e-16


@numba.njit(cache=True)
def sequential_tail_hits(pop, marked, draws, threshold, trials, seed):
    """Monte Carlo count of trials whose overlap reaches ``threshold``.

    Each trial is a fresh random subset of ``marked`` cells out of ``pop`` (a random
    SDR), observed through ``draws`` fixed cells (the segment's synapses), one synapse
    at a time without replacement: given that ``k`` synapses were looked at and ``r``
    of the marked cells are still unseen, the next synapse's cell is marked with
    probability ``r / (pop - k)``. This is the exact law of a uniformly random subset,
    revealed cell by cell (a true simulation, not a draw from the hypergeometric
    formula). A trial stops as soon as its outcome is decided (``threshold`` reached,
    or no longer reachable).

    Returns the number of trials with overlap ``>= threshold``.
    """
    if threshold <= 0:
        return trials
    if threshold > draws or threshold > marked:
        return 0
    state = np.uint64(seed)
    hits = 0
    for _ in range(trials):
        remaining = marked
        left = pop
        b = 0
        for k in range(draws):
            state, u = _uniform(np.uint64(state))
            hit = 1 if u * left < remaining else 0  # branch-free update
            b += hit
            remaining -= hit
            left -= 1
            if b >= threshold:
                hits += 1
                break
            if b + (draws - k - 1) < threshold:
                break
    return hits


@numba.njit(cache=True)
def sequential_tail_hits_chunks(pop, marked, draws, threshold, chunk_trials, seeds):
    """:func:`sequential_tail_hits` over independent chunks (one seed each; in parallel in
    ``sequential_tail_hits_chunks_par``)."""
    out = np.zeros(chunk_trials.shape[0], dtype=np.int64)
    for c in numba.prange(chunk_trials.shape[0]):
        out[c] = sequential_tail_hits(pop, marked, draws, threshold, chunk_trials[c], seeds[c])
    return out


sequential_tail_hits_chunks_par = parallel_twin(sequential_tail_hits_chunks)


@numba.njit(cache=True)
def explicit_tail_hits(pop, k1, k2, threshold, trials, seed):
    """Monte Carlo count of trials where two random subsets overlap in ``>= threshold``.

    Each trial draws a random ``k1``-subset (a random SDR) and an independent random
    ``k2``-subset (a random segment's presynaptic cells) of ``pop`` cells, both with
    Floyd's algorithm, and counts their common cells: the literal experiment of the
    paper, at O(k1 + k2) per trial. Membership is tracked with trial stamps, so no
    array is cleared between trials.
    """
    if threshold <= 0:
        return trials
    stamp1 = np.zeros(pop, dtype=np.int64)
    stamp2 = np.zeros(pop, dtype=np.int64)
    state = np.uint64(seed)
    hits = 0
    for t in range(1, trials + 1):
        # Floyd: a uniform k1-subset
        for j in range(pop - k1, pop):
            state, u = _uniform(np.uint64(state))
            r = int(u * (j + 1))
            if stamp1[r] == t:
                stamp1[j] = t
            else:
                stamp1[r] = t
        b = 0
        for j in range(pop - k2, pop):
            state, u = _uniform(np.uint64(state))
            r = int(u * (j + 1))
            chosen = j if stamp2[r] == t else r
            stamp2[chosen] = t
            if stamp1[chosen] == t:
                b += 1
        if b >= threshold:
            hits += 1
    return hits


# --------------------------------------------------------------------------------------
# SDR kernels
# --------------------------------------------------------------------------------------


@numba.njit(cache=True)
def random_sdr_rows(n, a, count, seed):
    """``count`` random SDRs of ``a`` active cells out of ``n``, sorted, as (count, a)."""
    out = np.empty((count, a), dtype=np.int64)
    stamp = np.zeros(n, dtype=np.int64)
    state = np.uint64(seed)
    for t in range(count):
        pos = 0
        for j in range(n - a, n):
            state, u = _uniform(np.uint64(state))
            r = int(u * (j + 1))
            chosen = j if stamp[r] == t + 1 else r
            stamp[chosen] = t + 1
            out[t, pos] = chosen
            pos += 1
        out[t].sort()
    return out


@numba.njit(cache=True)
def postings(indptr, indices, n):
    """Inverted index of a CSR set of SDRs: for each cell, the rows where it is active.

    Returns ``(cell_ptr, rows)``: rows holding cell ``c`` are ``rows[cell_ptr[c]:cell_ptr[c+1]]``.
    """
    counts = np.zeros(n + 1, dtype=np.int64)
    for k in range(indices.shape[0]):
        counts[indices[k] + 1] += 1
    for c in range(n):
        counts[c + 1] += counts[c]
    rows = np.empty(indices.shape[0], dtype=np.int64)
    fill = counts[:-1].copy()
    for i in range(indptr.shape[0] - 1):
        for k in range(indptr[i], indptr[i + 1]):
            c = indices[k]
            rows[fill[c]] = i
            fill[c] += 1
    return counts, rows


@numba.njit(cache=True)
def overlap_all_pairs(x_indptr, x_indices, cell_ptr, rows, out):
    """``out[i, j]`` = overlap of SDR ``i`` of X with SDR ``j`` of Y (inverted index of Y);
    in parallel over the SDRs of X in ``overlap_all_pairs_par``.

    Work is ``sum_i sum_{c in x_i} |postings(c)|``: about ``m_x a_x a_y m_y / n``
    increments, instead of ``m_x m_y n`` for a dense product.
    """
    for i in numba.prange(x_indptr.shape[0] - 1):
        row = out[i]
        row[:] = 0
        for k in range(x_indptr[i], x_indptr[i + 1]):
            c = x_indices[k]
            for p in range(cell_ptr[c], cell_ptr[c + 1]):
                row[rows[p]] += 1


overlap_all_pairs_par = parallel_twin(overlap_all_pairs)


@numba.njit(cache=True)
def add_noise_rows(indptr, indices, n, fraction, seed):
    """Move ``round(fraction * a_i)`` active bits of each SDR to inactive cells.

    htm.core's ``addNoise``: the count stays; the moved bits leave uniformly chosen
    active cells and land on uniformly chosen inactive cells. Returns new CSR indices
    (same ``indptr``), each row sorted.
    """
    out = np.empty_like(indices)
    active = np.zeros(n, dtype=np.int64)
    state = np.uint64(seed)
    for i in range(indptr.shape[0] - 1):
        lo, hi = indptr[i], indptr[i + 1]
        a = hi - lo
        stamp = i + 1
        row = indices[lo:hi].copy()
        for k in range(a):
            active[row[k]] = stamp
        move = math.floor(fraction * a + 0.5)
        # partial Fisher-Yates: the first `move` entries of row are turned off
        for k in range(move):
            state, u = _uniform(np.uint64(state))
            r = k + int(u * (a - k))
            tmp = row[k]
            row[k] = row[r]
            row[r] = tmp
        # turn on `move` cells among the inactive ones (rejection: inactive are most)
        placed = 0
        while placed < move:
            state, u = _uniform(np.uint64(state))
            c = int(u * n)
            if active[c] != stamp and active[c] != -stamp:
                active[c] = -stamp  # newly on; also blocks reuse of an old-off cell
                row[placed] = c
                placed += 1
        row.sort()
        out[lo:hi] = row
    return out
