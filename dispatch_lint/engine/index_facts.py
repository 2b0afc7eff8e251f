"""Per-file facts for the project index, extracted from the stdlib `ast` tree.

One pass over a tree that phase A has already parsed. It records what the
project-wide questions need and nothing more: async definitions, classes with
their bases and methods, imports, direct `await f(...)` call sites (with the
exact span of `await `), and every other reference to a name, sorted into
*value* (passed, stored), *call* (called without await) and *spawn* (a call
handed to `create_task`, `gather` and the like). Plain-name references are only
kept for names the file imports or defines as async, so the facts stay small.
"""

from __future__ import annotations

import ast
import os
from functools import lru_cache
from typing import Tuple

from dispatch_lint.engine.facts_data import CALL, SPAWN, VALUE, AsyncDefFact, AwaitSite, ClassFact, FileFacts
from dispatch_lint.engine.facts_finish import finish_facts
from dispatch_lint.engine.facts_walk import FactsWalk

__all__ = ["CALL", "SPAWN", "VALUE", "AsyncDefFact", "AwaitSite", "ClassFact", "FileFacts", "extract_facts",
           "module_name"]


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
    stem = base[:-3] if base.endswith(".py") else base
    parts = _package_parts(folder)
    in_package = bool(parts)
    if not in_package and real_folder(folder) not in (root, os.path.join(root, "src")):
        parts = ()  # a loose script somewhere: importable only as itself
    names = parts if stem == "__init__" else parts + (stem,)
    public = (in_package or len(names) == 1) and not any(
        n.startswith("_") and n != "__init__" or n in NON_API_PARTS or n.startswith("test_") for n in names
    )
    return ".".join(names), public


def extract_facts(path: str, text: str, tree: ast.Module, root: str) -> FileFacts:
    """The index facts of one file that `ast` parsed."""
    real = real_path(path)
    module, public = module_name(real, real_folder(root))
    extractor = FactsWalk(text, module, os.path.basename(real) == "__init__.py")
    extractor.walk(tree.body, None, "", None, False)
    return finish_facts(extractor, real, public)
