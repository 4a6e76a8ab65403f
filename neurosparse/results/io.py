"""Saving and loading results: netCDF (``.nc``, via h5netcdf) or zarr (``.zarr``).

No pickle anywhere: both formats hold plain arrays and attrs, so loading a file never
runs code. :func:`save` is atomic: the tree is written to a temporary path beside the
target and renamed into place only once complete, so a failure mid-write leaves the
previous file (or nothing), never half a file.

Integrity: :func:`save` stores a CRC-32 of every variable's values in the file's root
attr ``neurosparse_checksums`` (a JSON object ``{"/node/variable": crc}``), and
:func:`load` checks each variable against it, so a file that lost data (a deleted zarr
chunk reads back as fill values, a damaged block as other numbers) fails to load with
an error naming the variable instead of returning wrong numbers. The attr lives in the
file only: the tree given to :func:`save` and the tree :func:`load` returns do not
carry it. zarr stores are written with consolidated metadata, so plain
``xarray.open_datatree(path, engine="zarr")`` reads them without a warning.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import sys
import uuid
import warnings
import zlib
from pathlib import Path

import numpy as np
import xarray as xr

from neurosparse.results.schema import ResultFormatError, validate

__all__ = ["load", "save"]

_SUFFIXES = (".nc", ".zarr")
_CHECKSUMS = "neurosparse_checksums"


def _crc(values: np.ndarray) -> int:
    """CRC-32 of an array's values (strings and objects by their text)."""
    arr = np.asarray(values)
    if arr.dtype.kind == "O":
        data = "\x00".join(map(str, arr.ravel().tolist())).encode("utf-8", "surrogatepass")
    elif arr.dtype.kind == "U":
        data = "\x00".join(arr.ravel().tolist()).encode("utf-8", "surrogatepass")
    else:
        data = np.ascontiguousarray(arr).tobytes()
    return zlib.crc32(data) ^ zlib.crc32(repr(arr.shape).encode())


def _checksums(tree: xr.DataTree) -> dict[str, int]:
    out = {}
    for node in tree.subtree:
        base = node.path.rstrip("/")
        for name, var in node.dataset.variables.items():
            out[f"{base}/{name}"] = _crc(var.values)
    return out


def _verify(tree: xr.DataTree, path: Path) -> None:
    """Check every variable against the checksums stored by :func:`save`; drop the attr."""
    text = tree.attrs.pop(_CHECKSUMS, None)
    if text is None:  # written before checksums existed: nothing to compare with
        return
    try:
        stored = json.loads(text)
    except (TypeError, json.JSONDecodeError):
        raise ResultFormatError(f"{path}: attr {_CHECKSUMS!r} is damaged") from None
    found = _checksums(tree)
    for where, crc in stored.items():
        if where not in found:
            raise ResultFormatError(f"{path}: variable {where} is missing from the file")
        if found[where] != crc:
            raise ResultFormatError(
                f"{path}: variable {where} does not read back as it was written "
                "(lost or damaged data)"
            )


@contextlib.contextmanager
def _quiet_backend():
    """Keep a backend's noise away from the user while a file is opened: warnings, and
    the 'Exception ignored in __del__' that h5netcdf prints for a file it failed to
    open (collected here, before the hook is restored)."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        gc.collect()
        sys.unraisablehook = hook


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

    Raises
    ------
    ResultFormatError
        If ``check`` and the tree breaks the format (nothing is written).
    OSError
        If the file cannot be written there; one line naming the path and the reason.
    """
    path = Path(path)
    fmt = _format_of(path)
    if check:
        validate(tree)
    out = tree.copy(deep=False)
    out.attrs = {**tree.attrs, _CHECKSUMS: json.dumps(_checksums(tree), sort_keys=True)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(
            f"cannot write a result to {str(path)!r}: {exc.strerror or exc} "
            f"(its folder {str(path.parent)!r} cannot be made)"
        ) from None
    if path.is_dir() and fmt == ".nc":
        raise OSError(f"cannot write a result to {str(path)!r}: it is a folder")
    tmp = path.with_name(f".ns-tmp-{uuid.uuid4().hex[:12]}-{path.name}")
    try:
        if fmt == ".nc":
            out.to_netcdf(tmp, engine="h5netcdf")
        else:
            with warnings.catch_warnings():
                # zarr 3 says consolidated metadata is not in its spec yet; xarray and
                # zarr read it, and it spares every reader a warning and a listing
                warnings.filterwarnings("ignore", message="Consolidated metadata")
                out.to_zarr(tmp, mode="w", consolidated=True)
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
    except OSError as exc:
        _remove(tmp)
        raise OSError(f"cannot write a result to {str(path)!r}: {exc.strerror or exc}") from None
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
        neurosparse, lost data (a variable that does not read back as written: see
        the module docstring), or (with ``check``) breaks the format; the message names
        the path (and the variable).
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
        with _quiet_backend():
            if fmt == ".nc":
                with xr.open_datatree(path, engine="h5netcdf") as opened:
                    tree = opened.load().copy(deep=True)
            else:
                # consolidated metadata where present (older stores have none)
                with xr.open_datatree(path, engine="zarr", consolidated=None) as opened:
                    tree = opened.load().copy(deep=True)
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ResultFormatError(
            f"{path}: cannot be read as a {'netCDF' if fmt == '.nc' else 'zarr'} result "
            f"(truncated or not a {fmt} file?): {reason}"
        ) from None
    if "neurosparse_version" not in tree.attrs:
        raise ResultFormatError(f"{path}: not a neurosparse result (no 'neurosparse_version')")
    _verify(tree, path)
    if check:
        try:
            validate(tree)
        except ResultFormatError as exc:
            raise ResultFormatError(f"{path}: {exc}") from None
    return tree
