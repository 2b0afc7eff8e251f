"""`check --add-noqa`: silence every current finding with `# noqa: CODE`.

A code is merged into the line's existing `# noqa: X` comment, never listed
twice; a blanket `# noqa` already covers everything. A comment goes only where
Python allows one: a line that ends inside a multi-line string or after a
backslash is skipped with a message. Each rewritten file must parse to the same
AST, and must then silence its findings, before it is written (atomically,
keeping its encoding, BOM and newlines).
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Set, TextIO, Tuple

from dispatch_lint.engine.noqa import NOQA, is_suppressed, noqa_map
from dispatch_lint.engine.problems import PROBLEMS
from dispatch_lint.engine.sources import NEWLINE, Source, Unreadable, digest_bytes, line_starts, read_source
from dispatch_lint.fixes.edits import apply_edits
from dispatch_lint.fixes.write import atomic_write
from dispatch_lint.types import Diagnostic, Edit, Position

UNSUPPRESSIBLE = {problem.CODE for problem in PROBLEMS}


@dataclass
class Plan:
    """What adding noqa comments to one file does."""

    text: str
    added: int = 0
    lines: int = 0
    skipped: List[str] = field(default_factory=list)


def _line_ends(text: str) -> Tuple[Set[int], Dict[int, Tuple[int, str]]]:
    """Lines whose end may take a comment, and each line's comment (column, text)."""
    open_ends: Set[int] = set()
    comments: Dict[int, Tuple[int, str]] = {}
    for token in tokenize.generate_tokens(io.StringIO(text, newline="").readline):
        if token.type in (tokenize.NEWLINE, tokenize.NL):
            open_ends.add(token.start[0])
        elif token.type == tokenize.COMMENT:
            comments[token.start[0]] = (token.start[1], token.string)
    return open_ends, comments


def _edit_for(path: str, number: int, line: str, comment: Optional[Tuple[int, str]],
              codes: List[str]) -> Tuple[Optional[Edit], int]:
    """The edit adding `codes` to line `number` (None when all are listed), and how many it adds."""
    if comment is not None:
        column, body = comment
        match = NOQA.search(body)
        if match is not None:
            listed = match.group("codes")
            if listed is None:
                return None, 0  # a blanket noqa
            present = {c.upper() for c in listed.replace(",", " ").split()}
            missing = [c for c in codes if not any(c.startswith(p) for p in present)]
            if not missing:
                return None, 0
            at = Position(number, column + match.end("codes") + 1)
            return Edit(path, at, at, ", " + ", ".join(missing)), len(missing)
    content_end = len(line.rstrip(" \t\f"))
    edit = Edit(path, Position(number, content_end + 1), Position(number, len(line) + 1),
                "  # noqa: " + ", ".join(codes))
    return edit, len(codes)


def plan_noqa(path: str, text: str, diagnostics: Sequence[Diagnostic]) -> Plan:
    plan = Plan(text)
    by_line: Dict[int, List[str]] = {}
    for d in diagnostics:
        if d.code in UNSUPPRESSIBLE:
            plan.skipped.append(f"{path}:{d.line}: {d.code} cannot be silenced with noqa; fix the file")
            continue
        by_line.setdefault(d.line, [])
        if d.code not in by_line[d.line]:
            by_line[d.line].append(d.code)
    if not by_line:
        return plan
    try:
        open_ends, comments = _line_ends(text)
    except (tokenize.TokenError, SyntaxError) as exc:
        plan.skipped.append(f"{path}: skipped, cannot be tokenized: {exc}")
        return plan
    starts = line_starts(text)
    edits: List[Edit] = []
    for number, codes in sorted(by_line.items()):
        if number not in open_ends:
            plan.skipped.append(f"{path}:{number}: skipped {', '.join(codes)}: the line ends inside a "
                                f"string or a backslash continuation, where a comment cannot go")
            del by_line[number]
            continue
        line = NEWLINE.split(text[starts[number - 1]:], maxsplit=1)[0]
        edit, count = _edit_for(path, number, line, comments.get(number), sorted(codes))
        if edit is not None:
            edits.append(edit)
            plan.added += count
            plan.lines += 1
    plan.text = apply_edits(text, edits)
    return _verified(path, text, plan, [d for d in diagnostics if d.line in by_line])


def _verified(path: str, original: str, plan: Plan, planned: Sequence[Diagnostic]) -> Plan:
    """The plan, or an empty one when the new text would change the code or not silence
    a `planned` finding."""
    try:
        same = plan.text == original or ast.dump(ast.parse(original)) == ast.dump(ast.parse(plan.text))
    except (SyntaxError, ValueError, RecursionError):
        same = False
    noqa = noqa_map(plan.text)
    unsilenced = [d for d in planned if d.code not in UNSUPPRESSIBLE and not is_suppressed(d, noqa)]
    if same and not unsilenced:
        return plan
    why = "the comments would change the code" if not same else "a comment would not silence its finding"
    return Plan(original, skipped=plan.skipped + [f"{path}: skipped, {why}"])


def add_noqa(diagnostics: Sequence[Diagnostic], sources: Mapping[str, Source], out: TextIO, err: TextIO) -> int:
    """Add the comments to every file with findings; exit status 0, or 1 if a file was not written."""
    by_path: Dict[str, List[Diagnostic]] = {}
    for d in diagnostics:
        by_path.setdefault(d.path, []).append(d)
    added = lines = files = 0
    failed = False
    for path, found in sorted(by_path.items()):
        source = sources.get(path) or read_source(path)
        if isinstance(source, Unreadable):
            err.write(f"{path}: skipped: {source.reason}\n")
            continue
        plan = plan_noqa(path, source.text, found)
        for message in plan.skipped:
            err.write(message + "\n")
        if plan.text == source.text:
            continue
        problem = _write(path, source, plan.text)
        if problem:
            err.write(f"{path}: not written: {problem}\n")
            failed = True
            continue
        added, lines, files = added + plan.added, lines + plan.lines, files + 1
    out.write(f"Added {added} noqa {'code' if added == 1 else 'codes'} on {lines} "
              f"{'line' if lines == 1 else 'lines'} in {files} {'file' if files == 1 else 'files'}.\n")
    return 1 if failed else 0


def _write(path: str, source: Source, text: str) -> Optional[str]:
    try:
        with open(path, "rb") as handle:
            if digest_bytes(handle.read()) != source.digest:
                return "it changed on disk since it was checked"
        atomic_write(path, source.encode(text))
    except (OSError, UnicodeEncodeError) as exc:
        return str(getattr(exc, "strerror", None) or exc)
    return None
