"""`text` (the default, for people) and `concise` (one plain line per finding)."""

from __future__ import annotations

from typing import Sequence

from dispatch_lint.types import Applicability, Diagnostic

BOLD, RED, CYAN, DIM, RESET = "\x1b[1m", "\x1b[31m", "\x1b[36m", "\x1b[2m", "\x1b[0m"


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{RESET}" if color and text else text


def fix_label(diagnostic: Diagnostic) -> str:
    if diagnostic.fix is None:
        return ""
    return f" [fix: {diagnostic.fix.applicability.value}]"


def text(diagnostics: Sequence[Diagnostic], color: bool = False) -> str:
    lines = []
    for d in diagnostics:
        where = _paint(d.path, BOLD, color) + _paint(f":{d.line}:{d.column}:", DIM, color)
        code = _paint(d.code, BOLD + RED, color)
        lines.append(f"{where} {code} {d.message}{_paint(fix_label(d), CYAN, color)}\n")
    lines.append(summary(diagnostics))
    return "".join(lines)


def concise(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}\n" for d in diagnostics)


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    if not diagnostics:
        return "All checks passed.\n"
    safe = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.SAFE)
    unsafe = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.UNSAFE)
    noun = "finding" if len(diagnostics) == 1 else "findings"
    parts = []
    if safe:
        parts.append(f"{safe} fixable with `dispatch-lint fix`")
    if unsafe:
        parts.append(f"{unsafe} more with `dispatch-lint fix --unsafe-fixes`")
    extra = f" ({', '.join(parts)})" if parts else ""
    return f"Found {len(diagnostics)} {noun}{extra}.\n"
