"""What the index-facts walk of one file records, and how (see `facts_walk`)."""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Tuple

from dispatch_lint.engine.ast_walk import dotted, is_stub
from dispatch_lint.engine.facts_data import AsyncDefFact
from dispatch_lint.engine.sources import NEWLINE


class FactsState:
    def __init__(self, text: str, module: str, is_package: bool) -> None:
        self.text = text
        self.ascii = text.isascii()
        self.lines: Optional[List[str]] = None  # split only when a column needs a line's text
        self.module = module
        self.is_package = is_package
        self.mocking = "AsyncMock" in text
        self.defs: List[AsyncDefFact] = []
        self.classes: List[Tuple[str, int, List[str], Dict[str, str], bool]] = []
        self.imports: Dict[str, str] = {}
        self.star: List[str] = []
        self.alternatives: List[Tuple[str, str]] = []
        # AwaitSite's fields, but the plain callee name (`raw`) for its target instead
        self.sites: List[Tuple[str, str, Optional[str], Optional[str], int, int, int]] = []
        self.names: Dict[str, List[int]] = {}  # name -> [kinds, line, 1-based byte column] of its first reference
        self.attrs: Dict[str, List[int]] = {}
        self.receivers: List[Tuple[str, str, int]] = []  # (receiver name, attr, kind)
        self.mocked: set = set()
        self.spawned: set = set()  # ids of calls whose coroutine is used as an object (spawned)
        self.branch: Optional[int] = None  # the outermost `if`/`try` around the statement, in its scope
        self.def_branches: List[Optional[int]] = []  # per async def
        self.loop_calls: List[List[str]] = []  # per async def: dotted callees that may need a loop

    # -- positions -------------------------------------------------------------

    def line_text(self, line: int) -> str:
        if self.lines is None:  # the tokenizer's line breaks only (not str.splitlines' \f, \v...)
            self.lines = self.text.split("\n") if "\r" not in self.text else NEWLINE.split(self.text)
        return self.lines[line - 1] if line <= len(self.lines) else ""

    def char_col(self, line: int, byte_col: int) -> int:
        if self.ascii:
            return byte_col + 1
        text = self.line_text(line)
        if text.isascii():
            return byte_col + 1
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1

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

    # -- what some nodes mean ------------------------------------------------------


    def await_site(self, node: ast.Await, cls: Optional[str]) -> None:
        """`await f(...)`, `await x.f(...)`: the callee and the span of `await` before it."""
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
        line = node.lineno
        text = self.line_text(line)
        start = self.char_col(line, node.col_offset)
        after = start - 1 + len("await")
        end = len(text) - len(text[after:].lstrip(" \t")) + 1
        if node.value.lineno != line:
            end = start  # `await` followed by a line break: no safe edit
        self.sites.append((name, receiver, raw, cls, line, start, end))

    def async_def(self, node: ast.AsyncFunctionDef, cls: Optional[str], prefix: str, nested: bool,
                  own: list) -> None:
        """An async def whose body is walked; `own` is its [awaits, calls a loop method, loop callees]."""
        method_of = cls if cls is not None and prefix == cls + "." else None
        decorators = tuple(dotted(d.func if isinstance(d, ast.Call) else d) or "?" for d in node.decorator_list)
        self.defs.append(AsyncDefFact(node.name, prefix + node.name, node.lineno, method_of, nested,
                                      own[0], decorators, is_stub(node.body), own[1]))
        self.def_branches.append(self.branch)
        self.loop_calls.append(own[2])

    def class_fact(self, node: ast.ClassDef, qualname: str, first_def: int) -> None:
        """A class whose body is walked; its async methods are the defs from `first_def` on."""
        bases = [b for b in (dotted(base) for base in node.bases) if b]
        bases += [f"metaclass={dotted(k.value)}" for k in node.keywords if k.arg == "metaclass"]
        methods = {s.name: "sync" for s in node.body if isinstance(s, ast.FunctionDef)}
        for fact in self.defs[first_def:]:
            if fact.class_qualname == qualname:
                methods[fact.name] = "await" if fact.awaits else "dead"
        stubs = any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_stub(s.body) for s in node.body)
        self.classes.append((qualname, node.lineno, bases, methods, stubs))
