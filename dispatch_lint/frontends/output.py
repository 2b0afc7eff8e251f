"""Choose and render `check`'s output: the formats, `--statistics`, colour, paths."""

from __future__ import annotations

import dataclasses
import json
import os
from collections import Counter
from typing import Callable, Dict, Mapping, Optional, Sequence, TextIO

from dispatch_lint.frontends.formats.github import github
from dispatch_lint.frontends.formats.json_output import as_json
from dispatch_lint.frontends.formats.sarif import sarif
from dispatch_lint.frontends.formats.text import BOLD, CYAN, RED, RESET, concise, display_path, read_text, \
    summary, text
from dispatch_lint.types import Applicability, Diagnostic

FORMATS: Dict[str, Callable[[Sequence[Diagnostic]], str]] = {
    "text": text,
    "concise": concise,
    "json": as_json,
    "sarif": sarif,
    "github": github,
}
GREEN = "\x1b[32m"

__all__ = ["FORMATS", "color_diff", "render", "statistics", "summary", "use_color"]


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def render(name: str, diagnostics: Sequence[Diagnostic], color: bool = False,
           sources: Optional[Mapping[str, str]] = None) -> str:
    """The report in format `name`; `sources` holds texts that are not on disk (stdin).
    Paths are shown relative to the working folder (SARIF has its own base)."""
    if name == "sarif":
        return sarif(diagnostics)
    shown = [dataclasses.replace(d, path=display_path(d.path)) for d in diagnostics]
    if name != "text":
        return FORMATS[name](shown)
    overlay = {display_path(path): source for path, source in (sources or {}).items()}
    return text(shown, color, lambda path: overlay[path] if path in overlay else read_text(path))


def statistics(diagnostics: Sequence[Diagnostic], as_json_list: bool) -> str:
    """Counts by code, most frequent first, in aligned columns (`[*]`: a safe fix)."""
    counts = Counter(d.code for d in diagnostics)
    names = {d.code: d.name for d in diagnostics}
    fixable = {d.code for d in diagnostics if d.fix and d.fix.applicability is Applicability.SAFE}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if as_json_list:
        data = [{"code": c, "name": names[c], "count": n, "fixable": c in fixable} for c, n in rows]
        return json.dumps(data, indent=2) + "\n"
    width = max((len(str(n)) for _, n in rows), default=1)
    code_width = max((len(c) for c, _ in rows), default=1)
    lines = [f"{n:>{width}}  {c:<{code_width}}  {'[*]' if c in fixable else '   '} {names[c]}\n" for c, n in rows]
    return "".join(lines)


def color_diff(diff: str) -> str:
    """A unified diff coloured as git colours it (for a terminal)."""
    styles = (("+++", BOLD), ("---", BOLD), ("@@", CYAN), ("+", GREEN), ("-", RED))
    out = []
    for line in diff.splitlines(keepends=True):
        style = next((s for prefix, s in styles if line.startswith(prefix)), "")
        body = line.rstrip("\r\n")
        out.append(f"{style}{body}{RESET}{line[len(body):]}" if style and body else line)
    return "".join(out)
