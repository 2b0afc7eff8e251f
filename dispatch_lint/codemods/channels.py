"""The channel rules' rewrites as codemods (settings such as `overloaded-error`,
`default-capacity` and `inbox-capacity` come from each file's configuration)."""

from dispatch_lint.codemods.base import RuleCodemod


class TrySendToInbox(RuleCodemod):
    DESCRIPTION = "DSP101: an awaited send on a bounded actor inbox becomes a try-send that fails fast."
    CODE = "DSP101"


class TrySendInAsync(RuleCodemod):
    DESCRIPTION = "DSP102: a blocking put() on a bounded thread queue inside async def becomes a try-send."
    CODE = "DSP102"


class BoundUnboundedChannel(RuleCodemod):
    DESCRIPTION = "DSP301: an unjustified unbounded channel gets `default-capacity` (when configured)."
    CODE = "DSP301"


class BoundActorInbox(RuleCodemod):
    DESCRIPTION = "DSP302: an unbounded actor inbox gets `inbox-capacity`, and its producers try-send."
    CODE = "DSP302"
