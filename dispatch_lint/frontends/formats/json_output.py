"""`json`: a list of findings, each with the URL of its rule's documentation."""

from __future__ import annotations

import json
from typing import Sequence

from dispatch_lint.types import Diagnostic


def as_json(diagnostics: Sequence[Diagnostic]) -> str:
    from dispatch_lint import registry  # loads the rules: only when needed
    from dispatch_lint.frontends.docs import doc_url

    items = []
    for d in diagnostics:
        entry = registry.find(d.code)
        items.append({**d.to_dict(), "url": doc_url(entry) if entry is not None else None})
    return json.dumps(items, indent=2) + "\n"
