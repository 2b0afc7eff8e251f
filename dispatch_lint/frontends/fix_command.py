"""`dispatch-lint fix`: apply fixes in place, show them (`--diff`), or fix stdin (`-`).

Exit status: 0 when no finding remains, 1 when some remain, 2 for a usage or
configuration error. With `--diff`: 1 when there is something to change, else
0. With `--exit-non-zero-on-fix` (the pre-commit hook): 1 when a file changed,
else 0, and only what changed is printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import List, Optional

from dispatch_lint import registry
from dispatch_lint.engine.discovery import discover
from dispatch_lint.engine.runner import Engine
from dispatch_lint.engine.sources import Unreadable, decode
from dispatch_lint.fixes.loop import FixLoop, FixOutcome
from dispatch_lint.fixes.report import summary, unified_diff
from dispatch_lint.fixes.write import edit_guard, write_outcome
from dispatch_lint.frontends import output, streams
from dispatch_lint.frontends.check_command import (
    check_paths_exist,
    other_groups,
    overrides_from,
    project_groups,
    stdin_settings,
    warn_no_files,
)
from dispatch_lint.frontends.interrupted import settle_interrupted_fixes
from dispatch_lint.rules import ALL_RULES
from dispatch_lint.types import ConfigError

STDIN = "-"


def run_fix(args: argparse.Namespace) -> int:
    reading_stdin = STDIN in args.paths
    if reading_stdin and len(args.paths) > 1:
        raise ConfigError("'-' (stdin) cannot be combined with other paths")
    if args.stdin_filename and not reading_stdin:
        raise ConfigError("--stdin-filename needs '-' as the path")
    if reading_stdin:
        return _fix_stdin(args)
    check_paths_exist(args.paths)
    groups = project_groups(args.paths)
    statuses = [_fix_project(args, paths, other_groups(groups, paths)) for paths in groups]
    if all(status is None for status in statuses):
        warn_no_files(args.paths)
    return max((status or 0 for status in statuses), default=0)


def _fix_project(args: argparse.Namespace, paths: List[str], others: List[str]) -> Optional[int]:
    """Fix the paths of one project; None when there was no file to fix."""
    settle_interrupted_fixes(paths, write=not args.diff, config=args.config)
    settings = registry.settings_for(paths, overrides_from(args), args.config)
    if not discover(paths, settings, args.force_exclude):
        return None
    # Fix texts are always computed afresh: a cached finding's edits could
    # belong to other bytes with the same size and mtime.
    fresh = dataclasses.replace(settings, cache=False)
    engine = Engine(fresh, ALL_RULES, jobs=args.jobs, prefilter=not args.no_prefilter,
                    force_exclude=args.force_exclude, other_projects=others)
    outcome = FixLoop(engine, unsafe=args.unsafe_fixes, guard=edit_guard(paths),
                      budget=lambda path: settings.for_file(path).memory_budget).run(paths)
    if args.diff:
        return _show_diff(outcome)
    outcome.withdraw(write_outcome(outcome, settings.cache_dir, settings.root))
    if args.exit_non_zero_on_fix:
        return _report_changes(outcome)
    streams.write_stdout(summary(outcome, written=True))
    return 1 if outcome.remaining else 0


def _report_changes(outcome: FixOutcome) -> int:
    """For the pre-commit hook: what changed, and 1 when something did."""
    changed = sorted({path for fix in outcome.applied for path in fix.paths})
    lines = [f"Fixed {path}" for path in changed]
    for fix in sorted(outcome.applied, key=lambda f: f.diagnostic.sort_key):
        d = fix.diagnostic
        lines.append(f"  {d.path}:{d.line}: {d.code} {d.fix.description if d.fix else d.message}")
    streams.write_stdout("".join(line + "\n" for line in lines))
    return 1 if changed else 0


def _show_diff(outcome: FixOutcome) -> int:
    diff = unified_diff(outcome)
    streams.write_stdout(output.color_diff(diff) if output.use_color(sys.stdout) else diff)
    sys.stderr.write(summary(outcome, written=False))
    return 1 if outcome.changed() else 0


def _fix_stdin(args: argparse.Namespace) -> int:
    """Fix the source on stdin as if it were the file `--stdin-filename`; print the result."""
    path = os.path.normpath(args.stdin_filename) if args.stdin_filename else STDIN
    run, settings, skip = stdin_settings(args)
    data = sys.stdin.buffer.read()
    if skip:
        sys.stdout.buffer.write(data)
        return 0
    source = decode(path, data)
    if isinstance(source, Unreadable):
        sys.stdout.buffer.write(data)
        sys.stderr.write(f"{path}:{source.line}:1: DSP002 {source.reason}\n")
        return 1
    engine = Engine(run, ALL_RULES, jobs=1, prefilter=not args.no_prefilter)
    loop = FixLoop(engine, unsafe=args.unsafe_fixes, budget=settings.memory_budget,
                   guard=lambda edited: None if edited == path else "is not the file on stdin")
    outcome = loop.run([path], {path: source.text})
    if args.diff:
        return _show_diff(outcome)
    sys.stdout.buffer.write(source.encode(outcome.changed().get(path, source.text)))
    sys.stdout.flush()
    if args.exit_non_zero_on_fix:
        return 1 if outcome.changed() else 0
    sys.stderr.write(summary(outcome, written=True))
    return 1 if outcome.remaining else 0
