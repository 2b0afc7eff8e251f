"""The project: every file's model facts joined, and the lookups over them.

Names resolve by Python's scope rules (`lookup`), imports through the
project's modules and their re-exports (`resolve_dotted`), expressions to
abstract values (`value`, in `evaluate`), classes through their
project-resolved bases (`ancestors`, `descendants`, `method`).
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
from collections import Counter
from typing import Any, Callable, Dict, Hashable, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, TypeVar

from dispatch_lint.model import evaluate
from dispatch_lint.model.facts import Binding, ClassInfo, Definition, Expr, ModuleFacts, Use
from dispatch_lint.model.modules import real_path
from dispatch_lint.model.store import (
    CALLEES,
    CLASSES,
    DEFS,
    IMPORTS,
    MOCKED,
    SYNC_METHODS,
    USES,
    AnyFacts,
    LazyFiles,
    PackedFacts,
    own_method_kind,
    Refs,
    packed,
    use_name,
)
from dispatch_lint.model.values import (
    UNKNOWN,
    ClassObject,
    External,
    Function,
    ModuleObject,
    Value,
    join_all,
)

# Evaluated values remembered at most (about 150 bytes each): a project of a
# million lines needs fewer; a larger one recomputes some instead of growing.
VALUES_KEPT = 200_000

# Bindings that say nothing about what a name is (`d[k] = v` adds to `d`).
NOT_A_BINDING = frozenset({"item"})
ClassRef = Tuple[ModuleFacts, int]
DefRef = Tuple[ModuleFacts, int]
# hook(project, callee value, call expression, file, scope) -> a value, or None
CallHook = Callable[["Project", Value, Expr, ModuleFacts, int], Optional[Value]]


class Hidden:
    """Python files the project model could not read: gitignored folders,
    folders that could not be listed, other projects in the same run. Only
    their text is searched, for the names a fix would rename."""

    def __init__(self, paths: Sequence[str] = (), unlisted: Sequence[str] = ()) -> None:
        self.paths = list(paths)
        self.unlisted = list(unlisted)  # folders that could not be listed
        self.texts: Optional[Dict[str, str]] = None

    def mention(self, name: str) -> Optional[str]:
        """A hidden file (or unlisted folder) that may mention `name`."""
        if self.unlisted:
            return self.unlisted[0]
        if self.texts is None:
            self.texts = {}
            for path in self.paths:
                try:
                    with open(path, "rb") as handle:
                        self.texts[path] = handle.read().decode("utf-8", "replace")
                except OSError:
                    self.texts[path] = name  # unreadable: it may mention anything
        word = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
        return next((path for path, text in self.texts.items() if name in text and word.search(text)), None)


class Project:
    def __init__(self, root: str, files: Sequence[AnyFacts], runner_paths: Mapping[str, str],
                 options: Optional[Mapping[str, object]] = None, hidden: Optional[Hidden] = None) -> None:
        self.root = root
        self.options = dict(options or {})  # the run's rule options (its project root's)
        # The run's settings (config.Settings), which resolve each file's own options.
        self.settings: Optional[Any] = None
        self.hidden = hidden or Hidden()
        self.runner_paths = dict(runner_paths)  # real path -> the run's spelling
        self.files = LazyFiles(self._loaded)
        self.modules = Refs(self.files, False)
        self.stubs = Refs(self.files, False)  # module -> its `.pyi`
        self.classes = Refs(self.files, True)  # class key -> (facts, class number)
        self.class_methods: Dict[str, str] = {}  # class key -> the methods it defines (store._own_methods)
        # name -> the paths of the files that use it, define it, import it (last part of the dotted name)
        self.use_paths: Dict[str, List[str]] = {}
        self.def_paths: Dict[str, List[str]] = {}
        self.import_paths: Dict[str, List[str]] = {}
        self.callee_paths: Dict[str, List[str]] = {}  # ... that call it in a file with channel facts
        # imported name -> (path, local name) where it is imported under another name
        self.aliases: Dict[str, List[Tuple[str, str]]] = {}
        self.call_hooks: List[CallHook] = []
        self._subclasses: Optional[Dict[str, Tuple[str, ...]]] = None
        self._method_classes: Optional[Dict[str, Tuple[str, ...]]] = None  # method name -> the classes defining it
        self._values: Dict[Any, Any] = {}
        self._digests: Dict[str, str] = {}
        self._real_paths: Dict[str, str] = {}
        self._read_digests: Dict[Any, str] = {}  # a project-wide read -> its digest
        self._derived: Dict[str, Tuple[Any, frozenset]] = {}  # name -> (value, what computing it read)
        self._class_facts: Dict[str, Dict[str, Tuple[Any, frozenset]]] = {}  # name -> class key -> entry
        self._attached: Dict[str, Any] = {}
        self._memos: Dict[str, Dict[Any, Tuple[Any, frozenset]]] = {}  # name -> key -> (entry, its reads)
        self.batch = False  # a run that asks about every file (check, fix): memo tables pay off
        sync_methods: set = set()
        self.mocks: List[Tuple[str, str]] = []
        self.reads: Optional[set] = None  # while a verdict is tracked: the facts it read
        every = sorted((packed(facts) for facts in files), key=lambda f: f.path)
        named = Counter(f.module for f in every if f.module and not f.stub_file)
        # A module name that two files claim (two copies of a package in one run)
        # is ambiguous: imports of it are unknown, and its files are keyed by path.
        self.ambiguous = frozenset(module for module, count in named.items() if count > 1)
        for facts in every:
            self.add(facts, sync_methods)
        self._sync_methods = frozenset(sync_methods)

    def add(self, facts: PackedFacts, sync_methods: set) -> None:
        facts.index = self
        path = facts.path
        self.files.add(facts)
        module = "" if facts.module in self.ambiguous else facts.module
        if module:
            (self.stubs if facts.stub_file else self.modules).setdefault_ref(module, path)
        if facts.stub_file:
            return
        for number, key in enumerate(_class_keys(facts, module)):
            self.classes.setdefault_ref(key, path, number)
            self.class_methods.setdefault(key, facts.methods[number])
        for name in facts.names(USES):
            self.use_paths.setdefault(name, []).append(path)
        for name in facts.names(DEFS):
            self.def_paths.setdefault(name, []).append(path)
        for entry in facts.names(IMPORTS):
            last, local = entry.split("\t")
            self.import_paths.setdefault(last, []).append(path)
            if last != local:
                self.aliases.setdefault(last, []).append((path, local))
        for name in facts.names(CALLEES):
            self.callee_paths.setdefault(name, []).append(path)
        sync_methods.update(facts.names(SYNC_METHODS))
        self.mocks += [(path, name) for name in facts.names(MOCKED)]

    def options_for(self, path: str) -> Mapping[str, object]:
        """The rule options of the file `path` (real or run path): its own configuration's."""
        if self.settings is None:
            return self.options
        return self.settings.for_file(self.runner_paths.get(path, path)).options

    def _loaded(self, facts: ModuleFacts) -> None:
        facts.index = self
        if facts.module in self.ambiguous:
            facts.module = ""

    def _by_name(self, facts: ModuleFacts) -> Dict[str, Tuple[Use, ...]]:
        found = getattr(facts, "_uses_by_name", None)
        if found is None:
            found = facts._uses_by_name = _grouped((use_name(u), u) for u in facts.uses)  # type: ignore[attr-defined]
        return found

    def uses_named(self, name: str, only: Optional[str] = None) -> List[Tuple[ModuleFacts, Use]]:
        """Uses of `name`, and of the names it is imported as (in the file `only`, if given)."""
        if self.reads is not None:
            self.reads.add(("uses", name) if only is None else only)
        found = []
        for path in self.use_paths.get(name, ()):
            if only is None or path == only:
                file = self.files[path]
                found += [(file, use) for use in self.uses_in(file, name)]
        for path, alias in self.aliases.get(name, ()) if only is None else ():
            file = self.files[path]
            found += [(file, use) for use in self.uses_in(file, alias, plain=True)]
        return found

    def uses_in(self, file: ModuleFacts, name: str, plain: bool = False) -> Sequence[Use]:
        """The uses of `name` in `file` (only plain names, with `plain`)."""
        uses = self._by_name(file).get(name, ())
        return [use for use in uses if use.target[0] == "n"] if plain else uses

    def imports_named(self, name: str) -> List[Tuple[ModuleFacts, Binding]]:
        """Import bindings whose imported name ends in `name`."""
        if self.reads is not None:
            self.reads.add(("imports", name))
        found = []
        for path in self.import_paths.get(name, ()):
            file = self.files[path]
            found += [(file, b) for b in file.bindings
                      if b.kind == "import" and b.value[1].rpartition(".")[2] == name]
        return found

    def defs_named(self, name: str) -> List[DefRef]:
        if self.reads is not None:
            self.reads.add(("defs", name))
        found = []
        for path in self.def_paths.get(name, ()):
            file = self.files[path]
            found += [(file, number) for number, d in enumerate(file.defs) if d.name == name]
        return found

    def sync_method_names(self) -> frozenset:
        """Names of the project's synchronous methods."""
        if self.reads is not None:
            self.reads.add(("sync-methods",))
        return self._sync_methods

    def derived(self, name: str, compute: Callable[[], Any]) -> Any:
        """A project-wide fact an analysis derives once (it reads every file),
        kept until `replace` changes something its computation read."""
        if self.reads is not None:
            self.reads.add(("derived", name))
        if name not in self._derived:
            self._derived[name] = self._tracked(compute, {})
        return self._derived[name][0]

    def class_facts(self, name: str, compute: Callable[[str], Any]) -> Dict[str, Any]:
        """{class key: compute(key)} for every class of the project. Each entry is
        derived once and kept until `replace` changes something it read, so a
        `derived` fact folded from these is derived again from the table alone."""
        memo: Dict[Any, Any] = {}
        entries = {key: self._class_entry(name, key, compute, memo) for key in self.classes}
        if self.reads is not None:
            self.reads.add(("class-facts", name))
            for _, reads in entries.values():
                self.reads.update(reads)
        return {key: value for key, (value, _) in entries.items()}

    def class_fact(self, name: str, key: str, compute: Callable[[str], Any]) -> Any:
        """One entry of `class_facts(name, compute)`, derived alone when only a
        few classes are asked about."""
        value, reads = self._class_entry(name, key, compute, {})
        if self.reads is not None:
            self.reads.update(reads)
        return value

    def _class_entry(self, name: str, key: str, compute: Callable[[str], Any],
                     memo: Dict[Any, Any]) -> Tuple[Any, frozenset]:
        table = self._class_facts.setdefault(name, {})
        if key not in table:
            table[key] = self._tracked(lambda: compute(key), memo)
        return table[key]

    def _tracked(self, compute: Callable[[], Any], memo: Dict[Any, Any]) -> Tuple[Any, frozenset]:
        """(compute(), every fact it read), evaluated with `memo` (values
        remembered with what they read) instead of the shared memo."""
        saved = self._values, self.reads
        self._values, self.reads = memo, set()
        try:
            return compute(), frozenset(self.reads)
        finally:
            self._values, self.reads = saved

    def attached(self, name: str, build: Callable[[], Any]) -> Any:
        """A whole-project object an analysis builds once per state of the model
        (the channel model): `replace` drops it, with the call hooks."""
        if name not in self._attached:
            self._attached[name] = build()
        return self._attached[name]

    def memo(self, name: str, compute: Callable[[], Any]) -> Any:
        """A project-wide table an analysis computes once, whose entries carry
        the reads they were derived from (so asking for it is not a read)."""
        if name not in self._memos:
            self._memos[name] = compute()
        return self._memos[name]

    def between_files(self) -> None:
        """A point where no evaluation is under way: forget the remembered
        values if there are more than VALUES_KEPT."""
        if len(self._values) > VALUES_KEPT:
            self._values.clear()

    def name_lookups(self) -> List[str]:
        """The files that look up a computed name on an object other than a
        method's own (`ModuleFacts.name_lookups`)."""
        if self.reads is not None:
            self.reads.add(("name-lookups",))
        return [path for path, facts in self.files.packed.items() if facts.looks_up_names and not facts.stub_file]

    def mocked(self, name: str, class_name: Optional[str]) -> Optional[str]:
        """Where the tests replace `name` (or its class) with an AsyncMock."""
        if self.reads is not None:
            self.reads.add(("mocks",))
        wanted = {name, f"class:{class_name}"} if class_name else {name}
        return next((path for path, mocked in self.mocks if mocked in wanted), None)

    # -- the cache key of a file's result ------------------------------------------------

    def dependency_key(self, path: str, read: Callable[[], object]) -> str:
        """A digest of every fact that `read()` (the verdicts on the file) reads:
        the facts of each file it looks into, every use or definition of each
        name it asks about, the run's spelling of those files, and the hidden
        files' mentions."""
        self.reads = set()
        try:
            read()
            reads = self.reads
        finally:
            self.reads = None
        digest = hashlib.blake2b(digest_size=16)
        # Paths may hold undecodable bytes (surrogate escapes): digest them as they are.
        digest.update(self.file_digest(self.real_path(path)).encode("utf-8", "surrogatepass"))
        for item in sorted(reads, key=repr):
            digest.update(repr(item).encode("utf-8", "surrogatepass"))
            found = self._read_digests.get(item)
            if found is None:
                found = self._read_digests[item] = self._read_digest(item)
            digest.update(found.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def _read_digest(self, item: Any) -> str:
        if isinstance(item, str):
            return f"{self.file_digest(item)}|{self.runner_paths.get(item)}"
        if item[0] == "uses":
            entries = [(f.path, u, self.runner_paths.get(f.path)) for f, u in self.uses_named(item[1])]
            return repr((entries, self.hidden.mention(item[1])))
        if item[0] == "imports":
            return repr([(f.path, b, self.table(f).get((b.scope, b.name))) for f, b in self.imports_named(item[1])])
        if item[0] == "defs":
            return repr([(f.path, f.defs[n]) for f, n in self.defs_named(item[1])])
        if item[0] == "derived":
            return repr(self._derived.get(item[1], (None,))[0])
        if item[0] == "class-facts":
            return repr(sorted((key, entry[0]) for key, entry in self._class_facts.get(item[1], {}).items()))
        if item[0] == "sync-methods":
            return repr(sorted(self.sync_method_names()))
        if item[0] == "subclasses":
            return repr(sorted(self.subclasses().items()))
        if item[0] == "name-lookups":
            return repr([(path, self.file_digest(path)) for path in self.name_lookups()])
        return repr(self.mocks)

    def file_digest(self, path: str) -> str:
        found = self._digests.get(path)
        if found is None:
            facts = self.files.packed.get(path)
            found = self._digests[path] = facts.digest() if facts is not None else "-"
        return found

    def add_call_hook(self, hook: CallHook) -> None:
        """Ask `hook` first when a call is evaluated (channel constructors...)."""
        self.call_hooks.append(hook)
        self._values.clear()
        self._memos.clear()

    # -- files -----------------------------------------------------------------------

    def file(self, path: str) -> Optional[ModuleFacts]:
        return self.files.get(self.real_path(path))

    def packed_file(self, path: str) -> Optional[PackedFacts]:
        """The file's compressed facts and summary, without loading them."""
        return self.files.packed.get(self.real_path(path))

    def real_path(self, path: str) -> str:
        """The file's real path (`modules.real_path`), remembered for the run."""
        found = self._real_paths.get(path)
        if found is None:
            found = self._real_paths[path] = real_path(path)
        return found

    def runner_path(self, real: str) -> Optional[str]:
        return self.runner_paths.get(real)

    def display(self, real: str) -> str:
        """A path for messages: relative to the project root, whoever asks."""
        try:
            relative = os.path.relpath(real, self.root)
        except ValueError:  # another drive
            return real
        return real if relative.startswith("..") else relative.replace(os.sep, "/")

    def all_files(self) -> List[ModuleFacts]:
        return [self.files[path] for path in sorted(self.files)]

    # -- scopes ------------------------------------------------------------------------

    def table(self, file: ModuleFacts) -> Dict[Tuple[int, str], Tuple[Binding, ...]]:
        """(scope, name) -> the bindings of the name in that scope."""
        if self.reads is not None:
            self.reads.add(file.path)
        found = getattr(file, "_table", None)
        if found is None:
            found = file._table = _grouped(((b.scope, b.name), b) for b in file.bindings)  # type: ignore[attr-defined]
        return found

    def bindings_of(self, file: ModuleFacts, scope: int, name: str) -> Sequence[Binding]:
        """`table(file)[scope, name]` (empty when absent); for the module scope,
        read from the module's bindings alone."""
        if scope != 0:
            return self.table(file).get((scope, name), ())
        if self.reads is not None:
            self.reads.add(file.path)
        found = getattr(file, "_module_table", None)
        if found is None:
            found = _grouped((b.name, b) for b in file.module_bindings())
            file._module_table = found  # type: ignore[attr-defined]
        return found.get(name, ())

    def bindings_in(self, file: ModuleFacts, scope: int, name: str) -> List[Binding]:
        return [b for b in self.bindings_of(file, scope, name) if b.kind not in NOT_A_BINDING]

    def lookup(self, file: ModuleFacts, scope: int, name: str) -> Tuple[int, List[Binding]]:
        """(the scope, its bindings) a load of `name` in `scope` reads, by
        Python's rules: the scope itself, enclosing functions (class bodies
        are skipped from inside), the module. (-1, []) for a builtin or an
        unbound name."""
        current, first = scope, True
        while current >= 0:
            info = file.scopes[current]
            if first or info.kind != "class":
                found = self.bindings_in(file, current, name)
                if found:
                    return current, found
            first = False
            current = info.parent
        return -1, []

    def module_bindings(self, file: ModuleFacts, name: str) -> List[Binding]:
        return self.bindings_in(file, 0, name)

    # -- imports and qualified names ---------------------------------------------------

    def resolve_dotted(self, dotted: str, depth: int = 0) -> Value:
        """What a qualified name is: a project module, or the value its module
        binds it to (re-exports followed), or `External` outside the project."""
        if dotted in self.ambiguous:
            return UNKNOWN
        if dotted in self.modules:
            return ModuleObject(dotted)
        module, _, name = dotted.rpartition(".")
        if depth > 12 or not module:
            return External(dotted) if dotted not in self.modules else ModuleObject(dotted)
        holder = self.modules.get(module)
        if holder is None:
            outer = self.resolve_dotted(module, depth + 1)
            if isinstance(outer, External):
                return External(dotted)
            return evaluate.attribute(self, outer, name) if not isinstance(outer, ModuleObject) else UNKNOWN
        bindings = self.module_bindings(holder, name)
        if not bindings:
            for star in holder.star_imports:
                found = self.resolve_dotted(f"{star}.{name}", depth + 1)
                if found is not UNKNOWN and not (isinstance(found, External) and star in self.modules):
                    return found
            return UNKNOWN
        return join_all(evaluate.binding_value(self, holder, b, depth + 1) for b in bindings)

    # -- classes -------------------------------------------------------------------------

    @staticmethod
    def class_key(file: ModuleFacts, number: int) -> str:
        qualname = file.classes[number].qualname
        return f"{file.module}.{qualname}" if file.module else f"{file.path}:{qualname}"

    def class_info(self, key: str) -> Optional[ClassInfo]:
        found = self.classes.get(key)
        if found is not None and self.reads is not None:
            self.reads.add(found[0].path)
        return found[0].classes[found[1]] if found else None

    def bases(self, key: str) -> List[Value]:
        """The class's bases as values: `ClassObject` in the project, `External`
        outside it, `UNKNOWN` where the code does not show."""
        found = self.classes.get(key)
        if found is None:
            return []
        if self.reads is not None:
            self.reads.add(found[0].path)
        file, number = found
        info = file.classes[number]
        # `Generic[T]`, `Base[int]`: the class subscripted
        return [evaluate.value(self, file, info.scope, base[1] if base[0] == "s" else base) for base in info.bases]

    def ancestors(self, key: str) -> Iterator[Value]:
        """Every base, nearest first (breadth first), each once."""
        seen = {key}
        queue = [key]
        while queue:
            for base in self.bases(queue.pop(0)):
                if isinstance(base, ClassObject):
                    if base.cls in seen:
                        continue
                    seen.add(base.cls)
                    queue.append(base.cls)
                yield base

    def subclasses(self) -> Dict[str, Tuple[str, ...]]:
        if self.reads is not None:
            self.reads.add(("subclasses",))
        if self._subclasses is None:
            reads, self.reads = self.reads, None
            try:
                bases = self.class_facts("project-bases", self._project_bases)
            finally:
                self.reads = reads
            self._subclasses = _grouped((base, key) for key in sorted(bases) for base in bases[key])
        return self._subclasses

    def _project_bases(self, key: str) -> List[str]:
        return [base.cls for base in self.bases(key) if isinstance(base, ClassObject)]

    def descendants(self, key: str) -> Iterator[str]:
        seen = {key}
        queue = list(self.subclasses().get(key, ()))
        while queue:
            current = queue.pop(0)
            if current not in seen:
                seen.add(current)
                yield current
                queue.extend(self.subclasses().get(current, ()))

    def own_method_is_async(self, key: str, name: str) -> Optional[bool]:
        """Whether class `key` itself defines the method `name` as a coroutine
        (None: it defines no such method), without loading its file."""
        methods = self.class_methods.get(key)
        if methods is None:
            return None
        if self.reads is not None:
            self.reads.add(self.classes.table[key][0])
        return own_method_kind(methods, name)

    def classes_defining(self, name: str) -> Sequence[str]:
        """The keys of the classes that define a method `name`, sorted (from
        their own methods, without loading their files)."""
        if self._method_classes is None:
            self._method_classes = _grouped((method.rstrip("!"), key) for key in sorted(self.class_methods)
                                            for method in self.class_methods[key].split())
        return self._method_classes.get(name, ())

    def own_method(self, key: str, name: str) -> Optional[DefRef]:
        """The method `name` that class `key` itself defines (the last one)."""
        if self.own_method_is_async(key, name) is None:
            return None
        file, number = self.classes[key]
        scope = file.classes[number].body
        bindings = self.bindings_in(file, scope, name)
        for binding in reversed(bindings):
            if binding.kind == "def":
                return file, binding.value[1]
        return None

    def method(self, key: str, name: str) -> Tuple[Optional[DefRef], bool]:
        """(the method `name` instances of `key` get, whether the lookup is
        certain): uncertain when a base outside the project or unknown comes first."""
        own = self.own_method(key, name)
        if own is not None or key not in self.classes:
            return own, key in self.classes
        for base in self.ancestors(key):
            if not isinstance(base, ClassObject):
                return None, False
            found = self.own_method(base.cls, name)
            if found is not None:
                return found, True
        return None, True

    def definition(self, ref: DefRef) -> Definition:
        return ref[0].defs[ref[1]]

    def qualified(self, file: ModuleFacts, number: int) -> str:
        qualname = file.defs[number].qualname
        return f"{file.module}.{qualname}" if file.module else qualname

    def function(self, file: ModuleFacts, number: int) -> Function:
        return Function(file.path, number)

    def def_of(self, value: Value) -> Optional[DefRef]:
        if isinstance(value, Function) and value.path in self.files:
            return self.files[value.path], value.index
        return None

    def value(self, file: ModuleFacts, scope: int, expr: Expr) -> Value:
        return evaluate.value(self, file, scope, expr)

    # -- one file at a time -------------------------------------------------------------

    def replace(self, facts: AnyFacts) -> bool:
        """Put a new version of a file's facts in place of the old one, keeping
        what was derived without reading that file. False, and nothing done,
        when the file is new or its module or kind changed (build the model again)."""
        new = packed(facts)
        path = new.path
        old = self.files.packed.get(path)
        if old is None or (old.module, old.stub_file) != (new.module, new.stub_file) or (
                old.module and any(other.module == old.module and other.stub_file == old.stub_file
                                   and other.path != path for other in self.files.packed.values())):
            return False
        new.index = self
        self.files.add(new)
        self._digests.pop(path, None)
        if not new.stub_file:
            self._reindex(path, old, new)
        changed = self._changed_reads(path, old, new)
        self._values.clear()
        self._attached.clear()
        self.call_hooks.clear()
        self._forget(changed, set(_class_keys(old)) | set(_class_keys(new)))
        return True

    def _reindex(self, path: str, old: PackedFacts, new: PackedFacts) -> None:
        for key in _class_keys(old):
            if self.classes.table.get(key, ("", 0))[0] == path:
                del self.classes.table[key]
                del self.class_methods[key]
        for number, key in enumerate(_class_keys(new)):
            self.classes.setdefault_ref(key, path, number)
            self.class_methods.setdefault(key, new.methods[number])
        for part, table in ((USES, self.use_paths), (DEFS, self.def_paths), (CALLEES, self.callee_paths)):
            _move(table, path, old.names(part), new.names(part))
        lasts = [entry.split("\t") for entry in old.names(IMPORTS)], [entry.split("\t") for entry in new.names(IMPORTS)]
        _move(self.import_paths, path, [last for last, _ in lasts[0]], [last for last, _ in lasts[1]])
        for last in {last for last, local in lasts[0] if last != local}:
            kept = [entry for entry in self.aliases[last] if entry[0] != path]
            if kept:
                self.aliases[last] = kept
            else:
                del self.aliases[last]
        for last, local in lasts[1]:
            if last != local:
                bisect.insort(self.aliases.setdefault(last, []), (path, local))
        self.mocks = sorted([entry for entry in self.mocks if entry[0] != path]
                            + [(path, name) for name in new.names(MOCKED)], key=lambda entry: entry[0])
        self._sync_methods = frozenset(name for facts in self.files.packed.values() if not facts.stub_file
                                       for name in facts.names(SYNC_METHODS))

    @staticmethod
    def _changed_reads(path: str, old: PackedFacts, new: PackedFacts) -> set:
        """The read facts (as `reads` records them) that replacing the file may change."""
        names = set()
        for facts in (old, new):
            names.update(facts.names(USES), facts.names(DEFS))
            names.update(part for entry in facts.names(IMPORTS) for part in entry.split("\t"))
        changed: set = {path, ("sync-methods",), ("mocks",), ("subclasses",), ("name-lookups",)}
        changed.update((kind, name) for kind in ("uses", "defs", "imports") for name in names)
        return changed

    def _forget(self, changed: set, classes: set) -> None:
        """Drop every derived value whose computation read something in `changed`,
        and the class facts of `classes` (the replaced file's, before and after)."""
        self._subclasses = None
        self._method_classes = None
        self._read_digests.clear()
        for memo in self._memos.values():  # an entry of a replaced file's own definition is stale too
            for key in [key for key, (_, reads) in memo.items() if key[0] in changed or not reads.isdisjoint(changed)]:
                del memo[key]
        for table in self._class_facts.values():
            for key in [key for key, (_, reads) in table.items()
                        if key in classes or key not in self.classes or not reads.isdisjoint(changed)]:
                del table[key]
        if classes:  # the set of classes, or some class, may have changed
            changed = changed | {("class-facts", name) for name in self._class_facts}
        for name in [name for name, (_, reads) in self._derived.items() if not reads.isdisjoint(changed)]:
            del self._derived[name]


Key = TypeVar("Key", bound=Hashable)
Item = TypeVar("Item")


def _grouped(pairs: Iterable[Tuple[Key, Item]]) -> Dict[Key, Tuple[Item, ...]]:
    """The items of `pairs` by their keys, in order, each group a tuple. These
    tables live as long as their file stays unpacked or the model lasts: tuples
    of strings (and a dict holding only them) drop out of the cyclic collector's
    scans, which a host such as flake8 runs often."""
    found: Dict[Key, List[Item]] = {}
    for key, item in pairs:
        found.setdefault(key, []).append(item)
    return {key: tuple(group) for key, group in found.items()}


def _move(table: Dict[str, List[str]], path: str, old: Sequence[str], new: Sequence[str]) -> None:
    """Take `path` out of the lists of the names in `old`, and put it in those of
    `new`, in path order (the order the project's files are added in)."""
    for name in set(old):
        paths = [other for other in table[name] if other != path]
        if paths:
            table[name] = paths
        else:
            del table[name]
    for name in new:
        bisect.insort(table.setdefault(name, []), path)


def _class_keys(facts: PackedFacts, module: Optional[str] = None) -> List[str]:
    """The keys of a file's classes, in order (their numbers), as `Project.add`
    makes them (`module`: the module name it counts, when not the file's own)."""
    module = facts.module if module is None else module
    return [f"{module}.{qualname}" if module else f"{facts.path}:{qualname}" for qualname in facts.names(CLASSES)]
