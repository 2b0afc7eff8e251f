"""What the body of one `async def` shows by itself, read with LibCST."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import libcst as cst


@dataclass
class OwnBody:
    awaits: bool = False  # await, async for, async with, async comprehension
    yields: bool = False  # an async generator
    calls: List[cst.Call] = field(default_factory=list)


class _OwnBodyVisitor(cst.CSTVisitor):
    """Visits a body but not the bodies of nested functions, classes and
    lambdas; their decorators, defaults, annotations and bases do count."""

    def __init__(self) -> None:
        super().__init__()
        self.found = OwnBody()

    def visit_Await(self, node: cst.Await) -> None:
        self.found.awaits = True

    def visit_For(self, node: cst.For) -> None:
        self.found.awaits |= node.asynchronous is not None

    def visit_With(self, node: cst.With) -> None:
        self.found.awaits |= node.asynchronous is not None

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.found.awaits |= node.asynchronous is not None

    def visit_Yield(self, node: cst.Yield) -> None:
        self.found.yields = True

    def visit_Call(self, node: cst.Call) -> None:
        self.found.calls.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for part in (*node.decorators, node.params, *([node.returns] if node.returns else [])):
            part.visit(self)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        node.params.visit(self)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        for part in (*node.decorators, *node.bases, *node.keywords):
            part.visit(self)
        return False


def own_body(node: cst.FunctionDef) -> OwnBody:
    visitor = _OwnBodyVisitor()
    node.body.visit(visitor)
    return visitor.found


def is_stub(node: cst.FunctionDef) -> bool:
    """Only a docstring, `pass`, `...` or `raise NotImplementedError`."""
    body = node.body
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    small: List[cst.CSTNode] = []
    for statement in statements:
        if not isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return False
        small.extend(statement.body)
    return all(_is_stub_statement(s) for s in small)


def _is_stub_statement(statement: cst.CSTNode) -> bool:
    if isinstance(statement, cst.Pass):
        return True
    if isinstance(statement, cst.Expr):
        return isinstance(statement.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis))
    if isinstance(statement, cst.Raise) and statement.exc is not None:
        exc = statement.exc.func if isinstance(statement.exc, cst.Call) else statement.exc
        return isinstance(exc, cst.Name) and exc.value == "NotImplementedError"
    return False


def definitions_named(root: cst.CSTNode, name: str) -> List[cst.FunctionDef]:
    """Function definitions named `name` in `root`, not inside other functions or classes."""
    found: List[cst.FunctionDef] = []

    class Finder(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> Optional[bool]:
            if node.name.value == name:
                found.append(node)
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> Optional[bool]:
            return False

    root.visit(Finder())
    return found
