"""Every fixture folder is checked exactly: its `# error: CODE` markers are the
whole list of expected findings, no more and no fewer."""

from pathlib import Path

import pytest

from helpers import ROOT, expected_markers, fixture_findings

FIXTURES = ROOT / "fixtures"
FOLDERS = sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name not in {"bad_input"})


def fixture_files(folder: Path):
    return sorted(p for p in folder.rglob("*.py") if not p.name.endswith(".fixed.py"))


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_fixture_folder_findings_are_exact(folder):
    findings = fixture_findings()[str(folder.relative_to(ROOT))]
    actual = {(Path(f["path"]).as_posix(), f["line"], f["code"]) for f in findings}
    expected = expected_markers(fixture_files(folder), ROOT)
    assert not (expected - actual), f"missing findings: {sorted(expected - actual)}"
    assert not (actual - expected), f"unexpected findings: {sorted(actual - expected)}"


def test_every_fixture_folder_has_findings():
    for folder in FOLDERS:
        assert expected_markers(fixture_files(folder), ROOT), f"{folder} marks no finding"
