"""The capacities a construction may have, read from its arguments on the model.

Literals, arithmetic, `x or y` (where `None` and `False` are falsy), infinities
(`math.inf`, `float("inf")`), names and class constants (through the model's
values), and parameters, whose values are those the function's call sites pass,
or the parameter's default where a call omits it (a call site that passes
something not known, or no call site at all, makes the capacity unknown).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, FrozenSet, Iterable, List, Optional, Set

from dispatch_lint.channels.table import ChannelKind
from dispatch_lint.channels.values import INFINITE_STRINGS, UNBOUNDED, UNKNOWN_SIZE, capacity_state, is_infinite
from dispatch_lint.model.call_sites import Argument, call_sites
from dispatch_lint.model.channel_facts import Build
from dispatch_lint.model.facts import Expr, ModuleFacts
from dispatch_lint.model.values import Constant, External

if TYPE_CHECKING:
    from dispatch_lint.channels.provenance import ChannelModel

Numbers = Optional[FrozenSet[float]]  # None: not known statically
MAX_VALUES = 16
MAX_DEPTH = 8


def capacity_argument(build: Build, kind: ChannelKind) -> Optional[Expr]:
    """The capacity argument of a construction, as the model converted it."""
    spec = kind.capacity
    argument = dict(build.keywords).get(spec.keyword) if spec.keyword else None
    if argument is None and spec.position is not None and len(build.args) > spec.position:
        argument = build.args[spec.position]
    return argument


def capacities(model: "ChannelModel", file: ModuleFacts, build: Build, kind: ChannelKind) -> FrozenSet[object]:
    spec = kind.capacity
    if spec.fixed_unbounded:
        return frozenset({UNBOUNDED})
    argument = capacity_argument(build, kind)
    if argument is None:
        return frozenset({UNKNOWN_SIZE if build.starred else capacity_state(kind, spec.default)})
    values = numbers(model, file, build.scope, argument, 0)
    if values is None:
        return frozenset({UNKNOWN_SIZE})
    return frozenset(capacity_state(kind, v) for v in values)


def numbers(model: "ChannelModel", file: ModuleFacts, scope: int, expr: Expr, depth: int,
            falsy: bool = False) -> Numbers:
    """Every number `expr` may be at `scope`, or None when that is not known.
    `falsy`: `None` and `False` count as 0 (an operand of `or`)."""
    if depth > MAX_DEPTH:
        return None
    tag = expr[0]
    if tag == "k":
        value = expr[1]
        if falsy and (value is None or value is False):
            return frozenset({0.0})
        return frozenset({float(value)}) if type(value) in (int, float) else None
    if tag == "op":
        return _combine(expr[1], numbers(model, file, scope, expr[2], depth + 1),
                        numbers(model, file, scope, expr[3], depth + 1))
    if tag == "or":
        return _either(model, file, scope, expr[1], depth)
    if tag == "c" and _float_inf(model, file, scope, expr):
        return frozenset({math.inf})
    if tag == "n":
        arguments = call_sites(model.project).arguments(file, scope, expr[1])  # type: ignore[arg-type]
        if arguments is not None:
            return _passed(model, arguments, depth, falsy)
    if tag in ("n", "a"):
        found = model.project.value(file, scope, expr)
        if is_infinite(found):
            return frozenset({math.inf})
        if falsy and isinstance(found, Constant) and (found.value is None or found.value is False):
            return frozenset({0.0})
        if isinstance(found, Constant) and type(found.value) in (int, float):
            return frozenset({float(found.value)})  # type: ignore[arg-type]
    return None


def _passed(model: "ChannelModel", arguments: List[Argument], depth: int, falsy: bool) -> Numbers:
    """The numbers a parameter's call sites pass (a call that omits it, its default)."""
    if not arguments:
        return None
    found: Set[float] = set()
    for argument in arguments:
        if argument.expr is None:
            return None
        options = numbers(model, argument.file, argument.scope, argument.expr, depth + 1, falsy)
        if options is None:
            return None
        found |= options
    return frozenset(found)


def _combine(operator: str, left: Numbers, right: Numbers) -> Numbers:
    if left is None or right is None or len(left) * len(right) > MAX_VALUES:
        return None
    found = set()
    for a in left:
        for b in right:
            try:
                found.add(_apply(operator, a, b))
            except (ArithmeticError, ValueError):
                return None
    return frozenset(found)


def _apply(operator: str, a: float, b: float) -> float:
    if operator == "+":
        return a + b
    if operator == "-":
        return a - b
    if operator == "*":
        return a * b
    if operator == "//":
        return float(a // b)
    if abs(b) > 64:
        raise ValueError(operator)
    return float(a**b)


def _either(model: "ChannelModel", file: ModuleFacts, scope: int, values: Iterable[Expr], depth: int) -> Numbers:
    """`a or b or ...`: the first truthy value, else the last (then 0)."""
    found = set()
    for expr in values:
        options = numbers(model, file, scope, expr, depth + 1, True)
        if options is None:
            return None
        found.update(v for v in options if v)
        if 0.0 not in options:
            return frozenset(found)
    found.add(0.0)
    return frozenset(found)


def _float_inf(model: "ChannelModel", file: ModuleFacts, scope: int, expr: Expr) -> bool:
    """`float("inf")`."""
    args = expr[2]
    if len(args) != 1 or args[0][0] != "k" or not isinstance(args[0][1], str):
        return False
    if args[0][1].strip().lower() not in INFINITE_STRINGS:
        return False
    return model.project.value(file, scope, expr[1]) == External("builtins.float")
