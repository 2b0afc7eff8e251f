"""The channel table: a library with two send methods on one object, a try-send
spelled as a keyword, and the docs lists generated from the table."""

import textwrap
from types import SimpleNamespace

import libcst as cst
import pytest

from dispatch_lint.channels.table import CHANNEL_KINDS, SendEnd, kind_for
from dispatch_lint.channels.table_docs import capacity_table, readme_block, send_table
from dispatch_lint.channels.try_send import try_call
from dispatch_lint.frontends.docs import rule_pages
from helpers import ROOT, check_json, run_cli

AIOPROCESSING = """
    import aioprocessing

    class Exporter:
        def __init__(self):
            self.inbox = aioprocessing.AioQueue(8)

        async def export(self, item):
            await self.inbox.coro_put(item)

        async def export_blocking(self, item):
            self.inbox.put(item)
"""


def _write(project, source):
    (project / "pyproject.toml").write_text("[tool.dispatch-lint]\nignore = [\"DSP201\"]\n")
    (project / "svc.py").write_text(textwrap.dedent(source))


def test_two_send_methods_on_one_object_each_get_their_rule_and_try_send(project):
    _write(project, AIOPROCESSING)
    found = sorted((f["code"], f["line"]) for f in check_json(str(project)))
    assert found == [("DSP101", 9), ("DSP102", 12)]
    result = run_cli("fix", "--unsafe-fixes", "--no-cache", str(project))
    assert result.returncode in (0, 1), result.stderr
    fixed = (project / "svc.py").read_text()
    assert "self.inbox.put_nowait(item)\n" in fixed
    assert "coro_put" not in fixed and "await self.inbox.put" not in fixed
    assert fixed.count("self.inbox.put_nowait(item)") == 2


KEYWORD_END = SendEnd("put", False, "put", "queue.Full", try_keyword=("blocking", "False"))


@pytest.mark.parametrize("source, expected", [
    ("q.put(x)", "q.put(x, blocking=False)"),
    ("q.put(x, timeout=1)", "q.put(x, timeout=1, blocking=False)"),
    ("q.put(\n    x,\n)", "q.put(\n    x,\nblocking=False)"),
])
def test_a_keyword_try_send_adds_the_keyword(source, expected):
    call = cst.parse_expression(source)
    code = cst.Module([]).code_for_node(try_call(SimpleNamespace(call=call, end=KEYWORD_END)))
    assert code == expected
    compile(code, "<fix>", "eval")


def test_a_keyword_try_send_is_described_with_its_keyword():
    assert KEYWORD_END.keyword_try_send
    assert KEYWORD_END.try_text("q") == "q.put(..., blocking=False)"
    thread_put = kind_for("queue.Queue").end
    assert thread_put.try_keyword == ("block", "False") and not thread_put.keyword_try_send


def test_docs_lists_come_from_the_table():
    pages = rule_pages()
    for kind in CHANNEL_KINDS:
        assert f"`{kind.display}`" in capacity_table()
        assert f"`{kind.display}`" in pages["DSP302.md"]
        assert f"`{kind.display}`" in readme_block()
        for end in kind.sends():
            table = send_table(awaited=end.awaited)
            if not kind.capacity.fixed_unbounded:
                assert f"`{kind.display}`" in table
                assert table in pages["DSP101.md" if end.awaited else "DSP102.md"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_block() in readme, "README.md is out of date: run `python scripts/gen_docs.py`"
