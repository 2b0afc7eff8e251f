"""Rewrite an unbounded construction into a bounded one.

The capacity goes where the library expects it: an existing capacity argument
(`math.inf`, `maxsize=0`) is replaced in place; otherwise `maxsize=` is added
for asyncio, queue, multiprocessing and janus. anyio and trio default to 0, a
bounded rendezvous, so an unbounded one always has an argument to replace.
A module constant for the capacity is added after the imports when missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import libcst as cst

from dispatch_lint.channels.construction import capacity_argument
from dispatch_lint.channels.table import ChannelKind
from dispatch_lint.channels.tree import rule_tree
from dispatch_lint.types import Edit, Position


@dataclass(frozen=True, eq=False)
class Unbounded:
    """An unbounded construction on the checked file's tree: the constructor call,
    or the bare constructor given as a factory (`default_factory=asyncio.Queue`)."""

    kind: ChannelKind
    construction: cst.BaseExpression
    argument: Optional[cst.Arg]  # the capacity argument as written, if any


def unbounded_at(construction: cst.BaseExpression, kind: ChannelKind) -> Unbounded:
    argument = capacity_argument(construction, kind) if isinstance(construction, cst.Call) else None
    return Unbounded(kind, construction, argument)


def construction_text(rule: Any, binding: Unbounded) -> str:
    """The construction as a short text for messages: `trio.open_memory_channel(math.inf)`."""
    argument = binding.argument
    if not isinstance(binding.construction, cst.Call):
        return binding.kind.display
    if argument is None:
        return f"{binding.kind.display}()"
    keyword = f"{argument.keyword.value}=" if argument.keyword is not None else ""
    return f"{binding.kind.display}({keyword}{rule.context.module.code_for_node(argument.value)})"


def no_bound_reason(binding: Unbounded) -> Optional[str]:
    """Why a construction cannot be bounded by a rewrite, or None when it can."""
    kind = binding.kind
    if kind.capacity.fixed_unbounded:
        return (f"`{kind.display}` has no capacity to set; bound it by switching to "
                f"`{kind.library}.Queue(maxsize=N)`, whose `put()` can block or fail when full")
    if binding.argument is None and kind.capacity.keyword is None:
        return f"`{kind.display}` takes no capacity argument here"
    return None


def capacity_edit(rule: Any, binding: Unbounded, value: str) -> Edit:
    """Set the channel's capacity to the expression `value` (see `no_bound_reason` first).
    A bare factory (`default_factory=asyncio.Queue`) becomes a lambda."""
    call, kind = binding.construction, binding.kind
    keyword = f"{kind.capacity.keyword}={value}"
    if not isinstance(call, cst.Call):
        return rule.replace(call, f"lambda: {rule.context.module.code_for_node(call)}({keyword})")
    if binding.argument is not None:
        return rule.replace(binding.argument.value, value)
    if call.args:
        return rule.insert_before(call.args[0], f"{keyword}, ")
    end = rule.node_range(call).end  # just before the closing parenthesis
    at = Position(end.line, end.column)
    return Edit(rule.context.path, at, at, keyword)


def _is_import_block(statement: cst.BaseStatement, first: bool) -> bool:
    """Docstring, imports, or `if TYPE_CHECKING:` / `try:` blocks holding only imports."""
    if isinstance(statement, cst.SimpleStatementLine):
        return all(
            isinstance(s, (cst.Import, cst.ImportFrom, cst.Pass))
            or (first and isinstance(s, cst.Expr) and isinstance(s.value, (cst.SimpleString, cst.ConcatenatedString)))
            for s in statement.body
        )
    if isinstance(statement, (cst.If, cst.Try)):
        inner = [s for block in _blocks(statement) for s in block.body]
        return bool(inner) and all(_is_import_block(s, False) for s in inner)
    return False


def _blocks(statement: cst.BaseCompoundStatement) -> list:
    blocks = [statement.body]
    if isinstance(statement, cst.If) and statement.orelse is not None:
        blocks.append(statement.orelse.body if isinstance(statement.orelse, cst.Else) else statement.orelse)
    if isinstance(statement, cst.Try):
        blocks += [handler.body for handler in statement.handlers]
        blocks += [part.body for part in (statement.orelse, statement.finalbody) if part is not None]
    return [b if isinstance(b, cst.BaseSuite) else b.body for b in blocks]


def constant_usable(rule: Any, call: cst.CSTNode, name: str) -> bool:
    """False when `name` at `call` would resolve to something other than a module global."""
    scope = rule_tree(rule).scope(call)
    if scope is None:
        return False
    if name not in scope:
        return True
    return all(getattr(a, "scope", None) is scope.globals for a in scope[name])


def module_binds(module: cst.Module, name: str, rule: Any) -> bool:
    scope = rule_tree(rule).scope(module.body[0]) if module.body else None
    return scope is not None and name in scope.globals and bool(scope.globals.assignments[name])


def reusable_constant(module: cst.Module, name: str, rule: Any, before: cst.CSTNode) -> bool:
    """Whether the module assigns `name` unconditionally at its top level, in a
    statement ending above `before`: only then is it bound when `before` runs
    (a later or conditional assignment raises NameError at import)."""
    line = rule.node_range(before).start.line
    for statement in module.body:
        if rule.node_range(statement).end.line >= line:
            return False
        if isinstance(statement, cst.SimpleStatementLine) and any(
                _assigns(small, name) for small in statement.body):
            return True
    return False


def _assigns(small: cst.BaseSmallStatement, name: str) -> bool:
    if isinstance(small, cst.Assign):
        return any(isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets)
    return isinstance(small, cst.AnnAssign) and small.value is not None and \
        isinstance(small.target, cst.Name) and small.target.value == name


def constant_edit(rule: Any, name: str, value: int) -> Optional[Edit]:
    """Insert `NAME = value` after the module's imports, unless the module binds NAME."""
    module: cst.Module = rule.context.module
    if module_binds(module, name, rule):
        return None
    newline = module.default_newline
    last = None
    for index, statement in enumerate(module.body):
        if not _is_import_block(statement, index == 0):
            break
        last = statement
    if last is None:
        return rule.insert_before(module.body[0], f"{name} = {value}{newline}{newline}")
    end = rule.node_range(last).end
    at = Position(end.line + 1, 1)
    return Edit(rule.context.path, at, at, f"{newline}{name} = {value}{newline}")
