"""Recognise a channel construction and read its capacity.

`tree` is the module's `ModuleTree` (channels/tree.py): parents, scopes and
qualified names as LibCST's metadata providers give them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, FrozenSet, List, Optional, Tuple, Union

import libcst as cst

from dispatch_lint.channels.table import CONTEXT_FACTORIES, ChannelKind, context_kind, kind_for
from dispatch_lint.channels.tree import ModuleTree

INFINITE_NAMES = {"math.inf", "numpy.inf", "np.inf", "cmath.inf"}
INFINITE_STRINGS = {"inf", "+inf", "infinity", "+infinity"}
MAX_DEPTH = 8


@dataclass(frozen=True)
class ChannelCapacity:
    """`unbounded`, or bounded with `size` (None when not known statically)."""

    unbounded: bool
    size: Optional[float]
    argument: Optional[cst.Arg]  # the capacity argument as written, if any

    def describe(self) -> str:
        if self.unbounded:
            return "unbounded"
        if self.size is None:
            return "bounded (size not known statically)"
        return f"capacity {int(self.size)}"


def qualified_names(tree: ModuleTree, node: cst.CSTNode) -> FrozenSet[str]:
    return tree.qualified_names(node)


def constructor_kind(tree: ModuleTree, call: cst.Call) -> Optional[ChannelKind]:
    """The channel kind `call` builds, or None. Handles `f[T](n)` and aliases."""
    func = call.func
    if isinstance(func, cst.Subscript):  # create_memory_object_stream[T](n)
        func = func.value
    for name in sorted(qualified_names(tree, func)):
        kind = kind_for(name)
        if kind is not None:
            return kind
    if isinstance(func, cst.Attribute) and _is_context(tree, func.value, 0):
        return context_kind(func.attr.value)
    return None


def _is_context(tree: ModuleTree, node: cst.BaseExpression, depth: int) -> bool:
    """Whether `node` is a multiprocessing context or manager object."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(node, cst.Call):
        func = node.func
        if qualified_names(tree, func) & set(CONTEXT_FACTORIES):
            return True
        return isinstance(func, cst.Attribute) and func.attr.value == "Manager" and _is_context(
            tree, func.value, depth + 1
        )
    value = single_assigned_value(tree, node)
    return value is not None and _is_context(tree, value, depth + 1)


def single_assigned_value(tree: ModuleTree, node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """For a name assigned exactly once in its scope (`X = <expr>`), that expression."""
    if not isinstance(node, cst.Name):
        return None
    scope = tree.scope(node)
    if scope is None or node.value not in scope:
        return None
    assignments = list(scope[node.value])
    if len(assignments) != 1:
        return None
    target = getattr(assignments[0], "node", None)
    parent = _assignment_of(tree, target)
    if parent is None:
        return None
    return parent.value


def _assignment_of(tree: ModuleTree, name: Any) -> Optional[Union[cst.Assign, cst.AnnAssign]]:
    if not isinstance(name, cst.Name):
        return None
    node: Any = name
    for _ in range(3):
        node = tree.parent(node)
        if isinstance(node, cst.AssignTarget):
            continue
        if isinstance(node, cst.Assign) and len(node.targets) == 1 and node.targets[0].target is name:
            return node
        if isinstance(node, cst.AnnAssign) and node.target is name and node.value is not None:
            return node
        return None
    return None


def capacity_argument(call: cst.Call, kind: ChannelKind) -> Optional[cst.Arg]:
    spec = kind.capacity
    if spec.fixed_unbounded:
        return None
    positional = [a for a in call.args if a.keyword is None and a.star == ""]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == spec.keyword:
            return arg
    if spec.position is not None and len(positional) > spec.position:
        return positional[spec.position]
    return None


def evaluate(tree: ModuleTree, node: cst.BaseExpression, depth: int) -> Optional[float]:
    """A number for literals, infinities, simple arithmetic and constants; else None."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(node, cst.Integer):
        return float(node.evaluated_value)
    if isinstance(node, cst.Float):
        return float(node.evaluated_value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        inner = evaluate(tree, node.expression, depth + 1)
        if inner is None:
            return None
        return -inner if isinstance(node.operator, cst.Minus) else inner
    if isinstance(node, cst.BinaryOperation):
        left = evaluate(tree, node.left, depth + 1)
        right = evaluate(tree, node.right, depth + 1)
        if left is None or right is None:
            return None
        if isinstance(node.operator, cst.Multiply):
            return left * right
        if isinstance(node.operator, cst.Add):
            return left + right
        if isinstance(node.operator, cst.Subtract):
            return left - right
        if isinstance(node.operator, cst.Power) and abs(right) < 64:
            return left**right
        return None
    if isinstance(node, cst.Call) and _is_float_inf(tree, node):
        return math.inf
    if isinstance(node, (cst.Name, cst.Attribute)):
        if qualified_names(tree, node) & INFINITE_NAMES:
            return math.inf
        if isinstance(node, cst.Name):
            value = single_assigned_value(tree, node)
        else:
            value = class_constant(tree, node)
        if value is not None:
            return evaluate(tree, value, depth + 1)
    return None


def class_constant(tree: ModuleTree, node: cst.Attribute) -> Optional[cst.BaseExpression]:
    """For `self.CAP`, `cls.CAP` or `Owner.CAP`, the value `CAP` has in the class body."""
    if not isinstance(node.value, cst.Name):
        return None
    owner = class_of_receiver(tree, node.value)
    if owner is None:
        return None
    values = [value for name, value in class_body_assignments(owner) if name == node.attr.value]
    return values[0] if len(values) == 1 else None


def class_body_assignments(owner: cst.ClassDef) -> List[Tuple[str, Optional[cst.BaseExpression]]]:
    """`(name, value)` for each `name = value` / `name: T = value` in the class body."""
    found: List[Tuple[str, Optional[cst.BaseExpression]]] = []
    for line in owner.body.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for statement in line.body:
            if isinstance(statement, cst.Assign):
                found.extend((t.target.value, statement.value) for t in statement.targets
                             if isinstance(t.target, cst.Name))
            elif isinstance(statement, cst.AnnAssign) and isinstance(statement.target, cst.Name):
                found.append((statement.target.value, statement.value))
    return found


def class_of_receiver(tree: ModuleTree, name: cst.Name) -> Optional[cst.ClassDef]:
    """The class `name` stands for: a class defined here, or a method's `self`/`cls`."""
    scope = tree.scope(name)
    if scope is None or name.value not in scope:
        return None
    assignments = list(scope[name.value])
    if len(assignments) != 1:
        return None
    target = getattr(assignments[0], "node", None)
    if isinstance(target, cst.ClassDef):
        return target
    if isinstance(target, cst.Param):
        return method_owner(tree, target)
    return None


def method_owner(tree: ModuleTree, param: cst.Param) -> Optional[cst.ClassDef]:
    """The class whose method takes `param` as its first (self or cls) parameter."""
    params = tree.parent(param)
    function = tree.parent(params) if params is not None else None
    if not isinstance(function, cst.FunctionDef):
        return None
    positional = [*function.params.posonly_params, *function.params.params]
    if not positional or positional[0] is not param:
        return None
    if any("builtins.staticmethod" in qualified_names(tree, d.decorator) for d in function.decorators):
        return None
    block = tree.parent(function)
    owner = tree.parent(block) if block is not None else None
    return owner if isinstance(owner, cst.ClassDef) else None


def _is_float_inf(tree: ModuleTree, call: cst.Call) -> bool:
    if "builtins.float" not in qualified_names(tree, call.func) or len(call.args) != 1:
        return False
    literal = call.args[0].value
    if not isinstance(literal, cst.SimpleString):
        return False
    text = literal.evaluated_value
    return isinstance(text, str) and text.strip().lower() in INFINITE_STRINGS
