"""DSP301 unjustified-unbounded-channel."""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Sequence, Tuple

from dispatch_lint.api import (
    ACTOR_INBOX,
    DEFAULT_MARKER,
    JUSTIFICATION_WORDS,
    TRIGGER_WORDS,
    UNBOUNDED_MARKER,
    Applicability,
    ChannelVerdictRule,
    Invalid,
    Justifier,
    Option,
    Subject,
    Valid,
    channel_model,
    calls_a_passed_constructor,
    unbounded_constructions,
)

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from dispatch_lint.api import Unbounded

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


class UnjustifiedUnboundedChannel(ChannelVerdictRule):
    """## What it does
    Reports the construction of an unbounded channel (`asyncio.Queue()`,
    `anyio.create_memory_object_stream(math.inf)`, `trio.open_memory_channel(math.inf)`,
    `queue.Queue()`, `queue.SimpleQueue()`, `multiprocessing.Queue()`, `janus.Queue()`,
    also subscripted, aliased, or with `maxsize=0`, a negative size or `float("inf")`)
    that can grow and has no comment next to it saying what bounds its growth.

    **Unbounded on a path.** A capacity that comes from the function's own
    values (`maxsize=size or 0` with `size=None`, a `None` default set to `0`
    under an `if`, a constructor passed as a parameter such as
    `queue_class=asyncio.Queue`) is reported with the first path on which the
    channel is unbounded ("when `size` keeps its default `None`"), unless every
    call of the function passes a bounded size. A value a caller passes is not
    known there and never makes a path unbounded.

    **Where the comment may stand.** On the statement's own lines; in the
    comment block that directly precedes it (on the line above); or in the
    block just after it (at most one blank line between), but only when no
    statement follows that block directly: a block belongs to the statement it
    precedes, unless it names the channel (a name it is bound to, the last
    word of a constructor's name such as "queue" or "stream", or "buffer")
    and that statement builds no channel. A
    heading (a block with a blank line above and below) belongs to the
    statement under it; a block right under a statement and a blank line
    above the next one explains the statement above it.

    **What it must say.** The marker `# unbounded: <reason>` with a reason
    always counts (an empty reason or a to-do such as `TODO` does not). Free
    text counts when it states a bound affirmatively: a limit word (bound,
    limit, cap, backpressure, flow control, high-water, pause, throttle,
    finite, circular, deadlock, ... and the `justification-words`) or a
    quantity (at most, no more than, a single result, filled once, only holds,
    `<= N`). It does not count when hedged (someday, should, maybe, later,
    TODO), negated (no limit, ignore the limit, lacks flow control),
    conditional (if ...), a pointer (see ...), or when the word means
    something else (`bound to a port`, `ported from upstream`, a bare
    "bounded queue"). When a nearby comment names a limit but does not count,
    the message says why.

    **Channels that cannot grow are not reported**, comment or not, when every
    reference to the channel in the module is a method call, an iteration, a
    `with` or a rebinding (it is not handed to other code) and one of these holds:

    - *a capped heap or cache*: every send is guarded by the channel's own
      size against a cap (`if q.qsize() < k:`, `if q.empty():`, the `else` of
      `if q.qsize() >= k:`, after `if q.qsize() >= k: return`, or
      `statistics().current_buffer_used` for anyio/trio), or is directly
      followed by a receive (`q.put(x)` then `if q.qsize() > k: q.get_nowait()`),
      or directly preceded by one. No loop may stand between the guard and the
      send. `full()` is no guard: on an unbounded channel it is always False;
    - *a one-shot slot*: the channel is built per call into a local variable
      and every send stands outside any loop, in that function or in a nested
      function given as a thread's `target=`;
    - *a counter or lock*: every send puts a constant (`put(None)`) and is
      undone by a receive around a critical section (one before a `try`, the
      other in its `finally`; or one in `acquire`/`__enter__`/`__aenter__`, the
      other in `release`/`__exit__`/`__aexit__` of the same class).

    **Bounds that live in code still need the comment**, but the message names
    what the tool saw and where: a high-water check that pauses the producer
    (`if q.qsize() > HIGH: transport.pause_reading()`), the producer paused
    right after a send, a semaphore acquired per send and released per
    receive, or a finite input (a per-call channel fed by a `for` loop).

    Actor inboxes (by the `actor-inbox` settings, the marker, or by structure:
    drained in a loop by their class and sent to through a reference to the
    object) are reported by DSP302 instead, comment or not, so a construction
    gets one finding (ignoring DSP302 does not bring DSP301
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
    - `justification-words`: the limit words free text may use (quantity
      phrases count without being listed).
    - `unbounded-in-tests` (default `false`): check test code too.
    - `actor-inbox`: which channels are actor inboxes (left to DSP302).
    """

    CODE = "DSP301"
    NAME = "unjustified-unbounded-channel"
    MESSAGE = "Unbounded channel without a comment saying what bounds its growth"
    FIXES = (Applicability.UNSAFE,)
    TRIGGERS = TRIGGER_WORDS
    OPTIONS = (DEFAULT_CAPACITY, UNBOUNDED_MARKER, JUSTIFICATION_WORDS, TESTS, ACTOR_INBOX)

    VALID = [
        Valid("import asyncio\nq = asyncio.Queue(maxsize=10)\n"),
        Valid("import trio\ntx, rx = trio.open_memory_channel(0)\n"),
        Valid("import anyio\ntx, rx = anyio.create_memory_object_stream()\n"),
        Valid("import asyncio\nq = asyncio.Queue()  # unbounded: the producer is a finite file\n"),
        Valid(
            "import asyncio\n"
            "def make(high):\n"
            "    frames = asyncio.Queue()\n\n"
            "    # One read can yield thousands of frames, so the queue has no hard limit;\n"
            "    # reading pauses when it goes above the high-water mark.\n"
            "    if high is None:\n"
            "        high = 16\n"
            "    return frames, high\n"
        ),
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
        Valid("import queue\nq = queue.Queue()  # holds a single result: run() puts exactly once\n"),
        # Cannot grow: a capped heap, a one-shot slot.
        Valid(
            "import queue\nclass TopK:\n    def __init__(self, k):\n        self.k = k\n"
            "        self.heap = queue.PriorityQueue()\n\n    def offer(self, item):\n"
            "        if self.heap.qsize() < self.k:\n            self.heap.put(item)\n"
        ),
        Valid(
            "import queue, threading\ndef call(fn):\n    slot = queue.Queue()\n"
            "    threading.Thread(target=lambda: slot.put(fn())).start()\n    return slot.get()\n"
        ),
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
        Invalid("import asyncio\nq = asyncio.Queue()  # we should bound this someday\n",
                expected_message="does not count (hedged (should))"),
        Invalid("import asyncio\nq = asyncio.Queue()\n\n# unbounded: one finite file\nr = asyncio.Queue()\n"),
        Invalid("import asyncio\nq = asyncio.Queue()\n\n# unbounded: this queue is fed by one finite file\n"
                "r = asyncio.Queue()\n"),
        Invalid("import asyncio\nq = asyncio.Queue()\n\n# Retries are limited to three.\nretries = 3\n"),
        # Two alike constructions in one scope are two channels: the guard on one caps nothing of the other.
        Invalid(
            "import asyncio\nclass Pipe:\n    def __init__(self):\n"
            "        self.waiters = asyncio.Queue()  # unbounded: one waiter per pending get\n"
            "        self.values = asyncio.Queue()\n\n    async def push(self, v):\n"
            "        if self.waiters.empty():\n            await self.values.put(v)\n"
            "        else:\n            (await self.waiters.get()).set_result(v)\n",
            expected_message="Unbounded `asyncio.Queue()` has no comment",
        ),
        Invalid(
            "import asyncio\nclass P:\n    def __init__(self):\n        self.q = asyncio.Queue()\n\n"
            "    def data_received(self, data):\n        self.q.put_nowait(data)\n"
            "        if self.q.qsize() > 64:\n            self.transport.pause_reading()\n",
            expected_message="a high-water check pausing the producer at line 8",
        ),
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
    def could_report(cls, text: str, facts: Any = None) -> bool:
        if facts is None:
            return super().could_report(text, None)  # a constructor is called or aliased
        passed = calls_a_passed_constructor(facts)
        if facts.index is None:  # no project (yet): the file's own facts
            return super().could_report(text, None) or passed
        if not checks(facts.path, facts.index.options_for(facts.path)):
            return False
        if not (facts.has_channels or passed):  # the model sees no construction (before the text search)
            return False
        if not (super().could_report(text, None) or passed):
            return False
        return bool(cls.read_project(facts))

    @classmethod
    def verdicts(cls, project: Any, path: str, options: Mapping[str, Any]) -> List[Any]:
        if not checks(path, options):
            return []
        return unbounded_constructions(project, path, options.get(ACTOR_INBOX.name, ACTOR_INBOX.default))

    def visit_Module(self, node: cst.Module) -> None:
        from libcst import Call

        from dispatch_lint.api import channel_growth, construction_at, unbounded_at

        project = self.context.index
        if project is None or not checks(self.context.path, self.options):
            return
        model = channel_model(project)
        for candidate in self.own_verdicts():
            build, kind = candidate.build, candidate.kind
            construction = construction_at(self, build.line, build.column, (build.end_line, build.end_column))
            if construction is None or (candidate.path is not None and not isinstance(construction, Call)):
                continue
            growth: Tuple[Any, Sequence[Any]] = (None, [])
            if not candidate.passed:  # the model has no channel value (and uses) for a passed constructor
                growth = channel_growth(self, model, candidate.file, build, construction, kind)
            subject = Subject(build.names, frozenset(b.line for b in candidate.file.channels.builds))
            self._check(unbounded_at(construction, kind), candidate.path, growth, subject)

    def _check(self, binding: Unbounded, path: Optional[str], growth: Tuple[Any, Sequence[Any]],
               subject: Subject) -> None:
        """Report `binding` (unbounded always, or on `path`) unless a comment
        justifies it or it cannot grow."""
        from dispatch_lint.api import statement_lines

        first, last = statement_lines(self, binding.construction)
        if not self.justifier.readable() or self.justifier.reason(first, last, subject) is not None:
            return
        shape, bounds = growth
        if shape is None:
            self._report(binding, path, bounds, self.justifier.rejected(first, last, subject))

    def _report(self, binding: Unbounded, path: Optional[str], bounds: Sequence[Any],
                rejected: Sequence[Any]) -> None:
        from dispatch_lint.api import capacity_edit, no_bound_reason

        capacity = self.options[DEFAULT_CAPACITY.name]
        reason: Optional[str] = no_bound_reason(binding)
        if path is not None:
            reason = "the capacity comes from the code's values; bound it on the path named"
        fix = None
        if reason is None and capacity:
            edit = capacity_edit(self, binding, str(capacity))
            fix = self.make_fix(Applicability.UNSAFE, f"Bound the channel to {capacity}", edit)
        elif reason is None:
            reason = "set `default-capacity` to have the fix bound the channel"
        message = self._message(binding, path, bounds, rejected)
        self.report(binding.construction, message, fix=fix, no_fix_reason=None if fix else reason,
                    help=self._help())

    def _marker(self) -> str:
        pattern = self.options[UNBOUNDED_MARKER.name]
        return "`# unbounded: <reason>`" if pattern == DEFAULT_MARKER else f"a comment matching `{pattern}`"

    def _help(self) -> str:
        return (f"name the external limit (an upstream bound, flow control, a finite input, a circular flow "
                f"that would deadlock if bounded) next to it with {self._marker()}, or give it a capacity")

    def _message(self, binding: Unbounded, path: Optional[str], bounds: Sequence[Any],
                 rejected: Sequence[Any]) -> str:
        from dispatch_lint.api import construction_text

        head = f"Unbounded `{construction_text(self, binding)}` has no comment saying what bounds its growth"
        if path is not None:
            built = self.context.module.code_for_node(binding.construction)
            head = (f"`{built}` builds an unbounded `{binding.kind.display}` when {path}, "
                    f"and no comment says what bounds its growth")
        notes: List[str] = [f"the comment \"{claim.clause}\" does not count ({claim.why})" for claim in rejected[:1]]
        if bounds:
            seen = " and ".join(evidence.describe() for evidence in bounds)
            head = f"{head}; the tool saw {seen}: if that is what bounds it, say so next to it with {self._marker()}"
        return head + "".join(f"; {note}" for note in notes)


def checks(path: str, options: Mapping[str, Any]) -> bool:
    """Whether DSP301 checks the file: test code only with `unbounded-in-tests`."""
    return bool(options.get(TESTS.name, TESTS.default)) or not is_test_file(path)


def is_test_file(path: str) -> bool:
    parts = PurePath(path).parts
    name = parts[-1] if parts else ""
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or any(part in TEST_FOLDERS for part in parts[:-1]))
