"""What the front ends need to know about the rules: codes, options, docs."""

from __future__ import annotations

import gc
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple, Type

from dispatch_lint.config import Option, Settings, find_project_root, load_settings
from dispatch_lint.engine.problems import PROBLEMS
from dispatch_lint.rules import ALL_RULES


def all_codes() -> Tuple[str, ...]:
    return tuple(p.CODE for p in PROBLEMS) + tuple(r.CODE for r in ALL_RULES)


def rule_options() -> Tuple[Option, ...]:
    seen: Dict[str, Option] = {}
    for rule in ALL_RULES:
        for option in rule.OPTIONS:
            seen.setdefault(option.name, option)
    return tuple(seen.values())


def find(code: str) -> Optional[Type]:
    for entry in (*PROBLEMS, *ALL_RULES):
        if entry.CODE == code.upper() or entry.NAME == code:
            return entry
    return None


def settings_for(paths: Sequence[str], overrides: Optional[Dict[str, Any]] = None,
                 config: Optional[str] = None) -> Settings:
    """The run's settings for `paths`; `.for_file(path)` gives each file's own."""
    return load_settings(paths, rule_options(), all_codes(), overrides, config)


@lru_cache(maxsize=None)
def _project_root(folder: str) -> str:
    return str(find_project_root(Path(folder)))


@lru_cache(maxsize=None)
def project_settings(root: str) -> Settings:
    """The run settings of the project at `root`, resolved once per process."""
    return settings_for([root])


def file_settings(path: str) -> Settings:
    """The settings of one file (its closest configuration), for front ends that
    see one file at a time; stdin (`-`) is a file in the current folder, and a
    folder gets the settings of the files directly in it."""
    absolute = os.path.join(os.getcwd(), "-") if path in ("-", "stdin") else os.path.abspath(path)
    if os.path.isdir(absolute):
        return project_settings(_project_root(absolute)).for_folder(absolute)
    return project_settings(_project_root(os.path.dirname(absolute))).for_file(absolute)


def excluded(path: str) -> bool:
    """Whether the configuration (`exclude`, .gitignore) rules out the file
    `path`, for front ends that are handed files one at a time."""
    if path in ("-", "stdin"):
        return False
    absolute = os.path.abspath(path)
    return _ignorer(_project_root(os.path.dirname(absolute))).excluded_named(absolute)


@lru_cache(maxsize=None)
def _ignorer(root: str) -> Any:
    from dispatch_lint.engine.discovery import Ignorer

    return Ignorer(project_settings(root))


# root -> its project index, built once per process by `project_index`.
_BUILT: Dict[str, Any] = {}


def project_index(root: str) -> Any:
    """The project index of `root`, built once per process: flake8 and
    libcst.tool hand the front ends one file at a time. The facts of unchanged
    files come from the facts cache that `dispatch-lint check` shares."""
    index = _BUILT.get(root)
    if index is None:
        index = _BUILT[root] = indexed_project(project_settings(root), 1)
        # The index lives as long as the process: keep the collector from scanning
        # it again and again while the host (flake8, libcst.tool) allocates.
        gc.freeze()
    return index


def release_models() -> None:
    """Let go of the facts that queries on the indexes `project_index` built
    unpacked: between two files, so that they are not scanned at each of the
    host's collections for as long as it runs (the summaries stay)."""
    for index in _BUILT.values():
        index.files.release()


def indexed_project(settings: Settings, jobs: int) -> Any:
    """The project index of the run `settings` describe; with the cache on, the
    facts of unchanged files come from the facts cache `check` shares."""
    from dispatch_lint.engine.cache import stat_or_none
    from dispatch_lint.engine.facts_cache import FactsCache
    from dispatch_lint.engine.index import ProjectIndex

    if not settings.cache:
        return ProjectIndex.for_project(settings, {}, None, jobs)
    store = FactsCache(str(settings.cache_dir), str(settings.root))
    missed: Dict[str, Any] = {}  # real path -> stat, for files whose facts were extracted

    def cached(real: str) -> Tuple[bool, Any]:
        stat = stat_or_none(real)
        hit, facts = store.lookup(real, stat)
        if not hit:
            missed[real] = stat
        return hit, facts

    index = ProjectIndex.for_project(settings, {}, None, jobs, cached)
    for real, stat in missed.items():
        if real in index.files:
            store.put(real, stat, "", index.files.packed[real])
    store.save()
    return index
