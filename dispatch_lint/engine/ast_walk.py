"""Small helpers over stdlib `ast` trees for the index facts."""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Tuple

from dispatch_lint.engine.facts_data import SPAWNERS


def dotted(node: ast.AST) -> Optional[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Subscript):  # Generic[T], Protocol[T]
        return dotted(node.value)
    return None


def is_stub(body: List[ast.stmt]) -> bool:
    for statement in body:
        if type(statement) is ast.Pass:
            continue
        if type(statement) is ast.Expr and type(statement.value) is ast.Constant and (
            isinstance(statement.value.value, (str, bytes)) or statement.value.value is Ellipsis
        ):
            continue
        if type(statement) is ast.Raise and statement.exc is not None:
            exc = statement.exc.func if type(statement.exc) is ast.Call else statement.exc
            if type(exc) is ast.Name and exc.id == "NotImplementedError":
                continue
        return False
    return True


# Child fields that can hold expressions or statements, per node type.
_SKIPPED_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "kind", "is_async", "level",
                             "lineno", "col_offset", "end_lineno", "end_col_offset"})
_FIELDS: Dict[type, Tuple[str, ...]] = {}


# Fields of expression nodes that hold nodes (or lists of nodes); the rest are
# identifiers, flags and operators.
EXPR_FIELDS: Dict[type, Tuple[str, ...]] = {
    kind: tuple(f for f in kind._fields if f not in _SKIPPED_FIELDS | {"id", "attr", "arg", "conversion", "value"})
    + (("value",) if kind in (ast.Attribute, ast.Subscript, ast.Starred, ast.keyword, ast.FormattedValue,
                                ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.DictComp) else ())
    for kind in (*ast.expr.__subclasses__(), ast.comprehension, ast.keyword, ast.arguments, ast.arg)
    if kind is not ast.Constant
}


def children(node: ast.AST) -> List[ast.AST]:
    kind = type(node)
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(f for f in kind._fields if f not in _SKIPPED_FIELDS)
    found: List[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if type(value) is list:
            found.extend(v for v in value if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


# An async function whose own body holds one of these is not dead async
# (AsyncFor/AsyncWith are statements and are handled where statements are).
AWAITING = frozenset({ast.Await, ast.Yield, ast.YieldFrom})
CLAUSES = frozenset({ast.ExceptHandler, ast.match_case, *([ast.TryStar] if hasattr(ast, "TryStar") else [])})


def is_spawner(name: Optional[str]) -> bool:
    """`create_task`, `gather`..., and any `*_task` call (`create_background_task`)."""
    return name is not None and (name in SPAWNERS or name.endswith("_task"))


def callee_name(func: ast.AST) -> Optional[str]:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def is_async_mock(node: ast.AST) -> bool:
    """`AsyncMock`, `mock.AsyncMock` or a call of either."""
    if type(node) is ast.Call:
        node = node.func
    return callee_name(node) == "AsyncMock"


def uses_async_mock(call: ast.Call) -> bool:
    if callee_name(call.func) in ("AsyncMock", "create_autospec"):
        return True
    return any(is_async_mock(arg) for arg in (*call.args, *(k.value for k in call.keywords)))
