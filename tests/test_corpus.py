"""The pinned corpus and the scripts that run on it (ecosystem run, benchmark).

Tests marked `network` use the real corpus and skip when it is neither on disk
nor downloadable. The default run touches only two small projects.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import corpus  # noqa: E402

SMALL = ("janus", "aiofiles")


def small_corpus():
    try:
        return corpus.ensure(SMALL)
    except corpus.CorpusUnavailable as exc:
        pytest.skip(f"corpus unavailable: {exc}")


def fake_sdist(folder: Path, name: str, version: str, body: str) -> Path:
    """A minimal sdist named as PyPI names it (underscores), holding one module."""
    stem = f"{name.replace('-', '_')}-{version}"
    archive = folder / f"{stem}.tar.gz"
    data = body.encode()
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(f"{stem}/pkg/mod.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return archive


def test_ensure_unpacks_a_local_sdist_once(tmp_path, monkeypatch):
    monkeypatch.setenv("DISPATCH_LINT_CORPUS", str(tmp_path / "cache"))
    local = tmp_path / "local"
    local.mkdir()
    fake_sdist(local, "faust-streaming", corpus.PINNED["faust-streaming"], "async def f():\n    pass\n")
    folder = corpus.ensure(["faust-streaming"], from_dir=local)["faust-streaming"]
    module = folder / "pkg" / "mod.py"
    assert module.read_text() == "async def f():\n    pass\n"
    assert folder.parent == tmp_path / "cache" / "src"
    module.write_text("edited = True\n")
    again = corpus.ensure(["faust-streaming"], from_dir=local)["faust-streaming"]
    assert again == folder and module.read_text() == "edited = True\n"
    assert corpus.python_files(folder) == [module]
    assert corpus.count_lines([module]) == 1


def test_ensure_without_an_index_says_unavailable(tmp_path, monkeypatch):
    monkeypatch.setenv("DISPATCH_LINT_CORPUS", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(corpus.CorpusUnavailable, match="janus==2.0.0: pip download failed"):
        corpus.ensure(["janus"])
    assert corpus.project_dir("janus") is None


def test_ensure_rejects_an_unpinned_name():
    with pytest.raises(ValueError, match="not pinned: left-pad"):
        corpus.ensure(["left-pad"])


def test_every_pin_is_exact():
    assert len(corpus.PINNED) == len(corpus.PINS)
    for name, version in corpus.PINS:
        assert version[0].isdigit() and "*" not in version and "," not in version, name


@pytest.mark.network
def test_ecosystem_run_on_small_projects_has_no_crash(tmp_path):
    small_corpus()
    out = tmp_path / "ecosystem.json"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "ecosystem.py"), *SMALL, "--json", str(out)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    runs = {run["name"]: run for run in json.loads(out.read_text())}
    assert set(runs) == set(SMALL)
    for run in runs.values():
        assert run["crashes"] == [] and run["exit_status"] in (0, 1)
        assert run["files"] > 0 and run["lines"] > 1000
    # janus has test helpers declared async that never await: ruff reports them.
    assert any(f["code"] == "RUF029" for f in runs["janus"]["peers"]["RUF029"])
    assert "| total |" in result.stdout and "only RUF029" in result.stdout


@pytest.mark.network
def test_ecosystem_lists_a_peer_code_with_source_lines():
    small_corpus()
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "ecosystem.py"), "janus", "--list", "RUF029"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and len(lines) % 2 == 0
    for finding, source in zip(lines[::2], lines[1::2]):
        assert " RUF029 " in finding and ("DSP201 too" in finding or "not DSP201" in finding)
        assert source.strip().startswith("async def")


@pytest.mark.network
@pytest.mark.slow
def test_benchmark_quick_mode_prints_its_tables(tmp_path):
    out = tmp_path / "bench.json"
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--json", str(out)],
                            capture_output=True, text=True, timeout=900)
    if result.returncode == 2 and "corpus unavailable" in result.stderr:
        pytest.skip(result.stderr.strip())
    assert result.returncode == 0, result.stderr
    assert "| dispatch-lint check (cold, --no-cache) |" in result.stdout
    assert "| 4x |" in result.stdout and "Machine:" in result.stdout
    data = json.loads(out.read_text())
    keys = [m["key"] for m in data["tools"]]
    assert keys == ["cold", "warm", "parse", "ruff", "fixit", "flake8-async"]
    assert all(m["wall"] > 0 and m["peak_mb"] > 0 for m in data["tools"] + data["scaling"])
