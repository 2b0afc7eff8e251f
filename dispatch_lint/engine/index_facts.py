"""Per-file facts for the project index, extracted from the stdlib `ast` tree.

One pass over a tree that phase A has already parsed. It records what the
project-wide questions need and nothing more: async definitions, classes with
their bases and methods, imports, direct `await f(...)` call sites (with the
exact span of `await `), and every other reference to a name, sorted into
*value* (passed, stored), *call* (called without await) and *spawn* (a call
handed to `create_task`, `gather` and the like). Plain-name references are only
kept for names the file imports or defines as async, so the facts stay small.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

# Calls whose coroutine arguments run as tasks: the callee must stay a coroutine.
# (A call whose result is used through an attribute, `f().__await__()`, counts too.)
SPAWNERS = frozenset({"create_task", "ensure_future", "gather", "shield", "wait", "as_completed",
                      "run_coroutine_threadsafe", "spawn"})
VALUE, CALL, SPAWN = 1, 2, 4


@dataclass(frozen=True)
class AsyncDefFact:
    name: str
    qualname: str  # "f", "C.m", "outer.<locals>.inner"
    line: int
    class_qualname: Optional[str]  # the class it is a method of
    nested: bool  # defined inside a function
    awaits: bool  # its own body awaits (or is an async generator)
    decorators: Tuple[str, ...] = ()  # dotted, resolved through the file's imports ("?" if not a name)
    stub: bool = False  # docstring, pass, ... or raise NotImplementedError only


@dataclass(frozen=True)
class ClassFact:
    qualname: str
    line: int
    bases: Tuple[str, ...]  # dotted, resolved through the file's imports
    # method name -> "sync" | "await" (async, awaits) | "dead" (async, never awaits)
    methods: Tuple[Tuple[str, str], ...]
    has_stubs: bool = False  # declares a stub method: an abstract base in all but name


@dataclass(frozen=True)
class AwaitSite:
    """`await <receiver>.name(...)`; the edit deletes columns [column, end_column)."""

    name: str
    receiver: str  # "" plain name, "self", "cls", "super", "mod:<dotted>", "?" other
    target: Optional[str]  # for a plain imported name: its dotted origin
    enclosing_class: Optional[str]
    line: int
    column: int  # 1-based character column of `await`
    end_column: int  # column of the awaited expression


@dataclass
class FileFacts:
    path: str  # absolute real path
    module: str  # dotted module name ("" when not importable)
    public: bool  # part of a package's public API
    defs: Tuple[AsyncDefFact, ...] = ()
    classes: Tuple[ClassFact, ...] = ()
    imports: Dict[str, str] = field(default_factory=dict)  # local name -> dotted origin
    star_imports: Tuple[str, ...] = ()
    # Pairs of origins imported under one name (in `if`/`try` branches): alternatives.
    import_alternatives: Tuple[Tuple[str, str], ...] = ()
    await_sites: Tuple[AwaitSite, ...] = ()
    # name -> (kinds bitmask, line, column) of plain-name references that are not direct awaits
    name_refs: Dict[str, Tuple[int, int, int]] = field(default_factory=dict)
    # attribute name -> (kinds bitmask, line, column), any receiver
    attr_refs: Dict[str, Tuple[int, int, int]] = field(default_factory=dict)
    # (module, attribute) -> kinds, for `mod.name` where `mod` is an imported module
    module_attr_refs: Dict[Tuple[str, str], int] = field(default_factory=dict)
    async_mocked: FrozenSet[str] = frozenset()  # names the tests replace with AsyncMock
    # The project index these facts belong to, set when it is built (never pickled).
    index: Any = field(default=None, compare=False, repr=False)

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["index"] = None
        return state

    @property
    def has_candidates(self) -> bool:
        return any(not d.awaits for d in self.defs)


@lru_cache(maxsize=4096)
def _package_parts(folder: str) -> Tuple[str, ...]:
    if not os.path.isfile(os.path.join(folder, "__init__.py")):
        return ()
    return _package_parts(os.path.dirname(folder)) + (os.path.basename(folder),)


NON_API_PARTS = frozenset({"tests", "test", "testing", "examples", "example", "docs", "scripts",
                           "benchmarks", "bench", "conftest", "setup", "noxfile", "__main__"})


def module_name(path: str, root: str) -> Tuple[str, bool]:
    """The dotted module name of `path` and whether it is public API."""
    folder, base = os.path.split(path)
    stem = base[:-3] if base.endswith(".py") else base
    parts = _package_parts(folder)
    in_package = bool(parts)
    if not in_package and os.path.realpath(folder) not in (root, os.path.join(root, "src")):
        parts = ()  # a loose script somewhere: importable only as itself
    names = parts if stem == "__init__" else parts + (stem,)
    public = (in_package or len(names) == 1) and not any(
        n.startswith("_") and n != "__init__" or n in NON_API_PARTS or n.startswith("test_") for n in names
    )
    return ".".join(names), public


def _dotted(node: ast.AST) -> Optional[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Subscript):  # Generic[T], Protocol[T]
        return _dotted(node.value)
    return None


def _is_spawner(name: Optional[str]) -> bool:
    """`create_task`, `gather`..., and any `*_task` call (`create_background_task`)."""
    return name is not None and (name in SPAWNERS or name.endswith("_task"))


def _callee_name(func: ast.AST) -> Optional[str]:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


class _Extractor:
    def __init__(self, text: str, module: str, is_package: bool) -> None:
        self.lines = text.splitlines()
        self.module = module
        self.is_package = is_package
        self.defs: List[AsyncDefFact] = []
        self.classes: List[Tuple[str, int, List[str], Dict[str, str], bool]] = []
        self.imports: Dict[str, str] = {}
        self.star: List[str] = []
        self.alternatives: List[Tuple[str, str]] = []
        self.sites: List[Tuple[AwaitSite, Optional[str]]] = []
        self.names: Dict[str, List[int]] = {}
        self.attrs: Dict[str, List[int]] = {}
        self.receivers: List[Tuple[str, str, int]] = []  # (receiver name, attr, kind)
        self.mocked: set = set()
        self.mocking = False
        self.skip: set = set()  # awaited callees: not "other references"
        self.spawned: set = set()  # calls handed to a spawner

    # -- positions -------------------------------------------------------------

    def char_col(self, line: int, byte_col: int) -> int:
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        if text.isascii():
            return byte_col + 1
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1

    def note(self, table: Dict[str, List[int]], name: str, kind: int, node: ast.AST) -> None:
        entry = table.get(name)
        if entry is None:
            table[name] = [kind, node.lineno, node.col_offset]
        elif not entry[0] & kind:
            entry[0] |= kind

    # -- imports ---------------------------------------------------------------

    def resolve_from(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        parts = self.module.split(".") if self.module else []
        drop = node.level - 1 if self.is_package else node.level
        base = parts[: len(parts) - drop] if drop <= len(parts) else []
        return ".".join(base + ([node.module] if node.module else []))

    def add_import(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.imports[top] = top
            return
        origin = self.resolve_from(node)
        for alias in node.names:
            if alias.name == "*":
                self.star.append(origin)
            else:
                local, target = alias.asname or alias.name, f"{origin}.{alias.name}" if origin else alias.name
                if self.imports.get(local, target) != target:  # one name, two origins: alternatives
                    self.alternatives.append((self.imports[local], target))
                self.imports[local] = target

    # -- the walk ----------------------------------------------------------------
    # Statements recurse (they carry the class and function context); expressions
    # are walked with a flat stack, which is where almost all nodes are.

    def body(self, stmts: List[ast.stmt], cls: Optional[str], prefix: str, frame: Optional[list]) -> None:
        for node in stmts:
            self.stmt(node, cls, prefix, frame)

    def stmt(self, node: ast.AST, cls: Optional[str], prefix: str, frame: Optional[list]) -> None:
        kind = type(node)
        if kind is ast.ClassDef:
            self.class_def(node, cls, prefix, frame)
            return
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            self.function_def(node, cls, prefix, frame)
            return
        if kind is ast.Import or kind is ast.ImportFrom:
            self.add_import(node)
            return
        if (kind is ast.AsyncFor or kind is ast.AsyncWith) and frame is not None:
            frame[0] = True
        elif kind is ast.Assign and self.mocking and _is_async_mock(node.value):
            self.mocked.update(t.attr for t in node.targets if isinstance(t, ast.Attribute))
        for child in _children(node):
            if isinstance(child, ast.stmt) or type(child) in _CLAUSES:
                self.stmt(child, cls, prefix, frame)
            else:
                self.expr(child, cls, frame)

    def expr(self, root: ast.AST, cls: Optional[str], frame: Optional[list]) -> None:
        stack = [root]
        skip, spawned = self.skip, self.spawned
        names, attrs = self.names, self.attrs
        Name, Attribute, Call = ast.Name, ast.Attribute, ast.Call
        load = ast.Load
        while stack:
            node = stack.pop()
            if node is None:  # the key of `**mapping` in a dict display
                continue
            kind = type(node)
            if kind is Name:
                if type(node.ctx) is load and id(node) not in skip:
                    self.note(names, node.id, VALUE, node)
                continue
            if kind is Attribute:
                if type(node.value) is Call:  # `f().__await__()`: the coroutine object itself is used
                    spawned.add(id(node.value))
                if type(node.ctx) is load and id(node) not in skip:
                    self.note(attrs, node.attr, VALUE, node)
                    self.note_receiver(node, VALUE)
                stack.append(node.value)
                continue
            if kind is Call:
                func = node.func
                if id(func) not in skip:
                    ref_kind = SPAWN if id(node) in spawned else CALL
                    if type(func) is Name:
                        self.note(names, func.id, ref_kind, func)
                        skip.add(id(func))
                    elif type(func) is Attribute:
                        self.note(attrs, func.attr, ref_kind, func)
                        self.note_receiver(func, ref_kind)
                        skip.add(id(func))
                if _is_spawner(_callee_name(func)):
                    spawned.update(id(arg) for arg in node.args if type(arg) is Call)
                if self.mocking and _uses_async_mock(node):
                    self.note_mock(node)
            elif kind in _AWAITING:
                if frame is not None:
                    frame[0] = True
                if kind is ast.Await and type(node.value) is Call:
                    self.await_site(node, cls)
            elif kind is ast.comprehension:
                if node.is_async and frame is not None:
                    frame[0] = True
            elif kind is ast.Constant:
                continue
            elif kind is ast.Lambda:  # its body is its own: references count, awaits do not
                self.expr(node.body, cls, None)
                stack.append(node.args)
                continue
            fields = _EXPR_FIELDS.get(kind)
            if fields is None:  # patterns of `match` statements
                stack.extend(_children(node))
                continue
            for name in fields:
                value = getattr(node, name)
                if value.__class__ is list:
                    stack.extend(value)
                elif value is not None:
                    stack.append(value)

    def note_receiver(self, node: ast.Attribute, kind: int) -> None:
        value = node.value
        if type(value) is ast.Name and value.id in self.imports:
            self.receivers.append((value.id, node.attr, kind))

    def note_mock(self, call: ast.Call) -> None:
        """`patch.object(C, "name", new_callable=AsyncMock)`, `patch("m.name", ...)`,
        `AsyncMock(spec=C)` / `create_autospec(C)`: the tests treat these as coroutines."""
        for arg in call.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                self.mocked.add(arg.value.rsplit(".", 1)[-1])
        specs = [k.value for k in call.keywords if k.arg in ("spec", "spec_set")]
        if _callee_name(call.func) == "create_autospec" and call.args:
            specs.append(call.args[0])
        for spec in specs:
            dotted = _dotted(spec)
            if dotted:
                self.mocked.add("class:" + dotted.rsplit(".", 1)[-1])

    def await_site(self, node: ast.Await, cls: Optional[str]) -> None:
        func = node.value.func
        receiver, raw = "", None
        if type(func) is ast.Name:
            name, raw = func.id, func.id
        elif type(func) is ast.Attribute:
            name, value = func.attr, func.value
            if type(value) is ast.Name:
                receiver = value.id if value.id in ("self", "cls") else "name:" + value.id
            elif type(value) is ast.Call and type(value.func) is ast.Name and value.func.id == "super":
                receiver = "super"
            else:
                receiver = "?"
        else:
            return
        self.skip.add(id(func))
        line = node.lineno
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        start = self.char_col(line, node.col_offset)
        after = start - 1 + len("await")
        end = len(text) - len(text[after:].lstrip(" \t")) + 1
        if node.value.lineno != line:
            end = start  # `await` followed by a line break: no safe edit
        self.sites.append((AwaitSite(name, receiver, None, cls, line, start, end), raw))

    def class_def(self, node: ast.ClassDef, cls: Optional[str], prefix: str, frame: Optional[list]) -> None:
        for child in (*node.decorator_list, *node.bases, *node.keywords):
            self.expr(child, cls, frame)
        qualname = prefix + node.name
        bases = [b for b in (_dotted(base) for base in node.bases) if b]
        bases += [f"metaclass={_dotted(k.value)}" for k in node.keywords if k.arg == "metaclass"]
        first_def = len(self.defs)
        self.body(node.body, qualname, qualname + ".", None)
        methods = {s.name: "sync" for s in node.body if isinstance(s, ast.FunctionDef)}
        for fact in self.defs[first_def:]:
            if fact.class_qualname == qualname:
                methods[fact.name] = "await" if fact.awaits else "dead"
        stubs = any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_stub(s.body) for s in node.body)
        self.classes.append((qualname, node.lineno, bases, methods, stubs))

    def function_def(self, node: ast.AST, cls: Optional[str], prefix: str, frame: Optional[list]) -> None:
        for child in (*node.decorator_list, *_children(node.args), *([node.returns] if node.returns else [])):
            self.expr(child, cls, frame)
        qualname = prefix + node.name
        own = [False]
        self.body(node.body, cls, qualname + ".<locals>.", own)
        if isinstance(node, ast.AsyncFunctionDef):
            method_of = cls if cls is not None and prefix == cls + "." else None
            decorators = tuple(_dotted(d.func if isinstance(d, ast.Call) else d) or "?" for d in node.decorator_list)
            self.defs.append(AsyncDefFact(node.name, qualname, node.lineno, method_of, frame is not None,
                                          own[0], decorators, _is_stub(node.body)))

    def facts(self, path: str, public: bool) -> FileFacts:
        def resolve(base: str) -> str:
            head, _, rest = base.partition(".")
            origin = self.imports.get(head)
            if origin is None:
                if head in _BUILTIN_BASES or "=" in base or not self.module:
                    return base
                return f"{self.module}.{base}"
            return f"{origin}.{rest}" if rest else origin

        classes = tuple(
            ClassFact(q, line, tuple(resolve(b) for b in bases), tuple(sorted(m.items())), stubs)
            for q, line, bases, m, stubs in self.classes
        )
        defs = tuple(replace(d, decorators=tuple(resolve(x) if x != "?" else x for x in d.decorators))
                     if d.decorators else d for d in self.defs)
        sites = []
        for site, raw in self.sites:
            receiver = site.receiver
            if receiver.startswith("name:"):
                origin = self.imports.get(receiver[5:])
                receiver = f"mod:{origin}" if origin else "?"
            target = self.imports.get(raw) if raw else None
            sites.append(AwaitSite(site.name, receiver, target, site.enclosing_class,
                                   site.line, site.column, site.end_column))
        keep = set(self.imports) | {d.name for d in self.defs}
        if self.star:
            keep = set(self.names)
        module_attrs: Dict[Tuple[str, str], int] = {}
        for receiver, attr, kind in self.receivers:
            origin = self.imports.get(receiver)
            if origin is not None:
                module_attrs[(origin, attr)] = module_attrs.get((origin, attr), 0) | kind
        return FileFacts(
            path=path,
            module=self.module,
            public=public,
            defs=defs,
            classes=classes,
            imports=dict(self.imports),
            star_imports=tuple(self.star),
            import_alternatives=tuple(self.alternatives),
            await_sites=tuple(sites),
            name_refs={n: self._pos(v) for n, v in self.names.items() if n in keep},
            attr_refs={n: self._pos(v) for n, v in self.attrs.items()},
            module_attr_refs=module_attrs,
            async_mocked=frozenset(self.mocked),
        )

    def _pos(self, entry: List[int]) -> Tuple[int, int, int]:
        return entry[0], entry[1], self.char_col(entry[1], entry[2])


def _is_stub(body: List[ast.stmt]) -> bool:
    for statement in body:
        if type(statement) is ast.Pass:
            continue
        if type(statement) is ast.Expr and type(statement.value) is ast.Constant and (
            isinstance(statement.value.value, (str, bytes)) or statement.value.value is Ellipsis
        ):
            continue
        if type(statement) is ast.Raise and statement.exc is not None:
            exc = statement.exc.func if type(statement.exc) is ast.Call else statement.exc
            if type(exc) is ast.Name and exc.id == "NotImplementedError":
                continue
        return False
    return True


def _is_async_mock(node: ast.AST) -> bool:
    """`AsyncMock`, `mock.AsyncMock` or a call of either."""
    if type(node) is ast.Call:
        node = node.func
    return _callee_name(node) == "AsyncMock"


def _uses_async_mock(call: ast.Call) -> bool:
    if _callee_name(call.func) in ("AsyncMock", "create_autospec"):
        return True
    return any(_is_async_mock(arg) for arg in (*call.args, *(k.value for k in call.keywords)))


# Child fields that can hold expressions or statements, per node type.
_SKIPPED_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "kind", "is_async", "level",
                             "lineno", "col_offset", "end_lineno", "end_col_offset"})
_FIELDS: Dict[type, Tuple[str, ...]] = {}


# Fields of expression nodes that hold nodes (or lists of nodes); the rest are
# identifiers, flags and operators.
_EXPR_FIELDS: Dict[type, Tuple[str, ...]] = {
    kind: tuple(f for f in kind._fields if f not in _SKIPPED_FIELDS | {"id", "attr", "arg", "conversion", "value"})
    + (("value",) if kind in (ast.Attribute, ast.Subscript, ast.Starred, ast.keyword, ast.FormattedValue,
                                ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.DictComp) else ())
    for kind in (*ast.expr.__subclasses__(), ast.comprehension, ast.keyword, ast.arguments, ast.arg)
    if kind is not ast.Constant
}


def _children(node: ast.AST) -> List[ast.AST]:
    kind = type(node)
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(f for f in kind._fields if f not in _SKIPPED_FIELDS)
    found: List[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if type(value) is list:
            found.extend(v for v in value if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


_BUILTIN_BASES = frozenset(dir(__import__("builtins")))


# An async function whose own body holds one of these is not dead async
# (AsyncFor/AsyncWith are statements and are handled where statements are).
_AWAITING = frozenset({ast.Await, ast.Yield, ast.YieldFrom})
_CLAUSES = frozenset({ast.ExceptHandler, ast.match_case, *([ast.TryStar] if hasattr(ast, "TryStar") else [])})


def extract_facts(path: str, text: str, tree: ast.Module, root: str) -> FileFacts:
    """The index facts of one file that `ast` parsed."""
    real = os.path.realpath(path)
    module, public = module_name(real, os.path.realpath(root))
    extractor = _Extractor(text, module, os.path.basename(real) == "__init__.py")
    extractor.mocking = "AsyncMock" in text
    extractor.body(tree.body, None, "", None)
    return extractor.facts(real, public)
