"""DSP102 blocking-put-in-async."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Mapping, Optional

from dispatch_lint.api import (
    BLOCKING_SEND_TEXT,
    Applicability,
    ChannelVerdictRule,
    Invalid,
    Valid,
    Verdict,
    blocking_puts,
    send_table,
)

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from dispatch_lint.api import AnchoredSend


class BlockingPutInAsync(ChannelVerdictRule):
    """## What it does
    Finds a blocking `put()` on a **bounded** thread queue (`queue.Queue`,
    `LifoQueue`, `PriorityQueue`, `multiprocessing.Queue`/`JoinableQueue`,
    including context objects, and a janus queue's `sync_q`) called directly
    inside an `async def`. The queue is followed across the project from its
    construction as for DSP101 (through references to the object that holds
    it, registries, imports, constructor arguments); a queue of unknown origin
    or unknown capacity is not reported. The finding says where the queue was
    built, also as a related location.

    Not reported:
    - `put(x, block=False)` and `put(x, timeout=0)`, which never wait;
    - unbounded queues (`queue.Queue()`, `maxsize <= 0`, `SimpleQueue`), whose
      `put` never waits;
    - a `put` in a nested plain `def` or `lambda` (for example one handed to
      `run_in_executor` or `asyncio.to_thread`), which runs off the loop.

    ## Why is this bad?
    A thread queue's `put` blocks the calling thread while the queue is full.
    Inside a coroutine that thread is the event loop's: every task stalls, not
    only the producer, until a consumer thread makes room.

    ## Example
    ```python
    async def handle(request):
        results.put(request.body)  # results = queue.Queue(maxsize=100)
    ```

    ## Use instead
    ```python
    async def handle(request):
        results.put_nowait(request.body)  # raises queue.Full when full
    ```
    or hand the blocking call to a thread: `await asyncio.to_thread(results.put, request.body)`.

    ## Fix safety
    Unsafe: `put_nowait` raises `queue.Full` instead of waiting. The fix is
    offered when the call passes only the item; a call that also passes
    `block` or `timeout` arguments is reported without a fix.

    ## Options
    None. (The `actor-inbox` setting does not apply: a blocked event loop is a
    defect in any code.)
    """

    CODE = "DSP102"
    NAME = "blocking-put-in-async"
    MESSAGE = "blocking put on a bounded thread queue inside `async def` stalls the event loop"
    HELP = "use the try-send (`put_nowait`) and handle a full queue, or run the put in a thread"
    FIXES = (Applicability.UNSAFE,)
    TRIGGERS = (BLOCKING_SEND_TEXT,)

    VALID = [
        Valid("""
            import queue

            results = queue.Queue()

            async def handle(item):
                results.put(item)  # unbounded: never waits
        """),
        Valid("""
            import queue

            results = queue.Queue(maxsize=10)

            async def handle(item):
                results.put(item, block=False)
                results.put(item, timeout=0)
        """),
        Valid("""
            import asyncio, queue

            results = queue.Queue(maxsize=10)

            async def handle(item):
                await asyncio.to_thread(lambda: results.put(item))

                def in_thread():
                    results.put(item)
        """),
        Valid("""
            import queue

            results = queue.Queue(maxsize=10)

            def worker(item):
                results.put(item)
        """),
    ]
    INVALID = [
        Invalid(
            """
            import queue

            results = queue.Queue(maxsize=10)

            async def handle(item):
                results.put(item)
            """,
            expected_replacement="""
            import queue

            results = queue.Queue(maxsize=10)

            async def handle(item):
                results.put_nowait(item)
            """,
            expected_message="bounded queue.Queue `results` (capacity 10)",
        ),
        Invalid(
            """
            import janus

            class Bridge:
                def __init__(self):
                    self.channel = janus.Queue(maxsize=5)

                async def push(self, item):
                    self.channel.sync_q.put(item, timeout=1.0)
            """,
            expected_message="janus.Queue `self.channel`",
        ),
    ]

    @classmethod
    def generated_docs(cls) -> str:
        return "The queues whose send blocks the thread:\n\n" + send_table(awaited=False)

    @classmethod
    def verdicts(cls, project: Any, path: str, options: Mapping[str, Any]) -> List[Verdict]:
        return blocking_puts(project, path)

    def visit_Module(self, node: cst.Module) -> None:
        from dispatch_lint.api import anchored_send, try_send

        for verdict in self.own_verdicts():
            send = anchored_send(self, verdict.line, verdict.column, verdict.send.end, verdict.channel, verdict.name)
            if send is None or send.awaited is not None:
                continue
            fix, reason = None, _no_fix_reason(send.call)
            if reason is None:
                rewrite = try_send(self, send)
                reason = rewrite.no_fix_reason
                if rewrite.edits:
                    described = f"Use `{send.end.try_text(send.receiver)}` (raises when full)"
                    fix = self.make_fix(Applicability.UNSAFE, described,
                                        *rewrite.edits)
            self.report(send.call, self._message(send, verdict), fix=fix, no_fix_reason=reason,
                        related=verdict.related)

    @staticmethod
    def _message(send: AnchoredSend, verdict: Verdict) -> str:
        return (
            f"`{send.receiver}.{send.end.send}(...)` blocks the event loop while the {verdict.description} "
            f"is full: every task stalls, not just this one"
        )


def _no_fix_reason(call: cst.Call) -> Optional[str]:
    if len(call.args) != 1 or call.args[0].star:
        return "the call passes `block`/`timeout` arguments; choose the non-blocking form by hand"
    return None
