"""Small helpers over stdlib `ast` trees for the index facts."""

from __future__ import annotations

import ast
from typing import Dict, Iterator, List, Optional, Tuple


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


# Fields holding the nodes of common statements (and clauses), in source order.
_STATEMENT_FIELDS: Dict[type, Tuple[str, ...]] = {
    ast.With: ("items", "body"), ast.AsyncWith: ("items", "body"),
    ast.For: ("target", "iter", "body", "orelse"), ast.AsyncFor: ("target", "iter", "body", "orelse"),
    ast.While: ("test", "body", "orelse"), ast.Try: ("body", "handlers", "orelse", "finalbody"),
    ast.ExceptHandler: ("type", "body"), ast.Raise: ("exc", "cause"),
    ast.AnnAssign: ("target", "annotation", "value"), ast.AugAssign: ("target", "value"),
    ast.Delete: ("targets",), ast.Pass: (), ast.Break: (), ast.Continue: (), ast.Global: (), ast.Nonlocal: (),
    **({ast.TryStar: ("body", "handlers", "orelse", "finalbody")} if hasattr(ast, "TryStar") else {}),
}
# How a stack walk pushes the children of a node: (fields, whether lists go in
# reversed). Statements push their last field first and reverse lists, so their
# children come off the stack in source order; expressions push field by field,
# so theirs come off in reverse.
PUSH_PLANS: Dict[type, Tuple[Tuple[str, ...], bool]] = {
    **{kind: (fields, False) for kind, fields in EXPR_FIELDS.items()},
    ast.withitem: (("context_expr", "optional_vars"), False),
    **{kind: (fields[::-1], True) for kind, fields in _STATEMENT_FIELDS.items()},
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


def mocked_names(call: ast.Call) -> Iterator[str]:
    """What a mocking call (see `uses_async_mock`) makes a coroutine:
    `patch.object(C, "name", new_callable=AsyncMock)`, `patch("m.name", ...)`
    give `name`; `AsyncMock(spec=C)` / `create_autospec(C)` give `class:C`."""
    for arg in call.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            yield arg.value.rsplit(".", 1)[-1]
    specs = [k.value for k in call.keywords if k.arg in ("spec", "spec_set")]
    if callee_name(call.func) == "create_autospec" and call.args:
        specs.append(call.args[0])
    for spec in specs:
        spec_name = dotted(spec)
        if spec_name:
            yield "class:" + spec_name.rsplit(".", 1)[-1]
