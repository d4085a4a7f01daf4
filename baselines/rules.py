"""Rule baseline for attribution: quotation marks and reporting verbs, plus a source-mention guess.

Decision, per sentence:
- a quotation that opens the sentence, or covers at least `quote_share` of its characters → direct
- a quotation and a reporting cue ("said", "told", "according to", ...) → mixed
- a reporting cue without quotation → indirect
- otherwise (including scare quotes with no cue) → none
`quote_share` is the one setting, chosen on the validation split.

Source spans (only when the sentence is attributed): the words after "according to" up to the
next comma or full stop; else the words between the last clause boundary (sentence start,
closing quotation mark, comma, colon) and the reporting verb ("the army spokesman said");
else, for inverted order ("..., said the minister."), the words after the verb.
The label names returned here are checked against the schema by the caller.
"""
from __future__ import annotations

import re

# Opening/closing quotation marks: straight double quotes and typographic ones. Single quotes are
# left out on purpose: they are mostly apostrophes in English news text.
QUOTE = re.compile(r"[\"\u201c\u201e\u00ab]([^\"\u201c\u201d\u201e\u00ab\u00bb]+)[\"\u201d\u00bb]")

REPORTING_VERBS = [
    "said", "says", "say", "told", "tells", "tell", "stated", "states", "added", "adds", "noted", "notes",
    "claimed", "claims", "announced", "announces", "reported", "reports", "warned", "warns",
    "stressed", "stresses", "insisted", "insists", "argued", "argues", "explained", "explains",
    "confirmed", "confirms", "denied", "denies", "wrote", "writes", "tweeted", "posted", "declared",
    "declares", "emphasised", "emphasized", "underlined", "recalled", "urged", "urges", "accused",
    "replied", "responded", "alleged", "asserted", "remarked", "commented", "acknowledged",
    "suggested", "estimated", "predicted", "promised", "vowed", "pledged", "quoted",
]
CUE = re.compile(r"\b(?:according to|pointed out|" + "|".join(REPORTING_VERBS) + r")\b", re.IGNORECASE)
ACCORDING = re.compile(r"\baccording to\s+", re.IGNORECASE)
BOUNDARY = re.compile(r"[\u201d\"\u00bb,;:(\u2014]")
MAX_SOURCE_WORDS = 8

# the attribution labels the rules emit (checked against the schema before use)
NOT_ATTRIBUTED, DIRECT, INDIRECT, MIXED = "none", "direct", "indirect", "mixed"
LABELS = (NOT_ATTRIBUTED, DIRECT, INDIRECT, MIXED)

QUOTE_SHARES = (0.3, 0.5, 0.7)   # the validation grid
DEFAULT_QUOTE_SHARE = 0.5


PASSIVE = re.compile(r"\b(?:is|are|was|were|been|being)\s+$", re.IGNORECASE)


def _cues(text: str):
    """Reporting cues, leaving out agentless passives ("fire was reported near ...")."""
    for m in CUE.finditer(text):
        if PASSIVE.search(text[:m.start()]) and not re.match(r"\s+by\b", text[m.end():]):
            continue
        yield m


def quoted_share(text: str) -> float:
    chars = sum(len(m.group(0)) for m in QUOTE.finditer(text))
    return chars / max(len(text.strip()), 1)


def attribution_label(text: str, quote_share: float = DEFAULT_QUOTE_SHARE) -> str:
    first = QUOTE.search(text)
    has_quote = first is not None
    has_cue = next(_cues(text), None) is not None
    # a sentence that opens with a quotation ('"...," the mayor said') is a direct quote
    if has_quote and (first.start() == len(text) - len(text.lstrip()) or quoted_share(text) >= quote_share):
        return DIRECT
    if has_quote and has_cue:
        return MIXED
    if has_cue:
        return INDIRECT
    return NOT_ATTRIBUTED


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Shrink [start, end) to its words (no spaces or punctuation at either end)."""
    piece = text[start:end]
    m = re.search(r"\w(?:.*\w)?", piece, re.S)
    if not m:
        return None
    s, e = start + m.start(), start + m.end()
    words = text[s:e].split()
    if not words or len(words) > MAX_SOURCE_WORDS:
        return None
    return s, e


def source_spans(text: str) -> list[tuple[int, int]]:
    # reporting verbs inside a quotation belong to the quoted speech, not to the attribution
    quoted = [m.span() for m in QUOTE.finditer(text)]

    def in_quote(pos: int) -> bool:
        return any(s <= pos < e for s, e in quoted)

    m = next((m for m in ACCORDING.finditer(text) if not in_quote(m.start())), None)
    if m:
        stop = re.search(r"[,.;:\u201c\"]", text[m.end():])
        end = m.end() + (stop.start() if stop else len(text) - m.end())
        span = _trim(text, m.end(), end)
        return [span] if span else []
    cue = next((c for c in _cues(text) if not in_quote(c.start())), None)
    if cue is None:
        return []
    if PASSIVE.search(text[:cue.start()]):
        # "was reported by local media": the agent after "by" is the source
        by = re.match(r"\s+by\s+", text[cue.end():])
        start = cue.end() + by.end()
        stop = re.search(r"[,.;:\u201c\"]|\b(?:that|in|on|near|at)\b", text[start:])
        span = _trim(text, start, start + (stop.start() if stop else len(text) - start))
        return [span] if span else []
    before = text[:cue.start()]
    cut = max((b.end() for b in BOUNDARY.finditer(before)), default=0)
    # a subject right before the verb ("the army spokesman said"), not "... that ..." clauses
    span = _trim(text, cut, cue.start())
    if span and " that " not in f" {text[span[0]:span[1]]} ":
        return [span]
    # inverted order: '"...," said the minister.'
    stop = re.search(r"[,.;:\u201c\"]|\bthat\b", text[cue.end():])
    end = cue.end() + (stop.start() if stop else len(text) - cue.end())
    span = _trim(text, cue.end(), end)
    return [span] if span else []
