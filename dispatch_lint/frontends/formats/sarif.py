"""`sarif`: a SARIF 2.1.0 log for code-scanning services (GitHub, Azure DevOps).

Every rule is described in `tool.driver.rules` (id, name, descriptions, help
from its docs); results point at their rule by id and index. Columns
count Unicode code points, as the command prints them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Type

from dispatch_lint import __version__
from dispatch_lint.engine.problems import PROBLEMS
from dispatch_lint.types import Diagnostic, Edit, Fix

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"


def _level(entry: Type) -> str:
    # A file that cannot be analysed is an error; a rule finding is a warning.
    return "error" if entry in PROBLEMS else "warning"


def _rule(entry: Type) -> dict:
    from dispatch_lint.frontends.docs import rule_doc, section, summary

    return {
        "id": entry.CODE,
        "name": entry.NAME,
        "shortDescription": {"text": summary(entry)},
        "fullDescription": {"text": section(entry, "What it does") or summary(entry)},
        "help": {"text": rule_doc(entry), "markdown": rule_doc(entry)},
        "defaultConfiguration": {"level": _level(entry)},
    }


def _artifact(path: str, base: Path) -> dict:
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(base)
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": relative.as_posix(), "uriBaseId": SRCROOT}


def _region(start_line: int, start_column: int, end_line: int, end_column: int) -> dict:
    return {"startLine": start_line, "startColumn": start_column, "endLine": end_line, "endColumn": end_column}


def _fix(fix: Fix, base: Path) -> dict:
    by_path: Dict[str, List[Edit]] = {}
    for edit in fix.edits:
        by_path.setdefault(edit.path, []).append(edit)
    return {
        "description": {"text": f"{fix.description} ({fix.applicability.value} fix)"},
        "artifactChanges": [
            {
                "artifactLocation": _artifact(path, base),
                "replacements": [
                    {
                        "deletedRegion": _region(e.start.line, e.start.column, e.end.line, e.end.column),
                        "insertedContent": {"text": e.content},
                    }
                    for e in edits
                ],
            }
            for path, edits in by_path.items()
        ],
    }


def _result(d: Diagnostic, index: Dict[str, int], base: Path) -> dict:
    result: dict = {
        "ruleId": d.code,
        "message": {"text": d.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(d.path, base),
                    "region": _region(d.line, d.column, d.end_line, d.end_column),
                }
            }
        ],
    }
    if d.related:
        result["relatedLocations"] = [
            {
                "id": n,
                "physicalLocation": {
                    "artifactLocation": _artifact(r.path, base),
                    "region": {"startLine": r.line, "startColumn": r.column},
                },
                "message": {"text": r.message},
            }
            for n, r in enumerate(d.related)
        ]
    if d.code in index:
        result["ruleIndex"] = index[d.code]
    if d.fix is not None:
        result["fixes"] = [_fix(d.fix, base)]
    return result


def sarif(diagnostics: Sequence[Diagnostic], base: Optional[Path] = None) -> str:
    from dispatch_lint.frontends.docs import all_entries  # loads the rules: only when needed

    base = Path(os.path.abspath(base or os.getcwd()))
    entries = all_entries()
    index = {entry.CODE: n for n, entry in enumerate(entries)}
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dispatch-lint",
                        "version": __version__,
                        "rules": [_rule(entry) for entry in entries],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": base.as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": [_result(d, index, base) for d in diagnostics],
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
