"""Read Python files as text without losing how they were stored.

A file's encoding (PEP 263 cookie or UTF-8), its BOM and its newline style are
kept so that a fix can write the file back byte-for-byte except for the edit.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import stat
import tokenize
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Optional, Union

from dispatch_lint.spill import Spill, Stored, loaded
from dispatch_lint.text import NEWLINE, line_starts

__all__ = [
    "DEFAULT_MAX_FILE_SIZE", "NEWLINE", "NotReadable", "Source", "Unreadable",
    "decode", "digest_bytes", "line_starts", "read_regular", "read_source",
]

# The largest file read unless the `max-file-size` setting says otherwise.
DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))


class NotReadable(OSError):
    """A path that is not a regular file, or one larger than the size limit."""


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_regular(path: str, limit: Optional[int] = DEFAULT_MAX_FILE_SIZE, *, follow: bool = True) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them.

    Opening never blocks (a FIFO named like a source would hang a plain open),
    anything but a regular file is refused, and so is a file over `limit`
    bytes, before or while it is read. With `follow=False` a symlink is refused
    too. Raises OSError (NotReadable for the refusals)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise NotReadable(f"is {_kind(info.st_mode)}, not a regular file")
        if limit is not None and info.st_size > limit:
            raise NotReadable(f"is {_size(info.st_size)}, over the {_size(limit)} size limit (`max-file-size`)")
        os.set_blocking(descriptor, True)
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            data = _read_upto(handle, info.st_size, limit)
    finally:
        os.close(descriptor)
    if limit is not None and len(data) > limit:
        raise NotReadable(f"grew over the {_size(limit)} size limit (`max-file-size`) while it was read")
    return data


def _read_upto(handle: BinaryIO, size: int, limit: Optional[int]) -> bytes:
    """The file's bytes, at most `limit + 1` of them: read at its stated size
    first (a buffer of `limit` bytes per file would cost more than the read)."""
    wanted = size + 1 if limit is None else min(size, limit) + 1
    data = handle.read(wanted)
    if len(data) == wanted:  # it grew since it was stat-ed
        data += handle.read() if limit is None else handle.read(limit + 1 - len(data))
    return data


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MB" if count >= 1024 * 1024 else f"{count} bytes"


class Source:
    """A decoded file. A run keeps the source of every file it checks, so the
    text is written to the run's `spill` when there is one (as it is), and
    otherwise held compressed; it is read back when asked for."""

    __slots__ = ("path", "encoding", "bom", "digest", "size", "_stored", "_compressed")

    def __init__(self, path: str, text: str, encoding: str, bom: bool, digest: str,
                 spill: Optional[Spill] = None) -> None:
        self.path = path
        self.encoding = encoding
        self.bom = bom
        self.digest = digest
        self.size = len(text)  # in characters
        data = text.encode("utf-8", "surrogatepass")
        stored = spill.keep(data) if spill is not None else data
        self._compressed = stored is data  # not spilled: kept compressed
        self._stored: Stored = zlib.compress(data, 1) if self._compressed else stored

    @property
    def text(self) -> str:
        data = loaded(self._stored)
        return (zlib.decompress(data) if self._compressed else data).decode("utf-8", "surrogatepass")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Source) and (self.path, self.encoding, self.bom, self.digest, self.text) == (
            other.path, other.encoding, other.bom, other.digest, other.text)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Source(path={self.path!r}, encoding={self.encoding!r}, bom={self.bom}, digest={self.digest!r})"

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.bom else data


@dataclass(frozen=True)
class Unreadable:
    """A file that could not be read or decoded (reported as DSP002)."""

    path: str
    reason: str
    line: int = 1


def digest_bytes(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def decode(path: str, data: bytes, spill: Optional[Spill] = None) -> Union[Source, Unreadable]:
    """The file's text (kept in `spill` when given), or why it cannot be decoded."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return Unreadable(path, "file contains a null byte", line)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        return Unreadable(path, f"bad encoding declaration: {exc.msg}")
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        line = 1
        if isinstance(exc, UnicodeDecodeError):
            line = body[: exc.start].count(b"\n") + 1
        return Unreadable(path, f"cannot decode as {encoding}: {exc.reason if isinstance(exc, UnicodeDecodeError) else exc}", line)
    return Source(path, text, encoding, bom, digest_bytes(data), spill)


def read_source(path: str, limit: Optional[int] = DEFAULT_MAX_FILE_SIZE,
                spill: Optional[Spill] = None) -> Union[Source, Unreadable]:
    """The file decoded (its text kept in `spill` when given), or why it cannot
    be (not a regular file, over `limit` bytes, ...)."""
    try:
        data = read_regular(path, limit)
    except FileNotFoundError:
        return Unreadable(path, "file vanished before it could be read")
    except IsADirectoryError:
        return Unreadable(path, "is a directory, not a file")
    except NotReadable as exc:
        return Unreadable(path, str(exc))
    except OSError as exc:
        return Unreadable(path, f"cannot read file: {exc.strerror or exc}")
    return decode(path, data, spill)


