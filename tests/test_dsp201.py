"""DSP201 across files: call-site edits in every file, path spellings, receivers,
blocked rewrites, fix safety, the cascade on re-run, and the pre-filter."""

import os
import textwrap

from dispatch_lint import registry
from dispatch_lint.engine.runner import Engine
from dispatch_lint.fixes.edits import apply_edits
from dispatch_lint.rules import ALL_RULES
from dispatch_lint.types import Applicability


def write(root, files):
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def run(root, paths, overlay=None, prefilter=True):
    settings = registry.settings_for([str(root)], {"select": ["DSP201"], "cache": False})
    return Engine(settings, ALL_RULES, jobs=1, prefilter=prefilter).run(paths, overlay).diagnostics


def fixed(root, diagnostic):
    """Apply one fix's edits, per file as the run named it."""
    out = {}
    for path in {e.path for e in diagnostic.fix.edits}:
        text = (root / path).read_text() if not os.path.isabs(path) else open(path).read()
        out[path] = apply_edits(text, [e for e in diagnostic.fix.edits if e.path == path])
    return out


PACKAGE = {
    "svc/__init__.py": "",
    "svc/_queueing.py": """
        async def _push(item):
            print(item)
    """,
    "svc/worker.py": """
        from svc import _queueing
        from svc._queueing import _push as push_now

        async def handle(item):
            await push_now(item)
            await _queueing._push(item)
    """,
}


def test_the_fix_edits_every_file_with_a_call_site_in_the_runs_spelling(tmp_path, monkeypatch):
    write(tmp_path, PACKAGE)
    monkeypatch.chdir(tmp_path)
    [finding] = run(tmp_path, ["svc"])
    assert finding.path == os.path.join("svc", "_queueing.py")
    assert finding.fix.applicability is Applicability.SAFE
    assert "2 call sites in 1 file" in finding.message
    out = fixed(tmp_path, finding)
    assert out[os.path.join("svc", "_queueing.py")].startswith("\ndef _push(item):")
    assert "    push_now(item)\n    _queueing._push(item)\n" in out[os.path.join("svc", "worker.py")]


def test_a_call_site_outside_the_analysed_paths_blocks_the_fix(tmp_path):
    write(tmp_path, PACKAGE)
    [finding] = run(tmp_path, [str(tmp_path / "svc" / "_queueing.py")])
    assert finding.fix is None
    assert "outside the analysed paths (svc/worker.py)" in finding.no_fix_reason
    assert "every call site in the project is a plain `await`" in finding.message


def test_a_caller_left_without_await_is_found_on_the_rerun(tmp_path):
    write(tmp_path, PACKAGE)
    first = run(tmp_path, [str(tmp_path / "svc")])
    worker = str(tmp_path / "svc" / "worker.py")
    queueing = str(tmp_path / "svc" / "_queueing.py")
    overlay = {path: apply_edits(open(path).read(), [e for e in first[0].fix.edits if e.path == path])
               for path in (worker, queueing)}
    second = run(tmp_path, [str(tmp_path / "svc")], overlay)
    assert [(d.path, d.line) for d in second] == [(worker, 5)]
    assert second[0].fix.applicability is Applicability.UNSAFE  # `handle` is public API
    assert "nothing in the project calls it" in second[0].message


def test_receivers_self_super_and_unknown(tmp_path):
    write(tmp_path, {"m.py": """
        class _Base:
            async def _close(self):
                print("closed")

        class _Child(_Base):
            async def shutdown(self):
                await self._close()
                await super()._close()

        async def stop(thing):
            await thing._close()
    """})
    [finding] = run(tmp_path, [str(tmp_path)])
    assert finding.line == 3
    assert "3 call sites" in finding.message
    assert finding.fix.applicability is Applicability.UNSAFE  # `thing` could be anything
    out = fixed(tmp_path, finding)[str(tmp_path / "m.py")]
    assert "        self._close()\n        super()._close()\n" in out
    assert "    thing._close()\n" in out


def test_an_unknown_receiver_that_may_reach_an_awaiting_method_makes_it_an_interface(tmp_path):
    write(tmp_path, {"m.py": """
        class _Plain:
            async def _emit(self, line):
                print(line)

        class _Remote:
            async def _emit(self, line):
                await send(line)

        async def log(logger):
            await logger._emit("x")
    """})
    assert run(tmp_path, [str(tmp_path)]) == []


def test_alternatives_imported_from_two_modules(tmp_path):
    write(tmp_path, {
        "pkg/__init__.py": """
            import sys
            if sys.platform == "win32":
                from ._win import open_agent
            else:
                from ._unix import open_agent
        """,
        "pkg/_win.py": "async def open_agent(path):\n    return path\n",
        "pkg/_unix.py": "import asyncio\n\nasync def open_agent(path):\n    return await asyncio.sleep(0, path)\n",
    })
    assert run(tmp_path, [str(tmp_path)]) == []


def test_a_call_without_await_is_named_and_blocks_the_fix(tmp_path):
    write(tmp_path, {"m.py": """
        async def _ping():
            return 1

        async def a():
            await _ping()

        def b():
            _ping()
    """})
    [finding] = run(tmp_path, [str(tmp_path)])
    assert finding.fix is None
    assert "not every call site is a plain `await`: called without `await` at m.py:9" in finding.message


def test_a_self_call_in_an_unrelated_class_is_not_a_call_site(tmp_path):
    write(tmp_path, {"m.py": """
        class _A:
            async def _flush(self):
                print("a")

            async def run(self):
                await self._flush()

        class _B:
            async def _flush(self):
                await other()

            async def run(self):
                await self._flush()
    """})
    [finding] = run(tmp_path, [str(tmp_path)])
    assert finding.line == 3 and "1 call site in 1 file" in finding.message
    assert fixed(tmp_path, finding)[str(tmp_path / "m.py")].count("await self._flush()") == 1


def test_tests_that_async_mock_it_make_the_fix_unsafe(tmp_path):
    write(tmp_path, {
        "app/__init__.py": "",
        "app/_client.py": """
            class _Client:
                async def _fetch(self):
                    return 1

                async def get(self):
                    return await self._fetch()
        """,
        "tests/test_client.py": """
            from unittest import mock

            def test_get():
                with mock.patch.object(_Client, "_fetch", new_callable=mock.AsyncMock):
                    pass
        """,
    })
    [finding] = run(tmp_path, [str(tmp_path)])
    assert finding.fix.applicability is Applicability.UNSAFE
    assert "the tests replace it with an AsyncMock (tests/test_client.py)" in finding.message


def test_a_public_module_function_gets_an_unsafe_fix_and_a_private_module_a_safe_one(tmp_path):
    write(tmp_path, {
        "lib/__init__.py": "",
        "lib/api.py": "async def fetch():\n    return 1\n",
        "lib/_impl.py": "async def fetch():\n    return 1\n",
        "lib/_use.py": "from lib import api, _impl\n\nasync def go():\n    await api.fetch()\n    await _impl.fetch()\n",
    })
    found = {os.path.basename(d.path): d.fix.applicability for d in run(tmp_path, [str(tmp_path)])}
    assert found == {"api.py": Applicability.UNSAFE, "_impl.py": Applicability.SAFE}


def test_a_class_or_function_a_public_module_imports_from_a_private_one_is_public_api(tmp_path):
    write(tmp_path, {
        "lib/__init__.py": "from ._legacy import Content as Content\nfrom ._impl import fetch\n",
        "lib/_legacy.py": "class Content:\n    async def aiter_text(self):\n        return iter(())\n",
        "lib/_impl.py": "async def fetch():\n    return 1\n\nasync def _own():\n    return 2\n",
        "lib/_use.py": "from lib._impl import fetch, _own\n\nasync def go():\n    await fetch()\n    await _own()\n",
    })
    found = {d.message.split("`")[1]: d.fix.applicability for d in run(tmp_path, [str(tmp_path)])}
    # `Content.aiter_text`: public API that nothing calls (its users define its role): not reported.
    assert found == {"fetch": Applicability.UNSAFE, "_own": Applicability.SAFE}


def test_the_methods_of_a_private_class_a_public_module_imports_are_public_api(tmp_path):
    write(tmp_path, {
        "pkg/__init__.py": "from .core import Command\n",
        "pkg/core.py": """
            from .parser import _Parser

            class Command:
                def make_parser(self) -> _Parser:
                    return _Parser()  # users may hold the parser

                async def main(self, args):
                    return await self.make_parser().parse_args(args)
        """,
        "pkg/parser.py": """
            class _Parser:
                async def parse_args(self, args):
                    return list(args)
        """,
    })
    [found] = run(tmp_path, [str(tmp_path)])
    assert found.message.split("`")[1] == "parse_args"
    assert found.fix.applicability == Applicability.UNSAFE


def test_a_method_of_a_class_built_in_a_function_of_a_private_module(tmp_path):
    write(tmp_path, {
        "lib/__init__.py": "",
        "lib/_impl.py": """
            def make():
                class Handler:
                    async def handle(self):
                        return 1
                return Handler()

            async def go():
                await make().handle()
        """,
    })
    found = run(tmp_path, [str(tmp_path)])
    assert [d.message.split("`")[1] for d in found] == ["handle"]


def test_dead_async_in_tests_reports_pytest_tests_that_nothing_but_pytest_calls(tmp_path):
    files = {
        "tests/test_parse.py": """
            async def test_parse():
                assert 1 + 1 == 2

            async def helper():
                return 1
        """,
    }
    write(tmp_path, files)
    assert run(tmp_path, [str(tmp_path)]) == []
    settings = "[project]\nname = 'p'\n[tool.dispatch-lint]\ndead-async-in-tests = true\n"
    (tmp_path / "pyproject.toml").write_text(settings)
    found = run(tmp_path, [str(tmp_path)])
    assert [d.message.split("`")[1] for d in found] == ["test_parse"]  # `helper`: its callers are the tests'
    assert found[0].fix.applicability == Applicability.UNSAFE


def test_findings_are_the_same_with_and_without_the_prefilter(tmp_path):
    write(tmp_path, PACKAGE)
    write(tmp_path, {"extra.py": """
        import asyncio

        async def _loop_time():
            return asyncio.get_running_loop().time()

        async def test_x():
            pass

        @staticmethod
        async def _plain():
            return 1
    """})
    paths = [str(tmp_path)]
    assert run(tmp_path, paths) == run(tmp_path, paths, prefilter=False)


def test_the_fixture_exemptions_are_each_quiet_and_prefilter_does_not_change_fixtures():
    root = os.path.join(os.path.dirname(__file__), "..", "fixtures", "DSP201")
    on = run_root(root, True)
    assert on == run_root(root, False)
    assert not [d for d in on if d.path.endswith("exemptions.py")]


def run_root(root, prefilter):
    settings = registry.settings_for([root], {"select": ["DSP201"], "cache": False})
    return Engine(settings, ALL_RULES, jobs=1, prefilter=prefilter).run([root]).diagnostics


def test_a_class_decorator_may_wrap_the_methods_and_a_plain_one_does_not(tmp_path):
    write(tmp_path, {"m.py": """
        import dataclasses
        from lib import method_decorator, wrapper

        @method_decorator(wrapper, name="_get")
        class _Wrapped:
            async def _get(self):
                return 1

            async def _other(self):
                return 2

        @dataclasses.dataclass(frozen=True)
        class _Point:
            x: int

            async def _norm(self):
                return abs(self.x)

        async def use():
            return [await _Wrapped()._get(), await _Wrapped()._other(), await _Point(1)._norm()]
    """})
    [finding] = run(tmp_path, [str(tmp_path)])
    assert "`_norm`" in finding.message


def test_a_public_class_with_no_op_hooks_is_a_base_to_override(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/parser.py": """
        class Parser:
            async def user_to_text(self, user):
                return None

            async def url_to_text(self, url):
                return url

            async def parse(self, user, url):
                return [await self.user_to_text(user), await self.url_to_text(url)]

        class Counter:
            async def size(self):
                return 0

            async def total(self):
                return await self.size()
    """})
    [finding] = run(tmp_path, [str(tmp_path)])
    assert "`size`" in finding.message


def test_an_allowed_decorator_on_the_class_leaves_its_methods_checked(tmp_path):
    write(tmp_path, {"m.py": """
        from lib import register

        @register("points")
        class _Point:
            async def _norm(self):
                return 1

        async def use():
            return await _Point()._norm()
    """})
    assert run(tmp_path, [str(tmp_path)]) == []
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'p'\n[tool.dispatch-lint]\nallowed-async-decorators = ['lib.register']\n")
    [finding] = run(tmp_path, [str(tmp_path)])
    assert "`_norm`" in finding.message


def test_a_coroutine_a_protocol_in_another_module_declares_is_exempt(tmp_path):
    """A class need not inherit from a Protocol to implement it: its method of
    the Protocol's coroutine name is exempt, and another name is not."""
    write(tmp_path, {
        "app/__init__.py": "",
        "app/ports.py": """
            from typing import Protocol

            class Source(Protocol):
                async def read(self) -> bytes: ...
        """,
        "app/impl.py": """
            class _Impl:
                async def read(self):
                    print("read")

                async def close(self):
                    print("closed")

            async def main():
                reader = _Impl()
                await reader.read()
                await reader.close()
        """,
    })
    [finding] = run(tmp_path, [str(tmp_path)])
    assert "`close`" in finding.message and finding.line == 6
