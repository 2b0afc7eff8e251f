"""Capacities that depend on the path taken, resolved inside one function.

A capacity the tracking cannot evaluate (`maxsize=x or 0`, a parameter with a
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
silent (the values a caller passes need project-wide provenance).
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import FunctionScope

from dispatch_lint.channels.construction import (
    ChannelCapacity,
    capacity_argument,
    constructor_kind,
    evaluate,
    qualified_names,
)
from dispatch_lint.channels.inbox import MARKER
from dispatch_lint.channels.resolution import factory_kind
from dispatch_lint.channels.site import construction_site
from dispatch_lint.channels.table import CONSTRUCTOR_WORDS, ChannelKind
from dispatch_lint.channels.tracking import ChannelBinding, ChannelMap
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
    """The paths on which `call` builds an unbounded channel. `kind`: the tracking's
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


def path_binding(tree: ModuleTree, call: cst.Call, found: UnboundedPath, path: str, text: str) -> ChannelBinding:
    """A `ChannelBinding` for a construction the tracking does not know (a
    constructor passed as a parameter), unbounded on `found`'s path."""
    statement: Optional[cst.CSTNode] = tree.parent(call)
    while statement is not None and not isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        statement = tree.parent(statement)
    parent = tree.parent(call)
    targets: Tuple[str, ...] = ()
    if isinstance(parent, cst.Assign) and parent.value is call:
        targets = tuple(_code(tree, t.target) for t in parent.targets)
    elif isinstance(parent, cst.AnnAssign) and parent.value is call:
        targets = (_code(tree, parent.target),)
    site = construction_site(tree, call, path, text.splitlines(), MARKER.search(text) is not None)
    return ChannelBinding(found.kind, ChannelCapacity(True, None, found.argument), call, statement, targets, site)


def unbounded_on_a_path(rule: Any, channels: ChannelMap) -> List[Tuple[ChannelBinding, str]]:
    """The constructions of the module `rule` checks whose capacity the tracking
    could not read but which are unbounded on some path, with that path: tracked
    ones with an unknown capacity, and constructors passed as parameters."""
    tree = rule_tree(rule)
    found: List[Tuple[ChannelBinding, str]] = []
    for binding in channels.bindings:
        call = binding.construction
        if binding.capacity.unbounded or binding.capacity.size is not None or not isinstance(call, cst.Call):
            continue
        paths = unbounded_paths(tree, call, binding.kind)
        if paths:
            found.append((binding, paths[0].describe()))
    for call in parameter_constructions(tree):
        paths = unbounded_paths(tree, call, None)
        if paths:
            binding = path_binding(tree, call, paths[0], rule.context.path, rule.context.text)
            found.append((binding, paths[0].describe()))
    return found


def may_be_unbounded_on_a_path(tree: ast.Module) -> bool:
    """The `ast` screen for `unbounded_on_a_path` (a superset): a function that
    calls a parameter whose default, annotation or assigned value names a channel
    constructor, or builds a channel whose capacity argument is what `values`
    follows: an `or`, an `if` expression, a `cast`, or a name the function gives
    a value (a parameter default, an assignment)."""
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        arguments = function.args
        params = {a.arg: a for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
        defaults = _defaults(arguments)
        valued = {a.arg for a in defaults} | {t.id for n in ast.walk(function) if isinstance(n, (ast.Assign, ast.AnnAssign))
                                               for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                                               if isinstance(t, ast.Name)}
        mentions = _constructor_mentions(function, defaults, params)
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in mentions:
                return True
            word = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if word in CONSTRUCTOR_WORDS and any(_followed(arg, valued)
                                                 for arg in (*node.args, *(k.value for k in node.keywords))):
                return True
    return False


def _followed(arg: ast.expr, valued: set) -> bool:
    if isinstance(arg, (ast.BoolOp, ast.IfExp)):
        return True
    if isinstance(arg, ast.Call):
        return getattr(arg.func, "id", getattr(arg.func, "attr", None)) == "cast"
    return isinstance(arg, ast.Name) and arg.id in valued


def _defaults(arguments: ast.arguments) -> dict:
    """Each parameter with a default, to its default."""
    defaults = dict(zip([*arguments.posonlyargs, *arguments.args][::-1], arguments.defaults[::-1]))
    defaults.update((a, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None)
    return defaults


def _constructor_mentions(function: ast.AST, defaults: dict, params: dict) -> set:
    """The parameters whose default, annotation or value assigned in `function` names a constructor."""
    found = set()
    for name, arg in params.items():
        parts = [defaults.get(arg), arg.annotation]
        parts += [n.value for n in ast.walk(function) if isinstance(n, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)]
        if any(part is not None and _names_constructor(part) for part in parts):
            found.add(name)
    return found


def _names_constructor(node: ast.AST) -> bool:
    return any((isinstance(n, ast.Attribute) and n.attr in CONSTRUCTOR_WORDS)
               or (isinstance(n, ast.Name) and n.id in CONSTRUCTOR_WORDS)
               or (isinstance(n, ast.Constant) and isinstance(n.value, str)
                   and any(word in n.value for word in CONSTRUCTOR_WORDS))
               for n in ast.walk(node))
