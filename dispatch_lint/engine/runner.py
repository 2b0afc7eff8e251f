"""Orchestrate a run: discover, read, check syntax, index, analyse, in parallel.

Phase A reads each file and checks its syntax with `ast` (and extracts index
facts when a rule needs the project index). Phase B parses with LibCST only the
files that some rule's pre-filter lets through, and runs those rules in one
batched pass. Both phases run in forked workers for more than a handful of files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Type, Union

from dispatch_lint.config import Settings
from dispatch_lint.engine import pool
from dispatch_lint.engine.analysis import analyse_text, rules_for
from dispatch_lint.engine.discovery import discover
from dispatch_lint.engine.problems import SyntaxErrorProblem, UnreadableFileProblem, problem
from dispatch_lint.engine.sources import Source, Unreadable, decode, digest_bytes, read_source
from dispatch_lint.engine.syntax import SyntaxProblem, parse_ast
from dispatch_lint.types import Diagnostic


@dataclass
class RunResult:
    diagnostics: List[Diagnostic]
    files: List[str]
    sources: Dict[str, Source] = field(default_factory=dict)
    parsed: int = 0
    index: Any = None


@dataclass
class _FileState:
    source: Union[Source, Unreadable]
    syntax: Optional[SyntaxProblem] = None
    facts: Any = None


# Shared with forked workers: set just before a pool starts.
_STATE: Dict[str, Any] = {}


def _phase_a(i: int) -> Tuple[Optional[SyntaxProblem], Any]:
    state: _FileState = _STATE["files"][i]
    source = state.source
    if isinstance(source, Unreadable):
        return None, None
    tree = parse_ast(source.text, source.path)
    if isinstance(tree, SyntaxProblem):
        return tree, None
    facts = None
    if _STATE["needs_index"]:
        from dispatch_lint.engine.index import extract_facts

        facts = extract_facts(source.path, source.text, tree, _STATE["root"])
    return None, facts


def _phase_b(i: int) -> List[Diagnostic]:
    state: _FileState = _STATE["files"][i]
    source = state.source
    if isinstance(source, Unreadable):
        return [problem(UnreadableFileProblem, source.path, source.line, 1, source.reason)]
    if state.syntax is not None:
        s = state.syntax
        return [problem(SyntaxErrorProblem, source.path, s.line, s.column, s.message)]
    rules = rules_for(_STATE["rules"], source.text, state.facts, _STATE["prefilter"])
    return analyse_text(source.path, source.text, rules, _STATE["options"], _STATE["index"])


def _crashed(i: int) -> List[Diagnostic]:
    path = _STATE["files"][i].source.path
    return [problem(SyntaxErrorProblem, path, 1, 1, "the parser crashed on this file")]


class Engine:
    def __init__(
        self,
        settings: Settings,
        rules: Sequence[Type],
        *,
        jobs: Optional[int] = None,
        prefilter: bool = True,
        progress: Optional[Callable[[str, int, int], None]] = None,
    ) -> None:
        """`progress(stage, files_done, files_total)` is called as files complete."""
        self.settings = settings
        self.rules = [rule for rule in rules if settings.enabled(rule.CODE)]
        self.jobs = jobs or pool.default_jobs()
        self.prefilter = prefilter
        self.progress = progress

    @property
    def needs_index(self) -> bool:
        return any(rule.NEEDS_INDEX for rule in self.rules)

    def run(self, paths: Sequence[str], overlay: Optional[Mapping[str, str]] = None) -> RunResult:
        files = discover(paths, self.settings)
        return self.run_files(files, overlay)

    def run_files(self, files: Sequence[str], overlay: Optional[Mapping[str, str]] = None) -> RunResult:
        states = [_FileState(self._read(path, overlay)) for path in files]
        index = None
        _STATE.update(
            files=states,
            rules=self.rules,
            options=self.settings.options,
            prefilter=self.prefilter,
            needs_index=self.needs_index,
            root=str(self.settings.root),
            index=None,
        )
        try:
            found = pool.run_all(_phase_a, range(len(states)), self.jobs, lambda i: (None, None),
                                 self._counter("reading", len(states)))
            for state, (syntax, facts) in zip(states, found):
                state.syntax, state.facts = syntax, facts
            if self.needs_index:
                index = self._index(states, overlay)
                _STATE["index"] = index
            if self.rules:
                import libcst  # noqa: F401  # warm the parser before forking

            results = pool.run_all(_phase_b, range(len(states)), self.jobs, _crashed,
                                   self._counter("checking", len(states)))
        finally:
            _STATE.clear()
        diagnostics = [d for result in results for d in result if self.settings.enabled(d.code)]
        diagnostics.sort(key=lambda d: d.sort_key)
        sources = {s.source.path: s.source for s in states if isinstance(s.source, Source)}
        return RunResult(diagnostics, list(files), sources, index=index)

    def _counter(self, stage: str, total: int) -> Optional[Callable[[int], None]]:
        if self.progress is None:
            return None
        report = self.progress
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            report(stage, done[0], total)

        return advance

    def _index(self, states: Sequence[_FileState], overlay: Optional[Mapping[str, str]]) -> Any:
        """The project index covers the whole project root, not only the named paths."""
        from dispatch_lint.engine.index import ProjectIndex

        facts = {s.source.path: s.facts for s in states if s.facts is not None}
        return ProjectIndex.for_project(self.settings, facts, overlay, self.jobs)

    @staticmethod
    def _read(path: str, overlay: Optional[Mapping[str, str]]) -> Union[Source, Unreadable]:
        if overlay is not None and path in overlay:
            original = read_source(path)
            text = overlay[path]
            if isinstance(original, Source):
                digest = digest_bytes(original.encode(text))
                return Source(path, text, original.encoding, original.bom, digest)
            return decode(path, text.encode("utf-8"))
        return read_source(path)


def check_text(settings: Settings, rules: Sequence[Type], path: str, text: str, index: Any = None) -> List[Diagnostic]:
    """Check one in-memory file (stdin, the flake8 plugin) with an optional index."""
    engine = Engine(settings, rules, jobs=1)
    tree = parse_ast(text, path)
    if isinstance(tree, SyntaxProblem):
        found = [problem(SyntaxErrorProblem, path, tree.line, tree.column, tree.message)]
    else:
        facts = None
        if engine.needs_index:
            from dispatch_lint.engine.index import extract_facts

            facts = extract_facts(path, text, tree, str(settings.root))
        active = rules_for(engine.rules, text, facts, True)
        found = analyse_text(path, text, active, settings.options, index)
    return [d for d in found if settings.enabled(d.code)]
