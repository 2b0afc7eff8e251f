"""Shared test helpers: run the real command, read fixture markers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"#\s*error:\s*(DSP\d{3}(?:\s*,\s*DSP\d{3})*)")

Finding = Tuple[str, int, str]


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
