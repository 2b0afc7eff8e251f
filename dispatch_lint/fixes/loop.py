"""The fix loop: check, apply the allowed non-overlapping fixes, verify, repeat.

Each pass runs the engine over the named paths with the files changed so far
held in memory (the overlay), so a rewrite can expose the next finding: a
caller that lost its last await is dead async on the next pass. A fix is
applied whole or not at all, even when its edits span several files, and every
changed file must parse and compile before its fixes are accepted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Protocol, Sequence, Tuple, Union

from dispatch_lint.config import DEFAULT_MEMORY_BUDGET
from dispatch_lint.engine.runner import RunResult
from dispatch_lint.engine.sources import Source, Unreadable, read_source
from dispatch_lint.fixes.edits import EditConflict, apply_edits, overlaps, replaced_texts, spans
from dispatch_lint.fixes.verify import breakage
from dispatch_lint.types import Applicability, Diagnostic, Edit

MAX_PASSES = 25
UNSAFE_REASON = "unsafe fix, use --unsafe-fixes"
NO_FIX_REASON = "no fix available"

# Why a file may not be edited (None: it may); see fixes.write.edit_guard.
EditGuard = Callable[[str], Optional[str]]


class Checker(Protocol):
    """What the loop checks with: `engine.runner.Engine`, or one in-memory file (codemods)."""

    def run(self, paths: Sequence[str], overlay: Optional[Mapping[str, str]] = None) -> RunResult: ...


@dataclass(frozen=True)
class AppliedFix:
    diagnostic: Diagnostic
    # Per edit, in the fix's order: the file (as the run names it) and the text replaced.
    paths: Tuple[str, ...]
    replaced: Tuple[str, ...]
    pass_number: int


@dataclass(frozen=True)
class Remaining:
    diagnostic: Diagnostic
    reason: str


@dataclass
class FixOutcome:
    originals: Dict[str, Source]
    texts: Dict[str, str]
    applied: List[AppliedFix]
    remaining: List[Remaining]
    passes: int

    def changed(self) -> Dict[str, str]:
        """New text of every file the applied fixes change."""
        return {path: text for path, text in self.texts.items() if text != self.originals[path].text}

    def withdraw(self, refused: Mapping[str, str]) -> None:
        """Count fixes touching a refused file as remaining, with the refusal as reason."""
        kept: List[AppliedFix] = []
        for applied in self.applied:
            reasons = [refused[path] for path in applied.paths if path in refused]
            if reasons:
                self.remaining.append(Remaining(applied.diagnostic, reasons[0]))
            else:
                kept.append(applied)
        self.applied = kept
        for path in refused:
            self.texts.pop(path, None)
        self.remaining.sort(key=lambda r: r.diagnostic.sort_key)


def _key(diagnostic: Diagnostic) -> tuple:
    """A fix's identity across passes (positions shift as other fixes apply)."""
    fix = diagnostic.fix
    assert fix is not None
    return (diagnostic.code, diagnostic.path, diagnostic.message, fix.description,
            tuple((os.path.normpath(e.path), e.content) for e in fix.edits))


class FixLoop:
    def __init__(
        self,
        engine: Checker,
        *,
        unsafe: bool = False,
        guard: EditGuard = lambda path: None,
        max_passes: int = MAX_PASSES,
        budget: Union[Optional[int], Callable[[str], Optional[int]]] = DEFAULT_MEMORY_BUDGET,
    ) -> None:
        """`budget`: the memory, in bytes, that verifying one fixed file may take
        (or, called with a file's path, that file's own budget)."""
        self.engine = engine
        self.budget = budget
        self.unsafe = unsafe
        self.guard = guard
        self.max_passes = max_passes

    def run(self, paths: Sequence[str], overlay: Optional[Mapping[str, str]] = None) -> FixOutcome:
        self.overlay: Dict[str, str] = dict(overlay or {})
        self.originals: Dict[str, Source] = {}
        self.rejected: Dict[tuple, str] = {}
        self.known: Dict[str, str] = {}
        applied: List[AppliedFix] = []
        for number in range(1, self.max_passes + 1):
            result = self._check(paths)
            done = self._apply_pass(result, number)
            if not done:
                return self._outcome(result, applied, number)
            applied.extend(done)
        return self._outcome(self._check(paths), applied, self.max_passes)

    def allowed(self, diagnostic: Diagnostic) -> bool:
        fix = diagnostic.fix
        return fix is not None and (fix.applicability is Applicability.SAFE or self.unsafe)

    # -- one pass ----------------------------------------------------------------

    def _check(self, paths: Sequence[str]) -> RunResult:
        result = self.engine.run(paths, self.overlay)
        for path, source in result.sources.items():
            self.originals.setdefault(path, source)
        for path in result.files:
            self.known.setdefault(os.path.realpath(path), path)
        return result

    def _canonical(self, path: str) -> str:
        """An edit's path spelled as the run spells that file (the overlay's key):
        a file reached by two names is one file."""
        return self.known.get(os.path.realpath(path), os.path.normpath(path))

    def _text(self, path: str) -> Optional[str]:
        if path in self.overlay:
            return self.overlay[path]
        if path not in self.originals:
            source = read_source(path)
            if isinstance(source, Unreadable):
                return None
            self.originals[path] = source
        return self.originals[path].text

    def _apply_pass(self, result: RunResult, number: int) -> List[AppliedFix]:
        candidates = [d for d in result.diagnostics
                      if self.allowed(d) and _key(d) not in self.rejected]
        while candidates:
            chosen, texts = self._select(candidates)
            broken = self._first_breakage(texts)
            if broken is None:
                return self._commit(chosen, texts, number)
            path, reason = broken
            for diagnostic, edits in chosen:
                if any(p == path for p, _ in edits):
                    self.rejected[_key(diagnostic)] = f"fix not applied: {reason}"
            candidates = [d for d in candidates if _key(d) not in self.rejected]
        return []

    def _select(
        self, candidates: Iterable[Diagnostic]
    ) -> Tuple[List[Tuple[Diagnostic, List[Tuple[str, Edit]]]], Dict[str, str]]:
        """The candidates whose edits overlap no earlier choice, and the texts they give."""
        taken: Dict[str, List[Tuple[int, int]]] = {}
        by_file: Dict[str, List[Edit]] = {}
        chosen = []
        for diagnostic in candidates:
            edits = [(self._canonical(e.path), e) for e in diagnostic.fix.edits]
            own = self._own_spans(diagnostic, edits)
            if own is None:
                continue
            if any(overlaps(span, taken.get(path, ())) for path, spans_ in own.items() for span in spans_):
                continue  # conflicts with a fix chosen earlier: the next pass retries it
            for path, spans_ in own.items():
                taken.setdefault(path, []).extend(spans_)
            for path, edit in edits:
                by_file.setdefault(path, []).append(edit)
            chosen.append((diagnostic, edits))
        texts = {path: apply_edits(self._text(path), edits) for path, edits in by_file.items()}
        return chosen, texts

    def _own_spans(
        self, diagnostic: Diagnostic, edits: List[Tuple[str, Edit]]
    ) -> Optional[Dict[str, List[Tuple[int, int]]]]:
        """Offsets of the fix's edits per file, or None (and a reason kept) when it cannot apply."""
        reason = None
        own: Dict[str, List[Tuple[int, int]]] = {}
        changes = False
        for path in dict.fromkeys(path for path, _ in edits):
            text = self._text(path)
            refusal = self.guard(path)
            if refusal:
                reason = f"fix not applied: {path} {refusal}"
            elif text is None:
                reason = f"fix not applied: cannot read {path}"
            else:
                mine = [e for p, e in edits if p == path]
                try:
                    changes = changes or apply_edits(text, mine) != text
                    own[path] = [(start, end) for start, end, _ in spans(text, mine)]
                except EditConflict as exc:
                    reason = f"fix not applied: bad edits in {path}: {exc}"
            if reason:
                self.rejected[_key(diagnostic)] = reason
                return None
        if not changes:  # applying it would repeat in every pass
            self.rejected[_key(diagnostic)] = "the fix changes nothing"
            return None
        return own

    def _first_breakage(self, texts: Mapping[str, str]) -> Optional[Tuple[str, str]]:
        for path, text in texts.items():
            budget = self.budget(path) if callable(self.budget) else self.budget
            reason = breakage(path, text, self.originals.get(path), budget)
            if reason:
                return path, reason
        return None

    def _commit(self, chosen, texts: Mapping[str, str], number: int) -> List[AppliedFix]:
        done = []
        for diagnostic, edits in chosen:
            replaced = tuple(replaced_texts(self._text(path), [edit])[0] for path, edit in edits)
            done.append(AppliedFix(diagnostic, tuple(p for p, _ in edits), replaced, number))
        self.overlay.update(texts)
        return done

    # -- the result --------------------------------------------------------------

    def _outcome(self, result: RunResult, applied: List[AppliedFix], passes: int) -> FixOutcome:
        remaining = [Remaining(d, self._reason(d)) for d in result.diagnostics]
        texts = {path: text for path, text in self.overlay.items() if path in self.originals}
        return FixOutcome(self.originals, texts, applied, remaining, passes)

    def _reason(self, diagnostic: Diagnostic) -> str:
        if diagnostic.fix is None:
            return diagnostic.no_fix_reason or NO_FIX_REASON
        if not self.allowed(diagnostic):
            return UNSAFE_REASON
        if _key(diagnostic) in self.rejected:
            return self.rejected[_key(diagnostic)]
        # Only reachable when the pass limit ends the loop.
        return f"fixable, but not applied within the limit of {self.max_passes} passes; run again"

