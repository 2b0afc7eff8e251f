"""The one walk over a file's `ast` tree that collects its index facts.

Statements and expressions go through one loop over a stack, dispatching on
the node's type; classes recurse, function bodies switch the context with
records on the stack. The order of visits is fixed (it decides which reference
to a name is the first, whose position is kept): a node before its children,
a statement's children in source order, an expression's in reverse.
"""

from __future__ import annotations

import ast
from typing import Any, List, Optional

from dispatch_lint.engine.ast_walk import (
    AWAITING,
    CLAUSES,
    PUSH_PLANS,
    children,
    dotted,
    is_async_mock,
    mocked_names,
    uses_async_mock,
)
from dispatch_lint.engine.facts_data import CALL, LOOP_CALLS, LOOP_METHODS, SPAWN, SPAWNERS, VALUE
from dispatch_lint.engine.facts_state import FactsState

_LOOP_CALL_TAILS = frozenset(name.rpartition(".")[2] for name in LOOP_CALLS)
BRANCHES = frozenset({ast.If, ast.Try, *([ast.TryStar] if hasattr(ast, "TryStar") else [])})
# Nodes with a meaning of their own besides their children (see `mark`).
_MARKING = frozenset({ast.AsyncFor, ast.AsyncWith, ast.comprehension, *AWAITING, *BRANCHES})
# The rest of the nodes (but lambdas): their children, pushed as PUSH_PLANS says.
_PLANS = {kind: plan for kind, plan in PUSH_PLANS.items() if kind is not ast.Lambda}
_END_BRANCH = object()  # popped when the walk leaves the outermost `if`/`try` of a scope


class FactsWalk(FactsState):
    """The walk that fills in a FactsState."""

    def walk(self, roots: List[ast.AST], cls: Optional[str], prefix: str, frame: Optional[list],
             nested: bool, Name: type = ast.Name, Load: type = ast.Load, Constant: type = ast.Constant,
             Attribute: type = ast.Attribute, Call: type = ast.Call, keyword: type = ast.keyword,
             Expr: type = ast.Expr, Assign: type = ast.Assign, Compare: type = ast.Compare,
             Subscript: type = ast.Subscript, Tuple: type = ast.Tuple, List: type = ast.List,
             Await: type = ast.Await, If: type = ast.If, Assert: type = ast.Assert, BinOp: type = ast.BinOp,
             Return: type = ast.Return, FunctionDef: type = ast.FunctionDef,
             AsyncFunctionDef: type = ast.AsyncFunctionDef, ClassDef: type = ast.ClassDef,
             Import: type = ast.Import, ImportFrom: type = ast.ImportFrom, tuple: type = tuple, withitem: type = ast.withitem, Dict: type = ast.Dict,
             UnaryOp: type = ast.UnaryOp) -> None:
        """Walk `roots` in order. `cls` and `prefix` name the enclosing class and
        qualname prefix, `frame` is the enclosing async function's [awaits,
        calls a loop method, callees that may need a loop], `nested` whether
        this is inside any function. The child that would be pushed last, to
        come off next, is visited straight away instead. (The node types are
        defaults: fast locals.)"""
        if not roots:
            return
        stack = roots[::-1]
        pop, push, extend = stack.pop, stack.append, stack.extend
        names, attrs, imports, receivers, spawned = self.names, self.attrs, self.imports, self.receivers, self.spawned
        mocking, plans = self.mocking, _PLANS
        awaited = None  # the call right under the `await` just visited: its callee is no other reference
        node = pop()
        while True:  # the branches go from the most frequent node types down
            kind = type(node)
            if kind is Name:
                if type(node.ctx) is Load:
                    entry = names.get(node.id)
                    if entry is None:
                        names[node.id] = [VALUE, node.lineno, node.col_offset + 1]
                    else:
                        entry[0] |= VALUE
            elif kind is Constant:
                pass
            elif kind is Call:
                func = node.func
                func_kind = type(func)
                args = node.args
                ref_kind = SPAWN if spawned and id(node) in spawned else CALL
                if func_kind is Name:
                    callee = func.id
                    if node is not awaited:
                        entry = names.get(callee)
                        if entry is None:
                            names[callee] = [ref_kind, func.lineno, func.col_offset + 1]
                        else:
                            entry[0] |= ref_kind
                elif func_kind is Attribute:
                    callee = func.attr
                    receiver = func.value
                    if node is not awaited:
                        entry = attrs.get(callee)
                        if entry is None:
                            attrs[callee] = [ref_kind, func.lineno, func.col_offset + 1]
                        else:
                            entry[0] |= ref_kind
                        if type(receiver) is Name and receiver.id in imports:
                            receivers.append((receiver.id, callee, ref_kind))
                    if type(receiver) is Call:
                        spawned.add(id(receiver))
                else:
                    callee = None
                if callee is not None:
                    if frame is not None:  # frame[1]: calls a loop method; frame[2]: callees that may need a loop
                        if func_kind is Attribute and callee in LOOP_METHODS:
                            frame[1] = True
                        elif callee in _LOOP_CALL_TAILS and dotted(func):
                            frame[2].append(dotted(func))
                    # `create_task`, `gather`..., and any `*_task` call (`create_background_task`)
                    if callee in SPAWNERS or "_task" in callee and callee.endswith("_task"):
                        spawned.update(id(arg) for arg in args if type(arg) is Call)
                if mocking and uses_async_mock(node):
                    self.mocked.update(mocked_names(node))
                # The callee itself is a reference noted just now; only what is under it is left.
                if func_kind is Attribute:
                    push(receiver)
                elif func_kind is not Name:
                    push(func)
                if args:
                    extend(args)
                keywords = node.keywords
                if keywords:
                    extend(keywords)
            elif kind is Attribute:
                value = node.value
                if type(value) is Call:  # `f().__await__()`: the coroutine object itself is used
                    spawned.add(id(value))
                if type(node.ctx) is Load:
                    entry = attrs.get(node.attr)
                    if entry is None:
                        attrs[node.attr] = [VALUE, node.lineno, node.col_offset + 1]
                    else:
                        entry[0] |= VALUE
                    if type(value) is Name and value.id in imports:
                        receivers.append((value.id, node.attr, VALUE))
                node = value
                continue
            elif kind is tuple:
                if len(node) == 2:  # entering a function body
                    prefix, frame = node
                    nested = True
                    self.branch = None
                else:  # leaving it
                    function, prefix, frame, nested, self.branch, own = node
                    if own is not None:
                        self.async_def(function, cls, prefix, nested, own)
            elif kind is keyword or kind is Expr:
                node = node.value
                continue
            elif kind is Assign:
                if mocking and is_async_mock(node.value):
                    self.mocked.update(t.attr for t in node.targets if isinstance(t, ast.Attribute))
                push(node.value)
                targets = node.targets
                if len(targets) == 1:
                    node = targets[0]
                    continue
                extend(targets[::-1])
            elif kind is Await:
                if frame is not None:
                    frame[0] = True
                value = node.value
                if type(value) is Call:
                    self.await_site(node, cls)
                    awaited = value
                node = value
                continue
            elif kind is FunctionDef or kind is AsyncFunctionDef:
                # The signature in this scope, then the body in its own, then the leaving record.
                own = [False, False, []] if kind is AsyncFunctionDef else None  # awaits, loop method, loop callees
                push((node, prefix, frame, nested, self.branch, own))
                extend(node.body[::-1])
                push((prefix + node.name + ".<locals>.", own))
                push_signature(node, push, extend)
            elif kind is Subscript:
                push(node.slice)
                node = node.value
                continue
            elif kind is Compare:
                push(node.left)
                extend(node.comparators)
            elif kind is Tuple or kind is List:
                extend(node.elts)
            elif kind is Assert:
                if node.msg is not None:
                    push(node.msg)
                node = node.test
                continue
            elif kind is ImportFrom or kind is Import:
                self.add_import(node)
            elif kind is BinOp:
                push(node.left)
                node = node.right
                continue
            elif kind is If:
                if self.branch is None:
                    self.branch = id(node)
                    push(_END_BRANCH)
                extend(node.orelse[::-1])
                extend(node.body[::-1])
                node = node.test
                continue
            elif kind is Return:
                if node.value is not None:
                    node = node.value
                    continue
            elif kind is withitem:
                if node.optional_vars is not None:
                    push(node.context_expr)
                    node = node.optional_vars
                else:
                    node = node.context_expr
                continue
            elif kind is Dict:
                extend(node.keys)
                extend(node.values)
            elif kind is UnaryOp:
                node = node.operand
                continue
            elif kind is ClassDef:
                self.class_def(node, cls, prefix, frame, nested)
            else:
                plan = plans.get(kind)
                if plan is None:
                    self.visit_other(node, kind, stack, cls, prefix, frame, nested)
                else:
                    if kind in _MARKING:
                        self.mark(node, kind, frame, push)
                    fields, statement = plan
                    for name in fields:
                        value = getattr(node, name)
                        if value.__class__ is list:
                            extend(value[::-1] if statement else value)
                        elif value is not None:
                            push(value)
            if not stack:
                return
            node = pop()

    def mark(self, node: Any, kind: type, frame: Optional[list], push: Any) -> None:
        """What async statements, yields and `try` mean before their children are walked."""
        if kind in BRANCHES:
            if self.branch is None:
                self.branch = id(node)
                push(_END_BRANCH)
        elif frame is not None and (kind is not ast.comprehension or node.is_async):
            frame[0] = True

    def visit_other(self, node: Any, kind: type, stack: list, cls: Optional[str], prefix: str,
                    frame: Optional[list], nested: bool) -> None:
        """The rarest nodes: markers, lambdas, `match` statements and their patterns."""
        if node is None:  # the key of `**mapping` in a dict display, a missing keyword default
            return
        if node is _END_BRANCH:
            self.branch = None
        elif kind is ast.Lambda:  # its body is its own: references count, awaits do not
            self.walk([node.body], cls, prefix, None, nested)
            stack.append(node.args)
        elif isinstance(node, ast.stmt) or kind in CLAUSES:  # `if`, `try` and the common ones have plans
            stack.extend(reversed(children(node)))
        else:  # patterns of `match` statements
            stack.extend(children(node))

    def class_def(self, node: ast.ClassDef, cls: Optional[str], prefix: str, frame: Optional[list],
                  nested: bool) -> None:
        self.walk([*node.decorator_list, *node.bases, *node.keywords], cls, prefix, frame, nested)
        qualname = prefix + node.name
        first_def = len(self.defs)
        outer_branch, self.branch = self.branch, None
        self.walk(node.body, qualname, qualname + ".", None, False)
        self.branch = outer_branch
        self.class_fact(node, qualname, first_def)


def push_signature(node: ast.AST, push: Any, extend: Any) -> None:
    """Push a function definition's decorators, annotations, defaults and return
    annotation so that they come off the stack in source order."""
    args = node.args
    if node.returns is not None:
        push(node.returns)
    if args.defaults:
        extend(args.defaults[::-1])
    if args.kwarg is not None and args.kwarg.annotation is not None:
        push(args.kwarg.annotation)
    if args.kwonlyargs:
        extend([d for d in args.kw_defaults[::-1] if d is not None])
        extend([a.annotation for a in args.kwonlyargs[::-1] if a.annotation is not None])
    if args.vararg is not None and args.vararg.annotation is not None:
        push(args.vararg.annotation)
    for arg in reversed(args.args):
        if arg.annotation is not None:
            push(arg.annotation)
    if args.posonlyargs:
        extend([a.annotation for a in args.posonlyargs[::-1] if a.annotation is not None])
    if node.decorator_list:
        extend(node.decorator_list[::-1])
