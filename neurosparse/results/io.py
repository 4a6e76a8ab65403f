"""Saving and loading results: netCDF (``.nc``, via h5netcdf) or zarr (``.zarr``).

No pickle anywhere: both formats hold plain arrays and attrs, so loading a file never
runs code. :func:`save` is atomic: the tree is written to a temporary path beside the
target and renamed into place only once complete, so a failure mid-write leaves the
previous file (or nothing), never half a file.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import xarray as xr

from neurosparse.results.schema import ResultFormatError, validate

__all__ = ["load", "save"]

_SUFFIXES = (".nc", ".zarr")


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise ValueError(f"path must end in '.nc' (netCDF) or '.zarr' (zarr), got {str(path)!r}")
    return suffix


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


def save(tree: xr.DataTree, path: str | os.PathLike, *, check: bool = True) -> Path:
    """Write ``tree`` to ``path`` atomically; the format follows the suffix.

    Parameters
    ----------
    tree : xarray.DataTree
        A result (validated first unless ``check=False``).
    path : str or path-like
        Ending in ``.nc`` (netCDF 4 via h5netcdf) or ``.zarr`` (a zarr directory store).
    check : bool
        Validate the tree before writing (default). Nothing is written if it fails.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    fmt = _format_of(path)
    if check:
        validate(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".ns-tmp-{uuid.uuid4().hex[:12]}-{path.name}")
    try:
        if fmt == ".nc":
            tree.to_netcdf(tmp, engine="h5netcdf")
        else:
            tree.to_zarr(tmp, mode="w", consolidated=False)
        if fmt == ".nc" or not path.exists():
            os.replace(tmp, path)
        else:
            # A directory cannot be swapped in one rename over a non-empty one: move the
            # old store aside first, then the new one in, then drop the old.
            old = path.with_name(f".ns-old-{uuid.uuid4().hex[:12]}-{path.name}")
            os.replace(path, old)
            try:
                os.replace(tmp, path)
            except BaseException:
                os.replace(old, path)
                raise
            _remove(old)
    except BaseException:
        _remove(tmp)
        raise
    return path


def load(path: str | os.PathLike, *, check: bool = True) -> xr.DataTree:
    """Read a result written by :func:`save` fully into memory.

    Parameters
    ----------
    path : str or path-like
        A ``.nc`` file or ``.zarr`` store.
    check : bool
        Run :func:`validate` on the tree (default). With ``check=False`` only the
        neurosparse root attrs are required, so a damaged-but-ours file can be inspected.

    Raises
    ------
    ResultFormatError
        If the path is missing, truncated, not a netCDF/zarr file, not written by
        neurosparse, or (with ``check``) breaks the format; the message names the path.
    """
    path = Path(path)
    try:
        fmt = _format_of(path)
    except ValueError as exc:
        raise ResultFormatError(f"{path}: {exc}") from None
    if not path.exists():
        raise ResultFormatError(f"{path}: no such file")
    if fmt == ".nc" and path.is_dir():
        raise ResultFormatError(f"{path}: is a directory, expected a netCDF file")
    try:
        if fmt == ".nc":
            with xr.open_datatree(path, engine="h5netcdf") as opened:
                tree = opened.load().copy(deep=True)
        else:
            with xr.open_datatree(path, engine="zarr", consolidated=False) as opened:
                tree = opened.load().copy(deep=True)
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ResultFormatError(
            f"{path}: cannot be read as a {'netCDF' if fmt == '.nc' else 'zarr'} result "
            f"(truncated or not a {fmt} file?): {reason}"
        ) from None
    if "neurosparse_version" not in tree.attrs:
        raise ResultFormatError(f"{path}: not a neurosparse result (no 'neurosparse_version')")
    if check:
        try:
            validate(tree)
        except ResultFormatError as exc:
            raise ResultFormatError(f"{path}: {exc}") from None
    return tree
