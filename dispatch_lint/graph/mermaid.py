"""The channel graph as a Mermaid flowchart (renders in GitHub Markdown):
one subgraph per module."""

from __future__ import annotations

from typing import List

from dispatch_lint.graph.links import NO_LINKS, Link
from dispatch_lint.graph.style import (
    FILLS,
    STROKES,
    edge_color,
    edge_marks,
    edge_text,
    node_mark,
)
from dispatch_lint.graph.types import CHANNEL, Graph

MARKS = ("inbox", "class", "function", "module", "channel")


def _text(text: str) -> str:
    return '"' + text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;") + '"'


def render_mermaid(graph: Graph, link: Link = NO_LINKS) -> str:
    ids = {node.key: f"n{i}" for i, node in enumerate(sorted(graph.nodes, key=lambda n: n.key))}
    lines: List[str] = ["flowchart LR"]
    for number, (module, nodes) in enumerate(graph.modules().items()):
        lines.append(f"  subgraph m{number}[{_text(module or '(no module)')}]")
        for node in nodes:
            shape = ("[(", ")]") if node.kind == CHANNEL else ("[[", "]]") if node.inbox else ("(", ")")
            lines.append(f"    {ids[node.key]}{shape[0]}{_text(node.name)}{shape[1]}:::{node_mark(node)}")
        lines.append("  end")
    styles: List[str] = []
    for number, edge in enumerate(graph.edges):
        marks = edge_marks(graph, edge)
        arrow = "==>" if marks["finding"] else "-.->" if marks["try"] or marks["drain"] else "-->"
        lines.append(f"  {ids[edge.source]} {arrow}|{_text(edge_text(graph, edge))}| {ids[edge.target]}")
        dash = ",stroke-dasharray:6 4" if marks["unbounded"] and not marks["try"] else ""
        styles.append(f"  linkStyle {number} stroke:{edge_color(marks)}{dash}")
    lines += styles
    for node in graph.nodes:
        href = link(node.location)
        if href:
            lines.append(f'  click {ids[node.key]} href {_text(href)} "_blank"')
    for mark in MARKS:
        lines.append(f"  classDef {mark} fill:{FILLS[mark]},stroke:{STROKES[mark]}"
                     + (",stroke-width:2px" if mark == "inbox" else ""))
    return "\n".join(lines) + "\n"


__all__ = ["render_mermaid"]
