"""Progress on stderr ("checking 120/4000 files"), only when stderr is a terminal."""

from __future__ import annotations

import time
from typing import Callable, Optional, TextIO

# Redraw at most this often, so that progress never slows a run down.
INTERVAL = 0.1


class Progress:
    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.last_drawn = float("-inf")
        self.width = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self.clock()
        if done < total and now - self.last_drawn < INTERVAL:
            return
        self.last_drawn = now
        line = f"{stage} {done}/{total} files"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def clear(self) -> None:
        """Erase the progress line before the results are printed."""
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def for_stream(stream: TextIO) -> Optional[Progress]:
    """A progress reporter for `stream`, or None when it is not a terminal."""
    isatty = getattr(stream, "isatty", None)
    return Progress(stream) if isatty is not None and isatty() else None
