"""Every rule, in code order. A new rule is one module here and one line below."""

from typing import Tuple, Type

from dispatch_lint.rule import Rule

ALL_RULES: Tuple[Type[Rule], ...] = ()
