"""The run's temporary file for compressed texts and facts (dispatch_lint/spill.py):
what goes in comes back, in forked workers too, pickles as plain bytes, and
stays in memory when no temporary file can be written."""

from __future__ import annotations

import ast
import pickle
import tempfile

import pytest

from dispatch_lint.engine import pool
from dispatch_lint.engine.index import extract_packed
from dispatch_lint.engine.runner import Engine
from dispatch_lint.engine.sources import Source, decode
from dispatch_lint.registry import settings_for
from dispatch_lint.rules import ALL_RULES
from dispatch_lint.spill import Spill, Spilled, loaded

SOURCE = "import asyncio\n\nasync def helper():\n    return 1\n\nasync def main():\n    return await helper()\n"
_SHARED = {}


def test_spilled_bytes_read_back_and_pickle_as_the_bytes():
    spill = Spill()
    first, second = spill.keep(b"first"), spill.keep(b"second" * 1000)
    assert isinstance(first, Spilled) and isinstance(second, Spilled)
    assert (loaded(first), loaded(second)) == (b"first", b"second" * 1000)
    assert pickle.loads(pickle.dumps(second)) == b"second" * 1000
    assert (loaded(second, 6, 4), loaded(b"in memory", 3, 6)) == (b"seco", b"memory")
    assert loaded(b"in memory") == b"in memory"


def _read_spilled(item):
    return loaded(_SHARED["stored"][item])


def test_forked_workers_read_what_was_spilled_before_they_started():
    spill = Spill()
    _SHARED["stored"] = [spill.keep(f"item {n}".encode() * (n + 1)) for n in range(40)]
    try:
        results = pool.run_all(_read_spilled, list(range(40)), 2, lambda item: None)
    finally:
        _SHARED.clear()
    assert results == [f"item {n}".encode() * (n + 1) for n in range(40)]


def _write_in_worker(item):
    return _SHARED["spill"].keep(f"written by a worker {item} ".encode() * (item * 50 + 1)).ref()


def test_forked_workers_append_to_the_spill_and_the_owner_reads_it():
    spill = Spill()
    spill.open()
    own = spill.keep(b"written by the owner")
    _SHARED["spill"] = spill
    try:
        refs = pool.run_all(_write_in_worker, list(range(40)), 2, lambda item: None)
    finally:
        _SHARED.clear()
    assert [loaded(spill.at(ref)) for ref in refs] == [
        f"written by a worker {n} ".encode() * (n * 50 + 1) for n in range(40)]
    assert loaded(own) == b"written by the owner"


def test_without_a_writable_temporary_folder_texts_and_facts_stay_in_memory_compressed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    spill = Spill()
    assert spill.keep(b"data") == b"data"
    source = decode("m.py", SOURCE.encode(), spill)
    assert source.text == SOURCE and source._compressed
    facts = extract_packed(str(tmp_path / "m.py"), SOURCE, ast.parse(SOURCE), str(tmp_path), compress=False)
    before = (facts.blob, facts.unpack())
    facts.spill_to(spill)
    assert facts.compressed and isinstance(facts.data, bytes)
    assert (facts.blob, facts.unpack()) == before


@pytest.mark.parametrize("compress", [True, False])
def test_a_spilled_source_and_spilled_facts_are_unchanged(tmp_path, compress):
    spill = Spill()
    source = decode("m.py", SOURCE.encode(), spill)
    kept = decode("m.py", SOURCE.encode())
    assert isinstance(source._stored, Spilled) and not source._compressed and kept._compressed
    assert source == kept and source.text == SOURCE
    facts = extract_packed(str(tmp_path / "m.py"), SOURCE, ast.parse(SOURCE), str(tmp_path), compress)
    before = (facts.blob, facts.unpack())
    facts.spill_to(spill)
    assert isinstance(facts.data, Spilled) and facts.compressed == compress
    assert (facts.blob, facts.unpack()) == before
    assert pickle.loads(pickle.dumps(facts)).blob == before[0]


def test_a_run_keeps_its_texts_and_facts_in_its_temporary_file(tmp_path):
    for n in range(12):
        (tmp_path / f"m{n}.py").write_text(SOURCE)
    settings = settings_for([str(tmp_path)], {"cache": False})
    result = Engine(settings, ALL_RULES, jobs=2).run([str(tmp_path)])
    assert len([d for d in result.diagnostics if d.code == "DSP201"]) == 12
    assert all(isinstance(source._stored, Spilled) for source in result.sources.values())
    assert all(isinstance(facts.data, Spilled) and not facts.compressed for facts in result.index.files.packed.values())
