"""Symbolic expressions stored in the facts: what the code says, evaluated only
once the project is joined (names may be bound in other files).

Nested tuples, the first item a tag:
`("n", name)`, `("a", expr, attr)`, `("c", func, args, keywords)` (keywords as
`(name, expr)` pairs; a call of a channel constructor also carries its
`(line, column)`, so that two alike constructions in one scope stay two),
`("s", expr, key)` (key a constant or unknown),
`("k", constant)`, `("l", elements)` (list, tuple or set display),
`("d", keys, values)`, `("comp", scope, element)`, `("iter", expr)` (one element
of an iterable), `("ann", annotation)` (an instance of the annotation),
`("item", expr)` (an element put in a container), `("await", expr)`,
`("if", expr, expr)`, `("imp", dotted)`, `("def", index)`, `("cls", index)`,
`("self", class index)`, `("clsobj", class index)`, `("param", def index, name)`,
`("with", expr)`, `("?",)` for what the model does not follow.
"""

from __future__ import annotations

import ast
import math
from typing import Any, Optional, Tuple

from dispatch_lint.channels.table import CONSTRUCTOR_WORDS
from dispatch_lint.model.facts import Expr

UNKNOWN_EXPR: Expr = ("?",)
MAX_DEPTH = 8
_CONSTANTS = (int, float, str, bool, type(None))


def constant(value: Any) -> Expr:
    if type(value) not in _CONSTANTS or (type(value) is float and not math.isfinite(value)):
        return UNKNOWN_EXPR
    if type(value) is str and len(value) > 200:
        return UNKNOWN_EXPR
    return ("k", value)


def dotted_name(expr: Expr) -> Optional[str]:
    """`a.b.c` for `("a", ("a", ("n", "a"), "b"), "c")`; None for anything else."""
    parts = []
    while expr[0] == "a":
        parts.append(expr[2])
        expr = expr[1]
    if expr[0] != "n":
        return None
    parts.append(expr[1])
    return ".".join(reversed(parts))


def target_of(node: ast.AST) -> Optional[Expr]:
    """A name or attribute chain as a use target (receivers without arguments)."""
    kind = type(node)
    if kind is ast.Name:
        return ("n", node.id)
    if kind is ast.Attribute:
        return ("a", receiver_of(node.value, 0), node.attr)
    return None


def receiver_of(node: ast.AST, depth: int) -> Expr:
    """A receiver, kept short: calls without their arguments, subscripts without keys."""
    if depth > MAX_DEPTH:
        return UNKNOWN_EXPR
    kind = type(node)
    if kind is ast.Name:
        return ("n", node.id)
    if kind is ast.Attribute:
        return ("a", receiver_of(node.value, depth + 1), node.attr)
    if kind is ast.Call:
        return ("c", receiver_of(node.func, depth + 1), (), ())
    if kind is ast.Subscript:
        return ("s", receiver_of(node.value, depth + 1), UNKNOWN_EXPR)
    return UNKNOWN_EXPR


BUILD_WORDS = frozenset(CONSTRUCTOR_WORDS)


def called_word(func: ast.AST) -> str:
    """The last name part of what a call calls (`create_memory_object_stream[T](n)` included)."""
    if type(func) is ast.Subscript:
        func = func.value
    if type(func) is ast.Name:
        return func.id
    return func.attr if type(func) is ast.Attribute else ""


def convert(node: Optional[ast.AST], comps: Any = None, depth: int = 0) -> Expr:
    """The symbolic form of a value expression. `comps(node)` gives the scope id
    of a comprehension node (the walk creates it)."""
    if node is None or depth > MAX_DEPTH:
        return UNKNOWN_EXPR
    kind = type(node)
    below = depth + 1
    if kind is ast.Name:
        return ("n", node.id)
    if kind is ast.Attribute:
        return ("a", convert(node.value, comps, below), node.attr)
    if kind is ast.Call:
        args = tuple(convert(a, comps, below) for a in node.args[:4])
        keywords = tuple((k.arg, convert(k.value, comps, below)) for k in node.keywords[:4] if k.arg)
        if called_word(node.func) in BUILD_WORDS:
            return ("c", convert(node.func, comps, below), args, keywords, (node.lineno, node.col_offset))
        return ("c", convert(node.func, comps, below), args, keywords)
    if kind is ast.Constant:
        return constant(node.value)
    if kind is ast.Subscript:
        key = node.slice
        return ("s", convert(node.value, comps, below), constant(key.value) if type(key) is ast.Constant else UNKNOWN_EXPR)
    if kind in (ast.List, ast.Tuple, ast.Set):
        return ("l", tuple(convert(e, comps, below) for e in node.elts[:8]))
    if kind is ast.Dict:
        return ("d", (), tuple(convert(v, comps, below) for v in node.values[:8]))
    if kind in (ast.ListComp, ast.SetComp, ast.GeneratorExp) and comps is not None:
        return ("comp", comps(node), convert(node.elt, comps, below))
    if kind is ast.DictComp and comps is not None:
        return ("comp", comps(node), convert(node.value, comps, below))
    if kind is ast.Await:
        return ("await", convert(node.value, comps, below))
    if kind is ast.IfExp:
        return ("if", convert(node.body, comps, below), convert(node.orelse, comps, below))
    if kind is ast.NamedExpr:
        return convert(node.value, comps, below)
    if kind is ast.UnaryOp and type(node.op) is ast.USub and type(node.operand) is ast.Constant:
        return constant(-node.operand.value) if type(node.operand.value) in (int, float) else UNKNOWN_EXPR
    return UNKNOWN_EXPR


def unpacked(value: Expr, count: int, index: int) -> Expr:
    """Element `index` of `value` unpacked into `count` targets."""
    if value[0] == "l" and len(value[1]) == count:
        return value[1][index]
    return ("s", value, ("k", index))


def elements(value: Expr) -> Tuple[Expr, ...]:
    return value[1] if value[0] == "l" else ()
