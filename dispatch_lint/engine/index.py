"""Building the project model for a run: every file under the project root.

Phase A extracts the model facts of the run's files with `ast`; the rest of
the root (excluded files included: excluded means not reported, never not
seen) is extracted here in parallel, or taken from the facts cache. Files are
keyed by absolute real path, so one file named two ways is one entry; the
project remembers how the run named each analysed file, so edits in other
files carry the runner's spelling. Files the model cannot read (gitignored,
in folders that cannot be listed, in another project named in the same run)
are kept as `Hidden`: their text is searched before a fix is called safe.
"""

from __future__ import annotations

import ast
import os
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from dispatch_lint.config import Settings
from dispatch_lint.types import ConfigError
from dispatch_lint.engine import pool
from dispatch_lint.engine.discovery import discover_project
from dispatch_lint.engine.sources import Source, read_source
from dispatch_lint.engine.syntax import parse_ast
from dispatch_lint.model.extract import extract as extract_facts
from dispatch_lint.model.facts import ModuleFacts
from dispatch_lint.model.modules import module_name
from dispatch_lint.model.modules import real_path as real_path_of
from dispatch_lint.model.project import Hidden, Project
from dispatch_lint.model.store import PackedFacts
from dispatch_lint.spill import Spill

__all__ = ["ProjectIndex", "add_other_names", "extract_facts", "extract_packed"]

# Shared with forked workers while the rest of the project is extracted.
_PENDING: Dict[str, object] = {}
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def extract_packed(path: str, text: str, tree: ast.Module, root: str, compress: bool = True,
                   digest: bool = False) -> PackedFacts:
    """A file's model facts, packed as the project keeps them (`PackedFacts`);
    `digest=True` digests their values now."""
    return PackedFacts(extract_facts(path, text, tree, root), compress, digest)


def _limits_of(path: str, settings: Settings) -> Settings:
    """The settings whose limits apply to reading `path` for the model: its own,
    or the run's when its configuration is broken (the file's own check reports that)."""
    try:
        return settings.for_file(path)
    except ConfigError:
        return settings


def _extract(path: str) -> Optional[PackedFacts]:
    overlay: Mapping[str, str] = _PENDING["overlay"]  # type: ignore[assignment]
    text = overlay.get(path)
    own = _limits_of(path, _PENDING["settings"])  # type: ignore[arg-type]
    if text is None:
        source = read_source(path, own.max_file_size)
        if not isinstance(source, Source):
            return None
        text = source.text
    tree = parse_ast(text, path, own.memory_budget)
    if not hasattr(tree, "body"):
        return None  # a syntax problem: the file contributes nothing
    spill: Optional[Spill] = _PENDING["spill"]  # type: ignore[assignment]
    facts = extract_packed(path, text, tree, _PENDING["root"], compress=spill is None)  # type: ignore[arg-type]
    return facts if spill is None else facts.handed_over(spill)


def _taken_over(facts: Optional[PackedFacts], spill: Optional[Spill]) -> Optional[PackedFacts]:
    return facts.taken_over(spill) if facts is not None and spill is not None else facts


def _other_projects(root: str, run_files: Sequence[str]) -> List[str]:
    """Python files of the other projects the run names (outside the root)."""
    found: List[str] = []
    tops = set()
    for path in run_files:
        if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
            continue
        folder = os.path.dirname(path)
        while folder != os.path.dirname(folder) and not any(
                os.path.exists(os.path.join(folder, m)) for m in PROJECT_MARKERS):
            folder = os.path.dirname(folder)
        tops.add(folder if folder != os.path.dirname(folder) else os.path.dirname(path))
    for top in sorted(tops):
        for folder, dirs, names in os.walk(top):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("venv", "node_modules", "__pycache__")]
            found += [os.path.join(folder, n) for n in names if n.endswith((".py", ".pyi"))]
    return found


class ProjectIndex:
    """Builds the `Project` of a run (the model lives in `dispatch_lint.model`)."""

    @staticmethod
    def for_project(
        settings: Settings,
        facts_by_path: Mapping[str, ModuleFacts],
        overlay: Optional[Mapping[str, str]],
        jobs: int,
        cached: Optional[Callable[[str], Tuple[bool, Optional[ModuleFacts]]]] = None,
        other_projects: Sequence[str] = (),
        spill: Optional[Spill] = None,
    ) -> Project:
        """`cached(real_path)` may answer (True, facts) for a file whose facts
        are known without reading it (a cache); the rest are extracted.
        `other_projects`: paths named in the same command that belong to other
        projects (their files are hidden call sites). The facts extracted
        here go to `spill` when one is given."""
        root = str(settings.root)
        reals: Dict[str, str] = {}

        def real_path(path: str) -> str:
            found = reals.get(path)
            if found is None:
                found = reals[path] = real_path_of(path)
            return found

        runner_paths = {real_path(path): path for path in facts_by_path}
        known: Dict[str, ModuleFacts] = {facts.path: facts for facts in facts_by_path.values()}
        real_overlay = {os.path.realpath(path): text for path, text in (overlay or {}).items()}
        everything, gitignored, unlisted = discover_project(root, settings)
        missing = [real for real in dict.fromkeys(real_path(p) for p in everything)
                   if real not in known and real not in runner_paths]
        missing += [real for real in real_overlay if real not in known and real not in missing]
        if cached is not None:
            answers = {real: cached(real) for real in missing if real not in real_overlay}
            known.update((real, facts) for real, (hit, facts) in answers.items() if hit and facts is not None)
            missing = [real for real in missing if not answers.get(real, (False, None))[0]]
        if spill is not None:
            spill.open()
        _PENDING.update(overlay=real_overlay, root=root, settings=settings, spill=spill)
        try:
            extracted = pool.run_all(_extract, missing, jobs, lambda path: None,
                                     arrive=lambda facts: _taken_over(facts, spill))
        finally:
            _PENDING.clear()
        facts = list(known.values()) + [f for f in extracted if f is not None]
        seen = {f.path for f in facts}
        named = list(runner_paths) + [os.path.realpath(p) for p in other_projects]
        others = [p for p in _other_projects(os.path.realpath(root), named) if real_path(p) not in seen]
        hidden = Hidden(gitignored + others + [f.path for f in facts if f.incomplete], unlisted)
        project = Project(os.path.realpath(root), facts, runner_paths, settings.options, hidden)
        project.settings = settings
        project.batch = True
        add_other_names(project, everything, real_path)
        return project


def add_other_names(project: Project, paths: Sequence[str], real_path: Callable[[str], str]) -> None:
    """A file reached by two names (a symlink in the tree) is one file that
    imports can reach under either module name."""
    for path in paths:
        absolute, real = os.path.abspath(path), real_path(path)
        if absolute == real or real not in project.files:
            continue
        module = project.files[real].module
        other = module_name(absolute, project.root)[0]
        if module and other and other != module:
            project.modules.setdefault_ref(other, real)
