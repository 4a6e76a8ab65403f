"""Sequence data: moving digits (generated) and the class/sequence/frame folder reader."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from neurosparse.datasets import (
    MOTIONS,
    DataError,
    FrameSequences,
    MovingDigits,
    load_mnist_subset,
    moving_digits,
    read_frame_folders,
)

COMPASS = {
    "east": (0, 1),
    "north-east": (-1, 1),
    "north": (-1, 0),
    "north-west": (-1, -1),
    "west": (0, -1),
    "south-west": (1, -1),
    "south": (1, 0),
    "south-east": (1, 1),
}


def centre_of_mass(frames: np.ndarray) -> np.ndarray:
    """(..., 2) row and column of the centre of mass of each frame."""
    rows = np.arange(frames.shape[-2])
    cols = np.arange(frames.shape[-1])
    mass = frames.sum(axis=(-2, -1))
    return np.stack(
        [
            (frames.sum(axis=-1) * rows).sum(axis=-1) / mass,
            (frames.sum(axis=-2) * cols).sum(axis=-1) / mass,
        ],
        axis=-1,
    )


def blocks(n: int = 4, side: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """Uniform white squares: the digit fills its box, so its centre of mass is the box's."""
    return np.full((n, side, side), 255, dtype=np.uint8), np.arange(n) % 2


# --- moving_digits ------------------------------------------------------------------------


def test_motions_constant():
    assert len(MOTIONS) == 10 and len(set(MOTIONS)) == 10
    assert MOTIONS[:8] == tuple(COMPASS)
    assert set(MOTIONS[8:]) == {"clockwise", "counter-clockwise"}


def test_shapes_and_ranges_from_shipped_subset():
    data = moving_digits(30, n_frames=5, canvas=28, digit_size=12, speed=3, seed=0)
    assert isinstance(data, MovingDigits) and len(data) == 30
    assert data.frames.shape == (30, 5, 28, 28) and data.frames.dtype == np.float32
    assert data.frames.min() >= 0.0 and data.frames.max() <= 1.0 and data.frames.max() > 0.5
    for labels, high in ((data.digit, 9), (data.motion, 9)):
        assert labels.shape == (30,) and labels.dtype == np.int64
        assert labels.min() >= 0 and labels.max() <= high
    assert data.motions == MOTIONS
    _, source_labels = load_mnist_subset()
    np.testing.assert_array_equal(data.digit, source_labels[data.source_index])


def test_defaults():
    data = moving_digits(3, seed=1)
    assert data.frames.shape == (3, 8, 32, 32)


@pytest.mark.parametrize(
    "make_seed",
    [lambda: 7, lambda: np.random.default_rng(7), lambda: np.random.SeedSequence(7)],
    ids=["int", "generator", "seedsequence"],
)
def test_same_seed_same_sequences(make_seed):
    a = moving_digits(12, n_frames=4, seed=make_seed())
    b = moving_digits(12, n_frames=4, seed=make_seed())
    for field in ("frames", "digit", "motion", "source_index"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_different_seeds_differ():
    a = moving_digits(12, n_frames=4, seed=0)
    b = moving_digits(12, n_frames=4, seed=1)
    assert not np.array_equal(a.frames, b.frames)
    assert not np.array_equal(a.source_index, b.source_index)


@pytest.mark.parametrize("name", list(COMPASS))
def test_compass_motion_moves_centre_of_mass(name):
    speed, n_frames = 2, 6
    data = moving_digits(
        6, n_frames=n_frames, canvas=32, digit_size=14, motion=name, speed=speed, seed=3
    )
    assert np.all(data.motion == MOTIONS.index(name))
    com = centre_of_mass(data.frames)  # (sequence, frame, 2): row, column
    # a rigid whole-pixel shift: the centre of mass moves by exactly the step each frame
    step = np.diff(com, axis=1)
    expected = speed * np.array(COMPASS[name], dtype=float)
    np.testing.assert_allclose(step, np.broadcast_to(expected, step.shape), atol=1e-4)
    drow, dcol = (com[:, -1] - com[:, 0]).T
    if "east" in name:
        assert np.all(dcol > 0)
    if "west" in name:
        assert np.all(dcol < 0)
    if "north" in name:
        assert np.all(drow < 0)  # north is up: the row index decreases
    if "south" in name:
        assert np.all(drow > 0)


@pytest.mark.parametrize("name, sense", [("counter-clockwise", 1), ("clockwise", -1)])
def test_rotation_turns_about_the_centre(name, sense):
    images, labels = blocks()
    canvas, size, speed = 32, 12, 2.0
    data = moving_digits(
        8, n_frames=10, canvas=canvas, digit_size=size, motion=name, speed=speed,
        images=images, labels=labels, seed=4,
    )  # fmt: skip
    com = centre_of_mass(data.frames)
    centre = (canvas - 1) / 2
    y, x = centre - com[..., 0], com[..., 1] - centre  # y up, as seen on screen
    radius = (canvas - size) / 2
    np.testing.assert_allclose(np.hypot(x, y), radius, atol=0.75)  # whole-pixel rounding
    turn = np.diff(np.unwrap(np.arctan2(y, x), axis=1), axis=1)
    assert np.all(np.sign(turn) == sense)  # counter-clockwise: the angle increases
    np.testing.assert_allclose(turn, sense * speed / radius, atol=0.2)


@pytest.mark.parametrize("name, sense", [("counter-clockwise", 1), ("clockwise", -1)])
def test_rotation_of_mnist_digits_has_the_right_sense(name, sense):
    data = moving_digits(8, n_frames=8, motion=name, speed=2, seed=5)
    com = centre_of_mass(data.frames)
    x, y = com[..., 1], -com[..., 0]
    # signed area of the path closed by its chord: > 0 counter-clockwise; a digit's
    # centre of mass runs on a shifted copy of its box's circle, with the same area
    area = 0.5 * (x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y).sum(axis=1)
    assert np.all(np.sign(area) == sense)


def test_digit_stays_inside_the_canvas():
    # the tightest fit: digit_size + speed * (n_frames - 1) == canvas, every motion
    images, labels = blocks()
    canvas, size, n_frames, speed = 24, 10, 8, 2
    data = moving_digits(
        400, n_frames=n_frames, canvas=canvas, digit_size=size, speed=speed,
        images=images, labels=labels, seed=6,
    )  # fmt: skip
    assert set(np.unique(data.motion)) == set(range(10))
    counts = np.count_nonzero(data.frames, axis=(2, 3))
    np.testing.assert_array_equal(counts, size * size)  # never clipped
    np.testing.assert_array_equal(data.frames.sum(axis=(2, 3)), size * size)
    # starts are drawn over the whole allowed range: both borders are reached
    frames = data.frames
    assert frames[..., 0, :].any() and frames[..., -1, :].any()
    assert frames[..., :, 0].any() and frames[..., :, -1].any()


def test_real_digits_are_never_clipped():
    data = moving_digits(200, n_frames=9, canvas=30, digit_size=14, speed=2, seed=7)
    mass = data.frames.sum(axis=(2, 3))
    np.testing.assert_allclose(mass, mass[:, :1].repeat(9, axis=1), rtol=1e-5)


def test_fractional_speed_moves_whole_pixels():
    images, labels = blocks()
    data = moving_digits(
        5, n_frames=5, canvas=20, digit_size=8, motion="east", speed=1.5,
        images=images, labels=labels, seed=8,
    )  # fmt: skip
    com = centre_of_mass(data.frames)
    np.testing.assert_allclose(com, np.round(com - 0.5) + 0.5, atol=1e-4)  # box of 8
    steps = np.diff(com[..., 1], axis=1)
    assert np.all((steps >= 0.99) & (steps <= 2.01))
    np.testing.assert_allclose(com[:, -1, 1] - com[:, 0, 1], 6.0, atol=1e-4)


def test_still_digits_and_a_full_canvas():
    data = moving_digits(10, n_frames=3, canvas=16, digit_size=16, speed=0, seed=9)
    np.testing.assert_array_equal(data.frames[:, 0], data.frames[:, 2])


def test_downscaling_is_area_average():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    data = moving_digits(
        6, n_frames=2, canvas=14, digit_size=14, speed=0, images=images,
        labels=np.arange(3), seed=0,
    )  # fmt: skip
    expected = images.reshape(3, 14, 2, 14, 2).mean(axis=(2, 4)) / 255
    np.testing.assert_allclose(data.frames[:, 0], expected[data.source_index], atol=1e-6)
    # a non-integer factor keeps a uniform image uniform (weights sum to one)
    flat = np.full((1, 28, 28), 0.5)
    data = moving_digits(1, n_frames=1, canvas=11, digit_size=11, images=flat, labels=[0], seed=0)
    np.testing.assert_allclose(data.frames, 0.5, atol=1e-6)


def test_motion_restriction():
    data = moving_digits(60, n_frames=3, motion=("west", "clockwise", "west"), seed=2)
    assert set(np.unique(data.motion)) == {MOTIONS.index("west"), MOTIONS.index("clockwise")}
    data = moving_digits(10, n_frames=3, motion="north", seed=2)
    assert np.all(data.motion == MOTIONS.index("north"))
    # the order of the names given does not change the draws
    a = moving_digits(10, n_frames=3, motion=["east", "west"], seed=3)
    b = moving_digits(10, n_frames=3, motion=["west", "east"], seed=3)
    np.testing.assert_array_equal(a.frames, b.frames)


def test_splits_use_disjoint_source_images():
    # 2 classes, interleaved, 11 and 9 images; image i is uniform with value (i + 1) / 32
    n = 20
    labels = np.array([0, 1] * 9 + [0, 0])
    images = np.broadcast_to(((np.arange(n) + 1) / 32)[:, None, None], (n, 8, 8)).copy()
    first_halves = set()
    for value in (0, 1):
        members = np.flatnonzero(labels == value)
        first_halves |= set(members[: (members.size + 1) // 2].tolist())
    seen = {}
    for split in ("train", "test"):
        data = moving_digits(
            300, n_frames=2, canvas=10, digit_size=4, speed=1, split=split,
            images=images, labels=labels, seed=0,
        )  # fmt: skip
        # identify each sequence's image from its pixel values alone
        value = data.frames.max(axis=(1, 2, 3))
        used = np.rint(value * 32).astype(int) - 1
        np.testing.assert_array_equal(used, data.source_index)
        np.testing.assert_array_equal(data.digit, labels[used])
        seen[split] = set(used.tolist())
    assert seen["train"] == first_halves  # every image of the half is drawn
    assert seen["test"] == set(range(n)) - first_halves
    assert not seen["train"] & seen["test"]


def test_splits_of_the_shipped_subset():
    _, labels = load_mnist_subset()
    start = np.searchsorted(labels, np.arange(10))  # sorted by label, 500 per class
    for split, inside in (("train", lambda k: k < 250), ("test", lambda k: k >= 250)):
        data = moving_digits(200, n_frames=2, split=split, seed=11)
        within_class = data.source_index - start[data.digit]
        assert np.all(inside(within_class)) and np.all(within_class < 500)


def test_moving_digits_user_images_other_shape():
    images = np.zeros((2, 20, 12), dtype=np.uint8)
    images[:, 5:15, 3:9] = 200
    data = moving_digits(4, n_frames=3, canvas=16, digit_size=8, images=images, labels=[3, 4])
    assert data.frames.shape == (4, 3, 16, 16) and set(data.digit) <= {3, 4}


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_sequences": 0}, ValueError, r"n_sequences must be an integer in \[1, inf\), got 0"),
        ({"n_sequences": 2.0}, TypeError, "n_sequences must be an integer, got 2.0"),
        ({"n_sequences": True}, TypeError, "n_sequences must be an integer"),
        ({"n_frames": 0}, ValueError, "n_frames must be an integer"),
        ({"canvas": 0}, ValueError, "canvas must be an integer"),
        ({"digit_size": 0}, ValueError, r"digit_size must be an integer in \[1, 32\], got 0"),
        ({"digit_size": 40}, ValueError, r"digit_size must be an integer in \[1, 32\], got 40"),
        ({"speed": -1}, ValueError, r"speed must be a number in \[0.0, inf\), got -1"),
        ({"speed": "2"}, TypeError, "speed must be a real number, got '2'"),
        ({"speed": float("nan")}, ValueError, "speed must be finite"),
        ({"motion": "up"}, ValueError, r"unknown motion name\(s\) 'up'; the names are 'east'"),
        ({"motion": ["east", "left"]}, ValueError, "unknown motion name.*'left'"),
        ({"motion": []}, ValueError, "motion is empty"),
        ({"motion": 3}, TypeError, "motion must be 'all', a motion name or a sequence"),
        ({"motion": ["east", 3]}, TypeError, "motion names must be strings, got 3"),
        ({"split": "val"}, ValueError, "split must be one of 'all', 'train', 'test'; got 'val'"),
        ({"seed": -1}, ValueError, "seed must be a non-negative integer"),
        ({"seed": "a"}, TypeError, "seed must be an int"),
    ],
)
def test_moving_digits_bad_arguments(kwargs, error, match):
    kwargs = {"n_sequences": 2, **kwargs}
    with pytest.raises(error, match=match):
        moving_digits(**kwargs)


def test_compass_motion_that_does_not_fit():
    # 16 + 3 * 7 = 37 > 32
    with pytest.raises(ValueError) as info:
        moving_digits(2, n_frames=8, canvas=32, digit_size=16, speed=3)
    message = str(info.value)
    assert "motion 'east' does not fit in the canvas" in message
    assert "3 * 7 = 21 pixels" in message and "> canvas = 32" in message
    for option in ("n_frames <= 6", "speed <= 2.285", "digit_size <= 11", "canvas >= 37"):
        assert option in message
    assert "'south-east'" in message  # the other compass motions are listed
    assert "these fit: 'clockwise', 'counter-clockwise'" in message
    # each suggestion does fit
    moving_digits(2, n_frames=6, canvas=32, digit_size=16, speed=3)
    moving_digits(2, n_frames=8, canvas=32, digit_size=16, speed=2.285)
    moving_digits(2, n_frames=8, canvas=32, digit_size=11, speed=3)
    # restricted to the rotations, the same settings are fine
    moving_digits(2, n_frames=8, canvas=32, digit_size=16, speed=3, motion="clockwise")


def test_rotation_that_does_not_fit():
    with pytest.raises(ValueError, match=r"'clockwise' does not fit.*fills the canvas"):
        moving_digits(2, canvas=16, digit_size=16, speed=1, motion="clockwise")
    # radius 2: at most pi pixels of arc per frame (a quarter turn)
    with pytest.raises(ValueError, match=r"radius .* = 2 pixels.*speed <= 3.141"):
        moving_digits(2, n_frames=2, canvas=20, digit_size=16, speed=4, motion="clockwise")
    moving_digits(2, n_frames=2, canvas=20, digit_size=16, speed=3.141, motion="clockwise")
    # still digits or a single frame always fit
    moving_digits(2, canvas=16, digit_size=16, speed=0)
    moving_digits(2, n_frames=1, canvas=16, digit_size=16, speed=5)


def _bad_sources():
    images = np.zeros((4, 8, 8), dtype=np.uint8)
    labels = np.arange(4)
    return [
        ({"images": images}, ValueError, "images and labels must be given together: got images"),
        ({"labels": labels}, ValueError, "given together: got labels but images=None"),
        ({"images": images[0], "labels": labels}, ValueError, r"images must have 3 dim.*\(8, 8\)"),
        ({"images": images, "labels": labels[:, None]}, ValueError, "labels must have 1 dim"),
        ({"images": images, "labels": labels[:3]}, ValueError, "labels has 3 entries for 4 images"),
        ({"images": images, "labels": labels + 0.5}, TypeError, "labels must be integers"),
        (
            {"images": images.astype(np.int16) + 300, "labels": labels},
            ValueError,
            r"values must be in 0\.\.255",
        ),
        (
            {"images": images - 1.0, "labels": labels},
            ValueError,
            r"must be in \[0, 1\], got min -1",
        ),
        ({"images": images.astype(str), "labels": labels}, TypeError, "images must hold numbers"),
        ({"images": images[:0], "labels": labels[:0]}, ValueError, "images is empty"),
        (
            {"images": images, "labels": labels, "split": "test"},
            ValueError,
            "split='test' leaves no source images",
        ),
    ]


@pytest.mark.parametrize("kwargs, error, match", _bad_sources())
def test_moving_digits_bad_sources(kwargs, error, match):
    with pytest.raises(error, match=match):
        moving_digits(2, canvas=8, digit_size=4, n_frames=2, **kwargs)


# --- read_frame_folders -------------------------------------------------------------------


def save_png(path, array) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array)).save(path)


def frame(value: int, shape=(6, 5)) -> np.ndarray:
    """A uint8 frame whose pixels encode ``value`` (and their position)."""
    return ((np.arange(np.prod(shape)).reshape(shape) + 7 * value) % 256).astype(np.uint8)


@pytest.fixture
def frame_tree(tmp_path):
    """walk/: seq2 (frames 1, 2, 10), seq10 (frames 0, 1); run/: a (frames 0..3)."""
    root = tmp_path / "frames"
    for number in (1, 2, 10):
        save_png(root / "walk" / "seq2" / f"frame{number}.png", frame(number))
    for number in (0, 1):
        save_png(root / "walk" / "seq10" / f"frame{number}.png", frame(20 + number))
    for number in range(4):
        save_png(root / "run" / "a" / f"img_{number:03d}.PNG", frame(40 + number))
    # skipped: other extensions, hidden files, loose files at the top
    (root / "walk" / "seq2" / "notes.txt").write_text("not a frame")
    (root / "walk" / "seq2" / "._frame3.png").write_bytes(b"resource fork, not an image")
    (root / "README").write_text("frames of two actions")
    return root


def test_read_frames_exactly(frame_tree):
    data = read_frame_folders(frame_tree)
    assert isinstance(data, FrameSequences) and len(data) == 3
    assert data.classes == ("run", "walk")
    assert data.names == ("a", "seq2", "seq10")  # natural order: seq2 before seq10
    assert data.labels.dtype == np.int64 and data.labels.tolist() == [0, 1, 1]
    np.testing.assert_array_equal(data.lengths, [4, 3, 2])
    expected = {
        "a": [40, 41, 42, 43],
        "seq2": [1, 2, 10],  # natural order: frame2 before frame10
        "seq10": [20, 21],
    }
    for name, frames in zip(data.names, data.frames):
        assert frames.dtype == np.float32 and frames.shape == (len(expected[name]), 6, 5)
        want = np.stack([frame(v) for v in expected[name]]).astype(np.float32) / np.float32(255)
        np.testing.assert_array_equal(frames, want)


def test_read_frames_resize_and_max_frames(frame_tree):
    data = read_frame_folders(frame_tree, size=(3, 4), max_frames=2)
    np.testing.assert_array_equal(data.lengths, [2, 2, 2])
    assert all(frames.shape == (2, 3, 4) for frames in data.frames)
    assert all(frames.min() >= 0 and frames.max() <= 1 for frames in data.frames)
    # frames beyond max_frames are not read: a corrupt one there goes unnoticed
    (frame_tree / "run" / "a" / "img_999.png").write_bytes(b"not an image")
    read_frame_folders(frame_tree, max_frames=4)
    with pytest.raises(DataError):
        read_frame_folders(frame_tree, max_frames=5)


def test_resize_keeps_a_uniform_frame_uniform(tmp_path):
    save_png(tmp_path / "c" / "s" / "f1.png", np.full((10, 12), 102, dtype=np.uint8))
    data = read_frame_folders(tmp_path, size=(4, 5))
    np.testing.assert_allclose(data.frames[0], 102 / 255, atol=1e-6)


def test_stack(frame_tree):
    data = read_frame_folders(frame_tree)
    stacked = data.stack(2)
    assert stacked.shape == (3, 2, 6, 5) and stacked.dtype == np.float32
    np.testing.assert_array_equal(stacked[1], data.frames[1][:2])
    match = r"n_frames=3 is more than 1 of the 3 sequences.*walk/seq10 \(2 frames\); n_frames <= 2"
    with pytest.raises(ValueError, match=match):
        data.stack(3)
    with pytest.raises(ValueError, match="n_frames must be an integer"):
        data.stack(0)


def test_frames_of_different_shapes(frame_tree):
    save_png(frame_tree / "walk" / "seq10" / "frame5.png", frame(5, shape=(6, 6)))
    match = r"seq10.frame5\.png: frame is 6x6.*first frame.*img_000\.PNG, is 6x5.*give size="
    with pytest.raises(DataError, match=match):
        read_frame_folders(frame_tree)
    data = read_frame_folders(frame_tree, size=(6, 5))
    assert data.frames[2].shape == (3, 6, 5)


def test_rgb_and_sixteen_bit(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, size=(4, 3, 3), dtype=np.uint8)
    save_png(tmp_path / "rgb" / "c" / "s" / "f1.png", rgb)
    data = read_frame_folders(tmp_path / "rgb", grayscale=False)
    assert data.frames[0].shape == (1, 4, 3, 3)
    np.testing.assert_array_equal(data.frames[0][0], rgb.astype(np.float32) / np.float32(255))
    gray = np.asarray(Image.fromarray(rgb).convert("L")).astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(read_frame_folders(tmp_path / "rgb").frames[0][0], gray)
    resized = read_frame_folders(tmp_path / "rgb", grayscale=False, size=(2, 2))
    assert resized.frames[0].shape == (1, 2, 2, 3)

    deep = np.array([[0, 1000], [40000, 65535]], dtype=np.uint16)
    save_png(tmp_path / "deep" / "c" / "s" / "f1.png", deep)
    data = read_frame_folders(tmp_path / "deep")
    np.testing.assert_allclose(data.frames[0][0], deep / 65535, rtol=1e-6)


def test_corrupt_frame_is_named(frame_tree):
    bad = frame_tree / "walk" / "seq2" / "frame3.png"
    bad.write_bytes(b"these bytes are not an image")
    with pytest.raises(DataError, match=r"frame3\.png: cannot be read as an image"):
        read_frame_folders(frame_tree)


def test_truncated_frame_is_named(tmp_path):
    save_png(tmp_path / "c" / "s" / "f1.png", frame(1, shape=(40, 40)))
    path = tmp_path / "c" / "s" / "f1.png"
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(DataError, match=r"f1\.png: cannot be read as an image"):
        read_frame_folders(tmp_path)


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(DataError, match=r"nowhere: folder not found; expected path/<class"):
        read_frame_folders(tmp_path / "nowhere")
    (tmp_path / "file.png").write_bytes(b"")
    with pytest.raises(DataError, match="file.png: a file, not a folder"):
        read_frame_folders(tmp_path / "file.png")
    root = tmp_path / "root"
    root.mkdir()
    (root / ".hidden").mkdir()
    with pytest.raises(DataError, match="root: no class folders"):
        read_frame_folders(root)
    (root / "walk").mkdir()
    with pytest.raises(DataError, match=r"walk: class folder with no sequence folders; expect"):
        read_frame_folders(root)
    save_png(root / "walk" / "f1.png", frame(1))
    with pytest.raises(DataError, match=r"holds 1 frame file\(s\) directly"):
        read_frame_folders(root)
    (root / "walk" / "seq1").mkdir()
    (root / "walk" / "seq1" / "notes.txt").write_text("no frames here")
    with pytest.raises(DataError, match=r"seq1: sequence folder with no frames \(no files endin"):
        read_frame_folders(root)
    # the layout is checked before any image is read: the other class is not reached
    save_png(root / "aaa" / "s" / "f1.png", frame(1))
    with pytest.raises(DataError, match="seq1: sequence folder with no frames"):
        read_frame_folders(root)


def test_extensions(frame_tree):
    assert len(read_frame_folders(frame_tree, extensions=".png")) == 3  # one, as a str
    with pytest.raises(DataError, match="no frames"):
        read_frame_folders(frame_tree, extensions=(".jpg",))
    (frame_tree / "walk" / "seq2" / "notes.txt").write_bytes(b"not an image either")
    with pytest.raises(DataError, match=r"notes\.txt: cannot be read"):
        read_frame_folders(frame_tree, extensions=(".png", ".TXT"))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"size": (0, 3)}, ValueError, r"size\[0\] must be an integer in \[1, inf\), got 0"),
        ({"size": (3, 2.5)}, TypeError, r"size\[1\] must be an integer, got 2.5"),
        ({"size": (3,)}, TypeError, r"size must be None or \(height, width\)"),
        ({"size": "ab"}, TypeError, r"size must be None or \(height, width\)"),
        ({"grayscale": 1}, TypeError, r"grayscale must be a bool \(True or False\), got 1"),
        ({"max_frames": 0}, ValueError, "max_frames must be an integer in"),
        ({"extensions": ("png",)}, ValueError, "extensions must be strings starting with a dot"),
        ({"extensions": ()}, ValueError, "extensions is empty"),
        ({"extensions": 5}, TypeError, "extensions must be a sequence of file extensions"),
    ],
)
def test_read_frame_folders_bad_arguments(tmp_path, kwargs, error, match):
    # arguments are checked before the path: a missing folder is not reported first
    with pytest.raises(error, match=match):
        read_frame_folders(tmp_path / "missing", **kwargs)
