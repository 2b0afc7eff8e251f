"""The text pre-filter's building blocks: the word-first construction pattern
answers as the bare pattern does, and remembered answers follow the text."""

from pathlib import Path

import pytest

from dispatch_lint.channels.table import CONSTRUCTION_TEXT, TRIGGER_WORDS
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


@pytest.mark.parametrize("text", TEXTS)
def test_word_pattern_answers_as_the_bare_pattern(text):
    (trigger,) = TRIGGER_WORDS
    assert (trigger.search(text) is not None) == (CONSTRUCTION_TEXT.search(text) is not None)


def test_remembered_answers_follow_the_text():
    channel_rules = [rule for rule in ALL_RULES if rule.TRIGGERS == TRIGGER_WORDS]
    builds = "import asyncio\nq = asyncio.Queue()\n"
    mentions = "import asyncio\nq: asyncio.Queue\n"
    for _ in range(2):
        assert all(rule.could_report(builds) for rule in channel_rules)
        assert not any(rule.could_report(mentions) for rule in channel_rules)
    # An equal text in a new string object is asked afresh, and answered alike.
    assert all(rule.could_report("".join(builds)) for rule in channel_rules)
