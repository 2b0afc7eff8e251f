"""`check --format sarif` is valid against the official SARIF 2.1.0 schema
(tests/data/sarif-schema-2.1.0.json, see its NOTICE) and carries rule metadata."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from dispatch_lint.frontends.docs import all_entries, rule_doc
from dispatch_lint.frontends.formats.sarif import sarif
from dispatch_lint.types import Applicability, Diagnostic, Edit, Fix, Position
from helpers import ROOT, run_cli

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
VALIDATOR = Draft4Validator(SCHEMA, format_checker=Draft4Validator.FORMAT_CHECKER)


def assert_valid(log: dict) -> None:
    errors = sorted(VALIDATOR.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_schema_rejects_a_broken_log():
    """The validator is really checking: a result without a message is invalid."""
    log = json.loads(sarif([]))
    log["runs"][0]["results"] = [{"ruleId": "DSP001"}]
    assert list(VALIDATOR.iter_errors(log))


def test_command_output_is_valid_sarif_with_rule_metadata(project):
    (project / "bad.py").write_text("x = (\n")
    (project / "good.py").write_text("import asyncio\n")
    result = run_cli("check", "--no-cache", "--format", "sarif", ".", cwd=project)
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    assert_valid(log)
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [e.CODE for e in all_entries()]
    for entry, described in zip(all_entries(), rules):
        assert described["name"] == entry.NAME
        assert "helpUri" not in described  # there is no public documentation site to point at
        assert described["help"]["markdown"] == rule_doc(entry)
        assert described["shortDescription"]["text"] and described["fullDescription"]["text"]
    [finding] = run["results"]
    assert finding["ruleId"] == "DSP001"
    assert rules[finding["ruleIndex"]]["id"] == "DSP001"
    location = finding["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "bad.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 1 and location["region"]["startColumn"] == 5
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"


@pytest.mark.skipif(not any(p.is_dir() for p in (ROOT / "fixtures").iterdir()), reason="no fixture folders yet")
def test_fixture_findings_are_valid_sarif():
    result = run_cli("check", "--no-cache", "--format", "sarif", "fixtures")
    assert result.returncode in (0, 1), result.stderr
    assert_valid(json.loads(result.stdout))


def test_fixes_and_paths_outside_the_base(tmp_path):
    inside = str(tmp_path / "pkg" / "mod.py")
    edits = (
        Edit(inside, Position(3, 5), Position(3, 11), ""),
        Edit(inside, Position(7, 1), Position(7, 1), "x = 1\n"),
    )
    diagnostics = [
        Diagnostic(inside, 3, 5, 3, 20, "DSP001", "syntax-error", "first",
                   fix=Fix(Applicability.SAFE, edits, "drop the await")),
        Diagnostic("/elsewhere/other.py", 1, 1, 1, 2, "DSP002", "unreadable-file", "second"),
    ]
    log = json.loads(sarif(diagnostics, base=tmp_path))
    assert_valid(log)
    first, second = log["runs"][0]["results"]
    [change] = first["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "pkg/mod.py", "uriBaseId": "%SRCROOT%"}
    assert [r["insertedContent"]["text"] for r in change["replacements"]] == ["", "x = 1\n"]
    assert change["replacements"][0]["deletedRegion"] == {
        "startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 11}
    assert "safe fix" in first["fixes"][0]["description"]["text"]
    assert second["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "file:///elsewhere/other.py"}
