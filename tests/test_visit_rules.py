"""`visit_rules`: rules that only visit the module node are called without a
walk of the tree, others get LibCST's batched visit; positions come from the
module without any metadata provider."""

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from dispatch_lint.rule import Rule, RuleContext, visit_rules, visits_only_the_module

CODE = "import asyncio\n\nasync def f(q):\n    await q.put(1)  # é\n"


class ModuleOnly(Rule):
    CODE, NAME, MESSAGE = "X001", "module-only", "module"

    def visit_Module(self, node):
        self.context.reports.append(("visit", type(self).__name__))
        self.report(node.body[1])

    def leave_Module(self, node):
        self.context.reports.append(("leave", type(self).__name__))


class AlsoModuleOnly(ModuleOnly):
    CODE = "X002"


class Names(Rule):
    CODE, NAME, MESSAGE = "X003", "names", "name"

    def visit_Name(self, node):
        self.report(node)


def run(*rules):
    module = cst.parse_module(CODE)
    context = RuleContext(path="m.py", text=CODE, module=module, options={})
    visit_rules(module, [rule(context) for rule in rules])
    return module, context.reports


def test_which_rules_visit_only_the_module():
    assert visits_only_the_module(ModuleOnly) and visits_only_the_module(AlsoModuleOnly)
    assert not visits_only_the_module(Names)
    assert visits_only_the_module(Rule)


def test_module_visits_run_in_the_order_of_the_batched_visit():
    _, reports = run(ModuleOnly, AlsoModuleOnly)
    assert [r for r in reports if isinstance(r, tuple)] == [
        ("visit", "ModuleOnly"), ("visit", "AlsoModuleOnly"), ("leave", "ModuleOnly"), ("leave", "AlsoModuleOnly"),
    ]


def test_a_rule_visiting_other_nodes_gets_the_walk_and_positions_match_the_provider():
    module, reports = run(ModuleOnly, Names)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    names = []
    for node in [module.body[1], *(n for n in positions if isinstance(n, cst.Name))]:
        where = positions[node]
        names.append((where.start.line, where.start.column + 1, where.end.line, where.end.column + 1))
    found = [(d.line, d.column, d.end_line, d.end_column) for d in reports if not isinstance(d, tuple)]
    assert sorted(found) == sorted(names)
    assert len(found) == 1 + 5  # the function, and asyncio, f, q, q, put
