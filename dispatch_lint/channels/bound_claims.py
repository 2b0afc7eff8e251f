"""Does a piece of free text state what bounds a channel's growth?

A small rule-based reader, not a word list. The text is cut into sentences (at
`.`, `;`, `!`, `?`) and those into clauses (at `:`, `,`, "but", "and", "so",
"because", dashes); a clause states a bound when it holds a *bound cue* that is

- **affirmative**: no negation (`no`, `not`, `never`, `without`, `ignore`,
  `n't`, ...) in the few words before the cue;
- **not hedged**: no hedge (`someday`, `should`, `maybe`, `might`, `perhaps`,
  `later`, `eventually`, `ideally`, `TODO`, `FIXME`, `XXX`, `for now`, a
  question) anywhere in its sentence;
- **a statement, not a pointer or a condition**: the clause does not start
  with `see`, `cf`, `refer to`, nor with `if`, `unless`;
- **about growth**: the cue is used in its limiting sense: `bound to` and
  `bound method` are binding, not limits; `bounded queue` alone describes
  the channel without naming what bounds it. `upstream` alone is where code came
  from ("ported from upstream"), so it is no cue; "bounded upstream" counts
  for its `bounded`.

Bound cues are the `justification-words` vocabulary (bound, limit, cap,
backpressure, flow control, high-water, pause, finite, circular, deadlock,
...; a user may add words) and the fixed quantity claims: `at most`, `no more
than`, `never more than`, `up to N`, `a single result` (or item, message, ...),
`filled once`, `exactly once`, `exactly N`, `fixed size`, `only holds`,
`only keeps`, `only receives`, `<= N` (not `<= 0`).

`judge(text, words)` returns a `Claim`: whether the text counts, the cue it
rests on, and why it was rejected otherwise (for messages and tests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, List, Optional, Pattern, Sequence

NEGATIONS = frozenset({
    "no", "not", "never", "without", "nothing", "none", "ignore", "ignores", "ignored", "ignoring",
    "disable", "disabled", "skip", "skipped", "cannot", "isn't", "aren't", "don't", "doesn't",
    "didn't", "won't", "can't", "nor", "lack", "lacks", "lacking",
})
NEGATION_REACH = 3  # a negation up to this many words before a cue cancels it
HEDGE = re.compile(
    r"\b(?:some ?day|should|maybe|might|perhaps|later|eventually|ideally|hopefully|probably|todo|fixme|"
    r"xxx|hack|for now|would be nice|need to|needs to|want to|wants to|consider|in the future|"
    r"one day|at some point|not sure|unclear)\b|\?",
    re.IGNORECASE,
)
CONDITIONAL = re.compile(r"^\W*(?:if|unless|whether|in case)\b", re.IGNORECASE)
POINTER = re.compile(r"^\W*(?:see|cf|refer(?:s|red)? to|compare|as in)\b", re.IGNORECASE)
SENTENCE_BREAK = re.compile(r"[.;!?]+(?:\s|$)")
CLAUSE_BREAK = re.compile(r"[:,]+(?:\s|$)|\s(?:but|and|so|because|though|although|--|\u2014)\s|\s-\s",
                          re.IGNORECASE)
# Quantity claims that bound a channel whatever the configured vocabulary says.
ITEMS = (r"(?:items?|results?|values?|messages?|responses?|repl(?:y|ies)|elements?|entr(?:y|ies)|events?|"
         r"objects?|tokens?|batch(?:es)?|frames?|requests?|tasks?|jobs?|chunks?|records?)")
QUANTITY = re.compile(
    r"\b(?:at most|no more than|never more than|not more than|up to \d+|"
    rf"(?:a |one )?single {ITEMS}|only one {ITEMS}|one {ITEMS} at a time|"
    r"(?:exactly|only|just) once|(?:filled|put|puts|set|written|sent|called|populated|fed|used)"
    r" (?:exactly |only |just )?once|exactly (?:one|two|three|\d+)|fixed (?:number|size)|"
    r"only (?:ever )?(?:holds?|contains?|receives?|gets?|carries|carry|stores?|has|keeps?))\b|"
    r"(?:<=|\u2264)\s*(?!0\b)[\w.(]",
    re.IGNORECASE,
)
# A limit word that is not a limit: binding (`bound to a port`, `a bound method`),
# or a bare description of the channel (`Bounded queue for predictions`) naming nothing.
BINDING_SENSE = re.compile(r"\s+(?:to|method|methods|variable|name|names)\b", re.IGNORECASE)
DESCRIPTION = re.compile(r"\s+(?:queues?|channels?|buffers?|streams?|deques?|lists?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Claim:
    counts: bool
    cue: Optional[str]  # the words the verdict rests on
    why: str  # "states a bound", or why not: "hedged", "negated", "a pointer", "no bound stated"
    clause: str = ""


def sentences(text: str) -> List[str]:
    return [part.strip() for part in SENTENCE_BREAK.split(text) if part and part.strip()]


def clauses(sentence: str) -> List[str]:
    return [part.strip() for part in CLAUSE_BREAK.split(sentence) if part and part.strip()]


def _words_before(clause: str, start: int) -> List[str]:
    return re.findall(r"[a-z']+", clause[:start].lower())


def _cues(clause: str, words: Optional[Pattern[str]]) -> Iterator[re.Match]:
    patterns = [QUANTITY] + ([words] if words is not None else [])
    for pattern in patterns:
        for match in pattern.finditer(clause):
            cue = match.group().lower()
            if cue.startswith("bound") and (BINDING_SENSE.match(clause, match.end())
                                            or DESCRIPTION.match(clause, match.end())):
                continue
            yield match


def _negated(clause: str, cue: re.Match) -> bool:
    own = cue.group().lower().split()
    if own and own[0] in NEGATIONS:  # "no more than", "never more than": the negation is the cue's
        return False
    return any(word in NEGATIONS or word.endswith("n't") for word in _words_before(clause, cue.start())[-NEGATION_REACH:])


def judge_clause(clause: str, sentence: str, words: Optional[Pattern[str]]) -> Claim:
    """A clause, hedged when its sentence is."""
    found = list(_cues(clause, words))
    if not found:
        return Claim(False, None, "no bound stated", clause)
    cue = found[0].group()
    if POINTER.match(clause) or POINTER.match(sentence):
        return Claim(False, cue, "a pointer elsewhere, not a statement", clause)
    if CONDITIONAL.match(clause):
        return Claim(False, cue, "conditional", clause)
    hedge = HEDGE.search(sentence)
    if hedge is not None:
        return Claim(False, cue, f"hedged ({hedge.group().strip() or '?'})", clause)
    for match in found:
        if not _negated(clause, match):
            return Claim(True, match.group(), "states a bound", clause)
    return Claim(False, cue, "negated", clause)


def judge(text: str, words: Optional[Pattern[str]]) -> Claim:
    """The first clause of `text` that states a bound, else why none does
    (the most telling rejection: hedged, negated or a pointer before silence)."""
    rejected: Optional[Claim] = None
    for sentence in sentences(text):
        for clause in clauses(sentence):
            claim = judge_clause(clause, sentence, words)
            if claim.counts:
                return claim
            if rejected is None or (rejected.cue is None and claim.cue is not None):
                rejected = claim
    return rejected or Claim(False, None, "no bound stated", text)


def word_pattern(entry: str) -> str:
    """A regular expression for one vocabulary entry and its inflections."""
    words = [re.escape(w) for w in re.split(r"[\s-]+", entry.strip().lower()) if w]
    if not words:
        return ""
    *head, last = words
    if last.endswith("e"):
        last = f"{last[:-1]}(?:e|es|ed|ing)"
    else:
        last = f"{last}(?:s|es|ed|ing|{last[-1]}ed|{last[-1]}ing)?"
    return r"\b" + r"[\s-]*".join([*head, last]) + r"\b"


def limit_words(entries: Sequence[str]) -> Optional[Pattern[str]]:
    parts = [p for p in (word_pattern(e) for e in entries) if p]
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None
