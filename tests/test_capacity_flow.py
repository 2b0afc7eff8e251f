"""The model's two capacity helpers: the paths the extraction follows through a
function to a construction's arguments (model/capacity_flow.py, `Build.flows`),
and the call-site hook that resolves a parameter (model/call_sites.py)."""

import ast
import textwrap

from dispatch_lint.engine.index import extract_facts
from dispatch_lint.model.call_sites import call_sites
from dispatch_lint.model.channel_facts import CALLEE
from dispatch_lint.model.project import Project


def facts_of(tmp_path, text, name="m.py"):
    source = textwrap.dedent(text)
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return extract_facts(str(path), source, ast.parse(source), str(tmp_path))


def flows(facts, line):
    build = next(b for b in facts.channels.builds + facts.channels.parameter_builds if b.line == line)
    return {key: [(path.expr, path.conditions) for path in paths] for key, paths in build.flows}


def test_a_parameter_gives_the_callers_value_and_its_default(tmp_path):
    facts = facts_of(tmp_path, """\
        import queue
        def pool(maxsize=None):
            return queue.Queue(maxsize=maxsize or 0)
        """)
    assert flows(facts, 3) == {"maxsize": [
        (("?",), ("a caller passes `maxsize`",)),
        (("k", 0), ("`maxsize` keeps its default `None`",)),
    ]}


def test_assignments_before_the_use_hide_or_add_to_the_earlier_values(tmp_path):
    facts = facts_of(tmp_path, """\
        import asyncio
        def make(c, items):
            n = 4
            for item in items:
                n = 0
            if (c is None):
                n = 8
            elif c:
                n = -1
            n = n
            return asyncio.Queue(n)
        """)
    [(key, paths)] = flows(facts, 11).items()
    assert key == 0
    assert [conditions for _, conditions in paths] == [
        ("`n` is set to `n` at line 10", "`n` is set to `4` at line 3"),
        ("`n` is set to `n` at line 10", "`n` is set to `0` at line 5"),
        ("`n` is set to `n` at line 10", "`n` is set to `8` at line 7 (under `if (c is None)`)"),
        ("`n` is set to `n` at line 10", "`n` is set to `-1` at line 9 (under `if c`)"),
    ]


def test_other_bindings_and_names_of_other_scopes_are_not_followed(tmp_path):
    facts = facts_of(tmp_path, """\
        import asyncio
        SIZE = 0
        def augmented(n=0):
            n += 1
            return asyncio.Queue(n)
        def closure(n=None):
            def inner():
                return asyncio.Queue(n or 0)
            return inner
        def module_constant():
            return asyncio.Queue(SIZE)
        """)
    assert flows(facts, 5) == {0: [(("?",), ())]}
    assert flows(facts, 8) == {0: [(("n", "n"), ())]}  # `n` is the enclosing function's
    assert flows(facts, 11) == {}


def test_a_called_parameter_keeps_the_constructors_that_reach_it(tmp_path):
    facts = facts_of(tmp_path, """\
        import queue
        from typing import cast
        def relay(queue_class=None, size=None, factory=dict):
            if queue_class is None:
                queue_class = cast("type[queue.Queue]", queue.Queue)
            factory()
            return queue_class(size or 0)
        """)
    assert [b.line for b in facts.channels.parameter_builds] == [7]
    found = flows(facts, 7)
    assert found[CALLEE] == [(("a", ("n", "queue"), "Queue"),
                              ('`queue_class` is set to `cast("type[queue.Queue]", queue.Queue)` at line 5 '
                               "(under `if queue_class is None`)",))]
    assert found[0][1] == (("k", 0), ("`size` keeps its default `None`",))


def test_files_without_flowing_arguments_keep_their_facts_small(tmp_path):
    facts = facts_of(tmp_path, "import asyncio\nq = asyncio.Queue(8)\nr = asyncio.Queue(maxsize=SIZE)\n")
    assert all(build.flows == () for build in facts.channels.builds)
    assert facts.channels.parameter_builds == ()


def test_call_sites_resolve_a_parameter_with_its_default_where_a_call_omits_it(tmp_path):
    source = textwrap.dedent("""\
        import asyncio
        class Holder:
            def __init__(self, maxsize=None):
                self.q = asyncio.Queue(maxsize or 0)
        Holder(10)
        Holder()
        def other(n):
            return n
        """)
    facts = facts_of(tmp_path, source)
    project = Project(str(tmp_path), [facts], {})
    file = project.file(str(tmp_path / "m.py"))
    init = next(d for d in file.defs if d.name == "__init__")
    arguments = call_sites(project).arguments(file, init.body, "maxsize")
    assert [(a.expr, a.default) for a in arguments] == [(("k", 10), False), (("k", None), True)]
    other = next(d for d in file.defs if d.name == "other")
    assert call_sites(project).arguments(file, other.body, "n") == []
    assert call_sites(project).arguments(file, init.body, "asyncio") is None


def test_the_texts_keep_the_parentheses_that_belong_to_the_expression(tmp_path):
    facts = facts_of(tmp_path, """\
        import asyncio
        def make(n=(None)):
            return asyncio.Queue((0) or None or n or 0)
        """)
    [(key, paths)] = flows(facts, 3).items()
    assert [c for _, c in paths] == [
        ("`(0)` is falsy", "a caller passes `n`"),
        ("`(0)` is falsy", "`n` keeps its default `(None)`"),
    ]
