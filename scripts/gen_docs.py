"""Regenerate docs/rules/*.md and the README's generated blocks (configuration, channel libraries).

    python scripts/gen_docs.py           # write what is out of date
    python scripts/gen_docs.py --check   # exit 1 and name what is out of date

Everything comes from the rule classes (their docstrings and `OPTIONS`), so a
rule added later shows up after one run; tests/test_docs_sync.py fails until then.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List

from dispatch_lint.frontends.docs import rule_pages, stale, with_generated_readme

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "docs" / "rules"
README = ROOT / "README.md"


def out_of_date() -> List[str]:
    existing = [(p.name, p.read_text(encoding="utf-8")) for p in RULES_DIR.glob("*.md")]
    names = [f"docs/rules/{name}" for name in stale(rule_pages(), existing)]
    readme = README.read_text(encoding="utf-8")
    if with_generated_readme(readme) != readme:
        names.append("README.md")
    return names


def write() -> List[str]:
    changed = out_of_date()
    RULES_DIR.mkdir(parents=True, exist_ok=True)
    pages = rule_pages()
    for path in RULES_DIR.glob("*.md"):
        if path.name not in pages:
            path.unlink()
    for name, text in pages.items():
        target = RULES_DIR / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8", newline="\n")
    readme = README.read_text(encoding="utf-8")
    README.write_text(with_generated_readme(readme), encoding="utf-8", newline="\n")
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when out of date")
    args = parser.parse_args()
    names = out_of_date() if args.check else write()
    for name in names:
        print(f"{'out of date' if args.check else 'wrote'}: {name}")
    return 1 if args.check and names else 0


if __name__ == "__main__":
    sys.exit(main())
