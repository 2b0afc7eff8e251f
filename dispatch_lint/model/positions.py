"""Character columns from the byte offsets `ast` gives."""

from __future__ import annotations

from typing import List, Optional, Set

from dispatch_lint.text import NEWLINE


class Positions:
    def __init__(self, text: str) -> None:
        self.text = text
        self.ascii = text.isascii()
        self.lines: Optional[List[str]] = None  # split only when a column needs a line's text
        self.wide: Optional[Set[int]] = None

    def all_lines(self) -> List[str]:
        if self.lines is None:  # the tokenizer's line breaks only (not str.splitlines' \f, \v...)
            self.lines = self.text.split("\n") if "\r" not in self.text else NEWLINE.split(self.text)
        return self.lines

    def line_text(self, line: int) -> str:
        lines = self.all_lines()
        return lines[line - 1] if line <= len(lines) else ""

    def column(self, line: int, byte_col: int) -> int:
        """The 1-based character column of a byte offset on `line`."""
        if self.ascii:
            return byte_col + 1
        if self.wide is None:  # the lines with a character outside ASCII
            self.wide = {number for number, text in enumerate(self.all_lines(), 1) if not text.isascii()}
        if line not in self.wide:
            return byte_col + 1
        return len(self.line_text(line).encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1

    def after_keyword(self, line: int, column: int, keyword: str) -> int:
        """The column after `keyword` at `column` and the blanks that follow it."""
        text = self.line_text(line)
        after = column - 1 + len(keyword)
        return len(text) - len(text[after:].lstrip(" \t")) + 1
