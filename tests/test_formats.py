"""`check`'s output formats and flags, through the real command."""

import json
import os
import pty
import subprocess
import sys

import pytest

from dispatch_lint.frontends.formats.github import github
from dispatch_lint.types import Diagnostic
from helpers import FIXTURE_PATHS, fixture_run, run_cli

BAD = "x = (\n"


@pytest.fixture
def bad_project(project):
    (project / "bad.py").write_text(BAD)
    (project / "also_bad.py").write_text("def f(:\n")
    (project / "good.py").write_text("import asyncio\n")
    return project


def on_terminal(args, cwd, env_overrides):
    """Run the command with stdout and stderr on a pseudo-terminal; return what it printed."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(env_overrides)
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "dispatch_lint", *args], cwd=cwd, env=env,
                               stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO once the child has closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=120) == 1
    return b"".join(chunks).decode()


def test_text_is_coloured_on_a_terminal_only(bad_project):
    coloured = on_terminal(["check", "--no-cache", "."], bad_project, {})
    assert "\x1b[31m" in coloured and "DSP001" in coloured
    assert "\x1b[" not in on_terminal(["check", "--no-cache", "."], bad_project, {"NO_COLOR": "1"})
    piped = subprocess.run([sys.executable, "-m", "dispatch_lint", "check", "--no-cache", "."],
                           cwd=bad_project, capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if k != "NO_COLOR"})
    assert "\x1b[" not in piped.stdout + piped.stderr


def test_progress_only_on_a_terminal(bad_project):
    shown = on_terminal(["check", "--no-cache", "--jobs", "1", "."], bad_project, {"NO_COLOR": "1"})
    assert "checking 3/3 files" in shown
    piped = run_cli("check", "--no-cache", "--jobs", "1", ".", cwd=bad_project)
    assert piped.stderr == ""


def test_concise_is_one_plain_line_per_finding(bad_project):
    result = run_cli("check", "--no-cache", "--format", "concise", ".", cwd=bad_project)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "also_bad.py:1:7: DSP001 syntax error: invalid syntax",
        "bad.py:1:5: DSP001 syntax error: '(' was never closed",
    ]


def test_json_carries_the_how_to_and_no_address(project):
    (project / "m.py").write_text("import asyncio\nq = asyncio.Queue()\n")
    result = run_cli("check", "--no-cache", "--format", "json", "m.py", cwd=project)
    [item] = json.loads(result.stdout)
    assert "# unbounded: <reason>" in item["help"] and "url" not in item


def test_github_annotations(bad_project):
    result = run_cli("check", "--no-cache", "--format", "github", "bad.py", cwd=bad_project)
    assert result.stdout == (
        "::error file=bad.py,line=1,col=5,endLine=1,endColumn=5,title=dispatch-lint (DSP001)"
        "::DSP001 syntax error: '(' was never closed\n"
    )


def test_github_escapes_workflow_command_syntax():
    d = Diagnostic("a,b:c%.py", 2, 3, 2, 4, "DSP001", "syntax-error", "50% bad\nsecond line")
    assert github([d]) == (
        "::error file=a%2Cb%3Ac%25.py,line=2,col=3,endLine=2,endColumn=4,title=dispatch-lint (DSP001)"
        "::DSP001 50%25 bad%0Asecond line\n"
    )


def test_statistics_counts_by_code(bad_project):
    result = run_cli("check", "--no-cache", "--statistics", ".", cwd=bad_project)
    assert result.returncode == 1
    assert result.stdout == "2  DSP001      syntax-error\n"
    as_json = run_cli("check", "--no-cache", "--statistics", "--format", "json", ".", cwd=bad_project)
    assert json.loads(as_json.stdout) == [{"code": "DSP001", "name": "syntax-error", "count": 2, "fixable": False}]


def test_exit_zero_and_output_file(bad_project):
    result = run_cli("check", "--no-cache", "--exit-zero", "--output-file", "report.json",
                     "--format", "json", "bad.py", cwd=bad_project)
    assert result.returncode == 0 and result.stdout == ""
    [item] = json.loads((bad_project / "report.json").read_text())
    assert item["code"] == "DSP001"


def test_output_file_creates_its_folder(bad_project):
    result = run_cli("check", "--no-cache", "--output-file", "reports/lint/out.txt", ".", cwd=bad_project)
    assert result.returncode == 1 and result.stdout == ""
    assert "bad.py:1:5: DSP001" in (bad_project / "reports" / "lint" / "out.txt").read_text()


def test_unwritable_output_file_is_a_usage_error(bad_project):
    result = run_cli("check", "--no-cache", "--output-file", "bad.py/out.txt", ".", cwd=bad_project)
    assert result.returncode == 2
    assert "cannot write --output-file" in result.stderr and "Traceback" not in result.stderr


def test_unknown_format_is_a_usage_error(bad_project):
    result = run_cli("check", "--format", "xml", ".", cwd=bad_project)
    assert result.returncode == 2 and "invalid choice: 'xml'" in result.stderr


def test_stdin_is_checked_as_the_named_file(project):
    result = run_cli("check", "-", "--stdin-filename", "pkg/mod.py", input=BAD, cwd=project)
    assert result.returncode == 1
    assert result.stdout.startswith("pkg/mod.py:1:5: DSP001 ")
    clean = run_cli("check", "-", "--stdin-filename", "pkg/mod.py", input="import asyncio\n", cwd=project)
    assert clean.returncode == 0 and "All checks passed" in clean.stdout


def test_stdin_uses_the_settings_of_the_named_files_project(project):
    inner = project / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[tool.dispatch-lint]\nignore = ['DSP001']\n")
    silenced = run_cli("check", "-", "--stdin-filename", "inner/mod.py", input=BAD, cwd=project)
    assert silenced.returncode == 0, silenced.stdout
    reported = run_cli("check", "-", "--stdin-filename", "mod.py", input=BAD, cwd=project)
    assert reported.returncode == 1


def test_undecodable_stdin_is_dsp002(project):
    result = run_cli("check", "-", "--stdin-filename", "x.py", input="# coding: ascii\nx = 'é'\n", cwd=project)
    assert result.returncode == 1 and "x.py:2:1: DSP002 cannot decode as ascii" in result.stdout


@pytest.mark.parametrize("args", [("-", "other.py"), ("--stdin-filename", "x.py", "."), ("--add-noqa", "-")])
def test_stdin_misuse_is_a_usage_error(project, args):
    result = run_cli("check", *args, input="", cwd=project)
    assert result.returncode == 2 and result.stderr.startswith("dispatch-lint: error: ")


def test_showcase_text_and_json_agree():
    text = run_cli("check", "--no-cache", "--format", "concise", *FIXTURE_PATHS)
    expected = [f"{d['path']}:{d['line']}:{d['column']}: {d['code']} {d['message']}" for d in fixture_run()]
    assert text.stdout.splitlines() == expected


UNBOUNDED = "import asyncio\n\nq = asyncio.Queue()\nr = asyncio.Queue()\n"


def test_text_shows_a_code_frame_and_the_help_once_per_rule(project):
    (project / "m.py").write_text(UNBOUNDED)
    result = run_cli("check", "--no-cache", "m.py", cwd=project)
    assert result.returncode == 1
    assert result.stdout.startswith(
        "m.py:3:5: DSP301 Unbounded `asyncio.Queue()` has no comment saying what bounds its growth\n"
        "  |\n"
        "3 | q = asyncio.Queue()\n"
        "  |     ^^^^^^^^^^^^^^^\n"
        "  = help: name the external limit"
    ), result.stdout
    assert result.stdout.count("= help:") == 1 and "r = asyncio.Queue()" in result.stdout
    assert result.stdout.endswith("\nFound 2 findings.\n")


def test_code_frame_keeps_tabs_and_shows_a_window_of_a_long_line(project):
    (project / "m.py").write_text("import asyncio\nif True:\n\tq = asyncio.Queue()\n" + "x = [" + "1, " * 200 + "asyncio.Queue()]\n")
    out = run_cli("check", "--no-cache", "m.py", cwd=project).stdout
    assert "3 | \tq = asyncio.Queue()\n  | \t    ^^^^^^^^^^^^^^^\n" in out
    frame = out.split("m.py:4:")[1].splitlines()
    assert len(frame[2]) < 200 and frame[3].index("^") == frame[2].index("asyncio.Queue()")


def test_stdin_gets_a_code_frame_from_its_text(project):
    result = run_cli("check", "-", "--stdin-filename", "pkg/m.py", input=UNBOUNDED, cwd=project)
    assert "3 | q = asyncio.Queue()\n" in result.stdout


def test_paths_are_shown_relative_to_the_working_folder(project):
    (project / "pkg").mkdir()
    (project / "pkg" / "bad.py").write_text(BAD)
    for spelling in ("./pkg", str(project / "pkg"), "pkg/../pkg"):
        result = run_cli("check", "--no-cache", "--format", "concise", spelling, cwd=project)
        assert result.stdout == "pkg/bad.py:1:5: DSP001 syntax error: '(' was never closed\n", spelling


@pytest.mark.parametrize("safe,unsafe,expected", [
    (0, 0, "Found 2 findings.\n"),
    (1, 0, "Found 2 findings: 1 fixable with `dispatch-lint fix`.\n"),
    (0, 2, "Found 2 findings: 2 fixable with `dispatch-lint fix --unsafe-fixes`.\n"),
    (1, 1, "Found 2 findings: 1 fixable with `dispatch-lint fix`, 1 more with `dispatch-lint fix --unsafe-fixes`.\n"),
])
def test_summary_wording(safe, unsafe, expected):
    from dispatch_lint.frontends.formats.text import summary
    from dispatch_lint.types import Applicability, Fix

    fixes = [Fix(Applicability.SAFE, (), "")] * safe + [Fix(Applicability.UNSAFE, (), "")] * unsafe
    fixes += [None] * (2 - len(fixes))
    found = [Diagnostic("a.py", 1, 1, 1, 2, "DSP201", "n", "m", fix) for fix in fixes]
    assert summary(found) == expected


def test_statistics_columns_line_up():
    from dispatch_lint.frontends.output import statistics
    from dispatch_lint.types import Applicability, Fix

    safe = Fix(Applicability.SAFE, (), "")
    found = [Diagnostic("a.py", n, 1, n, 2, "DSP301", "unjustified-unbounded-channel", "m") for n in range(12)]
    found.append(Diagnostic("a.py", 1, 1, 1, 2, "DSP201", "async-never-awaits", "m", safe))
    assert statistics(found, as_json_list=False) == (
        "12  DSP301      unjustified-unbounded-channel\n"
        " 1  DSP201  [*] async-never-awaits\n"
    )


def test_rules_is_a_table_that_says_which_rules_fix():
    lines = run_cli("rules").stdout.splitlines()
    assert lines[0].split() == ["code", "name", "fix", "finds"]
    rows = {line.split()[0]: line for line in lines[1:] if line.startswith("DSP")}
    assert rows["DSP001"].split()[2] == "none" and rows["DSP101"].split()[2] == "unsafe"
    assert "safe or unsafe" in rows["DSP201"]
    assert len({line.index(" DSP") if " DSP" in line else line.find("finds") for line in lines[:1]}) == 1
    assert len({row.index(row.split()[1]) for row in rows.values()}) == 1
    assert "**" not in "\n".join(lines)


def test_fix_diff_is_coloured_on_a_terminal_only(project):
    (project / "m.py").write_text("async def _f():\n    return 1\n\n\nasync def main():\n    await _f()\n")
    coloured = on_terminal(["fix", "--diff", "--no-cache", "m.py"], project, {})
    assert "\x1b[31m-async def _f():" in coloured and "\x1b[32m+def _f():" in coloured
    plain = run_cli("fix", "--diff", "--no-cache", "m.py", cwd=project)
    assert "-async def _f():\n+def _f():\n" in plain.stdout and "\x1b[" not in plain.stdout
