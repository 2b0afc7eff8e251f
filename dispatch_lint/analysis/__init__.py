"""Project-wide reasoning that rules reach through `dispatch_lint.api`."""
