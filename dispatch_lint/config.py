"""Settings from `[tool.dispatch-lint]` in pyproject.toml, overridden by flags.

Every key is declared: the core keys below, and the options that rules declare
(`Option`). Values are data only; nothing in a configuration is executed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Sequence, Tuple

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
    import pathspec

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


def cache_location(paths: Sequence[str]) -> Tuple[Path, Path]:
    """The project root of a run over `paths` and its validated cache folder
    (where the fix journal lives even when the cache is off), read without the
    rules' options. Raises ConfigError."""
    anchor = Path(os.path.abspath(paths[0] if paths else "."))
    root = find_root(anchor)
    config_file, table = find_config(anchor)
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
    Option("exclude", (), "Gitignore-style patterns of paths to skip (explicitly named files are still checked).",
           check=lambda patterns: gitignore_problem(patterns)),
    Option("respect-gitignore", True, "Skip files that `.gitignore` files ignore."),
    Option("cache", True, "Cache results by content hash between runs."),
    Option("cache-dir", ".dispatch_lint_cache", "Where the cache lives, relative to the project root."),
    *LIMIT_OPTIONS,
)

CORE_OPTIONS_BY_NAME = {option.name: option for option in CORE_OPTIONS}


@dataclass(frozen=True)
class Settings:
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

    def enabled(self, code: str) -> bool:
        chosen = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        dropped = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        return chosen > dropped

    def fingerprint(self) -> str:
        data = {"select": self.select, "ignore": self.ignore, "options": self.options}
        text = json.dumps(data, sort_keys=True, default=list)
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding a project marker."""
    start = start if start.is_dir() else start.parent
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return start


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


def find_config(start: Path) -> Tuple[Optional[Path], dict]:
    start = start if start.is_dir() else start.parent
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            table = _read_pyproject(candidate)
            if table is not None:
                return candidate, table
    return None, {}


def load_settings(
    paths: Sequence[str],
    rule_options: Iterable[Option],
    known_codes: Iterable[str],
    overrides: Optional[Dict[str, Any]] = None,
) -> Settings:
    """Resolve settings for a run over `paths`; flags in `overrides` win."""
    anchor = Path(os.path.abspath(paths[0] if paths else "."))
    root = find_root(anchor)
    config_file, table = find_config(anchor)
    declared = {opt.name: opt for opt in (*CORE_OPTIONS, *rule_options)}
    where = str(config_file) if config_file else "settings"
    values = {name: opt.default for name, opt in declared.items()}
    for key, value in table.items():
        if key not in declared:
            raise ConfigError(f"{where}: unknown key '{key}' in [tool.dispatch-lint]")
        values[key] = declared[key].validate(value, where)
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = declared[key].validate(value, "command line")
    codes = tuple(known_codes)
    select = tuple(values["select"]) + tuple(values["extend-select"])
    for source, prefixes in (("select", select), ("ignore", values["ignore"])):
        for prefix in prefixes:
            if not any(code.startswith(prefix) for code in codes):
                raise ConfigError(f"unknown rule code or prefix '{prefix}' in {source}")
    options = {k: v for k, v in values.items() if k not in {o.name for o in CORE_OPTIONS}}
    return Settings(
        root=root,
        config_file=config_file,
        select=select,
        ignore=tuple(values["ignore"]),
        exclude=tuple(values["exclude"]),
        respect_gitignore=values["respect-gitignore"],
        cache=values["cache"],
        cache_dir=cache_folder(root, values["cache-dir"], where),
        options=options,
        max_file_size=values["max-file-size"],
        memory_budget=values["memory-budget"],
    )
