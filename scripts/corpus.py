"""The pinned real-code corpus: sdists of async projects, downloaded once from PyPI.

The sdists go to `<cache>/sdists/` and are unpacked into `<cache>/src/`, where
`<cache>` is `$DISPATCH_LINT_CORPUS`, or else `dispatch-lint/corpus` in the
user's cache folder (`$XDG_CACHE_HOME`, by default `~/.cache`): never inside the
checkout. A project is unpacked once; a later call reuses it.

    python scripts/corpus.py                  # fetch and unpack every pin
    python scripts/corpus.py janus aiofiles   # only these
    python scripts/corpus.py --from-dir DIR   # copy sdists found in DIR first

Without PyPI, `ensure` raises `CorpusUnavailable` (the tests skip on it).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent

# (distribution, exact version). The last three are the product story's examples:
# an actor library with `queue.Queue()` inboxes, a WebSocket library and a WSGI bridge.
PINS: Tuple[Tuple[str, str], ...] = (
    ("aiohttp", "3.14.5"),
    ("anyio", "4.16.0"),
    ("trio", "0.35.0"),
    ("httpx", "0.28.1"),
    ("uvicorn", "0.54.0"),
    ("redis", "8.1.0"),
    ("textual", "8.2.8"),
    ("janus", "2.0.0"),
    ("dramatiq", "2.2.1"),
    ("faust-streaming", "0.15.3"),
    ("asgiref", "3.13.0"),
    ("aiofiles", "25.1.0"),
    ("pykka", "4.5.0"),
    ("trio-websocket", "0.12.2"),
    ("a2wsgi", "1.10.10"),
)
PINNED = dict(PINS)
SDIST_SUFFIXES = (".tar.gz", ".zip")


# flake8 would also run dispatch-lint's own DSP plugin, installed in the same environment;
# this launcher drops it, so that a peer's findings and time are its own.
_FLAKE8_WITHOUT_DSP = """
import sys
from flake8.plugins import finder
from flake8.main.cli import main
_find = finder.find_plugins
finder.find_plugins = lambda *a, **k: [p for p in _find(*a, **k) if p.entry_point.name != "DSP"]
sys.exit(main(sys.argv[1:]))
"""


def flake8_without_dsp() -> List[str]:
    """The command prefix that runs flake8 with every plugin but dispatch-lint's."""
    return [sys.executable, "-c", _FLAKE8_WITHOUT_DSP]


class CorpusUnavailable(RuntimeError):
    """The corpus is not on disk and cannot be downloaded (offline, PyPI error)."""


def cache_dir() -> Path:
    if os.environ.get("DISPATCH_LINT_CORPUS"):
        return Path(os.environ["DISPATCH_LINT_CORPUS"])
    user_cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(user_cache) / "dispatch-lint" / "corpus"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _sdist_in(folder: Path, name: str, version: str) -> Optional[Path]:
    """The sdist of NAME==VERSION in FOLDER, whatever spelling of the name it uses."""
    if not folder.is_dir():
        return None
    wanted = f"{_normalized(name)}-{version}"
    for path in sorted(folder.iterdir()):
        for suffix in SDIST_SUFFIXES:
            if path.name.endswith(suffix) and _normalized(path.name[: -len(suffix)]) == _normalized(wanted):
                return path
    return None


def _download(name: str, version: str, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
               "--no-binary", ":all:", "--disable-pip-version-check", "-d", str(into),
               f"{name}=={version}"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CorpusUnavailable(f"{name}=={version}: pip download failed: {exc}") from exc
    found = _sdist_in(into, name, version)
    if result.returncode != 0 or found is None:
        last = (result.stderr.strip().splitlines() or ["no sdist saved"])[-1]
        raise CorpusUnavailable(f"{name}=={version}: pip download failed: {last}")
    return found


def _extract(archive: Path, into: Path) -> Path:
    """Unpack ARCHIVE as one folder under INTO, atomically (a partial unpack is never seen)."""
    into.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=into, prefix=".unpack-") as scratch:
        if archive.name.endswith(".zip"):
            shutil.unpack_archive(str(archive), scratch, "zip")
        else:
            with tarfile.open(archive) as tar:
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(scratch, filter="data")
                else:  # pragma: no cover - Python < 3.11.4
                    for member in tar.getmembers():
                        if member.name.startswith(("/", "..")) or ".." in Path(member.name).parts:
                            raise CorpusUnavailable(f"{archive.name}: unsafe member {member.name}")
                    tar.extractall(scratch)
        tops = list(Path(scratch).iterdir())
        if len(tops) != 1 or not tops[0].is_dir():
            raise CorpusUnavailable(f"{archive.name}: expected one top-level folder")
        top = tops[0]
        target = into / top.name
        if not target.exists():
            os.rename(top, target)
    return target


def project_dir(name: str) -> Optional[Path]:
    """Where NAME's unpacked sdist is, if it already is."""
    version = PINNED[name]
    src = cache_dir() / "src"
    if not src.is_dir():
        return None
    for path in sorted(src.iterdir()):
        if _normalized(path.name) == _normalized(f"{name}-{version}") and path.is_dir():
            return path
    return None


def ensure(names: Optional[Iterable[str]] = None, from_dir: Optional[Path] = None) -> Dict[str, Path]:
    """Unpacked source folder of each pinned project in NAMES (default: all), in pin order.

    Copies an sdist from FROM_DIR when it has one; otherwise downloads it.
    Raises `CorpusUnavailable` when a project can be neither found nor fetched.
    """
    wanted = list(PINNED) if names is None else list(names)
    unknown = [n for n in wanted if n not in PINNED]
    if unknown:
        raise ValueError(f"not pinned: {', '.join(unknown)}; pinned: {', '.join(PINNED)}")
    sdists = cache_dir() / "sdists"
    folders: Dict[str, Path] = {}
    for name in wanted:
        version = PINNED[name]
        folder = project_dir(name)
        if folder is None:
            archive = _sdist_in(sdists, name, version)
            if archive is None and from_dir is not None:
                local = _sdist_in(Path(from_dir), name, version)
                if local is not None:
                    sdists.mkdir(parents=True, exist_ok=True)
                    archive = Path(shutil.copy2(local, sdists / local.name))
            if archive is None:
                archive = _download(name, version, sdists)
            folder = _extract(archive, cache_dir() / "src")
        folders[name] = folder
    return folders


def python_files(folder: Path) -> List[Path]:
    """The files `dispatch-lint check FOLDER` checks, found by its own discovery."""
    from dispatch_lint.engine.discovery import discover
    from dispatch_lint.registry import settings_for

    return [Path(p) for p in discover([str(folder)], settings_for([str(folder)]))]


def count_lines(paths: Sequence[Path]) -> int:
    return sum(path.read_bytes().count(b"\n") for path in paths)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"projects (default: all): {', '.join(PINNED)}")
    parser.add_argument("--from-dir", type=Path, help="copy sdists from this folder when it has them")
    args = parser.parse_args(argv)
    try:
        folders = ensure(args.names or None, args.from_dir)
    except (CorpusUnavailable, ValueError) as exc:
        sys.stderr.write(f"corpus: {exc}\n")
        return 2
    for name, folder in folders.items():
        files = python_files(folder)
        print(f"{name}=={PINNED[name]}  {len(files)} files  {count_lines(files)} lines  {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
