"""What a name or an expression could mean to the LibCST side, read from a `Scan`.

Each answer is a superset of what construction.py can conclude: the qualified
names an expression may have, the channel kinds a call may build, and the values
(`evaluate`) a capacity may take, `None` standing for "not known statically".
"""

from __future__ import annotations

import ast
import math
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from dispatch_lint.channels.construction import (
    INFINITE_NAMES,
    INFINITE_STRINGS,
    MAX_DEPTH,
)
from dispatch_lint.channels.resolution import FACTORY_KEYWORDS
from dispatch_lint.channels.screen_scan import Scan
from dispatch_lint.channels.table import (
    CONTEXT_FACTORIES,
    ChannelKind,
    context_kind,
    kind_for,
)

UNKNOWN = "unknown"  # an outcome that may be any value (arithmetic the LibCST side cannot do either)
MAX_OUTCOMES = 64
UNBOUNDED, BOUNDED = "unbounded", "bounded"
FLOAT = "builtins.float"
ARITHMETIC = (ast.Mult, ast.Add, ast.Sub, ast.Pow)

Outcomes = FrozenSet[object]  # floats, None (not known statically) and UNKNOWN
NOT_KNOWN: Outcomes = frozenset({None})
ANYTHING: Outcomes = frozenset({UNKNOWN})


def full_name(node: ast.AST) -> Optional[str]:
    """LibCST's `get_full_name_for_node`: `a.b.c`, through calls and subscripts."""
    suffix = ""
    while True:
        if isinstance(node, ast.Name):
            return node.id + suffix
        if isinstance(node, ast.Attribute):
            suffix = f".{node.attr}{suffix}"
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return None


class Meanings:
    """Answers about the names and expressions of one scanned module."""

    def __init__(self, scan: Scan) -> None:
        self.scan = scan
        self._outcomes: Dict[Tuple[int, int], Outcomes] = {}

    def qualified_names(self, node: ast.AST) -> Set[str]:
        name = full_name(node)
        if name is None:
            return set()
        head = name.split(".", 1)[0]
        found = {q for alias in self.scan.imports.get(head, ()) for q in (alias.qualify(name),) if q}
        found.update(f"{prefix}.{name}" if prefix else name for prefix in self.scan.prefixes.get(head, ()))
        return found

    # -- constructions ----------------------------------------------------------

    def kinds(self, func: ast.expr) -> List[ChannelKind]:
        """The kinds `func(...)` may build (construction.py's `constructor_kind`)."""
        if isinstance(func, ast.Subscript):
            func = func.value
        found = [kind for kind in map(kind_for, self.qualified_names(func)) if kind is not None]
        if isinstance(func, ast.Attribute):
            kind = context_kind(func.attr)
            if kind is not None and self.maybe_context(func.value, set()):
                found.append(kind)
        return list({id(kind): kind for kind in found}.values())

    def maybe_context(self, node: ast.AST, seen: Set[str]) -> bool:
        """Whether `node` may be a multiprocessing context or manager."""
        if isinstance(node, ast.Call):
            if self.qualified_names(node.func) & set(CONTEXT_FACTORIES):
                return True
            func = node.func
            return isinstance(func, ast.Attribute) and func.attr == "Manager" and self.maybe_context(func.value, seen)
        if isinstance(node, ast.Name) and node.id not in seen:
            seen.add(node.id)
            return any(self.maybe_context(value, seen) for value in self.scan.values.get(node.id, ()))
        return False

    def factories(self, call: ast.Call) -> Iterable[ast.expr]:
        """The bare constructors `call` may take as a factory (`field(default_factory=asyncio.Queue)`)."""
        keywords = {FACTORY_KEYWORDS[name] for name in self.qualified_names(call.func) if name in FACTORY_KEYWORDS}
        return [item.value for item in call.keywords if item.arg in keywords
                and isinstance(item.value, (ast.Name, ast.Attribute, ast.Subscript))]

    # -- capacities ---------------------------------------------------------------

    def capacity(self, call: Optional[ast.Call], kind: ChannelKind) -> Set[str]:
        """Whether the channel may be UNBOUNDED and/or BOUNDED (`read_capacity`);
        `call` is None for a bare factory, which takes no arguments."""
        spec = kind.capacity
        if spec.fixed_unbounded:
            return {UNBOUNDED}
        argument = _capacity_argument(call, kind) if call is not None else None
        if argument is not None:
            outcomes = self.evaluate(argument, 0)
        elif call is not None and (any(isinstance(a, ast.Starred) for a in call.args)
                                   or any(k.arg is None for k in call.keywords)):
            return {BOUNDED}
        else:
            outcomes = frozenset({float(spec.default)})
        found: Set[str] = set()
        for value in outcomes:
            if value is None:
                found.add(BOUNDED)
                continue
            try:
                unbounded = math.isinf(value) or (spec.zero_is_unbounded and value <= 0)  # type: ignore[arg-type,operator]
            except TypeError:
                return {UNBOUNDED, BOUNDED}
            found.add(UNBOUNDED if unbounded else BOUNDED)
        return found

    def evaluate(self, node: ast.AST, depth: int) -> Outcomes:
        """Every value construction.py's `evaluate` may give `node`."""
        if depth > MAX_DEPTH:
            return NOT_KNOWN
        key = (id(node), depth)
        if key not in self._outcomes:
            found = self._evaluate(node, depth)
            self._outcomes[key] = found if len(found) <= MAX_OUTCOMES else ANYTHING
        return self._outcomes[key]

    def _evaluate(self, node: ast.AST, depth: int) -> Outcomes:
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                return NOT_KNOWN
            try:
                return frozenset({float(node.value)})
            except OverflowError:
                return ANYTHING
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                return NOT_KNOWN
            sign = -1 if isinstance(node.op, ast.USub) else 1
            return frozenset(v * sign if isinstance(v, float) else v for v in self.evaluate(node.operand, depth + 1))
        if isinstance(node, ast.BinOp):
            left = self.evaluate(node.left, depth + 1)
            right = self.evaluate(node.right, depth + 1)
            return frozenset(_combine(node.op, a, b) for a in left for b in right)
        if isinstance(node, ast.Call):
            return frozenset({math.inf, None}) if self._maybe_float_inf(node) else NOT_KNOWN
        if isinstance(node, (ast.Name, ast.Attribute)):
            found: Set[object] = {None}
            if self.qualified_names(node) & INFINITE_NAMES:
                found.add(math.inf)
            if isinstance(node, ast.Name):
                values: Iterable[Optional[ast.expr]] = self.scan.values.get(node.id, ())
            else:  # `self.CAP`, `cls.CAP`, `Owner.CAP`: the class-body constant
                values = self.scan.class_values.get(node.attr, ()) if isinstance(node.value, ast.Name) else ()
            for value in values:
                if value is not None:
                    found.update(self.evaluate(value, depth + 1))
            return frozenset(found)
        return NOT_KNOWN

    def _maybe_float_inf(self, call: ast.Call) -> bool:
        """`float("inf")`: the builtin is assumed unless the name is certainly something else."""
        func = call.func
        if not (isinstance(func, ast.Name) and func.id == "float") and FLOAT not in self.qualified_names(func):
            return False
        arguments = [*call.args, *(k.value for k in call.keywords)]
        if len(arguments) != 1:
            return False
        literal = arguments[0].value if isinstance(arguments[0], ast.Starred) else arguments[0]
        return (isinstance(literal, ast.Constant) and isinstance(literal.value, str)
                and literal.value.strip().lower() in INFINITE_STRINGS)


def _combine(op: ast.operator, left: object, right: object) -> object:
    """`left <op> right` as construction.py's `evaluate` computes it."""
    if left == UNKNOWN or right == UNKNOWN:
        return UNKNOWN
    if left is None or right is None or not isinstance(op, ARITHMETIC):
        return None
    a, b = float(left), float(right)  # type: ignore[arg-type]
    try:
        if isinstance(op, ast.Mult):
            return a * b
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Sub):
            return a - b
        if not abs(b) < 64:
            return None
        result = a**b
    except (OverflowError, ZeroDivisionError, ValueError):
        return UNKNOWN
    return result if isinstance(result, float) else UNKNOWN


def _capacity_argument(call: ast.Call, kind: ChannelKind) -> Optional[ast.expr]:
    spec = kind.capacity
    for item in call.keywords:
        if item.arg is not None and item.arg == spec.keyword:
            return item.value
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    if spec.position is not None and len(positional) > spec.position:
        return positional[spec.position]
    return None
