"""The sweep store: one zarr directory that finished points are written into, one by one.

Layout (``LAYOUT = 1``)::

    sweep.zarr/
      zarr.json                 root group; attrs: neurosparse_sweep (layout), spec
                                (canonical JSON), spec_hash, target, n_points, dims,
                                shape, created_at, neurosparse_version
      points/<index>.zarr/      one finished point: its whole result, written by
                                neurosparse.results.save (validated, a CRC-32 per
                                variable, renamed into place only once complete) with
                                the point's provenance in its root attrs
      failed/<index>.zarr/      a point that raised: a group whose attrs hold the error
      result.zarr/              the combined result, rewritten at the end of every run

A point is finished when ``points/<index>.zarr`` exists: the rename that puts it there is
the commit, so a crash (a killed worker or client, Ctrl-C) leaves finished points intact
and never a partial one (only ``.ns-*`` leftovers, removed on resume), and a second
attempt at a finished point (a task retried after its worker died) finds it there and
writes nothing. A worker that sees the store (the same machine, or a shared disk: it
checks the root's ``store_id``) writes its points itself, in parallel with the others;
otherwise it hands the result back and the client writes it. One sweep at a time per
store: there is no lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from neurosparse.sweep.spec import Spec, SweepError

__all__ = ["LAYOUT", "Store"]

#: Version of the store layout, in the root attr ``neurosparse_sweep``.
LAYOUT = 1

_POINT_RE = re.compile(r"^(\d+)\.zarr$")


@contextlib.contextmanager
def _zarr_quiet():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Consolidated metadata")
        warnings.filterwarnings("ignore", message=".*does not have a Zarr V3 specification")
        yield


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


class Store:
    """A sweep's zarr store at ``path`` (see the module docstring for its layout)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    @property
    def points_dir(self) -> Path:
        return self.path / "points"

    @property
    def failed_dir(self) -> Path:
        return self.path / "failed"

    @property
    def result_path(self) -> Path:
        return self.path / "result.zarr"

    def point_path(self, index: int) -> Path:
        return self.points_dir / f"{index:07d}.zarr"

    def failed_path(self, index: int) -> Path:
        return self.failed_dir / f"{index:07d}.zarr"

    # ---------------------------------------------------------------- identity

    def attrs(self) -> dict[str, Any] | None:
        """The store's root attrs, or None when there is nothing at ``path``.

        Raises
        ------
        SweepError
            If ``path`` exists but is not a sweep store.
        """
        if not self.path.exists():
            return None
        not_ours = SweepError(
            f"store {str(self.path)!r} exists and is not a neurosparse sweep store; "
            "choose another path"
        )
        if not self.path.is_dir():
            raise not_ours
        import zarr

        try:
            with _zarr_quiet():
                attrs = dict(zarr.open_group(str(self.path), mode="r").attrs)
        except Exception:
            raise not_ours from None
        if "neurosparse_sweep" not in attrs or "spec_hash" not in attrs:
            raise not_ours
        return attrs

    def check(self, spec: Spec, *, resume: bool) -> dict[str, Any] | None:
        """Whether ``spec`` may write here: the attrs of an existing store of the same
        sweep when ``resume``, None for a new store; otherwise :class:`SweepError`."""
        attrs = self.attrs()
        if attrs is None:
            return None
        if attrs["neurosparse_sweep"] != LAYOUT:
            raise SweepError(
                f"store {str(self.path)!r} has layout {attrs['neurosparse_sweep']}, this "
                f"neurosparse writes layout {LAYOUT}; choose another store"
            )
        if attrs["spec_hash"] != spec.spec_hash:
            raise SweepError(
                f"store {str(self.path)!r} holds another sweep (target "
                f"{attrs.get('target', '?')}, spec {attrs['spec_hash'][:12]}; this spec is "
                f"{spec.spec_hash[:12]}); choose another store or remove it"
            )
        if not resume:
            done = len(self.finished())
            raise SweepError(
                f"store {str(self.path)!r} already holds this sweep ({done} of "
                f"{spec.n_points} points finished); pass --resume to continue it, or remove it"
            )
        return attrs

    def create(self, spec: Spec) -> None:
        """Make the empty store, atomically: it appears with its attrs or not at all."""
        import zarr

        from neurosparse._version import __version__

        attrs = {
            "neurosparse_sweep": LAYOUT,
            "neurosparse_version": __version__,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "spec": spec.canonical_json(),
            "spec_hash": spec.spec_hash,
            "target": spec.target.name,
            "n_points": spec.n_points,
            "dims": list(spec.dims),
            "shape": list(spec.shape),
            "origin": spec.origin,
            "spec_source": json.dumps(spec.raw, default=str, sort_keys=True),
            "store_id": uuid.uuid4().hex,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SweepError(
                f"cannot make the store {str(self.path)!r}: {exc.strerror or exc}"
            ) from None
        tmp = self.path.with_name(f".ns-tmp-{uuid.uuid4().hex[:12]}-{self.path.name}")
        try:
            with _zarr_quiet():
                root = zarr.open_group(str(tmp), mode="w")
                root.attrs.update(attrs)
                root.create_group("points")
                root.create_group("failed")
            os.rename(tmp, self.path)
        except OSError as exc:
            _remove(tmp)
            raise SweepError(
                f"cannot make the store {str(self.path)!r}: {exc.strerror or exc}"
            ) from None
        except BaseException:
            _remove(tmp)
            raise

    def clean(self) -> None:
        """Remove leftovers of interrupted writes (never a finished point)."""
        for folder in (self.path, self.points_dir, self.failed_dir):
            if folder.is_dir():
                for p in folder.glob(".ns-*"):
                    _remove(p)

    # ------------------------------------------------------------------ points

    def _indices(self, folder: Path) -> set[int]:
        if not folder.is_dir():
            return set()
        out = set()
        for entry in os.scandir(folder):
            m = _POINT_RE.match(entry.name)
            if m:
                out.add(int(m.group(1)))
        return out

    def finished(self) -> set[int]:
        """Indices of the finished points."""
        return self._indices(self.points_dir)

    def failed(self) -> set[int]:
        """Indices of the points that raised (and have not finished since)."""
        return self._indices(self.failed_dir) - self.finished()

    def write_point_once(self, index: int, tree) -> bool:
        """Write a finished point unless it is there already; drop its failure record.

        The point is written under a temporary name (by :func:`neurosparse.results.save`:
        CRCs, atomic) and renamed into place; the rename fails if another attempt at the
        same point (a worker that died after writing it, a retried task) got there first,
        and the copy is dropped: a point is never written twice, never half. Returns
        whether this call wrote it. The tree was validated on the worker.
        """
        from neurosparse.results import save

        path = self.point_path(index)
        if path.exists():
            return False
        part = path.with_name(f".ns-part-{uuid.uuid4().hex[:12]}-{path.name}")
        try:
            with _zarr_quiet():
                save(tree, part, check=False)
            try:
                os.rename(part, path)
            except OSError:
                if not path.exists():
                    raise
                return False
        finally:
            _remove(part)
        _remove(self.failed_path(index))
        return True

    def read_point(self, index: int):
        """A finished point's result (its CRCs checked)."""
        from neurosparse.results import ResultFormatError, load

        try:
            return load(self.point_path(index))
        except ResultFormatError as exc:
            raise SweepError(
                f"point {index} in the store is damaged ({exc}); remove "
                f"{self.point_path(index)} and run again with --resume"
            ) from None

    def write_failure(self, index: int, record: dict[str, Any]) -> None:
        """Record a point that raised: a group whose attrs hold ``record``."""
        import zarr

        path = self.failed_path(index)
        tmp = path.with_name(f".ns-tmp-{uuid.uuid4().hex[:12]}-{path.name}")
        clean = json.loads(json.dumps(record, default=str))
        with _zarr_quiet():
            zarr.open_group(str(tmp), mode="w").attrs.update(clean)
        if path.exists():
            _remove(path)
        os.rename(tmp, path)

    def read_failure(self, index: int) -> dict[str, Any]:
        import zarr

        with _zarr_quiet():
            return dict(zarr.open_group(str(self.failed_path(index)), mode="r").attrs)

    def write_result(self, tree) -> Path:
        """Write (or replace, atomically) the combined result."""
        from neurosparse.results import save

        with _zarr_quiet():
            return save(tree, self.result_path)
