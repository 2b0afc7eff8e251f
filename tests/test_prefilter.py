"""The text pre-filter never hides a finding: every fixture folder and the pinned
corpus give identical findings with it on and off."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest

from dispatch_lint import registry
from dispatch_lint.channels.table import TRIGGER_WORDS
from dispatch_lint.engine.runner import Engine
from dispatch_lint.rules import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import corpus  # noqa: E402
from helpers import computed_once  # noqa: E402

FIXTURES = sorted(p for p in (ROOT / "fixtures").iterdir() if p.is_dir())
# Small projects that build channels (queues, memory streams), so the rules do parse.
DEFAULT_PROJECTS = ("janus", "a2wsgi", "trio-websocket")


def findings_both_ways(*folders: Path):
    paths = [str(folder) for folder in folders]
    settings = registry.settings_for(paths, {"cache": False})
    runs = [Engine(settings, ALL_RULES, prefilter=on).run(paths) for on in (True, False)]
    filtered, unfiltered = runs
    as_tuples = [[(d.path, d.line, d.column, d.code, d.message, d.fix) for d in run.diagnostics]
                 for run in runs]
    return as_tuples, filtered.parsed, unfiltered.parsed


@functools.lru_cache(maxsize=None)
def fixtures_both_ways():
    """Every fixture folder in one run each way (their project index is this
    checkout whichever folders a run names): the findings by folder, and the
    number of files parsed with and without the pre-filter."""
    (with_filter, without_filter), parsed_with, parsed_without = computed_once(
        "prefilter-fixtures", lambda: findings_both_ways(*FIXTURES))
    by_folder = {folder.name: ([], []) for folder in FIXTURES}
    for run, found in enumerate((with_filter, without_filter)):
        for finding in found:
            by_folder[Path(finding[0]).resolve().relative_to(ROOT / "fixtures").parts[0]][run].append(finding)
    return by_folder, parsed_with, parsed_without


@pytest.mark.parametrize("folder", FIXTURES, ids=[p.name for p in FIXTURES])
def test_prefilter_keeps_every_fixture_finding(folder):
    by_folder, parsed_with, parsed_without = fixtures_both_ways()
    with_filter, without_filter = by_folder[folder.name]
    assert with_filter, f"{folder.name}: nothing found"
    assert with_filter == without_filter
    assert parsed_with <= parsed_without


def projects(names):
    try:
        return corpus.ensure(names)
    except corpus.CorpusUnavailable as exc:
        pytest.skip(f"corpus unavailable: {exc}")


@pytest.mark.network
@pytest.mark.parametrize("name", DEFAULT_PROJECTS)
def test_prefilter_keeps_every_finding_on_small_corpus_projects(name):
    folder = projects([name])[name]
    (with_filter, without_filter), _, _ = findings_both_ways(folder)
    assert with_filter == without_filter


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in corpus.PINNED if n not in DEFAULT_PROJECTS])
def test_prefilter_keeps_every_finding_on_the_whole_corpus(name):
    folder = projects([name])[name]
    (with_filter, without_filter), parsed_with, parsed_without = findings_both_ways(folder)
    assert with_filter == without_filter
    assert parsed_with < parsed_without


# Every way a channel construction can reach LibCST; each one is reported (by a
# channel rule), so the channel pre-filters (text and the model's verdicts) must let it through.
CONSTRUCTION_FORMS = {
    "call": "import asyncio\nq = asyncio.Queue()\n",
    "subscripted": "import anyio, math\ntx, rx = anyio.create_memory_object_stream[int](math.inf)\n",
    "parenthesised": "import asyncio\nq = (asyncio.Queue  # the inbox type\n)()\n",
    "continued": "import asyncio\nq = asyncio.Queue \\\n    ()\n",
    "alias": "from asyncio import Queue as Mailbox\nq = Mailbox()\n",
    "factory": ("import asyncio\nfrom dataclasses import dataclass, field\n\n@dataclass\nclass Actor:\n"
                "    inbox: asyncio.Queue = field(default_factory=  # unbounded\n        asyncio.Queue)\n"),
    "context": "import multiprocessing\nctx = multiprocessing.get_context('spawn')\nq = ctx.SimpleQueue()\n",
    "manager": "import multiprocessing as mp\nq = mp.Manager().Queue()\n",
    "class constant": ("import asyncio\n\nclass Pump:\n    SIZE = 0\n\n    def __init__(self):\n"
                       "        self.jobs = asyncio.Queue(self.SIZE)\n"),
    "module constant": "import math\nimport trio\nSIZE = math.inf\ntx, rx = trio.open_memory_channel(SIZE)\n",
    "comprehension": "import asyncio\nqueues = {key: asyncio.Queue() for key in 'ab'}\n",
    "subscript target": "import asyncio\n\ndef add(inboxes, key):\n    inboxes[key] = asyncio.Queue()\n",
    "suite": "import asyncio\ntry: q = asyncio.Queue()\nexcept ImportError: pass\n",
    "awaited send": ("import asyncio\n\nclass SessionActor:\n    def __init__(self):\n"
                     "        self.inbox = asyncio.Queue(maxsize=100)\n\n"
                     "    async def tell(self, message):\n        await self.inbox.put(message)\n"),
}
# Mentions that build no channel: the pre-filter keeps LibCST away.
NO_CONSTRUCTION = {
    "annotation only": "import asyncio\n\ndef drain(q: asyncio.Queue) -> None:\n    q.get_nowait()\n",
    "comment": "# a Queue would be nice here\nx = 1\n",
    "longer name": "class MyQueue:\n    pass\nq = MyQueue()\n",
    "other factory": "from dataclasses import field\nx = field(default_factory=list)  # not a Queue\n",
}


@pytest.mark.parametrize("form", sorted(CONSTRUCTION_FORMS))
def test_channel_prefilter_keeps_every_construction_form(tmp_path, form):
    (tmp_path / "pyproject.toml").write_text("[tool.dispatch-lint]\n")
    (tmp_path / "mod.py").write_text(CONSTRUCTION_FORMS[form])
    (with_filter, without_filter), parsed, _ = findings_both_ways(tmp_path)
    assert with_filter == without_filter
    assert with_filter and parsed == 1


@pytest.mark.parametrize("form", sorted(NO_CONSTRUCTION))
def test_channel_prefilter_skips_mentions_that_build_nothing(form):
    text = NO_CONSTRUCTION[form]
    channel_rules = [rule for rule in ALL_RULES if rule.TRIGGERS is TRIGGER_WORDS]
    assert channel_rules and not any(rule.could_report(text) for rule in channel_rules)
