"""The channel graph of a project, read from its channel provenance.

Every send whose channel's origin is known becomes an edge from the code that
sends (its class, else its function, else its module) to the channel's
drainer: the class that drains it in a loop (through `self`, or in one of its
methods), else the function that does. A channel with no drainer, or several,
is a node of its own with drain edges to its drainers. Sends whose channel is
unknown are not drawn: the graph shows only what the code says.
"""

from __future__ import annotations

from typing import Any, Collection, Dict, List, Optional, Set, Tuple

from dispatch_lint.analysis.reach import YES, Target, uses_table
from dispatch_lint.channels.provenance import ChannelModel, Drain, Send, channel_model
from dispatch_lint.channels.values import UNBOUNDED, Channel, Site, sites_of
from dispatch_lint.graph.cycles import bounded_cycles
from dispatch_lint.graph.types import (
    AWAIT,
    BLOCKING,
    CHANNEL,
    CLASS,
    FUNCTION,
    MODULE,
    NOT_AWAITED,
    TRY_SEND,
    ChannelInfo,
    Edge,
    Graph,
    Location,
    Node,
)
from dispatch_lint.model.facts import AWAIT as AWAIT_USE
from dispatch_lint.model.facts import CALL, ModuleFacts, Use


class _Builder:
    def __init__(self, project: Any) -> None:
        self.project = project
        self.model: ChannelModel = channel_model(project)
        self.nodes: Dict[str, Node] = {}
        self.drainers: Dict[Site, List[str]] = {}
        self.drain_sites: Dict[Site, List[Location]] = {}
        # (drainer, channel site's path, line, column) -> where it first drains the channel
        self.drained_at: Dict[Tuple[str, str, int, int], Location] = {}
        self.inboxes: Set[Site] = set()

    def location(self, real: str, line: int, column: int) -> Location:
        return Location(self.project.display(real), line, column, real)

    def code_node(self, file: ModuleFacts, scope: int, cls: int) -> str:
        """The class `cls` holding the code at `scope`, else its function, else its module."""
        if cls >= 0:
            info = file.classes[cls]
            return self._add(Node(self.project.class_key(file, cls), info.name, file.module, CLASS,
                                  self.location(file.path, info.line, 1)))
        while scope > 0 and file.scopes[scope].kind != "function":
            scope = file.scopes[scope].parent
        if scope <= 0:
            return self._add(Node(file.module or file.path, file.module.rsplit(".", 1)[-1] or file.path,
                                  file.module, MODULE, self.location(file.path, 1, 1)))
        info = file.scopes[scope]
        return self._add(Node(f"{file.module}.{info.qualname}", info.qualname.replace(".<locals>", ""),
                              file.module, FUNCTION, self.location(file.path, info.line, 1)))

    def _add(self, node: Node) -> str:
        self.nodes.setdefault(node.key, node)
        return node.key

    def read_drains(self, drains: List[Tuple[str, Drain]]) -> None:
        for path, drain in drains:
            file = self.project.files[path]
            key = drain.owner or self.code_node(file, drain.call.scope, drain.call.cls)
            if drain.owner is not None:
                self.code_node(file, drain.call.scope, drain.call.cls)
                self.nodes[key] = _as_inbox(self.nodes[key])
            for site in drain.channel.sites:
                if key not in self.drainers.setdefault(site, []):
                    self.drainers[site].append(key)
                where = self.location(path, drain.call.line, drain.call.column)
                self.drain_sites.setdefault(site, []).append(where)
                self.drained_at.setdefault((key, site.path, site.line, site.column), where)
                if drain.owner is not None:
                    self.inboxes.add(site)

    def channel(self, channel: Channel) -> ChannelInfo:
        sites = sites_of(channel)
        drainers = tuple(dict.fromkeys(k for s in sites for k in self.drainers.get(s, ())))
        return ChannelInfo(
            key=",".join(f"{self.project.display(s.path)}:{s.line}:{s.column}" for s in sites),
            name=self._channel_name(channel, drainers),
            kind=channel.table_row.display,
            capacity=_capacity(channel),
            bounded=channel.bounded,
            unbounded=channel.unbounded,
            drainers=drainers,
            inbox=any(s in self.inboxes for s in sites),
            sites=tuple(self.location(s.path, s.line, s.column) for s in sites),
            drains=tuple(loc for s in sites for loc in self.drain_sites.get(s, ())),
        )

    def _channel_name(self, channel: Channel, drainers: Tuple[str, ...]) -> str:
        bound = ""
        for site in sites_of(channel):
            found = self.model.build_at(site)
            if found is not None and found[1].names:
                bound = found[1].names[0].rsplit(".", 1)[-1]
                break
        bound = bound or channel.table_row.display.rsplit(".", 1)[-1]
        if len(drainers) == 1:
            return f"{self.nodes[drainers[0]].name}.{bound}"
        return bound


def _as_inbox(node: Node) -> Node:
    return Node(node.key, node.name, node.module, node.kind, node.location, inbox=True)


def _capacity(channel: Channel) -> str:
    if channel.unbounded:
        return UNBOUNDED
    if not channel.bounded:
        return "unknown"
    return "|".join(str(int(c)) for c in sorted(channel.capacities))  # type: ignore[call-overload]


def _all_sends(model: ChannelModel, project: Any) -> List[Tuple[ModuleFacts, Send]]:
    found = model.all_sends()
    return [(project.files[path], send) for path in sorted(found) for send in found[path]]


def project_graph(project: Any, paths: Optional[Collection[str]] = None, blocking_only: bool = False) -> Graph:
    """The graph of the sends made in `paths` (real paths; None: every file).
    Built once per project and set of paths. With `blocking_only`, only the
    sends that may block (`_may_block`) are drawn at their callers: its
    blocking edges, and so its cycles, are the full graph's."""
    cache: Dict[Any, Graph] = project.attached("channel-graphs", dict)
    wanted = (None if paths is None else frozenset(paths), blocking_only)
    if wanted not in cache:
        cache[wanted] = _build(project, wanted[0], blocking_only)
    return cache[wanted]


def _build(project: Any, paths: Optional[Collection[str]], blocking_only: bool) -> Graph:
    builder = _Builder(project)
    sends = _all_sends(builder.model, project)
    builder.read_drains(builder.model.drains())
    channels: Dict[str, ChannelInfo] = {}
    edges: List[Edge] = []
    for file, send in sends:
        if paths is not None and file.path not in paths:
            continue
        info = builder.channel(send.channel)
        channels.setdefault(info.key, info)
        target = _target(builder, info, edges)
        if blocking_only and not _may_block(send):
            edges.append(_own_edge(builder, file, send, info.key, target))
            continue
        edges += _send_edges(builder, file, send, info.key, target, paths, blocking_only)
    edges.sort(key=lambda e: (e.drain, e.location.path, e.location.line, e.location.column))
    return Graph(tuple(builder.nodes[k] for k in sorted(_used(builder, edges))),
                 tuple(sorted(channels.values(), key=lambda c: c.key)), tuple(dict.fromkeys(edges)))


def _send_edges(builder: _Builder, file: ModuleFacts, send: Send, channel: str, target: str,
                paths: Optional[Collection[str]], blocking_only: bool) -> List[Edge]:
    """The edge of a send, or of each call of the method making it (`tell()`);
    the send's own edge stays when some call is uncertain or not drawn."""
    how = _how(send)
    callers, certain = _callers(builder.project, file, send, blocking_only)
    inside = [c for c in callers if paths is None or c[0].path in paths]
    edges = [Edge(builder.code_node(caller, use.scope, _class_of(caller, use.scope)), target, channel,
                  how if how != AWAIT or use.how & AWAIT_USE else NOT_AWAITED,
                  builder.location(caller.path, use.line, use.column), via=via) for caller, use, via in inside]
    if not inside or not certain or len(inside) < len(callers):
        edges.append(_own_edge(builder, file, send, channel, target))
    return edges


def _own_edge(builder: _Builder, file: ModuleFacts, send: Send, channel: str, target: str) -> Edge:
    return Edge(builder.code_node(file, send.call.scope, send.call.cls), target, channel, _how(send),
                builder.location(file.path, send.call.line, send.call.column))


def _may_block(send: Send) -> bool:
    """An awaited send on a bounded channel: only its edges (at the send or at
    its method's callers) can be blocking edges (`cycles.blocking_edges`)."""
    return _how(send) == AWAIT and send.channel.bounded


def _target(builder: _Builder, info: ChannelInfo, edges: List[Edge]) -> str:
    if len(info.drainers) == 1:
        return info.drainers[0]
    key = "channel:" + info.key
    if key not in builder.nodes:
        module = builder.project.file(info.sites[0].absolute).module if info.sites else ""
        builder.nodes[key] = Node(key, info.name, module, CHANNEL, info.sites[0] if info.sites else None)
        for drainer in info.drainers:
            where = [builder.drained_at.get((drainer, s.absolute, s.line, s.column)) for s in info.sites]
            edges.append(Edge(key, drainer, info.key, TRY_SEND, next(w for w in where if w), drain=True))
    return key


def _how(send: Send) -> str:
    """AWAIT, BLOCKING (a thread queue's `put()`), TRY_SEND, or NOT_AWAITED: the
    send's coroutine handed on (`run_coroutine_threadsafe(q.put(x), loop)`)."""
    if not send.waits:
        return TRY_SEND
    if not send.end.awaited:
        return BLOCKING
    return AWAIT if send.call.awaited else NOT_AWAITED


def _callers(project: Any, file: ModuleFacts, send: Send,
             blocking_only: bool) -> Tuple[List[Tuple[ModuleFacts, Use, str]], bool]:
    """Where the method making a send through `self` outside a loop (`tell()`)
    is called from, with the method's name: its callers are the senders. The
    flag is False when some use may or may not reach the method."""
    call = send.call
    number = _sending_method(file, call)
    if number < 0:
        return [], True
    via = f"{file.classes[call.cls].name}.{file.defs[number].name}()"
    table = project.memo("blocking-method-uses" if blocking_only else "sending-method-uses",
                         lambda: uses_table(project, _sending_methods(project, blocking_only)))
    uses = [(caller, use, reached) for caller, use, reached in Target(project, file, number).uses(table)
            if use.how & (AWAIT_USE | CALL)]
    return [(c, u, via) for c, u, reached in uses if reached == YES], all(r == YES for _, _, r in uses)


def _sending_methods(project: Any, blocking_only: bool) -> List[Target]:
    """The methods whose callers `_callers` asks for: each that sends through
    `self` outside a loop (with `blocking_only`, a send that may block)."""
    found = []
    for path, sends in channel_model(project).all_sends().items():
        file = project.files[path]
        numbers = {_sending_method(file, send.call) for send in sends if _may_block(send) or not blocking_only} - {-1}
        found += [Target(project, file, number) for number in sorted(numbers)]
    return found


def _sending_method(file: ModuleFacts, call: Any) -> int:
    """The method that makes a send through `self` directly (not in a loop); -1 when none."""
    if not call.own or call.in_loop or call.cls < 0 or file.scopes[call.scope].kind != "function":
        return -1
    number = next((i for i, d in enumerate(file.defs) if d.body == call.scope), -1)
    return number if number >= 0 and file.defs[number].method_of == call.cls else -1


def _class_of(file: ModuleFacts, scope: int) -> int:
    """The class whose body (or a method of it) holds `scope`; -1 when none."""
    current = scope
    while current >= 0:
        info = file.scopes[current]
        if info.kind == "class":
            return next((i for i, c in enumerate(file.classes) if c.body == current), -1)
        current = info.parent
    return -1


def _used(builder: _Builder, edges: List[Edge]) -> Set[str]:
    return {k for e in edges for k in (e.source, e.target)}


def send_cycles(project: Any, path: str) -> List[Tuple[Edge, Tuple[Edge, ...], Graph]]:
    """The awaited bounded sends made in `path` that close a cycle between
    channel owners anywhere in the project, each with its cycle."""
    file = project.packed_file(path)
    if file is None:
        return []
    graph = project_graph(project, blocking_only=True)
    cycles = project.attached("bounded-cycles", lambda: bounded_cycles(graph))
    return [(edge, cycle, graph) for edge, cycle in cycles.items() if edge.location.absolute == file.path]


__all__ = ["project_graph", "send_cycles"]
