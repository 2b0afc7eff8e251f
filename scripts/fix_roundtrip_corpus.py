"""Whole-corpus fix round trip: `dispatch-lint fix --unsafe-fixes` on a copy of
every pinned project, then prove that nothing was lost.

For each project:
- every file `fix` changed still compiles;
- a second `fix` run changes nothing;
- the fixed tree is exactly what applying the edits that `check --format json`
  announces gives, pass after pass until no fix is left (so no file without a
  finding is touched, and the diff holds only the announced rewrites), compared
  byte for byte with a pristine copy for every other file.

    python scripts/fix_roundtrip_corpus.py [PROJECT...] [--workdir DIR]

Exit status 0 when every project passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import corpus  # noqa: E402

from dispatch_lint.engine.sources import Source, read_source  # noqa: E402
from dispatch_lint.fixes.edits import EditConflict, apply_edits, spans  # noqa: E402
from dispatch_lint.types import Edit  # noqa: E402

MAX_PASSES = 25
LOCAL_SDISTS = Path("/work/corpus_dl")


@dataclass
class Report:
    project: str
    files: int = 0
    announced: int = 0
    changed: List[str] = field(default_factory=list)
    passes: int = 0
    failures: List[str] = field(default_factory=list)

    def line(self) -> str:
        verdict = "ok" if not self.failures else f"{len(self.failures)} FAILURES"
        return (f"{self.project}: {self.files} files, {self.announced} announced fixes applied in "
                f"{self.passes} passes, {len(self.changed)} files changed: {verdict}")


def _command(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dispatch_lint", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=3600)


def _contents(tree: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(tree)): p.read_bytes() for p in sorted(tree.rglob("*"))
            if p.is_file() and not p.is_symlink() and ".dispatch_lint_cache" not in p.parts}


def _announced(tree: Path) -> List[dict]:
    result = _command("check", "--format", "json", "--no-cache", ".", cwd=tree)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"check failed: {result.stderr.strip()}")
    return [d for d in json.loads(result.stdout) if d["fix"]]


def _apply_announced(tree: Path, report: Report) -> None:
    """Apply the announced edits, pass after pass, as an independent model of `fix`:
    in each pass, whole fixes whose edits overlap no earlier one in the pass."""
    for number in range(1, MAX_PASSES + 1):
        findings = _announced(tree)
        taken: Dict[str, List[tuple]] = {}
        edits: Dict[str, List[Edit]] = {}
        sources: Dict[str, Source] = {}
        applied = 0
        for finding in findings:
            fix_edits = [Edit.from_dict(e) for e in finding["fix"]["edits"]]
            own: Dict[str, List[tuple]] = {}
            for edit in fix_edits:
                source = sources.setdefault(edit.path, read_source(str(tree / edit.path)))
                if not isinstance(source, Source):
                    break
                own.setdefault(edit.path, []).extend((s, e) for s, e, _ in spans(source.text, [edit]))
            else:
                if any(s < e2 and s2 < e or s == e == s2 == e2
                       for path, mine in own.items() for s, e in mine for s2, e2 in taken.get(path, ())):
                    continue
                for path, mine in own.items():
                    taken.setdefault(path, []).extend(mine)
                for edit in fix_edits:
                    edits.setdefault(edit.path, []).append(edit)
                applied += 1
        if not applied:
            return
        for path, file_edits in edits.items():
            source = sources[path]
            try:
                (tree / path).write_bytes(source.encode(apply_edits(source.text, file_edits)))
            except EditConflict as exc:
                report.failures.append(f"announced edits conflict in {path}: {exc}")
                return
        report.announced += applied
        report.passes = number
    report.failures.append(f"announced fixes still pending after {MAX_PASSES} passes")


def round_trip(name: str, folder: Path, workdir: Path) -> Report:
    report = Report(name)
    pristine, fixed, model = (workdir / kind / name for kind in ("pristine", "fixed", "model"))
    for copy in (pristine, fixed, model):
        if copy.exists():
            shutil.rmtree(copy)
        shutil.copytree(folder, copy, symlinks=True)
    before = _contents(pristine)
    report.files = sum(1 for path in before if path.endswith(".py"))
    first = _command("fix", "--unsafe-fixes", "--no-cache", ".", cwd=fixed)
    if first.returncode not in (0, 1) or "Traceback" in first.stderr:
        report.failures.append(f"fix failed: {first.stderr.strip()[-500:]}")
        return report
    after = _contents(fixed)
    report.changed = sorted(path for path in after if after[path] != before.get(path))
    for path in report.changed:
        try:
            compile(after[path], path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            report.failures.append(f"{path} no longer compiles: {exc}")
    if set(after) != set(before):
        report.failures.append(f"files appeared or vanished: {sorted(set(after) ^ set(before))}")
    second = _command("fix", "--unsafe-fixes", "--no-cache", ".", cwd=fixed)
    if _contents(fixed) != after:
        report.failures.append(f"a second fix changed files: {second.stdout.strip()[-500:]}")
    _apply_announced(model, report)
    expected = _contents(model)
    for path in sorted(set(after) | set(expected)):
        if after.get(path) != expected.get(path):
            touched = "touched without an announced edit" if expected.get(path) == before.get(path) else \
                "differs from the announced edits"
            report.failures.append(f"{path}: {touched}")
    return report


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="*", help="pinned project names (default: all)")
    parser.add_argument("--workdir", type=Path, help="where to keep the copies (default: a temporary folder)")
    args = parser.parse_args(argv)
    folders = corpus.ensure(args.projects or None, from_dir=LOCAL_SDISTS if LOCAL_SDISTS.is_dir() else None)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="dispatch-lint-roundtrip-"))
    reports = []
    for name, folder in folders.items():
        report = round_trip(name, folder, workdir)
        reports.append(report)
        print(report.line(), flush=True)
        for failure in report.failures:
            print(f"  {failure}", flush=True)
    failures = sum(len(r.failures) for r in reports)
    print(f"total: {len(reports)} projects, {sum(r.files for r in reports)} files, "
          f"{sum(r.announced for r in reports)} fixes, {sum(len(r.changed) for r in reports)} files changed, "
          f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
