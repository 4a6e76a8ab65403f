"""Data loaders: the small data sets shipped in ``data/`` and readers for the full ones.

Shipped (``data/README.md`` has provenance, licences and checksums):

- :func:`load_mnist_subset` -- 5,000 MNIST digits, 500 per class.
- :func:`load_natural_images` -- 8 grayscale natural photographs.

Full data sets cannot be downloaded at run time; these readers take a path the user
gives and read the original format:

- :func:`read_idx` -- MNIST / Fashion-MNIST IDX files, gzipped or not.
- :func:`load_mnist`, :func:`load_fashion_mnist` -- a split of the four standard IDX files.
- :func:`read_cifar10_binary`, :func:`load_cifar10` -- CIFAR-10's binary version (never
  the pickled Python version).
- :func:`read_van_hateren_imc`, :func:`read_olshausen_images` -- natural images.
- :func:`read_frame_folders` -- video frames laid out ``class/sequence/frame files``
  (UCF101, Weizmann after frame extraction), as :class:`FrameSequences`.

Generated offline: :func:`moving_digits` -- moving-MNIST-style sequences (8 compass
directions and 2 rotations, :data:`MOTIONS`) from the shipped subset, as
:class:`MovingDigits`.

Shipped with a dependency: :func:`load_digits` -- scikit-learn's 8 x 8 digits.

Every loader raises :class:`DataError` (a ``ValueError``) naming the file when it is
missing, truncated or fails its checksum.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neurosparse._validation import (
    check_array,
    check_bool,
    check_choice,
    check_int,
    check_real,
    resolve_rng,
)

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


# --- full MNIST / Fashion-MNIST (IDX), CIFAR-10 (binary version), scikit-learn's digits ---

#: The ten CIFAR-10 classes, in label order (``batches.meta.txt``).
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

_CIFAR_SIDE = 32
_CIFAR_RECORD = 1 + 3 * _CIFAR_SIDE * _CIFAR_SIDE  # label byte + red, green, blue planes
_CIFAR_BATCHES = {
    "train": tuple(f"data_batch_{i}.bin" for i in range(1, 6)),
    "test": ("test_batch.bin",),
}
_CIFAR_SUBDIR = "cifar-10-batches-bin"
_CIFAR_EXPECTED = (
    "data_batch_1.bin ... data_batch_5.bin and test_batch.bin of the CIFAR-10 binary "
    "version (cifar-10-binary.tar.gz, extracted)"
)

_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _read_cifar_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if path.name.endswith((".tar.gz", ".tgz", ".tar")):
        raise DataError(
            f"{path}: a CIFAR-10 archive; extract it first (tar xzf {path.name}) and give "
            f"the {_CIFAR_SUBDIR}/ directory or one of its .bin files"
        )
    size = path.stat().st_size
    if size == 0 or size % _CIFAR_RECORD:
        raise DataError(
            f"{path}: {size} bytes is not a whole number of CIFAR-10 binary records "
            f"({_CIFAR_RECORD} bytes each: 1 label byte + 3072 pixel bytes); expected a "
            f"batch file of the binary version (not the Python pickles)"
        )
    records = np.fromfile(path, dtype=np.uint8).reshape(-1, _CIFAR_RECORD)
    labels = records[:, 0].astype(np.int64)
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        raise DataError(
            f"{path}: {bad.size} record(s) have a label outside 0..9 (first: record "
            f"{int(bad[0])}, label {int(labels[bad[0]])}); not a CIFAR-10 batch file "
            f"(CIFAR-100's binary files have 2 label bytes per record)"
        )
    planes = records[:, 1:].reshape(-1, 3, _CIFAR_SIDE, _CIFAR_SIDE)  # (N, channel, row, col)
    images = np.ascontiguousarray(planes.transpose(0, 2, 3, 1))
    return images, labels


def _cifar_dir(path: Path) -> Path:
    """The directory holding the batch files: ``path`` or ``path/cifar-10-batches-bin``."""
    every = _CIFAR_BATCHES["train"] + _CIFAR_BATCHES["test"]
    for candidate in (path, path / _CIFAR_SUBDIR):
        if candidate.is_dir() and any((candidate / name).is_file() for name in every):
            return candidate
    if (path / "cifar-10-batches-py").is_dir() or (path / "data_batch_1").is_file():
        raise DataError(
            f"{path}: this is the Python (pickled) version of CIFAR-10, which is not read "
            f"(unpickling runs code); give the binary version instead: {_CIFAR_EXPECTED}"
        )
    raise DataError(
        f"{path}: no CIFAR-10 batch files here or in {_CIFAR_SUBDIR}/; expected {_CIFAR_EXPECTED}"
    )


def _read_cifar_batches(folder: Path, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise DataError(
            f"{folder}: missing CIFAR-10 batch file(s) {', '.join(missing)} "
            f"(expected {', '.join(names)})"
        )
    parts = [_read_cifar_file(folder / name) for name in names]
    return (
        np.concatenate([images for images, _ in parts]),
        np.concatenate([labels for _, labels in parts]),
    )


def read_cifar10_binary(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read CIFAR-10 in its binary version (``cifar-10-binary.tar.gz``, extracted).

    Each batch file is a sequence of 3,073-byte records: one label byte (0..9), then
    the 32 x 32 red plane, the green plane and the blue plane, each row-major. The
    Python (pickled) version of the data set is deliberately not read.

    Parameters
    ----------
    path : path-like
        One batch file (``data_batch_1.bin`` ... ``data_batch_5.bin``,
        ``test_batch.bin``), or the extracted ``cifar-10-batches-bin/`` directory (or
        the directory that holds it); a directory is read whole, all six batch files
        required, the five training batches first, then the test batch.

    Returns
    -------
    images : ndarray of uint8, shape (N, 32, 32, 3)
        (image, row, column, channel), channels red, green, blue.
    labels : ndarray of int64, shape (N,)
        Class indices into :data:`CIFAR10_CLASSES`.

    Raises
    ------
    DataError
        If the path does not exist, a file's size is not a multiple of 3,073 bytes, a
        label is outside 0..9, or a directory lacks any of the six batch files.

    See Also
    --------
    load_cifar10 : one split (train or test) of the directory.
    """
    path = Path(path)
    if path.is_file():
        return _read_cifar_file(path)
    if not path.exists():
        raise DataError(
            f"{path}: not found (expected a CIFAR-10 .bin batch file or the {_CIFAR_SUBDIR}/ "
            f"directory)"
        )
    folder = _cifar_dir(path)
    return _read_cifar_batches(folder, _CIFAR_BATCHES["train"] + _CIFAR_BATCHES["test"])


def load_cifar10(path: str | os.PathLike, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """One split of CIFAR-10 (binary version) from the user's extracted copy.

    Parameters
    ----------
    path : path-like
        The ``cifar-10-batches-bin/`` directory, or the directory that holds it.
    split : {"train", "test"}
        ``"train"``: the five ``data_batch_<i>.bin`` in order (50,000 images);
        ``"test"``: ``test_batch.bin`` (10,000 images).

    Returns
    -------
    images : ndarray of uint8, shape (N, 32, 32, 3)
        Channels red, green, blue.
    labels : ndarray of int64, shape (N,)
        Class indices into :data:`CIFAR10_CLASSES`.

    Raises
    ------
    DataError
        If the directory is missing, holds none of the batch files, lacks one of the
        split's, or a file is not a CIFAR-10 binary batch (see :func:`read_cifar10_binary`).
    ValueError
        If ``split`` is neither ``"train"`` nor ``"test"``.
    """
    split = check_choice("split", split, ("train", "test"))
    path = Path(path)
    if not path.is_dir():
        what = (
            "a file, not a directory (read one batch file with read_cifar10_binary)"
            if path.is_file()
            else "directory not found"
        )
        raise DataError(
            f"{path}: {what}; expected the {_CIFAR_SUBDIR}/ directory (or its parent) "
            f"holding {_CIFAR_EXPECTED}"
        )
    return _read_cifar_batches(_cifar_dir(path), _CIFAR_BATCHES[split])


def _find_idx(folder: Path, stem: str) -> Path:
    # the standard names, gzipped or not; some mirrors write "train-images.idx3-ubyte"
    dotted = stem.replace("-idx", ".idx", 1)
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder}: missing {stem} (or {stem}.gz), an IDX file of the data set")


def _load_idx_split(
    path: str | os.PathLike, split: str, dataset: str
) -> tuple[np.ndarray, np.ndarray]:
    split = check_choice("split", split, ("train", "test"))
    folder = Path(path)
    if not folder.is_dir():
        what = "a file, not a directory" if folder.is_file() else "directory not found"
        raise DataError(
            f"{folder}: {what}; expected the directory holding the four {dataset} IDX files "
            f"(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
            f"t10k-labels-idx1-ubyte, each optionally .gz)"
        )
    images_stem, labels_stem = _IDX_FILES[split]
    images_path = _find_idx(folder, images_stem)
    labels_path = _find_idx(folder, labels_stem)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(
            f"{images_path}: expected {dataset} images, uint8 of shape (N, 28, 28), got "
            f"{images.dtype} {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataError(
            f"{labels_path}: expected {dataset} labels, uint8 of shape (N,), got "
            f"{labels.dtype} {labels.shape}"
        )
    if labels.shape[0] != images.shape[0]:
        raise DataError(
            f"{labels_path}: {labels.shape[0]} labels for {images.shape[0]} images in "
            f"{images_path.name}; the files do not belong together"
        )
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        raise DataError(
            f"{labels_path}: {bad.size} label(s) outside 0..9 (first: item {int(bad[0])}, "
            f"label {int(labels[bad[0]])})"
        )
    return images, labels.astype(np.int64)


def load_fashion_mnist(
    path: str | os.PathLike, split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """One split of Fashion-MNIST from the user's copy of its four IDX files.

    Parameters
    ----------
    path : path-like
        The directory holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each gzipped
        (``.gz``, as distributed) or not.
    split : {"train", "test"}
        ``"train"`` (60,000 images) or ``"test"`` (the ``t10k`` files, 10,000).

    Returns
    -------
    images : ndarray of uint8, shape (N, 28, 28)
    labels : ndarray of int64, shape (N,)
        0..9 (T-shirt/top, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag,
        ankle boot).

    Raises
    ------
    DataError
        If the directory or a file is missing, a file is not IDX (see :func:`read_idx`),
        the images are not uint8 (N, 28, 28), the labels not uint8 (N,) with the same N,
        or a label is outside 0..9.
    ValueError
        If ``split`` is neither ``"train"`` nor ``"test"``.
    """
    return _load_idx_split(path, split, "Fashion-MNIST")


def load_mnist(path: str | os.PathLike, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """One split of the full MNIST from the user's copy of its four IDX files.

    The same files, names and checks as :func:`load_fashion_mnist`; for the shipped
    5,000-digit subset see :func:`load_mnist_subset`.

    Parameters
    ----------
    path : path-like
        The directory holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each optionally
        ``.gz``).
    split : {"train", "test"}
        ``"train"`` (60,000 digits) or ``"test"`` (10,000).

    Returns
    -------
    images : ndarray of uint8, shape (N, 28, 28)
    labels : ndarray of int64, shape (N,)

    Raises
    ------
    DataError
        As :func:`load_fashion_mnist`.
    ValueError
        If ``split`` is neither ``"train"`` nor ``"test"``.
    """
    return _load_idx_split(path, split, "MNIST")


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8 x 8 handwritten digits (1,797 images), scaled to [0, 1].

    The data ship inside scikit-learn (:func:`sklearn.datasets.load_digits`): nothing
    is downloaded. The pixel counts 0..16 are divided by 16.

    Returns
    -------
    images : ndarray of float64, shape (1797, 8, 8)
        In [0, 1].
    labels : ndarray of int64, shape (1797,)
        0..9.

    Raises
    ------
    ModuleNotFoundError
        If scikit-learn is not installed.
    """
    try:
        from sklearn.datasets import load_digits as _sklearn_load_digits
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            "load_digits needs scikit-learn, which ships the 8x8 digits: pip install scikit-learn"
        ) from exc
    bunch = _sklearn_load_digits()
    images = np.asarray(bunch.images, dtype=np.float64) / 16.0
    return images, np.asarray(bunch.target, dtype=np.int64)


__all__ += [
    "CIFAR10_CLASSES",
    "load_cifar10",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "read_cifar10_binary",
]


# --- generated sequences: moving digits (temporal sparsity, Sparsey) ----------------------

#: The motion classes of :func:`moving_digits`, in label order: the eight compass
#: directions (counter-clockwise from east), then the two rotations about the canvas
#: centre. North is up: the row index decreases.
MOTIONS = (
    "east",
    "north-east",
    "north",
    "north-west",
    "west",
    "south-west",
    "south",
    "south-east",
    "clockwise",
    "counter-clockwise",
)

# (row step, column step) of each compass motion, per unit of speed
_COMPASS_STEPS = {
    "east": (0, 1),
    "north-east": (-1, 1),
    "north": (-1, 0),
    "north-west": (-1, -1),
    "west": (0, -1),
    "south-west": (1, -1),
    "south": (1, 0),
    "south-east": (1, 1),
}
# sense of the rotations as seen on screen (north up): +1 counter-clockwise
_ROTATIONS = {"clockwise": -1, "counter-clockwise": 1}


@dataclass(frozen=True, eq=False)
class MovingDigits:
    """Sequences of one moving digit each, made by :func:`moving_digits`.

    Attributes
    ----------
    frames : ndarray of float32, shape (n_sequences, n_frames, canvas, canvas)
        (sequence, frame, row, column), values in [0, 1] on a black (0) background; row
        0 is the top (north), column 0 the left (west).
    digit : ndarray of int64, shape (n_sequences,)
        The label of the digit each sequence moves.
    motion : ndarray of int64, shape (n_sequences,)
        The motion class of each sequence, an index into ``motions``.
    motions : tuple of str
        The names of the motion classes, :data:`MOTIONS`.
    source_index : ndarray of int64, shape (n_sequences,)
        The source image each sequence moves: an index into the ``images`` given, or
        into the images of :func:`load_mnist_subset`.
    """

    frames: np.ndarray
    digit: np.ndarray
    motion: np.ndarray
    motions: tuple[str, ...]
    source_index: np.ndarray

    def __len__(self) -> int:
        return int(self.frames.shape[0])


@functools.lru_cache(maxsize=2)
def _mnist_subset_cached(path: str) -> tuple[np.ndarray, np.ndarray]:
    # read once per process (checksum, gunzip, CSV parse); read-only, so never changed
    images, labels = load_mnist_subset(path)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def _motion_names(motion: object) -> tuple[str, ...]:
    """The motion names asked for, in :data:`MOTIONS` order, without repeats."""
    if isinstance(motion, str):
        if motion == "all":
            return MOTIONS
        names: tuple = (motion,)
    else:
        try:
            names = tuple(motion)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(
                f"motion must be 'all', a motion name or a sequence of motion names, got {motion!r}"
            ) from None
    if not names:
        raise ValueError("motion is empty: give 'all' or at least one motion name")
    bad_type = [name for name in names if not isinstance(name, str)]
    if bad_type:
        raise TypeError(f"motion names must be strings, got {bad_type[0]!r} in {motion!r}")
    unknown = [name for name in names if name not in MOTIONS]
    if unknown:
        raise ValueError(
            f"motion: unknown motion name(s) {', '.join(map(repr, unknown))}; the names are "
            f"{', '.join(map(repr, MOTIONS))} (or 'all')"
        )
    return tuple(name for name in MOTIONS if name in names)


def _floor3(value: float) -> str:
    # a bound printed without rounding up past it
    return f"{math.floor(value * 1000) / 1000:g}"


def _check_motions_fit(
    names: tuple[str, ...], n_frames: int, canvas: int, digit_size: int, speed: float
) -> None:
    room = canvas - digit_size
    travel = speed * (n_frames - 1)
    radius = room / 2
    problems: dict[str, str] = {}
    for name in names:
        if name in _COMPASS_STEPS and travel > room:
            options = [
                f"n_frames <= {math.floor(room / speed) + 1}",
                f"speed <= {_floor3(room / (n_frames - 1))}",
            ]
            if canvas - travel >= 1:
                options.append(f"digit_size <= {math.floor(canvas - travel)}")
            options.append(f"canvas >= {math.ceil(digit_size + travel)}")
            problems[name] = (
                f"the digit ({digit_size} pixels) travels speed * (n_frames - 1) = "
                f"{speed:g} * {n_frames - 1} = {travel:g} pixels, and {digit_size} + "
                f"{travel:g} > canvas = {canvas}; it fits with {', '.join(options[:-1])} "
                f"or {options[-1]}"
            )
        elif name in _ROTATIONS and travel > 0 and radius == 0:
            problems[name] = (
                f"the digit fills the canvas (digit_size = canvas = {canvas}), leaving no "
                f"room for a circular path; it fits with digit_size < canvas, speed = 0 or "
                f"n_frames = 1"
            )
        elif name in _ROTATIONS and travel > 0 and speed > radius * math.pi / 2:
            problems[name] = (
                f"its circle has radius (canvas - digit_size) / 2 = {radius:g} pixels and a "
                f"step of speed = {speed:g} pixels along it would turn the digit by more "
                f"than a quarter turn per frame (the sense of rotation would be lost); it "
                f"fits with speed <= {_floor3(radius * math.pi / 2)}, a smaller digit_size "
                f"or a larger canvas"
            )
    if problems:
        first = next(iter(problems))
        message = f"motion {first!r} does not fit in the canvas: {problems[first]}"
        others = [name for name in problems if name != first]
        if others:
            message += f". Nor do {', '.join(map(repr, others))}"
        fit = [name for name in names if name not in problems]
        if fit:
            message += f". Of the motions asked for, these fit: {', '.join(map(repr, fit))}"
        raise ValueError(message)


def _sequence_sources(images: object, labels: object) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Check user-given source images and labels; ``None`` when neither is given."""
    if images is None and labels is None:
        return None
    if images is None or labels is None:
        given, missing = ("images", "labels") if labels is None else ("labels", "images")
        raise ValueError(
            f"images and labels must be given together: got {given} but {missing}=None"
        )
    images = check_array("images", images, ndim=3, dtype=None)
    if images.dtype.kind not in "uif":
        raise TypeError(
            f"images must hold numbers (integers 0..255 or floats in [0, 1]), got dtype "
            f"{images.dtype}"
        )
    low, high = images.min(), images.max()
    if images.dtype.kind in "ui":
        scale = 255
        if low < 0 or high > 255:
            raise ValueError(
                f"images: integer pixel values must be in 0..255, got min {low} and max {high}"
            )
    else:
        scale = 1
        if low < 0 or high > 1:
            raise ValueError(
                f"images: float pixel values must be in [0, 1], got min {low:g} and max "
                f"{high:g} (divide 0..255 data by 255, or pass it as integers)"
            )
    labels = check_array("labels", labels, ndim=1, dtype=None)
    if labels.dtype.kind not in "ui":
        raise TypeError(f"labels must be integers, got dtype {labels.dtype}")
    if labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"labels has {labels.shape[0]} entries for {images.shape[0]} images "
            f"(images.shape = {images.shape}): give one label per image"
        )
    return images, labels.astype(np.int64), scale


def _split_pool(labels: np.ndarray, split: str) -> np.ndarray:
    """The source indices a split draws from (each class's first or second half)."""
    if split == "all":
        return np.arange(labels.shape[0])
    parts = []
    for value in np.unique(labels):
        members = np.flatnonzero(labels == value)
        half = (members.size + 1) // 2
        parts.append(members[:half] if split == "train" else members[half:])
    pool = np.sort(np.concatenate(parts))
    if pool.size == 0:
        raise ValueError(
            f"split={split!r} leaves no source images: the test half of a class is its "
            f"second half, empty for a class of one image; give at least two images of a "
            f"class, or split='all'"
        )
    return pool


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights of area averaging: output pixel i covers input
    ``[i * n_in / n_out, (i + 1) * n_in / n_out)``, each input pixel by its overlap."""
    scale = n_in / n_out
    edges = np.arange(n_out + 1) * scale
    pixels = np.arange(n_in)
    overlap = np.minimum(edges[1:, None], pixels + 1) - np.maximum(edges[:-1, None], pixels)
    return np.clip(overlap, 0.0, None) / scale


def _digit_paths(
    motion: np.ndarray, uniform: np.ndarray, n_frames: int, canvas: int, digit_size: int,
    speed: float,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Top-left corner (row, column) of the digit in every frame, whole pixels."""
    room = canvas - digit_size
    travel = speed * (n_frames - 1)
    t = np.arange(n_frames)
    top = np.empty((motion.size, n_frames))
    left = np.empty((motion.size, n_frames))
    for k, name in enumerate(MOTIONS):
        chosen = motion == k
        if not chosen.any():
            continue
        if name in _COMPASS_STEPS:
            for axis, (step, out) in enumerate(zip(_COMPASS_STEPS[name], (top, left))):
                # the path's lowest coordinate, a whole pixel in [0, room - travel]
                high = math.floor(room - travel) if step else room
                low_end = np.minimum(np.floor(uniform[chosen, axis] * (high + 1)), high)
                if step > 0:
                    out[chosen] = low_end[:, None] + speed * t
                elif step < 0:
                    out[chosen] = low_end[:, None] + (travel - speed * t)
                else:
                    out[chosen] = low_end[:, None]
        else:
            radius = room / 2
            omega = speed / radius if radius > 0 else 0.0
            theta = 2 * np.pi * uniform[chosen, 0][:, None] + _ROTATIONS[name] * omega * t
            top[chosen] = radius - radius * np.sin(theta)
            left[chosen] = radius + radius * np.cos(theta)
    # round half up, to whole pixels; the clip only guards against float round-off
    top = np.clip(np.floor(top + 0.5), 0, room).astype(np.intp)
    left = np.clip(np.floor(left + 0.5), 0, room).astype(np.intp)
    return top, left


def moving_digits(
    n_sequences: int,
    *,
    n_frames: int = 8,
    canvas: int = 32,
    digit_size: int = 16,
    motion: str | Sequence[str] = "all",
    speed: float = 2,
    split: str = "all",
    images: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    seed: int | np.random.Generator | np.random.SeedSequence | None = None,
) -> MovingDigits:
    """Moving-MNIST-style sequences: one digit moving on a black canvas, in 10 motions.

    Generated offline from the shipped MNIST subset (:func:`load_mnist_subset`) or from
    the ``images`` given. Each sequence draws one source image (uniformly from the
    split's pool, so the labels follow the source's class balance) and one motion class
    (uniformly from ``motion``), shrinks the image to ``digit_size x digit_size`` by
    area averaging, and pastes it, unchanged, at a new position in each of ``n_frames``
    black ``canvas x canvas`` frames. The digit is entirely inside the canvas in every
    frame.

    The motion classes (:data:`MOTIONS`, the order of the ``motion`` labels):

    - the eight compass directions ``east``, ``north-east``, ``north``, ``north-west``,
      ``west``, ``south-west``, ``south``, ``south-east`` (north is up: the row index
      decreases), moving ``speed`` pixels per frame along each axis the direction moves
      on (a diagonal step is ``speed`` pixels across and ``speed`` pixels up or down).
      The start is drawn uniformly among the whole-pixel positions whose whole path
      stays inside the canvas: along a moving axis the path spans
      ``speed * (n_frames - 1)`` pixels, along a still axis the digit sits anywhere;
    - ``clockwise`` and ``counter-clockwise`` (as seen on screen): the digit's centre
      runs on the largest circle about the canvas centre that keeps the digit inside,
      radius ``(canvas - digit_size) / 2``, ``speed`` pixels of arc per frame
      (``speed / radius`` radians), from a start angle drawn uniformly in [0, 2 pi).

    Positions are rounded (half up) to whole pixels, so the digit is resampled once
    (the downscaling) and never blurred by a sub-pixel shift.

    Parameters
    ----------
    n_sequences : int
        Number of sequences, >= 1.
    n_frames : int
        Frames per sequence, >= 1.
    canvas : int
        Height and width of a frame in pixels, >= 1.
    digit_size : int
        Height and width of the digit after downscaling, 1 .. ``canvas``. The source
        image is area-averaged (each output pixel the mean of the source area it covers,
        fractional pixels weighted by their overlap): no aliasing, values stay in [0, 1].
    motion : "all", str or sequence of str
        ``"all"`` draws the motion class uniformly from the 10 :data:`MOTIONS`; a name
        or a sequence of names draws uniformly from those (in :data:`MOTIONS` order,
        repeats ignored). The labels in the result are indices into :data:`MOTIONS`
        either way.
    speed : float
        Pixels per frame, >= 0 (0: still digits). Every motion asked for must fit: a
        compass motion needs ``digit_size + speed * (n_frames - 1) <= canvas``; a
        rotation needs ``speed <= radius * pi / 2`` (at most a quarter turn per frame,
        so that the sense of rotation stays visible) and ``radius > 0`` when the digit
        moves.
    split : {"all", "train", "test"}
        Which source images are drawn from: ``"all"``; ``"train"``, the first half of
        each class's images (by index: for a class of ``m`` images its first
        ``ceil(m / 2)``, images 0..249 of each class in the shipped subset); ``"test"``,
        the rest (images 250..499 of each class). Training and test sequences generated
        with ``split="train"`` and ``split="test"`` never share a source image, whatever
        their seeds.
    images : array-like, shape (n_images, height, width), optional
        Source images instead of the MNIST subset: integers 0..255 (divided by 255) or
        floats in [0, 1]. Given together with ``labels``.
    labels : array-like of int, shape (n_images,), optional
        The class of each source image (any integers).
    seed : int, numpy.random.Generator, numpy.random.SeedSequence or None
        Same seed, same sequences.

    Returns
    -------
    MovingDigits
        ``frames`` (float32, (n_sequences, n_frames, canvas, canvas), in [0, 1]),
        ``digit`` and ``motion`` labels (int64), ``motions`` (:data:`MOTIONS`) and
        ``source_index``.

    Raises
    ------
    TypeError, ValueError
        For a bad argument, before anything is read or drawn: naming it, the value and
        what is allowed; a motion that does not fit says which values would.
    DataError
        If the shipped MNIST subset is missing or corrupt (when ``images`` is None).

    Examples
    --------
    >>> train = moving_digits(1000, split="train", seed=0)
    >>> test = moving_digits(200, split="test", seed=1)
    >>> train.frames.shape, MOTIONS[train.motion[0]]  # doctest: +SKIP
    ((1000, 8, 32, 32), 'south-west')
    """
    n_sequences = check_int("n_sequences", n_sequences, low=1)
    n_frames = check_int("n_frames", n_frames, low=1)
    canvas = check_int("canvas", canvas, low=1)
    digit_size = check_int("digit_size", digit_size, low=1, high=canvas)
    speed = check_real("speed", speed, low=0.0)
    split = check_choice("split", split, ("all", "train", "test"))
    names = _motion_names(motion)
    _check_motions_fit(names, n_frames, canvas, digit_size, speed)
    given = _sequence_sources(images, labels)
    rng = resolve_rng(seed)
    if given is None:
        source, source_labels = _mnist_subset_cached(str(data_dir() / "mnist_5k.csv.gz"))
        scale = 255
    else:
        source, source_labels, scale = given
    pool = _split_pool(source_labels, split)

    source_index = pool[rng.integers(0, pool.size, size=n_sequences)]
    allowed = np.array([MOTIONS.index(name) for name in names], dtype=np.int64)
    motion_index = allowed[rng.integers(0, allowed.size, size=n_sequences)]
    uniform = rng.random((n_sequences, 2))
    top, left = _digit_paths(motion_index, uniform, n_frames, canvas, digit_size, speed)

    used, which = np.unique(source_index, return_inverse=True)
    height, width = source.shape[1:]
    shrunk = (
        _area_weights(height, digit_size)
        @ (source[used].astype(np.float64) / scale)
        @ _area_weights(width, digit_size).T
    )
    shrunk = np.clip(shrunk, 0.0, 1.0).astype(np.float32)

    frames = np.zeros((n_sequences, n_frames, canvas, canvas), dtype=np.float32)
    offsets = np.arange(digit_size)
    rows = top[:, :, None, None] + offsets[:, None]  # (sequence, frame, row, 1)
    cols = left[:, :, None, None] + offsets  # (sequence, frame, 1, column)
    frames[
        np.arange(n_sequences)[:, None, None, None],
        np.arange(n_frames)[:, None, None],
        rows,
        cols,
    ] = shrunk[which.reshape(-1)][:, None]
    return MovingDigits(
        frames=frames,
        digit=source_labels[source_index].astype(np.int64),
        motion=motion_index,
        motions=MOTIONS,
        source_index=source_index.astype(np.int64),
    )


__all__ += ["MOTIONS", "MovingDigits", "moving_digits"]


# --- user video frames: path/<class>/<sequence>/<frame files> -----------------------------

_FRAME_LAYOUT = "path/<class name>/<sequence name>/<frame image files>"
_NUMBER = re.compile(r"(\d+)")


def _natural_key(name: str) -> tuple[list, str]:
    """Sort key reading runs of digits as numbers: ``frame2`` before ``frame10``."""
    parts = _NUMBER.split(name)  # text, number, text, ...: the same kind at each position
    return [int(part) if i % 2 else part.casefold() for i, part in enumerate(parts)], name


@dataclass(frozen=True, eq=False)
class FrameSequences:
    """Video frame sequences read by :func:`read_frame_folders`.

    Attributes
    ----------
    frames : list of ndarray of float32
        One array per sequence, shape (n_frames_i, height, width) (grayscale) or
        (n_frames_i, height, width, 3) (RGB), values in [0, 1]; the sequences may differ
        in length, never in frame shape.
    labels : ndarray of int64, shape (n_sequences,)
        The class of each sequence, an index into ``classes``.
    classes : tuple of str
        The class folder names, sorted.
    names : tuple of str
        The sequence folder names (unique within a class).
    """

    frames: list[np.ndarray]
    labels: np.ndarray
    classes: tuple[str, ...]
    names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def lengths(self) -> np.ndarray:
        """The number of frames of each sequence, int64 (n_sequences,)."""
        return np.array([seq.shape[0] for seq in self.frames], dtype=np.int64)

    def stack(self, n_frames: int) -> np.ndarray:
        """The first ``n_frames`` frames of every sequence, as one array.

        Returns
        -------
        ndarray of float32, shape (n_sequences, n_frames, height, width[, 3])

        Raises
        ------
        ValueError
            If a sequence has fewer than ``n_frames`` frames (the message names them and
            the longest ``n_frames`` that stacks them all).
        """
        n_frames = check_int("n_frames", n_frames, low=1)
        lengths = self.lengths
        short = np.flatnonzero(lengths < n_frames)
        if short.size:
            shown = ", ".join(
                f"{self.classes[self.labels[i]]}/{self.names[i]} ({lengths[i]} frames)"
                for i in short[:10]
            )
            more = f" and {short.size - 10} more" if short.size > 10 else ""
            raise ValueError(
                f"n_frames={n_frames} is more than {short.size} of the {len(self)} "
                f"sequences have: {shown}{more}; n_frames <= {int(lengths.min())} stacks "
                f"them all"
            )
        return np.stack([seq[:n_frames] for seq in self.frames])


def _check_frame_size(size: object) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, str) or not isinstance(size, Sequence | np.ndarray) or len(size) != 2:
        raise TypeError(
            f"size must be None or (height, width), two positive integers, got {size!r}"
        )
    return check_int("size[0]", size[0], low=1), check_int("size[1]", size[1], low=1)


def _check_extensions(extensions: object) -> tuple[str, ...]:
    if isinstance(extensions, str):
        extensions = (extensions,)
    try:
        items = tuple(extensions)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"extensions must be a sequence of file extensions such as ('.png', '.jpg'), "
            f"got {extensions!r}"
        ) from None
    if not items:
        raise ValueError("extensions is empty: give at least one, such as '.png'")
    for item in items:
        if not isinstance(item, str) or not item.startswith(".") or len(item) < 2:
            raise ValueError(
                f"extensions must be strings starting with a dot, such as '.png', got "
                f"{item!r} in {extensions!r}"
            )
    return tuple(item.lower() for item in items)


def _visible(entries: object) -> list[Path]:
    return [entry for entry in entries if not entry.name.startswith(".")]  # type: ignore[attr-defined]


def _image_to_float(image: object, grayscale: bool, path: Path) -> np.ndarray:
    """A Pillow image as float32 in [0, 1]: 8-bit / 255, 16-bit / 65535."""
    mode = image.mode  # type: ignore[attr-defined]
    if mode.startswith("I") or mode == "F":
        # 16-bit grayscale (PNG, TIFF: "I;16"; PGM: "I"), or 32-bit integer / float
        data = np.asarray(image).astype(np.float32)
        low, high = float(data.min()), float(data.max())
        top = 1.0 if mode == "F" else 65535.0
        if not (np.isfinite(low) and np.isfinite(high)) or low < 0 or high > top:
            raise DataError(
                f"{path}: {mode} pixel values {low:g}..{high:g} are outside 0..{top:g}; "
                f"cannot scale them to [0, 1]"
            )
        data = data / np.float32(top)
        return data if grayscale else np.repeat(data[..., None], 3, axis=-1)
    converted = image.convert("L" if grayscale else "RGB")  # type: ignore[attr-defined]
    return np.asarray(converted).astype(np.float32) / np.float32(255)


def _resize_frame(data: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    height, width = size

    def one(plane: np.ndarray) -> np.ndarray:
        image = Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32))  # mode "F"
        return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR))

    if data.ndim == 2:
        out = one(data)
    else:
        out = np.stack([one(data[..., k]) for k in range(data.shape[-1])], axis=-1)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _read_frame(path: Path, grayscale: bool, size: tuple[int, int] | None) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
            data = _image_to_float(image, grayscale, path)
    except DataError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: cannot be read as an image: {reason}") from None
    if size is not None and data.shape[:2] != size:
        data = _resize_frame(data, size)
    return data


def _shape_text(shape: tuple[int, ...]) -> str:
    text = f"{shape[0]}x{shape[1]} (height x width)"
    return text if len(shape) == 2 else f"{text} x {shape[2]} channels"


def read_frame_folders(
    path: str | os.PathLike,
    *,
    size: tuple[int, int] | None = None,
    grayscale: bool = True,
    max_frames: int | None = None,
    extensions: Sequence[str] = (".png", ".jpg", ".jpeg", ".bmp", ".pgm"),
) -> FrameSequences:
    """Read the user's video frames laid out ``path/<class>/<sequence>/<frames>``.

    The layout that UCF101, Weizmann and similar action data sets usually get once
    their videos are extracted to frames (``ffmpeg -i video.avi seq/frame%d.png``)::

        path/
          walk/                   one folder per class
            person01_walk/        one folder per sequence
              frame1.png          its frames, in natural order:
              frame2.png          frame2 before frame10
              ...
          run/
            ...

    Classes are the class folders sorted by name (``labels`` index them); sequences
    and frames are sorted in natural order (runs of digits compared as numbers). Files
    and folders whose names start with a dot are skipped, and so are files without one
    of ``extensions`` (compared case-insensitively). The layout is checked whole before
    any image is read. Images are read with Pillow.

    Parameters
    ----------
    path : path-like
        The root folder.
    size : (int, int), optional
        (height, width) to resize every frame to (Pillow's bilinear filter, which
        averages over the source footprint when shrinking, on the float values). By
        default frames are not resized, and all of them must share one shape.
    grayscale : bool
        Convert to one channel (Pillow's ``"L"`` conversion, ITU-R 601-2 luma) when
        True (default); otherwise RGB, a last axis of 3.
    max_frames : int, optional
        Keep only the first ``max_frames`` frames of each sequence (the rest are not
        read).
    extensions : sequence of str
        The file extensions of frames.

    Returns
    -------
    FrameSequences
        ``frames`` (a list of float32 arrays in [0, 1], one (n_frames_i, height, width)
        per sequence; 8-bit images are divided by 255, 16-bit ones by 65535), ``labels``
        (int64), ``classes``, ``names``; ``stack(n_frames)`` gives one array.

    Raises
    ------
    DataError
        If ``path`` is missing or not a folder, has no class folders, a class folder has
        no sequence folders, a sequence folder has no frames, an image cannot be read
        (naming the file), or, without ``size``, a frame's shape differs from the first
        frame's (naming both files).
    TypeError, ValueError
        For a bad argument (before anything is read).
    """
    size = _check_frame_size(size)
    grayscale = check_bool("grayscale", grayscale)
    if max_frames is not None:
        max_frames = check_int("max_frames", max_frames, low=1)
    extensions = _check_extensions(extensions)
    root = Path(path)
    if not root.is_dir():
        what = "a file, not a folder" if root.exists() else "folder not found"
        raise DataError(f"{root}: {what}; expected {_FRAME_LAYOUT}")
    class_dirs = sorted(
        (entry for entry in _visible(root.iterdir()) if entry.is_dir()),
        key=lambda entry: entry.name,
    )
    if not class_dirs:
        raise DataError(f"{root}: no class folders; expected {_FRAME_LAYOUT}")

    layout: list[tuple[int, str, list[Path]]] = []
    for label, class_dir in enumerate(class_dirs):
        entries = _visible(class_dir.iterdir())
        sequence_dirs = sorted(
            (entry for entry in entries if entry.is_dir()),
            key=lambda entry: _natural_key(entry.name),
        )
        if not sequence_dirs:
            loose = sum(entry.suffix.lower() in extensions for entry in entries)
            hint = (
                f" (it holds {loose} frame file(s) directly: put each sequence's frames "
                f"in a folder of its own, {class_dir.name}/<sequence name>/)"
                if loose
                else ""
            )
            raise DataError(
                f"{class_dir}: class folder with no sequence folders{hint}; expected "
                f"{_FRAME_LAYOUT}"
            )
        for sequence_dir in sequence_dirs:
            files = sorted(
                (
                    entry
                    for entry in _visible(sequence_dir.iterdir())
                    if entry.suffix.lower() in extensions and entry.is_file()
                ),
                key=lambda entry: _natural_key(entry.name),
            )
            if not files:
                raise DataError(
                    f"{sequence_dir}: sequence folder with no frames (no files ending in "
                    f"{', '.join(extensions)})"
                )
            layout.append((label, sequence_dir.name, files[:max_frames]))

    first: tuple[Path, tuple[int, ...]] | None = None
    frames = []
    for _, _, files in layout:
        sequence = []
        for file in files:
            data = _read_frame(file, grayscale, size)
            if first is None:
                first = (file, data.shape)
            elif data.shape != first[1]:
                raise DataError(
                    f"{file}: frame is {_shape_text(data.shape)}, but the first frame, "
                    f"{first[0]}, is {_shape_text(first[1])}; all frames must share one "
                    f"shape: give size=(height, width) to resize them"
                )
            sequence.append(data)
        frames.append(np.stack(sequence))
    return FrameSequences(
        frames=frames,
        labels=np.array([label for label, _, _ in layout], dtype=np.int64),
        classes=tuple(entry.name for entry in class_dirs),
        names=tuple(name for _, name, _ in layout),
    )


__all__ += ["FrameSequences", "read_frame_folders"]
