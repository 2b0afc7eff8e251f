"""Run a function over many items in forked workers, in a deterministic order.

Workers are forked after the caller has loaded the parser and built shared
state, so they inherit both and only item numbers and results cross the pipes.
Items go out largest first, in chunks of similar weight, so that no worker is
left with a big file at the end. If a worker dies (a native crash), its chunks
are run again in fresh processes, halved until the item that kills its process
is alone; that item is reported through `on_crash`, and every other item is kept.

The cyclic garbage collector is paused while items run: parsers allocate
millions of objects, and with many results alive its automatic full
collections cost a fifth of the run. Each item's own cycles are collected
(a young-generation collection) when it finishes.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

# Fewer items than this run in this process: forking would cost more than it saves.
SYNC_THRESHOLD = 8
# Chunks per worker: enough to balance the load, few enough to keep pipe traffic low.
CHUNKS_PER_JOB = 8
MAX_CHUNK = 64
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def forks(items: int, jobs: int) -> bool:
    """Whether `run_all` runs this many items in forked workers."""
    return jobs > 1 and items >= SYNC_THRESHOLD and _can_fork()


def _die_with_parent(parent: int) -> None:
    """Worker start-up (Linux): be killed when the parent dies, so that a killed
    run leaves no workers behind."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


# Young objects collected at once (the collector is paused while files are analysed):
# enough that most garbage has been freed by then, few enough to bound cycles' memory.
YOUNG_OBJECTS = 200_000


def _executor(jobs: int, context: Any) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                               initializer=_die_with_parent, initargs=(os.getpid(),))


def _run_chunk(func: Callable[[Any], Any], chunk: Sequence[Any]) -> List[Any]:
    return [_run_one(func, item) for item in chunk]


def _run_one(func: Callable[[Any], Any], item: Any) -> Any:
    result = func(item)
    if gc.get_count()[0] > YOUNG_OBJECTS:
        gc.collect(0)
    return result


@contextmanager
def _paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def chunked(items: Sequence[Any], jobs: int, weight: Optional[Callable[[Any], int]] = None) -> List[List[int]]:
    """Positions of `items`, heaviest first, cut into chunks of similar total weight."""
    sizes = [max(1, weight(item)) if weight else 1 for item in items]
    order = sorted(range(len(items)), key=lambda n: -sizes[n])
    target = max(1, sum(sizes) // (jobs * CHUNKS_PER_JOB))
    chunks: List[List[int]] = []
    current: List[int] = []
    load = 0
    for n in order:
        current.append(n)
        load += sizes[n]
        if load >= target or len(current) >= MAX_CHUNK:
            chunks.append(current)
            current, load = [], 0
    if current:
        chunks.append(current)
    return chunks


def run_all(
    func: Callable[[Any], Any],
    items: Sequence[Any],
    jobs: int,
    on_crash: Callable[[Any], Any],
    on_done: Optional[Callable[[int], None]] = None,
    weight: Optional[Callable[[Any], int]] = None,
    arrive: Optional[Callable[[Any], Any]] = None,
) -> List[Any]:
    """`[arrive(func(item)) for item in items]`, in parallel when it pays off.

    `weight(item)` estimates an item's cost (say, its size); `on_done(n)` is
    called in this process as each batch of `n` items completes, and `arrive`
    (the identity by default) as each result reaches it."""
    done = on_done or (lambda n: None)
    arrived = arrive or (lambda result: result)
    with _paused_gc():
        if not forks(len(items), jobs):
            return [arrived(_counted(func, item, done)) for item in items]
        return _run_forked(func, items, jobs, on_crash, done, weight, arrived)


def _run_forked(func: Callable[[Any], Any], items: Sequence[Any], jobs: int, on_crash: Callable[[Any], Any],
                done: Callable[[int], None], weight: Optional[Callable[[Any], int]],
                arrive: Callable[[Any], Any]) -> List[Any]:
    chunks = chunked(items, jobs, weight)
    finished: Dict[int, List[Any]] = {}
    context = multiprocessing.get_context("fork")
    try:
        with _executor(jobs, context) as executor:
            futures = [executor.submit(_run_chunk, func, [items[n] for n in chunk]) for chunk in chunks]
            for c, future in enumerate(futures):
                finished[c] = [arrive(result) for result in future.result()]
                done(len(chunks[c]))
    except BrokenProcessPool:
        _keep_completed(futures, finished, arrive)
        for c, chunk in enumerate(chunks):
            if c not in finished:
                finished[c] = [arrive(result) for result in _rescue(func, [items[n] for n in chunk], on_crash, context)]
                done(len(chunk))
    results: List[Any] = [None] * len(items)
    for c, chunk in enumerate(chunks):
        for n, result in zip(chunk, finished[c]):
            results[n] = result
    return results


def _keep_completed(futures: Sequence[Future], finished: Dict[int, List[Any]], arrive: Callable[[Any], Any]) -> None:
    for c, future in enumerate(futures):
        if c not in finished and future.done() and not future.cancelled() and future.exception() is None:
            finished[c] = [arrive(result) for result in future.result()]


def _counted(func: Callable[[Any], Any], item: Any, done: Callable[[int], None]) -> Any:
    result = _run_one(func, item)
    done(1)
    return result


def _rescue(func: Callable[[Any], Any], chunk: List[Any], on_crash: Callable[[Any], Any], context: Any) -> List[Any]:
    """Run `chunk` in a fresh process; if that dies too, halve it until the culprit is alone."""
    try:
        with _executor(1, context) as executor:
            return executor.submit(_run_chunk, func, chunk).result()
    except BrokenProcessPool:
        if len(chunk) == 1:
            return [on_crash(chunk[0])]
        middle = len(chunk) // 2
        return (_rescue(func, chunk[:middle], on_crash, context)
                + _rescue(func, chunk[middle:], on_crash, context))
