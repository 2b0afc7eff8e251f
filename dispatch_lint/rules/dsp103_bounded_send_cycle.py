"""DSP103 bounded-send-cycle."""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Tuple

from dispatch_lint.api import (
    AWAITED_SEND_TEXT,
    ChannelVerdictRule,
    Invalid,
    Position,
    Related,
    Valid,
    cycle_text,
    send_cycles,
)


class BoundedSendCycle(ChannelVerdictRule):
    """## What it does
    Finds awaited sends on bounded channels that close a cycle between channel
    owners: `Ping` drains its inbox in a loop and awaits a send into `Pong`'s
    inbox, while `Pong` drains its own inbox and awaits a send into `Ping`'s.
    Each send of the cycle is reported, and the message names the cycle with
    every channel's kind, capacity and the place of the send. A send made
    through `self` in a method such as `tell()` is followed to the calls of
    that method: the cycle is reported where each loop awaits the call.

    A channel owner is the class (or function) that drains the channel in a
    loop; the channels are followed from their construction as for DSP101. A
    send counts when it waits for room (`await q.put(x)`, `await tx.send(x)`)
    on a channel whose capacity is a number (0, a rendezvous, included). A
    try-send, an unbounded channel or a channel of unknown capacity breaks the
    cycle: it never waits for room.

    ## Why is this bad?
    When every channel on the cycle is full, each owner waits for room in the
    next one, and none of them gets back to its own loop to make room: the
    actors deadlock. Nothing times out and nothing is logged; the service just
    stops. trio's documentation warns that bounded buffers deadlock in
    circular flows, and Go teams find dozens of these bugs with dedicated tools.

    ## Example
    ```python
    class Ping:
        async def run(self):
            while True:
                ball = await self.inbox.get()
                await self.pong.inbox.put(ball)


    class Pong:
        async def run(self):
            while True:
                ball = await self.inbox.get()
                await self.ping.inbox.put(ball)
    ```

    ## Use instead
    Break the cycle at one edge: a try-send that fails fast (the reply is
    dropped or an "overloaded" error goes back), or an unbounded channel with
    a comment saying what bounds its growth.
    ```python
    class Pong:
        async def run(self):
            while True:
                ball = await self.inbox.get()
                try:
                    self.ping.inbox.put_nowait(ball)
                except asyncio.QueueFull:
                    log.warning("ping is behind, dropping %s", ball)
    ```
    or, for `Ping`:
    ```python
    # Unbounded: at most one ball per Pong request in flight (window of 8).
    self.inbox = asyncio.Queue()
    ```

    ## Fix safety
    No fix: which edge to break, and what to do when it is full, is a design
    decision.

    ## Options
    None. DSP101 reports awaited sends on actor inboxes one by one; DSP301 asks
    an unbounded channel for its justification.
    """

    CODE = "DSP103"
    NAME = "bounded-send-cycle"
    MESSAGE = "awaited sends on bounded channels close a cycle between their owners: a deadlock when all are full"
    TRIGGERS = (AWAITED_SEND_TEXT,)
    NEEDS_INDEX = True
    NEEDS_CST = False

    VALID = [
        Valid("""
            import asyncio

            class Source:
                def __init__(self):
                    self.inbox = asyncio.Queue(4)
                    self.sink = Sink()

                async def run(self):
                    while True:
                        await self.sink.inbox.put(await self.inbox.get())

            class Sink:
                def __init__(self):
                    self.inbox = asyncio.Queue(4)

                async def run(self):
                    while True:
                        print(await self.inbox.get())
        """),
        Valid("""
            import asyncio

            class Ping:
                def __init__(self):
                    self.inbox = asyncio.Queue(8)
                    self.pong = Pong(self)

                async def run(self):
                    while True:
                        await self.pong.inbox.put(await self.inbox.get())

            class Pong:
                def __init__(self, ping: Ping):
                    self.inbox = asyncio.Queue(8)
                    self.ping = ping

                async def run(self):
                    while True:
                        self.ping.inbox.put_nowait(await self.inbox.get())
        """),
        Valid("""
            import asyncio

            class Ping:
                def __init__(self):
                    # Unbounded: one ball per Pong request, at most 8 in flight.
                    self.inbox = asyncio.Queue()
                    self.pong = Pong(self)

                async def run(self):
                    while True:
                        await self.pong.inbox.put(await self.inbox.get())

            class Pong:
                def __init__(self, ping: Ping):
                    self.inbox = asyncio.Queue(8)
                    self.ping = ping

                async def run(self):
                    while True:
                        await self.ping.inbox.put(await self.inbox.get())
        """),
    ]
    INVALID = [
        Invalid(
            """
            import asyncio

            class Ping:
                def __init__(self):
                    self.inbox = asyncio.Queue(8)
                    self.pong = Pong(self)

                async def run(self):
                    while True:
                        ball = await self.inbox.get()
                        await self.pong.inbox.put(ball)

            class Pong:
                def __init__(self, ping: Ping):
                    self.inbox = asyncio.Queue(1)
                    self.ping = ping

                async def run(self):
                    while True:
                        ball = await self.inbox.get()
                        await self.ping.inbox.put(ball)
            """,
            expected_message="Ping.inbox → Pong.inbox (asyncio.Queue 1, sent at",
        ),
    ]

    @classmethod
    def verdicts(cls, project: Any, path: str, options: Mapping[str, Any]) -> List[Any]:
        return [edge for edge, _, _ in send_cycles(project, path)]

    def check_facts(self) -> None:
        index = self.context.index
        if index is None:
            return
        for edge, cycle, graph in send_cycles(index, self.context.path):
            span = self._send_span(edge.location.line, edge.location.column)
            if span is None:
                continue
            channel = graph.channel(edge.channel)
            what = f"awaited call of `{edge.via}`, which awaits a send" if edge.via else "awaited send"
            message = (f"{what} into `{channel.name}` ({channel.label()}) closes a cycle of awaited bounded "
                       f"sends: {cycle_text(graph, cycle)}; when every channel on it is full, each owner waits "
                       f"for the next and none drains its own (deadlock)")
            self.report_span(*span, message, related=self._related(index, graph, cycle[1:]))

    def _send_span(self, line: int, column: int) -> Optional[Tuple[Position, Position]]:
        """From `await` (when it is right before the call) to the end of the
        call's first line."""
        at = self.context.offset(line)
        if at is None:
            return None
        text = self.context.text
        start = at + column - 1
        before = text[at:start].rstrip()
        if before.endswith("await"):
            start = at + len(before) - len("await")
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        end = len(text[:end].rstrip()) if text[start:end].strip() else end
        return self.context.position(start), self.context.position(end)

    @staticmethod
    def _related(index: Any, graph: Any, edges: Tuple[Any, ...]) -> List[Related]:
        found = []
        for edge in edges:
            where = edge.location
            path = index.runner_path(where.absolute) or where.absolute
            found.append(Related(path, where.line, where.column,
                                 f"awaited send into `{graph.channel(edge.channel).name}` on the cycle"))
        return found
