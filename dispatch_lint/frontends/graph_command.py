"""`dispatch-lint graph`: print the project's channel graph (dot, mermaid, html, svg)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Dict, List, Set, Tuple

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
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the facts cache")


def run_graph(args: argparse.Namespace) -> int:
    from dispatch_lint.graph.links import check_template, link_maker

    template = args.link if args.link is not None else ("file://{absolute}" if args.format in ("html", "svg") else None)
    problem = check_template(template) if template is not None else None
    if problem:
        raise ConfigError(problem)
    graph = build_graph(args.paths, args.jobs, cache=not args.no_cache)
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


def build_graph(paths: List[str], jobs: Any = None, cache: bool = True) -> Any:
    """The graph of the sends made in `paths`, with the findings at its sends marked;
    the facts of unchanged files come from the facts cache `check` shares."""
    from dispatch_lint import registry
    from dispatch_lint.engine.discovery import discover
    from dispatch_lint.engine.pool import default_jobs
    from dispatch_lint.graph.facts import project_graph

    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise ConfigError(f"no such file or folder: {', '.join(missing)}")
    settings = registry.settings_for(paths, {} if cache else {"cache": False})
    files = [os.path.realpath(p) for p in discover(paths, settings)]
    project = registry.indexed_project(settings, jobs or default_jobs())
    unread = [f for f in files if project.file(f) is None]
    if unread:
        sys.stderr.write(f"dispatch-lint: {len(unread)} file(s) not drawn: they do not parse or cannot be read "
                         f"(`dispatch-lint check` says why), e.g. {project.display(unread[0])}\n")
    graph = project_graph(project, files)
    return graph.with_findings(_findings(project, settings, files))


def _findings(project: Any, settings: Any, files: List[str]) -> Dict[Any, Tuple[str, ...]]:
    """The rule codes reported at each send: DSP101, DSP102 and DSP103, when the
    configuration of the file making the send enables them."""
    from dispatch_lint.channels.inbox import ACTOR_INBOX
    from dispatch_lint.channels.verdicts import awaited_bounded_sends, blocking_puts
    from dispatch_lint.graph.cycles import bounded_cycles
    from dispatch_lint.graph.facts import project_graph

    found: Dict[Any, Set[str]] = {}
    for edge in bounded_cycles(project_graph(project)):
        if settings.for_file(edge.location.absolute or edge.location.path).enabled("DSP103"):
            found.setdefault(edge.location, set()).add("DSP103")
    for path in files:
        own = settings.for_file(path)  # each file's own configuration
        inbox = own.options.get(ACTOR_INBOX.name, ACTOR_INBOX.default)
        verdicts = [("DSP101", v) for v in awaited_bounded_sends(project, path, inbox) if own.enabled("DSP101")]
        verdicts += [("DSP102", v) for v in blocking_puts(project, path) if own.enabled("DSP102")]
        for code, verdict in verdicts:
            found.setdefault(_location(project, path, verdict.line, verdict.column), set()).add(code)
    return {location: tuple(sorted(codes)) for location, codes in found.items()}


def _location(project: Any, path: str, line: int, column: int) -> Any:
    from dispatch_lint.graph.types import Location

    real = os.path.realpath(path)
    return Location(project.display(real), line, column, real)


__all__ = ["add_graph_arguments", "run_graph"]
