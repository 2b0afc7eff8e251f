"""Finishing one file's index facts after the `ast` walk: names are resolved
through the file's imports only now, when all of them are known."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, List, Tuple

from dispatch_lint.engine.facts_data import LOOP_CALLS, AsyncDefFact, AwaitSite, ClassFact, FileFacts

_BUILTIN_BASES = frozenset(dir(__import__("builtins")))


def finish_facts(extractor: Any, path: str, public: bool) -> FileFacts:
    """The file's facts once the walk is done: names resolved through all its imports."""

    def resolve(base: str) -> str:
        head, _, rest = base.partition(".")
        origin = extractor.imports.get(head)
        if origin is None:
            if head in _BUILTIN_BASES or "=" in base or not extractor.module:
                return base
            return f"{extractor.module}.{base}"
        return f"{origin}.{rest}" if rest else origin

    classes = tuple(
        ClassFact(q, line, tuple(resolve(b) for b in bases), tuple(sorted(m.items())), stubs)
        for q, line, bases, m, stubs in extractor.classes
    )
    defs = tuple(_resolved_def(extractor, d, i) for i, d in enumerate(extractor.defs))
    sites = []
    for site, raw in extractor.sites:
        receiver = site.receiver
        if receiver.startswith("name:"):
            origin = extractor.imports.get(receiver[5:])
            receiver = f"mod:{origin}" if origin else "?"
        target = extractor.imports.get(raw) if raw else None
        sites.append(AwaitSite(site.name, receiver, target, site.enclosing_class,
                               site.line, site.column, site.end_column))
    keep = set(extractor.imports) | {d.name for d in extractor.defs}
    if extractor.star:
        keep = set(extractor.names)
    module_attrs: Dict[Tuple[str, str], int] = {}
    for receiver, attr, kind in extractor.receivers:
        origin = extractor.imports.get(receiver)
        if origin is not None:
            module_attrs[(origin, attr)] = module_attrs.get((origin, attr), 0) | kind
    return FileFacts(
        path=path,
        module=extractor.module,
        public=public,
        defs=defs,
        classes=classes,
        imports=dict(extractor.imports),
        star_imports=tuple(extractor.star),
        import_alternatives=tuple(extractor.alternatives),
        await_sites=tuple(sites),
        name_refs={n: _position(extractor, v) for n, v in extractor.names.items() if n in keep},
        attr_refs={n: _position(extractor, v) for n, v in extractor.attrs.items()},
        module_attr_refs=module_attrs,
        async_mocked=frozenset(extractor.mocked),
    )


def _resolve_call(extractor: Any, name: str) -> str:
    """Like LibCST's qualified names: through imports, builtins as `builtins.x`."""
    head, _, rest = name.partition(".")
    origin = extractor.imports.get(head)
    if origin is None:
        return f"builtins.{name}" if head in _BUILTIN_BASES else name
    return f"{origin}.{rest}" if rest else origin


def _resolved_def(extractor: Any, fact: AsyncDefFact, number: int) -> AsyncDefFact:
    """Decorators resolved; whether it needs a loop, or has an awaiting alternative."""
    branch = extractor.def_branches[number]
    alternative = branch is not None and any(
        other.awaits and other.name == fact.name and extractor.def_branches[i] == branch and i != number
        for i, other in enumerate(extractor.defs)
    )
    needs_loop = fact.needs_loop or any(
        callee.partition(".")[0] in extractor.imports and _resolve_call(extractor, callee) in LOOP_CALLS
        for callee in extractor.loop_calls[number]
    )
    decorators = tuple(_resolve_call(extractor, x) if x != "?" else x for x in fact.decorators)
    return replace(fact, decorators=decorators, needs_loop=needs_loop, awaiting_alternative=alternative)


def _position(extractor: Any, entry: List[int]) -> Tuple[int, int, int]:
    return entry[0], entry[1], extractor.char_col(entry[1], entry[2])
