"""The project's facts kept small: each file's facts serialised (compressed, or
in the run's spill file), with a short summary (the names it uses, defines
and imports) for the project's indexes, and unpacked on demand into a bounded
cache of recently used files.

A project of millions of lines then holds a few bytes per line; a query
unpacks only the files that mention what it asks about, and of those only
the groups of fields (scopes and bindings, uses...) it reads.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import hashlib
import io
import itertools
import json
import marshal
import os
import pickle
import typing
import zlib
from collections import OrderedDict
from functools import partial
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Sequence, Tuple, Union

from dispatch_lint.model.facts import ModuleFacts, Use
from dispatch_lint.model.records import from_fields, is_record
from dispatch_lint.spill import Spill, SpillRef, Spilled, Stored, loaded

# The files kept unpacked, by the serialised size of the groups of their
# facts that were unpacked: always about 140 whole files of average size (a
# large file takes the room of many small ones); in a run's workers, more while
# the process's resident memory stays under MEMORY_ROOM (see `LazyFiles`).
CACHED_BYTES = 1_900_000
MEMORY_ROOM = 200 << 20
GROWTH_STEP = 1 << 20
_SEPARATOR = "\n"


def values_digest(facts: ModuleFacts) -> str:
    """A digest of the facts' values: equal facts digest alike, whatever objects
    they share (which the serialised groups depend on)."""
    text = json.dumps(facts, ensure_ascii=False, separators=(",", ":"), default=_compared_fields)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _compared_fields(value: Any) -> list:
    """A dataclass of the facts as JSON writes it: the list of its compared fields."""
    kind = type(value)
    names = _COMPARED.get(kind)
    if names is None:
        if not dataclasses.is_dataclass(kind):
            raise TypeError(f"{kind.__name__} is not a type of the facts")
        names = _COMPARED[kind] = tuple(f.name for f in dataclasses.fields(kind) if f.compare)
    return [getattr(value, name) for name in names]


_COMPARED: Dict[type, Tuple[str, ...]] = {}


def use_name(use: Use) -> str:
    """The name a use is indexed by: the plain name, the attribute, or the last
    part of a dotted string."""
    target = use.target
    if target[0] == "n":
        return target[1]
    if target[0] == "dotted":
        return target[1].rpartition(".")[2]
    return target[2]


# What a file's `PackedFacts` hold besides its groups (and so what the facts
# cache keeps of them besides the groups), each a str, a bool or a tuple of
# one of those (tuple, kind).
_CACHED_FIELDS = (("path", str), ("module", str), ("public", bool), ("stub_file", bool), ("incomplete", bool),
                  ("has_candidates", bool), ("idle_async", bool), ("has_channels", bool),
                  ("has_parameter_builds", bool), ("looks_up_names", bool), ("summary", (tuple, str)),
                  ("methods", (tuple, str)), ("sizes", (tuple, int)))


class PackedFacts:
    """One file's facts, serialised (compressed, or in the run's spill file), and
    what the project's indexes need of them."""

    __slots__ = (*(name for name, _ in _CACHED_FIELDS), "data", "ends", "compressed", "value_digest", "index")

    def __init__(self, facts: ModuleFacts, compress: bool = True, digest: bool = False) -> None:
        """`compress=False` leaves the groups as they are serialised, for facts that
        go to a `Spill` (which compresses them only if it cannot take them);
        `digest=True` digests the facts' values now (else when first asked)."""
        self.path = facts.path
        self.value_digest = values_digest(facts) if digest else ""
        self.module = facts.module
        self.public = facts.public
        self.stub_file = facts.stub_file
        self.incomplete = facts.incomplete
        self.has_candidates = facts.has_candidates
        self.idle_async = any(d.is_async and not d.awaits for d in facts.defs)  # DSP201 candidates
        self.has_channels = facts.has_channels
        self.has_parameter_builds = facts.has_parameter_builds
        self.looks_up_names = bool(facts.name_lookups)
        imports = [f"{b.value[1].rpartition('.')[2]}\t{b.name}" for b in facts.bindings if b.kind == "import"]
        distinct = [sorted(set(items)) for items in (
            [use_name(u) for u in facts.uses],
            [d.name for d in facts.defs],
            imports,
        )]
        classes = [c.qualname for c in facts.classes]  # in order: the class numbers
        sync_methods = sorted({d.name for d in facts.defs if d.method_of >= 0 and not d.is_async})
        self.methods: Tuple[str, ...] = _own_methods(facts)
        callees = sorted({passing.callee for passing in facts.passings})
        self.summary: Tuple[str, ...] = tuple(_SEPARATOR.join(items) for items in (
            *distinct, classes, sync_methods, facts.async_mocked, callees))
        facts.index = None
        rest = {name: value for name, value in facts.__dict__.items()
                if name not in STORED and name != "index" and not name.startswith("_")}
        stored = _stored_fields(facts)
        encoded = [_encoded(group, tuple(stored[name] for name in group)) for group in GROUPS]
        encoded.append(_encoded((), rest))
        self.sizes = tuple(len(data) for data in encoded)  # each group's serialised bytes
        self._set_groups([zlib.compress(data, 1) for data in encoded] if compress else encoded, compress)
        self.index: Any = None

    def _set_groups(self, groups: Sequence[bytes], compressed: bool) -> None:
        # The groups one after the other, and where each ends.
        self.data: Stored = b"".join(groups)
        self.ends = tuple(itertools.accumulate(len(group) for group in groups))
        self.compressed = compressed

    def digest(self) -> str:
        """A digest of the facts' values (`values_digest`)."""
        if not self.value_digest:
            self.value_digest = values_digest(self.unpack())
        return self.value_digest

    @property
    def blob(self) -> bytes:
        """All the facts' bytes, as serialised (what a digest of the file's facts covers)."""
        return b"".join(self.group(number) for number in range(len(self.ends)))

    @property
    def size(self) -> int:
        """The bytes of the serialised facts."""
        return sum(self.sizes)

    def group_size(self, number: int) -> int:
        """The serialised bytes of a group (-1: the fields outside `GROUPS`)."""
        return self.sizes[number]

    def group(self, number: int) -> bytes:
        """The serialised bytes of a group (-1: the fields outside `GROUPS`)."""
        number %= len(self.ends)
        start = self.ends[number - 1] if number else 0
        data = loaded(self.data, start, self.ends[number] - start)
        return zlib.decompress(data) if self.compressed else data

    def cache_state(self) -> list:
        """What the facts cache keeps of these facts, as JSON reads it back (lists
        for tuples): the summary fields, and the groups compressed, as base64 text."""
        if self.compressed:
            data, ends = loaded(self.data, 0, self.ends[-1]), self.ends
        else:
            groups = [zlib.compress(self.group(n), 1) for n in range(len(self.ends))]
            data, ends = b"".join(groups), tuple(itertools.accumulate(len(group) for group in groups))
        fields = [getattr(self, name) for name, _ in _CACHED_FIELDS]
        return [*(list(value) if isinstance(value, tuple) else value for value in fields), list(ends),
                base64.b64encode(data).decode("ascii")]

    @classmethod
    def from_cache_state(cls, state: Any) -> "PackedFacts":
        """The facts `cache_state` gave; ValueError when `state` is not such a state."""
        if type(state) is not list or len(state) != len(_CACHED_FIELDS) + 2:
            raise ValueError("not a facts state")
        facts = cls.__new__(cls)
        for (name, kind), value in zip(_CACHED_FIELDS, state):
            setattr(facts, name, _checked_field(kind, value))
        ends, text = _checked_field((tuple, int), state[-2]), state[-1]
        if type(text) is not str:
            raise ValueError("not a facts state")
        try:
            data = base64.b64decode(text, validate=True)
        except binascii.Error:
            raise ValueError("not a facts state") from None
        groups = len(GROUPS) + 1
        if (len(ends) != groups or len(facts.sizes) != groups or min((*ends, *facts.sizes)) < 0
                or list(ends) != sorted(ends) or ends[-1] != len(data)):
            raise ValueError("not a facts state")
        facts._set_groups([data[start:end] for start, end in zip((0, *ends), ends)], True)
        facts.value_digest = ""
        facts.index = None
        return facts

    def spill_to(self, spill: Spill) -> None:
        """Keep the groups in `spill` instead of memory (compressed in memory
        when the spill cannot take them)."""
        if not isinstance(self.data, bytes):
            return
        stored = spill.keep(self.data)
        if stored is not self.data:
            self.data = stored
        elif not self.compressed:
            self._set_groups([zlib.compress(self.group(n), 1) for n in range(len(self.ends))], True)

    def handed_over(self, spill: Spill) -> "PackedFacts":
        """In a worker: the facts written to the run's `spill`, holding only
        where they lie there (what crosses back to the process that owns it)."""
        self.spill_to(spill)
        if isinstance(self.data, Spilled):
            self.data = self.data.ref()
        return self

    def taken_over(self, spill: Spill) -> "PackedFacts":
        """In the process that owns `spill`: facts a worker handed over (or
        could not spill) bound to it."""
        if isinstance(self.data, SpillRef):
            self.data = spill.at(self.data)
        else:
            self.spill_to(spill)
        return self

    def names(self, part: int) -> Tuple[str, ...]:
        text = self.summary[part]
        return tuple(text.split(_SEPARATOR)) if text else ()

    def unpack(self) -> ModuleFacts:
        facts = LazyFacts.__new__(LazyFacts)
        state = facts.__dict__
        state.update(_decoded((), self.group(-1)))
        state["path"] = self.path  # one string for the file, however often it is unpacked
        state["index"] = self.index
        state["_packed"] = self
        return facts

    def __getstate__(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__ if name != "index"}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
        self.index = None


def _checked_field(kind: Any, value: Any) -> Any:
    """`value` (as JSON gave it) as a field of type `kind`; ValueError when it does not fit."""
    if isinstance(kind, tuple):
        if type(value) is list and all(type(item) is kind[1] for item in value):
            return tuple(value)
    elif type(value) is kind:
        return value
    raise ValueError("not a facts state")


# The facts' large fields, in groups that queries read together, each group
# compressed on its own and unpacked when one of its fields is first read. The
# bindings are kept in two parts: the module scope's, with the scopes and classes
# (all that resolving a module's names and a class's bases reads), and the rest.
MODULE_BINDINGS, OTHER_BINDINGS = "_module_bindings", "_other_bindings"
GROUPS = (("scopes", MODULE_BINDINGS, "classes"), (OTHER_BINDINGS,), ("defs", "attr_sets"), ("uses",),
          ("channels",), ("passings",))
FIELDS = tuple(name for group in GROUPS for name in group)
# The fields of `ModuleFacts` stored in `GROUPS`.
STORED = tuple(name for name in FIELDS if not name.startswith("_")) + ("bindings",)


def _stored_fields(facts: ModuleFacts) -> Dict[str, Any]:
    """The values `GROUPS` names (the bindings in scope order: the module's first)."""
    values = {name: getattr(facts, name) for name in STORED}
    module = facts.module_bindings()
    values[MODULE_BINDINGS], values[OTHER_BINDINGS] = module, facts.bindings[len(module):]
    return values


def _record_fields() -> Dict[str, Any]:
    """Field name -> record type, for the fields of `ModuleFacts` declared as
    tuples of records (`Tuple[Binding, ...]`)."""
    found = {}
    for name, hint in typing.get_type_hints(ModuleFacts).items():
        args = typing.get_args(hint)
        if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis and is_record(args[0]):
            found[name] = args[0]
    return found


# A group of fields that are tuples of records is written as plain tuples with
# `marshal` (three times faster to write than pickle, a quarter faster to
# read); the others are pickled.
RECORDS = _record_fields()
_MARSHALLED, _PICKLED = b"m", b"p"


def _encoded(names: Tuple[str, ...], value: Any) -> bytes:
    """A group's bytes: `value` (the fields `names`) marshalled as plain tuples
    when every field holds records, else pickled; a first byte tells which."""
    if names and all(_record_type(name) for name in names):
        try:
            return _MARSHALLED + marshal.dumps(tuple(tuple(map(tuple, field)) for field in value))
        except ValueError:  # a value marshal cannot write
            pass
    return _PICKLED + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class _FactsUnpickler(pickle.Unpickler):
    """Unpickles facts, building nothing but the model's types and plain data
    (the facts cache is read back through it, and nothing else may run)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("builtins", "getattr"):
            return _type_attribute
        found = super().find_class(module, name) if module.startswith(_MODEL) or module == "builtins" else None
        if not _facts_type(found):
            raise pickle.UnpicklingError(f"{module}.{name} is not a type of the facts")
        return found


_MODEL = ModuleFacts.__module__.rpartition(".")[0] + "."
_PLAIN_TYPES = (tuple, list, dict, set, frozenset, str, int, float, bool, bytes)


def _facts_type(value: Any) -> bool:
    """Whether `value` is a type the facts are made of: plain data, or the model's
    dataclasses, records and enumerations."""
    if not isinstance(value, type):
        return False
    return value in _PLAIN_TYPES or (value.__module__.startswith(_MODEL) and (
        dataclasses.is_dataclass(value) or is_record(value) or issubclass(value, enum.Enum)))


def _type_attribute(owner: Any, name: str) -> Any:
    """`getattr` as pickles of the facts use it: a class nested in a type of the
    facts, a member of an enumeration, or a type's `__new__`."""
    if _facts_type(owner) and type(name) is str:
        found = getattr(owner, name, None)
        if _facts_type(found) or isinstance(found, enum.Enum) or name == "__new__":
            return found
    raise pickle.UnpicklingError(f"{name} is not a type of the facts")


def _decoded(names: Tuple[str, ...], data: bytes) -> Any:
    """The value `_encoded(names, value)` wrote."""
    if data[:1] == _PICKLED:
        return _FactsUnpickler(io.BytesIO(memoryview(data)[1:])).load()
    rows = marshal.loads(memoryview(data)[1:])
    return tuple(tuple(map(partial(from_fields, _record_type(name)), field)) for name, field in zip(names, rows))


def _record_type(name: str) -> Any:
    """The record type of a stored field (None: not a tuple of records)."""
    return RECORDS.get("bindings" if name in (MODULE_BINDINGS, OTHER_BINDINGS) else name)


class _GroupedField:
    """A field of `LazyFacts`: the first read unpacks its group into the
    instance's own attributes, which then shadow this descriptor (later reads
    cost nothing)."""

    def __init__(self, number: int, name: str) -> None:
        self.number = number
        self.name = name

    def __get__(self, facts: Any, owner: Any = None) -> Any:
        if facts is None:
            return self
        state = facts.__dict__
        packed = state["_packed"]
        names = GROUPS[self.number]
        state.update(zip(names, _decoded(names, packed.group(self.number))))
        holder = state.get("_holder")
        if holder is not None:
            holder.grew(facts, packed.group_size(self.number))
        return state[self.name]


class _Bindings:
    """`LazyFacts.bindings`: both parts, unpacked when first read."""

    def __get__(self, facts: Any, owner: Any = None) -> Any:
        if facts is None:
            return self
        state = facts.__dict__
        state["bindings"] = facts.module_bindings() + getattr(facts, OTHER_BINDINGS)
        return state["bindings"]


class LazyFacts(ModuleFacts):
    """A file's facts as `PackedFacts.unpack` gives them: each group of fields
    is unpacked when one of its fields is first read."""

    bindings = _Bindings()  # type: ignore[assignment]

    def module_bindings(self) -> Tuple[Any, ...]:
        if "bindings" in self.__dict__:  # unpacked already, or unpickled
            return super().module_bindings()
        return getattr(self, MODULE_BINDINGS)  # type: ignore[no-any-return]

    def __getstate__(self) -> Dict[str, Any]:
        state = {name: getattr(self, name) for name in STORED}
        state.update((name, value) for name, value in self.__dict__.items()
                     if name not in ("_packed", "_holder", MODULE_BINDINGS, OTHER_BINDINGS))
        state["index"] = None
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModuleFacts):
            return NotImplemented
        names = [f.name for f in dataclasses.fields(ModuleFacts) if f.compare]
        return [getattr(self, n) for n in names] == [getattr(other, n) for n in names]

    __hash__ = None  # type: ignore[assignment]


for _number, _group in enumerate(GROUPS):
    for _name in _group:
        setattr(LazyFacts, _name, _GroupedField(_number, _name))


def _own_methods(facts: ModuleFacts) -> Tuple[str, ...]:
    """The methods each class body defines (the last `def` of each name), as
    " name name! " (`!` marks a coroutine)."""
    bodies: Dict[int, Dict[str, int]] = {info.body: {} for info in facts.classes}
    for binding in facts.bindings:
        last = bodies.get(binding.scope)
        if last is not None and binding.kind == "def":
            last[binding.name] = binding.value[1]
    return tuple(" " + " ".join(f"{name}!" if facts.defs[number].is_async else name
                                for name, number in bodies[info.body].items()) + " " for info in facts.classes)


def own_method_kind(methods: str, name: str) -> Optional[bool]:
    """Whether the class defines `name` as a coroutine (True), a plain method
    (False), or not at all (None), from its `_own_methods` text."""
    if f" {name}! " in methods:
        return True
    return False if f" {name} " in methods else None


USES, DEFS, IMPORTS, CLASSES, SYNC_METHODS, MOCKED, CALLEES = range(7)
AnyFacts = Union[ModuleFacts, PackedFacts]


def packed(facts: AnyFacts) -> PackedFacts:
    return facts if isinstance(facts, PackedFacts) else PackedFacts(facts)


def resident_bytes() -> Optional[int]:
    """This process's resident memory (None where it cannot be read)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class LazyFiles(Mapping[str, ModuleFacts]):
    """Real path -> the file's facts, unpacked on demand; the most recently
    used files stay unpacked, up to `budget` bytes of the groups of their
    facts that were unpacked (a file whose bindings alone were read takes the
    room of its bindings only). Each `GROWTH_STEP` bytes unpacked, the budget
    is fitted to the process's resident memory: it grows while that is under
    `room` bytes and falls back to `floor` when it is not (room None: it never
    moves). The project-wide tables read many files again and again, and
    unpacking them again is most of the time they take; past the room, the
    memory the unpacked files let go serves the tables that still grow."""

    def __init__(self, on_load: Callable[[ModuleFacts], None], budget: int = CACHED_BYTES,
                 room: Optional[int] = None) -> None:
        self.packed: Dict[str, PackedFacts] = {}
        self.on_load = on_load
        self.budget = self.floor = budget
        self.room = room
        self.next_fit = 0  # `unpacked` at which the budget is fitted next
        self.unpacked = 0  # the bytes of every group unpacked so far
        self.recent: "OrderedDict[str, ModuleFacts]" = OrderedDict()
        self.held: Dict[str, int] = {}  # path -> the bytes of its unpacked groups
        self.recent_bytes = 0

    def add(self, facts: PackedFacts) -> None:
        if self.recent.pop(facts.path, None) is not None:
            self.recent_bytes -= self.held.pop(facts.path)
        self.packed[facts.path] = facts

    def __getitem__(self, path: str) -> ModuleFacts:
        found = self.recent.get(path)
        if found is not None:
            self.recent.move_to_end(path)
            return found
        packed = self.packed[path]
        found = packed.unpack()
        found.__dict__["_holder"] = self
        self.on_load(found)
        self.recent[path] = found
        self.held[path] = 0
        self.grew(found, packed.group_size(-1))
        return found

    def grew(self, facts: ModuleFacts, size: int) -> None:
        """`facts` (as this mapping gave them) unpacked `size` more bytes: the
        oldest files go while the budget is exceeded (the newest always stays)."""
        path = facts.path
        if self.recent.get(path) is not facts:  # no longer held here
            return
        self.held[path] += size
        self.recent_bytes += size
        self.unpacked += size
        if self.unpacked >= self.next_fit and self.room is not None:
            self._fit_budget()
        while self.recent_bytes > self.budget and len(self.recent) > 1:
            oldest, _ = self.recent.popitem(last=False)
            self.recent_bytes -= self.held.pop(oldest)

    def _fit_budget(self) -> None:
        self.next_fit = self.unpacked + GROWTH_STEP
        resident = resident_bytes()
        if resident is None:
            self.room = None
        elif resident < self.room:  # type: ignore[operator]
            self.budget = max(self.budget, self.recent_bytes + GROWTH_STEP)
        else:
            self.budget = self.floor

    def release(self) -> None:
        """Let every unpacked file go."""
        self.recent.clear()
        self.held.clear()
        self.recent_bytes = 0

    def __contains__(self, path: object) -> bool:
        return path in self.packed

    def __iter__(self) -> Iterator[str]:
        return iter(self.packed)

    def __len__(self) -> int:
        return len(self.packed)


class Refs(Mapping[str, Any]):
    """A name -> (path, extra) table whose answers load the file: `modules`
    (module -> its facts) and `classes` (key -> (facts, class number))."""

    def __init__(self, files: LazyFiles, with_number: bool) -> None:
        self.files = files
        self.with_number = with_number
        self.table: Dict[str, Tuple[str, int]] = {}

    def setdefault_ref(self, key: str, path: str, number: int = -1) -> None:
        self.table.setdefault(key, (path, number))

    def __getitem__(self, key: str) -> Any:
        path, number = self.table[key]
        return (self.files[path], number) if self.with_number else self.files[path]

    def get(self, key: str, default: Optional[Any] = None) -> Any:
        return self[key] if key in self.table else default

    def __contains__(self, key: object) -> bool:
        return key in self.table

    def __iter__(self) -> Iterator[str]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)
