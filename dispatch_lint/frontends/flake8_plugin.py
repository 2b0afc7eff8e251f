"""The flake8 plugin (prefix DSP): the same engine, one file at a time.

Settings come from the project's pyproject.toml, and the project index from the
project root, built once per process and only when a file has an `async def`
the index must judge, so flake8 reaches the same verdicts as `dispatch-lint
check`. flake8 reports syntax errors itself (E999), so the plugin never sees a
file that does not parse.
"""

from __future__ import annotations

import ast
import os
from typing import Iterator, Sequence, Tuple, Type

from dispatch_lint import __version__, registry
from dispatch_lint.engine.single import check_text
from dispatch_lint.rules import ALL_RULES


class DispatchLintPlugin:
    name = "dispatch-lint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[Tuple[int, int, str, Type["DispatchLintPlugin"]]]:
        if self.filename in ("stdin", "-"):
            folder = os.getcwd()
        else:
            folder = os.path.dirname(os.path.abspath(self.filename))
        settings = registry.settings_for_folder(folder)
        rules = [rule for rule in ALL_RULES if settings.enabled(rule.CODE)]
        text = "".join(self.lines)
        root = str(settings.root)
        tree = self.tree if isinstance(self.tree, ast.Module) else None
        for d in check_text(settings, rules, self.filename, text, index_for=lambda: registry.project_index(root),
                            tree=tree):
            yield d.line, d.column - 1, f"{d.code} {d.message}", type(self)
