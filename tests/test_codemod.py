"""The codemods through the real `python -m libcst.tool` in a temporary project."""

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
CASCADE = (
    "async def _leaf():  # kept\n    return 1\n\n\n"
    "async def _middle():\n    return await _leaf()\n\n\n"
    "async def main():\n    return await _middle()\n"
)


def libcst_tool(project, *args):
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    return subprocess.run([sys.executable, "-m", "libcst.tool", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)


def codemod(project, command, *args):
    return libcst_tool(project, "codemod", "-x", command, "--no-format", "--hide-progress", "-j", "1", *args)


def test_codemod_applies_one_pass_per_run(project):
    (project / "svc.py").write_text(CASCADE)
    first = codemod(project, "fix_toys.ToyDeadAsyncCodemod", "svc.py")
    assert first.returncode == 0, first.stderr
    text = (project / "svc.py").read_text()
    assert text.startswith("def _leaf():  # kept\n    return 1\n")
    assert "async def _middle():\n    return _leaf()\n" in text  # no cascade within a run
    assert "TST901 line 5" in first.stderr and "run again" in first.stderr
    codemod(project, "fix_toys.ToyDeadAsyncCodemod", "svc.py")
    text = (project / "svc.py").read_text()
    assert "\ndef _middle():\n    return _leaf()\n" in text
    assert "async def main():\n    return _middle()\n" in text
    assert "[unsafe fix, use --unsafe-fixes]" in codemod(project, "fix_toys.ToyDeadAsyncCodemod", "svc.py").stderr


def test_codemod_unsafe_fixes_flag(project):
    (project / "svc.py").write_text("async def main():\n    return 1\n")
    result = codemod(project, "fix_toys.ToyDeadAsyncCodemod", "--unsafe-fixes", "svc.py")
    assert result.returncode == 0, result.stderr
    assert (project / "svc.py").read_text() == "def main():\n    return 1\n"


def test_codemod_keeps_encoding_and_newlines(project):
    source = "# -*- coding: latin-1 -*-\r\nasync def _f():\r\n    return 'caf\xe9'\r\n".encode("latin-1")
    (project / "svc.py").write_bytes(source)
    result = codemod(project, "fix_toys.ToyDeadAsyncCodemod", "svc.py")
    assert result.returncode == 0, result.stderr
    assert (project / "svc.py").read_bytes() == source.replace(b"async ", b"")


def test_codemod_skips_a_fix_that_reaches_another_file(project):
    (project / "a.py").write_text('link("b.py", "# x\\n")\n')
    (project / "b.py").write_text("y = 1\n")
    result = codemod(project, "fix_toys.ToyLinkCodemod", "a.py")
    assert result.returncode == 0, result.stderr
    assert (project / "a.py").read_text() == 'link("b.py", "# x\\n")\n'
    assert "cross-file fixes need `dispatch-lint fix`" in result.stderr


def test_codemods_are_listed_by_name_from_the_config(project):
    (project / ".libcst.codemod.yaml").write_text("modules:\n  - dispatch_lint.codemods\nformatter: []\n")
    result = libcst_tool(project, "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("dead_async.DropDeadAsync - DSP201") for line in lines), lines
    assert not any("RuleCodemod" in line for line in lines)


def test_codemod_reads_stdin(project):
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    result = subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "-x", "fix_toys.ToyDeadAsyncCodemod", "--no-format", "-"],
        input="async def _f():\n    return 1\n", cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "def _f():\n    return 1\n\n"  # libcst.tool's print() adds a newline


def test_drop_dead_async_runs_by_name_from_the_config(project):
    (project / ".libcst.codemod.yaml").write_text("modules:\n  - dispatch_lint.codemods\nformatter: []\n")
    (project / "svc.py").write_text(
        "async def _stamp(frame):  # keep me\n    frame['seen'] = True\n    return frame\n\n\n"
        "async def handle(frame):\n    return await _stamp(frame)\n")
    result = libcst_tool(project, "codemod", "dead_async.DropDeadAsync", "--no-format", "--hide-progress",
                         "-j", "1", "svc.py")
    assert result.returncode == 0, result.stderr
    assert (project / "svc.py").read_text() == (
        "def _stamp(frame):  # keep me\n    frame['seen'] = True\n    return frame\n\n\n"
        "async def handle(frame):\n    return _stamp(frame)\n")


def test_drop_dead_async_leaves_cross_file_fixes_to_the_command(project):
    (project / "helpers.py").write_text("async def _stamp(frame):\n    return frame\n")
    (project / "svc.py").write_text(
        "from helpers import _stamp\n\n\nasync def handle(frame):\n    return await _stamp(frame)\n")
    result = codemod(project, "dispatch_lint.codemods.dead_async.DropDeadAsync", "helpers.py", "svc.py")
    assert result.returncode == 0, result.stderr
    assert (project / "helpers.py").read_text() == "async def _stamp(frame):\n    return frame\n"
    assert "WARNING: DSP201 line 1: `_stamp` is declared `async` but never awaits" in result.stderr
