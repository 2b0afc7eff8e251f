"""The channel graph as one SVG picture, and as one self-contained HTML page
(the picture, a search box that focuses a name's neighbourhood, pan and zoom,
and a panel with the source locations of what was clicked). Nothing is loaded
from the network."""

from __future__ import annotations

from html import escape
from typing import List

from dispatch_lint.graph.layout import Layout, layout
from dispatch_lint.graph.links import NO_LINKS, Link
from dispatch_lint.graph.style import (
    EDGE_COLOR,
    FILLS,
    FINDING_COLOR,
    STROKES,
    TRY_COLOR,
    UNBOUNDED_COLOR,
    edge_color,
    edge_marks,
    edge_text,
    node_mark,
    node_title,
)
from dispatch_lint.graph.types import AWAIT, CHANNEL, Graph

ARROW_COLORS = (EDGE_COLOR, FINDING_COLOR, TRY_COLOR, UNBOUNDED_COLOR)
LABELS_SHOWN_UP_TO = 40  # edges; above it labels show on hover and selection only


def _arrow_id(color: str) -> str:
    return "arrow-" + color.lstrip("#")


def _defs() -> str:
    markers = "".join(
        f'<marker id="{_arrow_id(c)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
        f'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/>'
        "</marker>" for c in ARROW_COLORS)
    return f"<defs>{markers}</defs>"


def _linked(href: str, body: str) -> str:
    return f'<a href="{escape(href)}" target="_blank">{body}</a>' if href else body


def _modules(shape: Layout) -> List[str]:
    return [f'<g class="module"><rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.width:.1f}" height="{b.height:.1f}" '
            f'rx="8" fill="#f9fafb" stroke="#9ca3af"/><text x="{b.x + 10:.1f}" y="{b.y + 16:.1f}" '
            f'fill="#4b5563" font-size="11">{escape(module or "(no module)")}</text></g>'
            for module, b in shape.modules.items()]


def _nodes(graph: Graph, shape: Layout, link: Link) -> List[str]:
    parts = []
    for number, node in enumerate(sorted(graph.nodes, key=lambda n: n.key)):
        box, mark = shape.nodes[node.key], node_mark(node)
        radius = 2 if node.kind == CHANNEL else 6
        body = (f'<g class="node {mark}" id="node-{number}" data-key="{escape(node.key)}" '
                f'data-where="{escape(node.location.text() if node.location else "")}">'
                f"<title>{escape(node_title(node))}</title>"
                f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" '
                f'rx="{radius}" fill="{FILLS[mark]}" stroke="{STROKES[mark]}" '
                f'stroke-width="{2.5 if node.inbox else 1.2}"/>'
                f'<text x="{box.x + box.width / 2:.1f}" y="{box.y + box.height / 2 + 4:.1f}" '
                f'text-anchor="middle" fill="#111827">{escape(node.name)}</text></g>')
        parts.append(_linked(link(node.location), body))
    return parts


def _edges(graph: Graph, shape: Layout, link: Link) -> List[str]:
    parts = []
    for edge in graph.edges:
        marks = edge_marks(graph, edge)
        color = edge_color(marks)
        dash = ' stroke-dasharray="2 4"' if marks["try"] or marks["drain"] else (
            ' stroke-dasharray="8 5"' if marks["unbounded"] else "")
        path, (x, y), anchor = shape.edge_path(edge)
        channel = graph.channel(edge.channel)
        short = f"{channel.name} {channel.capacity}" + ("" if edge.how == AWAIT or edge.drain else f" {edge.how}")
        classes = "edge" + "".join(f" {k}" for k, v in marks.items() if v)
        body = (f'<g class="{classes}" data-src="{escape(edge.source)}" data-dst="{escape(edge.target)}" '
                f'data-where="{escape(edge.location.text())}"><title>{escape(edge_text(graph, edge))}</title>'
                f'<path d="{path}" fill="none" stroke="{color}" stroke-width="{2.5 if marks["finding"] else 1.4}"'
                f'{dash} marker-end="url(#{_arrow_id(color)})"/>'
                f'<path class="hit" d="{path}" fill="none" stroke="transparent" stroke-width="10"/>'
                f'<text class="label" x="{x:.1f}" y="{y - 4:.1f}" text-anchor="{anchor}" font-size="10" '
                f'fill="{color}">{escape(short)}</text></g>')
        parts.append(_linked(link(edge.location), body))
    return parts


def render_svg(graph: Graph, link: Link = NO_LINKS, labels: bool = True) -> str:
    shape = layout(graph)
    label_rule = "" if labels else ".edge .label{display:none}.edge:hover .label,.edge.near .label{display:inline}"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {shape.width:.0f} {shape.height:.0f}" '
            f'width="{shape.width:.0f}" height="{shape.height:.0f}" font-family="Helvetica, Arial, sans-serif" '
            f'font-size="12"><style>.label{{paint-order:stroke;stroke:#fff;stroke-width:3px}}{label_rule}</style>'
            f'<rect width="100%" height="100%" fill="#ffffff"/>{_defs()}'
            + "".join(_modules(shape)) + '<g class="edges">' + "".join(_edges(graph, shape, link)) + "</g>"
            + '<g class="nodes">' + "".join(_nodes(graph, shape, link)) + "</g></svg>\n")


def render_html(graph: Graph, link: Link = NO_LINKS) -> str:
    svg = render_svg(graph, link, labels=len(graph.edges) <= LABELS_SHOWN_UP_TO)
    counts = (f"{len(graph.nodes)} nodes, {len(graph.channels)} channels, {len(graph.sends())} sends, "
              f"{sum(1 for e in graph.edges if e.findings)} with findings")
    legend = "".join(f'<span class="key" style="background:{FILLS[m]};border-color:{STROKES[m]}">{escape(t)}</span>'
                     for m, t in (("inbox", "actor (drains its own inbox)"), ("class", "class"),
                                  ("function", "function"), ("module", "module"), ("channel", "channel")))
    return PAGE.format(counts=escape(counts), legend=legend, svg=svg, script=SCRIPT, finding=FINDING_COLOR,
                       unbounded=UNBOUNDED_COLOR)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dispatch-lint channel graph</title>
<style>
body{{margin:0;font:13px Helvetica,Arial,sans-serif;color:#111827;display:flex;flex-direction:column;height:100vh}}
header{{padding:8px 12px;border-bottom:1px solid #e5e7eb;display:flex;gap:12px;align-items:center;flex-wrap:wrap}}
.key{{border:1px solid;border-radius:4px;padding:1px 6px;font-size:11px}}
main{{flex:1;display:flex;min-height:0}}
#canvas{{flex:1;overflow:hidden;cursor:grab}}#canvas svg{{width:100%;height:100%}}
aside{{width:340px;border-left:1px solid #e5e7eb;padding:10px;overflow:auto;font-size:12px}}
.dim{{opacity:.12}}.picked rect{{stroke-width:4px}}
</style></head><body>
<header><strong>Channel graph</strong><span>{counts}</span>
<input id="search" placeholder="focus a name (Enter), Esc to clear" size="30">
{legend}<span style="color:{finding}">━ finding</span><span style="color:{unbounded}">╌ unbounded</span>
<span>┈ try-send</span></header>
<main><div id="canvas">{svg}</div><aside id="panel">Click a node or an edge: its neighbourhood stays lit and its
source locations show here. Drag to pan, wheel to zoom. Ctrl-click opens the source.
<code>#focus=NAME</code> in the address selects a name.</aside></main>
<script>{script}</script></body></html>
"""

SCRIPT = r"""
const svg = document.querySelector('#canvas svg'), panel = document.getElementById('panel');
const nodes = [...svg.querySelectorAll('.node')], edges = [...svg.querySelectorAll('.edge')];
const link = el => el.closest('a') ? el.closest('a').getAttribute('href') : '';
const esc = s => s.replace(/[&<>"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
const label = n => n.querySelector('text').textContent;
function light(keys, picked) {
  nodes.forEach(n => {
    n.classList.toggle('dim', !keys.has(n.dataset.key));
    n.classList.toggle('picked', n === picked);
  });
  edges.forEach(e => {
    const on = keys.has(e.dataset.src) && keys.has(e.dataset.dst);
    e.classList.toggle('dim', !on);
    e.classList.toggle('near', on && keys.size < nodes.length);
  });
}
function clear() { nodes.concat(edges).forEach(x => x.classList.remove('dim', 'near', 'picked')); }
function row(el) {
  const href = link(el), title = el.querySelector('title').textContent;
  const where = href ? ' <a href="' + esc(href) + '" target="_blank">' + esc(el.dataset.where) + '</a>' : '';
  return '<li>' + esc(title) + where + '</li>';
}
function pickNode(n) {
  const key = n.dataset.key, keys = new Set([key]);
  const mine = edges.filter(e => e.dataset.src === key || e.dataset.dst === key);
  mine.forEach(e => { keys.add(e.dataset.src); keys.add(e.dataset.dst); });
  light(keys, n);
  panel.innerHTML = '<h3>' + esc(key) + '</h3><ul>' + row(n) + '</ul><h4>sends and drains</h4><ul>'
    + mine.map(row).join('') + '</ul>';
}
function pickEdge(e) {
  light(new Set([e.dataset.src, e.dataset.dst]), null);
  panel.innerHTML = '<h3>send</h3><ul>' + row(e) + '</ul>';
}
function named(word) {
  const lower = word.toLowerCase();
  return nodes.find(n => n.dataset.key.toLowerCase() === lower || label(n).toLowerCase() === lower)
    || nodes.find(n => n.dataset.key.toLowerCase().includes(lower));
}
svg.addEventListener('click', ev => {
  if (ev.ctrlKey || ev.metaKey) return;
  const n = ev.target.closest('.node'), e = ev.target.closest('.edge');
  if (n || e) { ev.preventDefault(); n ? pickNode(n) : pickEdge(e); } else { clear(); }
});
document.getElementById('search').addEventListener('keydown', ev => {
  if (ev.key === 'Escape') { ev.target.value = ''; clear(); return; }
  const found = ev.key === 'Enter' && ev.target.value.trim() && named(ev.target.value.trim());
  if (found) pickNode(found);
});
function fromHash() {
  const found = location.hash.startsWith('#focus=') && named(decodeURIComponent(location.hash.slice(7)));
  if (found) pickNode(found);
}
window.addEventListener('hashchange', fromHash); fromHash();
const box = svg.viewBox.baseVal; let drag = null;
svg.addEventListener('wheel', ev => {
  ev.preventDefault();
  const k = ev.deltaY > 0 ? 1.15 : 1 / 1.15, r = svg.getBoundingClientRect();
  const fx = (ev.clientX - r.left) / r.width, fy = (ev.clientY - r.top) / r.height;
  box.x += box.width * (1 - k) * fx; box.y += box.height * (1 - k) * fy; box.width *= k; box.height *= k;
}, {passive: false});
svg.addEventListener('mousedown', ev => { drag = [ev.clientX, ev.clientY]; });
window.addEventListener('mouseup', () => { drag = null; });
window.addEventListener('mousemove', ev => {
  if (!drag) return;
  const r = svg.getBoundingClientRect(), s = Math.max(box.width / r.width, box.height / r.height);
  box.x -= (ev.clientX - drag[0]) * s; box.y -= (ev.clientY - drag[1]) * s; drag = [ev.clientX, ev.clientY];
});
"""

__all__ = ["render_html", "render_svg"]
