"""One walk over a file's `ast` tree: its scopes, bindings, definitions,
classes, attributes set on `self`, and uses of names (see `facts`).

The walk is recursive: statements and expressions each have a small visitor;
everything else visits its children. A scope is entered for every function,
lambda, class and comprehension, so every binding and use carries the scope
Python resolves it in.
"""

from __future__ import annotations

import ast
import operator
import os
import sys
from typing import Any, Dict, List, Optional, Set, Tuple

from dispatch_lint.model import mocks
from dispatch_lint.model.channel_sites import channel_walker
from dispatch_lint.model.expr import UNKNOWN_EXPR, convert, receiver_of, target_of, unpacked
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
    AttrSet,
    Binding,
    ClassInfo,
    Definition,
    Expr,
    ModuleFacts,
    Scope,
    Use,
)
from dispatch_lint.model.loop import LOOP_METHODS, LOOP_NAMES, calls_need_loop
from dispatch_lint.model.modules import module_name, real_folder, real_path
from dispatch_lint.model.positions import Positions
from dispatch_lint.model.records import from_fields

AWAITABLE_CHECKS = frozenset({"isawaitable", "iscoroutine", "iscoroutinefunction", "isfuture"})
ITEM_METHODS = frozenset({"setdefault", "append", "add", "insert", "appendleft"})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_TRY = tuple(k for k in (ast.Try, getattr(ast, "TryStar", None)) if k is not None)
_POSITION = operator.itemgetter(3, 4)  # a use's line and column


_METHODS: Dict[type, Any] = {}
_CONSTANT = ast.Constant  # a leaf: `generic_visit` does not dispatch it
_CHILD_FIELDS: Dict[type, Tuple[str, ...]] = {}
# Fields that never hold a node worth a visit (contexts, operators, names, flags).
_LEAF_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "kind", "is_async", "level", "id", "attr", "arg",
                          "name", "names", "module", "asname", "conversion", "lineno", "col_offset",
                          "end_lineno", "end_col_offset", "type_ignores"})


class _Frame:
    """What the walk knows about the function (or other scope) it is in."""

    __slots__ = ("scope", "definition", "cls", "first_param", "declared", "branch", "awaits", "returns",
                 "loop_calls", "genexp")

    def __init__(self, scope: int, definition: int = -1, cls: int = -1, first_param: str = "",
                 genexp: bool = False) -> None:
        self.scope = scope
        self.definition = definition
        self.cls = cls  # the class whose method this is (-1: none)
        self.first_param = first_param  # `self` or `cls` of a method
        self.declared: Dict[str, str] = {}  # name -> "global" | "nonlocal"
        self.branch = -1
        self.awaits = False
        self.returns: List[Any] = []
        self.loop_calls: List[str] = []
        self.genexp = genexp


class Extractor(ast.NodeVisitor):
    def __init__(self, text: str, module: str, is_package: bool) -> None:
        self.positions = Positions(text)
        self.module = module
        self.is_package = is_package
        self.mocking = "AsyncMock" in text
        self.scopes: List[Scope] = []
        self.bindings: List[Binding] = []
        self.defs: List[Any] = []  # Definition fields as lists until the body is walked
        self.classes: List[Any] = []
        self.attr_sets: List[AttrSet] = []
        self.uses: Dict[Tuple[int, Any, int], List[int]] = {}  # (scope, target, how) -> [line, col, end]
        self.await_uses: List[Tuple[int, Any, int, int, int, int]] = []
        self.star: List[str] = []
        self.mocked: Set[str] = set()
        self.name_lookups: List[Tuple[int, int, Expr, str]] = []
        self.frames: List[_Frame] = []
        self.comp_scopes: Dict[int, int] = {}
        self.context: Dict[int, int] = {}  # id(call node) -> SPAWN / AWAITABLE_CHECK for its coroutine
        self.next_branch = 0
        self.dropped: Set[Tuple[int, str]] = set()  # (id(import), name): an import for another Python
        self.final_imports: Optional[Dict[str, str]] = None  # module_imports(), asked once the walk is done
        self.kept_names: Any = _Everything()  # the plain names whose uses are noted (see `run`)

    # -- the walk ----------------------------------------------------------------------

    def visit(self, node: ast.AST) -> None:
        """Dispatch on the node's type, through a table built once per type."""
        (_METHODS.get(node.__class__) or Extractor.method_for(node.__class__))(self, node)

    @staticmethod
    def method_for(kind: type) -> Any:
        """The (unbound) method that visits nodes of type `kind`."""
        method = _METHODS.get(kind)
        if method is None:
            method = _METHODS[kind] = getattr(Extractor, "visit_" + kind.__name__, Extractor.generic_visit)
        return method

    def visit_Constant(self, node: ast.Constant) -> None:
        """A constant has no children (`ast.NodeVisitor`'s own looks for the
        pre-3.8 `visit_Num`-style methods, at a failed lookup per constant)."""

    def generic_visit(self, node: ast.AST) -> None:
        kind = node.__class__
        fields = _CHILD_FIELDS.get(kind)
        if fields is None:
            fields = _CHILD_FIELDS[kind] = tuple(f for f in kind._fields if f not in _LEAF_FIELDS)
        visit = self.visit
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if item.__class__ is not _CONSTANT and isinstance(item, ast.AST):
                        visit(item)
            elif value.__class__ is not _CONSTANT and isinstance(value, ast.AST):
                visit(value)

    # -- scopes and bindings ---------------------------------------------------

    def new_scope(self, kind: str, name: str, line: int) -> int:
        parent = self.frames[-1].scope if self.frames else -1
        outer = self.scopes[parent].qualname if parent >= 0 else ""
        if parent >= 0 and self.scopes[parent].kind in ("function", "lambda"):
            outer += ".<locals>"
        qualname = f"{outer}.{name}" if outer else name
        self.scopes.append(Scope(kind, name, qualname if kind != "module" else "", parent, line))
        return len(self.scopes) - 1

    def binding_scope(self, name: str) -> int:
        frame = self.frames[-1]
        declared = frame.declared.get(name)
        if declared == "global":
            return 0
        if declared == "nonlocal":
            for outer in reversed(self.frames[:-1]):
                if self.scopes[outer.scope].kind in ("function", "lambda"):
                    return outer.scope
        if self.scopes[frame.scope].kind == "comprehension" and getattr(self, "_walrus", False):
            for outer in reversed(self.frames):
                if self.scopes[outer.scope].kind != "comprehension":
                    return outer.scope
        return frame.scope

    def bind(self, name: str, kind: str, line: int, value: Any, scope: Optional[int] = None) -> None:
        where = self.binding_scope(name) if scope is None else scope
        frame = self.frames[-1]
        branch = frame.branch if where == frame.scope else -1
        self.bindings.append(from_fields(Binding, (where, name, kind, line, value, branch)))

    def bind_target(self, target: ast.AST, kind: str, value: Any) -> None:
        """Bind the names of an assignment target to `value` (unpacked per element)."""
        node_kind = type(target)
        if node_kind is ast.Name:
            self.bind(target.id, kind, target.lineno, value)
        elif node_kind in (ast.Tuple, ast.List):
            starred = any(type(e) is ast.Starred for e in target.elts)
            for i, element in enumerate(target.elts):
                self.bind_target(element, kind, UNKNOWN_EXPR if starred else unpacked(value, len(target.elts), i))
        elif node_kind is ast.Starred:
            self.bind_target(target.value, kind, UNKNOWN_EXPR)
        elif node_kind is ast.Attribute:
            self.set_attribute(target, value)
        elif node_kind is ast.Subscript:
            self.set_item(target.value, value, target.lineno)

    def set_attribute(self, target: ast.Attribute, value: Any) -> None:
        """`self.x = v` in a method; `module.f = v` patches a module attribute."""
        receiver = target.value
        if type(receiver) is not ast.Name:
            return
        frame = self.frames[-1]
        if frame.cls >= 0 and receiver.id == frame.first_param and frame.first_param:
            self.attr_sets.append(AttrSet(frame.cls, target.attr, frame.scope, value, target.lineno))
        else:
            self.use(("a", ("n", receiver.id), target.attr), PATCH, target)

    def set_item(self, container: ast.AST, value: Any, line: int) -> None:
        """`d[k] = v`, `d.setdefault(k, v)`, `d.append(v)`: `d` holds `v`s."""
        item = ("item", value)
        if type(container) is ast.Name:
            self.bind(container.id, "item", line, item)
        elif type(container) is ast.Attribute and type(container.value) is ast.Name:
            frame = self.frames[-1]
            if frame.cls >= 0 and container.value.id == frame.first_param:
                self.attr_sets.append(AttrSet(frame.cls, container.attr, frame.scope, item, line))
        elif type(container) is ast.Call and type(container.func) is ast.Name and container.func.id == "globals":
            pass

    # -- uses ------------------------------------------------------------------

    def use(self, target: Any, how: int, node: ast.AST, scope: Optional[int] = None) -> None:
        key = (self.frames[-1].scope if scope is None else scope, target, how)
        uses = self.uses
        if key not in uses:
            uses[key] = [node.lineno, self.positions.column(node.lineno, node.col_offset), 0]

    def comps(self, node: ast.AST) -> int:
        return self.comp_scopes.get(id(node), -1)

    def value_of(self, node: Optional[ast.AST]) -> Any:
        return convert(node, self.comps)

    def as_value(self, node: Optional[ast.AST]) -> None:
        """Visit an expression whose value is kept: a call in it hands its coroutine on."""
        if node is None:
            return
        kind = type(node)
        if kind is ast.Name or kind is _CONSTANT or kind is ast.Attribute:  # holds no call of its own
            self.visit(node)
            return
        pending = [node]  # the value, or one of the values it may be (`a if c else b`, `a or b`, elements)
        while pending:
            current = pending.pop()
            kind = type(current)
            if kind is ast.Call:
                self.context.setdefault(id(current), SPAWN)
            elif kind is ast.IfExp:
                pending += (current.body, current.orelse)
            elif kind is ast.BoolOp:
                pending += current.values
            elif kind in (ast.Tuple, ast.List, ast.Set):
                pending += current.elts
            elif kind is ast.Dict:
                pending += current.values
        self.visit(node)

    # -- module, functions, classes ------------------------------------------------

    def run(self, tree: ast.Module) -> None:
        bound = names_bound_by_statements(tree)
        self.kept_names = _Everything() if "*" in bound else bound
        self.frames.append(_Frame(self.new_scope("module", "", 1)))
        for statement in tree.body:
            self.visit(statement)

    def visit_FunctionDef(self, node: Any) -> None:
        frame = self.frames[-1]
        for decorator in node.decorator_list:
            self.as_value(decorator)
        self.visit_arguments_outside(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        index = len(self.defs)
        body_scope = self.new_scope("function", node.name, node.lineno)
        method_of = frame.cls if self.scopes[frame.scope].kind == "class" else -1
        params = self.parameters(node.args)
        self.defs.append([node, body_scope, method_of, frame.scope, frame.branch, params])
        self.bind(node.name, "def", node.lineno, ("def", index))
        if method_of >= 0:
            first = params[0][0] if params and not self.is_static(node) else ""
            inner = _Frame(body_scope, index, method_of, first)
        else:  # a nested function sees the enclosing method's `self`
            inner = _Frame(body_scope, index, frame.cls, frame.first_param)
        self.frames.append(inner)
        self.bind_parameters(node, params, method_of, index, method_of >= 0 and bool(inner.first_param))
        for statement in node.body:
            self.visit(statement)
        self.frames.pop()
        self.defs[index].append(inner)

    visit_AsyncFunctionDef = visit_FunctionDef

    @staticmethod
    def is_static(node: Any) -> bool:
        return any(type(d) is ast.Name and d.id == "staticmethod" for d in node.decorator_list)

    @staticmethod
    def parameters(args: ast.arguments) -> List[Tuple[str, Any]]:
        every = [*args.posonlyargs, *args.args]
        if args.vararg:
            every.append(args.vararg)
        every += args.kwonlyargs
        if args.kwarg:
            every.append(args.kwarg)
        return [(a.arg, convert(a.annotation) if a.annotation is not None else UNKNOWN_EXPR) for a in every]

    def bind_parameters(self, node: Any, params: List[Tuple[str, Any]], method_of: int, index: int,
                        bound: bool) -> None:
        is_class_method = any(type(d) is ast.Name and d.id == "classmethod" for d in node.decorator_list)
        for position, (name, annotation) in enumerate(params):
            if position == 0 and bound:
                value = ("clsobj", method_of) if is_class_method else ("self", method_of)
            elif annotation != UNKNOWN_EXPR:
                value = ("ann", annotation)
            else:
                value = ("param", index, name)
            self.bind(name, "param", node.lineno, value)

    def visit_arguments_outside(self, args: ast.arguments) -> None:
        """Defaults and annotations are evaluated in the enclosing scope."""
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.as_value(default)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self.visit(arg.annotation)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit_arguments_outside(node.args)
        frame = self.frames[-1]
        inner = _Frame(self.new_scope("lambda", "<lambda>", node.lineno), -1, frame.cls, frame.first_param)
        self.frames.append(inner)
        for name, _ in self.parameters(node.args):
            self.bind(name, "param", node.lineno, UNKNOWN_EXPR)
        self.as_value(node.body)
        self.frames.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        frame = self.frames[-1]
        for expression in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expression)
        index = len(self.classes)
        body_scope = self.new_scope("class", node.name, node.lineno)
        metaclass = next((convert(k.value) for k in node.keywords if k.arg == "metaclass"), UNKNOWN_EXPR)
        stubs = any(isinstance(s, _FUNCTIONS) and is_stub(s.body) for s in node.body)
        self.classes.append([node.name, self.scopes[body_scope].qualname, frame.scope, body_scope, node.lineno,
                             tuple(convert(b) for b in node.bases), metaclass, stubs, set(),
                             tuple(convert(d) for d in node.decorator_list)])
        self.bind(node.name, "class", node.lineno, ("cls", index))
        self.frames.append(_Frame(body_scope, -1, index))
        for statement in node.body:
            self.visit(statement)
        self.frames.pop()

    # -- statements ------------------------------------------------------------

    def visit_Global(self, node: ast.Global) -> None:
        self.frames[-1].declared.update((name, "global") for name in node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.frames[-1].declared.update((name, "nonlocal") for name in node.names)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if (id(node), alias.asname or alias.name.split(".")[0]) in self.dropped:
                continue
            if alias.asname:
                self.bind(alias.asname, "import", node.lineno, ("imp", alias.name))
            else:
                top = alias.name.split(".")[0]
                self.bind(top, "import", node.lineno, ("imp", top))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        origin = self.resolve_from(node)
        for alias in node.names:
            if alias.name == "*":
                self.star.append(origin)
                self.bind("*", "star", node.lineno, ("imp", origin))
            elif (id(node), alias.asname or alias.name) not in self.dropped:
                target = f"{origin}.{alias.name}" if origin else alias.name
                self.bind(alias.asname or alias.name, "import", node.lineno, ("imp", target))

    def resolve_from(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        parts = self.module.split(".") if self.module else []
        drop = node.level - 1 if self.is_package else node.level
        if drop >= len(parts):  # beyond the top-level package: names no module the model knows
            return "." * node.level + (node.module or "")
        return ".".join(parts[: len(parts) - drop] + ([node.module] if node.module else []))

    def visit_Assign(self, node: ast.Assign) -> None:
        self.as_value(node.value)
        if self.mocking and mocks.is_async_mock(node.value):
            self.mocked.update(t.attr for t in node.targets if type(t) is ast.Attribute)
        value = self.value_of(node.value)
        for target in node.targets:
            self.visit_target(target)
            self.bind_target(target, "assign", value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.annotation)
        if node.value is not None:
            self.as_value(node.value)
        self.visit_target(node.target)
        value = self.value_of(node.value) if node.value is not None else ("ann", convert(node.annotation))
        in_class = self.scopes[self.frames[-1].scope].kind == "class"
        if node.value is not None or type(node.target) is not ast.Name or in_class:
            self.bind_target(node.target, "annassign", value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        self.visit_target(node.target)
        if type(node.target) is ast.Name:
            self.bind(node.target.id, "augassign", node.lineno, UNKNOWN_EXPR)

    def visit_target(self, target: ast.AST) -> None:
        """The loads inside an assignment target (`a[i].b = ...` reads `a` and `i`)."""
        kind = type(target)
        if kind is ast.Attribute:
            self.visit(target.value)
        elif kind is ast.Subscript:
            self.visit(target.value)
            self.visit(target.slice)
        elif kind in (ast.Tuple, ast.List):
            for element in target.elts:
                self.visit_target(element)
        elif kind is ast.Starred:
            self.visit_target(target.value)

    def visit_For(self, node: Any) -> None:
        if type(node) is ast.AsyncFor:
            self.frames[-1].awaits = True
        self.visit(node.iter)
        self.visit_target(node.target)
        self.bind_target(node.target, "for", ("iter", self.value_of(node.iter)))
        self.in_branch(node, [node.body, node.orelse])

    visit_AsyncFor = visit_For

    def visit_With(self, node: Any) -> None:
        if type(node) is ast.AsyncWith:
            self.frames[-1].awaits = True
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self.visit_target(item.optional_vars)
                self.bind_target(item.optional_vars, "with", ("with", self.value_of(item.context_expr)))
        for statement in node.body:
            self.visit(statement)

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.bind(node.name, "except", node.lineno, UNKNOWN_EXPR)
        for statement in node.body:
            self.visit(statement)

    def in_branch(self, node: ast.AST, blocks: List[List[ast.AST]]) -> None:
        """Visit the statement blocks of an `if`/`try`; the outermost one in a
        scope groups the bindings in it as alternatives."""
        frame = self.frames[-1]
        outermost = frame.branch == -1 and isinstance(node, (ast.If, *_TRY))
        if outermost:
            frame.branch = self.next_branch
            self.next_branch += 1
        for block in blocks:
            for statement in block:
                self.visit(statement)
        if outermost:
            frame.branch = -1

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        self.in_branch(node, [node.body, node.orelse])

    def visit_While(self, node: ast.While) -> None:
        self.visit(node.test)
        self.in_branch(node, [node.body, node.orelse])

    def visit_Try(self, node: Any) -> None:
        self.dropped.update(_other_python_imports(node))
        self.in_branch(node, [node.body, node.handlers, node.orelse, node.finalbody])

    visit_TryStar = visit_Try

    def visit_Return(self, node: ast.Return) -> None:
        self.as_value(node.value)
        self.frames[-1].returns.append(self.value_of(node.value) if node.value is not None else ("k", None))

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self.visit_target(target)
            if type(target) is ast.Name:
                self.bind(target.id, "del", node.lineno, UNKNOWN_EXPR)

    def visit_MatchAs(self, node: Any) -> None:
        self.generic_visit(node)
        if node.name:
            self.bind(node.name, "match", node.lineno, UNKNOWN_EXPR)

    def visit_MatchStar(self, node: Any) -> None:
        if node.name:
            self.bind(node.name, "match", node.lineno, UNKNOWN_EXPR)

    def visit_MatchMapping(self, node: Any) -> None:
        self.generic_visit(node)
        if node.rest:
            self.bind(node.rest, "match", node.lineno, UNKNOWN_EXPR)

    # -- expressions -------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        # `use`, inlined (the walk meets names most), for the names `finish` keeps
        if node.ctx.__class__ is ast.Load and node.id in self.kept_names:
            key = (self.frames[-1].scope, ("n", node.id), VALUE)
            uses = self.uses
            if key not in uses:
                uses[key] = [node.lineno, self.positions.column(node.lineno, node.col_offset), 0]

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if type(node.ctx) is ast.Load:
            self.use(("a", receiver_of(node.value, 0), node.attr), VALUE, node)
        self.visit_receiver(node.value)

    def visit_receiver(self, node: ast.AST) -> None:
        """The receiver of an attribute: `a.b` in `a.b.c` is read, not used as a value."""
        while type(node) is ast.Attribute:
            node = node.value
        if type(node) is ast.Call:  # `f().__await__()`: the coroutine object is used
            self.context.setdefault(id(node), SPAWN)
        self.visit(node)

    def visit_Await(self, node: ast.Await) -> None:
        frame = self.frames[-1]
        frame.awaits = True
        value = node.value
        if type(value) is ast.Call:
            target = target_of(value.func)
            if target is not None:
                self.await_use(node, target)
                self.context[id(value)] = AWAIT
        self.visit(value)

    def await_use(self, node: ast.Await, target: Any) -> None:
        how = AWAIT
        if any(f.genexp for f in self.frames_up_to_function()):
            how |= GENEXP
        line = node.lineno
        start = self.positions.column(line, node.col_offset)
        end = self.positions.after_keyword(line, start, "await")
        if node.value.lineno != line:
            how |= NO_EDIT
            end = start
        self.await_uses.append((self.frames[-1].scope, target, how, line, start, end))

    def frames_up_to_function(self) -> List[_Frame]:
        found = []
        for frame in reversed(self.frames):
            if self.scopes[frame.scope].kind != "comprehension":
                break
            found.append(frame)
        return found

    def visit_Call(self, node: ast.Call) -> None:
        context = self.context.pop(id(node), 0)
        func = node.func
        target = target_of(func)
        if target is not None and context != AWAIT:
            self.use(target, CALL | (SPAWN if context == SPAWN else 0), func)
        kind = type(func)
        name = func.id if kind is ast.Name else func.attr if kind is ast.Attribute else ""
        meaning = _CALL_MEANINGS.get(name)
        if meaning is not None:
            meaning(self, node, func)
        if self.mocking and mocks.uses_async_mock(node):
            self.mocked.update(mocks.mocked_names(node))
        if name in LOOP_NAMES and self.frames[-1].definition >= 0:
            self.frames[-1].loop_calls.append("*" if kind is ast.Attribute and name in LOOP_METHODS
                                              else receiver_of(func, 0))
        if kind is ast.Attribute:
            self.visit_receiver(func.value)
        elif kind is not ast.Name:
            self.visit(func)
        for arg in node.args:
            self.as_value(arg.value if type(arg) is ast.Starred else arg)
        for keyword in node.keywords:
            self.as_value(keyword.value)

    # -- calls with a meaning for the model (`_CALL_MEANINGS`, by the name called) ----------

    def awaitable_check_call(self, node: ast.Call, func: ast.AST) -> None:
        if node.args:
            self.awaitable_check(node.args[0])

    def getattr_call(self, node: ast.Call, func: ast.AST) -> None:
        args = node.args
        if len(args) >= 2:
            self.dynamic_lookup(args[0], args[1], node)

    def setattr_call(self, node: ast.Call, func: ast.AST) -> None:
        """`setattr(obj, "f", v)` patches an attribute; pytest's
        `monkeypatch.setattr("pkg.mod.f", v)` a dotted name."""
        args = node.args
        if len(args) >= 2 and type(args[1]) is ast.Constant and type(args[1].value) is str:
            self.use(("a", receiver_of(args[0], 0), args[1].value), PATCH, node)
        elif args and type(args[0]) is ast.Constant and type(args[0].value) is str:
            self.use(("dotted", args[0].value), PATCH, node)

    def dict_get_call(self, node: ast.Call, func: ast.AST) -> None:
        """`type(self).__dict__.get(name)` dispatches by name."""
        args = node.args
        if (type(func) is ast.Attribute and args and type(func.value) is ast.Attribute
                and func.value.attr == "__dict__" and not type(args[0]) is ast.Constant):
            self.dispatch_by_name(func.value.value, args[0])

    def item_call(self, node: ast.Call, func: ast.AST) -> None:
        if type(func) is ast.Attribute and node.args:
            self.set_item(func.value, self.value_of(node.args[-1]), node.lineno)

    def awaitable_check(self, argument: ast.AST) -> None:
        """`inspect.isawaitable(result)`: the call that gave `result` may return
        an awaitable; an `async` definition it reaches is intentional."""
        if type(argument) is ast.Call:
            target = target_of(argument.func)
        elif type(argument) is ast.Name:
            target = self.last_call_bound(argument.id)
        else:
            target = target_of(argument)
        if target is not None:
            self.use(target, AWAITABLE_CHECK, argument)

    def last_call_bound(self, name: str) -> Any:
        scope = self.frames[-1].scope
        for binding in reversed(self.bindings):
            if binding.scope == scope and binding.name == name:
                value = binding.value
                return value[1] if value[0] == "c" and value[1][0] in ("n", "a") else None
        return None

    def dynamic_lookup(self, receiver: ast.AST, key: ast.AST, node: ast.Call) -> None:
        """`getattr(module, "f")`; `getattr(self, "on_" + event)` dispatches by name."""
        if type(key) is ast.Constant and type(key.value) is str:
            self.use(("a", receiver_of(receiver, 0), key.value), DYNAMIC, node)
            return
        self.dispatch_by_name(receiver, key)

    def dispatch_by_name(self, receiver: ast.AST, key: ast.AST) -> None:
        """A method that looks up a computed name on its instance or class
        (`getattr(self, name)`, `cls.__dict__.get(name)` for a `cls` of
        `type(self).__mro__`): the class calls its methods by name. On another
        object (`getattr(command_set, name)`), the lookup is noted for the module."""
        frame = self.frames[-1]
        if frame.cls >= 0 and frame.first_param and self.from_self(receiver, frame.first_param):
            self.classes[frame.cls][8].add(name_prefix(key))
        else:
            self.name_lookups.append((frame.scope, key.lineno, convert(receiver), name_prefix(key)))

    def from_self(self, node: ast.AST, first_param: str) -> bool:
        """Whether `node` is derived from the method's `self`/`cls` (directly,
        or through a local name bound to an expression that mentions it)."""
        names = {n.id for n in ast.walk(node) if type(n) is ast.Name}
        if first_param in names:
            return True
        scope = self.frames[-1].scope
        wanted = ("n", first_param)
        return any(b.scope == scope and b.name in names and mentions(b.value, wanted) for b in self.bindings)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        value = node.value
        if (type(value) is ast.Call and type(value.func) is ast.Name and value.func.id in ("globals", "vars")
                and type(node.slice) is ast.Constant and type(node.slice.value) is str):
            self.use(("n", node.slice.value), DYNAMIC, node, scope=0)
        self.generic_visit(node)

    def visit_Yield(self, node: Any) -> None:
        self.frames[-1].awaits = True
        self.as_value(node.value)

    visit_YieldFrom = visit_Yield

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.as_value(node.value)
        self._walrus = True
        self.bind(node.target.id, "walrus", node.lineno, self.value_of(node.value))
        self._walrus = False

    def visit_comprehension_node(self, node: Any) -> None:
        generators = node.generators
        self.visit(generators[0].iter)  # evaluated in the enclosing scope
        frame = self.frames[-1]
        scope = self.new_scope("comprehension", "<" + type(node).__name__.lower() + ">", node.lineno)
        self.comp_scopes[id(node)] = scope
        inner = _Frame(scope, frame.definition, frame.cls, frame.first_param, type(node) is ast.GeneratorExp)
        inner.loop_calls = frame.loop_calls
        self.frames.append(inner)
        for i, generator in enumerate(generators):
            if i:
                self.visit(generator.iter)
            if generator.is_async:
                inner.awaits = True
            self.bind_target(generator.target, "comprehension", ("iter", self.value_of(generator.iter)))
            for condition in generator.ifs:
                self.visit(condition)
        for element in ([node.key, node.value] if type(node) is ast.DictComp else [node.elt]):
            self.as_value(element)
        self.frames.pop()
        frame.awaits = frame.awaits or (inner.awaits and type(node) is not ast.GeneratorExp)

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = visit_comprehension_node

    # -- the result ------------------------------------------------------------------

    def finish(self, path: str, public: bool) -> ModuleFacts:
        imported = {b.name for b in self.bindings if b.kind in ("import", "def", "class")}
        keep_all = bool(self.star)
        uses = [(scope, target, how, line, column, 0) for (scope, target, how), (line, column, _) in self.uses.items()
                if target[0] != "n" or keep_all or target[1] in imported or how & (DYNAMIC | PATCH)]
        uses += self.await_uses

        return ModuleFacts(
            path=path,
            module=self.module,
            public=public,
            stub_file=path.endswith(".pyi"),
            scopes=tuple(self.scopes),
            bindings=tuple(self.bindings),
            defs=tuple(self.definition(entry) for entry in self.defs),
            classes=tuple(ClassInfo(n, q, s, b, line, bases, meta, stubs, tuple(sorted(prefixes)), decorators)
                          for n, q, s, b, line, bases, meta, stubs, prefixes, decorators in self.classes),
            attr_sets=tuple(self.attr_sets),
            uses=tuple([from_fields(Use, u) for u in sorted(uses, key=_POSITION)]),
            star_imports=tuple(self.star),
            async_mocked=tuple(sorted(self.mocked)),
            name_lookups=tuple(self.name_lookups),
        )

    def definition(self, entry: List[Any]) -> Definition:
        node, body, method_of, scope, branch, params, frame = entry
        is_async = type(node) is ast.AsyncFunctionDef
        column = self.positions.column(node.lineno, node.col_offset)
        keyword_end = self.positions.after_keyword(node.lineno, column, "async") if is_async else column
        return Definition(
            name=node.name, qualname=self.scopes[body].qualname, scope=scope, body=body, line=node.lineno,
            is_async=is_async, awaits=frame.awaits, column=column, keyword_end=keyword_end, decorators=tuple(convert(d) for d in node.decorator_list),
            stub=is_stub(node.body), needs_loop=self.needs_loop(frame),
            method_of=method_of, params=tuple(params), defaults=_defaults(node.args),
            returns=tuple(frame.returns),
            return_annotation=convert(node.returns) if node.returns is not None else UNKNOWN_EXPR, branch=branch,
        )

    def needs_loop(self, frame: _Frame) -> bool:
        return calls_need_loop(frame.loop_calls, self.module_imports())

    def module_imports(self) -> Dict[str, str]:
        """The module's imports, name -> dotted name (asked once the walk is done)."""
        if self.final_imports is None:
            self.final_imports = {b.name: b.value[1] for b in self.bindings if b.scope == 0 and b.kind == "import"}
        return self.final_imports


# The calls whose name gives them a meaning for the model, and what notes it
# (a call of any other name costs the walk only this lookup).
_CALL_MEANINGS: Dict[str, Any] = {
    **dict.fromkeys(AWAITABLE_CHECKS, Extractor.awaitable_check_call),
    **dict.fromkeys(ITEM_METHODS, Extractor.item_call),
    "getattr": Extractor.getattr_call,
    "setattr": Extractor.setattr_call,
    "get": Extractor.dict_get_call,
}


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
_BLOCKS_OF: Dict[type, Tuple[str, ...]] = {}  # node type -> its fields that hold statements (or handlers, cases)


def names_bound_by_statements(tree: ast.Module) -> Set[str]:
    """The names any import, `def` or `class` of the module binds, wherever it
    stands ("*" for a star import): a superset of the plain names whose uses
    `Extractor.finish` keeps."""
    found: Set[str] = set()
    pending: List[Any] = list(tree.body)
    while pending:
        node = pending.pop()
        kind = type(node)
        if kind is ast.Import:
            found.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif kind is ast.ImportFrom:
            found.update(a.asname or a.name for a in node.names)
        else:
            if kind in _DEFINITIONS:
                found.add(node.name)
            blocks = _BLOCKS_OF.get(kind)
            if blocks is None:
                blocks = _BLOCKS_OF[kind] = tuple(f for f in _BLOCKS if f in kind._fields)
            for field in blocks:
                pending += getattr(node, field)
    return found


class _Everything:
    """Every name (a star import may bind any)."""

    def __contains__(self, name: object) -> bool:
        return True


def mentions(expr: Any, wanted: Any) -> bool:
    """Whether the symbolic expression `expr` contains `wanted`."""
    if expr == wanted:
        return True
    return type(expr) is tuple and any(type(part) is tuple and mentions(part, wanted) for part in expr)


def name_prefix(key: ast.AST) -> str:
    """The constant prefix of a computed attribute name (`"on_" + event`, `f"on_{event}"`)."""
    if type(key) is ast.BinOp and type(key.op) is ast.Add:
        left = key.left
        if type(left) is ast.Constant and type(left.value) is str:
            return left.value
        return name_prefix(left)
    if type(key) is ast.JoinedStr and key.values and type(key.values[0]) is ast.Constant:
        return str(key.values[0].value)
    if type(key) is ast.Call and type(key.func) is ast.Attribute and key.func.attr == "format":
        return name_prefix(key.func.value).split("{")[0]
    if type(key) is ast.Constant and type(key.value) is str:
        return key.value.split("%")[0].split("{")[0]
    if type(key) is ast.BinOp and type(key.op) is ast.Mod:
        return name_prefix(key.left)
    return ""


def is_stub(body: List[ast.stmt]) -> bool:
    for statement in body:
        if type(statement) is ast.Pass:
            continue
        if type(statement) is ast.Expr and type(statement.value) is ast.Constant and (
            isinstance(statement.value.value, (str, bytes)) or statement.value.value is Ellipsis
        ):
            continue
        if type(statement) is ast.Return and (statement.value is None or (
                type(statement.value) is ast.Constant and statement.value.value is None)):
            continue
        if type(statement) is ast.Raise and statement.exc is not None:
            exc = statement.exc.func if type(statement.exc) is ast.Call else statement.exc
            if type(exc) is ast.Name and exc.id == "NotImplementedError":
                continue
        return False
    return True


def _defaults(args: ast.arguments) -> Tuple[Tuple[str, Any], ...]:
    """(name, default) for every parameter with a default: a constant or a dotted
    name as its symbolic form, anything else as unknown."""
    positional = [*args.posonlyargs, *args.args]
    pairs = [*zip(positional[len(positional) - len(args.defaults):], args.defaults),
             *((a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None)]
    found = []
    for arg, default in pairs:
        simple = type(default) in (ast.Constant, ast.Name, ast.Attribute) or (
            type(default) is ast.UnaryOp and type(default.operand) is ast.Constant)
        found.append((arg.arg, convert(default) if simple else UNKNOWN_EXPR))
    return tuple(found)


IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})
STANDARD_MODULES = frozenset(getattr(sys, "stdlib_module_names", ()))


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type.elts if type(handler.type) is ast.Tuple else [handler.type]
    return any(type(k) is ast.Name and k.id in IMPORT_ERRORS for k in kinds)


def _imports(block: List[ast.stmt]) -> Dict[str, List[Tuple[int, str]]]:
    """The names a block's own import statements bind: name -> [(id(import), top module)]."""
    found: Dict[str, List[Tuple[int, str]]] = {}
    for statement in block:
        if type(statement) is ast.Import:
            for alias in statement.names:
                name = alias.asname or alias.name.split(".")[0]
                found.setdefault(name, []).append((id(statement), alias.name.split(".")[0]))
        elif type(statement) is ast.ImportFrom and not statement.level and statement.module:
            for alias in statement.names:
                found.setdefault(alias.asname or alias.name, []).append((id(statement), statement.module.split(".")[0]))
    return found


def _other_python_imports(node: Any) -> List[Tuple[int, str]]:
    """`try: import queue` / `except ImportError: import Queue as queue`: of two
    imports binding one name, where exactly one names a standard module of this
    Python, the other is for another Python (its bindings are dropped)."""
    tried = _imports(node.body)
    dropped = []
    for handler in node.handlers:
        if not _catches_import_error(handler):
            continue
        for name, fallbacks in _imports(handler.body).items():
            pairs = [(a, b) for a in tried.get(name, ()) for b in fallbacks]
            for first, second in pairs:
                standard = (first[1] in STANDARD_MODULES, second[1] in STANDARD_MODULES)
                if standard == (True, False):
                    dropped.append((second[0], name))
                elif standard == (False, True):
                    dropped.append((first[0], name))
    return dropped


def extract(path: str, text: str, tree: ast.Module, root: str) -> ModuleFacts:
    """The model facts of one file that `ast` parsed."""
    real = real_path(path)
    module, public = module_name(real, real_folder(root))
    extractor = _WALK(text, module, os.path.basename(real) in ("__init__.py", "__init__.pyi"))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 12_000))
    try:
        extractor.run(tree)
        facts = extractor.finish(real, public)
        facts.channels = channels = extractor.channel_facts()
        if channels.builds or channels.calls:  # where a parameter may be resolved through its calls
            facts.passings = tuple(extractor.passings)
        return facts
    except RecursionError:  # nested too deeply to follow: a file the model cannot see into
        return ModuleFacts(path=real, module=module, public=public, incomplete=True)
    finally:
        sys.setrecursionlimit(limit)
        vars(extractor).clear()  # its bound methods refer back to it: free it without the collector


_WALK = channel_walker(Extractor)
