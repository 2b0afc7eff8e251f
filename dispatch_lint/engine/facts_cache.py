"""The project-index facts of every file under the root, kept between runs.

One JSON file per project root, `<cache-dir>/facts-<key>.json`, where the key
covers the tool's own code and the Python running it (so a change to what facts
hold, or to how they are serialised, starts afresh) and the root. Each file (by
absolute real path) has its size, mtime, content digest, facts and the digest
of the facts' values. The facts are kept as the run holds them (`PackedFacts`):
their summary, and their groups of fields serialised and compressed, so facts
read back cost no decoding until a query unpacks a group. Only the model's own
types are ever built from them (`model/store.py`), and a state of the wrong
shape is a miss. Facts read back are written again only when their file's stat
changed. The results cache's rules apply: atomic writes, a checksum (a
damaged file is ignored), racy mtimes not trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Dict, Optional

from dispatch_lint.engine.cache import read_store, tool_fingerprint, trusted_stat, write_store
from dispatch_lint.model.modules import module_name
from dispatch_lint.model.store import PackedFacts

FORMAT = 4


class FactsCache:
    """The facts entries of one root, loaded once, saved once at the end of a run."""

    def __init__(self, folder: str, root: str) -> None:
        self.folder = folder
        self.root = os.path.realpath(root)
        self.key = hashlib.blake2b(json.dumps([FORMAT, tool_fingerprint(), root]).encode(),
                                   digest_size=12).hexdigest()
        self.path = os.path.join(folder, f"facts-{self.key}.json")
        self.entries: Dict[str, list] = self._load()
        self.changed = False
        self.handed: Dict[str, PackedFacts] = {}  # real path -> the facts `lookup` gave

    def _load(self) -> Dict[str, list]:
        return read_store(self.path, FORMAT, self.key)[1]

    def lookup(self, real: str, stat: Optional[os.stat_result], digest: Optional[str] = None) -> Any:
        """(True, facts) when the entry holds for this stat (or content digest);
        (False, None) when the file must be read and extracted."""
        data = self.entries.get(real)
        if not (isinstance(data, list) and len(data) == 5 and isinstance(data[2], str) and isinstance(data[4], str)):
            return False, None
        size, mtime_ns, stored_digest, facts, value_digest = data
        by_stat = stat is not None and size != -1 and (size, mtime_ns) == (stat.st_size, stat.st_mtime_ns)
        if not by_stat and digest != stored_digest:
            return False, None
        try:
            found = PackedFacts.from_cache_state(facts)
        except ValueError:
            return False, None
        if (found.module, found.public) != module_name(real, self.root):
            return False, None  # a package gained or lost an `__init__.py`
        found.value_digest = value_digest
        self.handed[real] = found
        return True, found

    def put(self, real: str, stat: Optional[os.stat_result], digest: str, facts: PackedFacts) -> None:
        """Keep the facts of `real` (`digest`: of its content, "" when unknown)
        with the digest of their values. Facts `lookup` gave only update the stat."""
        size, mtime_ns = trusted_stat(stat)
        entry = self.entries.get(real)
        if entry is not None and facts is self.handed.get(real):
            if [size, mtime_ns, digest or entry[2]] != entry[:3]:
                self.entries[real] = [size, mtime_ns, digest or entry[2], *entry[3:]]
                self.changed = True
            return
        data = [size, mtime_ns, digest, facts.cache_state(), facts.digest()]
        if self.entries.get(real) != data:
            self.entries[real] = data
            self.changed = True

    def save(self) -> None:
        if self.changed and write_store(self.folder, self.path, FORMAT, self.key, self.entries):
            self.changed = False


