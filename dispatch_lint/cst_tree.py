"""Cheap LibCST tree facts: parents and positions, equal to LibCST's providers.

LibCST's visitors rebuild every node they pass (`_visit_and_replace_children`
and the dataclass validation of each new node), and `MetadataWrapper` adds one
more such pass per round of providers, so each provider costs one or two
rebuilds of the tree. `parent_map` reads the child fields directly, in the
order LibCST's visitors take them; `node_positions` runs the codegen once with
a lean state. They equal LibCST's ParentNodeProvider and PositionProvider
exactly (tests/test_cst_tree.py compares them; so was the whole corpus).
Scopes: cst_scopes.py.
"""

from __future__ import annotations

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

    def walk(node: cst.CSTNode) -> None:
        children = child_nodes(node)
        for child in children:
            walk(child)
        for child in children:
            parents[child] = node

    walk(module)
    return parents


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

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1  # 1-based
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


class NodePositions(Mapping[cst.CSTNode, CodeRange]):
    """PositionProvider's ranges of every node of a module."""

    def __init__(self, module: cst.Module) -> None:
        state = _PositionState(module)
        module._codegen(state)
        self._spans = state.spans

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        (line, column), (end_line, end_column) = self._spans[node]
        return CodeRange(CodePosition(line, column), CodePosition(end_line, end_column))

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
