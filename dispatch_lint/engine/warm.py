"""`check` answered from the cache alone, without loading the rules or LibCST.

Resolving settings needs every rule's options, and the rules import LibCST,
which alone costs more than a whole warm run. So a cold run remembers, in a
small memo next to its results, what its settings resolved to; the memo is
keyed by everything resolution reads (the tool's own code, the project root,
the configuration file's bytes, the flags). A warm run finds the memo, walks
the paths, stats every file (and hashes only the files whose stat changed) and,
when every file's cached results still hold, prints them. Any doubt (a missing
memo, a changed file, a finding that depends on the project index while any
file under the project root was added, removed or touched) answers None, and
the caller runs the engine, which checks what changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from dispatch_lint.atomic import write_atomic
from dispatch_lint.config import Settings, find_config, find_root
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

MEMO_FORMAT = 1
DEFAULT_CACHE_DIR = ".dispatch_lint_cache"


def _memo_path(paths: Sequence[str], overrides: Mapping[str, Any], prefilter: bool) -> Optional[str]:
    """Where the memo for this invocation lives; None when the cache is off."""
    if overrides.get("cache") is False:
        return None
    anchor = Path(os.path.abspath(paths[0] if paths else "."))
    try:
        config_file, table = find_config(anchor)
    except ConfigError:
        return None  # the engine's path reports it
    folder = table.get("cache-dir", DEFAULT_CACHE_DIR)
    if table.get("cache", True) is not True or not isinstance(folder, str):
        return None
    config = b""
    if config_file is not None:
        try:
            config = config_file.read_bytes()
        except OSError:
            return None
    root = find_root(anchor)
    parts = [MEMO_FORMAT, tool_fingerprint(), str(root), str(config_file),
             hashlib.blake2b(config).hexdigest(), sorted((k, v) for k, v in overrides.items()), prefilter]
    key = hashlib.blake2b(json.dumps(parts, default=str).encode(), digest_size=12).hexdigest()
    return os.path.join(root, folder, f"settings-{key}.json")


def remember(paths: Sequence[str], overrides: Mapping[str, Any], prefilter: bool, engine: Any) -> None:
    """After an engine run: record what the settings resolved to, for the next warm run."""
    settings: Settings = engine.settings
    memo = _memo_path(paths, overrides, prefilter)
    if memo is None or not settings.cache or rule_modules(engine.rules):
        return
    data = {
        "root": str(settings.root),
        "config_file": None if settings.config_file is None else str(settings.config_file),
        "select": settings.select,
        "ignore": settings.ignore,
        "exclude": settings.exclude,
        "respect_gitignore": settings.respect_gitignore,
        "cache_dir": str(settings.cache_dir),
        "options": settings.options,
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


def _settings(memo: str) -> Optional[Tuple[Settings, Any]]:
    try:
        with open(memo, "rb") as handle:
            data = json.loads(handle.read())
        return Settings(
            root=Path(data["root"]),
            config_file=None if data["config_file"] is None else Path(data["config_file"]),
            select=_tuples(data["select"]),
            ignore=_tuples(data["ignore"]),
            exclude=_tuples(data["exclude"]),
            respect_gitignore=bool(data["respect_gitignore"]),
            cache=True,
            cache_dir=Path(data["cache_dir"]),
            options=_tuples(data["options"]),
        ), data["results"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def warm_check(paths: Sequence[str], overrides: Mapping[str, Any], prefilter: bool) -> Optional[List[Diagnostic]]:
    """The findings for `paths` if the cache holds all of them, else None."""
    memo = _memo_path(paths, overrides, prefilter)
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
    files = discover(paths, settings)
    depends_on_index = False
    for path in files:
        cached = _cached(cache, path)
        if cached is None:
            return None
        diagnostics, index_key = cached
        depends_on_index |= index_key is not None
        found.extend(d for d in diagnostics if settings.enabled(d.code))
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
