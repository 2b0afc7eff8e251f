"""The command's contract: output shape, exit status, configuration errors."""

import json
import subprocess
import sys

from helpers import ROOT, run_cli


def test_clean_file_exits_zero(project):
    (project / "ok.py").write_text("import asyncio\n")
    result = run_cli("check", "--no-cache", str(project))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All checks passed" in result.stdout


def test_syntax_error_is_dsp001_and_other_files_still_checked(project):
    (project / "bad.py").write_text("x = (\n")
    (project / "good.py").write_text("def f(:\n")
    result = run_cli("check", "--no-cache", str(project))
    assert result.returncode == 1
    assert f"{project}/bad.py:1:5: DSP001 syntax error" in result.stdout
    assert f"{project}/good.py:1:" in result.stdout
    assert "Traceback" not in result.stderr


def test_unknown_select_code_is_a_usage_error(project):
    result = run_cli("check", "--select", "DSP999", str(project))
    assert result.returncode == 2
    assert "unknown rule code or prefix 'DSP999'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_config_key_names_the_key(project):
    (project / "pyproject.toml").write_text("[tool.dispatch-lint]\nselekt = ['DSP']\n")
    result = run_cli("check", str(project))
    assert result.returncode == 2
    assert "unknown key 'selekt'" in result.stderr


def test_wrong_config_type_names_the_key(project):
    (project / "pyproject.toml").write_text("[tool.dispatch-lint]\nignore = 'DSP201'\n")
    result = run_cli("check", str(project))
    assert result.returncode == 2
    assert "'ignore' must be a list of strings" in result.stderr


def test_malformed_pyproject_is_a_clean_error(project):
    (project / "pyproject.toml").write_text("[tool.dispatch-lint\n")
    result = run_cli("check", str(project))
    assert result.returncode == 2
    assert "invalid TOML" in result.stderr
    assert "Traceback" not in result.stderr


def test_json_output_has_the_documented_keys(project):
    (project / "bad.py").write_text("x = (\n")
    result = run_cli("check", "--no-cache", "--format", "json", str(project))
    [item] = json.loads(result.stdout)
    assert set(item) >= {"code", "name", "path", "line", "column", "end_line", "end_column", "message", "fix"}
    assert item["code"] == "DSP001" and item["fix"] is None


def test_ignore_silences_a_code(project):
    (project / "bad.py").write_text("x = (\n")
    result = run_cli("check", "--no-cache", "--ignore", "DSP001", str(project))
    assert result.returncode == 0


def test_rules_and_explain():
    listed = run_cli("rules")
    assert listed.returncode == 0 and "DSP001" in listed.stdout
    explained = run_cli("explain", "DSP001")
    assert explained.returncode == 0 and "## What it does" in explained.stdout
    assert run_cli("explain", "DSP777").returncode == 2


def test_help_says_what_the_tool_and_each_command_do():
    top = run_cli("--help")
    assert top.returncode == 0 and "backpressure and dispatch defects" in top.stdout
    from dispatch_lint.frontends.cli import build_parser

    commands = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in commands.choices.items():
        assert parser.description, f"`dispatch-lint {name} --help` does not say what it does"
    assert all(action.help for action in commands._choices_actions)


def test_a_missing_path_is_a_usage_error(project):
    result = run_cli("check", str(project / "nowhere.py"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"dispatch-lint: error: {project / 'nowhere.py'}: no such file or directory"


def test_no_python_files_is_a_warning_and_leaves_no_cache(project):
    (project / "empty").mkdir()
    result = run_cli("check", str(project / "empty"))
    assert result.returncode == 0
    assert "warning: no Python files found" in result.stderr
    assert not (project / ".dispatch_lint_cache").exists()


def test_a_closed_stdout_ends_quietly(project):
    for n in range(200):
        (project / f"m{n}.py").write_text("x = (\n")
    process = subprocess.Popen([sys.executable, "-m", "dispatch_lint", "check", "--no-cache", "--format", "concise",
                                str(project)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) in (0, 1)
    assert stderr == ""


def test_an_internal_error_exits_2_with_one_line_naming_the_file(project):
    (project / "ok.py").write_text("import asyncio\n")
    # A bug in the analysis, planted before the command runs.
    crash = ("import sys, runpy\n"
             "from dispatch_lint.engine import runner\n"
             "def boom(*args, **kwargs): raise ValueError('boom')\n"
             "runner.analyse_text = boom\n"
             "sys.argv = ['dispatch-lint', 'check', '--no-cache', sys.argv[1]]\n"
             "runpy.run_module('dispatch_lint', run_name='__main__')\n")
    result = subprocess.run([sys.executable, "-c", crash, str(project / "ok.py")],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("dispatch-lint: internal error (dispatch-lint ")
    assert f"in {project / 'ok.py'}: ValueError: boom" in line
