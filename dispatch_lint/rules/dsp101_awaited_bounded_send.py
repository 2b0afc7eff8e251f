"""DSP101 awaited-bounded-send."""

from __future__ import annotations

import ast
from typing import Any, Mapping

import libcst as cst

from dispatch_lint.api import (
    ACTOR_INBOX,
    OVERLOADED_ERROR,
    TRACKING_METADATA,
    TRIGGER_WORDS,
    Applicability,
    ChannelSend,
    Invalid,
    Rule,
    Valid,
    channel_map,
    channel_screen,
    try_send,
)


class AwaitedBoundedSend(Rule):
    """## What it does
    Finds `await ch.put(x)` and `await tx.send(x)` on a **bounded** channel in
    actor-inbox code: an asyncio queue with `maxsize > 0`, an anyio or trio
    memory channel of any finite size (0 is a bounded rendezvous), a janus
    `async_q`. The channel is followed from its construction (local variables,
    `tx, rx = ...` unpacking, `self.x` attributes set in any method, class-level
    and dataclass fields with a `default_factory`, module globals, janus views,
    `tx.clone()`, comprehension-built containers). A send on a channel of
    unknown origin is not reported.

    Actor-inbox code is decided by the `actor-inbox` setting: by default a
    channel whose name contains `inbox`, `mailbox` or `dispatch`, a channel
    built in a class named `*Actor`, or one whose construction carries the
    comment `# dispatch-lint: actor-inbox`.

    ## Why is this bad?
    When the actor falls behind, its inbox fills and every producer that awaits
    the send stalls. A gateway task that serves many actors freezes behind the
    one slow actor (head-of-line blocking). Producers of an actor inbox should
    reserve room with a non-blocking try-send and, when the inbox is full,
    return an "overloaded" error at once that names the channel, its capacity
    and the operation: the caller can retry or shed load.

    Outside actor-inbox code an awaited send is ordinary backpressure and is
    not reported.

    ## Example
    ```python
    import asyncio


    class SessionActor:
        def __init__(self):
            self.inbox = asyncio.Queue(maxsize=100)

        async def tell(self, message):
            await self.inbox.put(message)
    ```

    ## Use instead
    What `dispatch-lint fix --unsafe-fixes` makes of it, with
    `overloaded-error = "myapp.errors:Overloaded"`:

    ```python
    import asyncio
    from myapp.errors import Overloaded


    class SessionActor:
        def __init__(self):
            self.inbox = asyncio.Queue(maxsize=100)

        async def tell(self, message):
            try:
                self.inbox.put_nowait(message)
            except asyncio.QueueFull:
                raise Overloaded("self.inbox", 100, "put") from None
    ```

    ## Fix safety
    Unsafe: the send no longer waits, so a full inbox raises instead of
    pausing the producer. The rewrite is the try-send (`put_nowait`,
    `send_nowait`). With `overloaded-error = "package.module:ErrorClass"` it
    is wrapped in `try`/`except <the library's full error>` that raises
    `ErrorClass(channel_name, capacity, operation) from None`, and the missing
    imports are added. A send inside a larger expression (`return await
    q.put(x)`) gets the plain try-send, or no fix when the wrapper is asked for.

    ## Options
    - `actor-inbox`: what counts as actor-inbox code (`names`, `classes`,
      `bases`, `modules` globs).
    - `overloaded-error`: the error the rewrite raises when the inbox is full.
    """

    CODE = "DSP101"
    NAME = "awaited-bounded-send"
    MESSAGE = "awaited send on a bounded actor inbox stalls its producer when the inbox is full"
    HELP = ("one slow actor stalls every producer: send with the try-send (`put_nowait`, `send_nowait`) "
            "and fail fast with an overloaded error when the inbox is full")
    FIXES = (Applicability.UNSAFE,)
    TRIGGERS = TRIGGER_WORDS
    OPTIONS = (ACTOR_INBOX, OVERLOADED_ERROR)
    METADATA_DEPENDENCIES = TRACKING_METADATA

    VALID = [
        Valid("""
            import asyncio

            async def pipeline(items):
                results = asyncio.Queue(maxsize=10)
                for item in items:
                    await results.put(item)  # ordinary backpressure: not an inbox
        """),
        Valid("""
            import asyncio

            class WorkerActor:
                def __init__(self):
                    self.inbox = asyncio.Queue()  # unbounded: DSP302's business

                async def tell(self, message):
                    await self.inbox.put(message)
        """),
        Valid("""
            class WorkerActor:
                def __init__(self, inbox):
                    self.inbox = inbox  # origin unknown

                async def tell(self, message):
                    await self.inbox.put(message)
        """),
        Valid("""
            import asyncio

            class WorkerActor:
                def __init__(self):
                    self.inbox = asyncio.Queue(8)

                def tell(self, message):
                    self.inbox.put_nowait(message)
        """),
        Valid(
            """
            import trio

            async def gateway():
                send_inbox, receive_inbox = trio.open_memory_channel(100)
                await send_inbox.send("hello")
            """,
            settings={"actor-inbox": {"names": ["*mailbox*"]}},
        ),
    ]
    INVALID = [
        Invalid(
            """
            import asyncio

            class SessionActor:
                def __init__(self):
                    self.inbox = asyncio.Queue(maxsize=100)

                async def tell(self, message):
                    await self.inbox.put(message)
            """,
            expected_replacement="""
            import asyncio

            class SessionActor:
                def __init__(self):
                    self.inbox = asyncio.Queue(maxsize=100)

                async def tell(self, message):
                    self.inbox.put_nowait(message)
            """,
            expected_message="bounded asyncio.Queue `self.inbox` (capacity 100)",
        ),
        Invalid(
            """
            import asyncio

            class SessionActor:
                def __init__(self):
                    self.inbox = asyncio.Queue(maxsize=100)

                async def tell(self, message):
                    await self.inbox.put(message)  # deliver
            """,
            expected_replacement="""
            import asyncio
            from app.errors import Overloaded

            class SessionActor:
                def __init__(self):
                    self.inbox = asyncio.Queue(maxsize=100)

                async def tell(self, message):
                    try:
                        self.inbox.put_nowait(message)
                    except asyncio.QueueFull:
                        raise Overloaded("self.inbox", 100, "put") from None  # deliver
            """,
            settings={"overloaded-error": "app.errors:Overloaded"},
        ),
        Invalid(
            """
            from anyio import create_memory_object_stream

            async def gateway():
                tx, rx = create_memory_object_stream[bytes]()  # dispatch-lint: actor-inbox
                return await tx.send(b"ping")
            """,
            expected_replacement="""
            from anyio import create_memory_object_stream

            async def gateway():
                tx, rx = create_memory_object_stream[bytes]()  # dispatch-lint: actor-inbox
                return tx.send_nowait(b"ping")
            """,
            expected_message="capacity 0, a rendezvous",
        ),
    ]

    @classmethod
    def screen(cls, tree: ast.Module, text: str, path: str, options: Mapping[str, Any]) -> bool:
        settings = options[ACTOR_INBOX.name]
        return channel_screen(tree, text, path, lambda facts: facts.awaited_send_on_bounded_inbox(settings))

    def visit_Module(self, node: cst.Module) -> None:
        settings = self.options["actor-inbox"]
        overloaded = self.options["overloaded-error"]
        for send in channel_map(self, node, self.context.path, self.context.text).sends:
            if send.awaited is None or not send.end.awaited or send.binding.capacity.unbounded:
                continue
            reason = send.binding.inbox_reason(settings)
            if reason is None:
                continue
            rewrite = try_send(self, send, overloaded)
            fix = None
            if rewrite.edits:
                fix = self.make_fix(Applicability.UNSAFE, f"Use `{send.end.try_send}` (fails fast when full)",
                                    *rewrite.edits)
            self.report(send.awaited, self._message(send, reason), fix=fix, no_fix_reason=rewrite.no_fix_reason)

    @staticmethod
    def _message(send: ChannelSend, reason: str) -> str:
        binding = send.binding
        return (
            f"`await {send.receiver}.{send.end.send}(...)` waits while the bounded "
            f"{binding.kind.display} `{binding.name}` ({binding.capacity_text()}) is full; "
            f"it is actor-inbox code ({reason})"
        )
