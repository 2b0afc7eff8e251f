"""The results cache: warm runs parse nothing, edits re-check only what changed,
and a damaged or concurrently written cache never changes a result."""

from __future__ import annotations

import json
import multiprocessing
import os
import time

import pytest

from dispatch_lint.api import Applicability, Rule
from dispatch_lint.config import load_settings
from dispatch_lint.engine import cache as cache_module
from dispatch_lint.engine.runner import Engine


class ReportAwaits(Rule):
    """Reports every `await`, with a fix that drops it (a test rule)."""

    CODE = "DSP900"
    NAME = "await-seen"
    MESSAGE = "await seen"
    TRIGGERS = ("await",)

    def visit_Await(self, node) -> None:
        fix = self.make_fix(Applicability.UNSAFE, "drop await", self.delete_prefix(node, "await "))
        self.report(node, fix=fix)


RULES = (ReportAwaits,)
PAST = time.time() - 3600


def settings_for(root, **table):
    return load_settings([str(root)], (), ["DSP900"], table)


def make_tree(root, count=10):
    for n in range(count):
        body = f"async def f{n}():\n    await g()\n" if n % 2 == 0 else f"def f{n}():\n    return {n}\n"
        write(root / "pkg" / f"m{n}.py", body)


def write(path, text, when=PAST):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (when, when))


def run(root, jobs=1, overlay=None, **table):
    return Engine(settings_for(root, **table), RULES, jobs=jobs).run([str(root)], overlay)


def findings(result):
    return [(d.path, d.line, d.column, d.code, d.message, d.fix) for d in result.diagnostics]


@pytest.mark.parametrize("jobs", [1, 2])
def test_warm_run_reads_and_parses_nothing(project, jobs):
    make_tree(project)
    cold = run(project, jobs)
    assert cold.parsed == 5 and len(cold.diagnostics) == 5
    warm = run(project, jobs)
    assert warm.parsed == 0
    assert warm.sources == {}
    assert findings(warm) == findings(cold)
    assert (project / ".dispatch_lint_cache" / ".gitignore").read_text().strip().endswith("*")


def test_editing_one_file_rechecks_only_that_file(project):
    make_tree(project)
    run(project)
    write(project / "pkg" / "m3.py", "async def f3():\n    await h()\n    await k()\n")
    result = run(project)
    assert result.parsed == 1
    assert sorted(result.sources) == [str(project / "pkg" / "m3.py")]
    assert len(result.diagnostics) == 7


def test_touched_but_unchanged_file_is_hashed_not_parsed(project):
    make_tree(project)
    run(project)
    target = project / "pkg" / "m0.py"
    os.utime(target, (PAST + 60, PAST + 60))
    result = run(project)
    assert result.parsed == 0 and list(result.sources) == [str(target)]


def test_same_size_edit_right_after_a_run_is_seen(project):
    """An mtime recorded too close to the run could hide a same-size edit in the same tick."""
    target = project / "m.py"
    target.write_text("async def f():\n    await g()\n")
    stamp = os.stat(target).st_mtime_ns
    assert len(run(project).diagnostics) == 1
    target.write_text("async def f():\n    print(gg)\n")
    os.utime(target, ns=(stamp, stamp))
    assert run(project).diagnostics == []


def test_overlay_texts_are_neither_answered_from_nor_stored_in_the_cache(project):
    make_tree(project, 2)
    target = str(project / "pkg" / "m0.py")
    assert len(run(project).diagnostics) == 1
    in_memory = run(project, overlay={target: "async def f0():\n    pass\n"})
    assert in_memory.diagnostics == [] and in_memory.parsed == 0
    on_disk = run(project)
    assert len(on_disk.diagnostics) == 1 and on_disk.parsed == 0
    edited = run(project, overlay={target: "async def f0():\n    await a()\n    await b()\n"})
    assert len(edited.diagnostics) == 2


def test_settings_rules_and_prefilter_key_separate_caches(project):
    make_tree(project, 2)
    run(project)
    assert run(project, ignore=["DSP900"]).diagnostics == []
    assert len(run(project).diagnostics) == 1
    settings = settings_for(project)
    keys = {Engine(settings, RULES, prefilter=p).cache_key() for p in (True, False)}
    keys.add(Engine(settings, (), jobs=1).cache_key())
    assert len(keys) == 3


def test_disabled_cache_writes_nothing(project):
    make_tree(project, 2)
    first = run(project, cache=False)
    second = run(project, cache=False)
    assert first.parsed == second.parsed == 1
    assert not (project / ".dispatch_lint_cache").exists()


def test_cache_dir_setting_is_honoured(project):
    make_tree(project, 2)
    run(project, **{"cache-dir": "build/lintcache"})
    assert list((project / "build" / "lintcache").glob("results-*.json"))
    assert run(project, **{"cache-dir": "build/lintcache"}).parsed == 0


def cache_file(root):
    (found,) = (root / ".dispatch_lint_cache").glob("results-*.json")
    return found


def _truncate(data):
    return data[: len(data) // 2]


def _flip_body(data):
    return data.replace(b"await seen", b"await SEEN")


def _wrong_shapes(data):
    header, _, body = data.partition(b"\n")
    entries = {path: ["x", None, 3] for path in json.loads(body)}
    body = json.dumps(entries).encode()
    meta = json.loads(header)
    meta["body"] = cache_module.hashlib.blake2b(body, digest_size=16).hexdigest()
    return json.dumps(meta).encode() + b"\n" + body


def _bad_findings(data):
    header, _, body = data.partition(b"\n")
    entries = json.loads(body)
    for entry in entries.values():
        entry[4] = [["not", "a", "finding"]]
    body = json.dumps(entries).encode()
    meta = json.loads(header)
    meta["body"] = cache_module.hashlib.blake2b(body, digest_size=16).hexdigest()
    return json.dumps(meta).encode() + b"\n" + body


@pytest.mark.parametrize("damage", [
    _truncate, _flip_body, _wrong_shapes, _bad_findings,
    lambda data: b"", lambda data: b"\xff\xfe garbage \x00" * 50, lambda data: b"[]\n{}",
    lambda data: data.replace(f'"format": {cache_module.FORMAT}'.encode(), b'"format": 99'),
], ids=["truncated", "altered-body", "wrong-shapes", "bad-findings", "empty", "binary", "other-json", "version"])
def test_damaged_cache_gives_cold_results(project, damage):
    make_tree(project)
    expected = findings(run(project, cache=False))
    run(project)
    path = cache_file(project)
    path.write_bytes(damage(path.read_bytes()))
    result = run(project)
    assert findings(result) == expected
    assert result.parsed == 5
    assert run(project).parsed == 0  # and the next run has a sound cache again


def test_unwritable_cache_folder_does_not_fail_the_run(project):
    make_tree(project, 2)
    (project / ".dispatch_lint_cache").write_text("a file where the folder should be")
    assert len(run(project).diagnostics) == 1
    assert len(run(project).diagnostics) == 1


def _hammer(root, rounds, queue):
    try:
        for n in range(rounds):
            result = run(root, jobs=1)
            queue.put(len(result.diagnostics))
    except BaseException as exc:  # reported to the parent, which fails the test
        queue.put(repr(exc))


def test_concurrent_runs_never_see_a_broken_cache(project):
    make_tree(project, 20)
    expected = len(run(project, cache=False).diagnostics)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_hammer, args=(project, 4, queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for n in range(6):  # edit files while the runs go on: every run must stay consistent
        write(project / "pkg" / f"m{n}.py", f"def f{n}():\n    return {n}\n", when=time.time())
        write(project / "pkg" / f"m{n}.py", f"async def f{n}():\n    await g()\n" if n % 2 == 0
              else f"def f{n}():\n    return {n}\n", when=PAST)
    outcomes = [queue.get(timeout=120) for _ in range(16)]
    for worker in workers:
        worker.join(timeout=120)
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert len(run(project).diagnostics) == expected


def test_cross_file_edit_paths_survive_the_round_trip(tmp_path):
    from dispatch_lint.types import Diagnostic, Edit, Fix, Position

    owner = os.path.join("src", "a.py")
    edits = (Edit(owner, Position(1, 1), Position(1, 7), ""),
             Edit(os.path.join("src", "sub", "b.py"), Position(2, 5), Position(2, 11), "x"))
    diagnostic = Diagnostic(owner, 1, 1, 1, 7, "DSP900", "n", "m", Fix(Applicability.SAFE, edits, "d"),
                            None, (("key", 1),))
    data = json.loads(json.dumps(cache_module._diagnostic_data(diagnostic)))
    assert cache_module._diagnostic(data, owner) == diagnostic
    assert cache_module._diagnostic(data, owner).extra == (("key", 1),)


def test_tool_fingerprint_follows_rule_modules(tmp_path):
    module = tmp_path / "rules_plugin.py"
    module.write_text("X = 1\n")
    before = cache_module.tool_fingerprint([str(module)])
    module.write_text("X = 22\n")
    assert cache_module.tool_fingerprint([str(module)]) != before
    assert cache_module.rule_modules(RULES) == [os.path.abspath(__file__.replace(".pyc", ".py"))]


WARM_PROBE = """
import sys
from dispatch_lint.frontends.cli import main
status = main(["check", *sys.argv[1:]])
for module in ("dispatch_lint.rules", "libcst"):
    sys.stderr.write(f"{module} {'loaded' if module in sys.modules else 'not loaded'}\\n")
sys.exit(status)
"""


def test_warm_command_loads_neither_rules_nor_libcst(project):
    import subprocess
    import sys

    from helpers import run_cli

    write(project / "svc.py", "import asyncio\nq = asyncio.Queue()\nasync def f():\n    await q.put(1)\n")
    make_tree(project)
    cold = run_cli("check", str(project))
    assert list((project / ".dispatch_lint_cache").glob("settings-*.json"))

    def warm(*flags):
        return subprocess.run([sys.executable, "-c", WARM_PROBE, *flags, str(project)],
                              capture_output=True, text=True, timeout=300)

    result = warm()
    assert (result.returncode, result.stdout) == (cold.returncode, cold.stdout)
    assert result.stderr.splitlines() == ["dispatch_lint.rules not loaded", "libcst not loaded"]
    write(project / "pkg" / "m1.py", "def f1(:\n")  # an edit: the engine must run again
    changed = warm()
    assert "DSP001" in changed.stdout and "dispatch_lint.rules loaded" in changed.stderr
    assert "dispatch_lint.rules loaded" in warm("--select", "DSP001").stderr  # other flags: another memo


# -- where the cache lives, and what is trusted from it --------------------------------------

from bad_input_cases import GOOD, GOOD_FINDING, dispatch_lint, lines_about, make_project  # noqa: E402


def _tree_snapshot(folder):
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() and not p.is_symlink() else None)
            for p in folder.rglob("*")}


READ_AND_WRITE = (("check", "."), ("fix", "."), ("fix", "--diff", "."))


@pytest.mark.parametrize("value, problem, commands", [
    ("", "must be a folder below the project root", READ_AND_WRITE),
    (".", "must be a folder below the project root", READ_AND_WRITE[:1]),
    ("./", "must be a folder below the project root", READ_AND_WRITE[:1]),
    ("/tmp", "must be a folder below the project root", READ_AND_WRITE[:1]),
    ("../elsewhere", "must be a folder below the project root", READ_AND_WRITE[:1]),
    ("src", "holds Python files; the cache folder must not contain sources", READ_AND_WRITE),
    ("linked", "is a symlink; the cache folder is never reached through one", READ_AND_WRITE),
    ("linked/inner", "is a symlink; the cache folder is never reached through one", READ_AND_WRITE[:1]),
])
def test_a_cache_dir_outside_the_root_or_over_sources_is_a_configuration_error(tmp_path, value, problem, commands):
    """Each kind of problem stops every command that reads or writes the cache;
    each spelling of it, `check`."""
    (tmp_path / "elsewhere").mkdir()
    project = tmp_path / "project"
    project.mkdir()
    make_project(project)
    (project / "src").mkdir()
    (project / "src" / "app.py").write_text(GOOD)
    os.symlink(tmp_path / "elsewhere", project / "linked")
    (project / "pyproject.toml").write_text(f"[project]\nname = 'p'\n[tool.dispatch-lint]\ncache-dir = {value!r}\n")
    before = _tree_snapshot(tmp_path)
    for command in commands:
        result = dispatch_lint(*command, cwd=project)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert problem in result.stderr and "'cache-dir'" in result.stderr
    assert _tree_snapshot(tmp_path) == before


def test_a_symlinked_default_cache_folder_is_not_followed(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    project = tmp_path / "project"
    project.mkdir()
    make_project(project)
    os.symlink(tmp_path / "elsewhere", project / ".dispatch_lint_cache")
    result = dispatch_lint("check", ".", cwd=project)
    assert result.returncode == 2 and "is a symlink" in result.stderr
    assert list((tmp_path / "elsewhere").iterdir()) == []


@pytest.mark.parametrize("command", [("fix", "--diff", "--unsafe-fixes"), ("check", "--no-cache")])
def test_read_only_commands_write_nothing(tmp_path, command):
    make_project(tmp_path)
    before = _tree_snapshot(tmp_path)
    result = dispatch_lint(*command, ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert _tree_snapshot(tmp_path) == before


def _memo(project):
    [memo] = (project / ".dispatch_lint_cache").glob("settings-*.json")
    folder, _, body = memo.read_bytes().partition(b"\n")
    return memo, folder, json.loads(body)


def _checked_once(folder, pyproject):
    """A project checked once, and its warm memo as that check wrote it."""
    make_project(folder)
    (folder / "pyproject.toml").write_text(pyproject)
    dispatch_lint("check", ".", cwd=folder)
    memo, _, _ = _memo(folder)
    return folder, memo, memo.read_bytes()


def _forged(checked, forge):
    """The project, with its memo as first written but for `forge(data)`."""
    project, memo, original = checked
    folder, _, body = original.partition(b"\n")
    data = json.loads(body)
    forge(data)
    memo.write_bytes(folder + b"\n" + json.dumps(data).encode())
    return project


@pytest.fixture(scope="module")
def memo_project(tmp_path_factory):
    return _checked_once(tmp_path_factory.mktemp("memo"), "[project]\nname = 'p'\n")


@pytest.fixture(scope="module")
def configured_memo_project(tmp_path_factory):
    return _checked_once(tmp_path_factory.mktemp("memo"),
                         "[project]\nname = 'p'\n[tool.dispatch-lint]\nignore = ['DSP301']\n")


@pytest.mark.parametrize("forge", [
    {"exclude": ["*"]},
    {"select": ["DSP002"]},
    {"respect_gitignore": "yes"},
    {"select": 5},
    {"options": {"inbox-capacity": "x"}, "select": [[]]},
    {"max_file_size": 1},
    {"root": "/"},
])
def test_a_forged_warm_memo_is_a_miss_never_a_crash_or_another_answer(memo_project, forge):
    project = _forged(memo_project, lambda data: data.update(forge))
    result = dispatch_lint("check", "--format", "concise", ".", cwd=project)
    assert "Traceback" not in result.stderr, result.stderr
    assert lines_about(result.stdout, "good.py")[0].startswith(GOOD_FINDING)


UNBOUNDED = "import asyncio\nq = asyncio.Queue( )\n"  # DSP301, which needs no project index
BOUNDED = "import asyncio\nq = asyncio.Queue(1)\n"  # same size, no finding


def _channel_project(root, text):
    root.mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (root / "chan.py").write_text(text)
    os.utime(root / "chan.py", (PAST, PAST))
    return root


def _reseal(path, meta, body):
    """Write a store file with a valid checksum over a forged body."""
    import hashlib

    if isinstance(meta, dict) and "body" in meta:
        meta["body"] = hashlib.blake2b(body, digest_size=16).hexdigest()
    path.write_bytes(json.dumps(meta).encode() + b"\n" + body)


def test_a_cache_folder_copied_from_elsewhere_is_not_trusted(tmp_path):
    """A repository that ships `.dispatch_lint_cache` with results of its own making:
    the checksums are right, but the entries were written in another folder."""
    first = _channel_project(tmp_path / "first", BOUNDED)
    dispatch_lint("check", ".", cwd=first)
    second = _channel_project(tmp_path / "second", UNBOUNDED)
    import shutil

    shutil.copytree(first / ".dispatch_lint_cache", second / ".dispatch_lint_cache")
    for data_file in (second / ".dispatch_lint_cache").glob("*.json"):  # point the entries at the copy
        header, _, body = data_file.read_bytes().partition(b"\n")
        _reseal(data_file, json.loads(header), body.replace(str(first).encode(), str(second).encode()))
    result = dispatch_lint("check", "--format", "concise", ".", cwd=second)
    assert lines_about(result.stdout, "chan.py") and "DSP301" in result.stdout, result.stdout


def test_cached_edits_are_never_applied_by_fix(tmp_path):
    """A cache entry (valid checksum, as a hostile or stale cache could hold) whose
    fix edits another file: `fix` computes its fixes afresh and ignores it."""
    project = _channel_project(tmp_path / "project", UNBOUNDED)
    (project / "victim.py").write_text("x = 1\n")
    os.utime(project / "victim.py", (PAST, PAST))
    dispatch_lint("check", ".", cwd=project)
    [results] = (project / ".dispatch_lint_cache").glob("results-*.json")
    header, _, body = results.read_bytes().partition(b"\n")
    entries = json.loads(body)
    finding = entries[str(project / "chan.py")][4][0]
    finding[7] = ["safe", "forged", [[1, 1, 1, 6, "import os; os.system('true')  #", "victim.py"]]]
    _reseal(results, json.loads(header), json.dumps(entries, separators=(",", ":")).encode())
    dispatch_lint("fix", ".", cwd=project)
    assert (project / "victim.py").read_text() == "x = 1\n"


@pytest.mark.parametrize("forge", [
    {"select": ["DSP002"]},
    {"per_file_ignores": [["*.py", ["DSP201"]]]},
    {"max_file_size": 1},
    {"exclude": ["*"]},
])
def test_a_forged_configuration_in_the_warm_memo_is_a_miss(configured_memo_project, forge):
    """Each configuration the memo remembers must agree with its pyproject.toml
    (digest and all), so forged settings of one configuration are never used."""

    def forged(data):
        [config] = [name for name, entry in data["configs"].items() if entry["settings"] and name]
        data["configs"][config]["settings"].update(forge)

    project = _forged(configured_memo_project, forged)
    result = dispatch_lint("check", "--format", "concise", ".", cwd=project)
    assert "Traceback" not in result.stderr, result.stderr
    assert lines_about(result.stdout, "good.py")[0].startswith(GOOD_FINDING)
