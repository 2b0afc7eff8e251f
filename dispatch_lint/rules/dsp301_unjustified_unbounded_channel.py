"""DSP301 unjustified-unbounded-channel."""

from __future__ import annotations

import ast
from pathlib import PurePath
from typing import Any, Mapping, Optional

import libcst as cst

from dispatch_lint.api import (
    ACTOR_INBOX,
    DEFAULT_MARKER,
    JUSTIFICATION_WORDS,
    TRACKING_METADATA,
    TRIGGER_WORDS,
    UNBOUNDED_MARKER,
    Applicability,
    ChannelBinding,
    Invalid,
    Justifier,
    Option,
    Rule,
    Valid,
    capacity_edit,
    channel_map,
    channel_screen,
    construction_text,
    no_bound_reason,
    statement_lines,
)

DEFAULT_CAPACITY = Option(
    "default-capacity",
    0,
    "Capacity that DSP301's fix gives an unjustified unbounded channel; 0 (the default) offers no fix.",
    check=lambda value: "must not be negative" if value < 0 else None,
)

TESTS = Option(
    "unbounded-in-tests",
    False,
    "Whether DSP301 checks test code (`test_*.py`, `*_test.py`, `conftest.py`, files under "
    "`tests/`, `test/`, `testing/`); a test's input is finite, so by default it does not.",
)
TEST_FOLDERS = frozenset({"tests", "test", "testing", "_tests"})


class UnjustifiedUnboundedChannel(Rule):
    """## What it does
    Reports the construction of an unbounded channel (`asyncio.Queue()`,
    `anyio.create_memory_object_stream(math.inf)`, `trio.open_memory_channel(math.inf)`,
    `queue.Queue()`, `queue.SimpleQueue()`, `multiprocessing.Queue()`, `janus.Queue()`,
    also subscripted, aliased, or with `maxsize=0`, a negative size or `float("inf")`)
    that has no comment next to it saying what bounds its growth.

    A comment counts when it stands on the statement's lines, in the comment
    block directly above it, or in the comment block directly after it (one
    blank line may separate the block from the statement; two may not), and it
    either is the marker `# unbounded: <reason>` with a reason, or names the
    limit in plain words: bound, limit, cap, at most, backpressure, flow
    control, high-water, pause, throttle, upstream, finite, circular, deadlock
    and the other `justification-words`. A bare marker, an empty reason, a
    reason or comment that starts with TODO/FIXME/XXX, and a negated limit word
    (`no limit`, `not bounded`) do not count.

    Channels in actor-inbox code are reported by DSP302 instead, comment or not,
    so a construction gets one finding (ignoring DSP302 does not bring DSP301
    back; narrow `actor-inbox` for that). Test code (`test_*.py`, `*_test.py`,
    `conftest.py`, files under `tests/`, `test/`, `testing/`) is not checked
    unless `unbounded-in-tests` is set: a test's input is finite.

    ## Why is this bad?
    An unbounded channel never pushes back: when its consumer falls behind or
    stalls, every message waits in memory, latency grows with the backlog, and
    the process eventually runs out of memory. Unbounded is acceptable only when
    something else bounds the growth (flow control upstream, a finite input, a
    circular flow that would deadlock if bounded), and a reader must be able to
    see what that is. trio's documentation calls `math.inf` "normally a bad
    idea"; anyio's says an infinite buffer is "not recommended".

    ## Example
    ```python
    send, receive = anyio.create_memory_object_stream(math.inf)
    ```

    ## Use instead
    ```python
    # unbounded: the crawler's flow is circular; a bounded buffer could deadlock
    send, receive = anyio.create_memory_object_stream(math.inf)
    ```
    or give the channel a capacity: `anyio.create_memory_object_stream(100)`.

    ## Fix safety
    With `default-capacity` set, the fix bounds the channel to that capacity:
    `maxsize=N` for asyncio, queue, multiprocessing and janus, the first
    positional argument for anyio and trio (an existing `math.inf` or
    `maxsize=0` is replaced in place). It is unsafe: producers that never waited
    may now wait, or fail with `QueueFull`/`WouldBlock`, when the channel is
    full. `SimpleQueue` has no capacity and gets no fix. Without
    `default-capacity` there is no automatic fix.

    ## Options
    - `default-capacity` (default `0`: no fix): the capacity the fix sets.
    - `unbounded-marker` (default `unbounded\\s*:`): the marker's regular expression.
    - `justification-words`: the plain-words vocabulary of limits.
    - `unbounded-in-tests` (default `false`): check test code too.
    - `actor-inbox`: which channels are actor inboxes (left to DSP302).
    """

    CODE = "DSP301"
    NAME = "unjustified-unbounded-channel"
    MESSAGE = "Unbounded channel without a comment saying what bounds its growth"
    FIXES = (Applicability.UNSAFE,)
    TRIGGERS = TRIGGER_WORDS
    OPTIONS = (DEFAULT_CAPACITY, UNBOUNDED_MARKER, JUSTIFICATION_WORDS, TESTS, ACTOR_INBOX)
    METADATA_DEPENDENCIES = TRACKING_METADATA

    VALID = [
        Valid("import asyncio\nq = asyncio.Queue(maxsize=10)\n"),
        Valid("import trio\ntx, rx = trio.open_memory_channel(0)\n"),
        Valid("import anyio\ntx, rx = anyio.create_memory_object_stream()\n"),
        Valid("import asyncio\nq = asyncio.Queue()  # unbounded: the producer is a finite file\n"),
        Valid(
            "import math\nimport trio\n"
            "# Circular flow (a crawler feeds itself): a bounded buffer could deadlock.\n"
            "tx, rx = trio.open_memory_channel(math.inf)\n"
        ),
        Valid(
            "import math\nimport trio\n"
            "tx, rx = trio.open_memory_channel(math.inf)\n\n"
            "# One read can yield thousands of frames; reading pauses above a high-water mark.\n"
        ),
        Valid(
            "import queue\nchangelog = queue.Queue()  # why: offline tool\n",
            settings={"unbounded-marker": r"why\s*:"},
        ),
        Valid(
            "import queue\nchangelog = queue.Queue()  # only ever holds one batch per tenant\n",
            settings={"justification-words": ["one batch"]},
        ),
        # Actor inboxes are DSP302's, comment or not.
        Valid("import asyncio\nclass Actor:\n    def __init__(self):\n        self.inbox = asyncio.Queue()\n"),
        Valid("import asyncio\nasync def f(n):\n    q = asyncio.Queue(n)\n"),
    ]
    INVALID = [
        Invalid(
            "import asyncio\nq = asyncio.Queue()\n",
            expected_message="`asyncio.Queue()` has no comment saying what bounds its growth",
        ),
        Invalid("import asyncio\nq = asyncio.Queue()  # unbounded:\n"),
        Invalid("import asyncio\nq = asyncio.Queue()  # unbounded: TODO\n"),
        Invalid("import asyncio\nq = asyncio.Queue()  # TODO: add a limit\n"),
        Invalid("import asyncio\nq = asyncio.Queue()  # there is no limit here\n"),
        Invalid("import asyncio\n# Limit on retries.\n\n\nq = asyncio.Queue()\n"),
        Invalid("import asyncio\nq = asyncio.Queue()  # queue of outgoing messages\n"),
        Invalid(
            "import math\nimport anyio\ntx, rx = anyio.create_memory_object_stream[int](math.inf)\n",
            expected_replacement="import math\nimport anyio\ntx, rx = anyio.create_memory_object_stream[int](100)\n",
            settings={"default-capacity": 100},
        ),
        Invalid(
            "import asyncio\nq = asyncio.Queue()\n",
            expected_replacement="import asyncio\nq = asyncio.Queue(maxsize=100)\n",
            settings={"default-capacity": 100},
        ),
        Invalid(
            "import queue\nq = queue.SimpleQueue()\n",
            expected_replacement="import queue\nq = queue.SimpleQueue()\n",
            settings={"default-capacity": 100},
        ),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self.justifier = Justifier(context.text, self.options)

    @classmethod
    def screen(cls, tree: ast.Module, text: str, path: str, options: Mapping[str, Any]) -> bool:
        if not options[TESTS.name] and is_test_file(path):
            return False
        settings = options[ACTOR_INBOX.name]
        return channel_screen(tree, text, path, lambda facts: facts.unjustified_unbounded(options, settings))

    def visit_Module(self, node: cst.Module) -> None:
        if not self.options[TESTS.name] and is_test_file(self.context.path):
            return
        settings = self.options[ACTOR_INBOX.name]
        for binding in channel_map(self, node, self.context.path, self.context.text).bindings:
            if not binding.capacity.unbounded or binding.inbox_reason(settings) is not None:
                continue
            first, last = statement_lines(self, binding.construction)
            if self.justifier.readable() and self.justifier.reason(first, last) is None:
                self._report(binding)

    def _report(self, binding: ChannelBinding) -> None:
        capacity = self.options[DEFAULT_CAPACITY.name]
        reason: Optional[str] = no_bound_reason(binding)
        fix = None
        if reason is None and capacity:
            edit = capacity_edit(self, binding, str(capacity))
            fix = self.make_fix(Applicability.UNSAFE, f"Bound the channel to {capacity}", edit)
        elif reason is None:
            reason = "set `default-capacity` to have the fix bound the channel"
        message = f"Unbounded `{construction_text(self, binding)}` has no comment saying what bounds its growth"
        self.report(binding.construction, message, fix=fix, no_fix_reason=None if fix else reason,
                    help=self._help())

    def _help(self) -> str:
        pattern = self.options[UNBOUNDED_MARKER.name]
        marker = "`# unbounded: <reason>`" if pattern == DEFAULT_MARKER else f"a comment matching `{pattern}`"
        return (
            f"name the external limit (an upstream bound, flow control, a finite input, a circular flow "
            f"that would deadlock if bounded) next to it with {marker}, or give it a capacity"
        )


def is_test_file(path: str) -> bool:
    parts = PurePath(path).parts
    name = parts[-1] if parts else ""
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or any(part in TEST_FOLDERS for part in parts[:-1]))
