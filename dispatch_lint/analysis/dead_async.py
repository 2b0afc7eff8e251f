"""DSP201's project-wide verdict on an `async def` that never awaits.

Decided from the semantic model: whether the definition is an interface (it
overrides, or is overridden by, a coroutine; its class is a Protocol or ABC or
has a base outside the project; a base class calls it by name through
`getattr`), how every use that reaches it by scope uses it (a plain `await`, a
call whose coroutine is kept, a callback, an `isawaitable` test, a lookup by
name, monkeypatching), which call sites dropping `async` must rewrite, and
what makes the rewrite unsafe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, List, Optional, Tuple

from dispatch_lint.analysis.reach import MAYBE, MIXED, Target
from dispatch_lint.model.evaluate import binding_value
from dispatch_lint.model.evaluate import value as value_of
from dispatch_lint.model.facts import (
    AWAIT,
    AWAITABLE_CHECK,
    CALL,
    DYNAMIC,
    GENEXP,
    NO_EDIT,
    PATCH,
    SPAWN,
    VALUE,
    Definition,
    ModuleFacts,
    Use,
)
from dispatch_lint.model.modules import is_test_path
from dispatch_lint.model.project import Project
from dispatch_lint.model.values import UNKNOWN, ClassObject, External, Function, Instance

# Decorators that do not make a function an interface or a registered callback.
PLAIN_DECORATORS = frozenset({"builtins.staticmethod", "builtins.classmethod", "functools.wraps"})
# Class decorators that leave the methods as they are.
PLAIN_CLASS_DECORATORS = frozenset({"dataclasses.dataclass", "functools.total_ordering", "typing.final",
                                    "typing_extensions.final", "typing.runtime_checkable",
                                    "typing_extensions.runtime_checkable", "enum.unique"})
INTERFACE_BASES = frozenset({"typing.Protocol", "typing_extensions.Protocol", "abc.ABC"})
# Bases outside the project known to declare no coroutine methods.
PLAIN_BASES = frozenset({"builtins.object", "typing.Generic", "typing_extensions.Generic", "typing.NamedTuple",
                         "enum.Enum", "enum.IntEnum", "enum.Flag", "enum.IntFlag", "builtins.Exception",
                         "builtins.dict", "builtins.list", "builtins.str", "builtins.int"})


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
    # `async` of the alternatives and `.pyi` stubs fixed together with it
    also: Tuple[CallSite, ...] = ()


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def qualified(project: Project, file: ModuleFacts, scope: int, expr: tuple) -> str:
    """A decorator's or base's qualified name (`?` when the code does not show)."""
    if expr[0] == "c":
        expr = expr[1]
    found = value_of(project, file, scope, expr)
    if isinstance(found, External):
        return found.name
    if isinstance(found, ClassObject):
        return found.cls
    if isinstance(found, Function):
        return project.qualified(project.files[found.path], found.index)
    return "?"


def _is_interface_base(base: str) -> bool:
    return base in INTERFACE_BASES or base.endswith("ABCMeta")


def _protocol_of(project: Project, name: str) -> Optional[str]:
    """The first class (by key) that is a Protocol or ABC declaring the
    coroutine method `name`. Only the classes that define a method `name` can
    (their own methods are known without loading their files)."""
    if project.reads is not None:
        project.reads.add(("defs", name))  # a class that starts or stops defining it
    return next((key for key in project.classes_defining(name) if name in project.class_fact(
        "interface-coroutines", key, lambda key: _interface_coroutines(project, key))), None)


def _interface_coroutines(project: Project, key: str) -> List[str]:
    """The coroutine methods of class `key` if it is a Protocol or ABC class."""
    file, number = project.classes[key]
    info = project.class_info(key)
    bases = [b.name for b in project.ancestors(key) if isinstance(b, External)]
    meta = qualified(project, file, info.scope, info.metaclass) if info.metaclass[0] != "?" else ""
    if not any(_is_interface_base(b) for b in bases + [meta]):
        return []
    return [definition.name for definition in file.defs if definition.method_of == number and definition.is_async]


class _Assessor:
    def __init__(self, project: Project, file: ModuleFacts, number: int, check_tests: bool = False) -> None:
        self.project = project
        self.check_tests = check_tests  # `dead-async-in-tests`: pytest tests are checked too
        self.file = file
        self.target = Target(project, file, number)
        self.fact: Definition = file.defs[number]
        self.name = self.fact.name
        self.class_key = self.target.class_key

    def where(self, real: str, line: int) -> str:
        return f"{self.project.display(real)}:{line}"

    # -- interfaces ----------------------------------------------------------------

    def alternatives(self) -> Optional[str]:
        """Other definitions of the name in the same scope: fixed together, or
        an exemption when one of them awaits or is not a definition here."""
        for number in sorted(self.target.group):
            other = self.file.defs[number]
            if number != self.target.number and other.branch == self.fact.branch and (other.awaits or not other.is_async):
                return "an alternative to a coroutine that awaits" if other.is_async else "an alternative to a plain function"
        for binding in self.target.others:
            if binding.branch == self.fact.branch >= 0 and binding.kind == "import":
                return f"an alternative to the imported `{binding.value[1]}`"
            if binding.branch == self.fact.branch >= 0 and binding.kind in ("assign", "annassign"):
                return f"an alternative to the assignment of `{self.name}` at line {binding.line}"
        return self.imported_alternative()

    def imported_alternative(self) -> Optional[str]:
        """`if win32: from ._win import f` / `else: from ._unix import f`: where
        another alternative awaits or is not known, `async` is the shared interface."""
        if self.class_key is not None or self.target.nested:
            return None
        project = self.project
        for file, binding in project.imports_named(self.name):
            if not self.target.is_mine(project.resolve_dotted(binding.value[1])):
                continue
            for other in project.bindings_in(file, binding.scope, binding.name):
                value = binding_value(project, file, other)
                if self.target.is_mine(value):
                    continue
                ref = project.def_of(value)
                if ref is None or ref[0].defs[ref[1]].awaits or not ref[0].defs[ref[1]].is_async:
                    where = self.where(file.path, other.line)
                    return f"an alternative to another definition of `{binding.name}` ({where})"
        return None

    def interface(self) -> Optional[str]:
        if self.class_key is None:
            return None
        protocol = _protocol_of(self.project, self.name)
        if protocol is not None and protocol != self.class_key:
            return f"implements `{protocol}.{self.name}`, a coroutine of a Protocol or ABC"
        for base in self.project.ancestors(self.class_key):
            if isinstance(base, External):
                if _is_interface_base(base.name):
                    return f"a method of a Protocol or ABC class (`{base.name}`)"
                if base.name not in PLAIN_BASES:
                    return f"may override a method of `{base.name}`, which is outside the project"
            elif base is UNKNOWN or not isinstance(base, ClassObject):
                return "may override a method of a base class the project does not show"
            elif self.project.own_method_is_async(base.cls, self.name):
                return f"overrides the coroutine `{base.cls}.{self.name}`"
        meta = self.project.class_info(self.class_key).metaclass
        if meta[0] != "?" and _is_interface_base(qualified(self.project, self.file, 0, meta)):
            return "a method of an ABC class"
        for sub in self.project.descendants(self.class_key):
            if self.project.own_method_is_async(sub, self.name):
                return f"`{sub}.{self.name}` overrides it with a coroutine"
        return self.dispatched_by_name()

    def dispatched_by_name(self) -> Optional[str]:
        """A base (or the class itself) calls `getattr(self, "on_" + event)`:
        its subclasses' matching methods are hooks."""
        keys = [self.class_key] + [b.cls for b in self.project.ancestors(self.class_key) if isinstance(b, ClassObject)]
        for key in keys:
            info = self.project.class_info(key)
            for prefix in info.dispatch_prefixes if info else ():
                if self.name.startswith(prefix) and (prefix or not self.name.startswith("_")):
                    return f"`{key}` calls its methods by name (`getattr(self, ...)`)"
        return None

    def extension_point(self, sites: list) -> Optional[str]:
        if self.class_key is None or not self.public_api():
            return None
        if not sites:
            return "a public method that nothing in the project calls: frameworks and users call it by name"
        if self.project.subclasses().get(self.class_key):
            return "a public method of a base class, which subclasses may override with coroutines"
        info = self.project.class_info(self.class_key)
        if info is not None and info.has_stubs:
            return "a public method of a class with stub methods (an abstract base), for subclasses to override"
        return None

    # -- uses ----------------------------------------------------------------------------

    def judge_uses(self) -> Tuple[Optional[str], Optional[str], list, bool]:
        """(an exemption, a blocker, the call sites, some receiver is unknown)."""
        blocker: Optional[str] = None
        sites: List[Tuple[ModuleFacts, Use]] = []
        unknown = False
        for file, use, reached in sorted(self.target.uses(), key=lambda u: (u[0].path, u[1].line, u[1].column)):
            how, at = use.how, self.where(file.path, use.line)
            if reached == MAYBE and not how & AWAIT and self.name in self.sync_method_names():
                continue  # presumably the project's synchronous method of that name
            exemption = self.use_exemption(how, at)
            if exemption:
                return exemption, None, [], False
            if reached == MIXED:
                other = self.awaiting_other(file, use)
                if other:
                    return other, None, [], False
                blocker = blocker or f"the call at {at} may also reach another binding of `{self.name}`"
            if reached == MAYBE and how & AWAIT:
                shared = self.awaiting_method()
                if shared:
                    return f"an interface shared with a coroutine that awaits: `await ….{self.name}()` at {at} may also reach {shared}", None, [], True
                unknown = True
            blocker = blocker or self.use_blocker(how, at)
            if how & AWAIT:
                sites.append((file, use))
        return None, blocker, sites, unknown

    @staticmethod
    def use_exemption(how: int, at: str) -> Optional[str]:
        if how & AWAITABLE_CHECK:
            return f"its result is tested for an awaitable at {at}: it may be sync or async by design"
        if how & VALUE:
            return f"referenced as a value at {at}"
        if how & SPAWN:
            return f"its coroutine object is used as a value at {at} (kept, passed on or spawned)"
        return None

    @staticmethod
    def use_blocker(how: int, at: str) -> Optional[str]:
        if how & GENEXP:
            return f"awaited inside a generator expression at {at}, which the `await` makes asynchronous"
        if how & DYNAMIC:
            return f"looked up by name at {at}"
        if how & PATCH:
            return f"replaced by an assignment at {at}"
        if how & CALL and not how & AWAIT:
            return f"called without `await` at {at}"
        if how & NO_EDIT:
            return f"a line break follows `await` at {at}"
        return None

    def awaiting_other(self, file: ModuleFacts, use: Use) -> Optional[str]:
        """A name that may read this definition or a coroutine that awaits."""
        _, bindings = self.project.lookup(file, use.scope, use.target[1]) if use.target[0] == "n" else (0, [])
        for binding in bindings:
            value = binding_value(self.project, file, binding)
            ref = self.project.def_of(value)
            if ref is not None and not self.target.is_mine(value) and ref[0].defs[ref[1]].awaits:
                return f"an alternative to `{self.project.qualified(*ref)}`, a coroutine that awaits"
        return None

    def awaiting_method(self) -> Optional[str]:
        for file, number in self.project.defs_named(self.name):
            definition = file.defs[number]
            if definition.awaits and definition.method_of >= 0 and definition.is_async:
                return f"`{definition.qualname}` ({self.where(file.path, definition.line)}), which awaits"
        return None

    def sync_method_names(self) -> frozenset:
        return self.project.sync_method_names()

    def unseen_callers(self, sites: list, unknown: bool) -> Optional[str]:
        """What calls it is not known: every call site's receiver is unknown
        (a test double, a duck-typed implementation), or nothing calls it in a
        test file, where the framework calls hooks and doubles stand in for
        the real thing."""
        if unknown and all(self.target.reach(f, u) == MAYBE for f, u in sites):
            return "no call site shows which class it reaches (every receiver is unknown)"
        if not sites and self.class_key is not None:
            stand_in = self.awaiting_method()
            if stand_in:
                return f"nothing calls it, and it may stand in for {stand_in} (a duck-typed double)"
        if not sites and is_test_path(self.file.path) and not (self.check_tests and self.name.startswith("test")):
            return "nothing in the project calls it, in a test file: the test framework or the code under test does"
        if not sites and self.class_key is not None:
            return self.looked_up_by_name()
        return None

    def looked_up_by_name(self) -> Optional[str]:
        """Code that looks up a computed name (with a prefix it matches) on an
        instance of its class, or on an object the model cannot type in a
        module that defines or names the class, may call it by that name
        (`await getattr(commands, name)()` for a command-line tool)."""
        project, name = self.project, self.name
        keys = {self.class_key} | {b.cls for b in project.ancestors(self.class_key) if isinstance(b, ClassObject)}
        class_name = self.fact.qualname.split(".")[-2]
        for path in project.name_lookups():
            file = project.files[path]
            for scope, line, receiver, prefix in file.name_lookups:
                if not name.startswith(prefix) or (not prefix and name.startswith("_")):
                    continue
                found = value_of(project, file, scope, receiver)
                named_here = path == self.file.path or bool(project.uses_in(file, class_name))
                if (isinstance(found, (Instance, ClassObject)) and found.cls in keys) or (
                        found is UNKNOWN and named_here):
                    return f"code may call it by name (`getattr` at {self.where(path, line)})"
        return None

    def builds_what_needs_a_loop(self) -> str:
        """What its body calls (a function of the project, or a class whose
        `__init__`) that needs a running loop, as a clause for the exemption;
        "" for nothing."""
        project = self.project
        for use in self.file.uses:
            if use.scope != self.fact.body or not use.how & CALL:
                continue
            callee = value_of(project, self.file, use.scope, use.target)
            ref = project.def_of(callee)
            if isinstance(callee, ClassObject):
                ref, _ = project.method(callee.cls, "__init__")
            if ref is not None and project.definition(ref).needs_loop:
                return f" (the call at line {use.line} runs `{project.definition(ref).qualname}`, which does)"
        return ""

    def public_api(self) -> bool:
        fact = self.fact
        if self.target.nested or _private(fact.name):
            return False
        if self.file.public and not any(_private(part) for part in fact.qualname.split(".")[:-1]):
            return True
        return self.reexported()

    def reexported(self) -> bool:
        """Its function, or its outermost class, is imported into a public module
        (`from ._legacy import Response` in a package's `__init__`; a class with a
        private name too: its instances may reach users, `from .parser import
        _Parser` in a module whose public method returns one)."""
        project, file = self.project, self.file
        top = self.fact.qualname.split(".")[0]
        if self.class_key is None:
            wanted: object = Function(file.path, self.target.number)
        else:  # a class inside a function (`f.<locals>.C`) is no module's name
            number = next((n for n, info in enumerate(file.classes) if info.qualname == top), None)
            if number is None:
                return False
            wanted = ClassObject(project.class_key(file, number))
        return any(other.public and other.scopes[binding.scope].kind == "module"
                   and binding_value(project, other, binding) == wanted
                   for other, binding in project.imports_named(top))

    def together(self) -> Tuple[CallSite, ...]:
        """The `async` of the other alternatives and of the `.pyi` stub."""
        project, found = self.project, []
        for number in sorted(self.target.group - {self.target.number}):
            other = self.file.defs[number]
            found.append(CallSite(self.file.path, project.runner_path(self.file.path), other.line,
                                  other.column, other.keyword_end))
        stub = project.stubs.get(self.file.module) if self.file.module else None
        own_run_path = project.runner_path(self.file.path)
        beside = own_run_path + "i" if own_run_path and own_run_path.endswith(".py") else None
        for other in stub.defs if stub is not None else ():
            if other.qualname == self.fact.qualname and other.is_async:
                found.append(CallSite(stub.path, project.runner_path(stub.path) or beside, other.line, other.column,
                                      other.keyword_end))
        return tuple(found)


def local_exemption(project: Project, file: ModuleFacts, fact: Definition, allowed_decorators: Iterable[str],
                    check_tests: bool) -> Optional[str]:
    """Why the file alone shows that `async` is wanted, if it does."""
    name = fact.name
    if len(name) > 4 and name.startswith("__") and name.endswith("__"):
        return "a dunder method, called by protocol"
    if fact.stub:
        return "a stub body"
    if name.startswith("test") and not check_tests:
        return "a pytest test"
    allowed = PLAIN_DECORATORS.union(allowed_decorators)
    if any(qualified(project, file, fact.scope, d) not in allowed for d in fact.decorators):
        return "a decorator that may need a coroutine"
    if fact.method_of >= 0:
        cls = file.classes[fact.method_of]
        allowed = PLAIN_CLASS_DECORATORS.union(allowed_decorators)
        if any(qualified(project, file, cls.scope, d) not in allowed for d in cls.decorators):
            return "a decorator of its class, which may wrap its methods"
    return None


def assess(project: Project, file: ModuleFacts, number: int, allowed_decorators: Iterable[str] = (),
           check_tests: bool = False) -> Verdict:
    """The verdict on definition `number` of `file`, an `async def` that never awaits."""
    fact = file.defs[number]
    exemption = local_exemption(project, file, fact, allowed_decorators, check_tests)
    if exemption:
        return Verdict(exemption)
    judge = _Assessor(project, file, number, check_tests)
    exemption = judge.alternatives() or judge.interface()
    if exemption:
        return Verdict(exemption)
    exemption, blocker, sites, unknown = judge.judge_uses()
    if exemption:
        return Verdict(exemption)
    exemption = judge.extension_point(sites) or judge.unseen_callers(sites, unknown)
    if exemption:
        return Verdict(exemption)
    if not sites:
        needs = "" if fact.needs_loop else judge.builds_what_needs_a_loop()
        if fact.needs_loop or needs:
            return Verdict(f"it needs a running event loop{needs} and no call site awaits it")
    return _verdict(project, judge, sites, blocker, unknown)


def _verdict(project: Project, judge: _Assessor, sites: list, blocker: Optional[str], unknown: bool) -> Verdict:
    file, fact = judge.file, judge.fact
    run_blocker = blocker
    if run_blocker is None:
        outside = next((o for o, s in sites if project.runner_path(o.path) is None and o.path != file.path), None)
        if outside is not None:
            run_blocker = f"a call site is outside the analysed paths ({project.display(outside.path)})"
    class_name = fact.qualname.split(".")[-2] if fact.method_of >= 0 else None
    mocked = project.mocked(fact.name, class_name)
    hidden = project.hidden.mention(fact.name)
    unsafe = None
    if mocked:
        unsafe = f"the tests replace it with an AsyncMock ({project.display(mocked)})"
    elif unknown:
        unsafe = "a call site's receiver is not known statically"
    elif hidden:
        unsafe = f"a file the index cannot read may call it ({project.display(hidden)})"
    elif not sites:
        unsafe = "nothing in the checked tree calls it: its callers may not be written yet"
    calls = tuple(CallSite(o.path, project.runner_path(o.path), s.line, s.column, s.end_column) for o, s in sites)
    return Verdict(None, calls, len({c.real_path for c in calls}), blocker, run_blocker, judge.public_api(), unsafe,
                   judge.together())


def findings(project: Project, path: str, allowed_decorators: Iterable[str] = (),
             check_tests: bool = False) -> Iterator[Tuple[Definition, Verdict]]:
    """The `async def`s of `path` that never await and are not exempt, with their verdicts."""
    summary = project.packed_file(path)
    if summary is None or summary.stub_file or not summary.idle_async:
        return
    file = project.files[summary.path]
    for number, fact in enumerate(file.defs):
        if fact.is_async and not fact.awaits:
            verdict = assess(project, file, number, allowed_decorators, check_tests)
            if verdict.exemption is None:
                yield fact, verdict


def may_report(facts: ModuleFacts, allowed_decorators: Iterable[str], check_tests: bool) -> bool:
    """The pre-filter: whether some `async def` of the file gets a finding.
    It asks the same `findings` as the rule, so it is exact."""
    project = facts.index
    if project is None:
        return facts.has_candidates
    return next(findings(project, facts.path, allowed_decorators, check_tests), None) is not None


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
