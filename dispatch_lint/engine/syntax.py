"""Check syntax with CPython's own parser before LibCST sees a file.

`ast` is about ten times faster than LibCST and refuses nesting deep enough to
crash LibCST's native parser (a segmentation fault near 2,000 brackets), so a
file that reaches LibCST is always one it can parse safely.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass
from typing import Optional, Union


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    line: int
    column: int


def parse_ast(text: str, path: str) -> Union[ast.Module, SyntaxProblem]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text, filename=path)
    except SyntaxError as exc:
        return SyntaxProblem(f"syntax error: {exc.msg}", exc.lineno or 1, (exc.offset or 1))
    except (RecursionError, MemoryError):
        return SyntaxProblem("too deeply nested to parse safely", 1, 1)
    except ValueError as exc:  # e.g. null bytes on older Pythons
        return SyntaxProblem(f"cannot parse: {exc}", 1, 1)
