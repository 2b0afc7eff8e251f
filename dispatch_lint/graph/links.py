"""Where a click on a node or an edge leads: a link template filled from a location."""

from __future__ import annotations

from typing import Callable, Optional
from urllib.parse import quote

from dispatch_lint.graph.types import Location

Link = Callable[[Optional[Location]], str]
FIELDS = ("path", "absolute", "line", "column")


def link_maker(template: Optional[str]) -> Link:
    """`template` names `{path}` (as shown), `{absolute}`, `{line}`, `{column}`:
    `vscode://file/{absolute}:{line}:{column}`. None: no links."""
    if template is None:
        return lambda location: ""

    def link(location: Optional[Location]) -> str:
        if location is None:
            return ""
        return template.format(path=quote(location.path), absolute=quote(location.absolute or location.path),
                               line=location.line, column=location.column)

    return link


def check_template(template: str) -> Optional[str]:
    """The problem with a link template, or None."""
    try:
        template.format(**{name: "x" for name in FIELDS})
    except (KeyError, IndexError, ValueError) as exc:
        return f"bad link template {template!r}: {exc}; it may name {', '.join('{' + f + '}' for f in FIELDS)}"
    return None


NO_LINKS: Link = link_maker(None)

__all__ = ["NO_LINKS", "Link", "check_template", "link_maker"]
