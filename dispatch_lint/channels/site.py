"""Where a channel is built: its statement, the name it is bound to, its class.

Only the construction's own statement is read (`x = C()`, `self.x = C()`,
`tx, rx = C()`, `x: T = C()`, `f(x=C())`), for a construction the model does
not see (a constructor passed as a parameter, channels/capacity_paths.py).
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import libcst as cst

from dispatch_lint.channels.construction import qualified_names
from dispatch_lint.channels.inbox import ChannelSite, has_marker, module_name
from dispatch_lint.channels.tree import ModuleTree, rule_tree

FACTORY_KEYWORDS = ("default_factory", "factory")


def _target_names(target: cst.BaseExpression) -> List[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Attribute):
        return [target.attr.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _target_names(element.value)]
    return []


def bound_name(tree: ModuleTree, call: cst.BaseExpression) -> Optional[str]:
    """The name(s) `call`'s result is bound to by its own statement: `_inbox`, `tx, rx`.
    A factory (`inbox: Queue = field(default_factory=lambda: Queue())`) counts too."""
    node, parent = call, tree.parent(call)
    if isinstance(parent, cst.Lambda):
        node, parent = parent, tree.parent(parent)
    if isinstance(parent, cst.Arg) and parent.keyword is not None and parent.keyword.value in FACTORY_KEYWORDS:
        node = tree.parent(parent)
        parent = tree.parent(node) if node is not None else None
    names: List[str] = []
    if isinstance(parent, cst.Assign):
        names = [n for target in parent.targets for n in _target_names(target.target)]
    elif isinstance(parent, cst.AnnAssign):
        names = _target_names(parent.target)
    elif isinstance(parent, cst.Arg) and parent.keyword is not None:
        names = [parent.keyword.value]
    return ", ".join(names) or None


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


def enclosing_class(tree: ModuleTree, node: cst.CSTNode) -> Optional[cst.ClassDef]:
    current = tree.parent(node)
    while current is not None and not isinstance(current, cst.ClassDef):
        current = tree.parent(current)
    return current


def construction_site(tree: ModuleTree, call: cst.BaseExpression, path: str, lines: Sequence[str],
                      text_marked: bool) -> ChannelSite:
    """The `ChannelSite` of a construction, for `inbox_reason`. `text_marked`:
    the file holds the marker somewhere (else no statement's lines are read)."""
    owner = enclosing_class(tree, call)
    bases: List[str] = []
    for base in owner.bases if owner is not None else ():
        bases.extend(sorted(qualified_names(tree, base.value)) or [cst.Module([]).code_for_node(base.value)])
    return ChannelSite(
        name=bound_name(tree, call),
        class_name=owner.name.value if owner is not None else None,
        base_names=tuple(bases),
        module=module_name(path),
        marked=text_marked and has_marker(lines, *statement_span(tree, call)),
    )
