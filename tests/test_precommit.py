"""The pre-commit hooks, through the real pre-commit: `pre-commit run` with a
configuration naming a hook repository at its commit, so that pre-commit
installs the hooks once per test process.

The hook repository is this working tree (tracked and untracked, not ignored)
copied into a temporary git repository and committed there: the tests see
uncommitted changes too. pre-commit installs the hook with pip, from PyPI, so
those tests are opt-in (`-m network`). The default run runs each hook's entry
from `.pre-commit-hooks.yaml` as pre-commit runs it (the entry's words, then
the file names), with the installed command.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT, expected_markers, fixture_findings

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1", "NO_COLOR": "1",
}


def git(*args, cwd, env):
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("precommit-home")
    full = dict(os.environ, **GIT_ENV, PRE_COMMIT_HOME=str(home), HOME=str(home))
    return full


def _project_files():
    """The files of this project: git's list in a checkout, the unpacked tree in an sdist."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True)
    if listed.returncode == 0:
        return [name for name in listed.stdout.decode().split("\0") if name]
    skipped = {".venv", ".git", "build", "dist", "__pycache__", ".pytest_cache", ".dispatch_lint_cache"}
    return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
            if p.is_file() and not skipped.intersection(p.relative_to(ROOT).parts)]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory, env):
    """A committed copy of this working tree."""
    copy = tmp_path_factory.mktemp("hook-repo")
    for name in _project_files():
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    git("init", "-q", cwd=copy, env=env)
    git("add", "-A", cwd=copy, env=env)
    git("commit", "-q", "-m", "snapshot", cwd=copy, env=env)
    return copy


@pytest.fixture
def target(tmp_path, env):
    git("init", "-q", cwd=tmp_path, env=env)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'target'\n")
    return tmp_path


def run_hook(hook_repo, hook, target, env, *files):
    """`pre-commit run` with a configuration naming the hook repository at its
    commit: pre-commit installs the hooks once for the whole module."""
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True,
                         check=True).stdout.strip()
    (target / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n"
        "    hooks:\n      - id: dispatch-lint-fix\n      - id: dispatch-lint\n")
    git("add", "-A", cwd=target, env=env)
    return subprocess.run([*PRE_COMMIT, "run", hook, "--verbose", "--files", *files],
                          cwd=target, env=env, capture_output=True, text=True, timeout=600)


def _hooks():
    import yaml  # pre-commit's own dependency

    return {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}


def test_hooks_file_declares_both_hooks():
    hooks = _hooks()
    assert set(hooks) == {"dispatch-lint", "dispatch-lint-fix"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["types"] == ["python"] and hook["require_serial"] is True


@pytest.mark.network
def test_check_hook_fails_on_a_finding_and_passes_on_clean_code(hook_repo, target, env):
    (target / "bad.py").write_text("x = (\n")
    (target / "good.py").write_text("import asyncio\n")
    failing = run_hook(hook_repo, "dispatch-lint", target, env, "bad.py")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "bad.py:1:5: DSP001" in failing.stdout
    passing = run_hook(hook_repo, "dispatch-lint", target, env, "good.py")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout


def _fixture_with_safe_fix():
    for relative, findings in fixture_findings().items():
        folder = ROOT / relative
        for finding in findings:
            if finding["fix"] and finding["fix"]["applicability"] == "safe":
                return folder, Path(finding["path"]).relative_to(folder.relative_to(ROOT))
    return None


@pytest.mark.network
def test_fix_hook_rewrites_the_file_and_fails(hook_repo, target, env):
    found = _fixture_with_safe_fix()
    if found is None:
        pytest.skip("no rule offers a safe fix on any fixture yet")
    folder, relative = found
    shutil.copytree(folder, target / "project")
    path = target / "project" / relative
    before = path.read_bytes()
    result = run_hook(hook_repo, "dispatch-lint-fix", target, env, str(Path("project") / relative))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"Fixed project/{relative.as_posix()}" in result.stdout
    assert path.read_bytes() != before
    remaining = json.loads(subprocess.run(
        [sys.executable, "-m", "dispatch_lint", "check", "--no-cache", "--format", "json", str(path)],
        capture_output=True, text=True, cwd=target).stdout)
    assert not [f for f in remaining if f["fix"] and f["fix"]["applicability"] == "safe"]


FINDING = re.compile(r"(?P<path>[\w/]+\.py):(?P<line>\d+):\d+: (?P<code>DSP\d{3})")


def _monorepo(target):
    monorepo = ROOT / "fixtures" / "monorepo"
    shutil.copytree(monorepo, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.fixed.py"))
    return sorted(p.relative_to(target).as_posix() for p in target.rglob("*.py"))


def _skip_without_pypi(result):
    output = result.stdout + result.stderr
    if "An unexpected error has occurred" in output and any(
            sign in output for sign in ("NewConnectionError", "No matching distribution", "Max retries")):
        pytest.skip("pre-commit could not install the hook: PyPI is unreachable")


def _hooks_on_a_monorepo(run, target):
    """The check hook gives each file its closest configuration; the fix hook
    fails only when it changed a file, and says which."""
    files = _monorepo(target)
    checked = run("dispatch-lint", *files)
    _skip_without_pypi(checked)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    found = {(m["path"], int(m["line"]), m["code"]) for m in FINDING.finditer(checked.stdout)}
    expected = {(p, n, c) for p, n, c in expected_markers([target / f for f in files], target)}
    assert found == expected
    first = run("dispatch-lint-fix", *files)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "Fixed pkg_b/pkg_b/router.py" in first.stdout
    assert "DSP301" not in first.stdout  # findings without a fix are the check hook's to report
    second = run("dispatch-lint-fix", *files)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Fixed" not in second.stdout


@pytest.mark.network
def test_hooks_on_a_monorepo(hook_repo, target, env):
    """One installation of the hooks serves both."""
    _hooks_on_a_monorepo(lambda hook, *files: run_hook(hook_repo, hook, target, env, *files), target)


def test_hook_entries_on_a_monorepo(target, env):
    """Each hook's entry as pre-commit runs it, with the command installed here."""
    hooks = _hooks()
    command = Path(sys.executable).with_name("dispatch-lint")

    def run_entry(hook, *files):
        program, *arguments = shlex.split(hooks[hook]["entry"])
        assert program == "dispatch-lint"
        return subprocess.run([str(command), *arguments, *hooks[hook].get("args", []), *files],
                              cwd=target, env=env, capture_output=True, text=True, timeout=600)

    _hooks_on_a_monorepo(run_entry, target)
