"""The flake8 plugin (prefix DSP): the same engine, one file at a time.

Each file gets the settings of its closest configuration, and the project index
comes from the project root, built once per process and only when a file has an
`async def` the index must judge, so flake8 reaches the same verdicts as
`dispatch-lint check`. The facts a file's verdicts unpacked are let go after
it: kept, they would be scanned at each of flake8's frequent full collections.
flake8 reports syntax errors itself (E999) and applies `# noqa` itself, so
flake8-noqa sees every comment the plugin relies on. A file that the
configuration's `exclude` (or .gitignore) rules out gets no finding, as in
`check`.

Loading the plugin imports nothing but this module: whatever goes wrong later
(a bad configuration, an internal error) is reported as one DSP000 finding at
the top of the file, and flake8 goes on with its other codes.
"""

from __future__ import annotations

import argparse
import ast
import platform
import sys
from typing import Iterator, Sequence, Tuple, Type

from dispatch_lint import __version__

INTERNAL = "DSP000"


class DispatchLintPlugin:
    name = "dispatch-lint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        """A broken configuration for the named paths stops flake8 with one line."""
        try:
            from dispatch_lint import registry
            from dispatch_lint.types import ConfigError
        except Exception:  # reported per file by `run`, which keeps flake8 going
            return
        try:
            for name in getattr(options, "filenames", None) or ["."]:
                registry.file_settings(name if name != "-" else "stdin")
        except ConfigError as exc:
            sys.stderr.write(f"dispatch-lint: error: {exc}\n")
            raise SystemExit(2) from None

    def run(self) -> Iterator[Tuple[int, int, str, Type["DispatchLintPlugin"]]]:
        try:
            found = list(self._check())
        except Exception as exc:  # the plugin must never stop flake8's other codes
            yield 1, 0, f"{INTERNAL} {_failure(exc)}", type(self)
            return
        for line, column, message in found:
            yield line, column, message, type(self)

    def _check(self) -> Iterator[Tuple[int, int, str]]:
        from dispatch_lint import registry
        from dispatch_lint.engine.single import check_text
        from dispatch_lint.rules import ALL_RULES

        if registry.excluded(self.filename):
            return
        settings = registry.file_settings(self.filename)
        rules = [rule for rule in ALL_RULES if settings.enabled(rule.CODE)]
        root = str(settings.root)
        tree = self.tree if isinstance(self.tree, ast.Module) else None
        found = check_text(settings, rules, self.filename, "".join(self.lines),
                           index_for=lambda: registry.project_index(root), tree=tree, noqa=False)
        registry.release_models()
        for d in found:
            yield d.line, d.column - 1, f"{d.code} {d.message}"


def _failure(exc: Exception) -> str:
    from dispatch_lint.types import ConfigError

    if isinstance(exc, ConfigError):
        return f"configuration error: {exc}"
    detail = " ".join(str(exc).split()) or "no detail"
    return (f"internal error (dispatch-lint {__version__}, Python {platform.python_version()}): "
            f"{type(exc).__name__}: {detail}")
