"""Read Python files as text without losing how they were stored.

A file's encoding (PEP 263 cookie or UTF-8), its BOM and its newline style are
kept so that a fix can write the file back byte-for-byte except for the edit.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import tokenize
from dataclasses import dataclass
from typing import Union

from dispatch_lint.text import NEWLINE, line_starts

__all__ = ["NEWLINE", "Source", "Unreadable", "decode", "digest_bytes", "line_starts", "read_source"]



@dataclass(frozen=True)
class Source:
    path: str
    text: str
    encoding: str
    bom: bool
    digest: str

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


def decode(path: str, data: bytes) -> Union[Source, Unreadable]:
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
    return Source(path, text, encoding, bom, digest_bytes(data))


def read_source(path: str) -> Union[Source, Unreadable]:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return Unreadable(path, "file vanished before it could be read")
    except IsADirectoryError:
        return Unreadable(path, "is a directory, not a file")
    except OSError as exc:
        return Unreadable(path, f"cannot read file: {exc.strerror or exc}")
    return decode(path, data)


