"""Interruption and concurrency: `fix` killed at any moment and two `fix` runs at
once never leave a truncated or mixed file. (A user's edit saved while `fix`
writes: `test_fix_transaction.py`, which waits for the write phase.)

The tree is a copy of a corpus project with fixes to apply (janus), taken from the pinned corpus (tests marked `network` skip when it is unavailable).
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict

import pytest

from bad_input_cases import dispatch_lint

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import corpus  # noqa: E402

PROJECTS = ("janus",)
FIX = ("fix", "--unsafe-fixes", "-j", "2")

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    try:
        folders = corpus.ensure(PROJECTS)
    except corpus.CorpusUnavailable as exc:
        pytest.skip(f"corpus unavailable: {exc}")
    tree = tmp_path_factory.mktemp("pristine")
    for name, folder in folders.items():
        shutil.copytree(folder, tree / name, symlinks=True)
    return tree


@pytest.fixture(scope="module")
def fixed(pristine, tmp_path_factory):
    """What one uninterrupted run makes of the tree."""
    tree = tmp_path_factory.mktemp("fixed") / "t"
    shutil.copytree(pristine, tree, symlinks=True)
    result = dispatch_lint(*FIX, "--no-cache", ".", cwd=tree)
    assert "Traceback" not in result.stderr, result.stderr
    return tree


def _contents(tree: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(tree)): p.read_bytes() for p in tree.rglob("*.py") if p.is_file()}


def _copy(pristine: Path, into: Path) -> Path:
    if into.exists():
        shutil.rmtree(into)
    shutil.copytree(pristine, into, symlinks=True)
    return into


def _each_file_old_or_new(tree: Path, old: Dict[str, bytes], new: Dict[str, bytes]) -> int:
    """Asserts every file is its old or its new text; returns how many are new."""
    now = _contents(tree)
    assert set(now) == set(old), set(now) ^ set(old)
    mixed = [path for path, data in now.items() if data not in (old[path], new[path])]
    assert not mixed, f"truncated or mixed files: {mixed}"
    return sum(1 for path, data in now.items() if data != old[path])


def _kill_loop(pristine, fixed, tmp_path, rounds: int, seed: int) -> None:
    old, new = _contents(pristine), _contents(fixed)
    assert old != new, "no fix in the tree: the test lost its power"
    rng = random.Random(seed)
    started = time.monotonic()
    dispatch_lint(*FIX, "--no-cache", "--diff", ".", cwd=fixed)  # warm the OS caches
    full = time.monotonic() - started
    interrupted = 0
    for _ in range(rounds):
        tree = _copy(pristine, tmp_path / "tree")
        process = subprocess.Popen([sys.executable, "-m", "dispatch_lint", *FIX, "."], cwd=tree,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, full))
        interrupted += process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait()
        _each_file_old_or_new(tree, old, new)
        # The cache a killed run leaves behind must not mislead the next run.
        resumed = dispatch_lint(*FIX, ".", cwd=tree)
        assert "Traceback" not in resumed.stderr, resumed.stderr
        for path, data in _contents(tree).items():
            compile(data, path, "exec", dont_inherit=True)
    assert interrupted, "every kill came after the run had ended: the test lost its power"


def test_sigkill_at_random_moments_leaves_old_or_new_files(pristine, fixed, tmp_path):
    _kill_loop(pristine, fixed, tmp_path, rounds=3, seed=1)


@pytest.mark.slow
def test_sigkill_loop_large(pristine, fixed, tmp_path):
    _kill_loop(pristine, fixed, tmp_path, rounds=30, seed=2)


def test_two_concurrent_fix_runs_corrupt_nothing(pristine, fixed, tmp_path):
    old, new = _contents(pristine), _contents(fixed)
    tree = _copy(pristine, tmp_path / "tree")
    runs = [subprocess.Popen([sys.executable, "-m", "dispatch_lint", *FIX, "."], cwd=tree,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    for out, err in outputs:
        assert "Traceback" not in err, err
    _each_file_old_or_new(tree, old, new)
    again = dispatch_lint(*FIX, ".", cwd=tree)
    assert "Traceback" not in again.stderr
    assert _contents(tree) == new
    # The cache both runs wrote still gives what a fresh check gives.
    cached = dispatch_lint("check", "--format", "json", ".", cwd=tree)
    fresh = dispatch_lint("check", "--format", "json", "--no-cache", ".", cwd=tree)
    assert json.loads(cached.stdout) == json.loads(fresh.stdout)

