"""The codemods through the real `python -m libcst.tool` in a temporary project."""

import os
import re
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


def test_codemod_runs_the_cascade_in_one_run(project):
    """Under libcst.tool the fixes are planned over every given file, as `fix` does."""
    (project / "svc.py").write_text(CASCADE)
    first = codemod(project, "fix_toys.ToyDeadAsyncCodemod", "svc.py")
    assert first.returncode == 0, first.stderr
    assert (project / "svc.py").read_text() == (
        "def _leaf():  # kept\n    return 1\n\n\n"
        "def _middle():\n    return _leaf()\n\n\n"
        "async def main():\n    return _middle()\n")
    assert "TST901 line 9" in first.stderr and "[unsafe fix, use --unsafe-fixes]" in first.stderr
    again = codemod(project, "fix_toys.ToyDeadAsyncCodemod", "svc.py")
    assert "main" in (project / "svc.py").read_text() and "Transformed 1 files" in again.stderr


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


def test_codemod_applies_a_fix_across_files_only_when_every_file_was_given(project):
    (project / "a.py").write_text('link("b.py", "# x\\n")\n')
    (project / "b.py").write_text("y = 1\n")
    alone = codemod(project, "fix_toys.ToyLinkCodemod", "a.py")
    assert alone.returncode == 0, alone.stderr
    assert (project / "a.py").read_text() == 'link("b.py", "# x\\n")\n'
    assert (project / "b.py").read_text() == "y = 1\n"
    assert "resolves outside the named paths" in alone.stderr
    both = codemod(project, "fix_toys.ToyLinkCodemod", "a.py", "b.py")
    assert both.returncode == 0, both.stderr
    assert (project / "b.py").read_text() == "# x\ny = 1\n"


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


def test_drop_dead_async_rewrites_call_sites_in_other_given_files(project):
    (project / "helpers.py").write_text("async def _stamp(frame):\n    return frame\n")
    (project / "svc.py").write_text(
        "from helpers import _stamp\n\n\nasync def handle(frame):\n    return await _stamp(frame)\n")
    alone = codemod(project, "dispatch_lint.codemods.dead_async.DropDeadAsync", "helpers.py")
    assert alone.returncode == 0, alone.stderr
    assert (project / "helpers.py").read_text() == "async def _stamp(frame):\n    return frame\n"
    assert "a call site is outside the analysed paths (svc.py)" in alone.stderr
    both = codemod(project, "dispatch_lint.codemods.dead_async.DropDeadAsync", "-j", "2", ".")
    assert both.returncode == 0, both.stderr
    assert (project / "helpers.py").read_text() == "def _stamp(frame):\n    return frame\n"
    assert (project / "svc.py").read_text().endswith("async def handle(frame):\n    return _stamp(frame)\n")


def test_every_rewriting_rule_has_a_codemod():
    import dispatch_lint.codemods.channels as channels
    import dispatch_lint.codemods.dead_async as dead_async
    from dispatch_lint.codemods.base import RuleCodemod
    from dispatch_lint.rules import ALL_RULES

    codes = {c.CODE for module in (channels, dead_async) for c in vars(module).values()
             if isinstance(c, type) and issubclass(c, RuleCodemod) and c is not RuleCodemod}
    rewriting = {rule.CODE for rule in ALL_RULES if any(case.expected_replacement for case in rule.INVALID)}
    assert "DSP201" in rewriting and codes == rewriting


def test_readme_codemod_commands_run_as_written(project):
    """The README's commands, in a project without black: `--no-format` answers
    the formatter question (the rewrites keep the file's formatting)."""
    readme = (TESTS.parent / "README.md").read_text()
    commands = re.findall(r"^(python -m libcst\.tool codemod [^\n#]+?)\s*(?:#.*)?$", readme, re.M)
    assert commands
    (project / "src").mkdir()
    (project / "src" / "svc.py").write_text("async def _f():\n    return 1\n\n\nasync def g():\n    await _f()\n")
    (project / ".libcst.codemod.yaml").write_text("modules:\n  - dispatch_lint.codemods\n")
    for command in commands:
        result = subprocess.run([sys.executable, *command.split()[1:]], cwd=project, capture_output=True,
                                text=True, timeout=300, env=dict(os.environ, PATH=os.path.dirname(sys.executable)))
        assert result.returncode == 0, command + "\n" + result.stderr
        assert "Traceback" not in result.stderr
