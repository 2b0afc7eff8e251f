"""Capacities that depend on the path taken, resolved inside one function.

A capacity the model cannot read (`maxsize=x or 0`, a parameter with a
`None` default set to `0` later, a class passed as a parameter whose default is
`asyncio.Queue`) may still be unbounded on some path. `unbounded_paths` follows
the names involved to the values that reach the construction in its function:

- a parameter gives its default (the path "`x` keeps its default") and an
  unknown value (whatever a caller passes);
- an assignment before the construction gives its value; one that stands
  directly in the function body hides the values assigned before it;
- `a or b` gives `a`'s values, and `b` on the paths where `a` is a falsy
  literal (`None`, `0`); `a if c else b` gives both; `typing.cast(T, x)` gives `x`.

A path on which the channel is unbounded is reported with its conditions.
An unknown value never is: `maxsize=x or 0` with `x` known to nothing here is
silent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import FunctionScope

from dispatch_lint.channels.construction import (
    capacity_argument,
    constructor_kind,
    evaluate,
    qualified_names,
)
from dispatch_lint.channels.inbox import MARKER, ChannelSite
from dispatch_lint.channels.site import construction_site
from dispatch_lint.channels.table import ChannelKind
from dispatch_lint.channels.tree import ModuleTree, rule_tree

MAX_DEPTH = 6
CASTS = frozenset({"typing.cast", "typing_extensions.cast"})


@dataclass(frozen=True)
class Value:
    expr: Optional[cst.BaseExpression]  # None: not known here (a caller's argument)
    path: Tuple[str, ...]  # the conditions under which this value reaches the use


@dataclass(frozen=True)
class UnboundedPath:
    kind: ChannelKind
    argument: Optional[cst.Arg]
    path: Tuple[str, ...]

    def describe(self) -> str:
        return " and ".join(self.path) if self.path else "always"


def unbounded_paths(tree: ModuleTree, call: cst.Call, kind: Optional[ChannelKind]) -> List[UnboundedPath]:
    """The paths on which `call` builds an unbounded channel. `kind`: the model's
    kind for the call, or None to resolve a constructor passed as a parameter."""
    kinds: List[Tuple[ChannelKind, Tuple[str, ...]]] = []
    if kind is not None:
        kinds = [(kind, ())]
    elif isinstance(call.func, cst.Name) and _is_function_local(tree, call.func):
        for value in values(tree, call.func, 0):
            found = factory_kind(tree, value.expr) if value.expr is not None else None
            if found is not None:
                kinds.append((found, value.path))
    found_paths: List[UnboundedPath] = []
    for channel_kind, kind_path in kinds:
        spec = channel_kind.capacity
        if spec.fixed_unbounded:
            continue
        argument = capacity_argument(call, channel_kind)
        if argument is None and any(a.star for a in call.args):
            continue
        options = values(tree, argument.value, 0) if argument is not None else [Value(None, ("default",))]
        for value in options:
            size = spec.default if argument is None else _number(tree, value.expr)
            if size is not None and (math.isinf(size) or (spec.zero_is_unbounded and size <= 0)):
                found_paths.append(UnboundedPath(channel_kind, argument, _join(kind_path, value.path)))
    return found_paths


def _join(first: Sequence[str], second: Sequence[str]) -> Tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *(p for p in second if p != "default")]))


def _number(tree: ModuleTree, expr: Optional[cst.BaseExpression]) -> Optional[float]:
    if expr is None or (isinstance(expr, cst.Name) and expr.value == "None"):
        return None
    return evaluate(tree, expr, 0)


def values(tree: ModuleTree, expr: cst.BaseExpression, depth: int) -> List[Value]:
    """The values `expr` may have where it stands, with their paths."""
    if depth > MAX_DEPTH:
        return [Value(None, ())]
    if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
        found: List[Value] = []
        for value in values(tree, expr.left, depth + 1):
            if _falsy(value.expr):
                falsy = value.path or (f"`{_code(tree, expr.left)}` is falsy",)
                found += [Value(v.expr, falsy + v.path) for v in values(tree, expr.right, depth + 1)]
            else:
                found.append(value)
        return found
    if isinstance(expr, cst.IfExp):
        test = _code(tree, expr.test)
        return ([Value(v.expr, (f"`{test}`",) + v.path) for v in values(tree, expr.body, depth + 1)]
                + [Value(v.expr, (f"not `{test}`",) + v.path) for v in values(tree, expr.orelse, depth + 1)])
    if isinstance(expr, cst.Call) and qualified_names(tree, expr.func) & CASTS and len(expr.args) == 2:
        return values(tree, expr.args[1].value, depth + 1)
    if isinstance(expr, cst.Name) and _is_function_local(tree, expr):
        return _name_values(tree, expr, depth)
    return [Value(expr, ())]


def _falsy(expr: Optional[cst.BaseExpression]) -> bool:
    if isinstance(expr, cst.Name):
        return expr.value in ("None", "False")
    return isinstance(expr, cst.Integer) and expr.value == "0"


def _is_function_local(tree: ModuleTree, name: cst.Name) -> bool:
    """A name bound only in the function it is used in (parameters included)."""
    scope = tree.scope(name)
    if not isinstance(scope, FunctionScope) or name.value not in scope:
        return False
    assignments = list(scope[name.value])
    return bool(assignments) and all(getattr(a, "scope", None) is scope for a in assignments)


def _name_values(tree: ModuleTree, name: cst.Name, depth: int) -> List[Value]:
    """The values of a function-local name that reach `name`: parameter default
    and caller's value, assignments before it (an unconditional one hides the
    earlier ones). Anything else binding the name gives an unknown value."""
    scope = tree.scope(name)
    assert scope is not None
    use_line = tree.position(name).start.line
    reaching: List[Value] = []
    nodes = [getattr(a, "node", None) for a in scope[name.value]]
    if any(node is None for node in nodes):
        return [Value(None, ())]
    bindings = sorted(nodes, key=lambda node: tree.position(node).start.line)
    for node in bindings:
        if tree.position(node).start.line >= use_line:
            continue
        if isinstance(node, cst.Param):
            reaching = [Value(None, (f"a caller passes `{name.value}`",))]
            if node.default is not None:
                default = _code(tree, node.default)
                reaching += [Value(v.expr, (f"`{name.value}` keeps its default `{default}`",) + v.path)
                             for v in values(tree, node.default, depth + 1)]
            continue
        value = _assigned_value(tree, node)
        if value is None:
            return [Value(None, ())]
        line = tree.position(node).start.line
        guard = _guard(tree, node)
        where = f"`{name.value}` is set to `{_code(tree, value)}` at line {line}"
        if isinstance(guard, cst.If):
            where += f" (under `if {_code(tree, guard.test)}`)"
        assigned = [Value(v.expr, (where,) + v.path) for v in values(tree, value, depth + 1)]
        reaching = assigned if guard is None else reaching + assigned
    return reaching or [Value(None, ())]


def _assigned_value(tree: ModuleTree, target: cst.CSTNode) -> Optional[cst.BaseExpression]:
    """For `name = value` (one target, a plain name), `value`."""
    parent = tree.parent(target)
    if isinstance(parent, cst.AssignTarget):
        statement = tree.parent(parent)
        if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
            return statement.value
    if isinstance(parent, cst.AnnAssign) and parent.target is target:
        return parent.value
    return None


def _guard(tree: ModuleTree, target: cst.CSTNode) -> Optional[cst.CSTNode]:
    """The compound statement (if, try, loop, with) between an assignment and its
    function, or None when the assignment stands directly in the function body."""
    node = tree.parent(target)
    while node is not None and not isinstance(node, cst.FunctionDef):
        if isinstance(node, cst.BaseCompoundStatement):
            return node
        node = tree.parent(node)
    return None


def _code(tree: ModuleTree, node: cst.CSTNode) -> str:
    return tree.module.code_for_node(node).strip()


def parameter_constructions(tree: ModuleTree) -> List[cst.Call]:
    """Calls of a function-local name that may hold a channel constructor
    (`queue_type(maxsize=n)` with `queue_type=asyncio.Queue`)."""
    found = []
    for node in tree.nodes():
        if type(node) is cst.Call and isinstance(node.func, cst.Name) and constructor_kind(tree, node) is None \
                and _is_function_local(tree, node.func):
            scope = tree.scope(node.func)
            if scope is not None and any(isinstance(getattr(a, "node", None), cst.Param)
                                         for a in scope[node.func.value]):
                found.append(node)
    return found


@dataclass(frozen=True)
class ParameterConstruction:
    """A call of a constructor passed as a parameter, unbounded on `path`."""

    call: cst.Call
    kind: ChannelKind
    argument: Optional[cst.Arg]
    path: str
    site: ChannelSite  # what decides whether it is actor-inbox code


def unbounded_path(rule: Any, call: cst.Call, kind: ChannelKind) -> Optional[str]:
    """The first path on which the construction `call` (whose capacity the model
    could not read) builds an unbounded channel, or None."""
    paths = unbounded_paths(rule_tree(rule), call, kind)
    return paths[0].describe() if paths else None


def parameter_constructions_on_a_path(rule: Any) -> List[ParameterConstruction]:
    """The calls of a constructor passed as a parameter that are unbounded on some path."""
    tree = rule_tree(rule)
    text = rule.context.text
    found = []
    for call in parameter_constructions(tree):
        paths = unbounded_paths(tree, call, None)
        if paths:
            site = construction_site(tree, call, rule.context.path, text.splitlines(), MARKER.search(text) is not None)
            found.append(ParameterConstruction(call, paths[0].kind, paths[0].argument, paths[0].describe(), site))
    return found


def factory_kind(tree: ModuleTree, factory: cst.BaseExpression) -> Optional[ChannelKind]:
    """The channel kind a bare constructor reference (`asyncio.Queue`) builds."""
    if not isinstance(factory, (cst.Name, cst.Attribute, cst.Subscript)):
        return None
    return constructor_kind(tree, cst.Call(func=factory))
