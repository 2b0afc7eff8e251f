"""The capacities a construction may have, read from its arguments on the model.

Literals, arithmetic, `x or y` (where `None` and `False` are falsy), infinities
(`math.inf`, `float("inf")`), names and class constants (through the model's
values, or the one expression a name is bound to), and parameters, whose values
are those the function's call sites pass (model/call_sites.py), or the
parameter's default where a call omits it (a call site that passes something
not known, or no call site at all, makes the capacity unknown).

A capacity that stays unknown may still be unbounded on a path through its
function: `unbounded_conditions` reads the values the extraction followed along
those paths (`Build.flows`, model/capacity_flow.py) and names the first path on
which the channel is unbounded; `passed_constructor` does the same for the call
of a constructor passed as a parameter (`queue_class=asyncio.Queue`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, FrozenSet, Iterable, List, Optional, Set, Tuple

from dispatch_lint.channels.table import CHANNEL_KINDS, ChannelKind
from dispatch_lint.channels.values import (
    INFINITE_STRINGS,
    UNBOUNDED,
    UNKNOWN_SIZE,
    capacity_state,
    constructor_of,
    is_infinite,
)
from dispatch_lint.model.call_sites import Argument, call_sites
from dispatch_lint.model.channel_facts import CALLEE, Build, CapacityPath
from dispatch_lint.model.facts import Expr, ModuleFacts
from dispatch_lint.model.values import Constant, External

if TYPE_CHECKING:
    from dispatch_lint.channels.provenance import ChannelModel

Numbers = Optional[FrozenSet[float]]  # None: not known statically
MAX_VALUES = 16
MAX_DEPTH = 8


def capacity_argument(build: Build, kind: ChannelKind) -> Optional[Expr]:
    """The capacity argument of a construction, as the model converted it."""
    return _keyed_argument(build, kind)[1]


def _keyed_argument(build: Build, kind: ChannelKind) -> Tuple[Any, Optional[Expr]]:
    """(its keyword or position, the capacity argument) of a construction."""
    spec = kind.capacity
    argument = dict(build.keywords).get(spec.keyword) if spec.keyword else None
    if argument is not None:
        return spec.keyword, argument
    if spec.position is not None and len(build.args) > spec.position:
        return spec.position, build.args[spec.position]
    return None, None


def unbounded_conditions(model: "ChannelModel", file: ModuleFacts, build: Build,
                         kind: ChannelKind) -> Optional[Tuple[str, ...]]:
    """The conditions of the first path through its function on which `build`
    builds an unbounded `kind` (none: always), or None when no path does. The
    values along the paths are the function's own (model/capacity_flow.py); a
    value not known there (what a caller passes) is never unbounded."""
    spec = kind.capacity
    if spec.fixed_unbounded:
        return None
    key, argument = _keyed_argument(build, kind)
    if argument is None:
        return () if not build.starred and capacity_state(kind, spec.default) == UNBOUNDED else None
    for path in dict(build.flows).get(key) or (CapacityPath(build.scope, argument, ()),):
        sizes = numbers(model, file, path.scope, path.expr, 0)
        if sizes and any(capacity_state(kind, size) == UNBOUNDED for size in sizes):
            return tuple(dict.fromkeys(path.conditions))
    return None


def passed_constructor(model: "ChannelModel", file: ModuleFacts,
                       build: Build) -> Optional[Tuple[ChannelKind, Tuple[str, ...]]]:
    """For a call of a parameter (`queue_class(maxsize=n)`): the first constructor
    that reaches it and the conditions of the first path on which it builds an
    unbounded channel."""
    for factory in dict(build.flows).get(CALLEE, ()):
        expr = factory.expr[1] if factory.expr[0] == "s" else factory.expr
        row = constructor_of(model.project.value(file, factory.scope, expr), model.project)
        if row is None:
            continue
        conditions = unbounded_conditions(model, file, build, CHANNEL_KINDS[row])
        if conditions is not None:
            return CHANNEL_KINDS[row], tuple(dict.fromkeys([*factory.conditions, *conditions]))
    return None


def describe_conditions(conditions: Tuple[str, ...]) -> str:
    return " and ".join(conditions) if conditions else "always"


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
    if tag == "n":  # a name bound once to an expression the values do not read (`float("inf")`)
        where, bindings = model.project.lookup(file, scope, expr[1])
        if len(bindings) == 1 and bindings[0].kind in ("assign", "annassign"):
            return numbers(model, file, bindings[0].scope, bindings[0].value, depth + 1, falsy)
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
