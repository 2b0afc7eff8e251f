"""Find the Python files to check: walk folders, honour .gitignore and `exclude`.

Explicitly named files are always checked, as in ruff and flake8. Symlinked
folders are not followed, so a symlink loop cannot trap the walk.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import pathspec

from dispatch_lint.config import Settings

ALWAYS_SKIPPED = {".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".venv", "venv",
                  ".mypy_cache", ".pytest_cache", ".ruff_cache", ".dispatch_lint_cache", "node_modules"}


def _gitignore_spec(folder: Path) -> Optional[pathspec.PathSpec]:
    try:
        lines = (folder / ".gitignore").read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


class _Ignorer:
    def __init__(self, settings: Settings) -> None:
        self.root = settings.root
        self.exclude = pathspec.GitIgnoreSpec.from_lines(settings.exclude)
        self.respect_gitignore = settings.respect_gitignore
        self.specs: Dict[Path, Optional[pathspec.PathSpec]] = {}

    def _spec(self, folder: Path) -> Optional[pathspec.PathSpec]:
        if folder not in self.specs:
            self.specs[folder] = _gitignore_spec(folder) if self.respect_gitignore else None
        return self.specs[folder]

    def ignored(self, path: Path, is_dir: bool) -> bool:
        suffix = "/" if is_dir else ""
        try:
            relative = path.relative_to(self.root).as_posix()
        except ValueError:
            relative = None
        if relative is not None and self.exclude.match_file(relative + suffix):
            return True
        if not self.respect_gitignore:
            return False
        for folder in path.parents:
            spec = self._spec(folder)
            if spec is not None:
                if spec.match_file(path.relative_to(folder).as_posix() + suffix):
                    return True
            if folder == self.root or (relative is None and (folder / ".git").exists()):
                break
        return False


def discover(paths: Sequence[str], settings: Settings) -> List[str]:
    """Paths of the files to check, as the user would write them, sorted."""
    ignorer = _Ignorer(settings)
    found: Dict[str, None] = {}
    for given in paths:
        top = Path(given)
        if top.is_dir():
            for path in _walk(top, ignorer):
                found[os.path.normpath(path)] = None
        else:
            # Named files are checked even if excluded; missing ones become DSP002.
            found[os.path.normpath(given)] = None
    return sorted(found)


def _walk(top: Path, ignorer: _Ignorer) -> Iterable[str]:
    absolute_top = Path(os.path.abspath(top))
    for folder, dirs, files in os.walk(top, followlinks=False):
        absolute = absolute_top / os.path.relpath(folder, top)
        dirs[:] = sorted(
            d for d in dirs
            if d not in ALWAYS_SKIPPED
            and not os.path.islink(os.path.join(folder, d))
            and not ignorer.ignored(absolute / d, True)
        )
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            full = os.path.join(folder, name)
            if os.path.islink(full) and not os.path.isfile(full):
                continue
            if not ignorer.ignored(absolute / name, False):
                yield full
