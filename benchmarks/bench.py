"""Benchmark dispatch-lint against a bare LibCST parse and its peers on the pinned corpus.

Each command runs in its own subprocess; wall time, CPU time (user + system of
the process and its reaped children, from `os.wait4`) and peak memory (the
largest `ru_maxrss` in the process tree) are recorded. The commands that take
seconds (dispatch-lint cold and warm, the bare parse, ruff) run three times in
interleaved rounds, and the run of median wall time is kept; so do fixit and
flake8-async, whose subset's time is scaled up. Slow peers (fixit,
flake8-async) run on an evenly spread subset of the files and their times are
scaled up by lines. Then dispatch-lint runs cold on 1x, 2x and 4x copies of
the corpus, and on 8x for its peak memory. Prints Markdown tables; it asserts nothing.

    python benchmarks/bench.py                 # the full corpus (about 25 minutes on 2 cores)
    python benchmarks/bench.py --quick         # four small projects, a smoke test
    python benchmarks/bench.py --skip fixit --skip flake8-async --skip flake8 --skip scaling --skip memory  # quick
    python benchmarks/bench.py --memory        # bytes of memory per byte of source, check and fix
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import corpus  # noqa: E402

QUICK_PROJECTS = ("janus", "aiofiles", "a2wsgi", "trio-websocket")
BIN = Path(sys.executable).parent


@dataclass
class Measurement:
    key: str
    name: str
    files: int
    lines: int
    wall: float
    cpu: float
    peak_mb: float
    scale: float = 1.0  # total lines / measured lines, for a subset
    exit_status: int = 0
    walls: Tuple[float, ...] = ()  # every run's wall time, for a command run in rounds

    @property
    def scaled_wall(self) -> float:
        return self.wall * self.scale

    @property
    def scaled_cpu(self) -> float:
        return self.cpu * self.scale


def tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def measure(command: Sequence[str], cwd: Path, ok: Sequence[int] = (0, 1)) -> Tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, peak MB and exit status of COMMAND, run alone."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in ok:
        tail = stderr.decode(errors="replace").strip()[-800:]
        raise RuntimeError(f"{' '.join(command[:4])}... exited {process.returncode}: {tail}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode


@dataclass
class Workspace:
    """Copies of the corpus's checked files under one project root (a pyproject.toml)."""

    root: Path
    files: List[Path]
    lines: int

    @classmethod
    def build(cls, root: Path, projects: Dict[str, Path], copies: int) -> "Workspace":
        files: List[Path] = []
        for copy in range(copies):
            for name, folder in projects.items():
                for source in corpus.python_files(folder):
                    target = root / f"copy{copy}" / name / source.relative_to(folder)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target)
                    files.append(target)
        (root / "pyproject.toml").write_text('[project]\nname = "bench"\n')
        return cls(root, files, corpus.count_lines(files))

    def subset(self, max_lines: int) -> Tuple[List[Path], float]:
        """Every k-th file, k chosen so the subset has about MAX_LINES lines; and the scale."""
        if self.lines <= max_lines:
            return list(self.files), 1.0
        stride = math.ceil(self.lines / max_lines)
        chosen = self.files[::stride]
        return chosen, self.lines / max(1, corpus.count_lines(chosen))


def run(key: str, name: str, command: Sequence[str], space: Workspace, files: Optional[List[Path]] = None,
        scale: float = 1.0, ok: Sequence[int] = (0, 1)) -> Measurement:
    measured = space.files if files is None else files
    print(f"  {name}...", file=sys.stderr, flush=True)
    wall, cpu, peak, status = measure(command, space.root, ok)
    return Measurement(key, name, len(measured), corpus.count_lines(measured), wall, cpu, peak, scale, status)


def relative(files: Sequence[Path], root: Path) -> List[str]:
    return [str(f.relative_to(root)) for f in files]


def _parse(path: str) -> bool:
    import libcst

    try:
        libcst.parse_module(Path(path).read_bytes())
        return True
    except Exception:  # a file LibCST cannot parse still costs its attempt
        return False


def parse_all(list_file: str) -> None:
    """The bare-parse benchmark body: `libcst.parse_module` of every listed file, 2 processes."""
    import multiprocessing

    import libcst  # noqa: F401  # warm before forking, as dispatch-lint does

    paths = Path(list_file).read_text().splitlines()
    with multiprocessing.get_context("fork").Pool(2) as workers:
        sum(workers.imap_unordered(_parse, paths, chunksize=8))


def fast_benchmarks(space: Workspace, rounds: int) -> List[Measurement]:
    """The commands that take seconds, each run `rounds` times in interleaved
    rounds (so that each meets the machine's noise alike); each keeps the run
    of median wall time."""
    lint = [tool("dispatch-lint"), "check", "."]
    list_file = space.root / "files.txt"
    list_file.write_text("\n".join(map(str, space.files)) + "\n")
    commands = [
        ("cold", "dispatch-lint check (cold, --no-cache)", [*lint, "--no-cache"], (0, 1)),
        ("warm", "dispatch-lint check (warm cache)", lint, (0, 1)),
        ("parse", "libcst.parse_module of every file (2 processes)",
         [sys.executable, __file__, "--parse-files", str(list_file)], (0,)),
        ("ruff", "ruff check --preview --select RUF029 --no-cache",
         [tool("ruff"), "check", "--isolated", "--preview", "--select", "RUF029", "--no-cache", "--exit-zero", "."],
         (0,)),
    ]
    measure(lint, space.root)  # fills the cache
    samples: Dict[str, List[Measurement]] = {key: [] for key, *_ in commands}
    for _ in range(rounds):
        for key, name, command, ok in commands:
            samples[key].append(run(key, name, command, space, ok=ok))
    return [median_run(samples[key]) for key, *_ in commands]


def median_run(runs: Sequence[Measurement]) -> Measurement:
    """The run of median wall time (the lower of the two middle ones), with
    every run's wall time."""
    ordered = sorted(runs, key=lambda m: m.wall)
    return replace(ordered[(len(ordered) - 1) // 2], walls=tuple(m.wall for m in runs))


def benchmarks(space: Workspace, peer_lines: int, skip: Sequence[str], rounds: int) -> List[Measurement]:
    results = fast_benchmarks(space, rounds)
    # The peers of the speed targets run on a subset whose time is scaled up
    # many times, noise included: each keeps its run of median wall time too.
    if "fixit" not in skip:
        subset, scale = space.subset(peer_lines)
        command = [tool("fixit"), "lint", *relative(subset, space.root)]
        results.append(median_run([run("fixit", "fixit lint (default rules)", command, space, subset, scale)
                                   for _ in range(rounds)]))
    if "flake8-async" not in skip:
        subset, scale = space.subset(peer_lines)
        command = [*corpus.flake8_without_dsp(), "--isolated", "--select", "ASYNC124", "--exit-zero",
                   *relative(subset, space.root)]
        results.append(median_run([run("flake8-async", "flake8 --select ASYNC124 (flake8-async)", command, space,
                                       subset, scale, ok=(0,)) for _ in range(rounds)]))
    if "flake8" not in skip:
        # flake8 runs every installed plugin whatever is selected: the plugin's
        # cost is the difference between flake8 with and without it.
        subset, scale = space.subset(peer_lines)
        flake8_args = ["--isolated", "--extend-select", "DSP", "--exit-zero", *relative(subset, space.root)]
        pair = [("flake8-base", "flake8 without the DSP plugin", [*corpus.flake8_without_dsp(), *flake8_args]),
                ("flake8-dsp", "flake8 with the DSP plugin", [tool("flake8"), *flake8_args])]
        # Interleaved rounds, as the fast commands: the ratio of two single runs
        # is mostly the machine's noise.
        runs: Dict[str, List[Measurement]] = {key: [] for key, _, _ in pair}
        for _ in range(rounds):
            for key, name, command in pair:
                runs[key].append(run(key, name, command, space, subset, scale, ok=(0,)))
        results += [median_run(runs[key]) for key, _, _ in pair]
    return results


def scaling(projects: Dict[str, Path], temp: Path, factors: Sequence[int]) -> List[Measurement]:
    results = []
    for copies in factors:
        space = Workspace.build(temp / f"x{copies}", projects, copies)
        results.append(run(f"{copies}x", f"{copies}x", [tool("dispatch-lint"), "check", "--no-cache", "."], space))
        shutil.rmtree(space.root)
    return results


MEMORY_COPIES = 8


def memory_case(projects: Dict[str, Path], temp: Path) -> Measurement:
    """A cold check over MEMORY_COPIES copies of the corpus: its peak memory
    must stay flat as the code grows."""
    space = Workspace.build(temp / f"x{MEMORY_COPIES}", projects, MEMORY_COPIES)
    try:
        return run("memory", f"{MEMORY_COPIES}x", [tool("dispatch-lint"), "check", "--no-cache", "."], space)
    finally:
        shutil.rmtree(space.root)


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("dispatch-lint", "libcst", "ruff", "fixit", "flake8", "flake8-async"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            pass
    return ", ".join(found)


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def tool_table(results: Sequence[Measurement]) -> str:
    cold = results[0]
    rows = ["| what | files | lines | wall time | CPU time | peak memory | wall ratio to dispatch-lint cold |",
            "|---|---|---|---|---|---|---|"]
    for m in results:
        note = f" (measured on {m.lines:,} lines, scaled x{m.scale:.1f})" if m.scale != 1.0 else ""
        if len(m.walls) > 1:
            note += f" (median of {', '.join(f'{w * m.scale:.2f}' for w in m.walls)} s)"
        files, lines = (cold.files, cold.lines) if m.scale != 1.0 else (m.files, m.lines)
        rows.append(f"| {m.name}{note} | {files:,} | {lines:,} "
                    f"| {m.scaled_wall:.2f} s | {m.scaled_cpu:.2f} s | {m.peak_mb:.0f} MB "
                    f"| {m.scaled_wall / cold.wall:.2f}x |")
    return "\n".join(rows)


def scaling_table(results: Sequence[Measurement]) -> str:
    base = results[0]
    rows = ["| corpus copies | files | lines | wall time | CPU time | peak memory | time / 1x time |",
            "|---|---|---|---|---|---|---|"]
    rows += [f"| {m.name} | {m.files:,} | {m.lines:,} | {m.wall:.2f} s | {m.cpu:.2f} s | {m.peak_mb:.0f} MB "
             f"| {m.wall / base.wall:.2f} |" for m in results]
    return "\n".join(rows)


def targets_table(results: Sequence[Measurement], growth: Sequence[Measurement]) -> str:
    by_key = {m.key: m for m in [*results, *growth]}
    cold, warm = by_key["cold"], by_key["warm"]
    checks: List[Tuple[str, Callable[[], float], float, bool]] = [
        ("cold check / bare parse", lambda: cold.wall / by_key["parse"].wall, 0.3, False),
        ("warm check / ruff RUF029", lambda: warm.wall / by_key["ruff"].wall, 1.5, False),
        ("fixit lint / cold check", lambda: by_key["fixit"].scaled_wall / cold.wall, 50, True),
        ("flake8 ASYNC124 / cold check", lambda: by_key["flake8-async"].scaled_wall / cold.wall, 50, True),
        ("peak memory of cold check (MB)", lambda: cold.peak_mb, 250, False),
        ("flake8 with DSP / flake8 without", lambda: by_key["flake8-dsp"].wall / by_key["flake8-base"].wall, 1.1,
         False),
        ("4x corpus time / 1x time", lambda: by_key["4x"].wall / by_key["1x"].wall, 4.4, False),
        (f"peak memory of cold check, {MEMORY_COPIES}x corpus (MB)", lambda: by_key["memory"].peak_mb, 300, False),
    ]
    rows = ["| target | measured | goal | met |", "|---|---|---|---|"]
    for label, value, goal, at_least in checks:
        try:
            got = value()
        except (KeyError, IndexError):
            continue
        met = got >= goal if at_least else got <= goal
        rows.append(f"| {label} | {got:.2f} | {'>=' if at_least else '<='} {goal} | {'yes' if met else 'no'} |")
    return "\n".join(rows)


# -- memory per byte of source ---------------------------------------------------

MEMORY_SIZES_MB = (1, 2, 4)
SHORT_STATEMENT = "v{0} = {0}\n"
DEAD_ASYNC = "import asyncio\n\n\nasync def _helper():\n    return 1\n\n\nasync def main():\n    return await _helper()\n"


def generated_module(size: int) -> str:
    """About `size` bytes of short statements, with a dead-async helper so that
    LibCST parses it and `fix` has a cross-file-capable rewrite to make."""
    parts, total, n = [DEAD_ASYNC], len(DEAD_ASYNC), 0
    while total < size:
        parts.append(SHORT_STATEMENT.format(n))
        total += len(parts[-1])
        n += 1
    return "".join(parts)


def memory_per_byte(temp: Path, sizes_mb: Sequence[int]) -> List[Tuple[str, int, float, float]]:
    """(command, source bytes, peak MB, bytes of memory per byte of source) for
    `check` and `fix` on generated modules; the per-byte figure is the peak
    above the same command's peak on a one-line module, over the module's size."""
    commands = {"check": ["check", "--no-cache", "-j", "1", "--select", "DSP201", "."],
                "fix": ["fix", "--diff", "-j", "1", "--select", "DSP201", "."]}
    rows = []
    for name, arguments in commands.items():
        baseline = None
        for size in (0, *(mb * 1024 * 1024 for mb in sizes_mb)):
            project = temp / f"memory-{name}-{size}"
            project.mkdir()
            (project / "pyproject.toml").write_text(f'[project]\nname = "m"\n[tool.dispatch-lint]\n'
                                                    f"max-file-size = {1 << 30}\nmemory-budget = {1 << 40}\n")
            text = generated_module(size)
            (project / "big.py").write_text(text)
            _, _, peak, _ = measure([tool("dispatch-lint"), *arguments], project)
            if baseline is None:
                baseline = peak
                continue
            rows.append((name, len(text), peak, (peak - baseline) * 1024 * 1024 / len(text)))
    return rows


def memory_table(rows: Sequence[Tuple[str, int, float, float]]) -> str:
    lines = ["| command | module | peak | memory per byte of source |", "|---|---:|---:|---:|"]
    for name, size, peak, per_byte in rows:
        lines.append(f"| `{name}` | {size / 1024 / 1024:.1f} MB | {peak:,.0f} MB | {per_byte:,.0f} |")
    return "\n".join(lines)


def server_benchmark(cases: Sequence[str], from_dir: Optional[Path], json_out: Optional[Path]) -> int:
    """Only the language server: diagnostics after an edit (see server_latency.py).
    Each case is PROJECT or PROJECT:FILE."""
    import server_latency

    results = []
    for case in cases:
        name, _, file = case.partition(":")
        project = corpus.ensure([name], from_dir)[name]
        results.append(server_latency.measure(project, edits=40, lines=1000, file=file or None))
    print(f"Machine: {machine()}\n\n" + "\n\n".join(server_latency.table(result) for result in results))
    if json_out:
        json_out.write_text(json.dumps({"machine": machine(), "server": results}, indent=2) + "\n")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="projects (default: all pinned; --quick: four small ones)")
    parser.add_argument("--quick", action="store_true", help="small projects and subsets: a smoke test")
    parser.add_argument("--from-dir", type=Path, help="copy sdists from this folder instead of downloading")
    parser.add_argument("--peer-lines", type=int, help="lines to run fixit and flake8-async on (default 40000)")
    parser.add_argument("--skip", action="append", default=[], choices=("fixit", "flake8-async", "flake8", "scaling", "memory"))
    parser.add_argument("--json", metavar="OUT", type=Path, help="also write the measurements as JSON")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of each command that takes seconds (the median is kept; default 3)")
    parser.add_argument("--memory", action="store_true",
                        help="only measure memory per byte of source on generated modules (1, 2, 4 MB)")
    parser.add_argument("--server", metavar="PROJECT[:FILE]", nargs="+",
                        help="only time the language server's diagnostics after edits of FILE in PROJECT")
    parser.add_argument("--parse-files", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.server:
        return server_benchmark(args.server, args.from_dir, args.json)
    if args.parse_files:
        parse_all(args.parse_files)
        return 0
    if args.memory:
        with tempfile.TemporaryDirectory(prefix="dispatch-lint-memory-") as temp:
            print(memory_table(memory_per_byte(Path(temp), MEMORY_SIZES_MB)))
        return 0
    names = args.names or (list(QUICK_PROJECTS) if args.quick else None)
    peer_lines = args.peer_lines or (2000 if args.quick else 40000)
    try:
        projects = corpus.ensure(names, args.from_dir)
    except (corpus.CorpusUnavailable, ValueError) as exc:
        sys.stderr.write(f"bench: corpus unavailable: {exc}\n")
        return 2
    with tempfile.TemporaryDirectory(prefix="dispatch-lint-bench-") as temp:
        print(f"benchmarking {len(projects)} projects in {temp}", file=sys.stderr)
        space = Workspace.build(Path(temp) / "corpus", projects, 1)
        results = benchmarks(space, peer_lines, args.skip, args.rounds)
        growth = [] if "scaling" in args.skip else scaling(projects, Path(temp), (1, 2, 4))
        if "memory" not in args.skip:
            growth.append(memory_case(projects, Path(temp)))
    print(f"Machine: {machine()}  \nTools: {versions()}  \n"
          f"Corpus: {', '.join(f'{n}=={corpus.PINNED[n]}' for n in projects)} "
          f"({len(space.files):,} files, {space.lines:,} lines)\n")
    print(tool_table(results))
    if growth:
        print("\n" + scaling_table(growth))
    print("\n" + targets_table(results, growth))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "tools": [asdict(m) for m in results],
                                         "scaling": [asdict(m) for m in growth]}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
