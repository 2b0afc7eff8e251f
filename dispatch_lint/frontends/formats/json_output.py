"""`json`: a list of findings, each with its position, message, how-to (`help`) and fix."""

from __future__ import annotations

import json
from typing import Sequence

from dispatch_lint.types import Diagnostic


def as_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps([{**d.to_dict(), "help": d.help} for d in diagnostics], indent=2) + "\n"
