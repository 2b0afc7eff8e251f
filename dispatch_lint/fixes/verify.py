"""Check a fixed file before it is accepted: it must parse, compile and encode."""

from __future__ import annotations

from typing import Optional

from dispatch_lint.config import DEFAULT_MEMORY_BUDGET
from dispatch_lint.engine.sources import Source
from dispatch_lint.engine.syntax import LIBCST_BYTES_PER_BYTE, over_budget


def breakage(path: str, text: str, original: Optional[Source],
             budget: Optional[int] = DEFAULT_MEMORY_BUDGET) -> Optional[str]:
    """Why `text` must not replace the file at `path`, or None when it may
    (a file too large to verify within the memory `budget` may not)."""
    refusal = over_budget(text, LIBCST_BYTES_PER_BYTE, budget)
    if refusal:
        return f"the fixed {path} is {refusal}"
    import libcst as cst

    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        if original is None or _libcst_parses(original.text):
            return f"the fixed {path} would not parse: {exc.message} (line {exc.raw_line})"
        # LibCST could not parse the file before the fix either (a limit of its
        # parser, not a syntax error): `compile` below is the judge.
    except RecursionError:
        return f"the fixed {path} is nested too deeply to parse"
    try:
        compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        return f"the fixed {path} would not compile: {getattr(exc, 'msg', exc)}{where}"
    except RecursionError:
        return f"the fixed {path} is nested too deeply to compile"
    if original is not None:
        try:
            original.encode(text)
        except UnicodeEncodeError as exc:
            return f"the fixed {path} cannot be encoded as {original.encoding}: {exc.reason}"
    return None


def _libcst_parses(text: str) -> bool:
    import libcst as cst

    try:
        cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError):
        return False
    return True
