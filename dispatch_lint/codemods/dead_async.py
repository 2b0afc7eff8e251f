"""DSP201 as a codemod: `dead_async.DropDeadAsync`."""

from dispatch_lint.codemods.base import RuleCodemod


class DropDeadAsync(RuleCodemod):
    DESCRIPTION = ("DSP201: drop `async` from functions that never await, and `await` "
                   "from their call sites in the same file (one pass; `dispatch-lint fix` cascades).")
    CODE = "DSP201"
