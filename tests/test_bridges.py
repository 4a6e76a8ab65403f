"""The bridges together: the README's example, and what every engine shares."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from neurosparse.results import connectivity_from_indices, new_result
from neurosparse.testing import require

torch = require("torch", "torch")
nir = require("nir", "nir")
require("snntorch", "test")

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_example_runs(tmp_path, monkeypatch):
    text = README.read_text()
    section = text[text.index("## Connectivity into PyTorch, brian2 and NIR") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert (tmp_path / "dictionary.nir").exists()
    spikes = namespace["spikes"]
    assert spikes.attrs["kind"] == "bridges.brian2_run"
    layer = namespace["layer"]
    assert int(layer.mask.sum()) == 32 * 16


def test_a_projection_without_synapses_reaches_every_engine(tmp_path):
    from brian2 import ms

    from neurosparse.bridges import from_nir, projections, to_brian2, to_nir, to_torch

    node = connectivity_from_indices(
        np.zeros(0, int), np.zeros(0, int), 5, 3, weight=np.zeros(0, np.float32),
        pre_layer="a", post_layer="b",
    )  # fmt: skip
    tree = new_result("test.empty", source="test", groups={"connectivity/p": node})
    assert projections(tree)[0].n_synapses == 0
    model = to_torch(tree)
    assert not model[0].mask.any()
    assert np.array_equal(model(torch.ones(2, 5)).detach().numpy(), np.zeros((2, 3)))
    back = from_nir(to_nir(tree, tmp_path / "e.nir"))
    assert back["connectivity/p"].sizes["synapse"] == 0
    run = to_brian2(tree).run(5 * ms, spikes=(np.array([0, 1]), np.array([1.0, 2.0]) * ms))
    assert run["activity/spikes/b"].sizes["spike"] == 0
