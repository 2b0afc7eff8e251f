"""The per-file facts of the semantic model: plain, picklable, JSON-encodable data.

Scope ids index `ModuleFacts.scopes` (0 is the module); definition and class
ids index `defs` and `classes`. Expressions are symbolic (`expr.Expr`): they are
evaluated only when the project is joined, because names may come from other files.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Dict, NamedTuple, Tuple

from dispatch_lint.model.channel_facts import ChannelFacts, Passing
from dispatch_lint.model.records import fast_pickling

Expr = Tuple[Any, ...]

# How a use refers to its target (a bitmask).
AWAIT = 1  # `await target(...)`: the columns span `await ` exactly
CALL = 2  # called; the call's result is not awaited
VALUE = 4  # the function itself is passed, stored, returned
SPAWN = 8  # the call's coroutine object is used as a value (task, stored, returned, passed)
GENEXP = 16  # awaited inside a generator expression (which it makes asynchronous)
DYNAMIC = 32  # `getattr(module, "name")`, `globals()["name"]`
PATCH = 64  # assigned as an attribute of its module (monkeypatching)
AWAITABLE_CHECK = 128  # the call's result goes to `inspect.isawaitable` and the like
NO_EDIT = 256  # an `await` whose removal is not a plain edit (a line break follows it)


class Scope(NamedTuple):
    kind: str  # "module" | "class" | "function" | "lambda" | "comprehension"
    name: str
    qualname: str  # Python's: "C.m.<locals>.f"
    parent: int  # -1 for the module scope
    line: int


class Binding(NamedTuple):
    scope: int  # where Python binds it (after `global` / `nonlocal`)
    name: str
    kind: str  # def, class, import, assign, param, for, with, except, comprehension, walrus, del, star, ...
    line: int
    value: Expr
    branch: int = -1  # the outermost `if`/`try` around it in its scope: alternatives share it


class Definition(NamedTuple):
    name: str
    qualname: str
    scope: int  # where its name is bound
    body: int  # its own scope
    line: int
    is_async: bool
    awaits: bool  # its own body awaits (or is an async generator)
    column: int = 0  # of `async` (or `def`)
    keyword_end: int = 0  # the column after `async` and the blanks that follow it
    decorators: Tuple[Expr, ...] = ()
    stub: bool = False  # docstring, pass, ..., a bare `return` or `return None`, or raise NotImplementedError only
    needs_loop: bool = False  # its body calls something that needs a running loop
    method_of: int = -1  # index of its class in `classes`
    params: Tuple[Tuple[str, Expr], ...] = ()  # (name, annotation or ("?",))
    # (name, default) for the parameters with a default (evaluated in `scope`; a
    # constant or a dotted name, else ("?",)): what a call that omits the argument passes.
    defaults: Tuple[Tuple[str, Expr], ...] = ()
    returns: Tuple[Expr, ...] = ()
    return_annotation: Expr = ("?",)
    branch: int = -1


class ClassInfo(NamedTuple):
    name: str
    qualname: str
    scope: int
    body: int
    line: int
    bases: Tuple[Expr, ...] = ()
    metaclass: Expr = ("?",)
    has_stubs: bool = False  # declares a stub method: an abstract base in all but name
    # prefixes of `getattr(self, <not a constant>)` in its methods ("" when none shows)
    dispatch_prefixes: Tuple[str, ...] = ()
    decorators: Tuple[Expr, ...] = ()


class AttrSet(NamedTuple):
    """`self.attr = value` (and `self.attr: T`, item sets, appends) in a method."""

    cls: int
    attr: str
    scope: int  # the method's scope, where `value` is evaluated
    value: Expr
    line: int


class Use(NamedTuple):
    scope: int
    target: Expr  # ("n", name) or ("a", receiver, attr)
    how: int  # bitmask of AWAIT, CALL...
    line: int
    column: int
    end_column: int = 0  # for AWAIT: the column after `await` and its whitespace


fast_pickling(Scope, Binding, Definition, ClassInfo, AttrSet, Use)


def _scope_of(binding: Binding) -> int:
    return binding.scope


@dataclass
class ModuleFacts:
    path: str  # absolute real path
    module: str  # dotted module name ("" when not importable)
    public: bool  # part of a package's public API
    stub_file: bool = False  # a `.pyi`
    scopes: Tuple[Scope, ...] = ()
    bindings: Tuple[Binding, ...] = ()  # in scope order: the module's first
    defs: Tuple[Definition, ...] = ()
    classes: Tuple[ClassInfo, ...] = ()
    attr_sets: Tuple[AttrSet, ...] = ()
    uses: Tuple[Use, ...] = ()
    star_imports: Tuple[str, ...] = ()
    async_mocked: Tuple[str, ...] = ()  # names the tests replace with AsyncMock
    # `getattr(x, <computed>)` on an object other than the method's own:
    # (scope, line, x, the name's constant prefix).
    name_lookups: Tuple[Tuple[int, int, Expr, str], ...] = ()
    incomplete: bool = False  # nested too deeply to follow: treated as a file the model cannot see
    channels: ChannelFacts = field(default_factory=ChannelFacts)  # see channel_sites.py
    # The calls by name in a file with channel facts (see model/call_sites.py).
    passings: Tuple[Passing, ...] = ()
    # The project these facts belong to, set when it is joined (never stored).
    index: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.bindings = tuple(sorted(self.bindings, key=_scope_of))  # stable: each scope's in order

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["index"] = None
        return state

    def module_bindings(self) -> Tuple[Binding, ...]:
        """The bindings of the module scope (scope 0): the first of `bindings`."""
        bindings = self.bindings
        return bindings[:bisect.bisect_right(bindings, 0, key=_scope_of)]

    @property
    def has_channels(self) -> bool:
        """Whether the file builds a channel, or calls a channel method where one may be used."""
        return bool(self.channels.builds or self.channels.calls)

    @property
    def has_parameter_builds(self) -> bool:
        """Whether the file calls a parameter that a channel constructor may reach."""
        return bool(self.channels.parameter_builds)

    @property
    def has_candidates(self) -> bool:
        return any(d.is_async and not d.awaits for d in self.defs) or bool(self.channels.calls or self.channels.builds)
