"""Atomic file replacement: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import os
import tempfile
from typing import Optional, Tuple


def write_atomic(path: str, data: bytes, mode: Optional[int] = None, owner: Optional[Tuple[int, int]] = None) -> None:
    """Replace `path` by `data` so that readers see the old or the new bytes, never a mix.

    `mode` and `owner` (uid, gid), when given, are set on the new file before it
    takes the old one's place; an owner it cannot be given raises PermissionError.
    A symlink at `path` is replaced, never followed.
    """
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".dispatch-lint-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if owner is not None and owner != (os.stat(temporary).st_uid, os.stat(temporary).st_gid):
            os.chown(temporary, *owner)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
