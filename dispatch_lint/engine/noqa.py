"""`# noqa` and `# noqa: CODE[, CODE]` on the reported line, as flake8 reads them."""

from __future__ import annotations

import re
from typing import Dict, Iterable, List, Optional, Set

from dispatch_lint.engine.sources import NEWLINE
from dispatch_lint.types import Diagnostic

# Same shape as flake8's: codes separated by commas and/or spaces.
NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)


def noqa_map(text: str) -> Dict[int, Optional[Set[str]]]:
    """Line number -> None (blanket noqa) or the set of codes it silences."""
    found: Dict[int, Optional[Set[str]]] = {}
    if "noqa" not in text.lower():
        return found
    for number, line in enumerate(NEWLINE.split(text), start=1):
        if "#" not in line:
            continue
        match = NOQA.search(line)
        if match is None:
            continue
        codes = match.group("codes")
        found[number] = None if not codes else {c.upper() for c in re.split(r"[,\s]+", codes) if c}
    return found


def is_suppressed(diagnostic: Diagnostic, noqa: Dict[int, Optional[Set[str]]]) -> bool:
    if diagnostic.line not in noqa:
        return False
    codes = noqa[diagnostic.line]
    return codes is None or any(diagnostic.code.startswith(code) for code in codes)


def unsuppressed(diagnostics: Iterable[Diagnostic], text: str) -> List[Diagnostic]:
    noqa = noqa_map(text)
    return [d for d in diagnostics if not is_suppressed(d, noqa)]
