"""Output formats for `check`. Each takes the sorted findings and returns text."""

from __future__ import annotations

import json
from typing import Callable, Dict, List, Sequence

from dispatch_lint.types import Diagnostic


def fix_label(diagnostic: Diagnostic) -> str:
    if diagnostic.fix is None:
        return ""
    return f" [fix: {diagnostic.fix.applicability.value}]"


def text(diagnostics: Sequence[Diagnostic]) -> str:
    lines = [
        f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}{fix_label(d)}" for d in diagnostics
    ]
    return "".join(line + "\n" for line in lines)


def as_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps([d.to_dict() for d in diagnostics], indent=2) + "\n"


FORMATS: Dict[str, Callable[[Sequence[Diagnostic]], str]] = {
    "text": text,
    "json": as_json,
}


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    if not diagnostics:
        return "All checks passed.\n"
    safe = sum(1 for d in diagnostics if d.fix and d.fix.applicability.value == "safe")
    unsafe = sum(1 for d in diagnostics if d.fix and d.fix.applicability.value == "unsafe")
    noun = "finding" if len(diagnostics) == 1 else "findings"
    parts: List[str] = []
    if safe:
        parts.append(f"{safe} fixable with `dispatch-lint fix`")
    if unsafe:
        parts.append(f"{unsafe} more with `dispatch-lint fix --unsafe-fixes`")
    extra = f" ({', '.join(parts)})" if parts else ""
    return f"Found {len(diagnostics)} {noun}{extra}.\n"
