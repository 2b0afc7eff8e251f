"""Shared test helpers: run the real command, read fixture markers."""

from __future__ import annotations

import functools
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"#\s*error:\s*(DSP\d{3}(?:\s*,\s*DSP\d{3})*)")

Finding = Tuple[str, int, str]

# The folder xdist's workers of one run share (conftest.py sets it in each worker).
RUN_FOLDER: List[Path] = []


def computed_once(name: str, compute: Callable[[], Any]) -> Any:
    """`compute()`, computed once per test run: the first worker to ask computes
    it (under a lock) and leaves it in the run's shared folder for the other.
    Without xdist, or without POSIX locks, each process computes its own."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return compute()
    if not RUN_FOLDER:
        return compute()
    stored = RUN_FOLDER[0] / f"computed-{name}.pickle"
    with open(stored.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stored.exists():
            return pickle.loads(stored.read_bytes())
        value = compute()
        stored.write_bytes(pickle.dumps(value))
        return value


def run_cli(*args: str, cwd=None, input: str = None, env: Dict[str, str] = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "dispatch_lint", *args],
        cwd=cwd or ROOT, capture_output=True, text=True, input=input, env=full_env, timeout=600,
    )


def check_json(*args: str, cwd=None) -> List[dict]:
    result = run_cli("check", "--format", "json", "--no-cache", *args, cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def expected_markers(files: Iterable[Path], relative_to: Path) -> Set[Finding]:
    found: Set[Finding] = set()
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
            match = MARKER.search(line)
            if match:
                for code in match.group(1).split(","):
                    found.add((path.relative_to(relative_to).as_posix(), number, code.strip()))
    return found


FIXTURE_FOLDERS = tuple(sorted(p for p in (ROOT / "fixtures").iterdir() if p.is_dir()))


def fixture_folder(path: str) -> str:
    """The fixture folder (`fixtures/NAME`) a reported path lies in."""
    return "/".join(Path(path).as_posix().split("/")[:2])


FIXTURE_PATHS = tuple(str(p.relative_to(ROOT)) for p in FIXTURE_FOLDERS)


@functools.lru_cache(maxsize=None)
def fixture_run() -> Tuple[dict, ...]:
    """`check --format json` over every fixture folder (FIXTURE_PATHS), once per test run.

    The fixtures lie inside this checkout, so each folder's project index is the
    whole checkout whichever folders a run names: one run over all of them gives
    each folder the findings a run of its own gives, at the cost of one."""
    return computed_once("fixture-run", lambda: tuple(check_json(*FIXTURE_PATHS)))


def fixture_findings() -> Dict[str, Tuple[dict, ...]]:
    """`fixture_run()` by fixture folder."""
    by_folder: Dict[str, List[dict]] = {folder: [] for folder in FIXTURE_PATHS}
    for finding in fixture_run():
        by_folder[fixture_folder(finding["path"])].append(finding)
    return {folder: tuple(found) for folder, found in by_folder.items()}
