"""LibCST's scopes of a module, without MetadataWrapper's extra passes.

`MetadataWrapper.resolve(ScopeProvider)` runs two rounds (the expression
contexts, then the scopes), each with a batched walk of the whole tree on top
of the provider's own visitor, and each walk rebuilds every node. `scope_map`
runs the scope visitor once, fed with `expression_contexts`: the mapping
ExpressionContextProvider computes, taken here over the child fields
(`cst_tree.child_nodes`) instead of a rebuilding visitor. Both equal the
providers' mappings (tests/test_cst_tree.py, and the whole corpus was checked).
"""

from __future__ import annotations

from typing import Callable, Dict, Mapping, Sequence

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, Scope, ScopeProvider

from dispatch_lint.cst_tree import child_nodes

LOAD, STORE, DEL = ExpressionContext.LOAD, ExpressionContext.STORE, ExpressionContext.DEL

Contexts = Dict[cst.CSTNode, ExpressionContext]


def scope_map(module: cst.Module) -> Mapping[cst.CSTNode, Scope]:
    """ScopeProvider's scope of every node, as `MetadataWrapper.resolve` gives it."""
    scopes = ScopeProvider()
    scopes.metadata = {ExpressionContextProvider: expression_contexts(module)}  # as the wrapper hands it
    scopes.visit_Module(module)  # the provider's own visitor, over the whole module
    return scopes._computed


def expression_contexts(module: cst.Module) -> Contexts:
    """ExpressionContextProvider's mapping: LOAD, STORE or DEL for names,
    attributes, subscripts, tuples, lists and starred elements."""
    found: Contexts = {}
    _visit(module, LOAD, found)
    return found


def _visit(node: cst.CSTNode, context: ExpressionContext, found: Contexts) -> None:
    """ExpressionContextVisitor's visit of `node`: its `visit_<Node>` method, or
    the children in the same context."""
    special = _SPECIAL.get(type(node))
    if special is not None:
        special(node, context, found)
        return
    if type(node) in _MARKED:  # Tuple, List, StarredElement: marked, then the children
        found[node] = context
    for child in child_nodes(node):
        _visit(child, context, found)


def _assign(node: cst.Assign, context: ExpressionContext, found: Contexts) -> None:
    for target in node.targets:
        _visit(target, STORE, found)
    _visit(node.value, context, found)


def _ann_assign(node: cst.AnnAssign, context: ExpressionContext, found: Contexts) -> None:
    _visit(node.target, STORE, found)
    _visit(node.annotation, context, found)
    if node.value:
        _visit(node.value, context, found)


def _target_and_value(node: cst.CSTNode, context: ExpressionContext, found: Contexts) -> None:
    """AugAssign and NamedExpr."""
    _visit(node.target, STORE, found)
    _visit(node.value, context, found)


def _name(node: cst.Name, context: ExpressionContext, found: Contexts) -> None:
    found[node] = context


def _as_name(node: cst.AsName, context: ExpressionContext, found: Contexts) -> None:
    _visit(node.name, STORE, found)


def _comp_for(node: cst.CompFor, context: ExpressionContext, found: Contexts) -> None:
    _visit(node.target, STORE, found)
    _visit(node.iter, context, found)
    for condition in node.ifs:
        _visit(condition, context, found)
    if node.inner_for_in:
        _visit(node.inner_for_in, context, found)


def _for(node: cst.For, context: ExpressionContext, found: Contexts) -> None:
    _visit(node.target, STORE, found)
    _visit(node.iter, context, found)
    _visit(node.body, context, found)
    if node.orelse:
        _visit(node.orelse, context, found)


def _del(node: cst.Del, context: ExpressionContext, found: Contexts) -> None:
    _visit(node.target, DEL, found)


def _attribute(node: cst.Attribute, context: ExpressionContext, found: Contexts) -> None:
    found[node] = context
    _visit(node.value, LOAD, found)  # not `attr`: it has no context


def _subscript(node: cst.Subscript, context: ExpressionContext, found: Contexts) -> None:
    found[node] = context
    _visit(node.value, LOAD, found)
    elements = node.slice if isinstance(node.slice, Sequence) else (node.slice,)
    for element in elements:
        _visit(element, LOAD, found)


def _class_def(node: cst.ClassDef, context: ExpressionContext, found: Contexts) -> None:
    _visit(node.name, STORE, found)
    for part in (node.body, *node.bases, *node.keywords, *node.decorators):
        _visit(part, context, found)


def _function_def(node: cst.FunctionDef, context: ExpressionContext, found: Contexts) -> None:
    _visit(node.name, STORE, found)
    for part in (node.params, node.body, *node.decorators):
        _visit(part, context, found)
    if node.returns:
        _visit(node.returns, context, found)


def _param(node: cst.Param, context: ExpressionContext, found: Contexts) -> None:
    _visit(node.name, STORE, found)
    if node.annotation:
        _visit(node.annotation, context, found)
    if node.default:
        _visit(node.default, context, found)


_SPECIAL: Dict[type, Callable[..., None]] = {
    cst.Assign: _assign,
    cst.AnnAssign: _ann_assign,
    cst.AugAssign: _target_and_value,
    cst.NamedExpr: _target_and_value,
    cst.Name: _name,
    cst.AsName: _as_name,
    cst.CompFor: _comp_for,
    cst.For: _for,
    cst.Del: _del,
    cst.Attribute: _attribute,
    cst.Subscript: _subscript,
    cst.ClassDef: _class_def,
    cst.FunctionDef: _function_def,
    cst.Param: _param,
}
_MARKED = frozenset({cst.Tuple, cst.List, cst.StarredElement})
