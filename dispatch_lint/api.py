"""The public face for rule authors: rules import from here and nowhere else."""

from dispatch_lint.analysis.dead_async import Verdict as DeadAsyncVerdict
from dispatch_lint.analysis.dead_async import describe as describe_dead_async
from dispatch_lint.analysis.dead_async import findings as dead_async_findings
from dispatch_lint.analysis.dead_async import may_report
from dispatch_lint.channels.bounding import (
    capacity_edit,
    constant_edit,
    constant_usable,
    construction_text,
    no_bound_reason,
)
from dispatch_lint.channels.construction import (
    ChannelCapacity,
    capacity_argument,
    constructor_kind,
    evaluate,
    qualified_names,
    read_capacity,
    single_assigned_value,
)
from dispatch_lint.channels.capacity_paths import may_be_unbounded_on_a_path, unbounded_on_a_path
from dispatch_lint.channels.growth_uses import channel_growth
from dispatch_lint.channels.inbox import ACTOR_INBOX, ChannelSite, has_marker, inbox_reason, module_name
from dispatch_lint.channels.justification import DEFAULT_MARKER, JUSTIFICATION_WORDS, UNBOUNDED_MARKER, Justifier
from dispatch_lint.channels.screening import channel_screen
from dispatch_lint.channels.site import statement_lines
from dispatch_lint.channels.tracking import TRACKING_METADATA, ChannelBinding, ChannelMap, ChannelSend, channel_map
from dispatch_lint.channels.try_send import OVERLOADED_ERROR, TrySend, try_send
from dispatch_lint.channels.anchors import AnchoredSend, anchored_send, construction_at
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
    channel_sends,
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

__all__ = [
    "AWAITED_SEND_TEXT",
    "BLOCKING_SEND_TEXT",
    "AnchoredSend",
    "capacity_argument",
    "channel_sends",
    "Verdict",
    "anchored_send",
    "awaited_bounded_sends",
    "blocking_puts",
    "construction_at",
    "note_channel_reads",
    "unbounded_inboxes",
    "DeadAsyncVerdict",
    "may_report",
    "dead_async_findings",
    "describe_dead_async",
    "ACTOR_INBOX",
    "Applicability",
    "CHANNEL_KINDS",
    "ChannelBinding",
    "ChannelCapacity",
    "ChannelKind",
    "ChannelMap",
    "ChannelSend",
    "ChannelSite",
    "DEFAULT_MARKER",
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
    "TRACKING_METADATA",
    "TRIGGER_WORDS",
    "TrySend",
    "UNBOUNDED_MARKER",
    "Valid",
    "capacity_edit",
    "capacity_table",
    "channel_growth",
    "send_table",
    "send_cycles",
    "channel_map",
    "channel_screen",
    "constant_edit",
    "constant_usable",
    "construction_text",
    "constructor_kind",
    "cycle_text",
    "evaluate",
    "has_marker",
    "inbox_reason",
    "module_name",
    "no_bound_reason",
    "qualified_names",
    "read_capacity",
    "single_assigned_value",
    "may_be_unbounded_on_a_path",
    "statement_lines",
    "unbounded_on_a_path",
    "try_send",
]
