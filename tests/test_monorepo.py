"""A monorepo with three levels of pyproject.toml (fixtures/monorepo): every front
end gives each file the settings of its closest configuration, so `check` in any
path order, file by file, on stdin, `fix --diff` and flake8 agree.
(pre-commit: tests/test_precommit.py.)"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT, run_cli

FIXTURE = ROOT / "fixtures" / "monorepo"
FINDING = re.compile(r"^(?:\./)?(?P<path>[\w/]+\.py):(?P<line>\d+):(?P<col>\d+): (?P<code>DSP\d{3}) ", re.M)
SOURCES = sorted(p.relative_to(FIXTURE).as_posix() for p in FIXTURE.rglob("*.py") if not p.name.endswith(".fixed.py"))


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A copy of the fixture as its own git checkout (its project root)."""
    target = tmp_path_factory.mktemp("mono") / "monorepo"
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns("*.fixed.py", "__pycache__"))
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    return target


def findings(output: str):
    return {(m["path"], int(m["line"]), m["code"]) for m in FINDING.finditer(output)}


def check(repo, *args, input=None):
    result = run_cli("check", "--no-cache", "--format", "concise", *args, cwd=repo, input=input)
    assert result.returncode in (0, 1), result.stderr
    return findings(result.stdout)


def expected():
    from helpers import expected_markers

    return {(path, line, code) for path, line, code in
            expected_markers([FIXTURE / s for s in SOURCES], FIXTURE)}


@pytest.mark.parametrize("paths", [
    ["."],
    ["pkg_a", "pkg_b", "tools", "scripts"],
    ["scripts", "tools", "pkg_b", "pkg_a"],
    ["pkg_b/legacy", "pkg_b/pkg_b", "pkg_a/pkg_a/actors.py", "tools/relay.py", "scripts/migrate.py"],
], ids=["dot", "a-b", "b-a", "mixed"])
def test_check_gives_the_same_findings_in_any_path_order(repo, paths):
    assert check(repo, *paths) == expected()


def test_files_named_one_by_one_with_force_exclude_as_pre_commit_does(repo):
    assert check(repo, "--force-exclude", *SOURCES) == expected()
    # Without it, a named excluded file is checked, as in ruff and flake8.
    assert ("generated/stubs.py", 5, "DSP301") in check(repo, "generated/stubs.py")


def test_stdin_gives_each_file_its_own_settings(repo):
    found = set()
    for source in SOURCES:
        found |= check(repo, "--force-exclude", "-", "--stdin-filename", source,
                       input=(repo / source).read_text())
    assert found == expected()


def test_flake8_gives_the_same_findings(repo):
    result = subprocess.run([sys.executable, "-m", "flake8", "--select", "DSP", "."], cwd=repo,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stderr
    assert findings(result.stdout) == expected()


@pytest.mark.parametrize("paths", [["."], ["pkg_a", "pkg_b"], ["pkg_b", "pkg_a"]])
def test_fix_diff_uses_each_files_own_fix_settings(repo, paths):
    result = run_cli("fix", "--no-cache", "--diff", "--unsafe-fixes", *paths, cwd=repo)
    assert result.returncode == 1, result.stderr
    diffs = dict(re.findall(r"^--- (\S+)\n\+\+\+ \S+\n(.*?)(?=^--- |\Z)", result.stdout, re.M | re.S))
    diffs = {Path(path).as_posix().lstrip("./"): body for path, body in diffs.items()}
    assert set(diffs) == {"pkg_a/pkg_a/actors.py", "pkg_b/pkg_b/router.py"}
    # pkg_a's overloaded error goes into pkg_a only.
    assert "+from pkg_a.errors import Overloaded" in diffs["pkg_a/pkg_a/actors.py"]
    assert "Overloaded" not in diffs["pkg_b/pkg_b/router.py"]
    assert "-async def _stamp" in diffs["pkg_b/pkg_b/router.py"]
    assert "-    async def describe" not in diffs["pkg_a/pkg_a/actors.py"]  # DSP201 is off in pkg_a
    assert not any(path.endswith(("legacy/bridge.py", "relay.py", "migrate.py", "stubs.py")) for path in diffs)


def test_show_settings_names_the_configuration_and_show_files_the_files(repo):
    shown = run_cli("check", "--show-settings", "pkg_b/legacy/bridge.py", cwd=repo)
    assert shown.returncode == 0, shown.stderr
    assert f"from: {repo / 'pkg_b' / 'legacy' / 'pyproject.toml'}" in shown.stdout
    assert "enabled: DSP301, DSP302" in shown.stdout
    listed = run_cli("check", "--show-files", ".", cwd=repo)
    assert listed.stdout.split() == [s for s in SOURCES if not s.startswith("generated/")]


def test_config_flag_uses_one_file_for_everything(repo, tmp_path):
    config = tmp_path / "only-dsp3.toml"
    config.write_text('select = ["DSP3"]\n')
    found = check(repo, "--config", str(config), ".")
    assert found == {f for f in expected() if f[2].startswith("DSP3")} | {("scripts/migrate.py", 5, "DSP301"),
                                                                          ("generated/stubs.py", 5, "DSP301")}


def test_a_broken_nested_configuration_is_one_line_and_exit_2(repo, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(repo, broken)
    (broken / "pkg_b" / "legacy" / "pyproject.toml").write_text("[tool.dispatch-lint]\nselekt = ['DSP']\n")
    result = run_cli("check", "--no-cache", ".", cwd=broken)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "unknown key 'selekt'" in result.stderr
    assert "legacy" in result.stderr


def test_a_warm_check_notices_a_changed_new_or_removed_nested_configuration(repo, tmp_path):
    work = tmp_path / "warm"
    shutil.copytree(repo, work)

    def warm():
        result = run_cli("check", "--format", "concise", ".", cwd=work)
        assert result.returncode in (0, 1), result.stderr
        return findings(result.stdout)

    assert warm() == warm() == expected()
    legacy = work / "pkg_b" / "legacy" / "pyproject.toml"
    legacy.write_text('[tool.dispatch-lint]\nselect = ["DSP1"]\n\n[tool.dispatch-lint.actor-inbox]\nnames = ["*frames*"]\n')
    found = warm()
    assert ("pkg_b/legacy/bridge.py", 10, "DSP101") in found and ("pkg_b/legacy/bridge.py", 7, "DSP301") not in found
    legacy.unlink()
    assert ("pkg_b/legacy/bridge.py", 10, "DSP101") in warm()  # pkg_b's settings now
    (work / "tools" / "pyproject.toml").write_text('[tool.dispatch-lint]\nignore = ["DSP301"]\n')
    assert ("tools/relay.py", 8, "DSP301") not in warm()


def test_stdin_with_force_exclude_honours_exclude(repo):
    source = (repo / "generated" / "stubs.py").read_text()
    assert check(repo, "--force-exclude", "-", "--stdin-filename", "generated/stubs.py", input=source) == set()
    fixed = run_cli("fix", "--force-exclude", "-", "--stdin-filename", "generated/stubs.py", cwd=repo, input=source)
    assert fixed.returncode == 0 and fixed.stdout == source


def test_fix_diff_exits_0_when_nothing_would_change_though_findings_remain(repo):
    result = run_cli("fix", "--no-cache", "--diff", "tools", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "DSP301" in result.stderr


def test_codemod_uses_each_files_own_fix_settings(repo, tmp_path):
    work = tmp_path / "codemod"
    shutil.copytree(repo, work)
    result = subprocess.run([sys.executable, "-m", "libcst.tool", "codemod", "--no-format", "--hide-progress",
                             "-x", "dispatch_lint.codemods.channels.TrySendToInbox", "--unsafe-fixes", "."],
                            cwd=work, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    actors = "pkg_a/pkg_a/actors.py"
    assert (work / actors).read_text() == (FIXTURE / actors.replace(".py", ".fixed.py")).read_text()
    router = (work / "pkg_b" / "pkg_b" / "router.py").read_text()
    assert "self.frames.put_nowait(frame)" in router and "Overloaded" not in router
    assert "async def _stamp" in router  # the codemod runs its own rule only
    assert (work / "generated" / "stubs.py").read_text() == (repo / "generated" / "stubs.py").read_text()


def test_a_relative_path_names_the_file_under_the_current_folder(repo, monkeypatch):
    """The settings of `x.py` are resolved once per working folder: after a
    change of folder, the same relative path is another file."""
    from dispatch_lint.registry import settings_for

    settings = settings_for([str(repo)])
    monkeypatch.chdir(repo / "pkg_a")
    in_a = settings.for_file("x.py").config_file
    monkeypatch.chdir(repo / "pkg_b")
    in_b = settings.for_file("x.py").config_file
    assert (in_a, in_b) == (repo / "pkg_a" / "pyproject.toml", repo / "pkg_b" / "pyproject.toml")
    assert settings.for_file(str(repo / "pkg_a" / "x.py")).config_file == in_a
