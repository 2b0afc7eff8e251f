"""Smaller ways a repository could hang the tool, crash it or mislead its
reports, each through the real command with a timeout."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bad_input_cases import GOOD, GOOD_FINDING, lines_about, make_project, run

TIMEOUT = 120


def dispatch_lint(*args: str, cwd) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "dispatch_lint", *args], cwd, timeout=TIMEOUT)


def test_a_configured_regex_that_could_backtrack_for_ever_is_refused(project):
    make_project(project)
    (project / "pyproject.toml").write_text(
        "[project]\nname = 'p'\n[tool.dispatch-lint]\nunbounded-marker = '(a+)+$'\n")
    (project / "chan.py").write_text("import asyncio\nq = asyncio.Queue()  # " + "a" * 40 + "!\n")
    result = dispatch_lint("check", ".", cwd=project)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "'unbounded-marker' nests one repetition inside another" in result.stderr


def test_bad_patterns_are_one_line_errors_not_tracebacks(project):
    make_project(project)
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n[tool.dispatch-lint]\nexclude = ['!']\n")
    result = dispatch_lint("check", ".", cwd=project)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "'exclude' holds an invalid pattern '!'" in result.stderr
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (project / ".gitignore").write_text("!\n*.txt\n")  # git skips the bad line; so do we
    result = dispatch_lint("check", "--format", "concise", ".", cwd=project)
    assert "Traceback" not in result.stderr and lines_about(result.stdout, "good.py")[0].startswith(GOOD_FINDING)


def test_an_unwritable_output_file_is_one_line(project):
    make_project(project)
    result = dispatch_lint("check", "--output-file", str(project / "missing" / "report.txt"), ".", cwd=project)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("dispatch-lint: error: cannot write --output-file")


def test_thousands_of_concatenated_strings_are_not_a_syntax_error(project):
    make_project(project)
    strings = " ".join(['"a"'] * 5000)
    (project / "chan.py").write_text(f"import asyncio\nq = asyncio.Queue()\nx = ({strings})\n")
    (project / "good.py").write_text(GOOD + f"\nx = ({strings})\n")
    result = dispatch_lint("check", "--format", "concise", "--no-cache", ".", cwd=project)
    [line] = lines_about(result.stdout, "chan.py")
    assert "syntax error" not in line and "LibCST cannot parse this file, which Python accepts" in line
    fixed = dispatch_lint("fix", ".", cwd=project)
    assert "def _helper" in (project / "good.py").read_text(), fixed.stdout


def test_file_names_with_newlines_and_bad_bytes_print_one_line_each(project):
    make_project(project)
    fake = "a\nfake.py:1:1: DSP999 invented.py"
    (project / fake).write_text(GOOD)
    with open(os.path.join(os.fsencode(project), b"bad\xff.py"), "w") as handle:
        handle.write(GOOD)
    concise = dispatch_lint("check", "--format", "concise", ".", cwd=project)
    assert not lines_about(concise.stdout, "fake.py")
    assert sum(1 for line in concise.stdout.splitlines() if "DSP201" in line) == 3
    assert "a\\nfake.py" in concise.stdout and "bad\\xff.py" in concise.stdout
    for fmt in ("json", "sarif"):
        raw = subprocess.run([sys.executable, "-m", "dispatch_lint", "check", "--format", fmt, "."], cwd=project,
                             capture_output=True, timeout=TIMEOUT).stdout
        assert b"\\udc" not in raw  # no lone surrogate, escaped or not
        json.loads(raw.decode("utf-8", "strict"))
    fixed = dispatch_lint("fix", ".", cwd=project)
    assert not any(line.lstrip().startswith("fake.py") for line in fixed.stdout.splitlines())
    assert (project / fake).read_text() != GOOD


def test_dsp302_never_reuses_a_capacity_bound_later_or_conditionally(project):
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    later = "import asyncio\n\nlater_inbox = asyncio.Queue()\nINBOX_CAPACITY = 5\nprint('ok')\n"
    conditional = ("import asyncio\nimport sys\n\nmailbox_inbox = asyncio.Queue()\n"
                   "if sys.platform == 'never':\n    INBOX_CAPACITY = 5\nprint('ok')\n")
    (project / "later.py").write_text(later)
    (project / "conditional.py").write_text(conditional)
    result = dispatch_lint("fix", "--unsafe-fixes", ".", cwd=project)
    for name in ("later.py", "conditional.py"):
        ran = subprocess.run([sys.executable, name], cwd=project, capture_output=True, text=True, timeout=TIMEOUT)
        assert ran.stdout == "ok\n", (name, ran.stderr, result.stdout)
    assert "only later or conditionally" in result.stdout
