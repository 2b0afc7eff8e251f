"""`dispatch-lint check`: report findings for paths, or for stdin with `-`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Sequence

from dispatch_lint.engine.problems import UnreadableFileProblem, problem
from dispatch_lint.engine.sources import Unreadable, decode
from dispatch_lint.frontends import output, progress
from dispatch_lint.frontends.interrupted import settle_interrupted_fixes
from dispatch_lint.printable import printable_diagnostics
from dispatch_lint.types import ConfigError, Diagnostic

if TYPE_CHECKING:  # pragma: no cover
    from dispatch_lint.engine.runner import RunResult

# The rules, and with them LibCST, are imported only when the cache cannot
# answer: a warm run over an unchanged tree loads neither.

STDIN = "-"


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", default="text", choices=tuple(output.FORMATS),
                        help="text (default; colour on a terminal unless NO_COLOR is set), "
                             "concise, json, sarif or github")
    parser.add_argument("--statistics", action="store_true", help="print the number of findings per code")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument("--output-file", metavar="PATH", help="write the report to PATH instead of stdout")
    parser.add_argument("--stdin-filename", metavar="PATH",
                        help="with '-' as the path: the file name to report and to find settings by")
    parser.add_argument("--add-noqa", action="store_true",
                        help="add `# noqa: CODE` to every line with a finding, then exit")


def overrides_from(args: argparse.Namespace) -> Dict[str, Any]:
    return {
        "select": args.select,
        "extend-select": args.extend_select,
        "ignore": args.ignore,
        "cache": False if args.no_cache else None,
    }


def run_check(args: argparse.Namespace) -> int:
    reading_stdin = STDIN in args.paths
    if reading_stdin and len(args.paths) > 1:
        raise ConfigError("'-' (stdin) cannot be combined with other paths")
    if args.stdin_filename and not reading_stdin:
        raise ConfigError("--stdin-filename needs '-' as the path")
    if args.add_noqa and reading_stdin:
        raise ConfigError("--add-noqa edits files; it cannot read stdin")
    if not reading_stdin:
        settle_interrupted_fixes(args.paths, write=not args.no_cache)
    sources: Dict[str, str] = {}
    if reading_stdin:
        diagnostics = _check_stdin(args, sources)
    elif not args.add_noqa and (warm := _check_warm(args)) is not None:
        diagnostics = warm
    else:
        result = _check_paths(args)
        diagnostics = result.diagnostics
        if args.add_noqa:
            from dispatch_lint.frontends.add_noqa import add_noqa

            return add_noqa(diagnostics, result.sources, sys.stdout, sys.stderr)
    _emit(args, diagnostics, sources)
    return 1 if diagnostics and not args.exit_zero else 0


def _check_warm(args: argparse.Namespace) -> Any:
    from dispatch_lint.engine.warm import warm_check

    return warm_check(args.paths, overrides_from(args), not args.no_prefilter)


def _check_paths(args: argparse.Namespace) -> RunResult:
    from dispatch_lint import registry
    from dispatch_lint.engine.runner import Engine
    from dispatch_lint.engine.warm import remember
    from dispatch_lint.rules import ALL_RULES

    overrides = overrides_from(args)
    settings = registry.settings_for(args.paths, overrides)
    reporter = progress.for_stream(sys.stderr)
    engine = Engine(settings, ALL_RULES, jobs=args.jobs, prefilter=not args.no_prefilter, progress=reporter)
    try:
        result = engine.run(args.paths)
    finally:
        if reporter is not None:
            reporter.clear()
    remember(args.paths, overrides, not args.no_prefilter, engine)
    return result


def _check_stdin(args: argparse.Namespace, sources: Dict[str, str]) -> List[Diagnostic]:
    """Check the source on stdin as if it were the file `--stdin-filename`; its
    text goes into `sources` for the report's code frames."""
    from dispatch_lint import registry
    from dispatch_lint.engine.single import check_text
    from dispatch_lint.rules import ALL_RULES

    path = args.stdin_filename or STDIN
    anchor = os.path.dirname(os.path.abspath(path)) if args.stdin_filename else os.getcwd()
    settings = registry.settings_for([anchor], overrides_from(args))
    source = decode(path, sys.stdin.buffer.read())
    if isinstance(source, Unreadable):
        return [problem(UnreadableFileProblem, path, source.line, 1, source.reason)]
    sources[path] = source.text
    rules = [rule for rule in ALL_RULES if settings.enabled(rule.CODE)]
    index = None
    if any(rule.NEEDS_INDEX for rule in rules):
        from dispatch_lint.engine.index import ProjectIndex

        overlay = {path: source.text} if args.stdin_filename else None
        index = ProjectIndex.for_project(settings, {}, overlay, args.jobs or 1)
    found = check_text(settings, rules, path, source.text, index)
    return sorted(found, key=lambda d: d.sort_key)


def _emit(args: argparse.Namespace, diagnostics: Sequence[Diagnostic], sources: Dict[str, str]) -> None:
    diagnostics = printable_diagnostics(diagnostics)
    if args.output_file:
        try:
            os.makedirs(os.path.dirname(os.path.abspath(args.output_file)), exist_ok=True)
            with open(args.output_file, "w", encoding="utf-8", newline="\n") as out:
                out.write(_rendered(args, diagnostics, sources, color=False))
        except OSError as exc:
            raise ConfigError(f"cannot write --output-file {args.output_file}: {exc.strerror or exc}") from None
        return
    sys.stdout.write(_rendered(args, diagnostics, sources, color=output.use_color(sys.stdout)))


def _rendered(args: argparse.Namespace, diagnostics: Sequence[Diagnostic], sources: Dict[str, str],
              color: bool) -> str:
    if args.statistics:
        return output.statistics(diagnostics, as_json_list=args.format == "json")
    return output.render(args.format, diagnostics, color, sources)
