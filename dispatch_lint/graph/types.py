"""The channel graph as plain data.

Nodes are the classes, functions and modules that own, drain or send to
channels (a channel with no single drainer is a node of its own). Edges are
sends, from the code that sends to the channel's drainer, labelled with the
channel; a channel node has drain edges to each of its drainers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Dict, Iterable, List, Optional, Set, Tuple

CLASS, FUNCTION, MODULE, CHANNEL = "class", "function", "module", "channel"
# How a send meets a full channel: awaits room, blocks its thread, fails fast,
# or its coroutine is handed on (to a task, another loop) without being awaited here.
AWAIT, BLOCKING, TRY_SEND, NOT_AWAITED = "await", "blocking", "try-send", "not awaited"


@dataclass(frozen=True)
class Location:
    """A place in the source: a path for people, the absolute path for links."""

    path: str
    line: int
    column: int = 1
    absolute: str = ""

    def text(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Node:
    key: str  # a qualified name: `pkg.mod.Class`, `pkg.mod.func`, `pkg.mod`
    name: str  # short, for drawing
    module: str
    kind: str  # CLASS, FUNCTION, MODULE or CHANNEL
    location: Optional[Location] = None
    inbox: bool = False  # drains an actor inbox of its own (through `self`)


@dataclass(frozen=True)
class ChannelInfo:
    key: str
    name: str  # `Pong.inbox`
    kind: str  # `asyncio.Queue`
    capacity: str  # `64`, `64|128`, `unbounded`, `unknown`
    bounded: bool  # every capacity is a number (0, a rendezvous, included)
    unbounded: bool
    drainers: Tuple[str, ...]  # node keys
    inbox: bool  # drained by its owner class through `self`
    sites: Tuple[Location, ...]  # where it is built
    drains: Tuple[Location, ...] = ()

    def label(self) -> str:
        """`asyncio.Queue 64`, `trio.MemorySendChannel unbounded`."""
        if self.unbounded:
            return f"{self.kind} unbounded"
        return f"{self.kind} {self.capacity}"


@dataclass(frozen=True)
class Edge:
    source: str  # node key
    target: str  # node key
    channel: str  # channel key
    how: str  # AWAIT, BLOCKING, TRY_SEND or NOT_AWAITED (a drain edge: TRY_SEND)
    location: Location
    drain: bool = False  # a channel node's edge to one of its drainers
    findings: Tuple[str, ...] = ()  # rule codes reported at this send
    via: str = ""  # the method that makes the send, when the edge is a call of it (`Pong.tell()`)


@dataclass(frozen=True)
class Graph:
    nodes: Tuple[Node, ...] = ()
    channels: Tuple[ChannelInfo, ...] = ()
    edges: Tuple[Edge, ...] = ()
    _index: Dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def node(self, key: str) -> Node:
        return self._lookup("n", self.nodes)[key]

    def channel(self, key: str) -> ChannelInfo:
        return self._lookup("c", self.channels)[key]

    def _lookup(self, tag: str, items: Iterable[object]) -> Dict[str, object]:
        found = self._index.get(tag)
        if found is None:
            found = self._index[tag] = {item.key: item for item in items}  # type: ignore[attr-defined]
        return found  # type: ignore[return-value]

    def modules(self) -> Dict[str, List[Node]]:
        """Nodes grouped by module, both in a stable order."""
        grouped: Dict[str, List[Node]] = {}
        for node in sorted(self.nodes, key=lambda n: (n.module, n.key)):
            grouped.setdefault(node.module, []).append(node)
        return grouped

    def sends(self) -> List[Edge]:
        return [e for e in self.edges if not e.drain]

    def edge_label(self, edge: Edge) -> str:
        """`Pong.inbox: asyncio.Queue 64, await, pingpong.py:12`."""
        channel = self.channel(edge.channel)
        if edge.drain:
            return f"drains {channel.name}, {edge.location.text()}"
        via = f" via {edge.via}" if edge.via else ""
        return f"{channel.name}: {channel.label()}, {edge.how}{via}, {edge.location.text()}"

    def with_findings(self, found: Dict[Location, Tuple[str, ...]]) -> "Graph":
        """The graph with rule codes on the sends at those locations."""
        edges = tuple(replace(e, findings=tuple(sorted(set(e.findings) | set(found.get(e.location, ())))))
                      for e in self.edges)
        return Graph(self.nodes, self.channels, edges)

    def focus(self, name: str, depth: int = 1) -> "Graph":
        """The neighbourhood of the nodes named `name` (short or qualified name,
        or a channel name): nodes within `depth` edges, either direction."""
        keep = {n.key for n in self.nodes if name in (n.key, n.name)}
        keep |= {c.key for c in self.channels if c.name == name and c.key in self._lookup("n", self.nodes)}
        keep |= {e.target for e in self.edges if self.channel(e.channel).name == name}
        if not keep:
            raise KeyError(name)
        for _ in range(depth):
            keep |= _neighbours(self.edges, keep)
        edges = tuple(e for e in self.edges if e.source in keep and e.target in keep)
        used = {e.channel for e in edges}
        return Graph(tuple(n for n in self.nodes if n.key in keep),
                     tuple(c for c in self.channels if c.key in used), edges)


def _neighbours(edges: Iterable[Edge], keys: Set[str]) -> Set[str]:
    found: Set[str] = set()
    for edge in edges:
        if edge.source in keys:
            found.add(edge.target)
        if edge.target in keys:
            found.add(edge.source)
    return found


__all__ = ["AWAIT", "BLOCKING", "CHANNEL", "CLASS", "FUNCTION", "MODULE", "NOT_AWAITED", "TRY_SEND", "ChannelInfo",
           "Edge", "Graph", "Location", "Node"]
