"""Run every rule's own VALID and INVALID cases (the Fixit 2 way)."""

import textwrap

import pytest

from dispatch_lint import registry
from dispatch_lint.engine.runner import Engine
from dispatch_lint.fixes.edits import apply_edits
from dispatch_lint.rules import ALL_RULES

CASES = [
    (rule, kind, n, case)
    for rule in ALL_RULES
    for kind, cases in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for n, case in enumerate(cases)
]


def _toml(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f'{k} = {_toml(v)}' for k, v in value.items()) + " }"
    if isinstance(value, str):
        return repr(value).replace("'", '"')
    return str(value)


def run_case(tmp_path, rule, case):
    lines = ["[tool.dispatch-lint]"] + [f'"{k}" = {_toml(v)}' for k, v in case.settings.items()]
    (tmp_path / "pyproject.toml").write_text("\n".join(lines) + "\n")
    target = tmp_path / "case.py"
    source = textwrap.dedent(case.code)
    target.write_text(source)
    settings = registry.settings_for([str(tmp_path)], {"select": [rule.CODE], "cache": False})
    result = Engine(settings, ALL_RULES, jobs=1).run([str(tmp_path)])
    return source, result.diagnostics


@pytest.mark.parametrize(
    "rule,kind,n,case", CASES, ids=[f"{r.CODE}-{k}-{n}" for r, k, n, _ in CASES]
)
def test_rule_case(tmp_path, rule, kind, n, case):
    source, found = run_case(tmp_path, rule, case)
    found = [d for d in found if d.code == rule.CODE]
    if kind == "valid":
        assert found == [], f"unexpected: {[d.message for d in found]}"
        return
    assert found, "expected a finding"
    if case.expected_message is not None:
        assert any(case.expected_message in d.message for d in found), [d.message for d in found]
    if case.expected_replacement is not None:
        edits = [e for d in found if d.fix for e in d.fix.edits]
        fixed = apply_edits(source, edits)
        assert fixed == textwrap.dedent(case.expected_replacement)
        compile(fixed, "case.py", "exec")


def test_every_rule_has_cases_and_docs():
    for rule in ALL_RULES:
        assert rule.VALID and rule.INVALID, rule.CODE
        for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety", "## Options"):
            assert section in (rule.__doc__ or ""), f"{rule.CODE} lacks {section}"


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.CODE for r in ALL_RULES])
def test_declared_fixes_are_the_fixes_offered(tmp_path, rule):
    """`FIXES` (shown by `dispatch-lint rules`) is what the rule's own cases produce."""
    offered = set()
    for n, case in enumerate(rule.INVALID):
        folder = tmp_path / str(n)
        folder.mkdir()
        _, found = run_case(folder, rule, case)
        offered |= {d.fix.applicability for d in found if d.code == rule.CODE and d.fix}
    assert offered == set(rule.FIXES)
