"""Channel provenance on the semantic model: what each channel method call is
called on, where that channel was built, and which channels are actor inboxes.

`ChannelModel(project)` adds a call hook to the project (constructions,
`clone()`, field factories become `Channel` values, see values.py), so every
expression the model evaluates can hold a channel: through assignments and
unpacking, attributes set in any method or class body, returns, imports,
containers. Then it reads each file's channel facts (model/channel_sites.py):

- a **send** is a send method of the end its receiver holds;
- a **drain** is a receive (`get`, `receive`, `async for`) made in a loop;
- a channel is an **actor inbox by structure** when a class drains it through
  `self` and a send reaches it through a reference to an instance of that
  class (`actor.inbox.put`, `self.workers[k].mail.put`), not through `self`.
  A destination chosen per message (a registry lookup, a loop over
  `.values()`) is said so in the finding.

Everything is computed once per project, on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

from dispatch_lint.channels.capacity import capacities
from dispatch_lint.channels.inbox import ChannelSite, inbox_reason
from dispatch_lint.channels.table import CHANNEL_KINDS, VIEW_NAMES, SendEnd
from dispatch_lint.channels.values import (
    JANUS,
    OBJECT,
    RECEIVE,
    SEND,
    Channel,
    Site,
    constructor_of,
    context_constructor,
    factory_keyword,
    shaped,
)
from dispatch_lint.model.channel_facts import Build, ChannelFacts, MethodCall, Reference
from dispatch_lint.model.call_sites import call_sites, channel_facts, channel_paths
from dispatch_lint.model.channel_sites import ASYNC_FOR
from dispatch_lint.model.facts import Expr, ModuleFacts
from dispatch_lint.model.values import UNKNOWN, ClassObject, Container, Instance, Value, is_none, join_all
from dispatch_lint.model.values import Sequence as ValueSequence

CHOOSING_METHODS = frozenset({"get", "setdefault", "pop"})
MAX_DEPTH = 8


@dataclass(frozen=True)
class Send:
    """A send (or try-send) on a channel whose origin is known."""

    call: MethodCall
    channel: Channel
    end: SendEnd
    waits: bool  # the send that waits for room (not the try-send)
    holder: Optional[str]  # the class key of the object it is reached through, unless `self`
    chosen: bool  # the destination is chosen per message from a collection


@dataclass(frozen=True)
class Drain:
    call: MethodCall
    channel: Channel
    owner: Optional[str]  # the class key when drained through `self`


@dataclass(frozen=True)
class Structure:
    """Why a channel is an actor inbox by structure: who drains it, who sends to it."""

    drain: Tuple[str, MethodCall]  # (file path, the drain)
    send: Tuple[str, MethodCall]  # (file path, a send through a reference)
    owner: str  # the class key


class ChannelModel:
    def __init__(self, project: object) -> None:
        self.project = project
        self.builds: Dict[str, Dict[Tuple[int, Expr], List[Build]]] = {}
        self.facts: Dict[str, ChannelFacts] = {}  # the channel facts of each file that has some
        for path in channel_paths(project):  # type: ignore[arg-type]
            file = project.files[path]  # type: ignore[attr-defined]
            facts = channel_facts(file)
            if not (facts.builds or facts.calls):
                continue
            self.facts[path] = facts
            index = self.builds.setdefault(file.path, {})
            for build in facts.builds:
                index.setdefault((build.scope, build.expr), []).append(build)
        project.add_call_hook(self.hook)  # type: ignore[attr-defined]
        self._sends: Optional[Dict[str, List[Send]]] = None
        self._drains: List[Tuple[str, Drain]] = []
        self._structure: Dict[Site, Structure] = {}

    def facts_of(self, path: str) -> ChannelFacts:
        return self.facts.get(path) or ChannelFacts()

    # -- the call hook --------------------------------------------------------------------

    def hook(self, project: object, callee: Value, call: Expr, file: ModuleFacts, scope: int) -> Optional[Value]:
        func = call[1]
        kind = constructor_of(callee, project)
        if kind is None and func[0] == "s":  # create_memory_object_stream[T](n)
            kind = constructor_of(self.value(file, scope, func[1]), project)
        if kind is None and func[0] == "a":
            receiver = self.value(file, scope, func[1])
            if func[2] == "clone" and isinstance(receiver, Channel) and receiver.end in (SEND, RECEIVE):
                return receiver
            kind = context_constructor(receiver, func[2])
        if kind is not None:
            return self.construction(file, scope, call, kind)
        keyword = factory_keyword(callee)
        if keyword is not None:
            return self.factory(file, scope, call)
        return None

    def construction(self, file: ModuleFacts, scope: int, call: Expr, kind: int) -> Value:
        builds = self.builds.get(file.path, {}).get((scope, call), [])
        row = CHANNEL_KINDS[kind]
        found: Set[object] = set()
        for build in builds:
            found |= capacities(self, file, build, row)
        sites = frozenset(Site(file.path, b.line, b.column) for b in builds)
        return shaped(kind, frozenset(found) or frozenset({"unknown"}), sites)

    def factory(self, file: ModuleFacts, scope: int, call: Expr) -> Optional[Value]:
        for factory in self.facts_of(file.path).factories:
            if (factory.scope, factory.expr) == (scope, call) and factory.built_scope >= 0:
                built = self.value(file, factory.built_scope, factory.built)
                pair = isinstance(built, ValueSequence) and any(isinstance(i, Channel) for i in built.items)
                return built if isinstance(built, Channel) or pair else None
        return None

    def value(self, file: ModuleFacts, scope: int, expr: Expr) -> Value:
        return self.project.value(file, scope, expr)  # type: ignore[attr-defined]

    # -- sends, drains, structure -----------------------------------------------------------

    def sends(self, path: str) -> List[Send]:
        """The sends made in the file `path` (the model's real path)."""
        return self.all_sends().get(path, [])

    def all_sends(self) -> Dict[str, List[Send]]:
        """Every send of the project, by the real path of the file making it."""
        if self._sends is None:
            self._read_calls()
        return self._sends  # type: ignore[return-value]

    def drains(self) -> List[Tuple[str, Drain]]:
        """(real path, drain) for every receive made in a loop."""
        if self._sends is None:
            self._read_calls()
        return list(self._drains)

    def _read_calls(self) -> None:
        self._sends = {}
        for path, facts in self.facts.items():
            file = self.project.files[path]  # type: ignore[attr-defined]
            for call in facts.calls:
                channel, view = self._receiver(file, call)
                if channel is None:
                    continue
                send = self._send(file, call, channel, view)
                if send is not None:
                    self._sends.setdefault(file.path, []).append(send)
                elif _drains(call, channel):
                    owner = self.project.class_key(file, call.cls) if call.own else None  # type: ignore[attr-defined]
                    self._drains.append((file.path, Drain(call, channel, owner)))
        self._find_structure()

    def channel_value(self, file: ModuleFacts, scope: int, expr: Expr, depth: int = 0) -> Value:
        """The model's value of `expr`; for an attribute it leaves unknown, the join
        of what the class's methods assign to it, `None` placeholders and
        constructor parameters (through the call sites) included."""
        found = self.value(file, scope, expr)
        if found is not UNKNOWN or expr[0] != "a" or depth > MAX_DEPTH:
            return found
        holder = self.channel_value(file, scope, expr[1], depth + 1)
        if not isinstance(holder, Instance):
            return found
        values = []
        for key in [holder.cls, *self._ancestors(holder.cls)]:
            where = self.project.classes.get(key)  # type: ignore[attr-defined]
            if where is None:
                continue
            owner, number = where
            values += [self._assigned(owner, a.scope, a.value, depth) for a in owner.attr_sets
                       if a.cls == number and a.attr == expr[2] and a.value[0] != "item"]
        return _join_channels(values)

    def _assigned(self, file: ModuleFacts, scope: int, expr: Expr, depth: int) -> Value:
        """What an assignment in a method gives: a constructor parameter is what
        the call sites pass."""
        if expr[0] == "n":
            arguments = call_sites(self.project).arguments(file, scope, expr[1])  # type: ignore[arg-type]
            if arguments is not None:
                if not arguments or any(a.default for a in arguments):
                    return UNKNOWN
                return _join_channels([self.channel_value(a.file, a.scope, a.expr, depth + 1)  # type: ignore[arg-type]
                                       for a in arguments])
        return self.channel_value(file, scope, expr, depth + 1)

    def _receiver(self, file: ModuleFacts, call: MethodCall) -> Tuple[Optional[Channel], Optional[str]]:
        receiver = call.receiver
        found = self.channel_value(file, call.scope, receiver)
        if isinstance(found, Channel) and found.end != JANUS:
            return self._narrowed(found, receiver), None
        view = self._view(file, call.scope, receiver)
        if view is not None:  # a janus view: `q.async_q.put(x)`, or `view = q.async_q`
            inner_scope, inner, name = view
            channel = self.channel_value(file, inner_scope, inner)
            if isinstance(channel, Channel) and channel.end == JANUS and name in (channel.table_row.views or {}):
                return self._narrowed(channel, inner).with_end(name), name
        return None, None

    def _view(self, file: ModuleFacts, scope: int, receiver: Expr) -> Optional[Tuple[int, Expr, str]]:
        """(scope, the queue, the view name) for `q.async_q`, or a name bound once to it."""
        if receiver[0] == "a":
            return scope, receiver[1], receiver[2]
        if receiver[0] == "n":
            where, bindings = self.project.lookup(file, scope, receiver[1])  # type: ignore[attr-defined]
            if len(bindings) == 1 and bindings[0].value[0] == "a":
                return bindings[0].scope, bindings[0].value[1], bindings[0].value[2]
        return None

    def _narrowed(self, channel: Channel, receiver: Expr) -> Channel:
        """`channel` without the sites of identical constructions bound to other
        names: the model cannot tell `self.a = Queue(5)` from `self.b = Queue(5)`
        in one method, the names they are bound to can."""
        if len(channel.sites) < 2 or receiver[0] not in ("n", "a"):
            return channel
        name = receiver[1] if receiver[0] == "n" else receiver[2]
        named = frozenset(s for s in channel.sites if name in self._names_at(s))
        if not named or named == channel.sites:
            return channel
        return Channel(channel.kind, channel.end, channel.capacities, named)

    def _names_at(self, site: Site) -> Tuple[str, ...]:
        found = self.build_at(site)
        return tuple(n.rsplit(".", 1)[-1] for n in found[1].names) if found is not None else ()

    def _send(self, file: ModuleFacts, call: MethodCall, channel: Channel, view: Optional[str]) -> Optional[Send]:
        row = channel.table_row
        if channel.end not in (OBJECT, SEND) and view is None:
            return None
        for end in row.sends(view):
            if call.method in (end.send, end.try_send):
                waits = call.method == end.send and not end.keyword_try_send or call.method != end.try_send
                holder = None if call.own else self._holder(file, call, view)
                chosen = self._chosen(file, call.scope, call.receiver, 0)
                return Send(call, channel, end, waits, holder, chosen)
        return None

    def _holder(self, file: ModuleFacts, call: MethodCall, view: Optional[str]) -> Optional[str]:
        """The class of the object the channel is reached through: `actor` in `actor.inbox`."""
        receiver = _holder_expr(call.receiver)
        if receiver[0] != "a":
            return None
        holder = self.channel_value(file, call.scope, receiver[1])
        return holder.cls if isinstance(holder, Instance) else None

    def _chosen(self, file: ModuleFacts, scope: int, expr: Expr, depth: int) -> bool:
        """Whether `expr` picks one of a collection: `d[k]`, `d.get(k)`, a loop variable."""
        if depth > MAX_DEPTH:
            return False
        tag = expr[0]
        if tag == "s":
            if expr[2][0] != "k" and isinstance(self.value(file, scope, expr[1]), Container):
                return True
            return self._chosen(file, scope, expr[1], depth + 1)
        if tag == "iter":
            return True
        if tag == "c":
            func = expr[1]
            return func[0] == "a" and func[2] in CHOOSING_METHODS or self._chosen(file, scope, func, depth + 1)
        if tag == "a":
            return self._chosen(file, scope, expr[1], depth + 1)
        if tag == "n":
            where, bindings = self.project.lookup(file, scope, expr[1])  # type: ignore[attr-defined]
            return any(b.kind in ("assign", "annassign", "for", "comprehension", "walrus")
                       and self._chosen(file, b.scope, b.value, depth + 1) for b in bindings)
        return False

    def _find_structure(self) -> None:
        drained: Dict[Site, List[Tuple[str, Drain]]] = {}
        for path, drain in self._drains:
            if drain.owner is not None:
                for site in drain.channel.sites:
                    drained.setdefault(site, []).append((path, drain))
        for path, sends in (self._sends or {}).items():
            for send in sends:
                if send.holder is None:
                    continue
                owners = {send.holder, *self._ancestors(send.holder)}
                for site in send.channel.sites:
                    for drain_path, drain in drained.get(site, ()):
                        if drain.owner in owners and site not in self._structure:
                            self._structure[site] = Structure((drain_path, drain.call), (path, send.call), drain.owner)

    def _ancestors(self, key: str) -> List[str]:
        return [b.cls for b in self.project.ancestors(key) if isinstance(b, ClassObject)]  # type: ignore[attr-defined]

    def structure(self, send: Send) -> Optional[Structure]:
        """Why the channel of `send` is an inbox by structure, when `send` is one of
        the sends through a reference to the object that drains it."""
        if self._sends is None:
            self._read_calls()
        if send.holder is None:
            return None
        owners = {send.holder, *self._ancestors(send.holder)}
        for site in sorted(send.channel.sites, key=lambda s: (s.path, s.line, s.column)):
            found = self._structure.get(site)
            if found is not None and found.owner in owners:
                return found
        return None

    def site_structure(self, site: Site) -> Optional[Structure]:
        if self._sends is None:
            self._read_calls()
        return self._structure.get(site)

    # -- the uses of one channel, for DSP301's growth analysis ----------------------------

    def references(self, file: ModuleFacts, site: Site) -> List[Tuple[Reference, bool]]:
        """The reads in `file` that hold the channel built at `site`, each with whether
        it holds a collection of such channels (`self.inboxes`) rather than the channel
        or its (send, receive) pair."""
        found = []
        for reference in self.facts_of(file.path).references:
            value = self.channel_value(file, reference.scope, reference.expr)
            if isinstance(value, Container):
                if _holds(value.element, site):
                    found.append((reference, True))
            elif _holds(value, site):
                found.append((reference, False))
        return found

    # -- the `actor-inbox` setting and the marker ---------------------------------------

    def build_at(self, site: Site) -> Optional[Tuple[ModuleFacts, Build]]:
        file = self.project.files.get(site.path)  # type: ignore[attr-defined]
        if file is None:
            return None
        for build in self.facts_of(site.path).builds:
            if (build.line, build.column) == (site.line, site.column):
                return file, build
        return None

    def setting_reason(self, site: Site, settings: Mapping[str, Sequence[str]]) -> Optional[str]:
        found = self.build_at(site)
        if found is None:
            return None
        file, build = found
        return inbox_reason(self.channel_site(file, build), settings)

    def channel_site(self, file: ModuleFacts, build: Build) -> ChannelSite:
        owner = file.classes[build.cls] if build.cls >= 0 else None
        bases: List[str] = []
        for base in owner.bases if owner is not None else ():
            value = self.value(file, owner.scope, base)
            bases.append(getattr(value, "name", None) or getattr(value, "cls", None) or "")
        return ChannelSite(
            name=", ".join(name.rsplit(".", 1)[-1] for name in build.names) or None,
            class_name=owner.name if owner is not None else None,
            base_names=tuple(b for b in bases if b),
            module=file.module,
            marked=build.marked,
        )


def _holder_expr(receiver: Expr) -> Expr:
    """`model.channel_sites.channel_holder` on the symbolic form."""
    while True:
        if receiver[0] == "s" and receiver[2][0] == "k":
            receiver = receiver[1]
        elif receiver[0] == "a" and receiver[2] in VIEW_NAMES:
            receiver = receiver[1]
        else:
            return receiver


def _holds(value: Value, site: Site) -> bool:
    """`value` is the channel built at `site`, or a pair of its ends."""
    items = value.items if isinstance(value, ValueSequence) else (value,)
    return any(isinstance(item, Channel) and site in item.sites for item in items)


def _join_channels(values: List[Value]) -> Value:
    """The model's join of what an attribute is assigned, `None` placeholders
    dropped (a call on `None` never runs); unknown for none at all."""
    return join_all(value for value in values if not is_none(value))


def _drains(call: MethodCall, channel: Channel) -> bool:
    """A receive made in a loop: `while ...: await q.get()`, `async for m in rx`."""
    if not call.in_loop:
        return False
    if call.method == ASYNC_FOR:
        return channel.end == RECEIVE
    return call.method in channel.table_row.receives and channel.end in (OBJECT, RECEIVE) or (
        channel.end in (channel.table_row.views or {}) and call.method in channel.table_row.receives)


def channel_model(project: object) -> ChannelModel:
    """The project's channel model, built once per state of the project model."""
    return project.attached("channel-model", lambda: ChannelModel(project))  # type: ignore[attr-defined]


__all__ = ["ChannelModel", "Drain", "Send", "Structure", "channel_model"]
