"""`check --add-noqa`: where the comment goes, merging, idempotence, and that
`check` afterwards finds nothing."""

import ast
import shutil

import pytest

from dispatch_lint.engine.noqa import is_suppressed, noqa_map
from dispatch_lint.frontends.add_noqa import plan_noqa
from dispatch_lint.types import Diagnostic
from helpers import ROOT, check_json, run_cli


def finding(line, code="DSP201", column=1):
    return Diagnostic("m.py", line, column, line, column + 1, code, "name", "message")


def added(text, *diagnostics):
    plan = plan_noqa("m.py", text, diagnostics)
    noqa = noqa_map(plan.text)
    if plan.text != text:
        assert ast.dump(ast.parse(plan.text)) == ast.dump(ast.parse(text))
        assert all(is_suppressed(d, noqa) for d in diagnostics)
    return plan


def test_appends_a_comment_and_strips_trailing_blanks():
    plan = added("x = 1   \ny = 2\n", finding(1))
    assert plan.text == "x = 1  # noqa: DSP201\ny = 2\n"
    assert (plan.added, plan.lines) == (1, 1)


def test_codes_on_one_line_share_one_sorted_comment_without_duplicates():
    plan = added("x = 1\n", finding(1, "DSP301"), finding(1, "DSP101"), finding(1, "DSP301", column=3))
    assert plan.text == "x = 1  # noqa: DSP101, DSP301\n"
    assert plan.added == 2


def test_merges_into_an_existing_noqa_comment():
    plan = added("import os  # noqa: F401 -- re-exported\n", finding(1))
    assert plan.text == "import os  # noqa: F401, DSP201 -- re-exported\n"
    assert plan.added == 1


def test_a_code_listed_by_prefix_or_a_blanket_noqa_is_left_alone():
    assert added("x = 1  # noqa\n", finding(1)).text == "x = 1  # noqa\n"
    assert added("x = 1  # noqa: DSP2\n", finding(1)).added == 0


def test_keeps_another_comment_and_adds_after_it():
    plan = added("x = 1  # a reason\n", finding(1))
    assert plan.text == "x = 1  # a reason  # noqa: DSP201\n"


def test_keeps_crlf_newlines_and_a_last_line_without_newline():
    assert added("a = 1\r\nb = 2", finding(2)).text == "a = 1\r\nb = 2  # noqa: DSP201"
    assert added("a = 1\r\nb = 2\r\n", finding(1)).text == "a = 1  # noqa: DSP201\r\nb = 2\r\n"


def test_multi_line_call_gets_the_comment_on_the_reported_line():
    text = "f(\n    1,\n)\n"
    assert added(text, finding(1)).text == "f(  # noqa: DSP201\n    1,\n)\n"


def test_line_ending_inside_a_multi_line_string_is_skipped():
    text = 'x = f("""start\nmiddle\n""")\n'
    plan = added(text, finding(1), finding(2))
    assert plan.text == text and plan.added == 0
    assert len(plan.skipped) == 2 and "inside a string" in plan.skipped[0]


def test_last_line_of_a_multi_line_string_takes_a_comment():
    text = 'x = """a\n""" ; y = 1\n'
    assert added(text, finding(2)).text == 'x = """a\n""" ; y = 1  # noqa: DSP201\n'


def test_backslash_continuation_is_skipped():
    text = "x = 1 + \\\n    2\n"
    plan = added(text, finding(1))
    assert plan.text == text and "backslash" in plan.skipped[0]


def test_noqa_inside_a_string_that_hides_the_comment_skips_the_file():
    text = 'x = "# noqa: E1"  # noqa: DSP201\n'
    plan = added(text, finding(1))
    assert plan.text == text and "would not silence" in plan.skipped[-1]


def test_syntax_errors_are_not_silenced():
    plan = added("x = (\n", finding(1, "DSP001"))
    assert plan.text == "x = (\n" and "cannot be silenced" in plan.skipped[0]


@pytest.fixture
def showcase(tmp_path):
    target = tmp_path / "showcase"
    shutil.copytree(ROOT / "fixtures" / "showcase", target)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    return target


def test_add_noqa_then_check_finds_nothing_and_twice_adds_nothing(showcase):
    before = [f for f in check_json(str(showcase)) if f["code"] not in ("DSP001", "DSP002")]
    if not before:
        pytest.skip("no rule reports on fixtures/showcase yet")
    first = run_cli("check", "--no-cache", "--add-noqa", str(showcase))
    assert first.returncode == 0, first.stderr
    lines = {(f["path"], f["line"]) for f in before}
    assert first.stdout.startswith(f"Added {len({(f['path'], f['line'], f['code']) for f in before})} noqa")
    assert f"on {len(lines)} line" in first.stdout
    after = check_json(str(showcase))
    assert [f for f in after if f["code"] not in ("DSP001", "DSP002")] == []
    snapshot = {p: p.read_bytes() for p in showcase.rglob("*.py")}
    second = run_cli("check", "--no-cache", "--add-noqa", str(showcase))
    assert second.stdout.startswith("Added 0 noqa codes on 0 lines in 0 files")
    assert {p: p.read_bytes() for p in showcase.rglob("*.py")} == snapshot


def test_add_noqa_keeps_encoding_and_bom(project):
    path = project / "m.py"
    path.write_bytes(b"\xef\xbb\xbfx = (\n")
    result = run_cli("check", "--no-cache", "--add-noqa", str(project))
    assert "DSP001 cannot be silenced" in result.stderr
    assert path.read_bytes() == b"\xef\xbb\xbfx = (\n"


def test_a_listed_noqa_code_silences_only_that_code():
    noqa = noqa_map("x = 1  # noqa: DSP201\n")
    assert is_suppressed(finding(1, "DSP201"), noqa)
    assert not is_suppressed(finding(1, "DSP101"), noqa)
