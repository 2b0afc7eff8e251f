"""`text` (the default, for people) and `concise` (one plain line per finding).

`text` shows each finding as ruff does: a `path:line:col: CODE message` line,
the source line with a caret under the span, and the rule's how-to as a
`help:` line, once per rule per run.
"""

from __future__ import annotations

import os
import stat
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from dispatch_lint.types import Applicability, Diagnostic

BOLD, RED, CYAN, BLUE, RESET = "\x1b[1m", "\x1b[31m", "\x1b[36m", "\x1b[34m", "\x1b[0m"
# Longer lines are shown as a window around the finding's column.
MAX_SHOWN = 160
BEFORE_COLUMN = 40

# Reads a file's text (None when it cannot be read or decoded).
TextReader = Callable[[str], Optional[str]]


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{RESET}" if color and text else text


def read_text(path: str) -> Optional[str]:
    """The text of the regular file at `path` as the engine decodes it, or None
    (a FIFO or a device is never opened for a code frame)."""
    from dispatch_lint.engine.sources import Source, decode

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as handle:
            source = decode(path, handle.read())
    except OSError:
        return None
    return source.text if isinstance(source, Source) else None


def wanted_lines(diagnostics: Sequence[Diagnostic], reader: TextReader) -> Dict[Tuple[str, int], str]:
    """The source lines the findings sit on, each file read once and never split
    whole (a generated file can hold millions of lines)."""
    from dispatch_lint.engine.sources import NEWLINE

    wanted: Dict[str, set] = {}
    for d in diagnostics:
        wanted.setdefault(d.path, set()).add(d.line)
    found: Dict[Tuple[str, int], str] = {}
    for path, numbers in wanted.items():
        text = reader(path)
        if text is None:
            continue
        last, number, start = max(numbers), 1, 0
        for newline in NEWLINE.finditer(text):
            if number in numbers:
                found[(path, number)] = text[start:newline.start()]
            number, start = number + 1, newline.end()
            if number > last:
                break
        else:
            if number in numbers:
                found[(path, number)] = text[start:]
    return found


def _window(line: str, start: int, width: int) -> tuple:
    """The part of `line` to show, and the span's start and width within it (0-based)."""
    if len(line) <= MAX_SHOWN:
        return line, start, width
    first = max(0, start - BEFORE_COLUMN)
    shown = line[first:first + MAX_SHOWN]
    return shown, start - first, min(width, len(shown) - (start - first))


def fix_note(diagnostic: Diagnostic) -> str:
    if diagnostic.fix is None:
        return ""
    if diagnostic.fix.applicability is Applicability.SAFE:
        return "safe fix"
    return "unsafe fix (--unsafe-fixes)"


def code_frame(d: Diagnostic, line: Optional[str], color: bool) -> List[str]:
    """The source line with a caret under the span, ruff style."""
    if line is None:
        return []
    start = min(max(d.column - 1, 0), len(line))
    end = d.end_column - 1 if d.end_line == d.line else len(line)
    shown, start, width = _window(line, start, max(end - start, 1))
    gutter = " " * len(str(d.line))
    bar = _paint(f"{gutter} |", BLUE, color)
    # Tabs stay tabs, so the caret lines up under the span in any tab width.
    under = "".join("\t" if ch == "\t" else " " for ch in shown[:start])
    carets = _paint("^" * width, RED + BOLD, color)
    note = fix_note(d)
    return [
        f"{bar}\n",
        f"{_paint(f'{d.line} |', BLUE, color)} {shown}\n",
        f"{bar} {under}{carets}{' ' + _paint(note, CYAN, color) if note else ''}\n",
    ]


def text(diagnostics: Sequence[Diagnostic], color: bool = False, reader: TextReader = read_text) -> str:
    lines = wanted_lines(diagnostics, reader)
    helped = set()
    out: List[str] = []
    for d in diagnostics:
        where = _paint(f"{d.path}:{d.line}:{d.column}:", BOLD, color)
        out.append(f"{where} {_paint(d.code, BOLD + RED, color)} {d.message}\n")
        out += code_frame(d, lines.get((d.path, d.line)), color)
        if d.help and d.code not in helped:
            helped.add(d.code)
            gutter = " " * len(str(d.line))
            out.append(f"{gutter} {_paint('= help:', BOLD + CYAN, color)} {d.help}\n")
        out.append("\n")
    out.append(summary(diagnostics))
    return "".join(out)


def concise(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}\n" for d in diagnostics)


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    """`Found 5 findings: 3 fixable with `dispatch-lint fix`, 2 more with ...`."""
    if not diagnostics:
        return "All checks passed.\n"
    safe = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.SAFE)
    unsafe = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.UNSAFE)
    noun = "finding" if len(diagnostics) == 1 else "findings"
    parts = []
    if safe:
        parts.append(f"{safe} fixable with `dispatch-lint fix`")
    if unsafe:
        what = "more with" if safe else "fixable with"
        parts.append(f"{unsafe} {what} `dispatch-lint fix --unsafe-fixes`")
    extra = f": {', '.join(parts)}" if parts else ""
    return f"Found {len(diagnostics)} {noun}{extra}.\n"


def display_path(path: str, cwd: Optional[str] = None) -> str:
    """`path` relative to the working folder when it lies inside it, else as given."""
    if path == "-":
        return path
    cwd = cwd or os.getcwd()
    absolute = os.path.abspath(path)
    if absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        return os.path.relpath(absolute, cwd)
    return path
