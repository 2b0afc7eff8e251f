"""The project index: ast facts, whole-root coverage, path spellings, the cache key."""

import ast
import os
import pickle
import textwrap

from dispatch_lint import registry
from dispatch_lint.engine.index import ProjectIndex
from dispatch_lint.engine.index_facts import CALL, SPAWN, VALUE, extract_facts


def facts_of(tmp_path, text, name="mod.py"):
    path = tmp_path / name
    source = textwrap.dedent(text)
    path.write_text(source, encoding="utf-8")
    return extract_facts(str(path), source, ast.parse(source), str(tmp_path))


def settings(root):
    return registry.settings_for([str(root)], {"select": ["DSP201"], "cache": False})


def test_await_sites_cover_exactly_the_await_keyword_in_characters(tmp_path):
    facts = facts_of(tmp_path, """
        async def run(conn):
            é = "ü"; await  conn.send(é)
            await (helper())
    """)
    first, second = sorted(facts.await_sites, key=lambda s: s.line)
    line = '    é = "ü"; await  conn.send(é)'
    assert line[first.column - 1:first.end_column - 1] == "await  "
    assert (first.name, first.receiver) == ("send", "?")
    assert (second.name, second.receiver, second.end_column - second.column) == ("helper", "", 6)


def test_references_are_sorted_into_values_calls_and_spawns(tmp_path):
    facts = facts_of(tmp_path, """
        import asyncio
        from pkg.jobs import job, other

        def wire(loop, router):
            router.add(job)
            other()
            asyncio.create_task(loop.tick())
            loop.create_background_task(loop.tock())
            loop.stop()
    """)
    assert facts.name_refs["job"][0] == VALUE
    assert facts.name_refs["other"][0] == CALL
    assert facts.attr_refs["tick"][0] == facts.attr_refs["tock"][0] == SPAWN
    assert facts.attr_refs["stop"][0] == CALL
    assert "loop" not in facts.name_refs  # plain names are kept only when imported or async-defined


def test_definitions_classes_and_relative_imports(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    facts = facts_of(tmp_path, """
        from . import base
        from .base import Handler as H

        class Route(H):
            async def get(self):
                return 1

            async def post(self):
                await self.get()

            def head(self):
                async def inner():
                    pass
    """, name="pkg/_views.py")
    assert facts.module == "pkg._views" and not facts.public
    assert facts.imports == {"base": "pkg.base", "H": "pkg.base.Handler"}
    [cls] = facts.classes
    assert cls.bases == ("pkg.base.Handler",)
    assert dict(cls.methods) == {"get": "dead", "post": "await", "head": "sync"}
    inner = next(d for d in facts.defs if d.name == "inner")
    assert inner.nested and inner.qualname == "Route.head.<locals>.inner" and inner.stub


def test_facts_pickle_without_their_index(tmp_path):
    facts = facts_of(tmp_path, "async def f():\n    pass\n")
    facts.index = object()
    assert pickle.loads(pickle.dumps(facts)).index is None


def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "core.py").write_text("async def _work():\n    return 1\n")
    (tmp_path / "app" / "use.py").write_text(
        "from app.core import _work\n\nasync def go():\n    await _work()\n")
    (tmp_path / "app" / "other.py").write_text("def unrelated():\n    return 2\n")
    (tmp_path / ".gitignore").write_text("ignored/\n")
    (tmp_path / "ignored").mkdir()
    (tmp_path / "ignored" / "x.py").write_text("from app.core import _work\nprint(_work)\n")


def test_index_covers_the_whole_root_and_keeps_the_run_spelling(tmp_path, monkeypatch):
    project(tmp_path)
    monkeypatch.chdir(tmp_path)
    core = os.path.join("app", "core.py")
    text = (tmp_path / core).read_text()
    facts = {core: extract_facts(core, text, ast.parse(text), str(tmp_path))}
    index = ProjectIndex.for_project(settings(tmp_path), facts, None, 1)
    real = os.path.realpath(core)
    assert set(index.files) == {os.path.realpath(tmp_path / "app" / n)
                                for n in ("__init__.py", "core.py", "use.py", "other.py")}
    assert index.runner_path(real) == core
    assert index.file(str(tmp_path / core)) is index.file(core)
    [(site_file, site)] = index.await_sites["_work"]
    assert site_file.path == os.path.realpath(tmp_path / "app" / "use.py")
    assert index.runner_path(site_file.path) is None


def test_overlay_replaces_the_disk_text(tmp_path):
    project(tmp_path)
    use = str(tmp_path / "app" / "use.py")
    overlay = {use: "from app.core import _work\n\nasync def go():\n    _work()\n"}
    index = ProjectIndex.for_project(settings(tmp_path), {}, overlay, 1)
    assert "_work" not in index.await_sites
    assert index.file(use).name_refs["_work"][0] == CALL


def test_dependency_key_follows_related_files_only(tmp_path):
    project(tmp_path)
    core = str(tmp_path / "app" / "core.py")
    before = ProjectIndex.for_project(settings(tmp_path), {}, None, 1).dependency_key(core)
    (tmp_path / "app" / "other.py").write_text("def unrelated():\n    return 3\n")
    assert ProjectIndex.for_project(settings(tmp_path), {}, None, 1).dependency_key(core) == before
    (tmp_path / "app" / "use.py").write_text(
        "from app.core import _work\n\nasync def go():\n    x = 1\n    await _work()\n")
    assert ProjectIndex.for_project(settings(tmp_path), {}, None, 1).dependency_key(core) != before
