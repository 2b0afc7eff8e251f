"""`github`: GitHub Actions workflow commands, shown as annotations on the diff."""

from __future__ import annotations

from typing import Sequence

from dispatch_lint.types import Diagnostic


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def github(diagnostics: Sequence[Diagnostic]) -> str:
    lines = []
    for d in diagnostics:
        props = ",".join(
            f"{key}={_property(str(value))}"
            for key, value in (
                ("file", d.path),
                ("line", d.line),
                ("col", d.column),
                ("endLine", d.end_line),
                ("endColumn", d.end_column),
                ("title", f"dispatch-lint ({d.code})"),
            )
        )
        lines.append(f"::error {props}::{_data(f'{d.code} {d.message}')}\n")
    return "".join(lines)
