"""DSP102 blocking-put-in-async."""

from __future__ import annotations

import ast
from typing import Any, Mapping, Optional

import libcst as cst

from dispatch_lint.api import (
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

# `put(item, block=True, timeout=None)` in queue, multiprocessing and janus `sync_q`.
BLOCK_POSITION, TIMEOUT_POSITION = 1, 2


class BlockingPutInAsync(Rule):
    """## What it does
    Finds a blocking `put()` on a **bounded** thread queue (`queue.Queue`,
    `LifoQueue`, `PriorityQueue`, `multiprocessing.Queue`/`JoinableQueue`,
    including context objects, and a janus queue's `sync_q`) called directly
    inside an `async def`. The queue is followed from its construction as for
    DSP101; a queue of unknown origin is not reported.

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
    TRIGGERS = TRIGGER_WORDS
    METADATA_DEPENDENCIES = TRACKING_METADATA

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
    def screen(cls, tree: ast.Module, text: str, path: str, options: Mapping[str, Any]) -> bool:
        return channel_screen(tree, text, path, lambda facts: facts.blocking_put_on_bounded_queue())

    def visit_Module(self, node: cst.Module) -> None:
        for send in channel_map(self, node, self.context.path, self.context.text).sends:
            if send.end.awaited or send.awaited is not None or not send.in_async_def:
                continue
            if send.binding.capacity.unbounded or _never_waits(send.call):
                continue
            fix, reason = None, _no_fix_reason(send.call)
            if reason is None:
                rewrite = try_send(self, send)
                reason = rewrite.no_fix_reason
                if rewrite.edits:
                    fix = self.make_fix(Applicability.UNSAFE, f"Use `{send.end.try_send}` (raises when full)",
                                        *rewrite.edits)
            self.report(send.call, self._message(send), fix=fix, no_fix_reason=reason)

    @staticmethod
    def _message(send: ChannelSend) -> str:
        binding = send.binding
        return (
            f"`{send.receiver}.{send.end.send}(...)` blocks the event loop while the bounded "
            f"{binding.kind.display} `{binding.name}` ({binding.capacity_text()}) is full: every task "
            f"stalls, not just this one"
        )


def _argument(call: cst.Call, keyword: str, position: int) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return positional[position].value if len(positional) > position else None


def _never_waits(call: cst.Call) -> bool:
    """`put(x, block=False)` or `put(x, timeout=0)`: raises `Full` at once instead of waiting."""
    block = _argument(call, "block", BLOCK_POSITION)
    timeout = _argument(call, "timeout", TIMEOUT_POSITION)
    if isinstance(block, cst.Name) and block.value == "False":
        return True
    return isinstance(timeout, (cst.Integer, cst.Float)) and timeout.evaluated_value == 0


def _no_fix_reason(call: cst.Call) -> Optional[str]:
    if len(call.args) != 1 or call.args[0].star:
        return "the call passes `block`/`timeout` arguments; choose the non-blocking form by hand"
    return None
