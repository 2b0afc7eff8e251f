"""What the channel code asks about a module: parents, scopes, qualified names, positions.

`module_tree(module, text)` computes them once per module for the four channel
rules, with `dispatch_lint.cst_tree` and `engine.cst_scopes` rather than through
LibCST metadata providers: parents and positions for the top-level statements
asked about (`cst_tree.StatementTrees`), scopes one run of LibCST's scope
visitor, only when a scope or a qualified name is first asked for;
qualified names are asked of the scopes only for the nodes that need them
(call targets, decorators, bases, factories), once each. Every answer equals
what ParentNodeProvider, ScopeProvider, QualifiedNameProvider and
PositionProvider give.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Tuple

import libcst as cst
from libcst.metadata import CodeRange, Scope

from dispatch_lint.engine.cst_scopes import scope_map
from dispatch_lint.cst_tree import StatementTrees, module_cache, statement_trees


class ModuleTree:
    def __init__(self, module: cst.Module, text: Optional[str] = None) -> None:
        """`text`: what `module` was parsed from (without it, every answer is
        computed for the whole module at once)."""
        self.module = module
        self._trees: StatementTrees = statement_trees(module, text)
        self._scope_map: Optional[Mapping[cst.CSTNode, Scope]] = None  # computed when first asked
        self._names: Dict[cst.CSTNode, FrozenSet[str]] = {}

    @property
    def _scopes(self) -> Mapping[cst.CSTNode, Scope]:
        if self._scope_map is None:
            self._scope_map = scope_map(module=self.module)
        return self._scope_map

    def nodes_on(self, line: int) -> Tuple[int, List[cst.CSTNode]]:
        """The number of the top-level statement holding `line` and its nodes, in
        ParentNodeProvider's order (-1 and every node, once the whole module was computed)."""
        return self._trees.nodes_on(line)

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self._trees.parent(node)

    def scope(self, node: cst.CSTNode) -> Optional[Scope]:
        return self._scopes.get(node)

    def qualified_names(self, node: cst.CSTNode) -> FrozenSet[str]:
        """The names QualifiedNameProvider gives `node` (as strings)."""
        names = self._names.get(node)
        if names is None:
            scope = self._scopes.get(node)
            names = frozenset(q.name for q in scope.get_qualified_names_for(node)) if scope is not None else frozenset()
            self._names[node] = names
        return names

    def position(self, node: cst.CSTNode) -> CodeRange:
        return self._trees.position(node)


_LAST: List[Tuple[cst.Module, ModuleTree]] = module_cache()


def module_tree(module: cst.Module, text: Optional[str] = None) -> ModuleTree:
    """The tree facts of `module` (parsed from `text`), computed once for the module last asked about."""
    if not (_LAST and _LAST[0][0] is module):
        _LAST[:] = [(module, ModuleTree(module, text))]
    return _LAST[0][1]


def rule_tree(rule: Any) -> ModuleTree:
    """The tree facts of the module a rule is checking."""
    return module_tree(rule.context.module, rule.context.text)
