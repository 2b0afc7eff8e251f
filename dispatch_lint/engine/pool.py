"""Run a function over many items in forked workers, in a deterministic order.

Workers are forked after the caller has loaded the parser and built shared
state, so they inherit both. If a worker dies (a native crash), the items it
had are run again one per process, and an item that kills its process is
reported through `on_crash` instead of taking the whole run down.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, List, Optional, Sequence

SYNC_THRESHOLD = 8


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _run_chunk(func: Callable[[Any], Any], chunk: Sequence[Any]) -> List[Any]:
    return [func(item) for item in chunk]


def run_all(
    func: Callable[[Any], Any],
    items: Sequence[Any],
    jobs: int,
    on_crash: Callable[[Any], Any],
    on_done: Optional[Callable[[int], None]] = None,
) -> List[Any]:
    """`[func(item) for item in items]`, in parallel when it pays off.

    `on_done(n)` is called in this process as each batch of `n` items completes."""
    done = on_done or (lambda n: None)
    if jobs <= 1 or len(items) < SYNC_THRESHOLD or not _can_fork():
        return [_counted(func, item, done) for item in items]
    size = max(1, min(64, len(items) // (jobs * 8) or 1))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    results: List[Any] = [None] * len(chunks)
    pending = list(range(len(chunks)))
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as executor:
            futures = {n: executor.submit(_run_chunk, func, chunks[n]) for n in pending}
            for n, future in futures.items():
                results[n] = future.result()
                done(len(chunks[n]))
    except BrokenProcessPool:
        for n, chunk in enumerate(chunks):
            if results[n] is None:
                results[n] = [_isolated(func, item, on_crash, context) for item in chunk]
    return [result for chunk in results for result in chunk]


def _counted(func: Callable[[Any], Any], item: Any, done: Callable[[int], None]) -> Any:
    result = func(item)
    done(1)
    return result


def _isolated(func: Callable[[Any], Any], item: Any, on_crash: Callable[[Any], Any], context: Any) -> Any:
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as executor:
        try:
            return executor.submit(func, item).result()
        except BrokenProcessPool:
            return on_crash(item)
