"""The channel graph as Graphviz `dot`: one cluster per module."""

from __future__ import annotations

from typing import Dict, List

from dispatch_lint.graph.links import NO_LINKS, Link
from dispatch_lint.graph.style import (
    FILLS,
    STROKES,
    edge_color,
    edge_marks,
    edge_text,
    node_mark,
    node_title,
)
from dispatch_lint.graph.types import CHANNEL, Graph

LEGEND = ("// double border: an actor draining its own inbox; dashed: unbounded channel; "
          "dotted: try-send or not awaited here; red: the send carries a finding")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attributes(values: Dict[str, str]) -> str:
    return "[" + ", ".join(f"{k}={_quote(v)}" for k, v in values.items() if v) + "]"


def render_dot(graph: Graph, link: Link = NO_LINKS) -> str:
    ids = {node.key: f"n{i}" for i, node in enumerate(sorted(graph.nodes, key=lambda n: n.key))}
    lines: List[str] = [
        "digraph channels {", LEGEND,
        '  rankdir=LR; compound=true; fontname="Helvetica";',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for number, (module, nodes) in enumerate(graph.modules().items()):
        lines.append(f"  subgraph cluster_{number} {{")
        lines.append(f'    label={_quote(module or "(no module)")}; style="rounded"; color="#9ca3af";')
        for node in nodes:
            mark = node_mark(node)
            lines.append(f"    {ids[node.key]} " + _attributes({
                "label": node.name, "fillcolor": FILLS[mark], "color": STROKES[mark],
                "peripheries": "2" if node.inbox else "", "shape": "cylinder" if node.kind == CHANNEL else "",
                "tooltip": node_title(node), "URL": link(node.location)}) + ";")
        lines.append("  }")
    for edge in graph.edges:
        marks = edge_marks(graph, edge)
        style = "dotted" if marks["try"] or marks["drain"] else "dashed" if marks["unbounded"] else ""
        label = edge_text(graph, edge).replace(": ", "\n", 1).replace(", ", "\n", 1)
        lines.append(f"  {ids[edge.source]} -> {ids[edge.target]} " + _attributes({
            "label": label, "color": edge_color(marks), "fontcolor": edge_color(marks), "style": style,
            "penwidth": "2" if marks["finding"] else "", "tooltip": edge_text(graph, edge),
            "URL": link(edge.location)}) + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


__all__ = ["render_dot"]
