"""The index-facts walk as it was first written: recursive over statements, a
plain stack over expressions, a generic field walk for every node. Slow, but
simple to read; the engine's optimised walk (`engine/facts_walk.py`) must give
exactly the same facts (tests/test_facts_equivalence.py). It shares only the
small `ast` helpers, the reading of imports and the finishing step with the engine."""

from __future__ import annotations

import ast
import os
from typing import Dict, List, Optional, Tuple

from dispatch_lint.engine.ast_walk import (
    AWAITING,
    CLAUSES,
    EXPR_FIELDS,
    callee_name,
    children,
    dotted,
    is_async_mock,
    is_stub,
    mocked_names,
    uses_async_mock,
)
from dispatch_lint.engine.facts_data import (
    CALL,
    LOOP_CALLS,
    LOOP_METHODS,
    SPAWN,
    SPAWNERS,
    VALUE,
    AsyncDefFact,
    FileFacts,
)
from dispatch_lint.engine.facts_finish import finish_facts
from dispatch_lint.engine.facts_state import FactsState
from dispatch_lint.engine.index_facts import module_name
from dispatch_lint.engine.sources import NEWLINE

_LOOP_CALL_TAILS = frozenset(name.rpartition(".")[2] for name in LOOP_CALLS)
BRANCHES = frozenset({ast.If, ast.Try, *([ast.TryStar] if hasattr(ast, "TryStar") else [])})


class ReferenceExtractor:
    def __init__(self, text: str, module: str, is_package: bool) -> None:
        self.lines = NEWLINE.split(text)
        self.ascii = text.isascii()
        self.module = module
        self.is_package = is_package
        self.defs: List[AsyncDefFact] = []
        self.classes: List[Tuple[str, int, List[str], Dict[str, str], bool]] = []
        self.imports: Dict[str, str] = {}
        self.star: List[str] = []
        self.alternatives: List[Tuple[str, str]] = []
        self.sites: list = []
        self.names: Dict[str, List[int]] = {}
        self.attrs: Dict[str, List[int]] = {}
        self.receivers: List[Tuple[str, str, int]] = []  # (receiver name, attr, kind)
        self.mocked: set = set()
        self.mocking = False
        self.skip: set = set()  # awaited callees: not "other references"
        self.spawned: set = set()  # calls handed to a spawner
        self.branch: Optional[int] = None  # the outermost `if`/`try` around the statement, in its scope
        self.def_branches: List[Optional[int]] = []  # per async def
        self.loop_calls: List[List[str]] = []  # per async def: dotted callees that may need a loop

    # -- positions -------------------------------------------------------------

    def char_col(self, line: int, byte_col: int) -> int:
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        if text.isascii():
            return byte_col + 1
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1

    def note(self, table: Dict[str, List[int]], name: str, kind: int, node: ast.AST) -> None:
        entry = table.get(name)
        if entry is None:
            table[name] = [kind, node.lineno, node.col_offset + 1]  # finish_facts takes 1-based columns
        elif not entry[0] & kind:
            entry[0] |= kind

    # -- imports (read as the engine reads them: the oracle checks the walk) -------

    resolve_from = FactsState.resolve_from
    add_import = FactsState.add_import

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
        elif kind is ast.Assign and self.mocking and is_async_mock(node.value):
            self.mocked.update(t.attr for t in node.targets if isinstance(t, ast.Attribute))
        outermost = self.branch is None and kind in BRANCHES
        if outermost:
            self.branch = id(node)
        for child in children(node):
            if isinstance(child, ast.stmt) or type(child) in CLAUSES:
                self.stmt(child, cls, prefix, frame)
            else:
                self.expr(child, cls, frame)
        if outermost:
            self.branch = None

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
                if frame is not None:
                    self.note_loop_call(func, frame)
                callee = callee_name(func)
                if callee is not None and (callee in SPAWNERS or callee.endswith("_task")):
                    spawned.update(id(arg) for arg in node.args if type(arg) is Call)
                if self.mocking and uses_async_mock(node):
                    self.mocked.update(mocked_names(node))
            elif kind in AWAITING:
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
            fields = EXPR_FIELDS.get(kind)
            if fields is None:  # patterns of `match` statements
                stack.extend(children(node))
                continue
            for name in fields:
                value = getattr(node, name)
                if value.__class__ is list:
                    stack.extend(value)
                elif value is not None:
                    stack.append(value)

    @staticmethod
    def note_loop_call(func: ast.AST, frame: list) -> None:
        """frame[1]: a loop method is called; frame[2]: dotted callees named like a loop call."""
        if type(func) is ast.Attribute and func.attr in LOOP_METHODS:
            frame[1] = True
        elif callee_name(func) in _LOOP_CALL_TAILS:
            name = dotted(func)
            if name:
                frame[2].append(name)

    def note_receiver(self, node: ast.Attribute, kind: int) -> None:
        value = node.value
        if type(value) is ast.Name and value.id in self.imports:
            self.receivers.append((value.id, node.attr, kind))


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
        self.sites.append((name, receiver, raw, cls, line, start, end))

    def class_def(self, node: ast.ClassDef, cls: Optional[str], prefix: str, frame: Optional[list]) -> None:
        for child in (*node.decorator_list, *node.bases, *node.keywords):
            self.expr(child, cls, frame)
        qualname = prefix + node.name
        bases = [b for b in (dotted(base) for base in node.bases) if b]
        bases += [f"metaclass={dotted(k.value)}" for k in node.keywords if k.arg == "metaclass"]
        first_def = len(self.defs)
        outer_branch, self.branch = self.branch, None
        self.body(node.body, qualname, qualname + ".", None)
        self.branch = outer_branch
        methods = {s.name: "sync" for s in node.body if isinstance(s, ast.FunctionDef)}
        for fact in self.defs[first_def:]:
            if fact.class_qualname == qualname:
                methods[fact.name] = "await" if fact.awaits else "dead"
        stubs = any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_stub(s.body) for s in node.body)
        self.classes.append((qualname, node.lineno, bases, methods, stubs))

    def function_def(self, node: ast.AST, cls: Optional[str], prefix: str, frame: Optional[list]) -> None:
        for child in (*node.decorator_list, *children(node.args), *([node.returns] if node.returns else [])):
            self.expr(child, cls, frame)
        qualname = prefix + node.name
        own: list = [False, False, []]  # awaits, calls a loop method, callees that may need a loop
        outer_branch, self.branch = self.branch, None
        self.body(node.body, cls, qualname + ".<locals>.", own)
        self.branch = outer_branch
        if isinstance(node, ast.AsyncFunctionDef):
            method_of = cls if cls is not None and prefix == cls + "." else None
            decorators = tuple(dotted(d.func if isinstance(d, ast.Call) else d) or "?" for d in node.decorator_list)
            self.defs.append(AsyncDefFact(node.name, qualname, node.lineno, method_of, frame is not None,
                                          own[0], decorators, is_stub(node.body), own[1]))
            self.def_branches.append(outer_branch)
            self.loop_calls.append(own[2])


def reference_facts(path: str, text: str, tree: ast.Module, root: str) -> FileFacts:
    real = os.path.realpath(path)
    module, public = module_name(real, os.path.realpath(root))
    extractor = ReferenceExtractor(text, module, os.path.basename(real) == "__init__.py")
    extractor.mocking = "AsyncMock" in text
    extractor.body(tree.body, None, "", None)
    return finish_facts(extractor, real, public)
