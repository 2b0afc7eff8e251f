"""DSP201 as a codemod: `dead_async.DropDeadAsync`."""

from dispatch_lint.codemods.base import RuleCodemod


class DropDeadAsync(RuleCodemod):
    DESCRIPTION = ("DSP201: drop `async` from functions that never await, and `await` "
                   "from their call sites (in every given file, cascade included).")
    CODE = "DSP201"
