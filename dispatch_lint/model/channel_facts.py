"""The channel facts of one file (plain, picklable, JSON-encodable data), noted by
`channel_sites.ChannelSites` in the model's walk."""

from __future__ import annotations

from typing import Any, NamedTuple, Tuple

from dispatch_lint.model.records import fast_pickling

Expr = Tuple[Any, ...]


class CapacityPath(NamedTuple):
    """A value that reaches an argument along one path through its function
    (model/capacity_flow.py), with the conditions of that path."""

    scope: int
    expr: Expr  # ("?",): not known here (what a caller passes)
    conditions: Tuple[str, ...]


CALLEE = -1  # the key of a called parameter's paths in `Build.flows`


class Build(NamedTuple):
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
    # (position in `args` or keyword, the paths) for each argument whose value
    # depends on the path through the function; `CALLEE` for a called parameter.
    flows: Tuple[Tuple[Any, Tuple[CapacityPath, ...]], ...] = ()


class MethodCall(NamedTuple):
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


class Factory(NamedTuple):
    """`field(default_factory=...)`: the call, and what the factory builds."""

    scope: int
    expr: Expr  # the `field(...)` call
    built: Expr  # the factory's body (a lambda's) or the bare constructor, called
    built_scope: int


class Passing(NamedTuple):
    """A call by name (with or without arguments), in a file that builds channels."""

    scope: int
    func: Expr
    args: Tuple[Expr, ...]
    keywords: Tuple[Tuple[str, Expr], ...]

    @property
    def callee(self) -> str:
        """The last name of what is called ("" for neither a name nor an attribute)."""
        if self.func[0] == "n":
            return self.func[1]
        return self.func[2] if self.func[0] == "a" else ""


class Reference(NamedTuple):
    """A name or attribute read whose last part is a name a construction of the
    file is bound to (`self.inbox`, `tx`): where the channel may be used."""

    scope: int
    expr: Expr
    line: int
    column: int
    end_line: int
    end_column: int


class ChannelFacts(NamedTuple):
    builds: Tuple[Build, ...] = ()
    calls: Tuple[MethodCall, ...] = ()
    factories: Tuple[Factory, ...] = ()
    references: Tuple[Reference, ...] = ()
    # Calls of a parameter that may hold a constructor (`queue_class=asyncio.Queue`
    # ... `queue_class()`), with the paths of the constructors in `flows`.
    parameter_builds: Tuple[Build, ...] = ()


fast_pickling(CapacityPath, Build, MethodCall, Factory, Passing, Reference, ChannelFacts)
