"""Opt-in real-project proof (`pytest -m slow`): scripts/roundtrip.py on
asgiref, janus and aiofiles. Their own tests must pass after `fix --select
DSP201` exactly as before, with and without unsafe fixes; every changed file
compiles and a second run changes nothing. Skips when the corpus or the test
requirements cannot be fetched (offline)."""

import sys

import pytest

from helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import roundtrip  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.network]


@pytest.fixture(scope="module")
def python():
    try:
        return roundtrip.test_venv()
    except roundtrip.RoundTripError as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("project", list(roundtrip.PROJECTS))
def test_fix_keeps_the_projects_tests_passing(project, python, tmp_path):
    try:
        report = roundtrip.round_trip(project, tmp_path, python)
    except roundtrip.RoundTripError as exc:
        pytest.skip(str(exc))
    text = roundtrip.describe(report)
    for fix in report.fixes:
        assert fix.compiles, text
        assert fix.idempotent, text
        assert fix.newly_failing == [], text
