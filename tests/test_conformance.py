"""The conformance suite over everything registered: every model of every family and
every study, found by the registries (``docs/ARCHITECTURE.md``, "Conformance").

Nothing here names a model or a study: a new one is checked the day it lands.
"""

from __future__ import annotations

import pytest

from neurosparse.studies import find_studies
from neurosparse.testing import check_model, check_study, registered_models

MODELS = registered_models()
STUDIES = sorted(find_studies())


def test_every_family_registers_models():
    from neurosparse._estimator import families

    kinds = {kind.split(".")[0] for kind in MODELS}
    assert set(families()) <= kinds, f"families without a registered model: {families()}"


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_model_conformance(kind, tmp_path):
    check_model(MODELS[kind], tmp_path)


@pytest.mark.parametrize("study_id", STUDIES)
def test_study_conformance(study_id, tmp_path):
    check_study(study_id, tmp_path)
