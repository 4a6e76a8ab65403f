"""Parameter sweeps on dask.distributed: grid specs, a resumable zarr store, seeds that
do not depend on the worker, worker faults survived.

A spec (TOML, or a dict) names a target -- a registered study, whose ``Params`` fields
are swept, or a ``module:function`` returning a result, whose keyword arguments are --
a grid (and optionally random draws), seeds and a store::

    target = "ahmad2016/fig4a"
    mode = "quick"
    store = "out/fig4a_trials.zarr"
    seeds = 4

    [grid]
    trials = [10_000, 100_000]

``neurosparse sweep SPEC`` or :func:`run` runs one dask task per point, on a
:class:`~distributed.LocalCluster` of one-thread processes or an existing scheduler
(``--scheduler tcp://host:8786``, ``run(spec, client=Client(cluster))``), writes each
finished point into the store at once (:mod:`neurosparse.sweep.store`), skips finished
points on ``--resume``, and combines them into one result with a dimension per swept
parameter plus ``seed`` (:mod:`neurosparse.sweep.combine`).

Modules: :mod:`~neurosparse.sweep.spec` (the spec, its checks, the points and their
seeds), :mod:`~neurosparse.sweep.store`, :mod:`~neurosparse.sweep.runner` (dask, faults),
:mod:`~neurosparse.sweep.combine`, :mod:`~neurosparse.sweep.examples` (targets of the
example specs in ``studies/sweeps/``).
"""

from neurosparse.sweep.combine import combine
from neurosparse.sweep.runner import SweepInterrupted, load, run, status
from neurosparse.sweep.spec import Axis, Point, RandomParam, Spec, SweepError, load_spec, point_seed
from neurosparse.sweep.store import Store

__all__ = [
    "Axis",
    "Point",
    "RandomParam",
    "Spec",
    "Store",
    "SweepError",
    "SweepInterrupted",
    "combine",
    "load",
    "load_spec",
    "point_seed",
    "run",
    "status",
]
