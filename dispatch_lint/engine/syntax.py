"""Check syntax with CPython's own parser before LibCST sees a file.

`ast` is about ten times faster than LibCST and refuses nesting deep enough to
crash LibCST's native parser (a segmentation fault near 2,000 brackets). One
shape slips through: `ast` keeps `a and b and ...` flat, while LibCST nests one
node per operand and crashes near 7,000 operands. Such files are refused here
too, so a file that reaches LibCST is always one it can parse safely.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from typing import Optional, Union

from dispatch_lint.config import DEFAULT_MEMORY_BUDGET

# `ast` nests at most about 3,000 levels; LibCST parses that much safely, and
# boolean chains may add this many levels on top before a file is refused.
MAX_BOOL_OPERANDS = 1_000
MAX_LIBCST_DEPTH = 4_000
TOO_DEEP = "too deeply nested to parse safely"
# An upper bound on the boolean keywords: `and`/`or` not inside a longer name
# (a number literal may end in a-f or j right before the keyword, as in `0xfor`).
BOOL_KEYWORD = re.compile(r"(?<![g-ik-zG-IK-Z_])(?:and|or)(?![A-Za-z0-9_])")


# Peak memory of a parse, in bytes per byte of source: the largest figures
# measured (`benchmarks/bench.py --memory`, generated modules of short
# statements), rounded up. A file whose estimate exceeds the `memory-budget`
# setting is refused (DSP001) before the parse, in workers and in the main process.
AST_BYTES_PER_BYTE = 200
LIBCST_BYTES_PER_BYTE = 650


def over_budget(text: str, per_byte: int, budget: Optional[int]) -> Optional[str]:
    """Why parsing `text` would take more than `budget` bytes, or None."""
    need = len(text) * per_byte
    if budget is None or need <= budget:
        return None
    return (f"too large to parse within the memory budget: about {need >> 20} MB needed, "
            f"`memory-budget` is {budget >> 20} MB")


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    line: int
    column: int


def parse_ast(text: str, path: str, budget: Optional[int] = DEFAULT_MEMORY_BUDGET) -> Union[ast.Module, SyntaxProblem]:
    refusal = over_budget(text, AST_BYTES_PER_BYTE, budget)
    if refusal:
        return SyntaxProblem(refusal, 1, 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        return SyntaxProblem(f"syntax error: {exc.msg}", exc.lineno or 1, (exc.offset or 1))
    except (RecursionError, MemoryError):
        return SyntaxProblem(TOO_DEEP, 1, 1)
    except ValueError as exc:  # e.g. null bytes on older Pythons
        return SyntaxProblem(f"cannot parse: {exc}", 1, 1)
    return vet_tree(tree, text)


def vet_tree(tree: ast.Module, text: str) -> Union[ast.Module, SyntaxProblem]:
    """`tree`, an `ast` parse of `text` (ours or flake8's), unless LibCST could not
    parse `text` safely."""
    # A text with few boolean keywords cannot hold a chain long enough to
    # matter; the cheap count screens the slower regex, which screens the walk.
    if text.count("and") + text.count("or") < MAX_BOOL_OPERANDS:
        return tree
    if len(BOOL_KEYWORD.findall(text)) < MAX_BOOL_OPERANDS:
        return tree
    deepest = _deepest_libcst_node(tree)
    if deepest is not None:
        return SyntaxProblem(TOO_DEEP, getattr(deepest, "lineno", 1), getattr(deepest, "col_offset", 0) + 1)
    return tree


def _deepest_libcst_node(tree: ast.AST) -> Union[ast.AST, None]:
    """The first node nested deeper than LibCST can parse, counting one level per
    boolean operand as LibCST does; iterative, so depth cannot overflow it.
    (`ast.iter_child_nodes` inlined: the same children in the same order.)"""
    stack = [(tree, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if isinstance(node, ast.BoolOp):
            depth += len(node.values) - 1
        if depth > MAX_LIBCST_DEPTH:
            return node
        depth += 1
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                push((value, depth))
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        push((item, depth))
    return None
