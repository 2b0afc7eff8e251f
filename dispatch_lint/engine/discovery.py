"""Find the Python files to check: walk folders, honour .gitignore and `exclude`.

Explicitly named files are always checked, as in ruff and flake8. Symlinked
folders are not followed, so a symlink loop cannot trap the walk. A file
reached by two names (a symlink to a file in the tree) is checked once, under
its own name when the tree holds it (`one_name_per_file`). A `*.py` that is not a regular file (a
FIFO, a device, a symlink to one) is still listed, so that reading it reports
DSP002 instead of hanging or exhausting memory.
"""

from __future__ import annotations

import os
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import pathspec

from dispatch_lint.config import Settings
from dispatch_lint.engine.sources import DEFAULT_MAX_FILE_SIZE, read_regular
from dispatch_lint.model.modules import real_path

ALWAYS_SKIPPED = {".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".venv", "venv",
                  ".mypy_cache", ".pytest_cache", ".ruff_cache", ".dispatch_lint_cache", "node_modules"}


def _gitignore_spec(folder: str) -> Optional[pathspec.PathSpec]:
    try:
        data = read_regular(os.path.join(folder, ".gitignore"), DEFAULT_MAX_FILE_SIZE)
    except OSError:  # missing, not a regular file (a FIFO would hang), or huge
        return None
    lines = data.decode("utf-8", errors="replace").splitlines()
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:  # a line git itself would skip (such as a bare `!`): skip it too
        return pathspec.GitIgnoreSpec.from_lines([line for line in lines if _valid_pattern(line)])


def _valid_pattern(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _relative(path: str, folder: str) -> str:
    return path[len(folder):].lstrip(os.sep).replace(os.sep, "/")


class Ignorer:
    """Answers "is this absolute path ignored?" with each .gitignore read once."""

    def __init__(self, settings: Settings, use_exclude: bool = True) -> None:
        self.settings = settings
        self.use_exclude = use_exclude
        self.root = os.path.abspath(settings.root)
        self.respect_gitignore = settings.respect_gitignore
        self.chains: Dict[str, List[Tuple[str, pathspec.PathSpec]]] = {}

    def _chain(self, folder: str) -> List[Tuple[str, pathspec.PathSpec]]:
        """The .gitignore files that apply inside `folder`, nearest first: up to
        the project root, or for a folder outside it, up to its git checkout."""
        chain = self.chains.get(folder)
        if chain is None:
            spec = _gitignore_spec(folder)
            chain = [(folder, spec)] if spec is not None else []
            parent = os.path.dirname(folder)
            last = folder == self.root or parent == folder or (
                not _inside(folder, self.root) and os.path.exists(os.path.join(folder, ".git")))
            if not last:
                chain = chain + self._chain(parent)
            self.chains[folder] = chain
        return chain

    def ignored(self, path: str, is_dir: bool) -> bool:
        suffix = "/" if is_dir else ""
        if self.use_exclude and self.settings.for_folder(os.path.dirname(path)).excludes(path, is_dir):
            return True
        if not self.respect_gitignore:
            return False
        return any(spec.match_file(_relative(path, folder) + suffix)
                   for folder, spec in self._chain(os.path.dirname(path)))

    def excluded_named(self, path: str) -> bool:
        """Whether a named path, or a folder above it inside the project root, is ignored."""
        is_dir = os.path.isdir(path)
        while True:
            if self.ignored(path, is_dir):
                return True
            parent = os.path.dirname(path)
            if parent == path or parent == self.root or not _inside(parent, self.root):
                return False
            path, is_dir = parent, True


def discover(paths: Sequence[str], settings: Settings, force_exclude: bool = False) -> List[str]:
    """Paths of the files to check, as the user would write them, sorted.

    Named files and folders are checked even if excluded, unless `force_exclude`
    (or the file's own `force-exclude` setting) says otherwise; a named file
    that vanished is reported by the run (DSP002)."""
    ignorer = Ignorer(settings)
    found: Dict[str, None] = {}
    for given in paths:
        if (force_exclude or settings.for_folder(os.path.dirname(os.path.abspath(given))).force_exclude) \
                and ignorer.excluded_named(os.path.abspath(given)):
            continue
        if os.path.isdir(given):
            for path in _walk(given, ignorer):
                found[os.path.normpath(path)] = None
        else:
            found[os.path.normpath(given)] = None
    return sorted(found)


def one_name_per_file(paths: Sequence[str]) -> List[str]:
    """The files to check: the other names of a file reached twice are dropped
    (its own name wins over a symlink's, then the first in order). The project
    index keeps every name, since imports may use either."""
    chosen: Dict[str, str] = {}
    for path in paths:
        real = real_path(path)
        if real not in chosen or (os.path.abspath(path) == real != os.path.abspath(chosen[real])):
            chosen[real] = path
    kept = set(chosen.values())
    return [path for path in paths if path in kept]


def _walk(top: str, ignorer: Ignorer) -> Iterable[str]:
    """Python files under `top`; symlinked folders are not entered, and a
    symlink counts when it points to anything but a folder (reading reports
    what is not a regular file)."""
    pending = [(top, os.path.abspath(top))]
    while pending:
        folder, absolute = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            linked = entry.is_symlink()
            if not linked and entry.is_dir():
                if name not in ALWAYS_SKIPPED and not ignorer.ignored(os.path.join(absolute, name), True):
                    pending.append((entry.path, os.path.join(absolute, name)))
            elif name.endswith(".py") and (_target_not_a_folder(entry.path) if linked else True):
                if not ignorer.ignored(os.path.join(absolute, name), False):
                    yield entry.path


def _target_not_a_folder(path: str) -> bool:
    try:
        return not os.path.isdir(path) and os.path.exists(path)
    except OSError:
        return False


def _regular(entry: os.DirEntry) -> bool:
    """A regular file, through symlinks; a loop or a dangling link is not one."""
    try:
        return entry.is_file()
    except OSError:
        return False


def discover_project(root: str, settings: Settings) -> Tuple[List[str], List[str], List[str]]:
    """What the project model reads under `root`: (every Python file that is
    not gitignored, `exclude`d ones included; the gitignored ones, whose text
    is only searched; folders that could not be listed). Virtual environments
    are never the project."""
    ignorer = Ignorer(settings, use_exclude=False)
    seen: List[str] = []
    hidden: List[str] = []
    unlisted: List[str] = []
    pending = [(root, os.path.abspath(root), False)]
    while pending:
        folder, absolute, ignored = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            unlisted.append(folder)
            continue
        if any(entry.name == "pyvenv.cfg" for entry in entries):
            continue
        for entry in entries:
            full = os.path.join(absolute, entry.name)
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in ALWAYS_SKIPPED:
                    pending.append((entry.path, full, ignored or ignorer.ignored(full, True)))
            elif entry.name.endswith((".py", ".pyi")) and _regular(entry):
                hide = ignored or ignorer.ignored(full, False)
                (hidden if hide else seen).append(os.path.normpath(entry.path))
    return sorted(seen), sorted(hidden), sorted(unlisted)


def excluded(path: str, settings: Settings) -> bool:
    """Whether `exclude` (or .gitignore) rules out the file `path`, as `--force-exclude` sees it."""
    return Ignorer(settings).excluded_named(os.path.abspath(path))
