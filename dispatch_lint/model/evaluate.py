"""The abstract value of a symbolic expression at a scope (see `values`).

Names go through the scope lookup, attribute chains through instance
attributes set in any method and class bodies, calls through classes (an
instance), functions (their return annotation, or the join of their returns)
and container methods (`get`, `setdefault`, `pop`, `values`), subscripts and
iteration through containers. Anything else is `UNKNOWN`. Results are
memoised per project; a cycle evaluates to `UNKNOWN`.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, Iterator, List, Tuple

from dispatch_lint.model.facts import AttrSet, Binding, Expr, ModuleFacts
from dispatch_lint.model.values import (
    NOTHING,
    UNKNOWN,
    ClassObject,
    Constant,
    Container,
    External,
    ExternalInstance,
    Function,
    Instance,
    ModuleObject,
    Sequence,
    Value,
    join,
    join_all,
)

if TYPE_CHECKING:
    from dispatch_lint.model.project import Project

BUILTIN_NAMES = frozenset(dir(builtins))
CONTAINER_FACTORIES = frozenset({"builtins.dict", "builtins.list", "builtins.set", "builtins.tuple",
                                 "collections.defaultdict", "collections.OrderedDict", "collections.deque",
                                 "weakref.WeakValueDictionary", "weakref.WeakSet"})
PROPERTIES = frozenset({"property", "cached_property", "cached"})
ELEMENT_METHODS = frozenset({"get", "setdefault", "pop", "popleft", "popitem"})
SAME_CONTAINER_METHODS = frozenset({"values", "copy"})
_PENDING = object()


def value(project: "Project", file: ModuleFacts, scope: int, expr: Expr) -> Value:
    key = (file.path, scope, expr)
    memo = project._values
    found = memo.get(key)
    if found is _PENDING:
        return UNKNOWN  # a cycle: `x = f(x)`
    if found is not None:
        if project.reads is not None:
            project.reads.update(found[1])
        return found[0]
    memo[key] = _PENDING
    # Always noted: a memoised value brings its reads to whichever verdict asks for it later.
    outer, project.reads = project.reads, set()
    try:
        result = _evaluate(project, file, scope, expr)
    except RecursionError:
        result = UNKNOWN
    reads, project.reads = project.reads, outer
    if outer is not None:
        outer.update(reads)
    memo[key] = (result, frozenset(reads) if reads else ())
    return result


def _evaluate(project: "Project", file: ModuleFacts, scope: int, expr: Expr) -> Value:
    tag = expr[0]
    if tag == "n":
        return name_value(project, file, scope, expr[1])
    if tag == "a":
        return attribute(project, value(project, file, scope, expr[1]), expr[2])
    if tag == "c":
        return call(project, file, scope, expr)
    if tag == "k":
        return Constant(expr[1])
    if tag == "s":
        return subscript(value(project, file, scope, expr[1]), expr[2])
    if tag == "l":
        return Sequence(tuple(value(project, file, scope, e) for e in expr[1]))
    if tag == "d":
        return Container(join_all(value(project, file, scope, e) for e in expr[2]) if expr[2] else NOTHING)
    if tag == "comp":
        return Container(value(project, file, expr[1], expr[2]) if expr[1] >= 0 else UNKNOWN)
    if tag == "iter":
        return element(value(project, file, scope, expr[1]))
    if tag == "await":
        return awaited(project, file, scope, expr[1])
    if tag == "if":
        return join(value(project, file, scope, expr[1]), value(project, file, scope, expr[2]))
    if tag == "ann":
        return instance_of(project, value(project, file, scope, annotation(expr[1])))
    return UNKNOWN


def annotation(expr: Expr) -> Expr:
    """A string annotation `"pkg.C"` read as the name it spells."""
    if expr[0] == "k" and isinstance(expr[1], str) and all(p.isidentifier() for p in expr[1].split(".")):
        parts = expr[1].split(".")
        found: Expr = ("n", parts[0])
        for part in parts[1:]:
            found = ("a", found, part)
        return found
    return expr


def instance_of(project: "Project", kind: Value) -> Value:
    if isinstance(kind, ClassObject):
        return Instance(kind.cls)
    if isinstance(kind, External):
        return ExternalInstance(kind.name)
    return UNKNOWN


def name_value(project: "Project", file: ModuleFacts, scope: int, name: str) -> Value:
    where, bindings = project.lookup(file, scope, name)
    if not bindings:
        for star in file.star_imports:
            found = project.resolve_dotted(f"{star}.{name}")
            if found is not UNKNOWN and not (isinstance(found, External) and star in project.modules):
                return found
        if file.star_imports:
            return UNKNOWN
        return External(f"builtins.{name}") if name in _builtins() else UNKNOWN
    found = join_all(binding_value(project, file, b) for b in bindings)
    return with_items(project, file, where, name, found)


def _builtins() -> Any:
    return BUILTIN_NAMES


def with_items(project: "Project", file: ModuleFacts, scope: int, name: str, found: Value) -> Value:
    """A container name's elements include what `d[k] = v` and the like put in."""
    if not isinstance(found, Container):
        return found
    items = [b for b in project.bindings_of(file, scope, name) if b.kind == "item"]
    if not items:
        return found
    return Container(join_all([found.element] + [value(project, file, b.scope, b.value[1]) for b in items]))


def binding_value(project: "Project", file: ModuleFacts, binding: Binding, depth: int = 0) -> Value:
    expr = binding.value
    tag = expr[0]
    if tag == "def":
        return Function(file.path, expr[1])
    if tag == "cls":
        return ClassObject(project.class_key(file, expr[1]))
    if tag == "imp":
        return project.resolve_dotted(expr[1], depth)
    if tag == "self":
        return Instance(project.class_key(file, expr[1])) if expr[1] >= 0 else UNKNOWN
    if tag == "clsobj":
        return ClassObject(project.class_key(file, expr[1])) if expr[1] >= 0 else UNKNOWN
    if tag in ("param", "with", "?"):
        return UNKNOWN
    return value(project, file, binding.scope, expr)


def attribute(project: "Project", receiver: Value, name: str) -> Value:
    if isinstance(receiver, Instance):
        return instance_attribute(project, receiver.cls, name)
    if isinstance(receiver, ClassObject):
        method, certain = project.method(receiver.cls, name)
        if method is not None:
            return Function(method[0].path, method[1])
        return class_attribute(project, receiver.cls, name) if certain else UNKNOWN
    if isinstance(receiver, ModuleObject):
        return project.resolve_dotted(f"{receiver.name}.{name}")
    if isinstance(receiver, External):
        return External(f"{receiver.name}.{name}")
    return UNKNOWN


def instance_attribute(project: "Project", cls: str, name: str) -> Value:
    """`self.name` seen from outside: a method, or what the methods of the class
    and its project bases assign (`self.name = ...`; also when a base outside
    the project comes first, if `__init__` assigns it), or a class attribute."""
    method, certain = project.method(cls, name)
    if method is not None:
        function = Function(method[0].path, method[1])
        return returned(project, function) if is_property(method[0].defs[method[1]].decorators) else function
    if not certain and not set_on_construction(project, cls, name):
        return UNKNOWN  # a base outside the project may define it
    assigned: List[Value] = []
    items: List[Value] = []
    for file, attr_set in _attribute_sets(project, cls, name):
        expr = attr_set.value
        if expr[0] == "item":
            items.append(value(project, file, attr_set.scope, expr[1]))
        else:
            assigned.append(value(project, file, attr_set.scope, expr))
    if not assigned:
        return class_attribute(project, cls, name)
    found = join_all(assigned)
    if items and isinstance(found, Container):
        return Container(join_all([found.element] + items))
    return found


def _attribute_sets(project: "Project", cls: str, name: str) -> Iterator[Tuple[ModuleFacts, AttrSet]]:
    """`self.name = ...` in the methods of class `cls` and of its project bases."""
    for key in [cls] + [b.cls for b in project.ancestors(cls) if isinstance(b, ClassObject)]:
        file, number = project.classes[key]
        for attr_set in file.attr_sets:
            if attr_set.cls == number and attr_set.attr == name:
                yield file, attr_set


def set_on_construction(project: "Project", cls: str, name: str) -> bool:
    """Whether `__init__` of class `cls` or of a project base assigns `self.name`:
    the instance attribute then hides any method of that name, wherever its
    class comes from (a function is not a data descriptor)."""
    return any(attr_set.value[0] != "item" and file.scopes[attr_set.scope].name == "__init__"
               for file, attr_set in _attribute_sets(project, cls, name))


def is_property(decorators: tuple) -> bool:
    """`@property`, `@functools.cached_property` and the like."""
    return any(d[0] == "n" and d[1] in PROPERTIES or d[0] == "a" and d[2] in PROPERTIES for d in decorators)


def class_attribute(project: "Project", cls: str, name: str) -> Value:
    for key in [cls] + [b.cls for b in project.ancestors(cls) if isinstance(b, ClassObject)]:
        file, number = project.classes[key]
        bindings = project.bindings_in(file, file.classes[number].body, name)
        if bindings:
            return join_all(binding_value(project, file, b) for b in bindings)
    return UNKNOWN


def call(project: "Project", file: ModuleFacts, scope: int, expr: Expr) -> Value:
    func = expr[1]
    callee = value(project, file, scope, func)
    for hook in project.call_hooks:
        found = hook(project, callee, expr, file, scope)
        if found is not None:
            return found
    if isinstance(callee, ClassObject):
        return Instance(callee.cls)
    if isinstance(callee, Function):
        definition = project.files[callee.path].defs[callee.index]
        return UNKNOWN if definition.is_async else returned(project, callee)
    if isinstance(callee, External):
        if callee.name in CONTAINER_FACTORIES:
            return Container(NOTHING)
        return ExternalInstance(callee.name)
    if func[0] == "a":
        return container_method(value(project, file, scope, func[1]), func[2])
    return UNKNOWN


def container_method(receiver: Value, method: str) -> Value:
    if isinstance(receiver, Container):
        if method in ELEMENT_METHODS:
            return receiver.element
        if method in SAME_CONTAINER_METHODS:
            return receiver
        if method == "items":
            return Container(Sequence((UNKNOWN, receiver.element)))
    return UNKNOWN


def returned(project: "Project", function: Function) -> Value:
    """What calling the function gives: its return annotation, else the join
    of every `return` (a body without one returns None: unknown here)."""
    file = project.files[function.path]
    definition = file.defs[function.index]
    if definition.return_annotation[0] != "?":
        return instance_of(project, value(project, file, definition.scope, annotation(definition.return_annotation)))
    if not definition.returns:
        return UNKNOWN
    return join_all(value(project, file, definition.body, e) for e in definition.returns)


def awaited(project: "Project", file: ModuleFacts, scope: int, expr: Expr) -> Value:
    """`await f(...)` of a project coroutine: what it returns."""
    if expr[0] != "c":
        return UNKNOWN
    callee = value(project, file, scope, expr[1])
    if isinstance(callee, Function) and project.files[callee.path].defs[callee.index].is_async:
        return returned(project, callee)
    return UNKNOWN


def subscript(container: Value, key: Expr) -> Value:
    if isinstance(container, Container):
        return container.element
    if isinstance(container, Sequence) and key[0] == "k" and isinstance(key[1], int):
        if -len(container.items) <= key[1] < len(container.items):
            return container.items[key[1]]
    return UNKNOWN


def element(iterable: Value) -> Value:
    if isinstance(iterable, Container):
        return iterable.element
    if isinstance(iterable, Sequence):
        return join_all(iterable.items)
    return UNKNOWN
