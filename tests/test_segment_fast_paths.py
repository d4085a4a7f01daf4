"""Every shortcut the segmenter takes for speed gives the units its full rules give.

corpus/segment.py skips work where it can show the result does not change: a turn of plain
sentences becomes its units in one pass (`_plain_spans`, `_all_cuts_stand`), facts found once
per text let per-turn regexes run only where they can match (`_TextFacts`), label candidates
are skipped at sentence ends no label can hold (`_ends_uncrossably`), and the running sum of
sentencex's sentence lengths stands in for its boundary dicts (`_sentencex_cuts`). Each test
turns one shortcut off (monkeypatch: its conservative answer, "maybe") and checks that the gold
inputs and many generated texts segment exactly as with it on. The texts are the invented gold
inputs and generated ones, never archive text (tests/test_segment_identity.py covers the archive).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import sentencex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warvoices.corpus import segment as seg

GOLD = Path(__file__).resolve().parent / "gold"


def _gold_cases() -> list[tuple[str, str, list[tuple[int, int]]]]:
    cases = []
    for path in sorted(GOLD.glob("*.gold.jsonl")):
        head = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
        text = (GOLD / head["input"]).read_text(encoding="utf-8")
        exclude = [(0, text.index("\n"))] if head["exclude"] == "first line" else []
        cases.append((text, head["layout"], exclude))
    return cases


# with the gold inputs: short texts that each reach one rule behind a shortcut
EXTRA_TEXTS = [
    "Bring it to me. A plan is ready.", "It was reported to me.\tI will tell you.", "He said no.  I'll go.",
    "“We hold. We win.” Yes. Then “fine.” Ok.\" Next.", "The U.S.-U.K. deal held. Lind said so.",
    "Defenсe said Т-34 tanks moved. Nothing else.", "The debate went on.\nMr. Lind (Veloria), Vice-President, took the Chair.", "Page 4 of 9\nCosts rose to $4.5 bn. in 2023. See Vol. 2 now.",
]
GOLD_CASES = _gold_cases() + [(text, "plain", []) for text in EXTRA_TEXTS]

# pieces that reach each shortcut and the rules behind it: quotation marks (straight, curly,
# unclosed), attributions, initials and abbreviations, list markers, notes, page marks, bold,
# Cyrillic look-alikes, "me. I", labels (capitals, mixed case, with notes) after sentences that
# end in "!", "?", ")" or a long word
_PIECES = [
    "The talks ended.", "Mr. Lind went to the capital.", "It was reported to me.", "I will tell you.",
    "Bring it to me.", "A plan is ready.", "See Art. I of the treaty.", "The U.S.-U.K. deal held.",
    "Costs rose to $4.5 bn. in 2023.", "See Vol. 2 now.", "“We will hold. We will win,” the mayor said.",
    "\"It is over.\" Lind said.", "\"Fine.\" Ok.\" Yes.", "“An open quote goes on.", "a \"so-called\" plan.",
    "(Applause.)", "(laughter)", "<…>", "[Post, 10/19/23]", "* * *", "Page 4 of 9", "1.", "(b)", "- an item",
    "• a bullet item", "o An item", "12. A numbered paragraph.", "THE PRESIDENT:", "MS. LIND:", "Q:", "Q Why now?",
    "President of Veloria Anna Lind:", "Mrs. Anna Lind:", "Gen. Ivan Petrov (retd.):", "Dr. R. Lind:", "Question:", "Anna Lind :", "Scholz(retranslated):", "Imagine: a world.",
    "Defenсe moved Т-34 tanks.", "Слава героям.", "**Mr. President,**", "**Long live peace!**", "Thank you!",
    "Why?", "Really…", "Yes.", "Trade", "Support to Ukraine", "A. Periodic Review", "Middle East *",
    "the reform of the Security", "Council met.", "We cannot", "NATO.", "EU.", "J. I. Lind came.",
    "He said no.", "I'll go.", "Ⅰ. Roman", "Éric said so.", "Дякую.", "Pa", "age",
]


@st.composite
def texts(draw):
    pieces = draw(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=50))
    seps = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", "\t", " \n", "\r\n", ""])
    text = "".join(p + draw(seps) for p in pieces)
    layout = draw(st.sampled_from(seg.LAYOUTS))
    return text, layout


def _units(text: str, layout: str, exclude=()) -> list[tuple]:
    return [(u.start, u.end, u.kind, u.speaker_span, u.flags) for u in seg.segment(text, layout=layout, exclude=exclude)]


def _same_without(monkeypatch, patches: dict, cases) -> None:
    with_shortcut = [_units(*c) for c in cases]
    with monkeypatch.context() as m:
        for name, value in patches.items():
            m.setattr(seg, name, value)
        without = [_units(*c) for c in cases]
    assert without == with_shortcut


_TEXT_FACTS = seg._TextFacts


def _all_facts(text: str, layout: str = "plain") -> seg._TextFacts:
    """Facts that rule nothing out: every quote mark, Cyrillic, a stop at every full stop, and
    (in UN records) maybe a chair note anywhere."""
    facts = object.__new__(_TEXT_FACTS)
    facts.chair = layout == seg.UN_DEBATE
    facts.quotes = tuple(seg._DQUOTE_CHARS)
    facts.closers = tuple(seg._MISSED_QUOTE_CLOSERS)
    facts.cyrillic = True
    facts.merge_stops = [i for i, ch in enumerate(text) if ch == "."]
    return facts


SHORTCUTS_OFF = {
    "plain turns": {"_plain_spans": lambda text, lo, hi, pieces: None, "_all_cuts_stand": lambda pieces: False},
    "text facts": {"_TextFacts": _all_facts},
    "label windows": {"_ends_uncrossably": lambda text, s, p: False},
}


@pytest.mark.parametrize("shortcut", sorted(SHORTCUTS_OFF))
def test_gold_inputs_segment_the_same_without_the_shortcut(monkeypatch, shortcut):
    # each gold input in its own layout and in the other two, so every path is exercised
    cases = [(text, layout, exclude) for text, _, exclude in GOLD_CASES for layout in seg.LAYOUTS]
    _same_without(monkeypatch, SHORTCUTS_OFF[shortcut], cases)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(case=texts())
@pytest.mark.parametrize("shortcut", sorted(SHORTCUTS_OFF))
def test_generated_texts_segment_the_same_without_the_shortcut(monkeypatch, shortcut, case):
    _same_without(monkeypatch, SHORTCUTS_OFF[shortcut], [case])


def test_the_shortcuts_are_taken():
    """The equivalence tests above compare something: on plain prose the one-pass path is taken,
    and the label-window skip fires on a line of many sentences."""
    calls = {"plain": 0, "skipped": 0}
    plain, skip = seg._plain_spans, seg._ends_uncrossably

    def count_plain(*a):
        out = plain(*a)
        calls["plain"] += out is not None
        return out

    def count_skip(*a):
        out = skip(*a)
        calls["skipped"] += out
        return out

    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(seg, "_plain_spans", count_plain)
        mp.setattr(seg, "_ends_uncrossably", count_skip)
        seg.segment("The talks ended in the evening. Both sides will meet again soon.\n"
                    "Nothing was agreed today! The delegations left quickly. Minister Anna Lind: We wait.")
    finally:
        mp.undo()
    assert calls["plain"] >= 1 and calls["skipped"] >= 1


def test_sentencex_boundaries_stand_in_when_its_sentences_do_not_add_up(monkeypatch):
    """Should a sentencex version return sentences that do not add up to the text, the offsets
    come from its boundary dicts and the units stay the same. (A mock: the installed sentencex
    cannot be made to return such sentences.)"""
    cases = [(text, layout, exclude) for text, layout, exclude in GOLD_CASES]
    want = [_units(*c) for c in cases]
    real = sentencex.segment
    calls = []

    def short_pieces(language: str, text: str) -> list[str]:
        calls.append(text)
        pieces = real(language, text)
        return pieces[:-1] + [pieces[-1][:-1]] if pieces and len(text) > 1 else pieces

    monkeypatch.setattr(sentencex, "segment", short_pieces)
    assert [_units(*c) for c in cases] == want
    assert calls   # the mock was used


def test_sentencex_offsets_are_its_boundaries():
    text = "Mr. Lind arrived. “Go home,” he said. She stayed! Did he? Yes… All right."
    offsets, pieces = seg._sentencex_cuts(text)
    assert pieces is not None and "".join(pieces) == text
    assert offsets == [b["start_index"] for b in sentencex.get_sentence_boundaries("en", text)
                       if 0 < b["start_index"] < len(text)]
    assert len(offsets) >= 3


def test_units_made_by_the_fast_constructor_are_the_dataclass():
    fast = seg._unit(3, 9, seg.BODY, (0, 2), ("homoglyph",))
    slow = seg.Unit(3, 9, seg.BODY, (0, 2), ("homoglyph",))
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert type(fast) is seg.Unit


def test_a_label_after_a_short_abbreviation_keeps_it():
    """A candidate label start is skipped only at a sentence end no label can hold; "Mrs." can be
    held (an abbreviation of three characters), "Welcome." cannot."""
    text = "President of Veloria Anna Lind: Welcome. Thank you. Mrs. Anna Lind: Yes, we agree."
    units = seg.segment(text)
    assert [(u.text_in(text), text[slice(*u.speaker_span)]) for u in units] == [
        ("Welcome.", "President of Veloria Anna Lind"), ("Thank you.", "President of Veloria Anna Lind"),
        ("Yes, we agree.", "Mrs. Anna Lind")]
    assert seg._ends_uncrossably(text, 0, text.index("Welcome.") + 7)
    assert not seg._ends_uncrossably(text, text.index("Mrs."), text.index("Mrs.") + 3)
    assert seg._ends_uncrossably("Stop! Now", 0, 4)
