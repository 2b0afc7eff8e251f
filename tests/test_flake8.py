"""The flake8 plugin, through the real `flake8`: on every fixture folder it reports
what `dispatch-lint check` reports (line, column, code). flake8 reports syntax
errors itself (E999), so DSP001 and DSP002 are left out of the comparison."""

import functools
import re
import subprocess
import sys

import pytest

from helpers import FIXTURE_FOLDERS, ROOT, check_json, computed_once, fixture_folder, fixture_findings

ENGINE_ONLY = {"DSP001", "DSP002"}
FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) ")


def flake8(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "flake8", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def flake8_findings(*args, cwd=ROOT):
    result = flake8(*args, cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    found = set()
    for line in result.stdout.splitlines():
        match = FLAKE8_LINE.match(line)
        assert match, f"unexpected flake8 output: {line}"
        found.add((match["path"], int(match["line"]), int(match["col"]), match["code"]))
    return found


def test_plugin_is_registered():
    result = flake8("--version")
    assert "dispatch-lint" in result.stdout


@functools.lru_cache(maxsize=None)
def flake8_fixture_findings():
    """flake8 over every fixture folder in one run, by folder (see `fixture_findings`)."""
    found = {str(p.relative_to(ROOT)): set() for p in FIXTURE_FOLDERS}
    for finding in computed_once("flake8-fixtures", lambda: flake8_findings("--select", "DSP", *found)):
        found[fixture_folder(finding[0])].add(finding)
    return found


@pytest.mark.parametrize("folder", FIXTURE_FOLDERS, ids=[p.name for p in FIXTURE_FOLDERS])
def test_flake8_agrees_with_check(folder):
    relative = str(folder.relative_to(ROOT))
    ours = {(f["path"], f["line"], f["column"], f["code"]) for f in fixture_findings()[relative]
            if f["code"] not in ENGINE_ONLY}
    assert ours, f"{relative}: check found nothing to compare"
    assert flake8_fixture_findings()[relative] == ours


def test_syntax_error_is_e999_in_flake8_and_dsp001_in_check(project):
    (project / "bad.py").write_text("x = (\n")
    assert {code for *_, code in flake8_findings("--select", "DSP,E999", "bad.py", cwd=project)} == {"E999"}
    assert [f["code"] for f in check_json("bad.py", cwd=project)] == ["DSP001"]


def test_plugin_reads_the_projects_settings(project):
    (project / "m.py").write_text("import asyncio\nq = asyncio.Queue()\n")
    reported = flake8_findings("--select", "DSP", "m.py", cwd=project)
    assert {code for *_, code in reported} == {"DSP301"}
    (project / "pyproject.toml").write_text("[tool.dispatch-lint]\nignore = ['DSP301']\n")
    assert flake8_findings("--select", "DSP", "m.py", cwd=project) == set()


def test_plugin_reuses_the_facts_cache_and_sees_edits(project):
    """The plugin's project index takes unchanged files' facts from the cache
    `check` shares; an edited caller still changes the verdict."""
    (project / "worker.py").write_text("async def _step(job):\n    print(job)\n\n\nasync def run(job):\n"
                                       "    await _step(job)\n")
    (project / "main.py").write_text("import asyncio\nfrom worker import _step\n\n\n"
                                     "def start():\n    _step(1)\n")
    first = flake8("--select", "DSP", "worker.py", cwd=project).stdout
    assert "worker.py:1:1: DSP201" in first and "called without `await` at main.py:6" in first
    assert list((project / ".dispatch_lint_cache").glob("facts-*.json"))
    assert flake8("--select", "DSP", "worker.py", cwd=project).stdout == first
    (project / "main.py").write_text("def start():\n    pass\n")
    second = flake8("--select", "DSP", "worker.py", cwd=project).stdout
    assert "worker.py:1:1: DSP201" in second and "every call site in the project is a plain `await`" in second
    (project / "worker.py").write_text("async def _step(job):\n    await job\n\n\nasync def run(job):\n"
                                       "    await _step(job)\n")
    assert flake8("--select", "DSP", "worker.py", cwd=project).stdout == ""


def test_plugin_builds_the_project_index_only_for_a_file_that_needs_it(project):
    (project / "plain.py").write_text("import asyncio\n\n\nasync def main():\n    await asyncio.sleep(1)\n")
    (project / "other.py").write_text("def helper():\n    return 1\n")
    assert flake8_findings("--select", "DSP", "plain.py", "other.py", cwd=project) == set()
    assert not list(project.glob(".dispatch_lint_cache/facts-*.json"))
    (project / "dead.py").write_text("async def _tick():\n    print(1)\n")
    assert {code for *_, code in flake8_findings("--select", "DSP", "dead.py", cwd=project)} == {"DSP201"}
    assert list(project.glob(".dispatch_lint_cache/facts-*.json"))


def test_noqa_is_left_to_flake8(project):
    """flake8 applies `# noqa` itself (so flake8-noqa sees the comments used):
    with --disable-noqa the finding shows, without it flake8 hides it."""
    (project / "m.py").write_text("import asyncio\nq = asyncio.Queue()  # noqa: DSP301\n")
    assert flake8_findings("--select", "DSP", "m.py", cwd=project) == set()
    shown = flake8_findings("--select", "DSP", "--disable-noqa", "m.py", cwd=project)
    assert {code for *_, code in shown} == {"DSP301"}


def test_flake8_noqa_sees_the_comments_the_plugin_relies_on(project):
    (project / "m.py").write_text("import asyncio\nq = asyncio.Queue()  # noqa: DSP301\nr = 1  # noqa: DSP301\n")
    found = {(line, code) for _, line, _, code in flake8_findings("--select", "DSP,NQA", "m.py", cwd=project)}
    assert found == {(3, "NQA102")}  # only the comment that silences nothing


def test_a_configuration_error_is_one_line(project):
    (project / "pyproject.toml").write_text("[tool.dispatch-lint]\nselekt = ['DSP']\n")
    (project / "m.py").write_text("import asyncio\n")
    for named in ("m.py", "."):
        result = flake8("--select", "DSP", named, cwd=project)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            f"dispatch-lint: error: {project / 'pyproject.toml'}: unknown key 'selekt' in [tool.dispatch-lint]"]


def test_a_broken_nested_configuration_never_stops_flake8s_other_codes(project):
    (project / "sub").mkdir()
    (project / "sub" / "pyproject.toml").write_text("[tool.dispatch-lint]\nselekt = ['DSP']\n")
    (project / "sub" / "m.py").write_text("import os\n")
    (project / "ok.py").write_text("import asyncio\nq = asyncio.Queue()\n")
    found = flake8_findings("--select", "DSP,F", ".", cwd=project)
    codes = {(path, code) for path, _, _, code in found}
    assert codes == {("./sub/m.py", "DSP000"), ("./sub/m.py", "F401"), ("./ok.py", "DSP301")}


def test_loading_the_plugin_imports_neither_the_engine_nor_libcst():
    probe = ("import sys\nimport dispatch_lint.frontends.flake8_plugin\n"
             "print(sorted(m for m in sys.modules if m.startswith(('libcst', 'dispatch_lint.engine'))))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


def plugin_codes(project, texts, name):
    """The codes the plugin class reports on `texts[name]`, written in `project`
    with the other texts (flake8's own machinery left out)."""
    import ast

    from dispatch_lint.frontends.flake8_plugin import DispatchLintPlugin

    for other, text in texts.items():
        if not (project / other).exists():
            (project / other).write_text(text)
    text = texts[name]
    return [message.split()[0] for _, _, message, _ in
            DispatchLintPlugin(ast.parse(text), str(project / name), text.splitlines(True)).run()]


def test_plugin_asks_the_project_before_parsing_with_libcst(project, monkeypatch):
    """A file whose text passes a channel rule's text sieve, but on which the
    project's channel model has no verdict, is not parsed with LibCST (as in
    `check`); one with a verdict is."""
    import libcst

    parsed = []
    real_parse = libcst.parse_module
    monkeypatch.setattr(libcst, "parse_module", lambda source, *a, **k: parsed.append(1) or real_parse(source, *a, **k))
    monkeypatch.chdir(project)
    texts = {"bounded.py": "import asyncio\n\nQUEUE = asyncio.Queue(maxsize=10)\n\n\n"
                           "async def produce(item):\n    await QUEUE.put(item)\n",
             "unbounded.py": "import asyncio\n\nQUEUE = asyncio.Queue()\n"}
    assert plugin_codes(project, texts, "bounded.py") == [] and parsed == []
    assert plugin_codes(project, texts, "unbounded.py") == ["DSP301"] and parsed == [1]


def test_plugin_lets_go_of_the_facts_it_unpacked_after_each_file(project, monkeypatch):
    """The model lives as long as flake8's process, and every object it keeps
    is scanned at each of flake8's full collections: after a file, the facts
    its verdicts unpacked are let go (the model itself stays), and the next
    file still gets its findings."""
    from dispatch_lint import registry

    monkeypatch.chdir(project)
    texts = {"helper.py": "async def helper():\n    return 1\n",
             "caller.py": "from helper import helper\n\n\nasync def main():\n    return await helper()\n"}
    for _ in range(2):
        assert plugin_codes(project, texts, "helper.py") == ["DSP201"]
        (index,) = [built for root, built in registry._BUILT.items() if root == str(project)]
        assert len(index.files.packed) >= 2 and not index.files.recent and index.files.recent_bytes == 0
