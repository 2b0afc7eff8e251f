"""Where a construction stands, read from the `ast` as site.py and tracking.py
read it from LibCST: the statement's lines, the name it is bound to, its class.

Anything the `ast` cannot settle exactly (a backslash between statements, a
parenthesised target) comes back as UNCERTAIN; the screens then assume both.
"""

from __future__ import annotations

import ast
from typing import List, Optional, Sequence, Tuple, Union

from dispatch_lint.channels.screen_scan import Scan
from dispatch_lint.channels.site import FACTORY_KEYWORDS
from dispatch_lint.channels.table import ChannelKind

UNCERTAIN = "uncertain"
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp)
SEQUENCES = (ast.Tuple, ast.List, ast.Set)
BLANK = " \t\f"


class Sites:
    def __init__(self, scan: Scan, text: str, lines: Sequence[str]) -> None:
        self.scan = scan
        self.text = text
        self.lines = lines  # physical lines as `ast` counts them

    # -- the statement's lines (site.py's `statement_lines`) ---------------------

    def statement_lines(self, node: ast.AST) -> Union[Tuple[int, int], str]:
        statement = self._enclosing(node, ast.stmt)
        if statement is None:
            return UNCERTAIN
        if _is_compound(statement):  # the construction is in its header
            return statement.lineno, node.end_lineno  # type: ignore[return-value]
        siblings = self._siblings(statement)
        if siblings is None:
            return UNCERTAIN
        body, index = siblings
        first = index
        while True:
            starts = self._starts_logical_line(body[first])
            if starts == UNCERTAIN:
                return UNCERTAIN
            if starts:
                break
            if first == 0:  # `if x: q = Queue()`: LibCST's statement is the compound one
                owner = self._enclosing(body[0], ast.stmt)
                return (owner.lineno, node.end_lineno) if owner is not None else UNCERTAIN  # type: ignore[return-value]
            if _is_compound(body[first - 1]):
                return UNCERTAIN
            first -= 1
        last = index
        while True:
            joined = self._joined_to_next(body, last)
            if joined == UNCERTAIN:
                return UNCERTAIN
            if not joined:
                return body[first].lineno, body[last].end_lineno  # type: ignore[return-value]
            last += 1

    def _siblings(self, statement: ast.stmt) -> Optional[Tuple[List[ast.stmt], int]]:
        """The statement list holding `statement`, and its index there."""
        for _, value in ast.iter_fields(self.scan.parent(statement)):  # type: ignore[arg-type]
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if item is statement:
                        return value, index
        return None

    def _starts_logical_line(self, statement: ast.stmt) -> Union[bool, str]:
        line = self.lines[statement.lineno - 1]
        if _cut(line, 0, statement.col_offset).strip(BLANK):
            return False
        if statement.lineno > 1 and self.lines[statement.lineno - 2].endswith("\\"):
            return UNCERTAIN
        return True

    def _joined_to_next(self, body: List[ast.stmt], index: int) -> Union[bool, str]:
        """Whether `body[index]` and the next statement share a line (`a; b`)."""
        statement = body[index]
        line = self.lines[statement.end_lineno - 1]  # type: ignore[operator]
        following = body[index + 1] if index + 1 < len(body) else None
        if following is not None and following.lineno == statement.end_lineno:
            between = _cut(line, statement.end_col_offset, following.col_offset)  # type: ignore[arg-type]
            return True if between.strip(BLANK) == ";" else UNCERTAIN
        code = _cut(line, statement.end_col_offset, None).split("#", 1)[0]  # type: ignore[arg-type]
        return False if "\\" not in code and code.strip(BLANK) in ("", ";") else UNCERTAIN

    # -- the bound name (site.py's `bound_name`, tracking.py's `_bound_to`) -------

    def site_name(self, node: ast.AST, kind: ChannelKind) -> Optional[str]:
        """The name inbox.py matches, None for none, or UNCERTAIN."""
        bound = self._bound_name(node)
        if bound is not None:
            return bound
        bound = self._bound_targets(node, kind)
        if bound == UNCERTAIN:
            return UNCERTAIN
        assignment, targets = bound
        names = [self._code(target, assignment) for target in targets]  # type: ignore[arg-type]
        if UNCERTAIN in names:
            return UNCERTAIN
        return ", ".join(name.rsplit(".", 1)[-1] for name in names) or None  # type: ignore[union-attr]

    def _bound_name(self, node: ast.AST) -> Optional[str]:
        parent = self.scan.parent(node)
        if isinstance(parent, ast.Lambda):
            node, parent = parent, self.scan.parent(parent)
        if isinstance(parent, ast.keyword) and parent.arg in FACTORY_KEYWORDS:
            node = self.scan.parent(parent)  # type: ignore[assignment]
            parent = self.scan.parent(node)
        names: List[str] = []
        if isinstance(parent, ast.Assign) and parent.value is node:
            names = [name for target in parent.targets for name in _target_names(target)]
        elif isinstance(parent, ast.AnnAssign) and parent.value is node:
            names = _target_names(parent.target)
        elif isinstance(parent, ast.keyword) and parent.arg is not None:
            names = [parent.arg]
        return ", ".join(names) or None

    def _bound_targets(self, node: ast.AST, kind: ChannelKind) -> Union[Tuple[Optional[ast.stmt], List[ast.expr]], str]:
        """The assignment and the targets naming the construction `node` (None, [] for none)."""
        child, parent = node, self.scan.parent(node)
        while True:
            if isinstance(parent, ast.keyword) and parent.arg in FACTORY_KEYWORDS:
                return UNCERTAIN  # a factory argument: is the call a field helper?
            if not ((isinstance(parent, COMPREHENSIONS) and parent.elt is child)
                    or (isinstance(parent, ast.DictComp) and parent.value is child)
                    or (isinstance(parent, ast.Lambda) and not parent.args.args)):
                break
            child, parent = parent, self.scan.parent(parent)
        index: Optional[int] = None
        if isinstance(parent, SEQUENCES) and any(e is child for e in parent.elts):
            if not isinstance(parent, ast.Set):
                index = next(i for i, e in enumerate(parent.elts) if e is child)
            child, parent = parent, self.scan.parent(parent)
        if isinstance(parent, ast.Assign) and parent.value is child:
            targets = list(parent.targets)
        elif isinstance(parent, ast.AnnAssign) and parent.value is child:
            targets = [parent.target]
        else:
            return None, []
        found: List[ast.expr] = []
        for target in targets:
            if isinstance(target, (ast.Tuple, ast.List)):
                elements = [e.value if isinstance(e, ast.Starred) else e for e in target.elts]
                if index is not None:
                    found.extend(elements[index:index + 1])
                elif kind.shape == "pair" and child is node:
                    found.extend(elements[:2])
            elif index is None:
                found.append(target)
        return parent, found

    def _code(self, node: ast.expr, statement: ast.stmt) -> str:
        """The target as LibCST prints it; UNCERTAIN when it may have parentheses."""
        segment = ast.get_source_segment(self.text, node)
        before = _cut(self.lines[node.lineno - 1], 0, node.col_offset).rstrip(BLANK)
        first = node.lineno == statement.lineno and node.col_offset == statement.col_offset
        if segment is None or (not first and (not before or before.endswith("("))):
            return UNCERTAIN
        return segment.strip()

    # -- the class -----------------------------------------------------------------

    def enclosing_class(self, node: ast.AST) -> Optional[ast.ClassDef]:
        return self._enclosing(node, ast.ClassDef)  # type: ignore[return-value]

    def _enclosing(self, node: ast.AST, types: type) -> Optional[ast.AST]:
        current = self.scan.parent(node)
        while current is not None and not isinstance(current, types):
            current = self.scan.parent(current)
        return current


def _is_compound(statement: ast.stmt) -> bool:
    return any(isinstance(getattr(statement, field, None), list) for field in ("body", "handlers", "cases"))


def _target_names(target: ast.expr) -> List[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Attribute):
        return [target.attr]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _target_names(
            element.value if isinstance(element, ast.Starred) else element)]
    return []


def _cut(line: str, start: int, end: Optional[int]) -> str:
    """`line[start:end]` for `ast`'s UTF-8 byte columns."""
    if line.isascii():
        return line[start:end]
    return line.encode("utf-8")[start:end].decode("utf-8", "replace")
