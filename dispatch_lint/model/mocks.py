"""What tests replace with `AsyncMock`: such a function must stay a coroutine."""

from __future__ import annotations

import ast
from typing import Iterator, Optional


def _dotted(node: ast.AST) -> Optional[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


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
        spec_name = _dotted(spec)
        if spec_name:
            yield "class:" + spec_name.rsplit(".", 1)[-1]
