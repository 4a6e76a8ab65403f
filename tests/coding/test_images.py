"""Whitening, patch sampling and the readers for van Hateren .imc and IMAGES.mat."""

from __future__ import annotations

import numpy as np
import pytest

from neurosparse.coding.images import (
    extract_patches,
    natural_patches,
    whiten_images,
    whitening_filter,
)
from neurosparse.datasets import DataError, read_olshausen_images, read_van_hateren_imc
from neurosparse.testing import check_bad_input


def test_whitening_filter_shape_and_profile():
    filt = whitening_filter((64, 64), f0=0.4)
    assert filt.shape == (64, 64)
    assert filt[0, 0] == 0.0  # no DC
    assert np.all(filt >= 0)
    # radial profile rho*exp(-(rho/f0)^4): peak at rho = f0 / 4**0.25
    rho = np.fft.fftfreq(64)[:8]
    assert np.allclose(filt[0, :8], rho * np.exp(-((rho / 0.4) ** 4)))
    rho_peak = np.hypot(*np.unravel_index(np.argmax(filt), filt.shape)) / 64
    assert rho_peak == pytest.approx(0.4 / 4**0.25, abs=1.5 / 64)
    # isotropic and symmetric (a real filter)
    assert np.allclose(filt, filt.T)
    assert np.allclose(filt[1:, 1:], filt[1:, 1:][::-1, ::-1])


def test_whitening_flattens_a_one_over_f_spectrum():
    rng = np.random.default_rng(0)
    n = 128
    fy, fx = np.meshgrid(np.fft.fftfreq(n), np.fft.fftfreq(n), indexing="ij")
    rho = np.hypot(fy, fx)
    rho[0, 0] = 1.0
    spec = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))) / rho
    img = np.fft.ifft2(spec).real
    (white,) = whiten_images([img], standardise=False)
    power = np.abs(np.fft.fft2(white)) ** 2
    band = lambda lo, hi: power[(rho > lo) & (rho < hi)].mean()  # noqa: E731
    raw_power = np.abs(np.fft.fft2(img)) ** 2
    raw_band = lambda lo, hi: raw_power[(rho > lo) & (rho < hi)].mean()  # noqa: E731
    # 1/f^2 power falls ~25x from 0.04 to 0.2; whitened it is flat within a factor 2
    assert raw_band(0.03, 0.05) / raw_band(0.18, 0.22) > 10
    assert 0.5 < band(0.03, 0.05) / band(0.18, 0.22) < 2


def test_whitened_variance_and_patches():
    rng = np.random.default_rng(1)
    imgs = {"a": rng.integers(0, 255, (40, 50)), "b": rng.integers(0, 255, (32, 32))}
    white = whiten_images(imgs, variance=0.1)
    assert [w.shape for w in white] == [(40, 50), (32, 32)]
    assert np.mean([w.var() for w in white]) == pytest.approx(0.1)
    patches = extract_patches(white, 300, patch_size=16, seed=0)
    assert patches.shape == (300, 256)
    assert np.allclose(patches.mean(axis=1), 0.0, atol=1e-12)
    again = extract_patches(white, 300, patch_size=16, seed=0)
    assert np.array_equal(patches, again)
    assert not np.array_equal(patches, extract_patches(white, 300, patch_size=16, seed=1))
    raw = extract_patches(white, 5, patch_size=8, mean_subtract=False, seed=0)
    assert raw.shape == (5, 64)
    # every raw patch is a real 8x8 window of one of the images
    for p in raw.reshape(5, 8, 8):
        found = False
        for w in white:
            for i in range(w.shape[0] - 7):
                for j in range(w.shape[1] - 7):
                    if np.array_equal(w[i : i + 8, j : j + 8], p):
                        found = True
                        break
                if found:
                    break
        assert found


def test_natural_patches_shipped_images():
    patches = natural_patches(200, seed=3)
    assert patches.shape == (200, 256)
    assert np.allclose(patches.mean(axis=1), 0.0, atol=1e-12)
    # whitened to variance 0.1 before the per-patch mean removal
    assert 0.02 < patches.var() < 0.2


def test_bad_inputs():
    check_bad_input(extract_patches, names="n_patches", images=np.zeros((20, 20)), n_patches=0)
    check_bad_input(
        extract_patches, names="patch_size", images=np.zeros((20, 20)), n_patches=3,
        patch_size=32,
    )  # fmt: skip
    check_bad_input(whiten_images, names="images", images=np.zeros((2, 2, 2, 2)))
    check_bad_input(whiten_images, names="f0", images=np.ones((8, 8)), f0=0.0)
    check_bad_input(whitening_filter, names="shape", shape=(8,))
    with pytest.raises(ValueError, match="constant"):
        whiten_images([np.ones((8, 8))])


# --- readers ---------------------------------------------------------------------------


def test_read_van_hateren_imc(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 65535, (1024, 1536), dtype=np.uint16)
    path = tmp_path / "imk00001.imc"
    img.astype(">u2").tofile(path)
    back = read_van_hateren_imc(path)
    assert back.dtype == np.uint16 and back.shape == (1024, 1536)
    assert np.array_equal(back, img)
    small = tmp_path / "small.imc"
    img[:4, :6].astype(">u2").tofile(small)
    assert np.array_equal(read_van_hateren_imc(small, shape=(4, 6)), img[:4, :6])


def test_read_van_hateren_errors(tmp_path):
    with pytest.raises(DataError, match=r"missing\.imc"):
        read_van_hateren_imc(tmp_path / "missing.imc")
    short = tmp_path / "short.imc"
    short.write_bytes(b"\x00" * 1000)
    with pytest.raises(DataError, match=r"short\.imc.*truncated"):
        read_van_hateren_imc(short)


def test_read_olshausen_v5(tmp_path):
    scipy_io = pytest.importorskip("scipy.io")
    rng = np.random.default_rng(0)
    images = rng.standard_normal((32, 24, 3))  # MATLAB layout (height, width, image)
    path = tmp_path / "IMAGES.mat"
    scipy_io.savemat(path, {"IMAGES": images})
    back = read_olshausen_images(path)
    assert back.shape == (3, 32, 24)
    assert np.array_equal(back, np.moveaxis(images, -1, 0))
    v4 = tmp_path / "IMAGES_v4.mat"
    scipy_io.savemat(v4, {"IMAGES": images[:, :, 0]}, format="4")
    assert np.array_equal(read_olshausen_images(v4)[0], images[:, :, 0])


def test_read_olshausen_v73(tmp_path):
    h5py = pytest.importorskip("h5py")
    rng = np.random.default_rng(1)
    images = rng.standard_normal((16, 20, 2))
    path = tmp_path / "IMAGES73.mat"
    with h5py.File(path, "w", userblock_size=512) as fh:
        fh["IMAGES"] = images.T  # MATLAB v7.3 stores arrays column-major
    with open(path, "r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64".ljust(116, b" "))
    back = read_olshausen_images(path)
    assert np.array_equal(back, np.moveaxis(images, -1, 0))


def test_read_olshausen_errors(tmp_path):
    scipy_io = pytest.importorskip("scipy.io")
    with pytest.raises(DataError, match=r"nope\.mat"):
        read_olshausen_images(tmp_path / "nope.mat")
    junk = tmp_path / "junk.mat"
    junk.write_bytes(b"this is not a MATLAB file at all" * 10)
    with pytest.raises(DataError, match=r"junk\.mat"):
        read_olshausen_images(junk)
    other = tmp_path / "other.mat"
    scipy_io.savemat(other, {"X": np.zeros((4, 4))})
    with pytest.raises(DataError, match="IMAGES"):
        read_olshausen_images(other)
    good = tmp_path / "good.mat"
    scipy_io.savemat(good, {"IMAGES": np.ones((64, 64, 4))})
    cut = tmp_path / "cut.mat"
    cut.write_bytes(good.read_bytes()[:600])
    with pytest.raises(DataError, match=r"cut\.mat"):
        read_olshausen_images(cut)
