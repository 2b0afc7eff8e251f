"""Plain text helpers shared by every layer: line breaks as Python's tokenizer
sees them, word characters as `re` sees them."""

from __future__ import annotations

import re

NEWLINE = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list:
    """Offsets where each line starts, splitting as Python's tokenizer does."""
    starts = [0]
    starts.extend(match.end() for match in NEWLINE.finditer(text))
    return starts


def follows_word_character(text: str, offset: int) -> bool:
    """Whether the character before `offset` is one `\\w` matches: a pattern
    found by its literal start tests the `\\b` before it with this (a pattern
    that starts with `\\b` is tried at every position of the text)."""
    char = text[offset - 1:offset] if offset else ""
    return char.isalnum() or char == "_"
