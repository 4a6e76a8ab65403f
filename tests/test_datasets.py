"""Shipped data (checksums) and the real-format IDX reader."""

from __future__ import annotations

import gzip
import shutil
import struct

import numpy as np
import pytest

from neurosparse.datasets import (
    CHECKSUMS,
    DataError,
    data_dir,
    load_mnist_subset,
    load_natural_images,
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
