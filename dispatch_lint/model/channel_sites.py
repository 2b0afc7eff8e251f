"""The channel facts of one file, gathered in the model's own walk.

`ChannelSites` is a mixin over the model's `Extractor`: while the walk goes, it
notes, with the walk's scope ids and as symbolic expressions (`expr.Expr`):

- every call that may build a channel (its last name part is a constructor of
  the channel table), with its capacity arguments, the names it is bound to,
  its class, and whether the `# dispatch-lint: actor-inbox` marker is on its
  statement;
- every call of a channel method (send, try-send, receive) on a receiver, with
  whether it is awaited, inside an `async def`, inside a loop, and whether the
  receiver is the method's own `self`;
- `async for` loops (a receive end drained in a loop);
- field factories (`field(default_factory=lambda: Queue(8))`);
- in files that build a channel, the calls by name (a channel or a size handed
  to a constructor or function: the parameter's value joins what its call
  sites pass, a call passing nothing takes the defaults), and the
  names and attributes read whose last part is a name a construction is bound
  to (where DSP301 looks for the channel's uses).

Which call builds which channel, and what a receiver holds, is decided later,
when the project is joined (channels/provenance.py).
"""

from __future__ import annotations

import ast
import re
from types import MethodType
from typing import Any, Dict, List, Optional, Set, Tuple

from dispatch_lint.channels.table import (
    CHANNEL_KINDS,
    FACTORY_KEYWORD_NAMES,
    VIEW_NAMES,
    screen_words,
)
from dispatch_lint.model.capacity_flow import Flow
from dispatch_lint.model.channel_facts import (
    CALLEE,
    Build,
    CapacityPath,
    ChannelFacts,
    Factory,
    MethodCall,
    Passing,
    Reference,
)
from dispatch_lint.model.expr import BUILD_WORDS, UNKNOWN_EXPR, called_word, convert
from dispatch_lint.model.facts import AWAIT, Expr
from dispatch_lint.text import follows_word_character

MARKER = re.compile(r"#\s*dispatch-lint:\s*actor-inbox\b")
_SCREEN_WORDS = screen_words(BUILD_WORDS)  # a text without one of them names no constructor
SEND_WORDS = frozenset(m for kind in CHANNEL_KINDS for end in kind.all_sends() for m in (end.send, end.try_send))
RECEIVE_WORDS = frozenset(m for kind in CHANNEL_KINDS for m in kind.receives)
METHOD_WORDS = SEND_WORDS | RECEIVE_WORDS
# Text that may call a channel method (a pattern that starts with a literal,
# which the regex engine scans for quickly).
METHOD_TEXT = re.compile(r"\.[\s\\]*(?:" + "|".join(sorted(METHOD_WORDS)) + r")\b")
_ASYNC_FOR_TEXT = re.compile(r"async\s+for\b")
ASYNC_FOR = "__aiter__"
FLOWING = (ast.Name, ast.BoolOp, ast.IfExp, ast.Call)  # arguments whose value may depend on the path
MAX_ARGS = 6
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Pow: "**", ast.FloorDiv: "//"}


def capacity_expr(node: Optional[ast.AST], comps: Any = None, depth: int = 0) -> Expr:
    """What `convert` gives, plus arithmetic and `x or y`, for reading capacities."""
    if node is None or depth > 8:
        return UNKNOWN_EXPR
    kind = type(node)
    if kind is ast.BinOp and type(node.op) in _OPERATORS:
        return ("op", _OPERATORS[type(node.op)], capacity_expr(node.left, comps, depth + 1),
                capacity_expr(node.right, comps, depth + 1))
    if kind is ast.BoolOp and type(node.op) is ast.Or:
        return ("or", tuple(capacity_expr(v, comps, depth + 1) for v in node.values[:4]))
    if kind is ast.UnaryOp and type(node.op) in (ast.USub, ast.UAdd):
        inner = capacity_expr(node.operand, comps, depth + 1)
        return ("op", "-", ("k", 0), inner) if type(node.op) is ast.USub else inner
    return convert(node, comps)


def channel_holder(receiver: ast.AST) -> ast.AST:
    """The attribute a channel end is kept in: `self.pair` for `self.pair[0]`,
    `self.q` for the janus view `self.q.async_q`."""
    while True:
        if type(receiver) is ast.Subscript and type(receiver.slice) is ast.Constant:
            receiver = receiver.value
        elif type(receiver) is ast.Attribute and receiver.attr in VIEW_NAMES:
            receiver = receiver.value
        else:
            return receiver


def _target_names(target: ast.AST) -> List[str]:
    if type(target) is ast.Name:
        return [target.id]
    if type(target) is ast.Attribute:  # as written: `self.inbox`
        inner = _target_names(target.value) if type(target.value) in (ast.Name, ast.Attribute) else []
        return [f"{inner[0]}.{target.attr}" if inner else target.attr]
    if type(target) in (ast.Tuple, ast.List):
        return [n for element in target.elts for n in _target_names(element)]
    if type(target) is ast.Subscript:  # `self.inboxes[key] = Queue()`: one of `self.inboxes`
        return _target_names(target.value)
    return []


_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _leaves(body: List[ast.stmt]) -> bool:
    """Whether every path through `body` leaves it by `return`, `raise` or
    `break` (a `continue` anywhere in it, outside inner loops, repeats)."""
    if not body:
        return False
    last = body[-1]
    kind = type(last)
    if kind in (ast.Return, ast.Raise, ast.Break):
        return True
    if kind is ast.If:
        return _leaves(last.body) and _leaves(last.orelse)
    if kind in (ast.With, ast.AsyncWith):
        return _leaves(last.body)
    return False


def repeats(loop: Any) -> bool:
    """Whether a loop's body can run more than once: not when every path
    through it leaves (`while True: item = await q.get(); return item` is one
    receive, such as an async iterator's `__anext__`, not a drain)."""
    if not _leaves(loop.body):
        return True
    pending: List[ast.AST] = list(loop.body)
    while pending:
        node = pending.pop()
        kind = type(node)
        if kind is ast.Continue:
            return True
        if kind in _LOOPS:
            pending.extend(node.orelse)  # type: ignore[attr-defined]
        elif kind not in _SCOPES:
            pending.extend(ast.iter_child_nodes(node))
    return False


def _names_constructor(node: ast.AST, words: Any) -> bool:
    return any((type(n) is ast.Name and n.id in words) or (type(n) is ast.Attribute and n.attr in words)
               for n in ast.walk(node))


def _may_call_method(text: str) -> bool:
    """Whether `text` may call a channel method or drain with `async for`."""
    if METHOD_TEXT.search(text):
        return True
    return any(not follows_word_character(text, m.start()) for m in _ASYNC_FOR_TEXT.finditer(text))


class ChannelSites:
    """Mixin over `model.extract.Extractor` (see the module docstring)."""

    def __init__(self, text: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(text, *args, **kwargs)
        self.channel_text = any(word in text for word in _SCREEN_WORDS)
        self.marked_text = MARKER.search(text) is not None
        self.text_lines: Optional[List[str]] = None
        self.builds: List[Build] = []
        self.method_calls: List[MethodCall] = []
        self.factories: List[Factory] = []
        self.passings: List[Passing] = []
        self.loops: Dict[int, int] = {}  # scope -> loop bodies open in it
        self.bound_to: Dict[int, Tuple[str, ...]] = {}  # id(value node) -> target names
        self.statement: List[ast.stmt] = []
        self.build_aliases: set = set()  # `from asyncio import Queue as Q`, `Q = asyncio.Queue`
        self.reads: List[Tuple[int, ast.AST]] = []  # (scope, Name or Attribute read)
        # Calls of a parameter of the enclosing function: (call, scope, definition, (class, names, marked)).
        self.parameter_calls: List[Tuple[ast.Call, int, int, Any]] = []
        self.looped_methods: Set[Tuple[int, str]] = set()  # (class, method): `self.method(...)` in a loop
        self.flow: Optional[Flow] = None
        self.flowing: List[Tuple[int, ast.Call]] = []  # (build number, call): arguments that may flow
        # The walk dispatches by node type: the channel visitors come first for
        # the types they note, and only where the text can hold a fact (the walk
        # stays as fast elsewhere).
        self.hooks: Dict[type, Any] = {}
        if self.channel_text:
            self.hooks.update({ast.ImportFrom: self._import_from, ast.Expr: self._expr,
                               ast.Assign: self._assign, ast.AnnAssign: self._ann_assign,
                               ast.Name: self._read, ast.Attribute: self._read})
        if self.channel_text or _may_call_method(text):
            self.hooks.update({ast.Call: self._call, ast.While: self._while, ast.For: self._for,
                               ast.AsyncFor: self._for})
        if self.hooks:
            self.visit = self._visit

    def _visit(self, node: ast.AST) -> None:
        """Dispatch to the hook of the node's type, else to the walker's own
        method (bound once per type, into the same table)."""
        kind = node.__class__
        method = self.hooks.get(kind)
        if method is None:
            method = self.hooks[kind] = MethodType(self.method_for(kind), self)
        method(node)

    def _read(self, node: Any) -> None:
        """Note a read, and the attribute chain below it (the walk skips `a.b` in `a.b.c`)."""
        if type(node.ctx) is ast.Load:
            self._chain(node)
        super().visit(node)

    def _chain(self, node: ast.AST) -> None:
        scope = self.frames[-1].scope
        while type(node) is ast.Attribute:
            self.reads.append((scope, node))
            node = node.value  # type: ignore[attr-defined]
        if type(node) is ast.Name:
            self.reads.append((scope, node))

    def _import_from(self, node: ast.ImportFrom) -> None:
        self.build_aliases.update(a.asname for a in node.names if a.asname and a.name in BUILD_WORDS)
        super().visit_ImportFrom(node)

    # -- statements that name what they build, loops --------------------------------

    def _assign(self, node: ast.Assign) -> None:
        if type(node.value) in (ast.Name, ast.Attribute) and self._builds(node.value):
            self.build_aliases.update(t.id for t in node.targets if type(t) is ast.Name)
        self._naming(node.value, [n for t in node.targets for n in _target_names(t)])
        self.statement.append(node)
        super().visit_Assign(node)
        self.statement.pop()

    def _ann_assign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._naming(node.value, _target_names(node.target))
        self.statement.append(node)
        super().visit_AnnAssign(node)
        self.statement.pop()

    def _expr(self, node: ast.Expr) -> None:
        self.statement.append(node)
        super().visit(node)
        self.statement.pop()

    def _naming(self, value: ast.AST, names: List[str]) -> None:
        if not names:
            return
        inner = [value]
        if type(value) in (ast.Tuple, ast.List):  # `a, b = Queue(1), Queue(2)`
            targets = names if len(names) == len(value.elts) else []
            for element, name in zip(value.elts, targets):
                self.bound_to[id(element)] = (name,)
            return
        while inner:
            node = inner.pop()
            self.bound_to[id(node)] = tuple(names)
            if type(node) is ast.Call:  # a factory: field(default_factory=lambda: Queue())
                inner.extend(k.value for k in node.keywords if k.arg in FACTORY_KEYWORD_NAMES)
            elif type(node) is ast.Lambda:
                inner.append(node.body)
            elif type(node) in (ast.ListComp, ast.SetComp, ast.GeneratorExp):
                inner.append(node.elt)
            elif type(node) is ast.DictComp:
                inner.append(node.value)

    def _while(self, node: ast.While) -> None:
        self._in_loop(super().visit_While, node)

    def _for(self, node: Any) -> None:
        if type(node) is ast.AsyncFor:
            self._method_call(node.iter, ASYNC_FOR, node, awaited=True, in_loop=repeats(node))
        self._in_loop(super().visit_For, node)

    def _in_loop(self, visit: Any, node: Any) -> None:
        if not repeats(node):
            visit(node)
            return
        scope = self.frames[-1].scope
        self.loops[scope] = self.loops.get(scope, 0) + 1
        try:
            visit(node)
        finally:
            self.loops[scope] -= 1

    # -- calls ---------------------------------------------------------------------------

    def _call(self, node: ast.Call) -> None:
        func = node.func
        looping = self._looping()
        if type(func) is ast.Attribute and func.attr in METHOD_WORDS:
            # A receive only matters in a loop (a drain), or in a method its class calls in one.
            if looping or func.attr in SEND_WORDS or self._own(func.value):
                awaited = self.context.get(id(node)) == AWAIT
                self._method_call(func.value, func.attr, node, awaited, looping, node)
        if looping and type(func) is ast.Attribute and type(func.value) is ast.Name:
            frame = self.frames[-1]
            if frame.cls >= 0 and func.value.id == frame.first_param:
                self.looped_methods.add((frame.cls, func.attr))
        if self.channel_text:
            if type(func) is ast.Attribute:  # the walk visits only the receiver's base
                self._chain(func)
            elif type(func) is ast.Name:
                self._parameter_call(node, func.id)
            if self._builds(func):
                self._build(node)
            if type(func) in (ast.Name, ast.Attribute):  # a call passing nothing takes the defaults
                self._passing(node)
            if node.keywords and any(k.arg in FACTORY_KEYWORD_NAMES for k in node.keywords):
                self._factory_call(node)
        super().visit_Call(node)

    def _parameter_call(self, node: ast.Call, name: str) -> None:
        """Note a call of a parameter of the enclosing function: it may call a
        constructor passed in (`queue_class=asyncio.Queue`), read in `channel_facts`."""
        frame = self.frames[-1]
        if frame.definition < 0 or self.scopes[frame.scope].kind != "function":
            return
        args = self.defs[frame.definition][0].args
        every = [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]
        if any(a is not None and a.arg == name for a in every):
            site = (frame.cls, self.bound_to.get(id(node), ()), self._marked(node))
            self.parameter_calls.append((node, frame.scope, frame.definition, site))

    def _builds(self, func: ast.AST) -> bool:
        """Whether calling `func` may build a channel (by the name it is called by)."""
        word = called_word(func)
        return word in BUILD_WORDS or word in self.build_aliases

    def _looping(self) -> bool:
        return self.loops.get(self.frames[-1].scope, 0) > 0

    def _build(self, node: ast.Call) -> None:
        if any(type(a) in FLOWING for a in node.args) or any(type(k.value) in FLOWING for k in node.keywords):
            self.flowing.append((len(self.builds), node))
        self.builds.append(self._build_record(node, self.frames[-1].scope, convert(node, self.comps), node.args,
                                              node.keywords))

    def _build_record(self, node: ast.expr, scope: int, expr: Expr, args: Any, keywords: Any = (),
                      site: Optional[Tuple[int, Tuple[str, ...], bool]] = None) -> Build:
        """`site`: (class, names, marked) when noted earlier in the walk."""
        cls, names, marked = site or (self.frames[-1].cls, self.bound_to.get(id(node), ()), self._marked(node))
        positions = self.positions
        end_line = node.end_lineno or node.lineno
        return Build(
            scope=scope, expr=expr, line=node.lineno, column=positions.column(node.lineno, node.col_offset),
            end_line=end_line, end_column=positions.column(end_line, node.end_col_offset or 0),
            args=tuple(capacity_expr(a) for a in args[:MAX_ARGS] if type(a) is not ast.Starred),
            keywords=tuple((k.arg, capacity_expr(k.value)) for k in keywords if k.arg),
            starred=any(type(a) is ast.Starred for a in args) or any(k.arg is None for k in keywords),
            names=names, cls=cls, marked=marked,
        )

    def _marked(self, node: ast.AST) -> bool:
        if not self.marked_text:
            return False
        if self.text_lines is None:
            self.text_lines = self.positions.text.splitlines()
        statement = self.statement[-1] if self.statement else node
        first, last = statement.lineno, max(statement.end_lineno or 0, node.end_lineno or node.lineno)
        return any(MARKER.search(self.text_lines[n - 1]) for n in range(first, min(last, len(self.text_lines)) + 1))

    def _method_call(self, receiver: ast.AST, method: str, node: Any, awaited: bool, in_loop: bool,
                     call: Optional[ast.Call] = None) -> None:
        frame = self.frames[-1]
        own = self._own(receiver)
        self.method_calls.append(MethodCall(
            scope=frame.scope, receiver=convert(receiver, self.comps), method=method,
            awaited=awaited, in_async=self._in_async(), in_loop=in_loop, own=own, cls=frame.cls,
            line=node.lineno, column=self.positions.column(node.lineno, node.col_offset),
            keywords=tuple((k.arg, convert(k.value)) for k in call.keywords if k.arg) if call else (),
            positional=tuple(convert(a) for a in call.args[:MAX_ARGS]) if call else (),
        ))

    def _own(self, receiver: ast.AST) -> bool:
        """Whether `receiver` is an attribute of the enclosing method's own object."""
        frame = self.frames[-1]
        held = channel_holder(receiver)
        return (frame.cls >= 0 and bool(frame.first_param) and type(held) is ast.Attribute
                and type(held.value) is ast.Name and held.value.id == frame.first_param)

    def _drain_calls(self) -> Tuple[MethodCall, ...]:
        """The method calls, a receive in a method that its class calls in a loop
        (`while True: frame = await self._get_frame()`) counted as made in one;
        receives made elsewhere outside a loop dropped."""
        kept = []
        for call in self.method_calls:
            if not call.in_loop and call.method not in SEND_WORDS:
                scope = self.scopes[call.scope]
                if not (call.own and (call.cls, scope.name) in self.looped_methods):
                    continue
                call = call._replace(in_loop=True)
            kept.append(call)
        return tuple(kept)

    def _in_async(self) -> bool:
        """Whether the nearest enclosing function (lambdas count) is an `async def`."""
        for frame in reversed(self.frames):
            kind = self.scopes[frame.scope].kind
            if kind == "comprehension":
                continue
            if kind == "lambda":
                return False
            if kind == "function":
                return type(self.defs[frame.definition][0]) is ast.AsyncFunctionDef
            return False
        return False

    def _passing(self, node: ast.Call) -> None:
        self.passings.append(Passing(
            scope=self.frames[-1].scope, func=convert(node.func),
            args=tuple(capacity_expr(a, self.comps) for a in node.args[:MAX_ARGS]),
            keywords=tuple((k.arg, capacity_expr(k.value, self.comps)) for k in node.keywords
                           if k.arg),
        ))

    def _factory_call(self, node: ast.Call) -> None:
        """`field(default_factory=F)`: remember what calling F builds, once the
        lambda's scope exists (after the walk enters it), in `finish_channels`."""
        for keyword in node.keywords:
            if keyword.arg in FACTORY_KEYWORD_NAMES:
                factory = keyword.value
                self._pending_factories.append((self.frames[-1].scope, convert(node, self.comps), factory))

    @property
    def _pending_factories(self) -> List[Tuple[int, Expr, ast.AST]]:
        pending = self.__dict__.get("_pending")
        if pending is None:
            pending = self.__dict__["_pending"] = []
        return pending

    def channel_facts(self) -> ChannelFacts:
        """The facts noted, once the walk is over."""
        lambdas = {}
        for number, scope in enumerate(self.scopes):
            if scope.kind == "lambda":
                lambdas.setdefault(scope.line, number)
        for scope, expr, factory in self._pending_factories:
            if type(factory) is ast.Lambda and not factory.args.args:
                built_scope = lambdas.get(factory.lineno, -1)
                self.factories.append(Factory(scope, expr, convert(factory.body), built_scope))
            elif type(factory) in (ast.Name, ast.Attribute, ast.Subscript) and self._builds(factory):
                built = ("c", convert(factory), (), ())
                self.factories.append(Factory(scope, expr, built, scope))
                self.builds.append(self._build_record(factory, scope, built, ()))
        self._read_flows()
        return ChannelFacts(tuple(self.builds), self._drain_calls(), tuple(self.factories),
                            self._references(), self._parameter_builds())

    def _flow(self) -> Flow:
        functions = {entry[1]: (entry[0], entry[3]) for entry in self.defs}
        local = {(b.scope, b.name) for b in self.bindings}
        imports = {(b.scope, b.name): b.value[1] for b in self.bindings if b.kind == "import"}
        return Flow(self.positions.text, functions, local, imports)

    def _read_flows(self) -> None:
        """The paths of the arguments of the constructions (model/capacity_flow.py)."""
        if not self.flowing:
            return
        self.flow = self.flow or self._flow()
        for number, node in self.flowing:
            build = self.builds[number]
            flows = self._argument_flows(self.flow, build.scope, node)
            if flows:
                self.builds[number] = build._replace(flows=flows)

    def _argument_flows(self, flow: Flow, scope: int, node: ast.Call) -> Tuple[Tuple[Any, Any], ...]:
        found = []
        arguments = [a for a in node.args[:MAX_ARGS] if type(a) is not ast.Starred]
        keyed = [*enumerate(arguments), *((k.arg, k.value) for k in node.keywords if k.arg)]
        for key, argument in keyed:
            if type(argument) in FLOWING:
                leaves = flow.paths(argument, scope)
                if leaves != [(argument, scope, ())]:
                    found.append((key, tuple(CapacityPath(s, capacity_expr(n, self.comps) if n is not None
                                                          else UNKNOWN_EXPR, c) for n, s, c in leaves)))
        return tuple(found)

    def _parameter_builds(self) -> Tuple[Build, ...]:
        """The calls of a parameter that a constructor may reach (by the name it
        is given: `queue_class=asyncio.Queue`), with the paths it reaches them on.
        Only functions whose text names a constructor are followed."""
        words = BUILD_WORDS | self.build_aliases
        naming: Dict[int, bool] = {}
        found = []
        for node, scope, definition, site in self.parameter_calls:
            if definition not in naming:
                naming[definition] = self._text_names(self.defs[definition][0], words)
            if not naming[definition]:
                continue
            self.flow = self.flow or self._flow()
            factories = tuple(CapacityPath(s, convert(n), c) for n, s, c in self.flow.paths(node.func, scope)
                              if type(n) in (ast.Name, ast.Attribute, ast.Subscript) and _names_constructor(n, words))
            if factories:
                flows = ((CALLEE, factories), *self._argument_flows(self.flow, scope, node))
                found.append(self._build_record(node, scope, convert(node, self.comps), node.args, node.keywords,
                                                site)._replace(flows=flows))
        return tuple(found)

    def _text_names(self, function: Any, words: Any) -> bool:
        """Whether the text of `function` (its header and body) holds one of `words`."""
        lines = [self.positions.line_text(n) for n in range(function.lineno, (function.end_lineno or 0) + 1)]
        text = "\n".join(lines)
        return any(word in text for word in words)

    def _references(self) -> Tuple[Reference, ...]:
        """The reads whose last part is a name a construction of the file is bound to."""
        names = {name.rsplit(".", 1)[-1] for build in self.builds for name in build.names}
        found = []
        column = self.positions.column
        seen = set()
        for scope, node in self.reads:
            if id(node) in seen:
                continue
            seen.add(id(node))
            if (node.id if type(node) is ast.Name else node.attr) not in names:  # type: ignore[attr-defined]
                continue
            end_line = node.end_lineno or node.lineno
            found.append(Reference(scope, convert(node, self.comps), node.lineno,
                                   column(node.lineno, node.col_offset), end_line,
                                   column(end_line, node.end_col_offset or 0)))
        return tuple(found)


def channel_walker(extractor: type) -> type:
    """The model's walker class with the channel facts noted as it goes."""
    return type("ChannelWalk", (ChannelSites, extractor), {})
