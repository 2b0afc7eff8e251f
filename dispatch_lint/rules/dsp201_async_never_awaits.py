"""DSP201 async-never-awaits."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, List, Optional, Tuple

from dispatch_lint.api import (
    Applicability,
    DeadAsyncVerdict,
    Edit,
    Fix,
    Invalid,
    Option,
    Position,
    Rule,
    Valid,
    dead_async_findings,
    describe_dead_async,
    may_report,
)

ALLOWED_DECORATORS = Option(
    "allowed-async-decorators",
    (),
    "Qualified names of decorators that do not need a coroutine (DSP201 checks functions "
    "decorated only with these, `staticmethod`, `classmethod` and `functools.wraps`, and the "
    "methods of classes decorated only with these or with `dataclass`-like decorators).",
)
TESTS_CHECKED = Option("dead-async-in-tests", False, "Whether DSP201 also checks pytest tests (`test*`).")

# From the start of the `async def` line: its indentation, `async` and the
# whitespace after it (line continuations included), `def`, the name.
_SPACE = r"(?:[ \f\t]|\\(?:\r\n?|\n))*"
ASYNC_DEF = re.compile(rf"[ \f\t]*(?P<keyword>async{_SPACE})def{_SPACE}(?P<name>[^\s\\(\[]+)")


class AsyncNeverAwaits(Rule):
    """## What it does
    Finds an `async def` whose own body never awaits: no `await`, `async for`,
    `async with` or async comprehension (bodies of nested functions, classes
    and lambdas do not count; an await in a nested function's default value or
    decorator does). Methods are checked too, unlike ruff's RUF029 and
    flake8-async's ASYNC124.

    The rule asks the whole project (not only the checked paths) and is quiet
    where `async` is an interface rather than an accident:
    - async generators, and stub bodies (docstring, `pass`, `...`, a bare
      `return` or `return None`, `raise NotImplementedError`);
    - `@overload`, `@abstractmethod`, methods of `Protocol` and ABC classes,
      and methods that implement one of their coroutines structurally (same
      name, no inheritance needed);
    - a method that overrides a base-class coroutine, or whose base class is
      outside the project, or that carries `@override`; a method that a
      subclass in the project overrides with a coroutine;
    - a public method of public API whose role its users define: nothing in
      the project calls it (frameworks and event dispatchers call it by name),
      or its class is a base class (subclassed in the project, or declaring
      stub methods) whose subclasses may override it;
    - dunder methods (`__aenter__`, `__aexit__`, `__anext__`, `__call__`...),
      which Python or a framework calls by protocol, not by name;
    - decorated functions, unless every decorator is on the allow-list
      (`staticmethod`, `classmethod`, `functools.wraps`, and the
      `allowed-async-decorators` setting); methods of a decorated class,
      whose decorator may wrap them, unless every class decorator leaves
      methods alone (`dataclass`, `total_ordering`, `final`...) or is on the
      allow-list;
    - functions referenced anywhere in the project other than by a direct
      `await f(...)`: passed as a callback, stored, registered as a handler;
      and functions whose coroutine object is used as a value (assigned,
      stored, put in a container, returned, or passed on, to `create_task`,
      `gather`, `asyncio.run` or any other callee);
    - methods of a class whose base (or itself) calls its methods by name
      with `getattr(self, <not a constant>)`: the methods matching the
      visible prefix (`"on_" + event`), or every public method when no prefix
      shows, are hooks; so are the matching methods that nothing calls when
      other code looks up a computed name on an instance of the class, or on
      an object the model cannot type in a module that defines or names the
      class (`await getattr(commands, name)()` in a command-line tool);
    - a method whose result a caller tests with `inspect.isawaitable`,
      `asyncio.iscoroutine` and the like (an async override of a callback
      that may be sync or async);
    - pytest tests (`test*`) unless `dead-async-in-tests` is set; fixtures are
      decorated;
    - functions that need a running event loop (`get_running_loop()`,
      `create_task`, `asyncio.Future()`, `sniffio`...), directly or through a
      function or class `__init__` of the project that they call, unless some
      call site awaits them, which proves the loop is running;
    - one of several alternative definitions (`if`/`else`, `try`/`except
      ImportError`, also imported from different modules under one name)
      where another alternative is a coroutine that awaits;
    - a method that a polymorphic call site `await x.name()` (receiver not
      known statically) may reach together with a same-named coroutine that
      awaits (an HTTP/1.1 and an HTTP/2 protocol class): `async` is their
      shared interface.

    Uses are resolved by scope, as Python does: a parameter, a loop or
    comprehension variable, an `async with ... as` or `except ... as` target,
    or a nested function of the same name is a different thing, and
    `obj.name()` reaches a method only through what the code shows `obj` is
    (`self`, an instance built or annotated, an element of a container of
    instances). The whole project is read, files the configuration
    `exclude`s included (they are not reported, but their call sites count).

    The message says whether every call site in the project is a plain
    `await` (then the rewrite applies) or names the first place that prevents
    it: a call without `await`, an `await` followed by a line break, an
    `await` inside a generator expression (which it makes asynchronous), a
    lookup by name (`getattr(module, "f")`, `globals()["f"]`), an assignment
    to the module attribute (monkeypatching), or a call that may also reach
    another binding of the name.

    ## Why is this bad?
    A coroutine that never awaits still costs a task switch at every call, and
    it tells readers and callers that it may suspend, so they guard against
    interleavings that cannot happen. It often is the leftover of a refactor:
    a function that used to await a bounded send no longer does, and its
    callers still await it.

    ## Example
    ```python
    async def _forward(message):
        inbox.put_nowait(message)

    async def handle(message):
        await _forward(message)
    ```

    ## Use instead
    ```python
    def _forward(message):
        inbox.put_nowait(message)

    async def handle(message):
        _forward(message)
    ```
    `handle` then awaits nothing either, and `dispatch-lint fix` rewrites it
    and its callers on the next pass, until nothing changes.

    ## Fix safety
    The fix drops `async` from the definition and `await` from every call site
    in the project, in every file. It is offered only when every reference is
    such a call site inside the checked paths. It is **safe** when the function
    cannot be reached from outside the project: a name with a leading
    underscore, a method of a class with one, a nested function, or a module
    that is not public API (a private module, tests, scripts, examples),
    unless a public module imports the function or its class (`from ._impl
    import Client` in a package's `__init__` makes `Client` public API, and
    `from .parser import _Parser` in a public module makes the methods of
    `_Parser`, whose instances may reach users, public API). It is
    **unsafe** otherwise, because users of a library may await it; also when
    a call site's receiver is not known statically, when the project's tests
    replace the function with `AsyncMock`, relying on a coroutine, when
    nothing in the checked tree calls it (its callers may not be written yet,
    or pre-commit stashed them), or when a Python file the model could not
    read mentions its name (a gitignored folder, a folder that could not be
    listed, another project named on the same command line). Alternative
    definitions of the name (`if`/`else`, `try`/`except`) are rewritten
    together, and a `.pyi` stub beside the module with them; an alternative
    to an import is not reported.

    ## Options
    - `allowed-async-decorators` (default `[]`): qualified names of decorators
      that do not need a coroutine, in addition to `staticmethod`,
      `classmethod` and `functools.wraps`; as class decorators, they leave
      the methods checked.
    - `dead-async-in-tests` (default `false`): also check pytest tests.
    """

    CODE = "DSP201"
    NAME = "async-never-awaits"
    MESSAGE = "`async def` never awaits"
    HELP = "drop `async` from the definition and `await` from every call site (the fix does both)"
    FIXES = (Applicability.SAFE, Applicability.UNSAFE)
    NEEDS_INDEX = True
    NEEDS_CST = False
    OPTIONS = (ALLOWED_DECORATORS, TESTS_CHECKED)
    VALID = [
        Valid("""
            async def _gen():
                yield 1
        """),
        Valid("""
            class Port:
                async def read(self):
                    ...
        """),
        Valid("""
            from typing import Protocol

            class Source(Protocol):
                async def read(self):
                    return b""
        """),
        Valid("""
            from typing import Protocol

            class Event(Protocol):
                async def set(self) -> None: ...

            class EventWrapper:
                async def set(self):
                    print("set")

            async def fire(event: Event):
                await event.set()
        """),
        Valid("""
            import abc

            class Base(abc.ABC):
                @abc.abstractmethod
                async def read(self):
                    return b""
        """),
        Valid("""
            class Base:
                async def read(self):
                    return b""

            class Network(Base):
                async def read(self):
                    return await fetch()

            async def use(source: Base):
                await source.read()
        """),
        Valid("""
            class Server:
                def handle(self, request):
                    raise NotImplementedError

                async def on_error(self, exc):
                    print(exc)

                async def serve(self):
                    try:
                        await run()
                    except Exception as exc:
                        await self.on_error(exc)
        """),
        Valid("""
            import anyio

            async def make_event():
                return anyio.Event()
        """),
        Valid("""
            class _Plain:
                async def _emit(self, line):
                    print(line)

            class _Remote:
                async def _emit(self, line):
                    await send(line)

            async def log(logger, line):
                await logger._emit(line)
        """),
        Valid("""
            class Lock:
                async def __aenter__(self):
                    return self

                async def __aexit__(self, *exc):
                    return None
        """),
        Valid("""
            import functools

            @functools.lru_cache
            async def _cached():
                return 1
        """),
        Valid("""
            from django.utils.decorators import method_decorator

            @method_decorator(wrap_async, name="_get")
            class _View:
                async def _get(self):
                    return 1

            async def handle():
                return await _View()._get()
        """),
        Valid("""
            class Formatter:
                async def mention(self, user):
                    return None

                async def link(self, url):
                    return url

                async def render(self, user, url):
                    return [await self.mention(user), await self.link(url)]
        """),
        Valid("""
            async def _on_message(message):
                print(message)

            def register(router):
                router.add_handler(_on_message)
        """),
        Valid("""
            import asyncio

            async def _tick():
                print("tick")

            async def main():
                asyncio.create_task(_tick())
                await asyncio.sleep(1)
        """),
        Valid("""
            async def test_parse():
                assert 1 + 1 == 2
        """),
        Valid("""
            import asyncio

            async def _start():
                asyncio.get_running_loop().call_soon(print)
        """),
        Valid("""
            import asyncio

            class Scheduler:
                def __init__(self):
                    self._reaper = asyncio.create_task(asyncio.sleep(0))

            async def create_scheduler():
                return Scheduler()  # builds what needs a running loop
        """),
        Valid("""
            try:
                from fast import _send
            except ImportError:
                async def _send(data):
                    print(data)
            else:
                async def _send(data):
                    await _fast_send(data)
        """),
        Valid("""
            import aiohttp.web

            class Handler(aiohttp.web.View):
                async def get(self):
                    return aiohttp.web.Response()
        """),
        Valid("""
            import asyncio

            async def fetch(x):
                await asyncio.sleep(0)
                return x

            async def collect(flag):
                async def dummy_read():
                    return {}

                return await asyncio.gather(fetch(1), fetch(2) if flag else dummy_read())  # a value
        """),
        Valid("""
            class _Commands:
                async def info(self):
                    print("info")

            async def _run(commands, name):
                return await getattr(commands, name)()  # a command looked up by name

            async def _main(name):
                return await _run(_Commands(), name)
        """),
        Valid("""
            class _Dispatcher:
                async def dispatch(self, event):
                    await getattr(self, "on_" + event)()

            class _Client(_Dispatcher):
                async def on_ready(self):
                    print("ready")
        """),
        Valid("""
            import inspect

            class _Listener:
                def on_message(self, message):
                    return None

            class _AsyncListener(_Listener):
                async def on_message(self, message):
                    print(message)

            async def _deliver(listener: _Listener, message):
                result = listener.on_message(message)
                if inspect.isawaitable(result):
                    await result
        """),
        Valid("""
            async def _job():
                return 1

            def _schedule(queue):
                queue.append(_job())
        """),
        Valid("""
            try:
                from fast import _encode
            except ImportError:
                async def _encode(data):
                    return data

            async def send(data):
                return await _encode(data)
        """),
        Valid("""
            import sys
            import trio

            if sys.platform == "trio":
                open_async = trio.open_file
            else:
                async def open_async(path):
                    return open(path)

            async def read(path):
                async with await open_async(path) as f:
                    return f.read()
        """),
        Valid("""
            class _RealState:
                async def query_members(self, guild):
                    return await fetch(guild)

            class _PartialState:
                async def query_members(self, guild):
                    return []
        """),
    ]
    INVALID = [
        Invalid(
            """
            class _Commands:
                async def info(self):
                    print("info")

            def _setting(config, key):
                return getattr(config, "option_" + key)  # another prefix: not a command
            """,
            expected_message="nothing in the project calls it",
        ),
        Invalid(
            """
            async def _forward(message):
                print(message)

            async def handle(message):
                await _forward(message)
            """,
            expected_replacement="""
            def _forward(message):
                print(message)

            async def handle(message):
                _forward(message)
            """,
            expected_message="every call site in the project is a plain `await` (1 call site in 1 file)",
        ),
        Invalid(
            """
            import dataclasses

            @dataclasses.dataclass
            class _Point:
                x: int

                async def _norm(self):
                    return abs(self.x)

            async def size(point: _Point):
                return await point._norm()
            """,
            expected_replacement="""
            import dataclasses

            @dataclasses.dataclass
            class _Point:
                x: int

                def _norm(self):
                    return abs(self.x)

            async def size(point: _Point):
                return point._norm()
            """,
            expected_message="every call site in the project is a plain `await` (1 call site in 1 file)",
        ),
        Invalid(
            """
            class _Gateway:
                async def _route(self, request):
                    return request.path

                async def serve(self, request):
                    return await self._route(request)
            """,
            expected_replacement="""
            class _Gateway:
                def _route(self, request):
                    return request.path

                async def serve(self, request):
                    return self._route(request)
            """,
        ),
        Invalid(
            """
            async def _compute():
                return 42

            def main():
                _compute()
            """,
            expected_message="called without `await` at case.py:6",
        ),
        Invalid(
            """
            async def _forward(message):
                print(message)

            class Actor:
                @staticmethod
                async def forward(message):
                    print(message)
            """,
            expected_message="nothing in the project calls it",
        ),
        Invalid(
            """
            async def test_parse():
                assert 1 + 1 == 2
            """,
            settings={"dead-async-in-tests": True},
        ),
        Invalid(
            """
            from unittest.mock import AsyncMock, patch

            async def _fetch():
                return 1

            async def use():
                return await _fetch()

            def check():
                with patch("case._fetch", new_callable=AsyncMock):
                    pass
            """,
            expected_message="the tests replace it with an AsyncMock",
        ),
        Invalid(
            """
            async def _render():
                return "outer"

            async def build(_render):
                return await _render()

            async def show():
                return await _render()
            """,
            expected_replacement="""
            def _render():
                return "outer"

            async def build(_render):
                return await _render()

            async def show():
                return _render()
            """,
        ),
        Invalid(
            """
            async def _double(x):
                return 2 * x

            async def stream(xs):
                async for value in (await _double(x) for x in xs):
                    print(value)
            """,
            expected_message="awaited inside a generator expression at case.py:6",
        ),
        Invalid(
            """
            async def _pending():
                return 1
            """,
            expected_message="fix is unsafe: nothing in the checked tree calls it",
        ),
    ]

    @classmethod
    def could_report(cls, text: str, facts: Any = None) -> bool:
        if facts is None:
            return "async" in text
        options = facts.index.options_for(facts.path) if facts.index is not None else {}
        return may_report(facts, options.get(ALLOWED_DECORATORS.name, ()), options.get(TESTS_CHECKED.name, False))

    @classmethod
    def read_project(cls, facts: Any) -> object:
        options = facts.index.options_for(facts.path)
        return list(dead_async_findings(facts.index, facts.path, options.get(ALLOWED_DECORATORS.name, ()),
                                        options.get(TESTS_CHECKED.name, False)))

    def check_facts(self) -> None:
        """The index facts decide; the text places the finding and its fix."""
        index = self.context.index
        if index is None:
            return
        found = dead_async_findings(index, self.context.path, self.options.get(ALLOWED_DECORATORS.name, ()),
                                    self.options.get(TESTS_CHECKED.name, False))
        for fact, verdict in found:
            span = self._async_def(fact.line, fact.name)
            if span is None:
                continue
            start, keyword, name, end = span
            self.report_span(start, end, describe_dead_async(name, verdict),
                             fix=self._fix(start, keyword, name, verdict), no_fix_reason=verdict.run_blocker)

    def _async_def(self, line: int, name: str) -> Optional[Tuple[Position, str, str, Position]]:
        """(start of `async`, `async` with the whitespace up to `def`, the name as
        written, end of the name) of `async def name` at `line`; None when the
        text there does not hold it (`ast` gives names NFKC-normalized)."""
        at = self.context.offset(line)
        match = ASYNC_DEF.match(self.context.text, at) if at is not None else None
        if match is None or unicodedata.normalize("NFKC", match["name"]) != name:
            return None
        return (self.context.position(match.start("keyword")), match["keyword"], match["name"],
                self.context.position(match.end("name")))

    def _fix(self, start: Position, keyword: str, name: str, verdict: DeadAsyncVerdict) -> Optional[Fix]:
        if verdict.run_blocker:
            return None
        edits: List[Edit] = [self.delete_text(start, keyword)]
        own = self.context.index.file(self.context.path)
        for site in verdict.sites + verdict.also:
            path = site.runner_path or (self.context.path if own and site.real_path == own.path else None)
            if path is None:
                return None
            edits.append(Edit(path, Position(site.line, site.column), Position(site.line, site.end_column), ""))
        safe = not verdict.public and not verdict.unsafe_because
        count = len(verdict.sites)
        description = f"make `{name}` synchronous and drop `await` at {count} call site{'s' if count != 1 else ''}"
        return self.make_fix(Applicability.SAFE if safe else Applicability.UNSAFE, description, *edits)
