"""One `ast` walk of a module for the channel screens (see screening.py).

It records what LibCST's QualifiedNameProvider could resolve a name to (every
import of a library in `roots`, and every other binding whose qualified name
could start with one), every simple `name = value` for following constants and
contexts, each node's parent, every call, and which sends the module makes.
Scopes are ignored on purpose: a name's candidates are those of all its
bindings in the file, a superset of what LibCST sees at any one place.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import AbstractSet, Dict, List, Optional, Set, Tuple

SCOPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef})
NAMED_BINDINGS = (ast.ExceptHandler, ast.MatchAs, ast.MatchStar, ast.MatchMapping, ast.NamedExpr, ast.Global)
# Fields that never hold a node the screens look at: contexts and operators.
SKIPPED_FIELDS = frozenset({"ctx", "op", "ops"})
_FIELDS: Dict[type, Tuple[str, ...]] = {}


@dataclass(frozen=True)
class ImportAlias:
    """One imported name: `import name as asname`, `from module import name as asname`."""

    module: str  # "" for `import ...`
    name: str
    asname: Optional[str]

    def qualify(self, full_name: str) -> Optional[str]:
        """The qualified name LibCST gives `full_name` through this import, if any."""
        parts = self.name.split(".")
        for size in range(len(parts), 0, -1):
            real = ".".join(parts[:size])
            as_name = self.asname or real
            if self.module:
                real = f"{self.module}.{real}"
            if full_name.startswith(as_name):
                remaining = full_name[len(as_name):]
                if remaining and not remaining.startswith("."):
                    continue
                remaining = remaining.lstrip(".")
                return f"{real}.{remaining}" if remaining else real
        return None


class Scan:
    """What one walk of `tree` finds; `send_methods` are the channel send methods."""

    def __init__(self, tree: ast.Module, roots: AbstractSet[str], send_methods: AbstractSet[str]) -> None:
        self.roots = roots
        self.send_methods = send_methods
        self.parents: Dict[int, Optional[ast.AST]] = {}
        self.imports: Dict[str, List[ImportAlias]] = {}  # by the name the import binds
        self.prefixes: Dict[str, Set[str]] = {}  # name -> scope prefixes of its other bindings
        self.values: Dict[str, List[ast.expr]] = {}  # `name = value`, `name: T = value`
        self.class_values: Dict[str, List[Optional[ast.expr]]] = {}  # class-body `name = value`
        self.calls: List[ast.Call] = []
        self._visitors = {
            ast.Call: self._call, ast.Name: self._name, ast.Assign: self._assignment, ast.AnnAssign: self._assignment,
            ast.Import: self._import, ast.ImportFrom: self._import,
            **{kind: self._named_binding for kind in NAMED_BINDINGS},
        }
        self.parents[id(tree)] = None
        self._walk([tree], (), False)

    def parent(self, node: ast.AST) -> Optional[ast.AST]:
        return self.parents.get(id(node))

    def _walk(self, nodes: List[ast.AST], chain: Optional[Tuple[str, ...]], in_async: bool) -> None:
        """Walk `nodes` and below; `chain` is the class chain (None inside a
        function), `in_async` whether the nearest function is an async def."""
        parents, visitors = self.parents, self._visitors
        stack = list(nodes)
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind in SCOPES:
                self._scope(node, chain, in_async)
                continue
            visit = visitors.get(kind)
            if visit is not None:
                visit(node, chain, in_async)
            fields = _FIELDS.get(kind)
            for name in _fields(kind) if fields is None else fields:
                value = getattr(node, name, None)
                if isinstance(value, list):
                    for item in value:
                        if isinstance(item, ast.AST):
                            parents[id(item)] = node
                            stack.append(item)
                elif isinstance(value, ast.AST):
                    parents[id(value)] = node
                    stack.append(value)

    def _scope(self, node: ast.AST, chain: Optional[Tuple[str, ...]], in_async: bool) -> None:
        children = _children(node)
        for child in children:
            self.parents[id(child)] = node
        if isinstance(node, ast.ClassDef):
            self._class(node, chain)
            body = {id(statement) for statement in node.body}
            self._walk([c for c in children if id(c) in body], None if chain is None else (*chain, node.name), in_async)
            self._walk([c for c in children if id(c) not in body], chain, in_async)
            return
        if not isinstance(node, ast.Lambda):
            self._bind(node.name, chain)  # type: ignore[attr-defined]
        self._walk(children, None, isinstance(node, ast.AsyncFunctionDef))

    def _name(self, node: ast.Name, chain: Optional[Tuple[str, ...]], in_async: bool) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._bind(node.id, chain)

    def _named_binding(self, node: ast.AST, chain: Optional[Tuple[str, ...]], in_async: bool) -> None:
        """`except E as name`, match captures, a walrus (which may bind in the module's scope)."""
        if isinstance(node, ast.NamedExpr):
            if isinstance(node.target, ast.Name):
                self._bind(node.target.id, ())
        elif isinstance(node, ast.Global):
            for name in node.names:
                self._bind(name, ())
        elif isinstance(node, ast.MatchMapping):
            if node.rest:
                self._bind(node.rest, chain)
        elif node.name:  # type: ignore[attr-defined]
            self._bind(node.name, chain)  # type: ignore[attr-defined]

    def _bind(self, name: str, chain: Optional[Tuple[str, ...]]) -> None:
        """A non-import binding: LibCST qualifies it with its scope's prefix
        (class names; a function's `<locals>` never matches a library name)."""
        if chain is not None and (chain[0] if chain else name) in self.roots:
            self.prefixes.setdefault(name, set()).add(".".join(chain))

    def _import(self, node: ast.AST, chain: Optional[Tuple[str, ...]], in_async: bool) -> None:
        if isinstance(node, ast.ImportFrom):
            if node.level or not node.module or node.module.split(".")[0] not in self.roots:
                return  # relative imports qualify as `.name`: never a library's
            for alias in node.names:
                if alias.name != "*":
                    self.imports.setdefault(alias.asname or alias.name, []).append(
                        ImportAlias(node.module, alias.name, alias.asname))
            return
        for alias in node.names:  # type: ignore[attr-defined]
            if alias.name.split(".")[0] in self.roots:
                bound = alias.asname or alias.name.split(".")[0]
                self.imports.setdefault(bound, []).append(ImportAlias("", alias.name, alias.asname))

    def _assignment(self, node: ast.AST, chain: Optional[Tuple[str, ...]], in_async: bool) -> None:
        if isinstance(node, ast.Assign):
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.values.setdefault(node.targets[0].id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            self.values.setdefault(node.target.id, []).append(node.value)

    def _class(self, node: ast.ClassDef, chain: Optional[Tuple[str, ...]]) -> None:
        self._bind(node.name, chain)
        for statement in node.body:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        self.class_values.setdefault(target.id, []).append(statement.value)
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                self.class_values.setdefault(statement.target.id, []).append(statement.value)

    def _call(self, node: ast.Call, chain: Optional[Tuple[str, ...]], in_async: bool) -> None:
        self.calls.append(node)


def _fields(kind: type) -> Tuple[str, ...]:
    found = _FIELDS[kind] = tuple(name for name in kind._fields if name not in SKIPPED_FIELDS)  # type: ignore[attr-defined]
    return found


def _children(node: ast.AST) -> List[ast.AST]:
    found: List[ast.AST] = []
    fields = _FIELDS.get(type(node))
    for name in _fields(type(node)) if fields is None else fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            found.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            found.append(value)
    return found
