"""`dispatch-lint server`: the language server, over stdio, built on pygls.

Diagnostics are pushed on open, on save and after a pause in typing (the
debounce), or pulled by clients that support `textDocument/diagnostic`. An edit
re-checks the edited file and every open file whose findings depend on it.
"""

from __future__ import annotations

import asyncio
import gc
import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from dispatch_lint import __version__
from dispatch_lint.frontends.server.actions import FIX_ALL, code_actions
from dispatch_lint.frontends.server.convert import EditBuilder, Lines, to_lsp
from dispatch_lint.frontends.server.project import collect_garbage
from dispatch_lint.frontends.server.workspace import Workspace
from dispatch_lint.types import Diagnostic

SECTION = "dispatch-lint"
DEFAULT_DEBOUNCE_MS = 150
# A full collection every 16 tidies, or up to 16 times fewer while full collections find
# less than this many dead objects per tidy (edits that leave no cyclic garbage behind).
FULL_COLLECTION_EVERY = 16  # tidies
FULL_COLLECTION_AT_MOST_EVERY = 256
LEFT_PER_TIDY = 2000
IDLE_S = 0.5  # a check followed by this long without an edit: collect its garbage
# Client settings that override pyproject.toml, as the command's flags do.
OVERRIDES = {"select": "select", "extendSelect": "extend-select", "ignore": "ignore"}
WATCHED = ("**/pyproject.toml", "**/*.py")


class DispatchLintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("dispatch-lint", __version__)
        self.state = Workspace()
        self.debounce = DEFAULT_DEBOUNCE_MS / 1000
        self.initial: Dict[str, Any] = {}  # the initialization options
        self.uris: Dict[str, str] = {}  # real path -> the uri the client opened it as
        self.shown: Dict[str, Tuple[List[Diagnostic], List[lsp.Diagnostic]]] = {}
        self._timer: Optional[asyncio.TimerHandle] = None
        self._untidy = False  # whether a check ran since garbage was last collected
        self._tidies = 0
        self._full_every = FULL_COLLECTION_EVERY
        self._told: Set[str] = set()
        self._announced: Set[str] = set()  # stale files a pulling client was asked to pull

    # -- paths and text --------------------------------------------------------

    @staticmethod
    def real(uri: str) -> Optional[str]:
        """The file a document is, by real path; None for a document that is not
        a Python file on disk (an unsaved new buffer, another language)."""
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return os.path.realpath(path) if path and path.endswith((".py", ".pyi")) else None

    def uri_for(self, real: str) -> str:
        return self.uris.get(real) or Path(real).as_uri()

    def version_of(self, real: str) -> Optional[int]:
        uri = self.uris.get(real)
        return self.workspace.get_text_document(uri).version if uri is not None else None

    def lines_for(self, real: str) -> Lines:
        return Lines(self.state.text_of(real) or "", self.workspace.position_codec)

    def builder(self) -> EditBuilder:
        return EditBuilder(self.client_capabilities, self.uri_for, self.version_of, self.lines_for)

    @property
    def pull(self) -> bool:
        text = self.client_capabilities.text_document
        return text is not None and text.diagnostic is not None

    # -- settings --------------------------------------------------------------

    def apply_settings(self, values: Any, initial: bool = False) -> bool:
        """Client settings: `debounce` (milliseconds) and `select`, `extendSelect`,
        `ignore`, which override the project's rule selection as the command's
        flags do. The initialization options are the base; the client's
        configuration (`workspace/configuration`) goes on top. Answers whether
        the rule selection changed (then the open files are stale)."""
        values = values.get(SECTION, values) if isinstance(values, dict) else {}
        if not isinstance(values, dict):
            return False
        if initial:
            self.initial = dict(values)
        values = {**self.initial, **values}
        debounce = values.get("debounce")
        if isinstance(debounce, (int, float)) and debounce >= 0:
            self.debounce = debounce / 1000
        overrides = {key: values[name] for name, key in OVERRIDES.items() if values.get(name) is not None}
        if overrides == self.state.overrides:
            return False
        self.state.reload(overrides)
        return True

    # -- diagnostics -----------------------------------------------------------

    def findings_shown(self, real: str) -> List[lsp.Diagnostic]:
        """The findings of an open file as the client shows them (checked if stale)."""
        found = self.state.findings(real)
        cached = self.shown.get(real)
        if cached is None or cached[0] is not found:
            lines = self.lines_for(real)
            self.shown[real] = cached = (found, [to_lsp(d, lines, self.uri_for, self.lines_for) for d in found])
        self.tell_errors()
        return cached[1]

    def refresh(self, edited: Iterable[str] = ()) -> None:
        """Apply queued edits; bring every affected open file's diagnostics up
        to date. A pulling client pulls the files it `edited` by itself; it is
        asked to pull again only when other open files are affected."""
        self._cancel_timer()
        stale = self.state.flush()
        if self.pull:
            news = stale - set(edited) - self._announced
            self._announced = stale
            if news and self._refresh_supported():
                self.workspace_diagnostic_refresh(None)
        else:
            for real in sorted(stale):
                if real in self.uris:
                    self.publish(real)
        self._untidy = True
        self._timer = asyncio.get_running_loop().call_later(IDLE_S, self.tidy)

    def publish(self, real: str) -> None:
        uri = self.uris[real]
        try:
            shown = self.findings_shown(real)
        except Exception as exc:  # a bug in a rule: say so, and keep serving the other files
            self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Error,
                                                         f"dispatch-lint: checking {real} failed: {exc!r}"))
            return
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=shown, version=self.version_of(real)))

    def tell_errors(self) -> None:
        """Say once why a file's settings do not resolve (a broken pyproject.toml)."""
        for message in set(self.state.errors.values()) - self._told:
            self._told.add(message)
            self.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error,
                                                           message=f"dispatch-lint: {message}"))

    def _refresh_supported(self) -> bool:
        workspace = self.client_capabilities.workspace
        return bool(workspace and workspace.diagnostics and workspace.diagnostics.refresh_support)

    def schedule(self) -> None:
        """Check again once typing pauses for the debounce. The first edit after
        a check also collects the garbage that check left, while the debounce
        runs, so that collections during the next check stay small."""
        self._cancel_timer()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.debounce, self.refresh)
        loop.call_soon(self.tidy)

    def tidy(self) -> None:
        """Collect the garbage that checks left (the server runs with the
        automatic collector off, so that no collection lands inside a check)."""
        if not self._untidy:
            return
        self._untidy = False
        self._tidies += 1
        if self._tidies < self._full_every:
            collect_garbage(full=False)
            return
        found = collect_garbage(full=True)
        if found > LEFT_PER_TIDY * self._tidies:
            self._full_every = FULL_COLLECTION_EVERY
        else:
            self._full_every = min(2 * self._full_every, FULL_COLLECTION_AT_MOST_EVERY)
        self._tidies = 0

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def reload(self) -> None:
        """A pyproject.toml changed: resolve every setting again."""
        self._told.clear()
        self.state.reload()

    def forget(self, real: str) -> None:
        uri = self.uris.pop(real, None)
        self.shown.pop(real, None)
        self.state.close(real)
        if uri is not None and not self.pull:
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


server = DispatchLintServer()


@server.feature(lsp.INITIALIZE)
def initialize(ls: DispatchLintServer, params: lsp.InitializeParams) -> None:
    ls.apply_settings(params.initialization_options or {}, initial=True)


@server.feature(lsp.INITIALIZED)
async def initialized(ls: DispatchLintServer, params: lsp.InitializedParams) -> None:
    workspace = ls.client_capabilities.workspace
    watch = workspace.did_change_watched_files if workspace else None
    if watch is not None and watch.dynamic_registration:
        watchers = [lsp.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED]
        registration = lsp.Registration(id="dispatch-lint-watch", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                        register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers))
        try:
            await ls.client_register_capability_async(lsp.RegistrationParams(registrations=[registration]))
        except Exception as exc:  # the client refused: files changed outside the editor go unnoticed
            ls.window_log_message(lsp.LogMessageParams(lsp.MessageType.Warning, f"cannot watch files: {exc}"))
    await pull_configuration(ls)


async def pull_configuration(ls: DispatchLintServer) -> None:
    workspace = ls.client_capabilities.workspace
    if not (workspace and workspace.configuration):
        return
    values = await ls.workspace_configuration_async(
        lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section=SECTION)]))
    # No section (None) means the initialization options alone. An answer that
    # changes nothing checks nothing: an edit waiting for its pause keeps waiting.
    if values and ls.apply_settings(values[0] if isinstance(values[0], dict) else {}):
        ls.refresh()


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def configuration_changed(ls: DispatchLintServer, params: lsp.DidChangeConfigurationParams) -> None:
    workspace = ls.client_capabilities.workspace
    if workspace and workspace.configuration:
        await pull_configuration(ls)
    elif ls.apply_settings(params.settings):
        ls.refresh()


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: DispatchLintServer, params: lsp.DidOpenTextDocumentParams) -> None:
    real = ls.real(params.text_document.uri)
    if real is None:
        return
    ls.uris[real] = params.text_document.uri
    ls.state.set_text(real, params.text_document.text)
    ls.refresh(edited=[real])


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: DispatchLintServer, params: lsp.DidChangeTextDocumentParams) -> None:
    real = ls.real(params.text_document.uri)
    if real is None or real not in ls.state.buffers:
        return
    ls.state.set_text(real, ls.workspace.get_text_document(params.text_document.uri).source)
    if not ls.pull:
        ls.schedule()


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
def did_save(ls: DispatchLintServer, params: lsp.DidSaveTextDocumentParams) -> None:
    ls.refresh()


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: DispatchLintServer, params: lsp.DidCloseTextDocumentParams) -> None:
    real = ls.real(params.text_document.uri)
    if real is not None:
        ls.forget(real)
        ls.refresh()


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def watched_files_changed(ls: DispatchLintServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    if any(change.uri.endswith("/pyproject.toml") for change in params.changes):
        ls.reload()
    else:
        reals = [real for real in map(ls.real, (change.uri for change in params.changes)) if real is not None]
        created = any(change.type != lsp.FileChangeType.Changed for change in params.changes)
        ls.state.disk_changed(reals, created)
    ls.refresh()


@server.feature(lsp.TEXT_DOCUMENT_DIAGNOSTIC,
                lsp.DiagnosticOptions(identifier=SECTION, inter_file_dependencies=True, workspace_diagnostics=False))
def pull_diagnostics(ls: DispatchLintServer, params: lsp.DocumentDiagnosticParams) -> lsp.DocumentDiagnosticReport:
    real = ls.real(params.text_document.uri)
    if real is None or real not in ls.state.buffers:
        return lsp.RelatedFullDocumentDiagnosticReport(items=[])
    items = ls.findings_shown(real)
    ls.refresh(edited=[real])  # other open files that this file's last edit affects
    return lsp.RelatedFullDocumentDiagnosticReport(items=items)


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL]))
def code_action(ls: DispatchLintServer, params: lsp.CodeActionParams) -> List[lsp.CodeAction]:
    real = ls.real(params.text_document.uri)
    if real is None or real not in ls.state.buffers:
        return []
    shown = ls.findings_shown(real)
    return code_actions(ls.state, real, params.range, params.context.only, shown, ls.builder())


@server.feature(lsp.SHUTDOWN)
def shutdown(ls: DispatchLintServer, params: Any) -> None:
    ls._cancel_timer()


def run() -> int:
    """Serve over stdin and stdout until the client says exit."""
    gc.disable()  # collections run between checks: see `tidy`
    server.start_io()
    return 0
