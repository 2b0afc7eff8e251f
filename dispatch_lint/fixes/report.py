"""What `fix` tells the user: a unified diff, and a summary of applied and remaining fixes."""

from __future__ import annotations

import difflib
import re
from typing import AbstractSet, Dict, List, Sequence

from dispatch_lint.fixes.loop import AppliedFix, FixOutcome
from dispatch_lint.printable import printable

LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
# Rules whose fixes drop `async` from definitions and `await` from call sites:
# their summary counts both (the dead-async cascade).
ASYNC_DROPPING = frozenset({"DSP201"})


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun}{'es' if noun.endswith(('s', 'x')) else 's'}"


def unified_diff(outcome: FixOutcome) -> str:
    pieces: List[str] = []
    for path, new in sorted(outcome.changed().items()):
        old = outcome.originals[path].text
        name = printable(path)
        for line in difflib.unified_diff(LINE.findall(old), LINE.findall(new), fromfile=name, tofile=name):
            if not line.endswith(("\n", "\r")):
                line += "\n\\ No newline at end of file\n"
            pieces.append(line)
    return "".join(pieces)


def async_counts(applied: Sequence[AppliedFix]) -> Dict[str, int]:
    """Definitions made sync, awaits dropped and files touched, read off the replaced text."""
    functions = calls = 0
    files = set()
    for fix in applied:
        for path, text in zip(fix.paths, fix.replaced):
            if text.startswith("async"):
                functions += 1
            elif text.startswith("await"):
                calls += 1
            else:
                continue
            files.add(path)
    return {"functions": functions, "calls": calls, "files": len(files)}


def _by_code(outcome: FixOutcome, async_dropping: AbstractSet[str]) -> List[str]:
    lines: List[str] = []
    codes: Dict[str, List[AppliedFix]] = {}
    for fix in outcome.applied:
        codes.setdefault(fix.diagnostic.code, []).append(fix)
    for code, fixes in sorted(codes.items()):
        passes = sorted({fix.pass_number for fix in fixes})
        if code in async_dropping:
            counts = async_counts(fixes)
            head = (f"{code}: {_plural(counts['functions'], 'function')}, "
                    f"{_plural(counts['calls'], 'call site')} in {_plural(counts['files'], 'file')}")
        else:
            head = f"{code}: {_plural(len(fixes), 'fix')}"
        if len(passes) > 1:
            head += f" (cascade over {_plural(len(passes), 'pass')})"
        lines.append(head)
        for fix in sorted(fixes, key=lambda f: (f.pass_number, f.diagnostic.sort_key)):
            d = fix.diagnostic
            lines.append(f"  pass {fix.pass_number}: {printable(d.path)}:{d.line}: {d.fix.description}")
    return lines


def summary(outcome: FixOutcome, *, written: bool, async_dropping: AbstractSet[str] = ASYNC_DROPPING) -> str:
    files = {path for fix in outcome.applied for path in fix.paths}
    verb = "Fixed" if written else "Would fix"
    if outcome.applied:
        lines = [f"{verb} {_plural(len(outcome.applied), 'finding')} in {_plural(len(files), 'file')}."]
        lines += _by_code(outcome, async_dropping)
    else:
        lines = ["No fixes applied."]
    if outcome.remaining:
        verb_remain = "remains" if len(outcome.remaining) == 1 else "remain"
        lines.append(f"{_plural(len(outcome.remaining), 'finding')} {verb_remain}:")
        for remaining in outcome.remaining:
            d = remaining.diagnostic
            lines.append(f"  {printable(d.path)}:{d.line}:{d.column}: {d.code} {d.message} "
                         f"[{printable(remaining.reason)}]")
    else:
        lines.append("No findings remain.")
    return "".join(line + "\n" for line in lines)
