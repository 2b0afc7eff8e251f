"""The channel rules' sieves never hide a finding: a generated project of every
construction form x capacity expression x binding x send form gives the same
DSP101/DSP102/DSP301/DSP302 findings with every pre-filter on and off (off:
every rule visits every file), and the findings it gives are the ones the
channel table, the call sites and the structure call for."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import pytest

from dispatch_lint import registry
from dispatch_lint.engine.runner import Engine
from dispatch_lint.rules import ALL_RULES

CODES = ("DSP101", "DSP102", "DSP301", "DSP302")

# (name, imports, construction with {cap}, send end, awaited send, try-send, receive in a loop)
FORMS = {
    "asyncio": ("import asyncio", "asyncio.Queue({cap})", "{q}", "await {q}.put(m)", "{q}.put_nowait(m)",
                "await {q}.get()"),
    "alias": ("from asyncio import Queue as Q", "Q(maxsize={cap})", "{q}", "await {q}.put(m)",
              "{q}.put_nowait(m)", "await {q}.get()"),
    "anyio": ("import anyio", "anyio.create_memory_object_stream[int]({cap})", "{q}[0]",
              "await {q}[0].send(m)", "{q}[0].send_nowait(m)", "await {q}[1].receive()"),
    "trio": ("import trio", "trio.open_memory_channel({cap})", "{q}[0]", "await {q}[0].send(m)",
             "{q}[0].send_nowait(m)", "await {q}[1].receive()"),
    "thread": ("import queue", "queue.Queue({cap})", "{q}", "{q}.put(m)", "{q}.put_nowait(m)", "{q}.get()"),
    "context": ("import multiprocessing", "multiprocessing.get_context('spawn').Queue({cap})", "{q}", "{q}.put(m)",
                "{q}.put_nowait(m)", "{q}.get()"),
    "janus": ("import janus", "janus.Queue({cap})", "{q}.async_q", "await {q}.async_q.put(m)",
              "{q}.async_q.put_nowait(m)", "await {q}.async_q.get()"),
}
# (name, expression, bounded?) -- `SIZE` is a module constant 4, `size` a parameter every call site
# sets to 3, `spare` a parameter no call passes (its default `None` is falsy); "path": unknown
# to the values, unbounded on a path through `__init__`.
CAPACITIES = {
    "literal": ("4", True),
    "zero": ("0", None),  # bounded for anyio/trio (a rendezvous), unbounded for the queues
    "infinite": ("math.inf", False),
    "arithmetic": ("SIZE * 2", True),
    "parameter": ("size or 0", True),
    "default": ("spare or 0", None),
    # Unknown to the values (the condition is a parameter), unbounded on a path for the queues:
    # "when not `size` and `spare` keeps its default `None`"; anyio's and trio's 0 is bounded.
    "path": ("4 if size else spare or 0", "path"),
}
BINDINGS = ("own", "reference", "registry", "imported")


def module(form: str, capacity: str, binding: str) -> str:
    imports, build, _, send, try_send, receive = FORMS[form]
    cap = CAPACITIES[capacity][0]
    q = "self.slot"  # a name no `actor-inbox` glob matches: only the structure decides
    body = f'''
        {imports}
        import math

        SIZE = 4


        class Owner:
            def __init__(self, size, spare=None):
                self.slot = {build.format(cap=cap)}

            async def run(self):
                while True:
                    {receive.format(q=q)}

            async def own(self, m):
                {send.format(q=q)}
                {try_send.format(q=q)}


        OWNER = Owner(3)
        '''
    if binding == "reference":
        body += f'''

        async def by_reference(owner: Owner, m):
            {send.format(q="owner.slot")}
        '''
    if binding == "registry":
        body += f'''

        class Registry:
            def __init__(self):
                self.owners = {{}}

            def add(self, key):
                self.owners[key] = Owner(3)

            async def route(self, key, m):
                {send.format(q="self.owners[key].slot")}
        '''
    return textwrap.dedent(body)


def importer(name: str, form: str) -> str:
    send = FORMS[form][3]
    return textwrap.dedent(f'''
        from {name} import OWNER


        async def from_elsewhere(m):
            {send.format(q="OWNER.slot")}
        ''')


COMBINATIONS = list(itertools.product(FORMS, CAPACITIES, BINDINGS))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sieves")
    (root / "pyproject.toml").write_text("[tool.dispatch-lint]\n")
    for form, capacity, binding in COMBINATIONS:
        name = f"m_{form}_{capacity}_{binding}"
        (root / f"{name}.py").write_text(module(form, capacity, binding))
        if binding == "imported":
            (root / f"use_{name}.py").write_text(importer(name, form))
    return root


def findings(root: Path, prefilter: bool):
    settings = registry.settings_for([str(root)], {"cache": False, "select": list(CODES)})
    run = Engine(settings, ALL_RULES, prefilter=prefilter).run([str(root)])
    return sorted((Path(d.path).name, d.line, d.column, d.code, d.message) for d in run.diagnostics)


def test_every_sieve_on_and_off_gives_the_same_findings(generated):
    on, off = findings(generated, True), findings(generated, False)
    assert on == off
    by_module = {}
    for name, _, _, code, _ in on:
        by_module.setdefault(name, set()).add(code)
    for form, capacity, binding in COMBINATIONS:
        found = by_module.get(f"m_{form}_{capacity}_{binding}.py", set()) | by_module.get(
            f"use_m_{form}_{capacity}_{binding}.py", set())
        bounded = CAPACITIES[capacity][1]
        if bounded == "path":  # the capacity is unknown: only DSP301 reports, with the path
            on_a_path = form not in ("anyio", "trio") and binding in ("own",)
            assert found == ({"DSP301"} if on_a_path else set()), (form, capacity, binding, sorted(found))
            continue
        if bounded is None:
            bounded = form in ("anyio", "trio")
        through_reference = binding in ("reference", "registry", "imported")
        awaited = form not in ("thread", "context")
        expected = set()
        if bounded and awaited and through_reference:
            expected.add("DSP101")  # an inbox by structure: drained by Owner, sent to through a reference
        if bounded and not awaited:
            expected.add("DSP102")  # a blocking put in `async def`, inbox or not
        if not bounded and through_reference:
            expected.add("DSP302")
        if not bounded and not through_reference:
            expected.add("DSP301")  # not an inbox: its own class alone sends to it, and nothing bounds it
        assert found == expected, (form, capacity, binding, sorted(found))
