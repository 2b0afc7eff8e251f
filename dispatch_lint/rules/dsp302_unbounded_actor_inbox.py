"""DSP302 unbounded-actor-inbox."""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any, List, Mapping, Optional, Tuple

import libcst as cst

from dispatch_lint.api import (
    ACTOR_INBOX,
    OVERLOADED_ERROR,
    TRACKING_METADATA,
    TRIGGER_WORDS,
    Applicability,
    ChannelBinding,
    ChannelSend,
    Edit,
    Invalid,
    Option,
    Rule,
    Valid,
    capacity_edit,
    channel_map,
    channel_screen,
    constant_edit,
    constant_usable,
    construction_text,
    inbox_reason,
    no_bound_reason,
    try_send,
)

CONSTANT = "INBOX_CAPACITY"

INBOX_CAPACITY = Option(
    "inbox-capacity",
    1000,
    f"Capacity that DSP302's fix gives an unbounded actor inbox, through a module constant `{CONSTANT}`.",
    check=lambda value: "must be positive" if value <= 0 else None,
)


class UnboundedActorInbox(Rule):
    """## What it does
    Reports an unbounded channel built in actor-inbox code: a channel whose name,
    enclosing class, base class or module matches the `actor-inbox` setting, or
    whose construction carries `# dispatch-lint: actor-inbox`. A justifying
    comment does not excuse it (only `# noqa` does), and DSP301 stays silent on
    it, so the construction gets exactly one finding.

    ## Why is this bad?
    An actor's inbox is fed by producers that serve many other clients (a
    gateway task, a router). Unbounded, it hides an actor that has fallen
    behind: its backlog grows without limit, every message waits longer, and the
    process's memory goes with it. Bounded, with producers that try-send and
    fail fast with an "overloaded" error naming the inbox and its capacity,
    the overload is visible and clients can retry or shed load.

    ## Example
    ```python
    class SessionActor:
        def __init__(self):
            self.lifecycle_inbox = asyncio.Queue()
    ```

    ## Use instead
    ```python
    INBOX_CAPACITY = 1000


    class SessionActor:
        def __init__(self):
            self.lifecycle_inbox = asyncio.Queue(maxsize=INBOX_CAPACITY)

        def stop(self):
            self.lifecycle_inbox.put_nowait("stop")  # raises QueueFull when full
    ```

    ## Fix safety
    The fix bounds the inbox to `INBOX_CAPACITY`, a module constant it adds
    after the imports (set from `inbox-capacity`; an existing module-level
    `INBOX_CAPACITY` is reused): `maxsize=INBOX_CAPACITY` for asyncio, queue,
    multiprocessing and janus, the first positional argument for anyio and trio
    (replacing `math.inf` in place). It is unsafe: a producer that awaited a
    send on the unbounded inbox now waits when it is full. In the same `fix`
    run DSP101 then offers its try-send rewrite for those awaited sends.
    `SimpleQueue` has no capacity and gets no fix; there is none either when a
    local name `INBOX_CAPACITY` would shadow the constant.

    ## Options
    - `inbox-capacity` (default `1000`): the capacity the fix sets.
    - `actor-inbox`: which channels are actor inboxes (shared with DSP101).
    """

    CODE = "DSP302"
    NAME = "unbounded-actor-inbox"
    MESSAGE = "Actor inbox is unbounded"
    HELP = ("bound it, even when a comment explains it, and have producers try-send and fail fast "
            "with an overloaded error when it is full")
    FIXES = (Applicability.UNSAFE,)
    TRIGGERS = TRIGGER_WORDS
    OPTIONS = (INBOX_CAPACITY, ACTOR_INBOX, OVERLOADED_ERROR)
    METADATA_DEPENDENCIES = TRACKING_METADATA

    VALID = [
        Valid("import asyncio\nclass SessionActor:\n    def __init__(self):\n        self.inbox = asyncio.Queue(100)\n"),
        Valid("import asyncio\nq = asyncio.Queue()  # unbounded: internal pipeline, bounded upstream\n"),
        Valid("import trio\nsend_inbox, recv = trio.open_memory_channel(0)\n"),
        Valid("import asyncio\nclass SessionActor:\n    def __init__(self):\n        self.inbox = asyncio.Queue()  # noqa: DSP302\n"),
        Valid("import asyncio\nmailbox = asyncio.Queue()\n", settings={"actor-inbox": {"names": ["*_inbox"]}}),
    ]
    INVALID = [
        Invalid(
            "import asyncio\n\n\nclass SessionActor:\n    def __init__(self):\n"
            "        # unbounded: bounded upstream by flow control\n"
            "        self.lifecycle = asyncio.Queue()\n",
            expected_replacement="import asyncio\n\nINBOX_CAPACITY = 1000\n\n\nclass SessionActor:\n"
            "    def __init__(self):\n        # unbounded: bounded upstream by flow control\n"
            "        self.lifecycle = asyncio.Queue(maxsize=INBOX_CAPACITY)\n",
            expected_message="class `SessionActor`",
        ),
        Invalid(
            '"""Inboxes."""\nfrom __future__ import annotations\n\nimport math\n\nimport anyio\n\n'
            "send_inbox, recv = anyio.create_memory_object_stream[int](math.inf)\n",
            expected_replacement='"""Inboxes."""\nfrom __future__ import annotations\n\nimport math\n\nimport anyio\n\n'
            "INBOX_CAPACITY = 64\n\nsend_inbox, recv = anyio.create_memory_object_stream[int](INBOX_CAPACITY)\n",
            settings={"inbox-capacity": 64},
        ),
        Invalid(
            "import queue\nINBOX_CAPACITY = 10\nmailbox = queue.Queue(maxsize=0)\n",
            expected_replacement="import queue\nINBOX_CAPACITY = 10\nmailbox = queue.Queue(maxsize=INBOX_CAPACITY)\n",
        ),
        Invalid(
            "import asyncio\n\n\nclass Router:\n    def __init__(self):\n        self.inbox = asyncio.Queue()\n\n"
            "    async def route(self, message):\n        await self.inbox.put(message)\n",
            expected_replacement="import asyncio\n\nINBOX_CAPACITY = 1000\n\n\nclass Router:\n    def __init__(self):\n"
            "        self.inbox = asyncio.Queue(maxsize=INBOX_CAPACITY)\n\n"
            "    async def route(self, message):\n        self.inbox.put_nowait(message)\n",
        ),
        Invalid(
            "import asyncio\nq = asyncio.Queue()  # dispatch-lint: actor-inbox\n",
            expected_message="(marked `# dispatch-lint: actor-inbox`)",
        ),
        Invalid(
            "import queue\nclass Actor:\n    inbox = queue.SimpleQueue()\n",
            expected_replacement="import queue\nclass Actor:\n    inbox = queue.SimpleQueue()\n",
        ),
        Invalid(
            "import asyncio\ndef make(INBOX_CAPACITY):\n    inbox = asyncio.Queue()\n",
            expected_replacement="import asyncio\ndef make(INBOX_CAPACITY):\n    inbox = asyncio.Queue()\n",
        ),
    ]

    @classmethod
    def screen(cls, tree: ast.Module, text: str, path: str, options: Mapping[str, Any]) -> bool:
        settings = options[ACTOR_INBOX.name]
        return channel_screen(tree, text, path, lambda facts: facts.unbounded_inbox(settings))

    def visit_Module(self, node: cst.Module) -> None:
        settings = self.options[ACTOR_INBOX.name]
        channels = channel_map(self, node, self.context.path, self.context.text)
        for binding in channels.bindings:
            reason = binding.inbox_reason(settings) if binding.capacity.unbounded else None
            if reason is None:
                continue
            what = f"`{binding.name}`" if binding.names else "Channel"
            message = (f"{what} is unbounded (`{construction_text(self, binding)}`) in actor-inbox code "
                       f"({_one_channel_reason(binding, settings)})")
            edits, no_fix = self._bounding(binding, channels.sends_on(binding))
            fix = self.make_fix(Applicability.UNSAFE, f"Bound the inbox to `{CONSTANT}` and try-send into it",
                                *edits) if edits else None
            self.report(binding.construction, message, fix=fix, no_fix_reason=no_fix)

    def _bounding(self, binding: ChannelBinding, sends: List[ChannelSend]) -> Tuple[List[Edit], Optional[str]]:
        reason = no_bound_reason(binding)
        if reason is not None:
            return [], reason
        if not constant_usable(self, binding.construction, CONSTANT):
            return [], f"a local `{CONSTANT}` would shadow the module constant the fix adds"
        edits = [capacity_edit(self, binding, CONSTANT)]
        for send in sends:
            if send.awaited is not None and send.end.awaited:
                edits.extend(try_send(self, send, self.options[OVERLOADED_ERROR.name], CONSTANT).edits)
        constant = constant_edit(self, CONSTANT, self.options[INBOX_CAPACITY.name])
        return merged(edits, constant), None


def _one_channel_reason(binding: ChannelBinding, settings: Mapping[str, Any]) -> Optional[str]:
    """The actor-inbox reason naming one end of a pair (`tx`), not both (`tx, rx`)."""
    for name in binding.names:
        reason = inbox_reason(replace(binding.site, name=name.rsplit(".", 1)[-1]), settings)
        if reason is not None:
            return reason
    return binding.inbox_reason(settings)


def merged(edits: List[Edit], constant: Optional[Edit]) -> List[Edit]:
    """`edits` without duplicates (a shared import edit), plus the constant; an
    insertion at the constant's place (new imports) comes first, in one edit."""
    unique = list(dict.fromkeys(edits))
    if constant is None:
        return unique
    for i, edit in enumerate(unique):
        if edit.start == edit.end == constant.start:
            unique[i] = Edit(edit.path, edit.start, edit.end, edit.content + constant.content)
            return unique
    return unique + [constant]
