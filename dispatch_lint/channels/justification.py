"""Does a comment next to a channel construction say what bounds its growth?

A comment counts when it stands in one of three places:

- on the construction statement's own lines (a trailing comment, or a comment
  line inside a call that spans several lines);
- in the comment block directly above the statement;
- in the comment block directly after it.

A blank line may separate a block from the statement; two may not. A comment
counts when it is the marker (`# unbounded: <reason>` by default, the pattern
is the `unbounded-marker` setting) with a real reason, or when it names a limit
in plain words (the `justification-words` setting). A bare marker, an empty
reason, a reason that starts with TODO, FIXME or XXX, a to-do comment, and a
limit word that is negated (`no limit`, `not bounded`) do not count.
"""

from __future__ import annotations

import re
import tokenize
from dataclasses import dataclass
from functools import cached_property
from typing import Dict, Iterator, List, Mapping, Optional, Pattern, Sequence

from dispatch_lint.config import Option, regex_hazard

NEWLINE = re.compile(r"\r\n|\r|\n")
TODO = re.compile(r"^\W*(todo|fixme|xxx)\b", re.IGNORECASE)
NEGATIONS = {"no", "not", "never", "without", "nothing", "none"}
NEGATION_REACH = 2  # a negation up to this many words before a limit word cancels it
MAX_BLANK_LINES = 1
# "bound" that means bind, not limit: "the socket is bound to a port", "a bound method".
NOT_A_LIMIT = re.compile(r"\s+(?:to|method)\b", re.IGNORECASE)

DEFAULT_MARKER = r"unbounded\s*:"


def _check_pattern(value: str) -> Optional[str]:
    try:
        re.compile(value)
    except re.error as exc:
        return f"is not a valid regular expression: {exc}"
    return regex_hazard(value)


UNBOUNDED_MARKER = Option(
    "unbounded-marker",
    DEFAULT_MARKER,
    "Regular expression for the justification marker, matched at the start of a "
    "comment's text (after `#`); what follows it on that comment and the next "
    "comment lines of the same block is the reason.",
    check=_check_pattern,
)

JUSTIFICATION_WORDS = Option(
    "justification-words",
    [
        "bound", "limit", "cap", "at most", "no more than", "maximum", "back pressure",
        "flow control", "high water", "low water", "watermark", "pause", "throttle",
        "upstream", "finite", "circular", "cycle", "deadlock", "timeout", "semaphore",
    ],
    "Words that explain what bounds an unbounded channel's growth; a nearby comment "
    "holding one of them (or its inflections: bounded, limits, capped, throttling) "
    "justifies the channel. A space or hyphen in an entry matches a space, a "
    "hyphen or nothing (`back pressure` matches `backpressure`).",
)


@dataclass(frozen=True)
class Comment:
    line: int
    text: str  # after the `#`, stripped
    own_line: bool  # nothing but whitespace before it on its line


def read_comments(text: str) -> Optional[Dict[int, Comment]]:
    """Every comment by line number, or None when the text does not tokenize."""
    lines = [line + "\n" for line in NEWLINE.split(text)]
    found: Dict[int, Comment] = {}
    try:
        for token in tokenize.generate_tokens(iter(lines).__next__):
            if token.type == tokenize.COMMENT:
                line, column = token.start
                own_line = not token.line[:column].strip()
                found[line] = Comment(line, token.string[1:].strip(), own_line)
    except (tokenize.TokenError, SyntaxError, StopIteration):
        return None
    return found


def _word_pattern(entry: str) -> str:
    words = [re.escape(w) for w in re.split(r"[\s-]+", entry.strip().lower()) if w]
    if not words:
        return ""
    *head, last = words
    if last.endswith("e"):
        last = f"{last[:-1]}(?:e|es|ed|ing)"
    else:
        last = f"{last}(?:s|es|ed|ing|{last[-1]}ed|{last[-1]}ing)?"
    return r"\b" + r"[\s-]*".join([*head, last]) + r"\b"


def limit_words(entries: Sequence[str]) -> Optional[Pattern[str]]:
    parts = [p for p in (_word_pattern(e) for e in entries) if p]
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def _negated(text: str, start: int) -> bool:
    before = re.findall(r"[a-z']+", text[:start].lower())[-NEGATION_REACH:]
    return any(word in NEGATIONS for word in before)


def names_a_limit(text: str, words: Optional[Pattern[str]]) -> bool:
    if words is None or TODO.match(text):
        return False
    return any(
        not _negated(text, m.start()) and not (m.group().lower() == "bound" and NOT_A_LIMIT.match(text, m.end()))
        for m in words.finditer(text)
    )


class Justifier:
    """Answers `reason(first, last)` for statements of one file."""

    def __init__(self, text: str, options: Mapping[str, object]) -> None:
        self._marker = re.compile(str(options.get(UNBOUNDED_MARKER.name, DEFAULT_MARKER)))
        self._words = limit_words(options.get(JUSTIFICATION_WORDS.name, JUSTIFICATION_WORDS.default))  # type: ignore[arg-type]
        self._text = text

    @cached_property
    def _lines(self) -> List[str]:
        return NEWLINE.split(self._text)

    @cached_property
    def _comments(self) -> Optional[Dict[int, Comment]]:
        return read_comments(self._text)

    def readable(self) -> bool:
        """False when the file's comments cannot be read (the caller should not report)."""
        return self._comments is not None

    def reason(self, first: int, last: int) -> Optional[str]:
        """The justifying comment text for a statement on lines `first..last`, or None."""
        if self._comments is None:
            return None
        for group in self._groups(self._comments, first, last):
            found = self._explains(group)
            if found is not None:
                return found
        return None

    def _groups(self, comments: Dict[int, Comment], first: int, last: int) -> Iterator[List[Comment]]:
        yield [comments[n] for n in range(first, last + 1) if n in comments]
        yield list(reversed(list(self._block(comments, first - 1, -1))))
        yield list(self._block(comments, last + 1, 1))

    def _block(self, comments: Dict[int, Comment], start: int, step: int) -> Iterator[Comment]:
        """The own-line comments from `start` on (walking by `step`), after at most one blank line."""
        line, blanks, seen = start, 0, False
        while 1 <= line <= len(self._lines):
            comment = comments.get(line)
            if comment is not None and comment.own_line:
                seen = True
                yield comment
            elif not self._lines[line - 1].strip() and not seen and blanks < MAX_BLANK_LINES:
                blanks += 1
            else:
                return
            line += step

    def _explains(self, group: Sequence[Comment]) -> Optional[str]:
        pieces = list(_pieces(group))
        for i, piece in enumerate(pieces):
            marker = self._marker.match(piece.text)
            if marker is None:
                continue
            rest = [piece.text[marker.end():]]
            rest += [p.text for p in pieces[i + 1:] if p.own_line and not self._marker.match(p.text)]
            reason = " ".join(rest).strip()
            if re.search(r"\w", reason) and not TODO.match(reason):
                return piece.text
        for piece in pieces:
            if not self._marker.match(piece.text) and names_a_limit(piece.text, self._words):
                return piece.text
        return None


def _pieces(group: Sequence[Comment]) -> Iterator[Comment]:
    """Each comment split at further `#`s (`# noqa  # unbounded: ...`); only a
    line's first piece counts as standing on its own line."""
    for comment in group:
        for index, part in enumerate(comment.text.split("#")):
            if part.strip():
                yield Comment(comment.line, part.strip(), comment.own_line and index == 0)
