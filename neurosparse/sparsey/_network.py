"""The geometry of a Sparsey hierarchy, and its weights in the result format.

:func:`build_network` lays the macs of each level on a grid over the level below (the
pixels for level 1), finds every mac's receptive fields (bottom-up U, horizontal H,
top-down D) and returns the flat arrays the kernels take (:class:`~._kernels.Net`)
with a :class:`Layout` that the Python side keeps (level sizes and offsets).
:func:`weights_to_connectivity` and :func:`weights_from_connectivity` carry the learned
binary weights to and from ``connectivity/<projection>`` nodes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from neurosparse.sparsey._kernels import Net

__all__ = ["Layout", "build_network", "weights_from_connectivity", "weights_to_connectivity"]

#: No upper bound on a mac's active sources (``pi_max=None``).
NO_LIMIT = 2**62
#: Most weights (bytes) a network may ask for.
MAX_WEIGHTS = 2**33
_TOL = 1e-9


class Layout(NamedTuple):
    """Level sizes and offsets of a built network (Python side)."""

    image_shape: tuple[int, int]
    grids: tuple[tuple[int, int], ...]
    q: tuple[int, ...]
    k: tuple[int, ...]
    mac_ptr: np.ndarray  # (n_levels + 1,) first global mac of each level
    cell_base: np.ndarray  # (n_levels,) global unit index of each level's first cell

    @property
    def n_levels(self) -> int:
        return len(self.grids)

    @property
    def n_pix(self) -> int:
        return self.image_shape[0] * self.image_shape[1]

    def n_macs(self, level: int) -> int:
        return int(self.mac_ptr[level + 1] - self.mac_ptr[level])

    def n_cells(self, level: int) -> int:
        return self.n_macs(level) * self.q[level] * self.k[level]

    def layer_name(self, level: int) -> str:
        """``"input"`` for level -1 (the pixels), ``"L1"``, ``"L2"``, ... above."""
        return "input" if level < 0 else f"L{level + 1}"

    def layer_size(self, level: int) -> int:
        return self.n_pix if level < 0 else self.n_cells(level)

    def layer_base(self, level: int) -> int:
        return 0 if level < 0 else int(self.cell_base[level])


def _centres(n_up: int, n_low: int) -> np.ndarray:
    """Centres of ``n_up`` macs spread evenly over ``n_low`` positions, in the lower
    positions' coordinates (positions 0 ... n_low - 1)."""
    return (np.arange(n_up) + 0.5) * n_low / n_up - 0.5


def _distance(dy: np.ndarray, dx: np.ndarray, shape: str) -> np.ndarray:
    if shape == "square":
        return np.maximum(np.abs(dy), np.abs(dx))
    return np.hypot(dy, dx)


def _receptive_fields(grid, lower, radius, shape):
    """For each mac of ``grid`` (row-major), the positions of the ``lower`` grid within
    ``radius`` of its centre (all of them for ``radius=None``), sorted; and, for the
    macs whose field is empty, the smallest radius that would reach a position."""
    rows, cols = grid
    low_r, low_c = lower
    cy, cx = _centres(rows, low_r), _centres(cols, low_c)
    ly, lx = np.divmod(np.arange(low_r * low_c), low_c)
    fields, short = [], []
    for r in range(rows):
        for c in range(cols):
            d = _distance(ly - cy[r], lx - cx[c], shape)
            if radius is None:
                inside = np.arange(low_r * low_c)
            else:
                inside = np.flatnonzero(d <= radius + _TOL)
            fields.append(inside)
            if inside.size == 0:
                short.append(((r, c), (cy[r], cx[c]), float(d.min())))
    return fields, short


def build_network(
    image_shape, grids, q, k, rf_radius, rf_shape, hrf_radius, pi_min, pi_max,
    freeze_fraction, use_h, use_d,
):  # fmt: skip
    """The flat arrays of a hierarchy (see :class:`~._kernels.Net`) and its layout.

    Per-level arguments (``q``, ``k``, ``rf_radius``, ``hrf_radius``, ``pi_min``,
    ``pi_max``, ``freeze_fraction``) are sequences with one entry per level.
    ``use_h`` / ``use_d``: build the horizontal / top-down fields (left empty
    otherwise).

    Raises
    ------
    ValueError
        A receptive-field radius that covers nothing for some mac (the message names
        ``rf_radius``, the level and mac, and the smallest radius that would work), or
        a network whose weights would not fit in memory.
    """
    n_levels = len(grids)
    height, width = image_shape
    n_pix = height * width
    n_macs = [r * c for r, c in grids]
    mac_ptr = np.concatenate([[0], np.cumsum(n_macs)]).astype(np.int64)
    cells = [n_macs[lv] * q[lv] * k[lv] for lv in range(n_levels)]
    cell_base = (n_pix + np.concatenate([[0], np.cumsum(cells)[:-1]])).astype(np.int64)
    n_units = n_pix + int(np.sum(cells))

    def cells_of(level, macs):
        size = q[level] * k[level]
        start = int(cell_base[level]) + np.asarray(macs, dtype=np.int64) * size
        return (start[:, None] + np.arange(size)).ravel()

    u_lists, h_lists = [], []
    up_fields = []  # U fields of every level, in mac indices of the level below
    for lv in range(n_levels):
        lower = image_shape if lv == 0 else grids[lv - 1]
        fields, short = _receptive_fields(grids[lv], lower, rf_radius[lv], rf_shape)
        if short:
            (r, c), (cy, cx), need = short[0]
            what = "pixel" if lv == 0 else f"mac of level {lv}"
            raise ValueError(
                f"rf_radius[{lv}]={rf_radius[lv]!r} covers no {what} for mac ({r}, {c}) of "
                f"level {lv + 1}, centred at ({cy:g}, {cx:g}) on the level below: give a "
                f"radius of at least {need:g}, or None for the whole level below"
            )
        up_fields.append(fields)
        for field in fields:
            if lv == 0:
                u_lists.append(field.astype(np.int64))
            else:
                u_lists.append(cells_of(lv - 1, field))
        if use_h:
            own, _ = _receptive_fields(grids[lv], grids[lv], hrf_radius[lv], rf_shape)
            h_lists.extend(cells_of(lv, field) for field in own)
        else:
            h_lists.extend(np.zeros(0, dtype=np.int64) for _ in range(n_macs[lv]))
    d_lists = []
    for lv in range(n_levels):
        above = [[] for _ in range(n_macs[lv])]  # the macs of level lv + 1 that see m
        if use_d and lv + 1 < n_levels:
            for um, field in enumerate(up_fields[lv + 1]):
                for m in field:
                    above[m].append(um)
        d_lists.extend(cells_of(lv + 1, a) if a else np.zeros(0, np.int64) for a in above)

    level_of = np.repeat(np.arange(n_levels), n_macs)
    mac_q = np.asarray(q, dtype=np.int64)[level_of]
    mac_k = np.asarray(k, dtype=np.int64)[level_of]
    size = mac_q * mac_k
    mac_cell = (cell_base[level_of] + (np.arange(mac_ptr[-1]) - mac_ptr[level_of]) * size).astype(
        np.int64
    )

    def csr(lists):
        lengths = np.array([len(x) for x in lists], dtype=np.int64)
        ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        idx = np.concatenate(lists).astype(np.int64) if lists else np.zeros(0, np.int64)
        off = np.concatenate([[0], np.cumsum(lengths * size)]).astype(np.int64)
        return ptr, idx, off

    u_ptr, u_idx, wu_off = csr(u_lists)
    h_ptr, h_idx, wh_off = csr(h_lists)
    d_ptr, d_idx, wd_off = csr(d_lists)
    total = int(wu_off[-1] + wh_off[-1] + wd_off[-1])
    if total > MAX_WEIGHTS:
        raise ValueError(
            f"this network needs {total / 2**30:.1f} GiB of weights (one byte each); use "
            "fewer cells (n_cms, cells_per_cm), smaller receptive fields (rf_radius, "
            "hrf_radius) or fewer macs (grid)"
        )
    src_units = np.array([1] + [q[lv - 1] for lv in range(1, n_levels)], dtype=np.int64)
    n_u = np.diff(u_ptr)
    fraction = np.asarray(freeze_fraction, dtype=np.float64)[level_of]
    freeze_at = np.maximum(1, np.ceil(fraction * n_u - _TOL)).astype(np.int64)
    pmax = np.array([NO_LIMIT if x is None else x for x in pi_max], dtype=np.int64)
    net = Net(
        n_pix=n_pix,
        n_units=n_units,
        mac_q=mac_q,
        mac_k=mac_k,
        mac_cell=mac_cell,
        src_units=src_units[level_of],
        pi_min=np.asarray(pi_min, dtype=np.int64)[level_of],
        pi_max=pmax[level_of],
        freeze_at=freeze_at,
        u_ptr=u_ptr,
        u_idx=u_idx,
        wu_off=wu_off,
        h_ptr=h_ptr,
        h_idx=h_idx,
        wh_off=wh_off,
        d_ptr=d_ptr,
        d_idx=d_idx,
        wd_off=wd_off,
    )
    layout = Layout(
        image_shape=(int(height), int(width)),
        grids=tuple((int(r), int(c)) for r, c in grids),
        q=tuple(int(x) for x in q),
        k=tuple(int(x) for x in k),
        mac_ptr=mac_ptr,
        cell_base=cell_base,
    )
    return net, layout


def empty_weights(net: Net) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Zero weights ``(wu, wh, wd)`` and set-weight counts ``n_set`` for ``net``."""
    return (
        np.zeros(int(net.wu_off[-1]), dtype=np.uint8),
        np.zeros(int(net.wh_off[-1]), dtype=np.uint8),
        np.zeros(int(net.wd_off[-1]), dtype=np.uint8),
        np.zeros(net.n_units - net.n_pix, dtype=np.int64),
    )


# -------------------------------------------------------------------- result format

#: (name prefix, kind of input, level of the presynaptic layer relative to the mac's)
_PATHS = (("U", "bottom-up", -1), ("H", "horizontal", 0), ("D", "top-down", 1))


def _arrays(net: Net, kind: str):
    if kind == "U":
        return net.u_ptr, net.u_idx, net.wu_off
    if kind == "H":
        return net.h_ptr, net.h_idx, net.wh_off
    return net.d_ptr, net.d_idx, net.wd_off


def _projections(layout: Layout, net: Net):
    """``(name, kind, level, pre_level)`` of every projection the network has."""
    out = []
    for prefix, _, rel in _PATHS:
        ptr = _arrays(net, prefix)[0]
        for lv in range(layout.n_levels):
            lo, hi = layout.mac_ptr[lv], layout.mac_ptr[lv + 1]
            if ptr[hi] - ptr[lo] == 0:
                continue
            out.append((f"{prefix}_{layout.layer_name(lv)}", prefix, lv, lv + rel))
    return out


def weights_to_connectivity(layout: Layout, net: Net, weights) -> dict:
    """``{"connectivity/<name>": Dataset}``: one COO node per projection that exists.

    ``U_L1`` (``input`` -> ``L1``), ``U_L2`` (``L1`` -> ``L2``), ...: the bottom-up
    weights, the feed-forward chain the bridges follow. ``H_L<n>`` (``L<n>`` -> itself,
    previous frame) and ``D_L<n>`` (``L<n+1>`` -> ``L<n>``, previous frame) carry
    ``pathway="modulatory"``: in Sparsey they multiply the bottom-up evidence rather
    than add to it, and the bridges leave them out of the chain unless named. One
    synapse per set binary weight, with its value (``weight`` 1.0, so that an engine
    computes the raw input sums ``u``, ``h``, ``d`` of the CSA rather than drawing
    weights of its own); ``pre`` and ``post`` index the layers' units (pixels
    row-major; cells as ``mac * Q * K + cm * K + cell``, macs row-major). Attr
    ``input``: ``"bottom-up"``, ``"horizontal"`` or ``"top-down"``. The bottom-up
    projections are always written; a horizontal or top-down one only where some weight
    was set (never for images).
    """
    from neurosparse.results import connectivity_from_indices

    out = {}
    by_kind = dict(zip("UHD", weights, strict=True))
    for name, kind, lv, pre_lv in _projections(layout, net):
        ptr, idx, off = _arrays(net, kind)
        w = by_kind[kind]
        m_lo, m_hi = int(layout.mac_ptr[lv]), int(layout.mac_ptr[lv + 1])
        size = layout.q[lv] * layout.k[lv]
        flat = np.flatnonzero(w[off[m_lo] : off[m_hi]]) + off[m_lo]
        if kind != "U" and flat.size == 0:
            continue  # nothing learned there (images: no context)
        mac = np.searchsorted(off, flat, side="right") - 1
        j, cell = np.divmod(flat - off[mac], size)
        pre = idx[ptr[mac] + j] - layout.layer_base(pre_lv)
        post = (mac - m_lo) * size + cell
        order = np.lexsort((pre, post))
        node = connectivity_from_indices(
            pre[order],
            post[order],
            layout.layer_size(pre_lv),
            layout.n_cells(lv),
            weight=np.ones(flat.size, dtype=np.float32),
            pre_layer=layout.layer_name(pre_lv),
            post_layer=layout.layer_name(lv),
        )
        if kind != "U":
            node.attrs["pathway"] = "modulatory"
        node.attrs["input"] = dict(zip("UHD", ("bottom-up", "horizontal", "top-down"),
                                       strict=True))[kind]  # fmt: skip
        out[f"connectivity/{name}"] = node
    return out


def weights_from_connectivity(layout: Layout, net: Net, tree) -> tuple[np.ndarray, ...]:
    """``(wu, wh, wd, n_set)`` rebuilt from a result's connectivity nodes.

    Raises
    ------
    ValueError
        A synapse outside the receptive fields of the network the parameters describe.
    """
    from neurosparse.results import indices_from_connectivity

    wu, wh, wd, n_set = empty_weights(net)
    by_kind = {"U": wu, "H": wh, "D": wd}
    nodes = tree["connectivity"].children if "connectivity" in tree.children else {}
    for name, kind, lv, pre_lv in _projections(layout, net):
        if name not in nodes:
            continue
        pre, post, _ = indices_from_connectivity(nodes[name])
        ptr, idx, off = _arrays(net, kind)
        size = layout.q[lv] * layout.k[lv]
        mac = post // size + int(layout.mac_ptr[lv])
        cell = post % size
        unit = pre + layout.layer_base(pre_lv)
        # position of the unit in the mac's (sorted) afferent list
        key_space = np.int64(net.n_units)
        keys = np.repeat(np.arange(ptr.size - 1, dtype=np.int64), np.diff(ptr)) * key_space + idx
        want = mac * key_space + unit
        pos = np.searchsorted(keys, want)
        bad = (pos >= keys.size) | (keys[np.minimum(pos, keys.size - 1)] != want)
        if np.any(bad):
            raise ValueError(
                f"connectivity/{name} has a synapse outside the receptive fields of the "
                "network its parameters describe"
            )
        j = pos - ptr[mac]
        by_kind[kind][off[mac] + j * size + cell] = 1
    # set U weights per cell
    for m in range(net.mac_q.size):
        size = int(net.mac_q[m] * net.mac_k[m])
        block = wu[net.wu_off[m] : net.wu_off[m + 1]].reshape(-1, size)
        c0 = int(net.mac_cell[m]) - net.n_pix
        n_set[c0 : c0 + size] = block.sum(axis=0, dtype=np.int64)
    return wu, wh, wd, n_set
