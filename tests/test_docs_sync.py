"""docs/rules/*.md and the README's configuration reference are generated from
the rule classes; these tests fail when they are out of date.
Regenerate with `python scripts/gen_docs.py`."""

import subprocess
import sys

import pytest

from dispatch_lint import registry
from dispatch_lint.config import CORE_OPTIONS
from dispatch_lint.frontends.docs import all_entries, rule_pages, stale, toml_value
from helpers import ROOT, run_cli

RULES_DIR = ROOT / "docs" / "rules"
HINT = "out of date: run `python scripts/gen_docs.py`"


def test_rule_pages_are_up_to_date():
    existing = [(p.name, p.read_text(encoding="utf-8")) for p in RULES_DIR.glob("*.md")]
    assert stale(rule_pages(), existing) == [], HINT


def test_gen_docs_check_passes():
    result = subprocess.run([sys.executable, "scripts/gen_docs.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr + HINT


def test_readme_lists_every_option_with_its_default():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for option in (*CORE_OPTIONS, *registry.rule_options()):
        row = f"| `{option.name}` | `{toml_value(option.default).replace('|', chr(92) + '|')}` |"
        assert row in readme, f"README.md does not list `{option.name}`; {HINT}"


@pytest.mark.parametrize("entry", all_entries(), ids=[e.CODE for e in all_entries()])
def test_explain_prints_the_rule_page(entry):
    result = run_cli("explain", entry.CODE)
    assert result.returncode == 0
    assert result.stdout == (RULES_DIR / f"{entry.CODE}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("entry", all_entries(), ids=[e.CODE for e in all_entries()])
def test_every_rule_page_has_the_ruff_sections(entry):
    page = rule_pages()[f"{entry.CODE}.md"]
    headings = [line for line in page.splitlines() if line.startswith("## ")]
    assert headings == ["## What it does", "## Why is this bad?", "## Example", "## Use instead",
                        "## Fix safety", "## Options"]


def test_stale_names_changed_missing_and_leftover_pages():
    pages = {"A.md": "a\n", "B.md": "b\n"}
    assert stale(pages, [("A.md", "a\n"), ("B.md", "b\n")]) == []
    assert stale(pages, [("A.md", "old\n"), ("C.md", "c\n")]) == ["A.md", "B.md", "C.md"]
