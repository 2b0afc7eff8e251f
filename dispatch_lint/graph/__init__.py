"""The channel graph: who sends to which channel, and who drains it.

`types` holds the plain graph (no LibCST, no model); `cycles` finds cycles of
awaited bounded sends in it; `facts` builds it from the project's channel
provenance; `dot`, `mermaid` and `html` render it.
"""
