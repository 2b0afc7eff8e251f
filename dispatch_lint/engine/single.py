"""Check one in-memory file, outside a run: stdin, the flake8 plugin, the codemods.

The same sieves and analysis as a run (`runner.py`), for a single text, with a
project index handed in or built on demand.
"""

from __future__ import annotations

import ast
from typing import Any, Callable, List, Optional, Sequence, Type

from dispatch_lint.config import Settings
from dispatch_lint.engine.analysis import analyse_text, rules_for
from dispatch_lint.engine.problems import SyntaxErrorProblem, problem
from dispatch_lint.engine.runner import Engine
from dispatch_lint.engine.syntax import SyntaxProblem, parse_ast, vet_tree
from dispatch_lint.types import Diagnostic


def check_text(settings: Settings, rules: Sequence[Type], path: str, text: str, index: Any = None,
               index_for: Optional[Callable[[], Any]] = None, tree: Optional[ast.Module] = None,
               noqa: bool = True, facts: Any = None) -> List[Diagnostic]:
    """Check one in-memory file (stdin, the flake8 plugin) with an optional index;
    `index_for()` builds it only when the file's own facts leave a rule that needs it.
    `tree` is the caller's `ast` parse of `text`, if it has one (flake8 does),
    and `facts` the model facts extracted from that tree, if it has them (the
    language server does); `noqa=False` leaves `# noqa` comments to the caller."""
    engine = Engine(settings, rules, jobs=1)
    tree = parse_ast(text, path, settings.memory_budget) if tree is None else vet_tree(tree, text)
    if isinstance(tree, SyntaxProblem):
        found = [problem(SyntaxErrorProblem, path, tree.line, tree.column, tree.message)]
    else:
        if facts is None and engine.needs_index:
            from dispatch_lint.engine.index import extract_facts

            facts = extract_facts(path, text, tree, str(settings.root))
        active = rules_for(engine.rules, text, facts, True)
        if any(rule.NEEDS_INDEX for rule in active):
            if index is None and index_for is not None:
                index = index_for()
            known = index.packed_file(path) if index is not None else None
            if known is not None and getattr(facts, "index", None) is None:
                # The pre-filters ask the model, as in a run: no verdict, no LibCST parse.
                active = rules_for(active, text, known, True)
        found = analyse_text(path, text, active, settings.options, index, settings.memory_budget, noqa=noqa)
    return [d for d in found if settings.enabled(d.code)]
