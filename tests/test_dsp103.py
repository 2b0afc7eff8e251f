"""DSP103 across files: the cycle is found when its sends live in two modules,
and a cached result follows an edit of the other file."""

import json
import shutil

from helpers import ROOT, run_cli

PROJECT = ROOT / "tests" / "data" / "dsp103_two_files"


def _findings(folder):
    result = run_cli("check", "--format", "json", "--jobs", "1", str(folder))
    assert result.returncode in (0, 1), result.stderr
    return sorted((f["path"].rsplit("/", 1)[-1], f["line"]) for f in json.loads(result.stdout))


def test_a_cycle_across_two_files_is_reported_at_both_sends(tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(PROJECT, copy)
    assert _findings(copy) == [("ping.py", 13), ("pong.py", 17)]


def test_the_cached_result_of_one_file_follows_an_edit_of_the_other(tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(PROJECT, copy)
    assert _findings(copy) == [("ping.py", 13), ("pong.py", 17)]
    pong = copy / "pong.py"
    text = pong.read_text(encoding="utf-8")
    pong.write_text(text.replace("await self.ping.inbox.put(await self.inbox.get())",
                                 "self.ping.inbox.put_nowait(await self.inbox.get())"), encoding="utf-8")
    assert _findings(copy) == []
    pong.write_text(text, encoding="utf-8")
    assert _findings(copy) == [("ping.py", 13), ("pong.py", 17)]
