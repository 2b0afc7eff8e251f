"""The README is a contract: its sample output, its before/after and its pinned
release are what the tool and the package really give."""

import re
import shutil

from dispatch_lint import __version__
from helpers import ROOT, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, re.DOTALL)


def test_links_work_on_pypi_too():
    """PyPI shows the README without the source tree: no relative links."""
    targets = re.findall(r"\]\(([^)]+)\)", README)
    assert all(t.startswith(("https://", "#")) for t in targets), targets


def test_every_pinned_release_is_this_version():
    pins = re.findall(r"rev: (\S+)", README) + re.findall(r"git\+<git-url>@(\S+?)\"", README)
    assert pins and set(pins) == {f"v{__version__}"}, pins


def test_sample_output_is_what_check_prints(tmp_path):
    showcase = shutil.copytree(ROOT / "fixtures" / "showcase", tmp_path / "showcase")
    output = run_cli("check", "--no-cache", cwd=showcase).stdout
    sample, after_fix = _blocks("text")
    for chunk in sample.split("\n\n"):
        assert chunk in output, chunk
    assert run_cli("fix", "--unsafe-fixes", "--no-cache", cwd=showcase).returncode == 1
    assert run_cli("check", "--no-cache", cwd=showcase).stdout == after_fix


def test_before_and_after_is_what_fix_shows(tmp_path):
    showcase = shutil.copytree(ROOT / "fixtures" / "showcase", tmp_path / "showcase")
    diff = run_cli("fix", "--diff", "--unsafe-fixes", "--no-cache", cwd=showcase).stdout
    per_file = {part.splitlines()[0]: part for part in re.split(r"(?m)^(?=--- )", diff) if part}
    [shown] = _blocks("diff")
    for part in re.split(r"(?m)^(?=--- )", shown):
        if part:
            assert per_file[part.splitlines()[0]].startswith(part)
