"""Findings the engine itself reports about files it cannot analyse."""

from __future__ import annotations

from dispatch_lint.types import Diagnostic


class SyntaxErrorProblem:
    """## What it does
Reports a file that does not parse: a syntax error, code for an older Python
(such as Python 2), or expressions nested too deeply to parse safely.

## Why is this bad?
No rule can check a file that does not parse. dispatch-lint reports it and goes
on with the other files; it never crashes on such a file.

## Example
```python
print "hello"
```

## Use instead
```python
print("hello")
```

## Fix safety
There is no fix.

## Options
None.
"""

    CODE = "DSP001"
    NAME = "syntax-error"
    MESSAGE = "file does not parse"


class UnreadableFileProblem:
    """## What it does
Reports a file that cannot be read or decoded: it vanished, permission was
denied, it is not valid in its declared encoding (UTF-8 by default), or it
contains a null byte.

## Why is this bad?
The file cannot be checked. The other files are still checked.

## Example
A file saved as Latin-1 with no `# -*- coding: latin-1 -*-` cookie.

## Use instead
Save the file as UTF-8, or declare its encoding with a PEP 263 cookie.

## Fix safety
There is no fix.

## Options
None.
"""

    CODE = "DSP002"
    NAME = "unreadable-file"
    MESSAGE = "file cannot be read or decoded"


PROBLEMS = (SyntaxErrorProblem, UnreadableFileProblem)


def problem(kind: type, path: str, line: int, column: int, message: str) -> Diagnostic:
    return Diagnostic(path, line, column, line, column, kind.CODE, kind.NAME, message)
