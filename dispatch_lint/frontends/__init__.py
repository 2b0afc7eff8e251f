"""Front ends: the command, the flake8 plugin (the codemods live in dispatch_lint.codemods)."""
