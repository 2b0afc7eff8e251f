"""Real-project proof for `fix`: run a project's tests, fix it, run them again.

For each project (asgiref, janus, aiofiles: pinned in scripts/corpus.py), on
fresh copies of its unpacked sdist:
  1. run its own test suite in a throwaway venv (test dependencies pinned below);
  2. `dispatch-lint fix --select DSP201` (safe fixes only), rerun the tests;
  3. on another copy, the same with `--unsafe-fixes`, rerun the tests.
Every changed file must compile, and a second `fix` must change nothing.
It reports the functions and call sites rewritten and the tests passed before
and after, and exits 1 when a test that passed before fails after the safe fixes.

    python scripts/roundtrip.py                  # all three
    python scripts/roundtrip.py janus --json     # one, machine-readable
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import venv
import xml.etree.ElementTree as ElementTree
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402

# Test requirements common to the three projects (their own test extras, pinned).
TEST_DEPS = ("pytest==8.3.5", "pytest-asyncio==1.0.0", "pytest-benchmark==5.1.0", "packaging==25.0")
# Per project: where its package lives (PYTHONPATH) and extra pytest arguments.
PROJECTS: Dict[str, Dict[str, Sequence[str]]] = {
    "asgiref": {"path": (".",), "pytest": ("tests",)},
    # janus's setup.cfg asks for pytest-cov options; coverage is not the point here.
    "janus": {"path": (".",), "pytest": ("tests", "-o", "addopts=")},
    "aiofiles": {"path": ("src",), "pytest": ("tests",)},
}
CASCADE = re.compile(r"^DSP201: (\d+) functions?, (\d+) call sites? in (\d+) files?", re.MULTILINE)
TEST_TIMEOUT = 600


class RoundTripError(RuntimeError):
    """The environment cannot run the round trip (no venv, no PyPI, no corpus)."""


@dataclass
class TestRun:
    passed: Set[str] = field(default_factory=set)
    failed: Set[str] = field(default_factory=set)
    skipped: int = 0

    def summary(self) -> Dict[str, int]:
        return {"passed": len(self.passed), "failed": len(self.failed), "skipped": self.skipped}


@dataclass
class FixRun:
    mode: str
    functions: int
    call_sites: int
    files_changed: int
    remaining: int
    compiles: bool
    idempotent: bool
    tests: Dict[str, int]
    newly_failing: List[str]


@dataclass
class Report:
    project: str
    version: str
    tests_before: Dict[str, int]
    fixes: List[FixRun]

    @property
    def ok(self) -> bool:
        safe = self.fixes[0]
        return safe.compiles and safe.idempotent and not safe.newly_failing


def test_venv() -> Path:
    """A venv with the test requirements, made once under the corpus cache."""
    folder = corpus.cache_dir() / "venvs" / "roundtrip"
    python = folder / "bin" / "python"
    stamp = folder / "requirements.txt"
    if python.exists() and stamp.is_file() and stamp.read_text() == "\n".join(TEST_DEPS):
        return python
    shutil.rmtree(folder, ignore_errors=True)
    venv.create(folder, with_pip=True)
    result = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                             *TEST_DEPS], capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise RoundTripError(f"cannot install the test requirements: {last}")
    stamp.write_text("\n".join(TEST_DEPS))
    return python


def run_tests(python: Path, project: str, folder: Path) -> TestRun:
    settings = PROJECTS[project]
    report = folder / ".roundtrip-junit.xml"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(str(folder / p) for p in settings["path"]),
               PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTEST_ADDOPTS", None)
    subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                    *settings["pytest"]], cwd=folder, env=env, capture_output=True, timeout=TEST_TIMEOUT)
    if not report.is_file():
        raise RoundTripError(f"{project}: pytest wrote no report")
    run = TestRun()
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        if case.find("skipped") is not None:
            run.skipped += 1
        elif case.find("failure") is not None or case.find("error") is not None:
            run.failed.add(name)
        else:
            run.passed.add(name)
    report.unlink()
    return run


def dispatch_lint_fix(folder: Path, unsafe: bool) -> str:
    command = [sys.executable, "-m", "dispatch_lint", "fix", "--select", "DSP201", "--no-cache", str(folder)]
    if unsafe:
        command.append("--unsafe-fixes")
    result = subprocess.run(command, capture_output=True, text=True, timeout=TEST_TIMEOUT)
    if result.returncode not in (0, 1):
        raise RoundTripError(f"dispatch-lint fix failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def _python_files(folder: Path) -> Dict[Path, bytes]:
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*.py"))}


def fix_and_retest(python: Path, project: str, pristine: Path, before: TestRun, unsafe: bool,
                   scratch: Path) -> FixRun:
    mode = "unsafe" if unsafe else "safe"
    folder = scratch / f"{project}-{mode}"
    shutil.copytree(pristine, folder)
    original = _python_files(folder)
    out = dispatch_lint_fix(folder, unsafe)
    fixed = _python_files(folder)
    changed = [path for path, data in fixed.items() if original.get(path) != data]
    compiles = True
    for path in changed:
        try:
            compile(fixed[path], str(path), "exec", dont_inherit=True)
        except SyntaxError:
            compiles = False
    again = dispatch_lint_fix(folder, unsafe)
    idempotent = "No fixes applied." in again and _python_files(folder) == fixed
    counts = CASCADE.search(out)
    functions, calls = (int(counts.group(1)), int(counts.group(2))) if counts else (0, 0)
    remaining = re.search(r"^(\d+) findings? remains?:", out, re.MULTILINE)
    after = run_tests(python, project, folder)
    return FixRun(mode, functions, calls, len(changed), int(remaining.group(1)) if remaining else 0,
                  compiles, idempotent, after.summary(), sorted(before.passed - after.passed))


def round_trip(project: str, scratch: Path, python: Optional[Path] = None) -> Report:
    try:
        pristine = corpus.ensure([project])[project]
    except corpus.CorpusUnavailable as exc:
        raise RoundTripError(str(exc)) from exc
    python = python or test_venv()
    clean = scratch / f"{project}-before"
    shutil.copytree(pristine, clean)
    before = run_tests(python, project, clean)
    fixes = [fix_and_retest(python, project, pristine, before, unsafe, scratch) for unsafe in (False, True)]
    return Report(project, corpus.PINNED[project], before.summary(), fixes)


def describe(report: Report) -> str:
    b = report.tests_before
    lines = [f"{report.project}=={report.version}: tests before: {b['passed']} passed, "
             f"{b['failed']} failed, {b['skipped']} skipped"]
    for fix in report.fixes:
        t = fix.tests
        lines.append(
            f"  {fix.mode:6} fix: {fix.functions} functions, {fix.call_sites} call sites, "
            f"{fix.files_changed} files; {fix.remaining} DSP201 findings left; compiles: {fix.compiles}; "
            f"second run changes nothing: {fix.idempotent}; tests after: {t['passed']} passed, "
            f"{t['failed']} failed, {t['skipped']} skipped")
        for name in fix.newly_failing:
            lines.append(f"    newly failing: {name}")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="*", metavar="PROJECT", help=f"default: {' '.join(PROJECTS)}")
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the fixed copies and print where")
    args = parser.parse_args(argv)
    unknown = [p for p in args.projects if p not in PROJECTS]
    if unknown:
        parser.error(f"unknown project(s) {', '.join(unknown)}; choose from {', '.join(PROJECTS)}")
    args.projects = args.projects or list(PROJECTS)
    scratch = Path(tempfile.mkdtemp(prefix="dispatch-lint-roundtrip-"))
    try:
        reports = [round_trip(project, scratch) for project in args.projects]
    except RoundTripError as exc:
        sys.stderr.write(f"roundtrip: {exc}\n")
        return 2
    finally:
        if args.keep:
            sys.stderr.write(f"copies kept in {scratch}\n")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        print(json.dumps([dict(asdict(r), ok=r.ok) for r in reports], indent=2))
    else:
        print("\n".join(describe(r) for r in reports))
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
