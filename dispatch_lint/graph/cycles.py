"""Cycles of awaited sends on bounded channels between channel owners.

An edge takes part when its send waits for room on a channel whose every
capacity is a number, and it runs from a node that drains a channel of its
own to the node that drains the channel sent to. A try-send, an unbounded
channel or one of unknown capacity never blocks for sure: it breaks the cycle.
"""

from __future__ import annotations

from collections import deque
from typing import Dict, List, Optional, Tuple

from dispatch_lint.graph.types import AWAIT, Edge, Graph


def blocking_edges(graph: Graph) -> List[Edge]:
    """The awaited bounded sends between owners (the edges a deadlock can use)."""
    owners = {e.target for e in graph.edges if not e.drain}
    return [e for e in graph.edges
            if not e.drain and e.how == AWAIT and graph.channel(e.channel).bounded
            and e.source in owners and e.source != e.target]


def bounded_cycles(graph: Graph) -> Dict[Edge, Tuple[Edge, ...]]:
    """Each edge that closes a cycle of blocking edges, with the shortest such
    cycle starting at that edge."""
    edges = blocking_edges(graph)
    leaving: Dict[str, List[Edge]] = {}
    for edge in edges:
        leaving.setdefault(edge.source, []).append(edge)
    found: Dict[Edge, Tuple[Edge, ...]] = {}
    for edge in edges:
        back = _shortest_path(leaving, edge.target, edge.source)
        if back is not None:
            found[edge] = (edge, *back)
    return found


def _shortest_path(leaving: Dict[str, List[Edge]], start: str, goal: str) -> Optional[Tuple[Edge, ...]]:
    came: Dict[str, Tuple[Edge, ...]] = {start: ()}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        if here == goal:
            return came[here]
        for edge in sorted(leaving.get(here, ()), key=lambda e: (e.location.path, e.location.line)):
            if edge.target not in came:
                came[edge.target] = came[here] + (edge,)
                queue.append(edge.target)
    return None


def cycle_text(graph: Graph, cycle: Tuple[Edge, ...]) -> str:
    """`Ping.inbox → Pong.inbox (asyncio.Queue 1, sent at a.py:9) → Ping.inbox (...)`:
    the channel the first sender drains, then each channel sent to, in order."""
    parts = [graph.channel(cycle[-1].channel).name]
    for edge in cycle:
        channel = graph.channel(edge.channel)
        via = f" via {edge.via}" if edge.via else ""
        parts.append(f"{channel.name} ({channel.label()}, sent at {edge.location.text()}{via})")
    return " → ".join(parts)


__all__ = ["blocking_edges", "bounded_cycles", "cycle_text"]
