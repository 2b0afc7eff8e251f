"""DSP101 through the real command: both sides of actor-inbox code, the
overloaded-error wrapper and its imports, and where no fix is offered."""

import textwrap

import pytest

from helpers import check_json, run_cli

ACTOR = """
    import asyncio

    class Worker:
        def __init__(self):
            self.results = asyncio.Queue(maxsize=4){marker}

        async def deliver(self, item):
            await self.results.put(item)
"""


def write(project, code, name="svc.py", settings=""):
    (project / "pyproject.toml").write_text(f"[tool.dispatch-lint]\n{settings}\n")
    (project / name).write_text(textwrap.dedent(code))
    return project / name


def dsp101(project):
    return [f for f in check_json(str(project)) if f["code"] == "DSP101"]


def test_awaited_send_outside_actor_inbox_code_is_not_reported(project):
    write(project, ACTOR.format(marker=""))
    assert dsp101(project) == []


def test_the_marker_comment_makes_it_actor_inbox_code(project):
    write(project, ACTOR.format(marker="  # dispatch-lint: actor-inbox"))
    [finding] = dsp101(project)
    assert finding["line"] == 9
    assert "bounded asyncio.Queue `self.results` (capacity 4)" in finding["message"]
    assert "marked `# dispatch-lint: actor-inbox`" in finding["message"]


def test_the_classes_setting_makes_it_actor_inbox_code(project):
    write(project, ACTOR.format(marker=""), settings='actor-inbox = { classes = ["Work*"] }')
    [finding] = dsp101(project)
    assert "class `Worker`, which matches actor-inbox `classes`" in finding["message"]


PEER = """
    import anyio

    class PeerActor:
        def __init__(self, size):
            self.send_inbox, self.receive_inbox = anyio.create_memory_object_stream(size)

        async def tell(self, message):
            await self.send_inbox.send(message)
"""


def test_a_capacity_the_code_does_not_show_is_unknown_and_not_reported(project):
    write(project, PEER)
    assert dsp101(project) == []


@pytest.mark.parametrize("calls, capacity", [
    ("PeerActor(8)", "capacity 8"),
    ("PeerActor(8)\nPeerActor(size=0)", "capacity 0 or 8"),
    ("PeerActor(BUFFER or 0)\nBUFFER = 16", "capacity 16"),
])
def test_a_parameter_capacity_is_what_every_call_site_passes(project, calls, capacity):
    write(project, textwrap.dedent(PEER) + calls + "\n")
    [finding] = dsp101(project)
    assert f"anyio.create_memory_object_stream `self.send_inbox` ({capacity}) built at svc.py:6" in finding["message"]


def test_a_call_site_that_passes_an_infinity_makes_it_unknown_or_unbounded(project):
    write(project, textwrap.dedent(PEER) + "import math\nPeerActor(8)\nPeerActor(math.inf)\n")
    assert dsp101(project) == []


def test_overloaded_error_must_name_module_and_class(project):
    write(project, "x = 1\n", settings='overloaded-error = "Overloaded"')
    result = run_cli("check", "--no-cache", str(project))
    assert result.returncode == 2
    assert "'overloaded-error' must look like \"package.module:ErrorClass\"" in result.stderr


def test_wrapper_adds_each_import_once_and_a_second_fix_changes_nothing(project):
    path = write(project, """
        from asyncio import Queue

        class SessionActor:
            def __init__(self):
                self.inbox = Queue(3)

            async def one(self, m):
                await self.inbox.put(m)

            async def two(self, m):
                await self.inbox.put(m)
                await self.inbox.put(m)
    """, settings='overloaded-error = "app.errors:Overloaded"\nignore = ["DSP201"]')
    result = run_cli("fix", "--unsafe-fixes", "--no-cache", str(project))
    assert result.returncode == 0, result.stdout + result.stderr
    fixed = path.read_text()
    assert fixed.count("import asyncio\n") == 1
    assert fixed.count("from app.errors import Overloaded\n") == 1
    assert fixed.count('raise Overloaded("self.inbox", 3, "put") from None') == 3
    compile(fixed, str(path), "exec")
    again = run_cli("fix", "--unsafe-fixes", "--no-cache", str(project))
    assert "No fixes applied." in again.stdout and path.read_text() == fixed


def test_error_class_defined_in_the_same_module_is_not_imported(project):
    path = write(project, """
        import asyncio

        class Overloaded(Exception):
            pass

        class SessionActor:
            def __init__(self):
                self.inbox = asyncio.Queue(3)

            async def tell(self, m):
                await self.inbox.put(m)
    """, settings='overloaded-error = "svc:Overloaded"\nignore = ["DSP201"]')
    run_cli("fix", "--unsafe-fixes", "--no-cache", str(project))
    fixed = path.read_text()
    assert "import Overloaded" not in fixed
    wrapper = '        except asyncio.QueueFull:\n            raise Overloaded("self.inbox", 3, "put") from None\n'
    assert wrapper in fixed


def test_no_fix_where_the_wrapper_cannot_go(project):
    write(project, """
        import asyncio

        class SessionActor:
            def __init__(self):
                self.inbox = asyncio.Queue(3)

            async def forward(self, m):
                return await self.inbox.put(m)

            async def shadowed(self, asyncio):
                await self.inbox.put(asyncio)

            async def one_line(self, m):
                if m: await self.inbox.put(m)
    """, settings='overloaded-error = "app.errors:Overloaded"')
    reasons = [f["no_fix_reason"] for f in dsp101(project)]
    assert [f is None for f in reasons] == [False, False, False]
    assert "part of a larger expression" in reasons[0]
    assert "`asyncio` names something else here" in reasons[1]
    assert "shares its line with other code" in reasons[2]


def test_unsafe_fix_needs_the_flag_and_noqa_silences(project):
    path = write(project, """
        import asyncio

        INBOX = asyncio.Queue(3)

        async def tell(m):
            await INBOX.put(m)

        async def quiet(m):
            await INBOX.put(m)  # noqa: DSP101
    """)
    assert [f["line"] for f in dsp101(project)] == [7]
    before = path.read_text()
    run_cli("fix", "--no-cache", str(project))
    assert path.read_text() == before


def test_the_documented_example_is_what_the_fix_produces(project):
    """`explain DSP101`'s "Use instead" is the fix of its "Example", byte for byte."""
    import re

    from dispatch_lint.frontends.docs import section
    from dispatch_lint.rules.dsp101_awaited_bounded_send import AwaitedBoundedSend

    def code(title):
        return re.search(r"```python\n(.*?)```", section(AwaitedBoundedSend, title), re.DOTALL).group(1)

    (project / "pyproject.toml").write_text('[tool.dispatch-lint]\noverloaded-error = "myapp.errors:Overloaded"\n')
    (project / "actor.py").write_text(code("Example"))
    result = run_cli("fix", "--unsafe-fixes", "--select", "DSP101", "--no-cache", "actor.py", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "actor.py").read_text() == code("Use instead")
