"""Shipped data (checksums) and the real-format readers (IDX, CIFAR-10 binary, digits)."""

from __future__ import annotations

import gzip
import shutil
import struct
import sys

import numpy as np
import pytest

from neurosparse.datasets import (
    CHECKSUMS,
    CIFAR10_CLASSES,
    DataError,
    data_dir,
    load_cifar10,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    load_mnist_subset,
    load_natural_images,
    read_cifar10_binary,
    read_idx,
)


def test_mnist_subset():
    images, labels = load_mnist_subset()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(labels), np.full(10, 500))
    assert np.all(np.diff(labels) >= 0)  # sorted by label, as the data README says
    assert images.max() == 255 and images.min() == 0


def test_natural_images():
    images = load_natural_images()
    assert set(images) == {
        "astronaut",
        "camera",
        "chelsea",
        "coffee",
        "grass",
        "gravel",
        "brick",
        "rocket",
    }
    assert images["chelsea"].shape == (300, 451) and images["camera"].dtype == np.uint8


def test_checksum_mismatch_names_file(tmp_path):
    bad = tmp_path / "mnist_5k.csv.gz"
    data = bytearray((data_dir() / "mnist_5k.csv.gz").read_bytes())
    data[1000] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"mnist_5k\.csv\.gz.*checksum mismatch"):
        load_mnist_subset(bad)


def test_missing_file_named(tmp_path):
    with pytest.raises(DataError, match=r"nowhere\.npz.*not found"):
        load_natural_images(tmp_path / "nowhere.npz")


def test_data_dir_override(tmp_path, monkeypatch):
    shutil.copy(data_dir() / "natural_images.npz", tmp_path / "natural_images.npz")
    monkeypatch.setenv("NEUROSPARSE_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    assert "camera" in load_natural_images()
    assert set(CHECKSUMS) == {"mnist_5k.csv.gz", "natural_images.npz"}


def _write_idx(path, array: np.ndarray, code: int, *, compress: bool = False):
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if compress else open
    with opener(path, "wb") as fh:
        fh.write(payload)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_images_and_labels(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7, dtype=np.uint8)
    suffix = ".gz" if compress else ""
    _write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", images, 0x08, compress=compress)
    _write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", labels, 0x08, compress=compress)
    np.testing.assert_array_equal(read_idx(tmp_path / f"train-images-idx3-ubyte{suffix}"), images)
    np.testing.assert_array_equal(read_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}"), labels)


@pytest.mark.parametrize(
    ("dtype", "code"),
    [
        (np.int8, 0x09),
        (np.int16, 0x0B),
        (np.int32, 0x0C),
        (np.float32, 0x0D),
        (np.float64, 0x0E),
    ],
)
def test_read_idx_dtypes(tmp_path, dtype, code):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    _write_idx(tmp_path / "x.idx", array, code)
    got = read_idx(tmp_path / "x.idx")
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, array)


def test_read_idx_errors(tmp_path):
    with pytest.raises(DataError, match=r"absent\.idx.*not found"):
        read_idx(tmp_path / "absent.idx")
    array = np.zeros((4, 5), dtype=np.uint8)
    _write_idx(tmp_path / "t.idx", array, 0x08)
    data = (tmp_path / "t.idx").read_bytes()
    (tmp_path / "t.idx").write_bytes(data[:-3])
    with pytest.raises(DataError, match=r"t\.idx.*truncated"):
        read_idx(tmp_path / "t.idx")
    (tmp_path / "bad.idx").write_bytes(b"\x01\x02\x03\x04" + data[4:])
    with pytest.raises(DataError, match=r"bad\.idx.*not an IDX"):
        read_idx(tmp_path / "bad.idx")
    (tmp_path / "broken.gz").write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(DataError, match=r"broken\.gz"):
        read_idx(tmp_path / "broken.gz")


# --- CIFAR-10, binary version ---------------------------------------------------------


def _cifar_records(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, bytes]:
    """n random images (N, 32, 32, 3) and labels, and their bytes in the binary format."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    planes = images.transpose(0, 3, 1, 2).reshape(n, 3072)  # red plane, green, blue
    raw = np.concatenate([labels[:, None], planes], axis=1).tobytes()
    return images, labels.astype(np.int64), raw


_TRAIN_BATCHES = [f"data_batch_{i}.bin" for i in range(1, 6)]


def _write_cifar_dir(root, sizes=(3, 2, 4, 1, 2, 5)):
    folder = root / "cifar-10-batches-bin"
    folder.mkdir()
    parts = []
    for seed, (name, n) in enumerate(zip([*_TRAIN_BATCHES, "test_batch.bin"], sizes)):
        images, labels, raw = _cifar_records(n, seed)
        (folder / name).write_bytes(raw)
        parts.append((images, labels))
    return folder, parts


def test_read_cifar10_binary_file(tmp_path):
    images, labels, raw = _cifar_records(7, 0)
    (tmp_path / "data_batch_1.bin").write_bytes(raw)
    got_images, got_labels = read_cifar10_binary(tmp_path / "data_batch_1.bin")
    assert got_images.shape == (7, 32, 32, 3) and got_images.dtype == np.uint8
    assert got_labels.shape == (7,) and got_labels.dtype == np.int64
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    # the layout by hand: record 2, byte 0 the label, then red row 0 col 0, red row 0
    # col 1, ... red row 1 col 0 at 1 + 32; green plane from 1 + 1024, blue from 1 + 2048
    record = np.frombuffer(raw, dtype=np.uint8)[2 * 3073 : 3 * 3073]
    assert got_labels[2] == record[0]
    assert got_images[2, 1, 0, 0] == record[1 + 32]  # red plane -> channel 0
    assert got_images[2, 0, 5, 1] == record[1 + 1024 + 5]  # green -> channel 1
    assert got_images[2, 31, 31, 2] == record[3072]  # blue, last pixel -> channel 2


def test_read_cifar10_channel_order(tmp_path):
    record = np.zeros(3073, dtype=np.uint8)
    record[0] = 3
    record[1 : 1 + 1024] = 200  # red plane only
    (tmp_path / "red.bin").write_bytes(record.tobytes())
    images, labels = read_cifar10_binary(tmp_path / "red.bin")
    assert labels.tolist() == [3] and CIFAR10_CLASSES[3] == "cat"
    assert np.all(images[..., 0] == 200) and not images[..., 1:].any()


def test_read_cifar10_binary_directory_and_splits(tmp_path):
    folder, parts = _write_cifar_dir(tmp_path)
    all_images = np.concatenate([images for images, _ in parts])
    all_labels = np.concatenate([labels for _, labels in parts])
    for where in (folder, tmp_path):  # the extracted directory or its parent
        images, labels = read_cifar10_binary(where)
        np.testing.assert_array_equal(images, all_images)
        np.testing.assert_array_equal(labels, all_labels)
        train_images, train_labels = load_cifar10(where, split="train")
        assert train_images.shape == (12, 32, 32, 3)
        np.testing.assert_array_equal(train_images, all_images[:12])
        np.testing.assert_array_equal(train_labels, all_labels[:12])
        test_images, test_labels = load_cifar10(str(where), split="test")
        np.testing.assert_array_equal(test_images, parts[5][0])
        np.testing.assert_array_equal(test_labels, parts[5][1])


def test_read_cifar10_errors(tmp_path):
    with pytest.raises(DataError, match=r"nowhere\.bin: not found"):
        read_cifar10_binary(tmp_path / "nowhere.bin")
    _, _, raw = _cifar_records(3, 0)
    (tmp_path / "short.bin").write_bytes(raw[:-1])
    with pytest.raises(DataError, match=r"short\.bin: 9218 bytes is not a whole number.*3073"):
        read_cifar10_binary(tmp_path / "short.bin")
    (tmp_path / "empty.bin").write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.bin: 0 bytes"):
        read_cifar10_binary(tmp_path / "empty.bin")
    bad = bytearray(raw)
    bad[3073] = 10  # record 1's label
    (tmp_path / "label.bin").write_bytes(bytes(bad))
    with pytest.raises(DataError, match=r"label\.bin: 1 record\(s\).*outside 0\.\.9.*record 1"):
        read_cifar10_binary(tmp_path / "label.bin")
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(b"\x1f\x8b" + bytes(3071))
    with pytest.raises(DataError, match=r"tar\.gz: a CIFAR-10 archive; extract it first"):
        read_cifar10_binary(tmp_path / "cifar-10-binary.tar.gz")
    empty = tmp_path / "empty_dir"
    empty.mkdir()
    with pytest.raises(DataError, match=r"empty_dir: no CIFAR-10 batch files.*data_batch_1\.bin"):
        read_cifar10_binary(empty)
    with pytest.raises(DataError, match=r"empty_dir: no CIFAR-10 batch files"):
        load_cifar10(empty)
    pickled = tmp_path / "py"
    (pickled / "cifar-10-batches-py").mkdir(parents=True)
    with pytest.raises(DataError, match=r"py: this is the Python \(pickled\) version"):
        read_cifar10_binary(pickled)
    with pytest.raises(DataError, match=r"absent: directory not found"):
        load_cifar10(tmp_path / "absent")
    with pytest.raises(DataError, match=r"short\.bin: a file, not a directory"):
        load_cifar10(tmp_path / "short.bin")


def test_load_cifar10_missing_batch(tmp_path):
    folder, _ = _write_cifar_dir(tmp_path)
    (folder / "data_batch_4.bin").unlink()
    with pytest.raises(DataError, match=r"missing CIFAR-10 batch file\(s\) data_batch_4\.bin"):
        load_cifar10(tmp_path, split="train")
    with pytest.raises(DataError, match=r"data_batch_4\.bin"):
        read_cifar10_binary(folder)
    assert load_cifar10(tmp_path, split="test")[0].shape == (5, 32, 32, 3)  # test is whole
    (folder / "test_batch.bin").unlink()
    with pytest.raises(DataError, match=r"missing CIFAR-10 batch file\(s\) test_batch\.bin"):
        load_cifar10(folder, split="test")
    with pytest.raises(ValueError, match=r"split must be one of 'train', 'test'; got 'val'"):
        load_cifar10(folder, split="val")


# --- full MNIST / Fashion-MNIST (four IDX files) ----------------------------------------


def _write_idx_split(folder, prefix, n, seed, *, compress):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    suffix = ".gz" if compress else ""
    _write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, 0x08, compress=compress)
    _write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels, 0x08, compress=compress)
    return images, labels


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("loader", [load_fashion_mnist, load_mnist])
def test_load_idx_splits(tmp_path, loader, compress):
    train = _write_idx_split(tmp_path, "train", 6, 0, compress=compress)
    test = _write_idx_split(tmp_path, "t10k", 4, 1, compress=compress)
    for split, (images, labels) in (("train", train), ("test", test)):
        got_images, got_labels = loader(tmp_path, split=split)
        assert got_images.dtype == np.uint8 and got_images.shape == images.shape
        assert got_labels.dtype == np.int64
        np.testing.assert_array_equal(got_images, images)
        np.testing.assert_array_equal(got_labels, labels)
    assert loader(str(tmp_path))[0].shape == (6, 28, 28)  # "train" by default


def test_load_idx_dotted_names(tmp_path):
    images, labels = _write_idx_split(tmp_path, "t10k", 3, 2, compress=False)
    (tmp_path / "t10k-images-idx3-ubyte").rename(tmp_path / "t10k-images.idx3-ubyte")
    got_images, got_labels = load_mnist(tmp_path, split="test")
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_load_idx_errors(tmp_path):
    with pytest.raises(DataError, match=r"absent: directory not found.*Fashion-MNIST IDX"):
        load_fashion_mnist(tmp_path / "absent")
    with pytest.raises(ValueError, match=r"split must be one of 'train', 'test'"):
        load_fashion_mnist(tmp_path, split="validation")
    with pytest.raises(DataError, match=r"missing train-images-idx3-ubyte \(or .*\.gz\)"):
        load_fashion_mnist(tmp_path)
    _write_idx_split(tmp_path, "train", 5, 0, compress=True)
    with pytest.raises(DataError, match=r"missing t10k-images-idx3-ubyte"):
        load_mnist(tmp_path, split="test")
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: a file, not a directory"):
        load_mnist(tmp_path / "train-images-idx3-ubyte.gz")
    # labels and images of different lengths
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((4, 28, 28), np.uint8), 0x08)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(3, np.uint8), 0x08)
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte: 3 labels for 4 images"):
        load_fashion_mnist(tmp_path, split="test")
    # a label outside 0..9
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([1, 2, 12, 3], np.uint8), 0x08)
    with pytest.raises(DataError, match=r"1 label\(s\) outside 0\.\.9 \(first: item 2, label 12\)"):
        load_fashion_mnist(tmp_path, split="test")
    # images of the wrong shape or type, labels of the wrong shape
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((4, 32, 32), np.uint8), 0x08)
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte: expected MNIST images.*32, 32"):
        load_mnist(tmp_path, split="test")
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((4, 28, 28), np.int32), 0x0C)
    with pytest.raises(DataError, match=r"expected Fashion-MNIST images, uint8.*int32"):
        load_fashion_mnist(tmp_path, split="test")
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((4, 28, 28), np.uint8), 0x08)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros((4, 1), np.uint8), 0x08)
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte: expected MNIST labels"):
        load_mnist(tmp_path, split="test")
    # a file that is not IDX at all: read_idx's error names it
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"not an idx file")
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte: not an IDX file"):
        load_mnist(tmp_path, split="test")


# --- scikit-learn's 8x8 digits ----------------------------------------------------------


def test_load_digits():
    images, labels = load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float64
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    assert set(labels.tolist()) == set(range(10))
    np.testing.assert_array_equal(images * 16, np.round(images * 16))  # counts 0..16 / 16


def test_load_digits_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ModuleNotFoundError, match=r"load_digits needs scikit-learn"):
        load_digits()
