"""Where a growth-justification comment may stand, and what it must say."""

import ast

import pytest

from dispatch_lint.channels.bound_claims import judge
from dispatch_lint.channels.justification import (
    JUSTIFICATION_WORDS,
    Justifier,
    limit_words,
    names_a_limit,
    read_comments,
)
from justification_comments import COMMENTS

WORDS = limit_words(JUSTIFICATION_WORDS.default)


def reason(text, options=None):
    """The justification found for the statement assigning `q` (else the first statement)."""
    statements = ast.parse(text).body
    statement = next((s for s in statements if isinstance(s, ast.Assign) and ast.unparse(s.targets[0]) == "q"),
                     statements[0])
    return Justifier(text, options or {}).reason(statement.lineno, statement.end_lineno)


@pytest.mark.parametrize("text", [
    "q = Queue()  # unbounded: the producer reads a finite file\n",
    "# unbounded: the producer reads a finite file\nq = Queue()\n",
    "# unbounded: the producer reads a finite file\n\nq = Queue()\n",
    "def f():\n    # unbounded: the producer reads a finite file\n\n    q = Queue()\n",
    "if a:\n    pass\nelse:\n    # unbounded: the producer reads a finite file\n\n    q = Queue()\n",
    "q = Queue()\n# unbounded: the producer reads a finite file\n",
    "q = Queue()\n\n# unbounded: the producer reads a finite file\n",
    "# The crawler's flow is circular:\n# a bounded buffer could deadlock.\nq = Queue()\n",
    "q = open_channel(\n    # circular flow; bounding it would deadlock\n    inf,\n)\n",
    "q = Queue()\n# One read yields thousands of frames, so reading is\n# paused above a high-water mark.\n",
    "x = 1\n# unbounded: drained every tick\n# (reason continues)\nq = Queue()\n",
])
def test_each_placement_counts(text):
    assert reason(text) is not None


@pytest.mark.parametrize("text", [
    # A trailing block at the end of a body, before a dedented statement one blank line on.
    "class A:\n    def f(self):\n        q = Queue()\n        # unbounded: one finite file\n\n    def g(self):\n        pass\n",
    # A block followed by a clause header (`else:`), which starts no statement.
    "if x:\n    q = Queue()\n    # unbounded: one finite file\nelse:\n    q = None\n",
    # Right under `q`, a blank line before the next statement: the block explains `q`.
    "q = Queue()\n# unbounded: the producer reads a finite file\n\nx = 1\n",
    # A heading (blank lines on both sides) over `q`.
    "x = 1\n\n# unbounded: the producer reads a finite file\n\nq = Queue()\n",
    # The example: the second statement's own block.
    "events = Queue()\n\n# unbounded: the three worker threads are the only producers\nq = Queue()\n",
])
def test_block_after_counts_when_no_statement_follows_it_directly(text):
    assert reason(text) is not None


@pytest.mark.parametrize("text", [
    "q = Queue()\n",
    "# unbounded: the producer reads a finite file\n\n\nq = Queue()\n",  # two blank lines above
    "q = Queue()\n\n\n# unbounded: the producer reads a finite file\n",  # two blank lines below
    "q = Queue()  # queue of outgoing messages\n",  # about something else
    "# Messages for the printer.\nq = Queue()\n",
    "x = 1  # bounded by the caller\nq = Queue()\n",  # the previous statement's comment
    "q = Queue()\ny = 2  # bounded by the caller\n",  # the next statement's comment
    "s = 'q = Queue()  # bounded upstream'\n",  # not a comment at all
    # A block after the statement belongs to the statement that directly follows it.
    "q = Queue()\n# unbounded: the producer reads a finite file\nx = 1\n",
    "q = Queue()\n\n# unbounded: the three worker threads are the only producers\nlog_records = Queue()\n",
    # One blank line above counts only at the statement's own indentation,
    # and not when the block comes after another statement.
    "if x:\n    y = 1\n    # unbounded: the producer reads a finite file\n\nq = Queue()\n",
    "x = 1\n# unbounded: the producer reads a finite file\n\nq = Queue()\n",
    # A heading belongs to the statement under it, not to the one above.
    "q = Queue()\n\n# unbounded: the producer reads a finite file\n\nx = 1\n",
])
def test_misplaced_or_unrelated_comment_does_not_count(text):
    assert reason(text) is None


@pytest.mark.parametrize("comment", [
    "# unbounded:",
    "# unbounded:   ",
    "# unbounded: TODO",
    "# unbounded: FIXME!",
    "# unbounded: TODO add a limit",
    "# TODO: add a limit",
    "# there is no limit",
    "# not bounded",
    "# without backpressure",
])
def test_bare_marker_todo_and_negation_do_not_count(comment):
    assert reason(f"q = Queue()  {comment}\n") is None


@pytest.mark.parametrize("comment, counts, source", COMMENTS, ids=[c[0][:40] for c in COMMENTS])
def test_real_comments_are_read_as_a_reviewer_reads_them(comment, counts, source):
    assert (reason(f"q = Queue()  # {comment}\n") is not None) == counts, judge(comment, WORDS)


def test_the_real_comments_are_enough_and_both_ways():
    assert len(COMMENTS) >= 40
    assert sum(1 for _, counts, _ in COMMENTS if counts) >= 15
    assert sum(1 for _, counts, _ in COMMENTS if not counts) >= 15


@pytest.mark.parametrize("comment, why", [
    ("we should bound this someday", "hedged (should)"),
    ("maybe cap it later", "hedged (maybe)"),
    ("TODO: add a limit", "hedged (TODO)"),
    ("ignore the limit, memory is cheap", "negated"),
    ("there is no backpressure here", "negated"),
    ("see the timeout handling below", "a pointer elsewhere, not a statement"),
    ("if the peer is throttled, we drop frames", "conditional"),
    ("ported from upstream", "no bound stated"),
])
def test_rejections_say_why(comment, why):
    claim = judge(comment, WORDS)
    assert not claim.counts and claim.why == why


@pytest.mark.parametrize("phrase", [
    "bounded upstream", "limited by the pool", "capped at 100", "at most one per client",
    "back-pressure from the socket", "flow control", "highwater mark", "pausing the reader",
    "throttled", "finite input", "circular", "would deadlock", "Backpressure",
])
def test_vocabulary_and_inflections(phrase):
    assert names_a_limit(phrase, WORDS)


@pytest.mark.parametrize("phrase", [
    "unbounded queue", "unlimited", "infinite", "capture", "boundary", "recap",
    "the port this socket is bound to", "a bound method",
])
def test_words_must_start_and_end_at_word_boundaries(phrase):
    assert not names_a_limit(phrase, WORDS)


@pytest.mark.parametrize("comment, counts", [
    ("# noqa: DSP301  # unbounded: fed by one finite file", True),
    ("# unbounded:  # noqa: DSP301", False),
    ("# type: ignore  # bounded upstream by the parser", True),
])
def test_each_hash_separated_part_is_judged_on_its_own(comment, counts):
    assert (reason(f"q = Queue()  {comment}\n") is not None) == counts


def test_marker_pattern_is_a_setting():
    text = "q = Queue()  # growth: one item per tenant\n"
    assert reason(text) is None
    assert reason(text, options={"unbounded-marker": r"growth\s*:"}) is not None
    assert reason("q = Queue()  # growth:\n", options={"unbounded-marker": r"growth\s*:"}) is None


def test_word_list_is_a_setting():
    text = "q = Queue()  # one batch per tenant\n"
    assert reason(text) is None
    assert reason(text, options={"justification-words": ["one batch"]}) is not None
    assert reason("q = Queue()  # bounded upstream\n", options={"justification-words": []}) is None


def test_comments_are_read_with_their_lines_and_placement():
    comments = read_comments("x = 1  # trailing\n# own line\ny = '#not a comment'\r\n# crlf\n")
    assert {n: (c.text, c.own_line) for n, c in comments.items()} == {
        1: ("trailing", False), 2: ("own line", True), 4: ("crlf", True)}


def test_untokenizable_text_is_not_judged():
    justifier = Justifier("q = (\n", {})
    assert not justifier.readable()
    assert justifier.reason(1, 1) is None
