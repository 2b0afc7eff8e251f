"""The `ChannelUses` of a tracked channel, from the module's channel tracking.

Every name, attribute, subscript and `clone()` call of the module is asked of
the tracking's resolver once; a channel's uses are the references that resolve
to it, or to another construction bound to the same target (`self.q` rebuilt in
`on_start`). A reference inside a bigger one that holds the same channel (`q`
in `q.async_q`, `ch` in `ch[0]`) is left to the bigger one. A construction
bound to nothing is its own only use (passed on, returned: it escapes).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import libcst as cst
from libcst.metadata import FunctionScope

from dispatch_lint.channels.growth import ChannelUse, ChannelUses, Evidence, Shape, cannot_grow, code_bounds
from dispatch_lint.channels.resolution import Ref
from dispatch_lint.channels.tracking import ChannelBinding, ChannelMap
from dispatch_lint.channels.tree import ModuleTree, rule_tree
from dispatch_lint.cst_tree import module_cache

REFERENCES = (cst.Name, cst.Attribute, cst.Subscript, cst.Call)
Key = Tuple[Tuple[str, ...], Optional[cst.CSTNode]]

_LAST: List[Tuple[ChannelMap, Dict[cst.CSTNode, List[Tuple[cst.CSTNode, Ref]]]]] = module_cache()


def channel_uses(rule: Any, channels: ChannelMap, binding: ChannelBinding) -> Optional[ChannelUses]:
    """What growth.py needs about `binding`, or None when the map cannot resolve references."""
    if channels.resolver is None:
        return None
    tree = rule_tree(rule)
    references = _references(tree, channels)
    key = _key(tree, binding)
    same = [b.construction for b in channels.bindings if _key(tree, b) == key] if binding.names else []
    uses: List[ChannelUse] = []
    for construction in same or [binding.construction]:
        for node, ref in references.get(construction, ()):
            uses.append(ChannelUse(node, ancestors(tree, node), ref.container))
    if not binding.names:
        uses.append(ChannelUse(binding.construction, ancestors(tree, binding.construction)))
    return ChannelUses(
        construction=binding.construction,
        kind=binding.kind,
        construction_ancestors=ancestors(tree, binding.construction),
        local=_local(tree, binding),
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


def _references(tree: ModuleTree, channels: ChannelMap) -> Dict[cst.CSTNode, List[Tuple[cst.CSTNode, Ref]]]:
    """Every reference of the module by the construction it resolves to (once per map)."""
    if _LAST and _LAST[0][0] is channels:
        return _LAST[0][1]
    resolver = channels.resolver
    assert resolver is not None
    resolved: Dict[cst.CSTNode, Ref] = {}
    for node in tree.nodes():
        if type(node) in REFERENCES and (type(node) is not cst.Call or _is_clone(node)):
            ref = resolver.resolve(node)
            if ref is not None:
                resolved[node] = ref
    found: Dict[cst.CSTNode, List[Tuple[cst.CSTNode, Ref]]] = {}
    for node, ref in resolved.items():
        parent = tree.parent(node)
        outer = resolved.get(parent) if parent is not None else None
        if outer is not None and outer.construction is ref.construction:
            continue  # `q` in `q.async_q`, `ch` in `ch[0]`
        if node is ref.construction:
            continue  # the construction itself
        found.setdefault(ref.construction, []).append((node, ref))
    _LAST[:] = [(channels, found)]
    return found


def _is_clone(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "clone"


def _key(tree: ModuleTree, binding: ChannelBinding) -> Key:
    """Constructions bound to the same names in the same class (attributes) or function."""
    wanted = (cst.ClassDef,) if any("." in name for name in binding.names) else (cst.FunctionDef, cst.ClassDef)
    parent = tree.parent(binding.construction)
    while parent is not None and not isinstance(parent, wanted):
        parent = tree.parent(parent)
    return binding.names, parent


def _local(tree: ModuleTree, binding: ChannelBinding) -> bool:
    """Bound only to plain names in the scope of a function."""
    if not binding.names or any(not name.isidentifier() for name in binding.names):
        return False
    return isinstance(tree.scope(binding.construction), FunctionScope)


def channel_growth(rule: Any, channels: ChannelMap, binding: ChannelBinding
                   ) -> Tuple[Optional[Shape], List[Evidence]]:
    """Why `binding` cannot grow (or None), and the bounds its code keeps."""
    uses = channel_uses(rule, channels, binding)
    if uses is None:
        return None, []
    shape = cannot_grow(uses)
    return shape, [] if shape is not None else code_bounds(uses)
