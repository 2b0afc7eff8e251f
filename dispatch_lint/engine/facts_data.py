"""The per-file facts of the project index: plain, picklable data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Optional, Tuple

# Calls whose coroutine arguments run as tasks: the callee must stay a coroutine.
# (A call whose result is used through an attribute, `f().__await__()`, counts too.)
SPAWNERS = frozenset({"create_task", "ensure_future", "gather", "shield", "wait", "as_completed",
                      "run_coroutine_threadsafe", "spawn"})
VALUE, CALL, SPAWN = 1, 2, 4
# Calls that need a running event loop (or ask which one runs).
LOOP_CALLS = frozenset({"asyncio.get_running_loop", "asyncio.get_event_loop", "asyncio.create_task",
                        "asyncio.ensure_future", "asyncio.Future", "asyncio.current_task",
                        "sniffio.current_async_library", "trio.lowlevel.current_task",
                        "anyio.get_current_task", "anyio.Event", "anyio.Lock", "anyio.Semaphore",
                        "anyio.Condition", "anyio.CapacityLimiter",
                        "anyio.to_thread.current_default_thread_limiter",
                        "trio.to_thread.current_default_thread_limiter"})
LOOP_METHODS = frozenset({"create_task", "create_future", "ensure_future", "call_soon", "call_later",
                          "call_at", "run_in_executor", "start_soon"})


@dataclass(frozen=True)
class AsyncDefFact:
    name: str
    qualname: str  # "f", "C.m", "outer.<locals>.inner"
    line: int
    class_qualname: Optional[str]  # the class it is a method of
    nested: bool  # defined inside a function
    awaits: bool  # its own body awaits (or is an async generator)
    # dotted, resolved through the file's imports, builtins as "builtins.x" ("?" if not a name)
    decorators: Tuple[str, ...] = ()
    stub: bool = False  # docstring, pass, ... or raise NotImplementedError only
    needs_loop: bool = False  # its own body calls one of LOOP_CALLS or LOOP_METHODS
    # another definition of its name in the same `if`/`try` is a coroutine that awaits
    awaiting_alternative: bool = False


@dataclass(frozen=True)
class ClassFact:
    qualname: str
    line: int
    bases: Tuple[str, ...]  # dotted, resolved through the file's imports
    # method name -> "sync" | "await" (async, awaits) | "dead" (async, never awaits)
    methods: Tuple[Tuple[str, str], ...]
    has_stubs: bool = False  # declares a stub method: an abstract base in all but name


@dataclass(frozen=True)
class AwaitSite:
    """`await <receiver>.name(...)`; the edit deletes columns [column, end_column)."""

    name: str
    receiver: str  # "" plain name, "self", "cls", "super", "mod:<dotted>", "?" other
    target: Optional[str]  # for a plain imported name: its dotted origin
    enclosing_class: Optional[str]
    line: int
    column: int  # 1-based character column of `await`
    end_column: int  # column of the awaited expression


@dataclass
class FileFacts:
    path: str  # absolute real path
    module: str  # dotted module name ("" when not importable)
    public: bool  # part of a package's public API
    defs: Tuple[AsyncDefFact, ...] = ()
    classes: Tuple[ClassFact, ...] = ()
    imports: Dict[str, str] = field(default_factory=dict)  # local name -> dotted origin
    star_imports: Tuple[str, ...] = ()
    # Pairs of origins imported under one name (in `if`/`try` branches): alternatives.
    import_alternatives: Tuple[Tuple[str, str], ...] = ()
    await_sites: Tuple[AwaitSite, ...] = ()
    # name -> (kinds bitmask, line, column) of plain-name references that are not direct awaits
    name_refs: Dict[str, Tuple[int, int, int]] = field(default_factory=dict)
    # attribute name -> (kinds bitmask, line, column), any receiver
    attr_refs: Dict[str, Tuple[int, int, int]] = field(default_factory=dict)
    # (module, attribute) -> kinds, for `mod.name` where `mod` is an imported module
    module_attr_refs: Dict[Tuple[str, str], int] = field(default_factory=dict)
    async_mocked: FrozenSet[str] = frozenset()  # names the tests replace with AsyncMock
    # The project index these facts belong to, set when it is built (never pickled).
    index: Any = field(default=None, compare=False, repr=False)

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["index"] = None
        return state

    @property
    def has_candidates(self) -> bool:
        return any(not d.awaits for d in self.defs)
