"""Every rule, in code order. A new rule is one module here and one line below."""

from typing import Tuple, Type

from dispatch_lint.rule import Rule
from dispatch_lint.rules.dsp101_awaited_bounded_send import AwaitedBoundedSend
from dispatch_lint.rules.dsp102_blocking_put_in_async import BlockingPutInAsync
from dispatch_lint.rules.dsp103_bounded_send_cycle import BoundedSendCycle
from dispatch_lint.rules.dsp201_async_never_awaits import AsyncNeverAwaits
from dispatch_lint.rules.dsp301_unjustified_unbounded_channel import UnjustifiedUnboundedChannel
from dispatch_lint.rules.dsp302_unbounded_actor_inbox import UnboundedActorInbox

ALL_RULES: Tuple[Type[Rule], ...] = (
    AwaitedBoundedSend,
    BlockingPutInAsync,
    BoundedSendCycle,
    AsyncNeverAwaits,
    UnjustifiedUnboundedChannel,
    UnboundedActorInbox,
)
