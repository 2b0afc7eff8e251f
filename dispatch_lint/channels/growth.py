"""Can an unbounded channel grow? Read from its construction and its uses.

The input, `ChannelUses`, is plain data: the construction, its kind (a row of
the channel table), whether it is bound to variables local to the function that
builds it, and every reference to the channel that was found, each with the
chain of nodes from the module down to it. Whoever finds the references fills it
in (growth_uses.py, from the model's provenance). A reference that
is anything but a method call on the channel, an iteration over it, a `with` on
it or a rebinding (an argument, a return, an alias, a bound method handed out)
lets the channel escape: then nothing here can prove it does not grow.

`cannot_grow(uses)` names the shape of a channel that cannot grow:

- **capped**: every send is guarded by the channel's own size against a cap
  (`if q.qsize() < k:`, `if q.empty():`, the `else` of `if q.qsize() >= k:`, or
  after `if q.qsize() >= k: return`), or is followed in its block by a receive
  (`q.put(x)` then `q.get_nowait()`), or follows a size check that removes an
  item (`if q.qsize() >= k: q.get_nowait()`). `full()` is no guard: on an
  unbounded channel it is always False.
- **one-shot slot**: built per call into a local variable; every send stands
  outside any loop, in that function or in a nested function passed as a
  thread's `target=`; so it holds at most as many items as there are sends.
- **counter or lock**: every send puts a constant (`put(None)`) and is paired
  with a receive around a critical section: one before a `try`, the other in its
  `finally`, or one in `acquire`/`__enter__`/`__aenter__` and the other in
  `release`/`__exit__`/`__aexit__` of the same class.

`code_bounds(uses)` lists the bounds that live in code, which still need the
comment: a high-water check that pauses the producer, a semaphore acquired per
send and released per receive, a finite input (a per-call channel fed only by
`for` loops over something other than a channel).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable, FrozenSet, Iterator, List, Optional, Sequence, Tuple

import libcst as cst

from dispatch_lint.channels.table import ChannelKind, SendEnd

# The receiving and size methods of the table's channels (asyncio, queue,
# multiprocessing, janus views: get/qsize; anyio and trio: receive/statistics).
RECEIVE_METHODS = frozenset({"get", "get_nowait", "receive", "receive_nowait"})
SIZE_METHODS = frozenset({"qsize", "empty", "statistics"})
BUFFER_FIELD = "current_buffer_used"  # anyio/trio `statistics()`
NEUTRAL_ATTRIBUTES = frozenset({"maxsize", "_maxsize", "async_q", "sync_q"})
STORE_ATTRIBUTES = frozenset({"queue", "_queue"})  # the list or deque a queue keeps its items in
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
LOOPS = (cst.For, cst.While, cst.CompFor, *COMPREHENSIONS)
FUNCTIONS = (cst.FunctionDef, cst.Lambda)
EXITS = (cst.Return, cst.Raise, cst.Continue, cst.Break)
# Methods that run once per object: the constructor, and `run` of a thread or process.
ONCE_METHODS = frozenset({"__init__", "__post_init__"})
RUN_ONCE_BASES = frozenset({"threading.Thread", "multiprocessing.Process", "multiprocessing.context.Process"})
PAIRED_METHODS = (("acquire", "release"), ("__enter__", "__exit__"), ("__aenter__", "__aexit__"))
PAUSE_WORDS = frozenset({"pause", "throttle", "wait", "sleep"})  # words of a call's name: `pause_reading`

SEND, RECEIVE, SIZE, NEUTRAL, ESCAPE = "send", "receive", "size", "neutral", "escape"


@dataclass(frozen=True)
class ChannelUse:
    """One reference to the channel: `node` (`self.q`, `tx`), and the nodes from
    the module down to its parent, outermost first."""

    node: cst.CSTNode
    ancestors: Tuple[cst.CSTNode, ...]
    container: bool = False  # `node` holds a collection of such channels, not the channel


@dataclass(frozen=True)
class ChannelUses:
    construction: cst.BaseExpression
    kind: ChannelKind
    construction_ancestors: Tuple[cst.CSTNode, ...]
    local: bool  # bound only to variables local to the function that builds it
    uses: Tuple[ChannelUse, ...]
    line: Callable[[cst.CSTNode], int]  # a node's first line, for messages
    code: Callable[[cst.CSTNode], str]  # a node's source text, for messages
    qualified: Callable[[cst.CSTNode], FrozenSet[str]]  # qualified names of an expression (class bases)

    @cached_property
    def roles(self) -> List[Tuple[str, "ChannelUse"]]:
        """Each use with its role: SEND, RECEIVE, SIZE, NEUTRAL or ESCAPE."""
        sends = send_methods(self.kind)
        return [(role(use, sends), use) for use in self.uses]


@dataclass(frozen=True)
class Shape:
    """Why a channel cannot grow (`kind`: capped, one-shot slot, counter or lock)."""

    kind: str
    detail: str


@dataclass(frozen=True)
class Evidence:
    """A bound that lives in code, with the line it was seen on."""

    what: str
    line: int
    code: str

    def describe(self) -> str:
        return f"{self.what} at line {self.line} (`{self.code}`)"


# -- reading one use -------------------------------------------------------------


def send_methods(kind: ChannelKind) -> frozenset:
    ends: Sequence[SendEnd] = tuple(e for e in (kind.end, *(kind.views or {}).values()) if e is not None)
    return frozenset(name for end in ends for name in (end.send, end.try_send))


def method_call(use: ChannelUse) -> Optional[cst.Call]:
    """`q.put(x)` when `use` is the receiver of a method call."""
    if len(use.ancestors) < 2:
        return None
    attribute, call = use.ancestors[-1], use.ancestors[-2]
    if isinstance(attribute, cst.Attribute) and attribute.value is use.node and isinstance(call, cst.Call) \
            and call.func is attribute:
        return call
    return None


def role(use: ChannelUse, sends: frozenset) -> str:
    if use.container:
        return NEUTRAL if _is_target(use) else ESCAPE
    call = method_call(use)
    parent = use.ancestors[-1] if use.ancestors else None
    if call is not None:
        method = call.func.attr.value  # type: ignore[attr-defined]
        if method in sends:
            return SEND
        if method in RECEIVE_METHODS:
            return RECEIVE
        return SIZE if method in SIZE_METHODS else NEUTRAL
    if isinstance(parent, cst.Attribute) and parent.value is use.node:
        return NEUTRAL if parent.attr.value in NEUTRAL_ATTRIBUTES or _peeks(use) else ESCAPE
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is use.node:
        return RECEIVE
    if isinstance(parent, (cst.WithItem, cst.Comparison, cst.ComparisonTarget, cst.If, cst.While, cst.Del)):
        return NEUTRAL
    if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
        return NEUTRAL
    return NEUTRAL if _is_target(use) else ESCAPE


def _peeks(use: ChannelUse) -> bool:
    """`q.queue[0]`: an item of the underlying store read, not changed."""
    attribute = use.ancestors[-1]
    outer = use.ancestors[-2] if len(use.ancestors) > 1 else None
    holder = use.ancestors[-3] if len(use.ancestors) > 2 else None
    return (isinstance(attribute, cst.Attribute) and attribute.attr.value in STORE_ATTRIBUTES
            and isinstance(outer, cst.Subscript) and outer.value is attribute
            and not (isinstance(holder, (cst.AssignTarget, cst.Del)) or isinstance(holder, cst.Attribute)))


def _is_target(use: ChannelUse) -> bool:
    """`use` is (part of) an assignment target: a rebinding, not a use."""
    child = use.node
    for parent in reversed(use.ancestors):
        if isinstance(parent, (cst.AssignTarget, cst.AnnAssign)) and getattr(parent, "target", None) is child:
            return True
        if not isinstance(parent, (cst.Element, cst.Tuple, cst.List)):
            return False
        child = parent
    return False


def _roles(channel: ChannelUses) -> List[Tuple[str, ChannelUse]]:
    return channel.roles


def _uses(channel: ChannelUses, wanted: str) -> List[ChannelUse]:
    return [use for found, use in _roles(channel) if found == wanted]


# -- cannot grow -------------------------------------------------------------------


def cannot_grow(channel: ChannelUses) -> Optional[Shape]:
    """The shape that keeps the channel from growing, or None when none is proven."""
    roles = _roles(channel)
    sends = [use for found, use in roles if found == SEND]
    if not sends or any(found == ESCAPE for found, _ in roles):
        return None
    for check in (_counter, _capped, _one_shot):
        shape = check(channel, sends)
        if shape is not None:
            return shape
    return None


def _capped(channel: ChannelUses, sends: List[ChannelUse]) -> Optional[Shape]:
    details = []
    for send in sends:
        guard = _size_guard(channel, send) or _drained_after(channel, send)
        if guard is None:
            return None
        details.append(guard)
    return Shape("capped", "; ".join(details))


def _one_shot(channel: ChannelUses, sends: List[ChannelUse]) -> Optional[Shape]:
    builder = _function(channel.construction_ancestors)
    if not channel.local:
        return _per_object(channel, sends)
    if builder is None:
        return None
    for send in sends:
        below = _below(send.ancestors, builder)
        if below is None or any(isinstance(node, LOOPS) for node in below):
            return None
        nested = [node for node in below if isinstance(node, FUNCTIONS)]
        if nested and not all(_thread_target(builder, node, below) for node in nested):
            return None
    lines = ", ".join(str(channel.line(send.node)) for send in sends)
    count = "one send" if len(sends) == 1 else f"{len(sends)} sends"
    return Shape("one-shot slot", f"built per call, {count} outside any loop (line {lines})")


def _per_object(channel: ChannelUses, sends: List[ChannelUse]) -> Optional[Shape]:
    """A slot built per object (in its class body or constructor) whose sends all
    stand outside loops in methods that run once per object."""
    owner = _class(channel.construction_ancestors)
    builder = _function(channel.construction_ancestors)
    if owner is None or (builder is not None and builder.name.value not in ONCE_METHODS):  # type: ignore[attr-defined]
        return None
    for send in sends:
        method = _function(send.ancestors)
        below = _below(send.ancestors, method) if method is not None else None
        if method is None or below is None or _class(send.ancestors) is not owner:
            return None
        if any(isinstance(node, (*LOOPS, *FUNCTIONS, cst.ClassDef)) for node in below):
            return None
        name = method.name.value  # type: ignore[attr-defined]
        if name not in ONCE_METHODS and not (name == "run" and _runs_once(channel, owner)):
            return None
    lines = ", ".join(str(channel.line(send.node)) for send in sends)
    return Shape("one-shot slot", f"built per object, sent to only from methods that run once per object "
                                  f"(line {lines})")


def _runs_once(channel: ChannelUses, owner: cst.ClassDef) -> bool:
    """Whether the class's `run` runs once per object (a thread's or a process's)."""
    return any(channel.qualified(base.value) & RUN_ONCE_BASES for base in owner.bases)


def _counter(channel: ChannelUses, sends: List[ChannelUse]) -> Optional[Shape]:
    receives = _uses(channel, RECEIVE)
    for send in sends:
        call = method_call(send)
        if call is None or len(call.args) != 1 or not _is_constant(call.args[0].value):
            return None
        if not any(_paired(send, receive) for receive in receives):
            return None
    return Shape("counter or lock", "every send puts a constant and is undone by a receive around a critical "
                                    f"section (line {channel.line(sends[0].node)})")


# -- guards ------------------------------------------------------------------------


def _size_guard(channel: ChannelUses, send: ChannelUse) -> Optional[str]:
    """A size check that keeps the channel under a cap where `send` runs: an `if`
    around it, or an early exit before it, with no loop or function in between;
    or a removal right before it."""
    chain = [*send.ancestors, send.node]
    for index in range(len(chain) - 2, -1, -1):
        node, inside = chain[index], chain[index + 1]
        if isinstance(node, (*LOOPS, *FUNCTIONS)):
            break
        if isinstance(node, cst.If) and inside is node.body and _caps(channel, node.test, True):
            return f"guarded by `{channel.code(node.test)}` (line {channel.line(node)})"
        if isinstance(node, cst.If) and inside is node.orelse and _caps(channel, node.test, False):
            return f"guarded by the `else` of `{channel.code(node.test)}` (line {channel.line(node)})"
    for statement in _preceding(send):
        if isinstance(statement, cst.If) and statement.orelse is None and _exits(statement.body) \
                and _caps(channel, statement.test, False):
            return f"after `{channel.code(statement.test)}` leaves (line {channel.line(statement)})"
    return _replaces(channel, send)


def _replaces(channel: ChannelUses, send: ChannelUse) -> Optional[str]:
    """A receive earlier in the send's block with no other send in between (a
    replacement), unconditional or under a size check over a cap."""
    sends = _uses(channel, SEND)
    for body, index in _statement_in_block(send.ancestors, send.node):
        for before in reversed(body[:index]):
            if any(before in other.ancestors for other in sends):
                return None
            if isinstance(before, cst.If) and _removes(channel, before.body) and _over_cap(channel, before.test):
                return f"after `{channel.code(before.test)}` removes an item (line {channel.line(before)})"
            if isinstance(before, cst.SimpleStatementLine) and _removes(channel, before):
                return f"after a receive (line {channel.line(before)})"
        return None
    return None


def _drained_after(channel: ChannelUses, send: ChannelUse) -> Optional[str]:
    """The statement right after the send receives: unconditionally, in a
    `finally`, or under a size check over a cap."""
    statement = _adjacent(send, 1)
    if isinstance(statement, cst.SimpleStatementLine) and _removes(channel, statement):
        return f"followed by a receive (line {channel.line(statement)})"
    if isinstance(statement, cst.Try) and statement.finalbody is not None \
            and _removes(channel, statement.finalbody):
        return f"followed by a receive in `finally` (line {channel.line(statement.finalbody)})"
    if isinstance(statement, (cst.If, cst.While)) and _over_cap(channel, statement.test) \
            and _removes(channel, statement.body):
        return f"followed by `{channel.code(statement.test)}` removing an item (line {channel.line(statement)})"
    return None


def _caps(channel: ChannelUses, test: cst.BaseExpression, when: bool) -> bool:
    """Whether `test` evaluating to `when` means the channel is under a cap."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _caps(channel, test.expression, not when)
    if isinstance(test, cst.BooleanOperation):
        parts = (_caps(channel, test.left, when), _caps(channel, test.right, when))
        conjunction = isinstance(test.operator, cst.And) == when  # `a and b` true, `a or b` false
        return any(parts) if conjunction else all(parts)
    if isinstance(test, cst.Call) and _size_call(channel, test) == "empty":
        return when
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        direction = _size_direction(channel, test)
        if direction is None:
            return False
        return direction in ("below", "equal") if when else direction == "above"
    return False


def _over_cap(channel: ChannelUses, test: cst.BaseExpression) -> bool:
    return isinstance(test, cst.Comparison) and len(test.comparisons) == 1 \
        and _size_direction(channel, test) in ("above", "equal")


def _size_direction(channel: ChannelUses, test: cst.Comparison) -> Optional[str]:
    """`size < x` is "below", `size >= x` "above", `size == x` "equal" (either side)."""
    target = test.comparisons[0]
    operator = type(target.operator)
    if _is_size(channel, test.left):
        flipped = False
    elif _is_size(channel, target.comparator):
        flipped = True
    else:
        return None
    if operator is cst.Equal:
        return "equal"
    below = operator in (cst.LessThan, cst.LessThanEqual)
    above = operator in (cst.GreaterThan, cst.GreaterThanEqual)
    if not (below or above):
        return None
    return ("above" if below else "below") if flipped else ("below" if below else "above")


def _is_size(channel: ChannelUses, node: cst.BaseExpression) -> bool:
    """`q.qsize()`, `len(q)`-free: `tx.statistics().current_buffer_used`."""
    if isinstance(node, cst.Attribute) and node.attr.value == BUFFER_FIELD and isinstance(node.value, cst.Call):
        return _size_call(channel, node.value) == "statistics"
    return isinstance(node, cst.Call) and _size_call(channel, node) == "qsize"


def _size_call(channel: ChannelUses, call: cst.Call) -> Optional[str]:
    for use in _uses(channel, SIZE):
        if method_call(use) is call:
            return call.func.attr.value  # type: ignore[attr-defined]
    return None


def _removes(channel: ChannelUses, node: cst.CSTNode) -> bool:
    """Whether a receive on the channel stands inside `node`."""
    return any(node in use.ancestors for use in _uses(channel, RECEIVE))


def _exits(body: cst.BaseSuite) -> bool:
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    last = statements[-1] if statements else None
    small = last.body if isinstance(last, cst.SimpleStatementLine) else [last]
    return bool(small) and isinstance(small[-1], EXITS)


# -- blocks and functions ----------------------------------------------------------


def _statement_in_block(ancestors: Sequence[cst.CSTNode], node: cst.CSTNode
                        ) -> Iterator[Tuple[Sequence[cst.CSTNode], int]]:
    """For each block around `node` (innermost first, up to the nearest loop or
    function): its statements and the index of the one holding `node`."""
    chain = [*ancestors, node]
    for index in range(len(chain) - 2, -1, -1):
        block = chain[index]
        if isinstance(block, (*FUNCTIONS, *LOOPS)):
            return
        if isinstance(block, (cst.IndentedBlock, cst.Module)):
            statement = chain[index + 1]
            body = list(block.body)
            if statement in body:
                yield body, body.index(statement)


def _preceding(use: ChannelUse) -> Iterator[cst.CSTNode]:
    for body, index in _statement_in_block(use.ancestors, use.node):
        yield from reversed(body[:index])


def _following(use: ChannelUse) -> Iterator[cst.CSTNode]:
    """The statements after the use's own, in its innermost block."""
    for body, index in _statement_in_block(use.ancestors, use.node):
        yield from body[index + 1:]
        return


def _adjacent(use: ChannelUse, step: int) -> Optional[cst.CSTNode]:
    """The statement just before (`step` -1) or after (1) the use's own, in its block."""
    for body, index in _statement_in_block(use.ancestors, use.node):
        return body[index + step] if 0 <= index + step < len(body) else None
    return None


def _function(ancestors: Sequence[cst.CSTNode]) -> Optional[cst.CSTNode]:
    for node in reversed(ancestors):
        if isinstance(node, cst.FunctionDef):
            return node
    return None


def _below(ancestors: Sequence[cst.CSTNode], node: cst.CSTNode) -> Optional[Sequence[cst.CSTNode]]:
    """The ancestors under `node`, or None when `node` is not among them."""
    for index, ancestor in enumerate(ancestors):
        if ancestor is node:
            return ancestors[index + 1:]
    return None


def _thread_target(builder: cst.CSTNode, function: cst.CSTNode, below: Sequence[cst.CSTNode]) -> bool:
    """A lambda given as `target=`, or a nested def that `builder` uses only as a
    `target=` argument (a thread runs its target once)."""
    if isinstance(function, cst.Lambda):
        index = list(below).index(function)
        parent = below[index - 1] if index else None
        return isinstance(parent, cst.Arg) and parent.keyword is not None and parent.keyword.value == "target"
    return isinstance(function, cst.FunctionDef) and _only_targets(builder, function.name.value)


def _only_targets(root: cst.CSTNode, name: str) -> bool:
    """Whether `name` is used under `root` only as `target=name` outside any loop
    (besides its def), at least once."""
    names: List[cst.Name] = []
    targets: List[cst.Name] = []
    loops = [0]

    class Visitor(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            if node.value == name:
                names.append(node)

        def visit_Arg(self, node: cst.Arg) -> None:
            if node.keyword is not None and node.keyword.value == "target" and isinstance(node.value, cst.Name) \
                    and node.value.value == name and not loops[0]:
                targets.append(node.value)

        def visit_For(self, node: cst.For) -> None:
            loops[0] += 1

        def leave_For(self, original_node: cst.For) -> None:
            loops[0] -= 1

        def visit_While(self, node: cst.While) -> None:
            loops[0] += 1

        def leave_While(self, original_node: cst.While) -> None:
            loops[0] -= 1

        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, COMPREHENSIONS):
                loops[0] += 1
            return super().on_visit(node)

        def on_leave(self, original_node: cst.CSTNode) -> None:
            if isinstance(original_node, COMPREHENSIONS):
                loops[0] -= 1
            super().on_leave(original_node)

    root.visit(Visitor())
    return bool(targets) and len(names) == len(targets) + 1  # + the def's own name


def _paired(send: ChannelUse, receive: ChannelUse) -> bool:
    """A send and a receive around a critical section: one before a `try`
    (or in its body), the other in its `finally`; or one in acquire/__enter__
    and the other in release/__exit__ of the same class."""
    for first, second in ((send, receive), (receive, send)):
        for index, node in enumerate(second.ancestors):
            if isinstance(node, cst.Try) and node.finalbody is not None and node.finalbody in second.ancestors:
                if node in first.ancestors or any(s is node for s in _following(first)):
                    return True
    one, other = _function(send.ancestors), _function(receive.ancestors)
    if not isinstance(one, cst.FunctionDef) or not isinstance(other, cst.FunctionDef):
        return False
    names = {one.name.value, other.name.value}
    same_class = _class(send.ancestors) is not None and _class(send.ancestors) is _class(receive.ancestors)
    return same_class and any(names == set(pair) for pair in PAIRED_METHODS)


def _class(ancestors: Sequence[cst.CSTNode]) -> Optional[cst.ClassDef]:
    for node in reversed(ancestors):
        if isinstance(node, cst.ClassDef):
            return node
    return None


def _is_constant(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value in ("None", "True", "False")
    return isinstance(node, (cst.Integer, cst.Float, cst.SimpleString))


# -- bounds in code ----------------------------------------------------------------


def code_bounds(channel: ChannelUses) -> List[Evidence]:
    """Bounds the code keeps that a reader should still be told about."""
    found: List[Evidence] = []
    found.extend(_high_water(channel) or _paused_after(channel))
    found.extend(_semaphore(channel))
    found.extend(_finite_input(channel))
    return found


def _paused_after(channel: ChannelUses) -> List[Evidence]:
    """The producer paused right after a send (`transport.pause_reading()`)."""
    for send in _uses(channel, SEND):
        for body, index in _statement_in_block(send.ancestors, send.node):
            for statement in body[index + 1:index + 4]:
                call = _pause_call(statement)
                if call is not None:
                    return [Evidence("the producer paused after the send", channel.line(call), channel.code(call))]
    return []


def _high_water(channel: ChannelUses) -> List[Evidence]:
    return list(_high_water_checks(channel))


def _high_water_checks(channel: ChannelUses) -> Iterator[Evidence]:
    seen = set()
    for use in _uses(channel, SIZE):
        for node in reversed(use.ancestors):
            if isinstance(node, (cst.If, cst.While)) and id(node) not in seen and _over_cap(channel, node.test) \
                    and _pause_call(node.body) is not None:
                seen.add(id(node))
                yield Evidence("a high-water check pausing the producer", channel.line(node),
                               channel.code(node.test))
                break


def _pause_call(node: cst.CSTNode) -> Optional[cst.Call]:
    """A call under `node` whose name says it pauses or waits (`pause_reading()`, `wait()`)."""
    found: List[cst.Call] = []

    class Visitor(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            func = call.func
            name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
            if not found and isinstance(name, str) and PAUSE_WORDS & set(name.lower().split("_")):
                found.append(call)

    node.visit(Visitor())
    return found[0] if found else None


def _semaphore(channel: ChannelUses) -> Iterator[Evidence]:
    """A semaphore acquired before every send and released after some receive."""
    sends, receives = _uses(channel, SEND), _uses(channel, RECEIVE)
    acquired = [_call_nearby(_preceding(send), "acquire") for send in sends]
    if not sends or any(name is None for name in acquired):
        return
    names = {name for name, _ in acquired}  # type: ignore[misc]
    if len(names) != 1:
        return
    for receive in receives:
        released = _call_nearby(_following(receive), "release")
        if released is not None and released[0] in names:
            yield Evidence(f"a semaphore `{released[0]}` acquired per send and released per receive",
                           channel.line(acquired[0][1]), f"{released[0]}.acquire()")  # type: ignore[index]
            return


def _call_nearby(statements: Iterator[cst.CSTNode], method: str) -> Optional[Tuple[str, cst.CSTNode]]:
    """`(receiver text, statement)` of the first `x.<method>()` among a few statements."""
    for count, statement in enumerate(statements):
        if count >= 3:
            return None
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                value = small.value if isinstance(small, cst.Expr) else None
                value = value.expression if isinstance(value, cst.Await) else value
                if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                        and value.func.attr.value == method:
                    return cst.Module([]).code_for_node(value.func.value), statement
    return None


def _finite_input(channel: ChannelUses) -> Iterator[Evidence]:
    builder = _function(channel.construction_ancestors)
    sends = _uses(channel, SEND)
    if builder is None or not channel.local or not sends:
        return
    loops: List[cst.For] = []
    for send in sends:
        below = _below(send.ancestors, builder)
        if below is None or any(isinstance(node, (cst.While, cst.Lambda, cst.FunctionDef)) for node in below):
            return
        for node in below:
            if isinstance(node, (cst.For, cst.CompFor)):
                if node.asynchronous is not None or _iterates_channel(channel, node):
                    return
                if isinstance(node, cst.For) and node not in loops:
                    loops.append(node)
    for loop in loops[:1]:
        yield Evidence("a finite input: it is fed here by the `for` loop", channel.line(loop),
                       f"for {channel.code(loop.target)} in {channel.code(loop.iter)}")


def _iterates_channel(channel: ChannelUses, loop: cst.CSTNode) -> bool:
    return any(use.ancestors and use.ancestors[-1] is loop for use in channel.uses)
