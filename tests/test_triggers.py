"""The text pre-filter's building blocks: the word-first construction pattern
answers as the bare pattern does, the screens found by their literal start
answer as the patterns that start with `\\b`, and remembered answers follow the text."""

import re
from pathlib import Path

import pytest

from dispatch_lint.channels import table
from dispatch_lint.channels.table import CONSTRUCTION_TEXT, TRIGGER_WORDS
from dispatch_lint.model import channel_sites
from dispatch_lint.rules import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "fixtures").rglob("*.py"))] + [
    "import asyncio\nq = asyncio.Queue()\n",
    "from asyncio import Queue as Q\n",
    "x = field(default_factory=\n    # the inbox\n    asyncio.Queue)\n",
    "Queues = 1  # mentions Queue without building one\n",
    "def f(q: asyncio.Queue) -> None: ...\n",
    "",
]
# Boundaries: a word character (Unicode letters, digits, `_`) or none before a word.
EDGES = [f"{before}{word}{after}" for before in ("", " ", "x", "_", "1", "\u00e9", ".", "\n")
         for word in ("Queue", "AioQueue", "create_memory_object_stream", "async for", "async\\\n for")
         for after in ("(", " (", " as Q", "as", "[int](", "x(", " x in y", "")]
# `CONSTRUCTION_TEXT` as one pattern: every form starts with `\\b` or "factory".
ONE_CONSTRUCTION_PATTERN = re.compile(
    rf"{table._WORD}{table._FILL}[(\[]|{table._WORD}{table._FILL}as\b|factory{table._FILL}="
    rf"(?:[\w.\s\\()]|#[^\n]*\n)*?{table._WORD}")
ONE_METHOD_PATTERN = re.compile(channel_sites.METHOD_TEXT.pattern + r"|\basync\s+for\b")


@pytest.mark.parametrize("text", TEXTS)
def test_word_pattern_answers_as_the_bare_pattern(text):
    (trigger,) = TRIGGER_WORDS
    assert (trigger.search(text) is not None) == (CONSTRUCTION_TEXT.search(text) is not None)


@pytest.mark.parametrize("text", TEXTS + EDGES + ["x = field(default_factory=Queue)", "factory = Queue"])
def test_screens_answer_as_the_patterns_that_start_with_a_boundary(text):
    assert (CONSTRUCTION_TEXT.search(text) is not None) == (ONE_CONSTRUCTION_PATTERN.search(text) is not None)
    assert channel_sites._may_call_method(text) == (ONE_METHOD_PATTERN.search(text) is not None)


def test_remembered_answers_follow_the_text():
    channel_rules = [rule for rule in ALL_RULES if rule.TRIGGERS == TRIGGER_WORDS]
    builds = "import asyncio\nq = asyncio.Queue()\n"
    mentions = "import asyncio\nq: asyncio.Queue\n"
    for _ in range(2):
        assert all(rule.could_report(builds) for rule in channel_rules)
        assert not any(rule.could_report(mentions) for rule in channel_rules)
    # An equal text in a new string object is asked afresh, and answered alike.
    assert all(rule.could_report("".join(builds)) for rule in channel_rules)
