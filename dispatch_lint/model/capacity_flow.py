"""The values an argument may have along the paths through its function.

A capacity the model's values leave unknown (`maxsize=x or 0`, a parameter with
a `None` default set to `0` later, a constructor passed as a parameter) may
still be unbounded on some path. `Flow.paths(node, scope)` follows the names
local to the function to the values that reach `node`, each with the
conditions of its path, worded as the code words them:

- a parameter gives what a caller passes (unknown here) and its default
  ("`x` keeps its default `None`");
- an assignment before the use gives its value; one that stands directly in
  the function body hides the values assigned before it, one under a compound
  statement adds to them ("`x` is set to `0` at line 9 (under `if x is None`)");
- `a or b` gives `a`'s values, and `b`'s where `a` is a falsy literal (`None`,
  `False`, `0`); `a if c else b` gives both ("`c`", "not `c`");
  `typing.cast(T, x)` gives `x`'s.

Any other binding of the name before the use makes its value unknown. The
values at the ends of the paths are evaluated once the project is joined
(channels/capacity.py).
"""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

MAX_DEPTH = 6
CASTS = frozenset({"typing.cast", "typing_extensions.cast"})
COMPOUND = tuple(getattr(ast, name) for name in ("If", "For", "AsyncFor", "While", "Try", "TryStar", "With",
                                                  "AsyncWith", "Match") if hasattr(ast, name))
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
OWN_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
BLANKS = b" \t\r\n\\"

# (the value's node, None when not known here; the scope it is evaluated in; the path's conditions)
Leaf = Tuple[Optional[ast.AST], int, Tuple[str, ...]]
# (line, column, kind: "param" / "assign" / "other", the value or default, the innermost compound statement)
Store = Tuple[int, int, str, Optional[ast.AST], Optional[ast.AST]]


class Flow:
    """The paths of one file's functions. `functions`: body scope -> (the
    `def` node, the scope it stands in); `local`: the (scope, name) pairs bound
    in a scope; `imports`: (scope, name) -> the dotted name it imports."""

    def __init__(self, text: str, functions: Dict[int, Tuple[Any, int]], local: Any,
                 imports: Dict[Tuple[int, str], str]) -> None:
        self.text = text
        self.source = b""
        self.starts: List[int] = []  # the offset of each line in `source`, once a text is asked for
        self.functions = functions
        self.local = local
        self.imports = imports
        self._stores: Dict[int, Dict[str, List[Store]]] = {}

    def paths(self, node: Union[ast.AST, Sequence[ast.AST]], scope: int, depth: int = 0) -> List[Leaf]:
        """The values `node` may have where it stands (in `scope`), with their paths.
        A sequence is the operands of an `or`, read as `(a or b) or c`."""
        if depth > MAX_DEPTH:
            return [(None, scope, ())]
        if not isinstance(node, ast.AST):
            return self._either(node, scope, depth) if len(node) > 1 else self.paths(node[0], scope, depth)
        kind = type(node)
        if kind is ast.BoolOp and type(node.op) is ast.Or:  # type: ignore[attr-defined]
            return self.paths(node.values, scope, depth)  # type: ignore[attr-defined]
        if kind is ast.IfExp:
            test = self.code(node.test)  # type: ignore[attr-defined]
            body = self.paths(node.body, scope, depth + 1)  # type: ignore[attr-defined]
            orelse = self.paths(node.orelse, scope, depth + 1)  # type: ignore[attr-defined]
            return ([(n, s, (f"`{test}`",) + c) for n, s, c in body]
                    + [(n, s, (f"not `{test}`",) + c) for n, s, c in orelse])
        if kind is ast.Call and self._is_cast(node, scope):
            return self.paths(_arguments(node)[1], scope, depth + 1)
        if kind is ast.Name and scope in self.functions and (scope, node.id) in self.local:  # type: ignore
            return self._name(node, scope, depth)  # type: ignore[arg-type]
        return [(node, scope, ())]

    def _either(self, operands: Sequence[ast.AST], scope: int, depth: int) -> List[Leaf]:
        found: List[Leaf] = []
        left = operands[:-1]
        for leaf in self.paths(left, scope, depth + 1):
            node, _, conditions = leaf
            if _falsy(node):
                falsy = conditions or (f"`{self.code(left[0], left[-1])}` is falsy",)
                found += [(n, s, falsy + c) for n, s, c in self.paths(operands[-1], scope, depth + 1)]
            else:
                found.append(leaf)
        return found

    def _name(self, name: ast.Name, scope: int, depth: int) -> List[Leaf]:
        """The values of a function-local name that reach `name`: the parameter's
        default and a caller's value, the assignments before it."""
        reaching: List[Leaf] = []
        for line, _, kind, value, guard in self.stores(scope).get(name.id, ()):
            if line >= name.lineno:
                continue
            if kind == "param":
                reaching = [(None, scope, (f"a caller passes `{name.id}`",))]
                if value is not None:
                    default = f"`{name.id}` keeps its default `{self.code(value)}`"
                    reaching += [(n, s, (default,) + c)
                                 for n, s, c in self.paths(value, self.functions[scope][1], depth + 1)]
                continue
            if value is None:
                return [(None, scope, ())]
            where = f"`{name.id}` is set to `{self.code(value)}` at line {line}"
            if type(guard) is ast.If:
                where += f" (under `if {self.code(guard.test)}`)"  # type: ignore[attr-defined]
            assigned = [(n, s, (where,) + c) for n, s, c in self.paths(value, scope, depth + 1)]
            reaching = assigned if guard is None else reaching + assigned
        return reaching or [(None, scope, ())]

    def stores(self, scope: int) -> Dict[str, List[Store]]:
        """Every binding in the function's own scope, by name, in source order."""
        found = self._stores.get(scope)
        if found is None:
            function = self.functions[scope][0]
            found = self._stores[scope] = _parameters(function.args)
            for statement in function.body:
                _walk(statement, None, found)
            for stores in found.values():
                stores.sort(key=lambda store: (store[0], store[1]))
        return found

    def _is_cast(self, call: Any, scope: int) -> bool:
        if len(_arguments(call)) != 2:
            return False
        parts: List[str] = []
        func = call.func
        while type(func) is ast.Attribute:
            parts.append(func.attr)
            func = func.value
        if type(func) is not ast.Name:
            return False
        head = self.imports.get((scope, func.id)) or self.imports.get((0, func.id))
        return head is not None and ".".join([head, *reversed(parts)]) in CASTS

    def code(self, first: ast.AST, last: Optional[ast.AST] = None) -> str:
        """The source of `first` (through `last`), with the parentheses around each."""
        if not self.starts:
            self.source = self.text.encode("utf-8", "surrogatepass")
            self.starts = [0]
            for line in self.source.splitlines(keepends=True):
                self.starts.append(self.starts[-1] + len(line))
        start = self._span(first)[0]
        end = self._span(last or first)[1]
        text = self.source[start:end].decode("utf-8", "replace").strip()
        if "\n" not in text:
            return text
        # Continuation lines without the indentation of the block (as LibCST prints a node).
        line = self.source[self.starts[first.lineno - 1]:self.starts[first.lineno]].decode("utf-8", "replace")
        indent = line[:len(line) - len(line.lstrip(" \t"))]
        lines = text.split("\n")
        return "\n".join([lines[0], *(t[len(indent):] if t.startswith(indent) else t for t in lines[1:])])

    def _span(self, node: Any) -> Tuple[int, int]:
        """The byte offsets of `node` in `source`, widened over the parentheses around it."""
        start = self.starts[node.lineno - 1] + node.col_offset
        end = self.starts[node.end_lineno - 1] + node.end_col_offset
        source = self.source
        while True:
            before, after = start, end
            while before > 0 and source[before - 1] in BLANKS:
                before -= 1
            while after < len(source) and source[after] in BLANKS:
                after += 1
            if source[before - 1:before] != b"(" or source[after:after + 1] != b")":
                return start, end
            start, end = before - 1, after + 1

def _arguments(call: Any) -> List[ast.AST]:
    return [*call.args, *(k.value for k in call.keywords)]


def _falsy(node: Optional[ast.AST]) -> bool:
    if type(node) is not ast.Constant:
        return False
    value = node.value  # type: ignore[attr-defined]
    return value is None or value is False or (type(value) is int and value == 0)


def _parameters(args: ast.arguments) -> Dict[str, List[Store]]:
    positional = [*args.posonlyargs, *args.args]
    defaults: Dict[str, Any] = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]],
                                        args.defaults))
    defaults.update((a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None)
    found: Dict[str, List[Store]] = {}
    for arg in [*positional, args.vararg, *args.kwonlyargs, args.kwarg]:
        if arg is not None:
            found.setdefault(arg.arg, []).append((arg.lineno, arg.col_offset, "param", defaults.get(arg.arg), None))
    return found


def _walk(node: ast.AST, guard: Optional[ast.AST], found: Dict[str, List[Store]]) -> None:
    """Note the bindings in `node` that belong to the function's own scope."""
    kind = type(node)
    if kind in DEFINITIONS:
        _note(found, node.name, node, "other", None, guard)  # type: ignore[attr-defined]
        return
    if kind in OWN_SCOPES:
        return
    target = _single_target(node)
    if target is not None:
        value = node.value  # type: ignore[attr-defined]
        _note(found, target.id, target, "assign", value, guard)
        if value is not None:
            _walk(value, guard, found)
        return
    if kind is ast.Name and type(node.ctx) is ast.Store:  # type: ignore[attr-defined]
        _note(found, node.id, node, "other", None, guard)  # type: ignore[attr-defined]
    elif kind in (ast.Import, ast.ImportFrom):
        for alias in node.names:  # type: ignore[attr-defined]
            _note(found, alias.asname or alias.name.partition(".")[0], node, "other", None, guard)
    elif getattr(node, "name", None) and kind is not ast.alias:  # `except E as e`, `case {**rest}`
        _note(found, node.name, node, "other", None, guard)  # type: ignore[attr-defined]
    inner = node if kind in COMPOUND else guard
    for child in ast.iter_child_nodes(node):
        _walk(child, inner, found)


def _single_target(node: ast.AST) -> Optional[ast.Name]:
    """`name = value` (one target, a plain name), or `name: T = value`."""
    if type(node) is ast.Assign and len(node.targets) == 1 and type(node.targets[0]) is ast.Name:
        return node.targets[0]
    if type(node) is ast.AnnAssign and type(node.target) is ast.Name:
        return node.target
    return None


def _note(found: Dict[str, List[Store]], name: str, node: Any, kind: str, value: Optional[ast.AST],
          guard: Optional[ast.AST]) -> None:
    found.setdefault(name, []).append((node.lineno, node.col_offset, kind, value, guard))
