"""Which channel an expression holds: the assignments of a module, followed back.

`Resolver` records every assignment target once (names by their ScopeProvider
assignment node, `self.x`/`cls.x` attributes by class), then answers
`resolve(expr)` by following those assignments to a constructor call. A name
or attribute with any assignment that is not a channel (a parameter, a loop
variable, some other value) resolves to nothing: unknown origin is not tracked.
`None` assignments are skipped (`self.inbox = None` before `start()` builds it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import libcst as cst

from dispatch_lint.channels.construction import class_of_receiver, constructor_kind, qualified_names
from dispatch_lint.channels.table import FACTORY_KEYWORDS, ChannelKind
from dispatch_lint.channels.tree import ModuleTree

MAX_DEPTH = 12


# Parts of a tracked value: the whole channel ("object" shape), a (send, receive)
# pair, one end of a pair, a janus queue, or one of its views.
PAIR, SEND, RECEIVE, JANUS, OBJECT = "pair", "send", "receive", "janus", "object"
SHAPE_PART = {"object": OBJECT, "pair": PAIR, "views": JANUS}


@dataclass(frozen=True)
class Ref:
    """A value known to be (part of) the channel built by `construction`."""

    construction: cst.BaseExpression
    kind: ChannelKind
    part: str  # PAIR, SEND, RECEIVE, JANUS, OBJECT, or a view name (`async_q`)
    container: bool = False  # a list/dict/set of such channels

    def element(self) -> "Ref":
        return Ref(self.construction, self.kind, self.part)


Entry = Tuple[cst.BaseExpression, Tuple[int, ...]]  # assigned value, tuple-unpacking path
POISONED = None  # an attribute also assigned in a way we cannot follow


class Resolver:
    def __init__(self, tree: ModuleTree, same_channel: Callable[[Ref, Ref], bool]) -> None:
        self.tree = tree
        self.same_channel = same_channel
        self.names: Dict[cst.CSTNode, List[Entry]] = {}
        self.attributes: Dict[Tuple[cst.ClassDef, str], Optional[List[Entry]]] = {}
        self._cache: Dict[int, Optional[Ref]] = {}

    # -- recording assignments -------------------------------------------------

    def record(self, node: cst.CSTNode) -> None:
        """Record the targets of one statement or target-binding node."""
        if isinstance(node, cst.Assign):
            for target in node.targets:
                self._target(target.target, node.value, ())
        elif isinstance(node, cst.AnnAssign) and node.value is not None:
            self._target(node.target, node.value, ())
        elif isinstance(node, cst.AugAssign):
            self._poison(node.target)
        elif isinstance(node, (cst.For, cst.CompFor)):
            self._poison(node.target)
        elif isinstance(node, cst.AsName):
            self._poison(node.name)
        elif isinstance(node, cst.Del):
            self._poison(node.target)

    def _target(self, target: cst.BaseExpression, value: cst.BaseExpression, path: Tuple[int, ...]) -> None:
        if isinstance(target, cst.Name):
            self.names.setdefault(target, []).append((value, path))
            owner = self._class_scope_owner(target)
            if owner is not None:
                self._attribute_entry((owner, target.value), (value, path))
        elif isinstance(target, cst.Attribute):
            owner = self._attribute_owner(target)
            if owner is not None:
                self._attribute_entry((owner, target.attr.value), (value, path))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for index, element in enumerate(target.elements):
                if isinstance(element, cst.StarredElement):
                    self._poison(element.value)
                else:
                    self._target(element.value, value, path + (index,))

    def _attribute_entry(self, key: Tuple[cst.ClassDef, str], entry: Entry) -> None:
        if key in self.attributes and self.attributes[key] is POISONED:
            return
        self.attributes.setdefault(key, []).append(entry)  # type: ignore[union-attr]

    def _poison(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Attribute):
            owner = self._attribute_owner(target)
            if owner is not None:
                self.attributes[(owner, target.attr.value)] = POISONED
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._poison(element.value)
        elif isinstance(target, cst.Name):
            owner = self._class_scope_owner(target)
            if owner is not None:
                self.attributes[(owner, target.value)] = POISONED

    def _attribute_owner(self, node: cst.Attribute) -> Optional[cst.ClassDef]:
        return class_of_receiver(self.tree, node.value) if isinstance(node.value, cst.Name) else None

    def _class_scope_owner(self, name: cst.Name) -> Optional[cst.ClassDef]:
        scope = self.tree.scope(name)
        node = getattr(scope, "node", None)
        return node if isinstance(node, cst.ClassDef) else None

    # -- resolving ---------------------------------------------------------------

    def resolve(self, expr: cst.BaseExpression, depth: int = 0) -> Optional[Ref]:
        key = id(expr)
        if key not in self._cache:
            self._cache[key] = None  # guards against cycles such as `q = q`
            self._cache[key] = self._resolve(expr, depth) if depth <= MAX_DEPTH else None
        return self._cache[key]

    def _resolve(self, expr: cst.BaseExpression, depth: int) -> Optional[Ref]:
        if isinstance(expr, cst.Call):
            return self._call(expr, depth)
        if isinstance(expr, cst.Name):
            return self._name(expr, depth)
        if isinstance(expr, cst.Attribute):
            inner = self.resolve(expr.value, depth + 1)
            view = expr.attr.value
            if inner is not None and inner.part == JANUS and not inner.container and view in inner.kind.views:
                return Ref(inner.construction, inner.kind, view)
            owner = self._attribute_owner(expr)
            if owner is None:
                return None
            return self._merge(self.attributes.get((owner, expr.attr.value)), depth)
        if isinstance(expr, cst.Subscript):
            inner = self.resolve(expr.value, depth + 1)
            if inner is None:
                return None
            if inner.container:
                return inner.element()
            return _unpack(inner, _literal_index(expr))
        if isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            element = self.resolve(expr.elt, depth + 1)
            return Ref(element.construction, element.kind, element.part, True) if element else None
        if isinstance(expr, cst.DictComp):
            element = self.resolve(expr.value, depth + 1)
            return Ref(element.construction, element.kind, element.part, True) if element else None
        return None

    def _call(self, call: cst.Call, depth: int) -> Optional[Ref]:
        kind = constructor_kind(self.tree, call)
        if kind is not None:
            return Ref(call, kind, SHAPE_PART[kind.shape])
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "clone" and not call.args:
            inner = self.resolve(func.value, depth + 1)  # anyio/trio `tx.clone()`
            return inner if inner is not None and inner.part in (SEND, RECEIVE) else None
        factory = self.factory_argument(call)
        return self.resolve_factory(factory, depth) if factory is not None else None

    def factory_argument(self, call: cst.Call) -> Optional[cst.BaseExpression]:
        """The factory of `field(default_factory=...)` and its kin, if `call` is one."""
        for name in qualified_names(self.tree, call.func):
            keyword = FACTORY_KEYWORDS.get(name)
            for arg in call.args if keyword else ():
                if arg.keyword is not None and arg.keyword.value == keyword:
                    return arg.value
        return None

    def resolve_factory(self, factory: cst.BaseExpression, depth: int) -> Optional[Ref]:
        if isinstance(factory, cst.Lambda):
            return self.resolve(factory.body, depth + 1)
        kind = factory_kind(self.tree, factory)
        return Ref(factory, kind, SHAPE_PART[kind.shape]) if kind is not None else None

    def _name(self, name: cst.Name, depth: int) -> Optional[Ref]:
        scope = self.tree.scope(name)
        if scope is None or name.value not in scope:
            return None
        entries: List[Entry] = []
        for assignment in scope[name.value]:
            found = self.names.get(getattr(assignment, "node", None))
            if found is None:
                return None  # a parameter, an import, a loop variable...
            entries.extend(found)
        return self._merge(entries, depth)

    def _merge(self, entries: Optional[List[Entry]], depth: int) -> Optional[Ref]:
        """The one channel every assignment gives, or None when any is unknown."""
        if not entries:
            return None
        refs: List[Ref] = []
        for value, path in entries:
            if isinstance(value, cst.Name) and value.value == "None" and not path:
                continue
            ref = self._unpacked(value, path, depth)
            if ref is None:
                return None
            refs.append(ref)
        if not refs or not all(self.same_channel(refs[0], other) for other in refs[1:]):
            return None
        return refs[0]

    def _unpacked(self, value: cst.BaseExpression, path: Tuple[int, ...], depth: int) -> Optional[Ref]:
        while path and isinstance(value, (cst.Tuple, cst.List)):
            elements = value.elements
            if any(isinstance(e, cst.StarredElement) for e in elements) or path[0] >= len(elements):
                return None
            value, path = elements[path[0]].value, path[1:]
        ref = self.resolve(value, depth + 1)
        for index in path:
            ref = _unpack(ref, index) if ref is not None else None
        return ref


def factory_kind(tree: ModuleTree, factory: cst.BaseExpression) -> Optional[ChannelKind]:
    """The channel kind a bare constructor reference (`default_factory=asyncio.Queue`) builds."""
    if not isinstance(factory, (cst.Name, cst.Attribute, cst.Subscript)):
        return None
    return constructor_kind(tree, cst.Call(func=factory))


def _literal_index(subscript: cst.Subscript) -> Optional[int]:
    if len(subscript.slice) != 1 or not isinstance(subscript.slice[0].slice, cst.Index):
        return None
    value = subscript.slice[0].slice.value
    return int(value.value) if isinstance(value, cst.Integer) and value.value in ("0", "1") else None


def _unpack(ref: Ref, index: Optional[int]) -> Optional[Ref]:
    """Element `index` of an unpacked (send, receive) pair."""
    if ref.part != PAIR or ref.container or index not in (0, 1):
        return None
    return Ref(ref.construction, ref.kind, SEND if index == 0 else RECEIVE)
