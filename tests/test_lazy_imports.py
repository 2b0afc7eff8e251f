"""LibCST is loaded only to parse a file that some rule may report on: a check of
files that hold nothing to report, `explain` and `rules` never import it
(importing it is most of the cost of a short run). A run that forks workers
loads it before forking when the rules' text pre-filters let a file through
(with a project model, while the first pass runs, as soon as it finds such a
file)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from dispatch_lint.frontends.cli import main
status = main(sys.argv[1:])
sys.stderr.write("libcst loaded\\n" if "libcst" in sys.modules else "libcst not loaded\\n")
sys.exit(status)
"""

# Text that the rules' text pre-filters let through (an awaited put), on a
# channel of unknown origin: the verdicts on the model are empty.
NOTHING_TO_REPORT = "import asyncio\n\n\nasync def relay(q, item):\n    await q.put(item)\n"
# Text that no text pre-filter of a rule that parses lets through.
NO_CHANNEL = "import asyncio\n\n\nasync def pause():\n    await asyncio.sleep(1)\n"


def probe(*argv, cwd=None):
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                            timeout=300, cwd=cwd)
    return result.returncode, result.stderr.strip().splitlines()[-1]


def test_a_check_with_nothing_to_report_never_loads_libcst(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.dispatch-lint]\n")
    for n in range(3):
        (tmp_path / f"m{n}.py").write_text(NOTHING_TO_REPORT)
    assert probe("check", "--no-cache", str(tmp_path)) == (0, "libcst not loaded")
    assert probe("fix", "--no-cache", "--unsafe-fixes", str(tmp_path)) == (0, "libcst not loaded")
    for n in range(3, 12):  # enough files for forked workers
        (tmp_path / f"m{n}.py").write_text(NO_CHANNEL)
    others = [str(tmp_path / f"m{n}.py") for n in range(3, 12)]
    assert probe("check", "--no-cache", "-j", "2", *others) == (0, "libcst not loaded")
    assert probe("check", "--no-cache", "-j", "2", str(tmp_path)) == (0, "libcst loaded")  # loaded before forking


PASSES_PROBE = """
import sys
from dispatch_lint.engine import pool
from dispatch_lint.frontends.cli import main
run_all = pool.run_all

def noting(func, *args, **kwargs):
    sys.stderr.write(f"{func.__name__}: {'libcst' in sys.modules}\\n")
    return run_all(func, *args, **kwargs)

pool.run_all = noting
sys.exit(main(sys.argv[1:]))
"""


def test_with_a_model_libcst_loads_while_the_first_pass_runs(tmp_path):
    """No rule parses in the first pass: its workers fork without LibCST, and
    the checking pass's workers inherit it, loaded meanwhile."""
    (tmp_path / "pyproject.toml").write_text("[tool.dispatch-lint]\n")
    for n in range(12):
        (tmp_path / f"m{n}.py").write_text(NOTHING_TO_REPORT if n == 0 else NO_CHANNEL)
    result = subprocess.run([sys.executable, "-c", PASSES_PROBE, "check", "--no-cache", "-j", "2", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    passes = [line for line in result.stderr.splitlines() if line.startswith("_phase")]
    assert passes == ["_phase_a: False", "_phase_b: True"]


def test_a_file_with_a_finding_is_parsed_with_libcst(tmp_path):
    (tmp_path / "m.py").write_text(NOTHING_TO_REPORT)
    (tmp_path / "svc.py").write_text("import asyncio\n\nq = asyncio.Queue()\n")
    (tmp_path / "pyproject.toml").write_text("[tool.dispatch-lint]\n")
    assert probe("check", "--no-cache", str(tmp_path)) == (1, "libcst loaded")


def test_the_rules_documentation_never_loads_libcst():
    assert probe("explain", "DSP101") == (0, "libcst not loaded")
    assert probe("rules") == (0, "libcst not loaded")
