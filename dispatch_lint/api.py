"""The public face for rule authors: rules import from here and nowhere else.

The helpers that work on a file's LibCST tree (`TREE_HELPERS`) are imported on
their first use, and a rule imports them inside the visit that needs them: a
run whose files hold nothing to report never loads LibCST.
"""

from importlib import import_module
from typing import Any, Dict, List, Mapping, Tuple

from dispatch_lint.analysis.dead_async import Verdict as DeadAsyncVerdict
from dispatch_lint.analysis.dead_async import describe as describe_dead_async
from dispatch_lint.analysis.dead_async import findings as dead_async_findings
from dispatch_lint.analysis.dead_async import may_report
from dispatch_lint.channels.inbox import ACTOR_INBOX, OVERLOADED_ERROR, inbox_reason
from dispatch_lint.channels.justification import (
    DEFAULT_MARKER,
    JUSTIFICATION_WORDS,
    UNBOUNDED_MARKER,
    Justifier,
    Subject,
)
from dispatch_lint.channels.provenance import channel_model
from dispatch_lint.channels.table import (
    AWAITED_SEND_TEXT,
    BLOCKING_SEND_TEXT,
    CHANNEL_KINDS,
    TRIGGER_WORDS,
    ChannelKind,
    SendEnd,
)
from dispatch_lint.channels.verdicts import (
    Verdict,
    calls_a_passed_constructor,
    channel_sends,
    unbounded_constructions,
    awaited_bounded_sends,
    blocking_puts,
    note_channel_reads,
    unbounded_inboxes,
)
from dispatch_lint.channels.table_docs import capacity_table, send_table
from dispatch_lint.config import Option
from dispatch_lint.graph.cycles import cycle_text
from dispatch_lint.graph.facts import send_cycles
from dispatch_lint.rule import Invalid, Rule, RuleContext, Valid
from dispatch_lint.types import Applicability, Diagnostic, Edit, Fix, Position, Related

# The helpers that anchor verdicts on a file's LibCST tree and build rewrites
# there, by module; each loads LibCST.
TREE_HELPERS: Dict[str, Tuple[str, ...]] = {
    "dispatch_lint.channels.anchors": ("AnchoredSend", "anchored_send", "construction_at"),
    "dispatch_lint.channels.bounding": (
        "Unbounded",
        "capacity_edit",
        "constant_edit",
        "constant_usable",
        "construction_text",
        "module_binds",
        "no_bound_reason",
        "reusable_constant",
        "unbounded_at",
    ),
    "dispatch_lint.channels.growth_uses": ("channel_growth",),
    "dispatch_lint.channels.site": ("statement_lines",),
    "dispatch_lint.channels.try_send": ("TrySend", "try_send"),
}


def __getattr__(name: str) -> Any:
    """A tree helper, imported on first use (PEP 562)."""
    for module, names in TREE_HELPERS.items():
        if name in names:
            value = globals()[name] = getattr(import_module(module), name)
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ChannelVerdictRule(Rule):
    """A channel rule whose verdicts on a file come from the project's channel
    model: `verdicts(project, path, options)` is asked once for the pre-filter
    (no verdict: LibCST never parses the file for this rule) and again by the
    visit, which anchors each verdict on the file's tree."""

    NEEDS_INDEX = True

    @classmethod
    def verdicts(cls, project: Any, path: str, options: Mapping[str, Any]) -> List[Any]:
        raise NotImplementedError(f"{cls.CODE} does not define verdicts()")

    @classmethod
    def could_report(cls, text: str, facts: Any = None) -> bool:
        if facts is None or facts.index is None:
            return super().could_report(text, facts)
        return bool(cls.read_project(facts))

    @classmethod
    def read_project(cls, facts: Any) -> object:
        note_channel_reads(facts.index, facts.path)
        return cls.verdicts(facts.index, facts.path, facts.index.options_for(facts.path))

    def own_verdicts(self) -> List[Any]:
        """The verdicts on the checked file, with its own options."""
        project = self.context.index
        return [] if project is None else self.verdicts(project, self.context.path, self.options)


__all__ = [
    "ChannelVerdictRule",
    "ACTOR_INBOX",
    "AWAITED_SEND_TEXT",
    "Applicability",
    "BLOCKING_SEND_TEXT",
    "CHANNEL_KINDS",
    "ChannelKind",
    "DEFAULT_MARKER",
    "DeadAsyncVerdict",
    "Diagnostic",
    "Edit",
    "Fix",
    "Invalid",
    "JUSTIFICATION_WORDS",
    "Justifier",
    "OVERLOADED_ERROR",
    "Option",
    "Position",
    "Related",
    "Rule",
    "RuleContext",
    "SendEnd",
    "Subject",
    "TRIGGER_WORDS",
    "UNBOUNDED_MARKER",
    "Valid",
    "Verdict",
    "awaited_bounded_sends",
    "blocking_puts",
    "calls_a_passed_constructor",
    "capacity_table",
    "channel_model",
    "channel_sends",
    "cycle_text",
    "dead_async_findings",
    "describe_dead_async",
    "inbox_reason",
    "may_report",
    "note_channel_reads",
    "send_cycles",
    "send_table",
    "unbounded_constructions",
    "unbounded_inboxes",
    *(name for names in TREE_HELPERS.values() for name in names),
]
