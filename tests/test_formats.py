"""`check`'s output formats and flags, through the real command."""

import json
import os
import pty
import subprocess
import sys

import pytest

from dispatch_lint.frontends.formats.github import github
from dispatch_lint.types import Diagnostic
from helpers import run_cli

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


def test_json_carries_the_doc_url(bad_project):
    result = run_cli("check", "--no-cache", "--format", "json", "bad.py", cwd=bad_project)
    [item] = json.loads(result.stdout)
    assert item["url"].endswith("/docs/rules/DSP001.md")


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
    assert result.stdout == "2\tDSP001\tsyntax-error\n"
    as_json = run_cli("check", "--no-cache", "--statistics", "--format", "json", ".", cwd=bad_project)
    assert json.loads(as_json.stdout) == [{"code": "DSP001", "name": "syntax-error", "count": 2, "fixable": False}]


def test_exit_zero_and_output_file(bad_project):
    result = run_cli("check", "--no-cache", "--exit-zero", "--output-file", "report.json",
                     "--format", "json", "bad.py", cwd=bad_project)
    assert result.returncode == 0 and result.stdout == ""
    [item] = json.loads((bad_project / "report.json").read_text())
    assert item["code"] == "DSP001"


def test_unwritable_output_file_is_a_usage_error(bad_project):
    result = run_cli("check", "--no-cache", "--output-file", "missing/dir/out.txt", ".", cwd=bad_project)
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
    text = run_cli("check", "--no-cache", "--format", "concise", "fixtures")
    as_json = run_cli("check", "--no-cache", "--format", "json", "fixtures")
    expected = [f"{d['path']}:{d['line']}:{d['column']}: {d['code']} {d['message']}" for d in json.loads(as_json.stdout)]
    assert text.stdout.splitlines() == expected
