"""`dispatch-lint check`."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Dict

from dispatch_lint import registry
from dispatch_lint.engine.runner import Engine
from dispatch_lint.frontends import output
from dispatch_lint.rules import ALL_RULES
from dispatch_lint.types import ConfigError


def overrides_from(args: argparse.Namespace) -> Dict[str, Any]:
    return {
        "select": args.select,
        "extend-select": args.extend_select,
        "ignore": args.ignore,
        "cache": False if args.no_cache else None,
    }


def run_check(args: argparse.Namespace) -> int:
    if args.format not in output.FORMATS:
        raise ConfigError(f"unknown format '{args.format}'; choose from {', '.join(output.FORMATS)}")
    settings = registry.settings_for(args.paths, overrides_from(args))
    engine = Engine(settings, ALL_RULES, jobs=args.jobs, prefilter=not args.no_prefilter)
    result = engine.run(args.paths)
    sys.stdout.write(output.FORMATS[args.format](result.diagnostics))
    if args.format == "text":
        sys.stdout.write(output.summary(result.diagnostics))
    return 1 if result.diagnostics else 0
