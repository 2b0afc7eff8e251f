"""Test-only rules that exercise the fix machinery (never registered in ALL_RULES).

TST901 is a one-file dead-async rewrite (drop `async`, drop `await NAME(` in the
same file), safe for `_private` names, so it cascades like DSP201. TST902 turns
`link("other.py", "text")` into `None` and inserts `text` at the top of
`other.py`: a fix spanning two files. `link("")` has no fix; `unsafe=True`
makes the fix unsafe.
"""

from __future__ import annotations

import os
from typing import List

import libcst as cst
import libcst.matchers as m

from dispatch_lint.api import Applicability, Edit, Position, Rule
from dispatch_lint.codemods.base import RuleCodemod
from dispatch_lint.config import load_settings
from dispatch_lint.engine.problems import PROBLEMS


class ToyDeadAsync(Rule):
    CODE = "TST901"
    NAME = "toy-dead-async"
    MESSAGE = "async function never awaits"
    TRIGGERS = ("async",)

    def __init__(self, context) -> None:
        super().__init__(context)
        self.awaits: List[cst.Await] = []

    def visit_Module(self, node: cst.Module) -> None:
        self.awaits = list(m.findall(node, m.Await(expression=m.Call(func=m.Name()))))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None or _awaits_inside(node):
            return
        name = node.name.value
        edits = [self.delete_prefix(node, "async" + node.asynchronous.whitespace_after.value)]
        edits += [self.replace(a, a.expression) for a in self.awaits if a.expression.func.value == name]
        safety = Applicability.SAFE if name.startswith("_") else Applicability.UNSAFE
        self.report(node, fix=self.make_fix(safety, f"make `{name}` sync", *edits))


def _awaits_inside(function: cst.FunctionDef) -> bool:
    found = m.findall(function.body, m.Await() | m.For(asynchronous=m.Asynchronous())
                      | m.With(asynchronous=m.Asynchronous()))
    return bool(found)


class ToyLink(Rule):
    CODE = "TST902"
    NAME = "toy-link"
    MESSAGE = "link() call"
    TRIGGERS = ("link(",)

    def visit_Call(self, node: cst.Call) -> None:
        if not m.matches(node, m.Call(func=m.Name("link"), args=[m.Arg(m.SimpleString()), m.ZeroOrMore()])):
            return
        target = node.args[0].value.evaluated_value
        if not target:
            self.report(node, no_fix_reason="link() names no target")
            return
        text = node.args[1].value.evaluated_value if len(node.args) > 1 else ""
        unsafe = any(a.keyword and a.keyword.value == "unsafe" for a in node.args)
        other = os.path.join(os.path.dirname(self.context.path), target)
        start = Position(1, 1)
        fix = self.make_fix(
            Applicability.UNSAFE if unsafe else Applicability.SAFE,
            f"unlink {target}",
            self.replace(node, "None"),
            Edit(other, start, start, text),
        )
        self.report(node, fix=fix)


TOYS = (ToyDeadAsync, ToyLink)


def toy_settings(root):
    codes = [p.CODE for p in PROBLEMS] + [rule.CODE for rule in TOYS]
    return load_settings([str(root)], (), codes, {"select": ["TST", "DSP"]})


class ToyDeadAsyncCodemod(RuleCodemod):
    DESCRIPTION = "TST901 as a codemod (test only)"
    CODE = "TST901"

    @classmethod
    def rule(cls):
        return ToyDeadAsync


class ToyLinkCodemod(RuleCodemod):
    DESCRIPTION = "TST902 as a codemod (test only)"
    CODE = "TST902"

    @classmethod
    def rule(cls):
        return ToyLink


def install_toys() -> None:
    """Make the command use the toy rules (for a subprocess running the real CLI)."""
    from dispatch_lint import registry
    from dispatch_lint.frontends import fix_command

    registry.ALL_RULES = TOYS
    fix_command.ALL_RULES = TOYS


if __name__ == "__main__":
    import sys

    from dispatch_lint.frontends.cli import main

    install_toys()
    sys.exit(main())
