"""The fix plan a codemod applies under `python -m libcst.tool`: computed once,
before libcst.tool forks its workers, over every file it was given.

libcst.tool resolves full-repository metadata in its main process
(`FullRepoManager.resolve_cache` calls each provider's `gen_cache` with every
path), then hands each worker one file. `FixPlan.gen_cache` runs the codemod's
rule through the same fix loop as `dispatch-lint fix` over the given files (each
with its own settings, the project index from the project root), so fixes that
span files (DSP201's call sites in other modules) apply when every file they
touch was given, and the dead-async cascade runs to the end. Each worker then
writes its file's share of the plan.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Type

import libcst as cst
from libcst.metadata import BatchableMetadataProvider

from dispatch_lint import registry
from dispatch_lint.config import Settings
from dispatch_lint.fixes.loop import UNSAFE_REASON, FixLoop, FixOutcome
from dispatch_lint.fixes.write import edit_guard


def text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class OnlyRule:
    """Each file's own settings with one rule enabled, whatever `select` and `ignore` say."""

    def __init__(self, run: Settings, code: str) -> None:
        self.run = run
        self.code = code

    def _only(self, settings: Settings) -> Settings:
        return replace(settings, select=(self.code,), ignore=(), hierarchy=self)  # type: ignore[arg-type]

    def for_folder(self, folder: str) -> Settings:
        return self._only(self.run.for_folder(folder))

    def for_file(self, path: str) -> Settings:
        return self._only(self.run.for_file(path))

    def settings(self) -> Settings:
        return self._only(self.run)


def plan_fixes(rule: Type, paths: Sequence[str]) -> Dict[str, dict]:
    """Per given file (absolute path), under "safe" (and "unsafe" when an unsafe
    fix was held back): its original text's digest, its fixed text (None:
    unchanged) and the findings left, as warning lines."""
    from dispatch_lint.engine.runner import Engine
    from dispatch_lint.frontends.check_command import project_groups

    plans: Dict[str, dict] = {}
    for group in project_groups(list(paths)):
        settings = OnlyRule(registry.settings_for(group), rule.CODE).settings()
        for unsafe in (False, True):
            engine = Engine(settings, [rule], jobs=1, force_exclude=True)
            outcome = FixLoop(engine, unsafe=unsafe, guard=edit_guard(group)).run(group)
            for path, plan in _per_file(outcome).items():
                plans.setdefault(path, {})["unsafe" if unsafe else "safe"] = plan
            if not any(r.reason == UNSAFE_REASON for r in outcome.remaining):
                break
    return plans


def _per_file(outcome: FixOutcome) -> Dict[str, dict]:
    changed = outcome.changed()
    warnings: Dict[str, List[str]] = {}
    for remaining in outcome.remaining:
        d = remaining.diagnostic
        warnings.setdefault(d.path, []).append(f"{d.code} line {d.line}: {d.message} [{remaining.reason}]")
    return {
        os.path.abspath(path): {"digest": text_digest(source.text), "text": changed.get(path),
                                "warnings": warnings.get(path, [])}
        for path, source in outcome.originals.items()
    }


class FixPlan(BatchableMetadataProvider[Optional[dict]]):
    """The plan for one file, as full-repository metadata on its Module node.

    `rule` is set by the codemod when libcst.tool asks for its dependencies (in
    the main process, before `gen_cache`). Whether unsafe fixes apply is known
    only to each file's codemod, so both plans are made when they differ."""

    rule: ClassVar[Optional[Type]] = None

    def __init__(self, cache: object = None) -> None:
        # Outside libcst.tool there is no cache: the codemod falls back to one file.
        super().__init__({} if cache is None else cache)

    @classmethod
    def gen_cache(cls, root_path: Path, paths: List[str], timeout: Optional[int] = None,
                  **kwargs: Any) -> Mapping[str, object]:
        if cls.rule is None:
            return {}
        plans = plan_fixes(cls.rule, [p for p in paths if p.endswith(".py")])
        # A given file the configuration excludes is left as it is.
        return {path: plans.get(os.path.abspath(path), {"safe": None}) for path in paths}

    def visit_Module(self, node: cst.Module) -> None:
        self.set_metadata(node, self.cache or None)
