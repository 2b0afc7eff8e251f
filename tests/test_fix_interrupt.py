"""Two-file fixes interrupted inside their write phase (SIGINT, SIGTERM, SIGKILL)
leave no half-applied group and no temporary file, and the interrupted run or
the next one says what it completed or rolled back (scripts/interrupted_fixes.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import interrupted_fixes  # noqa: E402


def _assert_clean(rounds) -> None:
    print("\n" + interrupted_fixes.report(rounds))
    for r in rounds:
        assert r.in_write_phase, f"{r.signal} landed outside the write phase: the round proves nothing"
        if r.signal != "SIGKILL":  # a caught signal finishes or undoes the group itself
            assert not r.half_applied_after_signal, r
        assert not r.half_applied_after_next_run, r
        assert r.temporary_files == 0, r
        assert r.said, r
        assert r.output_kept, r


def test_interrupted_two_file_fixes_leave_whole_groups(tmp_path):
    _assert_clean([interrupted_fixes.one_round(tmp_path, n, interrupted_fixes.random.Random(n)) for n in range(3)])


@pytest.mark.slow
def test_100_interrupted_two_file_fixes(tmp_path):
    _assert_clean(interrupted_fixes.run_rounds(100, folder=tmp_path))
