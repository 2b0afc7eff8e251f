"""The rule base class: one LibCST visitor per rule, run in one batched pass.

Importing a rule does not import LibCST: the engine loads it only to parse a
file that some rule's pre-filter lets through, so a run whose files hold
nothing to report never loads it. A rule is a batchable visitor by LibCST's
protocol (`get_visitors()`), not by inheritance, and it imports the public
face's tree helpers inside the visit that uses them.

A rule declares its code, name, documentation (ruff's layout, in the class
docstring), the settings it reads, a cheap text pre-filter and its own example
cases. It calls `report()`; suppression, sorting and fix checking happen in the
engine, so rule authors never see them. A rule whose verdicts come from the
project index's `ast` facts alone sets `NEEDS_CST = False` and reports from
`check_facts()` with positions (`report_span()`): LibCST never parses a file
for it.
"""

from __future__ import annotations

import inspect
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from typing import (TYPE_CHECKING, Any, Callable, ClassVar, Dict, FrozenSet, List, Mapping, Optional,
                    Protocol, Sequence, Tuple, Type, Union)

from dispatch_lint.config import Option
from dispatch_lint.text import line_starts
from dispatch_lint.types import Applicability, Diagnostic, Edit, Fix, Position, Related

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst
    from libcst.metadata import CodeRange

    from dispatch_lint.model.project import Project as ProjectIndex

@dataclass(frozen=True)
class Valid:
    """Code on which the rule must report nothing."""

    code: str
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Invalid:
    """Code on which the rule must report; `expected_replacement` is the whole
    module after applying every fix the rule offers (safe and unsafe)."""

    code: str
    expected_replacement: Optional[str] = None
    expected_message: Optional[str] = None
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class RuleContext:
    """What a rule may read about the file it checks (`module` is None for
    rules that do not need the CST)."""

    path: str
    text: str
    module: Optional[cst.Module]
    options: Mapping[str, Any]
    index: Optional["ProjectIndex"] = None
    reports: List[Diagnostic] = field(default_factory=list)
    _line_starts: Optional[List[int]] = field(default=None, init=False, repr=False, compare=False)

    def _starts(self) -> List[int]:
        if self._line_starts is None:
            self._line_starts = line_starts(self.text)
        return self._line_starts

    def position(self, offset: int) -> Position:
        """The 1-based line and character column of an offset into `text`."""
        starts = self._starts()
        line = bisect_right(starts, offset)
        return Position(line, offset - starts[line - 1] + 1)

    def offset(self, line: int) -> Optional[int]:
        """Where 1-based `line` starts in `text` (lines split as Python's tokenizer
        does); None when the text has no such line."""
        starts = self._starts()
        return starts[line - 1] if 1 <= line <= len(starts) else None


class TextPattern(Protocol):
    """A compiled pattern, or anything with its `search`."""

    def search(self, text: str) -> Optional[object]: ...


# Several rules share triggers, and the engine asks twice per file: the answers
# for the last text asked about, by trigger.
_TRIGGERED: Dict[Any, bool] = {}
_TRIGGERED_TEXT: List[str] = []


def _triggered(trigger: Union[str, TextPattern], text: str) -> bool:
    if not _TRIGGERED_TEXT or _TRIGGERED_TEXT[0] is not text:
        _TRIGGERED_TEXT[:] = [text]
        _TRIGGERED.clear()
    found = _TRIGGERED.get(trigger)
    if found is None:
        found = _TRIGGERED[trigger] = trigger in text if isinstance(trigger, str) else trigger.search(text) is not None
    return found


class Rule:
    CODE: ClassVar[str]
    NAME: ClassVar[str]
    MESSAGE: ClassVar[str]
    # What to do about a finding, in one sentence: the text format shows it once
    # per rule as a `help:` line, so the message itself stays short.
    HELP: ClassVar[str] = ""
    # The applicabilities of the fixes the rule can offer (empty: it never fixes).
    FIXES: ClassVar[Tuple[Applicability, ...]] = ()
    # The rule can only report in files whose text holds one of these strings
    # or matches one of these compiled patterns.
    TRIGGERS: ClassVar[Tuple[Union[str, TextPattern], ...]] = ()
    OPTIONS: ClassVar[Tuple[Option, ...]] = ()
    # True when the rule queries the project index (built once per run).
    NEEDS_INDEX: ClassVar[bool] = False
    # False when the rule reports from the text and the project index alone:
    # the engine calls `check_facts()` instead of visiting a LibCST tree.
    NEEDS_CST: ClassVar[bool] = True
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()

    def __init__(self, context: RuleContext) -> None:
        self.context = context
        self.options = context.options

    def get_visitors(self) -> Dict[str, Callable[[Any], None]]:
        """The rule's `visit_<Node>` and `leave_<Node>` methods, by name (LibCST's
        batched-visitor protocol). Positions come from `node_range()`: LibCST's
        metadata providers (a walk of the tree each) are not resolved for rules."""
        return {name: getattr(self, name) for name in visitor_names(type(self))}

    @classmethod
    def could_report(cls, text: str, facts: Any = None) -> bool:
        """Cheap, conservative pre-filter: False only when no finding is possible."""
        return any(_triggered(trigger, text) for trigger in cls.TRIGGERS)

    @classmethod
    def read_project(cls, facts: Any) -> object:
        """Ask the project model everything this rule's verdicts on the file
        ask (the cache key of the file's result is derived from those reads)."""
        return cls.could_report("", facts)

    @classmethod
    def generated_docs(cls) -> str:
        """Markdown generated from the program's own data (a library list from the
        channel table), added at the end of the docs' "What it does"."""
        return ""

    def check_facts(self) -> None:
        """Report from `self.context` (text, options, project index; no `module`)
        with `report_span()`; called instead of the visit when NEEDS_CST is False."""
        raise NotImplementedError(f"{self.CODE} sets NEEDS_CST = False but does not define check_facts()")

    # -- reporting -------------------------------------------------------------

    def report(
        self,
        node: cst.CSTNode,
        message: Optional[str] = None,
        *,
        fix: Optional[Fix] = None,
        no_fix_reason: Optional[str] = None,
        position: Optional[CodeRange] = None,
        related: Sequence[Related] = (),
        help: Optional[str] = None,
    ) -> None:
        where = position or self.node_range(node)
        self.report_span(Position(where.start.line, where.start.column + 1),
                         Position(where.end.line, where.end.column + 1),
                         message, fix=fix, no_fix_reason=no_fix_reason, related=related, help=help)

    def report_span(
        self,
        start: Position,
        end: Position,
        message: Optional[str] = None,
        *,
        fix: Optional[Fix] = None,
        no_fix_reason: Optional[str] = None,
        related: Sequence[Related] = (),
        help: Optional[str] = None,
    ) -> None:
        """Report the text between two positions (1-based lines and character columns);
        `related` are other places the finding points at (where its channel was built);
        `help` replaces the rule's `HELP` when the how-to depends on the settings."""
        how_to = help or self.HELP
        self.context.reports.append(
            Diagnostic(
                path=self.context.path,
                line=start.line,
                column=start.column,
                end_line=end.line,
                end_column=end.column,
                code=self.CODE,
                name=self.NAME,
                message=message or self.MESSAGE,
                fix=fix,
                no_fix_reason=no_fix_reason,
                extra=(("help", how_to),) if how_to else (),
                related=tuple(related),
            )
        )

    # -- building fixes --------------------------------------------------------

    def node_range(self, node: cst.CSTNode) -> CodeRange:
        """PositionProvider's range of `node`, computed on first use for the
        top-level statements asked about (most files a rule visits get no
        finding and need none)."""
        from dispatch_lint.cst_tree import statement_trees

        return statement_trees(self.context.module, self.context.text).position(node)

    def replace(self, node: cst.CSTNode, new: Union[str, cst.CSTNode]) -> Edit:
        """An edit replacing `node` (without its parentheses) by `new`."""
        if not isinstance(new, str):
            if hasattr(new, "lpar"):
                new = new.with_changes(lpar=[], rpar=[])
            new = self.context.module.code_for_node(new)
        where = self.node_range(node)
        return Edit(
            self.context.path,
            Position(where.start.line, where.start.column + 1),
            Position(where.end.line, where.end.column + 1),
            new,
        )

    def insert_before(self, node: cst.CSTNode, text: str) -> Edit:
        start = self.node_range(node).start
        at = Position(start.line, start.column + 1)
        return Edit(self.context.path, at, at, text)

    def delete_prefix(self, node: cst.CSTNode, prefix: str) -> Edit:
        """Delete `prefix` (a keyword and its whitespace) at the start of `node`."""
        start = self.node_range(node).start
        return self.delete_text(Position(start.line, start.column + 1), prefix)

    def delete_text(self, start: Position, text: str) -> Edit:
        """Delete `text`, which the file holds at `start` (it may span lines)."""
        end_line, end_col = start.line, start.column
        for part in text.splitlines(keepends=True):
            if part.endswith(("\n", "\r")):
                end_line, end_col = end_line + 1, 1
            else:
                end_col += len(part)
        return Edit(self.context.path, start, Position(end_line, end_col), "")

    @staticmethod
    def make_fix(applicability: Applicability, description: str, *edits: Edit) -> Fix:
        return Fix(applicability, tuple(edits), description)


MODULE_VISITS = frozenset({"visit_Module", "leave_Module"})


@lru_cache(maxsize=None)
def visitor_names(rule_class: Type[Rule]) -> FrozenSet[str]:
    """The names of the visitor methods a rule class defines (`visit_Name`,
    `leave_Call`, `visit_If_test`...)."""
    return frozenset(name for name, _ in inspect.getmembers(rule_class, inspect.isfunction)
                     if name.startswith(("visit_", "leave_")))


def visits_only_the_module(rule_class: Type[Rule]) -> bool:
    """Whether the rule defines no visitor method but `visit_Module`/`leave_Module`."""
    return visitor_names(rule_class) <= MODULE_VISITS


def visit_rules(module: cst.Module, rules: Sequence[Rule]) -> None:
    """LibCST's batched visit of `rules` over `module`. When every rule only
    visits the module node, their `visit_Module` and `leave_Module` are called
    without walking the tree (LibCST's walk rebuilds every node)."""
    if not all(visits_only_the_module(type(rule)) for rule in rules):
        import libcst

        libcst.visit_batched(module, rules)  # type: ignore[arg-type]
        return
    for rule in rules:
        if hasattr(rule, "visit_Module"):
            rule.visit_Module(module)
    for rule in rules:
        if hasattr(rule, "leave_Module"):
            rule.leave_Module(module)
