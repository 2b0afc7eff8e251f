"""What an interrupted `fix` left behind, settled before a run does anything else."""

from __future__ import annotations

import os
import sys
from typing import Optional, Sequence

from dispatch_lint.config import cache_location
from dispatch_lint.fixes.transaction import pending_journals, recover


def settle_interrupted_fixes(paths: Sequence[str], *, write: bool, config: Optional[str] = None) -> None:
    """Complete or roll back what an interrupted `fix` left (a journal in the
    cache folder), and say so; a run that writes nothing only warns."""
    root, folder = cache_location(paths, config)
    if not pending_journals(str(folder)):
        return
    if not write:
        sys.stderr.write(f"dispatch-lint: warning: an interrupted fix left a journal in {folder}; "
                         "the next `dispatch-lint fix` (or `check` with the cache) completes or rolls it back\n")
        return
    for recovered in recover(str(folder), os.path.realpath(root)):
        sys.stderr.write(recovered.message(os.getcwd()))
