"""Rule documentation: `dispatch-lint rules`, `dispatch-lint explain`, docs/rules/*.md."""

from __future__ import annotations

import inspect
from typing import Type

from dispatch_lint.engine.problems import PROBLEMS
from dispatch_lint.rules import ALL_RULES


def rule_doc(rule: Type) -> str:
    """The Markdown page of one rule, generated from its class."""
    body = inspect.cleandoc(rule.__doc__ or "")
    lines = [f"# {rule.CODE} {rule.NAME}", ""]
    fixable = getattr(rule, "FIX_APPLICABILITY", None)
    if fixable:
        lines += [f"Fix: {fixable}.", ""]
    lines += [body, ""]
    options = getattr(rule, "OPTIONS", ())
    if options:
        lines += ["### Settings", ""]
        for option in options:
            lines.append(f"- `{option.name}` (default `{_toml(option.default)}`): {option.doc}")
        lines.append("")
    return "\n".join(lines)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def rules_table() -> str:
    rows = [f"{entry.CODE}  {entry.NAME:<34} {_summary(entry)}" for entry in (*PROBLEMS, *ALL_RULES)]
    return "\n".join(rows) + "\n"


def _summary(entry: Type) -> str:
    doc = inspect.cleandoc(entry.__doc__ or "")
    paragraphs = doc.split("\n\n")
    first = paragraphs[0].replace("## What it does", "").strip()
    return " ".join(first.split())
