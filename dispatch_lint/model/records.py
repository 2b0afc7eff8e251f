"""The facts' record types are named tuples: small in memory, and rebuilt by
`tuple.__new__` when unpickled, with no Python code run per record (the model
unpacks a file's facts many times a run)."""

from __future__ import annotations

from typing import Any, Tuple, Type


def _reduce(record: tuple) -> Tuple[Any, ...]:
    return tuple.__new__, (type(record), tuple(record))


def fast_pickling(*kinds: Type[tuple]) -> None:
    for kind in kinds:
        kind.__reduce__ = _reduce  # type: ignore[assignment,method-assign]
