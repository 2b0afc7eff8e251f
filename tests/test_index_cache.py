"""Index facts cached by file, and warm runs that answer index-dependent findings
(DSP201) only while every file under the project root is unchanged."""

from __future__ import annotations

import ast
import json
import os
import time

import pytest

from dispatch_lint import registry
from dispatch_lint.engine.facts_cache import FactsCache
from dispatch_lint.model import modules as model_modules
from dispatch_lint.model.extract import extract as extract_facts
from dispatch_lint.model.store import PackedFacts
from dispatch_lint.engine.runner import Engine
from dispatch_lint.engine.warm import warm_check
from dispatch_lint.rules import ALL_RULES
from helpers import run_cli

PAST = time.time() - 3600
OVERRIDES = {"select": None, "extend-select": None, "ignore": None, "cache": None}
HELPER = "async def _helper():\n    return 1\n"
CALLER = "from pkg.a import _helper\n\n\nasync def run():\n    await _helper()\n"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (PAST, PAST))


def make_tree(root):
    write(root / "pkg" / "__init__.py", "")
    write(root / "pkg" / "a.py", HELPER)
    write(root / "pkg" / "b.py", CALLER)
    for n in range(10):
        write(root / "pkg" / f"m{n}.py", f"def f{n}():\n    return {n}\n")


def check(root, *flags):
    result = run_cli("check", "--format", "json", *flags, str(root), cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return [(d["path"], d["line"], d["code"], d["message"]) for d in json.loads(result.stdout)]


def dsp201(findings):
    return [f for f in findings if f[2] == "DSP201"]


def cache_state(path, text):
    return json.loads(json.dumps(PackedFacts(extract_facts(str(path), text, ast.parse(text), str(path.parent)))
                                 .cache_state()))


def test_facts_round_trip_through_the_cache_state(tmp_path):
    text = ("import abc\nfrom x import y as z\n\nclass C(abc.ABC):\n    @staticmethod\n"
            "    async def m():\n        '''doc'''\n\nasync def _f():\n    z(_f)\n    await C.m()\n")
    path = tmp_path / "m.py"
    facts = extract_facts(str(path), text, ast.parse(text), str(tmp_path))
    state = cache_state(path, text)
    back = PackedFacts.from_cache_state(state)
    assert back.unpack() == facts
    assert back.summary == PackedFacts(facts).summary
    assert json.loads(json.dumps(back.cache_state())) == state


@pytest.mark.parametrize("damage", [
    lambda state: state.pop(),  # a field missing
    lambda state: state.__setitem__(2, "yes"),  # `public` not a bool
    lambda state: state.__setitem__(10, [1, 2]),  # the summary not strings
    lambda state: state.__setitem__(-2, state[-2][:-1]),  # a group's end missing
    lambda state: state.__setitem__(-2, [*state[-2][:-1], state[-2][-1] + 1]),  # past the data
    lambda state: state.__setitem__(-2, [-1, *state[-2][1:]]),  # before it
    lambda state: state.__setitem__(-1, state[-1][:-4]),  # the data cut short
    lambda state: state.__setitem__(-1, "not base64!"),
])
def test_a_damaged_state_does_not_decode(tmp_path, damage):
    state = cache_state(tmp_path / "m.py", "import asyncio\n\nasync def f(q):\n    await q.put(1)\n")
    damage(state)
    with pytest.raises(ValueError):
        PackedFacts.from_cache_state(state)


@pytest.mark.parametrize("not_state", [[1, 2], None, "x", [[]] * 15])
def test_other_data_does_not_decode(not_state):
    with pytest.raises(ValueError):
        PackedFacts.from_cache_state(not_state)


@pytest.mark.parametrize("hostile", [os.getcwd, "the model's Project"])
def test_cached_facts_build_no_callable_but_the_models_types(tmp_path, hostile):
    """A pickled group read back builds the model's data types only: a state
    naming any other callable (a function, a class of the model that is not
    data) fails when the group is unpacked, and nothing runs."""
    from dispatch_lint.model.project import Project
    import base64
    import pickle
    import zlib

    state = cache_state(tmp_path / "m.py", "x = 1\n")
    data, ends = base64.b64decode(state[-1]), state[-2]
    groups = [data[start:end] for start, end in zip([0, *ends], ends)]
    groups[-1] = zlib.compress(b"p" + pickle.dumps(Project if isinstance(hostile, str) else hostile), 1)
    state[-2] = [sum(len(group) for group in groups[:n + 1]) for n in range(len(groups))]
    state[-1] = base64.b64encode(b"".join(groups)).decode()
    facts = PackedFacts.from_cache_state(state)
    with pytest.raises(pickle.UnpicklingError, match="is not a type of the facts"):
        facts.unpack()


def test_warm_run_answers_index_findings_and_notices_any_change(project):
    make_tree(project)
    cold = check(project)
    assert len(dsp201(cold)) == 1 and "plain `await`" in dsp201(cold)[0][3]
    assert warm_check([str(project)], OVERRIDES, True) is not None  # answered without the engine
    assert check(project) == cold

    # Another file now uses the helper as a value: the finding goes, with or without the cache.
    write(project / "pkg" / "b.py", CALLER + "\nHOOKS = [_helper]\n")
    assert warm_check([str(project)], OVERRIDES, True) is None
    assert dsp201(check(project)) == dsp201(check(project, "--no-cache")) == []

    # A new file calling it without `await` changes the message.
    write(project / "pkg" / "b.py", CALLER)
    write(project / "pkg" / "c.py", "from pkg.a import _helper\n\n\ndef go():\n    _helper()\n")
    warm = check(project)
    assert warm == check(project, "--no-cache")
    assert "called without `await`" in dsp201(warm)[0][3]

    # Removing it restores the original finding.
    os.unlink(project / "pkg" / "c.py")
    assert check(project) == cold


def test_a_stub_in_the_tree_keeps_the_warm_path(project):
    """The index reads `.pyi` stubs too: the warm path's picture of the index's
    files must include them, or every warm run falls back to the engine."""
    make_tree(project)
    write(project / "pkg" / "types.pyi", "def typed() -> int: ...\n")
    cold = check(project)
    assert warm_check([str(project)], OVERRIDES, True) is not None
    assert check(project) == cold


def test_partial_runs_take_unchanged_facts_from_the_cache(project, monkeypatch):
    make_tree(project)
    settings = registry.settings_for([str(project)], {})
    Engine(settings, ALL_RULES, jobs=1).run([str(project)])
    extracted = []
    real_read = PackedFacts.from_cache_state
    monkeypatch.setattr("dispatch_lint.engine.index._extract", lambda path: extracted.append(path))
    calls = []
    monkeypatch.setattr(PackedFacts, "from_cache_state", lambda state: calls.append(1) or real_read(state))
    result = Engine(settings, ALL_RULES, jobs=1).run([str(project / "pkg" / "a.py")])
    assert extracted == [] and len(calls) == 13  # every file of the root, none read
    assert [d.code for d in result.diagnostics] == ["DSP201"]


def test_a_new_package_marker_renames_modules_so_facts_are_extracted_again(project):
    make_tree(project)
    write(project / "lib" / "util.py", "async def _g():\n    return 2\n")
    settings = registry.settings_for([str(project)], {})
    Engine(settings, ALL_RULES, jobs=1).run([str(project)])
    cache = FactsCache(str(settings.cache_dir), str(settings.root))
    util = os.path.realpath(project / "lib" / "util.py")
    hit, facts = cache.lookup(util, os.stat(util))
    assert hit and facts.module == "util"  # a loose script
    write(project / "lib" / "__init__.py", "")
    model_modules._package_parts.cache_clear()  # a new run would not have seen the folder yet
    assert cache.lookup(util, os.stat(util)) == (False, None)


def test_a_cached_result_follows_an_alternative_in_another_module(project):
    """The key of a file's result digests what its verdict read: here the
    other alternative's module, which stops awaiting."""
    write(project / "pkg" / "__init__.py", "import sys\n\nif sys.platform == 'win32':\n"
          "    from pkg._win import _open_agent\nelse:\n    from pkg._unix import _open_agent\n")
    write(project / "pkg" / "_win.py", "async def _open_agent(path):\n    return path\n")
    write(project / "pkg" / "_unix.py", "import asyncio\n\n\nasync def _open_agent(path):\n"
          "    return await asyncio.sleep(0, path)\n")
    assert dsp201(check(project)) == []
    write(project / "pkg" / "_unix.py", "async def _open_agent(path):\n    return path\n")
    warm = dsp201(check(project))
    assert warm == dsp201(check(project, "--no-cache"))
    assert {os.path.basename(f[0]) for f in warm} == {"_win.py", "_unix.py"}


def test_an_edit_elsewhere_keeps_the_cached_results_whose_reads_still_hold(project, monkeypatch):
    """A result that read the index is kept when its key (the digest of what
    its verdicts read) still holds: the worker derives the key and analyses
    nothing; a result whose reads changed is analysed afresh. (DSP201 alone:
    the channel rules' verdicts read every file.)"""
    from dispatch_lint.engine import runner

    make_tree(project)
    settings = registry.settings_for([str(project)], {})
    rules = [rule for rule in ALL_RULES if rule.CODE == "DSP201"]
    cold = Engine(settings, rules, jobs=1).run([str(project)])
    analysed = []
    original = runner._analysed
    monkeypatch.setattr(runner, "_analysed", lambda i: analysed.append(runner._STATE["files"][i].path)
                        or original(i))
    write(project / "pkg" / "m3.py", "def f3():\n    return 33\n")  # read by no verdict on a.py
    again = Engine(settings, rules, jobs=1).run([str(project)])
    assert [d.message for d in again.diagnostics] == [d.message for d in cold.diagnostics]
    assert str(project / "pkg" / "a.py") not in analysed and str(project / "pkg" / "m3.py") in analysed
    write(project / "pkg" / "m4.py", "from pkg.a import _helper\n\nx = _helper()\n")  # a use as a value
    analysed.clear()
    edited = Engine(settings, rules, jobs=1).run([str(project)])
    assert str(project / "pkg" / "a.py") in analysed and not [d for d in edited.diagnostics if d.code == "DSP201"]
