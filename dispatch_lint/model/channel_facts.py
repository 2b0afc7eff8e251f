"""The channel facts of one file (plain, picklable, JSON-encodable data), noted by
`channel_sites.ChannelSites` in the model's walk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Tuple

Expr = Tuple[Any, ...]


@dataclass(frozen=True)
class Build:
    """A call that may build a channel."""

    scope: int
    expr: Expr  # the call as the model converts it (the key its value is asked by)
    line: int
    column: int
    end_line: int
    end_column: int
    args: Tuple[Expr, ...]  # capacity-readable forms of the positional arguments
    keywords: Tuple[Tuple[str, Expr], ...]
    starred: bool  # `*args` / `**kwargs`: the capacity cannot be read
    names: Tuple[str, ...]  # the targets it is bound to (`inbox`, or `tx`, `rx`)
    cls: int  # the class whose body or method holds it (-1: none)
    marked: bool


@dataclass(frozen=True)
class MethodCall:
    """`receiver.method(...)` for a channel method, or `async for _ in receiver`."""

    scope: int
    receiver: Expr
    method: str
    awaited: bool
    in_async: bool  # the nearest enclosing function is an `async def`
    in_loop: bool  # inside a `while` or `for` body of the same function
    own: bool  # the receiver is `self.<attr>` of the method's own object
    cls: int  # the class of the enclosing method (-1: none)
    line: int
    column: int
    keywords: Tuple[Tuple[str, Expr], ...]
    positional: Tuple[Expr, ...]


@dataclass(frozen=True)
class Factory:
    """`field(default_factory=...)`: the call, and what the factory builds."""

    scope: int
    expr: Expr  # the `field(...)` call
    built: Expr  # the factory's body (a lambda's) or the bare constructor, called
    built_scope: int


@dataclass(frozen=True)
class Passing:
    """A call by name (with or without arguments), in a file that builds channels."""

    scope: int
    func: Expr
    args: Tuple[Expr, ...]
    keywords: Tuple[Tuple[str, Expr], ...]


@dataclass(frozen=True)
class Reference:
    """A name or attribute read whose last part is a name a construction of the
    file is bound to (`self.inbox`, `tx`): where the channel may be used."""

    scope: int
    expr: Expr
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class ChannelFacts:
    builds: Tuple[Build, ...] = ()
    calls: Tuple[MethodCall, ...] = ()
    factories: Tuple[Factory, ...] = ()
    passings: Tuple[Passing, ...] = ()
    references: Tuple[Reference, ...] = ()
    # A function calls a parameter whose default or assigned value names a
    # constructor (`queue_class=asyncio.Queue` ... `queue_class()`).
    passes_constructor: bool = False
