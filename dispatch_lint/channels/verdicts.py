"""What DSP101, DSP102 and DSP302 report in one file, decided from provenance.

Each verdict carries the channel's construction sites (for the message and
the related locations) and why it is actor-inbox code. The rules anchor the
verdicts on the LibCST tree of the file and build the fixes there.
"""

from __future__ import annotations


from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from dispatch_lint.channels.capacity import capacities, describe_conditions, passed_constructor, unbounded_conditions
from dispatch_lint.channels.inbox import inbox_reason as settings_reason
from dispatch_lint.channels.provenance import ChannelModel, Send, Structure, channel_facts, channel_model
from dispatch_lint.channels.table import ChannelKind
from dispatch_lint.channels.values import UNBOUNDED, UNKNOWN_SIZE, Channel, Site, sites_of
from dispatch_lint.model.channel_facts import Build
from dispatch_lint.model.values import Sequence as ValueSequence
from dispatch_lint.types import Related

Settings = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Verdict:
    line: int
    column: int
    channel: Channel
    reason: str  # why it is actor-inbox code ("" for DSP102)
    related: Tuple[Related, ...]
    name: str  # the name the channel was bound to where it was built ("" when none)
    description: str  # "bounded asyncio.Queue `inbox` (capacity 64) built at svc/ledger.py:9"
    where: str  # "built at svc/ledger.py:9"
    send: Optional[Send] = None
    build: Optional[Build] = None


def _display(model: ChannelModel, real: str) -> str:
    return model.project.display(real)  # type: ignore[attr-defined]


def _run_path(model: ChannelModel, real: str) -> str:
    return model.project.runner_path(real) or real  # type: ignore[attr-defined]


def built_at(model: ChannelModel, channel: Channel) -> str:
    """`built at svc/ledger.py:9` (and the other sites, when several reach it)."""
    where = [f"{_display(model, s.path)}:{s.line}" for s in sites_of(channel)]
    return "built at " + (", ".join(where) if where else "an unknown place")


def describe(model: ChannelModel, channel: Channel, name: str) -> str:
    """`bounded asyncio.Queue `inbox` (capacity 64) built at svc/ledger.py:9`."""
    state = "unbounded" if channel.unbounded else "bounded" if channel.bounded else "channel"
    called = f" `{name}`" if name else ""
    capacity = "" if channel.unbounded else f" ({channel.capacity_text()})"
    return f"{state} {channel.table_row.display}{called}{capacity} {built_at(model, channel)}"


def site_related(model: ChannelModel, channel: Channel, name: str) -> List[Related]:
    text = describe(model, channel, name).rsplit(" built at ", 1)[0]
    return [Related(_run_path(model, s.path), s.line, s.column, f"{text} is built here") for s in sites_of(channel)]


def structure_text(model: ChannelModel, structure: Structure, chosen: bool,
                   sender: str = "this code") -> Tuple[str, List[Related]]:
    drain_path, drain = structure.drain
    owner = structure.owner.rsplit(".", 1)[-1]
    text = (f"class `{owner}` drains it in a loop ({_display(model, drain_path)}:{drain.line}) and {sender} "
            f"sends to it through a reference to the object")
    if chosen:
        text += ", choosing the destination per message (head-of-line blocking)"
    return text, [Related(_run_path(model, drain_path), drain.line, drain.column, f"`{owner}` drains it here")]


def _name(model: ChannelModel, channel: Channel) -> str:
    for site in sites_of(channel):
        found = model.build_at(site)
        if found is not None and found[1].names:
            return found[1].names[0]
    return ""


def inbox_reason(model: ChannelModel, channel: Channel, settings: Settings,
                 send: Optional[Send] = None) -> Optional[Tuple[str, List[Related]]]:
    """Why `channel` (or the send on it) is actor-inbox code: the marker or the
    `actor-inbox` setting at one of its sites, or the structure."""
    for site in sites_of(channel):
        reason = model.setting_reason(site, settings)
        if reason is not None:
            return reason, []
    structure = model.structure(send) if send is not None else None
    if structure is not None:
        return structure_text(model, structure, send.chosen)  # type: ignore[union-attr]
    return None


def awaited_bounded_sends(project: Any, path: str, settings: Settings) -> List[Verdict]:
    """DSP101: awaited sends that wait for room on a bounded actor inbox."""
    model = channel_model(project)
    found = []
    for send in _own_sends(model, path):
        if not (send.call.awaited and send.end.awaited and send.waits and send.channel.bounded):
            continue
        reason = inbox_reason(model, send.channel, settings, send)
        if reason is not None:
            found.append(_send_verdict(model, send, *reason))
    return found


def blocking_puts(project: Any, path: str) -> List[Verdict]:
    """DSP102: blocking sends on a bounded thread queue made directly in an `async def`."""
    model = channel_model(project)
    return [_send_verdict(model, send, "", []) for send in _own_sends(model, path)
            if not send.end.awaited and send.waits and not send.call.awaited and send.call.in_async
            and send.channel.bounded and not never_waits(send)]


# put(item, block=True, timeout=None) in queue, multiprocessing and janus `sync_q`.
BLOCK_POSITION, TIMEOUT_POSITION = 1, 2


def never_waits(send: Send) -> bool:
    """`put(x, block=False)` (the table's try keyword) or `put(x, timeout=0)`:
    fails at once instead of waiting."""
    call, try_keyword = send.call, send.end.try_keyword
    keywords = dict(call.keywords)
    if try_keyword is not None:
        flag = keywords.get(try_keyword[0], _positional(call, BLOCK_POSITION))
        if flag == ("k", try_keyword[1] == "True"):
            return True
    timeout = keywords.get("timeout", _positional(call, TIMEOUT_POSITION))
    return timeout is not None and timeout[0] == "k" and type(timeout[1]) in (int, float) and timeout[1] == 0


def _positional(call: Any, position: int) -> Any:
    return call.positional[position] if len(call.positional) > position else None


def channel_sends(project: Any, path: str) -> List[Send]:
    """Every send and try-send made in `path` on a channel whose origin is known."""
    return _own_sends(channel_model(project), path)


def _own_sends(model: ChannelModel, path: str) -> List[Send]:
    return model.sends(model.project.real_path(path))


def _send_verdict(model: ChannelModel, send: Send, reason: str, related: List[Related]) -> Verdict:
    name = _name(model, send.channel)
    return Verdict(send.call.line, send.call.column, send.channel, reason,
                   tuple(site_related(model, send.channel, name) + related), name,
                   describe(model, send.channel, name), built_at(model, send.channel), send=send)


def unbounded_inboxes(project: Any, path: str, settings: Settings) -> List[Verdict]:
    """DSP302: constructions of an unbounded channel that is actor-inbox code."""
    model = channel_model(project)
    builds = model.facts_of(project.real_path(path)).builds
    file = project.file(path) if builds else None
    if file is None:
        return []
    found = []
    for build in builds:
        channel = _built(model, file, build)
        if channel is None or capacities(model, file, build, channel.table_row) != frozenset({UNBOUNDED}):
            continue
        site = Site(file.path, build.line, build.column)
        only = Channel(channel.kind, channel.end, frozenset({UNBOUNDED}), frozenset({site}))
        reason = _construction_reason(model, site, settings)
        if reason is not None:
            name = build.names[0] if build.names else ""
            found.append(Verdict(build.line, build.column, only, reason[0],
                                 tuple(site_related(model, only, name) + reason[1]), name,
                                 describe(model, only, name), built_at(model, only), build=build))
    return found


@dataclass(frozen=True)
class Construction:
    """DSP301's candidate: a construction that is unbounded whatever the path
    through its function (`path` None), or on the path named."""

    file: Any  # the model's facts of the file
    build: Build
    kind: ChannelKind
    path: Optional[str]
    passed: bool = False  # the call of a constructor passed as a parameter


def unbounded_constructions(project: Any, path: str, settings: Settings) -> List[Construction]:
    """DSP301: constructions in `path` that may be unbounded and are not actor-inbox
    code (those are DSP302's, comment or not), and calls of a constructor passed
    as a parameter that are unbounded on some path."""
    model = channel_model(project)
    file = project.file(path)
    if file is None:
        return []
    found = []
    for build in model.facts_of(file.path).builds:
        construction = _unbounded_construction(model, file, build, settings)
        if construction is not None:
            found.append(construction)
    seen = {(c.build.line, c.build.column) for c in found}
    for build in channel_facts(file).parameter_builds:
        passed = passed_constructor(model, file, build) if (build.line, build.column) not in seen else None
        if passed is not None and settings_reason(model.channel_site(file, build), settings) is None:
            found.append(Construction(file, build, passed[0], describe_conditions(passed[1]), True))
    return found


def calls_a_passed_constructor(file: Any) -> bool:
    """Whether the file (its model facts, packed or not) calls a parameter that
    a constructor may reach (`queue_class=asyncio.Queue` ... `queue_class()`):
    such a file may build a channel without calling a constructor by name."""
    return file is not None and file.has_parameter_builds


def _unbounded_construction(model: ChannelModel, file: Any, build: Build,
                            settings: Settings) -> Optional[Construction]:
    channel = _built(model, file, build)
    if channel is None:
        return None
    kind = channel.table_row
    sizes = capacities(model, file, build, kind)
    if UNBOUNDED not in sizes and UNKNOWN_SIZE not in sizes:
        return None
    if _construction_reason(model, Site(file.path, build.line, build.column), settings) is not None:
        return None
    if sizes == frozenset({UNBOUNDED}):
        return Construction(file, build, kind, None)
    conditions = unbounded_conditions(model, file, build, kind)
    return None if conditions is None else Construction(file, build, kind, describe_conditions(conditions))


def _built(model: ChannelModel, file: Any, build: Build) -> Optional[Channel]:
    value = model.value(file, build.scope, build.expr)
    if isinstance(value, ValueSequence) and value.items and isinstance(value.items[0], Channel):
        value = value.items[0]
    return value if isinstance(value, Channel) else None


def _construction_reason(model: ChannelModel, site: Site, settings: Settings) -> Optional[Tuple[str, List[Related]]]:
    reason = model.setting_reason(site, settings)
    if reason is not None:
        return reason, []
    structure = model.site_structure(site)
    if structure is None:
        return None
    send_path, send = structure.send
    text, related = structure_text(model, structure, False, f"{_display(model, send_path)}:{send.line}")
    return text, related + [Related(_run_path(model, send_path), send.line, send.column,
                                    "a send through a reference to the object")]


def note_channel_reads(project: Any, path: str) -> None:
    """Make the cache key of `path`'s result cover every file: where a channel
    is built and who drains it may be anywhere in the project."""
    reads = getattr(project, "reads", None)
    if reads is not None:
        reads.update(project.files)
