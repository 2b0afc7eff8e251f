"""`dispatch-lint server`, driven as an editor drives it: a real LSP client
(pytest-lsp) talking to the server process over stdio, with the capabilities
that VS Code and Neovim announce."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

pytest.importorskip("pygls")
lsp = pytest.importorskip("lsprotocol.types")
pytest_lsp = pytest.importorskip("pytest_lsp")
pytest_lsp_client = pytest.importorskip("pytest_lsp.client")

TIMEOUT = 30

IMPL = "async def _forward(message):\n    print(message)\n"
CALLER = "from pkg._impl import _forward\n\n\nasync def handle(message):\n    await _forward(message)\n"


def make_project(root: Path, files: Dict[str, str]) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n\n[tool.dispatch-lint]\ncache = false\n")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def make_client(configuration_held: Optional[asyncio.Event]):
    """pytest-lsp's test client; with `configuration_held`, it answers the server's
    `workspace/configuration` request only once that event is set."""
    if configuration_held is None:
        return pytest_lsp.make_test_lsp_client()
    features = dict(pytest_lsp_client.DEFAULT_CLIENT_FEATURES)
    answer = features[lsp.WORKSPACE_CONFIGURATION]

    async def held(ls, params):  # pygls passes the client to a first parameter named `ls`
        await configuration_held.wait()
        return answer(ls, params)

    features[lsp.WORKSPACE_CONFIGURATION] = held
    client = pytest_lsp.LanguageClient(converter_factory=pytest_lsp_client.default_converter)
    pytest_lsp_client.register_lsp_features(client, features)
    return client


@contextlib.asynccontextmanager
async def session(root: Path, client_name: str = "visual-studio-code", options: Optional[dict] = None,
                  configuration: Optional[dict] = None, capabilities=None,
                  configuration_held: Optional[asyncio.Event] = None):
    """A client connected to `dispatch-lint server`, initialized on `root`; shut down cleanly after."""
    client = make_client(configuration_held)
    client.registrations = []

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)

    if configuration is not None:
        client.set_configuration(configuration, section="dispatch-lint")
    await client.start_io(sys.executable, "-m", "dispatch_lint", "server", cwd=str(root))
    try:
        await asyncio.wait_for(client.initialize_session(lsp.InitializeParams(
            capabilities=capabilities or pytest_lsp.client_capabilities(client_name),
            root_uri=root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="p")],
            initialization_options={"debounce": 50, **(options or {})},
        )), TIMEOUT)
        yield client
        await asyncio.wait_for(client.shutdown_session(), TIMEOUT)
        assert client._server.returncode == 0
        assert client.error is None
    finally:
        if client._server.returncode is None:
            client._server.kill()
        await client.stop()


def open_file(client, path: Path, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri=uri, language_id="python", version=version, text=path.read_text())))
    return uri


def change_file(client, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))


async def published(client, uri: str) -> List:
    """Wait for the next diagnostics of `uri`."""
    while True:
        params = await asyncio.wait_for(client.wait_for_notification("textDocument/publishDiagnostics"), TIMEOUT)
        if params.uri == uri:
            return list(params.diagnostics)


def apply(text: str, edits) -> str:
    """Apply LSP text edits (UTF-16 columns; the test files are ASCII) to `text`."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position) -> int:
        return starts[position.line] + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


async def actions_at(client, uri: str, diagnostic, only=None) -> List:
    return await asyncio.wait_for(client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
        context=lsp.CodeActionContext(diagnostics=[diagnostic], only=only))), TIMEOUT)


@pytest.mark.asyncio
async def test_dead_async_shown_fixed_across_files_and_cleared(tmp_path):
    root = make_project(tmp_path, {"pkg/_impl.py": IMPL, "pkg/caller.py": CALLER})
    async with session(root) as client:
        uri = open_file(client, root / "pkg/_impl.py")
        [shown] = await published(client, uri)
        assert shown.code == "DSP201" and shown.source == "dispatch-lint"
        assert "every call site in the project is a plain `await`" in shown.message
        # The Unnecessary tag sits on the `async` keyword.
        assert list(shown.tags) == [lsp.DiagnosticTag.Unnecessary]
        assert (shown.range.start.line, shown.range.start.character, shown.range.end.character) == (0, 0, 5)
        # A source checkout links the rule's page (the file `explain` matches); without it, no address.
        page = Path(__file__).resolve().parents[1] / "docs" / "rules" / "DSP201.md"
        linked = shown.code_description.href if shown.code_description else None
        assert linked == (page.as_uri() if page.is_file() else None)
        [related] = shown.related_information
        assert related.location.uri == (root / "pkg/caller.py").as_uri() and related.location.range.start.line == 4

        actions = await actions_at(client, uri, shown)
        fix = next(a for a in actions if "synchronous" in a.title)
        assert fix.kind == lsp.CodeActionKind.QuickFix and fix.is_preferred
        # One WorkspaceEdit, versioned, covering the definition's and the caller's files.
        changes = {c.text_document.uri: c for c in fix.edit.document_changes}
        assert set(changes) == {uri, (root / "pkg/caller.py").as_uri()}
        assert changes[uri].text_document.version == 1
        assert changes[(root / "pkg/caller.py").as_uri()].text_document.version is None
        assert apply(IMPL, changes[uri].edits) == "def _forward(message):\n    print(message)\n"
        assert apply(CALLER, changes[(root / "pkg/caller.py").as_uri()].edits) == CALLER.replace("await _f", "_f")
        noqa = next(a for a in actions if "noqa" in a.title)
        [[edit]] = [c.edits for c in noqa.edit.document_changes]
        assert apply(IMPL, [edit]).splitlines()[0] == "async def _forward(message):  # noqa: DSP201"

        # Editing the function to await clears the finding.
        change_file(client, uri, "import asyncio\n\n\nasync def _forward(message):\n"
                                 "    await asyncio.sleep(0)\n    print(message)\n", 2)
        assert await published(client, uri) == []

        client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri=uri)))
        assert await published(client, uri) == []


@pytest.mark.asyncio
async def test_unsaved_edit_in_one_file_refreshes_another_open_file(tmp_path):
    root = make_project(tmp_path, {"pkg/_impl.py": IMPL, "pkg/caller.py": CALLER})
    async with session(root) as client:
        impl = open_file(client, root / "pkg/_impl.py")
        [first] = await published(client, impl)
        assert "plain `await`" in first.message
        caller = open_file(client, root / "pkg/caller.py")
        await published(client, caller)
        # The caller now calls without await (unsaved): the definition's finding changes.
        change_file(client, caller, CALLER.replace("await _forward(message)", "_forward(message)"), 2)
        [second] = await published(client, impl)
        assert "called without `await`" in second.message
        actions = await actions_at(client, impl, second, only=[lsp.CodeActionKind.QuickFix])
        assert not any("synchronous" in a.title for a in actions)


BASE = "class Base:\n    async def run(self):\n        return 1\n\n\nasync def main():\n    await Base().run()\n"
SUB = ("import asyncio\n\nfrom pkg.base import Base\n\n\nclass Sub(Base):\n    async def run(self):\n"
       "        await asyncio.sleep(0)\n")


@pytest.mark.asyncio
async def test_an_edit_that_changes_the_class_tree_refreshes_another_open_file(tmp_path):
    root = make_project(tmp_path, {"pkg/base.py": BASE, "pkg/sub.py": SUB})
    async with session(root) as client:
        base = open_file(client, root / "pkg/base.py")
        assert await published(client, base) == []  # overridden with a coroutine: exempt
        sub = open_file(client, root / "pkg/sub.py")
        await published(client, sub)
        change_file(client, sub, SUB.replace("class Sub(Base)", "class Sub"), 2)
        [shown] = await published(client, base)
        assert shown.code == "DSP201" and "`run`" in shown.message
        change_file(client, sub, SUB, 3)
        assert await published(client, base) == []


@pytest.mark.asyncio
async def test_unsafe_fix_needs_confirmation(tmp_path):
    root = make_project(tmp_path, {
        "pkg/api.py": "async def forward(message):\n    print(message)\n",
        "pkg/use.py": "from pkg.api import forward\n\n\nasync def _handle(message):\n    await forward(message)\n",
    })
    async with session(root) as client:
        uri = open_file(client, root / "pkg/api.py")
        [shown] = await published(client, uri)
        [fix] = [a for a in await actions_at(client, uri, shown) if "synchronous" in a.title]
        assert "(unsafe)" in fix.title and not fix.is_preferred
        annotation = fix.edit.change_annotations["dispatch-lint.unsafe-fix"]
        assert annotation.needs_confirmation
        edits = [e for change in fix.edit.document_changes for e in change.edits]
        assert len(edits) == 2 and all(e.annotation_id == "dispatch-lint.unsafe-fix" for e in edits)


@pytest.mark.asyncio
async def test_fix_all_applies_safe_fixes_until_nothing_changes(tmp_path):
    chain = ("async def _inner():\n    print(1)\n\n\nasync def _outer():\n    await _inner()\n\n\n"
             "async def _top():\n    await _outer()\n\n\nasync def main():\n    await _top()\n")
    root = make_project(tmp_path, {"pkg/chain.py": chain})
    async with session(root) as client:
        uri = open_file(client, root / "pkg/chain.py")
        shown = await published(client, uri)
        assert [d.code for d in shown] == ["DSP201"]
        actions = await actions_at(client, uri, shown[0], only=["source.fixAll"])
        [fix_all] = actions
        assert fix_all.kind == "source.fixAll.dispatch-lint"
        [change] = fix_all.edit.document_changes
        fixed = apply(chain, change.edits)
        assert "async def _inner" not in fixed and "async def _outer" not in fixed and "async def _top" not in fixed
        assert "async def main():\n    _top()" in fixed  # `main` is public API: its fix is unsafe


@pytest.mark.asyncio
async def test_pull_diagnostics_with_neovim_capabilities(tmp_path):
    root = make_project(tmp_path, {"pkg/_impl.py": IMPL, "pkg/caller.py": CALLER})
    async with session(root, client_name="neovim@v0.11.0") as client:
        uri = open_file(client, root / "pkg/_impl.py")
        report = await asyncio.wait_for(client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri))), TIMEOUT)
        [shown] = report.items
        assert shown.code == "DSP201"
        [fix] = [a for a in await actions_at(client, uri, shown) if "synchronous" in a.title]
        # Neovim takes plain `changes`, keyed by file.
        assert set(fix.edit.changes) == {uri, (root / "pkg/caller.py").as_uri()}
        change_file(client, uri, "import asyncio\n\n\nasync def _forward(message):\n    await asyncio.sleep(0)\n", 2)
        report = await asyncio.wait_for(client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri))), TIMEOUT)
        assert list(report.items) == []


@pytest.mark.asyncio
async def test_settings_follow_pyproject_and_client_configuration(tmp_path):
    root = make_project(tmp_path, {"pkg/_impl.py": IMPL, "pkg/caller.py": CALLER})
    async with session(root) as client:
        uri = open_file(client, root / "pkg/_impl.py")
        assert [d.code for d in await published(client, uri)] == ["DSP201"]
        pyproject = root / "pyproject.toml"
        pyproject.write_text(pyproject.read_text() + 'ignore = ["DSP201"]\n')
        client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=pyproject.as_uri(), type=lsp.FileChangeType.Changed)]))
        assert await published(client, uri) == []
        pyproject.write_text(pyproject.read_text().replace('ignore = ["DSP201"]\n', ""))
        client.set_configuration({"ignore": ["DSP2"]}, section="dispatch-lint")
        client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
        assert await published(client, uri) == []
        client.set_configuration({}, section="dispatch-lint")
        client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
        assert [d.code for d in await published(client, uri)] == ["DSP201"]


@pytest.mark.asyncio
async def test_files_changed_on_disk_and_positions_in_utf16(tmp_path):
    root = make_project(tmp_path, {"pkg/_impl.py": IMPL})
    async with session(root) as client:
        uri = open_file(client, root / "pkg/_impl.py")
        [alone] = await published(client, uri)
        assert any(r.method == "workspace/didChangeWatchedFiles" for r in client.registrations)
        assert "nothing in the project calls it" in alone.message
        # A caller appears on disk, with a character outside the BMP before its `await`.
        caller = root / "pkg/caller.py"
        caller.write_text('from pkg._impl import _forward\n\n\nasync def handle(message):\n'
                          '    s = "\U0001F600"; await _forward(message)\n', encoding="utf-8")
        client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=caller.as_uri(), type=lsp.FileChangeType.Created)]))
        [called] = await published(client, uri)
        assert "plain `await`" in called.message
        [related] = called.related_information
        # `    s = "😀"; ` is 13 characters, 14 UTF-16 code units.
        assert (related.location.range.start.character, related.location.range.end.character) == (14, 20)
        [fix] = [a for a in await actions_at(client, uri, called) if "synchronous" in a.title]
        [caller_edit] = [c for c in fix.edit.document_changes if c.text_document.uri == caller.as_uri()]
        assert caller_edit.edits[0].range.start.character == 14
        # The caller changes on disk again, to a call without await.
        caller.write_text(caller.read_text(encoding="utf-8").replace("await _forward", "_forward"), encoding="utf-8")
        client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=caller.as_uri(), type=lsp.FileChangeType.Changed)]))
        [plain] = await published(client, uri)
        assert "called without `await`" in plain.message


@pytest.mark.asyncio
async def test_a_buffer_that_does_not_parse_keeps_other_findings_stable(tmp_path):
    root = make_project(tmp_path, {"pkg/_impl.py": IMPL, "pkg/caller.py": CALLER})
    async with session(root) as client:
        impl = open_file(client, root / "pkg/_impl.py")
        [before] = await published(client, impl)
        caller = open_file(client, root / "pkg/caller.py")
        await published(client, caller)
        change_file(client, caller, CALLER + "def broken(:\n", 2)
        [syntax] = await published(client, caller)
        assert syntax.code == "DSP001" and syntax.severity == lsp.DiagnosticSeverity.Error
        # The index kept the caller's last facts that parsed: the definition's finding is unchanged
        # (had it changed, its diagnostics would have been published before the caller's).
        [after] = client.diagnostics[impl]
        assert after.message == before.message
        # No fix is offered while it would edit a file that does not parse.
        actions = await actions_at(client, impl, after)
        assert not any("synchronous" in a.title for a in actions) and any("noqa" in a.title for a in actions)
        change_file(client, caller, CALLER, 3)
        await published(client, caller)
        assert any("synchronous" in a.title for a in await actions_at(client, impl, after))


@pytest.mark.asyncio
async def test_save_pushes_what_a_long_debounce_held_back(tmp_path):
    root = make_project(tmp_path, {"pkg/_impl.py": IMPL, "pkg/caller.py": CALLER})
    async with session(root, options={"debounce": 60000}) as client:
        uri = open_file(client, root / "pkg/_impl.py")
        assert [d.code for d in await published(client, uri)] == ["DSP201"]
        change_file(client, uri, "import asyncio\n\n\nasync def _forward(message):\n    await asyncio.sleep(0)\n", 2)
        await asyncio.sleep(0.5)
        assert [d.code for d in client.diagnostics[uri]] == ["DSP201"]  # still waiting for the pause
        client.text_document_did_save(lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(uri=uri)))
        # A publish of the opened text may still be on its way; the edit's comes
        # within TIMEOUT only because of the save (the pause is a minute).
        while await published(client, uri) != []:
            pass


@pytest.mark.asyncio
async def test_configuration_answered_after_an_edit_leaves_the_debounce_alone(tmp_path):
    root = make_project(tmp_path, {"pkg/_impl.py": IMPL, "pkg/caller.py": CALLER})
    answer = asyncio.Event()
    async with session(root, options={"debounce": 60000}, configuration_held=answer) as client:
        uri = open_file(client, root / "pkg/_impl.py")
        assert [d.code for d in await published(client, uri)] == ["DSP201"]
        change_file(client, uri, "import asyncio\n\n\nasync def _forward(message):\n    await asyncio.sleep(0)\n", 2)
        await asyncio.sleep(0.2)
        answer.set()  # no settings: nothing changed, so nothing is checked before the pause
        await asyncio.sleep(0.5)
        assert [d.code for d in client.diagnostics[uri]] == ["DSP201"]


@pytest.mark.asyncio
async def test_pulling_client_is_asked_to_pull_files_an_edit_affects(tmp_path):
    root = make_project(tmp_path, {"pkg/_impl.py": IMPL, "pkg/caller.py": CALLER})
    capabilities = pytest_lsp.client_capabilities("visual-studio-code")
    capabilities.text_document.diagnostic = lsp.DiagnosticClientCapabilities(related_document_support=True)
    capabilities.workspace.diagnostics = lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=True)

    async def pull(client, uri):
        report = await asyncio.wait_for(client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri))), TIMEOUT)
        return list(report.items)

    async with session(root, capabilities=capabilities) as client:
        impl = open_file(client, root / "pkg/_impl.py")
        caller = open_file(client, root / "pkg/caller.py")
        [first] = await pull(client, impl)
        assert "plain `await`" in first.message
        assert await pull(client, caller) == []
        change_file(client, caller, CALLER.replace("await _forward(message)", "_forward(message)"), 2)
        await pull(client, caller)
        assert client.diagnostic_refresh_count == 1
        [second] = await pull(client, impl)
        assert "called without `await`" in second.message
        assert client.diagnostics == {}  # nothing was pushed to a pulling client


@pytest.mark.asyncio
async def test_a_broken_pyproject_is_reported_once_and_reloaded_when_fixed(tmp_path):
    root = make_project(tmp_path, {"pkg/_impl.py": IMPL, "pkg/caller.py": CALLER})
    pyproject = root / "pyproject.toml"
    good = pyproject.read_text()
    pyproject.write_text(good + "no-such-key = 1\n")
    async with session(root) as client:
        uri = open_file(client, root / "pkg/_impl.py")
        assert await published(client, uri) == []
        [message] = client.messages
        assert message.type == lsp.MessageType.Error and "no-such-key" in message.message
        pyproject.write_text(good)
        client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=pyproject.as_uri(), type=lsp.FileChangeType.Changed)]))
        assert [d.code for d in await published(client, uri)] == ["DSP201"]


WORKER = ("import asyncio\n\n\nclass Worker:\n    def __init__(self):\n        self.mail = asyncio.Queue(maxsize=8)\n\n"
          "    async def run(self):\n        while True:\n            print(await self.mail.get())\n")
GATEWAY = "from pkg.worker import Worker\n\n\nasync def forward(worker: Worker, job):\n    await worker.mail.put(job)\n"


@pytest.mark.asyncio
async def test_channel_finding_points_at_its_construction_and_follows_its_edits(tmp_path):
    root = make_project(tmp_path, {"pkg/worker.py": WORKER, "pkg/gateway.py": GATEWAY})
    worker = (root / "pkg/worker.py").as_uri()
    async with session(root) as client:
        uri = open_file(client, root / "pkg/gateway.py")
        [shown] = await published(client, uri)
        assert shown.code == "DSP101" and "built at pkg/worker.py:6" in shown.message
        built, drained = shown.related_information
        assert built.location.uri == worker and "built here" in built.message
        assert (built.location.range.start.line, built.location.range.start.character) == (5, 20)
        assert drained.location.uri == worker and "drains it" in drained.message

        # An unsaved edit that unbounds the queue in another file clears the finding.
        worker_uri = open_file(client, root / "pkg/worker.py")
        change_file(client, worker_uri, WORKER.replace("maxsize=8", ""), 2)
        while await published(client, uri):
            pass


def test_documentation_link_only_to_a_current_page(tmp_path, monkeypatch):
    from dispatch_lint.frontends.docs import rule_pages
    from dispatch_lint.frontends.server import convert

    monkeypatch.setattr(convert, "_RULE_DOCS", tmp_path)
    convert.doc_link.cache_clear()
    try:
        assert convert.doc_link("DSP201") is None  # no page: no address
        convert.doc_link.cache_clear()
        (tmp_path / "DSP201.md").write_text(rule_pages()["DSP201.md"] + "\nan older text\n", encoding="utf-8")
        assert convert.doc_link("DSP201") is None
        convert.doc_link.cache_clear()
        (tmp_path / "DSP201.md").write_text(rule_pages()["DSP201.md"], encoding="utf-8")
        assert convert.doc_link("DSP201").href == (tmp_path / "DSP201.md").as_uri()
    finally:
        convert.doc_link.cache_clear()
