"""skeletonize: Zhang & Suen thinning of binary images."""

import numpy as np
import pytest

from neurosparse.sparsey import skeletonize


def test_thick_shapes_become_one_pixel_lines():
    img = np.zeros((2, 11, 13), bool)
    img[0, 3:7, 1:12] = True  # a horizontal bar, 4 thick
    img[1, 1:10, 4:8] = True  # a vertical bar, 4 thick
    out = skeletonize(img)
    assert out.shape == img.shape and out.dtype == bool
    assert np.all(out <= img)  # a subset of the foreground
    assert out[0].sum(axis=0).max() == 1 and out[0].sum() >= 6  # a line along the bar
    assert out[1].sum(axis=1).max() == 1 and out[1].sum() >= 4
    np.testing.assert_array_equal(skeletonize(out), out)  # thin already: unchanged


def test_batch_equals_one_by_one_and_2d_input():
    rng = np.random.default_rng(0)
    imgs = np.zeros((5, 12, 12), bool)
    for i in range(5):  # blobs of different sizes: they converge after different passes
        r = rng.integers(2, 5)
        imgs[i, 6 - r : 6 + r, 3 : 3 + 2 * r] = True
    batch = skeletonize(imgs)
    for i in range(5):
        np.testing.assert_array_equal(skeletonize(imgs[i]), batch[i])
    np.testing.assert_array_equal(skeletonize(imgs.astype(np.uint8)), batch)
    np.testing.assert_array_equal(skeletonize(imgs.astype(float)), batch)


def test_single_pixels_and_lines_stay():
    img = np.zeros((5, 5), bool)
    img[2, 2] = True
    np.testing.assert_array_equal(skeletonize(img), img)
    img[1:4, 2] = True
    assert skeletonize(img).sum() >= 1


@pytest.mark.parametrize(
    ("value", "exc", "pattern"),
    [
        (np.full((3, 3), 0.5), ValueError, r"images must be binary"),
        (np.zeros(4), ValueError, r"images must have 2 or 3 dimension"),
        (np.array([["a"]]), TypeError, r"images must"),
    ],
)
def test_bad_input(value, exc, pattern):
    with pytest.raises(exc, match=pattern):
        skeletonize(value)
