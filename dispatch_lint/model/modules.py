"""Module names of paths, and whether a module is public API."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Tuple


@lru_cache(maxsize=4096)
def _package_parts(folder: str) -> Tuple[str, ...]:
    if not os.path.isfile(os.path.join(folder, "__init__.py")):
        return ()
    return _package_parts(os.path.dirname(folder)) + (os.path.basename(folder),)


@lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    return os.path.realpath(folder)


def real_folder(folder: str) -> str:
    """`os.path.realpath` of a folder, resolved once per process."""
    return _real_folder(folder if os.path.isabs(folder) else os.path.join(os.getcwd(), folder))


def real_path(path: str) -> str:
    """`os.path.realpath` of a file: one `lstat` unless the file is a link."""
    folder, base = os.path.split(path)
    if base in ("", ".", "..") or os.path.islink(path):
        return os.path.realpath(path)
    return os.path.join(real_folder(folder or "."), base)


NON_API_PARTS = frozenset({"tests", "test", "testing", "examples", "example", "docs", "scripts",
                           "benchmarks", "bench", "conftest", "setup", "noxfile", "__main__"})


def module_name(path: str, root: str) -> Tuple[str, bool]:
    """The dotted module name of `path` and whether it is public API."""
    folder, base = os.path.split(path)
    stem = base[:-3] if base.endswith(".py") else base[:-4] if base.endswith(".pyi") else base
    parts = _package_parts(folder)
    in_package = bool(parts)
    if not in_package and real_folder(folder) not in (root, os.path.join(root, "src")):
        parts = ()  # a loose script somewhere: importable only as itself
    names = parts if stem == "__init__" else parts + (stem,)
    public = (in_package or len(names) == 1) and not any(
        n.startswith("_") and n != "__init__" or n in NON_API_PARTS or n.startswith("test_") for n in names
    )
    return ".".join(names), public


TEST_FOLDERS = frozenset({"tests", "test", "testing", "_tests"})


def is_test_path(path: str) -> bool:
    """A test module: in a tests folder, `test_*.py`, `*_test.py` or `conftest.py`."""
    folder, base = os.path.split(path)
    stem = base.rsplit(".", 1)[0]
    parts = folder.replace(os.sep, "/").split("/")
    return (stem.startswith("test_") or stem.endswith("_test") or stem == "conftest"
            or any(part in TEST_FOLDERS for part in parts))
