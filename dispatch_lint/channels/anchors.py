"""The LibCST nodes a verdict is about, found by position in the checked file,
and the send shape the try-send rewrite takes (`try_send.try_send`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import libcst as cst

from dispatch_lint.channels.construction import ChannelCapacity
from dispatch_lint.channels.table import SendEnd
from dispatch_lint.channels.tree import rule_tree
from dispatch_lint.channels.values import Channel
from dispatch_lint.cst_tree import module_cache

ANCHORS = (cst.Call, cst.Attribute, cst.Name, cst.Subscript)
# For the module last asked about: the anchors of each statement asked about, by its number (-1: all).
_LAST: List[Tuple[cst.Module, Dict[int, Dict[Tuple[int, int], List[cst.CSTNode]]]]] = module_cache()


def nodes_at(rule: Any, line: int) -> Dict[Tuple[int, int], List[cst.CSTNode]]:
    """Calls and names of the top-level statement holding `line`, by their start
    (1-based line and column), outermost first."""
    tree = rule_tree(rule)
    key, nodes = tree.nodes_on(line)
    if _LAST and _LAST[0][0] is rule.context.module and key in _LAST[0][1]:
        return _LAST[0][1][key]
    found: Dict[Tuple[int, int], List[cst.CSTNode]] = {}
    for node in nodes:
        if type(node) in ANCHORS:
            start = tree.position(node).start
            found.setdefault((start.line, start.column + 1), []).append(node)
    if not (_LAST and _LAST[0][0] is rule.context.module):
        _LAST[:] = [(rule.context.module, {})]
    _LAST[0][1][key] = found
    return found


def call_at(rule: Any, line: int, column: int, method: Optional[str] = None) -> Optional[cst.Call]:
    """The call at a position (`method`: the one calling that method: `a.f(x).put(y)`
    and `a.f(x)` start at the same place)."""
    for node in nodes_at(rule, line).get((line, column), ()):
        if type(node) is cst.Call and (method is None or (isinstance(node.func, cst.Attribute)
                                                          and node.func.attr.value == method)):
            return node
    return None


def construction_at(rule: Any, line: int, column: int,
                    end: Optional[Tuple[int, int]] = None) -> Optional[cst.BaseExpression]:
    """The constructor call, or the bare constructor given as a factory; `end`
    (line, column after it) tells `ctx().Queue()` from `ctx()`, which starts there too."""
    nodes = nodes_at(rule, line).get((line, column), ())
    if end is not None:
        positions = rule_tree(rule).position
        nodes = [n for n in nodes if (positions(n).end.line, positions(n).end.column + 1) == end]
    return next((n for n in nodes if type(n) is cst.Call), None) or next(
        (n for n in nodes if type(n) is not cst.Call and type(rule_tree(rule).parent(n)) is cst.Arg), None)


@dataclass(frozen=True)
class SendBinding:
    name: str
    names: Tuple[str, ...]
    capacity: ChannelCapacity


@dataclass(frozen=True)
class AnchoredSend:
    """A send verdict on the CST, in the shape `try_send()` rewrites."""

    call: cst.Call
    awaited: Optional[cst.Await]
    end: SendEnd
    receiver: str
    binding: SendBinding


def anchored_send(rule: Any, line: int, column: int, end: SendEnd, channel: Channel,
                  name: str) -> Optional[AnchoredSend]:
    call = call_at(rule, line, column, end.send) or call_at(rule, line, column, end.try_send)
    if call is None or not isinstance(call.func, cst.Attribute):
        return None
    parent = rule_tree(rule).parent(call)
    receiver = rule.context.module.code_for_node(call.func.value).strip()
    sizes = [c for c in channel.capacities if isinstance(c, float)]
    size = sizes[0] if channel.bounded and len(sizes) == 1 else None
    capacity = ChannelCapacity(channel.unbounded, size, None)
    return AnchoredSend(call, parent if isinstance(parent, cst.Await) else None, end, receiver,
                        SendBinding(name or receiver, (name,) if name else (), capacity))
