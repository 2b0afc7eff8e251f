"""A LibCST codemod that applies one dispatch-lint rule's fixes.

Under `python -m libcst.tool` the fixes are planned once over every given file
(`plan.py`): the same loop as `dispatch-lint fix --select CODE` over those
files, cascade and cross-file fixes included, each file with its own settings.
Each worker writes its file's share; findings left in a file are warnings.

Elsewhere (a host that hands over one module and no full-repository metadata)
the rule runs on that file alone, one pass: a fix whose edits reach another
file is skipped with a warning.
"""

from __future__ import annotations

import argparse
import os
from abc import ABC
from dataclasses import replace
from typing import ClassVar, Collection, Mapping, Optional, Sequence, Type

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import ProviderT

from dispatch_lint import registry
from dispatch_lint.codemods.plan import FixPlan, text_digest
from dispatch_lint.engine.runner import RunResult
from dispatch_lint.engine.single import check_text
from dispatch_lint.engine.sources import Source, Unreadable, read_source
from dispatch_lint.engine.syntax import SyntaxProblem, parse_ast
from dispatch_lint.fixes.loop import FixLoop
from dispatch_lint.rule import Rule
from dispatch_lint.types import ConfigError

STDIN = "-"


class UnparsableFile(Exception):
    """Raised before libcst.tool parses a file that would crash or fail its parser."""


class _OneFile:
    """Checks one in-memory file with one rule, for `FixLoop`."""

    def __init__(self, rule: Type, path: str, encoding: str) -> None:
        # Running a rule's codemod asks for that rule, whatever `select` says.
        self.settings = replace(registry.file_settings(path), select=(rule.CODE,), ignore=())
        self.rule = rule
        self.encoding = encoding
        self.index = registry.project_index(str(self.settings.root)) if rule.NEEDS_INDEX else None

    def run(self, paths: Sequence[str], overlay: Optional[Mapping[str, str]] = None) -> RunResult:
        [path] = paths
        text = (overlay or {})[path]
        found = check_text(self.settings, [self.rule], path, text, self.index)
        source = Source(path, text, self.encoding, False, "")
        return RunResult(sorted(found, key=lambda d: d.sort_key), [path], {path: source})


class RuleCodemod(VisitorBasedCodemodCommand, ABC):
    """Subclass with `CODE = "DSPxxx"` (and a DESCRIPTION) to expose a rule's rewrite."""

    CODE: ClassVar[str]
    METADATA_DEPENDENCIES = (FixPlan,)

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")

    def __init__(self, context: CodemodContext, unsafe_fixes: bool = False) -> None:
        super().__init__(context)
        self.unsafe_fixes = unsafe_fixes

    @classmethod
    def get_inherited_dependencies(cls) -> Collection[ProviderT]:
        """libcst.tool asks this in its main process just before it plans
        (`FixPlan.gen_cache`): that is where the plan learns the rule."""
        FixPlan.rule = cls.rule()
        return super().get_inherited_dependencies()

    @property
    def context(self) -> CodemodContext:
        return self._context

    @context.setter
    def context(self, value: CodemodContext) -> None:
        """libcst.tool sets the context just before it parses the file with LibCST,
        whose native parser dies on deep nesting: check the file with `ast` first,
        so such a file is reported as a failed file (DSP001) and the run goes on."""
        self._context = value
        if value.filename and os.path.isfile(value.filename):
            source = read_source(value.filename)
            if isinstance(source, Unreadable):
                raise UnparsableFile(f"DSP002 {value.filename}:{source.line}: {source.reason}")
            problem = parse_ast(source.text, value.filename)
            if isinstance(problem, SyntaxProblem):
                raise UnparsableFile(f"DSP001 {value.filename}:{problem.line}:{problem.column}: {problem.message}")

    @classmethod
    def rule(cls) -> Type:
        found = registry.find(cls.CODE)
        if found is None or not issubclass(found, Rule):
            raise ConfigError(f"{cls.__name__}: no rule {cls.CODE} is registered")
        return found

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        plan = self.get_metadata(FixPlan, original_node, None)
        if plan is not None:
            return self._planned(plan, updated_node)
        return self._one_file(updated_node)

    def _planned(self, plans: dict, module: cst.Module) -> cst.Module:
        plan = plans["unsafe" if self.unsafe_fixes and "unsafe" in plans else "safe"]
        if plan is None:
            return module
        for warning in plan["warnings"]:
            self.warn(warning)
        if plan["digest"] != text_digest(module.code):
            self.warn("the file changed after the fixes were planned; run the codemod again")
            return module
        if plan["text"] is None:
            return module
        return cst.parse_module(plan["text"], config=module.config_for_parsing)

    def _one_file(self, updated_node: cst.Module) -> cst.Module:
        path = os.path.normpath(self.context.filename) if self.context.filename else STDIN
        text = updated_node.code
        checker = _OneFile(self.rule(), path, updated_node.encoding)
        guard = (lambda edited: None if edited == path
                 else "is another file; cross-file fixes need `dispatch-lint fix`")
        outcome = FixLoop(checker, unsafe=self.unsafe_fixes, guard=guard, max_passes=1).run([path], {path: text})
        for remaining in outcome.remaining:
            d = remaining.diagnostic
            self.warn(f"{d.code} line {d.line}: {d.message} [{remaining.reason}]")
        fixed = outcome.changed().get(path)
        if fixed is None:
            return updated_node
        return cst.parse_module(fixed, config=updated_node.config_for_parsing)
