"""Findings and edits in the protocol's terms.

The engine counts lines from 1 and columns in characters from 1; the protocol
counts both from 0 and columns in the code units the client chose (UTF-16
unless it negotiated another encoding), so every position is converted with
the text of its line.
"""

from __future__ import annotations

import bisect
import functools
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

from lsprotocol import types as lsp

from dispatch_lint.engine.problems import PROBLEMS
from dispatch_lint.frontends.docs import rule_pages
from dispatch_lint.text import NEWLINE, line_starts
from dispatch_lint.types import Diagnostic, Edit, Position

SOURCE = "dispatch-lint"
UNSAFE_ANNOTATION = "dispatch-lint.unsafe-fix"
_PROBLEM_CODES = frozenset(problem.CODE for problem in PROBLEMS)
# The rule documentation in a source checkout (an installed wheel has none).
_RULE_DOCS = Path(__file__).resolve().parents[3] / "docs" / "rules"


class Lines:
    """The lines of one file's text, for converting its positions."""

    def __init__(self, text: str, codec: Any) -> None:
        self.text = text
        self.lines = NEWLINE.split(text)
        self.codec = codec
        self._starts: Optional[List[int]] = None

    def position(self, at: Position) -> lsp.Position:
        server = lsp.Position(line=at.line - 1, character=at.column - 1)
        return self.codec.position_to_client_units(self.lines, server)

    def range(self, start: Position, end: Position) -> lsp.Range:
        return lsp.Range(start=self.position(start), end=self.position(end))

    def at_offset(self, offset: int) -> Position:
        if self._starts is None:
            self._starts = line_starts(self.text)
        line = bisect.bisect_right(self._starts, offset)
        return Position(line, offset - self._starts[line - 1] + 1)


@functools.lru_cache(maxsize=None)
def doc_link(code: str) -> Optional[lsp.CodeDescription]:
    """A link to the rule's page, only where a file holds exactly what
    `dispatch-lint explain` prints (a source checkout): the JSON and SARIF
    output name no address, and neither does the server where no page is."""
    page = _RULE_DOCS / f"{code}.md"
    try:
        current = page.read_text(encoding="utf-8") == rule_pages().get(page.name)
    except (OSError, UnicodeDecodeError):
        current = False
    return lsp.CodeDescription(href=page.as_uri()) if current else None


def _keyword_range(d: Diagnostic, lines: Lines) -> Optional[lsp.Range]:
    """The `async` keyword that a DSP201 finding starts with."""
    start = Position(d.line, d.column)
    line = lines.lines[d.line - 1] if 0 < d.line <= len(lines.lines) else ""
    if line[d.column - 1 : d.column + 4] != "async":
        return None
    return lines.range(start, Position(d.line, d.column + 5))


def related_information(d: Diagnostic, uri_for: Callable[[str], str],
                        lines_for: Callable[[str], Lines]) -> List[lsp.DiagnosticRelatedInformation]:
    """The finding's related locations (where its channel was built) and, for a
    fix that edits call sites, each call site it rewrites."""
    found: List[lsp.DiagnosticRelatedInformation] = []
    for item in d.related:
        start = Position(item.line, item.column)
        where = lines_for(item.path).range(start, start)
        found.append(lsp.DiagnosticRelatedInformation(lsp.Location(uri_for(item.path), where), item.message))
    if d.code == "DSP201" and d.fix is not None:
        for edit in d.fix.edits[1:]:
            where = lines_for(edit.path).range(edit.start, edit.end)
            found.append(lsp.DiagnosticRelatedInformation(lsp.Location(uri_for(edit.path), where),
                                                          "awaited here"))
    return found


def to_lsp(d: Diagnostic, lines: Lines, uri_for: Callable[[str], str],
           lines_for: Callable[[str], Lines]) -> lsp.Diagnostic:
    tags = None
    where = lines.range(Position(d.line, d.column), Position(d.end_line, d.end_column))
    if d.code == "DSP201":
        keyword = _keyword_range(d, lines)
        if keyword is not None:
            where, tags = keyword, [lsp.DiagnosticTag.Unnecessary]
    related = related_information(d, uri_for, lines_for)
    return lsp.Diagnostic(
        range=where,
        message=d.message,
        severity=lsp.DiagnosticSeverity.Error if d.code in _PROBLEM_CODES else lsp.DiagnosticSeverity.Warning,
        code=d.code,
        code_description=doc_link(d.code),
        source=SOURCE,
        tags=tags,
        related_information=related or None,
        data={"name": d.name, "fixable": d.fix is not None},
    )


def overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    key = lambda p: (p.line, p.character)  # noqa: E731
    return not (key(a.end) < key(b.start) or key(b.end) < key(a.start))


def minimal_edit(old: str, new: str, path: str) -> Optional[Edit]:
    """One edit turning `old` into `new`: the span between their common prefix and suffix."""
    if old == new:
        return None
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    lines = Lines(old, None)
    return Edit(path, lines.at_offset(prefix), lines.at_offset(len(old) - suffix), new[prefix : len(new) - suffix])


class EditBuilder:
    """Edits of several files as one WorkspaceEdit, shaped for what the client supports."""

    def __init__(self, capabilities: lsp.ClientCapabilities, uri_for: Callable[[str], str],
                 version_of: Callable[[str], Optional[int]], lines_for: Callable[[str], Lines]) -> None:
        workspace = capabilities.workspace
        edit_caps = workspace.workspace_edit if workspace is not None else None
        self.versioned = bool(edit_caps and edit_caps.document_changes)
        self.annotations = self.versioned and bool(edit_caps and edit_caps.change_annotation_support)
        self.uri_for = uri_for
        self.version_of = version_of
        self.lines_for = lines_for

    def build(self, edits: Iterable[Edit], unsafe: bool = False, why: str = "") -> lsp.WorkspaceEdit:
        by_path: Dict[str, List[Edit]] = {}
        for edit in edits:
            by_path.setdefault(edit.path, []).append(edit)
        annotated = unsafe and self.annotations
        converted = {path: self._text_edits(path, mine, annotated) for path, mine in by_path.items()}
        if not self.versioned:
            return lsp.WorkspaceEdit(changes={self.uri_for(path): list(e) for path, e in converted.items()})
        changes = [
            lsp.TextDocumentEdit(
                text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=self.uri_for(path),
                                                                          version=self.version_of(path)),
                edits=list(text_edits),
            )
            for path, text_edits in converted.items()
        ]
        notes = None
        if annotated:
            notes = {UNSAFE_ANNOTATION: lsp.ChangeAnnotation(label="Unsafe fix", needs_confirmation=True,
                                                             description=why or None)}
        return lsp.WorkspaceEdit(document_changes=changes, change_annotations=notes)

    def _text_edits(self, path: str, edits: Sequence[Edit], annotated: bool) -> List[lsp.TextEdit]:
        lines = self.lines_for(path)
        if annotated:
            return [lsp.AnnotatedTextEdit(range=lines.range(e.start, e.end), new_text=e.content,
                                          annotation_id=UNSAFE_ANNOTATION) for e in edits]
        return [lsp.TextEdit(range=lines.range(e.start, e.end), new_text=e.content) for e in edits]
