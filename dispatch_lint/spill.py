"""Bytes a run keeps but seldom reads, moved out of memory into an unlinked
temporary file: the texts and pickled model facts of every file of a large
project. The file is made by the process that owns the `Spill`; workers
forked after it exists append to it too (under a lock, at its current end)
and read it with `pread`, which shares no file position between processes.
What a worker writes reaches the owner as a `SpillRef`. Where no temporary
file can be written, the bytes stay in memory.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from typing import IO, Any, NamedTuple, Optional, Tuple, Union

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no forked writers to exclude
    fcntl = None  # type: ignore[assignment]


class SpillRef(NamedTuple):
    """Where some bytes lie in a `Spill`, as a worker hands it to the owner."""

    offset: int
    length: int


class Spill:
    """An append-only temporary file; it is deleted when the last `Spilled`
    that refers to it is gone."""

    def __init__(self) -> None:
        self._file: Optional[IO[bytes]] = None
        self._owner = os.getpid()
        self._failed = False

    def open(self) -> None:
        """Make the file now, so that workers forked next can append to it."""
        if self._file is None and not self._failed and os.getpid() == self._owner:
            try:
                self._file = tempfile.TemporaryFile(prefix="dispatch-lint-")
            except OSError:
                self._failed = True
                return
            weakref.finalize(self, self._file.close)

    def keep(self, data: bytes) -> "Stored":
        """`data` written to the file (where it lies there), or `data` itself if
        it cannot be written."""
        self.open()
        if self._file is None or self._failed or not data:
            return data
        descriptor = self._file.fileno()
        try:
            _lock(descriptor, True)
            try:
                offset = os.fstat(descriptor).st_size
                _write_all(descriptor, data, offset)
            finally:
                _lock(descriptor, False)
        except OSError:
            self._failed = True
            return data
        return Spilled(self, offset, len(data))

    def at(self, ref: SpillRef) -> "Spilled":
        """The bytes a worker wrote where `ref` says."""
        return Spilled(self, ref.offset, ref.length)

    def read(self, offset: int, length: int) -> bytes:
        assert self._file is not None
        data = os.pread(self._file.fileno(), length, offset)
        while len(data) < length:
            more = os.pread(self._file.fileno(), length - len(data), offset + len(data))
            if not more:
                raise OSError(f"the temporary file of this run lost {length - len(data)} bytes")
            data += more
        return data


def _lock(descriptor: int, exclusive: bool) -> None:
    """A lock between processes (POSIX record locks are per process, so forked
    writers of one file exclude each other)."""
    if fcntl is not None:
        fcntl.lockf(descriptor, fcntl.LOCK_EX if exclusive else fcntl.LOCK_UN)


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

    def ref(self) -> SpillRef:
        return SpillRef(self.offset, self.length)

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
