"""What a parameter is passed: the arguments of a function's call sites.

The calls by name are noted in the files that build channels
(`ModuleFacts.passings`; the project indexes the files by the names they
call). `call_sites(project).arguments(file, scope, name)` is the one hook any
analysis asks to resolve a parameter read at `scope` through the calls of its
function (`maxsize=x or 0` with `x` set by every caller, a
queue handed to `__init__` and kept as `self.x`). A method is resolved only for
`__init__`, through the calls of its class (`self` is not passed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, NamedTuple, Optional, Tuple

from dispatch_lint.model.channel_facts import ChannelFacts, Passing
from dispatch_lint.model.facts import Expr, ModuleFacts
from dispatch_lint.model.values import ClassObject, Function, Value

if TYPE_CHECKING:
    from dispatch_lint.model.project import Project


class Argument(NamedTuple):
    """What one call site passes for a parameter, evaluated in `file` at `scope`."""

    file: ModuleFacts
    scope: int
    expr: Optional[Expr]  # None: the call omits it and the parameter has no default
    default: bool  # the call omits it: `expr` is the parameter's default


def channel_facts(file: ModuleFacts) -> ChannelFacts:
    return getattr(file, "channels", None) or ChannelFacts()


def channel_paths(project: "Project") -> List[str]:
    """The files that may hold channel facts, without unpacking the others: the
    project keeps each file packed with a flag that says whether it has some."""
    packed = getattr(project.files, "packed", None)
    if packed is None:
        return sorted(project.files)
    return sorted(path for path, facts in packed.items() if facts.has_channels)


class CallSites:
    def __init__(self, project: "Project") -> None:
        self.project = project

    def arguments(self, file: ModuleFacts, scope: int, name: str) -> Optional[List[Argument]]:
        """What the call sites pass for the parameter `name` read at `scope` (its
        default where a call omits it); None when `name` is no parameter of a
        function resolved this way, [] when no call site is known."""
        found = self.parameter(file, scope, name)
        if found is None:
            return None
        definition, position = found
        default = dict(file.defs[definition].defaults).get(name)
        arguments = []
        for caller, passing, shift in self._calls(file, definition):
            passed = _argument(passing, name, position - shift)
            if passed is not None:
                arguments.append(Argument(caller, passing.scope, passed, False))
            elif default is not None:
                arguments.append(Argument(file, file.defs[definition].scope, default, True))
            else:
                arguments.append(Argument(caller, passing.scope, None, True))
        return arguments

    def parameter(self, file: ModuleFacts, scope: int, name: str) -> Optional[Tuple[int, int]]:
        """(the function's index in `file.defs`, the parameter's position) when the
        only binding `name` reads at `scope` is a parameter."""
        where, bindings = self.project.lookup(file, scope, name)
        if len(bindings) != 1 or bindings[0].kind != "param":
            return None
        definition = next((n for n, d in enumerate(file.defs) if d.body == bindings[0].scope), None)
        if definition is None:
            return None
        names = [p[0] for p in file.defs[definition].params]
        return (definition, names.index(name)) if name in names else None

    def _calls(self, file: ModuleFacts, definition: int) -> List[Tuple[ModuleFacts, Passing, int]]:
        """(file, call, shift) for each call of the function: `shift` is 1 for
        `__init__` called through its class (`self` is not passed)."""
        target = file.defs[definition]
        wanted: Value = Function(file.path, definition)
        name, shift = target.name, 0
        if target.method_of >= 0:
            if target.name != "__init__":
                return []
            wanted = ClassObject(self.project.class_key(file, target.method_of))
            name, shift = file.classes[target.method_of].name, 1
        found = []
        for path in self.project.callee_paths.get(name, ()):
            caller = self.project.files[path]
            found += [(caller, passing, shift) for passing in caller.passings if passing.callee == name
                      and self.project.value(caller, passing.scope, passing.func) == wanted]
        return found


def _argument(passing: Passing, name: str, position: int) -> Optional[Expr]:
    for keyword, value in passing.keywords:
        if keyword == name:
            return value
    return passing.args[position] if 0 <= position < len(passing.args) else None


def call_sites(project: "Project") -> CallSites:
    """The project's call sites (`Project.callee_paths` indexes the files of each callee's name)."""
    return project.attached("call-sites", lambda: CallSites(project))
