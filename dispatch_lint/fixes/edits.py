"""Apply text edits to a file's text, touching nothing outside them."""

from __future__ import annotations

from typing import Iterable, List, Sequence, Tuple

from dispatch_lint.engine.sources import line_starts
from dispatch_lint.types import Edit, Position


class EditConflict(Exception):
    """Two edits overlap, or an edit points outside the file."""


def offset(starts: Sequence[int], text: str, position: Position) -> int:
    if not 1 <= position.line <= len(starts):
        raise EditConflict(f"line {position.line} is outside the file")
    at = starts[position.line - 1] + position.column - 1
    if at > len(text):
        raise EditConflict(f"{position.line}:{position.column} is outside the file")
    return at


def spans(text: str, edits: Iterable[Edit]) -> List[Tuple[int, int, str]]:
    starts = line_starts(text)
    return sorted((offset(starts, text, e.start), offset(starts, text, e.end), e.content) for e in edits)


def overlaps(span: Tuple[int, int], taken: Iterable[Tuple[int, int]]) -> bool:
    """Whether the offsets `span` touch any of `taken` (two insertions at one point do)."""
    start, end = span
    return any(start < e and s < end or start == end == s == e for s, e in taken)


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    ordered = spans(text, edits)
    pieces: List[str] = []
    cursor = 0
    for start, end, content in ordered:
        if start < cursor:
            raise EditConflict("overlapping edits")
        pieces.append(text[cursor:start])
        pieces.append(content)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def replaced_texts(text: str, edits: Sequence[Edit]) -> Tuple[str, ...]:
    """The text each edit replaces, in the order of `edits`."""
    starts = line_starts(text)
    return tuple(text[offset(starts, text, e.start) : offset(starts, text, e.end)] for e in edits)
