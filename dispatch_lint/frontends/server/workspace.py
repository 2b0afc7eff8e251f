"""The open buffers and the projects they belong to, kept in step.

Edits are queued and applied to the projects' models on `flush()`; a flush
tells which open files' findings may have changed: the edited files, and every
other open file whose dependency key (the digest of the model facts its
findings read, the same key the result cache uses) changed. Only those are
checked again.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set

from dispatch_lint.engine.sources import Source, read_source
from dispatch_lint.frontends.server.project import Project, document_settings
from dispatch_lint.types import ConfigError, Diagnostic


class Workspace:
    def __init__(self, overrides: Optional[Mapping[str, Any]] = None) -> None:
        self.overrides: Dict[str, Any] = dict(overrides or {})
        self.projects: Dict[str, Project] = {}  # real root -> project
        self._project_of: Dict[str, Project] = {}  # real path -> its project
        self.buffers: Dict[str, str] = {}  # real path -> the editor's text
        self.pending: Dict[str, Optional[str]] = {}  # not yet in the model (None: read the disk)
        self.results: Dict[str, List[Diagnostic]] = {}
        self.stale: Set[str] = set()  # open files whose results may be out of date
        self.errors: Dict[str, str] = {}  # real path -> why its settings do not resolve

    # -- what the editor does --------------------------------------------------

    def set_text(self, real: str, text: str) -> None:
        self.buffers[real] = text
        self.pending[real] = text
        self.stale.add(real)

    def close(self, real: str) -> None:
        self.buffers.pop(real, None)
        self.results.pop(real, None)
        self.stale.discard(real)
        self.pending[real] = None

    def disk_changed(self, reals: Iterable[str], created_or_deleted: bool) -> None:
        """Files changed on disk: the ones open in the editor keep their buffer."""
        reals = [real for real in reals if real not in self.buffers]
        if created_or_deleted:
            for project in self.projects.values():
                project.rediscover()
        for real in reals:
            self.pending[real] = None

    def reload(self, overrides: Optional[Mapping[str, Any]] = None) -> None:
        """Settings changed (a pyproject.toml, or the client's configuration):
        resolve everything again."""
        if overrides is not None:
            self.overrides = dict(overrides)
        self.projects.clear()
        self._project_of.clear()
        self.errors.clear()
        self.pending = {real: text for real, text in self.buffers.items()}
        self.stale = set(self.buffers)

    # -- projects --------------------------------------------------------------

    def project_for(self, real: str) -> Optional[Project]:
        """The project holding `real`, loaded on first use; None when its
        settings do not resolve (the reason is in `errors`)."""
        project = self._project_of.get(real)
        if project is not None:
            return project
        try:
            run, _ = document_settings(real, self.overrides)
        except ConfigError as exc:
            self.errors[real] = str(exc)
            return None
        root = os.path.realpath(run.root)
        project = self.projects.get(root)
        if project is None:
            project = self.projects[root] = Project(run, self.overrides)
            project.load({path: text for path, text in self.buffers.items() if _inside(path, root)})
        self._project_of[real] = project
        return project

    def _loaded_project(self, real: str) -> Optional[Project]:
        """The loaded project whose root holds `real` (no project is loaded for it)."""
        if real in self._project_of:
            return self._project_of[real]
        holders = [root for root, project in self.projects.items() if project.contains(real) or _inside(real, root)]
        return self.projects[max(holders, key=len)] if holders else None

    def flush(self) -> Set[str]:
        """Apply the queued edits; answer the open files to check again."""
        pending, self.pending = self.pending, {}
        grouped: Dict[int, Dict[str, Optional[str]]] = {}
        projects: Dict[int, Project] = {}
        for real, text in pending.items():
            project = self.project_for(real) if real in self.buffers else self._loaded_project(real)
            if project is not None:
                projects[id(project)] = project
                grouped.setdefault(id(project), {})[real] = text
        for key, changes in grouped.items():
            project = projects[key]
            watched = [real for real in self.buffers if self._project_of.get(real) is project
                       and real not in self.stale]
            before = project.dependency_keys(watched)
            project.update(changes)
            after = project.dependency_keys(watched)
            self.stale.update(real for real in watched if before[real] != after[real])
        return set(self.stale)

    # -- findings --------------------------------------------------------------

    def findings(self, real: str) -> List[Diagnostic]:
        """The current findings of the open file `real`."""
        self.flush()
        if real in self.stale and real in self.buffers:
            project = self.project_for(real)
            self.results[real] = project.check(real, self.buffers[real]) if project is not None else []
            self.stale.discard(real)
        return self.results.get(real, [])

    def text_of(self, real: str) -> Optional[str]:
        """The text of a file as the editor sees it: its buffer, else the disk."""
        if real in self.buffers:
            return self.buffers[real]
        source = read_source(real)
        return source.text if isinstance(source, Source) else None


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
