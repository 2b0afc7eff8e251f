"""The results cache: each file's findings, kept between runs by content digest.

One JSON file per project root and configuration, `<cache-dir>/results-<key>.json`,
where the key covers the cache format, the tool's own code (version, Python,
LibCST, and the size and mtime of every module of the package and of the rules),
the settings fingerprint, the enabled rules and the pre-filter switch. In it,
each checked file (by absolute path) has its size and mtime, its content digest,
its findings, its project-index facts and, when its rules read the project
index, the index's dependency key for it.

A file whose size and mtime are unchanged is not even read; one whose stat
changed is hashed, and its entry still holds when the digest is unchanged.
Writes go to a temporary file renamed over the old one, so a reader sees a whole
file or none; a file that fails validation (truncated, corrupt, another version)
is ignored, and the run is simply cold. Nothing here imports LibCST.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from dispatch_lint import __version__
from dispatch_lint.atomic import write_atomic
from dispatch_lint.engine.sources import read_regular
from dispatch_lint.types import Applicability, Diagnostic, Edit, Fix, Position, Related

FORMAT = 2
PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A file modified this close to the moment its entry is written could change
# again within the same mtime tick unnoticed ("racy git"): its stat is not trusted.
RACY_NS = 2_000_000_000
_UNTRUSTED = -1
# A cache file larger than this is not read (a hostile one could be endless).
MAX_STORE_SIZE = 512 * 1024 * 1024


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _module_files(folder: str) -> Iterable[str]:
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
            yield from _module_files(entry.path)
        elif entry.name.endswith(".py"):
            yield entry.path


def _stamp(path: str) -> Tuple[str, int, int]:
    try:
        info = os.stat(path)
    except OSError:
        return (path, -1, -1)
    return (path, info.st_size, info.st_mtime_ns)


def _libcst_version() -> str:
    """LibCST's version without importing it (the import alone costs 0.15 s)."""
    from importlib.util import find_spec

    spec = find_spec("libcst")
    if spec is None or not spec.submodule_search_locations:
        return "none"
    for folder in spec.submodule_search_locations:
        try:
            with open(os.path.join(folder, "_version.py"), "rb") as handle:
                return handle.read().decode("utf-8", "replace")
        except OSError:
            continue
    return "unknown"


def tool_fingerprint(extra_modules: Sequence[str] = ()) -> str:
    """Changes whenever the code that produced cached results may have changed."""
    files = sorted({*_module_files(PACKAGE), *extra_modules})
    return _digest(__version__, sys.version, _libcst_version(), [_stamp(f) for f in files])


def rule_modules(rules: Sequence[type]) -> List[str]:
    """Source files of rules defined outside the package (plugins, tests)."""
    found = set()
    for rule in rules:
        module = sys.modules.get(rule.__module__)
        path = getattr(module, "__file__", None)
        if path and not os.path.abspath(path).startswith(PACKAGE + os.sep):
            found.add(os.path.abspath(path))
    return sorted(found)


def results_key(fingerprint: str, rule_ids: Sequence[str], prefilter: bool, tool: str) -> str:
    return _digest(FORMAT, tool, fingerprint, sorted(rule_ids), prefilter)


def rule_ids(rules: Sequence[type]) -> List[str]:
    return sorted(f"{rule.__module__}.{rule.__qualname__}" for rule in rules)


# -- findings as compact JSON -----------------------------------------------------


def _relative(path: str, start: str) -> str:
    return os.path.relpath(os.path.abspath(path), os.path.dirname(os.path.abspath(start)))


def _edit_data(edit: Edit, owner: str) -> list:
    where = None if edit.path == owner else _relative(edit.path, owner)
    return [edit.start.line, edit.start.column, edit.end.line, edit.end.column, edit.content, where]


def _diagnostic_data(d: Diagnostic) -> list:
    fix = None
    if d.fix is not None:
        fix = [d.fix.applicability.value, d.fix.description, [_edit_data(e, d.path) for e in d.fix.edits]]
    return [d.line, d.column, d.end_line, d.end_column, d.code, d.name, d.message, fix,
            d.no_fix_reason, [list(pair) for pair in d.extra],
            [[_relative(r.path, d.path) if r.path != d.path else None, r.line, r.column, r.message]
             for r in d.related]]


def _diagnostic(data: list, path: str) -> Diagnostic:
    line, column, end_line, end_column, code, name, message, fix, no_fix_reason, extra, related = data
    if fix is not None:
        applicability, description, edits = fix
        fix = Fix(Applicability(applicability), tuple(_edit(e, path) for e in edits), description)
    return Diagnostic(path, line, column, end_line, end_column, code, name, message, fix,
                      no_fix_reason, tuple((key, value) for key, value in extra),
                      tuple(Related(_owned(where, path), r_line, r_column, r_message)
                            for where, r_line, r_column, r_message in related))


def _owned(where: Optional[str], owner: str) -> str:
    """A path stored relative to `owner`'s folder (None: `owner` itself)."""
    if where is not None and (not isinstance(where, str) or os.path.isabs(where) or "\0" in where):
        raise ValueError("a stored path must be named relative to the finding's file")
    return owner if where is None else os.path.normpath(os.path.join(os.path.dirname(owner), where))


def _edit(data: list, owner: str) -> Edit:
    start_line, start_column, end_line, end_column, content, where = data
    path = _owned(where, owner)
    return Edit(path, Position(start_line, start_column), Position(end_line, end_column), content)


_CODE = re.compile(r"[A-Z]{1,8}[0-9]{1,6}")


def _counts(*values: Any, least: int = 0) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) and v >= least for v in values)


def _plausible(d: Diagnostic, path: str) -> bool:
    """The types and ranges of a finding a run could have produced."""
    texts = (d.code, d.name, d.message)
    if not (_counts(d.line, d.end_line, least=1) and _counts(d.column, d.end_column)
            and all(isinstance(t, str) for t in texts) and _CODE.fullmatch(d.code)
            and (d.no_fix_reason is None or isinstance(d.no_fix_reason, str))
            and all(_counts(r.line, least=1) and _counts(r.column) and isinstance(r.message, str)
                    for r in d.related)):
        return False
    if d.fix is None:
        return True
    return isinstance(d.fix.description, str) and all(
        _counts(e.start.line, e.end.line, least=1) and _counts(e.start.column, e.end.column)
        and isinstance(e.content, str) and isinstance(e.path, str) for e in d.fix.edits)


# -- the cache file ------------------------------------------------------------


class Entry:
    """What the cache knows about one file."""

    __slots__ = ("size", "mtime_ns", "digest", "index_key", "findings", "facts")

    def __init__(self, size: int, mtime_ns: int, digest: str, index_key: Optional[str],
                 findings: list, facts: Any) -> None:
        self.size, self.mtime_ns, self.digest = size, mtime_ns, digest
        self.index_key, self.findings, self.facts = index_key, findings, facts

    def diagnostics(self, path: str) -> Optional[List[Diagnostic]]:
        """The findings, spelled with `path`; None when the entry does not decode
        or does not hold what a run could have produced."""
        try:
            found = [_diagnostic(data, path) for data in self.findings]
        except (TypeError, ValueError, KeyError):
            return None
        return found if all(_plausible(d, path) for d in found) else None

    def data(self) -> list:
        return [self.size, self.mtime_ns, self.digest, self.index_key, self.findings, self.facts]


def _entry(data: Any) -> Optional[Entry]:
    if not (isinstance(data, list) and len(data) == 6):
        return None
    size, mtime_ns, digest, index_key, findings, facts = data
    if not (isinstance(size, int) and isinstance(mtime_ns, int) and isinstance(digest, str)
            and isinstance(findings, list) and (index_key is None or isinstance(index_key, str))):
        return None
    return Entry(size, mtime_ns, digest, index_key, findings, facts)


class ResultCache:
    """The entries of one results file, loaded once, saved once at the end of a run."""

    def __init__(self, folder: str, key: str) -> None:
        self.folder = folder
        self.key = key
        self.path = os.path.join(folder, f"results-{key}.json")
        # The project-index universe (`facts_cache.universe_digest`) that the
        # entries' index keys were computed against; None: not known.
        self.index_universe: Optional[str] = None
        self.entries: Dict[str, list] = self._load()
        self.changed = False

    def _load(self) -> Dict[str, list]:
        meta, entries = read_store(self.path, FORMAT, self.key)
        universe = meta.get("index")
        self.index_universe = universe if isinstance(universe, str) else None
        return entries

    def set_index_universe(self, universe: Optional[str]) -> None:
        if universe != self.index_universe:
            self.index_universe = universe
            self.changed = True

    def get(self, path: str) -> Optional[Entry]:
        return _entry(self.entries.get(os.path.abspath(path)))

    def unchanged(self, path: str, stat: Optional[os.stat_result]) -> Optional[Entry]:
        """The entry for `path` when its size and mtime prove it unchanged."""
        entry = self.get(path)
        if (entry is None or stat is None or entry.size == _UNTRUSTED
                or entry.size != stat.st_size or entry.mtime_ns != stat.st_mtime_ns):
            return None
        return entry

    def put(self, path: str, stat: Optional[os.stat_result], digest: str, index_key: Optional[str],
            diagnostics: Sequence[Diagnostic], facts: Any) -> None:
        size, mtime_ns = trusted_stat(stat)
        findings = [_diagnostic_data(d) for d in diagnostics]
        data = Entry(size, mtime_ns, digest, index_key, findings, facts).data()
        absolute = os.path.abspath(path)
        if self.entries.get(absolute) != data:
            self.entries[absolute] = data
            self.changed = True

    def save(self) -> None:
        """Write atomically; a failure to write only costs the next run its speed."""
        if self.changed and write_store(self.folder, self.path, FORMAT, self.key, self.entries,
                                        index=self.index_universe):
            self.changed = False


def universe_digest(checked: Sequence[str], stats: Mapping[str, Optional[os.stat_result]]) -> Optional[str]:
    """A digest of what the project index is built from: the checked paths as
    spelled and every file's real path, size and mtime. Equal digests mean an
    equal index, so index keys computed against it still hold. None when some
    stat cannot be trusted (missing, or modified too recently)."""
    recent = time.time_ns() - RACY_NS
    rows = []
    for real, stat in sorted(stats.items()):
        if stat is None or stat.st_mtime_ns >= recent:
            return None
        rows.append((real, stat.st_size, stat.st_mtime_ns))
    return hashlib.blake2b(json.dumps([list(checked), rows]).encode(), digest_size=16).hexdigest()


def stat_or_none(path: str) -> Optional[os.stat_result]:
    try:
        return os.stat(path)
    except OSError:
        return None


def prepare(folder: str) -> None:
    """Create the cache folder, marked so that git and backup tools skip it.
    A symlink in its place is never followed (OSError)."""
    if os.path.islink(folder):
        raise OSError(f"{folder} is a symlink; the cache folder is never reached through one")
    os.makedirs(folder, exist_ok=True)
    if os.path.islink(folder) or not os.path.isdir(folder):
        raise OSError(f"{folder} is not a folder")
    ignore = os.path.join(folder, ".gitignore")
    if not os.path.lexists(ignore):
        write_atomic(ignore, b"# Created by dispatch-lint.\n*\n")
        write_atomic(os.path.join(folder, "CACHEDIR.TAG"),
                     b"Signature: 8a477f597d28d172789f06886806bc55\n# dispatch-lint cache\n")


def trusted_stat(stat: Optional[os.stat_result]) -> Tuple[int, int]:
    """(size, mtime_ns) to store, or untrusted when the stat is missing or so
    recent that a same-size edit in the same clock tick could hide behind it."""
    if stat is not None and stat.st_mtime_ns < time.time_ns() - RACY_NS:
        return stat.st_size, stat.st_mtime_ns
    return _UNTRUSTED, 0


def folder_identity(folder: str) -> Optional[List[int]]:
    """The cache folder's device and inode. A store file records the folder it
    was written in, so a cache folder copied, unpacked or checked out from
    elsewhere (a repository shipping one) is never trusted: its inode differs."""
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    return [info.st_dev, info.st_ino]


def read_store(path: str, format_version: int, key: str) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(header, entries) of a store file written by `write_store`, or two empty
    dicts when it is missing, not a regular file, too large, damaged, of another
    format or key, or written in another folder."""
    try:
        header, _, body = read_regular(path, MAX_STORE_SIZE, follow=False).partition(b"\n")
        meta = json.loads(header)
        if (not isinstance(meta, dict) or meta.get("format") != format_version or meta.get("key") != key
                or meta.get("folder") != folder_identity(os.path.dirname(path))
                or meta.get("body") != hashlib.blake2b(body, digest_size=16).hexdigest()):
            return {}, {}
        entries = json.loads(body)
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return {}, {}
    return (meta, entries) if isinstance(entries, dict) else ({}, {})


def write_store(folder: str, path: str, format_version: int, key: str,
                entries: Mapping[str, Any], **header: Any) -> bool:
    """Write the entries of files that still exist, atomically, with a checksum.
    False when they could not be written: that only costs the next run its speed."""
    live = {name: data for name, data in entries.items() if os.path.isfile(name)}
    try:
        body = json.dumps(live, separators=(",", ":")).encode()
    except (TypeError, ValueError):  # data JSON cannot hold
        return False
    try:
        prepare(folder)
        meta = {"format": format_version, "key": key, "folder": folder_identity(folder),
                "body": hashlib.blake2b(body, digest_size=16).hexdigest(), **header}
        write_atomic(path, json.dumps(meta).encode() + b"\n" + body)
    except OSError:
        return False
    return True
