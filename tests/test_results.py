"""The result format: round trips, atomic save, load failures, validation, converters."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neurosparse.results import (
    ResultFormatError,
    connectivity_from_indices,
    connectivity_from_mask,
    indices_from_connectivity,
    load,
    make_attrs,
    mask_from_connectivity,
    new_result,
    save,
    spikes_from_dataset,
    spikes_to_dataset,
    validate,
    weights_from_connectivity,
)
from neurosparse.testing import assert_trees_equal, check_result_roundtrip

SUFFIXES = (".nc", ".zarr")

DTYPE_VALUES = {
    "float32": np.array([1.5, np.nan, -3.25e-30, np.inf], dtype=np.float32),
    "float64": np.array([1.5, np.nan, 3e-300, -np.inf]),
    "int8": np.array([1, -2, 3, 127], dtype=np.int8),
    "int32": np.array([1, -2, 3, 2**31 - 1], dtype=np.int32),
    "int64": np.array([1, -2, 3, 2**62], dtype=np.int64),
    "uint8": np.array([0, 1, 2, 255], dtype=np.uint8),
    "bool": np.array([True, False, True, True]),
}


def _tree(**extra) -> xr.DataTree:
    ds = xr.Dataset(
        {
            name: ("sample", values, {"units": "1", "long_name": name})
            for name, values in DTYPE_VALUES.items()
        },
        coords={
            "sample": ("sample", [10, 20, 30, 40], {"long_name": "sample id"}),
            "label": ("sample", np.array(["a", "b", "c", "d"])),
        },
        attrs={"note": "group attr", "count": 3, "ratio": 0.5},
    )
    scalar = xr.Dataset({"mse": ((), 0.125, {"units": "1"}), "flag": ((), np.True_)})
    return new_result(
        "test.demo",
        params={"lam": 0.1, "penalty": "l1", "flag": True, "sizes": [1, 2], "none": None},
        seed=7,
        source="test",
        groups={"activity": ds, "metrics": scalar, **extra},
    )


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_roundtrip_every_dtype(tmp_path, suffix):
    tree = _tree()
    back = load(save(tree, tmp_path / f"r{suffix}"))
    assert_trees_equal(tree, back)
    for name, values in DTYPE_VALUES.items():
        got = back["activity"][name]
        assert got.dtype == values.dtype, name
        np.testing.assert_array_equal(got.values, values)  # NaN positions equal too
    assert np.isnan(back["activity"]["float64"].values[1])
    assert json.loads(back.attrs["params"]) == json.loads(tree.attrs["params"])
    assert json.loads(back.attrs["params"])["flag"] is True
    assert back["activity"].coords["sample"].attrs["long_name"] == "sample id"
    assert list(back["activity"].coords["label"].values) == ["a", "b", "c", "d"]
    assert back["activity"].attrs["note"] == "group attr"
    assert back["metrics"]["flag"].dtype == bool


def test_conformance_helper_roundtrip(tmp_path):
    check_result_roundtrip(_tree(), tmp_path)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_overwrite_replaces(tmp_path, suffix):
    path = tmp_path / f"r{suffix}"
    save(_tree(), path)
    second = new_result("test.other", params={}, seed=1, source="x")
    save(second, path)
    assert load(path).attrs["kind"] == "test.other"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_atomic_save_keeps_old_file_on_failure(tmp_path, monkeypatch, suffix):
    path = tmp_path / f"r{suffix}"
    save(_tree(), path)
    before = load(path)

    method = "to_netcdf" if suffix == ".nc" else "to_zarr"
    original = getattr(xr.DataTree, method)

    def half_write_then_fail(self, target, *args, **kwargs):
        original(self, target, *args, **kwargs)  # a real, complete write to the temp path...
        target = Path(target)
        if target.is_file():  # ...then damage it and die, as a crash mid-write would
            target.write_bytes(target.read_bytes()[:100])
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(xr.DataTree, method, half_write_then_fail)
    with pytest.raises(OSError, match="simulated"):
        save(new_result("test.other", params={}, seed=1, source="x"), path)
    monkeypatch.undo()
    assert_trees_equal(before, load(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name], "temp files left behind"


def test_atomic_save_leaves_nothing_when_first_write_fails(tmp_path, monkeypatch):
    def fail(self, *args, **kwargs):
        raise OSError("simulated")

    monkeypatch.setattr(xr.DataTree, "to_netcdf", fail)
    with pytest.raises(OSError):
        save(_tree(), tmp_path / "new.nc")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_invalid_tree_without_writing(tmp_path):
    tree = _tree()
    tree.attrs.pop("kind")
    with pytest.raises(ResultFormatError, match="kind"):
        save(tree, tmp_path / "bad.nc")
    assert list(tmp_path.iterdir()) == []


def test_save_rejects_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"'\.nc'.*'\.zarr'"):
        save(_tree(), tmp_path / "r.h5")


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_load_missing(tmp_path, suffix):
    with pytest.raises(ResultFormatError, match="no such file") as info:
        load(tmp_path / f"missing{suffix}")
    assert "missing" in str(info.value)


def test_load_truncated(tmp_path):
    path = save(_tree(), tmp_path / "r.nc")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ResultFormatError, match=r"r\.nc.*cannot be read"):
        load(path)


def test_load_garbage(tmp_path):
    path = tmp_path / "g.nc"
    path.write_bytes(b"this is not a netCDF file at all" * 10)
    with pytest.raises(ResultFormatError, match=r"g\.nc"):
        load(path)
    store = tmp_path / "g.zarr"
    store.mkdir()
    (store / "zarr.json").write_text("{not json")
    with pytest.raises(ResultFormatError, match=r"g\.zarr"):
        load(store)


def test_load_empty_file(tmp_path):
    path = tmp_path / "e.nc"
    path.write_bytes(b"")
    with pytest.raises(ResultFormatError, match=r"e\.nc"):
        load(path)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_load_foreign_file(tmp_path, suffix):
    path = tmp_path / f"foreign{suffix}"
    tree = xr.DataTree(dataset=xr.Dataset({"x": ("t", [1.0, 2.0])}))
    if suffix == ".nc":
        tree.to_netcdf(path, engine="h5netcdf")
    else:
        tree.to_zarr(path, consolidated=False)
    with pytest.raises(ResultFormatError, match="not a neurosparse result"):
        load(path)


def test_load_reports_format_breaks_with_path(tmp_path):
    tree = _tree()
    path = save(tree, tmp_path / "r.nc")
    broken = load(path)
    broken.attrs["kind"] = "NoDot"
    xr.DataTree.to_netcdf(broken, path, engine="h5netcdf")
    with pytest.raises(ResultFormatError, match=r"r\.nc.*kind"):
        load(path)
    assert load(path, check=False).attrs["kind"] == "NoDot"


def test_make_attrs_provenance():
    attrs = make_attrs("coding.dictionary", {"lam": np.float32(0.5), "n": np.int64(3)}, 4, "src")
    assert attrs["kind"] == "coding.dictionary"
    assert json.loads(attrs["params"]) == {"lam": 0.5, "n": 3}
    assert attrs["seed"] == 4 and attrs["source"] == "src"
    assert attrs["created_at"].endswith("+00:00")
    assert make_attrs("a.b", seed=None)["seed"] == "none"
    assert make_attrs("a.b", seed=np.random.default_rng(0))["seed"].startswith("Generator {")
    with pytest.raises(ValueError, match="kind"):
        make_attrs("nodot")
    with pytest.raises(TypeError, match="params"):
        make_attrs("a.b", params=[1, 2])
    with pytest.raises(TypeError, match="JSON"):
        make_attrs("a.b", params={"f": object()})


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t.attrs.pop("seed"), "missing root attrs"),
        (lambda t: t.attrs.update(params="{not json"), "params"),
        (lambda t: t.attrs.update(created_at="yesterday"), "created_at"),
        (lambda t: t.attrs.update(kind="Bad Kind"), "kind"),
        (lambda t: t.__setitem__("junk", xr.DataTree()), "node /junk"),
        (
            lambda t: t.__setitem__("metrics/deep", xr.DataTree(xr.Dataset({"v": ("weird", [1])}))),
            "node /metrics/deep.*'weird'",
        ),
        (
            lambda t: t.__setitem__("reference", xr.DataTree(xr.Dataset({"v": 1.0}))),
            "node /reference.*source",
        ),
    ],
)
def test_validate_names_offending_node(mutate, message):
    tree = _tree()
    mutate(tree)
    with pytest.raises(ResultFormatError, match=message):
        validate(tree)


def test_extra_dims_declared():
    ds = xr.Dataset({"v": ("lam", [1.0, 2.0])})
    with pytest.raises(ResultFormatError, match="'lam'"):
        new_result("a.b", groups={"metrics": ds})
    tree = new_result("a.b", groups={"metrics": ds}, extra_dims=["lam"])
    assert json.loads(tree.attrs["extra_dims"]) == ["lam"]


def test_connectivity_coo_and_mask_agree(tmp_path):
    rng = np.random.default_rng(0)
    mask = rng.random((5, 7)) < 0.4
    weight = rng.standard_normal((5, 7)).astype(np.float32)
    coo = connectivity_from_mask(mask, weight=weight, pre_layer="in", post_layer="hidden")
    dense = connectivity_from_mask(mask, weight=weight, dense=True)
    assert coo.attrs == {"n_pre": 7, "n_post": 5, "pre_layer": "in", "post_layer": "hidden"}
    np.testing.assert_array_equal(mask_from_connectivity(coo), mask)
    np.testing.assert_array_equal(mask_from_connectivity(dense), mask)
    np.testing.assert_array_equal(weights_from_connectivity(coo), np.where(mask, weight, 0))
    np.testing.assert_array_equal(weights_from_connectivity(dense), np.where(mask, weight, 0))
    tree = new_result("test.conn", groups={"connectivity/a": coo, "connectivity/b": dense})
    back = load(save(tree, tmp_path / "c.nc"))
    pre, post, w = indices_from_connectivity(back["connectivity/a"])
    assert w.dtype == np.float32
    np.testing.assert_array_equal(mask[post, pre], True)
    np.testing.assert_array_equal(mask_from_connectivity(back["connectivity/b"]), mask)


def test_connectivity_errors():
    with pytest.raises(ValueError, match=r"pre indices must lie in \[0, 3\)"):
        connectivity_from_indices([0, 3], [0, 0], 3, 2)
    with pytest.raises(ValueError, match="same length"):
        connectivity_from_indices([0, 1], [0], 3, 2)
    with pytest.raises(TypeError, match="boolean"):
        connectivity_from_mask(np.ones((2, 2)))
    with pytest.raises(ValueError, match="one value per synapse"):
        connectivity_from_indices([0, 1], [0, 1], 3, 2, weight=[1.0])
    tree = new_result(
        "test.conn",
        groups={"connectivity/a": connectivity_from_indices([0, 1], [1, 0], 2, 2)},
    )
    tree["connectivity/a"].attrs.pop("n_pre")
    with pytest.raises(ResultFormatError, match="connectivity/a.*n_pre"):
        validate(tree)


def test_spikes_roundtrip(tmp_path):
    spikes = spikes_to_dataset([2, 0, 1], [0.3, 0.1, 0.1], 3, units="ms", duration=1.0)
    tree = new_result("test.spikes", groups={"activity/spikes": spikes})
    back = load(save(tree, tmp_path / "s.zarr"))
    neuron, time = spikes_from_dataset(back["activity/spikes"])
    np.testing.assert_array_equal(neuron, [0, 1, 2])
    np.testing.assert_array_equal(time, [0.1, 0.1, 0.3])
    assert back["activity/spikes"]["time"].attrs["units"] == "ms"
    with pytest.raises(ValueError, match=r"neuron indices"):
        spikes_to_dataset([5], [0.0], 3)


def test_no_pickle_in_package():
    root = Path(__file__).resolve().parents[1] / "neurosparse"
    for path in root.rglob("*.py"):
        text = path.read_text()
        assert "import pickle" not in text and "allow_pickle=True" not in text, path


# ------------------------------------------------------------------- data integrity


def _two_variable_tree():
    ds = xr.Dataset(
        {
            "a": ("step", np.arange(50.0), {"long_name": "a"}),
            "b": ("step", np.linspace(0, 1, 50), {"long_name": "b"}),
        }
    )
    return new_result("test.integrity", source="x", groups={"metrics": ds})


def test_zarr_store_that_lost_a_variable_fails_to_load(tmp_path):
    # was: `info` said valid and `load` returned the variable as all NaN
    path = save(_two_variable_tree(), tmp_path / "r.zarr")
    chunks = [p for p in (path / "metrics" / "b").rglob("*") if p.is_file() and "c" in p.parts]
    assert chunks, "expected chunk files under metrics/b"
    for chunk in chunks:
        chunk.unlink()
    with pytest.raises(ResultFormatError, match=r"/metrics/b .*lost or damaged"):
        load(path)


def test_netcdf_with_changed_values_fails_to_load(tmp_path):
    tree = _two_variable_tree()
    path = save(tree, tmp_path / "r.nc")
    import h5py

    with h5py.File(path, "r+") as f:
        f["metrics/a"][3] = -1.0
    with pytest.raises(ResultFormatError, match=r"/metrics/a "):
        load(path)
    assert "neurosparse_checksums" not in tree.attrs  # the caller's tree is untouched


def test_checksums_stay_in_the_file(tmp_path):
    tree = _two_variable_tree()
    for suffix in (".nc", ".zarr"):
        back = load(save(tree, tmp_path / f"r{suffix}"))
        assert "neurosparse_checksums" not in back.attrs


def test_zarr_opens_with_plain_xarray_without_warning(tmp_path):
    import warnings

    path = save(_two_variable_tree(), tmp_path / "r.zarr")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opened = xr.open_datatree(path, engine="zarr")
    assert float(opened["metrics"]["b"][-1]) == 1.0


def test_save_where_it_cannot_write_is_one_clear_error(tmp_path):
    # was: a raw FileExistsError
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError, match=r"cannot write a result to .*file/x\.nc"):
        save(_two_variable_tree(), blocker / "x.nc")


def test_damaged_netcdf_reports_one_line_and_no_backend_noise(tmp_path, capfd):
    path = save(_two_variable_tree(), tmp_path / "r.nc")
    data = bytearray(path.read_bytes())
    data[:8] = b"garbage!"
    path.write_bytes(bytes(data))
    import h5py

    plain = tmp_path / "plain.nc"
    with h5py.File(plain, "w") as f:
        f["x"] = [1, 2]
    for bad in (path, plain):
        with pytest.raises(ResultFormatError, match=str(bad.name)):
            load(bad)
    err = capfd.readouterr().err
    assert "Exception ignored" not in err and "Warning" not in err
