"""DSP201's project-wide verdict on an `async def` that never awaits.

Given the project index, it decides whether the definition is an interface
(it overrides, or is overridden by, an awaiting coroutine; its class is a
Protocol or ABC or has a base outside the project), whether something other
than a direct `await` refers to it (a callback, a task, a plain call), which
call sites dropping `async` must rewrite, and what blocks the rewrite.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

from dispatch_lint.engine.index import ProjectIndex
from dispatch_lint.engine.index_facts import CALL, SPAWN, VALUE, AsyncDefFact, AwaitSite, FileFacts

# Decorators that do not make a function an interface or a registered callback.
PLAIN_DECORATORS = frozenset({"builtins.staticmethod", "builtins.classmethod", "functools.wraps"})
INTERFACE_BASES = frozenset({"typing.Protocol", "typing_extensions.Protocol", "abc.ABC"})
# Bases outside the project known to declare no coroutine methods.
PLAIN_BASES = frozenset({"typing.Generic", "typing_extensions.Generic", "typing.NamedTuple",
                         "enum.Enum", "enum.IntEnum", "enum.Flag", "enum.IntFlag"})


@dataclass(frozen=True)
class CallSite:
    real_path: str
    runner_path: Optional[str]  # None: outside the analysed paths
    line: int
    column: int
    end_column: int


@dataclass(frozen=True)
class Verdict:
    exemption: Optional[str]  # why it is not reported; the rest is then empty
    sites: Tuple[CallSite, ...] = ()
    files: int = 0
    blocker: Optional[str] = None  # the first place that prevents the rewrite
    run_blocker: Optional[str] = None  # the same, for this run only (not in the message)
    public: bool = True
    unsafe_because: Optional[str] = None


_PROTOCOL_METHODS: "weakref.WeakKeyDictionary[ProjectIndex, Dict[str, str]]" = weakref.WeakKeyDictionary()


def _is_interface_base(base: str) -> bool:
    return base in INTERFACE_BASES or base.startswith("metaclass=") and base.endswith("ABCMeta")


def _protocol_methods(index: ProjectIndex) -> Dict[str, str]:
    """Coroutine method names declared by the project's Protocol and ABC
    classes: a class may implement them structurally, without inheriting."""
    found = _PROTOCOL_METHODS.get(index)
    if found is None:
        found = {}
        for key, (cls, _) in sorted(index.classes.items()):
            if any(_is_interface_base(base) for base, _ in index.ancestors(key)):
                for name, kind in cls.methods:
                    if kind != "sync":
                        found.setdefault(name, key)
        _PROTOCOL_METHODS[index] = found
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _plain_base(base: str) -> bool:
    return "." not in base and not base.startswith("metaclass=") or base in PLAIN_BASES


class _Assessor:
    def __init__(self, index: ProjectIndex, file: FileFacts, fact: AsyncDefFact) -> None:
        self.index = index
        self.file = file
        self.fact = fact
        self.name = fact.name
        self.class_key = index.class_key(file, fact.class_qualname) if fact.class_qualname else None
        self.qualified = f"{file.module}.{fact.name}" if file.module else fact.name

    def where(self, real: str, line: int) -> str:
        return f"{self.index.display(real)}:{line}"

    # -- interfaces ------------------------------------------------------------

    def imported_alternative(self) -> Optional[str]:
        """`if win32: from .a import f` / `else: from .b import f`, where the
        other `f` is a coroutine that awaits: `async` is the shared interface."""
        for other in self.index.alternatives.get(self.qualified, ()):
            module, _, name = self.index.resolve(other).rpartition(".")
            holder = self.index.modules.get(module)
            if holder and any(d.name == name and d.awaits and d.class_qualname is None for d in holder.defs):
                return f"an alternative to `{other}`, a coroutine that awaits"
        return None

    def interface(self) -> Optional[str]:
        if self.class_key is None:
            return self.imported_alternative()
        protocol = _protocol_methods(self.index).get(self.name)
        if protocol is not None and protocol != self.class_key:
            return f"implements `{protocol}.{self.name}`, a coroutine of a Protocol or ABC"
        for base, cls in self.index.ancestors(self.class_key):
            if _is_interface_base(base):
                return f"a method of a Protocol or ABC class (`{base}`)"
            if cls is None:
                if not _plain_base(base):
                    return f"may override a method of `{base}`, which is outside the project"
            elif dict(cls.methods).get(self.name) in ("await", "dead"):
                return f"overrides the coroutine `{base}.{self.name}`"
        for sub, cls in self.index.descendants(self.class_key):
            if dict(cls.methods).get(self.name) in ("await", "dead"):
                return f"`{sub}.{self.name}` overrides it with a coroutine"
        return None

    def extension_point(self, sites: List[Tuple[FileFacts, AwaitSite]]) -> Optional[str]:
        """A public method of public API whose role users define: nothing in
        the project calls it (a framework or an event dispatcher calls it by
        name), or its class is a base class (subclassed in the project, or
        declaring stub methods) whose subclasses may override it with
        coroutines of their own."""
        if self.class_key is None or not self.public_api():
            return None
        if not sites:
            return "a public method that nothing in the project calls: frameworks and users call it by name"
        if self.class_key in self.index.subclasses:
            return "a public method of a base class, which subclasses may override with coroutines"
        entry = self.index.classes.get(self.class_key)
        if entry is not None and entry[0].has_stubs:
            return "a public method of a class with stub methods (an abstract base), for subclasses to override"
        return None

    # -- references other than `await f(...)` ---------------------------------

    def references(self) -> Iterator[Tuple[FileFacts, Tuple[int, int, int], bool]]:
        """(file, (kinds, line, column), through an attribute of any receiver)."""
        index, file, name = self.index, self.file, self.name
        own = file.name_refs.get(name)
        if own is not None:
            yield file, own, False
        if self.fact.nested:
            return
        if self.class_key is not None:
            for other, entry in index.attr_refs.get(name, ()):
                yield other, entry, True
            return
        for other, alias, origin in index.imports.get(name, ()):
            entry = other.name_refs.get(alias)
            if entry is not None and index.resolve(origin) == self.qualified:
                yield other, entry, False
        for other in index.files.values():
            if file.module and file.module in other.star_imports and name in other.name_refs:
                yield other, other.name_refs[name], False
        for other, module, kinds in index.module_attr_refs.get(name, ()):
            if index.resolve(module) == file.module:
                _, line, column = other.attr_refs.get(name, (0, 1, 1))
                yield other, (kinds, line, column), False

    def referenced(self) -> Tuple[Optional[str], Optional[str]]:
        """(an exemption, a blocker) from the references that are not direct awaits."""
        blocker = None
        for other, (kinds, line, _), any_receiver in sorted(self.references(), key=lambda r: (r[0].path, r[1][1])):
            if kinds & SPAWN:
                return f"its coroutine is handed to a task spawner at {self.where(other.path, line)}", None
            if kinds & VALUE:
                return f"referenced as a value at {self.where(other.path, line)}", None
            if kinds & CALL and blocker is None:
                if any_receiver and self.name in self.index.sync_methods:
                    continue  # presumably the project's synchronous method of that name
                blocker = f"called without `await` at {self.where(other.path, line)}"
        return None, blocker

    # -- call sites ------------------------------------------------------------

    def reaches(self, other: FileFacts, site: AwaitSite) -> Optional[bool]:
        """Whether `site` calls this definition: True, False, or None when its
        receiver is not known statically (it may)."""
        index, receiver = self.index, site.receiver
        if self.class_key is None:
            if receiver == "":
                if site.target is not None:
                    return index.resolve(site.target) == self.qualified
                return other is self.file or bool(self.file.module) and self.file.module in other.star_imports
            if self.fact.nested:
                return False
            return receiver.startswith("mod:") and index.resolve(receiver[4:]) == self.file.module
        if receiver in ("self", "cls", "super"):
            if site.enclosing_class is None:
                return False
            enclosing = index.class_key(other, site.enclosing_class)
            up = {base for base, _ in index.ancestors(enclosing)}
            if receiver == "super":
                return self.class_key in up
            return enclosing == self.class_key or self.class_key in up or \
                enclosing in {base for base, _ in index.ancestors(self.class_key)}
        if receiver.startswith("mod:"):
            return index.resolve(receiver[4:]) == self.class_key
        return None if receiver == "?" else False

    def call_sites(self) -> Tuple[List[Tuple[FileFacts, AwaitSite]], Optional[str], bool]:
        """(sites, a shared interface (an exemption), some receiver is unknown)."""
        sites: List[Tuple[FileFacts, AwaitSite]] = []
        unknown = False
        awaiting = [(f, d) for f, d in self.index.async_defs.get(self.name, ()) if d.awaits]
        candidates = list(self.index.await_sites.get(self.name, ()))
        if self.class_key is None:  # `from m import f as alias`: `await alias()`
            for other, alias, _ in self.index.imports.get(self.name, ()):
                if alias != self.name:
                    candidates += [(f, s) for f, s in self.index.await_sites.get(alias, ()) if f is other]
        for other, site in sorted(candidates, key=lambda s: (s[0].path, s[1].line)):
            reached = self.reaches(other, site)
            if reached is False:
                continue
            if reached is None:
                if self.class_key is None:
                    continue
                unknown = True
                if awaiting:
                    f, d = awaiting[0]
                    return sites, (f"`await ….{self.name}()` at {self.where(other.path, site.line)} may also "
                                   f"reach `{d.qualname}` ({self.where(f.path, d.line)}), which awaits"), True
            sites.append((other, site))
        return sites, None, unknown

    def public_api(self) -> bool:
        fact = self.fact
        if fact.nested or _private(fact.name) or not self.file.public:
            return False
        return not any(_private(part) for part in (fact.class_qualname or "").split("."))


def local_exemption(fact: AsyncDefFact, allowed_decorators: Iterable[str], check_tests: bool) -> Optional[str]:
    """Why the file alone shows that `async` is wanted, if it does."""
    name = fact.name
    if len(name) > 4 and name.startswith("__") and name.endswith("__"):
        return "a dunder method, called by protocol"
    if fact.stub:
        return "a stub body"
    if name.startswith("test") and not check_tests:
        return "a pytest test"
    allowed = PLAIN_DECORATORS.union(allowed_decorators)
    if any(decorator not in allowed for decorator in fact.decorators):
        return "a decorator that may need a coroutine"
    if fact.awaiting_alternative:
        return "an alternative to a coroutine that awaits"
    return None


def assess(index: ProjectIndex, file: FileFacts, fact: AsyncDefFact,
           allowed_decorators: Iterable[str] = (), check_tests: bool = False) -> Verdict:
    """The verdict on `fact`, an `async def` of `file` that never awaits."""
    name = fact.name
    exemption = local_exemption(fact, allowed_decorators, check_tests)
    if exemption:
        return Verdict(exemption)
    judge = _Assessor(index, file, fact)
    exemption = judge.interface()
    if exemption:
        return Verdict(exemption)
    exemption, blocker = judge.referenced()
    if exemption:
        return Verdict(exemption)
    sites, shared, unknown = judge.call_sites()
    if shared:  # a polymorphic `await x.name()` also reaches a coroutine that awaits
        return Verdict(f"an interface shared with a coroutine that awaits: {shared}")
    site_blocker = next((f"a line break follows `await` at {judge.where(o.path, s.line)}"
                         for o, s in sites if s.end_column == s.column), None)
    exemption = judge.extension_point(sites)
    if exemption:
        return Verdict(exemption)
    if fact.needs_loop and not sites:
        return Verdict("it needs a running event loop and no call site awaits it")
    blocker = blocker or site_blocker
    run_blocker = blocker
    if run_blocker is None:
        outside = next((o for o, s in sites if index.runner_path(o.path) is None and o is not file), None)
        if outside is not None:
            run_blocker = f"a call site is outside the analysed paths ({index.display(outside.path)})"
    mocked = index.mocked(name, fact.class_qualname.rsplit(".", 1)[-1] if fact.class_qualname else None)
    unsafe = None
    if mocked:
        unsafe = f"the tests replace it with an AsyncMock ({index.display(mocked)})"
    elif unknown:
        unsafe = "a call site's receiver is not known statically"
    calls = tuple(
        CallSite(o.path, index.runner_path(o.path), s.line, s.column, s.end_column) for o, s in sites
    )
    return Verdict(None, calls, len({c.real_path for c in calls}), blocker, run_blocker, judge.public_api(), unsafe)


def findings(index: ProjectIndex, path: str, allowed_decorators: Iterable[str] = (),
             check_tests: bool = False) -> Iterator[Tuple[AsyncDefFact, Verdict]]:
    """The `async def`s of `path` that never await and are not exempt, with their verdicts."""
    file = index.file(path)
    for fact in file.defs if file is not None else ():
        if not fact.awaits:
            verdict = assess(index, file, fact, allowed_decorators, check_tests)
            if verdict.exemption is None:
                yield fact, verdict


def may_report(facts: FileFacts, allowed_decorators: Iterable[str], check_tests: bool) -> bool:
    """The pre-filter: whether some `async def` of the file gets a finding.
    It asks the same `findings` as the rule, so it is exact."""
    index = facts.index
    if index is None:
        return facts.has_candidates
    return next(findings(index, facts.path, allowed_decorators, check_tests), None) is not None


def describe(name: str, verdict: Verdict) -> str:
    """The finding's message."""
    head = f"`{name}` is declared `async` but never awaits"
    if verdict.blocker:
        text = f"{head}; not every call site is a plain `await`: {verdict.blocker}"
    elif verdict.sites:
        count = len(verdict.sites)
        text = (f"{head}; every call site in the project is a plain `await` "
                f"({count} call site{'s' if count != 1 else ''} in {verdict.files} "
                f"file{'s' if verdict.files != 1 else ''})")
    else:
        text = f"{head}; nothing in the project calls it"
    if verdict.unsafe_because:
        text += f" (fix is unsafe: {verdict.unsafe_because})"
    return text
