"""Running a sweep on dask.distributed: one task per point, written as it finishes.

The runner never schedules anything itself: every point is one ``client.submit`` on a
dask cluster, a :class:`distributed.LocalCluster` of one-thread worker processes by
default or any existing scheduler (``scheduler="tcp://host:8786"``, or a ``client`` of
your own: dask-jobqueue's ``SLURMCluster``, Kubernetes, ...). The client keeps a window
of points in flight. Each finished point is written into the store at once
(:mod:`neurosparse.sweep.store`): by its worker when the worker sees the store (same
machine or a shared disk), else by the client, so workers on machines without the
store's disk work too. The worker sends back only what is combined (the numeric groups,
small) and the point's provenance.

Faults
    A point whose target raises is recorded as failed, with its message, and the others
    go on (the error is caught on the worker: a deterministic error is not retried). A
    worker that dies (killed, out of memory) loses its point; the nanny restarts the
    worker and the scheduler runs the point again, up to ``retries`` times for the
    LocalCluster made here (``distributed.scheduler.allowed-failures`` on your own
    scheduler), after which the point is recorded as failed (``KilledWorker``). A
    point is written once, whichever attempt finished it. An interrupted run (Ctrl-C)
    keeps every point already written; ``resume=True`` runs the others.

Threads
    Each point runs on one thread: the LocalCluster's workers start with
    ``NUMBA_NUM_THREADS=1`` and ``OMP_NUM_THREADS=MKL_NUM_THREADS=OPENBLAS_NUM_THREADS=1``
    (so torch starts with one thread), and on any cluster the task sets Numba's thread
    count (per thread) and torch's to 1 before it runs the target.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import sys
import time
import traceback
import warnings
from collections import deque
from datetime import UTC, datetime
from typing import Any

import xarray as xr

from neurosparse.sweep.combine import combine, extract, point_info
from neurosparse.sweep.spec import Spec, SweepError, Target, load_spec
from neurosparse.sweep.store import Store

__all__ = ["SweepInterrupted", "load", "run", "run_point", "status"]

#: Environment of the LocalCluster's worker processes, set before they import anything.
WORKER_ENV = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}

_TARGETS: dict[tuple, Any] = {}
_VISIBLE: dict[tuple, bool] = {}
_MACHINE: list[str] = []


class SweepInterrupted(KeyboardInterrupt):
    """The sweep was interrupted (Ctrl-C); the points written so far are kept."""

    def __init__(self, store, finished: int, total: int):
        super().__init__(
            f"interrupted: {finished} of {total} points are kept in {str(store)!r}; "
            "run again with --resume to finish"
        )
        self.store, self.finished, self.total = store, finished, total


# ------------------------------------------------------------------ on the workers


def _limit_threads(n: int = 1) -> None:
    try:
        import numba

        if numba.get_num_threads() > n:
            numba.set_num_threads(n)  # thread-local: this task's thread only
    except Exception:  # pragma: no cover - numba missing or its layer refused
        pass
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() > n:
        torch.set_num_threads(n)


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except Exception:
        return f"local pid {os.getpid()}"


def _load_target(target: Target):
    key = (target.kind, target.name, target.path)
    if key not in _TARGETS:
        _TARGETS[key] = target.load()
    return _TARGETS[key]


def run_point(task: dict[str, Any]) -> dict[str, Any]:
    """Run one point (on a worker): its result tree and provenance, or its error.

    ``task`` holds ``index``, ``seed``, ``target`` (a :class:`Target`), ``mode`` and
    ``kwargs`` (the fixed and swept parameters). Exceptions of the target are caught and
    returned as a failure record; only the loss of the worker itself escapes.
    """
    from neurosparse.results import validate

    index, seed, target = task["index"], task["seed"], task["target"]
    worker = _worker_address()
    t0 = time.perf_counter()
    try:
        _limit_threads(1)
        loaded = _load_target(target)
        if target.kind == "study":
            from neurosparse.studies import apply_overrides

            base = loaded.QUICK if task["mode"] == "quick" else loaded.FULL
            tree = loaded.run(apply_overrides(base, task["kwargs"]), seed)
        else:
            kwargs = dict(task["kwargs"])
            if target.takes_seed:
                kwargs["seed"] = seed
            tree = loaded(**kwargs)
        if not isinstance(tree, xr.DataTree):
            raise TypeError(f"{target.name} returned a {type(tree).__name__}, not a result")
        validate(tree)
    except Exception as exc:
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        return {
            "index": index,
            "status": "failed",
            "error": message,
            "traceback": traceback.format_exc(),
            "worker": worker,
            "run_seconds": time.perf_counter() - t0,
        }
    elapsed = time.perf_counter() - t0
    if not _MACHINE:
        from neurosparse.studies import machine_description

        _MACHINE.append(machine_description())
    tree.attrs.update(
        {
            "sweep_index": int(index),
            "sweep_point_seed": int(seed),
            "sweep_worker": worker,
            "sweep_run_seconds": round(elapsed, 6),
            "machine": _MACHINE[0],
        }
    )
    out = {"index": index, "status": "ok", "worker": worker, "run_seconds": elapsed}
    store = task.get("store")
    if store is not None and _store_visible(store["path"], store["id"]):
        try:
            Store(store["path"]).write_point_once(index, tree)
        except OSError:  # not writable from here after all: the client writes it
            pass
        else:
            kind = target.kind
            return {**out, "written": True, "parts": extract(tree, kind),
                    "info": point_info(tree, kind)}  # fmt: skip
    return {**out, "tree": tree}


def _store_visible(path: str, store_id: str) -> bool:
    """Whether this process sees the sweep's own store (a shared or local disk): then
    the worker writes its points itself, in parallel with the others."""
    key = (path, store_id)
    if key not in _VISIBLE:
        try:
            attrs = Store(path).attrs()
            _VISIBLE[key] = attrs is not None and attrs.get("store_id") == store_id
        except Exception:
            _VISIBLE[key] = False
    return _VISIBLE[key]


# --------------------------------------------------------------------- the client


def _connect(address: str, timeout: float):
    from distributed import Client

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise SweepError(
            f"cannot reach the dask scheduler at {address!r} within {timeout:g} s: {reason}"
        ) from None


def _local_cluster(n_workers: int | None, retries: int):
    import dask
    from distributed import Client, LocalCluster

    if n_workers is None:
        n_workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)  # fmt: skip
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": int(retries)}),
        warnings.catch_warnings(),
    ):
        # the scheduler's small HTTP server moves off a busy port 8787 by itself
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        cluster = LocalCluster(
            n_workers=int(n_workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env=dict(WORKER_ENV),
            silence_logs=logging.ERROR,
        )
    try:
        client = Client(cluster, set_as_default=False)
        # Ctrl-C in a terminal reaches the workers too: they leave it to the client,
        # which stops the sweep and closes the cluster (no traceback from each worker)
        from neurosparse.sweep._plugin import IgnoreSigint

        client.register_plugin(IgnoreSigint(), name="neurosparse-sweep-ignore-sigint")
    except BaseException:
        cluster.close()
        raise
    return cluster, client


def _failure_info(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": "failed",
        "error": rec.get("error", ""),
        "worker": rec.get("worker", ""),
        "run_seconds": float(rec.get("run_seconds", float("nan"))),
    }


def _read_points(store: Store, indices, target_kind: str):
    """The parts and records of finished points, read back from the store (one after
    the other: the readers swap process-wide warning filters, which threads would race
    on)."""
    parts: dict[int, dict[str, xr.Dataset]] = {}
    info: dict[int, dict[str, Any]] = {}
    for i in sorted(indices):
        tree = store.read_point(i)
        parts[i], info[i] = extract(tree, target_kind), point_info(tree, target_kind)
    return parts, info


def status(spec: Any, *, store: str | os.PathLike | None = None) -> dict[str, Any]:
    """What the store holds of this sweep: ``{"exists", "finished", "failed", "total"}``.

    Raises :class:`SweepError` if the store holds another sweep."""
    spec = load_spec(spec, store=store)
    st = Store(_store_path(spec))
    attrs = st.attrs()
    if attrs is None:
        return {"exists": False, "finished": 0, "failed": 0, "total": spec.n_points}
    st.check(spec, resume=True)
    return {"exists": True, "finished": len(st.finished()), "failed": len(st.failed()),
            "total": spec.n_points}  # fmt: skip


def _store_path(spec: Spec):
    if spec.store is None:
        raise SweepError("no store: set store = 'name.zarr' in the spec, or pass --store")
    return spec.store


def run(
    spec: Any,
    client: Any = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    store: str | os.PathLike | None = None,
    progress: bool = True,
    connect_timeout: float = 10.0,
) -> xr.DataTree:
    """Run a sweep and return its combined result.

    Parameters
    ----------
    spec : path-like, dict or Spec
        The sweep (:func:`~neurosparse.sweep.load_spec`).
    client : distributed.Client, optional
        Run on this client's cluster (it is left open). Without it, a
        :class:`~distributed.LocalCluster` of ``workers`` one-thread processes is made
        (and closed), or ``scheduler`` is connected to.
    workers : int, optional
        Worker processes of the LocalCluster (default: the CPUs this process may use).
    scheduler : str, optional
        Address of an existing dask scheduler (``tcp://host:8786``).
    resume : bool
        Continue the sweep already in the store, running only its unfinished points.
    store : path-like, optional
        Overrides the spec's ``store``.
    progress : bool
        Show a progress bar (tqdm, on stderr).
    connect_timeout : float
        Seconds to wait for ``scheduler``.

    Returns
    -------
    xarray.DataTree
        The combined result (:mod:`neurosparse.sweep.combine`), also written to
        ``<store>/result.zarr``. Its root attrs count the finished, failed and missing
        points; ``params/status`` and ``params/error`` give them point by point. A
        ``RuntimeWarning`` names the failed points.

    Raises
    ------
    SweepError
        For a bad spec, a store that holds another sweep (or this one, without
        ``resume``), an unreachable scheduler: before anything is written.
    SweepInterrupted
        On Ctrl-C (a ``KeyboardInterrupt``), once the points finished so far are safe.
    """
    start = time.perf_counter()
    spec = load_spec(spec, store=store)
    st = Store(_store_path(spec))
    existing = st.check(spec, resume=resume)
    if client is not None and (workers is not None or scheduler is not None):
        raise SweepError("give a client, or workers / a scheduler address, not both")
    if workers is not None and scheduler is not None:
        raise SweepError("give --workers (a local cluster) or --scheduler, not both")
    if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
        raise SweepError(f"workers must be a positive integer, got {workers!r}")

    cluster = own_client = None
    nothing_to_do = existing is not None and len(st.finished()) == spec.n_points
    if client is None and not nothing_to_do:
        if scheduler is not None:
            client = own_client = _connect(scheduler, connect_timeout)
        else:
            cluster, client = _local_cluster(workers, spec.retries)
            own_client = client
    try:
        if existing is None:
            st.create(spec)
        else:
            st.clean()
        done = st.finished()
        todo = deque(i for i in range(spec.n_points) if i not in done)
        parts, info = _run_points(spec, st, client, todo, done, progress)
        old_parts, old_info = _read_points(st, done, spec.target.kind)
        parts.update(old_parts)
        info.update(old_info)
    except KeyboardInterrupt:
        finished = len(st.finished()) if st.path.exists() else 0
        raise SweepInterrupted(st.path, finished, spec.n_points) from None
    finally:
        if own_client is not None:
            with contextlib.suppress(Exception):
                own_client.close(timeout=5)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=5)
    result = combine(spec, parts, info, run_seconds=time.perf_counter() - start)
    st.write_result(result)
    failed = sorted(i for i, rec in info.items() if rec["status"] == "failed")
    if failed:
        first = failed[0]
        warnings.warn(
            f"{len(failed)} of {spec.n_points} points failed; point {first} "
            f"({spec.point(first).describe()}): {info[first]['error']}",
            RuntimeWarning,
            stacklevel=2,
        )
    return result


def _run_points(spec: Spec, st: Store, client, todo: deque, done: set, progress: bool):
    """Submit the points of ``todo`` (a window at a time), write each as it finishes."""
    from distributed import as_completed
    from tqdm import tqdm

    parts: dict[int, dict[str, xr.Dataset]] = {}
    info: dict[int, dict[str, Any]] = {}
    if not todo:
        return parts, info
    token = spec.spec_hash[:8] + "-" + os.urandom(3).hex()
    try:
        threads = sum(client.nthreads().values())
    except Exception:
        threads = 1
    window = max(64, 4 * threads)
    kind = spec.target.kind

    store = {"path": str(st.path.resolve()), "id": st.attrs()["store_id"]}

    def submit(i: int):
        point = spec.point(i)
        task = {"index": i, "seed": point.seed, "target": spec.target, "mode": spec.mode,
                "kwargs": spec.kwargs(point), "store": store}  # fmt: skip
        return client.submit(run_point, task, key=f"sweep-point-{token}-{i}", pure=False,
                             retries=spec.retries)  # fmt: skip

    futures = as_completed(loop=client.loop)
    for _ in range(min(window, len(todo))):
        futures.add(submit(todo.popleft()))
    bar = tqdm(
        total=spec.n_points, initial=len(done), desc="sweep", unit="point",
        file=sys.stderr, dynamic_ncols=True, disable=not progress,
    )  # fmt: skip
    failed = 0
    try:
        for future in futures:
            index = int(str(future.key).rsplit("-", 1)[1])
            try:
                out = future.result()
            except (asyncio.CancelledError, concurrent.futures.CancelledError) as exc:
                # the scheduler dropped the sweep's tasks (it restarted, or the
                # connection to it was lost): stop; the points written are kept
                raise SweepError(
                    f"the dask scheduler dropped the sweep's tasks ({type(exc).__name__}); "
                    f"the finished points are kept in {str(st.path)!r}: run again with "
                    "--resume"
                ) from None
            except Exception as exc:  # the worker died too often, or the task could not run
                out = {"index": index, "status": "failed",
                       "error": " ".join(f"{type(exc).__name__}: {exc}".split()),
                       "worker": "", "run_seconds": float("nan")}  # fmt: skip
            future.release()
            if todo:
                futures.add(submit(todo.popleft()))
            if out["status"] == "ok" and out.get("written"):  # the worker wrote it
                parts[index], info[index] = out["parts"], out["info"]
            elif out["status"] == "ok":  # the worker cannot see the store: written here
                tree = out["tree"]
                st.write_point_once(index, tree)
                parts[index] = extract(tree, kind)
                info[index] = point_info(tree, kind)
            else:
                failed += 1
                rec = {k: v for k, v in out.items() if k != "tree"}
                rec["point"] = spec.point(index).describe()
                rec["failed_at"] = datetime.now(UTC).isoformat(timespec="seconds")
                st.write_failure(index, rec)
                info[index] = _failure_info(rec)
                bar.set_postfix_str(f"{failed} failed")
            bar.update(1)
    except BaseException:
        with contextlib.suppress(Exception):
            futures.clear()
        raise
    finally:
        bar.close()
    return parts, info


def load(store: str | os.PathLike, *, recombine: bool = False) -> xr.DataTree:
    """The combined result of the sweep in ``store``.

    Reads ``<store>/result.zarr`` (written at the end of every run); with
    ``recombine=True``, or when there is none yet (an interrupted sweep), combines the
    points finished so far (unfinished ones are ``missing``).
    """
    import json

    from neurosparse.results import load as load_result

    st = Store(store)
    attrs = st.attrs()
    if attrs is None:
        raise SweepError(f"store {str(store)!r}: no such sweep store")
    if not recombine and st.result_path.exists():
        return load_result(st.result_path)
    spec = load_spec(json.loads(attrs["spec_source"]), store=store)
    if spec.spec_hash != attrs["spec_hash"]:
        raise SweepError(
            f"store {str(store)!r}: its spec no longer gives the same sweep here "
            "(the target or its settings changed)"
        )
    parts, info = _read_points(st, st.finished(), spec.target.kind)
    for i in st.failed():
        info[i] = _failure_info(st.read_failure(i))
    return combine(spec, parts, info)
