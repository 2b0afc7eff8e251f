"""The public face for rule authors: rules import from here and nowhere else."""

from dispatch_lint.config import Option
from dispatch_lint.rule import Invalid, Rule, RuleContext, Valid
from dispatch_lint.types import Applicability, Diagnostic, Edit, Fix, Position

__all__ = [
    "Applicability",
    "Diagnostic",
    "Edit",
    "Fix",
    "Invalid",
    "Option",
    "Position",
    "Rule",
    "RuleContext",
    "Valid",
]
