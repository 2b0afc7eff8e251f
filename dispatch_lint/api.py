"""The public face for rule authors: rules import from here and nowhere else."""

from dispatch_lint.channels.construction import (
    ChannelCapacity,
    constructor_kind,
    evaluate,
    qualified_names,
    read_capacity,
    single_assigned_value,
)
from dispatch_lint.channels.inbox import ACTOR_INBOX, ChannelSite, has_marker, inbox_reason, module_name
from dispatch_lint.channels.table import CHANNEL_KINDS, TRIGGER_WORDS, ChannelKind, SendEnd
from dispatch_lint.config import Option
from dispatch_lint.rule import Invalid, Rule, RuleContext, Valid
from dispatch_lint.types import Applicability, Diagnostic, Edit, Fix, Position

__all__ = [
    "ACTOR_INBOX",
    "Applicability",
    "CHANNEL_KINDS",
    "ChannelCapacity",
    "ChannelKind",
    "ChannelSite",
    "Diagnostic",
    "Edit",
    "Fix",
    "Invalid",
    "Option",
    "Position",
    "Rule",
    "RuleContext",
    "SendEnd",
    "TRIGGER_WORDS",
    "Valid",
    "constructor_kind",
    "evaluate",
    "has_marker",
    "inbox_reason",
    "module_name",
    "qualified_names",
    "read_capacity",
    "single_assigned_value",
]
