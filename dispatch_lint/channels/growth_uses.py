"""The `ChannelUses` of one construction, from the model's provenance.

The model notes the reads of the file whose value holds the channel
(`ChannelModel.references`); each is found on the checked file's LibCST tree
by its position and widened to the expression that stands for the channel end:
`q.async_q` (a janus view), `tx.clone()`, `pair[0]`, `queues[k]` (one of a
collection). A read the tree does not show, or a construction bound to no
name, makes the channel escape: growth.py then proves nothing.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

import libcst as cst

from dispatch_lint.channels.anchors import nodes_at
from dispatch_lint.channels.growth import ChannelUse, ChannelUses, Evidence, Shape, cannot_grow, code_bounds
from dispatch_lint.channels.provenance import ChannelModel
from dispatch_lint.channels.table import ChannelKind
from dispatch_lint.channels.tree import ModuleTree, rule_tree
from dispatch_lint.channels.values import Site
from dispatch_lint.model.channel_facts import Build, Reference

LOCAL_SCOPES = frozenset({"function", "lambda"})


def channel_growth(rule: Any, model: ChannelModel, file: Any, build: Build, construction: cst.BaseExpression,
                   kind: ChannelKind) -> Tuple[Optional[Shape], List[Evidence]]:
    """Why the channel built by `build` cannot grow (or None), and the bounds its code keeps."""
    uses = channel_uses(rule, model, file, build, construction, kind)
    shape = cannot_grow(uses)
    return shape, [] if shape is not None else code_bounds(uses)


def channel_uses(rule: Any, model: ChannelModel, file: Any, build: Build, construction: cst.BaseExpression,
                 kind: ChannelKind) -> ChannelUses:
    tree = rule_tree(rule)
    uses: List[ChannelUse] = []
    escapes = not build.names
    for reference, container in model.references(file, Site(file.path, build.line, build.column)):
        node = _node_at(rule, reference)
        if node is None:
            escapes = True
            continue
        node, container = _widened(tree, node, kind, container)
        uses.append(ChannelUse(node, ancestors(tree, node), container))
    if escapes:  # passed on, returned, or read where the tree cannot show it
        uses.append(ChannelUse(construction, ancestors(tree, construction)))
    local = bool(build.names) and all(n.isidentifier() for n in build.names) \
        and file.scopes[build.scope].kind in LOCAL_SCOPES
    return ChannelUses(
        construction=construction,
        kind=kind,
        construction_ancestors=ancestors(tree, construction),
        local=local,
        uses=tuple(uses),
        line=lambda node: tree.position(node).start.line,
        code=lambda node: tree.module.code_for_node(node).strip(),
        qualified=tree.qualified_names,
    )


def ancestors(tree: ModuleTree, node: cst.CSTNode) -> Tuple[cst.CSTNode, ...]:
    """The nodes from the module down to `node`'s parent."""
    chain: List[cst.CSTNode] = []
    parent = tree.parent(node)
    while parent is not None:
        chain.append(parent)
        parent = tree.parent(parent)
    return tuple(reversed(chain))


def _node_at(rule: Any, reference: Reference) -> Optional[cst.CSTNode]:
    positions = rule_tree(rule).position
    for node in nodes_at(rule, reference.line).get((reference.line, reference.column), ()):
        if type(node) in (cst.Name, cst.Attribute):
            end = positions(node).end
            if (end.line, end.column + 1) == (reference.end_line, reference.end_column):
                return node
    return None


def _widened(tree: ModuleTree, node: cst.CSTNode, kind: ChannelKind, container: bool) -> Tuple[cst.CSTNode, bool]:
    """The expression around `node` that stands for the channel end it holds."""
    views = kind.views or {}
    while True:
        parent = tree.parent(node)
        if isinstance(parent, cst.Subscript) and parent.value is node and (container or _end_index(parent)):
            node, container = parent, False
        elif isinstance(parent, cst.Attribute) and parent.value is node and not container \
                and parent.attr.value in views:
            node = parent
        elif isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value == "clone" \
                and isinstance(tree.parent(parent), cst.Call) and not container:
            node = tree.parent(parent)  # type: ignore[assignment]
        else:
            return node, container


def _end_index(subscript: cst.Subscript) -> bool:
    """`pair[0]` or `pair[1]`: one end of a (send, receive) pair."""
    if len(subscript.slice) != 1 or not isinstance(subscript.slice[0].slice, cst.Index):
        return False
    value = subscript.slice[0].slice.value
    return isinstance(value, cst.Integer) and value.value in ("0", "1")
