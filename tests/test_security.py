"""Security: analysed code is never imported or run, writes stay inside the named
paths, and configuration values are data only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bad_input_cases import GOOD, GOOD_FIXED, dispatch_lint, flake8, make_project, run

ROOT = Path(__file__).resolve().parent.parent
CONSOLE_SCRIPT = Path(sys.executable).with_name("dispatch-lint")


def _booby_trap(marker: Path) -> str:
    """Module code that leaves `marker` behind if it ever runs."""
    return f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"


def _trapped_project(root: Path, marker: Path) -> Path:
    """A project whose every module writes `marker` when imported: a package
    `__init__`, a module named like LibCST's and pathspec's dependencies, a
    conftest, a setup.py, and a service importing them, with findings to fix."""
    make_project(root)
    trap = _booby_trap(marker)
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text(trap)
    (root / "pkg" / "service.py").write_text(trap + "from pkg import helpers\nimport evil\n" + GOOD)
    (root / "pkg" / "helpers.py").write_text(trap + GOOD)
    for name in ("evil.py", "conftest.py", "setup.py", "sitecustomize.py", "typing_extensions.py", "yaml.py"):
        (root / name).write_text(trap)
    (root / "good.py").write_text(trap + GOOD)
    return root


def test_no_front_end_runs_analysed_code(tmp_path):
    marker = tmp_path / "MARKER"
    (tmp_path / "project").mkdir()
    project = _trapped_project(tmp_path / "project", marker)
    commands = [
        [str(CONSOLE_SCRIPT), "check", "--no-cache", "-j", "1", "."],
        [str(CONSOLE_SCRIPT), "check", "-j", "2", "."],  # the pool, and the cache
        [str(CONSOLE_SCRIPT), "check", "."],  # warm: answered from the cache
        [str(CONSOLE_SCRIPT), "fix", "--diff", "--unsafe-fixes", "."],
        [str(CONSOLE_SCRIPT), "fix", "--unsafe-fixes", "."],
    ]
    for command in commands:
        result = run(command, project)
        assert "Traceback" not in result.stderr, result.stderr
    assert (project / "good.py").read_text().endswith(GOOD_FIXED), "fix did not run: the test lost its power"
    stdin = run([str(CONSOLE_SCRIPT), "check", "-", "--stdin-filename", "pkg/service.py"], project,
                stdin=(project / "pkg" / "service.py").read_bytes())
    assert "Traceback" not in stdin.stderr
    flake8_result = flake8("--select", "DSP", ".", cwd=project)
    assert "Traceback" not in flake8_result.stderr
    codemod = run([sys.executable, "-m", "libcst.tool", "codemod", "-x",
                   "dispatch_lint.codemods.dead_async.DropDeadAsync", "--no-format", "--hide-progress", "-j", "1",
                   "pkg"], project, env={"PYTHONSAFEPATH": "1"})  # as the `libcst.tool` script would
    assert "Traceback" not in codemod.stderr, codemod.stderr
    assert not marker.exists(), marker.read_text()


def test_python_dash_m_from_inside_the_project_runs_no_project_module(tmp_path):
    """`python -m` puts the working folder first on sys.path (PYTHONSAFEPATH is not
    set here); dispatch-lint's own imports must still not pick up a project module."""
    marker = tmp_path / "MARKER"
    (tmp_path / "project").mkdir()
    project = _trapped_project(tmp_path / "project", marker)
    for name in ("pathspec", "libcst", "tomllib", "json", "hashlib", "ast", "tokenize"):
        if not (project / f"{name}.py").exists():
            (project / f"{name}.py").write_text(_booby_trap(marker))
    result = dispatch_lint("check", "--no-cache", ".", cwd=project)
    shadowed = marker.read_text() if marker.exists() else ""
    assert result.returncode in (0, 1) or shadowed, result.stderr
    assert shadowed == "", f"modules run by `python -m dispatch_lint` in the project: {shadowed.split()}"


def test_fix_never_writes_outside_the_named_paths(project):
    """A cross-file fix whose call sites lie outside the named folder is not applied at all."""
    make_project(project)
    (project / "lib").mkdir()
    (project / "lib" / "__init__.py").write_text("")
    (project / "lib" / "core.py").write_text("async def _helper():\n    return 1\n")
    (project / "app").mkdir()
    app = ("import asyncio\n\nfrom lib.core import _helper\n\n\n"
           "async def main():\n    await asyncio.sleep(0)\n    return await _helper()\n")
    (project / "app" / "main.py").write_text(app)
    result = dispatch_lint("fix", "--no-cache", "lib", cwd=project)
    assert (project / "app" / "main.py").read_text() == app
    assert (project / "lib" / "core.py").read_text() == "async def _helper():\n    return 1\n"
    assert "outside the analysed paths (app/main.py)" in result.stdout, result.stdout
    dispatch_lint("fix", "--no-cache", "lib", "app", cwd=project)
    assert "return _helper()" in (project / "app" / "main.py").read_text()


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")}


@pytest.mark.parametrize("command", ["check", "fix"])
def test_only_the_project_and_its_cache_are_written(tmp_path, command):
    (tmp_path / "project").mkdir()
    project = make_project(tmp_path / "project")
    (tmp_path / "sibling.py").write_text(GOOD)
    before = _snapshot(tmp_path)
    dispatch_lint(command, ".", cwd=project)
    after = _snapshot(tmp_path)
    new_or_changed = {path for path in after if before.get(path, b"<new>") != after[path]}
    allowed = {"project/good.py"} if command == "fix" else set()
    outside = {p for p in new_or_changed if p not in allowed and not p.startswith("project/.dispatch_lint_cache")}
    assert outside == set()


def test_configuration_values_are_data(tmp_path):
    marker = tmp_path / "MARKER"
    (tmp_path / "project").mkdir()
    project = make_project(tmp_path / "project")
    payload = f"__import__('os').system('touch {marker}')"
    (project / "evil_errors.py").write_text(_booby_trap(marker) + "class Overloaded(Exception):\n    pass\n")
    (project / "inbox.py").write_text(
        "import asyncio\n\nINBOX = asyncio.Queue(maxsize=10)\n\n\n"
        "async def deliver(message):\n    await INBOX.put(message)\n")
    (project / "pyproject.toml").write_text(
        "[tool.dispatch-lint]\n"
        f'exclude = ["$(touch {marker})", "`touch {marker}`"]\n'
        f'cache-dir = "$(touch {marker})"\n'
        'overloaded-error = "evil_errors:Overloaded"\n'
        f'actor-inbox = {{ names = ["{payload}", "INBOX"], classes = ["{payload}"] }}\n')
    checked = dispatch_lint("check", ".", cwd=project)
    assert "DSP101" in checked.stdout, checked.stdout + checked.stderr
    dispatch_lint("fix", "--unsafe-fixes", ".", cwd=project)
    assert "raise Overloaded(" in (project / "inbox.py").read_text()
    assert (project / f"$(touch {marker})").is_dir()  # the cache folder, literally named
    bad_select = dispatch_lint("check", "--select", payload, ".", cwd=project)
    assert bad_select.returncode == 2
    assert not marker.exists()


def test_the_console_script_and_safe_invocations_run_no_project_module(tmp_path):
    """A project shadowing the tool itself (`dispatch_lint.py`), its dependencies
    and the standard library: the console script, `python -P -m dispatch_lint`
    and `python -P -m libcst.tool` (the documented safe forms) import none of it."""
    marker = tmp_path / "MARKER"
    (tmp_path / "project").mkdir()
    project = _trapped_project(tmp_path / "project", marker)
    for name in ("dispatch_lint", "libcst", "pathspec", "typing", "ast", "json", "tokenize", "argparse", "enum"):
        (project / f"{name}.py").write_text(_booby_trap(marker))
    commands = [
        [str(CONSOLE_SCRIPT), "check", "--no-cache", "."],
        [str(CONSOLE_SCRIPT), "fix", "--unsafe-fixes", "."],
        [sys.executable, "-P", "-m", "dispatch_lint", "check", "."],
        [sys.executable, "-P", "-m", "libcst.tool", "codemod", "-x", "dispatch_lint.codemods.dead_async.DropDeadAsync",
         "--no-format", "--hide-progress", "-j", "1", "pkg"],
    ]
    for command in commands:
        result = run(command, project)
        assert "Traceback" not in result.stderr, (command, result.stderr)
    assert (project / "good.py").read_text().endswith(GOOD_FIXED)
    assert not marker.exists(), marker.read_text()
