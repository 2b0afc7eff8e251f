import compileall
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_configure(config):
    """Compile the package once, into its git-ignored `__pycache__` folders.

    Most tests start the command as a new process; where PYTHONDONTWRITEBYTECODE
    is set (the tests' own subprocess helper sets it too), each of them would
    otherwise compile every module of the package again (a third of its start-up)."""
    if not hasattr(config, "workerinput"):  # once, in the main process, before xdist's workers start
        compileall.compile_dir(str(ROOT / "dispatch_lint"), quiet=2)
    elif config.option.basetemp:  # a worker: its parent folder is the run's, shared by the workers
        import helpers

        helpers.RUN_FOLDER.append(Path(config.option.basetemp).parent)


def pytest_report_header(config):
    sys.path.insert(0, str(ROOT / "scripts"))
    import corpus

    return (f"corpus for the network tests: {corpus.cache_dir()} (downloaded from PyPI on first use; "
            "DISPATCH_LINT_CORPUS moves it)")


@pytest.fixture
def project(tmp_path):
    """A throw-away project root (it has a pyproject.toml)."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    return tmp_path


@pytest.fixture(autouse=True)
def _no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
