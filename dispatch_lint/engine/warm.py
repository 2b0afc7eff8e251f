"""`check` answered from the cache alone, without loading the rules or LibCST.

Resolving settings needs every rule's options, and the rules import LibCST,
which alone costs more than a whole warm run. So a cold run remembers, in a
small memo next to its results, what every configuration it read resolved to
(with each pyproject.toml's digest); the memo is keyed by the tool's own code,
the project root, the paths and the flags. A warm run finds the memo, walks the
paths (each folder's closest pyproject.toml must be one the memo knows,
unchanged), stats every file (and hashes only the files whose stat changed)
and, when every file's cached results still hold, prints them. Any doubt (a
missing memo, a new or changed configuration, a changed file, a finding that
depends on the project index while any file under the project root was added,
removed or touched) answers None, and the caller runs the engine, which checks
what changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from dispatch_lint.atomic import write_atomic
from dispatch_lint.config import Settings, find_config, find_project_root, read_config_file, with_file_ignores
from dispatch_lint.engine.cache import (
    ResultCache,
    prepare,
    rule_modules,
    stat_or_none,
    tool_fingerprint,
    universe_digest,
)
from dispatch_lint.engine.discovery import discover
from dispatch_lint.engine.sources import digest_bytes
from dispatch_lint.types import ConfigError, Diagnostic

MEMO_FORMAT = 2
DEFAULT_CACHE_DIR = ".dispatch_lint_cache"
NO_CONFIG = ""  # the memo's name for "no configuration file: the defaults"


class _Doubt(Exception):
    """A configuration the memo does not know, or one that changed."""


def _memo_path(paths: Sequence[str], overrides: Mapping[str, Any], prefilter: bool,
               config: Optional[str] = None) -> Optional[str]:
    """Where the memo for this invocation lives; None when the cache is off."""
    if overrides.get("cache") is False:
        return None
    anchor = Path(os.path.abspath(paths[0] if paths else "."))
    try:
        root = find_project_root(anchor)
        _, table = read_config_file(config) if config else find_config(root)
    except ConfigError:
        return None  # the engine's path reports it
    folder = table.get("cache-dir", DEFAULT_CACHE_DIR)
    if table.get("cache", True) is not True or not isinstance(folder, str):
        return None
    named = sorted(os.path.abspath(path) for path in paths)
    parts = [MEMO_FORMAT, tool_fingerprint(), str(root), named, config and os.path.abspath(config),
             sorted((k, v) for k, v in overrides.items()), prefilter]
    key = hashlib.blake2b(json.dumps(parts, default=str).encode(), digest_size=12).hexdigest()
    return os.path.join(root, folder, f"settings-{key}.json")


def _file_digest(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as handle:
            return hashlib.blake2b(handle.read(), digest_size=16).hexdigest()
    except OSError:
        return None


def _fields(settings: Settings) -> dict:
    return {
        "config_file": None if settings.config_file is None else str(settings.config_file),
        "select": settings.select,
        "ignore": settings.ignore,
        "exclude": settings.exclude,
        "options": settings.options,
        "base": str(settings.pattern_base),
        "per_file_ignores": settings.per_file_ignores,
        "force_exclude": settings.force_exclude,
    }


def remember(paths: Sequence[str], overrides: Mapping[str, Any], prefilter: bool, engine: Any,
             config: Optional[str] = None) -> None:
    """After an engine run: record what every configuration it read resolved to,
    for the next warm run."""
    settings: Settings = engine.settings
    memo = _memo_path(paths, overrides, prefilter, config)
    hierarchy = settings.hierarchy
    if memo is None or hierarchy is None or not settings.cache or rule_modules(engine.rules):
        return
    configs = {str(path): {"digest": _file_digest(str(path)), "settings": None} for path in hierarchy.files_read}
    for resolved in hierarchy.configurations():
        name = NO_CONFIG if resolved.config_file is None else str(resolved.config_file)
        configs[name] = {"digest": None if name == NO_CONFIG else _file_digest(name), "settings": _fields(resolved)}
    data = {
        "root": str(settings.root),
        "respect_gitignore": settings.respect_gitignore,
        "cache_dir": str(settings.cache_dir),
        "forced": None if hierarchy.forced is None else str(hierarchy.forced[0]),
        "configs": configs,
        "results": engine.cache_key(),
    }
    try:
        encoded = json.dumps(data, sort_keys=True).encode()
        if os.path.dirname(memo) != str(settings.cache_dir):
            return
        prepare(str(settings.cache_dir))
        write_atomic(memo, encoded)
    except (OSError, TypeError, ValueError):
        return


def _tuples(value: Any) -> Any:
    """JSON lists back to the tuples that settings hold."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


class _Remembered:
    """The hierarchy as the memo recorded it: answers `for_folder` while every
    pyproject.toml on the way up is one the memo knows, unchanged."""

    def __init__(self, data: dict) -> None:
        self.root = Path(data["root"])
        self.run = dict(respect_gitignore=bool(data["respect_gitignore"]), cache=True,
                        cache_dir=Path(data["cache_dir"]))
        self.configs: Dict[str, dict] = data["configs"]
        self.forced: Optional[str] = data["forced"]
        self.by_folder: Dict[str, Settings] = {}
        self.by_config: Dict[str, Settings] = {}
        self.checked: Dict[str, bool] = {}

    def _known(self, config: str) -> Optional[Settings]:
        """The settings of a pyproject.toml the memo knows (None: it has no table)."""
        entry = self.configs.get(config)
        if entry is None:
            raise _Doubt(config)
        if config != NO_CONFIG and not self.checked.setdefault(config, _file_digest(config) == entry["digest"]):
            raise _Doubt(config)
        if entry["settings"] is None:
            return None
        found = self.by_config.get(config)
        if found is None:
            fields = entry["settings"]
            found = self.by_config[config] = Settings(
                root=self.root,
                config_file=None if fields["config_file"] is None else Path(fields["config_file"]),
                select=_tuples(fields["select"]),
                ignore=_tuples(fields["ignore"]),
                exclude=_tuples(fields["exclude"]),
                options=_tuples(fields["options"]),
                base=Path(fields["base"]),
                per_file_ignores=_tuples(fields["per_file_ignores"]),
                force_exclude=bool(fields["force_exclude"]),
                hierarchy=self,  # type: ignore[arg-type]
                **self.run,
            )
        return found

    def for_folder(self, folder: str) -> Settings:
        folder = os.path.abspath(folder)
        found = self.by_folder.get(folder)
        if found is not None:
            return found
        if self.forced is not None:
            found = self._known(self.forced)
        else:
            candidate = os.path.join(folder, "pyproject.toml")
            if os.path.isfile(candidate):
                found = self._known(candidate)
            elif candidate in self.configs:
                raise _Doubt(candidate)  # a configuration the cold run read is gone
            else:
                found = None
        if found is None:
            parent = os.path.dirname(folder)
            found = self._known(NO_CONFIG) if parent == folder else self.for_folder(parent)
        if found is None:
            raise _Doubt(folder)
        self.by_folder[folder] = found
        return found

    def for_file(self, path: str) -> Settings:
        absolute = os.path.abspath(path)
        return with_file_ignores(self.for_folder(os.path.dirname(absolute)), absolute)


def _settings(memo: str) -> Optional[Tuple[Settings, Any]]:
    try:
        with open(memo, "rb") as handle:
            data = json.loads(handle.read())
        hierarchy = _Remembered(data)
        return hierarchy.for_folder(str(hierarchy.root)), data["results"]
    except (OSError, ValueError, KeyError, TypeError, _Doubt):
        return None


def warm_check(paths: Sequence[str], overrides: Mapping[str, Any], prefilter: bool,
               config: Optional[str] = None, force_exclude: bool = False) -> Optional[List[Diagnostic]]:
    """The findings for `paths` if the cache holds all of them, else None."""
    try:
        return _warm_check(paths, overrides, prefilter, config, force_exclude)
    except _Doubt:
        return None


def _warm_check(paths: Sequence[str], overrides: Mapping[str, Any], prefilter: bool,
                config: Optional[str], force_exclude: bool) -> Optional[List[Diagnostic]]:
    memo = _memo_path(paths, overrides, prefilter, config)
    loaded = _settings(memo) if memo is not None else None
    if loaded is None:
        return None
    settings, key = loaded
    if not isinstance(key, str):
        return None
    cache = ResultCache(str(settings.cache_dir), key)
    if not cache.entries:
        return None
    found: List[Diagnostic] = []
    files = discover(paths, settings, force_exclude)
    if not files:
        return None
    depends_on_index = False
    for path in files:
        cached = _cached(cache, path)
        if cached is None:
            return None
        diagnostics, index_key = cached
        depends_on_index |= index_key is not None
        own = settings.for_file(path)
        found.extend(d for d in diagnostics if own.enabled(d.code))
    if depends_on_index and not _same_universe(cache, settings, files):
        return None
    cache.save()  # stats refreshed for files touched but unchanged
    found.sort(key=lambda d: d.sort_key)
    return found


def _same_universe(cache: ResultCache, settings: Settings, files: Sequence[str]) -> bool:
    """Whether the project index would be built from the same files, unchanged,
    as when the index keys were computed (then every index key still holds)."""
    if cache.index_universe is None:
        return False
    reals = {os.path.realpath(path) for path in (*files, *discover([str(settings.root)], settings))}
    return universe_digest(files, {real: stat_or_none(real) for real in reals}) == cache.index_universe


def _cached(cache: ResultCache, path: str) -> Optional[Tuple[List[Diagnostic], Optional[str]]]:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    entry = cache.unchanged(path, stat)
    if entry is None:
        entry = cache.get(path)
        if entry is None:
            return None
        try:
            with open(path, "rb") as handle:
                if digest_bytes(handle.read()) != entry.digest:
                    return None
        except OSError:
            return None
    diagnostics = entry.diagnostics(path)
    if diagnostics is None:
        return None
    cache.put(path, stat, entry.digest, entry.index_key, diagnostics, entry.facts)
    return diagnostics, entry.index_key
