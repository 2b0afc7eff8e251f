"""Analyse one file: the text pre-filter, the rules that report from the index
facts, then (only if a rule needs it) one LibCST parse and one batched pass."""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence, Type

from dispatch_lint.config import DEFAULT_MEMORY_BUDGET
from dispatch_lint.engine.noqa import unsuppressed
from dispatch_lint.engine.problems import SyntaxErrorProblem, problem
from dispatch_lint.engine.syntax import LIBCST_BYTES_PER_BYTE, over_budget
from dispatch_lint.types import Diagnostic


def rules_for(rules: Sequence[Type], text: str, facts: Any, prefilter: bool) -> List[Type]:
    if not prefilter:
        return list(rules)
    return [rule for rule in rules if rule.could_report(text, facts)]


def analyse_text(
    path: str,
    text: str,
    rules: Sequence[Type],
    options: Mapping[str, Any],
    index: Optional[Any] = None,
    budget: Optional[int] = DEFAULT_MEMORY_BUDGET,
    noqa: bool = True,
) -> List[Diagnostic]:
    """Run `rules` (already pre-filtered) over `text`, which `ast` accepted:
    those that report from the index facts first, then, if any rule remains
    that needs the CST, one LibCST parse and one batched pass (refused, as
    DSP001, when its estimated memory exceeds `budget` bytes). `noqa=False`
    leaves `# noqa` comments to the host (flake8 applies them itself)."""
    if not rules:
        return []
    from dispatch_lint.rule import RuleContext, visit_rules

    context = RuleContext(path=path, text=text, module=None, options=options, index=index)
    for rule in rules:
        if not rule.NEEDS_CST:
            rule(context).check_facts()
    visitors = [rule for rule in rules if rule.NEEDS_CST]
    if visitors:
        refusal = over_budget(text, LIBCST_BYTES_PER_BYTE, budget)
        if refusal:
            return [problem(SyntaxErrorProblem, path, 1, 1, refusal)]
        import libcst as cst

        try:
            context.module = cst.parse_module(text)
        except cst.ParserSyntaxError as exc:
            # `ast` accepted the file: this is a limit of LibCST's parser (such
            # as thousands of implicitly concatenated strings), not a syntax error.
            return [problem(SyntaxErrorProblem, path, exc.raw_line, exc.raw_column + 1,
                            f"LibCST cannot parse this file, which Python accepts: {exc.message.splitlines()[0]}")]
        try:
            visit_rules(context.module, [rule(context) for rule in visitors])
        except RecursionError:
            return [problem(SyntaxErrorProblem, path, 1, 1, "too deeply nested to analyse")]
    kept = unsuppressed(context.reports, text) if noqa else context.reports
    return sorted(kept, key=lambda d: d.sort_key)


def parses(rules: Sequence[Type]) -> bool:
    """Whether `analyse_text` parses the file with LibCST for these rules."""
    return any(rule.NEEDS_CST for rule in rules)
