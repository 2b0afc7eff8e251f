"""Bytes a run keeps but seldom reads, moved out of memory into an unlinked
temporary file: the texts and pickled model facts of every file of a large
project. Forked workers inherit the file and read it with `pread`, which
shares no file position between processes. Where no temporary file can be
written, the bytes stay in memory.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from typing import IO, Any, Optional, Tuple, Union


class Spill:
    """An append-only temporary file; it is deleted when the last `Spilled`
    that refers to it is gone."""

    def __init__(self) -> None:
        self._file: Optional[IO[bytes]] = None
        self._end = 0
        self._failed = False

    def keep(self, data: bytes) -> "Stored":
        """`data` written to the file (where it lies there), or `data` itself if
        it cannot be written."""
        if self._failed or not data:
            return data
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="dispatch-lint-")
                weakref.finalize(self, self._file.close)
            _write_all(self._file.fileno(), data, self._end)
        except OSError:
            self._failed = True
            return data
        stored = Spilled(self, self._end, len(data))
        self._end += len(data)
        return stored

    def read(self, offset: int, length: int) -> bytes:
        assert self._file is not None
        data = os.pread(self._file.fileno(), length, offset)
        while len(data) < length:
            more = os.pread(self._file.fileno(), length - len(data), offset + len(data))
            if not more:
                raise OSError(f"the temporary file of this run lost {length - len(data)} bytes")
            data += more
        return data


def _write_all(descriptor: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(descriptor, view, offset)
        view, offset = view[written:], offset + written


class Spilled:
    """Where some bytes lie in a `Spill`. Pickled, it is the bytes themselves."""

    __slots__ = ("spill", "offset", "length")

    def __init__(self, spill: Spill, offset: int, length: int) -> None:
        self.spill = spill
        self.offset = offset
        self.length = length

    def read(self, start: int = 0, length: Optional[int] = None) -> bytes:
        """The bytes, or `length` of them from `start`."""
        wanted = self.length - start if length is None else length
        return self.spill.read(self.offset + start, wanted)

    def __reduce__(self) -> Tuple[Any, Tuple[bytes]]:
        return bytes, (self.read(),)


Stored = Union[bytes, Spilled]


def loaded(stored: Stored, start: int = 0, length: Optional[int] = None) -> bytes:
    """The bytes (or `length` of them from `start`), read back if they were spilled."""
    if isinstance(stored, bytes):
        return stored[start:] if length is None else stored[start:start + length]
    return stored.read(start, length)
