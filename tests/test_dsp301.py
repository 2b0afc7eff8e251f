"""DSP301 through the real command: settings, exemptions, the fix, the message."""

import json

from helpers import check_json, run_cli

UNJUSTIFIED = "import asyncio\n\nq = asyncio.Queue()\n"


def settings(project, text):
    (project / "pyproject.toml").write_text("[tool.dispatch-lint]\n" + text)


def codes(project, name="m.py", text=UNJUSTIFIED):
    (project / name).write_text(text)
    return [(f["code"], f["line"]) for f in check_json("--select", "DSP3", str(project))]


def test_help_names_what_to_say_and_the_marker(project):
    (project / "m.py").write_text(UNJUSTIFIED)
    [finding] = check_json("--select", "DSP301", str(project))
    assert "`asyncio.Queue()`" in finding["message"]
    assert "flow control" in finding["help"] and "`# unbounded: <reason>`" in finding["help"]
    assert finding["fix"] is None and "default-capacity" in finding["no_fix_reason"]


def test_custom_marker_is_named_in_the_help_and_honoured(project):
    settings(project, 'unbounded-marker = "why:"\n')
    (project / "m.py").write_text(UNJUSTIFIED)
    [finding] = check_json("--select", "DSP301", str(project))
    assert "a comment matching `why:`" in finding["help"]
    assert codes(project, text="import asyncio\nq = asyncio.Queue()  # why: finite input file\n") == []


def test_invalid_marker_pattern_is_a_config_error(project):
    settings(project, 'unbounded-marker = "("\n')
    result = run_cli("check", str(project))
    assert result.returncode == 2 and "'unbounded-marker' is not a valid regular expression" in result.stderr


def test_test_code_is_exempt_unless_asked_for(project):
    (project / "tests").mkdir()
    for name in ("test_a.py", "a_test.py", "conftest.py", "tests/helpers.py"):
        assert codes(project, name) == [], name
        (project / name).unlink()
    settings(project, "unbounded-in-tests = true\n")
    assert codes(project, "test_a.py") == [("DSP301", 3)]


def test_actor_inbox_gets_dsp302_only(project):
    text = "import asyncio\n\nclass Actor:\n    def __init__(self):\n        self.jobs = asyncio.Queue()\n"
    assert codes(project, text=text) == [("DSP302", 5)]
    settings(project, "actor-inbox = { classes = [] }\n")
    assert codes(project, text=text) == [("DSP301", 5)]


def test_noqa_silences(project):
    assert codes(project, text="import asyncio\nq = asyncio.Queue()  # noqa: DSP301\n") == []


def test_default_capacity_fix_bounds_and_a_second_run_changes_nothing(project):
    settings(project, "default-capacity = 64\n")
    path = project / "m.py"
    path.write_text("import math\nimport trio\n\ntx, rx = trio.open_memory_channel(math.inf)\n")
    first = run_cli("fix", "--unsafe-fixes", "--no-cache", str(project))
    assert first.returncode == 0, first.stdout + first.stderr
    assert path.read_text() == "import math\nimport trio\n\ntx, rx = trio.open_memory_channel(64)\n"
    second = run_cli("fix", "--unsafe-fixes", "--no-cache", str(project))
    assert "No fixes applied." in second.stdout


def test_fix_is_unsafe_only(project):
    settings(project, "default-capacity = 64\n")
    (project / "m.py").write_text(UNJUSTIFIED)
    result = run_cli("fix", "--no-cache", str(project))
    assert (project / "m.py").read_text() == UNJUSTIFIED
    assert result.returncode == 1


def test_negative_default_capacity_is_a_config_error(project):
    settings(project, "default-capacity = -1\n")
    result = run_cli("check", str(project))
    assert result.returncode == 2 and "'default-capacity' must not be negative" in result.stderr


def test_json_fix_description(project):
    settings(project, "default-capacity = 8\n")
    (project / "m.py").write_text(UNJUSTIFIED)
    result = run_cli("check", "--no-cache", "--format", "json", "--select", "DSP301", str(project))
    [finding] = json.loads(result.stdout)
    assert finding["fix"]["applicability"] == "unsafe"
    assert [e["content"] for e in finding["fix"]["edits"]] == ["maxsize=8"]


def test_bounds_kept_in_code_are_named_with_their_line():
    findings = check_json("--select", "DSP301", "fixtures/DSP301/bounded_in_code.py")
    messages = {f["line"]: f["message"] for f in findings}
    assert "a high-water check pausing the producer at line 15 (`self.events.qsize() > HIGH_WATER`)" in messages[10]
    assert "the producer paused after the send at line 32 (`self.transport.pause_reading()`)" in messages[27]
    assert "a semaphore `self._slots` acquired per send and released per receive at line 41" in messages[38]
    assert "a finite input: it is fed here by the `for` loop at line 52 (`for line in lines`)" in messages[51]
    assert all("`# unbounded: <reason>`" in message for message in messages.values())


def test_a_path_that_is_unbounded_is_named_and_has_no_fix(project):
    settings(project, "default-capacity = 64\n")
    (project / "m.py").write_text("import queue\n\ndef pool(maxsize=None):\n    return queue.Queue(maxsize=maxsize or 0)\n")
    [finding] = check_json("--select", "DSP301", str(project))
    assert "builds an unbounded `queue.Queue` when `maxsize` keeps its default `None`" in finding["message"]
    assert finding["fix"] is None and "path" in finding["no_fix_reason"]


def test_a_comment_that_names_a_limit_but_does_not_count_is_explained(project):
    (project / "m.py").write_text("import asyncio\n\n# see the timeout handling below\nq = asyncio.Queue()\n")
    [finding] = check_json("--select", "DSP301", str(project))
    assert 'the comment "see the timeout handling below" does not count (a pointer elsewhere' in finding["message"]


def test_an_actor_inbox_by_structure_is_left_to_dsp302(project):
    text = ("import asyncio\n\nclass Worker:\n    def __init__(self):\n        self.jobs = asyncio.Queue()\n\n"
            "    async def run(self):\n        while True:\n            await self.handle(await self.jobs.get())\n\n"
            "async def feed(worker: Worker, job):\n    await worker.jobs.put(job)\n")
    assert codes(project, text=text) == [("DSP302", 5)]


def test_a_name_bound_to_an_infinite_size_is_always_unbounded_and_gets_the_fix(project):
    settings(project, "default-capacity = 64\n")
    (project / "m.py").write_text("import trio\n\nUNLIMITED = float('inf')\n\n"
                                  "def pair():\n    return trio.open_memory_channel(UNLIMITED)\n")
    [finding] = check_json("--select", "DSP301", str(project))
    assert finding["message"].startswith("Unbounded `trio.open_memory_channel(UNLIMITED)` has no comment")
    assert finding["fix"] is not None


def test_the_path_names_the_guard_and_the_constructor_reassigned_under_it(project):
    (project / "m.py").write_text(
        "import queue\n\ndef relay(queue_class=None, size=None):\n    if (queue_class is None):\n"
        "        queue_class = queue.Queue\n    return queue_class(size or 0)\n")
    [finding] = check_json("--select", "DSP301", str(project))
    assert ("`queue_class(size or 0)` builds an unbounded `queue.Queue` when `queue_class` is set to "
            "`queue.Queue` at line 5 (under `if (queue_class is None)`) and `size` keeps its default `None`"
            ) in finding["message"]
