"""`python -m dispatch_lint`."""

import os
import sys

# `python -m` puts the working folder first on sys.path, so a checked project's
# own `ast.py` or `tokenize.py` would shadow the standard library and run when
# the engine imports it. Analysed code must never run: drop that entry, as -P does.
if sys.path and not sys.flags.safe_path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from dispatch_lint.frontends.cli import main  # noqa: E402

raise SystemExit(main())
