"""Whether a use of a name reaches a definition, decided from the model.

A plain name is looked up by scope, so a parameter, a loop variable or a
nested function of the same name is a different thing; an attribute goes
through the value of its receiver (`self`, an instance, a module). The answer
is one of YES (every binding it may read is the definition or one of its
alternatives), NO, MIXED (some bindings are, some are not) and MAYBE (the
receiver is not known).
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Set, Tuple

from dispatch_lint.model.evaluate import binding_value, set_on_construction
from dispatch_lint.model.facts import DYNAMIC, PATCH, ModuleFacts, Use
from dispatch_lint.model.project import DefRef, Project
from dispatch_lint.model.values import UNKNOWN, ClassObject, Function, Instance, ModuleObject, Value

YES, NO, MIXED, MAYBE = "yes", "no", "mixed", "maybe"
SUPER_CALL = ("c", ("n", "super"), (), ())


class Target:
    """A definition and its alternatives: the defs binding its name in its scope."""

    def __init__(self, project: Project, file: ModuleFacts, number: int) -> None:
        self.project = project
        self.path = file.path
        self.number = number
        self.definition = file.defs[number]
        name, scope = self.definition.name, self.definition.scope
        bindings = project.bindings_in(file, scope, name)
        self.group: FrozenSet[int] = frozenset(b.value[1] for b in bindings if b.kind == "def")
        self.others = [b for b in bindings if b.kind != "def"]  # imports, assignments of the same name
        info = file.scopes[scope]
        self.class_key = project.class_key(file, self.definition.method_of) if self.definition.method_of >= 0 else None
        self.nested = info.kind not in ("module", "class")

    @property
    def file(self) -> ModuleFacts:
        return self.project.files[self.path]

    def is_mine(self, value: Value) -> bool:
        return isinstance(value, Function) and value.path == self.path and value.index in self.group

    def reach(self, file: ModuleFacts, use: Use) -> str:
        target = use.target
        if target[0] == "n":
            return self.reach_name(file, use.scope, target[1])
        if target[0] == "dotted":
            return YES if self.is_mine(self.project.resolve_dotted(target[1])) else NO
        if target[2] != self.definition.name:
            return NO
        if target[1] == SUPER_CALL:
            return self.reach_super(file, use.scope)
        reached = self.reach_attribute(self.project.value(file, use.scope, target[1]))
        if reached == NO and use.how & (DYNAMIC | PATCH) and self.class_key is None and not self.nested:
            # `getattr(<unknown>, "f")`, `<unknown>.f = ...`: it may be this module
            return MAYBE if self.project.value(file, use.scope, target[1]) is UNKNOWN else NO
        return reached

    def reach_name(self, file: ModuleFacts, scope: int, name: str) -> str:
        _, bindings = self.project.lookup(file, scope, name)
        if not bindings:
            if file.star_imports:
                value = self.project.value(file, scope, ("n", name))
                return YES if self.is_mine(value) else NO
            return NO
        values = [binding_value(self.project, file, b) for b in bindings]
        hits = sum(1 for v in values if self.is_mine(v))
        return NO if not hits else YES if hits == len(values) else MIXED

    def reach_attribute(self, receiver: Value) -> str:
        project = self.project
        if isinstance(receiver, ModuleObject):
            return YES if self.is_mine(project.resolve_dotted(f"{receiver.name}.{self.definition.name}")) else NO
        if self.class_key is None:
            return NO
        if isinstance(receiver, (Instance, ClassObject)):
            return self.reach_class(receiver.cls)
        return MAYBE if receiver is UNKNOWN else NO

    def reach_class(self, key: str) -> str:
        found, certain = self.project.method(key, self.definition.name)
        if found is not None and self.is_mine(Function(found[0].path, found[1])):
            return YES
        descendants = set(self.project.descendants(key))
        if self.class_key in descendants:
            return YES  # dispatched to the override in a subclass
        if certain or (self.shadowed_in(key) and not descendants & set(self.project.descendants(self.class_key))):
            return NO
        return MAYBE

    def shadowed_in(self, key: str) -> bool:
        """Instances of `key` hold an attribute of the method's name, set when
        they are built, and no class derives from both `key` and the method's
        class: a base outside the project cannot make the lookup reach it."""
        return set_on_construction(self.project, key, self.definition.name)

    def reach_super(self, file: ModuleFacts, scope: int) -> str:
        key = enclosing_class(self.project, file, scope)
        if key is None:
            return MAYBE
        for base in self.project.ancestors(key):
            if not isinstance(base, ClassObject):
                return MAYBE
            found = self.project.own_method(base.cls, self.definition.name)
            if found is not None:
                return YES if self.is_mine(Function(found[0].path, found[1])) else NO
        return NO

    def uses(self, table: Optional["UsesTable"] = None) -> List[Tuple[ModuleFacts, Use, str]]:
        """Every use in the project that may reach the definition, with how:
        from `table` (in a batch run, by default, the one of every DSP201
        candidate of the same name) when it has the definition."""
        project, name = self.project, self.definition.name
        if table is None and not self.nested and project.batch:
            table = project.memo(f"candidate-uses {name}", lambda: uses_table(project, candidates(project, name)))
        known = table.get((self.path, self.number)) if table is not None else None
        if known is None:  # only its own file can name a nested function
            uses = project.uses_named(name, self.path if self.nested else None)
            return [(file, use, reached) for file, use in uses for reached in [self.reach(file, use)] if reached != NO]
        found, reads = known
        if project.reads is not None:
            project.reads.update(reads)
            project.reads.add(("uses", name))
        return [(project.files[path], use, reached) for path, use, reached in found]


UsesTable = Dict[Tuple[str, int], Tuple[List[Tuple[str, Use, str]], FrozenSet[object]]]


def candidates(project: Project, name: str) -> List[Target]:
    """The module-level functions and methods named `name` that are `async` and
    never await: only the files that define the name are loaded."""
    found = []
    for path in project.def_paths.get(name, ()):
        if not project.files.packed[path].idle_async:
            continue
        file = project.files[path]
        for number, definition in enumerate(file.defs):
            if definition.name == name and definition.is_async and not definition.awaits:
                target = Target(project, file, number)
                if not target.nested:
                    found.append(target)
    return found


def uses_table(project: Project, targets: Iterable[Target]) -> UsesTable:
    """The uses that may reach each of `targets`, with the facts each answer
    read: one pass over the files that use their names, each file loaded once,
    instead of one pass per definition. A batch run asks for the candidates
    of one name at a time, so each worker derives only the names its files define."""
    by_name: Dict[str, List[Target]] = {}
    for target in targets:
        by_name.setdefault(target.definition.name, []).append(target)
    table = {(t.path, t.number): ([], set()) for ts in by_name.values() for t in ts}
    for path, names in sorted(_files_using(project, by_name).items()):
        file = project.files[path]
        for written, name in sorted(names):
            for use in project.uses_in(file, written, plain=written != name):
                _note_reach(project, by_name[name], file, use, table)
    shared: Dict[FrozenSet[object], FrozenSet[object]] = {}  # targets of one name often read the same facts
    return {key: (found, _shared(shared, frozenset(reads))) for key, (found, reads) in table.items()}  # type: ignore[misc]


def _shared(known: Dict[FrozenSet[object], FrozenSet[object]], reads: FrozenSet[object]) -> FrozenSet[object]:
    return known.setdefault(reads, reads)


def _files_using(project: Project, targets: Mapping[str, object]) -> Dict[str, Set[Tuple[str, str]]]:
    """path -> (the name as written there, the candidate name it may be)."""
    found: Dict[str, Set[Tuple[str, str]]] = {}
    for name in targets:
        for path in project.use_paths.get(name, ()):
            found.setdefault(path, set()).add((name, name))
        for path, alias in project.aliases.get(name, ()):
            found.setdefault(path, set()).add((alias, name))
    return found


def _note_reach(project: Project, targets: List[Target], file: ModuleFacts, use: Use, table: dict) -> None:
    outer = project.reads
    entries: Dict[str, Tuple[str, Use, str]] = {}  # one per answer, shared by the targets that get it
    try:
        for target in targets:
            found, reads = table[(target.path, target.number)]
            project.reads = reads  # type: ignore[assignment]
            reached = target.reach(file, use)
            if reached != NO:
                found.append(entries.setdefault(reached, (file.path, use, reached)))
    finally:
        project.reads = outer


def enclosing_class(project: Project, file: ModuleFacts, scope: int) -> Optional[str]:
    """The class whose method (or a function inside it) holds `scope`."""
    current = scope
    while current >= 0:
        parent = file.scopes[current].parent
        if parent >= 0 and file.scopes[parent].kind == "class" and file.scopes[current].kind == "function":
            number = next(i for i, c in enumerate(file.classes) if c.body == parent)
            return project.class_key(file, number)
        current = parent
    return None


def group_refs(target: Target) -> List[DefRef]:
    return [(target.file, number) for number in sorted(target.group)]
