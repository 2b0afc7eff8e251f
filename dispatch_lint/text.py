"""Plain text helpers shared by every layer: line breaks as Python's tokenizer sees them."""

from __future__ import annotations

import re

NEWLINE = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list:
    """Offsets where each line starts, splitting as Python's tokenizer does."""
    starts = [0]
    starts.extend(match.end() for match in NEWLINE.finditer(text))
    return starts
