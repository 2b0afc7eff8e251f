"""DSP301's `ast` screen: can LibCST find an unjustified unbounded channel here at all?

(DSP101, DSP102 and DSP302 decide from channel provenance on the semantic model,
channels/provenance.py, and have no screen of their own.)

One walk per module (`Scan`, cached for the file's rules) finds every call that
may build a channel as construction.py and tracking.py see it: the kinds it may
build, whether it may be bounded and/or unbounded, whether it may be actor-inbox
code. Every answer is a superset of the LibCST side's, so a screen says False
only when no finding is possible; when in doubt it says True.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import (
    Any,
    Callable,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

from dispatch_lint.channels.construction import INFINITE_NAMES
from dispatch_lint.cst_tree import module_cache
from dispatch_lint.channels.inbox import (
    MARKER,
    ChannelSite,
    has_marker,
    inbox_reason,
    module_name,
)
from dispatch_lint.channels.justification import NEWLINE, Justifier
from dispatch_lint.channels.resolution import FACTORY_KEYWORDS
from dispatch_lint.channels.screen_scan import Scan
from dispatch_lint.channels.screen_sites import UNCERTAIN, Sites
from dispatch_lint.channels.screen_values import FLOAT, UNBOUNDED, Meanings
from dispatch_lint.channels.table import (
    BY_NAME,
    CHANNEL_KINDS,
    CONTEXT_FACTORIES,
    ChannelKind,
    SendEnd,
)

# The first part of every qualified name the LibCST side looks for.
ROOTS = frozenset(name.split(".")[0] for name in (*BY_NAME, *CONTEXT_FACTORIES, *FACTORY_KEYWORDS,
                                                  *INFINITE_NAMES, FLOAT))


def ends(kind: ChannelKind) -> Tuple[SendEnd, ...]:
    return kind.all_sends()


SEND_METHODS = frozenset(end.send for kind in CHANNEL_KINDS for end in ends(kind))


@dataclass(eq=False)
class Construction:
    node: ast.expr  # the call, or the bare constructor given as a factory
    call: Optional[ast.Call]  # None for a factory: it is called without arguments
    kinds: List[ChannelKind]
    capacities: Dict[int, Set[str]] = field(default_factory=dict)  # by id(kind)


class ChannelFacts:
    """The channel constructions and sends of one module, as far as `ast` can tell."""

    def __init__(self, tree: ast.Module, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.scan = Scan(tree, ROOTS, SEND_METHODS)
        self.meanings = Meanings(self.scan)
        self.constructions = list(self._constructions())
        self._sites: Optional[Sites] = None
        self._split_lines: Optional[List[str]] = None
        self._lines: Dict[int, Union[Tuple[int, int], str]] = {}

    def _constructions(self) -> Iterator[Construction]:
        meanings = self.meanings
        for call in self.scan.calls:
            kinds = meanings.kinds(call.func)
            if kinds:
                yield Construction(call, call, kinds)
            for factory in meanings.factories(call):
                kinds = meanings.kinds(factory)
                if kinds:
                    yield Construction(factory, None, kinds)

    def _candidates(self, wanted: str) -> Iterator[Tuple[Construction, ChannelKind]]:
        """Constructions and kinds whose capacity may be `wanted` (BOUNDED or UNBOUNDED)."""
        for construction in self.constructions:
            for kind in construction.kinds:
                if id(kind) not in construction.capacities:
                    construction.capacities[id(kind)] = self.meanings.capacity(construction.call, kind)
                if wanted in construction.capacities[id(kind)]:
                    yield construction, kind

    # -- the rules' questions -----------------------------------------------------

    def unjustified_unbounded(self, options: Mapping[str, Any], settings: Mapping[str, Sequence[str]]) -> bool:
        """DSP301: an unbounded channel outside actor-inbox code with no justifying comment."""
        justifier: Optional[Justifier] = None
        for c, kind in self._candidates(UNBOUNDED):
            if not self.inbox(c, kind, settings)[1]:
                continue
            lines = self.statement_lines(c)
            if lines == UNCERTAIN or not self._comment_near(*lines):
                return True  # nothing can justify it
            justifier = justifier or Justifier(self.text, options)
            if not justifier.readable():
                return False
            if justifier.reason(*lines) is None:
                return True
        return False

    def _comment_near(self, first: int, last: int) -> bool:
        """Whether a `#` stands where justification.py looks for comments: the
        statement's lines, or a block starting at most one blank line away."""
        spans = [(first - 2, last + 2)] if first <= last else [(first - 2, first - 1), (last + 1, last + 2)]
        return any("#" in line for low, high in spans for line in self.sites.lines[max(low - 1, 0):high])

    # -- sites ----------------------------------------------------------------------

    @property
    def sites(self) -> Sites:
        if self._sites is None:
            self._sites = Sites(self.scan, self.text, NEWLINE.split(self.text))
        return self._sites

    def statement_lines(self, construction: Construction) -> Union[Tuple[int, int], str]:
        key = id(construction)
        if key not in self._lines:
            self._lines[key] = self.sites.statement_lines(construction.node)
        return self._lines[key]

    def inbox(self, construction: Construction, kind: ChannelKind,
              settings: Mapping[str, Sequence[str]]) -> Tuple[bool, bool]:
        """(may be actor-inbox code, may not be): inbox.py's `inbox_reason` on the site."""
        marked: Union[bool, str] = False
        if MARKER.search(self.text):
            lines = self.statement_lines(construction)
            if self._split_lines is None:
                self._split_lines = self.text.splitlines()  # as tracking.py reads the marker
            marked = UNCERTAIN if lines == UNCERTAIN else has_marker(self._split_lines, *lines)
        name = self.sites.site_name(construction.node, kind)
        owner = self.sites.enclosing_class(construction.node)
        bases_open = bool(settings["bases"]) and owner is not None and (
            bool(owner.bases) or any(k.arg is None for k in owner.keywords))
        site = ChannelSite(
            name=None if name == UNCERTAIN else name,
            class_name=owner.name if owner is not None else None,
            base_names=(),
            module=module_name(self.path),
            marked=marked is True,
        )
        surely = inbox_reason(site, settings) is not None
        return surely or UNCERTAIN in (marked, name) or bases_open, not surely


_LAST: List[Tuple[ast.Module, str, str, ChannelFacts]] = module_cache()


def channel_facts(tree: ast.Module, text: str, path: str) -> ChannelFacts:
    """The facts of `tree`, computed once for all the channel rules of one file."""
    if _LAST and _LAST[0][0] is tree and _LAST[0][1] is text and _LAST[0][2] == path:
        return _LAST[0][3]
    facts = ChannelFacts(tree, text, path)
    _LAST[:] = [(tree, text, path, facts)]
    return facts


def channel_screen(tree: ast.Module, text: str, path: str, question: Callable[[ChannelFacts], bool]) -> bool:
    """`question(channel_facts(...))`; True (let the file through) when the tree is too deep to walk."""
    try:
        return question(channel_facts(tree, text, path))
    except RecursionError:
        return True
