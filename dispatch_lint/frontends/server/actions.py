"""Code actions: a quick fix per finding, "add `# noqa`", and fix-all.

Every action's edits are checked as `dispatch-lint fix` checks them: applied to
the current text of each file (unsaved buffers included), the result must parse
and compile, or the action is not offered.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Sequence

from lsprotocol import types as lsp

from dispatch_lint.fixes.edits import EditConflict, apply_edits
from dispatch_lint.fixes.loop import FixLoop
from dispatch_lint.fixes.verify import breakage
from dispatch_lint.frontends.add_noqa import UNSUPPRESSIBLE, plan_noqa
from dispatch_lint.frontends.server.convert import EditBuilder, minimal_edit, overlaps
from dispatch_lint.frontends.server.workspace import Workspace
from dispatch_lint.types import Applicability, Diagnostic, Edit

FIX_ALL = "source.fixAll.dispatch-lint"


def wanted(only: Optional[Sequence[str]], kind: str) -> bool:
    """Whether the client asked for actions of `kind` (a kind matches its parents)."""
    return only is None or any(kind == k or kind.startswith(k + ".") for k in only)


def _checked(workspace: Workspace, edits: Iterable[Edit]) -> bool:
    """Whether the edits apply to the files' current text and leave code that parses and compiles."""
    by_path: Dict[str, List[Edit]] = {}
    for edit in edits:
        by_path.setdefault(edit.path, []).append(edit)
    for path, mine in by_path.items():
        text = workspace.text_of(path)
        if text is None:
            return False
        try:
            fixed = apply_edits(text, mine)
        except EditConflict:
            return False
        if breakage(path, fixed, None) is not None:
            return False
    return True


def quick_fix(workspace: Workspace, d: Diagnostic, shown: lsp.Diagnostic,
              builder: EditBuilder) -> Optional[lsp.CodeAction]:
    fix = d.fix
    if fix is None or not _checked(workspace, fix.edits):
        return None
    unsafe = fix.applicability is Applicability.UNSAFE
    files = len({edit.path for edit in fix.edits})
    title = f"{d.code}: {fix.description[:1].upper()}{fix.description[1:]}"
    if files > 1:
        title += f" ({files} files)"
    if unsafe:
        title += " (unsafe)"
    why = f"{d.code}: this fix may change behaviour ({d.message})"
    return lsp.CodeAction(title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[shown],
                          edit=builder.build(fix.edits, unsafe=unsafe, why=why), is_preferred=not unsafe)


def noqa_action(workspace: Workspace, d: Diagnostic, shown: lsp.Diagnostic,
                builder: EditBuilder) -> Optional[lsp.CodeAction]:
    """Silence the finding with `# noqa: CODE` on its line (merged into an existing one)."""
    text = workspace.text_of(d.path)
    if text is None or d.code in UNSUPPRESSIBLE:
        return None
    plan = plan_noqa(d.path, text, [d])
    edit = minimal_edit(text, plan.text, d.path)
    if edit is None:
        return None
    return lsp.CodeAction(title=f"{d.code}: Add `# noqa: {d.code}`", kind=lsp.CodeActionKind.QuickFix,
                          diagnostics=[shown], edit=builder.build([edit]))


def fix_all(workspace: Workspace, real: str, builder: EditBuilder) -> Optional[lsp.CodeAction]:
    """Every safe fix of the file, repeated until nothing changes, as `dispatch-lint fix`
    does: one edit over every file the fixes change."""
    project = workspace.project_for(real)
    if project is None:
        return None
    outcome = FixLoop(project).run([real], {path: text for path, text in workspace.buffers.items()
                                            if project.contains(path)})
    edits = []
    for path, text in sorted(outcome.changed().items()):
        edit = minimal_edit(outcome.originals[path].text, text, path)
        if edit is not None:
            edits.append(edit)
    if not edits:
        return None
    return lsp.CodeAction(title="dispatch-lint: Fix all safe fixes", kind=FIX_ALL, edit=builder.build(edits))


def code_actions(workspace: Workspace, real: str, where: lsp.Range, only: Optional[Sequence[str]],
                 shown: Sequence[lsp.Diagnostic], builder: EditBuilder) -> List[lsp.CodeAction]:
    """The actions for the findings of `real` that overlap `where`; `shown` holds
    each finding as the client sees it, in the same order as the findings."""
    found = workspace.findings(real)
    actions: List[lsp.CodeAction] = []
    if wanted(only, lsp.CodeActionKind.QuickFix):
        for d, seen in zip(found, shown):
            if not overlaps(seen.range, where):
                continue
            for make in (quick_fix, noqa_action):
                action = make(workspace, d, seen, builder)
                if action is not None:
                    actions.append(action)
    safe = any(d.fix is not None and d.fix.applicability is Applicability.SAFE for d in found)
    if safe and wanted(only, FIX_ALL):
        action = fix_all(workspace, real, builder)
        if action is not None:
            actions.append(action)
    return actions
