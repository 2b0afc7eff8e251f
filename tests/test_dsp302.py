"""DSP302 through the real command: what is actor-inbox code, noqa, the fix."""

from helpers import check_json, run_cli

ACTOR = (
    "import asyncio\n\n\nclass SessionActor:\n    def __init__(self):\n"
    "        # unbounded: bounded upstream by flow control\n"
    "        self.lifecycle = asyncio.Queue()\n\n"
    "    async def stop(self):\n        await self.lifecycle.put('stop')\n"
)


def settings(project, text):
    (project / "pyproject.toml").write_text("[tool.dispatch-lint]\n" + text)


def findings(project, text, name="m.py"):
    (project / name).write_text(text)
    return [(f["code"], f["line"]) for f in check_json("--select", "DSP", str(project))]


def test_a_justifying_comment_does_not_excuse_an_inbox(project):
    assert findings(project, ACTOR) == [("DSP302", 7)]


def test_only_noqa_silences(project):
    assert findings(project, ACTOR.replace("Queue()", "Queue()  # noqa: DSP302")) == []


def test_each_actor_inbox_setting_decides(project):
    code = ("from app.actors import Base\nimport asyncio\n\nclass Holder(Base):\n"
            "    def __init__(self):\n        self.jobs = asyncio.Queue()\n")
    assert findings(project, code) == [("DSP301", 6)]
    for setting in ('bases = ["app.actors.Base"]', 'names = ["jobs"]', 'classes = ["Hold*"]', 'modules = ["m"]'):
        settings(project, f"actor-inbox = {{ {setting} }}\n")
        assert findings(project, code) == [("DSP302", 6)], setting
    settings(project, 'actor-inbox = { names = [], classes = [] }\n')
    assert findings(project, "import asyncio\nq = asyncio.Queue()  # dispatch-lint: actor-inbox\n") == [("DSP302", 2)]


def test_fix_bounds_through_one_constant_and_try_sends(project):
    settings(project, "inbox-capacity = 32\n")
    path = project / "m.py"
    path.write_text(ACTOR.replace("self.lifecycle = asyncio.Queue()",
                                  "self.lifecycle = asyncio.Queue()\n        self.inbox = asyncio.Queue()"))
    result = run_cli("fix", "--unsafe-fixes", "--no-cache", str(project))
    assert result.returncode == 0, result.stdout + result.stderr
    text = path.read_text()
    assert text.count("INBOX_CAPACITY = 32\n") == 1
    assert "asyncio.Queue(maxsize=INBOX_CAPACITY)" in text and "asyncio.Queue()" not in text
    assert "self.lifecycle.put_nowait('stop')" in text and "await" not in text
    again = run_cli("fix", "--unsafe-fixes", "--no-cache", str(project))
    assert "No fixes applied." in again.stdout


def test_no_fix_for_simple_queue_or_a_shadowing_local(project):
    (project / "m.py").write_text(
        "import queue\n\nclass Actor:\n    def __init__(self, INBOX_CAPACITY):\n"
        "        self.inbox = queue.Queue()\n        self.wakeups = queue.SimpleQueue()\n"
    )
    reasons = {f["line"]: f["no_fix_reason"] for f in check_json("--select", "DSP302", str(project))}
    assert "would shadow" in reasons[5]
    assert "`queue.SimpleQueue` has no capacity" in reasons[6]


def test_invalid_inbox_capacity_is_a_config_error(project):
    settings(project, "inbox-capacity = 0\n")
    result = run_cli("check", str(project))
    assert result.returncode == 2 and "'inbox-capacity' must be positive" in result.stderr


def test_message_names_one_channel_of_a_pair(project):
    (project / "m.py").write_text("import math\nimport trio\n\n"
                                  "inbox_send, inbox_receive = trio.open_memory_channel(math.inf)\n")
    [finding] = check_json("--select", "DSP302", str(project))
    assert finding["message"].startswith("`inbox_send` is unbounded"), finding["message"]
    assert "inbox_send, inbox_receive" not in finding["message"]
    assert "its name `inbox_send` matches" in finding["message"]


def test_a_results_queue_of_an_actor_class_is_not_called_its_inbox(project):
    (project / "m.py").write_text("import asyncio\n\n\nclass WorkerActor:\n    def __init__(self):\n"
                                  "        self.results = asyncio.Queue()\n")
    [finding] = check_json("--select", "DSP302", str(project))
    assert "inbox" not in finding["message"].lower().replace("actor-inbox", ""), finding["message"]
    assert "class `WorkerActor`" in finding["message"]
