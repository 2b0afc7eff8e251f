"""The engine's optimised index-facts walk gives exactly the facts of the plain
reference walk (tests/facts_reference.py): on tricky snippets, on every fixture
file and (network) on the pinned corpus."""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pytest

from dispatch_lint.engine.index_facts import extract_facts

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))
import corpus  # noqa: E402
from facts_reference import reference_facts  # noqa: E402

SNIPPETS = {
    "references in every position": """
        import asyncio, os.path as osp
        from pkg.jobs import job, other as alias
        from . import sibling

        async def job_runner(x: job = job, *args: alias, key: other = alias(), **kw: job) -> job:
            job(); alias.attr(job); await job(x); await alias.attr(job)
            y = [job for job in range(3) if job]; z = {k: job for k in x}
            return lambda a=job: job(a) or alias
        class Worker(job, metaclass=alias.Meta):
            @alias.deco(job)
            async def run(self, /, a, *, b=job): await self.tick(); await super().tick(); await osp.join()
            async def tick(self): ...
        asyncio.create_task(job()); asyncio.gather(alias(), job()); job().__await__()
    """,
    "branches, alternatives and nesting": """
        try:
            from fast import loads
        except ImportError:
            from slow import loads
        if loads:
            async def go(): await loads()
        else:
            async def go(): pass
        def outer():
            async def inner(): return 1
            class Local:
                async def meth(self): yield 1
            return inner, Local
        while True:
            async def spin(): await spin()
            break
        else:
            pass
    """,
    "statements of every kind": """
        import anyio
        global_x = 1
        async def everything(a, b):
            global global_x
            nonlocal_holder = 0
            def inner():
                nonlocal nonlocal_holder
                del nonlocal_holder
            async with anyio.open() as (f, g), other() as h:
                async for item in f:
                    a += item; b: int = item; c: anyio.Event
                    assert a, f"{a!r:>{b}} {item}"
                    raise ValueError(a) from anyio.get_cancelled_exc_class()
            for i, j in zip(a, b):
                continue
            with open(a) as fh, (yield fh):
                x = {**a, "k": [*b], "s": {1, 2}, "t": (yield from b)}
                x[1:2:3] = not a if b else -a
                (n := len(a)) > 2 > n
                await anyio.sleep(0); await anyio.to_thread.run_sync(f)
            print([x async for x in a], {y: z async for y, z in b}, (w for w in a))
    """,
    "loops and loop calls": """
        import asyncio
        from asyncio import get_running_loop as grl
        async def a(loop): loop.call_soon(print)
        async def b(): asyncio.get_running_loop()
        async def c(): grl()
        async def d(): obj().get_running_loop()
        async def e(): lambda: asyncio.get_event_loop()
    """,
    "mocks": """
        from unittest import mock
        from unittest.mock import AsyncMock, patch, create_autospec
        client.fetch = AsyncMock(return_value=1)
        self.sender.send = mock.AsyncMock()
        @patch.object(Client, "fetch", new_callable=AsyncMock)
        @patch("pkg.mod.download", AsyncMock(spec=Downloader))
        def test(m): create_autospec(pkg.Service); AsyncMock(spec_set=Other)
    """,
    "star imports keep every name": """
        from pkg.api import *
        from .local import *
        handler(request); value = handler; run(handler())
    """,
    "exception groups and match": """
        import command, Point
        try:
            pass
        except* (ValueError, TypeError) as group:
            async def handle(): await group.fix()
        match command:
            case {"go": target, **rest} if target:
                go(target)
            case Point(x=0, y=y) | [1, 2, *others]:
                async def matched(): await others()
            case str() as s:
                pass
            case _:
                pass
    """,
    "positions in characters": """
        async def é(conn):
            ü = "ö"; await  conn.send(ü)
            await (é(ü)); x = é
    """,
}


def both(path, text, root):
    tree = ast.parse(text)
    return extract_facts(str(path), text, tree, str(root)), reference_facts(str(path), text, tree, str(root))


@pytest.mark.parametrize("name", SNIPPETS)
def test_snippets_give_the_reference_facts(tmp_path, name):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    text = textwrap.dedent(SNIPPETS[name])
    for newline in ("\n", "\r\n"):
        path = tmp_path / "pkg" / "mod.py"
        path.write_bytes(text.replace("\n", newline).encode("utf-8"))
        facts, expected = both(path, text.replace("\n", newline), tmp_path)
        assert facts == expected
        assert facts.name_refs or facts.attr_refs  # the snippet is really walked


def test_every_fixture_file_gives_the_reference_facts():
    files = sorted((ROOT / "fixtures").rglob("*.py"))
    assert files
    checked = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            ast.parse(text)
        except SyntaxError:
            continue
        facts, expected = both(path, text, ROOT / "fixtures")
        assert facts == expected, path
        checked += 1
    assert checked > 20


def test_await_columns_count_lines_as_the_tokenizer_does(tmp_path):
    """A form feed is whitespace to Python, not a line break (str.splitlines
    would shift every later line and put the `await ` span on the wrong one)."""
    text = "import x\n\x0c\nasync def f(conn):\n    await  conn.send(1)\n    \x0c\n    é = await\tconn.send(é)\n"
    path = tmp_path / "mod.py"
    path.write_text(text, encoding="utf-8")
    facts = extract_facts(str(path), text, ast.parse(text), str(tmp_path))
    lines = text.split("\n")
    spans = [lines[s.line - 1][s.column - 1:s.end_column - 1] for s in facts.await_sites]
    assert sorted(spans) == ["await\t", "await  "]


def projects(names):
    try:
        return corpus.ensure(names)
    except corpus.CorpusUnavailable as exc:
        pytest.skip(f"corpus unavailable: {exc}")


def check_project(folder: Path) -> int:
    checked = 0
    for path in sorted(folder.rglob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
            ast.parse(text)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        facts, expected = both(path, text, folder)
        assert facts == expected, path
        checked += 1
    return checked


@pytest.mark.network
def test_small_corpus_projects_give_the_reference_facts():
    found = projects(["janus", "a2wsgi", "trio-websocket"])
    assert sum(check_project(folder) for folder in found.values()) > 10


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.parametrize("name", corpus.PINNED)
def test_the_whole_corpus_gives_the_reference_facts(name):
    folder = projects([name])[name]
    assert check_project(folder) > 0
