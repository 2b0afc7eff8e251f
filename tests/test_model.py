"""The semantic model: scopes and bindings, imports, values of expressions,
classes, the project built over the whole root, and the result cache key."""

import ast
import os
import pickle
import textwrap
import time

import pytest

from dispatch_lint import registry
from dispatch_lint.engine.index import ProjectIndex, extract_facts
from dispatch_lint.model.facts import AWAIT, CALL, DYNAMIC, GENEXP, PATCH, SPAWN, VALUE
from dispatch_lint.model.project import Project
from dispatch_lint.model.values import UNKNOWN, Container, ExternalInstance, Instance, ModuleObject


def model(tmp_path, files):
    facts = []
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        source = textwrap.dedent(text)
        path.write_text(source, encoding="utf-8")
        facts.append(extract_facts(str(path), source, ast.parse(source), str(tmp_path)))
    return Project(str(tmp_path), facts, {})


def scope_of(facts, qualname):
    return next(i for i, s in enumerate(facts.scopes) if s.qualname == qualname)


def test_bindings_land_in_the_scope_python_binds_them_in(tmp_path):
    project = model(tmp_path, {"m.py": """
        import a.b as c
        from .x import f as g
        counter = 0

        def setup():
            global counter
            counter = 1
            total = [y for y in range(3)]

        class K:
            attr = 1
            def m(self, p: int):
                return attr
    """})
    [facts] = project.files.values()
    module = {(b.name, b.kind) for b in facts.bindings if b.scope == 0}
    assert {("c", "import"), ("g", "import"), ("counter", "assign"), ("setup", "def"), ("K", "class")} <= module
    assert ("counter", "assign") in {(b.name, b.kind) for b in facts.bindings if b.scope == 0 and b.line == 8}
    comp = next(i for i, s in enumerate(facts.scopes) if s.kind == "comprehension")
    assert [b.name for b in facts.bindings if b.scope == comp] == ["y"]
    method = scope_of(facts, "K.m")
    # a method does not see its class's names: `attr` is unbound (a builtin or nothing)
    assert project.lookup(facts, method, "attr") == (-1, [])
    assert project.lookup(facts, method, "p")[1][0].kind == "param"
    assert [b.value for b in facts.bindings if b.name == "c"] == [("imp", "a.b")]


def test_uses_record_how_a_name_is_used(tmp_path):
    project = model(tmp_path, {"m.py": """
        import asyncio, sys
        from pkg import job, other, _h

        async def wire(loop, router):
            router.add(job)
            other()
            task = asyncio.create_task(_h())
            await _h()
            values = (await _h() for _ in range(2))
            getattr(sys.modules[__name__], "_h")
            sys._h = None
    """})
    [facts] = project.files.values()
    how = {}
    for use in facts.uses:
        how[use.target[1] if use.target[0] == "n" else use.target[2]] = how.get(
            use.target[1] if use.target[0] == "n" else use.target[2], 0) | use.how
    assert how["job"] & VALUE and how["other"] == CALL
    assert how["_h"] & SPAWN and how["_h"] & AWAIT and how["_h"] & GENEXP
    assert how["_h"] & DYNAMIC and how["_h"] & PATCH


def test_await_spans_cover_exactly_the_await_keyword_in_characters(tmp_path):
    project = model(tmp_path, {"m.py": """
        async def run(conn):
            é = "ü"; await  conn.send(é)
    """})
    [facts] = project.files.values()
    [use] = [u for u in facts.uses if u.how & AWAIT]
    line = '    é = "ü"; await  conn.send(é)'
    assert line[use.column - 1:use.end_column - 1] == "await  "


def test_values_flow_through_self_attributes_containers_and_returns(tmp_path):
    project = model(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/actors.py": """
            import asyncio

            class Actor:
                def __init__(self):
                    self.inbox = asyncio.Queue(10)

            def make() -> "Actor":
                return Actor()
        """,
        "pkg/gateway.py": """
            from pkg.actors import Actor, make
            from pkg import actors

            class Gateway:
                def __init__(self):
                    self.actors = {}
                    self.pool = [make() for _ in range(3)]

                def add(self, key):
                    self.actors.setdefault(key, actors.Actor())

                async def route(self, key, message, other):
                    first = self.actors.get(key)
                    for actor in self.actors.values():
                        pass
                    for worker in self.pool:
                        pass
                    await self.actors[key].inbox.put(message)
        """,
    })
    gateway = project.file(str(tmp_path / "pkg" / "gateway.py"))
    route = scope_of(gateway, "Gateway.route")
    value = lambda expr: project.value(gateway, route, expr)  # noqa: E731
    actor = Instance("pkg.actors.Actor")
    assert value(("n", "first")) == value(("n", "actor")) == value(("n", "worker")) == actor
    assert value(("a", ("n", "self"), "actors")) == Container(actor)
    assert value(("a", ("s", ("a", ("n", "self"), "actors"), ("?",)), "inbox")) == ExternalInstance("asyncio.Queue")
    assert value(("n", "other")) is UNKNOWN  # an unannotated parameter: not guessed
    assert value(("n", "actors")) == ModuleObject("pkg.actors")


def test_an_attribute_set_in_init_is_known_though_a_base_is_outside_the_project(tmp_path):
    project = model(tmp_path, {"m.py": """
        import abc

        class Actor:
            pass

        class Registry(abc.ABC):
            def __init__(self):
                self.actors = {}

            def add(self, key):
                self.actors[key] = Actor()
                self.later = Actor()

            def get(self, key):
                return self.actors[key], self.later
    """})
    [facts] = project.files.values()
    value = lambda expr: project.value(facts, scope_of(facts, "Registry.get"), expr)  # noqa: E731
    assert value(("a", ("n", "self"), "actors")) == Container(Instance("m.Actor"))
    assert value(("a", ("n", "self"), "later")) is UNKNOWN  # the base may define it: only `__init__` hides it


def test_two_different_values_join_to_unknown(tmp_path):
    project = model(tmp_path, {"m.py": """
        class A: pass
        class B: pass

        def pick(flag):
            x = A()
            if flag:
                x = B()
            return x
    """})
    [facts] = project.files.values()
    assert project.value(facts, scope_of(facts, "pick"), ("n", "x")) is UNKNOWN


def test_bases_resolve_through_imports_and_re_exports(tmp_path):
    project = model(tmp_path, {
        "pkg/__init__.py": "from pkg.base import Handler\n",
        "pkg/base.py": "class Handler:\n    def get(self):\n        pass\n",
        "pkg/views.py": "import pkg\n\nclass Route(pkg.Handler):\n    async def post(self):\n        pass\n",
    })
    [base] = project.bases("pkg.views.Route")
    assert base.cls == "pkg.base.Handler"
    assert list(project.descendants("pkg.base.Handler")) == ["pkg.views.Route"]
    found, certain = project.method("pkg.views.Route", "get")
    assert certain and found[0].defs[found[1]].qualname == "Handler.get"


def test_facts_pickle_without_their_project(tmp_path):
    project = model(tmp_path, {"m.py": "async def f():\n    pass\n"})
    [facts] = project.files.values()
    assert pickle.loads(pickle.dumps(facts)).index is None


def settings(root):
    return registry.settings_for([str(root)], {"select": ["DSP201"], "cache": False})


def layout(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n[tool.dispatch-lint]\nexclude = ['app/excluded.py']\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "core.py").write_text("async def _work():\n    return 1\n")
    (tmp_path / "app" / "use.py").write_text("from app.core import _work\n\nasync def go():\n    await _work()\n")
    (tmp_path / "app" / "other.py").write_text("def unrelated():\n    return 2\n")
    (tmp_path / "app" / "excluded.py").write_text("def plain():\n    return 2\n")
    (tmp_path / ".gitignore").write_text("ignored/\n")
    (tmp_path / "ignored").mkdir()
    (tmp_path / "ignored" / "x.py").write_text("from app.core import _work\nprint(_work)\n")


def test_the_project_covers_the_root_reads_excluded_files_and_hides_gitignored_ones(tmp_path, monkeypatch):
    layout(tmp_path)
    monkeypatch.chdir(tmp_path)
    core = os.path.join("app", "core.py")
    text = (tmp_path / core).read_text()
    facts = {core: extract_facts(core, text, ast.parse(text), str(tmp_path))}
    project = ProjectIndex.for_project(settings(tmp_path), facts, None, 1)
    assert set(project.files) == {os.path.realpath(tmp_path / "app" / n)
                                  for n in ("__init__.py", "core.py", "use.py", "other.py", "excluded.py")}
    assert project.runner_path(os.path.realpath(core)) == core
    assert project.file(str(tmp_path / core)) is project.file(core)
    assert project.hidden.mention("_work") == str(tmp_path / "ignored" / "x.py")
    assert project.hidden.mention("nothing_like_it") is None


def test_the_cache_key_follows_what_the_verdict_read(tmp_path):
    from dispatch_lint.rules.dsp201_async_never_awaits import AsyncNeverAwaits

    layout(tmp_path)
    core = str(tmp_path / "app" / "core.py")

    def key():
        project = ProjectIndex.for_project(settings(tmp_path), {}, None, 1)
        return project.dependency_key(core, lambda: AsyncNeverAwaits.read_project(project.file(core)))

    before = key()
    (tmp_path / "app" / "other.py").write_text("def unrelated():\n    return 3\n")
    assert key() == before
    (tmp_path / "app" / "use.py").write_text("from app.core import _work\n\nasync def go():\n    x = 1\n    await _work()\n")
    assert key() != before


def test_a_module_two_files_claim_is_ambiguous_and_each_copy_keeps_its_own_verdicts(tmp_path):
    """Two copies of a package in one run: `server.handle` of each copy reaches its
    own method (keyed by path), and an import of the shared name is unknown."""
    from dispatch_lint.analysis.dead_async import findings

    text = """
        class Server:
            async def handle(self, request):
                return 1

        def setup(app):
            server = Server()
            app.add("/", server.handle)
    """
    project = model(tmp_path, {"a/pkg/__init__.py": "", "a/pkg/app.py": text,
                               "b/pkg/__init__.py": "", "b/pkg/app.py": text,
                               "c.py": "from pkg.app import Server\n"})
    assert project.ambiguous == {"pkg", "pkg.app"}
    for copy in ("a", "b"):
        assert list(findings(project, str(tmp_path / copy / "pkg" / "app.py"))) == []  # referenced as a value
    user = project.file(str(tmp_path / "c.py"))
    assert project.value(user, 0, ("n", "Server")) is UNKNOWN


def test_forgetting_remembered_values_between_files_changes_no_finding(monkeypatch):
    """A large project forgets its evaluated values between files (VALUES_KEPT):
    the findings are the ones a run that remembers everything gives."""
    from dispatch_lint.engine.runner import Engine
    from dispatch_lint.model import project as model_project
    from dispatch_lint.rules import ALL_RULES

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    folders = [os.path.join(root, "fixtures", name) for name in ("DSP101_structure", "DSP201", "DSP302_structure")]
    settings = registry.settings_for(folders, {"cache": False})

    def run():
        result = Engine(settings, ALL_RULES, jobs=1).run(folders)
        return [(d.path, d.line, d.column, d.code, d.message) for d in result.diagnostics]

    remembered = run()
    cleared = []
    forget = model_project.Project.between_files
    monkeypatch.setattr(model_project, "VALUES_KEPT", 0)
    monkeypatch.setattr(model_project.Project, "between_files",
                        lambda self: cleared.append(len(self._values)) or forget(self))
    assert run() == remembered
    assert remembered and any(cleared)


def test_a_file_s_facts_unpack_one_group_of_fields_at_a_time(tmp_path):
    """Reading a field unpacks its group only; the unpacked facts equal the
    extracted ones, and pickle whole."""
    from dispatch_lint.model.store import FIELDS, GROUPS, PackedFacts

    source = "import asyncio\nq = asyncio.Queue()\nclass C:\n    async def f(self):\n        await q.put(g(1))\n"
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    extracted = extract_facts(str(path), source, ast.parse(source), str(tmp_path))
    unpacked = PackedFacts(pickle.loads(pickle.dumps(extracted))).unpack()
    assert not set(FIELDS) & set(vars(unpacked))
    assert unpacked.uses
    assert set(FIELDS) & set(vars(unpacked)) == {"uses"}
    assert unpacked.bindings and set(GROUPS[0]) <= set(vars(unpacked))
    assert "defs" not in vars(unpacked)
    fresh = PackedFacts(extracted).unpack()
    assert fresh == extracted and extracted == fresh
    again = pickle.loads(pickle.dumps(fresh))
    assert again == extracted and again.index is None


def test_the_unpacked_files_stay_within_a_budget_of_the_groups_they_unpacked(tmp_path):
    """The most recently read files stay unpacked while the pickles of the
    groups they unpacked fit the budget; the oldest go first, and the last one
    read always stays. A group unpacked later counts from then on."""
    from dispatch_lint.model.store import GROUPS

    project = model(tmp_path, {f"m{n}.py": f"def f{n}():\n    return {n}\n" for n in range(6)})
    files = project.files
    defs = [n for n, group in enumerate(GROUPS) if "defs" in group][0]
    scopes = [n for n, group in enumerate(GROUPS) if "scopes" in group][0]
    held = {path: files.packed[path].group_size(-1) + files.packed[path].group_size(defs) for path in files}
    paths = sorted(files)
    files.room = None  # the budget does not grow
    files.budget = sum(held[p] for p in paths[1:4])
    files.recent.clear()
    files.held.clear()
    files.recent_bytes = 0
    for path in paths[:4]:
        assert files[path].defs
    assert list(files.recent) == paths[1:4]
    assert files.recent_bytes == sum(held[p] for p in paths[1:4]) < sum(files.packed[p].size for p in paths[1:4])
    assert files[paths[3]].scopes  # the newest grows: the oldest held goes
    assert list(files.recent) == paths[2:4]
    assert files.recent_bytes == held[paths[2]] + held[paths[3]] + files.packed[paths[3]].group_size(scopes)
    files.budget = 1
    assert files[paths[5]].defs and list(files.recent) == [paths[5]]
    files.release()
    assert not files.recent and files.recent_bytes == 0 and files[paths[0]].defs == project.files[paths[0]].defs


def test_the_budget_of_unpacked_files_follows_the_room_the_process_has(tmp_path, monkeypatch):
    """The budget grows while the process's resident memory is under the room,
    falls back to its floor when it is not, and stays put where the memory
    cannot be read."""
    from dispatch_lint.model import store

    project = model(tmp_path, {f"m{n}.py": f"def f{n}():\n    return {n}\n" for n in range(6)})
    files = project.files
    files.release()
    paths = sorted(files)
    resident = [10]
    monkeypatch.setattr(store, "resident_bytes", lambda: resident[0])
    monkeypatch.setattr(store, "GROWTH_STEP", 1)
    files.room, files.budget, files.floor = 100, 1, 1
    for path in paths[:3]:
        assert files[path].defs
    assert list(files.recent) == paths[:3] and files.budget == files.recent_bytes + 1
    resident[0] = 100
    assert files[paths[3]].defs and list(files.recent) == [paths[3]] and files.budget == 1
    resident[0] = 10
    assert files[paths[4]].defs and list(files.recent) == paths[3:5]
    resident[0] = None
    budget = files.budget
    assert files[paths[5]].defs and files.room is None and files.budget == budget


def test_record_groups_are_marshalled_and_read_back_as_records(tmp_path):
    """Groups whose fields hold records are written as plain tuples and read
    back as the same records; a value marshal cannot write (a record in a
    record) is pickled instead."""
    from dispatch_lint.model.facts import Binding
    from dispatch_lint.model.store import GROUPS, _decoded, _encoded, _stored_fields

    source = "import asyncio\n\nclass C:\n    async def run(self, q=None):\n        x = 1.5\n        await q.put(x)\n"
    facts = extract_facts(str(tmp_path / "m.py"), source, ast.parse(source), str(tmp_path))
    stored = _stored_fields(facts)
    for names in GROUPS:
        value = tuple(stored[name] for name in names)
        data = _encoded(names, value)
        back = _decoded(names, data)
        assert back == value and [type(f) for f in back] == [type(f) for f in value]
        assert all(type(a) is type(b) for field, again in zip(value, back) for a, b in zip(field, again))
    assert _encoded(("scopes", "bindings", "classes"), (facts.scopes, facts.bindings, facts.classes))[:1] == b"m"
    odd = Binding(0, "x", "assign", 1, ("k", Binding(0, "y", "assign", 1, ("k", 1))))
    value = ((), (odd,), ())
    data = _encoded(("scopes", "bindings", "classes"), value)
    assert data[:1] == b"p" and _decoded(("scopes", "bindings", "classes"), data) == value


def test_bindings_are_kept_in_two_parts_and_read_back_whole(tmp_path):
    """The module scope's bindings are stored with the scopes and classes, the
    rest apart: resolving a module's names reads the first part alone, and the
    facts read back are the facts extracted, bindings in scope order."""
    from dispatch_lint.model.store import OTHER_BINDINGS, packed

    source = "import asyncio\n\ndef f(a):\n    b = a\n    return b\n\nX = f\n\nclass C:\n    y = 1\n"
    facts = extract_facts(str(tmp_path / "m.py"), source, ast.parse(source), str(tmp_path))
    assert [b.scope for b in facts.bindings] == sorted(b.scope for b in facts.bindings)
    assert [b.name for b in facts.module_bindings()] == ["asyncio", "f", "X", "C"]
    lazy = packed(facts).unpack()
    assert [b.name for b in lazy.module_bindings()] == ["asyncio", "f", "X", "C"]
    assert OTHER_BINDINGS not in vars(lazy) and "bindings" not in vars(lazy)
    assert lazy.bindings == facts.bindings and lazy == facts


def test_equal_facts_digest_alike_extracted_or_read_back_from_the_cache(tmp_path):
    """A file's facts digest (what its readers' cache keys hold) depends on the
    values only (the pickles of the same facts may differ with the objects they
    share): facts extracted, read back from the cache, and packed again from
    those digest alike."""
    from dispatch_lint.engine.facts_cache import FactsCache
    from dispatch_lint.model.store import packed

    source = "import asyncio\n\nclass Worker:\n    async def run(self, queue):\n        await queue.put(queue)\n"
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    extracted = packed(extract_facts(str(path), source, ast.parse(source), str(tmp_path)))
    cache = FactsCache(str(tmp_path / "cache"), str(tmp_path))
    stat = os.stat(path)
    cache.put(str(path), stat, "digest", extracted)
    hit, found = cache.lookup(str(path), stat, "digest")
    again = packed(found)
    cache.put(str(path), stat, "digest", again)
    assert hit and again.blob == extracted.blob  # the serialised groups, as they were
    repacked = packed(again.unpack())
    cache.put(str(path), stat, "digest", repacked)
    assert again.digest() == repacked.digest() == extracted.digest()


def test_facts_read_back_from_the_cache_are_not_written_again(tmp_path, monkeypatch):
    """Putting back the facts a lookup gave serialises nothing: their digest is
    the one stored, and only a changed stat is written."""
    from dispatch_lint.engine import facts_cache as store
    from dispatch_lint.model import store as model_store
    from dispatch_lint.model.store import packed

    source = "import asyncio\n\nasync def f(q):\n    await q.put(1)\n"
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    hour_ago = time.time_ns() - 3600 * 10**9  # an mtime the cache trusts
    os.utime(path, ns=(hour_ago, hour_ago))
    extracted = packed(extract_facts(str(path), source, ast.parse(source), str(tmp_path)))
    cache = store.FactsCache(str(tmp_path / "cache"), str(tmp_path))
    stat = os.stat(path)
    cache.put(str(path), stat, "digest", extracted)
    cache.save()
    again = store.FactsCache(str(tmp_path / "cache"), str(tmp_path))
    hit, found = again.lookup(str(path), stat)
    assert hit and found.digest() == extracted.digest()
    encoded = []
    monkeypatch.setattr(model_store, "values_digest", lambda value: encoded.append(value))
    monkeypatch.setattr(model_store.PackedFacts, "cache_state", lambda facts: encoded.append(facts))
    again.put(str(path), stat, "digest", found)
    assert encoded == [] and not again.changed
    os.utime(path, ns=(hour_ago, hour_ago + 10**9))  # touched: same content
    again.put(str(path), os.stat(path), "digest", found)
    assert encoded == [] and again.changed and again.entries[str(path)][1] == hour_ago + 10**9
    assert again.lookup(str(path), os.stat(path))[0]


def test_a_batch_run_derives_the_uses_of_one_candidate_name_at_a_time(tmp_path):
    """Asking about one `async def` derives the uses of the candidates of its
    name only, with the answer the unbatched lookup gives."""
    from dispatch_lint.analysis.reach import Target

    project = model(tmp_path, {
        "a.py": "async def ping():\n    return 1\n\nasync def pong():\n    return 2\n",
        "b.py": "from a import ping, pong\n\nasync def main():\n    await ping()\n    await pong()\n",
    })
    file = project.file(str(tmp_path / "a.py"))
    alone = [(f.path, u, r) for f, u, r in Target(project, file, 0).uses()]
    project.batch = True
    batched = [(f.path, u, r) for f, u, r in Target(project, file, 0).uses()]
    assert batched == alone and len(batched) == 1
    assert {name for name in project._memos if name.startswith("candidate-uses")} == {"candidate-uses ping"}


@pytest.mark.parametrize("body, repeats", [
    ("item = await q.get()\nreturn item", False),
    ("item = await q.get()\nif item is None:\n    raise StopAsyncIteration\nreturn item", False),
    ("item = await q.get()\nif item:\n    return item\nelse:\n    break", False),
    ("item = await q.get()\nif item is None:\n    continue\nreturn item", True),
    ("item = await q.get()\ntry:\n    return item\nexcept E:\n    continue", True),
    ("item = await q.get()\nfor x in item:\n    continue\nreturn item", False),
    ("item = await q.get()\nhandle(item)", True),
    ("item = await q.get()\nif item:\n    return item", True),
])
def test_a_loop_repeats_unless_every_path_leaves_it(body, repeats):
    from dispatch_lint.model.channel_sites import repeats as loop_repeats

    source = "while True:\n" + "".join(f"    {line}\n" for line in body.splitlines())
    loop = ast.parse(source).body[0]
    assert loop_repeats(loop) is repeats


def test_the_names_bound_by_statements_are_found_in_every_block(tmp_path):
    """The names whose uses the walk notes: every import, `def` and `class`,
    however deeply nested in blocks; a use before the definition is kept."""
    from dispatch_lint.model.extract import names_bound_by_statements

    source = textwrap.dedent("""
        import a.b, c as d
        def first():
            return later()
        try:
            from e import f as g, h
        except ImportError:
            pass
        finally:
            import i
        with open(x) as y:
            if z:
                class K:
                    def method(self): ...
            else:
                while w:
                    for q in r:
                        async def coro(): ...
        match v:
            case 1:
                def in_case(): ...
        def later():
            local = 1
            return local
    """)
    tree = ast.parse(source)
    assert names_bound_by_statements(tree) == {"a", "d", "first", "g", "h", "i", "K", "method", "coro",
                                              "in_case", "later"}
    assert "*" in names_bound_by_statements(ast.parse("from m import *\n"))
    facts = extract_facts(str(tmp_path / "m.py"), source, tree, str(tmp_path))
    used = {u.target[1] for u in facts.uses if u.target[0] == "n"}
    assert "later" in used and "local" not in used and "x" not in used


def test_only_a_check_run_lets_its_unpacked_files_grow_into_the_room(tmp_path):
    """A `check` or `fix` run's workers let the budget grow; the index the
    flake8 plugin and the codemods build (long-lived processes) does not."""
    from dispatch_lint import registry
    from dispatch_lint.engine.runner import Engine
    from dispatch_lint.model.store import MEMORY_ROOM
    from dispatch_lint.rules import ALL_RULES

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "m.py").write_text("async def f():\n    return 1\n")
    settings = registry.settings_for([str(tmp_path)], {"cache": False})
    result = Engine(settings, ALL_RULES, jobs=1).run([str(tmp_path)])
    assert result.index is not None and result.index.files.room == MEMORY_ROOM
    assert registry.project_index(str(tmp_path)).files.room is None
