"""LibCST is loaded only to parse a file that some rule may report on: a check of
files that hold nothing to report, `explain` and `rules` never import it
(importing it is most of the cost of a short run). A run that forks workers
loads it before forking when the rules' text pre-filters let a file through
(with a project model, as soon as the first pass finds such a file)."""

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


def test_a_file_with_a_finding_is_parsed_with_libcst(tmp_path):
    (tmp_path / "m.py").write_text(NOTHING_TO_REPORT)
    (tmp_path / "svc.py").write_text("import asyncio\n\nq = asyncio.Queue()\n")
    (tmp_path / "pyproject.toml").write_text("[tool.dispatch-lint]\n")
    assert probe("check", "--no-cache", str(tmp_path)) == (1, "libcst loaded")


def test_the_rules_documentation_never_loads_libcst():
    assert probe("explain", "DSP101") == (0, "libcst not loaded")
    assert probe("rules") == (0, "libcst not loaded")
