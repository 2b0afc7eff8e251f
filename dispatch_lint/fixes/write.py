"""Write fixed files back without losing a byte.

A write is atomic (a temporary file in the same folder, then `os.replace`),
keeps the file's mode, encoding and BOM, never goes through a symlink that
resolves outside the named paths, never touches a read-only file, and never
overwrites a file whose bytes changed on disk after the run read it. Files
linked by a fix that spans several of them are written together or not at all.
"""

from __future__ import annotations

import os
import stat
from typing import Dict, List, Optional, Sequence

from dispatch_lint.atomic import write_atomic
from dispatch_lint.engine.sources import digest_bytes
from dispatch_lint.fixes.loop import EditGuard, FixOutcome


def edit_guard(roots: Sequence[str]) -> EditGuard:
    """Why a file may not be edited: it resolves outside `roots`, or it is read-only."""
    real_roots = [_root_location(root) for root in roots]

    def refusal(path: str) -> Optional[str]:
        real = os.path.realpath(path)
        if not any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in real_roots):
            return "resolves outside the named paths"
        try:
            mode = os.stat(real).st_mode
        except OSError as exc:
            return f"cannot be examined: {exc.strerror}"
        # Mode bits, not os.access: as root, access() grants writing to anything.
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(real, os.W_OK):
            return "is read-only"
        return None

    return refusal


def _root_location(root: str) -> str:
    """A named folder's real path; a named file's real folder joined with its own name,
    so that naming a symlink does not make the place it points to writable."""
    if os.path.isdir(root):
        return os.path.realpath(root)
    absolute = os.path.abspath(root)
    return os.path.join(os.path.realpath(os.path.dirname(absolute)), os.path.basename(absolute))


def linked_groups(outcome: FixOutcome) -> List[List[str]]:
    """Changed files, grouped so that files sharing a fix (directly or not) are together."""
    parent: Dict[str, str] = {path: path for path in outcome.changed()}

    def find(path: str) -> str:
        while parent[path] != path:
            parent[path] = parent[parent[path]]
            path = parent[path]
        return path

    for applied in outcome.applied:
        paths = [p for p in dict.fromkeys(applied.paths) if p in parent]
        for other in paths[1:]:
            parent[find(other)] = find(paths[0])
    groups: Dict[str, List[str]] = {}
    for path in sorted(parent):
        groups.setdefault(find(path), []).append(path)
    return list(groups.values())


def write_outcome(outcome: FixOutcome) -> Dict[str, str]:
    """Write every changed file; returns the refused files with the reason for each."""
    changed = outcome.changed()
    refused: Dict[str, str] = {}
    # A file reached by two names (a symlink inside the roots) is written once.
    written: Dict[str, bytes] = {}
    for group in linked_groups(outcome):
        data = {path: outcome.originals[path].encode(changed[path]) for path in group}
        group = [path for path in group if written.get(os.path.realpath(path)) != data[path]]
        stale = [path for path in group if _disk_digest(path) != outcome.originals[path].digest]
        if stale:
            for path in group:
                refused[path] = (f"{path} changed on disk since it was read; not written" if path in stale
                                 else f"{path} not written: {stale[0]}, which its fixes also change, was refused")
            continue
        for path in group:
            try:
                atomic_write(path, data[path])
                written[os.path.realpath(path)] = data[path]
            except OSError as exc:
                refused[path] = f"{path} could not be written: {exc.strerror or exc}"
    return refused


def _disk_digest(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as handle:
            return digest_bytes(handle.read())
    except OSError:
        return None


def atomic_write(path: str, data: bytes) -> None:
    """Replace the file `path` resolves to by `data`, keeping its mode."""
    real = os.path.realpath(path)
    write_atomic(real, data, stat.S_IMODE(os.stat(real).st_mode))

