"""Which channels are actor inboxes: the `actor-inbox` setting and the marker comment.

An awaited send on an actor inbox stalls its producer when the actor falls
behind (DSP101), and an actor inbox must stay bounded (DSP302). Elsewhere an
awaited send is legitimate backpressure.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping, Optional, Sequence

from dispatch_lint.config import Option

ACTOR_INBOX = Option(
    "actor-inbox",
    {
        "names": ["*inbox*", "*mailbox*", "*dispatch*"],
        "classes": ["*Actor"],
        "bases": [],
        "modules": [],
    },
    "What counts as actor-inbox code: channel `names` (globs, case-insensitive), "
    "enclosing `classes` (globs), base classes by qualified name (`bases`, globs), "
    "and `modules` (dotted-name globs). A `# dispatch-lint: actor-inbox` comment on "
    "the construction marks one channel.",
    schema={"names": list, "classes": list, "bases": list, "modules": list},
)


ERROR_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")

OVERLOADED_ERROR = Option(
    "overloaded-error",
    "",
    "`package.module:ErrorClass` raised when an actor inbox is full. When set, the "
    "try-send rewrite becomes `try: ch.put_nowait(x)` / `except <full>: raise "
    "ErrorClass(channel_name, capacity, operation) from None` and the import is added.",
    check=lambda value: None if value == "" or ERROR_SPEC.match(value)
    else 'must look like "package.module:ErrorClass"',
)


@dataclass(frozen=True)
class ChannelSite:
    """Where a channel is built: what it is called and what surrounds it."""

    name: Optional[str]  # the variable or attribute it is bound to
    class_name: Optional[str]
    base_names: Sequence[str]  # qualified names of the class's bases
    module: str
    marked: bool  # carries `# dispatch-lint: actor-inbox`


def _any_match(value: Optional[str], patterns: Iterable[str]) -> bool:
    if not value:
        return False
    lowered = value.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in patterns)


def _names(name: Optional[str]) -> Sequence[str]:
    """Each end a channel is bound to (`tx, rx` names two), so a message names one."""
    return [part.strip() for part in name.split(",")] if name else []


def inbox_reason(site: ChannelSite, settings: Mapping[str, Sequence[str]]) -> Optional[str]:
    """Why `site` is actor-inbox code (for the message), or None when it is not."""
    if site.marked:
        return "marked `# dispatch-lint: actor-inbox`"
    matching = next((name for name in _names(site.name) if _any_match(name, settings["names"])), None)
    if matching is not None:
        return f"its name `{matching}` matches actor-inbox `names`"
    if _any_match(site.class_name, settings["classes"]):
        return f"it belongs to class `{site.class_name}`, which matches actor-inbox `classes`"
    for base in site.base_names:
        if _any_match(base, settings["bases"]):
            return f"its class derives from `{base}`, which matches actor-inbox `bases`"
    if _any_match(site.module, settings["modules"]):
        return f"module `{site.module}` matches actor-inbox `modules`"
    return None


@lru_cache(maxsize=4096)
def module_name(path: str) -> str:
    """Dotted module name from a file path, climbing packages (`__init__.py`)."""
    absolute = os.path.abspath(path)
    folder, file = os.path.split(absolute)
    parts = [] if file == "__init__.py" else [os.path.splitext(file)[0]]
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder, package = os.path.split(folder)
        parts.insert(0, package)
    return ".".join(parts)
