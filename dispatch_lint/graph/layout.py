"""A left-to-right layout of the channel graph, grouped by module.

Nodes get a rank (the longest chain of sends leading to them, cycles broken
where a depth-first walk meets them again); each module is a box placed in
the column of its lowest rank; nodes stack inside their module's box. Edges
are curves from the right side of the sender to the left side of the drainer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Set, Tuple

from dispatch_lint.graph.types import Edge, Graph, Node

CHAR_WIDTH = 7.0
NODE_HEIGHT = 30.0
NODE_GAP = 22.0
PAD = 14.0
HEADER = 36.0  # the module's name, and the labels of loops on the first row
COLUMN_GAP = 190.0
BOX_GAP = 24.0
MARGIN = 90.0  # left and right: room for the curves of edges that run backwards
TOP = 16.0


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Layout:
    nodes: Dict[str, Box]
    modules: Dict[str, Box]
    width: float
    height: float

    def edge_path(self, edge: Edge) -> Tuple[str, Tuple[float, float], str]:
        """The SVG path of an edge, and where its label ends: just before the
        arrow, or above the node for a loop."""
        a, b = self.nodes[edge.source], self.nodes[edge.target]
        if edge.source == edge.target:  # a small loop on the node's right side
            x, top, bottom = a.x + a.width, a.y + 6, a.y + a.height - 6
            path = (f"M{x:.1f},{top:.1f} C{x + 34:.1f},{top - 14:.1f} "
                    f"{x + 34:.1f},{bottom + 14:.1f} {x + 1:.1f},{bottom:.1f}")
            return path, (x, a.y - 1), "end"
        x1, y1 = a.x + a.width, a.y + a.height / 2
        x2, y2 = b.x, b.y + b.height / 2
        if x2 > x1 + 10:
            bend = max(40.0, (x2 - x1) / 2)
            path = f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
            return path, (x2 - 8, y2 - 3), "end"
        # Backwards or within a column: out to the right, back along the gap
        # under the lower of the two nodes, in from the left.
        below = max(a.y + a.height, b.y + b.height) + NODE_GAP / 2
        path = (f"M{x1:.1f},{y1:.1f} C{x1 + 40:.1f},{y1:.1f} {x1 + 40:.1f},{below:.1f} {x1:.1f},{below:.1f} "
                f"L{x2:.1f},{below:.1f} C{x2 - 40:.1f},{below:.1f} {x2 - 40:.1f},{y2:.1f} {x2:.1f},{y2:.1f}")
        return path, ((x1 + x2) / 2, below + 10), "middle"


def node_width(name: str) -> float:
    return max(70.0, len(name) * CHAR_WIDTH + 2 * PAD)


def ranks(graph: Graph) -> Dict[str, int]:
    """The longest chain of edges leading to each node, back edges left out."""
    out: Dict[str, List[str]] = {}
    for edge in graph.edges:
        out.setdefault(edge.source, []).append(edge.target)
    back = _back_edges([n.key for n in graph.nodes], out)
    rank = {n.key: 0 for n in graph.nodes}
    for _ in range(len(rank)):
        changed = False
        for edge in graph.edges:
            if (edge.source, edge.target) not in back and rank[edge.target] < rank[edge.source] + 1:
                rank[edge.target] = rank[edge.source] + 1
                changed = True
        if not changed:
            break
    return rank


def _back_edges(keys: List[str], out: Dict[str, List[str]]) -> Set[Tuple[str, str]]:
    state: Dict[str, int] = {}
    back: Set[Tuple[str, str]] = set()
    for start in keys:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(out.get(start, ())))]
        while stack:
            here, following = stack[-1]
            step = next(following, None)
            if step is None:
                state[here] = 2
                stack.pop()
            elif state.get(step) == 1:
                back.add((here, step))
            elif step not in state:
                state[step] = 1
                stack.append((step, iter(out.get(step, ()))))
    return back


def _rows(nodes: List[Node], rank: Dict[str, int], senders: Dict[str, List[str]]) -> Dict[int, List[str]]:
    """A module's nodes by rank, each column after the first ordered by the mean
    row of the nodes that send to it (fewer crossings), then by name."""
    by_rank: Dict[int, List[str]] = {}
    names = {n.key: n.name for n in nodes}
    for node in sorted(nodes, key=lambda n: n.name):
        by_rank.setdefault(rank[node.key], []).append(node.key)
    row: Dict[str, int] = {}
    for column in sorted(by_rank):
        def weight(key: str) -> Tuple[float, str]:
            placed = [row[s] for s in senders.get(key, ()) if s in row]
            return (sum(placed) / len(placed) if placed else float(len(nodes)), names[key])

        by_rank[column].sort(key=weight)
        row.update((key, number) for number, key in enumerate(by_rank[column]))
    return by_rank


def layout(graph: Graph) -> Layout:
    """Columns are ranks; each module is a band across the columns its nodes
    sit in, nodes of one rank stacked inside it."""
    rank = ranks(graph)
    column_width: Dict[int, float] = {}
    for node in graph.nodes:
        column_width[rank[node.key]] = max(column_width.get(rank[node.key], 0.0), node_width(node.name))
    column_x: Dict[int, float] = {}
    x = MARGIN + PAD
    for column in sorted(column_width):
        column_x[column] = x
        x += column_width[column] + COLUMN_GAP
    node_boxes: Dict[str, Box] = {}
    module_boxes: Dict[str, Box] = {}
    senders: Dict[str, List[str]] = {}
    for edge in graph.edges:
        senders.setdefault(edge.target, []).append(edge.source)
    y = TOP
    for module, nodes in graph.modules().items():
        by_rank = _rows(nodes, rank, senders)
        rows = max(len(keys) for keys in by_rank.values())
        for column, keys in by_rank.items():
            for row, key in enumerate(keys):
                node_boxes[key] = Box(column_x[column], y + HEADER + row * (NODE_HEIGHT + NODE_GAP),
                                      column_width[column], NODE_HEIGHT)
        left = column_x[min(by_rank)] - PAD
        right = max(column_x[c] + column_width[c] for c in by_rank) + PAD
        right = max(right, left + len(module) * CHAR_WIDTH + 2 * PAD)
        height = HEADER + rows * (NODE_HEIGHT + NODE_GAP) - NODE_GAP + PAD
        module_boxes[module] = Box(left, y, right - left, height)
        y += height + BOX_GAP
    width = max([b.x + b.width for b in module_boxes.values()] + [200.0]) + MARGIN
    return Layout(node_boxes, module_boxes, width, max(y - BOX_GAP + TOP, 100.0))


__all__ = ["Box", "Layout", "layout", "ranks"]
