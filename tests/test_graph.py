"""The channel graph: the plain graph and its cycles, `dispatch-lint graph` in
every format against committed snapshots, and the HTML page in a real
headless browser (skipped when none is installed)."""

from __future__ import annotations

import collections
import functools
import os
import shutil
import struct
import subprocess
import zlib

import pytest
from helpers import ROOT, run_cli

from dispatch_lint.graph.cycles import bounded_cycles, cycle_text
from dispatch_lint.graph.types import (
    AWAIT,
    TRY_SEND,
    ChannelInfo,
    Edge,
    Graph,
    Location,
    Node,
)

SNAPSHOTS = ROOT / "tests" / "data" / "graph"
PROJECTS = {"showcase": "fixtures/showcase", "DSP103": "fixtures/DSP103"}
EXTENSIONS = {"dot": "dot", "mermaid": "mmd"}
UPDATE = os.environ.get("DISPATCH_LINT_UPDATE_SNAPSHOTS") == "1"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
INBOX_FILL = (0xFD, 0xE2, 0xB3)  # style.FILLS["inbox"]
FINDING_RED = (0xDC, 0x26, 0x26)


# -- the plain graph ---------------------------------------------------------------------

def _graph(*sends, capacities=None):
    """Owners A, B, C..., each draining `X.inbox`; `sends` are (source, target, awaited)."""
    names = sorted({n for s in sends for n in s[:2]})
    capacities = capacities or {}
    channels = tuple(ChannelInfo(n, f"{n}.inbox", "asyncio.Queue", capacities.get(n, "8"),
                                 capacities.get(n, "8") not in ("unbounded", "unknown"),
                                 capacities.get(n) == "unbounded", (n,), True, (Location("m.py", 1),))
                     for n in names)
    edges = tuple(Edge(a, b, b, AWAIT if awaited else TRY_SEND, Location("m.py", line))
                  for line, (a, b, awaited) in enumerate(sends, 10))
    return Graph(tuple(Node(n, n, "m", "class", inbox=True) for n in names), channels, edges)


def test_two_owners_awaiting_each_other_close_a_cycle_at_both_sends():
    graph = _graph(("A", "B", True), ("B", "A", True), ("A", "L", True))
    found = bounded_cycles(graph)
    assert sorted(e.location.line for e in found) == [10, 11]
    edge = next(e for e in found if e.location.line == 10)
    assert cycle_text(graph, found[edge]) == ("A.inbox → B.inbox (asyncio.Queue 8, sent at m.py:10) → "
                                              "A.inbox (asyncio.Queue 8, sent at m.py:11)")


def test_a_three_owner_ring_reports_each_send_with_its_whole_ring():
    found = bounded_cycles(_graph(("A", "B", True), ("B", "C", True), ("C", "A", True)))
    assert len(found) == 3 and all(len(cycle) == 3 for cycle in found.values())


@pytest.mark.parametrize("capacity", ["unbounded", "unknown"])
def test_an_unbounded_or_unknown_channel_breaks_the_cycle(capacity):
    assert not bounded_cycles(_graph(("A", "B", True), ("B", "A", True), capacities={"A": capacity}))


def test_a_try_send_breaks_the_cycle_and_a_chain_is_no_cycle():
    assert not bounded_cycles(_graph(("A", "B", True), ("B", "A", False)))
    assert not bounded_cycles(_graph(("A", "B", True), ("B", "C", True)))


def test_focus_keeps_the_neighbourhood():
    graph = _graph(("A", "B", True), ("B", "C", True), ("C", "D", True))
    assert {n.key for n in graph.focus("B").nodes} == {"A", "B", "C"}
    assert {n.key for n in graph.focus("A", depth=2).nodes} == {"A", "B", "C"}
    with pytest.raises(KeyError):
        graph.focus("Nobody")


# -- the command ------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _graph_output(*args: str) -> str:
    """What `dispatch-lint graph` prints (the same arguments run once per test process)."""
    result = run_cli("graph", "--jobs", "1", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_ping_pong_shows_both_actors_and_the_logger_with_capacities():
    dot = _graph_output("fixtures/DSP103/two_actors.py", "--format", "dot")
    for name in ("Ping", "Pong", "Logger"):
        assert f'label="{name}"' in dot
    assert "Pong.inbox\\nasyncio.Queue 8\\nawait, fixtures/DSP103/two_actors.py:27 [DSP103]" in dot
    assert "Logger.inbox\\nasyncio.Queue 256\\nawait, fixtures/DSP103/two_actors.py:26" in dot
    assert dot.count(" -> ") == 3


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_graph_matches_its_snapshot(name, fmt):
    output = _graph_output(PROJECTS[name], "--format", fmt)
    snapshot = SNAPSHOTS / f"{name}.{EXTENSIONS[fmt]}"
    if UPDATE:
        snapshot.write_text(output, encoding="utf-8")
    assert output == snapshot.read_text(encoding="utf-8")


def test_focus_and_bad_arguments():
    focused = _graph_output("fixtures/DSP103", "--format", "mermaid", "--focus", "three_actors.Fetch")
    assert "Fetch" in focused and "Ping" not in focused
    missing = run_cli("graph", "fixtures/DSP103", "--focus", "Nobody")
    assert missing.returncode == 2 and "Nobody" in missing.stderr
    bad = run_cli("graph", "fixtures/DSP103", "--link", "{nope}")
    assert bad.returncode == 2 and "{absolute}" in bad.stderr


def test_html_is_one_file_that_loads_nothing():
    page = _graph_output("fixtures/DSP103", "--format", "html", "--link", "vscode://file/{absolute}:{line}")
    lowered = page.lower()
    for loader in ("<link", " src=", "@import", "url(http", "fetch(", "xmlhttprequest", "<iframe", "<img"):
        assert loader not in lowered
    assert lowered.count("http") == lowered.count("http://www.w3.org/2000/svg")
    two_actors = (ROOT / "fixtures" / "DSP103" / "two_actors.py").resolve()
    assert f'href="vscode://file/{two_actors}:27"' in page


# -- in a real browser ------------------------------------------------------------------------

def _browser():
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def _needs_browser() -> str:
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium or Chrome installed")
    return browser


def _run_browser(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_needs_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", *args], capture_output=True, text=True, timeout=120)


def _pixels(png: bytes):
    """The RGB pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks, header = 8, [], None
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        body = png[at + 8:at + 8 + length]
        header = body if kind == b"IHDR" else header
        chunks += [body] if kind == b"IDAT" else []
        at += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6) and header[12] == 0
    step = 4 if color == 6 else 3
    raw, stride, rows, previous = zlib.decompress(b"".join(chunks)), width * step, [], bytearray(width * step)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 2:  # the commonest filter, undone in one pass
            line = bytearray((a + b) & 255 for a, b in zip(line, previous))
        for x in range(stride if kind in (1, 3, 4) else 0):
            left = line[x - step] if x >= step else 0
            up, corner = previous[x], previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                best = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                line[x] = (line[x] + best[2]) & 255
        rows.append(line)
        previous = line
    return [tuple(row[x:x + 3]) for row in rows for x in range(0, stride, step)]


def _count(pixels, color) -> int:
    """Pixels within 6 of `color` in each channel (counted per distinct colour: a drawing has few)."""
    return sum(n for p, n in collections.Counter(pixels).items() if all(abs(a - b) <= 6 for a, b in zip(p, color)))


@pytest.fixture(scope="module")
def dsp103_page(tmp_path_factory):
    """The HTML graph of fixtures/DSP103, written by `graph -o` (the browser tests read it)."""
    _needs_browser()
    page = tmp_path_factory.mktemp("graph") / "graph.html"
    run = run_cli("graph", "--jobs", "1", "fixtures/DSP103", "--format", "html", "-o", str(page))
    assert run.returncode == 0, run.stderr
    return page


def test_html_renders_nodes_and_findings_in_a_headless_browser(dsp103_page, tmp_path):
    page, shot = dsp103_page, tmp_path / "graph.png"
    result = _run_browser("--window-size=1200,800", f"--screenshot={shot}", page.as_uri())
    assert shot.is_file(), result.stderr
    pixels = _pixels(shot.read_bytes())
    assert _count(pixels, INBOX_FILL) > 5000  # fifteen actor nodes, about 150x30 each
    assert _count(pixels, FINDING_RED) > 200  # the edges of the cycles


def test_html_selection_shows_source_locations_in_a_headless_browser(dsp103_page):
    page = dsp103_page
    result = _run_browser("--dump-dom", page.as_uri() + "#focus=two_actors.Pong")
    panel = result.stdout.split('id="panel"', 1)[1].split("</aside>", 1)[0]
    assert "two_actors.Pong" in panel
    assert "two_actors.py:27" in panel and "two_actors.py:38" in panel
    assert 'class="node inbox dim"' in result.stdout  # the rest of the graph is dimmed


def test_a_200_channel_layout_keeps_nodes_apart_and_inside_their_modules():
    from dispatch_lint.graph.html import render_html
    from dispatch_lint.graph.layout import layout

    sends = [(f"A{i}", f"A{(i * 7 + 3) % 200}", i % 3 != 0) for i in range(200)]
    plain = _graph(*sends)
    graph = Graph(tuple(Node(n.key, n.name, f"pkg.m{int(n.key[1:]) % 20}", n.kind, inbox=True) for n in plain.nodes),
                  plain.channels, plain.edges)
    shape = layout(graph)
    boxes = sorted(shape.nodes.values(), key=lambda b: (b.x, b.y))
    for one, other in zip(boxes, boxes[1:]):
        assert one.x != other.x or one.y + one.height <= other.y, "two nodes overlap"
    for node in graph.nodes:
        box, module = shape.nodes[node.key], shape.modules[node.module]
        assert module.x <= box.x and box.x + box.width <= module.x + module.width
        assert module.y <= box.y and box.y + box.height <= module.y + module.height
    page = render_html(graph)
    assert ".edge .label{display:none}" in page  # too many edges: labels on hover and selection only
    assert page.count('class="module"') == 20


def test_the_docs_show_the_current_graph_of_the_showcase():
    """docs/graph.md and the README embed the showcase's mermaid graph (GitHub renders it), the docs its picture;
    regenerate both with DISPATCH_LINT_UPDATE_SNAPSHOTS=1 when the graph changes."""
    docs = ROOT / "docs" / "graph.md"
    picture = ROOT / "docs" / "images" / "graph-showcase.svg"
    svg = _graph_output("fixtures/showcase", "--format", "svg", "--link", "../../{path}#L{line}")
    mermaid = _graph_output("fixtures/showcase", "--format", "mermaid")
    if UPDATE:
        picture.write_text(svg, encoding="utf-8")
    for page in (docs, ROOT / "README.md"):
        text = page.read_text(encoding="utf-8")
        before, block = text.split("```mermaid\n", 1)
        block, after = block.split("```\n", 1)
        if UPDATE:
            page.write_text(before + "```mermaid\n" + mermaid + "```\n" + after, encoding="utf-8")
            block = mermaid
        assert block == mermaid, page.name
    assert picture.read_text(encoding="utf-8") == svg


def test_a_channel_with_two_drainers_is_a_node_with_a_drain_edge_to_each(tmp_path):
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "jobs.py").write_text(
        "import asyncio\n\njobs = asyncio.Queue(4)\n\n\n"
        "async def worker_a():\n    while True:\n        await jobs.get()\n\n\n"
        "async def worker_b():\n    while True:\n        await jobs.get()\n\n\n"
        "async def producer():\n    await jobs.put(1)\n", encoding="utf-8")
    mermaid = _graph_output(str(tmp_path), "--format", "mermaid")
    assert '[("jobs")]:::channel' in mermaid
    assert '|"jobs: asyncio.Queue 4, await, jobs.py:17"|' in mermaid
    assert '-.->|"drains jobs, jobs.py:8"|' in mermaid and '-.->|"drains jobs, jobs.py:13"|' in mermaid


def test_a_file_that_does_not_parse_is_named_and_the_rest_is_drawn(tmp_path):
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "bad.py").write_text("def f(:\n", encoding="utf-8")
    (tmp_path / "ok.py").write_text("import asyncio\nq = asyncio.Queue(2)\n\n\nasync def f():\n    await q.put(1)\n",
                                    encoding="utf-8")
    result = run_cli("graph", "--jobs", "1", str(tmp_path), "--format", "mermaid")
    assert result.returncode == 0
    assert '|"q: asyncio.Queue 2, await, ok.py:6"|' in result.stdout
    assert "1 file(s) not drawn" in result.stderr and "bad.py" in result.stderr


def test_the_facts_cache_serves_the_graph_unless_told_not_to(tmp_path):
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "ok.py").write_text("import asyncio\nq = asyncio.Queue(2)\n\n\nasync def f():\n    await q.put(1)\n",
                                    encoding="utf-8")
    uncached = run_cli("graph", "--no-cache", str(tmp_path), "--format", "mermaid")
    assert not (tmp_path / ".dispatch_lint_cache").exists()
    first, second = (run_cli("graph", str(tmp_path), "--format", "mermaid") for _ in range(2))
    assert list((tmp_path / ".dispatch_lint_cache").glob("facts-*.json"))
    assert uncached.returncode == 0 and uncached.stdout == first.stdout == second.stdout
    assert "ok.py:6" in second.stdout


@pytest.mark.parametrize("name", ["DSP103", "showcase", "DSP101", "DSP101_structure"])
def test_the_graph_of_blocking_sends_has_the_full_graph_s_cycles(name):
    """DSP103 asks a graph that draws only sends that may block at their
    callers: its cycles are those of the whole graph."""
    from dispatch_lint import registry
    from dispatch_lint.engine.runner import Engine
    from dispatch_lint.graph.facts import project_graph
    from dispatch_lint.rules import ALL_RULES

    folder = str(ROOT / "fixtures" / name)
    settings = registry.settings_for([folder], {"cache": False})
    project = Engine(settings, ALL_RULES, jobs=1).run([folder]).index
    full = bounded_cycles(project_graph(project))
    assert bounded_cycles(project_graph(project, blocking_only=True)) == full
    if name == "DSP103":
        assert any(edge.via for edge in full), "a cycle through a method's callers (`tell()`)"
