"""Opt-in: the whole-corpus fix round trip (scripts/fix_roundtrip_corpus.py) passes."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import corpus  # noqa: E402
import fix_roundtrip_corpus  # noqa: E402


@pytest.mark.slow
@pytest.mark.network
def test_every_pinned_project_round_trips(tmp_path):
    try:
        folders = corpus.ensure()
    except corpus.CorpusUnavailable as exc:
        pytest.skip(f"corpus unavailable: {exc}")
    reports = [fix_roundtrip_corpus.round_trip(name, folder, tmp_path) for name, folder in folders.items()]
    assert sum(report.announced for report in reports) > 0, "no fix applied: the test lost its power"
    assert [failure for report in reports for failure in report.failures] == []
