"""The cheap tree facts equal LibCST's own metadata providers, node for node:
parents (in ParentNodeProvider's order), scopes, qualified names, positions."""

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import (
    ExpressionContextProvider,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from dispatch_lint.channels.tree import ModuleTree, module_tree
from dispatch_lint.engine.cst_scopes import expression_contexts, scope_map
from dispatch_lint.cst_tree import (
    NodePositions,
    StatementTrees,
    _statement_starts,
    child_nodes,
    node_positions,
    parent_map,
)

ROOT = Path(__file__).resolve().parent.parent

TRICKY = {
    "f-strings": 'x = 3\nprint(f"{x!r:>{x}} {x=} {x:{x}.{x}}" f\'{ {1: 2}[1] }\' "tail")\n',
    "crlf and tabs": "import asyncio\r\nclass A:\r\n\tdef f(self):\r\n\t\tq = asyncio.Queue()  # é\r\n\t\treturn q\r\n",
    "lone carriage returns": "a = 1\rif a:\r    b = (a +\r         2)\r",
    "continuations": "x = 1 + \\\n    2\nasync \\\n  def f():\n    await g(x,\n        y=[i for i in range(3) if i],\n    )\n",
    "no trailing newline": "import queue\nq = queue.Queue(maxsize=0)",
    "decorators and lambdas": (
        "import functools, dataclasses as dc\n"
        "@functools.lru_cache(maxsize=None)\n@staticmethod\ndef f(a, /, b=lambda: (yield), *c, d, **e) -> 'int':\n"
        "    global G\n    nonlocal_ = [*c]\n    return {**e, 'k': a if b else d}\n"
        "@dc.dataclass\nclass B(A, metaclass=M):\n    x: int = dc.field(default_factory=lambda: [])\n"
    ),
    "statements": (
        "from . import a as b\nfrom .. m import *\nimport x.y.z as w\n"
        "try:\n    pass\nexcept* (E, F) as e:\n    del e\nelse:\n    raise\nfinally:\n    assert x, 'm'\n"
        "with (open(p) as f, open(q)):\n    (y := f.read())\n"
        "match p:\n    case [1, *rest] | {'k': v, **kw} if v:\n        pass\n    case Point(x=0) as pt:\n        pass\n"
        "for i, (j, k) in z: continue\nwhile 0: break\nelse: ...\nx[1:2, ::3] = ~-y ** 2 @ z; a |= b\n"
    ),
    "type parameters": "type V[T] = list[T]\ndef f[T: int, *Ts, **P](x: T) -> T: ...\nclass C[T]: pass\n",
    "comprehension scopes": "class K:\n    v = 1\n    w = [v for _ in range(3)]\n    g = {k: v for k in w}\n",
    "empty": "",
    "only comments": "# just a comment\n\n",
}


def fixture_texts():
    files = sorted((ROOT / "fixtures").rglob("*.py"))
    return {f"fixtures/{p.relative_to(ROOT / 'fixtures')}": p.read_text(encoding="utf-8") for p in files}


CASES = {**TRICKY, **fixture_texts()}


@pytest.fixture(params=sorted(CASES), scope="module")
def module(request):
    return cst.parse_module(CASES[request.param])


def test_every_case_is_checked():
    assert len(fixture_texts()) >= 40


def test_parent_map_is_parent_node_provider_in_its_order(module):
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ParentNodeProvider)
    found = parent_map(module)
    assert list(found) == list(expected)
    assert all(found[node] is expected[node] for node in expected)


def test_child_nodes_are_children(module):
    for node in [module, *parent_map(module)]:
        assert child_nodes(node) == list(node.children)


def test_positions_are_position_provider(module):
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    found = NodePositions(module)
    assert set(found) == set(expected)
    assert all(found[node] == expected[node] for node in expected)
    assert node_positions(module) is node_positions(module)


def test_expression_contexts_are_the_provider(module):
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ExpressionContextProvider)
    assert expression_contexts(module) == dict(expected)


def test_scopes_and_qualified_names_are_the_providers(module):
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    expected = wrapper.resolve(ScopeProvider)
    names = wrapper.resolve(QualifiedNameProvider)
    found = scope_map(module)
    # String annotations are parsed into nodes of their own, new on each run.
    in_tree = {module, *parent_map(module)}
    assert [n for n in found if n in in_tree] == [n for n in expected if n in in_tree]
    assert len(found) == len(expected)
    assert [_shape(found[n]) for n in found if n in in_tree] == [_shape(expected[n]) for n in expected if n in in_tree]
    tree = ModuleTree(module)
    for node in [module, *parent_map(module)]:
        value = names.get(node, set())
        value = value() if callable(value) else value  # a LazyValue, as get_metadata resolves it
        assert tree.qualified_names(node) == {q.name for q in value}


def _shape(scope):
    """A scope, comparable across two computations: its kind, node and bindings."""
    if scope is None:
        return None
    assignments = sorted((a.name, type(a).__name__, id(getattr(a, "node", None)), len(a.references))
                         for a in scope.assignments)
    accesses = sorted((a.node.value if isinstance(a.node, cst.Name) else type(a.node).__name__, id(a.node),
                       len(a.referents)) for a in scope.accesses)
    return type(scope).__name__, id(getattr(scope, "node", None)), assignments, accesses


def test_module_tree_is_kept_for_the_last_module():
    first, second = cst.parse_module("a = 1\n"), cst.parse_module("b = 2\n")
    assert module_tree(first) is module_tree(first)
    assert module_tree(second).module is second
    assert module_tree(first) is not module_tree(second)


def test_statement_trees_are_the_whole_module_facts(module):
    """Computed one top-level statement at a time, parents and positions are
    those of the whole module, and the nodes on a line are its statement's."""
    text = module.code
    whole_parents, whole_positions = parent_map(module), NodePositions(module)
    trees = StatementTrees(module, text)
    lines = text.count("\n") + text.count("\r") - text.count("\r\n") + 1
    for line in range(lines, 0, -1):
        for node in trees.nodes_on(line)[1]:
            assert trees.parents[node] is whole_parents[node]
            assert trees.spans[node] == whole_positions._spans[node]
    # No statement needed the whole module, unless `ast` cannot parse the text
    # (syntax newer than this Python) or LibCST's code is not the text (lone
    # carriage returns: it drops the last one).
    exact = _statement_starts(module, text) is not None and "\r" not in text.replace("\r\n", "")
    assert not (trees.whole and exact and module.body)
    for node in whole_parents:  # any node asked about outside the statements computed
        assert trees.parent(node) is whole_parents[node]
        assert trees.position(node) == whole_positions[node]


@pytest.mark.parametrize("text", [
    "x = 1\n@dec\n# between\n@other(\n    1)\nclass A:\n    pass\n\n\n# trailing\n",
    "a = 1; b = 2\nif a:\n    pass\n# last\n",
    "x = 1\n\\\ny = 2\n",
    "# header\n\nimport q\n",
])
def test_statement_trees_compute_only_the_statement_asked_about(text):
    module = cst.parse_module(text)
    trees = StatementTrees(module, text)
    last = text.count("\n")
    nodes = trees.nodes_on(last - 1)[1]
    whole = parent_map(module)
    assert nodes and all(trees.parents[n] is whole[n] for n in nodes)
    assert trees.whole or len(trees.built) == 1


def test_statement_trees_fall_back_to_the_whole_module_when_ast_disagrees():
    text = "x = 1\ny = 2\n"
    trees = StatementTrees(cst.parse_module(text), "x = 1\n\ny = 2\n")  # a text that is not the module's
    assert trees.nodes_on(2)[1] and trees.whole


def test_statement_trees_answer_the_module_has_no_parent_without_computing_it():
    text = "a = 1\nb = 2\n"
    module = cst.parse_module(text)
    trees = StatementTrees(module, text)
    statement = trees.nodes_on(2)[1][-1]
    assert trees.parent(statement) is module and trees.parent(module) is None
    assert not trees.whole and list(trees.built) == [1]
