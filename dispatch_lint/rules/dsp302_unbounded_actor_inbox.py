"""DSP302 unbounded-actor-inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Tuple

from dispatch_lint.api import (
    ACTOR_INBOX,
    OVERLOADED_ERROR,
    TRIGGER_WORDS,
    Applicability,
    Edit,
    ChannelVerdictRule,
    Invalid,
    Option,
    Valid,
    Verdict,
    channel_sends,
    unbounded_inboxes,
    capacity_table,
)

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from dispatch_lint.api import AnchoredSend, Unbounded

CONSTANT = "INBOX_CAPACITY"

INBOX_CAPACITY = Option(
    "inbox-capacity",
    1000,
    f"Capacity that DSP302's fix gives an unbounded actor inbox, through a module constant `{CONSTANT}`.",
    check=lambda value: "must be positive" if value <= 0 else None,
)


class UnboundedActorInbox(ChannelVerdictRule):
    """## What it does
    Reports an unbounded channel that is an actor inbox: a class drains it in a
    loop and other code sends to it (or try-sends) through a reference to an
    instance of that class (see DSP101 for how channels are followed across the
    project); or its name, enclosing class, base class or module matches the
    `actor-inbox` setting; or its construction carries `# dispatch-lint:
    actor-inbox`. A justifying comment does not excuse it (only `# noqa` does).
    The finding names where the inbox is built and, for an inbox by structure,
    where it is drained and sent to, as related locations.

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
    def generated_docs(cls) -> str:
        return "The constructors and when they build an unbounded channel:\n\n" + capacity_table()

    @classmethod
    def verdicts(cls, project: Any, path: str, options: Mapping[str, Any]) -> List[Verdict]:
        return unbounded_inboxes(project, path, options.get(ACTOR_INBOX.name, ACTOR_INBOX.default))

    def visit_Module(self, node: cst.Module) -> None:
        from dispatch_lint.api import construction_at, construction_text, unbounded_at

        project = self.context.index
        for verdict in self.own_verdicts():
            build = verdict.build
            construction = construction_at(self, build.line, build.column, (build.end_line, build.end_column))
            if construction is None:
                continue
            binding = unbounded_at(construction, verdict.channel.table_row)
            name = f"`{verdict.name}`" if verdict.name else "This channel"
            message = (f"{name} is unbounded (`{construction_text(self, binding)}`, {verdict.where}) "
                       f"in actor-inbox code ({verdict.reason})")
            edits, no_fix = self._bounding(binding, self._sends(project, verdict))
            fix = self.make_fix(Applicability.UNSAFE, f"Bound the inbox to `{CONSTANT}` and try-send into it",
                                *edits) if edits else None
            self.report(construction, message, fix=fix, no_fix_reason=no_fix, related=verdict.related)


    def _sends(self, project: Any, verdict: Verdict) -> List[AnchoredSend]:
        """The awaited sends in this file on the inbox `verdict` is about."""
        from dispatch_lint.api import anchored_send

        found = []
        site = next(iter(verdict.channel.sites))
        for send in channel_sends(project, self.context.path):
            if site in send.channel.sites and send.call.awaited and send.end.awaited and send.waits:
                anchored = anchored_send(self, send.call.line, send.call.column, send.end, send.channel, verdict.name)
                if anchored is not None and anchored.awaited is not None:
                    found.append(anchored)
        return found

    def _bounding(self, binding: Unbounded, sends: List[AnchoredSend]) -> Tuple[List[Edit], Optional[str]]:
        from dispatch_lint.api import (capacity_edit, constant_edit, constant_usable, module_binds, no_bound_reason,
                                       reusable_constant, try_send)

        reason = no_bound_reason(binding)
        if reason is not None:
            return [], reason
        if not constant_usable(self, binding.construction, CONSTANT):
            return [], f"a local `{CONSTANT}` would shadow the module constant the fix adds"
        module = self.context.module
        if module_binds(module, CONSTANT, self) and not reusable_constant(module, CONSTANT, self, binding.construction):
            return [], (f"the module binds `{CONSTANT}` only later or conditionally, "
                        "so the fix cannot reuse it (NameError at import)")
        edits = [capacity_edit(self, binding, CONSTANT)]
        for send in sends:
            edits.extend(try_send(self, send, self.options[OVERLOADED_ERROR.name], CONSTANT).edits)
        constant = constant_edit(self, CONSTANT, self.options[INBOX_CAPACITY.name])
        return merged(edits, constant), None


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
