"""DSP101 awaited-bounded-send."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Mapping

from dispatch_lint.api import (
    ACTOR_INBOX,
    AWAITED_SEND_TEXT,
    OVERLOADED_ERROR,
    Applicability,
    ChannelVerdictRule,
    Invalid,
    Valid,
    Verdict,
    awaited_bounded_sends,
    send_table,
)

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from dispatch_lint.api import AnchoredSend


class AwaitedBoundedSend(ChannelVerdictRule):
    """## What it does
    Finds `await ch.put(x)` and `await tx.send(x)` on a **bounded** channel that
    is an actor inbox. The channel is followed across the project, on the
    semantic model, from where it was built to the send: local variables and
    module globals (imported elsewhere too), `tx, rx = ...` unpacking,
    attributes set in any method or the class body, dataclass and attrs fields
    with a factory, constructor arguments kept as `self.x`, returns of
    functions and methods, containers (`d[k] = ...`, `setdefault`, `.get`,
    `.values()`, lists, comprehensions), janus views and `tx.clone()`. A
    capacity is read from literals, arithmetic, constants and the values every
    call site passes (`maxsize=size or 0`). A channel of unknown origin or a
    capacity the code does not show is never reported. The finding says where
    the channel was built ("built at svc/worker.py:9"), also as a related
    location (`related` in JSON, `relatedLocations` in SARIF).

    A channel is an actor inbox when:
    - **by structure**, a class drains it in a loop (`while ...: await
      self.q.get()`, `async for m in self.rx`, or a receive in a method of its
      own that it calls in a loop) and this send reaches it through
      a reference to an instance of that class (`actor.inbox.put(...)`,
      `self.workers[k].mail.put(...)`, `consumer.source.put(...)`): the
      producer stalls whenever the owner falls behind. A destination chosen
      per message (a registry lookup, a loop over `.values()`) is head-of-line
      blocking by construction, and the message says so. Not inboxes by
      structure: an object sending into its own queue, a local pipeline (a
      queue a function builds and drains with tasks it starts), and a queue
      received from once per call (an async iterator's `__anext__`, even
      inside a `while True:` whose every path returns or raises);
    - or the `actor-inbox` setting says so: by default a channel whose name
      contains `inbox`, `mailbox` or `dispatch`, or built in a class named
      `*Actor`;
    - or its construction carries the comment `# dispatch-lint: actor-inbox`.

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
    TRIGGERS = (AWAITED_SEND_TEXT,)
    OPTIONS = (ACTOR_INBOX, OVERLOADED_ERROR)

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
        Valid("""
            import asyncio

            class Watcher:
                def __init__(self):
                    self.updates = asyncio.Queue(maxsize=256)

                async def __anext__(self):
                    while True:  # every path leaves: one receive per call, not a drain
                        entry = await self.updates.get()
                        if entry is None:
                            raise StopAsyncIteration
                        return entry

            async def on_message(watcher: Watcher, entry):
                await watcher.updates.put(entry)
        """),
        Valid("""
            import asyncio

            class Mailbox:
                def __init__(self):
                    self.items = asyncio.Queue(maxsize=8)

                async def next_item(self):
                    return await self.items.get()  # its callers pull: no loop of its own

            async def consume(box: Mailbox):
                while True:
                    print(await box.next_item())

            async def produce(box: Mailbox, item):
                await box.items.put(item)
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

            class Channel:
                def __init__(self):
                    self.frames = asyncio.Queue(maxsize=10)

                async def _next_frame(self):
                    return await self.frames.get()

                async def reader(self):
                    while True:  # drains through its own helper
                        print(await self._next_frame())

            class Connection:
                def __init__(self):
                    self.channels = {}

                def open(self, number):
                    self.channels[number] = Channel()

                async def route(self, number, frame):
                    await self.channels[number].frames.put(frame)
            """,
            expected_message="class `Channel` drains it in a loop",
        ),
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
    def generated_docs(cls) -> str:
        return "The channels whose awaited send waits for room:\n\n" + send_table(awaited=True)

    @classmethod
    def verdicts(cls, project: Any, path: str, options: Mapping[str, Any]) -> List[Verdict]:
        return awaited_bounded_sends(project, path, options.get(ACTOR_INBOX.name, ACTOR_INBOX.default))

    def visit_Module(self, node: cst.Module) -> None:
        from dispatch_lint.api import anchored_send, try_send

        overloaded = self.options[OVERLOADED_ERROR.name]
        for verdict in self.own_verdicts():
            send = anchored_send(self, verdict.line, verdict.column, verdict.send.end, verdict.channel, verdict.name)
            if send is None or send.awaited is None:
                continue
            rewrite = try_send(self, send, overloaded)
            fix = None
            if rewrite.edits:
                described = f"Use `{send.end.try_text(send.receiver)}` (fails fast when full)"
                fix = self.make_fix(Applicability.UNSAFE, described,
                                    *rewrite.edits)
            self.report(send.awaited, self._message(send, verdict), fix=fix, no_fix_reason=rewrite.no_fix_reason,
                        related=verdict.related)

    @staticmethod
    def _message(send: AnchoredSend, verdict: Verdict) -> str:
        return (
            f"`await {send.receiver}.{send.end.send}(...)` waits while the {verdict.description} is full; "
            f"it is actor-inbox code ({verdict.reason})"
        )
