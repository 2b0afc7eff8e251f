"""Every Python that `requires-python` admits and that is installed (pyenv)
installs the wheel and gives the showcase's findings, through the command and
through flake8; an installed Python below the floor refuses the wheel.

A fresh venv per version costs a pip install each, so this runs once in CI
(`.ci/run`: `pytest -m pythons`), not with the default test command."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers import ROOT, expected_markers

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover
    import tomli as tomllib

pytestmark = pytest.mark.pythons

SHOWCASE = ROOT / "fixtures" / "showcase"
FINDING = re.compile(r"^(?:\./)?(?P<path>\S+\.py):(?P<line>\d+):\d+: (?P<code>DSP\d{3}) ", re.M)


def _installed() -> dict:
    """version (major.minor) -> interpreter, for every pyenv Python and this one."""
    found = {f"{sys.version_info[0]}.{sys.version_info[1]}": sys.executable}
    if shutil.which("pyenv") is None:
        return found
    listed = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True).stdout.split()
    for name in listed:
        match = re.fullmatch(r"(3)\.(\d+)\.\d+", name)
        if match:
            prefix = subprocess.run(["pyenv", "prefix", name], capture_output=True, text=True).stdout.strip()
            python = Path(prefix) / "bin" / f"python{match[1]}.{match[2]}"
            if python.exists():
                found.setdefault(f"{match[1]}.{match[2]}", str(python))
    return found


def _floor() -> tuple:
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    match = re.fullmatch(r">=\s*(\d+)\.(\d+)", spec)
    assert match, f"requires-python {spec!r}: this test reads only '>=X.Y'"
    return int(match[1]), int(match[2])


INSTALLED = _installed()
ADMITTED = sorted((v for v in INSTALLED if tuple(map(int, v.split("."))) >= _floor()),
                  key=lambda v: tuple(map(int, v.split("."))))
BELOW = [v for v in INSTALLED if (3, 8) <= tuple(map(int, v.split("."))) < _floor()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools builds inside the source tree, so two test
    # workers building from the checkout at once would share (and break) it.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "dispatch_lint", source / "dispatch_lint", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
                   check=True, capture_output=True, timeout=600)
    [built] = out.glob("dispatch_lint-*.whl")
    return built


def _install(version: str, wheel: Path, where: Path) -> Path:
    """A venv without pip of its own; this interpreter's pip installs into it."""
    subprocess.run([INSTALLED[version], "-m", "venv", "--without-pip", str(where)],
                   check=True, capture_output=True, timeout=600)
    python = where / "bin" / "python"
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                              str(wheel), "flake8"], capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr
    return python


@pytest.fixture(scope="module")
def venvs(wheel, tmp_path_factory) -> dict:
    """One venv per admitted version, installed side by side (pip mostly waits)."""
    base = tmp_path_factory.mktemp("venvs")
    with ThreadPoolExecutor(max_workers=len(ADMITTED) or 1) as pool:
        futures = {v: pool.submit(_install, v, wheel, base / v) for v in ADMITTED}
        return {v: future.result() for v, future in futures.items()}


def _findings(output: str) -> set:
    return {(Path(m["path"]).as_posix(), int(m["line"]), m["code"]) for m in FINDING.finditer(output)}


@pytest.mark.parametrize("version", ADMITTED)
def test_supported_python_runs_the_showcase_and_the_flake8_plugin(version, venvs):
    python = venvs[version]
    expected = expected_markers(sorted(SHOWCASE.rglob("*.py")), ROOT)
    check = subprocess.run([str(python.parent / "dispatch-lint"), "check", "--no-cache", "--format", "concise",
                            "fixtures/showcase"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert check.returncode == 1, check.stderr
    assert _findings(check.stdout) == expected
    flake8 = subprocess.run([str(python), "-m", "flake8", "--select", "DSP,F", "fixtures/showcase"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert flake8.returncode == 1, flake8.stderr
    assert "DSP000" not in flake8.stdout
    assert _findings(flake8.stdout) == {f for f in expected if f[2] not in {"DSP001", "DSP002"}}


@pytest.mark.parametrize("version", BELOW)
def test_an_older_python_refuses_the_wheel(version, wheel):
    install = subprocess.run([INSTALLED[version], "-m", "pip", "install", "--dry-run", "--no-deps", str(wheel)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode != 0
    assert "requires a different Python" in install.stderr
