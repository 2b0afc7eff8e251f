"""No input can hang the tool or exhaust its memory: only regular files are read,
up to a size limit, and a file whose parse would exceed the memory budget is
refused. Every command runs with a timeout: a hang fails the test."""

from __future__ import annotations

import os
import sys

import pytest

from bad_input_cases import GOOD, GOOD_FINDING, flake8, lines_about, make_project, run

TIMEOUT = 120


def check(*args: str, cwd) -> "object":
    return run([sys.executable, "-m", "dispatch_lint", "check", "--format", "concise", *args], cwd, timeout=TIMEOUT)


def fix(*args: str, cwd) -> "object":
    return run([sys.executable, "-m", "dispatch_lint", "fix", *args], cwd, timeout=TIMEOUT)


def test_a_fifo_named_like_a_source_is_dsp002_not_a_hang(tmp_path):
    os.mkfifo(tmp_path / "outside.fifo")
    tmp_path = tmp_path / "project"
    tmp_path.mkdir()
    make_project(tmp_path)
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path.parent / "outside.fifo", tmp_path / "sub" / "link.py")
    for cache in ((), ("--no-cache",)):
        result = check(*cache, ".", cwd=tmp_path)
        assert lines_about(result.stdout, "pipe.py") == ["pipe.py:1:1: DSP002 is a FIFO, not a regular file"]
        assert lines_about(result.stdout, "sub/link.py") == ["sub/link.py:1:1: DSP002 is a FIFO, not a regular file"]
        assert lines_about(result.stdout, "good.py")[0].startswith(GOOD_FINDING)
    fixed = fix(".", cwd=tmp_path)
    assert "Traceback" not in fixed.stderr and "def _helper" in (tmp_path / "good.py").read_text()


def test_flake8_is_not_hung_by_a_fifo_elsewhere_in_the_project(tmp_path):
    make_project(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "good.py").write_text(GOOD)
    os.mkfifo(tmp_path / "pipe.py")
    result = flake8("--select", "DSP", "src", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert "src/good.py:4:1: DSP201" in result.stdout


@pytest.mark.parametrize("where", ["source", "named", "gitignore", "cache"])
def test_a_symlink_to_dev_zero_is_never_read_to_its_end(tmp_path, where):
    make_project(tmp_path)
    check(".", cwd=tmp_path)  # make the cache folder
    target = {"source": tmp_path / "zero.py", "named": tmp_path / "zero.py", "gitignore": tmp_path / ".gitignore",
              "cache": next((tmp_path / ".dispatch_lint_cache").glob("results-*.json"))}[where]
    if target.exists():
        target.unlink()
    os.symlink("/dev/zero", target)
    result = check("zero.py" if where == "named" else ".", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    if where in ("source", "named"):
        assert lines_about(result.stdout, "zero.py") == ["zero.py:1:1: DSP002 is a character device, not a regular file"]
    else:
        assert lines_about(result.stdout, "good.py")[0].startswith(GOOD_FINDING)


def test_a_file_over_the_size_limit_is_dsp002(tmp_path):
    make_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n[tool.dispatch-lint]\nmax-file-size = 1000\n")
    (tmp_path / "big.py").write_text("x = 1\n" * 200)
    result = check(".", cwd=tmp_path)
    assert lines_about(result.stdout, "big.py") == [
        "big.py:1:1: DSP002 is 1200 bytes, over the 1000 bytes size limit (`max-file-size`)"]
    assert lines_about(result.stdout, "good.py")[0].startswith(GOOD_FINDING)


def test_the_default_size_limit_is_10_mb(tmp_path):
    make_project(tmp_path)
    with open(tmp_path / "huge.py", "wb") as handle:  # sparse: costs no disk
        handle.truncate(11 * 1024 * 1024)
    result = check("--no-cache", ".", cwd=tmp_path)
    assert lines_about(result.stdout, "huge.py") == [
        "huge.py:1:1: DSP002 is 11.0 MB, over the 10.0 MB size limit (`max-file-size`)"]


def test_a_file_over_the_memory_budget_is_refused_in_check_and_fix(tmp_path):
    """Both in the main process (-j 1) and in workers (-j 2, ten files)."""
    make_project(tmp_path, padding=8)
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'p'\n[tool.dispatch-lint]\nmemory-budget = 20_000_000\n")
    # About 130 kB: `ast` would need ~26 MB, LibCST ~85 MB.
    big = GOOD + "".join(f"v{n} = {n}\n" for n in range(12_000))
    (tmp_path / "big.py").write_text(big)
    for jobs in ("1", "2"):
        result = check("--no-cache", "-j", jobs, ".", cwd=tmp_path)
        [line] = lines_about(result.stdout, "big.py")
        assert line.startswith("big.py:1:1: DSP001 too large to parse within the memory budget"), line
        assert lines_about(result.stdout, "good.py")[0].startswith(GOOD_FINDING)
    fixed = fix("-j", "1", ".", cwd=tmp_path)
    assert (tmp_path / "big.py").read_text() == big
    assert "def _helper" in (tmp_path / "good.py").read_text(), fixed.stdout


def test_a_nested_configuration_sets_the_size_limit_of_its_own_files(tmp_path):
    """Limits are per configuration: a subfolder's pyproject.toml governs its files only."""
    make_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n[tool.dispatch-lint]\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text("[tool.dispatch-lint]\nmax-file-size = 1000\n")
    (tmp_path / "sub" / "big.py").write_text("x = 1\n" * 200)
    (tmp_path / "big.py").write_text("x = 1\n" * 200)
    for args in (("--no-cache", "."), (".",), (".",)):  # cold, then warm from the cache
        result = check(*args, cwd=tmp_path)
        assert lines_about(result.stdout, "sub/big.py") == [
            "sub/big.py:1:1: DSP002 is 1200 bytes, over the 1000 bytes size limit (`max-file-size`)"], result.stdout
        assert result.stdout.count("DSP002") == 1  # the top-level big.py keeps the default limit


@pytest.mark.parametrize("key", ["exclude = ['!']", "extend-exclude = ['!']", "per-file-ignores = {'!' = ['DSP201']}"])
def test_an_invalid_pattern_in_a_nested_configuration_is_a_configuration_error(tmp_path, key):
    make_project(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text(f"[tool.dispatch-lint]\n{key}\n")
    (tmp_path / "sub" / "m.py").write_text("x = 1\n")
    result = check("--no-cache", ".", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "invalid pattern" in result.stderr and "sub/pyproject.toml" in result.stderr
