"""Interrupt two-file fixes inside their write phase and count what is left.

Each round copies a two-file program (a dead async helper in `core.py`,
awaited from `app.py`), starts `dispatch-lint fix --unsafe-fixes` with the
write phase slowed down (`DISPATCH_LINT_FIX_STEP_DELAY`), waits until its
journal exists (the run is inside the write phase), waits a random part of the
phase, and sends SIGINT, SIGTERM or SIGKILL in turn. Then it checks the tree:
a half-applied group is one file fixed and the other not; a temporary file is
any `.dispatch-lint-*` left beside the sources. The next run (`check`) must
complete or roll back what a killed run left, and say so; after it the program
must print what it printed before.

    python scripts/interrupted_fixes.py --rounds 100
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

CORE = ("import asyncio\n\n\nasync def _helper():\n    return 41\n\n\n"
        "async def main():\n    await asyncio.sleep(0)\n    return await _helper() + 1\n")
APP = ("import asyncio\n\nfrom core import _helper, main\n\n\nasync def run():\n    await asyncio.sleep(0)\n"
       "    return await _helper(), await main()\n\n\nprint(asyncio.run(run()))\n")
OUTPUT = "(41, 42)\n"
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
STEP_DELAY = 0.1
STEPS = 4  # two files staged, two renamed


@dataclass
class Round:
    signal: str
    in_write_phase: bool
    half_applied_after_signal: bool
    half_applied_after_next_run: bool
    temporary_files: int
    said: str  # what the interrupted run or the next one said it did
    output_kept: bool


def _command() -> List[str]:
    script = Path(sys.executable).with_name("dispatch-lint")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dispatch_lint"]


def _state(root: Path) -> str:
    fixed = ["async def _helper" not in (root / "core.py").read_text(),
             "await _helper()" not in (root / "app.py").read_text()]
    return "new" if all(fixed) else "old" if not any(fixed) else "half"


def _leftovers(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.name.startswith(".dispatch-lint-"))


def one_round(folder: Path, number: int, rng: random.Random, timeout: float = 120) -> Round:
    root = folder / f"round{number}"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (root / "core.py").write_text(CORE)
    (root / "app.py").write_text(APP)
    sent = SIGNALS[number % len(SIGNALS)]
    env = {**os.environ, "DISPATCH_LINT_FIX_STEP_DELAY": str(STEP_DELAY)}
    process = subprocess.Popen([*_command(), "fix", "--unsafe-fixes", "-j", "1", "."], cwd=root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    journal = root / ".dispatch_lint_cache"
    deadline = time.monotonic() + timeout
    while not any(journal.glob("fix-journal-*.json")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(rng.uniform(0, STEP_DELAY * STEPS))
    in_write_phase = process.poll() is None and any(journal.glob("fix-journal-*.json"))
    process.send_signal(sent)
    _, err = process.communicate(timeout=timeout)
    half_after_signal = _state(root) == "half"
    settled = subprocess.run([*_command(), "check", "."], cwd=root, capture_output=True, text=True, timeout=timeout)
    said = " ".join(line for line in (err + settled.stderr).splitlines()
                    if "interrupted" in line and "dispatch-lint" in line)
    program = subprocess.run([sys.executable, "app.py"], cwd=root, capture_output=True, text=True, timeout=timeout)
    return Round(signal.Signals(sent).name, in_write_phase, half_after_signal, _state(root) == "half",
                 _leftovers(root), said, program.stdout == OUTPUT)


def run_rounds(rounds: int, seed: int = 13, folder: Optional[Path] = None) -> List[Round]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="dispatch-lint-interrupt-") as temp:
        return [one_round(Path(folder or temp), n, rng) for n in range(rounds)]


def report(results: List[Round]) -> str:
    by_signal = Counter(r.signal for r in results)
    lines = ["| signal | rounds | inside the write phase | half-applied after the signal | "
             "half-applied after the next run | temporary files left | said what it did | program output kept |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in sorted(by_signal):
        mine = [r for r in results if r.signal == name]
        lines.append(f"| {name} | {len(mine)} | {sum(r.in_write_phase for r in mine)} | "
                     f"{sum(r.half_applied_after_signal for r in mine)} | {sum(r.half_applied_after_next_run for r in mine)} | "
                     f"{sum(r.temporary_files for r in mine)} | {sum(bool(r.said) for r in mine)} | "
                     f"{sum(r.output_kept for r in mine)} |")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    print(report(run_rounds(args.rounds, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
