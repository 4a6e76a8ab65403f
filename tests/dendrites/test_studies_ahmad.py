"""Quick runs of the Ahmad & Hawkins (2016) studies produce valid trees with references."""

import pytest

from neurosparse.studies import get_study
from neurosparse.testing import check_result

IDS = ["fig4a", "fig4b", "fig5b", "fig6", "fig7a", "fig7b"]


@pytest.mark.parametrize("fig", IDS)
def test_quick_study(fig, tmp_path):
    study = get_study(f"ahmad2016/{fig}")
    assert study.paper.startswith("Ahmad & Hawkins 2016")
    tree = check_result(study.run(tmp_path, quick=True, seed=0))
    assert tree.attrs["study"] == f"ahmad2016/{fig}"
    assert len(tree["reference"].data_vars) > 0
    assert all("source" in v.attrs for v in tree["reference"].data_vars.values())
    assert len(tree["metrics"].data_vars) > 0
    for ext in ("nc", "png", "svg"):
        assert (tmp_path / "ahmad2016" / f"{fig}.{ext}").is_file()
    if "agrees" in tree["metrics"]:
        assert bool(tree["metrics"]["agrees"].item())


def test_fig6_quick_matches_published(tmp_path):
    # Ahmad & Hawkins 2016, Fig 6: theta=8: 4.83e-8, theta=12: 7.63e-14 (3 sig. digits)
    tree = get_study("ahmad2016/fig6").run(tmp_path, quick=True)
    assert tree["metrics"]["relative_error_vs_published"].values.max() < 0.01
