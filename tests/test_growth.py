"""Which unbounded channels cannot grow, and which bounds live in code
(channels/growth.py through channels/growth_uses.py, on the model)."""

import ast
import dataclasses
from types import SimpleNamespace

import libcst as cst
import pytest

from dispatch_lint.channels.anchors import construction_at
from dispatch_lint.channels.growth import cannot_grow, code_bounds
from dispatch_lint.channels.growth_uses import channel_uses
from dispatch_lint.channels.provenance import channel_model
from dispatch_lint.engine.index import extract_facts
from dispatch_lint.model.project import Project

HEADER = "import asyncio, queue, threading, trio\n"


def uses_of(body, name):
    """The uses of the channel bound to `name`, as the model finds them."""
    text = HEADER + body
    folder = uses_of.folder
    path = folder / "m.py"
    path.write_text(text, encoding="utf-8")
    project = Project(str(folder), [extract_facts(str(path), text, ast.parse(text), str(folder))], {})
    model = channel_model(project)
    file = project.file(str(path))
    [build] = [b for b in model.facts_of(file.path).builds if name in b.names]
    rule = SimpleNamespace(context=SimpleNamespace(module=cst.parse_module(text), path=str(path), text=text))
    construction = construction_at(rule, build.line, build.column, (build.end_line, build.end_column))
    kind = model.value(file, build.scope, build.expr)
    kind = getattr(kind, "table_row", None) or kind.items[0].table_row
    return channel_uses(rule, model, file, build, construction, kind)


@pytest.fixture(autouse=True)
def _folder(tmp_path):
    uses_of.folder = tmp_path


CAPPED = {
    "guard below the cap": (
        "class A:\n    def __init__(self, k):\n        self.k = k\n        self.q = queue.PriorityQueue()\n"
        "    def add(self, x):\n        if self.q.qsize() < self.k:\n            self.q.put(x)\n"),
    "guard in an else": (
        "class A:\n    def __init__(self):\n        self.q = asyncio.Queue()\n"
        "    def add(self, x):\n        if self.q.qsize() >= 10:\n            return False\n"
        "        else:\n            self.q.put_nowait(x)\n"),
    "early exit": (
        "class A:\n    def __init__(self):\n        self.q = asyncio.Queue()\n"
        "    def add(self, x):\n        if self.q.qsize() >= 10:\n            return\n        self.q.put_nowait(x)\n"),
    "empty()": (
        "class A:\n    def __init__(self):\n        self.q = asyncio.Queue()\n"
        "    def add(self, x):\n        if self.q.empty() and x:\n            self.q.put_nowait(x)\n"),
    "trimmed right after": (
        "class A:\n    def __init__(self):\n        self.q = asyncio.Queue()\n"
        "    def add(self, x):\n        self.q.put_nowait(x)\n        while self.q.qsize() > 5:\n"
        "            self.q.get_nowait()\n"),
    "statistics()": (
        "class A:\n    def __init__(self):\n        self.tx, self.rx = trio.open_memory_channel(float('inf'))\n"
        "    def add(self, x):\n        if self.tx.statistics().current_buffer_used < 4:\n"
        "            self.tx.send_nowait(x)\n"),
}


@pytest.mark.parametrize("body", CAPPED.values(), ids=CAPPED.keys())
def test_capped_channels_cannot_grow(body):
    name = "self.tx" if "trio" in body.split("\n")[2] else "self.q"
    shape = cannot_grow(uses_of(body, name))
    assert shape is not None and shape.kind == "capped"


GROWS = {
    "full() on an unbounded queue": (
        "class A:\n    def __init__(self):\n        self.q = asyncio.Queue()\n"
        "    def add(self, x):\n        if not self.q.full():\n            self.q.put_nowait(x)\n"),
    "guard with or": (
        "class A:\n    def __init__(self):\n        self.q = asyncio.Queue()\n"
        "    def add(self, x, force):\n        if force or self.q.qsize() < 3:\n            self.q.put_nowait(x)\n"),
    "loop under the guard": (
        "class A:\n    def __init__(self):\n        self.q = asyncio.Queue()\n"
        "    def add(self, xs):\n        if self.q.qsize() < 3:\n            for x in xs:\n"
        "                self.q.put_nowait(x)\n"),
    "handed to another function": (
        "class A:\n    def __init__(self):\n        self.q = asyncio.Queue()\n        start(self.q)\n"
        "    def add(self, x):\n        if self.q.qsize() < 3:\n            self.q.put_nowait(x)\n"),
    "bound method handed out": (
        "class A:\n    def __init__(self):\n        self.q = asyncio.Queue()\n        on_data(self.q.put_nowait)\n"),
    "no send seen": "class A:\n    def __init__(self):\n        self.q = asyncio.Queue()\n",
    "receive conditioned on something else": (
        "class A:\n    def __init__(self):\n        self.q = asyncio.Queue()\n"
        "    def add(self, x, drop):\n        self.q.put_nowait(x)\n        if drop:\n            self.q.get_nowait()\n"),
}


@pytest.mark.parametrize("body", GROWS.values(), ids=GROWS.keys())
def test_channels_that_can_grow_are_not_excused(body):
    assert cannot_grow(uses_of(body, "self.q")) is None


def test_one_shot_slot_filled_by_a_thread_target():
    body = ("def call(fn):\n    slot = queue.Queue()\n    def runner():\n        slot.put(fn())\n"
            "    threading.Thread(target=runner).start()\n    return slot.get()\n")
    assert cannot_grow(uses_of(body, "slot")).kind == "one-shot slot"


PER_OBJECT = "{base}:\n    def __init__(self):\n        self.q = queue.Queue()\n{method}"


@pytest.mark.parametrize("base, method, expected", [
    ("class W(threading.Thread)", "    def run(self):\n        self.q.put(1)\n", "one-shot slot"),
    ("class W", "    def run(self):\n        self.q.put(1)\n", None),
    ("class W(threading.Thread)", "    def poll(self):\n        self.q.put(1)\n", None),
])
def test_per_object_slot_sent_to_from_a_threads_run(base, method, expected):
    shape = cannot_grow(uses_of(PER_OBJECT.format(base=base, method=method), "self.q"))
    assert (shape.kind if shape else None) == expected


def test_class_bases_are_resolved_only_for_a_send_in_run():
    """Qualified names need LibCST's scope analysis of the whole module: a
    send in `__init__` decides without them."""
    body = PER_OBJECT.format(base="class W(threading.Thread)", method="") + "        self.q.put(1)\n"
    asked = []
    uses = dataclasses.replace(uses_of(body, "self.q"), qualified=lambda node: asked.append(node) or frozenset())
    assert cannot_grow(uses).kind == "one-shot slot"
    assert asked == []


@pytest.mark.parametrize("body", [
    # a callback may run many times
    "def call(loop):\n    slot = queue.Queue()\n    loop.call_soon(lambda: slot.put(1))\n    return slot.get()\n",
    # a nested def used for something besides a thread target
    ("def call(fn):\n    slot = queue.Queue()\n    def runner():\n        slot.put(fn())\n"
     "    threading.Thread(target=runner).start()\n    runner()\n    return slot.get()\n"),
    # a send in a loop
    "def call(xs):\n    slot = queue.Queue()\n    for x in xs:\n        slot.put(x)\n    return slot.get()\n",
])
def test_one_shot_needs_each_send_to_run_once(body):
    assert cannot_grow(uses_of(body, "slot")) is None


def test_counter_pairs_a_constant_put_with_a_get_in_finally():
    body = ("class Gate:\n    def __init__(self):\n        self.q = queue.Queue()\n"
            "    def run(self, job):\n        self.q.put(None)\n        try:\n            return job()\n"
            "        finally:\n            self.q.get()\n")
    assert cannot_grow(uses_of(body, "self.q")).kind == "counter or lock"


def test_counter_needs_a_constant():
    body = ("class Gate:\n    def __init__(self):\n        self.q = queue.Queue()\n"
            "    def __enter__(self):\n        self.q.put(object())\n    def __exit__(self, *a):\n"
            "        self.q.get()\n")
    assert cannot_grow(uses_of(body, "self.q")) is None


def test_bounds_in_code_carry_their_line():
    body = ("class P:\n    def __init__(self):\n        self.q = asyncio.Queue()\n"
            "    def data_received(self, data):\n        self.q.put_nowait(data)\n"
            "        if self.q.qsize() > 64:\n            self.transport.pause_reading()\n")
    [evidence] = code_bounds(uses_of(body, "self.q"))
    assert evidence.line == 7 and evidence.what == "a high-water check pausing the producer"
    assert evidence.describe() == "a high-water check pausing the producer at line 7 (`self.q.qsize() > 64`)"


def test_a_nowait_call_is_not_a_pause():
    body = ("class P:\n    def __init__(self):\n        self.q = asyncio.Queue()\n"
            "    def data_received(self, data):\n        self.q.put_nowait(data)\n        self.other.put_nowait(1)\n")
    assert code_bounds(uses_of(body, "self.q")) == []


def test_a_thread_target_started_in_a_loop_is_not_one_shot():
    body = ("def call(fn, n):\n    slot = queue.Queue()\n    def runner():\n        slot.put(fn())\n"
            "    for _ in range(n):\n        threading.Thread(target=runner).start()\n    return slot.get()\n")
    assert cannot_grow(uses_of(body, "slot")) is None


def test_a_thread_target_started_in_a_comprehension_is_not_one_shot():
    body = ("def call(fn, n):\n    slot = queue.Queue()\n    def runner():\n        slot.put(fn())\n"
            "    threads = [threading.Thread(target=runner) for _ in range(n)]\n    return slot.get(), threads\n")
    assert cannot_grow(uses_of(body, "slot")) is None


def test_a_send_in_a_comprehension_is_in_a_loop():
    body = "def call(xs):\n    slot = queue.Queue()\n    [slot.put(x) for x in xs]\n    return slot.get()\n"
    assert cannot_grow(uses_of(body, "slot")) is None
