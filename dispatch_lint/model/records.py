"""The facts' record types are named tuples: small in memory, and rebuilt by
`tuple.__new__` when read back (unpickled, or from the plain tuples the store
marshals), with no Python code run per record (the model unpacks a file's
facts many times a run)."""

from __future__ import annotations

from typing import Any, Tuple, Type


def _reduce(record: tuple) -> Tuple[Any, ...]:
    return tuple.__new__, (type(record), tuple(record))


def fast_pickling(*kinds: Type[tuple]) -> None:
    for kind in kinds:
        kind.__reduce__ = _reduce  # type: ignore[assignment,method-assign]


# A record built from a tuple of all its fields, without running its Python
# constructor (`from_fields(Binding, fields)`; the model builds hundreds of
# thousands per run).
from_fields = tuple.__new__


def is_record(kind: Any) -> bool:
    """Whether `kind` is a record type (a named tuple)."""
    return isinstance(kind, type) and issubclass(kind, tuple) and hasattr(kind, "_fields")
