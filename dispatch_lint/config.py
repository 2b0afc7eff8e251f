"""Settings from `[tool.dispatch-lint]` in pyproject.toml, overridden by flags.

Every key is declared: the core keys below, and the options that rules declare
(`Option`). Values are data only; nothing in a configuration is executed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Sequence, Set, Tuple

import pathspec

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

from dispatch_lint.types import ConfigError

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")


@dataclass(frozen=True)
class Option:
    """A setting that a rule reads: `[tool.dispatch-lint] <name> = ...`."""

    name: str
    default: Any
    doc: str
    # For tables: the allowed sub-keys and the type of each.
    schema: Optional[Mapping[str, type]] = None
    check: Optional[Callable[[Any], Optional[str]]] = None

    def validate(self, value: Any, where: str) -> Any:
        expected = type(self.default) if self.default is not None else str
        if self.schema is not None:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: '{self.name}' must be a table")
            merged = dict(self.default)
            for key, item in value.items():
                if key not in self.schema:
                    raise ConfigError(f"{where}: unknown key '{self.name}.{key}'")
                merged[key] = _check_type(item, self.schema[key], f"{where}: '{self.name}.{key}'")
            value = merged
        else:
            value = _check_type(value, expected, f"{where}: '{self.name}'")
        if self.check is not None:
            problem = self.check(value)
            if problem:
                raise ConfigError(f"{where}: '{self.name}' {problem}")
        return value


def _check_type(value: Any, expected: type, label: str) -> Any:
    if expected is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{label} must be a list of strings")
        return tuple(value)
    if expected is tuple:
        return _check_type(value, list, label)
    if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{label} must be an integer")
    if expected is bool and not isinstance(value, bool):
        raise ConfigError(f"{label} must be true or false")
    if expected is str and not isinstance(value, str):
        raise ConfigError(f"{label} must be a string")
    return value


# -- limits and the cache folder: what no repository can use against the user ---

MEBIBYTE = 1024 * 1024
DEFAULT_MEMORY_BUDGET = 2048 * MEBIBYTE
LIMIT_OPTIONS = (
    Option("max-file-size", 10 * MEBIBYTE,
           "Largest file read, in bytes; a larger one is reported as DSP002.",
           check=lambda value: None if value > 0 else "must be a positive number of bytes"),
    Option("memory-budget", DEFAULT_MEMORY_BUDGET,
           "Memory one file's analysis may take, in bytes; a file whose estimate exceeds it is DSP001.",
           check=lambda value: None if value > 0 else "must be a positive number of bytes"),
)


def cache_folder(root: Path, value: str, where: str) -> Path:
    """`cache-dir` resolved inside the project root: relative, below the root,
    no symlink on the way, and not a folder holding Python files."""
    label = f"{where}: 'cache-dir' = {value!r}"
    parts = Path(value).parts
    if not value.strip() or Path(value).is_absolute() or ".." in parts or not parts or all(p == "." for p in parts):
        raise ConfigError(f"{label} must be a folder below the project root, named relative to it")
    folder = root
    for part in (p for p in parts if p != "."):
        folder = folder / part
        if folder.is_symlink():
            raise ConfigError(f"{label}: {folder} is a symlink; the cache folder is never reached through one")
    if folder.is_dir() and _holds_sources(folder):
        raise ConfigError(f"{label}: {folder} holds Python files; the cache folder must not contain sources")
    return folder


MAX_PATTERN = 1000


def gitignore_problem(patterns: Sequence[str]) -> Optional[str]:
    """Why `patterns` are not valid gitignore-style patterns, or None."""
    for pattern in patterns:
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])
        except ValueError as exc:
            return f"holds an invalid pattern {pattern!r}: {exc}"
    return None


def regex_hazard(pattern: str) -> Optional[str]:
    """Why matching `pattern` could take exponential time (a repetition inside
    a repetition, as in `(a+)+`), or None. A configured regular expression is
    matched against text the repository controls, so such a pattern is refused."""
    if len(pattern) > MAX_PATTERN:
        return f"is longer than {MAX_PATTERN} characters"
    try:
        from re import _parser as parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_parse as parser  # type: ignore[no-redef]
    try:
        parsed = parser.parse(pattern)
    except Exception:  # re.error: reported by the caller's own check
        return None
    return "nests one repetition inside another, which can backtrack for ever" if _nested_repeat(parsed) else None


def _nested_repeat(items: Any, repeated: bool = False) -> bool:
    from re import _constants as c  # type: ignore[attr-defined]

    repeats = {c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)}
    for op, value in items:
        if op in repeats:
            low, high, sub = value
            many = high is c.MAXREPEAT or high > 1
            if (many and repeated) or _nested_repeat(sub, repeated or many):
                return True
        elif op is c.SUBPATTERN and _nested_repeat(value[-1], repeated):
            return True
        elif op is c.BRANCH and any(_nested_repeat(branch, repeated) for branch in value[1]):
            return True
        elif op in (c.ASSERT, c.ASSERT_NOT) and _nested_repeat(value[1], repeated):
            return True
    return False


def cache_location(paths: Sequence[str], config: Optional[str] = None) -> Tuple[Path, Path]:
    """The project root of a run over `paths` and its validated cache folder
    (where the fix journal lives even when the cache is off), read without the
    rules' options from the configuration that applies at the project root
    (or the one `config` names). Raises ConfigError."""
    anchor = Path(os.path.abspath(paths[0] if paths else "."))
    root = find_project_root(anchor)
    config_file, table = read_config_file(config) if config else find_config(root)
    where = str(config_file) if config_file else "settings"
    value = CORE_OPTIONS_BY_NAME["cache-dir"].validate(table.get("cache-dir", ".dispatch_lint_cache"), where)
    return root, cache_folder(root, value, where)


def _holds_sources(folder: Path, budget: int = 10_000) -> bool:
    """Whether `folder` holds a `*.py` file (looking at no more than `budget` entries)."""
    pending = [str(folder)]
    while pending and budget > 0:
        try:
            with os.scandir(pending.pop()) as listing:
                for entry in listing:
                    budget -= 1
                    if entry.name.endswith((".py", ".pyi")):
                        return True
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
        except OSError:
            continue
    return False


CORE_OPTIONS = (
    Option("select", ("DSP",), "Rule codes or prefixes to enable."),
    Option("extend-select", (), "Codes or prefixes to enable on top of `select`."),
    Option("ignore", (), "Codes or prefixes to disable."),
    Option("per-file-ignores", {}, "Codes or prefixes to disable in the files a gitignore-style pattern "
                                   "matches (relative to this configuration file's folder)."),
    Option("exclude", (), "Gitignore-style patterns of paths to skip, relative to this configuration "
                          "file's folder (named files are still checked unless `force-exclude` is on).",
           check=lambda patterns: gitignore_problem(patterns)),
    Option("extend-exclude", (), "Patterns to skip on top of `exclude`.",
           check=lambda patterns: gitignore_problem(patterns)),
    Option("force-exclude", False, "Apply `exclude` even to files named on the command line "
                                   "(as pre-commit and editors name them)."),
    Option("respect-gitignore", True, "Skip files that `.gitignore` files ignore."),
    Option("cache", True, "Cache results by content hash between runs."),
    Option("cache-dir", ".dispatch_lint_cache", "Where the cache lives, relative to the project root."),
    *LIMIT_OPTIONS,
)
# Keys read once per run, from the configuration that applies at the project root.
RUN_KEYS = ("respect-gitignore", "cache", "cache-dir")

CORE_OPTIONS_BY_NAME = {option.name: option for option in CORE_OPTIONS}


@dataclass(frozen=True)
class Settings:
    """The settings of one configuration file (or of the defaults), with the
    flags on top. `root`, `cache`, `cache_dir` and `respect_gitignore` are the
    run's; the rest belong to the files this configuration governs."""

    root: Path
    config_file: Optional[Path]
    select: Tuple[str, ...]
    ignore: Tuple[str, ...]
    exclude: Tuple[str, ...]
    respect_gitignore: bool
    cache: bool
    cache_dir: Path
    options: Mapping[str, Any] = field(default_factory=dict)
    max_file_size: int = LIMIT_OPTIONS[0].default
    memory_budget: int = LIMIT_OPTIONS[1].default
    # Where this configuration's patterns are relative to (its folder).
    base: Optional[Path] = None
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    force_exclude: bool = False
    hierarchy: Optional["Hierarchy"] = field(default=None, compare=False, repr=False)

    def enabled(self, code: str) -> bool:
        chosen = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        dropped = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        return chosen > dropped

    def fingerprint(self) -> str:
        data = {"select": self.select, "ignore": self.ignore, "options": self.options,
                "per_file_ignores": self.per_file_ignores,
                "limits": (self.max_file_size, self.memory_budget)}
        text = json.dumps(data, sort_keys=True, default=list)
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()

    @property
    def pattern_base(self) -> Path:
        return self.base if self.base is not None else self.root

    def for_file(self, path: str) -> "Settings":
        """The settings of the file `path`: its closest configuration, the flags,
        and the `per-file-ignores` that match it."""
        if self.hierarchy is None:
            return with_file_ignores(self, os.path.abspath(path))
        return self.hierarchy.for_file(path)

    def for_folder(self, folder: str) -> "Settings":
        """The configuration that governs the files in `folder` (no per-file ignores)."""
        if self.hierarchy is None:
            return self
        return self.hierarchy.for_folder(folder)

    def excludes(self, path: str, is_dir: bool) -> bool:
        """Whether this configuration's `exclude` patterns match the absolute `path`."""
        if not self.exclude:
            return False
        relative = _relative_to(path, str(self.pattern_base))
        return relative is not None and _spec(self.exclude).match_file(relative + ("/" if is_dir else ""))


@lru_cache(maxsize=None)
def _spec(patterns: Tuple[str, ...]) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def _relative_to(path: str, folder: str) -> Optional[str]:
    folder = folder.rstrip(os.sep)
    if path == folder:
        return ""
    if not path.startswith(folder + os.sep):
        return None
    return path[len(folder) + 1:].replace(os.sep, "/")


def file_ignores(settings: Settings, path: str) -> Tuple[str, ...]:
    """The codes that `per-file-ignores` adds for the absolute `path`."""
    if not settings.per_file_ignores:
        return ()
    relative = _relative_to(path, str(settings.pattern_base))
    if relative is None:
        return ()
    return tuple(code for pattern, codes in settings.per_file_ignores
                 if _spec((pattern,)).match_file(relative) for code in codes)


def with_file_ignores(settings: Settings, path: str) -> Settings:
    extra = file_ignores(settings, path)
    return replace(settings, ignore=settings.ignore + extra) if extra else settings


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding a project marker."""
    start = start if start.is_dir() else start.parent
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return start


def find_project_root(start: Path) -> Path:
    """The root of the project holding `start`, which the project index covers.

    It starts as the nearest folder holding a project marker. A configured
    project (its pyproject.toml has a `[tool.dispatch-lint]` table) nested in
    another configured folder belongs to it, so the root climbs to the next
    folder above with a table, and again, up to the top of the git checkout:
    a monorepo's packages share one root, whichever file or path order asks.
    A project without a table of its own (an unpacked sdist, a vendored
    package) stays its own root."""
    root = find_root(start)
    while _table_at(str(root)) is not None and not (root / ".git").exists():
        above = next((folder for folder in root.parents
                      if (folder / ".git").exists() or _table_at(str(folder)) is not None), None)
        if above is None or _table_at(str(above)) is None:
            break
        root = above
    return root


def _read_pyproject(path: Path) -> Optional[dict]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    table = data.get("tool", {}).get("dispatch-lint")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.dispatch-lint] must be a table")
    return table


def _table_at(folder: str) -> Optional[Tuple[Path, dict]]:
    """The `[tool.dispatch-lint]` table of `folder`/pyproject.toml, if it has one."""
    candidate = Path(folder) / "pyproject.toml"
    if not candidate.is_file():
        return None
    table = _read_pyproject(candidate)
    return None if table is None else (candidate, table)


def find_config(start: Path) -> Tuple[Optional[Path], dict]:
    """The closest pyproject.toml at or above `start` with a `[tool.dispatch-lint]` table."""
    start = start if start.is_dir() else start.parent
    for folder in (start, *start.parents):
        found = _table_at(str(folder))
        if found is not None:
            return found
    return None, {}


def read_config_file(path: str) -> Tuple[Path, dict]:
    """`--config PATH`: a pyproject.toml (its `[tool.dispatch-lint]` table) or a
    dispatch-lint TOML file (its top-level keys)."""
    config = Path(os.path.abspath(path))
    if not config.is_file():
        raise ConfigError(f"--config {path}: no such file")
    if config.name == "pyproject.toml":
        table = _read_pyproject(config)
        if table is None:
            raise ConfigError(f"{config}: has no [tool.dispatch-lint] table")
        return config, table
    try:
        with open(config, "rb") as handle:
            return config, tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{config}: cannot read: {exc.strerror}") from None


class Hierarchy:
    """Resolves the settings of any file: its closest configuration (or the one
    `--config` names), each read once, with the flags on top."""

    def __init__(self, rule_options: Iterable[Option], known_codes: Iterable[str],
                 overrides: Optional[Mapping[str, Any]], root: Path, config: Optional[str] = None) -> None:
        self.declared = {opt.name: opt for opt in (*CORE_OPTIONS, *rule_options)}
        self.codes = tuple(known_codes)
        self.root = root
        self.forced = read_config_file(config) if config else None
        self.flags = {key: self.declared[key].validate(value, "command line")
                      for key, value in (overrides or {}).items() if value is not None}
        self.by_config: Dict[Optional[Path], Settings] = {}
        self.by_folder: Dict[str, Settings] = {}
        self.closest: Dict[str, Tuple[Optional[Path], dict]] = {}
        self.files_read: Set[str] = set()  # every pyproject.toml consulted
        self.with_ignores: Dict[Tuple[Optional[Path], Tuple[str, ...]], Settings] = {}
        self.by_file: Dict[Tuple[str, str], Settings] = {}  # (working folder, path) -> its settings
        root_config, root_table = self._config_for(os.path.abspath(root))
        values = self._values(root_config, root_table)
        self.run_values = {key: values[key] for key in RUN_KEYS}
        where = str(root_config) if root_config else "settings"
        self.cache_dir = cache_folder(root, values["cache-dir"], where)

    def _config_for(self, folder: str) -> Tuple[Optional[Path], dict]:
        """The closest configuration at or above `folder`, each pyproject.toml read once."""
        if self.forced is not None:
            return self.forced
        found = self.closest.get(folder)
        if found is None:
            here = _table_at(folder)
            if here is not None or os.path.isfile(os.path.join(folder, "pyproject.toml")):
                self.files_read.add(os.path.join(folder, "pyproject.toml"))
            parent = os.path.dirname(folder)
            if here is not None:
                found = here
            else:
                found = (None, {}) if parent == folder else self._config_for(parent)
            self.closest[folder] = found
        return found

    def _values(self, config_file: Optional[Path], table: Mapping[str, Any]) -> Dict[str, Any]:
        where = str(config_file) if config_file else "settings"
        values = {name: opt.default for name, opt in self.declared.items()}
        for key, value in table.items():
            if key not in self.declared:
                raise ConfigError(f"{where}: unknown key '{key}' in [tool.dispatch-lint]")
            values[key] = self._validated(key, value, where)
        values.update(self.flags)
        for source, prefixes in (("select", (*values["select"], *values["extend-select"])),
                                 ("ignore", values["ignore"]),
                                 ("per-file-ignores", [c for codes in values["per-file-ignores"].values()
                                                       for c in codes])):
            for prefix in prefixes:
                if not any(code.startswith(prefix) for code in self.codes):
                    raise ConfigError(f"unknown rule code or prefix '{prefix}' in {source}"
                                      + (f" ({where})" if config_file else ""))
        return values

    def _validated(self, key: str, value: Any, where: str) -> Any:
        if key != "per-file-ignores":
            return self.declared[key].validate(value, where)
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: 'per-file-ignores' must be a table of pattern = [codes]")
        problem = gitignore_problem(tuple(value))
        if problem:
            raise ConfigError(f"{where}: 'per-file-ignores' {problem}")
        return {pattern: tuple(c.upper() for c in _check_type(codes, list, f"{where}: 'per-file-ignores.{pattern}'"))
                for pattern, codes in value.items()}

    def _settings(self, config_file: Optional[Path], table: Mapping[str, Any]) -> Settings:
        found = self.by_config.get(config_file)
        if found is not None:
            return found
        values = self._values(config_file, table)
        run = self.run_values
        settings = Settings(
            root=self.root,
            config_file=config_file,
            select=tuple(values["select"]) + tuple(values["extend-select"]),
            ignore=tuple(values["ignore"]),
            exclude=tuple(values["exclude"]) + tuple(values["extend-exclude"]),
            respect_gitignore=run["respect-gitignore"],
            cache=run["cache"],
            cache_dir=self.cache_dir,
            options={k: v for k, v in values.items() if k not in CORE_OPTIONS_BY_NAME},
            max_file_size=values["max-file-size"],
            memory_budget=values["memory-budget"],
            base=config_file.parent if config_file is not None else self.root,
            per_file_ignores=tuple(values["per-file-ignores"].items()),
            force_exclude=values["force-exclude"],
            hierarchy=self,
        )
        self.by_config[config_file] = settings
        return settings

    def for_folder(self, folder: str) -> Settings:
        folder = os.path.abspath(folder)
        found = self.by_folder.get(folder)
        if found is None:
            found = self.by_folder[folder] = self._settings(*self._config_for(folder))
        return found

    def for_file(self, path: str) -> Settings:
        key = ("" if os.path.isabs(path) else os.getcwd(), path)
        found = self.by_file.get(key)
        if found is None:
            found = self.by_file[key] = self._for_file(path)
        return found

    def _for_file(self, path: str) -> Settings:
        absolute = os.path.abspath(path)
        settings = self.for_folder(os.path.dirname(absolute))
        extra = file_ignores(settings, absolute)
        if not extra:
            return settings
        key = (settings.config_file, extra)  # one Settings per configuration and ignore set
        found = self.with_ignores.get(key)
        if found is None:
            found = self.with_ignores[key] = replace(settings, ignore=settings.ignore + extra)
        return found

    def configurations(self) -> Sequence[Settings]:
        """Every configuration resolved so far."""
        return tuple(self.by_config.values())


def load_settings(
    paths: Sequence[str],
    rule_options: Iterable[Option],
    known_codes: Iterable[str],
    overrides: Optional[Dict[str, Any]] = None,
    config: Optional[str] = None,
) -> Settings:
    """The run's settings for `paths` (those of its project root); flags in
    `overrides` win, and `config` names one configuration file for every file.
    `for_file` on the result gives any file's own settings."""
    anchor = Path(os.path.abspath(paths[0] if paths else "."))
    root = find_project_root(anchor)
    return Hierarchy(rule_options, known_codes, overrides, root, config).for_folder(str(root))
