"""`dispatch-lint graph`: print the project's channel graph (dot, mermaid, html, svg)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Dict, List, Tuple

from dispatch_lint.types import ConfigError

FORMATS = ("dot", "mermaid", "html", "svg")


def add_graph_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."], help="files or folders whose sends are drawn (default: .)")
    parser.add_argument("--format", choices=FORMATS, default="dot", help="output format (default: dot)")
    parser.add_argument("--focus", metavar="NAME",
                        help="only this class, function or channel and its neighbours (short or qualified name)")
    parser.add_argument("--depth", type=int, default=1, help="with --focus: how many edges away (default: 1)")
    parser.add_argument("--link", metavar="TEMPLATE",
                        help="link of a node or edge, from {path} {absolute} {line} {column} "
                             "(e.g. vscode://file/{absolute}:{line}:{column}; html default: file://{absolute})")
    parser.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: CPUs)")


def run_graph(args: argparse.Namespace) -> int:
    from dispatch_lint.graph.links import check_template, link_maker

    template = args.link if args.link is not None else ("file://{absolute}" if args.format in ("html", "svg") else None)
    problem = check_template(template) if template is not None else None
    if problem:
        raise ConfigError(problem)
    graph = build_graph(args.paths, args.jobs)
    if args.focus:
        try:
            graph = graph.focus(args.focus, max(args.depth, 0))
        except KeyError:
            raise ConfigError(f"--focus: nothing named '{args.focus}' sends to or drains a channel") from None
    text = render(graph, args.format, link_maker(template))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return 0


def render(graph: Any, fmt: str, link: Any) -> str:
    from dispatch_lint.graph import dot, html, mermaid

    if fmt == "dot":
        return dot.render_dot(graph, link)
    if fmt == "mermaid":
        return mermaid.render_mermaid(graph, link)
    return html.render_html(graph, link) if fmt == "html" else html.render_svg(graph, link)


def build_graph(paths: List[str], jobs: Any = None) -> Any:
    """The graph of the sends made in `paths`, with DSP101 and DSP103 marked."""
    from dispatch_lint import registry
    from dispatch_lint.engine.discovery import discover
    from dispatch_lint.engine.index import ProjectIndex
    from dispatch_lint.engine.pool import default_jobs
    from dispatch_lint.graph.facts import project_graph

    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise ConfigError(f"no such file or folder: {', '.join(missing)}")
    settings = registry.settings_for(paths, {})
    files = [os.path.realpath(p) for p in discover(paths, settings)]
    project = ProjectIndex.for_project(settings, {}, None, jobs or default_jobs())
    graph = project_graph(project, files)
    return graph.with_findings(_findings(project, settings, files))


def _findings(project: Any, settings: Any, files: List[str]) -> Dict[Any, Tuple[str, ...]]:
    from dispatch_lint.channels.inbox import ACTOR_INBOX
    from dispatch_lint.channels.verdicts import awaited_bounded_sends
    from dispatch_lint.graph.cycles import bounded_cycles
    from dispatch_lint.graph.facts import project_graph

    found: Dict[Any, Tuple[str, ...]] = {}
    if settings.enabled("DSP103"):
        for edge in bounded_cycles(project_graph(project)):
            found[edge.location] = ("DSP103",)
    if settings.enabled("DSP101"):
        inbox = settings.options.get(ACTOR_INBOX.name, ACTOR_INBOX.default)
        for path in files:
            for verdict in awaited_bounded_sends(project, path, inbox):
                key = _location(project, path, verdict.line, verdict.column)
                found[key] = tuple(sorted({*found.get(key, ()), "DSP101"}))
    return found


def _location(project: Any, path: str, line: int, column: int) -> Any:
    from dispatch_lint.graph.types import Location

    real = os.path.realpath(path)
    return Location(project.display(real), line, column, real)


__all__ = ["add_graph_arguments", "run_graph"]
