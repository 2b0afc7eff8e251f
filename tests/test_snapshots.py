"""Fix snapshots: for every `fixtures/**/X.py` with a sibling `X.fixed.py`, `fix
--unsafe-fixes` on a copy of the fixture's folder must turn each file into its
`.fixed.py` (files without one stay byte-for-byte the same), every output must
compile, and a second run must change nothing. A folder named after a rule
(`DSP302`, `DSP302_overloaded_error`) is fixed with that rule alone, so its
snapshots show that rule's rewrite; other folders (`showcase`) with every rule,
cascades between rules included."""

import re
import shutil
from pathlib import Path

import pytest

from helpers import ROOT, run_cli

FIXTURES = ROOT / "fixtures"
SUFFIX = ".fixed.py"


def _source_of(snapshot: Path) -> Path:
    return snapshot.with_name(snapshot.name[: -len(SUFFIX)] + ".py")


SNAPSHOTS = sorted(FIXTURES.rglob("*" + SUFFIX))
FOLDERS = sorted({FIXTURES / s.relative_to(FIXTURES).parts[0] for s in SNAPSHOTS})


def _copy(folder: Path, into: Path) -> Path:
    target = into / folder.name
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns("*" + SUFFIX, "__pycache__"))
    return target


def _fix_args(folder: Path):
    rule = re.match(r"DSP\d{3}(?![0-9])", folder.name)
    return ["fix", "--unsafe-fixes", "--no-cache", *(["--select", rule.group()] if rule else [])]


def _sources(folder: Path):
    return sorted(p for p in folder.rglob("*.py") if not p.name.endswith(SUFFIX))


def test_every_snapshot_has_its_source():
    orphans = [str(s.relative_to(ROOT)) for s in SNAPSHOTS if not _source_of(s).is_file()]
    assert not orphans, f"snapshots without a source file: {orphans}"


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_fix_output_matches_snapshots(folder, tmp_path):
    copy = _copy(folder, tmp_path)
    first = run_cli(*_fix_args(folder), str(copy))
    assert first.returncode in (0, 1), first.stderr
    for source in _sources(folder):
        snapshot = source.with_name(source.stem + SUFFIX)
        expected = snapshot if snapshot.is_file() else source
        fixed = copy / source.relative_to(folder)
        assert fixed.read_bytes() == expected.read_bytes(), (
            f"{fixed.relative_to(copy)} differs from {expected.relative_to(ROOT)}\n{first.stdout}")
        compile(fixed.read_bytes(), str(fixed), "exec", dont_inherit=True)
    before = {p: p.read_bytes() for p in _sources(copy)}
    second = run_cli(*_fix_args(folder), str(copy))
    assert "No fixes applied." in second.stdout, second.stdout
    assert {p: p.read_bytes() for p in _sources(copy)} == before
