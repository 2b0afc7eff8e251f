"""Calls that need a running event loop (or ask which one runs)."""

from __future__ import annotations

from typing import Any, Dict, List

from dispatch_lint.model.expr import dotted_name

LOOP_CALLS = frozenset({"asyncio.get_running_loop", "asyncio.get_event_loop", "asyncio.create_task",
                        "asyncio.ensure_future", "asyncio.Future", "asyncio.current_task",
                        "sniffio.current_async_library", "trio.lowlevel.current_task",
                        "anyio.get_current_task", "anyio.Event", "anyio.Lock", "anyio.Semaphore",
                        "anyio.Condition", "anyio.CapacityLimiter",
                        "anyio.to_thread.current_default_thread_limiter",
                        "trio.to_thread.current_default_thread_limiter"})
# Methods that need one, whatever their receiver.
LOOP_METHODS = frozenset({"create_task", "create_future", "ensure_future", "call_soon", "call_later",
                          "call_at", "run_in_executor", "start_soon"})
LOOP_NAMES = LOOP_METHODS | frozenset(name.rpartition(".")[2] for name in LOOP_CALLS)


def calls_need_loop(callees: List[Any], imports: Dict[str, str]) -> bool:
    """Whether any callee (an expression, or "*" for a loop method) needs a loop,
    names resolved through the module's imports."""
    for callee in callees:
        if callee == "*":
            return True
        name = dotted_name(callee)
        if name is None:
            continue
        head, _, rest = name.partition(".")
        origin = imports.get(head)
        if origin is not None and (f"{origin}.{rest}" if rest else origin) in LOOP_CALLS:
            return True
    return False
