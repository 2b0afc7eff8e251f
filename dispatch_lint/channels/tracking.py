"""Follow each channel from its construction to the sends on it.

`channel_map(resolver, module, path, text)` returns a `ChannelMap` for a module:
every construction as a `ChannelBinding` (kind, capacity, where it is bound and
what surrounds it), and every send on a channel whose origin is known as a
`ChannelSend`. Followed: local variables and module globals (through
their scopes), tuple unpacking of (send, receive) pairs, `self.x`/`cls.x`
attributes assigned in any method or in the class body (dataclass and attrs
fields with a factory), janus `async_q`/`sync_q` views, `tx.clone()`, and
containers built by comprehensions. The map is built once per module and
shared, from the module's `ModuleTree` (channels/tree.py): the rules using it
need no LibCST metadata provider (`TRACKING_METADATA` is empty).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import libcst as cst

from dispatch_lint.channels.construction import ChannelCapacity, constructor_kind, read_capacity
from dispatch_lint.channels.inbox import MARKER, ChannelSite, inbox_reason
from dispatch_lint.channels.site import construction_site
from dispatch_lint.channels.resolution import JANUS, OBJECT, SEND, Ref, Resolver, factory_kind
from dispatch_lint.channels.table import CHANNEL_KINDS, ChannelKind, SendEnd
from dispatch_lint.channels.tree import ModuleTree, module_tree
from dispatch_lint.cst_tree import module_cache

# The LibCST metadata the channel rules declare: none, the module's
# `ModuleTree` answers parents, scopes, qualified names and positions.
TRACKING_METADATA: Tuple[type, ...] = ()
SEND_METHODS = frozenset(end.send for kind in CHANNEL_KINDS for end in kind.all_sends())
# Node classes (none has subclasses: compared by type, as isinstance against
# LibCST's ABC-based classes is slow over every node).
RECORDED = frozenset({cst.Assign, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.AsName, cst.Del})


@dataclass(frozen=True, eq=False)
class ChannelBinding:
    """One channel construction and where it is bound."""

    kind: ChannelKind
    capacity: ChannelCapacity
    # The constructor call, or the bare constructor given as a factory
    # (`field(default_factory=asyncio.Queue)`).
    construction: cst.BaseExpression
    statement: Optional[cst.CSTNode]  # the statement that binds it
    names: Tuple[str, ...]  # targets as written: `self.inbox`, or `tx`, `rx` for a pair
    site: ChannelSite  # what decides whether it is actor-inbox code

    @property
    def name(self) -> str:
        return self.names[0] if self.names else "<unnamed channel>"

    def capacity_text(self) -> str:
        size = self.capacity.size
        if self.capacity.unbounded:
            return "unbounded"
        if size is None:
            return "capacity not known statically"
        return "capacity 0, a rendezvous" if size == 0 else f"capacity {int(size)}"

    def inbox_reason(self, settings: Mapping[str, Sequence[str]]) -> Optional[str]:
        """Why this channel is actor-inbox code, or None."""
        return inbox_reason(self.site, settings)


@dataclass(frozen=True, eq=False)
class ChannelSend:
    """`ch.put(x)` / `tx.send(x)` on a tracked channel end."""

    call: cst.Call
    awaited: Optional[cst.Await]  # the `await` directly around the call
    binding: ChannelBinding
    end: SendEnd
    receiver: str  # the channel expression as written at the send
    in_async_def: bool  # the nearest enclosing function is an `async def`


@dataclass
class ChannelMap:
    bindings: List[ChannelBinding]
    sends: List[ChannelSend]
    by_construction: Dict[cst.CSTNode, ChannelBinding]
    resolver: Optional[Resolver] = None  # which channel an expression holds (growth_uses.py asks it)

    def binding_at(self, construction: cst.CSTNode) -> Optional[ChannelBinding]:
        return self.by_construction.get(construction)

    def sends_on(self, binding: ChannelBinding) -> List[ChannelSend]:
        return [send for send in self.sends if send.binding is binding]


_LAST: List[Tuple[cst.Module, ChannelMap]] = module_cache()


def channel_map(rule: Any, module: cst.Module, path: str, text: str) -> ChannelMap:
    """The channels of `module`, for the `rule` checking it (any visitor: the map
    depends only on the module)."""
    if _LAST and _LAST[0][0] is module:
        return _LAST[0][1]
    found = _Tracker(module_tree(module), path, text).run()
    _LAST[:] = [(module, found)]
    return found


class _Tracker:
    def __init__(self, tree: ModuleTree, path: str, text: str) -> None:
        self.tree = tree
        self.module = tree.module
        self.path = path
        self.lines = text.splitlines()
        self.text_marked = MARKER.search(text) is not None
        self.resolver = Resolver(tree, self._same_channel)
        self.bindings: Dict[cst.CSTNode, ChannelBinding] = {}

    def run(self) -> ChannelMap:
        calls: List[cst.Call] = []
        for node in self.tree.nodes():
            if type(node) in RECORDED:
                self.resolver.record(node)
            elif type(node) is cst.Call:
                calls.append(node)
        for call in calls:
            construction: Optional[cst.BaseExpression] = call
            kind = constructor_kind(self.tree, call)
            if kind is None:
                construction = self.resolver.factory_argument(call)
                kind = factory_kind(self.tree, construction) if construction is not None else None
            if kind is not None:
                self.binding(construction, kind)
        sends = [send for call in calls for send in self._send(call)]
        ordered = list(self.bindings.values())
        return ChannelMap(ordered, sends, dict(self.bindings), self.resolver)

    # -- bindings ---------------------------------------------------------------

    def binding(self, construction: cst.BaseExpression, kind: ChannelKind) -> ChannelBinding:
        if construction in self.bindings:
            return self.bindings[construction]
        call = construction if isinstance(construction, cst.Call) else cst.Call(func=construction)
        capacity = read_capacity(self.tree, call, kind)
        statement, targets = self._bound_to(construction, kind)
        names = tuple(self.code(t) for t in targets)
        site = construction_site(self.tree, construction, self.path, self.lines, self.text_marked)
        if site.name is None and names:  # a container built by a comprehension
            site = replace(site, name=", ".join(name.rsplit(".", 1)[-1] for name in names))
        binding = ChannelBinding(kind, capacity, construction, statement, names, site)
        self.bindings[construction] = binding
        return binding

    def _bound_to(self, node: cst.CSTNode, kind: ChannelKind) -> Tuple[Optional[cst.CSTNode], List[cst.CSTNode]]:
        """The statement holding the construction `node`, and the targets naming it."""
        child, parent = node, self._parent(node)
        while parent is not None and self._wraps(parent, child):
            child, parent = parent, self._parent(parent)
        index: Optional[int] = None
        if isinstance(parent, cst.Element):  # `a, b = Queue(1), Queue(2)`
            sequence = self._parent(parent)
            index = sequence.elements.index(parent) if isinstance(sequence, (cst.Tuple, cst.List)) else None
            child, parent = sequence, self._parent(sequence) if sequence is not None else None
        statement = self._enclosing(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
        if isinstance(parent, cst.Assign) and parent.value is child:
            targets = [t.target for t in parent.targets]
        elif isinstance(parent, cst.AnnAssign) and parent.value is child:
            targets = [parent.target]
        else:
            return statement, []
        names: List[cst.CSTNode] = []
        for target in targets:
            if isinstance(target, (cst.Tuple, cst.List)):
                elements = [e.value for e in target.elements]
                if index is not None:
                    names.extend(elements[index:index + 1])
                elif kind.shape == "pair" and child is node:  # `tx, rx = ...`: the send end first
                    names.extend(elements[:2])
            elif index is None:
                names.append(target)
        return statement, names

    def _wraps(self, parent: cst.CSTNode, child: cst.CSTNode) -> bool:
        """Whether `parent` only carries the construction `child` to an assignment:
        a comprehension of channels, a factory lambda, a `field(default_factory=...)`."""
        if isinstance(parent, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return parent.elt is child
        if isinstance(parent, cst.DictComp):
            return parent.value is child
        if isinstance(parent, cst.Lambda):
            return parent.body is child and not parent.params.params
        if isinstance(parent, cst.Arg):
            call = self._parent(parent)
            return isinstance(call, cst.Call) and self.resolver.factory_argument(call) is child
        if isinstance(parent, cst.Call):
            return self.resolver.factory_argument(parent) is not None and any(a is child for a in parent.args)
        return False

    def _enclosing_statement(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        found = self._enclosing(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
        return found
    # -- sends ------------------------------------------------------------------

    def _send(self, call: cst.Call) -> List[ChannelSend]:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in SEND_METHODS:
            return []
        ref = self.resolver.resolve(func.value)
        end = _send_end(ref, func.attr.value)
        if ref is None or end is None:
            return []
        binding = self.binding(ref.construction, ref.kind)
        parent = self._parent(call)
        awaited = parent if isinstance(parent, cst.Await) else None
        function = self._enclosing(call, (cst.FunctionDef, cst.Lambda))
        in_async = isinstance(function, cst.FunctionDef) and function.asynchronous is not None
        return [ChannelSend(call, awaited, binding, end, self.code(func.value), in_async)]

    # -- helpers ----------------------------------------------------------------

    def _same_channel(self, first: Ref, second: Ref) -> bool:
        if first.part != second.part or first.container != second.container or first.kind is not second.kind:
            return False
        if first.construction is second.construction:
            return True
        one = self.binding(first.construction, first.kind).capacity
        other = self.binding(second.construction, second.kind).capacity
        return (one.unbounded, one.size) == (other.unbounded, other.size)

    def _parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self.tree.parent(node)

    def _enclosing(self, node: cst.CSTNode, types: Tuple[type, ...]) -> Optional[cst.CSTNode]:
        parent = self._parent(node)
        while parent is not None and not isinstance(parent, types):
            parent = self._parent(parent)
        return parent

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node).strip()


def _send_end(ref: Optional[Ref], method: str) -> Optional[SendEnd]:
    """The send `method` of the channel end `ref` stands for, if it has one."""
    if ref is None or ref.container:
        return None
    if ref.part in (OBJECT, SEND):
        ends = ref.kind.sends()
    elif ref.part != JANUS and ref.kind.views and ref.part in ref.kind.views:
        ends = ref.kind.sends(ref.part)
    else:
        return None
    return next((end for end in ends if end.send == method), None)
