"""DSP201 reports from the index facts and the text, without LibCST: its
positions and `async` edits match what LibCST's PositionProvider gives, on
tabs, non-ASCII text, line continuations and form feeds; no file is parsed
with LibCST, in the engine or in `check_text` (the flake8 plugin, codemods)."""

import textwrap

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from dispatch_lint import registry
from dispatch_lint.engine.runner import Engine
from dispatch_lint.engine.single import check_text
from dispatch_lint.fixes.edits import apply_edits, replaced_texts
from dispatch_lint.rules import ALL_RULES
from dispatch_lint.rules.dsp101_awaited_bounded_send import AwaitedBoundedSend
from dispatch_lint.rules.dsp201_async_never_awaits import AsyncNeverAwaits

TRICKY = {
    "tabs.py": (
        '"""Émile\'s module: «quoted» text before the definitions."""\n'
        "import functools\n\n\n"
        "class _Pump:\n"
        '\t@functools.wraps(print)  # décorateur\n'
        "\tasync def _drain(self):\n"
        '\t\treturn "é"\n\n'
        "\tasync def run(self):\n"
        '\t\tx = "ü"; return await self._drain()\n'
    ),
    "continued.py": (
        "async \\\n    def _first():\n    return 1\n\n"
        "async\tdef \\\n\t_second ():\n    return 2\n\n"
        "async def user():\n    await _first()\n    await _second()\n"
    ),
    "names.py": (
        "async def _émettre(message):\n    print(message)\n\n"
        "\x0c\n"
        "async def _ﬁnish():\n    return 0\n\n"
        "async def user():\n    await _émettre(1)\n    await _finish()\n"
    ),
}


class _AsyncDefs(cst.CSTVisitor):
    """The old, LibCST way to place a DSP201 finding and its `async` edit."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self):
        super().__init__()
        self.found = {}

    def visit_FunctionDef(self, node):
        if node.asynchronous is not None:
            start = self.get_metadata(PositionProvider, node).start
            end = self.get_metadata(PositionProvider, node.name).end
            where = (start.line, start.column + 1, end.line, end.column + 1)
            self.found[where] = "async" + node.asynchronous.whitespace_after.value


def libcst_places(text):
    visitor = _AsyncDefs()
    MetadataWrapper(cst.parse_module(text)).visit(visitor)
    return visitor.found


def settings_for(root, select=("DSP201",)):
    return registry.settings_for([str(root)], {"select": list(select), "cache": False})


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    for name, text in TRICKY.items():
        (tmp_path / name).write_bytes(text.encode("utf-8"))
    return tmp_path


def test_positions_and_edits_match_libcst_without_parsing_with_it(project):
    result = Engine(settings_for(project), ALL_RULES, jobs=1).run([str(project)])
    assert result.parsed == 0
    found = {}
    for d in result.diagnostics:
        found.setdefault(d.path, []).append(d)
    assert sorted(found) == sorted(str(project / name) for name in TRICKY)
    for name, text in TRICKY.items():
        expected = libcst_places(text)
        for d in found[str(project / name)]:
            where = (d.line, d.column, d.end_line, d.end_column)
            assert where in expected, (name, d)
            own = [e for e in d.fix.edits if e.path == d.path]
            assert replaced_texts(text, own[:1]) == (expected[where],)
            compile(apply_edits(text, own), name, "exec")
    assert {d.message.split("`")[1] for d in found[str(project / "names.py")]} == {"_émettre", "_ﬁnish"}


def test_fixed_texts(project):
    result = Engine(settings_for(project), ALL_RULES, jobs=1).run([str(project)])
    edits = {}
    for d in result.diagnostics:
        for e in d.fix.edits:
            edits.setdefault(e.path, []).append(e)
    out = {path: apply_edits(open(path, encoding="utf-8").read(), e) for path, e in edits.items()}
    assert out[str(project / "continued.py")] == (
        "def _first():\n    return 1\n\n"
        "def \\\n\t_second ():\n    return 2\n\n"
        "async def user():\n    _first()\n    _second()\n"
    )
    assert '\tdef _drain(self):\n\t\treturn "é"\n' in out[str(project / "tabs.py")]
    assert '\t\tx = "ü"; return self._drain()\n' in out[str(project / "tabs.py")]


def test_a_mixed_run_parses_only_for_the_rules_that_need_the_cst(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "m.py").write_text(textwrap.dedent("""
        import asyncio

        class SessionActor:
            def __init__(self):
                self.inbox = asyncio.Queue(maxsize=100)

            async def tell(self, message):
                await self.inbox.put(message)
                await _log(message)

        async def _log(message):
            print(message)
    """))
    rules = (AsyncNeverAwaits.CODE, AwaitedBoundedSend.CODE)
    result = Engine(settings_for(tmp_path, rules), ALL_RULES, jobs=1).run([str(tmp_path)])
    assert {d.code for d in result.diagnostics} == set(rules) and result.parsed == 1
    alone = Engine(settings_for(tmp_path), ALL_RULES, jobs=1).run([str(tmp_path)])
    assert [d for d in result.diagnostics if d.code == "DSP201"] == alone.diagnostics
    assert alone.parsed == 0


def test_noqa_silences_a_finding_reported_from_the_facts(project):
    path = project / "quiet.py"
    path.write_text("async def _first():  # noqa: DSP201\n    return 1\n\nasync def user():\n    await _first()\n")
    assert Engine(settings_for(project), ALL_RULES, jobs=1).run([str(path)]).diagnostics == []


def test_check_text_reports_without_libcst(project, monkeypatch):
    """The flake8 plugin and the codemods check one text through `check_text`."""
    settings = settings_for(project)
    index = registry.project_index(str(settings.root))
    path = str(project / "names.py")
    expected = Engine(settings, ALL_RULES, jobs=1).run([path]).diagnostics

    def refuse(*args, **kwargs):
        raise AssertionError("LibCST parsed a file for DSP201")

    monkeypatch.setattr(cst, "parse_module", refuse)
    found = check_text(settings, ALL_RULES, path, TRICKY["names.py"], index)
    assert found == expected and len(found) == 2


def test_a_text_that_does_not_hold_the_indexed_definition_gets_no_finding(project):
    """The index facts come from the file on disk; a changed text is not misplaced."""
    settings = settings_for(project)
    index = registry.project_index(str(settings.root))
    path = str(project / "names.py")
    shifted = "\n" + TRICKY["names.py"]
    assert check_text(settings, ALL_RULES, path, shifted, index) == []
