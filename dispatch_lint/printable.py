"""File names as reports may show them: one line, valid UTF-8.

A name holding a newline would print a fake finding line, and one holding bytes
that are not UTF-8 (lone surrogates once decoded) would make JSON and SARIF
invalid; both are shown escaped (`\\n`, `\\xff`) instead.
"""

from __future__ import annotations

import dataclasses
import os
from typing import List, Sequence

from dispatch_lint.types import Diagnostic


def printable(path: str) -> str:
    if path.isprintable():
        try:
            path.encode("utf-8")
            return path
        except UnicodeEncodeError:
            pass
    try:
        text = os.fsencode(path).decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        text = path.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def printable_diagnostics(diagnostics: Sequence[Diagnostic]) -> List[Diagnostic]:
    """`diagnostics` with their paths (and their fixes' paths) printable."""
    out = []
    for d in diagnostics:
        fix = d.fix
        if fix is not None and any(printable(e.path) != e.path for e in fix.edits):
            fix = dataclasses.replace(fix, edits=tuple(dataclasses.replace(e, path=printable(e.path))
                                                       for e in fix.edits))
        out.append(d if printable(d.path) == d.path and fix is d.fix
                   else dataclasses.replace(d, path=printable(d.path), fix=fix))
    return out
