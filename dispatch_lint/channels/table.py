"""The one table of channel knowledge. A new library is one row.

Each row says which qualified names build the channel, where its capacity goes
and what it means, and how its sending end is used: the blocking or awaited send,
the non-blocking try-send, and the exception the try-send raises when full.

An end may have several send methods (aioprocessing's queue has an awaited
`coro_put` and a blocking `put`): each is a `SendEnd` of its own. A try-send may
be a method (`put_nowait`) or the send itself with a keyword (`put(x,
block=False)`): the rewrite then adds the keyword, and gives no fix when the
call already passes it or hides arguments behind `*`/`**`. A try-send is a plain
call that returns at once (the rewrite drops the `await`): a library whose
non-blocking form must still be awaited cannot be described by a row, and no
row describes one, so no rewrite leaves a coroutine un-awaited.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Dict, Iterable, Mapping, Match, Optional, Pattern, Tuple, Union

from dispatch_lint.text import follows_word_character

INF = math.inf


@dataclass(frozen=True)
class SendEnd:
    """How one end of a channel is sent on."""

    send: str  # the method that waits for room: `put`, `send`
    awaited: bool  # True: `await ch.send(x)`; False: a blocking thread call
    try_send: str  # the non-blocking variant
    full_error: str  # qualified name of what the try-send raises when full
    # The send's own keyword that makes it fail at once instead of waiting
    # (`block=False`): a call passing it never waits, and when `try_send` is
    # `send` itself the rewrite adds it.
    try_keyword: Optional[Tuple[str, str]] = None

    @property
    def keyword_try_send(self) -> bool:
        """The try-send is this send with `try_keyword` added, not another method."""
        return self.try_send == self.send and self.try_keyword is not None

    def try_text(self, receiver: str) -> str:
        """The try-send as a message shows it: `q.put_nowait(...)`, `q.put(..., block=False)`."""
        if self.keyword_try_send:
            return f"{receiver}.{self.send}(..., {self.try_keyword[0]}={self.try_keyword[1]})"
        return f"{receiver}.{self.try_send}(...)"


@dataclass(frozen=True)
class Capacity:
    """Where the capacity argument goes and what its values mean."""

    keyword: Optional[str]  # None: positional only
    position: Optional[int]  # None: keyword only
    default: float  # the value when the argument is omitted
    zero_is_unbounded: bool  # asyncio/queue: maxsize <= 0 is unbounded; anyio/trio: 0 is a rendezvous
    fixed_unbounded: bool = False  # no capacity at all (SimpleQueue)


@dataclass(frozen=True)
class ChannelKind:
    library: str
    names: Tuple[str, ...]  # qualified names of the constructor
    capacity: Capacity
    # "object": the result is the channel; "pair": (send end, receive end);
    # "views": the result has attributes that are the ends (janus).
    shape: str
    end: Optional[SendEnd] = None
    views: Mapping[str, SendEnd] = None  # type: ignore[assignment]
    more_ends: Tuple[SendEnd, ...] = ()  # other send methods of the same end
    # Methods that wait for an item on the receiving end (or on a janus view);
    # anyio and trio receive ends are also drained by `async for`.
    receives: Tuple[str, ...] = ("get",)

    @property
    def display(self) -> str:
        return self.names[0]

    def sends(self, view: Optional[str] = None) -> Tuple[SendEnd, ...]:
        """The send methods of the channel's sending end, or of one janus view."""
        if view is not None:
            found = (self.views or {}).get(view)
            return (found,) if found is not None else ()
        return tuple(end for end in (self.end, *self.more_ends) if end is not None)

    def all_sends(self) -> Tuple[SendEnd, ...]:
        return (*self.sends(), *(self.views or {}).values())


ASYNCIO_END = SendEnd("put", True, "put_nowait", "asyncio.QueueFull")
THREAD_END = SendEnd("put", False, "put_nowait", "queue.Full", try_keyword=("block", "False"))
MAXSIZE = Capacity("maxsize", 0, 0, zero_is_unbounded=True)


def _asyncio(name: str) -> ChannelKind:
    return ChannelKind("asyncio", (f"asyncio.{name}", f"asyncio.queues.{name}"), MAXSIZE, "object", ASYNCIO_END)


def _queue(name: str) -> ChannelKind:
    return ChannelKind("queue", (f"queue.{name}",), MAXSIZE, "object", THREAD_END)


CHANNEL_KINDS: Tuple[ChannelKind, ...] = (
    _asyncio("Queue"),
    _asyncio("PriorityQueue"),
    _asyncio("LifoQueue"),
    ChannelKind(
        "anyio",
        ("anyio.create_memory_object_stream", "anyio.streams.memory.create_memory_object_stream",
         "anyio._core._streams.create_memory_object_stream"),
        Capacity("max_buffer_size", 0, 0, zero_is_unbounded=False),
        "pair",
        SendEnd("send", True, "send_nowait", "anyio.WouldBlock"),
        receives=("receive",),
    ),
    ChannelKind(
        "trio",
        ("trio.open_memory_channel", "trio._channel.open_memory_channel"),
        Capacity("max_buffer_size", 0, 0, zero_is_unbounded=False),
        "pair",
        SendEnd("send", True, "send_nowait", "trio.WouldBlock"),
        receives=("receive",),
    ),
    _queue("Queue"),
    _queue("LifoQueue"),
    _queue("PriorityQueue"),
    ChannelKind("queue", ("queue.SimpleQueue",), Capacity(None, None, INF, True, fixed_unbounded=True),
                "object", THREAD_END),
    ChannelKind("multiprocessing", ("multiprocessing.Queue", "multiprocessing.queues.Queue"),
                MAXSIZE, "object", THREAD_END),
    ChannelKind("multiprocessing", ("multiprocessing.JoinableQueue", "multiprocessing.queues.JoinableQueue"),
                MAXSIZE, "object", THREAD_END),
    ChannelKind("multiprocessing", ("multiprocessing.SimpleQueue", "multiprocessing.queues.SimpleQueue"),
                Capacity(None, None, INF, True, fixed_unbounded=True), "object",
                SendEnd("put", False, "put", "queue.Full")),
    ChannelKind("janus", ("janus.Queue",), MAXSIZE, "views",
                views={"async_q": ASYNCIO_END, "sync_q": THREAD_END}),
    ChannelKind("aioprocessing", ("aioprocessing.AioQueue", "aioprocessing.queues.AioQueue"), MAXSIZE, "object",
                SendEnd("coro_put", True, "put_nowait", "queue.Full"), more_ends=(THREAD_END,),
                receives=("get", "coro_get")),
    ChannelKind("aioprocessing", ("aioprocessing.AioJoinableQueue", "aioprocessing.queues.AioJoinableQueue"),
                MAXSIZE, "object", SendEnd("coro_put", True, "put_nowait", "queue.Full"), more_ends=(THREAD_END,),
                receives=("get", "coro_get")),
)

# Field helpers whose keyword names a factory: `field(default_factory=lambda: Queue(10))`.
FACTORY_KEYWORDS: Dict[str, str] = {
    "dataclasses.field": "default_factory",
    "pydantic.Field": "default_factory",
    "pydantic.fields.Field": "default_factory",
    "attr.ib": "factory",
    "attr.attrib": "factory",
    "attr.field": "factory",
    "attrs.field": "factory",
}
FACTORY_KEYWORD_NAMES = frozenset(FACTORY_KEYWORDS.values())
VIEW_NAMES = frozenset(view for kind in CHANNEL_KINDS for view in (kind.views or {}))

# multiprocessing context objects (`get_context("spawn").Queue(...)`, a Manager)
# build the same channels as the module functions of the same name.
CONTEXT_FACTORIES: Tuple[str, ...] = (
    "multiprocessing.get_context",
    "multiprocessing.Manager",
    "multiprocessing.context.get_context",
)
CONTEXT_LIBRARY = "multiprocessing"

BY_NAME: Dict[str, ChannelKind] = {name: kind for kind in CHANNEL_KINDS for name in kind.names}


def kind_for(qualified_name: str) -> Optional[ChannelKind]:
    return BY_NAME.get(qualified_name)


def context_kind(method: str) -> Optional[ChannelKind]:
    """The channel a multiprocessing context's method builds, e.g. `ctx.Queue`."""
    return BY_NAME.get(f"{CONTEXT_LIBRARY}.{method}")


# Every constructor's last name part (also a multiprocessing context's method name).
CONSTRUCTOR_WORDS: Tuple[str, ...] = tuple(sorted({name.rsplit(".", 1)[1] for name in BY_NAME}))
# What the constructors call what they build, the last word of each name
# (`queue` of `LifoQueue`, `stream` of `create_memory_object_stream`).
CONSTRUCTOR_NOUNS: Tuple[str, ...] = tuple(sorted({re.findall(r"[A-Z]?[a-z]+", word)[-1].lower()
                                                   for word in CONSTRUCTOR_WORDS}))
_WORDS = "(?:" + "|".join(sorted(CONSTRUCTOR_WORDS, key=len, reverse=True)) + r")\b"
_WORD = r"\b" + _WORDS
# Whitespace, line continuations, parentheses and whole comments.
_FILL = r"(?:[\s\\()]|#[^\n]*\n)*"
_WORD_AT = re.compile(_WORDS)
_AFTER_WORD = re.compile(rf"{_FILL}(?:[(\[]|as\b)")
_FACTORY = re.compile(rf"factory{_FILL}=(?:[\w.\s\\()]|#[^\n]*\n)*?{_WORD}")


class _ConstructionText:
    """Where LibCST can see a construction: a constructor called (`Queue(`,
    `create_memory_object_stream[int](`, `(asyncio.Queue)(`), imported under
    another name (`Queue as Q`), or given as a factory (`default_factory=asyncio.Queue`).
    A file without one builds no channel, so the channel rules cannot report."""

    def search(self, text: str) -> Optional[Match[str]]:
        for word in _WORD_AT.finditer(text):
            if not follows_word_character(text, word.start()) and _AFTER_WORD.match(text, word.end()):
                return word
        return _FACTORY.search(text) if "factory" in text else None


CONSTRUCTION_TEXT = _ConstructionText()


def screen_words(words: Iterable[str]) -> Tuple[str, ...]:
    """The fewest of `words` whose presence in a text tells whether one of
    `words` occurs in it (a word that holds another, as `LifoQueue` holds
    `Queue`, adds nothing to the test)."""
    distinct = set(words)
    return tuple(sorted(w for w in distinct if not any(v != w and v in w for v in distinct)))


class WordPattern:
    """A pattern that can only match where one of `words` occurs: the plain
    substring test (a fast scan) runs first, the slower pattern only after it."""

    def __init__(self, words: Tuple[str, ...], pattern: Union[Pattern[str], _ConstructionText]) -> None:
        self.words = screen_words(words)
        self.pattern = pattern

    def search(self, text: str) -> Optional[Match[str]]:
        return self.pattern.search(text) if any(word in text for word in self.words) else None


TRIGGER_WORDS: Tuple[WordPattern, ...] = (WordPattern(CONSTRUCTOR_WORDS, CONSTRUCTION_TEXT),)


def _method_pattern(methods: Tuple[str, ...]) -> WordPattern:
    """Text that may call one of `methods` as a method: `.put(`, `. send (` and
    line continuations; a file without it makes no such call."""
    words = tuple(sorted(set(methods), key=len, reverse=True))
    return WordPattern(words, re.compile(r"\.[\s\\]*(?:" + "|".join(words) + r")\b"))


AWAITED_SEND_TEXT = _method_pattern(tuple(e.send for k in CHANNEL_KINDS for e in k.all_sends() if e.awaited))
BLOCKING_SEND_TEXT = _method_pattern(tuple(e.send for k in CHANNEL_KINDS for e in k.all_sends() if not e.awaited))
