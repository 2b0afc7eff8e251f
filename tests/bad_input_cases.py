"""Bad input files for the reliability tests, generated at test time.

Each case is one file that dispatch-lint cannot (or can only just) analyse,
next to `good.py`, which holds one finding with a safe fix: a run that still
reports that finding has checked the other files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

GOOD = (
    "import asyncio\n\n\n"
    "async def _helper():\n    return 1\n\n\n"
    "async def main():\n    await asyncio.sleep(0)\n    return await _helper()\n"
)
GOOD_FIXED = GOOD.replace("async def _helper", "def _helper").replace("await _helper()", "_helper()")
GOOD_FINDING = "good.py:4:1: DSP201 `_helper` is declared `async` but never awaits"


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    # The one line reported for the file ("" when it has no finding).
    expected: str


def _deep_brackets() -> bytes:
    return ("x = " + "(" * 2000 + "1" + ")" * 2000 + "\n").encode()


def _not_chain() -> bytes:
    return ("x = " + "not " * 5000 + "True\n").encode()


def _and_chain() -> bytes:
    # `ast` accepts this (a flat BoolOp); LibCST 1.9 nests one node per operand
    # and dies with a segmentation fault near 7,000 of them.
    return ("x = " + " and ".join(["a"] * 20000) + "\n").encode()


CASES: Dict[str, Case] = {case.name: case for case in (
    Case("syntax_error", b"def f(:\n    pass\n", "bad.py:1:7: DSP001 syntax error: invalid syntax"),
    Case("python2", b'print "hello"\n',
         "bad.py:1:1: DSP001 syntax error: Missing parentheses in call to 'print'. Did you mean print(...)?"),
    Case("invalid_utf8", b"x = 1\ns = '\xe9t\xe9'\n",
         "bad.py:2:1: DSP002 cannot decode as utf-8: invalid continuation byte"),
    Case("bad_cookie", b"# -*- coding: klingon -*-\nx = 1\n",
         "bad.py:1:1: DSP002 bad encoding declaration: unknown encoding: klingon"),
    Case("null_byte", b"x = 1\ny = '\x00'\n", "bad.py:2:1: DSP002 file contains a null byte"),
    Case("empty", b"", ""),
    Case("only_comments", b"# one\n# two\n\n   # three", ""),
    Case("deep_brackets", _deep_brackets(), "bad.py:1:205: DSP001 syntax error: too many nested parentheses"),
    Case("not_chain", _not_chain(), "bad.py:1:1: DSP001 too deeply nested to parse safely"),
    Case("and_chain", _and_chain(), "bad.py:1:5: DSP001 too deeply nested to parse safely"),
)}
DEEP = ("deep_brackets", "not_chain", "and_chain")


def make_project(root: Path, bad: Optional[Case] = None, padding: int = 0) -> Path:
    """`root` as a project: pyproject.toml, good.py, the bad file, `padding` clean files."""
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (root / "good.py").write_text(GOOD)
    if bad is not None:
        (root / "bad.py").write_bytes(bad.data)
    for n in range(padding):
        (root / f"pad_{n}.py").write_text(f"VALUE_{n} = {n}\n")
    return root


def run(args: List[str], cwd: Path, stdin: bytes = b"", as_user: Optional[int] = None,
        timeout: float = 600, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    """Run a command with bytes on stdin; `as_user` drops to that uid and gid first."""
    prefix = []
    if as_user is not None:
        prefix = ["setpriv", f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups"]
    full_env = dict(os.environ, NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1", **(env or {}))
    result = subprocess.run([*prefix, *args], cwd=cwd, input=stdin, capture_output=True, env=full_env,
                            timeout=timeout)
    return subprocess.CompletedProcess(result.args, result.returncode,
                                       result.stdout.decode("utf-8", "replace"),
                                       result.stderr.decode("utf-8", "replace"))


def dispatch_lint(*args: str, cwd: Path, stdin: bytes = b"", as_user: Optional[int] = None) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "dispatch_lint", *args], cwd, stdin, as_user)


# flake8 with its own checks and dispatch-lint's only: other plugins installed in
# the environment (flake8-async, also LibCST-based, dies on deep nesting) are not ours.
_FLAKE8_OWN_AND_DSP = """
import sys
from flake8.plugins import finder
from flake8.main.cli import main
_find = finder.find_plugins
finder.find_plugins = lambda *a, **k: [
    p for p in _find(*a, **k) if p.package in {"flake8", "pyflakes", "pycodestyle", "dispatch-lint"}]
sys.exit(main(sys.argv[1:]))
"""


def flake8(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # PYTHONSAFEPATH: `python -c` would import the project's own modules first, as `flake8` would not.
    return run([sys.executable, "-c", _FLAKE8_OWN_AND_DSP, *args], cwd, timeout=300, env={"PYTHONSAFEPATH": "1"})


def lines_about(output: str, name: str) -> List[str]:
    return [line for line in output.splitlines() if line.startswith(name)]
