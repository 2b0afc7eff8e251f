"""The text pre-filter never hides a finding: every fixture folder and the pinned
corpus give identical findings with it on and off."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dispatch_lint import registry
from dispatch_lint.engine.runner import Engine
from dispatch_lint.rules import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import corpus  # noqa: E402

FIXTURES = sorted(p for p in (ROOT / "fixtures").iterdir() if p.is_dir())
# Small projects that build channels (queues, memory streams), so the rules do parse.
DEFAULT_PROJECTS = ("janus", "a2wsgi", "trio-websocket")


def findings_both_ways(folder: Path):
    settings = registry.settings_for([str(folder)], {"cache": False})
    runs = [Engine(settings, ALL_RULES, prefilter=on).run([str(folder)]) for on in (True, False)]
    filtered, unfiltered = runs
    as_tuples = [[(d.path, d.line, d.column, d.code, d.message, d.fix) for d in run.diagnostics]
                 for run in runs]
    return as_tuples, filtered.parsed, unfiltered.parsed


@pytest.mark.parametrize("folder", FIXTURES, ids=[p.name for p in FIXTURES])
def test_prefilter_keeps_every_fixture_finding(folder):
    (with_filter, without_filter), parsed_with, parsed_without = findings_both_ways(folder)
    assert with_filter == without_filter
    assert parsed_with <= parsed_without


def projects(names):
    try:
        return corpus.ensure(names)
    except corpus.CorpusUnavailable as exc:
        pytest.skip(f"corpus unavailable: {exc}")


@pytest.mark.network
@pytest.mark.parametrize("name", DEFAULT_PROJECTS)
def test_prefilter_keeps_every_finding_on_small_corpus_projects(name):
    folder = projects([name])[name]
    (with_filter, without_filter), _, _ = findings_both_ways(folder)
    assert with_filter == without_filter


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in corpus.PINNED if n not in DEFAULT_PROJECTS])
def test_prefilter_keeps_every_finding_on_the_whole_corpus(name):
    folder = projects([name])[name]
    (with_filter, without_filter), parsed_with, parsed_without = findings_both_ways(folder)
    assert with_filter == without_filter
    assert parsed_with < parsed_without
