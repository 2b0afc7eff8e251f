"""`dispatch-lint fix` end to end: the real command in a subprocess.

Toy rules (tests/fix_toys.py) stand in for the project's rules where a test
needs a fix; `python tests/fix_toys.py ARGS` runs the real CLI with them.
"""

import subprocess
import sys
from pathlib import Path

from helpers import run_cli

TOY_CLI = [sys.executable, str(Path(__file__).with_name("fix_toys.py"))]
DEAD = "async def _helper():\n    return 1\n\n\nasync def main():\n    return await _helper()\n"


def toy_project(project):
    (project / "pyproject.toml").write_text('[tool.dispatch-lint]\nselect = ["TST", "DSP"]\n')
    return project


def toy_cli(*args, input_bytes=None, cwd=None):
    return subprocess.run([*TOY_CLI, *args], input=input_bytes, capture_output=True, cwd=cwd, timeout=300)


def test_fix_applies_safe_fixes_and_reports_what_remains(project):
    toy_project(project)
    (project / "svc.py").write_text(DEAD)
    result = toy_cli("fix", "--no-cache", str(project))
    out = result.stdout.decode()
    assert result.returncode == 1, out + result.stderr.decode()
    assert (project / "svc.py").read_text() == DEAD.replace("async def _helper", "def _helper").replace(
        "await _helper()", "_helper()")
    assert "Fixed 1 finding in 1 file." in out
    assert "1 finding remains:" in out
    assert f"{project}/svc.py:5:1: TST901 async function never awaits [unsafe fix, use --unsafe-fixes]" in out
    second = toy_cli("fix", "--no-cache", "--unsafe-fixes", str(project))
    assert second.returncode == 0
    assert "No findings remain." in second.stdout.decode()
    third = toy_cli("fix", "--no-cache", "--unsafe-fixes", str(project))
    assert third.returncode == 0 and "No fixes applied." in third.stdout.decode()


def test_diff_prints_a_unified_diff_and_writes_nothing(project):
    toy_project(project)
    (project / "svc.py").write_text(DEAD)
    result = toy_cli("fix", "--diff", "--no-cache", str(project))
    assert result.returncode == 1
    assert (project / "svc.py").read_text() == DEAD
    assert "-async def _helper():\n+def _helper():\n" in result.stdout.decode()
    assert "Would fix 1 finding in 1 file." in result.stderr.decode()


def test_select_limits_the_fixes(project):
    (project / "svc.py").write_text(DEAD + 'link("svc.py", "# top\\n")\n')
    result = toy_cli("fix", "--no-cache", "--select", "TST902", str(project))
    assert result.returncode == 0, result.stdout.decode()
    assert (project / "svc.py").read_text() == "# top\n" + DEAD + "None\n"


def test_fix_stdin_writes_the_fixed_source_to_stdout(project):
    toy_project(project)
    source = "# -*- coding: latin-1 -*-\r\nasync def _f():\r\n    return 'caf\xe9'\r\n".encode("latin-1")
    result = toy_cli("fix", "-", "--stdin-filename", str(project / "x.py"), input_bytes=source)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == source.replace(b"async ", b"")
    assert "Fixed 1 finding in 1 file." in result.stderr.decode()
    assert not (project / "x.py").exists()


def test_fix_stdin_refuses_edits_to_other_files(project):
    toy_project(project)
    (project / "b.py").write_text("y = 1\n")
    source = b'link("b.py", "# x\\n")\n'
    result = toy_cli("fix", "-", "--stdin-filename", str(project / "a.py"), input_bytes=source)
    assert result.returncode == 1
    assert result.stdout == source
    assert "b.py is not the file on stdin" in result.stderr.decode()
    assert (project / "b.py").read_text() == "y = 1\n"


def test_real_command_without_findings_exits_zero(project):
    (project / "ok.py").write_text("import asyncio\n")
    result = run_cli("fix", "--no-cache", str(project))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings remain." in result.stdout


def test_real_command_reports_findings_without_fix(project):
    (project / "bad.py").write_text("x = (\n")
    result = run_cli("fix", "--no-cache", str(project))
    assert result.returncode == 1
    assert f"{project}/bad.py:1:5: DSP001" in result.stdout
    assert "[no fix available]" in result.stdout


def test_real_command_stdin_echoes_clean_source_byte_for_byte(project):
    source = b"\xef\xbb\xbfx = 1  # keep\r\ny = 2\r"
    result = subprocess.run([sys.executable, "-m", "dispatch_lint", "fix", "-", "--stdin-filename",
                             str(project / "ok.py")], input=source, capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == source


def test_stdin_filename_without_dash_is_a_usage_error(project):
    result = run_cli("fix", "--stdin-filename", "x.py", str(project))
    assert result.returncode == 2
    assert "--stdin-filename needs '-'" in result.stderr
