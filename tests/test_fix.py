"""The fix loop and the writer, driven by test-only rules (tests/fix_toys.py)."""

import os
import stat

from fix_toys import TOYS, toy_settings

from dispatch_lint.api import Applicability, Rule
from dispatch_lint.config import load_settings
from dispatch_lint.engine.runner import Engine
from dispatch_lint.fixes.loop import UNSAFE_REASON, FixLoop
from dispatch_lint.fixes.report import summary, unified_diff
from dispatch_lint.fixes.write import edit_guard, write_outcome

CASCADE = """\
import asyncio


async def _leaf():  # a comment that stays
    return 1


async def _middle():
    return await _leaf() + 1


async def main():
    print(await _middle())
    await asyncio.sleep(0)
"""

CASCADE_FIXED = """\
import asyncio


def _leaf():  # a comment that stays
    return 1


def _middle():
    return _leaf() + 1


async def main():
    print(_middle())
    await asyncio.sleep(0)
"""


def fix(root, *, unsafe=False, write=True, paths=None):
    paths = [str(p) for p in (paths or [root])]
    engine = Engine(toy_settings(root), TOYS, jobs=1)
    outcome = FixLoop(engine, unsafe=unsafe, guard=edit_guard(paths)).run(paths)
    if write:
        outcome.withdraw(write_outcome(outcome, root / ".dispatch_lint_cache", root))
    return outcome


def test_cascade_runs_until_nothing_changes_and_second_run_is_a_no_op(project):
    (project / "svc.py").write_text(CASCADE)
    outcome = fix(project)
    assert (project / "svc.py").read_text() == CASCADE_FIXED
    assert [a.pass_number for a in outcome.applied] == [1, 2]
    assert outcome.remaining == []
    text = summary(outcome, written=True, async_dropping={"TST901"})
    assert "Fixed 2 findings in 1 file." in text
    assert "TST901: 2 functions, 2 call sites in 1 file (cascade over 2 passes)" in text
    again = fix(project)
    assert again.applied == [] and again.changed() == {}
    assert (project / "svc.py").read_text() == CASCADE_FIXED


def test_unsafe_fix_needs_the_flag_and_is_reported_with_its_reason(project):
    (project / "svc.py").write_text("async def main():\n    return 1\n")
    outcome = fix(project)
    assert (project / "svc.py").read_text().startswith("async def main")
    assert [r.reason for r in outcome.remaining] == [UNSAFE_REASON]
    assert "[unsafe fix, use --unsafe-fixes]" in summary(outcome, written=True)
    fix(project, unsafe=True)
    assert (project / "svc.py").read_text() == "def main():\n    return 1\n"


def test_fix_spanning_two_files_applies_to_both(project):
    (project / "a.py").write_text('x = link("b.py", "# linked\\n")\n')
    (project / "b.py").write_text("y = 1\n")
    outcome = fix(project)
    assert (project / "a.py").read_text() == "x = None\n"
    assert (project / "b.py").read_text() == "# linked\ny = 1\n"
    assert "Fixed 1 finding in 2 files." in summary(outcome, written=True)


def test_fix_that_breaks_another_file_is_dropped_whole(project):
    (project / "a.py").write_text('x = link("b.py", "(\\n")\n')
    (project / "b.py").write_text("y = 1\n")
    outcome = fix(project)
    assert (project / "a.py").read_text() == 'x = link("b.py", "(\\n")\n'
    assert (project / "b.py").read_text() == "y = 1\n"
    [left] = outcome.remaining
    assert left.reason.startswith("fix not applied: the fixed ") and "b.py would not" in left.reason


def test_fix_that_parses_but_does_not_compile_is_refused(project):
    # LibCST accepts a top-level await; compile() does not.
    (project / "a.py").write_text('link("b.py", "await x\\n")\n')
    (project / "b.py").write_text("y = 1\n")
    outcome = fix(project)
    assert (project / "b.py").read_text() == "y = 1\n"
    [left] = outcome.remaining
    assert "b.py would not compile: 'await' outside function (line 1)" in left.reason


def test_no_fix_reason_is_carried_to_the_summary(project):
    (project / "a.py").write_text('link("")\n')
    outcome = fix(project)
    assert [r.reason for r in outcome.remaining] == ["link() names no target"]


def test_conflicting_fixes_apply_over_successive_passes(project):
    (project / "a.py").write_text('link("b.py", "p = 1\\n")\nlink("b.py", "q = 2\\n")\n')
    (project / "b.py").write_text("")
    outcome = fix(project)
    assert (project / "a.py").read_text() == "None\nNone\n"
    assert sorted((project / "b.py").read_text().splitlines()) == ["p = 1", "q = 2"]
    assert [a.pass_number for a in outcome.applied] == [1, 2]


def test_read_only_file_is_reported_not_changed(project):
    (project / "a.py").write_text('link("b.py", "# x\\n")\n')
    (project / "b.py").write_text("y = 1\n")
    os.chmod(project / "b.py", 0o444)
    outcome = fix(project)
    assert (project / "a.py").read_text() == 'link("b.py", "# x\\n")\n'
    [left] = outcome.remaining
    assert left.reason == f"fix not applied: {project}/b.py is read-only"


def test_symlink_resolving_outside_the_named_paths_is_not_written(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.py").write_text("async def _f():\n    pass\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("")
    os.symlink(outside / "target.py", project / "link.py")
    outcome = fix(project)
    assert (outside / "target.py").read_text() == "async def _f():\n    pass\n"
    assert os.path.islink(project / "link.py")
    assert "resolves outside the named paths" in outcome.remaining[0].reason


def test_file_changed_on_disk_after_reading_is_not_overwritten(project):
    (project / "a.py").write_text('link("b.py", "# x\\n")\n')
    (project / "b.py").write_text("y = 1\n")
    outcome = fix(project, write=False)
    (project / "b.py").write_text("y = 2\n")
    refused = write_outcome(outcome, project / ".dispatch_lint_cache", project)
    assert refused[f"{project}/b.py"].endswith("changed on disk since it was read; not written")
    assert "not written" in refused[f"{project}/a.py"]
    assert (project / "a.py").read_text() == 'link("b.py", "# x\\n")\n'
    assert (project / "b.py").read_text() == "y = 2\n"
    outcome.withdraw(refused)
    assert outcome.applied == [] and len(outcome.remaining) == 1


def test_write_keeps_encoding_bom_newlines_and_mode(project):
    latin = "# -*- coding: latin-1 -*-\r\nasync def _f():\r\n    return 'caf\xe9'\r\n"
    (project / "latin.py").write_bytes(latin.encode("latin-1"))
    bom = "async def _g():\r    return 1\r"
    (project / "bom.py").write_bytes(b"\xef\xbb\xbf" + bom.encode())
    os.chmod(project / "bom.py", 0o750)
    fix(project)
    assert (project / "latin.py").read_bytes() == latin.replace("async ", "").encode("latin-1")
    assert (project / "bom.py").read_bytes() == b"\xef\xbb\xbf" + bom.replace("async ", "").encode()
    assert stat.S_IMODE(os.stat(project / "bom.py").st_mode) == 0o750
    assert not [p for p in os.listdir(project) if p.endswith(".tmp")]


def test_diff_mode_writes_nothing_and_shows_the_change(project):
    (project / "svc.py").write_text(CASCADE)
    outcome = fix(project, write=False)
    diff = unified_diff(outcome)
    assert f"--- {project}/svc.py" in diff
    assert "-async def _leaf():  # a comment that stays\n+def _leaf():  # a comment that stays\n" in diff
    assert (project / "svc.py").read_text() == CASCADE
    text = summary(outcome, written=False)
    assert "Would fix 2 findings in 1 file." in text
    assert "TST901: 2 fixes (cascade over 2 passes)" in text


def test_pass_limit_leaves_the_rest_with_a_reason(project):
    (project / "svc.py").write_text(CASCADE)
    engine = Engine(toy_settings(project), TOYS, jobs=1)
    outcome = FixLoop(engine, max_passes=1).run([str(project)])
    assert [a.pass_number for a in outcome.applied] == [1]
    [left] = outcome.remaining
    assert left.reason == "fixable, but not applied within the limit of 1 passes; run again"


def test_edit_paths_spelled_differently_name_the_same_file(project, monkeypatch):
    monkeypatch.chdir(project)
    (project / "a.py").write_text(f'link("{project}/b.py", "p = 1\\n")\nlink("b.py", "q = 2\\n")\n')
    (project / "b.py").write_text('link("", "")\n')
    engine = Engine(toy_settings(project), TOYS, jobs=1)
    outcome = FixLoop(engine, guard=edit_guard(["."])).run(["."])
    assert sorted(outcome.changed()) == ["a.py", "b.py"]
    assert sorted(outcome.changed()["b.py"].splitlines()) == ['link("", "")', "p = 1", "q = 2"]
    # b.py's own finding is reported once, against the text the fixes produced.
    assert [(r.diagnostic.path, r.diagnostic.line) for r in outcome.remaining] == [("b.py", 3)]


def test_file_reached_through_a_symlink_inside_the_roots_is_written_once(project):
    (project / "real").mkdir()
    (project / "real" / "target.py").write_text("async def _f():\n    pass\n")
    os.symlink(project / "real" / "target.py", project / "alias.py")
    outcome = fix(project)
    assert (project / "real" / "target.py").read_text() == "def _f():\n    pass\n"
    assert os.path.islink(project / "alias.py")
    # One file, checked and fixed once, under its own name.
    assert outcome.remaining == [] and len(outcome.applied) == 1
    assert outcome.applied[0].paths == (str(project / "real" / "target.py"),)


class ToyNoOp(Rule):
    """Offers fixes that change nothing: `same()` rewrites itself, `empty()` has no edits."""

    CODE = "TST903"
    NAME = "toy-no-op"
    MESSAGE = "no-op fix"
    TRIGGERS = ("same(", "empty(")

    def visit_Call(self, node):
        name = node.func.value
        edits = [self.replace(node, self.context.module.code_for_node(node))] if name == "same" else []
        self.report(node, fix=self.make_fix(Applicability.SAFE, name, *edits))


def test_fixes_that_change_nothing_are_not_applied_or_repeated(project):
    (project / "a.py").write_text("same()\nempty()\n")
    settings = load_settings([str(project)], (), ["DSP001", "DSP002", "TST903"], {"select": ["TST903"]})
    outcome = FixLoop(Engine(settings, [ToyNoOp], jobs=1)).run([str(project)])
    assert outcome.applied == [] and outcome.passes == 1
    assert [r.reason for r in outcome.remaining] == ["the fix changes nothing"] * 2
