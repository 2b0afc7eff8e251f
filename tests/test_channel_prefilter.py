"""The channel rules' sieve: the project-model pre-filter of DSP101, DSP102,
DSP301 and DSP302 (`could_report` with the file's facts). A file where a channel
finding is reported always passes it, and typical files without one are kept
away from LibCST."""

import json

import pytest

from dispatch_lint import registry
from dispatch_lint.engine.runner import Engine
from dispatch_lint.rules import ALL_RULES

CHANNEL_CODES = ("DSP101", "DSP102", "DSP301", "DSP302")
CHANNEL_RULES = [rule for rule in ALL_RULES if rule.CODE in CHANNEL_CODES]

ACTOR = "import asyncio\n\nclass SessionActor:\n    def __init__(self):\n        self.{name} = asyncio.Queue({size})\n"
TELL = "\n    async def tell(self, message):\n        await self.{name}.put(message)\n"

# name: (the code LibCST reports, source, file name, settings)
REPORTED = {
    "from-import alias": ("DSP301", "from asyncio import Queue as Mailbox\nq = Mailbox()\n"),
    "module alias": ("DSP301", "import multiprocessing as mp\nq = mp.Queue()\n"),
    "dotted import": ("DSP301", "import asyncio.queues\nq = asyncio.queues.Queue()\n"),
    "import in a function": ("DSP301", "def make():\n    import queue\n    return queue.SimpleQueue()\n"),
    "context call": ("DSP301", "import multiprocessing\nq = multiprocessing.get_context('spawn').Queue()\n"),
    "context variable": ("DSP301", "import multiprocessing as mp\nctx = mp.get_context()\nq = ctx.JoinableQueue()\n"),
    "manager": ("DSP301", "from multiprocessing import Manager\nq = Manager().Queue()\n"),
    "dataclass factory": ("DSP301", ("import asyncio\nfrom dataclasses import dataclass, field\n\n@dataclass\n"
                           "class Worker:\n    jobs: asyncio.Queue = field(default_factory=asyncio.Queue)\n")),
    "attrs lambda factory": ("DSP302", ("import asyncio\nimport attr\n\n@attr.s\nclass Worker:\n"
                              "    inbox = attr.ib(factory=lambda: asyncio.Queue())\n")),
    "subscripted": ("DSP301", "import anyio, math\ntx, rx = anyio.create_memory_object_stream[int](math.inf)\n"),
    "class constant": ("DSP301", ("import asyncio\n\nclass Pump:\n    CAPACITY = 0\n\n    def __init__(self):\n"
                        "        self.jobs = asyncio.Queue(self.CAPACITY)\n")),
    "module constant": ("DSP301", "import math\nimport trio\nSIZE = math.inf\ntx, rx = trio.open_memory_channel(SIZE)\n"),
    "float inf": ("DSP301", "import trio\ntx, rx = trio.open_memory_channel(float('inf'))\n"),
    "imported inf": ("DSP301", ("from math import inf\nfrom anyio import create_memory_object_stream as stream\n"
                      "tx, rx = stream(inf)\n")),
    "negative size": ("DSP301", "import queue\nq = queue.Queue(maxsize=-1)\n"),
    "comprehension": ("DSP301", "import asyncio\nqueues = [asyncio.Queue() for _ in range(4)]\n"),
    "subscript target": ("DSP302", ("import asyncio\n\nclass Router:\n    def add(self, key):\n"
                          "        self.inboxes[key] = asyncio.Queue()\n")),
    "suite": ("DSP301", "import asyncio\nif True: q = asyncio.Queue()\n"),
    "semicolons": ("DSP301", "import asyncio\nx = 1; q = asyncio.Queue()\n"),
    "backslash continuation": ("DSP301", "import asyncio\nx = 1; \\\n    q = asyncio.Queue()\n"),
    "decorator argument": ("DSP301", "import asyncio\n\n@register(asyncio.Queue())\ndef handler():\n    pass\n"),
    "marker": ("DSP302", "import asyncio\nq = asyncio.Queue()  # dispatch-lint: actor-inbox\n"),
    "marker after a backslash": ("DSP302", "import asyncio\nx = 1; \\\n    q = asyncio.Queue()  # dispatch-lint: actor-inbox\n"),
    "parenthesised targets": ("DSP302", "import asyncio\n(mailbox, jobs) = asyncio.Queue(), asyncio.Queue()\n"),
    "actor class": ("DSP302", ACTOR.format(name="lifecycle", size="")),
    "inbox module": ("DSP302", "import asyncio\nq = asyncio.Queue()\n", "mod.py", {"actor-inbox": {"modules": ["mod"]}}),
    "inbox base": ("DSP302", ("import asyncio\nfrom app.actors import Base\n\nclass Session(Base):\n"
                    "    def __init__(self):\n        self.events = asyncio.Queue()\n"),
                   "mod.py", {"actor-inbox": {"bases": ["app.actors.*"]}}),
    "tests checked": ("DSP301", "import asyncio\nq = asyncio.Queue()\n", "test_mod.py", {"unbounded-in-tests": True}),
    "awaited send on a bounded inbox": ("DSP101", ACTOR.format(name="inbox", size="maxsize=100") + TELL.format(name="inbox")),
    "inbox of a size its call sites give": ("DSP101", ACTOR.replace("(self):", "(self, size):").format(
        name="inbox", size="size") + TELL.format(name="inbox") + "\nSessionActor(8)\n"),
    "janus inbox": ("DSP101", ("import janus\n\nclass Worker:\n    def __init__(self):\n"
                     "        self.mailbox = janus.Queue(maxsize=8)\n\n    async def tell(self, message):\n"
                     "        await self.mailbox.async_q.put(message)\n")),
    "rendezvous inbox": ("DSP101", ("import trio\n\nasync def gateway():\n"
                          "    send_inbox, receive_inbox = trio.open_memory_channel(0)\n    await send_inbox.send('hi')\n")),
    "blocking put": ("DSP102", ("import queue\nresults = queue.Queue(maxsize=10)\n\nasync def handle(item):\n"
                      "    results.put(item)\n")),
    "blocking put on a context queue": ("DSP102", ("import multiprocessing as mp\nctx = mp.get_context('spawn')\n"
                                         "results = ctx.Queue(5)\n\nasync def handle(item):\n"
                                         "    results.put(item, timeout=1)\n")),
    "blocking put on a janus sync_q": ("DSP102", ("import janus\n\nclass Bridge:\n    def __init__(self):\n"
                                        "        self.channel = janus.Queue(maxsize=5)\n\n    async def push(self, item):\n"
                                        "        self.channel.sync_q.put(item)\n")),
    "rebound constructor": ("DSP301", "import asyncio\nQueue = asyncio.Queue\nq = Queue()\n"),
    "star import": ("DSP301", "from asyncio import *\nq = Queue()\n"),
}

# name: (source, file name): no channel finding, and the pre-filter keeps LibCST away.
SCREENED_OUT = {
    "library-named class": "class queue:\n    class Queue:\n        pass\n\n    q = Queue()\n",
    "bounded literal": "import asyncio\nq = asyncio.Queue(maxsize=10)\n",
    "rendezvous": "import trio\ntx, rx = trio.open_memory_channel(0)\n",
    "bounded arithmetic": "import queue\nq = queue.Queue(maxsize=2 ** 10 + 1)\n",
    "bounded class constant": ("import asyncio\n\nclass Pump:\n    CAPACITY = 64\n\n    def __init__(self):\n"
                               "        self.jobs = asyncio.Queue(self.CAPACITY)\n"),
    "test file": ("import asyncio\nq = asyncio.Queue()\n", "test_mod.py"),
    "tests folder": ("import asyncio\nq = asyncio.Queue()\n", "tests/helpers.py"),
    "relative import": "from .queue import Queue\nq = Queue()\n",
    "own class": "class Queue:\n    pass\n\nq = Queue()\n",
    "awaited put outside an inbox": ("import asyncio\n\nasync def pipeline(items):\n"
                                     "    results = asyncio.Queue(maxsize=10)\n    for item in items:\n"
                                     "        await results.put(item)\n"),
    "put in a plain def": "import queue\nresults = queue.Queue(maxsize=10)\n\ndef worker(item):\n    results.put(item)\n",
    "put that never waits": ("import queue\nresults = queue.Queue(maxsize=10)\n\nasync def handle(item):\n"
                             "    results.put(item, block=False)\n    results.put(item, timeout=0)\n"),
    "put in a lambda": ("import asyncio, queue\nresults = queue.Queue(maxsize=10)\n\nasync def handle(item):\n"
                        "    await asyncio.to_thread(lambda: results.put(item))\n"),
}


# name: source: no channel finding, with the pre-filter on or off (LibCST reads
# the file: a justification comment, or a capacity the model cannot read).
QUIET = {
    "size from a parameter": "import asyncio\n\ndef make(n):\n    return asyncio.Queue(n)\n",
    "justified": "import asyncio\nq = asyncio.Queue()  # unbounded: one item per open connection\n",
    "justified above": ("import math\nimport trio\n\n# A crawler feeds itself: a bounded buffer could deadlock.\n\n"
                        "tx, rx = trio.open_memory_channel(math.inf)\n"),
    "justified suite": "import asyncio\n# unbounded: the input is a finite file\nif True: q = asyncio.Queue()\n",
    "justified decorator argument": ("import asyncio\n\n@register(\n    asyncio.Queue(),\n    1,\n    2,\n)\n"
                                     "# unbounded: one queue per handler\ndef handler():\n    pass\n"),
    "justified after a semicolon": "import asyncio\nx = 1; q = asyncio.Queue()  # unbounded: finite input\n",
}


def _project(tmp_path, source, name="mod.py", settings=None):
    lines = ["[tool.dispatch-lint]"] + [f'"{key}" = {_toml(value)}' for key, value in (settings or {}).items()]
    (tmp_path / "pyproject.toml").write_text("\n".join(lines) + "\n")
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source)
    return registry.settings_for([str(tmp_path)], {"cache": False, "select": list(CHANNEL_CODES)}), str(target)


def _toml(value):
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml(item)}" for key, item in value.items()) + " }"
    return json.dumps(value)


def run(settings, folder, prefilter):
    return Engine(settings, ALL_RULES, jobs=1, prefilter=prefilter).run([str(folder)])


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_prefilter_lets_every_finding_through(tmp_path, name):
    code, source, file_name, settings = (*REPORTED[name], "mod.py", None)[:4]
    settings, path = _project(tmp_path, source, file_name, settings)
    reported = {d.code for d in run(settings, tmp_path, prefilter=False).diagnostics}
    assert code in reported
    assert {d.code for d in run(settings, tmp_path, prefilter=True).diagnostics} == reported


@pytest.mark.parametrize("name", sorted(SCREENED_OUT))
def test_prefilter_keeps_libcst_away(tmp_path, name):
    entry = SCREENED_OUT[name]
    source, file_name = (entry, "mod.py") if isinstance(entry, str) else entry
    settings, path = _project(tmp_path, source, file_name)
    assert any(rule.could_report(source) for rule in CHANNEL_RULES)  # the text pre-filter lets it through
    unfiltered = run(settings, tmp_path, prefilter=False)
    assert unfiltered.diagnostics == [] and unfiltered.parsed == 1
    assert run(settings, tmp_path, prefilter=True).parsed == 0


@pytest.mark.parametrize("name", sorted(QUIET))
def test_quiet_with_the_prefilter_on_and_off(tmp_path, name):
    settings, _ = _project(tmp_path, QUIET[name])
    assert run(settings, tmp_path, prefilter=False).diagnostics == []
    assert run(settings, tmp_path, prefilter=True).diagnostics == []
