"""Plain data types shared by every layer: findings, edits and fixes.

Lines are 1-based; columns are 1-based character offsets within the line, as
printed by the command. Nothing here imports LibCST, so the front ends can load
cached results without paying for the parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional, Tuple


class Applicability(str, Enum):
    """How safe a fix is, as in ruff: safe fixes apply by default."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, order=True)
class Position:
    line: int
    column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text between two positions of one file."""

    path: str
    start: Position
    end: Position
    content: str

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "location": {"line": self.start.line, "column": self.start.column},
            "end_location": {"line": self.end.line, "column": self.end.column},
            "content": self.content,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Edit":
        return cls(
            data["path"],
            Position(data["location"]["line"], data["location"]["column"]),
            Position(data["end_location"]["line"], data["end_location"]["column"]),
            data["content"],
        )


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    edits: Tuple[Edit, ...]
    description: str

    def to_dict(self) -> dict:
        return {
            "applicability": self.applicability.value,
            "description": self.description,
            "edits": [edit.to_dict() for edit in self.edits],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Fix":
        return cls(
            Applicability(data["applicability"]),
            tuple(Edit.from_dict(e) for e in data["edits"]),
            data["description"],
        )


@dataclass(frozen=True)
class Related:
    """Another place a finding points at, such as where its channel was built."""

    path: str
    line: int
    column: int
    message: str

    def to_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "column": self.column, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict) -> "Related":
        return cls(data["path"], data["line"], data["column"], data["message"])


@dataclass(frozen=True)
class Diagnostic:
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    name: str
    message: str
    fix: Optional[Fix] = None
    # Why no fix is offered, when the rule knows (shown by `fix`).
    no_fix_reason: Optional[str] = None
    extra: Tuple[Tuple[str, Any], ...] = field(default=(), compare=False)
    related: Tuple[Related, ...] = ()

    @property
    def help(self) -> Optional[str]:
        """The rule's how-to for this finding (shown once per rule by the text format)."""
        return dict(self.extra).get("help")

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.code, self.message)

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "message": self.message,
            "fix": self.fix.to_dict() if self.fix else None,
            "no_fix_reason": self.no_fix_reason,
            "related": [r.to_dict() for r in self.related],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Diagnostic":
        return cls(
            data["path"],
            data["line"],
            data["column"],
            data["end_line"],
            data["end_column"],
            data["code"],
            data["name"],
            data["message"],
            Fix.from_dict(data["fix"]) if data.get("fix") else None,
            data.get("no_fix_reason"),
            related=tuple(Related.from_dict(r) for r in data.get("related", ())),
        )


class ConfigError(Exception):
    """A usage or configuration problem: reported in one line, exit status 2."""


class InternalError(Exception):
    """A bug met while analysing `path`: reported as one line, exit status 2."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(path, detail)
        self.path = path
        self.detail = detail
