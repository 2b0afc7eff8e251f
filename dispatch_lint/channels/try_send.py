"""The try-send rewrite: `await q.put(x)` -> `q.put_nowait(x)`, optionally wrapped
so that a full inbox raises the project's overloaded error at once
(the `overloaded-error` setting: `inbox.py`).

Edits are text edits on the original file. The imports a wrapper needs are
computed with LibCST's `AddImportsVisitor` and turned into one edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Tuple, Union

import libcst as cst

from dispatch_lint.channels.inbox import module_name
from dispatch_lint.channels.anchors import AnchoredSend
from dispatch_lint.channels.tree import rule_tree
from dispatch_lint.cst_tree import module_cache
from dispatch_lint.engine.sources import line_starts
from dispatch_lint.types import Edit, Position

@dataclass(frozen=True)
class TrySend:
    """The edits of a try-send rewrite, or why there is none."""

    edits: Tuple[Edit, ...] = ()
    no_fix_reason: Optional[str] = None


def try_send(rule: Any, send: AnchoredSend, overloaded_error: str = "", capacity: Optional[str] = None) -> TrySend:
    """Rewrite `send` into its try-send. `capacity` is the literal the overloaded
    error reports (default: the channel's own capacity, `None` when unknown)."""
    call = send.call
    if call.lpar or (send.awaited is not None and send.awaited.lpar and overloaded_error):
        return TrySend(no_fix_reason="the send is parenthesised; rewrite it by hand")
    if send.end.keyword_try_send and not _keyword_addable(call, send.end.try_keyword[0]):
        return TrySend(no_fix_reason=f"the call passes `{send.end.try_keyword[0]}` or hides its arguments; "
                                     "choose the non-blocking form by hand")
    if send.end.keyword_try_send:
        edits: List[Edit] = [rule.replace(call, try_call(send))]
    else:
        edits = [rule.replace(call.func.attr, send.end.try_send)]
    if send.awaited is not None:
        edits.append(_delete_between(rule, send.awaited, call))
    if not overloaded_error:
        return TrySend(tuple(edits))
    return _wrapped(rule, send, overloaded_error, capacity)


def try_call(send: AnchoredSend) -> cst.Call:
    """The try-send call: the method renamed, or the keyword added."""
    call, end = send.call, send.end
    if not end.keyword_try_send:
        return call.with_changes(func=call.func.with_changes(attr=cst.Name(end.try_send)))
    keyword, value = end.try_keyword  # type: ignore[misc]
    added = cst.Arg(value=cst.parse_expression(value), keyword=cst.Name(keyword),
                    equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
    return call.with_changes(args=[*call.args, added])


def _keyword_addable(call: cst.Call, keyword: str) -> bool:
    return not any(arg.star or (arg.keyword is not None and arg.keyword.value == keyword) for arg in call.args)


def _delete_between(rule: Any, outer: cst.CSTNode, inner: cst.CSTNode) -> Edit:
    """Delete the text from the start of `outer` to the start of `inner` (`await `)."""
    start = rule.node_range(outer).start
    end = rule.node_range(inner).start
    return Edit(rule.context.path, Position(start.line, start.column + 1), Position(end.line, end.column + 1), "")


def _wrapped(rule: Any, send: AnchoredSend, overloaded_error: str, capacity: Optional[str]) -> TrySend:
    statement = _own_statement(rule, send)
    if not isinstance(statement, cst.Expr):
        return TrySend(no_fix_reason=statement)
    error_module, error_class = overloaded_error.split(":")
    full_module, full_name = send.end.full_error.rsplit(".", 1)
    imports: List[Tuple[str, Optional[str]]] = []
    for module, name in ((full_module, None), (error_module, error_class)):
        state = _binding_state(rule, send.call, module, name)
        if state == "other":
            shown = name or module
            return TrySend(no_fix_reason=f"`{shown}` names something else here; import it by hand")
        if state == "missing":
            imports.append((module, name))
    module_code = rule.context.module
    start = rule.node_range(statement).start
    line_start = line_starts(rule.context.text)[start.line - 1]
    indent = rule.context.text[line_start:line_start + start.column]
    step = module_code.default_indent
    binding = send.binding
    size = capacity if capacity is not None else _capacity_literal(binding.capacity)
    renamed = try_call(send)
    text = (
        f"try:\n{indent}{step}{module_code.code_for_node(renamed)}\n"
        f"{indent}except {full_module}.{full_name}:\n"
        f"{indent}{step}raise {error_class}({_quote(binding.name if binding.names else send.receiver)}, "
        f"{size}, {_quote(send.end.send)}) from None"
    )
    edits = [rule.replace(statement, text)]
    if imports:
        edits.append(import_edit(rule, tuple(imports)))
    return TrySend(tuple(edits))


def _own_statement(rule: Any, send: AnchoredSend) -> Union[cst.Expr, str]:
    """The `await ch.put(x)` expression statement, alone on its line; else why not."""
    tree = rule_tree(rule)
    expr = tree.parent(send.awaited) if send.awaited is not None else None
    if not isinstance(expr, cst.Expr):
        return "the send is part of a larger expression; the overloaded-error wrapper needs a statement of its own"
    line = tree.parent(expr)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return "the send shares its line with other code; the overloaded-error wrapper needs a line of its own"
    return expr


def _binding_state(rule: Any, at: cst.CSTNode, module: str, name: Optional[str]) -> str:
    """Whether `module` (or `name` from it) is "imported" where `at` runs, "missing", or "other"."""
    scope = rule_tree(rule).scope(at)
    local = name or module.split(".")[0]
    if scope is None or local not in scope:
        if name is not None and module == module_name(rule.context.path):
            return "other"  # the class should be defined here but is not
        return "missing"
    for assignment in scope[local]:
        node = getattr(assignment, "node", None)
        if isinstance(node, cst.ClassDef) and name is not None and module == module_name(rule.context.path):
            continue
        if not _imports(node, module, name):
            return "other"
    return "imported"


def _imports(node: Any, module: str, name: Optional[str]) -> bool:
    if name is None and isinstance(node, cst.Import):
        return any(alias.asname is None and alias.evaluated_name.split(".")[0] == module.split(".")[0]
                   and (alias.evaluated_name + ".").startswith(module + ".") for alias in node.names)
    if name is not None and isinstance(node, cst.ImportFrom) and not node.relative and node.module is not None:
        names = node.names if isinstance(node.names, (list, tuple)) else ()
        return cst.helpers.get_full_name_for_node(node.module) == module and any(
            alias.evaluated_name == name and (alias.asname is None or alias.evaluated_alias == name)
            for alias in names
        )
    return False


_IMPORT_EDITS: List[Tuple[cst.Module, Tuple[Tuple[str, Optional[str]], ...], Edit]] = module_cache()


def import_edit(rule: Any, imports: Tuple[Tuple[str, Optional[str]], ...]) -> Edit:
    """One edit adding `imports` (`(module, None)` or `(module, name)`) where
    LibCST's AddImportsVisitor puts them."""
    # Imported here: libcst.codemod costs a few tenths of a second to load.
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    module = rule.context.module
    for cached_module, cached_imports, edit in _IMPORT_EDITS:
        if cached_module is module and cached_imports == imports:
            return edit
    context = CodemodContext()
    for source, name in imports:
        AddImportsVisitor.add_needed_import(context, source, name)
    after = AddImportsVisitor(context).transform_module(module).code
    edit = _text_edit(rule.context.path, module.code, after)
    if _IMPORT_EDITS and _IMPORT_EDITS[0][0] is not module:
        _IMPORT_EDITS.clear()
    _IMPORT_EDITS.append((module, imports, edit))
    return edit


def _text_edit(path: str, before: str, after: str) -> Edit:
    """The single edit turning `before` into `after`, anchored at line starts."""
    prefix = 0
    limit = min(len(before), len(after))
    while prefix < limit and before[prefix] == after[prefix]:
        prefix += 1
    prefix = before.rfind("\n", 0, prefix) + 1
    suffix = 0
    while suffix < limit - prefix and before[-1 - suffix] == after[-1 - suffix]:
        suffix += 1
    starts = line_starts(before)
    end = len(before) - suffix
    return Edit(path, _position(starts, prefix), _position(starts, end), after[prefix:len(after) - suffix])


def _position(starts: List[int], offset: int) -> Position:
    line = max(i for i, start in enumerate(starts) if start <= offset)
    return Position(line + 1, offset - starts[line] + 1)


def _capacity_literal(capacity: Any) -> str:
    return "None" if capacity.size is None or capacity.unbounded else str(int(capacity.size))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
