"""Choose and render `check`'s output: the formats, `--statistics`, colour."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Callable, Dict, Sequence, TextIO

from dispatch_lint.frontends.formats.github import github
from dispatch_lint.frontends.formats.json_output import as_json
from dispatch_lint.frontends.formats.sarif import sarif
from dispatch_lint.frontends.formats.text import concise, summary, text
from dispatch_lint.types import Applicability, Diagnostic

FORMATS: Dict[str, Callable[[Sequence[Diagnostic]], str]] = {
    "text": text,
    "concise": concise,
    "json": as_json,
    "sarif": sarif,
    "github": github,
}

__all__ = ["FORMATS", "render", "statistics", "summary", "use_color"]


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def render(name: str, diagnostics: Sequence[Diagnostic], color: bool = False) -> str:
    if name == "text":
        return text(diagnostics, color)
    return FORMATS[name](diagnostics)


def statistics(diagnostics: Sequence[Diagnostic], as_json_list: bool) -> str:
    """Counts by code, most frequent first, as ruff's `--statistics` prints them."""
    counts = Counter(d.code for d in diagnostics)
    names = {d.code: d.name for d in diagnostics}
    fixable = {d.code for d in diagnostics if d.fix and d.fix.applicability is Applicability.SAFE}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if as_json_list:
        data = [{"code": c, "name": names[c], "count": n, "fixable": c in fixable} for c, n in rows]
        return json.dumps(data, indent=2) + "\n"
    width = max((len(str(n)) for _, n in rows), default=1)
    lines = [f"{n:>{width}}\t{c}\t{'[*] ' if c in fixable else ''}{names[c]}\n" for c, n in rows]
    return "".join(lines)
