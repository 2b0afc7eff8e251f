"""Orchestrate a run: discover, consult the cache, check syntax, index, analyse.

Files whose cached results still hold are neither parsed nor (when their size
and mtime are unchanged) even read. For the others, phase A checks the syntax
with `ast` (and extracts index facts when a rule needs the project index), and
phase B parses with LibCST only the files that some rule's pre-filter lets
through and runs those rules in one batched pass. Without an index both phases
run back to back in one worker pass; with one, the index is built in between.
Passes run in forked workers for more than a handful of files.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Type, Union

from dispatch_lint.config import Settings
from dispatch_lint.engine import pool
from dispatch_lint.engine.analysis import analyse_text, parses, rules_for
from dispatch_lint.engine.cache import (
    ResultCache,
    results_key,
    rule_ids,
    rule_modules,
    stat_or_none,
    tool_fingerprint,
    universe_digest,
)
from dispatch_lint.engine.discovery import discover, one_name_per_file
from dispatch_lint.engine.facts_cache import FactsCache
from dispatch_lint.engine.problems import SyntaxErrorProblem, UnreadableFileProblem, problem
from dispatch_lint.engine.sources import Source, Unreadable, decode, digest_bytes, read_source
from dispatch_lint.engine.syntax import SyntaxProblem, parse_ast
from dispatch_lint.model.modules import real_path
from dispatch_lint.spill import Spill
from dispatch_lint.types import Diagnostic, InternalError


@dataclass
class RunResult:
    diagnostics: List[Diagnostic]
    files: List[str]
    # The files this run read (a cache hit by size and mtime is not read).
    sources: Dict[str, Source] = field(default_factory=dict)
    # How many files LibCST parsed.
    parsed: int = 0
    index: Any = None


@dataclass
class _FileState:
    path: str
    # The file's own settings (its closest configuration).
    settings: Settings
    source: Union[Source, Unreadable, None] = None
    stat: Optional[os.stat_result] = None
    cacheable: bool = False
    # From the cache, or computed by this run (None: not yet).
    findings: Optional[List[Diagnostic]] = None
    index_key: Optional[str] = None
    digest: Optional[str] = None
    syntax: Optional[SyntaxProblem] = None
    facts: Any = None
    # What the rules that do not read the index found in phase A (None: not run).
    early: Optional[List[Diagnostic]] = None
    early_parsed: bool = False
    # Phase B's weight (see `_parse_weight`), when phase A had the text at hand.
    parse_weight: Optional[int] = None


# What phase B reports for one file: findings, whether a rule read the project
# index (None when the worker crashed: not cached), whether LibCST parsed it,
# and the key of its result in the cache (for a result that read the index).
Outcome = Tuple[List[Diagnostic], Optional[bool], bool, Optional[str]]

# Shared with forked workers: set just before a pool starts.
_STATE: Dict[str, Any] = {}


# Phase A's answer: the syntax problem, the index facts, the findings (and
# LibCST parse) of the rules that need no index, and phase B's weight.
PhaseA = Tuple[Optional[SyntaxProblem], Any, Optional[List[Diagnostic]], bool, Optional[int]]


def _naming_the_file(func: Callable[[int], Any]) -> Callable[[int], Any]:
    """A bug met on a file is raised as an InternalError naming that file."""

    @functools.wraps(func)
    def wrapped(i: int) -> Any:
        try:
            return func(i)
        except InternalError:
            raise
        except Exception as exc:
            raise InternalError(_STATE["files"][i].path, f"{type(exc).__name__}: {exc}") from exc

    return wrapped


@_naming_the_file
def _phase_a(i: int) -> PhaseA:
    """`ast` checks and facts of the file; then, if it is to be checked, the
    rules that need no index run at once, so their LibCST work shares this
    pass with the `ast` work instead of waiting for the index."""
    state: _FileState = _STATE["files"][i]
    source = state.source
    if not isinstance(source, Source):
        return None, None, None, False, 0
    text = source.text
    tree = parse_ast(text, source.path, state.settings.memory_budget)
    if isinstance(tree, SyntaxProblem):
        return tree, None, None, False, 0
    facts = None
    if _STATE["needs_index"]:
        from dispatch_lint.engine.index import extract_packed

        # With a cache, the facts cache keeps them compressed and digested: done here, in parallel.
        keyed = _STATE["keyed"]
        facts = extract_packed(source.path, text, tree, _STATE["root"], compress=keyed, digest=keyed)
        facts = facts.handed_over(_STATE["spill"])
    if state.findings is not None:  # read for its facts only: its results are cached
        return None, facts, None, False, _text_weight(state, text, None)
    local = rules_for([rule for rule in _own_rules(state) if not rule.NEEDS_INDEX], text, facts,
                      _STATE["prefilter"])
    early = analyse_text(source.path, text, local, state.settings.options, None,
                         state.settings.memory_budget)
    return None, facts, early, parses(local), _text_weight(state, text, early)


def _own_rules(state: _FileState) -> List[Type]:
    """The run's rules that the file's own settings enable."""
    return [rule for rule in _STATE["rules"] if state.settings.enabled(rule.CODE)]


def _unrun_rules(state: _FileState, early: Optional[List[Diagnostic]]) -> List[Type]:
    """The rules phase A did not run on a file already (`early`: what it found)."""
    own = _own_rules(state)
    return own if early is None else [rule for rule in own if rule.NEEDS_INDEX]


def _remaining_rules(state: _FileState, text: str) -> List[Type]:
    """The rules phase B runs on a file."""
    return rules_for(_unrun_rules(state, state.early), text, state.facts, _STATE["prefilter"])


@_naming_the_file
def _phase_b(i: int) -> Outcome:
    """The file's findings; the worker that found them derives the cache key
    of a result that read the index (its memos hold what the verdicts read).
    A cached result whose key still holds is kept as it is."""
    state: _FileState = _STATE["files"][i]
    key = None
    if state.findings is not None and state.index_key is not None:
        key = dependency_key(_STATE["index"], state.path, _STATE["rules"])
        if key == state.index_key:
            return state.findings, True, False, key
    found, uses_index, parsed = _analysed(i)
    if not (uses_index and _STATE["keyed"]):
        return found, uses_index, parsed, None
    if key is None:  # the analysis changes nothing the key digests: one derived above holds
        key = dependency_key(_STATE["index"], state.path, _STATE["rules"])
    return found, uses_index, parsed, key


def _analysed(i: int) -> Tuple[List[Diagnostic], bool, bool]:
    state: _FileState = _STATE["files"][i]
    source = state.source
    if isinstance(source, Unreadable):
        return [problem(UnreadableFileProblem, source.path, source.line, 1, source.reason)], False, False
    if state.syntax is not None:
        s = state.syntax
        return [problem(SyntaxErrorProblem, source.path, s.line, s.column, s.message)], False, False
    if _STATE["index"] is not None:
        _STATE["index"].between_files()
    # A pre-filter that consulted the index made the findings depend on it too.
    uses_index = _STATE["needs_index"] and (state.facts is None or state.facts.has_candidates)
    if state.early is not None and any(d.code == SyntaxErrorProblem.CODE for d in state.early):
        return state.early, uses_index, state.early_parsed  # LibCST refused the file
    text = source.text
    rules = _remaining_rules(state, text)
    found = analyse_text(source.path, text, rules, state.settings.options, _STATE["index"],
                         state.settings.memory_budget)
    if state.early is not None:
        found = sorted(state.early + found, key=lambda d: d.sort_key)
    return found, uses_index, parses(rules) or state.early_parsed


@_naming_the_file
def _check(i: int) -> Outcome:
    """Both phases in one go, for runs without a project index."""
    state: _FileState = _STATE["files"][i]
    state.syntax, state.facts, state.early, state.early_parsed, _ = _phase_a(i)
    return _phase_b(i)


def _crashed(i: int) -> Outcome:
    path = _STATE["files"][i].path
    return [problem(SyntaxErrorProblem, path, 1, 1, "the parser crashed on this file")], None, False, None


def _weight(i: int) -> int:
    source = _STATE["files"][i].source
    return source.size if isinstance(source, Source) else 0


def _parse_weight(i: int) -> int:
    """Phase B's cost is LibCST's: files it will not parse weigh next to nothing,
    so that the few it parses are spread over the workers. Weighed in phase A
    where it read the file, here otherwise."""
    state: _FileState = _STATE["files"][i]
    if state.parse_weight is not None:
        return state.parse_weight
    if not isinstance(state.source, Source) or state.syntax is not None:
        return 0
    return _text_weight(state, state.source.text, state.early)


def _text_weight(state: _FileState, text: str, early: Optional[List[Diagnostic]]) -> int:
    """The file's size if the text pre-filters of the rules left for phase B
    let it through (the pre-filters that ask the project run in the workers), else 0."""
    parsing = [rule for rule in _unrun_rules(state, early) if rule.NEEDS_CST]
    return len(text) if rules_for(parsing, text, None, _STATE["prefilter"]) else 0


class Engine:
    def __init__(
        self,
        settings: Settings,
        rules: Sequence[Type],
        *,
        jobs: Optional[int] = None,
        prefilter: bool = True,
        progress: Optional[Callable[[str, int, int], None]] = None,
        force_exclude: bool = False,
        other_projects: Sequence[str] = (),
    ) -> None:
        """`progress(stage, files_done, files_total)` is called as files complete;
        `force_exclude` applies `exclude` to the named files too; `other_projects`
        are paths of other projects named in the same command, whose text may
        hold call sites the model cannot see."""
        self.settings = settings
        self.all_rules = list(rules)
        self.rules = [rule for rule in rules if settings.enabled(rule.CODE)]
        self.fingerprint = settings.fingerprint()
        self.jobs = jobs or pool.default_jobs()
        self.prefilter = prefilter
        self.progress = progress
        self.force_exclude = force_exclude
        self.other_projects = list(other_projects)
        # Where the current run keeps the texts and facts of its files (made by `run_files`).
        self.spill: Optional[Spill] = None

    @property
    def needs_index(self) -> bool:
        return any(rule.NEEDS_INDEX for rule in self.rules)

    def cache_key(self) -> str:
        tool = tool_fingerprint(rule_modules(self.rules))
        return results_key(self.fingerprint, rule_ids(self.rules), self.prefilter, tool)

    def _resolve(self, files: Sequence[str]) -> List[Settings]:
        """Each file's own settings; the run's rules become those any of them enables,
        and the cache key covers every configuration involved."""
        own = [self.settings.for_file(path) for path in files]
        distinct = {s.fingerprint(): s for s in {id(s): s for s in own}.values()}
        self.rules = [rule for rule in self.all_rules if any(s.enabled(rule.CODE) for s in distinct.values())]
        self.fingerprint = hashlib.blake2b(" ".join(sorted(distinct)).encode(), digest_size=12).hexdigest()
        return own

    def run(self, paths: Sequence[str], overlay: Optional[Mapping[str, str]] = None,
            files: Optional[Sequence[str]] = None) -> RunResult:
        """`files`: the discovery of `paths`, when the caller has it."""
        if files is None:
            files = discover(paths, self.settings, self.force_exclude)
        return self.run_files(one_name_per_file(files), overlay)

    def run_files(self, files: Sequence[str], overlay: Optional[Mapping[str, str]] = None) -> RunResult:
        own = self._resolve(files)
        self.spill = Spill()
        self.spill.open()
        cache = ResultCache(str(self.settings.cache_dir), self.cache_key()) if self.settings.cache else None
        states = [self._prepare(path, settings, overlay, cache) for path, settings in zip(files, own)]
        index = None
        parsed = 0
        _STATE.update(
            files=states,
            rules=self.rules,
            prefilter=self.prefilter,
            needs_index=self.needs_index,
            root=str(self.settings.root),
            spill=self.spill,
            keyed=cache is not None,
            index=None,
        )
        try:
            todo = [i for i, state in enumerate(states) if state.findings is None]
            if self.needs_index:
                # The index needs every file's facts, cached results or not;
                # facts cached for an unchanged file are taken without reading it.
                facts_cache = FactsCache(str(self.settings.cache_dir), str(self.settings.root)) if cache else None
                stats = {real_path(s.path): s.stat for s in states}
                reading = self._take_cached_facts(states, facts_cache, overlay)
                self._read_missing(states, reading)
                self._run_pass(_phase_a, reading, "reading", self._keep_facts)
                index = _STATE["index"] = self._index(states, overlay, facts_cache, stats)
                if cache is not None and facts_cache is not None:
                    _store_facts(facts_cache, states, index, stats, overlay)
                    cache.set_index_universe(None if overlay else universe_digest(files, stats))
                # A cached result that read the index is checked again in the
                # workers unless its key (what its verdicts read) still holds.
                todo = [i for i, state in enumerate(states) if state.findings is None or state.index_key is not None]
                self._read_missing(states, todo)
                outcomes = self._run_pass(_phase_b, todo, "checking")
            else:
                outcomes = self._run_pass(_check, todo, "checking")
        finally:
            _STATE.clear()
        for i, (found, uses_index, did_parse, key) in zip(todo, outcomes):
            state = states[i]
            state.findings = found
            state.cacheable = state.cacheable and uses_index is not None
            state.index_key = key
            parsed += did_parse
        if cache is not None:
            self._store(cache, states)
        diagnostics = [d for s in states for d in s.findings if s.settings.enabled(d.code)]
        diagnostics.sort(key=lambda d: d.sort_key)
        sources = {s.path: s.source for s in states if isinstance(s.source, Source)}
        return RunResult(diagnostics, list(files), sources, parsed=parsed, index=index)

    def _run_pass(self, func: Callable[[int], Any], todo: List[int], stage: str,
                  keep: Optional[Callable[[int, Any], None]] = None) -> List[Any]:
        forks = pool.forks(len(todo), self.jobs)
        if forks and self._parses_in(func, todo):
            _load_parser()  # once, before forking
        results = pool.run_all(func, todo, self.jobs, _crashed if func is not _phase_a else _no_facts,
                               self._counter(stage, len(todo)), weight=_parse_weight if func is _phase_b else _weight,
                               arrive=self._arrival(forks) if func is _phase_a else None)
        if keep is not None:
            for i, result in zip(todo, results):
                keep(i, result)
        return results

    def _parses_in(self, func: Callable[[int], Any], todo: List[int]) -> bool:
        """Whether the pass's workers may parse with LibCST. Phase A parses only
        for the rules that need no index; the parser the checking pass needs is
        loaded while phase A runs (see `_arrival`), not before it."""
        if func is _phase_a and all(rule.NEEDS_INDEX for rule in self.rules):
            return False
        return any(_parse_weight(i) for i in todo)

    def _take_cached_facts(self, states: Sequence[_FileState], facts_cache: Optional[FactsCache],
                           overlay: Optional[Mapping[str, str]]) -> List[int]:
        """Take the facts the facts cache still holds (kept in the spill, as the
        first pass's facts are); the files left to read and extract."""
        if facts_cache is not None:
            for state in states:
                if overlay is not None and state.path in overlay:
                    continue
                digest = state.source.digest if isinstance(state.source, Source) else None
                hit, facts = facts_cache.lookup(real_path(state.path), state.stat, digest)
                if hit:
                    state.facts = facts.taken_over(self.spill)
        return [i for i, state in enumerate(states) if state.facts is None]

    def _arrival(self, forks: bool) -> Callable[[PhaseA], PhaseA]:
        """What this process does with a file's phase A result: bind its facts to
        the spill; in a forked run, load LibCST as soon as a file may need it
        (the other workers run meanwhile: the load leaves the serial path)."""

        def arrive(result: PhaseA) -> PhaseA:
            if result[1] is not None:
                result[1].taken_over(self.spill)
            if forks and result[4]:
                _load_parser()
            return result

        return arrive

    @staticmethod
    def _keep_facts(i: int, result: PhaseA) -> None:
        state = _STATE["files"][i]
        state.syntax, state.facts, state.early, state.early_parsed, state.parse_weight = result

    def _read_missing(self, states: Sequence[_FileState], todo: Sequence[int]) -> None:
        for i in todo:
            if states[i].source is None:
                states[i].source = self._read_file(states[i].path)

    def _read_file(self, path: str) -> Union[Source, Unreadable]:
        return read_source(path, self.settings.for_file(path).max_file_size, self.spill)

    def _prepare(self, path: str, settings: Settings, overlay: Optional[Mapping[str, str]],
                 cache: Optional[ResultCache]) -> _FileState:
        """Read the file unless the cache proves it unchanged; take cached results that hold."""
        if overlay is not None and path in overlay:
            return _FileState(path, settings, self._read(path, overlay))
        if cache is None:
            return _FileState(path, settings, self._read_file(path))
        try:
            stat: Optional[os.stat_result] = os.stat(path)
        except OSError:
            stat = None
        state = _FileState(path, settings, stat=stat)
        entry = cache.unchanged(path, stat)
        if entry is None:
            state.source = self._read_file(path)
            if not isinstance(state.source, Source):
                return state
            state.cacheable = True
            entry = cache.get(path)
            if entry is None or entry.digest != state.source.digest:
                return state
        findings = entry.diagnostics(path)
        if findings is None:  # an entry that does not decode: check the file afresh
            if state.source is None:
                state.source = self._read_file(path)
            state.cacheable = isinstance(state.source, Source)
            return state
        state.cacheable = True
        state.findings, state.index_key, state.digest = findings, entry.index_key, entry.digest
        return state

    @staticmethod
    def _store(cache: ResultCache, states: Sequence[_FileState]) -> None:
        for state in states:
            if state.cacheable:
                digest = state.source.digest if isinstance(state.source, Source) else state.digest
                cache.put(state.path, state.stat, digest, state.index_key, state.findings, None)
        cache.save()

    def _counter(self, stage: str, total: int) -> Optional[Callable[[int], None]]:
        if self.progress is None:
            return None
        report = self.progress
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            report(stage, done[0], total)

        return advance

    def _index(self, states: Sequence[_FileState], overlay: Optional[Mapping[str, str]],
               facts_cache: Optional[FactsCache], stats: Dict[str, Optional[os.stat_result]]) -> Any:
        """The project index covers the whole project root, not only the named paths."""
        from dispatch_lint.engine.index import ProjectIndex
        from dispatch_lint.model.store import MEMORY_ROOM

        facts = {s.path: s.facts for s in states if s.facts is not None}

        def cached(real: str) -> Tuple[bool, Any]:
            stat = stats[real] = stat_or_none(real)
            return facts_cache.lookup(real, stat) if facts_cache is not None else (False, None)

        index = ProjectIndex.for_project(self.settings, facts, overlay, self.jobs, cached,
                                         self.other_projects, self.spill)
        # A run's workers are short-lived and read nearly every file's facts:
        # the unpacked ones stay while there is room (a server or a flake8
        # process lives long, and keeps the fixed budget).
        index.files.room = MEMORY_ROOM
        return index

    def _read(self, path: str, overlay: Optional[Mapping[str, str]]) -> Union[Source, Unreadable]:
        if overlay is not None and path in overlay:
            original = self._read_file(path)
            text = overlay[path]
            if isinstance(original, Source):
                digest = digest_bytes(original.encode(text))
                return Source(path, text, original.encoding, original.bom, digest)
            return decode(path, text.encode("utf-8"))
        return self._read_file(path)


def _store_facts(facts_cache: FactsCache, states: Sequence[_FileState], index: Any,
                 stats: Mapping[str, Optional[os.stat_result]], overlay: Optional[Mapping[str, str]]) -> None:
    checked = {os.path.realpath(path) for path in overlay or ()}
    for state in states:
        real = real_path(state.path)
        digest = state.source.digest if isinstance(state.source, Source) else state.digest
        if state.facts is not None and digest and real not in checked:
            facts_cache.put(real, state.stat, digest, state.facts)
        checked.add(real)
    for real, facts in index.files.packed.items():
        if real not in checked and real in stats:
            facts_cache.put(real, stats[real], "", facts)
    facts_cache.save()


def dependency_key(project: Any, path: str, rules: Sequence[Any]) -> str:
    """The key of a file's result under `rules`: the digest of what the verdicts
    of its project-reading rules read in the model."""
    facts = project.file(path)
    readers = [rule for rule in rules if rule.NEEDS_INDEX]
    return project.dependency_key(path, lambda: [rule.read_project(facts) for rule in readers if facts])


def _load_parser() -> None:
    """Load LibCST in this process (the checking pass's workers, forked next, share it)."""
    import libcst  # noqa: F401
    import libcst.metadata  # noqa: F401


def _no_facts(i: int) -> PhaseA:
    return None, None, None, False, None
