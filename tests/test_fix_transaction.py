"""A fix is a transaction: every case runs the real command, and the fixed
program's output is compared with the original's.

The two-file program: `core.py` defines a dead async helper, `app.py` awaits it.
Half-applied (a `def` whose result is awaited, or an `async def` whose result
is not), the program prints a traceback or a coroutine object instead of
`(41, 42)`.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from bad_input_cases import dispatch_lint

CONSOLE_SCRIPT = Path(sys.executable).with_name("dispatch-lint")
CORE = """\
import asyncio


async def _helper():
    return 41


async def main():
    await asyncio.sleep(0)
    return await _helper() + 1
"""
APP = """\
import asyncio

from {module} import _helper, main


async def run():
    await asyncio.sleep(0)
    return await _helper(), await main()


print(asyncio.run(run()))
"""
FIX = ("fix", "--unsafe-fixes", "-j", "1")
OUTPUT = "(41, 42)\n"


def make_program(root: Path, module: str = "core") -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (root / "core.py").write_text(CORE)
    (root / "app.py").write_text(APP.format(module=module))
    return root


def program_output(root: Path) -> str:
    result = subprocess.run([sys.executable, "app.py"], cwd=root, capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr[-300:]


def fixed(root: Path) -> bool:
    return "async def _helper" not in (root / "core.py").read_text()


def leftovers(root: Path) -> list:
    """Temporary, staged and backup files, and fix journals, anywhere in the tree."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.name.startswith(".dispatch-lint-") or p.name.startswith("fix-journal-"))


def test_a_file_reached_by_two_names_is_one_file(project):
    make_program(project, module="alias")
    os.symlink("core.py", project / "alias.py")
    assert program_output(project) == OUTPUT
    result = dispatch_lint(*FIX, ".", cwd=project)
    assert fixed(project) and os.path.islink(project / "alias.py"), result.stdout
    assert program_output(project) == OUTPUT
    assert "_helper(), await main()" in (project / "app.py").read_text()


def test_fix_texts_are_never_answered_from_the_results_cache(tmp_path):
    """A file replaced by other bytes of the same size and mtime (`cp -p`,
    `rsync -t`, `tar x`) is fixed as what it now holds."""
    project, reference = tmp_path / "project", tmp_path / "reference"
    project.mkdir()
    reference.mkdir()
    make_program(project)
    first = CORE.replace("return 41", "return 40 + 1")
    (project / "core.py").write_text(first)
    past = time.time() - 3600
    os.utime(project / "core.py", (past, past))
    assert dispatch_lint("check", ".", cwd=project).returncode == 1  # the results cache now holds core.py
    # Same size, same mtime, other text: the helper moves below `main`.
    swapped = ("import asyncio\n\n\nasync def main():\n    await asyncio.sleep(0)\n"
               "    return await _helper() + 1\n\n\nasync def _helper():\n    return 40 + 1\n")
    assert len(swapped) == len(first)
    (project / "core.py").write_text(swapped)
    os.utime(project / "core.py", (past, past))
    make_program(reference)
    (reference / "core.py").write_text(swapped)
    dispatch_lint(*FIX, "--no-cache", ".", cwd=reference)
    result = dispatch_lint(*FIX, ".", cwd=project)
    assert (project / "core.py").read_text() == (reference / "core.py").read_text(), result.stdout
    assert fixed(project) and program_output(project) == OUTPUT


@pytest.fixture
def shared_tmp():
    """A folder another user can work in (pytest's own is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="dispatch-lint-shared-"))
    os.chmod(folder, 0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def as_nobody(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run the command as another user")
    return subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", str(CONSOLE_SCRIPT), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300, env={**os.environ, "HOME": str(cwd)})


def _open_to_nobody(root: Path, owned: bool = False) -> None:
    for path in [root, *root.rglob("*")]:
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
        if owned:
            os.chown(path, 65534, 65534)


def test_a_later_file_that_cannot_be_written_leaves_the_earlier_ones_untouched(shared_tmp):
    (shared_tmp / "p").mkdir()
    root = make_program(shared_tmp / "p")
    (root / "zz").mkdir()
    (root / "app.py").rename(root / "zz" / "app.py")
    (root / "zz" / "app.py").write_text(APP.format(module="core"))
    _open_to_nobody(root, owned=True)
    os.chmod(root / "zz", 0o555)  # nobody cannot stage or rename in it
    before = {p: p.read_bytes() for p in (root / "core.py", root / "zz" / "app.py")}
    result = as_nobody(*FIX, ".", cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    assert {p: p.read_bytes() for p in before} == before, result.stdout
    assert "zz/app.py could not be staged" in result.stdout and "No fixes applied." in result.stdout
    assert leftovers(root) == []


def test_owner_group_and_mode_are_kept(project):
    if os.geteuid() != 0:
        pytest.skip("needs root to give files another owner")
    make_program(project)
    for name in ("core.py", "app.py"):
        os.chown(project / name, 1234, 5678)
        os.chmod(project / name, 0o640)
    dispatch_lint(*FIX, ".", cwd=project)
    assert fixed(project) and program_output(project) == OUTPUT
    for name in ("core.py", "app.py"):
        info = os.stat(project / name)
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (1234, 5678, 0o640)


def test_a_file_whose_owner_cannot_be_kept_is_refused_with_its_group(shared_tmp):
    (shared_tmp / "p").mkdir()
    root = make_program(shared_tmp / "p")
    _open_to_nobody(root)
    before = (root / "core.py").read_bytes()
    result = as_nobody(*FIX, ".", cwd=root)  # the files belong to root: nobody's new file could not
    assert "which the rewritten file cannot be given without privileges; not written" in result.stdout, result.stdout
    assert (root / "core.py").read_bytes() == before and "await _helper()" in (root / "app.py").read_text()
    assert program_output(root) == OUTPUT and leftovers(root) == []


def test_a_hard_linked_file_is_refused(project):
    make_program(project)
    os.link(project / "core.py", project / "core_copy.txt")
    result = dispatch_lint(*FIX, ".", cwd=project)
    assert "core.py has 2 hard links; replacing it would split them, so it is not written" in result.stdout
    assert (project / "core_copy.txt").read_text() == CORE == (project / "core.py").read_text()
    assert program_output(project) == OUTPUT


# -- the write phase, slowed down so that something can happen inside it ----------


def _slow_fix(root: Path, delay: float = 0.4) -> subprocess.Popen:
    env = {**os.environ, "DISPATCH_LINT_FIX_STEP_DELAY": str(delay)}
    return subprocess.Popen([str(CONSOLE_SCRIPT), *FIX, "."], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_write_phase(root: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    """Until the fix journal exists: the run is inside its write phase."""
    journal = root / ".dispatch_lint_cache"
    deadline = time.monotonic() + timeout
    while not any(journal.glob("fix-journal-*.json")):
        assert process.poll() is None, "the run ended before its write phase"
        assert time.monotonic() < deadline, "no write phase"
        time.sleep(0.01)


def test_an_edit_saved_while_fix_writes_is_kept(project):
    make_program(project)
    process = _slow_fix(project)
    wait_for_write_phase(project, process)
    with open(project / "core.py", "a") as handle:  # "core.py" is renamed second: still the old file
        handle.write("# the user's edit\n")
    out, err = process.communicate(timeout=120)
    assert "core.py changed on disk since it was read; not written" in out, out + err
    assert (project / "core.py").read_text() == CORE + "# the user's edit\n"
    assert (project / "app.py").read_text() == APP.format(module="core")  # its rename was undone
    assert program_output(project) == OUTPUT and leftovers(project) == []


def test_a_file_deleted_while_fix_writes_is_not_recreated(project):
    make_program(project)
    process = _slow_fix(project)
    wait_for_write_phase(project, process)
    os.unlink(project / "core.py")
    out, err = process.communicate(timeout=120)
    assert "core.py was deleted since it was read; not re-created" in out, out + err
    assert not (project / "core.py").exists()
    assert (project / "app.py").read_text() == APP.format(module="core")
    assert leftovers(project) == []


def test_a_journal_from_elsewhere_is_ignored(project):
    """A repository shipping a journal and a staged file of its own making cannot
    make the next run "complete" a fix it never started."""
    import hashlib
    import json

    make_program(project)
    evil = b"print('replaced')\n"
    (project / ".dispatch-lint-evil-0.tmp").write_bytes(evil)
    cache = project / ".dispatch_lint_cache"
    cache.mkdir()

    def digest(data: bytes) -> str:
        return hashlib.blake2b(data, digest_size=16).hexdigest()

    row = {"target": str(Path(os.path.realpath(project)) / "core.py"),
           "staged": str(Path(os.path.realpath(project)) / ".dispatch-lint-evil-0.tmp"),
           "backup": str(Path(os.path.realpath(project)) / ".dispatch-lint-evil-0.bak"),
           "old": digest(CORE.encode()), "new": digest(evil)}
    info = os.stat(cache)
    for folder in ([info.st_dev + 1, info.st_ino], None):
        journal = {"format": 1, "root": os.path.realpath(project), "folder": folder, "groups": [[row]]}
        (cache / "fix-journal-0000000000000000.json").write_text(json.dumps(journal))
        result = dispatch_lint("check", ".", cwd=project)
        assert (project / "core.py").read_text() == CORE, result.stderr
        assert "completed" not in result.stderr
