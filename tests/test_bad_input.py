"""Bad input: one clear line for the file, the other files still checked, in every front end."""

from __future__ import annotations

import os
import stat
import sys
import time

import pytest

from bad_input_cases import (CASES, DEEP, GOOD, GOOD_FINDING, GOOD_FIXED, dispatch_lint, flake8,
                             lines_about, make_project, run)


FIX_CASES = DEEP + ("syntax_error", "null_byte", "invalid_utf8")


def _project_with_bad_files(root, names, padding: int = 0):
    """A project holding a `bad_<name>.py` per case, good.py and `padding` clean files."""
    make_project(root, padding=padding)
    for name in names:
        (root / f"bad_{name}.py").write_bytes(CASES[name].data)


def _expected(name: str):
    expected = CASES[name].expected.replace("bad.py", f"bad_{name}.py", 1)
    return [expected] if expected else []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_check_reports_each_bad_file_and_checks_the_rest(tmp_path, jobs):
    # Every case in one project, ten clean files besides, so that -j2 really runs the process pool.
    _project_with_bad_files(tmp_path, CASES, padding=8)
    result = dispatch_lint("check", "--no-cache", "-j", jobs, ".", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stdout + result.stderr
    assert lines_about(result.stdout, "good.py")[0].startswith(GOOD_FINDING)
    about = {name: lines_about(result.stdout, f"bad_{name}.py") for name in CASES}
    wrong = {name: lines for name, lines in about.items() if lines != _expected(name)}
    assert not wrong, result.stdout


def _codemod(project):
    return run([sys.executable, "-m", "libcst.tool", "codemod", "-x", "dispatch_lint.codemods.dead_async.DropDeadAsync",
                "--no-format", "--hide-progress", "-j", "1", "."], project)


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_stdin_reports_the_bad_source(tmp_path, name):
    make_project(tmp_path)
    case = CASES[name]
    result = dispatch_lint("check", "--no-cache", "-", "--stdin-filename", "bad.py", cwd=tmp_path, stdin=case.data)
    assert "Traceback" not in result.stderr, result.stderr
    assert lines_about(result.stdout, "bad.py") == ([case.expected] if case.expected else [])


def test_fix_leaves_the_bad_files_alone_and_fixes_the_rest(tmp_path):
    _project_with_bad_files(tmp_path, FIX_CASES, padding=8)
    result = dispatch_lint("fix", "--no-cache", ".", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert (tmp_path / "good.py").read_text() == GOOD_FIXED
    changed = [name for name in FIX_CASES if (tmp_path / f"bad_{name}.py").read_bytes() != CASES[name].data]
    assert not changed


def test_fix_stdin_echoes_a_source_it_cannot_parse(tmp_path):
    make_project(tmp_path)
    data = CASES["and_chain"].data
    result = run([sys.executable, "-m", "dispatch_lint", "fix", "--no-cache", "-", "--stdin-filename", "bad.py"],
                 tmp_path, stdin=data)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout.encode() == data


@pytest.mark.parametrize("name", ["and_chain", "deep_brackets", "syntax_error"])
def test_flake8_reports_and_checks_the_rest(tmp_path, name):
    """flake8 parses with `ast` before any plugin runs: what `ast` refuses is flake8's
    own E999; what only LibCST cannot take is the plugin's DSP001."""
    make_project(tmp_path, CASES[name])
    result = flake8("--select", "DSP,E999", ".", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert any(line.startswith("./good.py:4:1: DSP201") for line in result.stdout.splitlines()), result.stdout
    [about_bad] = lines_about(result.stdout, "./bad.py")
    assert ("DSP001 too deeply nested" if name == "and_chain" else "E999 SyntaxError") in about_bad


def test_flake8_itself_crashes_on_a_deep_not_chain(tmp_path):
    """Documented limitation: flake8 7 dies in its own `ast.parse` (RecursionError)
    before any plugin is loaded; `dispatch-lint check` reports DSP001 instead."""
    make_project(tmp_path, CASES["not_chain"])
    result = flake8("--select", "DSP,E999", "-j1", ".", cwd=tmp_path)
    assert result.returncode != 0 and "RecursionError" in result.stderr


def test_codemod_reports_a_syntax_error_and_fixes_the_rest(tmp_path):
    make_project(tmp_path, CASES["syntax_error"])
    result = _codemod(tmp_path)
    assert "Failed to codemod 1 files" in result.stderr and "DSP001" in result.stderr, result.stderr
    assert (tmp_path / "good.py").read_text() == GOOD_FIXED
    assert (tmp_path / "bad.py").read_bytes() == CASES["syntax_error"].data


@pytest.mark.parametrize("name", ["deep_brackets", "and_chain"])
def test_codemod_survives_deep_nesting(tmp_path, name):
    """The codemod checks each file with `ast` when libcst.tool hands it the file,
    before libcst.tool's own LibCST parse, whose native parser would crash."""
    make_project(tmp_path, CASES[name])
    result = _codemod(tmp_path)
    assert result.returncode >= 0, result.stderr
    assert "Failed to codemod 1 files" in result.stderr and "DSP001" in result.stderr, result.stderr
    assert (tmp_path / "good.py").read_text() == GOOD_FIXED
    assert (tmp_path / "bad.py").read_bytes() == CASES[name].data


# Checking costs about 350 MB of memory per MB of such source: the default run
# stays near 1 MB, and `-m slow` checks a 10 MB file.
@pytest.mark.parametrize("megabytes", [1, pytest.param(10, marks=pytest.mark.slow)])
def test_a_large_file_is_parsed_to_its_end(tmp_path, megabytes):
    make_project(tmp_path)
    chunk = "def function_{0}(value):\n    return value + {0}\n\n\n"
    parts, size, n = [], 0, 0
    while size < megabytes * 1_000_000:
        parts.append(chunk.format(n))
        size += len(parts[-1])
        n += 1
    parts.append("def broken(:\n")
    (tmp_path / "big.py").write_text("".join(parts))
    started = time.monotonic()
    result = dispatch_lint("check", "--no-cache", "--select", "DSP001,DSP102", ".", cwd=tmp_path)
    assert lines_about(result.stdout, "big.py") == [f"big.py:{4 * n + 1}:12: DSP001 syntax error: invalid syntax"]
    assert time.monotonic() - started < 120


def test_a_file_deleted_after_discovery_is_dsp002(project):
    from dispatch_lint import registry
    from dispatch_lint.engine.discovery import discover
    from dispatch_lint.engine.runner import Engine
    from dispatch_lint.rules import ALL_RULES

    make_project(project, padding=2)
    settings = registry.settings_for([str(project)], {"cache": False})
    files = discover([str(project)], settings)
    os.unlink(project / "pad_0.py")
    result = Engine(settings, ALL_RULES, jobs=1).run_files(files)
    found = {(os.path.basename(d.path), d.code, d.message) for d in result.diagnostics}
    assert ("pad_0.py", "DSP002", "file vanished before it could be read") in found
    assert any(name == "good.py" and code == "DSP201" for name, code, _ in found)


@pytest.mark.skipif(not os.path.exists("/usr/bin/setpriv"), reason="needs setpriv to drop root")
def test_a_file_without_read_permission_is_dsp002(tmp_path):
    """Root reads any file, so the run drops to the `nobody` uid with setpriv."""
    make_project(tmp_path)
    secret = tmp_path / "secret.py"
    secret.write_text("x = 1\n")
    secret.chmod(0)
    for folder in (tmp_path, *tmp_path.parents):
        if folder.stat().st_mode & stat.S_IXOTH == 0:
            folder.chmod(folder.stat().st_mode | stat.S_IXOTH | stat.S_IROTH)
    result = dispatch_lint("check", "--no-cache", ".", cwd=tmp_path, as_user=65534)
    assert "Traceback" not in result.stderr, result.stderr
    assert lines_about(result.stdout, "secret.py") == ["secret.py:1:1: DSP002 cannot read file: Permission denied"]
    assert lines_about(result.stdout, "good.py")[0].startswith(GOOD_FINDING)


def test_a_directory_named_like_a_module_is_walked_not_read(project):
    make_project(project)
    (project / "x.py").mkdir()
    (project / "x.py" / "inner.py").write_text(GOOD)
    result = dispatch_lint("check", "--no-cache", ".", cwd=project)
    assert lines_about(result.stdout, "x.py/inner.py:4:1: DSP201")
    assert not lines_about(result.stdout, "x.py:")
    named = dispatch_lint("check", "--no-cache", "x.py", cwd=project)
    assert lines_about(named.stdout, "x.py/inner.py:4:1: DSP201"), named.stdout


def test_symlink_loops_end_the_walk_and_are_dsp002_when_named(project):
    make_project(project)
    os.symlink("loop_b.py", project / "loop_a.py")
    os.symlink("loop_a.py", project / "loop_b.py")
    os.symlink("..", project / "sub_link")
    walked = dispatch_lint("check", "--no-cache", ".", cwd=project)
    assert "Traceback" not in walked.stderr and not lines_about(walked.stdout, "loop_")
    assert lines_about(walked.stdout, "good.py")
    named = dispatch_lint("check", "--no-cache", "loop_a.py", "good.py", cwd=project)
    assert lines_about(named.stdout, "loop_a.py") == [
        "loop_a.py:1:1: DSP002 cannot read file: Too many levels of symbolic links"]
    assert lines_about(named.stdout, "good.py")


def test_fix_does_not_write_through_a_symlink_leaving_the_project(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.py").write_text(GOOD)
    (tmp_path / "project").mkdir()
    project = make_project(tmp_path / "project")
    os.symlink(outside / "victim.py", project / "link.py")
    os.symlink(outside, project / "linked_dir")
    result = dispatch_lint("fix", "--no-cache", "link.py", "good.py", cwd=project)
    assert (outside / "victim.py").read_text() == GOOD
    assert (project / "good.py").read_text() == GOOD_FIXED
    assert "link.py" in result.stdout and "outside the named paths" in result.stdout, result.stdout
    walked = dispatch_lint("fix", "--no-cache", ".", cwd=project)
    assert walked.returncode in (0, 1) and (outside / "victim.py").read_text() == GOOD


def test_fix_reports_a_read_only_file_and_leaves_it(project):
    make_project(project)
    good = project / "good.py"
    good.chmod(0o444)
    result = dispatch_lint("fix", "--no-cache", ".", cwd=project)
    assert result.returncode == 1
    assert "read-only" in result.stdout, result.stdout
    assert good.read_text() == GOOD and stat.S_IMODE(good.stat().st_mode) == 0o444


def test_fix_keeps_a_pep263_cookie_and_its_encoding(project):
    make_project(project)
    text = "# -*- coding: latin-1 -*-\n# café\n" + GOOD
    (project / "good.py").write_bytes(text.encode("latin-1"))
    checked = dispatch_lint("check", "--no-cache", ".", cwd=project)
    assert lines_about(checked.stdout, "good.py:6:1: DSP201"), checked.stdout
    dispatch_lint("fix", "--no-cache", ".", cwd=project)
    fixed = "# -*- coding: latin-1 -*-\n# café\n" + GOOD_FIXED
    assert (project / "good.py").read_bytes() == fixed.encode("latin-1")


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_fix_keeps_bom_and_newlines(project, newline, bom):
    make_project(project)
    (project / "good.py").write_bytes(bom + GOOD.replace("\n", newline).encode())
    checked = dispatch_lint("check", "--no-cache", ".", cwd=project)
    assert lines_about(checked.stdout, "good.py")[0].startswith(GOOD_FINDING), checked.stdout
    dispatch_lint("fix", "--no-cache", ".", cwd=project)
    assert (project / "good.py").read_bytes() == bom + GOOD_FIXED.replace("\n", newline).encode()


@pytest.mark.parametrize("command", ["check", "fix"])
def test_configuration_errors_are_one_line(project, command):
    make_project(project)
    bad_code = dispatch_lint(command, "--select", "DSP999", ".", cwd=project)
    assert bad_code.returncode == 2 and bad_code.stderr.strip().count("\n") == 0
    assert "unknown rule code or prefix 'DSP999'" in bad_code.stderr
    (project / "pyproject.toml").write_text("[tool.dispatch-lint\nselect = [\n")
    malformed = dispatch_lint(command, ".", cwd=project)
    assert malformed.returncode == 2 and malformed.stderr.strip().count("\n") == 0
    assert "invalid TOML" in malformed.stderr
    assert (project / "good.py").read_text() == GOOD
