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

Shipped with a dependency: :func:`load_digits` -- scikit-learn's 8 x 8 digits.

Every loader raises :class:`DataError` (a ``ValueError``) naming the file when it is
missing, truncated or fails its checksum.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

from neurosparse._validation import check_choice

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
