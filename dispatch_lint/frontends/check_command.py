"""`dispatch-lint check`: report findings for paths, or for stdin with `-`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Sequence, Tuple

from dispatch_lint.engine.problems import UnreadableFileProblem, problem
from dispatch_lint.engine.sources import Unreadable, decode
from dispatch_lint.frontends import output, progress, streams
from dispatch_lint.frontends.interrupted import settle_interrupted_fixes
from dispatch_lint.printable import printable_diagnostics
from dispatch_lint.types import ConfigError, Diagnostic, InternalError

if TYPE_CHECKING:  # pragma: no cover
    from dispatch_lint.config import Settings
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
    parser.add_argument("--show-settings", metavar="PATH",
                        help="print the settings that apply to the file PATH, and where they come from")
    parser.add_argument("--show-files", action="store_true", help="list the files that would be checked")


def overrides_from(args: argparse.Namespace) -> Dict[str, Any]:
    return {
        "select": args.select,
        "extend-select": args.extend_select,
        "ignore": args.ignore,
        "cache": False if args.no_cache else None,
    }


def check_paths_exist(paths: Sequence[str]) -> None:
    for path in paths:
        if path != STDIN and not os.path.lexists(path):
            raise ConfigError(f"{path}: no such file or directory")


def project_groups(paths: Sequence[str]) -> List[List[str]]:
    """The paths grouped by project root, in the order first named: each project
    is one run (its own index, cache and root configuration)."""
    from pathlib import Path

    from dispatch_lint.config import find_project_root

    groups: Dict[str, List[str]] = {}
    for path in paths:
        groups.setdefault(str(find_project_root(Path(os.path.abspath(path)))), []).append(path)
    return list(groups.values())


def other_groups(groups: Sequence[Sequence[str]], paths: Sequence[str]) -> List[str]:
    """The paths of the other projects named in the same command."""
    return [path for group in groups if group is not paths for path in group]


def warn_no_files(paths: Sequence[str]) -> None:
    sys.stderr.write(f"dispatch-lint: warning: no Python files found in {' '.join(paths)}\n")


def run_check(args: argparse.Namespace) -> int:
    reading_stdin = STDIN in args.paths
    if reading_stdin and len(args.paths) > 1:
        raise ConfigError("'-' (stdin) cannot be combined with other paths")
    if args.stdin_filename and not reading_stdin:
        raise ConfigError("--stdin-filename needs '-' as the path")
    if args.add_noqa and reading_stdin:
        raise ConfigError("--add-noqa edits files; it cannot read stdin")
    check_paths_exist(args.paths)
    if args.show_settings:
        return _show_settings(args)
    if args.show_files:
        return _show_files(args)
    groups = project_groups(args.paths) if not reading_stdin else []
    for paths in groups:
        settle_interrupted_fixes(paths, write=not args.no_cache, config=args.config)
    sources: Dict[str, str] = {}
    if reading_stdin:
        diagnostics = _check_stdin(args, sources)
    elif not args.add_noqa and len(groups) == 1 and (warm := _check_warm(args)) is not None:
        diagnostics = warm
    else:
        results = [_check_paths(args, paths, other_groups(groups, paths)) for paths in groups]
        diagnostics = sorted((d for r in results for d in r.diagnostics), key=lambda d: d.sort_key)
        if not any(r.files for r in results):
            warn_no_files(args.paths)
        if args.add_noqa:
            from dispatch_lint.frontends.add_noqa import add_noqa

            noqa_sources = {path: source for r in results for path, source in r.sources.items()}
            return add_noqa(diagnostics, noqa_sources, sys.stdout, sys.stderr)
    _emit(args, diagnostics, sources)
    return 1 if diagnostics and not args.exit_zero else 0


def _check_warm(args: argparse.Namespace) -> Any:
    from dispatch_lint.engine.warm import warm_check

    return warm_check(args.paths, overrides_from(args), not args.no_prefilter, args.config, args.force_exclude)


def _check_paths(args: argparse.Namespace, paths: Sequence[str], others: Sequence[str] = ()) -> RunResult:
    from dispatch_lint import registry
    from dispatch_lint.engine.discovery import discover
    from dispatch_lint.engine.runner import Engine, RunResult
    from dispatch_lint.engine.warm import remember
    from dispatch_lint.rules import ALL_RULES

    overrides = overrides_from(args)
    settings = registry.settings_for(paths, overrides, args.config)
    files = discover(paths, settings, args.force_exclude)
    if not files:
        return RunResult([], [])  # nothing to check: no cache either
    reporter = progress.for_stream(sys.stderr)
    engine = Engine(settings, ALL_RULES, jobs=args.jobs, prefilter=not args.no_prefilter, progress=reporter,
                    force_exclude=args.force_exclude, other_projects=others)
    try:
        result = engine.run(paths, files=files)
    finally:
        if reporter is not None:
            reporter.clear()
    if len(paths) == len(args.paths):
        remember(paths, overrides, not args.no_prefilter, engine, args.config)
    return result


def stdin_settings(args: argparse.Namespace) -> Tuple[Settings, Settings, bool]:
    """The run's settings and the stdin file's own for `-`, and whether
    `--force-exclude` rules the file out."""
    from dispatch_lint import registry
    from dispatch_lint.engine.discovery import excluded

    path = os.path.abspath(args.stdin_filename) if args.stdin_filename else os.path.join(os.getcwd(), STDIN)
    run = registry.settings_for([os.path.dirname(path)], overrides_from(args), args.config)
    own = run.for_file(path)
    skip = bool(args.stdin_filename) and (args.force_exclude or own.force_exclude) and excluded(path, run)
    return run, own, skip


def _check_stdin(args: argparse.Namespace, sources: Dict[str, str]) -> List[Diagnostic]:
    """Check the source on stdin as if it were the file `--stdin-filename`; its
    text goes into `sources` for the report's code frames."""
    from dispatch_lint.engine.single import check_text
    from dispatch_lint.rules import ALL_RULES

    path = args.stdin_filename or STDIN
    run, settings, skip = stdin_settings(args)
    source = decode(path, sys.stdin.buffer.read())
    if skip:
        return []
    if isinstance(source, Unreadable):
        return [problem(UnreadableFileProblem, path, source.line, 1, source.reason)]
    sources[path] = source.text
    rules = [rule for rule in ALL_RULES if settings.enabled(rule.CODE)]
    index = None
    if any(rule.NEEDS_INDEX for rule in rules):
        from dispatch_lint.engine.index import ProjectIndex

        overlay = {path: source.text} if args.stdin_filename else None
        index = ProjectIndex.for_project(run, {}, overlay, args.jobs or 1)
    try:
        found = check_text(settings, rules, path, source.text, index)
    except Exception as exc:
        raise InternalError(path, f"{type(exc).__name__}: {exc}") from exc
    return sorted(found, key=lambda d: d.sort_key)


def _show_settings(args: argparse.Namespace) -> int:
    from dispatch_lint import registry

    path = os.path.abspath(args.show_settings)
    run = registry.settings_for([path], overrides_from(args), args.config)
    own = run.for_folder(path) if os.path.isdir(path) else run.for_file(path)
    lines = [f"Settings for {args.show_settings}",
             f"  from: {own.config_file or 'the defaults (no pyproject.toml with [tool.dispatch-lint])'}",
             f"  project root: {run.root}",
             f"  select = {list(own.select)}",
             f"  ignore = {list(own.ignore)}",
             f"  exclude = {list(own.exclude)}",
             f"  per-file-ignores = {dict((p, list(c)) for p, c in own.per_file_ignores)}",
             f"  force-exclude = {str(own.force_exclude).lower()}",
             f"  cache = {str(run.cache).lower()}, cache-dir = {run.cache_dir}"]
    lines += [f"  {name} = {_toml(value)}" for name, value in sorted(own.options.items())]
    lines.append(f"  enabled: {', '.join(code for code in registry.all_codes() if own.enabled(code)) or 'none'}")
    streams.write_stdout("".join(line + "\n" for line in lines))
    return 0


def _toml(value: Any) -> str:
    if isinstance(value, tuple):
        return repr(list(value))
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _show_files(args: argparse.Namespace) -> int:
    from dispatch_lint import registry
    from dispatch_lint.engine.discovery import discover

    files: List[str] = []
    for paths in project_groups(args.paths):
        settings = registry.settings_for(paths, overrides_from(args), args.config)
        files += discover(paths, settings, args.force_exclude)
    if not files:
        warn_no_files(args.paths)
    streams.write_stdout("".join(path + "\n" for path in sorted(set(files))))
    return 0


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
    streams.write_stdout(_rendered(args, diagnostics, sources, color=output.use_color(sys.stdout)))


def _rendered(args: argparse.Namespace, diagnostics: Sequence[Diagnostic], sources: Dict[str, str],
              color: bool) -> str:
    if args.statistics:
        return output.statistics(diagnostics, as_json_list=args.format == "json")
    return output.render(args.format, diagnostics, color, sources)
