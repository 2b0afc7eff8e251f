"""The abstract values of expressions: what the code shows an object is.

A small lattice with no unions: two different values join to `UNKNOWN`, and
an unknown never produces a finding. Other analyses add their own `Value`
subclasses (a channel with its kind and capacity) through the project's call
hooks (`Project.add_call_hook`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Tuple


class Value:
    """The base of every abstract value."""

    __slots__ = ()

    def join_with(self, other: "Value") -> Optional["Value"]:
        """The join with a different `other`, for a value that knows one (a channel
        joined with another of its kind, or with a `None` placeholder); None: unknown."""
        return None


@dataclass(frozen=True)
class Unknown(Value):
    pass


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Nothing(Value):
    """The bottom: the elements of an empty container, before anything is put in."""


NOTHING = Nothing()


@dataclass(frozen=True)
class Instance(Value):
    """An instance of the project class `cls` (key `module.qualname`)."""

    cls: str


@dataclass(frozen=True)
class ClassObject(Value):
    cls: str


@dataclass(frozen=True)
class Function(Value):
    """A project function or method: (file path, index in its `defs`)."""

    path: str
    index: int


@dataclass(frozen=True)
class ModuleObject(Value):
    name: str  # dotted


@dataclass(frozen=True)
class External(Value):
    """A name from outside the project, by qualified name (`asyncio.Queue`)."""

    name: str


@dataclass(frozen=True)
class ExternalInstance(Value):
    """What calling an outside name returned (`asyncio.Queue()`)."""

    name: str


@dataclass(frozen=True)
class Constant(Value):
    value: object


@dataclass(frozen=True)
class Container(Value):
    """A list, dict, set or tuple whose elements (dict values) are `element`."""

    element: Value


@dataclass(frozen=True)
class Sequence(Value):
    """A tuple or list display whose items are known one by one."""

    items: Tuple[Value, ...]


def join(a: Value, b: Value) -> Value:
    if a is NOTHING:
        return b
    if b is NOTHING or a == b:
        return a
    if isinstance(a, Container) and isinstance(b, Container):
        return Container(join(a.element, b.element))
    return a.join_with(b) or b.join_with(a) or UNKNOWN


def is_none(value: Value) -> bool:
    return isinstance(value, Constant) and value.value is None


def join_all(values: Iterable[Value]) -> Value:
    """The join of `values`; `UNKNOWN` for none at all."""
    found: Value = NOTHING
    for value in values:
        found = join(found, value)
        if found is UNKNOWN:
            return UNKNOWN
    return UNKNOWN if found is NOTHING else found
