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
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from dispatch_lint.atomic import write_atomic
from dispatch_lint.config import CORE_OPTIONS_BY_NAME, Settings, cache_location, find_config
from dispatch_lint.engine.cache import (
    ResultCache,
    folder_identity,
    prepare,
    rule_modules,
    stat_or_none,
    tool_fingerprint,
    universe_digest,
)
from dispatch_lint.engine.discovery import discover, one_name_per_file
from dispatch_lint.engine.sources import digest_bytes, read_regular
from dispatch_lint.types import ConfigError, Diagnostic

MEMO_FORMAT = 2
MAX_MEMO = 16 * 1024 * 1024


@dataclass(frozen=True)
class _Expected:
    """What a memo for this invocation must say, as far as it can be known
    without the rules: its own place, and the core settings."""

    memo: str
    root: Path
    config_file: Optional[Path]
    cache_dir: Path
    core: Mapping[str, Any]
    table: Mapping[str, Any]


def _expected(paths: Sequence[str], overrides: Mapping[str, Any], prefilter: bool) -> Optional[_Expected]:
    """None when the cache is off or the configuration is in doubt (the engine's path reports it)."""
    if overrides.get("cache") is False:
        return None
    anchor = Path(os.path.abspath(paths[0] if paths else "."))
    try:
        config_file, table = find_config(anchor)
        root, folder = cache_location(paths)
        core = _core_settings(table, overrides, str(config_file) if config_file else "settings")
        config = read_regular(str(config_file), MAX_MEMO) if config_file is not None else b""
    except (ConfigError, OSError):
        return None
    if core["cache"] is not True:
        return None
    parts = [MEMO_FORMAT, tool_fingerprint(), str(root), str(config_file),
             hashlib.blake2b(config).hexdigest(), sorted((k, v) for k, v in overrides.items()), prefilter]
    key = hashlib.blake2b(json.dumps(parts, default=str).encode(), digest_size=12).hexdigest()
    return _Expected(os.path.join(folder, f"settings-{key}.json"), root, config_file, folder, core, table)


def _core_settings(table: Mapping[str, Any], overrides: Mapping[str, Any], where: str) -> Dict[str, Any]:
    """The core settings as `load_settings` resolves them (the rules' options aside)."""
    values = {name: option.default for name, option in CORE_OPTIONS_BY_NAME.items()}
    for key, value in table.items():
        if key in CORE_OPTIONS_BY_NAME:
            values[key] = CORE_OPTIONS_BY_NAME[key].validate(value, where)
    for key, value in overrides.items():
        if value is not None and key in CORE_OPTIONS_BY_NAME:
            values[key] = CORE_OPTIONS_BY_NAME[key].validate(value, "command line")
    return {"select": tuple(values["select"]) + tuple(values["extend-select"]), "ignore": tuple(values["ignore"]),
            "exclude": tuple(values["exclude"]), "respect_gitignore": values["respect-gitignore"],
            "cache": values["cache"], "max_file_size": values["max-file-size"],
            "memory_budget": values["memory-budget"]}


def remember(paths: Sequence[str], overrides: Mapping[str, Any], prefilter: bool, engine: Any) -> None:
    """After an engine run: record what the settings resolved to, for the next warm run."""
    settings: Settings = engine.settings
    expected = _expected(paths, overrides, prefilter)
    if expected is None or not settings.cache or rule_modules(engine.rules):
        return
    memo = expected.memo
    data = {
        "root": str(settings.root),
        "config_file": None if settings.config_file is None else str(settings.config_file),
        "select": settings.select,
        "ignore": settings.ignore,
        "exclude": settings.exclude,
        "respect_gitignore": settings.respect_gitignore,
        "cache_dir": str(settings.cache_dir),
        "options": settings.options,
        "max_file_size": settings.max_file_size,
        "memory_budget": settings.memory_budget,
        "results": engine.cache_key(),
    }
    try:
        encoded = json.dumps(data, sort_keys=True).encode()
        if os.path.dirname(memo) != str(settings.cache_dir):
            return
        prepare(str(settings.cache_dir))
        # Bound to this cache folder: a memo copied in from elsewhere is not trusted.
        folder = json.dumps(folder_identity(str(settings.cache_dir))).encode()
        write_atomic(memo, folder + b"\n" + encoded)
    except (OSError, TypeError, ValueError):
        return


def _tuples(value: Any) -> Any:
    """JSON lists back to the tuples that settings hold."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


def _settings(expected: _Expected) -> Optional[Tuple[Settings, Any]]:
    """The memo's settings when it is well formed and agrees with what can be
    checked without the rules; None (a cold run) otherwise."""
    try:
        folder, _, body = read_regular(expected.memo, MAX_MEMO, follow=False).partition(b"\n")
        if json.loads(folder) != folder_identity(str(expected.cache_dir)):
            return None
        data = json.loads(body)
        settings = Settings(
            root=Path(data["root"]),
            config_file=None if data["config_file"] is None else Path(data["config_file"]),
            select=_tuples(data["select"]),
            ignore=_tuples(data["ignore"]),
            exclude=_tuples(data["exclude"]),
            respect_gitignore=data["respect_gitignore"],
            cache=True,
            cache_dir=Path(data["cache_dir"]),
            options=_tuples(data["options"]),
            max_file_size=data["max_file_size"],
            memory_budget=data["memory_budget"],
        )
        results = data["results"]
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(results, str) or not _agrees(settings, expected):
        return None
    return settings, results


def _agrees(settings: Settings, expected: _Expected) -> bool:
    core = {"select": settings.select, "ignore": settings.ignore, "exclude": settings.exclude,
            "respect_gitignore": settings.respect_gitignore, "cache": settings.cache,
            "max_file_size": settings.max_file_size, "memory_budget": settings.memory_budget}
    if (settings.root, settings.config_file, settings.cache_dir) != (
            expected.root, expected.config_file, expected.cache_dir) or core != expected.core:
        return False
    options = settings.options
    if not isinstance(options, dict) or not all(isinstance(k, str) for k in options):
        return False
    # The rules' options named in the configuration must hold what it says
    # (tables: the keys it names); the others are the rules' defaults.
    for key, value in expected.table.items():
        if key in CORE_OPTIONS_BY_NAME:
            continue
        if key not in options:
            return False
        held, said = options[key], _tuples(value)
        if isinstance(said, dict):
            if not isinstance(held, dict) or any(held.get(k) != v for k, v in said.items()):
                return False
        elif held != said:
            return False
    return True


def warm_check(paths: Sequence[str], overrides: Mapping[str, Any], prefilter: bool) -> Optional[List[Diagnostic]]:
    """The findings for `paths` if the cache holds all of them, else None."""
    expected = _expected(paths, overrides, prefilter)
    loaded = _settings(expected) if expected is not None else None
    if loaded is None:
        return None
    settings, key = loaded
    if not isinstance(key, str):
        return None
    cache = ResultCache(str(settings.cache_dir), key)
    if not cache.entries:
        return None
    found: List[Diagnostic] = []
    files = one_name_per_file(discover(paths, settings))
    depends_on_index = False
    for path in files:
        cached = _cached(cache, path, settings.max_file_size)
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


def _cached(cache: ResultCache, path: str, limit: int) -> Optional[Tuple[List[Diagnostic], Optional[str]]]:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if not S_ISREG(stat.st_mode) or stat.st_size > limit:
        return None  # the engine reports it
    entry = cache.unchanged(path, stat)
    if entry is None:
        entry = cache.get(path)
        if entry is None:
            return None
        try:
            if digest_bytes(read_regular(path, limit)) != entry.digest:
                return None
        except OSError:
            return None
    diagnostics = entry.diagnostics(path)
    if diagnostics is None:
        return None
    cache.put(path, stat, entry.digest, entry.index_key, diagnostics, entry.facts)
    return diagnostics, entry.index_key
