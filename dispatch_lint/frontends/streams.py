"""Writing to stdout when the reader may have gone away (`| head`)."""

from __future__ import annotations

import os
import sys


def silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null, so the interpreter's
    final flush does not complain either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def write_stdout(text: str) -> None:
    """Write and flush; a closed stdout ends the output quietly."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
