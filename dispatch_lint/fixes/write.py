"""Write fixed files back without losing a byte.

Which files may be edited (never through a symlink that resolves outside the
named paths, never a read-only file), and which must be written together: the
files linked by a fix that spans several of them form one group, written as a
transaction by `fixes.transaction`.
"""

from __future__ import annotations

import os
import stat
from typing import Dict, List, Optional, Sequence, Union

from dispatch_lint.atomic import write_atomic
from dispatch_lint.engine.cache import prepare
from dispatch_lint.fixes.loop import EditGuard, FixOutcome
from dispatch_lint.fixes.transaction import Target, write_groups


PathLike = Union[str, "os.PathLike[str]"]


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


def write_outcome(outcome: FixOutcome, cache_dir: PathLike, root: PathLike) -> Dict[str, str]:
    """Write every changed file inside the project `root`, each linked group as
    one transaction (see `fixes.transaction`) with its journal in `cache_dir`.
    Returns the refused files with the reason for each."""
    real_root = os.path.realpath(root)
    refused = {path: f"{path} is outside the project root {root}; not written"
               for path in outcome.changed() if not os.path.realpath(path).startswith(real_root + os.sep)}
    changed = {path: text for path, text in outcome.changed().items() if path not in refused}
    if not changed:
        return refused
    try:
        prepare(str(cache_dir))
    except OSError as exc:
        reason = f"the cache folder for the fix journal cannot be made: {exc.strerror or exc}"
        return {**refused, **{path: f"{path} not written: {reason}" for path in changed}}
    names: Dict[str, str] = {}
    groups: List[List[Target]] = []
    for group in linked_groups(outcome):
        if any(path in refused for path in group):
            refused.update((path, refused.get(path) or f"{path} not written: a file its fixes also change "
                                                       "was refused") for path in group)
            continue
        targets = [Target(path, os.path.realpath(path), outcome.originals[path].digest,
                          outcome.originals[path].encode(changed[path])) for path in group]
        twice = [t for t in targets if names.setdefault(t.real, t.path) != t.path]
        if twice:
            refused.update((t.path, f"{t.path} not written: {twice[0].path} is the same file as "
                                    f"{names[twice[0].real]}") for t in targets)
            continue
        groups.append(targets)
    refused.update(write_groups(groups, str(cache_dir), real_root))
    return refused


def atomic_write(path: str, data: bytes) -> None:
    """Replace the file `path` resolves to by `data`, keeping its mode, owner and group."""
    real = os.path.realpath(path)
    info = os.stat(real)
    write_atomic(real, data, stat.S_IMODE(info.st_mode), owner=(info.st_uid, info.st_gid))
