"""Channel values in the model's lattice, and the call hook that builds them.

A `Channel` is what an expression holds when every assignment that can reach it
holds one end of channels of one kind (a row of the channel table): the end
(`object`, `send`, `receive`, a janus `view`), the capacities it may have, and
the sites that built it. Two channels of one kind and end join into one with
both sites; a channel joined with `None` (a placeholder before `start()` builds
the real one) stays the channel: a send on `None` never runs. Anything else
joins to unknown, which never produces a finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import FrozenSet, Optional, Tuple

from dispatch_lint.channels.table import (
    BY_NAME,
    CHANNEL_KINDS,
    CONTEXT_FACTORIES,
    FACTORY_KEYWORDS,
    ChannelKind,
    context_kind,
)
from dispatch_lint.model.values import (
    UNKNOWN,
    ClassObject,
    External,
    ExternalInstance,
    Function,
    Sequence,
    Value,
    is_none,
)

UNBOUNDED = "unbounded"
UNKNOWN_SIZE = "unknown"
OBJECT, SEND, RECEIVE, JANUS = "object", "send", "receive", "janus"
INFINITE_NAMES = frozenset({"math.inf", "numpy.inf", "cmath.inf"})
INFINITE_STRINGS = frozenset({"inf", "+inf", "infinity", "+infinity"})


@dataclass(frozen=True)
class Site:
    """Where a channel was built (the model's real path; 1-based line and column)."""

    path: str
    line: int
    column: int


@dataclass(frozen=True)
class Channel(Value):
    kind: int  # index in CHANNEL_KINDS
    end: str  # OBJECT, SEND, RECEIVE, JANUS or a janus view name
    # Each a number (bounded), UNBOUNDED, or UNKNOWN_SIZE (not known statically).
    capacities: FrozenSet[object]
    sites: FrozenSet[Site]

    @property
    def table_row(self) -> ChannelKind:
        return CHANNEL_KINDS[self.kind]

    @property
    def bounded(self) -> bool:
        return all(isinstance(c, float) for c in self.capacities)

    @property
    def unbounded(self) -> bool:
        return self.capacities == frozenset({UNBOUNDED})

    def with_end(self, end: str) -> "Channel":
        return Channel(self.kind, end, self.capacities, self.sites)

    def join_with(self, other: Value) -> Optional[Value]:
        """The model's join (model/values.py `join`) asks this: a placeholder `None`
        joined with the channel is the channel; two channels of one kind and end join
        into one with both sites; anything else is unknown."""
        if is_none(other):
            return self
        if isinstance(other, Channel) and (other.kind, other.end) == (self.kind, self.end):
            return Channel(self.kind, self.end, self.capacities | other.capacities, self.sites | other.sites)
        return None

    def capacity_text(self) -> str:
        if self.unbounded:
            return "unbounded"
        if not self.bounded:
            return "capacity not known statically"
        sizes = sorted(int(c) for c in self.capacities)  # type: ignore[call-overload]
        if sizes == [0]:
            return "capacity 0, a rendezvous"
        return "capacity " + " or ".join(str(s) for s in sizes)


def capacity_state(kind: ChannelKind, value: Optional[float]) -> object:
    """One capacity: a number, UNBOUNDED, or UNKNOWN_SIZE (`value` None)."""
    if value is None:
        return UNKNOWN_SIZE
    if math.isinf(value) or (kind.capacity.zero_is_unbounded and value <= 0):
        return UNBOUNDED
    return float(value)


def kind_index(name: str) -> Optional[int]:
    kind = BY_NAME.get(name)
    return CHANNEL_KINDS.index(kind) if kind is not None else None


def shaped(kind: int, capacities: FrozenSet[object], sites: FrozenSet[Site]) -> Value:
    """The value a construction returns: the channel, or its (send, receive) pair."""
    row = CHANNEL_KINDS[kind]
    if row.shape == "pair":
        return Sequence((Channel(kind, SEND, capacities, sites), Channel(kind, RECEIVE, capacities, sites)))
    return Channel(kind, JANUS if row.shape == "views" else OBJECT, capacities, sites)


def constructor_of(callee: Value, project: object = None) -> Optional[int]:
    """The table row a callee value builds: `External("asyncio.Queue")`, or the
    library's own class or function when the project is that library (its tests)."""
    if isinstance(callee, External):
        return kind_index(callee.name)
    if isinstance(callee, ClassObject):
        return kind_index(callee.cls)
    if isinstance(callee, Function) and project is not None:
        file = project.files.get(callee.path)  # type: ignore[attr-defined]
        if file is not None:
            return kind_index(project.qualified(file, callee.index))  # type: ignore[attr-defined]
    return None


def context_constructor(receiver: Value, method: str) -> Optional[int]:
    """`ctx.Queue` for a multiprocessing context or manager object."""
    if isinstance(receiver, ExternalInstance) and receiver.name in CONTEXT_FACTORIES:
        kind = context_kind(method)
        return CHANNEL_KINDS.index(kind) if kind is not None else None
    return None


def factory_keyword(callee: Value) -> Optional[str]:
    """The keyword naming a factory, when `callee` is a field helper (`dataclasses.field`)."""
    return FACTORY_KEYWORDS.get(callee.name) if isinstance(callee, External) else None


def is_infinite(value: Value) -> bool:
    return isinstance(value, External) and value.name in INFINITE_NAMES


def sites_of(value: Value) -> Tuple[Site, ...]:
    return tuple(sorted(value.sites, key=lambda s: (s.path, s.line, s.column))) if isinstance(value, Channel) else ()


__all__ = ["Channel", "Site", "UNKNOWN", "capacity_state", "shaped", "sites_of"]
