"""Does a comment next to a channel construction say what bounds its growth?

Where a comment may stand (each comment block, a run of comment-only lines with
no blank line inside, belongs to one statement at most):

- on the construction statement's own lines (a trailing comment, or a comment
  line inside a call that spans several lines);
- in the comment block that directly precedes the statement (on the line just
  above it);
- in the comment block just after it, at the statement's indentation or
  deeper, when no statement follows that block directly: a statement on the
  next line owns the block, and so does a statement one blank line below a
  block that has blank lines on both sides (a heading). A block that names
  the channel (one of the names it is bound to, or a `CHANNEL_NOUNS` word)
  stays the construction's, unless the statement after it builds a channel
  too;
- in a heading one blank line above the statement, at its indentation: a
  block that does not sit right under another statement.

What it must say: the marker (`# unbounded: <reason>` by default, the pattern is
the `unbounded-marker` setting) with a reason that is neither empty nor a to-do
(TODO, FIXME, XXX) always counts. Free text counts when it states a bound
affirmatively (bound_claims.py): not hedged, not negated, not a pointer
elsewhere.
"""

from __future__ import annotations

import re
import tokenize
from dataclasses import dataclass
from functools import cached_property
from typing import Dict, FrozenSet, Iterator, List, Mapping, Optional, Pattern, Sequence, Tuple

from dispatch_lint.channels.bound_claims import Claim, judge, limit_words
from dispatch_lint.channels.table import CONSTRUCTOR_NOUNS
from dispatch_lint.config import Option, regex_hazard

NEWLINE = re.compile(r"\r\n|\r|\n")
TODO = re.compile(r"^\W*(todo|fixme|xxx)\b", re.IGNORECASE)
MAX_BLANK_LINES = 1
# Logical lines that continue a compound statement rather than start one.
CLAUSE_HEADERS = frozenset({"else", "elif", "except", "finally"})

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
        "bound", "limit", "cap", "maximum", "back pressure", "flow control", "high water",
        "low water", "watermark", "pause", "throttle", "finite", "circular", "cycle", "deadlock",
        "timeout", "semaphore",
    ],
    "Words that name what bounds an unbounded channel's growth (with their inflections: "
    "bounded, limits, capped, throttling). A nearby comment counts when it uses one "
    "affirmatively: not hedged (should, someday, TODO), not negated (no limit), not a "
    "pointer (see ...). Quantity claims (at most, a single result, filled once, <=) count "
    "without being listed. A space or hyphen in an entry matches a space, a hyphen or "
    "nothing (`back pressure` matches `backpressure`).",
)


@dataclass(frozen=True)
class Comment:
    line: int
    text: str  # after the `#`, stripped
    own_line: bool  # nothing but whitespace before it on its line
    column: int = 0


# The nouns a comment may call a channel by: the constructors' own, and `buffer`.
CHANNEL_NOUNS = (*CONSTRUCTOR_NOUNS, "buffer")


@dataclass(frozen=True)
class Subject:
    """The channel a construction builds, as comments may name it: the names it
    is bound to, and the lines where the file builds channels."""

    names: Tuple[str, ...] = ()
    build_lines: FrozenSet[int] = frozenset()

    def named_in(self, text: str) -> bool:
        words = {name.rpartition(".")[2].lower() for name in self.names} | set(CHANNEL_NOUNS)
        pattern = r"\b(?:" + "|".join(re.escape(w) for w in sorted(words) if w) + r")s?\b"
        return re.search(pattern, text.lower()) is not None


NO_SUBJECT = Subject()


@dataclass
class Layout:
    """A file's comments by line, and the lines where a statement starts (with its column)."""

    comments: Dict[int, Comment]
    statements: Dict[int, int]


def read_layout(text: str) -> Optional[Layout]:
    """Comments and statement starts, or None when the text does not tokenize."""
    lines = [line + "\n" for line in NEWLINE.split(text)]
    comments: Dict[int, Comment] = {}
    statements: Dict[int, int] = {}
    at_start = True
    skip = {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}
    try:
        for token in tokenize.generate_tokens(iter(lines).__next__):
            if token.type == tokenize.COMMENT:
                line, column = token.start
                own_line = not token.line[:column].strip()
                comments[line] = Comment(line, token.string[1:].strip(), own_line, column)
            if token.type == tokenize.NEWLINE:
                at_start = True
            elif at_start and token.type not in skip and token.type != tokenize.ENDMARKER:
                at_start = False
                if token.string not in CLAUSE_HEADERS:
                    statements[token.start[0]] = token.start[1]
    except (tokenize.TokenError, SyntaxError, StopIteration):
        return None
    return Layout(comments, statements)


def read_comments(text: str) -> Optional[Dict[int, Comment]]:
    """Every comment by line number, or None when the text does not tokenize."""
    layout = read_layout(text)
    return layout.comments if layout is not None else None


def names_a_limit(text: str, words: Optional[Pattern[str]]) -> bool:
    """Whether free text states a bound (bound_claims.py)."""
    return judge(text, words).counts


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
    def _layout(self) -> Optional[Layout]:
        return read_layout(self._text)

    def readable(self) -> bool:
        """False when the file's comments cannot be read (the caller should not report)."""
        return self._layout is not None

    def reason(self, first: int, last: int, subject: Subject = NO_SUBJECT) -> Optional[str]:
        """The justifying comment text for a statement on lines `first..last`, or None."""
        for group in self.groups(first, last, subject):
            found = self._explains(group)
            if found is not None:
                return found
        return None

    def rejected(self, first: int, last: int, subject: Subject = NO_SUBJECT) -> List[Claim]:
        """Why each attributed comment that names a limit word does not count (for messages)."""
        claims = (judge(_free_text(list(_pieces(group)), self._marker), self._words)
                  for group in self.groups(first, last, subject))
        return [claim for claim in claims if claim.cue]

    def groups(self, first: int, last: int, subject: Subject = NO_SUBJECT) -> Iterator[List[Comment]]:
        """The comment groups attributed to the statement on `first..last`."""
        layout = self._layout
        if layout is None:
            return
        comments = layout.comments
        yield [comments[n] for n in range(first, last + 1) if n in comments]
        indent = self._indent(first)
        above = self._block(first - 1, -1)
        if above and (above[-1].line == first - 1
                      or (above[0].column == indent and not self._follows_a_statement(above))):
            yield above
        below = self._block(last + 1, 1)
        if below and below[0].column >= indent and (
                not self._precedes_a_statement(below, below[0].line > last + 1) or self._names(below, subject)):
            yield below

    def _names(self, block: Sequence[Comment], subject: Subject) -> bool:
        """The block names the channel, and the statement after it builds none."""
        if not subject.named_in(" ".join(c.text for c in block)):
            return False
        starts = sorted(line for line in (self._layout.statements if self._layout else {}) if line > block[-1].line)
        if not starts:
            return True
        end = starts[1] if len(starts) > 1 else len(self._lines) + 1
        return not any(starts[0] <= line < end for line in subject.build_lines)

    def _indent(self, line: int) -> int:
        text = self._lines[line - 1] if 1 <= line <= len(self._lines) else ""
        return len(text) - len(text.lstrip())

    def _block(self, start: int, step: int) -> List[Comment]:
        """The own-line comment block from `start` on (walking by `step`, at most
        one blank line before it), in file order."""
        comments = self._layout.comments if self._layout else {}
        line, blanks, found = start, 0, []
        while 1 <= line <= len(self._lines):
            comment = comments.get(line)
            if comment is not None and comment.own_line:
                found.append(comment)
            elif not self._lines[line - 1].strip() and not found and blanks < MAX_BLANK_LINES:
                blanks += 1
            else:
                break
            line += step
        return found if step > 0 else found[::-1]

    def _precedes_a_statement(self, block: Sequence[Comment], gap: bool) -> bool:
        """The block is the next statement's: it starts on the line right after the
        block, or (a heading, `gap`: a blank line above the block too) one blank
        line further at the block's indentation."""
        statements = self._layout.statements if self._layout else {}
        after = block[-1].line + 1
        if after in statements:
            return True
        blank = after <= len(self._lines) and not self._lines[after - 1].strip()
        return gap and blank and statements.get(after + 1) == block[0].column

    def _follows_a_statement(self, block: Sequence[Comment]) -> bool:
        """The line right above the block is code of a statement at the block's
        indentation (not a header such as `else:`): the block explains it."""
        statements = self._layout.statements if self._layout else {}
        comments = self._layout.comments if self._layout else {}
        line = block[0].line - 1
        if line < 1 or not self._lines[line - 1].strip() or (line in comments and comments[line].own_line):
            return False
        code = self._lines[line - 1]
        if line in comments:
            code = code[:code.rfind("#")]
        starts = [start for start in statements if start <= line]
        return (not code.rstrip().endswith(":") and bool(starts)
                and statements[max(starts)] == block[0].column)

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
        claim = judge(_free_text(pieces, self._marker), self._words)
        return claim.clause if claim.counts else None


def _pieces(group: Sequence[Comment]) -> Iterator[Comment]:
    """Each comment split at further `#`s (`# noqa  # unbounded: ...`); only a
    line's first piece counts as standing on its own line."""
    for comment in group:
        for index, part in enumerate(comment.text.split("#")):
            if part.strip():
                yield Comment(comment.line, part.strip(), comment.own_line and index == 0, comment.column)


def _free_text(pieces: Sequence[Comment], marker: Pattern[str]) -> str:
    """The pieces that are not the marker, as one text: a block's lines run on,
    separate `#` parts of one line are separate sentences."""
    text = ""
    for piece in pieces:
        if marker.match(piece.text):
            continue
        joiner = " " if piece.own_line or not text else ". "
        text = f"{text}{joiner}{piece.text}" if text else piece.text
    return text
