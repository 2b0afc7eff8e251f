"""`Project.replace`: the model after replacing one file's facts answers
exactly as a model built afresh from the same facts, with the values it
derived before (class facts, project-wide facts, the channel model) kept only
where they did not read the replaced file."""

import ast
import textwrap

from dispatch_lint.engine.index import extract_packed
from dispatch_lint.engine.runner import dependency_key
from dispatch_lint.model.project import Project
from dispatch_lint.rules import ALL_RULES

FILES = {name: textwrap.dedent(text) for name, text in {
    "pkg/__init__.py": "",
    "pkg/proto.py": """
        from typing import Protocol

        class Source(Protocol):
            async def read(self): ...
    """,
    "pkg/impl.py": """
        import asyncio

        class Impl:
            async def read(self):
                return b""

        class Base:
            async def run(self):
                return 1

            def stop(self):
                pass

        async def _helper():
            return 2

        class Worker:
            def __init__(self):
                self.mail = asyncio.Queue(maxsize=8)

            async def run(self):
                while True:
                    print(await self.mail.get())
    """,
    "pkg/sub.py": """
        import asyncio
        from pkg.impl import Base

        class Sub(Base):
            async def run(self):
                await asyncio.sleep(0)
    """,
    "pkg/caller.py": """
        from pkg import impl
        from pkg.impl import Impl as Reader, Worker, _helper

        async def go(worker: Worker):
            await Reader().read()
            await impl.Base().run()
            await _helper()
            await worker.mail.put(1)
    """,
}.items()}

# (file, new text): each edit changes what another file's verdicts read.
EDITS = [
    ("pkg/proto.py", FILES["pkg/proto.py"].replace("Source(Protocol)", "Source")),
    ("pkg/sub.py", FILES["pkg/sub.py"].replace("Sub(Base)", "Sub")),
    ("pkg/caller.py", FILES["pkg/caller.py"].replace("await _helper()", "_helper()")),
    ("pkg/impl.py", FILES["pkg/impl.py"].replace("class Impl:", "class Other:\n    pass\n\nclass Impl(Other):")
     .replace("maxsize=8", "")),
    ("pkg/caller.py", FILES["pkg/caller.py"].replace("Impl as Reader", "Impl as Source")
     .replace("Reader()", "Source()")),
    ("pkg/caller.py", FILES["pkg/caller.py"].replace("Impl as Reader", "Impl").replace("Reader()", "Impl()")),
    ("pkg/proto.py", FILES["pkg/proto.py"]),
    ("pkg/sub.py", FILES["pkg/sub.py"]),
    ("pkg/impl.py", FILES["pkg/impl.py"].replace("def stop", "async def stop")),
    # classes where there were none: a Protocol that `Base.stop` now implements
    ("pkg/__init__.py", "from typing import Protocol\n\n\nclass Stops(Protocol):\n    async def stop(self): ...\n"),
]


def facts_of(tmp_path, name, text):
    source = text
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return extract_packed(str(path), source, ast.parse(source), str(tmp_path))


def answers(project, paths):
    """Everything the rules read from the model for each file, and the keys."""
    readers = [rule for rule in ALL_RULES if rule.NEEDS_INDEX]
    found = {}
    for path in paths:
        facts = project.file(path)
        found[path] = (dependency_key(project, path, ALL_RULES),
                       repr([rule.read_project(facts) for rule in readers]))
    return found


def tables(project):
    return (project.use_paths, project.def_paths, project.import_paths, project.aliases, project.classes.table,
            project.modules.table, project.mocks, project.sync_method_names())


def test_replace_answers_as_a_fresh_model(tmp_path):
    current = {name: facts_of(tmp_path, name, text) for name, text in FILES.items()}
    project = Project(str(tmp_path), list(current.values()), {})
    paths = sorted(facts.path for facts in current.values())
    seen = [answers(project, paths)]  # derive everything once, to be kept or dropped
    for name, text in EDITS:
        current[name] = facts_of(tmp_path, name, text)
        assert project.replace(current[name])
        fresh = Project(str(tmp_path), [facts_of(tmp_path, n, (tmp_path / n).read_text()) for n in current], {})
        assert tables(project) == tables(fresh), name
        seen.append(answers(project, paths))
        assert seen[-1] == answers(fresh, paths), name
    # every edit changed what some file's rules read
    assert all(before != after for before, after in zip(seen, seen[1:]))


def test_a_new_file_or_module_is_not_replaced(tmp_path):
    current = {name: facts_of(tmp_path, name, text) for name, text in FILES.items()}
    project = Project(str(tmp_path), list(current.values()), {})
    assert not project.replace(facts_of(tmp_path, "pkg/extra.py", "x = 1\n"))
    assert "x" not in project.def_paths and len(project.files) == len(FILES)
