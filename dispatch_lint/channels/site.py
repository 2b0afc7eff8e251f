"""The statement that holds a node on the LibCST tree of a checked file (where
a justifying comment may stand)."""

from __future__ import annotations

from typing import Any, Optional, Tuple

import libcst as cst

from dispatch_lint.channels.tree import ModuleTree, rule_tree


def statement_lines(rule: Any, node: cst.CSTNode) -> Tuple[int, int]:
    """First and last line of the statement holding `node`, in the module `rule`
    checks (a compound statement's header only: up to `node`'s last line)."""
    return statement_span(rule_tree(rule), node)


def statement_span(tree: ModuleTree, node: cst.CSTNode) -> Tuple[int, int]:
    """`statement_lines` in `tree`'s module."""
    current: Optional[cst.CSTNode] = node
    while current is not None and not isinstance(current, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        current = tree.parent(current)
    own = tree.position(node)
    if current is None:
        return own.start.line, own.end.line
    where = tree.position(current)
    if isinstance(current, cst.SimpleStatementLine):
        return where.start.line, where.end.line
    return where.start.line, own.end.line
