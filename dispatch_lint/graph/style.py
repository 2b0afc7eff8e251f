"""How each mark of the graph looks, shared by every renderer."""

from __future__ import annotations

from typing import Dict

from dispatch_lint.graph.types import CHANNEL, NOT_AWAITED, TRY_SEND, ChannelInfo, Edge, Graph, Node

FILLS: Dict[str, str] = {
    "inbox": "#fde2b3",  # an actor: drains an inbox of its own
    "class": "#dbeafe",
    "function": "#dcfce7",
    "module": "#e5e7eb",
    "channel": "#f3e8ff",
}
STROKES = {"inbox": "#b45309", "class": "#1d4ed8", "function": "#15803d", "module": "#4b5563", "channel": "#7e22ce"}
FINDING_COLOR = "#dc2626"
EDGE_COLOR = "#374151"
TRY_COLOR = "#6b7280"
UNBOUNDED_COLOR = "#c2410c"


def node_mark(node: Node) -> str:
    return "inbox" if node.inbox else node.kind


def edge_marks(graph: Graph, edge: Edge) -> Dict[str, bool]:
    channel: ChannelInfo = graph.channel(edge.channel)
    return {
        "finding": bool(edge.findings),
        "try": edge.how in (TRY_SEND, NOT_AWAITED) and not edge.drain,
        "unbounded": channel.unbounded,
        "drain": edge.drain,
    }


def edge_color(marks: Dict[str, bool]) -> str:
    if marks["finding"]:
        return FINDING_COLOR
    if marks["unbounded"]:
        return UNBOUNDED_COLOR
    return TRY_COLOR if marks["try"] or marks["drain"] else EDGE_COLOR


def node_title(node: Node) -> str:
    kind = "actor (drains its own inbox)" if node.inbox else "channel" if node.kind == CHANNEL else node.kind
    where = f" at {node.location.text()}" if node.location else ""
    return f"{node.key}: {kind}{where}"


def edge_text(graph: Graph, edge: Edge) -> str:
    """The edge label, with the findings it carries."""
    text = graph.edge_label(edge)
    return text + (f" [{', '.join(edge.findings)}]" if edge.findings else "")


__all__ = ["FILLS", "STROKES", "edge_color", "edge_marks", "edge_text", "node_mark", "node_title"]
