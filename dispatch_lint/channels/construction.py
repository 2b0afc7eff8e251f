"""A channel construction on the LibCST tree of a file that holds a finding:
where its capacity argument stands (for the rewrite), and the capacity a send
verdict carries. What a construction builds and its capacity are the model's
(channels/provenance.py, channels/capacity.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import libcst as cst

from dispatch_lint.channels.table import ChannelKind


@dataclass(frozen=True)
class ChannelCapacity:
    """`unbounded`, or bounded with `size` (None when not known statically)."""

    unbounded: bool
    size: Optional[float]
    argument: Optional[cst.Arg]  # the capacity argument as written, if any

    def describe(self) -> str:
        if self.unbounded:
            return "unbounded"
        if self.size is None:
            return "bounded (size not known statically)"
        return f"capacity {int(self.size)}"


def capacity_argument(call: cst.Call, kind: ChannelKind) -> Optional[cst.Arg]:
    spec = kind.capacity
    if spec.fixed_unbounded:
        return None
    positional = [a for a in call.args if a.keyword is None and a.star == ""]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == spec.keyword:
            return arg
    if spec.position is not None and len(positional) > spec.position:
        return positional[spec.position]
    return None
