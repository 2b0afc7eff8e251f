"""Write fixed files as transactions that survive interruption.

The changed files come in linked groups (the files one fix spans, joined when
fixes share a file); a group is written whole or not at all:

1. Every target is examined by its real path: a regular file with one link,
   read-write, whose owner, group and mode the rewritten file can carry.
2. A journal in the cache folder names, for every group, each target with the
   digests of its old and new bytes and the staging and backup names beside it.
   The run holds a lock on the journal while it lives.
3. The new bytes are staged beside their targets (fsynced, with the target's
   mode, owner and group).
4. Per group, each target is checked again right before its rename (bytes and
   inode as the run read them), hard-linked to its backup name, and replaced by
   its staged file. Any failure renames the backups back: the group is undone.
5. Backups, staged files and the journal are removed.

SIGINT and SIGTERM are held from step 2 on and acted on once the journal is
gone. A run killed outright (SIGKILL, power loss) leaves the journal; the next
run (`recover`) completes each unfinished group when every target is either
still old with its new bytes staged, or already new, and rolls it back from the
backups otherwise, and says which.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from dispatch_lint.engine.cache import folder_identity
from dispatch_lint.engine.sources import digest_bytes, read_regular

JOURNAL_FORMAT = 1
JOURNAL_PREFIX = "fix-journal-"
STAGE_PREFIX = ".dispatch-lint-"
MAX_JOURNAL = 16 * 1024 * 1024
# Seconds to pause after each step of the write phase: lets the interruption
# tests land a signal inside it. Unset in normal use.
STEP_DELAY_VARIABLE = "DISPATCH_LINT_FIX_STEP_DELAY"


class Refused(Exception):
    """A group that is not written, with the reason."""


@dataclass
class Target:
    path: str  # as the run names it
    real: str
    old: str  # digest of the bytes the run read
    data: bytes
    staged: str = ""
    backup: str = ""
    info: Optional[os.stat_result] = None

    def row(self) -> dict:
        return {"target": self.real, "staged": self.staged, "backup": self.backup,
                "old": self.old, "new": digest_bytes(self.data)}


def _pause() -> None:
    delay = os.environ.get(STEP_DELAY_VARIABLE)
    if delay:
        time.sleep(float(delay))


def _digest_of(path: str) -> Optional[str]:
    try:
        return digest_bytes(read_regular(path, None, follow=False))
    except OSError:
        return None


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# -- signals ---------------------------------------------------------------------


@contextmanager
def held_signals() -> Iterator[List[int]]:
    """Hold SIGINT and SIGTERM until the block ends, then act on the first one.
    The block sees the signals caught so far."""
    caught: List[int] = []
    previous = {}
    try:
        for number in (signal.SIGINT, signal.SIGTERM):
            previous[number] = signal.signal(number, lambda signum, frame: caught.append(signum))
    except ValueError:  # not the main thread: signals cannot be held here
        previous.clear()
    try:
        yield caught
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if caught:
        if caught[0] == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + caught[0])


# -- examining and staging ---------------------------------------------------------


def examine(target: Target) -> None:
    """Refuse a target that cannot be replaced without losing something."""
    try:
        info = os.lstat(target.real)
    except OSError as exc:
        raise Refused(f"{target.path} cannot be examined: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"{target.path} is not a regular file; not written")
    if info.st_nlink > 1:
        raise Refused(f"{target.path} has {info.st_nlink} hard links; replacing it would split them, "
                      "so it is not written")
    target.info = info


def stage(target: Target) -> None:
    """Write the new bytes beside the target, with its mode, owner and group."""
    info = target.info
    assert info is not None
    try:
        descriptor = os.open(target.staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as exc:
        raise Refused(f"{target.path} could not be staged in its folder: {exc.strerror or exc}") from None
    with os.fdopen(descriptor, "wb") as out:
        out.write(target.data)
        out.flush()
        staged = os.fstat(out.fileno())
        if (staged.st_uid, staged.st_gid) != (info.st_uid, info.st_gid):
            try:
                os.fchown(out.fileno(), info.st_uid, info.st_gid)
            except OSError:
                raise Refused(f"{target.path} belongs to uid {info.st_uid}, gid {info.st_gid}, which the rewritten "
                              "file cannot be given without privileges; not written") from None
        os.fchmod(out.fileno(), stat.S_IMODE(info.st_mode))
        os.fsync(out.fileno())


def _unchanged(target: Target, path: str) -> bool:
    """Whether `path` is the target's inode, holding the bytes the run read."""
    info = target.info
    try:
        now = os.lstat(path)
    except OSError:
        return False
    return ((now.st_dev, now.st_ino) == (info.st_dev, info.st_ino) and stat.S_ISREG(now.st_mode)
            and _digest_of(path) == target.old)


def _replace(target: Target) -> None:
    """Back the target up by a hard link, check it is still what the run read,
    and put the staged file in its place."""
    try:
        os.link(target.real, target.backup, follow_symlinks=False)
    except OSError as exc:
        if not os.path.lexists(target.real):
            raise Refused(f"{target.path} was deleted since it was read; not re-created") from None
        raise Refused(f"{target.path} could not be backed up: {exc.strerror or exc}") from None
    if not _unchanged(target, target.backup) or not _unchanged(target, target.real):
        _remove(target.backup)
        target.backup = ""
        raise Refused(f"{target.path} changed on disk since it was read; not written")
    os.replace(target.staged, target.real)


def _undo(done: Sequence[Target]) -> None:
    for target in reversed(done):
        try:
            os.replace(target.backup, target.real)
        except OSError:
            pass


# -- the journal -------------------------------------------------------------------


class Journal:
    """`<cache>/fix-journal-<token>.json`, locked while its run lives."""

    def __init__(self, folder: str, root: str, groups: Sequence[Sequence[Target]]) -> None:
        import fcntl

        self.path = os.path.join(folder, f"{JOURNAL_PREFIX}{secrets.token_hex(8)}.json")
        body = {"format": JOURNAL_FORMAT, "root": root, "folder": folder_identity(folder),
                "groups": [[t.row() for t in g] for g in groups]}
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        self.handle = os.fdopen(descriptor, "wb")
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        self.handle.write(json.dumps(body).encode())
        self.handle.flush()
        os.fsync(descriptor)
        _sync_folder(folder)

    def close(self) -> None:
        _remove(self.path)
        self.handle.close()


def _sync_folder(folder: str) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def write_groups(groups: Sequence[Sequence[Target]], journal_folder: str, root: str) -> Dict[str, str]:
    """Write each group whole or not at all; returns the refused paths with their reasons."""
    refused: Dict[str, str] = {}
    ready: List[List[Target]] = []
    for group in groups:
        try:
            for target in group:
                examine(target)
            ready.append(list(group))
        except Refused as reason:
            refused.update((t.path, str(reason)) for t in group)
    if not ready:
        return refused
    token = f"{STAGE_PREFIX}{secrets.token_hex(6)}"
    for number, target in enumerate(t for group in ready for t in group):
        target.staged = os.path.join(os.path.dirname(target.real), f"{token}-{number}.tmp")
        target.backup = os.path.join(os.path.dirname(target.real), f"{token}-{number}.bak")
    with held_signals() as caught:
        try:
            journal = Journal(journal_folder, root, ready)
        except OSError as exc:
            for group in ready:
                refused.update((t.path, f"{t.path} not written: the fix journal cannot be written in "
                                        f"{journal_folder}: {exc.strerror or exc}") for t in group)
            return refused
        try:
            for number, group in enumerate(ready):
                if caught:  # the group under way was finished; start no other
                    _say_interrupted(ready[:number], ready[number:], refused)
                    break
                refused.update(_write_group(group))
            else:
                if caught:
                    _say_interrupted(ready, [], refused)
        finally:
            for target in (t for group in ready for t in group):
                _remove(target.staged)
                _remove(target.backup)
            journal.close()
    return refused


def _write_group(group: List[Target]) -> Dict[str, str]:
    try:
        for target in group:
            stage(target)
            _pause()
    except Refused as reason:
        return {t.path: str(reason) if reason.args[0].startswith(t.path) else
                f"{t.path} not written: {reason}" for t in group}
    done: List[Target] = []
    try:
        for target in group:
            _replace(target)
            done.append(target)
            _pause()
    except (Refused, OSError) as reason:
        _undo(done)
        text = str(reason) if isinstance(reason, Refused) else f"could not be written: {reason}"
        failed = group[len(done)].path
        return {t.path: (text if t.path == failed else f"{t.path} not written: {text}") for t in group}
    return {}


def _say_interrupted(done: Sequence[Sequence[Target]], skipped: Sequence[Sequence[Target]],
                     refused: Mapping[str, str]) -> None:
    import sys

    written = [t.path for group in done for t in group if t.path not in refused]
    left = [t.path for group in skipped for t in group]
    sys.stderr.write(f"dispatch-lint: interrupted; written whole: {', '.join(written) or 'nothing'}; "
                     f"left unchanged: {', '.join(left) or 'nothing'}\n")


# -- recovery ----------------------------------------------------------------------


@dataclass(frozen=True)
class Recovered:
    completed: Tuple[str, ...]
    rolled_back: Tuple[str, ...]
    left: Tuple[str, ...]  # changed by someone else meanwhile: left as they are

    def message(self, relative_to: str) -> str:
        def names(paths: Sequence[str]) -> str:
            return ", ".join(os.path.relpath(p, relative_to) for p in paths)

        lines = []
        if self.completed:
            lines.append(f"dispatch-lint: completed an interrupted fix: {names(self.completed)}")
        if self.rolled_back:
            lines.append(f"dispatch-lint: rolled back an interrupted fix: {names(self.rolled_back)}")
        if self.left:
            lines.append(f"dispatch-lint: changed since an interrupted fix, left as they are: {names(self.left)}")
        return "".join(line + "\n" for line in lines)


def pending_journals(folder: str) -> List[str]:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [os.path.join(folder, n) for n in names if n.startswith(JOURNAL_PREFIX) and n.endswith(".json")]


def recover(folder: str, root: str) -> List[Recovered]:
    """Complete or roll back the groups of every journal no live run holds."""
    import fcntl

    results: List[Recovered] = []
    for path in pending_journals(folder):
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live run holds it
            groups = _journal_groups(path, root)
            if groups is not None:
                with held_signals():
                    results.append(_recover_groups(groups))
            _remove(path)
        finally:
            os.close(descriptor)
    return results


def _journal_groups(path: str, root: str) -> Optional[List[List[Mapping[str, str]]]]:
    """The journal's groups, when every row is well formed and stays inside `root`."""
    try:
        data = json.loads(read_regular(path, MAX_JOURNAL, follow=False))
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return None
    if (not isinstance(data, dict) or data.get("format") != JOURNAL_FORMAT or data.get("root") != root
            or data.get("folder") != folder_identity(os.path.dirname(path))):
        return None  # not written by a run in this cache folder: ignored
    groups = data.get("groups")
    if not isinstance(groups, list) or not all(isinstance(g, list) and all(_valid_row(r, root) for r in g)
                                               for g in groups):
        return None
    return groups


def _valid_row(row: object, root: str) -> bool:
    keys = ("target", "staged", "backup", "old", "new")
    if not isinstance(row, dict) or set(row) != set(keys) or not all(isinstance(row[k], str) for k in keys):
        return False
    target = row["target"]
    folder = os.path.dirname(target)
    inside = os.path.isabs(target) and target.startswith(root.rstrip(os.sep) + os.sep)
    beside = all(os.path.dirname(row[k]) == folder and os.path.basename(row[k]).startswith(STAGE_PREFIX)
                 for k in ("staged", "backup"))
    return inside and beside and os.path.normpath(target) == target


def _recover_groups(groups: List[List[Mapping[str, str]]]) -> Recovered:
    completed: List[str] = []
    rolled_back: List[str] = []
    left: List[str] = []
    for group in groups:
        now = {row["target"]: _digest_of(row["target"]) for row in group}
        if all(now[r["target"]] == r["new"] or (now[r["target"]] == r["old"] and _stageable(r)) for r in group):
            for row in group:
                if now[row["target"]] == row["new"] or _moved(row["staged"], row["target"]):
                    completed.append(row["target"])
                else:
                    left.append(row["target"])
        else:
            for row in group:
                if now[row["target"]] == row["old"] or (
                        now[row["target"]] == row["new"] and _digest_of(row["backup"]) == row["old"]
                        and _moved(row["backup"], row["target"])):
                    rolled_back.append(row["target"])
                else:
                    left.append(row["target"])
        for row in group:
            _remove(row["staged"])
            _remove(row["backup"])
    return Recovered(tuple(completed), tuple(rolled_back), tuple(left))


def _moved(source: str, target: str) -> bool:
    try:
        os.replace(source, target)
    except OSError:
        return False
    return True


def _stageable(row: Mapping[str, str]) -> bool:
    """A staged file whole, with the target's mode, owner and group."""
    if _digest_of(row["staged"]) != row["new"]:
        return False
    try:
        staged, target = os.lstat(row["staged"]), os.lstat(row["target"])
    except OSError:
        return False
    return (staged.st_mode, staged.st_uid, staged.st_gid) == (target.st_mode, target.st_uid, target.st_gid)
