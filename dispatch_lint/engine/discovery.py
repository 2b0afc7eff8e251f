"""Find the Python files to check: walk folders, honour .gitignore and `exclude`.

Explicitly named files are always checked, as in ruff and flake8. Symlinked
folders are not followed, so a symlink loop cannot trap the walk.
"""

from __future__ import annotations

import os
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import pathspec

from dispatch_lint.config import Settings

ALWAYS_SKIPPED = {".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".venv", "venv",
                  ".mypy_cache", ".pytest_cache", ".ruff_cache", ".dispatch_lint_cache", "node_modules"}


def _gitignore_spec(folder: str) -> Optional[pathspec.PathSpec]:
    try:
        with open(os.path.join(folder, ".gitignore"), encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _relative(path: str, folder: str) -> str:
    return path[len(folder):].lstrip(os.sep).replace(os.sep, "/")


class Ignorer:
    """Answers "is this absolute path ignored?" with each .gitignore read once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
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
        if self.settings.for_folder(os.path.dirname(path)).excludes(path, is_dir):
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


def _walk(top: str, ignorer: Ignorer) -> Iterable[str]:
    """Python files under `top`; symlinked folders are not entered, and a
    symlinked file counts only when it points to a file."""
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
            elif name.endswith(".py") and (os.path.isfile(entry.path) if linked else True):
                if not ignorer.ignored(os.path.join(absolute, name), False):
                    yield entry.path


def excluded(path: str, settings: Settings) -> bool:
    """Whether `exclude` (or .gitignore) rules out the file `path`, as `--force-exclude` sees it."""
    return Ignorer(settings).excluded_named(os.path.abspath(path))
