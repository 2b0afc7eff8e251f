"""DSP102 through the real command: what is reported, each exemption, and the fix."""

import textwrap

import pytest

from helpers import check_json, run_cli

HEADER = """
    import asyncio
    import queue

    BOUNDED = queue.Queue(maxsize=10)
"""


def dsp102(project, body, settings=""):
    (project / "pyproject.toml").write_text(f"[tool.dispatch-lint]\n{settings}\n")
    (project / "svc.py").write_text(textwrap.dedent(HEADER) + textwrap.dedent(body))
    return [f for f in check_json(str(project)) if f["code"] == "DSP102"]


@pytest.mark.parametrize("call", [
    "BOUNDED.put(item, block=False)",
    "BOUNDED.put(item, False)",
    "BOUNDED.put(item, timeout=0)",
    "BOUNDED.put(item, True, 0.0)",
    "BOUNDED.put_nowait(item)",
])
def test_calls_that_never_wait_are_exempt(project, call):
    assert dsp102(project, f"""
        async def handle(item):
            {call}
    """) == []


def test_unbounded_queues_are_exempt(project):
    assert dsp102(project, """
        UNBOUNDED = queue.Queue(maxsize=-1)  # unbounded: fed by BOUNDED, at most 10 items
        SIMPLE = queue.SimpleQueue()  # unbounded: same bound as above

        async def handle(item):
            UNBOUNDED.put(item)
            SIMPLE.put(item)
    """) == []


def test_puts_off_the_event_loop_are_exempt(project):
    assert dsp102(project, """
        async def handle(item):
            await asyncio.to_thread(lambda: BOUNDED.put(item))

            def in_thread():
                BOUNDED.put(item)

            await asyncio.to_thread(in_thread)

        def sync_caller(item):
            BOUNDED.put(item)
    """) == []


def test_asyncio_put_without_await_is_not_a_blocking_put(project):
    assert dsp102(project, """
        AQ = asyncio.Queue(3)

        async def handle(item):
            AQ.put(item)
    """) == []


def test_reported_anywhere_not_only_in_actor_inbox_code(project):
    [finding] = dsp102(project, """
        async def handle(item):
            BOUNDED.put(item=item)
    """)
    assert "blocks the event loop while the bounded queue.Queue `BOUNDED` (capacity 10) built at svc.py:5 is full" in finding["message"]
    assert finding["fix"]["edits"][0]["content"] == "put_nowait"


def test_a_timeout_is_reported_without_a_fix(project):
    [finding] = dsp102(project, """
        async def handle(item):
            BOUNDED.put(item, timeout=2.5)
    """)
    assert finding["fix"] is None
    assert "block`/`timeout` arguments" in finding["no_fix_reason"]


def test_fix_rewrites_to_put_nowait(project):
    dsp102(project, """
        async def handle(item):
            BOUNDED.put(item)
            await asyncio.sleep(0)
    """)
    result = run_cli("fix", "--unsafe-fixes", "--no-cache", str(project))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "    BOUNDED.put_nowait(item)\n    await asyncio.sleep(0)\n" in (project / "svc.py").read_text()
