"""The project index: definitions and references across the whole project root.

Built once per run from the per-file facts (`index_facts`) that phase A
extracted with `ast`, plus the facts of every other project file, extracted in
parallel here. Files are keyed by absolute real path, so one file named two
ways is one entry; the index remembers how the run named each analysed file,
so edits in other files carry the runner's spelling.
"""

from __future__ import annotations

import hashlib
import os
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from dispatch_lint.config import Settings
from dispatch_lint.engine import pool
from dispatch_lint.engine.discovery import discover
from dispatch_lint.engine.index_facts import (
    AsyncDefFact,
    AwaitSite,
    ClassFact,
    FileFacts,
    extract_facts,
)
from dispatch_lint.engine.sources import Source, read_source
from dispatch_lint.engine.syntax import parse_ast

__all__ = ["ProjectIndex", "extract_facts"]

# Shared with forked workers while the rest of the project is extracted.
_PENDING: Dict[str, object] = {}


def _extract(path: str) -> Optional[FileFacts]:
    overlay: Mapping[str, str] = _PENDING["overlay"]  # type: ignore[assignment]
    text = overlay.get(path)
    if text is None:
        source = read_source(path)
        if not isinstance(source, Source):
            return None
        text = source.text
    tree = parse_ast(text, path)
    if not hasattr(tree, "body"):
        return None  # a syntax problem: the file contributes nothing
    return extract_facts(path, text, tree, _PENDING["root"])  # type: ignore[arg-type]


def _real(path: str) -> str:
    return os.path.realpath(path)


class ProjectIndex:
    def __init__(self, root: str, facts: Sequence[FileFacts], runner_paths: Mapping[str, str],
                 options: Optional[Mapping[str, object]] = None) -> None:
        self.root = root
        self.options = dict(options or {})  # the run's rule settings
        self.settings: Optional[Settings] = None  # the run's, for each file's own options
        self.files: Dict[str, FileFacts] = {f.path: f for f in facts}
        self.runner_paths = dict(runner_paths)  # real path -> the run's spelling
        self.modules: Dict[str, FileFacts] = {}
        self.classes: Dict[str, Tuple[ClassFact, FileFacts]] = {}
        self.subclasses: Dict[str, List[str]] = {}
        self.async_defs: Dict[str, List[Tuple[FileFacts, AsyncDefFact]]] = {}
        self.sync_methods: Set[str] = set()
        self.await_sites: Dict[str, List[Tuple[FileFacts, AwaitSite]]] = {}
        # Inverted by name: plain-name and attribute references, `mod.name`
        # references, and imports binding a name (by its last component).
        self.name_refs: Dict[str, List[Tuple[FileFacts, Tuple[int, int, int]]]] = {}
        self.attr_refs: Dict[str, List[Tuple[FileFacts, Tuple[int, int, int]]]] = {}
        self.module_attr_refs: Dict[str, List[Tuple[FileFacts, str, int]]] = {}
        self.imports: Dict[str, List[Tuple[FileFacts, str, str]]] = {}
        for file in self.all_files():
            file.index = self
            for name, entry in file.name_refs.items():
                self.name_refs.setdefault(name, []).append((file, entry))
            for name, entry in file.attr_refs.items():
                self.attr_refs.setdefault(name, []).append((file, entry))
            for (module, name), kinds in file.module_attr_refs.items():
                self.module_attr_refs.setdefault(name, []).append((file, module, kinds))
            for alias, origin in file.imports.items():
                self.imports.setdefault(origin.rpartition(".")[2], []).append((file, alias, origin))

            if file.module:
                self.modules.setdefault(file.module, file)
            for cls in file.classes:
                key = f"{file.module}.{cls.qualname}" if file.module else cls.qualname
                self.classes.setdefault(key, (cls, file))
                self.sync_methods.update(name for name, kind in cls.methods if kind == "sync")
            for fact in file.defs:
                self.async_defs.setdefault(fact.name, []).append((file, fact))
            for site in file.await_sites:
                self.await_sites.setdefault(site.name, []).append((file, site))
        # dotted origin -> the other origins imported under the same name somewhere
        self.alternatives: Dict[str, Set[str]] = {}
        for file in self.all_files():
            for first, second in file.import_alternatives:
                self.alternatives.setdefault(first, set()).add(second)
                self.alternatives.setdefault(second, set()).add(first)
        self.mocks = sorted((file.path, name) for file in self.all_files() for name in file.async_mocked)
        for key, (cls, file) in self.classes.items():
            for base in cls.bases:
                resolved = self.resolve(base)
                if resolved in self.classes:
                    self.subclasses.setdefault(resolved, []).append(key)
        self._hierarchy_digest: Optional[str] = None

    @classmethod
    def for_project(
        cls,
        settings: Settings,
        facts_by_path: Mapping[str, FileFacts],
        overlay: Optional[Mapping[str, str]],
        jobs: int,
        cached: Optional[Callable[[str], Tuple[bool, Optional[FileFacts]]]] = None,
        project_files: Optional[Sequence[str]] = None,
    ) -> "ProjectIndex":
        """`cached(real_path)` may answer (True, facts) for a file whose facts
        are known without reading it (a cache); the rest are extracted.
        `project_files` is the root's discovery, when the caller already has it."""
        root = str(settings.root)
        reals: Dict[str, str] = {}  # one realpath per spelling: the run's files come twice

        def real_path(path: str) -> str:
            found = reals.get(path)
            if found is None:
                found = reals[path] = _real(path)
            return found

        runner_paths = {real_path(path): path for path in facts_by_path}
        known: Dict[str, FileFacts] = {facts.path: facts for facts in facts_by_path.values()}
        real_overlay = {_real(path): text for path, text in (overlay or {}).items()}
        everything = project_files if project_files is not None else discover([root], settings)
        missing = [real for real in dict.fromkeys(real_path(p) for p in everything)
                   if real not in known and real not in runner_paths]
        missing += [real for real in real_overlay if real not in known and real not in missing]
        if cached is not None:
            answers = {real: cached(real) for real in missing if real not in real_overlay}
            known.update((real, facts) for real, (hit, facts) in answers.items() if hit and facts is not None)
            missing = [real for real in missing if not answers.get(real, (False, None))[0]]
        _PENDING.update(overlay=real_overlay, root=root)
        try:
            extracted = pool.run_all(_extract, missing, jobs, lambda path: None)
        finally:
            _PENDING.clear()
        facts = list(known.values()) + [f for f in extracted if f is not None]
        index = cls(_real(root), facts, runner_paths, settings.options)
        index.settings = settings
        return index

    def options_for(self, path: str) -> Mapping[str, object]:
        """The rule options of the file `path` (its own configuration)."""
        return self.options if self.settings is None else self.settings.for_file(path).options

    # -- files and names -------------------------------------------------------

    def file(self, path: str) -> Optional[FileFacts]:
        return self.files.get(_real(path))

    def runner_path(self, real: str) -> Optional[str]:
        return self.runner_paths.get(real)

    def display(self, real: str) -> str:
        """A path for messages: relative to the project root, whoever asks."""
        try:
            relative = os.path.relpath(real, self.root)
        except ValueError:  # another drive
            return real
        return real if relative.startswith("..") else relative.replace(os.sep, "/")

    def resolve(self, dotted: str, depth: int = 0) -> str:
        """Follow re-exports: `pkg.f`, where `pkg/__init__.py` imports `f` from
        `pkg.impl`, resolves to `pkg.impl.f`."""
        module, _, name = dotted.rpartition(".")
        if depth > 8 or not module or dotted in self.classes:
            return dotted
        holder = self.modules.get(module)
        if holder is not None and name in holder.imports and holder.imports[name] != dotted:
            return self.resolve(holder.imports[name], depth + 1)
        if module not in self.modules and "." in module:
            outer = self.resolve(module, depth + 1)
            if outer != module:
                return self.resolve(f"{outer}.{name}", depth + 1)
        return dotted

    # -- classes ---------------------------------------------------------------

    def class_key(self, file: FileFacts, qualname: str) -> str:
        return f"{file.module}.{qualname}" if file.module else qualname

    def ancestors(self, key: str) -> Iterator[Tuple[str, Optional[ClassFact]]]:
        """Every base class, nearest first: (resolved name, its facts or None
        when it is not in the project)."""
        seen = {key}
        queue = [key]
        while queue:
            entry = self.classes.get(queue.pop(0))
            if entry is None:
                continue
            for base in entry[0].bases:
                resolved = base if base.startswith("metaclass=") else self.resolve(base)
                if resolved in seen:
                    continue
                seen.add(resolved)
                found = self.classes.get(resolved)
                yield resolved, found[0] if found else None
                queue.append(resolved)

    def descendants(self, key: str) -> Iterator[Tuple[str, ClassFact]]:
        seen = {key}
        queue = list(self.subclasses.get(key, ()))
        while queue:
            current = queue.pop(0)
            if current in seen:
                continue
            seen.add(current)
            yield current, self.classes[current][0]
            queue.extend(self.subclasses.get(current, ()))

    # -- references ------------------------------------------------------------

    def all_files(self) -> List[FileFacts]:
        return sorted(self.files.values(), key=lambda f: f.path)

    def mocked(self, name: str, class_name: Optional[str]) -> Optional[str]:
        """Where the tests replace `name` (or its class) with an AsyncMock."""
        wanted = {name, f"class:{class_name}"} if class_name else {name}
        return next((path for path, mocked in self.mocks if mocked in wanted), None)

    # -- the cache key ---------------------------------------------------------

    def dependency_key(self, path: str) -> str:
        """A digest of every index fact that could change the findings or fixes
        of `path`: facts about the names of its dead async definitions anywhere
        in the project, the class hierarchy, test mocks, and how the run names
        the files involved."""
        own = self.file(path)
        digest = hashlib.blake2b(digest_size=16)
        if own is None or not own.has_candidates:
            digest.update(b"no candidates")
            return digest.hexdigest()
        digest.update(repr((own.path, own.module, own.public, own.defs, own.classes)).encode())
        digest.update(self.hierarchy_digest().encode())
        digest.update(repr(self.mocks).encode())
        digest.update(repr(sorted((k, sorted(v)) for k, v in self.alternatives.items())).encode())
        for name in sorted({d.name for d in own.defs if not d.awaits}):
            mentions = (
                [(f.path, e) for f, e in self.name_refs.get(name, ())],
                [(f.path, e) for f, e in self.attr_refs.get(name, ())],
                [(f.path, m, k) for f, m, k in self.module_attr_refs.get(name, ())],
                [(f.path, a, o, f.name_refs.get(a)) for f, a, o in self.imports.get(name, ())],
                [(f.path, s) for alias in {name} | {a for _, a, _ in self.imports.get(name, ())}
                 for f, s in self.await_sites.get(alias, ())],
                [(f.path, d) for f, d in self.async_defs.get(name, ())],
                name in self.sync_methods,
            )
            files = sorted({entry[0] for group in mentions[:-1] for entry in group})
            where = [(p, self.runner_paths.get(p), self.files[p].module, self.files[p].public,
                      self.files[p].star_imports) for p in files]
            digest.update(repr((name, mentions, where)).encode())
        # Star imports and aliases can make any plain name a reference.
        digest.update(repr(sorted((f.path, f.star_imports) for f in self.files.values() if f.star_imports)).encode())
        return digest.hexdigest()

    def hierarchy_digest(self) -> str:
        if self._hierarchy_digest is None:
            text = repr(sorted((key, cls.bases, cls.methods) for key, (cls, _) in self.classes.items()))
            self._hierarchy_digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        return self._hierarchy_digest
