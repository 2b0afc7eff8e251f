"""The programs that DSP201's fixes used to break print the same after `fix`:
call sites are resolved by scope, blocked when an `await` makes a generator
expression asynchronous, fallbacks are alternatives, and call sites the model
cannot read (gitignored, excluded, another project on the command line) keep
the fix from being applied as safe."""

import functools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import run_cli

PROGRAMS = Path(__file__).parent / "data" / "dsp201_programs"


def output(folder: Path) -> str:
    result = subprocess.run([sys.executable, "main.py"], cwd=folder, capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr


def fix(folder: Path, *paths: str) -> None:
    result = run_cli("fix", "--no-cache", *(paths or (".",)), cwd=folder)
    assert result.returncode in (0, 1), result.stderr


@functools.lru_cache(maxsize=None)
def fixed_program(name: str, base: Path):
    """A copy of the program under `base`, with its output before `fix` (run once per program)."""
    folder = base / name
    shutil.copytree(PROGRAMS / name, folder)
    before = output(folder)
    fix(folder)
    return folder, before


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    base = tmp_path_factory.mktemp("programs")
    return lambda name: fixed_program(name, base)


@pytest.mark.parametrize("name", ["shadow_nested", "shadow_param", "shadow_loop", "shadow_with_except",
                                  "rebinding", "genexp", "fallback", "hidden_gitignored", "hidden_excluded"])
def test_the_program_prints_the_same_after_fix(programs, name):
    folder, before = programs(name)
    assert "Error" not in before, before
    assert output(folder) == before


def test_only_the_nested_shadowing_coroutine_is_rewritten(programs):
    folder, _ = programs("shadow_nested")
    text = (folder / "main.py").read_text()
    assert "    def _render():  # dead nested coroutine\n        return \"inner\"\n    return _render()" in text
    assert "async def _render():\n    await asyncio.sleep(0)" in text
    assert "return await _render()  # calls the module-level coroutine" in text


def test_a_parameter_of_the_same_name_is_not_a_call_site(programs):
    folder, _ = programs("shadow_param")
    text = (folder / "main.py").read_text()
    assert "return await _helper()  # the parameter" in text
    assert "def _helper():" in text and "async def _helper():" not in text  # the module's is fixed


def test_an_attribute_set_when_instances_are_built_is_not_a_call_site(tmp_path):
    folder = tmp_path / "shadow_attribute"
    shutil.copytree(PROGRAMS / "shadow_attribute", folder)
    before = output(folder)
    assert before.strip() == "client a delivered b"
    result = run_cli("fix", "--no-cache", "--unsafe-fixes", ".", cwd=folder)
    assert result.returncode in (0, 1), result.stderr
    assert output(folder) == before
    text = (folder / "main.py").read_text()
    assert "    def _send(self, message):" in text and "return self._send(message)" in text
    assert "return await self._send(data)" in text


def test_another_project_on_the_command_line_keeps_its_hidden_call_sites(tmp_path):
    folder = tmp_path / "two_projects"
    shutil.copytree(PROGRAMS / "two_projects", folder)
    before = output(folder / "app")
    assert before.strip() == "42"
    fix(folder, "lib/shared/_core.py", "app/main.py")
    assert output(folder / "app") == before
    assert "async def _compute" in (folder / "lib" / "shared" / "_core.py").read_text()
