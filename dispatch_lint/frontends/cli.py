"""dispatch-lint finds and fixes backpressure and dispatch defects in asyncio, anyio and trio code.

Exit status: 0 when there are no findings, 1 when there are, 2 for a usage or
configuration error, or an internal error (one line: the version, the file and
the error). No traceback reaches the user for a bad input file.
"""

from __future__ import annotations

import argparse
import platform
import signal
import sys
from typing import List, Optional

from dispatch_lint import __version__
from dispatch_lint.frontends import streams
from dispatch_lint.types import ConfigError, InternalError


EPILOG = """examples:
  dispatch-lint check src/                 report findings
  dispatch-lint fix --diff src/            show the fixes, write nothing
  dispatch-lint fix --unsafe-fixes src/    apply safe and unsafe fixes
  dispatch-lint explain DSP101             what a rule finds and how to fix it

Settings live in [tool.dispatch-lint] in pyproject.toml."""


def _codes(value: str) -> List[str]:
    return [part.strip().upper() for part in value.split(",") if part.strip()]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."], help="files or folders (default: .)")
    parser.add_argument("--select", type=_codes, help="comma-separated codes or prefixes to enable")
    parser.add_argument("--extend-select", type=_codes, help="codes or prefixes to enable as well")
    parser.add_argument("--ignore", type=_codes, help="comma-separated codes or prefixes to disable")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: CPUs)")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the cache (a `fix` that writes still keeps its journal "
                             "in the cache folder)")
    parser.add_argument("--no-prefilter", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--config", metavar="PATH",
                        help="use this configuration file for every file (a pyproject.toml, or a TOML "
                             "file of [tool.dispatch-lint] keys) instead of each file's closest one")
    parser.add_argument("--force-exclude", action="store_true",
                        help="apply `exclude` even to files named on the command line")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dispatch-lint", description=__doc__.splitlines()[0], epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"dispatch-lint {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="report findings (exit 1 when there are some)",
                           description="Check files and folders and report each finding with its "
                                       "line of code. Exit status: 0 clean, 1 findings, 2 usage error.")
    _common(check)
    from dispatch_lint.frontends.check_command import add_check_arguments

    add_check_arguments(check)
    fix = sub.add_parser("fix", help="apply fixes in place (safe ones unless --unsafe-fixes)",
                         description="Apply fixes in place, repeating until nothing changes; every "
                                     "rewritten file is re-parsed before it is written. Safe fixes apply "
                                     "by default, unsafe ones with --unsafe-fixes; --diff only shows them.")
    _common(fix)
    fix.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    fix.add_argument("--diff", action="store_true", help="print a unified diff and write nothing")
    fix.add_argument("--stdin-filename", metavar="PATH",
                     help="with '-' as the path: the file the source on stdin stands for")
    fix.add_argument("--exit-non-zero-on-fix", action="store_true",
                     help="exit 1 only when a file changed, and print only what changed "
                          "(for the pre-commit hook; `check` reports the rest)")
    from dispatch_lint.frontends.graph_command import add_graph_arguments

    add_graph_arguments(sub.add_parser(
        "graph", help="print the channel graph (dot, mermaid, html, svg)",
        description="Print who sends to which channel: owners, drains, sends with capacities, "
                    "and the sends that carry a finding."))
    sub.add_parser("rules", help="list the rules and which of them can fix",
                   description="List every rule: its code, name, fix safety and what it finds.")
    explain = sub.add_parser("explain", help="print a rule's documentation",
                             description="Print a rule's documentation: what it finds, why, an "
                                         "example, the fix and its options.")
    explain.add_argument("code", help="a rule code, such as DSP101")
    sub.add_parser("server", help="run the language server over stdio (editors)",
                   description="Serve diagnostics and quick fixes to an editor over the Language Server "
                               "Protocol on stdio; needs the `server` extra.")
    return parser


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so that temporary files are removed on the way out."""
    raise SystemExit(128 + signum)


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread
        pass
    try:
        if args.command == "check":
            from dispatch_lint.frontends.check_command import run_check

            return run_check(args)
        if args.command == "fix":
            from dispatch_lint.frontends.fix_command import run_fix

            return run_fix(args)
        if args.command == "graph":
            from dispatch_lint.frontends.graph_command import run_graph

            return run_graph(args)
        if args.command == "server":
            from dispatch_lint.frontends.server import serve

            return serve()
        if args.command == "rules":
            from dispatch_lint.frontends.docs import rules_table

            sys.stdout.write(rules_table())
            return 0
        return _explain(args.code)
    except ConfigError as exc:
        sys.stderr.write(f"dispatch-lint: error: {exc}\n")
        return 2
    except BrokenPipeError:
        streams.silence_stdout()
        return 1
    except OSError as exc:  # a path or output that cannot be used: no traceback
        where = f" {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"dispatch-lint: error:{where} {exc.strerror or exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("dispatch-lint: interrupted\n")
        return 130
    except Exception as exc:  # a bug: one line the user can report, never the findings status
        sys.stderr.write(f"dispatch-lint: {internal_error(exc)}\n")
        return 2


def internal_error(exc: BaseException) -> str:
    """One line: the version, the file (when known) and the error."""
    where = f" in {exc.path}" if isinstance(exc, InternalError) else ""
    cause = exc.detail if isinstance(exc, InternalError) else f"{type(exc).__name__}: {exc}"
    return (f"internal error (dispatch-lint {__version__}, Python {platform.python_version()}){where}: "
            f"{' '.join(cause.split())}")


def _explain(code: str) -> int:
    from dispatch_lint import registry
    from dispatch_lint.frontends.docs import rule_doc

    rule = registry.find(code)
    if rule is None:
        raise ConfigError(f"unknown rule '{code}'; `dispatch-lint rules` lists them")
    sys.stdout.write(rule_doc(rule))
    return 0
