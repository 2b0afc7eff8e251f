"""Cheap LibCST tree facts: parents and positions, equal to LibCST's providers.

LibCST's visitors rebuild every node they pass (`_visit_and_replace_children`
and the dataclass validation of each new node), and `MetadataWrapper` adds one
more such pass per round of providers, so each provider costs one or two
rebuilds of the tree. `parent_map` reads the child fields directly, in the
order LibCST's visitors take them; `node_positions` runs the codegen once with
a lean state. They equal LibCST's ParentNodeProvider and PositionProvider
exactly (tests/test_cst_tree.py compares them; so was the whole corpus).
`StatementTrees` computes the same facts one top-level statement at a time,
for the statements a rule asks about. Scopes: cst_scopes.py.
"""

from __future__ import annotations

import ast
import bisect
import dataclasses
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange

NEWLINE = re.compile(r"\r\n?|\n")

_FIELDS: Dict[type, Tuple[str, ...]] = {}
_MODULE_CACHES: List[List[Any]] = []


def module_cache() -> List[Any]:
    """A cache of what was computed for the module last asked about (a list
    holding one entry), emptied by `forget_modules`."""
    cache: List[Any] = []
    _MODULE_CACHES.append(cache)
    return cache


def forget_modules() -> None:
    """Let go of the last module's tree and what was computed from it: a
    long-lived process (the language server) calls this after a check, so
    that the tree and its scopes die before the garbage collector freezes
    what is alive."""
    for cache in _MODULE_CACHES:
        cache.clear()


class _FieldRecorder(cst.CSTVisitor):
    """Notes which fields of `node` a visitor is taken through, in order."""

    def __init__(self, node: cst.CSTNode) -> None:
        super().__init__()
        self.node = node
        self.fields: List[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return node is self.node

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if node is self.node:
            self.fields.append(attribute)


def _child_fields(node: cst.CSTNode) -> Tuple[str, ...]:
    """The fields of `node`'s class that may hold child nodes, in visiting order.
    A field LibCST visits only when set (`format_spec` of an f-string
    expression) comes last, as LibCST visits it."""
    fields = _FIELDS.get(type(node))
    if fields is None:
        recorder = _FieldRecorder(node)
        node.visit(recorder)
        unset = [f.name for f in dataclasses.fields(node)
                 if f.name not in recorder.fields and getattr(node, f.name) is None]
        fields = _FIELDS[type(node)] = (*recorder.fields, *unset)
    return fields


def child_nodes(node: cst.CSTNode) -> List[cst.CSTNode]:
    """`node.children`, without the visitor that property runs."""
    found: List[cst.CSTNode] = []
    for name in _child_fields(node):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            found.append(value)
        elif isinstance(value, (tuple, list)):
            found.extend(value)
    return found


def parent_map(module: cst.Module) -> Dict[cst.CSTNode, cst.CSTNode]:
    """Every node but the module, to its parent, in ParentNodeProvider's order
    (the children of each node as the node is left)."""
    parents: Dict[cst.CSTNode, cst.CSTNode] = {}
    _note_parents(module, parents)
    return parents


def _note_parents(node: cst.CSTNode, parents: Dict[cst.CSTNode, cst.CSTNode]) -> None:
    children = child_nodes(node)
    for child in children:
        _note_parents(child, parents)
    for child in children:
        parents[child] = node


Span = Tuple[Tuple[int, int], Tuple[int, int]]


class _Syntactic:
    """`record_syntactic_position` as a plain context manager."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: "_PositionState", node: cst.CSTNode,
                 start_node: Optional[cst.CSTNode], end_node: Optional[cst.CSTNode]) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self) -> None:
        self.start = (self.state.line, self.state.column)

    def __exit__(self, *exc: Any) -> None:
        spans = self.state.spans
        start = spans[self.start_node][0] if self.start_node is not None else self.start
        end = spans[self.end_node][1] if self.end_node is not None else (self.state.line, self.state.column)
        spans[self.node] = (start, end)


class _PositionState(CodegenState):
    """PositionProvider's codegen state, keeping plain tuples."""

    def __init__(self, module: cst.Module, line: int = 1) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = line  # 1-based
        self.column = 0  # 0-based
        self.starts: List[Tuple[int, int]] = []
        self.spans: Dict[cst.CSTNode, Span] = {}

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        if "\n" in value or "\r" in value:
            segments = NEWLINE.split(value)
            self.line += len(segments) - 1
            self.column = len(segments[-1])
        else:
            self.column += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.starts.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.starts.pop()
        if node not in self.spans:  # a syntactic position was recorded already
            self.spans[node] = (start, (self.line, self.column))

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None,
                                  end_node: Optional[cst.CSTNode] = None) -> Any:
        return _Syntactic(self, node, start_node, end_node)


def _code_range(span: Span) -> CodeRange:
    (line, column), (end_line, end_column) = span
    return CodeRange(CodePosition(line, column), CodePosition(end_line, end_column))


class NodePositions(Mapping[cst.CSTNode, CodeRange]):
    """PositionProvider's ranges of every node of a module."""

    def __init__(self, module: cst.Module) -> None:
        state = _PositionState(module)
        module._codegen(state)
        self._spans = state.spans

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        return _code_range(self._spans[node])

    def __iter__(self) -> Any:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)


_LAST: List[Tuple[cst.Module, NodePositions]] = module_cache()


def node_positions(module: cst.Module) -> NodePositions:
    """The positions of `module`'s nodes, computed once for the module last asked about."""
    if not (_LAST and _LAST[0][0] is module):
        _LAST[:] = [(module, NodePositions(module))]
    return _LAST[0][1]


class StatementTrees:
    """Parents and positions of `module`'s nodes, computed one top-level statement
    at a time: for the statement holding a line when it is asked about, for the
    whole module when a node outside those statements is. Where each statement
    starts is read from an `ast` parse of `text`, and a statement's computed
    code must be the text at that line: otherwise the whole module is computed
    at once (the answers are the same, `parent_map`'s and `NodePositions`')."""

    def __init__(self, module: cst.Module, text: Optional[str]) -> None:
        self.module = module
        self.text = text
        self.parents: Dict[cst.CSTNode, cst.CSTNode] = {}
        self.spans: Dict[cst.CSTNode, Span] = {}
        self.built: Dict[int, List[cst.CSTNode]] = {}  # statement -> its nodes, in `parent_map`'s order
        self.whole = False
        self._all: List[cst.CSTNode] = []  # every node but the module, once `whole`
        self._starts: Optional[List[int]] = None  # the first line of each statement's code
        self._offsets: List[int] = []  # where each line of `text` starts

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        if node not in self.parents and not self.whole and node is not self.module:
            self._build_whole()
        return self.parents.get(node)

    def position(self, node: cst.CSTNode) -> CodeRange:
        if node not in self.spans:
            self._build_whole()
        return _code_range(self.spans[node])

    def nodes_on(self, line: int) -> Tuple[int, List[cst.CSTNode]]:
        """The number of the top-level statement holding `line`, and its nodes;
        (-1, every node but the module) once the whole module was computed."""
        if not self.whole:
            index = self._statement_at(line)
            if index is not None:
                return index, self.built[index]
            self._build_whole()
        return -1, self._all

    def _statement_at(self, line: int) -> Optional[int]:
        starts = self._statement_starts()
        index = bisect.bisect_right(starts, line) - 1 if starts else -1
        if index < 0:
            return None
        if index not in self.built and not self._build(index, starts):
            return None
        return index

    def _statement_starts(self) -> List[int]:
        if self._starts is None:
            self._starts = _statement_starts(self.module, self.text) or []
            if self._starts and self.text is not None:
                self._offsets = [0, *(m.end() for m in NEWLINE.finditer(self.text))]
        return self._starts

    def _build(self, index: int, starts: List[int]) -> bool:
        """Compute statement `index`; False when its code is not the text from
        its start line to the next statement's (or to blank and comment lines
        at the end)."""
        statement, line = self.module.body[index], starts[index]
        state = _PositionState(self.module, line)
        statement._codegen(state)
        last = index + 1 == len(starts)
        if last and not self.module.has_trailing_newline and not self.module.footer and state.tokens:
            state.tokens.pop()  # as the module's own codegen does (`pop_trailing_newline`)
        code, text, offsets = "".join(state.tokens), self.text or "", self._offsets
        start = offsets[line - 1] if line - 1 < len(offsets) else len(text) + 1
        end = start + len(code)
        if text[start:end] != code:
            return False
        if not last:
            if starts[index + 1] - 1 >= len(offsets) or offsets[starts[index + 1] - 1] != end:
                return False
        elif any(rest.strip() and not rest.lstrip().startswith("#") for rest in NEWLINE.split(text[end:])):
            return False
        nodes: Dict[cst.CSTNode, cst.CSTNode] = {}
        _note_parents(statement, nodes)
        nodes[statement] = self.module
        self.parents.update(nodes)
        self.spans.update(state.spans)
        self.built[index] = list(nodes)
        return True

    def _build_whole(self) -> None:
        if self.whole:
            return
        self.parents = parent_map(self.module)
        self.spans = dict(node_positions(self.module)._spans)
        self._all = list(self.parents)
        self.whole = True


def _statement_starts(module: cst.Module, text: Optional[str]) -> Optional[List[int]]:
    """The line where each top-level statement's code (its leading comments and
    blank lines first) starts, from `ast`; None when `ast` does not pair its
    statements with LibCST's one for one."""
    if text is None:
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines: List[int] = []
    for statement in tree.body:  # `a; b` is one LibCST statement line
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        if not lines or first != lines[-1]:
            lines.append(first)
    if len(lines) != len(module.body):
        return None
    starts = [line - len(getattr(s, "leading_lines", ())) for line, s in zip(lines, module.body)]
    return starts if all(a < b for a, b in zip(starts, starts[1:])) and (not starts or starts[0] >= 1) else None


_TREES: List[Tuple[cst.Module, StatementTrees]] = module_cache()


def statement_trees(module: cst.Module, text: Optional[str]) -> StatementTrees:
    """The `StatementTrees` of `module` (parsed from `text`), kept for the module last asked about."""
    if not (_TREES and _TREES[0][0] is module):
        _TREES[:] = [(module, StatementTrees(module, text))]
    return _TREES[0][1]
