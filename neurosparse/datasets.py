"""Data loaders: the small data sets shipped in ``data/`` and readers for the full ones.

Shipped (``data/README.md`` has provenance, licences and checksums):

- :func:`load_mnist_subset` -- 5,000 MNIST digits, 500 per class.
- :func:`load_natural_images` -- 8 grayscale natural photographs.

Full data sets cannot be downloaded at run time; these readers take a path the user
gives and read the original format:

- :func:`read_idx` -- MNIST / Fashion-MNIST IDX files, gzipped or not.

Every loader raises :class:`DataError` (a ``ValueError``) naming the file when it is
missing, truncated or fails its checksum.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

__all__ = [
    "CHECKSUMS",
    "DataError",
    "data_dir",
    "load_mnist_subset",
    "load_natural_images",
    "read_idx",
]

_PACKAGE_DIR = Path(__file__).resolve().parent

#: sha256 of each shipped file (also in ``data/README.md``).
CHECKSUMS = {
    "mnist_5k.csv.gz": "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d",
    "natural_images.npz": "ca147e72cf4563da6752d06f827759675e0a903b5eef29789a9a2d7d354dcfc1",
}


class DataError(ValueError):
    """A data file is missing, truncated, corrupt or of the wrong format."""


def data_dir() -> Path:
    """Where shipped data is read: ``$NEUROSPARSE_DATA``, the checkout's ``data/``, or
    the copy bundled into an installed wheel."""
    env = os.environ.get("NEUROSPARSE_DATA")
    if env:
        return Path(env)
    for candidate in (_PACKAGE_DIR.parent / "data", _PACKAGE_DIR / "_bundled" / "data"):
        if candidate.is_dir():
            return candidate
    return _PACKAGE_DIR.parent / "data"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _shipped(name: str, path: str | os.PathLike | None, verify: bool) -> Path:
    path = Path(path) if path is not None else data_dir() / name
    if not path.is_file():
        raise DataError(f"{path}: data file not found (expected the shipped {name})")
    if verify:
        digest = _sha256(path)
        if digest != CHECKSUMS[name]:
            raise DataError(
                f"{path}: checksum mismatch (sha256 {digest[:16]}..., expected "
                f"{CHECKSUMS[name][:16]}...): the file is corrupt or not the shipped {name}"
            )
    return path


def load_mnist_subset(
    path: str | os.PathLike | None = None, *, verify: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The shipped 5,000-digit MNIST subset (500 per class, sorted by label).

    Parameters
    ----------
    path : path-like, optional
        Defaults to ``data/mnist_5k.csv.gz``.
    verify : bool
        Check the file's sha256 against :data:`CHECKSUMS` (default).

    Returns
    -------
    images : ndarray of uint8, shape (5000, 28, 28)
    labels : ndarray of int64, shape (5000,)
    """
    path = _shipped("mnist_5k.csv.gz", path, verify)
    try:
        with gzip.open(path, "rt") as fh:
            table = np.loadtxt(fh, delimiter=",", dtype=np.int64)
    except (OSError, EOFError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read as gzipped CSV: {exc}") from None
    if table.ndim != 2 or table.shape[1] != 785:
        raise DataError(f"{path}: expected 785 columns (784 pixels + label), got {table.shape}")
    images = table[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    return images, table[:, 784].copy()


def load_natural_images(
    path: str | os.PathLike | None = None, *, verify: bool = True
) -> dict[str, np.ndarray]:
    """The shipped grayscale natural photographs, name -> uint8 array (H, W).

    Eight images from scikit-image's sample data (astronaut, camera, chelsea, coffee,
    grass, gravel, brick, rocket); see ``data/README.md`` for their licences.
    """
    path = _shipped("natural_images.npz", path, verify)
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"{path}: cannot be read as .npz: {exc}") from None


_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the format of MNIST and Fashion-MNIST), gzipped or not.

    The header is two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16,
    0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions, then one
    big-endian uint32 size per dimension; the data follow in C order.

    Returns
    -------
    ndarray
        In native byte order, e.g. ``(60000, 28, 28)`` uint8 for
        ``train-images-idx3-ubyte.gz``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: IDX file not found")
    with open(path, "rb") as fh:
        magic = fh.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot be decompressed: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number {raw[:4].hex()})")
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(
            f"{path}: IDX data is {len(raw) - header} bytes, expected {expected} for "
            f"shape {shape} ({'truncated' if len(raw) - header < expected else 'extra bytes'})"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


# --- natural-image readers (van Hateren .imc, Olshausen's IMAGES.mat) ---------------------

#: Height and width of a van Hateren image (``.imc`` / ``.iml`` files).
VAN_HATEREN_SHAPE = (1024, 1536)


def read_van_hateren_imc(
    path: str | os.PathLike, *, shape: tuple[int, int] = VAN_HATEREN_SHAPE
) -> np.ndarray:
    """Read one van Hateren & van der Schaaf (1998) natural image (``imkNNNNN.imc``).

    The file is raw pixel data without header: ``1536 x 1024`` (width x height)
    big-endian unsigned 16-bit integers in row-major order (``3,145,728`` bytes). The
    ``.iml`` files of the same database have the same layout.

    Parameters
    ----------
    path : path-like
    shape : (int, int)
        (height, width); the database's is ``(1024, 1536)``.

    Returns
    -------
    ndarray of uint16, shape ``shape`` (native byte order)

    Raises
    ------
    DataError
        If the file is missing or its size is not ``2 * height * width`` bytes.
    """
    path = Path(path)
    height, width = (int(s) for s in shape)
    if height <= 0 or width <= 0:
        raise ValueError(f"shape must be two positive integers, got {shape!r}")
    if not path.is_file():
        raise DataError(f"{path}: van Hateren .imc file not found")
    expected = 2 * height * width
    size = path.stat().st_size
    if size != expected:
        raise DataError(
            f"{path}: a van Hateren .imc image of {width}x{height} 16-bit pixels is "
            f"{expected} bytes, this file has {size} "
            f"({'truncated' if size < expected else 'extra bytes: not an .imc image?'})"
        )
    raw = np.fromfile(path, dtype=">u2", count=height * width)
    return raw.reshape(height, width).astype(np.uint16)


def read_olshausen_images(path: str | os.PathLike, *, variable: str = "IMAGES") -> np.ndarray:
    """Read Olshausen's whitened natural images (``IMAGES.mat``, Olshausen & Field 1996).

    The MATLAB file holds ``IMAGES``, a ``512 x 512 x 10`` array (height, width,
    image). MATLAB v4/v5/v7 files are read with :func:`scipy.io.loadmat`; v7.3 files
    (HDF5) with h5py.

    Returns
    -------
    ndarray of float64, shape (n_images, height, width)
        Image index first (the MATLAB array's last axis moved to the front), like the
        stacks :func:`neurosparse.coding.whiten_images` accepts.

    Raises
    ------
    DataError
        If the file is missing, unreadable as a MATLAB file, or has no 3-D (or 2-D)
        numeric variable ``variable``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: MATLAB file not found (expected Olshausen's IMAGES.mat)")
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head[:8] == b"\x89HDF\r\n\x1a\n" or head[:128].startswith(b"MATLAB 7.3"):
        data = _read_mat73(path, variable)
    else:
        import scipy.io

        try:
            contents = scipy.io.loadmat(path, variable_names=[variable])
        except NotImplementedError:  # v7.3 that the sniffing above missed
            data = _read_mat73(path, variable)
        except Exception as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DataError(f"{path}: cannot be read as a MATLAB file: {reason}") from None
        else:
            if variable not in contents:
                raise DataError(f"{path}: no variable {variable!r} in this MATLAB file")
            data = np.asarray(contents[variable])
    if data.dtype.kind not in "biuf" or data.ndim not in (2, 3):
        raise DataError(
            f"{path}: {variable!r} must be a numeric (height, width[, n_images]) array, "
            f"got dtype {data.dtype} shape {data.shape}"
        )
    if data.ndim == 2:
        data = data[:, :, None]
    return np.ascontiguousarray(np.moveaxis(data.astype(np.float64), -1, 0))


def _read_mat73(path: Path, variable: str) -> np.ndarray:
    import h5py

    try:
        with h5py.File(path, "r") as fh:
            if variable not in fh:
                raise DataError(f"{path}: no variable {variable!r} in this MATLAB v7.3 file")
            # HDF5 stores MATLAB arrays transposed (column-major): reverse the axes
            return np.asarray(fh[variable][()]).transpose()
    except DataError:
        raise
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: cannot be read as a MATLAB v7.3 (HDF5) file: {reason}") from None


__all__ += ["VAN_HATEREN_SHAPE", "read_olshausen_images", "read_van_hateren_imc"]
