"""Parallel runs: the same output in the same order for any --jobs, a sync path
for a handful of files, and a worker killed by a native crash loses no other file."""

from __future__ import annotations

import faulthandler
import os

import pytest

from dispatch_lint.api import Rule
from dispatch_lint.config import load_settings
from dispatch_lint.engine import pool
from dispatch_lint.engine.runner import Engine
from helpers import run_cli


class ReportCalls(Rule):
    """Reports every call (a test rule)."""

    CODE = "DSP901"
    NAME = "call-seen"
    MESSAGE = "call seen"
    TRIGGERS = ("(",)

    def visit_Call(self, node) -> None:
        self.report(node)


class DieOnMarker(ReportCalls):
    """Kills its process, as a native crash in the parser would, on one file."""

    CODE = "DSP902"

    def visit_Module(self, node) -> None:
        if "DIE_HERE" in self.context.text:
            faulthandler.disable()  # keep pytest's crash report out of the test output
            os.abort() if "ABORT" in self.context.text else os._exit(3)


def settings_for(root):
    return load_settings([str(root)], (), ["DSP901", "DSP902"], {"cache": False})


def make_tree(root, count=40):
    for n in range(count):
        calls = "\n".join(f"print({k})" for k in range(n % 5))
        padding = "x = 1\n" * (n * 37 % 200)  # uneven sizes, so chunks differ by weight
        (root / f"m{n:02d}.py").write_text(f"{padding}{calls}\n")
    (root / "broken.py").write_text("def f(:\n")


def findings(result):
    return [(d.path, d.line, d.column, d.code) for d in result.diagnostics]


def test_jobs_do_not_change_findings_or_their_order(project):
    make_tree(project)
    settings = settings_for(project)
    one = Engine(settings, (ReportCalls,), jobs=1).run([str(project)])
    two = Engine(settings, (ReportCalls,), jobs=2).run([str(project)])
    assert findings(one) == findings(two)
    assert len(one.diagnostics) == 81 and one.parsed == two.parsed == 32


def test_command_output_is_identical_with_one_and_two_jobs(project):
    make_tree(project, 60)
    one = run_cli("check", "--no-cache", "-j1", "--format", "json", str(project))
    two = run_cli("check", "--no-cache", "-j2", "--format", "json", str(project))
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout and "DSP001" in one.stdout


@pytest.mark.parametrize("how", ["ABORT", "EXIT"])
def test_a_worker_killed_by_one_file_loses_no_other_file(project, how):
    make_tree(project)
    (project / "m07.py").write_text(f"# DIE_HERE {how}\nprint(1)\n")
    settings = settings_for(project)
    crashed = Engine(settings, (DieOnMarker,), jobs=2).run([str(project)])
    victim = str(project / "m07.py")
    assert [(d.code, d.message) for d in crashed.diagnostics if d.path == victim] == [
        ("DSP001", "the parser crashed on this file")]
    (project / "m07.py").write_text("print(1)\n")
    healthy = Engine(settings, (DieOnMarker,), jobs=2).run([str(project)])
    assert [f for f in findings(crashed) if f[0] != victim] == [f for f in findings(healthy) if f[0] != victim]


def test_a_worker_killed_while_the_project_is_read_loses_no_other_file(project):
    """With a rule that reads the project, the other rules run while the files'
    facts are extracted: a crash there is reported like one while checking."""
    from dispatch_lint.rules import ALL_RULES

    dead_async = next(rule for rule in ALL_RULES if rule.CODE == "DSP201")
    make_tree(project)
    (project / "m07.py").write_text("# DIE_HERE EXIT\nprint(1)\n")
    (project / "coro.py").write_text("async def _idle():\n    return 1\n\nasync def main():\n    await _idle()\n")
    settings = load_settings([str(project)], (), ["DSP901", "DSP902", "DSP201"], {"cache": False})
    crashed = Engine(settings, (DieOnMarker, dead_async), jobs=2).run([str(project)])
    victim = str(project / "m07.py")
    assert [(d.code, d.message) for d in crashed.diagnostics if d.path == victim] == [
        ("DSP001", "the parser crashed on this file")]
    assert "DSP201" in [f[3] for f in findings(crashed) if f[0] == str(project / "coro.py")]


def _pid(item):
    return os.getpid()


def test_a_handful_of_items_runs_in_this_process():
    few = pool.run_all(_pid, list(range(pool.SYNC_THRESHOLD - 1)), 2, _pid)
    assert set(few) == {os.getpid()}
    many = pool.run_all(_pid, list(range(pool.SYNC_THRESHOLD * 4)), 2, _pid)
    assert os.getpid() not in set(many)


def test_chunks_cover_every_item_once_heaviest_first():
    weights = [5, 1, 90, 3, 40, 40, 7, 1, 1, 200]
    chunks = pool.chunked(weights, 2, weight=lambda w: w)
    flat = [n for chunk in chunks for n in chunk]
    assert sorted(flat) == list(range(len(weights)))
    assert [weights[n] for n in flat] == sorted(weights, reverse=True)
    assert len(chunks) > 2


def _square_or_die(item):
    if item == 13:
        os._exit(1)
    return item * item


def test_pool_isolates_the_item_that_kills_its_worker():
    items = list(range(40))
    results = pool.run_all(_square_or_die, items, 2, lambda item: "crashed")
    assert results == [("crashed" if i == 13 else i * i) for i in items]


def _parent_death_signal(item):
    import ctypes

    libc = ctypes.CDLL(None)
    value = ctypes.c_int()
    libc.prctl(2, ctypes.byref(value))  # PR_GET_PDEATHSIG
    return value.value


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux only")
def test_workers_die_with_their_parent():
    import signal

    signals = pool.run_all(_parent_death_signal, list(range(pool.SYNC_THRESHOLD * 2)), 2, _pid)
    assert set(signals) == {signal.SIGKILL}
