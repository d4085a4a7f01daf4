"""The quote-aware segmenter: hand-checked gold segmentations, properties, the real archive.

Gold files live in tests/gold/: `NAME.txt` is the input (invented texts, plus the bundled seed
article), `NAME.gold.jsonl` the expected units, checked by hand. Its first line says how to
segment (`layout`, `exclude`: "first line" or "none"); every other line is one unit in text
order: kind, speaker (the label text, or null), flags and the exact unit text. Offsets are not
written by hand: the expected offsets are where each unit text occurs next in the input, and
the expected speaker span is the last occurrence of the speaker's label before the unit.
"""
from __future__ import annotations

import dataclasses

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import archive_dir
from warvoices.corpus.schema import load_schema
from warvoices.corpus.errors import InputError
from warvoices.corpus.segment import (
    FLAG_HOMOGLYPH, FLAG_LONG_QUOTE, FLAG_UNBALANCED_QUOTE, LAYOUTS, MAX_UNCLOSED_SENTENCES, Unit, segment,
)

GOLD = Path(__file__).resolve().parent / "gold"
GOLD_FILES = sorted(GOLD.glob("*.gold.jsonl"))
KINDS = set(load_schema().vocabulary("sentence_kind"))
KNOWN_FLAGS = {FLAG_HOMOGLYPH, FLAG_UNBALANCED_QUOTE, FLAG_LONG_QUOTE}


def load_gold(path: Path) -> tuple[str, str, list[tuple[int, int]], list[dict]]:
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    head, units = lines[0], lines[1:]
    text = (GOLD / head["input"]).read_text(encoding="utf-8")
    exclude = [(0, text.index("\n"))] if head["exclude"] == "first line" else []
    return text, head["layout"], exclude, units


def expected_units(text: str, gold: list[dict]) -> list[Unit]:
    out, cursor = [], 0
    for g in gold:
        start = text.find(g["text"], cursor)
        assert start >= 0, f"gold unit not found in order in the input: {g['text']!r}"
        end = start + len(g["text"])
        span = None
        if g["speaker"] is not None:
            s = text.rfind(g["speaker"], 0, start)
            assert s >= 0, f"speaker {g['speaker']!r} not found before {g['text']!r}"
            span = (s, s + len(g["speaker"]))
        out.append(Unit(start, end, g["kind"], span, tuple(g["flags"])))
        cursor = end
    return out


def check_invariants(text: str, units: list[Unit], exclude=(), layout: str = "plain") -> None:
    prev_end = 0
    for u in units:
        assert 0 <= u.start < u.end <= len(text), u
        assert u.start >= prev_end, f"units overlap or are out of order at {u}"
        prev_end = u.end
        body = text[u.start:u.end]
        assert body == body.strip(), f"unit not trimmed: {body!r}"
        # un_debate joins the lines a PDF broke a paragraph into; other layouts never cross a line
        assert layout == "un_debate" or "\n" not in body, f"unit crosses a line: {body!r}"
        assert u.kind in KINDS
        assert set(u.flags) <= KNOWN_FLAGS and list(u.flags) == sorted(set(u.flags))
        for s, e in exclude:
            assert s == e or u.end <= s or u.start >= e, f"unit {u} overlaps exclude range {(s, e)}"
        if u.speaker_span is not None:
            s, e = u.speaker_span
            assert 0 <= s < e <= u.start, f"speaker span {u.speaker_span} must precede unit {u}"
            assert "\n" not in text[s:e]


# ---------------------------------------------------------------------------------------------
# gold segmentations


def test_gold_files_are_present():
    names = {p.name.removesuffix(".gold.jsonl") for p in GOLD_FILES}
    assert {"seed_news-2023-03-13-1e54c59c", "abbreviations", "quotes", "whitehouse_transcript",
            "kremlin_transcript", "headings_homoglyphs", "news_layout", "reactions",
            "un_debate", "kremlin_long_labels", "noise_units"} <= names


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.name.removesuffix(".gold.jsonl"))
def test_gold_segmentation(path):
    text, layout, exclude, gold = load_gold(path)
    want = expected_units(text, gold)
    got = segment(text, layout=layout, exclude=exclude)
    got_view = [(text[u.start:u.end], u.kind, u.speaker_span and text[slice(*u.speaker_span)], u.flags)
                for u in got]
    want_view = [(text[u.start:u.end], u.kind, u.speaker_span and text[slice(*u.speaker_span)], u.flags)
                 for u in want]
    assert got_view == want_view      # readable diff of texts, kinds, speakers, flags
    assert got == want                # and the exact offsets
    check_invariants(text, got, exclude, layout)


def test_seed_article_key_units():
    text, layout, exclude, _ = load_gold(GOLD / "seed_news-2023-03-13-1e54c59c.gold.jsonl")
    units = segment(text, layout=layout, exclude=exclude)
    texts = [text[u.start:u.end] for u in units]
    boiler_end = text.index("\n")
    assert all(u.start > boiler_end for u in units), "the boilerplate line must not be a unit"
    assert units[0].kind == "headline"
    assert texts[0] == "Ukrainian and Russian losses mount in fierce battle for Bakhmut"
    assert units[1].kind == "standfirst" and texts[1].startswith("On the judicial front")
    subheadings = [t for u, t in zip(units, texts) if u.kind == "subheading"]
    assert subheadings == ["The diplomatic front", "ICC seeks arrests of Russian officials"]
    prigozhin = [t for t in texts if "very difficult" in t]
    assert prigozhin == ["“The situation in Bakhmut is difficult, very difficult. The enemy is fighting "
                         "for every yard,” Prigozhin said in a social media post."]


# ---------------------------------------------------------------------------------------------
# behaviour and errors


def test_unit_is_frozen_and_offsets_index_the_original_text():
    text = "  THE PRESIDENT:   Hello there.  (Laughter.)  \n"
    [u] = segment(text)
    assert u.text_in(text) == "Hello there."
    assert text[slice(*u.speaker_span)] == "THE PRESIDENT"
    with pytest.raises(dataclasses.FrozenInstanceError):
        u.start = 0  # type: ignore[misc]


def test_empty_and_blank_texts_have_no_units():
    assert segment("") == []
    assert segment(" \n\n\t \r\n") == []
    assert segment("(Applause.)\n\n* * *\n\n<…>") == []


def test_exclude_ranges_produce_no_units_even_mid_line():
    text = "Cookie banner text. The real sentence starts here. Another one."
    cut = text.index("The real")
    units = segment(text, exclude=[(0, cut)])
    assert [u.text_in(text) for u in units] == ["The real sentence starts here.", "Another one."]
    # an exclude range in the middle of a line cuts it into two independent pieces
    mid = text.index("starts")
    units = segment(text, exclude=[(mid, mid + len("starts here."))])
    assert all(u.end <= mid or u.start >= mid + len("starts here.") for u in units)
    assert [u.text_in(text) for u in units] == ["Cookie banner text.", "The real sentence", "Another one."]


def test_windows_line_ends_are_boundaries():
    text = "First line here.\r\nSecond line here.\r\n\r\nThird."
    assert [u.text_in(text) for u in segment(text)] == ["First line here.", "Second line here.", "Third."]


@pytest.mark.parametrize("layout", ["html", "", None])
def test_unknown_layout_is_a_clear_error(layout):
    with pytest.raises(InputError, match="layout"):
        segment("A sentence.", layout=layout)


@pytest.mark.parametrize("bad", [[(5, 2)], [(-1, 3)], [(0, 999)], [("a", 3)], [(1,)]])
def test_bad_exclude_ranges_are_clear_errors(bad):
    with pytest.raises(InputError, match="exclude"):
        segment("A short sentence.", exclude=bad)


def test_news_second_paragraph_with_two_sentences_is_body_not_standfirst():
    text = "Headline here\n\nFirst sentence of the body. Second sentence.\n\nMore body."
    units = segment(text, layout="news")
    assert [u.kind for u in units] == ["headline", "body", "body", "body"]


def test_plain_layout_does_not_make_transcript_fragments_subheadings():
    text = "THE PRESIDENT: Well\n\nThank you all\n\nQ\n\nAnd the tanks"
    units = segment(text)
    assert [u.kind for u in units] == ["body", "body", "body"]
    assert [text[slice(*u.speaker_span)] for u in units] == ["THE PRESIDENT", "THE PRESIDENT", "Q"]


def test_mixed_case_lead_ins_are_not_speakers_outside_transcripts():
    text = "Imagine: a city without light. Support for Harbour Towns: the fund pays for repairs."
    units = segment(text)
    assert all(u.speaker_span is None for u in units)
    assert [u.text_in(text) for u in units][0] == "Imagine: a city without light."


def test_unclosed_quotation_stops_at_the_paragraph_end():
    text = "“One sentence here. Two sentences here.\n\nThe next paragraph is narrative. So is this."
    units = segment(text)
    assert [u.text_in(text) for u in units] == [
        "“One sentence here. Two sentences here.", "The next paragraph is narrative.", "So is this."]
    assert units[0].flags == (FLAG_UNBALANCED_QUOTE,)


def test_long_unclosed_quotation_falls_back_to_sentences():
    sentences = " ".join(f"Sentence number {i} ends here." for i in range(MAX_UNCLOSED_SENTENCES + 2))
    text = f"He said “{sentences}"
    units = segment(text)
    assert len(units) == MAX_UNCLOSED_SENTENCES + 2
    assert units[0].flags == (FLAG_UNBALANCED_QUOTE,)
    assert all(u.flags == () for u in units[1:])


def test_genuine_cyrillic_words_are_not_homoglyphs():
    text = "The crowd chanted Слава Україні outside. The old Т-72 stood by the road. Рeace."
    flags = [u.flags for u in segment(text)]
    assert flags == [(), (FLAG_HOMOGLYPH,), (FLAG_HOMOGLYPH,)]


# ---------------------------------------------------------------------------------------------
# properties

_PIECES = [
    "The", "army", "said", "U.S.", "Mr.", "Lt. Col.", "a.m.", "Q", "THE PRESIDENT:", "Q:",
    "Vladimir Putin:", "President of Russia Vladimir Putin:", "Question:", "(Applause.)",
    "(Speaks Ukrainian.)", "* * *", "<…>", "“", "”", "\"", "‘", "’", "'", ".", "?", "!", "…", "...",
    ",", ":", "(", ")", "Т-34", "а", "Defenсe", "Слава", " ", " ", " ", "\n", "\n\n", "\r\n", "\t",
    "Bakhmut", "is", "difficult", "Yes", "1.", "No. 5",
]


@st.composite
def texts_and_excludes(draw):
    pieces = draw(st.lists(st.sampled_from(_PIECES), max_size=80))
    text = "".join(p if p.isspace() else p + draw(st.sampled_from(["", " ", " "])) for p in pieces)
    n = len(text)
    bounds = draw(st.lists(st.integers(0, n), max_size=6))
    exclude = [(min(a, b), max(a, b)) for a, b in zip(bounds[::2], bounds[1::2])]
    layout = draw(st.sampled_from(LAYOUTS))
    return text, exclude, layout


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts_and_excludes())
def test_units_are_ordered_trimmed_inside_the_text_and_outside_excludes(case):
    text, exclude, layout = case
    units = segment(text, layout=layout, exclude=exclude)
    check_invariants(text, units, exclude, layout)
    assert segment(text, layout=layout, exclude=exclude) == units     # deterministic


_WORDS = st.sampled_from(["the", "enemy", "city", "is", "holding", "we", "fight", "for", "every", "yard",
                          "very", "difficult", "U.S.", "Gen.", "a.m."])


@st.composite
def quoted_paragraphs(draw):
    sentences = []
    for _ in range(draw(st.integers(1, MAX_UNCLOSED_SENTENCES - 1))):
        words = draw(st.lists(_WORDS, min_size=2, max_size=8))
        sentences.append(words[0].capitalize() + " " + " ".join(words[1:]) + draw(st.sampled_from([".", "!", "?"])))
    quote = " ".join(sentences)[:-1] + ","
    opening, closing = draw(st.sampled_from([("“", "”"), ('"', '"')]))
    speaker = draw(st.sampled_from(["Prigozhin", "the colonel", "a spokesman for the army", "Mr. Lind"]))
    return f"{opening}{quote}{closing} {speaker} said in a post."


@settings(max_examples=200, deadline=None)
@given(quoted_paragraphs())
def test_a_quotation_and_its_attribution_are_one_unit(paragraph):
    units = segment(paragraph)
    assert [u.text_in(paragraph) for u in units] == [paragraph]


# ---------------------------------------------------------------------------------------------
# the real archive (read at run time, never copied into the repository)

STAGE_NOTE_ONLY = re.compile(
    r"(?:\((?:[A-Z][^()]{0,80}[.!?]|Inaudible|Laughter|Laughs|Applause|Cross-talk)\)\s*|<…>\s*)+")
CAPS_LABEL_AT_START = re.compile(r"(?:(?:MR|MS|MRS)\. )?(?:THE )?[A-Z]{2,}(?: [A-Z]{2,})*: |Q:? ")


@pytest.mark.skipif(archive_dir() is None, reason="external archive not found (set WARVOICES_ARCHIVE)")
def test_whole_archive_segments_cleanly():
    from warvoices.corpus.defect_counts import defects

    counts: Counter = Counter()
    found: dict[str, list[str]] = {}
    records = 0
    for path in sorted(archive_dir().glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            text = rec["text"]
            records += 1
            layout = "un_debate" if path.name == "ungdc.jsonl" else "plain"
            units = segment(text, layout=layout)
            assert units, f"{path.name} {rec['id']}: no units"
            check_invariants(text, units, layout=layout)
            speakers = {text[slice(*u.speaker_span)] for u in units if u.speaker_span}
            for u in units:
                body = text[u.start:u.end]
                where = f"{path.name} {rec['id']} [{u.start}:{u.end}]"
                assert not STAGE_NOTE_ONLY.fullmatch(body), f"{where}: stage-note-only unit"
                assert not re.fullmatch(r"[*\s]+", body), f"{where}: divider unit"
                assert not CAPS_LABEL_AT_START.match(body) or body.startswith(("SUBJECT:", "FOR ")), \
                    f"{where}: unit starts with a speaker label"
                assert not any(body.startswith(s + ":") for s in speakers), f"{where}: label left in unit"
            if re.search(r"^THE PRESIDENT: ", text, re.M):
                assert "THE PRESIDENT" in speakers, f"{path.name} {rec['id']}: THE PRESIDENT label missed"
            if text.startswith("President of Russia Vladimir Putin: "):
                assert text[slice(*units[0].speaker_span)] == "President of Russia Vladimir Putin"
            counts[path.name] += len(units)
            for cls, idx in defects(text, units, un=layout == "un_debate").items():
                for i in idx:
                    found.setdefault(cls, []).append(f"{path.name} {rec['id']} [{units[i].start}:{units[i].end}]")
    print("units per archive file:", dict(counts))
    assert records >= 1 and all(counts.values())
    # the defect classes of issue 13 that the segmenter fixes (corpus/defect_counts.py has the table)
    for cls in ("merged_me_I", "list_marker_start", "lower_stage_note", "short_heading_body",
                "un_paragraph_span", "un_pdf_cut"):
        assert not found.get(cls), f"{cls}: {found[cls][:5]}"


def test_kind_names_come_from_the_schema_vocabulary():
    from warvoices.corpus import segment as seg
    assert {seg.HEADLINE, seg.STANDFIRST, seg.SUBHEADING, seg.BODY} == KINDS


def test_news_standfirst_without_full_stop_is_still_the_standfirst():
    text = "Headline here\n\nFighting goes on as talks stall\n\nThe first body sentence.\n\nMore body."
    assert [u.kind for u in segment(text, layout="news")] == ["headline", "standfirst", "body", "body"]


def test_news_standfirst_must_be_alone_in_its_paragraph():
    text = "Headline here\n\nOne line of the lede.\nA second line of the same paragraph.\n\nMore body."
    assert [u.kind for u in segment(text, layout="news")] == ["headline", "body", "body", "body"]


def test_a_quoted_letter_is_cut_into_its_sentences():
    # invented: a whole message quoted in one quotation would make an unreadable unit
    body = " ".join(f"Sentence number {i} of the greeting speaks of friendship and of the long shared history." for i in range(8))
    text = f'The message reads, in part: "{body}"'
    units = segment(text)
    assert len(units) == 8
    assert units[0].text_in(text).startswith("The message reads, in part:")
    assert units[-1].text_in(text).endswith('history."')
    assert all(FLAG_LONG_QUOTE in u.flags for u in units)
    # a short quotation of two sentences still keeps its attribution
    short = '"It is hard. It is very hard," the colonel said.'
    assert [u.text_in(short) for u in segment(short)] == [short]


@pytest.mark.parametrize("prev, nxt, joined", [
    ("the people of the nations represented in this", "Hall. We come in peace.", True),      # function word
    ("and our farmers cannot buy", "fertilizer at any price.", True),                         # lower case
    ("Cross-", "border crime has grown.", True),                                               # broken word
    ("As our late President once said,", "“Peace is a duty of all.”", True),                 # opening quote
    ("built after 1945. Our", "Government condemns the invasion.", True),                     # capitalised article
    ("we call for a ceasefire without delay", "The price of grain has doubled.", False),     # paragraph without a stop
    ("Mr. President,", "The world is at a crossroads.", False),                               # salutation
    ("We ask for three things:", "a fund for loss and damage;", False),                       # colon ends
    ("The session ended.", "then the delegates left.", False),                                # terminal punctuation
    ("Allow me to name the priorities of the", "- Peace and security", False),                # list item
    ("Our priorities are the", "12. Peace and security", False),                              # numbered paragraph
    ("we support the reform of the Security", "Council and its working methods.", True),     # a broken name
    ("Democracy and Venezuela", "Our country has held elections.", False),                    # Title Case heading
    ("We thank all who stood with the Pacific", "We will not forget them.", False),           # a new sentence
    ("We cannot", "We will not stand by.", False),
])
def test_un_debate_line_joining_rule(prev, nxt, joined):
    text = f"{prev}\n{nxt}"
    units = segment(text, layout="un_debate")
    spans_break = any(u.start < len(prev) < u.end for u in units)
    assert spans_break is joined, [u.text_in(text) for u in units]
    check_invariants(text, units, layout="un_debate")


@pytest.mark.parametrize("text, expected", [
    ("It was reported to me. I will tell you.", ["It was reported to me.", "I will tell you."]),
    ("He said no. I'll go.", ["He said no.", "I'll go."]),
    ("Bring it to me. A plan is ready.", ["Bring it to me.", "A plan is ready."]),
    ("See Art. I of the treaty.", ["See Art. I of the treaty."]),
    ("Resolution No. 5 stands.", ["Resolution No. 5 stands."]),
    ("The man J. I. Smith came.", ["The man J. I. Smith came."]),
    ("Fuel, grain, etc. I mean everything.", ["Fuel, grain, etc. I mean everything."]),
    ("We met at 9 a.m. I was late.", ["We met at 9 a.m.", "I was late."]),     # sentencex's own cut
    ("“It was reported to me. I will tell you,” he said.", ["“It was reported to me. I will tell you,” he said."]),
])
def test_merge_post_rule_splits_only_after_ordinary_words(text, expected):
    assert [u.text_in(text) for u in segment(text)] == expected


def test_page_numbers_and_chair_notes_are_not_units():
    text = ("Page 2 of 9\nMr. Lind (Veloria), Vice-President, took the Chair.\n(spoke in French)\n"
            "We thank the Chair for its work.\n4\nOur goals for 2030 are set.")
    assert [u.text_in(text) for u in segment(text, layout="un_debate")] == [
        "We thank the Chair for its work.", "Our goals for 2030 are set."]
    # outside UN records, a sentence about a chair is text
    assert [u.text_in(text) for u in segment(text)][0] == "Mr. Lind (Veloria), Vice-President, took the Chair."


def test_a_dash_continuing_an_interrupted_sentence_stays_in_the_unit():
    text = "THE MINISTER: We agreed on one rule —\n\nTHE PRESIDENT: Thank you.\n\nTHE MINISTER: — and one that we keep."
    units = [u.text_in(text) for u in segment(text)]
    assert units[-1] == "— and one that we keep."
