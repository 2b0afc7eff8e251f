"""Run dispatch-lint on the pinned real-code corpus and compare DSP201 with ruff's RUF029.

For each project: files, lines, findings per code, crashes (a traceback, an exit
status other than 0 or 1, or a DSP001 saying the parser crashed; must be 0) and
the time taken. Then the overlap of DSP201 with RUF029 (and, with `--async124`,
flake8-async's ASYNC124) on the same files.

    python scripts/ecosystem.py                      # every pinned project
    python scripts/ecosystem.py janus aiofiles       # only these
    python scripts/ecosystem.py --list DSP201        # every finding with its source line
    python scripts/ecosystem.py --json out.json      # everything, machine-readable

Exit status: 0 when nothing crashed, 1 when something did, 2 when the corpus
is unavailable.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402

PEERS = {"RUF029": "ruff", "ASYNC124": "flake8-async"}
Location = Tuple[str, int]


@dataclass
class ProjectRun:
    name: str
    folder: str
    files: int
    lines: int
    seconds: float
    exit_status: int
    findings: List[dict]
    crashes: List[str]
    peers: Dict[str, List[dict]] = field(default_factory=dict)

    def counts(self) -> Counter:
        return Counter(f["code"] for f in self.findings)


def is_test_path(path: str) -> bool:
    parts = Path(path).parts
    name = parts[-1]
    return (any(p in ("tests", "test", "testing") for p in parts[:-1])
            or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py")


def run_dispatch_lint(folder: Path) -> Tuple[float, int, List[dict], List[str]]:
    command = [sys.executable, "-m", "dispatch_lint", "check", "--format", "json", "--no-cache", str(folder)]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    crashes: List[str] = []
    if result.returncode not in (0, 1):
        crashes.append(f"exit status {result.returncode}: {result.stderr.strip()[-500:]}")
    if "Traceback (most recent call last)" in result.stderr:
        crashes.append(f"traceback: {result.stderr.strip()[-500:]}")
    try:
        findings = json.loads(result.stdout) if result.stdout.strip() else []
    except json.JSONDecodeError as exc:
        crashes.append(f"unreadable JSON output: {exc}")
        findings = []
    crashes.extend(f"{f['path']}:{f['line']}: {f['message']}" for f in findings
                   if f["code"] == "DSP001" and "parser crashed" in f["message"])
    return seconds, result.returncode, findings, crashes


def run_ruff(files: Sequence[Path]) -> List[dict]:
    command = [sys.executable, "-m", "ruff", "check", "--isolated", "--preview", "--select", "RUF029",
               "--no-cache", "--output-format", "json", "--exit-zero", *map(str, files)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return [{"code": "RUF029", "path": r["filename"], "line": r["location"]["row"],
             "column": r["location"]["column"], "message": r["message"]}
            for r in json.loads(result.stdout)]


def run_async124(files: Sequence[Path]) -> List[dict]:
    command = [*corpus.flake8_without_dsp(), "--isolated", "--select", "ASYNC124", "--exit-zero",
               "--format", "%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s", *map(str, files)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    findings = []
    for line in result.stdout.splitlines():
        path, row, col, code, text = line.split("\t", 4)
        findings.append({"code": code, "path": path, "line": int(row), "column": int(col), "message": text})
    return findings


def locations(findings: Sequence[dict], code: str) -> Set[Location]:
    return {(os.path.realpath(f["path"]), f["line"]) for f in findings if f["code"] == code}


def overlap(ours: Set[Location], theirs: Set[Location]) -> Dict[str, int]:
    return {"both": len(ours & theirs), "only ours": len(ours - theirs), "only theirs": len(theirs - ours)}


def run_project(name: str, folder: Path, peers: Sequence[str]) -> ProjectRun:
    files = corpus.python_files(folder)
    seconds, status, findings, crashes = run_dispatch_lint(folder)
    run = ProjectRun(name, str(folder), len(files), corpus.count_lines(files), seconds, status, findings, crashes)
    if "RUF029" in peers:
        run.peers["RUF029"] = run_ruff(files)
    if "ASYNC124" in peers:
        run.peers["ASYNC124"] = run_async124(files)
    return run


def print_summary(runs: Sequence[ProjectRun], peers: Sequence[str]) -> None:
    codes = sorted({code for run in runs for code in run.counts()})
    header = ["project", "files", "lines", *codes, "crashes", "seconds"]
    rows = [[run.name, str(run.files), str(run.lines),
             *(_count_cell(run, code) for code in codes), str(len(run.crashes)), f"{run.seconds:.2f}"]
            for run in runs]
    totals = ["total", str(sum(r.files for r in runs)), str(sum(r.lines for r in runs)),
              *(_total_cell(runs, code) for code in codes),
              str(sum(len(r.crashes) for r in runs)), f"{sum(r.seconds for r in runs):.2f}"]
    print("Findings per project (N [T] = N findings, T of them in test files):\n")
    print(markdown_table(header, rows + [totals]))
    for peer in peers:
        print(f"\nDSP201 against {peer} ({PEERS[peer]}), matched by file and line:\n")
        rows = []
        for run in [*runs, None]:
            chosen = runs if run is None else [run]
            ours = set().union(*(locations(r.findings, "DSP201") for r in chosen))
            theirs = set().union(*(locations(r.peers[peer], peer) for r in chosen))
            counts = overlap(ours, theirs)
            rows.append(["total" if run is None else run.name, str(len(ours)), str(len(theirs)),
                         str(counts["both"]), str(counts["only ours"]), str(counts["only theirs"])])
        print(markdown_table(["project", "DSP201", peer, "both", "only DSP201", f"only {peer}"], rows))
    for run in runs:
        for crash in run.crashes:
            print(f"CRASH {run.name}: {crash}")


def _count_cell(run: ProjectRun, code: str) -> str:
    total = run.counts()[code]
    tests = sum(1 for f in run.findings if f["code"] == code and is_test_path(f["path"]))
    return f"{total} [{tests}]" if total else "0"


def _total_cell(runs: Sequence[ProjectRun], code: str) -> str:
    total = sum(r.counts()[code] for r in runs)
    tests = sum(1 for r in runs for f in r.findings if f["code"] == code and is_test_path(f["path"]))
    return f"{total} [{tests}]"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def source_line(path: str, line: int) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == line:
                    return text.strip()
    except OSError:
        pass
    return ""


def print_listing(runs: Sequence[ProjectRun], code: str) -> None:
    """Every finding of CODE with its source line; a peer's findings say whether DSP201 agrees."""
    for run in runs:
        if code in PEERS:
            findings = run.peers.get(code, [])
            ours = locations(run.findings, "DSP201")
        else:
            findings = [f for f in run.findings if f["code"] == code]
            ours = None
        for f in findings:
            tags = ["test"] if is_test_path(f["path"]) else []
            if ours is not None:
                tags.append("DSP201 too" if (os.path.realpath(f["path"]), f["line"]) in ours else "not DSP201")
            label = f" [{', '.join(tags)}]" if tags else ""
            print(f"{f['path']}:{f['line']}:{f['column']}: {f['code']} {f['message']}{label}")
            print(f"    {source_line(f['path'], f['line'])}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="projects to run (default: all pinned)")
    parser.add_argument("--from-dir", type=Path, help="copy sdists from this folder instead of downloading")
    parser.add_argument("--no-ruff", action="store_true", help="skip the RUF029 comparison")
    parser.add_argument("--async124", action="store_true", help="also compare with flake8-async's ASYNC124")
    parser.add_argument("--list", metavar="CODE", help="print every finding of CODE (or RUF029/ASYNC124)")
    parser.add_argument("--json", metavar="OUT", type=Path, help="write all results as JSON to OUT")
    args = parser.parse_args(argv)
    peers = [p for p, on in (("RUF029", not args.no_ruff), ("ASYNC124", args.async124)) if on]
    if args.list in PEERS and args.list not in peers:
        peers.append(args.list)
    try:
        folders = corpus.ensure(args.names or None, args.from_dir)
    except (corpus.CorpusUnavailable, ValueError) as exc:
        sys.stderr.write(f"ecosystem: corpus unavailable: {exc}\n")
        return 2
    runs = []
    for name, folder in folders.items():
        print(f"checking {name}...", file=sys.stderr, flush=True)
        runs.append(run_project(name, folder, peers))
    if args.list:
        print_listing(runs, args.list.upper())
    else:
        print_summary(runs, peers)
    if args.json:
        args.json.write_text(json.dumps([asdict(run) for run in runs], indent=2) + "\n")
    return 1 if any(run.crashes for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
