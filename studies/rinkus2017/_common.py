"""Shared by the rinkus2017 studies (``load_helper(__file__, "_common")``): the sources,
the Numba thread setting, the warm-up that keeps compilation out of the timings, and
the random binary items of the similarity and capacity checks.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

SOURCE_2017 = (
    "Rinkus & Leveille 2017, arXiv 1710.07829 (Superposed episodic and semantic memory "
    "via sparse distributed representation)"
)
SOURCE_2010 = "Rinkus 2010, Front. Neuroanat. 4:17 (a cortical sparse distributed coding model)"
SOURCE_2014 = "Rinkus 2014, Front. Comput. Neurosci. 8:160 (Sparsey: event recognition)"
SOURCE_MNIST = (
    "Rinkus & Leveille 2017 (arXiv 1710.07829) and sparsey.com, 'Preliminary MNIST "
    "Results': a 2-level Sparsey (input level + one internal level of macs), 200 "
    "training digits per class, 16x24 binarised and skeletonised images, 91 % accuracy, "
    "learning in 220 s on a single thread"
)


@contextmanager
def numba_threads(n: int):
    """Run with ``n`` Numba threads (at most those available; restored afterwards).
    Sparsey's results do not depend on the thread count, only its wall time does."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def warm_up(make_model, X, y) -> None:
    """Fit and score a model on a few items of ``X`` so that every kernel the timed
    run calls is compiled (or loaded from Numba's disk cache) before the clock starts;
    recognition of 64 items and more runs the parallel kernels, so both sizes are run."""
    n = min(len(X), 70)
    model = make_model().fit(X[:n], y[:n])
    model.score(X[:n], y[:n])
    model.score(X[:2], y[:2])


def random_items(n: int, side: int, active: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` binary ``side x side`` images with exactly ``active`` pixels on, drawn
    uniformly."""
    X = np.zeros((n, side * side), dtype=bool)
    for i in range(n):
        X[i, rng.choice(side * side, active, replace=False)] = True
    return X.reshape(n, side, side)


def similar_pair(side: int, active: int, keep: int, rng: np.random.Generator) -> np.ndarray:
    """Two binary images of ``active`` pixels each sharing exactly ``keep`` of them
    (input overlap ``keep / active``): ``(2, side, side)``."""
    n_pix = side * side
    first = np.zeros(n_pix, dtype=bool)
    on = rng.choice(n_pix, active, replace=False)
    first[on] = True
    second = np.zeros(n_pix, dtype=bool)
    second[rng.choice(on, keep, replace=False)] = True
    second[rng.choice(np.flatnonzero(~first), active - keep, replace=False)] = True
    return np.stack([first, second]).reshape(2, side, side)
