"""Every channel finding says where its channel was built: in the message
("built at path:line"), as `related` in JSON, as `relatedLocations` in SARIF,
and it survives the results cache."""

import json
import textwrap

from jsonschema import Draft4Validator

from helpers import ROOT, check_json, run_cli

WORKER = """
    import asyncio


    class Worker:
        def __init__(self):
            self.mail = asyncio.Queue(maxsize=8)

        async def run(self):
            while True:
                print(await self.mail.get())
"""
GATEWAY = """
    from svc.worker import Worker


    async def forward(worker: Worker, job):
        await worker.mail.put(job)
"""


def _project(project):
    (project / "pyproject.toml").write_text("[tool.dispatch-lint]\nignore = [\"DSP201\"]\n")
    (project / "svc").mkdir()
    (project / "svc" / "__init__.py").write_text("")
    (project / "svc" / "worker.py").write_text(textwrap.dedent(WORKER))
    (project / "svc" / "gateway.py").write_text(textwrap.dedent(GATEWAY))


def test_json_names_the_construction_in_another_module(project):
    _project(project)
    [finding] = check_json(str(project))
    assert finding["code"] == "DSP101" and finding["path"].endswith("gateway.py") and finding["line"] == 6
    assert "bounded asyncio.Queue `self.mail` (capacity 8) built at svc/worker.py:7" in finding["message"]
    assert "class `Worker` drains it in a loop (svc/worker.py:11)" in finding["message"]
    built, drained = finding["related"]
    assert built["path"].endswith("worker.py") and (built["line"], built["column"]) == (7, 21)
    assert "built here" in built["message"]
    assert drained["path"].endswith("worker.py") and drained["line"] == 11 and "drains it" in drained["message"]


def test_sarif_related_locations_are_valid(project):
    _project(project)
    result = run_cli("check", "--no-cache", "--format", "sarif", str(project), cwd=project)
    log = json.loads(result.stdout)
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    Draft4Validator(schema).validate(log)
    [finding] = log["runs"][0]["results"]
    built = finding["relatedLocations"][0]
    assert built["physicalLocation"]["artifactLocation"]["uri"] == "svc/worker.py"
    assert built["physicalLocation"]["region"] == {"startLine": 7, "startColumn": 21}


def test_related_locations_survive_the_results_cache(project):
    _project(project)
    first = run_cli("check", "--format", "json", str(project), cwd=project)
    second = run_cli("check", "--format", "json", str(project), cwd=project)
    assert json.loads(first.stdout) == json.loads(second.stdout)
    assert json.loads(second.stdout)[0]["related"]
