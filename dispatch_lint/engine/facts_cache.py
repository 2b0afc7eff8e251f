"""The project-index facts of every file under the root, kept between runs.

One JSON file per project root, `<cache-dir>/facts-<key>.json`, where the key
covers the tool's own code (so a change to what facts hold starts afresh) and
the root. Each file (by absolute real path) has its size, mtime, content
digest, facts (files that `ast` refuses have none) and the digest of the
facts' values; facts read back are written again only when their file's stat
changed. The facts are written as plain JSON and read back driven by the
dataclass field types, so a damaged entry fails validation instead of
producing wrong facts, and nothing in the file is ever executed. The results cache's rules apply: atomic writes, a
checksum, racy mtimes not trusted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import typing
from typing import Any, Callable, Dict, Optional, Tuple

from dispatch_lint.engine.cache import read_store, tool_fingerprint, trusted_stat, write_store
from dispatch_lint.model.facts import ModuleFacts as FileFacts
from dispatch_lint.model.modules import module_name
from dispatch_lint.model.records import from_fields, is_record
from dispatch_lint.model.store import PackedFacts, unpacked

FORMAT = 3


class BadFacts(ValueError):
    """Stored data that does not fit the facts' types."""


def encode(value: Any) -> Any:
    """Dataclasses as lists of their compared fields; tuples (records too) and sets as lists;
    dicts as lists of [key, value] pairs (keys may be tuples)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    encoder = _ENCODERS.get(kind)
    if encoder is None:
        encoder = _ENCODERS[kind] = _encoder(kind)
    return encoder(value)


_PLAIN = frozenset({str, int, float, bool, type(None)})
_ENCODERS: Dict[type, Callable[[Any], Any]] = {}


def _encoder(kind: type) -> Callable[[Any], Any]:
    """How `encode` writes a value of type `kind`, chosen once per type."""
    if dataclasses.is_dataclass(kind):
        names = [f.name for f in dataclasses.fields(kind) if f.compare]
        return lambda value: [encode(getattr(value, name)) for name in names]
    if issubclass(kind, dict):
        return lambda value: [[encode(k), encode(v)] for k, v in value.items()]
    if issubclass(kind, (frozenset, set)):
        return lambda value: [encode(v) for v in sorted(value)]
    if issubclass(kind, (tuple, list)):
        return lambda value: [encode(v) for v in value]
    return lambda value: value


def decode(kind: Any, data: Any) -> Any:
    """`data` read back as a value of type `kind`; BadFacts when it does not fit."""
    return _decoder(kind)(data)


_DECODERS: Dict[Any, Callable[[Any], Any]] = {}


def _decoder(kind: Any) -> Callable[[Any], Any]:
    """A function reading type `kind` back, built once per type."""
    found = _DECODERS.get(kind)
    if found is None:
        found = _DECODERS[kind] = _build(kind)
    return found


def _checked(kind: Any, data: Any, length: Optional[int] = None) -> Any:
    if type(data) is not list or (length is not None and len(data) != length):
        raise BadFacts(str(kind))
    return data


def _plain(data: Any) -> Any:
    """A symbolic expression: nested lists read back as tuples of plain values."""
    kind = type(data)
    if kind is list:
        return tuple([_plain(item) for item in data])
    if kind is str or kind is int or data is None or kind is float or kind is bool:
        return data
    raise BadFacts("expression")


def _build(kind: Any) -> Callable[[Any], Any]:
    if kind is Any:
        return _plain
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        fields = [(f.name, _decoder(hints[f.name])) for f in dataclasses.fields(kind) if f.compare]
        return lambda data: kind(**{name: read(item) for (name, read), item
                                    in zip(fields, _checked(kind, data, len(fields)))})
    if is_record(kind):
        return _record_reader(kind)
    if origin is typing.Union:
        inner = _decoder(next(a for a in args if a is not type(None)))
        return lambda data: None if data is None else inner(data)
    if origin is dict:
        pair = _decoder(Tuple[args[0], args[1]])
        return lambda data: dict(pair(item) for item in _checked(kind, data))
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        readers = [_decoder(a) for a in args]
        return lambda data: tuple(read(d) for read, d in zip(readers, _checked(kind, data, len(readers))))
    if origin in (tuple, frozenset, list):
        read_item = _decoder(args[0])
        return lambda data: origin([read_item(d) for d in _checked(kind, data)])
    if kind in (str, int, bool):
        def read_plain(data: Any) -> Any:
            if type(data) is not kind:
                raise BadFacts(str(kind))
            return data
        return read_plain
    raise BadFacts(f"unexpected type {kind}")


def _record_reader(kind: Any) -> Callable[[Any], Any]:
    """Read a record (a named tuple) from the list of its fields: a plain field
    is checked in place, the others by their types' readers."""
    hints = typing.get_type_hints(kind)
    steps = [(None, hints[name]) if hints[name] in (str, int, bool) else (_decoder(hints[name]), None)
             for name in kind._fields]
    count = len(steps)

    def read_record(data: Any) -> Any:
        if type(data) is not list or len(data) != count:
            raise BadFacts(str(kind))
        values = []
        for (read, plain), item in zip(steps, data):
            if read is not None:
                values.append(read(item))
            elif type(item) is plain:
                values.append(item)
            else:
                raise BadFacts(str(kind))
        return from_fields(kind, tuple(values))

    return read_record


def facts_from(data: Any) -> FileFacts:
    try:
        return decode(FileFacts, data)
    except (BadFacts, TypeError, ValueError, StopIteration):
        raise BadFacts("facts") from None


class FactsCache:
    """The facts entries of one root, loaded once, saved once at the end of a run."""

    def __init__(self, folder: str, root: str) -> None:
        self.folder = folder
        self.root = os.path.realpath(root)
        self.key = hashlib.blake2b(json.dumps([FORMAT, tool_fingerprint(), root]).encode(),
                                   digest_size=12).hexdigest()
        self.path = os.path.join(folder, f"facts-{self.key}.json")
        self.entries: Dict[str, list] = self._load()
        self.changed = False
        self.handed: Dict[str, PackedFacts] = {}  # real path -> the facts `lookup` gave

    def _load(self) -> Dict[str, list]:
        return read_store(self.path, FORMAT, self.key)[1]

    def lookup(self, real: str, stat: Optional[os.stat_result], digest: Optional[str] = None) -> Any:
        """(True, facts) when the entry holds for this stat (or content digest);
        (False, None) when the file must be read and extracted."""
        data = self.entries.get(real)
        if not (isinstance(data, list) and len(data) == 5 and isinstance(data[2], str) and isinstance(data[4], str)):
            return False, None
        size, mtime_ns, stored_digest, facts, value_digest = data
        by_stat = stat is not None and size != -1 and (size, mtime_ns) == (stat.st_size, stat.st_mtime_ns)
        if not by_stat and digest != stored_digest:
            return False, None
        try:
            found = facts_from(facts)
        except BadFacts:
            return False, None
        if (found.module, found.public) != module_name(real, self.root):
            return False, None  # a package gained or lost an `__init__.py`
        packed = PackedFacts(found)
        packed.value_digest = value_digest
        self.handed[real] = packed
        return True, packed

    def put(self, real: str, stat: Optional[os.stat_result], digest: str, facts: Any) -> None:
        """Keep the facts of `real` (`digest`: of its content, "" when unknown);
        packed facts learn the digest of their values (equal facts digest alike
        however they were made). Facts `lookup` gave only update the stat."""
        size, mtime_ns = trusted_stat(stat)
        entry = self.entries.get(real)
        if entry is not None and facts is self.handed.get(real):
            if [size, mtime_ns, digest or entry[2]] != entry[:3]:
                self.entries[real] = [size, mtime_ns, digest or entry[2], *entry[3:]]
                self.changed = True
            return
        encoded = encode(unpacked(facts))
        text = json.dumps(encoded, ensure_ascii=False, separators=(",", ":"))
        value_digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        if isinstance(facts, PackedFacts):
            facts.value_digest = value_digest
        data = [size, mtime_ns, digest, encoded, value_digest]
        if self.entries.get(real) != data:
            self.entries[real] = data
            self.changed = True

    def save(self) -> None:
        if self.changed and write_store(self.folder, self.path, FORMAT, self.key, self.entries):
            self.changed = False


