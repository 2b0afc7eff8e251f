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
    imports = extractor.imports
    sites = []
    for name, receiver, raw, enclosing_class, line, column, end_column in extractor.sites:
        if receiver.startswith("name:"):
            origin = imports.get(receiver[5:])
            receiver = f"mod:{origin}" if origin else "?"
        target = imports.get(raw) if raw else None
        sites.append(AwaitSite(name, receiver, target, enclosing_class, line, column, end_column))
    module_attrs: Dict[Tuple[str, str], int] = {}
    for receiver, attr, kind in extractor.receivers:
        key = (imports[receiver], attr)  # receivers were imported names when noted
        module_attrs[key] = module_attrs.get(key, 0) | kind
    names = extractor.names
    if not extractor.star:  # plain names only when imported or defined async here
        keep = {*imports, *(d.name for d in extractor.defs)}
        names = {n: entry for n, entry in names.items() if n in keep}
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
        name_refs=_positions(extractor, names),
        attr_refs=_positions(extractor, extractor.attrs),
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
    if decorators == fact.decorators and needs_loop == fact.needs_loop and not alternative:
        return fact
    return replace(fact, decorators=decorators, needs_loop=needs_loop, awaiting_alternative=alternative)


def _positions(extractor: Any, table: Dict[str, List[int]]) -> Dict[str, Tuple[int, int, int]]:
    """(kinds, line, character column) of each entry noted as [kinds, line, byte column]."""
    if extractor.ascii:
        return dict(zip(table, map(tuple, table.values())))
    return {n: (kinds, line, extractor.char_col(line, column - 1)) for n, (kinds, line, column) in table.items()}
