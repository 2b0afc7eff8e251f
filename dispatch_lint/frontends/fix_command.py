"""`dispatch-lint fix`: apply fixes in place, show them (`--diff`), or fix stdin (`-`).

Exit status: 0 when no finding remains, 1 when some remain (with `--diff`: also
when there is something to change), 2 for a usage or configuration error.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from dispatch_lint import registry
from dispatch_lint.engine.runner import Engine
from dispatch_lint.engine.sources import Unreadable, decode
from dispatch_lint.fixes.loop import FixLoop, FixOutcome
from dispatch_lint.fixes.report import summary, unified_diff
from dispatch_lint.fixes.write import edit_guard, write_outcome
from dispatch_lint.frontends import output
from dispatch_lint.frontends.check_command import overrides_from
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
    settle_interrupted_fixes(args.paths, write=not args.diff)
    settings = registry.settings_for(args.paths, overrides_from(args))
    # Fix texts are always computed afresh: a cached finding's edits could
    # belong to other bytes with the same size and mtime.
    fresh = dataclasses.replace(settings, cache=False)
    engine = Engine(fresh, ALL_RULES, jobs=args.jobs, prefilter=not args.no_prefilter)
    outcome = FixLoop(engine, unsafe=args.unsafe_fixes, guard=edit_guard(args.paths),
                      budget=settings.memory_budget).run(args.paths)
    if args.diff:
        return _show_diff(outcome)
    outcome.withdraw(write_outcome(outcome, settings.cache_dir, settings.root))
    sys.stdout.write(summary(outcome, written=True))
    return 1 if outcome.remaining else 0


def _show_diff(outcome: FixOutcome) -> int:
    diff = unified_diff(outcome)
    sys.stdout.write(output.color_diff(diff) if output.use_color(sys.stdout) else diff)
    sys.stderr.write(summary(outcome, written=False))
    return 1 if outcome.remaining or outcome.changed() else 0


def _fix_stdin(args: argparse.Namespace) -> int:
    """Fix the source on stdin as if it were the file `--stdin-filename`; print the result."""
    path = os.path.normpath(args.stdin_filename) if args.stdin_filename else STDIN
    anchor = os.path.dirname(os.path.abspath(path)) if args.stdin_filename else os.getcwd()
    settings = registry.settings_for([anchor], overrides_from(args))
    data = sys.stdin.buffer.read()
    source = decode(path, data)
    if isinstance(source, Unreadable):
        sys.stdout.buffer.write(data)
        sys.stderr.write(f"{path}:{source.line}:1: DSP002 {source.reason}\n")
        return 1
    engine = Engine(settings, ALL_RULES, jobs=1, prefilter=not args.no_prefilter)
    loop = FixLoop(engine, unsafe=args.unsafe_fixes, budget=settings.memory_budget,
                   guard=lambda edited: None if edited == path else "is not the file on stdin")
    outcome = loop.run([path], {path: source.text})
    if args.diff:
        return _show_diff(outcome)
    sys.stdout.buffer.write(source.encode(outcome.changed().get(path, source.text)))
    sys.stdout.flush()
    sys.stderr.write(summary(outcome, written=True))
    return 1 if outcome.remaining else 0
