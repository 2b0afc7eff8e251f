"""Fuzzing helpers: mutate fixture sources token by token, and check + fix a text
in process, asserting the reliability properties.

Properties, for any text: checking never raises; every text the fix loop
produces compiles; fixing that output again changes nothing.
"""

from __future__ import annotations

import io
import random
import tokenize
from pathlib import Path
from typing import List

from dispatch_lint import registry
from dispatch_lint.engine.runner import Engine
from dispatch_lint.fixes.loop import FixLoop
from dispatch_lint.rules import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent
# Tokens worth inserting: the words the rules look for, and structure that breaks parsing.
INSERTIONS = ("await ", "async ", "def ", "(", ")", ":", "\n", "    ", "put(", "send(", "Queue(", "math.inf",
              "0", ",", "=", "lambda: ", "yield ", "import asyncio\n", "# noqa\n", "\\\n", "'", '"""')


def fixture_sources() -> List[str]:
    paths = sorted(p for p in (ROOT / "fixtures").rglob("*.py") if "bad_input" not in p.parts)
    return [p.read_text("utf-8") for p in paths]


def _tokens(text: str) -> List[tokenize.TokenInfo]:
    try:
        return [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                if t.type not in (tokenize.ENDMARKER, tokenize.DEDENT)]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []


def mutate(text: str, rng: random.Random, edits: int) -> str:
    """`text` with `edits` random token deletions or insertions (at token boundaries)."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    for _ in range(edits):
        tokens = _tokens(text)
        if not tokens:
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(INSERTIONS) + text[at:]
            continue
        token = rng.choice(tokens)
        lines = text.splitlines(keepends=True)
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line))
        begin = starts[token.start[0] - 1] + token.start[1]
        end = starts[token.end[0] - 1] + token.end[1]
        if rng.random() < 0.5:
            text = text[:begin] + text[end:]
        else:
            text = text[:begin] + rng.choice(INSERTIONS) + text[begin:]
    return text


class Fuzzer:
    """Checks and fixes texts as `module.py` of a one-file project under `root`."""

    def __init__(self, root: Path) -> None:
        (root / "pyproject.toml").write_text("[project]\nname = 'fuzz'\n")
        self.path = root / "module.py"
        self.settings = registry.settings_for([str(root)], {"cache": False})
        self.examples = 0

    def check_and_fix(self, text: str) -> None:
        self.path.write_text(text, "utf-8")
        path = str(self.path)
        engine = Engine(self.settings, ALL_RULES, jobs=1)
        engine.run([path])  # must not raise
        first = FixLoop(engine, unsafe=True).run([path]).changed()
        if path in first:
            fixed = first[path]
            compile(fixed, path, "exec", dont_inherit=True)
            again = FixLoop(engine, unsafe=True).run([path], {path: fixed}).changed()
            assert again.get(path, fixed) == fixed, f"second fix changed the output of:\n{text}"
        self.examples += 1
