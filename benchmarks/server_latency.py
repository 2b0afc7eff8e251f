"""How long the language server takes to publish diagnostics after an edit.

`dispatch-lint server` runs in a copy of one pinned project; a JSON-RPC client
on its stdio (this file; no LSP library needed) opens the given file, or the
one closest to 1,000 lines that holds `async def`, waits for the project model, then
edits the file `--edits` times, each edit sent once the previous diagnostics
arrived. An edit either appends a dead `async def` (a new DSP201 finding, so
the project model changes) or takes it away again. The latency of an edit is
the time from sending `didChange` until the diagnostics of that version
arrive, less the server's debounce. Prints a Markdown table; asserts nothing.

    python benchmarks/bench.py --server aiohttp textual:src/textual/command.py

(aiohttp's file has no channel: only DSP201 runs, from the model; textual's
`command.py` builds a queue, so LibCST parses it on every edit.)
"""

from __future__ import annotations

import json
import math
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

DEBOUNCE_MS = 150


class Client:
    """JSON-RPC over a subprocess's stdio; notifications are stamped on arrival."""

    def __init__(self, command: List[str], cwd: Path) -> None:
        self.process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        # unbounded: the server sends one reply per message this client sends and waits for
        self.arrivals: "queue.Queue[Tuple[float, Dict[str, Any]]]" = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            message = json.loads(stream.read(length))
            self.arrivals.put((time.perf_counter(), message))

    def send(self, method: str, params: Any, request: bool = False) -> Optional[int]:
        message: Dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        data = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(data), data))
        self.process.stdin.flush()
        return message.get("id")

    def wait(self, match, timeout: float = 300) -> Tuple[float, Dict[str, Any]]:
        deadline = time.perf_counter() + timeout
        while True:
            stamp, message = self.arrivals.get(timeout=max(0.0, deadline - time.perf_counter()))
            if message.get("method") in ("workspace/configuration", "client/registerCapability"):
                self._answer(message)
            elif match(message):
                return stamp, message

    def _answer(self, message: Dict[str, Any]) -> None:
        result = [None] * len(message["params"].get("items", [])) if "items" in message["params"] else None
        data = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(data), data))
        self.process.stdin.flush()


def cpu_seconds(pid: int) -> Optional[float]:
    """User + system CPU time of a process so far (Linux), to tell the server's
    own work from waiting for a core on a busy machine."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def resident_mb(pid: int) -> Optional[float]:
    """The process's resident memory now (Linux)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            found = next((line for line in handle if line.startswith("VmRSS:")), None)
    except OSError:
        return None
    return int(found.split()[1]) / 1024 if found else None


def pick_file(root: Path, lines: int) -> Path:
    """The file with `async def`, outside the tests, whose length is closest to `lines`."""
    candidates = []
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8", errors="replace")
        if re.search(r"^\s*async def ", text, re.MULTILINE) and "/tests/" not in path.as_posix():
            candidates.append((abs(text.count("\n") - lines), str(path)))
    return Path(min(candidates)[1])


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


class Session:
    """The server started in a project, with one file open."""

    def __init__(self, root: Path, target: Path) -> None:
        self.client = Client([sys.executable, "-m", "dispatch_lint", "server"], root)
        self.client.send("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
                                        "initializationOptions": {"debounce": DEBOUNCE_MS}}, request=True)
        self.client.wait(lambda m: m.get("id") == 1)
        self.client.send("initialized", {})
        self.uri = target.as_uri()
        self.text = target.read_text(encoding="utf-8")
        started = time.perf_counter()
        self.client.send("textDocument/didOpen", {"textDocument": {
            "uri": self.uri, "languageId": "python", "version": 0, "text": self.text}})
        stamp, first = self.client.wait(lambda m: self.published(m, 0))
        self.first_open = stamp - started
        self.findings_on_open = len(first["params"]["diagnostics"])

    def published(self, message: Dict[str, Any], version: int) -> bool:
        params = message.get("params") or {}
        return (message.get("method") == "textDocument/publishDiagnostics" and params.get("uri") == self.uri
                and params.get("version") == version)

    def edit(self, version: int, text: str) -> Tuple[float, Optional[float]]:
        """(milliseconds from didChange until its diagnostics, server CPU milliseconds meanwhile)."""
        pid = self.client.process.pid
        cpu_before = cpu_seconds(pid)
        sent = time.perf_counter()
        self.client.send("textDocument/didChange", {"textDocument": {"uri": self.uri, "version": version},
                                                    "contentChanges": [{"text": text}]})
        stamp, _ = self.client.wait(lambda m: self.published(m, version))
        cpu_after = cpu_seconds(pid)
        cpu = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) * 1000
        return (stamp - sent) * 1000, cpu

    def close(self) -> int:
        self.client.send("shutdown", None, request=True)
        self.client.wait(lambda m: m.get("id") == 2)
        self.client.send("exit", None)
        return self.client.process.wait(30)


def measure(project: Path, edits: int, lines: int, file: Optional[str] = None) -> Dict[str, Any]:
    """Time `edits` edits of `file` (relative to the project), or of the file that `pick_file` picks."""
    with tempfile.TemporaryDirectory(prefix="dispatch-lint-server-bench-") as temp:
        root = Path(temp) / project.name
        shutil.copytree(project, root)
        target = root / file if file else pick_file(root, lines)
        session = Session(root, target)
        timed = [session.edit(version, session.text + (
            f"\n\nasync def _bench_edit_{version}():\n    return {version}\n" if version % 2 else ""))
            for version in range(1, edits + 1)]
        memory = [resident_mb(session.client.process.pid)]
        for version in range(edits + 1, 3 * edits + 1):  # twice as many again: does memory grow?
            session.edit(version, session.text + f"\n# {version}\n")
        memory.append(resident_mb(session.client.process.pid))
        status = session.close()
    latencies = [wall - DEBOUNCE_MS for wall, _ in timed]
    cpu = [used for _, used in timed if used is not None]
    return {
        "project": project.name, "project_lines": sum(p.read_bytes().count(b"\n") for p in project.rglob("*.py")),
        "file": str(target.relative_to(root)), "file_lines": session.text.count("\n"),
        "first_open_s": session.first_open, "findings_on_open": session.findings_on_open, "edits": edits,
        "p50_ms": percentile(latencies, 0.5), "p95_ms": percentile(latencies, 0.95), "max_ms": max(latencies),
        "server_cpu_p50_ms": percentile(cpu, 0.5) if cpu else None,
        "server_cpu_p95_ms": percentile(cpu, 0.95) if cpu else None,
        "rss_mb_after_edits": memory, "exit_status": status, "load_average": os.getloadavg()[0],
    }


def table(result: Dict[str, Any]) -> str:
    return "\n".join([
        f"Language server on {result['project']} ({result['project_lines']:,} lines), "
        f"editing {result['file']} ({result['file_lines']:,} lines), debounce {DEBOUNCE_MS} ms:",
        "",
        "| first open (model built) | edits | p50 after debounce | p95 after debounce | max | target p95 "
        "| server CPU per edit p50 / p95 | server memory after the timed edits -> after twice as many more "
        "| load average |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {result['first_open_s']:.2f} s | {result['edits']} | {result['p50_ms']:.0f} ms | "
        f"{result['p95_ms']:.0f} ms | {result['max_ms']:.0f} ms | <= 200 ms "
        f"({'met' if result['p95_ms'] <= 200 else 'not met'}) | {_ms(result['server_cpu_p50_ms'])} / "
        f"{_ms(result['server_cpu_p95_ms'])} | {' -> '.join(_mb(m) for m in result['rss_mb_after_edits'])} "
        f"| {result['load_average']:.1f} |",
    ])


def _mb(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.0f} MB"


def _ms(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"
