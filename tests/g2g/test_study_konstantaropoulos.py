"""The G2GNet study: its result's layout, the dense sharing, and claims from its numbers."""

from __future__ import annotations

import numpy as np

from neurosparse.results import claims_table
from neurosparse.studies import find_studies
from neurosparse.testing import quick_study_result, require

require("torch", "torch")

STUDY = "konstantaropoulos2025/accuracy_vs_sparsity"


def test_quick_result_has_the_named_metrics_and_honest_claims():
    assert STUDY in find_studies()
    tree = quick_study_result(STUDY)
    m = tree["metrics"].to_dataset()
    acc = m["accuracy"]
    assert set(acc.dims) == {"dataset", "method", "sparsity", "seed"}
    assert np.isfinite(acc.values).all() and ((acc >= 0) & (acc <= 1)).all()
    # at 0 % sparsity every method is the dense network
    at0 = acc.sel({"sparsity": 0.0}).values
    assert np.all(at0 == at0[:, :1])
    # the dense network does not depend on the sparsity axis
    dense = acc.sel({"method": "dense"}).values
    assert np.all(dense == dense[:, :1])
    blocks = m["block_synapses"].values
    assert blocks[0].sum() == blocks[1].sum() > 0  # DST keeps the synapse count
    claims = claims_table(tree)
    assert len(claims) == 2 * m.sizes["dataset"]
    mean = m["accuracy_mean"].sel({"sparsity": 0.75})
    for c in claims:
        if "Hebbian regrowth" in c.statement:
            name = c.statement.split(":")[0]
            heb = float(mean.sel({"dataset": name, "method": "g2g_hebbian"}))
            rival = max(float(mean.sel({"dataset": name, "method": k})) for k in ("set", "rigl"))
            assert c.verdict == ("agrees" if heb > rival else "differs")
