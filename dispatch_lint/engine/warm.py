"""`check` answered from the cache alone, without loading the rules or LibCST.

Resolving settings needs every rule's options, and the rules import LibCST,
which alone costs more than a whole warm run. So a cold run remembers, in a
small memo next to its results, what every configuration it read resolved to
(with each pyproject.toml's digest); the memo is keyed by the tool's own code,
the project root, the paths and the flags, and bound to its cache folder. A
warm run finds the memo, walks the paths (each folder's closest pyproject.toml
must be one the memo knows, unchanged, and the settings the memo holds for it
must agree with what can be read from it without the rules), stats every file
(and hashes only the files whose stat changed) and, when every file's cached
results still hold, prints them. Any doubt (a missing or forged memo, a new or
changed configuration, a changed file, a finding that depends on the project
index while any file under the project root was added, removed or touched)
answers None, and the caller runs the engine, which checks what changed.
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
from dispatch_lint.config import (
    CORE_OPTIONS_BY_NAME,
    RUN_KEYS,
    Settings,
    cache_location,
    find_config,
    read_config_file,
    with_file_ignores,
)
from dispatch_lint.engine.cache import (
    ResultCache,
    folder_identity,
    prepare,
    rule_modules,
    stat_or_none,
    tool_fingerprint,
    universe_digest,
)
from dispatch_lint.engine.discovery import discover, discover_project, one_name_per_file
from dispatch_lint.engine.sources import digest_bytes, read_regular
from dispatch_lint.model.modules import real_path
from dispatch_lint.types import ConfigError, Diagnostic

MEMO_FORMAT = 3
MAX_MEMO = 16 * 1024 * 1024
NO_CONFIG = ""  # the memo's name for "no configuration file: the defaults"


class _Doubt(Exception):
    """A configuration the memo does not know, one that changed, or a memo that disagrees with it."""


@dataclass(frozen=True)
class _Expected:
    """What a memo for this invocation must say, as far as it can be known
    without the rules: its own place and the run's settings."""

    memo: str
    root: Path
    cache_dir: Path
    run: Mapping[str, Any]
    overrides: Mapping[str, Any]


def _expected(paths: Sequence[str], overrides: Mapping[str, Any], prefilter: bool,
              config: Optional[str] = None) -> Optional[_Expected]:
    """None when the cache is off or the configuration is in doubt (the engine's path reports it)."""
    if overrides.get("cache") is False:
        return None
    try:
        root, folder = cache_location(paths, config)
        config_file, table = read_config_file(config) if config else find_config(root)
        core = _core_settings(table, overrides, str(config_file) if config_file else "settings")
    except (ConfigError, OSError):
        return None
    if core["cache"] is not True:
        return None
    named = sorted(os.path.abspath(path) for path in paths)
    parts = [MEMO_FORMAT, tool_fingerprint(), str(root), named, config and os.path.abspath(config),
             sorted((k, v) for k, v in overrides.items()), prefilter]
    key = hashlib.blake2b(json.dumps(parts, default=str).encode(), digest_size=12).hexdigest()
    run = {"respect_gitignore": core["respect_gitignore"], "cache": True}
    return _Expected(os.path.join(folder, f"settings-{key}.json"), root, folder, run, dict(overrides))


def _core_settings(table: Mapping[str, Any], overrides: Mapping[str, Any], where: str) -> Dict[str, Any]:
    """The core settings of one configuration as the hierarchy resolves them (the rules' options aside)."""
    values = {name: option.default for name, option in CORE_OPTIONS_BY_NAME.items()}
    for key, value in table.items():
        if key in CORE_OPTIONS_BY_NAME and key != "per-file-ignores":
            values[key] = CORE_OPTIONS_BY_NAME[key].validate(value, where)
    for key, value in overrides.items():
        if value is not None and key in CORE_OPTIONS_BY_NAME:
            values[key] = CORE_OPTIONS_BY_NAME[key].validate(value, "command line")
    ignores = table.get("per-file-ignores", {})
    if not isinstance(ignores, dict) or not all(isinstance(codes, list) for codes in ignores.values()):
        raise ConfigError(f"{where}: 'per-file-ignores' must be a table of pattern = [codes]")
    return {"select": tuple(values["select"]) + tuple(values["extend-select"]), "ignore": tuple(values["ignore"]),
            "exclude": tuple(values["exclude"]) + tuple(values["extend-exclude"]),
            "per_file_ignores": tuple((pattern, tuple(str(c).upper() for c in codes))
                                      for pattern, codes in ignores.items()),
            "force_exclude": values["force-exclude"], "respect_gitignore": values["respect-gitignore"],
            "cache": values["cache"], "max_file_size": values["max-file-size"],
            "memory_budget": values["memory-budget"]}


def _file_digest(path: str) -> Optional[str]:
    try:
        return hashlib.blake2b(read_regular(path, MAX_MEMO), digest_size=16).hexdigest()
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
        "max_file_size": settings.max_file_size,
        "memory_budget": settings.memory_budget,
    }


def remember(paths: Sequence[str], overrides: Mapping[str, Any], prefilter: bool, engine: Any,
             config: Optional[str] = None) -> None:
    """After an engine run: record what every configuration it read resolved to,
    for the next warm run."""
    settings: Settings = engine.settings
    expected = _expected(paths, overrides, prefilter, config)
    hierarchy = settings.hierarchy
    if expected is None or hierarchy is None or not settings.cache or rule_modules(engine.rules):
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
    memo = expected.memo
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


def _agrees(settings: Settings, table: Mapping[str, Any], expected: _Expected) -> bool:
    """Whether the memo's settings of one configuration hold what its table says."""
    where = str(settings.config_file) if settings.config_file else "settings"
    core = _core_settings(table, expected.overrides, where)
    held = {"select": settings.select, "ignore": settings.ignore, "exclude": settings.exclude,
            "per_file_ignores": settings.per_file_ignores, "force_exclude": settings.force_exclude,
            "respect_gitignore": settings.respect_gitignore, "cache": settings.cache,
            "max_file_size": settings.max_file_size, "memory_budget": settings.memory_budget}
    run = {key.replace("-", "_") for key in RUN_KEYS}
    if any(held[key] != value for key, value in core.items() if key not in run):
        return False
    options = settings.options
    if not isinstance(options, dict) or not all(isinstance(k, str) for k in options):
        return False
    # The rules' options named in the configuration must hold what it says
    # (tables: the keys it names); the others are the rules' defaults.
    for key, value in table.items():
        if key in CORE_OPTIONS_BY_NAME:
            continue
        if key not in options:
            return False
        kept, said = options[key], _tuples(value)
        if isinstance(said, dict):
            if not isinstance(kept, dict) or any(kept.get(k) != v for k, v in said.items()):
                return False
        elif kept != said:
            return False
    return True


class _Remembered:
    """The hierarchy as the memo recorded it: answers `for_folder` while every
    pyproject.toml on the way up is one the memo knows, unchanged, and the
    settings recorded for it agree with it."""

    def __init__(self, data: dict, expected: _Expected) -> None:
        self.expected = expected
        self.root = Path(data["root"])
        self.run = dict(respect_gitignore=data["respect_gitignore"], cache=True, cache_dir=Path(data["cache_dir"]))
        if (self.root, self.run["cache_dir"]) != (expected.root, expected.cache_dir) \
                or self.run["respect_gitignore"] != expected.run["respect_gitignore"]:
            raise _Doubt(str(self.root))
        self.configs: Dict[str, dict] = data["configs"]
        self.forced: Optional[str] = data["forced"]
        self.by_folder: Dict[str, Settings] = {}
        self.by_config: Dict[str, Settings] = {}
        self.checked: Dict[str, bool] = {}

    def _known(self, config: str) -> Optional[Settings]:
        """The settings of a pyproject.toml the memo knows (None: it has no table)."""
        entry = self.configs.get(config)
        if not isinstance(entry, dict):
            raise _Doubt(config)
        if config != NO_CONFIG and not self.checked.setdefault(config, _file_digest(config) == entry["digest"]):
            raise _Doubt(config)
        if entry["settings"] is None:
            return None
        found = self.by_config.get(config)
        if found is None:
            found = self.by_config[config] = self._settings(config, entry["settings"])
        return found

    def _settings(self, config: str, fields: Mapping[str, Any]) -> Settings:
        settings = Settings(
            root=self.root,
            config_file=None if fields["config_file"] is None else Path(fields["config_file"]),
            select=_tuples(fields["select"]),
            ignore=_tuples(fields["ignore"]),
            exclude=_tuples(fields["exclude"]),
            options=_tuples(fields["options"]),
            base=Path(fields["base"]),
            per_file_ignores=_tuples(fields["per_file_ignores"]),
            force_exclude=fields["force_exclude"],
            max_file_size=fields["max_file_size"],
            memory_budget=fields["memory_budget"],
            hierarchy=self,  # type: ignore[arg-type]
            **self.run,
        )
        try:
            table = {} if config == NO_CONFIG else read_config_file(config)[1]
            agrees = _agrees(settings, table, self.expected)
        except ConfigError:
            agrees = False
        if not agrees:
            raise _Doubt(config)
        return settings

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


def _settings(expected: _Expected) -> Optional[Tuple[Settings, str]]:
    """The memo's run settings when it is well formed, bound to this cache folder
    and agrees with the configuration at the project root; None (a cold run) otherwise."""
    try:
        folder, _, body = read_regular(expected.memo, MAX_MEMO, follow=False).partition(b"\n")
        if json.loads(folder) != folder_identity(str(expected.cache_dir)):
            return None
        data = json.loads(body)
        hierarchy = _Remembered(data, expected)
        settings, results = hierarchy.for_folder(str(hierarchy.root)), data["results"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError, RecursionError, _Doubt):
        return None
    return (settings, results) if isinstance(results, str) else None


def warm_check(paths: Sequence[str], overrides: Mapping[str, Any], prefilter: bool,
               config: Optional[str] = None, force_exclude: bool = False) -> Optional[List[Diagnostic]]:
    """The findings for `paths` if the cache holds all of them, else None."""
    try:
        return _warm_check(paths, overrides, prefilter, config, force_exclude)
    except (_Doubt, KeyError, TypeError, ValueError, AttributeError):
        return None


def _warm_check(paths: Sequence[str], overrides: Mapping[str, Any], prefilter: bool,
                config: Optional[str], force_exclude: bool) -> Optional[List[Diagnostic]]:
    expected = _expected(paths, overrides, prefilter, config)
    loaded = _settings(expected) if expected is not None else None
    if loaded is None:
        return None
    settings, key = loaded
    cache = ResultCache(str(settings.cache_dir), key)
    if not cache.entries:
        return None
    found: List[Diagnostic] = []
    files = one_name_per_file(discover(paths, settings, force_exclude))
    if not files:
        return None
    depends_on_index = False
    for path in files:
        own = settings.for_file(path)
        cached = _cached(cache, path, own.max_file_size)
        if cached is None:
            return None
        diagnostics, index_key = cached
        depends_on_index |= index_key is not None
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
    everything = discover_project(str(settings.root), settings)[0]  # as the index reads the root
    reals = {real_path(path) for path in (*files, *everything)}
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
