"""The server's view of one project: its settings, a live project model, and
the findings of a file, with the editor's unsaved buffers as the text of their
files.

The project model is built once per project root from the facts cache that
`check` shares (only files changed since are read), then kept current file by
file: an edit re-extracts the model facts of the edited file alone and
replaces them in the model, which keeps what it derived without reading that
file, so nothing re-analyses the whole project per keystroke. While a buffer
does not parse, the model keeps the facts of its last version that did, so
findings in other files do not flicker as the user types.
"""

from __future__ import annotations

import ast
import gc
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from dispatch_lint import registry
from dispatch_lint.config import Settings
from dispatch_lint.cst_tree import forget_modules
from dispatch_lint.engine.discovery import discover_project
from dispatch_lint.engine.index import ProjectIndex, add_other_names, extract_facts
from dispatch_lint.engine.runner import RunResult, dependency_key
from dispatch_lint.engine.single import check_text
from dispatch_lint.engine.sources import Source, read_source
from dispatch_lint.engine.syntax import parse_ast
from dispatch_lint.model import project as model
from dispatch_lint.model.facts import ModuleFacts
from dispatch_lint.model.store import PackedFacts, packed
from dispatch_lint.rules import ALL_RULES
from dispatch_lint.types import Diagnostic


def document_settings(path: str, overrides: Mapping[str, Any]) -> Tuple[Settings, Settings]:
    """(the settings of the project holding `path`, the settings of `path` itself),
    resolved as the command resolves them: the closest pyproject.toml."""
    run = registry.settings_for([path], dict(overrides))
    return run, run.for_file(path)


def _parsed(path: str, text: str) -> Optional[ast.Module]:
    tree = parse_ast(text, path)
    return tree if isinstance(tree, ast.Module) else None


def collect_garbage(full: bool = True) -> int:
    """Collect, then freeze what is alive, so that later collections walk only
    what was allocated since, not the whole model. The last check's LibCST
    tree (and its scopes, which hold cycles) is let go first, so that it dies
    now instead of being frozen. A full collection also walks what was frozen
    before (a few hundred milliseconds on a 100k-line project): cycles that
    were alive when frozen and died since are reclaimed only then.
    Answers how many unreachable objects the collection found."""
    forget_modules()
    if full:
        gc.unfreeze()
    found = gc.collect()
    gc.freeze()
    return found


def _retire(facts: Any) -> None:
    """Cut the link from facts leaving the model back to the model, the one cycle
    that keeps an old model alive after a join: then reference counting frees it."""
    if facts is not None:
        facts.index = None


class Project:
    """One project root, as the editor sees it."""

    def __init__(self, settings: Settings, overrides: Mapping[str, Any]) -> None:
        self.settings = settings
        self.overrides = dict(overrides)
        self.root = os.path.realpath(settings.root)
        self.discovered: Set[str] = set()
        self.other_names: List[str] = []  # paths through a symlink to a project file
        self.facts: Dict[str, PackedFacts] = {}
        self.hidden = model.Hidden()
        self._own_settings: Dict[str, Settings] = {}
        self._last: Dict[str, Tuple[str, Optional[ast.Module]]] = {}  # real path -> its last text, parsed
        self._extracted: Dict[str, Tuple[str, ModuleFacts]] = {}  # real path -> its last text's model facts
        self._indexed: Dict[str, str] = {}  # real path -> the text its facts in the model come from
        self._keys: Dict[str, str] = {}  # real path -> its dependency key in the current model
        self.index: model.Project = self._join({})

    def load(self, buffers: Mapping[str, str]) -> None:
        """Build the model from disk, through the facts cache, with `buffers`
        (real path -> text) in place of their files."""
        from dispatch_lint.engine.cache import stat_or_none
        from dispatch_lint.engine.facts_cache import FactsCache

        store = FactsCache(str(self.settings.cache_dir), str(self.settings.root)) if self.settings.cache else None
        missed: Dict[str, Any] = {}

        def cached(real: str) -> Tuple[bool, Any]:
            if store is None:
                return False, None
            stat = stat_or_none(real)
            hit, facts = store.lookup(real, stat)
            if not hit:
                missed[real] = stat
            return hit, facts

        self.rediscover()
        built = ProjectIndex.for_project(self.settings, {}, None, 1, cached)
        if store is not None:
            for real, stat in missed.items():
                if real in built.files:
                    store.put(real, stat, "", built.files.packed[real])
            store.save()
        self.facts = dict(built.files.packed)
        self.hidden = built.hidden
        for real, text in buffers.items():
            self._extract(real, text)
            self._indexed[real] = text
        self._set_index(self._join(self.facts))
        collect_garbage()

    def contains(self, real: str) -> bool:
        return real in self.discovered or real in self.facts

    # -- keeping the model current ---------------------------------------------

    def update(self, changes: Mapping[str, Optional[str]]) -> None:
        """Take new text for some files (real path -> buffer text, or None: read
        the file from disk, or drop it if it is gone or not part of the project).
        A file that stays in the project is replaced in the model; a file that
        comes or goes builds the model again from the per-file facts."""
        replaced, rejoin = [], False
        for real, text in changes.items():
            if text is None:
                text = self._disk_text(real)
                if text is None:
                    self._indexed.pop(real, None)
                    gone = self.facts.pop(real, None)
                    _retire(gone)
                    rejoin |= gone is not None
                    continue
            if self._indexed.get(real) != text:
                before = self.facts.get(real)
                self._extract(real, text, keep_last=before is not None)
                self._indexed[real] = text
                if self.facts.get(real) is not before:
                    replaced.append(real)
                    rejoin |= before is None
        if rejoin or not all(self.index.replace(self.facts[real]) for real in replaced):
            self._set_index(self._join(self.facts))
        elif replaced:
            self._keys.clear()

    def _set_index(self, index: model.Project) -> None:
        self.index = index
        self._keys.clear()

    def _disk_text(self, real: str) -> Optional[str]:
        if real not in self.discovered:
            return None
        source = read_source(real)
        return source.text if isinstance(source, Source) else None

    def _extract(self, real: str, text: str, keep_last: bool = False) -> None:
        facts = self._own_facts(real, text)
        if facts is not None:
            _retire(self.facts.get(real))
            self.facts[real] = packed(facts)
        elif not keep_last:
            _retire(self.facts.pop(real, None))

    def _own_facts(self, real: str, text: str) -> Optional[ModuleFacts]:
        """The model facts of `text` as the file at `real`, extracted once per
        version of a file; None when it does not parse."""
        last = self._extracted.get(real)
        if last is None or last[0] != text:
            tree = self._tree(real, text)
            if tree is None:
                return None
            last = self._extracted[real] = (text, extract_facts(real, text, tree, str(self.settings.root)))
        return last[1]

    def rediscover(self) -> None:
        """Which files the model reads (`exclude`d ones included): at load, and
        after files were created or deleted on disk."""
        files = discover_project(str(self.settings.root), self.settings)[0]
        reals = {path: os.path.realpath(path) for path in files}
        self.discovered = set(reals.values())
        self.other_names = [path for path, real in reals.items() if os.path.abspath(path) != real]

    def _join(self, facts: Mapping[str, PackedFacts]) -> model.Project:
        """The project model of these per-file facts. Every file is named by its real
        path, and every file counts as checked, so fixes may edit any of them."""
        project = model.Project(self.root, list(facts.values()), {real: real for real in facts},
                                self.settings.options, self.hidden)
        add_other_names(project, self.other_names, os.path.realpath)
        return project

    def _tree(self, real: str, text: str) -> Optional[ast.Module]:
        """The `ast` tree of `text`, parsed once per version of a file."""
        last = self._last.get(real)
        if last is None or last[0] != text:
            last = self._last[real] = (text, _parsed(real, text))
        return last[1]

    # -- findings --------------------------------------------------------------

    def _settings_of(self, real: str) -> Settings:
        own = self._own_settings.get(real)
        if own is None:
            own = self._own_settings[real] = document_settings(real, self.overrides)[1]
        return own

    def _rules(self, real: str) -> List[Any]:
        own = self._settings_of(real)
        return [rule for rule in ALL_RULES if own.enabled(rule.CODE)]

    def check(self, real: str, text: str, index: Optional[model.Project] = None) -> List[Diagnostic]:
        """The findings of the file at `real` holding `text`, against the live model."""
        tree = self._tree(real, text)
        facts = None
        if tree is not None:
            # The live model's facts of this text: the rules' pre-filters then ask
            # the model, and a rule without findings here skips LibCST.
            live = index is None and self._indexed.get(real) == text
            facts = self.index.file(real) if live else self._own_facts(real, text)
        found = check_text(self._settings_of(real), self._rules(real), real, text,
                           self.index if index is None else index, tree=tree, facts=facts)
        return sorted(found, key=lambda d: d.sort_key)

    def dependency_keys(self, reals: Sequence[str]) -> Dict[str, str]:
        """What each file's findings depend on elsewhere in the project, as a
        digest: the result cache's key, from what its rules read in the model
        (remembered until the model changes)."""
        for real in reals:
            if real not in self._keys:
                self._keys[real] = dependency_key(self.index, real, self._rules(real))
        return {real: self._keys[real] for real in reals}

    def run(self, paths: Sequence[str], overlay: Optional[Mapping[str, str]] = None) -> RunResult:
        """Check `paths` with `overlay` (real path -> text) as their text and the
        text of their files, on a scratch model: the fix loop's checker."""
        overlay = dict(overlay or {})
        scratch: Dict[str, PackedFacts] = {}
        for real, text in overlay.items():
            facts = self._own_facts(real, text) if self._indexed.get(real) != text else None
            if facts is not None:
                scratch[real] = packed(facts)
        index = self._join({**self.facts, **scratch})
        try:
            return self._run_on(paths, overlay, index)
        finally:
            for facts in scratch.values():
                _retire(facts)
            self._set_index(self._join(self.facts))  # the facts point back at it

    def _run_on(self, paths: Sequence[str], overlay: Mapping[str, str], index: model.Project) -> RunResult:
        found: List[Diagnostic] = []
        for path in paths:
            text = overlay.get(path)
            if text is None:
                text = self._disk_text(path) or ""
            found.extend(self.check(path, text, index))
        sources = {real: _source(real, text) for real, text in overlay.items()}
        return RunResult(sorted(found, key=lambda d: d.sort_key), list(paths), sources, index=index)


def _source(real: str, text: str) -> Source:
    """A buffer as a Source: the encoding of its file on disk, if any."""
    stored = read_source(real)
    if isinstance(stored, Source):
        return Source(real, text, stored.encoding, stored.bom, "")
    return Source(real, text, "utf-8", False, "")
