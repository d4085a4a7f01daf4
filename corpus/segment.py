"""Quote-aware sentence segmentation with stand-off offsets.

`segment(text, layout=..., exclude=...)` cuts an article into annotation units and returns
their character offsets into the ORIGINAL text (end exclusive, whitespace trimmed); the text
itself is never changed, so the offsets stay valid against the checksum-verified source.

How a text is cut, in order:

1. Lines are hard boundaries (the archive separates paragraphs by blank lines, and sentencex
   only sees blank lines as breaks, so it is fed one line at a time). `exclude` ranges
   (boilerplate) are cut out of the lines first and never produce units.
2. Speaker labels split a line into speaker turns. The label itself is not part of any unit;
   it becomes the `speaker_span` of every following unit until the next label. Recognised:
   White House transcript labels at line start (`THE PRESIDENT:`, `MS. PSAKI:`, `Q`, `Q:`),
   all-capitals labels after a sentence end, and Kremlin-style mixed-case labels
   (`President of Russia Vladimir Putin:`), which also occur mid-line after a sentence end
   because paragraph breaks were collapsed upstream. Mixed-case labels are only believed in a
   text that reads as a transcript (see `_transcript_mode`), so a lead-in such as
   "Imagine: ..." or a fact-sheet heading is not mistaken for a speaker.
3. Each turn is split into sentences by sentencex, then corrected:
   - no boundary inside a balanced quotation, so a quotation of several sentences and the
     words attributing it stay one unit; an opening quote that is never closed in its
     paragraph holds its sentences together until the paragraph end, unless that would glue
     more than `MAX_UNCLOSED_SENTENCES` sentences (collapsed Kremlin paragraphs can be a whole
     speech), in which case the plain boundaries stand and the units get "unbalanced_quote";
     likewise a closed quotation of `MAX_QUOTED_SENTENCES` or more sentences and at least
     `MIN_LONG_QUOTE_CHARS` characters (a quoted letter) is cut into its sentences, flagged
     "long_quote";
   - a short attribution ("... fight.” Prigozhin said.") joins the quotation before it;
   - a boundary after a closing quote that sentencex missed is added;
   - "U.S.-U.K."-style initialisms that sentencex cuts are rejoined.
4. Stage notes (`(Applause.)`, `(Speaks Ukrainian.)`), Kremlin omission marks (`<…>`),
   bracketed citations (`[Tweet, 10/19/23]`) and dividers (`* * *`) are not units: they are
   dropped when they make up a whole unit and trimmed off the edges of a unit (a citation only
   after a finished sentence). A divider or a subheading ends the current speaker's turn.
5. Kinds: layout "news" makes the first line the headline, a following one-sentence
   paragraph the standfirst, and later short lines without terminal punctuation subheadings;
   layout "plain" only marks conservative heading-like lines as subheadings.
6. Units holding Cyrillic look-alike letters inside Latin-script words get flag "homoglyph".

Everything is a constant number of passes over each line, so time grows linearly with the text.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from itertools import accumulate, repeat
from typing import Iterable, Sequence

import sentencex

from .errors import InputError

# Sentence kinds; they are names from the schema vocabulary `sentence_kind`
# (tests/test_segment.py checks that every kind produced is in it).
HEADLINE = "headline"
STANDFIRST = "standfirst"
SUBHEADING = "subheading"
BODY = "body"

FLAG_HOMOGLYPH = "homoglyph"
FLAG_UNBALANCED_QUOTE = "unbalanced_quote"
FLAG_LONG_QUOTE = "long_quote"

PLAIN, NEWS, UN_DEBATE = "plain", "news", "un_debate"
LAYOUTS = (PLAIN, NEWS, UN_DEBATE)

# An unclosed quotation glues at most this many sentences (see module docstring).
MAX_UNCLOSED_SENTENCES = 6
# a closed quotation of this many sentences or more is split into its sentences (see _sentence_spans)
MAX_QUOTED_SENTENCES = 6
MIN_LONG_QUOTE_CHARS = 500  # and only when it is this long: abbreviations inflate sentence counts


@dataclass(frozen=True, slots=True)
class Unit:
    """One annotation unit: offsets into the original text (end exclusive)."""

    start: int
    end: int
    kind: str
    speaker_span: tuple[int, int] | None
    flags: tuple[str, ...]

    def text_in(self, text: str) -> str:
        return text[self.start:self.end]


_new_object = object.__new__
_set_start, _set_end, _set_kind, _set_speaker_span, _set_flags = (
    getattr(Unit, f).__set__ for f in ("start", "end", "kind", "speaker_span", "flags"))


def _unit(start: int, end: int, kind: str, speaker_span: tuple[int, int] | None, flags: tuple[str, ...]) -> Unit:
    """Unit(start, end, kind, speaker_span, flags), made without the frozen dataclass's
    __init__, whose object.__setattr__ calls take half the time of the whole (this runs for
    every unit): the slots are filled by their own descriptors, so equality, hash, repr and
    frozenness are the dataclass's own."""
    u = _new_object(Unit)
    _set_start(u, start)
    _set_end(u, end)
    _set_kind(u, kind)
    _set_speaker_span(u, speaker_span)
    _set_flags(u, flags)
    return u


# ---------------------------------------------------------------------------------------------
# character classes

_TERMINAL = ".!?…"
_CLOSERS = "\"”»’')]"
_SENTENCE_END_CHARS = set(".!?…>)]\"”»")
_OPEN_QUOTES = "“„«"
_CLOSE_QUOTES = "”»"
_DQUOTE_CHARS = "\"“”„«»"

# A stage note: a parenthetical that starts with a capital letter and ends in a full stop
# (`(Applause.)`, `(Speaks in Ukrainian. No translation provided.)`), or one of the transcript
# words that are written without one (`(Inaudible)`, `(Addressing ...)`), or a Kremlin
# omission mark `<…>`.
_NOTE_WORDS = (r"Inaudible|Laughter|Laughs|Applause|Cross-?talk|Crosstalk|Pause|Silence|Addressing"
               r"|Speaks|Points|Referring|Translation|Interpreted|As interpreted|Off[- ]mic|Unintelligible"
               r"|Break|Music|Video|Audio")
# Transcripts also write notes in lower case ("(sighs)", "(laughter)", "(audience members clap)").
_LOWER_NOTE_WORDS = (r"inaudible|laughter|laughs|laughing|applause|sighs|coughs|chuckles|smiles|crosstalk|cross-talk"
                     r"|pause|silence|unintelligible|interruption|booing|cheers|cheering|audience|speaks|spoke|off-mic")
_NOTE = (rf"(?:\((?:[A-Z][^()\n]{{0,120}}[.!?]|(?:{_NOTE_WORDS})\b[^()\n]{{0,80}}|(?:{_LOWER_NOTE_WORDS})\b[^()\n]{{0,40}})\)"
         rf"|<\s*(?:…|\.\.\.)?\s*>)")
# A bracketed source citation after a finished sentence ("… ideals.” [Article, 10/19/23]") or
# carrying a date, or a bracket standing alone; brackets inside a sentence are editorial insertions and stay.
_BRACKET = r"\[[^\[\]\n]{1,80}\]"
_LEADING_NOTE_RE = re.compile(rf"{_NOTE}\s*")
# A list marker opening a unit: a hyphen or bullet, or an item number ("1)", "(b)", "12.") before
# text. An en or em dash is not taken: in transcripts it continues an interrupted sentence
# ("— and one that we hope ..."). A capital letter with a full stop is not taken: it is far more often an initial ("A. Lind").
_LIST_MARKER_RE = re.compile(r"(?:[-•▪●◦·‣∙*](?!\*)|o(?=[^\S\n]+[A-Z])|\d{1,3}[.)]|[a-z]\)|\((?:\d{1,3}|[a-z]|[ivx]{1,5})\))[^\S\n]+(?=\S)")
_LIST_MARKER_FIRST = frozenset("-•▪●◦·‣∙*(")
# A footnote mark after a heading ("Middle East *", "Sovereign Assets†"); "**" is markdown bold.
_FOOTNOTE_MARK_RE = re.compile(r"[ \t]*(?:(?<!\*)\*|[†‡]+)$")
_DATED_BRACKET = r"\[[^\[\]\n]{0,60}\d{1,2}/\w{1,2}/\d{2,4}\]"
_TRAILING_NOTE_RE = re.compile(rf"\s*{_NOTE}$|(?<=[.!?…\"”’)])\s*{_BRACKET}$|\s{_DATED_BRACKET}$")
_ONLY_NOTES_RE = re.compile(rf"(?:(?:{_NOTE}|{_BRACKET})\s*)+")
# A page number left by a PDF ("Page 4|6", "Page 2 of 9").
_PAGE_MARK_RE = re.compile(r"[Pp]age\s+\d{1,3}(?:\s*(?:[|/]|of)\s*\d{1,3})?")
# UN verbatim records note changes in the chair ("Mr. Lind (Veloria), Vice-President, took the Chair.")
_CHAIR_NOTE_RE = re.compile(r"[^\n]{0,160}?\b(?:took|returned to|resumed|assumed) the Chair\.?")
# A divider line such as Kremlin `* * *`, or a run of dashes/underscores.
_DIVIDER_RE = re.compile(r"[*•·#=~_\-–—\s]+")
_DIVIDER_CHARS = frozenset("*•·#=~_-–—")

_HAS_LETTER_RE = re.compile(r"[^\W\d_]")

# ---------------------------------------------------------------------------------------------
# speaker labels

# One word of a label: a short word may end in a full stop (MR., Ms., R., Jr.), longer words
# may only hold inner full stops (U.S.), so "Thanks." cannot be read as part of a name.
_LABEL_TOKEN = (r"(?:[^\W\d_][\w'’\-]{0,2}\.|[\"“«]?[^\W\d_](?:[\w'’\-]|\.(?=\w))*[\"”»]?"
                r"|\d{1,4}(?:st|nd|rd|th)\b)")
# Kremlin meeting transcripts name a speaker by post and name in labels of 20 words and more
# ("Deputy Prime Minister – Minister of Industry and Trade Anna Lind :"), with a space before
# the colon; MAX_LABEL_WORDS and MAX_LABEL_CHARS bound the search, not the labels expected.
MAX_LABEL_WORDS = 48
MAX_LABEL_LOWER_WORDS = 6
MAX_LABEL_CHARS = 420
_LABEL_RE = re.compile(
    rf"(?P<name>{_LABEL_TOKEN}(?:(?:,?[ ]|[ ][–—-][ ]){_LABEL_TOKEN}){{0,{MAX_LABEL_WORDS - 1}}})"
    rf"(?P<note>[ ]?\([^()\n]{{1,40}}\))?[ ]?")
_COLON_RE = re.compile(r":(?=[ \t]*[^\s\d])")
# a sentence end before a label: punctuation and blanks, or a closing bracket right before it
_SENTENCE_END_RE = re.compile(r"[.!?…\"”»][ \t]+|[)>\]][ \t]*")
_Q_LABEL_RE = re.compile(r"Q(?::|(?=[ \t]+\S)|$)")

# Lower-case words a mixed-case label may hold (names with particles, media titles).
_LABEL_CONNECTORS = frozenset("""of the and for de da di du la le von van der den al el bin ibn y
    in on at to with under – — -
    newspaper correspondent journalist reporter editor presenter host channel agency television
    radio magazine""".split())
# First words that start ordinary sentences, never a speaker's name or title.
_NON_LABEL_STARTERS = frozenset("""This That These Those It I We You He She They There Here And But
    So Or Nor As If When While Let Now Then What Why How Where Who Which Our My Your His Her Their
    Its In On At For To By With From Of A An The Yes No Please Imagine Obviously Thus Therefore
    Firstly Secondly First Second Third Finally Also Today Yesterday Tomorrow Note See Dear""".split())
# Abbreviations with a full stop that a label may hold besides initials.
_LABEL_ABBREVIATIONS = frozenset("Mr. Ms. Mrs. Dr. Jr. Sr. St. Gen. Col. Lt. Sgt. Rev. Prof. MR. MS. MRS. DR. JR.".split())
# Single mixed-case words that are speaker roles in a transcript.
_ROLE_WORDS = frozenset("""Question Remark Answer Reply Response Moderator Interpreter Correspondent
    Journalist Reporter Participant""".split())
# Offices that make a line-initial mixed-case label believable on its own.
_TITLE_WORDS = frozenset("""President Minister Chancellor Premier Secretary Chairman Chairwoman Chair
    Director Governor Senator Congressman Congresswoman Representative Ambassador Spokesman
    Spokeswoman Spokesperson King Queen Prince Emperor Commissioner Mayor Deputy Commander
    Prosecutor Envoy Adviser Advisor Patriarch""".split())
# All-capitals words that head memoranda, not speeches.
_NON_SPEAKER_CAPS = frozenset("""SUBJECT TO FOR FROM RE DATE CC BCC NOTE PS MEMORANDUM ATTENTION ATTN
    FACT SHEET WHEN WHERE WHAT WHO WHY UPDATE BACKGROUND SUMMARY""".split())


@dataclass(frozen=True)
class _Label:
    start: int        # where the label text begins
    end: int          # just after the colon (and following blanks are left to trimming)
    name: tuple[int, int]
    mixed: bool       # mixed-case (Kremlin style) rather than all capitals / Q
    key: str          # the name's last two words, to see the same speaker again
    has_title: bool = False   # names an office (President, Minister, ...)
    after_heading: bool = False   # follows a title line run into it at the line start


_LABEL_WORD_SEP_RE = re.compile(r"[ ,]+")


def _label_words(name: str) -> list[str]:
    return [w for w in _LABEL_WORD_SEP_RE.split(name) if w]


def _is_caps(word: str) -> bool:
    if word.isascii():   # ASCII letters are all cased: "a letter, and every letter upper case"
        return word.isupper()
    letters = [c for c in word if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _classify_label(name: str, at_line_start: bool) -> str | None:
    """'caps' / 'mixed' if `name` can be a speaker label, else None."""
    words = _label_words(name)
    if not words:
        return None
    if all(_is_caps(w) for w in words):
        letters = sum(c.isalpha() for c in name)
        if letters < 2 or any(w.rstrip(".") in _NON_SPEAKER_CAPS for w in words[:1]):
            return None
        real_words = [w for w in words if w.rstrip(".") not in ("MR", "MS", "MRS", "DR")]
        if at_line_start or len(real_words) >= 2:
            return "caps"
        return None
    # mixed case: a title and a name, lower-case words only as particles
    if words[0] in _NON_LABEL_STARTERS or not words[0][0].isupper() or not words[-1][0].isupper():
        return None
    capitalised = 0
    lower = 0
    for w in words:
        w = w.strip("\"“”«»")
        if not w:
            continue
        if w[0].isupper() or w[0].isdigit():
            capitalised += 1
        elif w not in _LABEL_CONNECTORS:
            lower += 1
        if lower and w[0].isupper() and w.rstrip(",") in _TITLE_WORDS:
            # "Speech at the meeting President of Russia ...": a title after words of a heading
            return None
    if lower and any(w.endswith(".") and len(w) > 2 and w not in _LABEL_ABBREVIATIONS for w in words):
        return None   # "Thank you. Federal Chancellor ...", "... Day. Remark": a sentence ends inside
    if lower:
        # a post described in words ("Mother of a serviceman of the brigade Anna Lind",
        # "Commander of the troops of the Western District Ivan Petrov"): only before a name of
        # two capitalised words, at most MAX_LABEL_LOWER_WORDS such words
        if lower > MAX_LABEL_LOWER_WORDS or len(words) < 4 or not (words[-2][:1].isupper() and words[-1][:1].isupper()):
            return None
    if capitalised >= 2 or (len(words) == 1 and words[0] in _ROLE_WORDS):
        return "mixed"
    return None


def _after_sentence_end(text: str, lo: int, pos: int) -> bool:
    """True if `pos` starts a sentence: the line start, or after [.!?…)>"”] and blanks."""
    i = pos
    while i > lo and text[i - 1] in " \t":
        i -= 1
    return i == lo or text[i - 1] in _SENTENCE_END_CHARS


_NEXT_CHAR_RE = re.compile(r"[ \t]*(\S)")


def _may_end_label(text: str, lo: int, colon: int) -> bool:
    """Cheap test before the label search: a label ends in a capitalised word or a bracketed
    note ("Scholz(retranslated):"), so "the following point:" is skipped at once."""
    i = colon
    if i > lo and text[i - 1] == " ":
        i -= 1
    if i > lo and text[i - 1] == ")":
        return True
    j = i
    while j > lo and i - j < 40 and (text[j - 1].isalnum() or text[j - 1] in "'’.-"):
        j -= 1
    return j < i and text[j].isupper()


_WORD_SPAN_RE = re.compile(r"\S+")


def _label_after_heading(text: str, a: int, b: int) -> int | None:
    """Where a label naming an office starts inside text[a:b] after heading words that end in
    a lower-case word ("... meeting President of Russia ..."), or None."""
    prev_lower = False
    for m in _WORD_SPAN_RE.finditer(text, a, b):
        w = m.group()
        if prev_lower and w in _TITLE_WORDS and m.start() > a:
            return m.start()
        prev_lower = w.islower() and w not in _LABEL_CONNECTORS
    return None


_NO_LABELS: tuple[_Label, ...] = ()


def _labels_by_block(text: str, blocks: list[tuple[int, int, int]]) -> tuple[list, list[_Label]]:
    """`_find_labels` of every block (candidates before transcript-mode filtering), and all of
    them in order. A label is "Q" at a line start or ends in a colon: the search runs only in
    the blocks holding one, found from the marks' own positions (str.find), not block by block."""
    out: list = [_NO_LABELS] * len(blocks)
    hits: set[int] = set()
    starts = None
    for mark in (":", "Q"):
        i = text.find(mark)
        if i < 0:
            continue
        if starts is None:
            starts = [b[0] for b in blocks]
        while i >= 0:
            k = bisect.bisect_right(starts, i) - 1
            if k >= 0 and (i < blocks[k][1] if mark == ":" else starts[k] == i):
                hits.add(k)
            i = text.find(mark, i + 1)
    all_labels: list[_Label] = []
    for k in sorted(hits):
        labs = _find_labels(text, blocks[k][0], blocks[k][1])
        out[k] = labs
        all_labels.extend(labs)
    return out, all_labels


def _find_labels(text: str, lo: int, hi: int) -> list[_Label]:
    """Speaker-label candidates in line text[lo:hi] (before transcript-mode filtering)."""
    if text[lo] != "Q" and text.find(":", lo, hi) < 0:   # a label is "Q" or ends in a colon
        return []
    out: list[_Label] = []
    q = _Q_LABEL_RE.match(text, lo, hi)
    if q:
        out.append(_Label(lo, q.end(), (lo, lo + 1), False, "Q"))
    for colon in _COLON_RE.finditer(text, lo, hi):
        c = colon.start()
        if out and c < out[-1].end:
            continue
        if not _may_end_label(text, lo, c):
            continue
        # the text after a mixed-case label starts a sentence (not "... point: this is"), so
        # before a lower-case word only an all-capitals label can end here, and not if the
        # last letter before the colon is lower case (no bracketed note in between)
        nxt = _NEXT_CHAR_RE.match(text, colon.end(), hi)
        nxt_lower = nxt is not None and nxt.group(1).islower()
        i = c - 1 if text[c - 1] == " " else c   # where the name (or a bracketed note) ends
        if nxt_lower and text[i - 1].isalpha() and text[i - 1].islower():
            continue
        no_note = text[i - 1] != ")"
        window_lo = max(lo, c - MAX_LABEL_CHARS, out[-1].end if out else lo)
        # candidate starts: the line start and every position after a sentence end, earliest
        # first, each with the sentence end that follows it in the window
        ends = list(_SENTENCE_END_RE.finditer(text, window_lo, c))
        starts = [(window_lo, ends[0].start() if ends else -1)] if window_lo == lo else []
        for j, m in enumerate(ends):
            if m.end() < c:
                starts.append((m.end(), ends[j + 1].start() if j + 1 < len(ends) else -1))
        for s, end_at in starts:
            if no_note and end_at >= 0 and _ends_uncrossably(text, s, end_at):
                continue   # the label regex cannot match across that sentence end
            m = _LABEL_RE.fullmatch(text, s, c)
            if not m:
                continue
            name = m.group("name")
            kind = _classify_label(name, at_line_start=(s == lo))
            after_heading = False
            if kind is None and s == lo:
                # a title line run into the first label ("Speech at the meeting President of
                # Russia Vladimir Putin:"): the label starts at the office after the heading words
                s = _label_after_heading(text, s, s + len(name))
                if s is None:
                    continue
                m = _LABEL_RE.fullmatch(text, s, c)
                if not m:
                    continue
                name = m.group("name")
                kind = _classify_label(name, at_line_start=False)
                if kind != "mixed":
                    continue
                after_heading = True
            elif kind is None or not _after_sentence_end(text, lo, s):
                continue
            if kind == "mixed" and nxt_lower:
                continue
            words = _label_words(name)
            out.append(_Label(s, c + 1, (s, s + len(name)), kind == "mixed", " ".join(words[-2:]),
                              any(w.rstrip(",") in _TITLE_WORDS for w in words), after_heading))
            break
    return out


def _ends_uncrossably(text: str, s: int, p: int) -> bool:
    """True if no speaker label starting at `s` can hold the sentence end at `p` (a label holds
    no "!", "?", "…", closing bracket or ">" outside the bracketed note it may end in, and a full
    stop before a blank only after an abbreviation of at most three characters, like "Mr.")."""
    ch = text[p]
    if ch in "!?…)>]":
        return True
    if ch != ".":
        return False
    k = p
    while k > s and p - k <= 3 and text[k - 1] not in " ,":
        k -= 1
    return p - k > 3


def _transcript_mode(labels: Iterable[_Label], line_starts: set[int]) -> bool:
    """Believe mixed-case labels only in texts that read as transcripts: the same speaker is
    labelled again after a sentence end inside a line (collapsed Kremlin paragraphs), or a line
    opens with a label naming an office ("President of Russia Vladimir Putin:"). Title-case
    headings of fact sheets ("Support for Ukraine: ...") open lines but name no office and do
    not recur mid-line."""
    mixed = [lab for lab in labels if lab.mixed and " " in lab.key]
    counts: dict[str, int] = {}
    for lab in mixed:
        counts[lab.key] = counts.get(lab.key, 0) + 1
    for lab in mixed:
        if lab.start not in line_starts and counts[lab.key] >= 2:
            return True
        if lab.has_title and (lab.start in line_starts or lab.after_heading):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# quotations


def _char_positions(text: str, lo: int, hi: int, chars: Iterable[str]) -> list[int]:
    """Sorted positions in text[lo:hi] of any of `chars` (str.find, which scans far faster than a
    regex character class)."""
    out: list[int] = []
    for ch in chars:
        i = text.find(ch, lo, hi)
        while i >= 0:
            out.append(i)
            i = text.find(ch, i + 1, hi)
    out.sort()
    return out


def _quote_events(text: str, lo: int, hi: int, quote_chars: Iterable[str] = ()) -> list[tuple[int, str]]:
    """(position, 'open'|'close'|'?') for every double quote mark in text[lo:hi]; `quote_chars`,
    if given, are the marks the whole text holds (the others need not be looked for)."""
    events = []
    for i in _char_positions(text, lo, hi, quote_chars or _DQUOTE_CHARS):
        ch = text[i]
        if ch in _OPEN_QUOTES:
            events.append((i, "open"))
        elif ch in _CLOSE_QUOTES:
            events.append((i, "close"))
        else:
            # ASCII quote (archive texts lost their curly quotes): decide by its neighbours
            prev = text[i - 1] if i > lo else " "
            nxt = text[i + 1] if i + 1 < hi else " "
            can_open = not nxt.isspace()
            can_close = not prev.isspace()
            if can_open and not can_close:
                events.append((i, "open"))
            elif can_close and not can_open:
                events.append((i, "close"))
            elif can_open and can_close:
                if prev in ":,;([{—–-/":
                    events.append((i, "open"))
                elif nxt in ".,;:!?)]…—–":
                    events.append((i, "close"))
                else:
                    events.append((i, "?"))
            else:
                events.append((i, "?"))
    return events


def _quote_regions(text: str, lo: int, hi: int,
                   quote_chars: Iterable[str] = ()) -> tuple[list[tuple[int, int]], list[int]]:
    """Outermost balanced quotations as (open, close) positions, and the positions of opening
    quotes never closed in text[lo:hi]. One level of nesting is understood, because archive
    texts write inner quotations with the same ASCII mark ("a "so-called" plan")."""
    regions: list[tuple[int, int]] = []
    unclosed: list[int] = []
    stack: list[int] = []
    for pos, kind in _quote_events(text, lo, hi, quote_chars):
        if kind == "?":
            kind = "close" if stack else "open"
        # `..., "she said.`: a mark followed by an attribution ends the quotation however it is
        # spaced, and ends an outer quotation too when archive texts merged the two marks
        attributed = stack and _ATTRIBUTION_START_RE.match(text, pos + 1, hi) is not None
        if attributed and text[pos - 1:pos] in ",.!?…— " and (kind == "close" or text[pos] == '"'):
            regions.append((stack[0], pos))
            stack.clear()
            continue
        if kind == "open":
            if len(stack) == 2:
                # a third level is implausible: the outer quote was never closed
                unclosed.append(stack.pop(0))
            stack.append(pos)
        elif stack:
            start = stack.pop()
            if not stack:
                regions.append((start, pos))
    unclosed.extend(stack[:1])
    return regions, unclosed


# ---------------------------------------------------------------------------------------------
# sentence boundaries inside one speaker turn

_ATTRIBUTION_RE = re.compile(
    r"(?:[A-Z][\w'’\-]*\.?(?:\s+(?:[A-Z][\w'’\-]*\.?|of|the|de|von|van|al|bin))*|He|She|They|We|I|It)"
    r"\s+(?:(?:also|then|later|again|further|previously|once\s+again)\s+)?"
    r"(?:said|says|told|tells|added|adds|wrote|writes|stated|states|noted|notes|stressed|stresses"
    r"|emphasi[sz]ed|emphasi[sz]es|explained|explains|asked|asks|replied|replies|continued"
    r"|declared|declares|insisted|insists|argued|argues|warned|warns|concluded|tweeted|posted"
    r"|recalled|recalls|remarked|commented|announced|announces)\b[^.!?\"“”\n]{0,100}[.!?]")
_ATTRIBUTION_START_RE = re.compile(
    r"\s*(?:(?:he|she|they|it|we|I)|(?:[A-Z][\w'’.\-]*\s+){1,5})\s*(?:(?:also|then|later|again|further)\s+)?"
    r"(?:said|says|told|tells|added|adds|wrote|writes|stated|states|noted|notes|stressed|stresses"
    r"|emphasi[sz]ed|emphasi[sz]es|explained|explains|asked|asks|replied|replies|continued"
    r"|declared|declares|insisted|insists|argued|argues|warned|warns|concluded|tweeted|posted"
    r"|recalled|recalls|remarked|commented|announced|announces)\b")
_CLOSING_QUOTE_END_RE = re.compile(r"[\"”»’]\s*$")
_MISSED_QUOTE_BOUNDARY_RE = re.compile(r"[.!?…][\"”»](?=\s+[\"“A-Z])")
# sentencex reads "me." and "no." before "I" or "A" as an abbreviation before an initial and does
# not cut "... reported to me. I will tell you"; a lower-case word of two letters or more (not an
# abbreviation below) with a full stop, then "I"/"A" and a lower-case word or an I-contraction,
# is a sentence end. Capitalised abbreviations ("Art. I", "No. 5", "Gen. A") and initials are left.
# (searched from the full stop, which the regex engine finds fast, then the word before it is read)
_MERGED_BEFORE_I_RE = re.compile(r"\.[ \t]+(?=(?:I|A)[ \t]+[a-z]|I['’](?:m|ll|ve|d)\b)")
_WORD_BEFORE_STOP_RE = re.compile(r"(?<![\w.'’\-])([a-z]{2,})$")
_LOWER_ABBREVIATIONS = frozenset("""etc al approx incl excl vs cf viz ca esp resp dept govt art arts vol vols
    fig figs sec secs para paras pp ch ed eds op cit ibid mr mrs ms dr st jr sr nr tel ext min max""".split())
# sentencex cuts list numbers ("1.", "(b)", "iv.") off the item they number
_ENUMERATOR_RE = re.compile(r"(?:\d{1,3}|[a-z]|[ivxlc]{1,6}|[A-Z])[.)]|\((?:\d{1,3}|[a-z]|[ivxlc]{1,6})\)")
_REF_ABBREV_RE = re.compile(r"(?<![\w.])(?:[Vv]ols?|[Ff]igs?|[Aa]rts?|[Nn]os?|pp?|[Pp]aras?|[Ss]ecs?|[Cc]h|[Rr]es|[Dd]oc|[Rr]ef|[Tt]ab)\.$")
# sentencex cuts "U.S.-U.K." after the second "U."
_SPLIT_INITIALISM_LEFT_RE = re.compile(r"(?<![\w])[A-Z]\.$")
_SPLIT_INITIALISM_RIGHT_RE = re.compile(r"[A-Z]\.(?=[\s,;:\-–)\"”’]|$)")


_CLOSING_QUOTE_CHARS = frozenset("\"”»’")  # what _CLOSING_QUOTE_END_RE looks for at a sentence end
_NOTE_END_CHARS = frozenset(")>]*")   # what a trailing note, citation or bold mark ends in


def _split_initialism(text: str, prev: int, le: int, c: int, nxt: int) -> bool:
    """The sentence text[prev:le] ends in a lone initial ("U.") and the next one, from c, starts
    with another ("K."): sentencex cut "U.S.-U.K." in two."""
    left = text[prev:le]
    return (_SPLIT_INITIALISM_LEFT_RE.search(left, max(0, len(left) - 2)) is not None
            and _SPLIT_INITIALISM_RIGHT_RE.match(text[c:nxt].strip()) is not None)


def _is_attribution(fragment: str) -> bool:
    return len(fragment.split()) <= 15 and _ATTRIBUTION_RE.fullmatch(fragment) is not None


def _sentencex_cuts(chunk: str, pieces: list[str] | None = None) -> tuple[list[int], list[str] | None]:
    """Offsets (0 < o < len(chunk)) where sentencex starts a sentence in `chunk`, and its
    sentences (None if they do not add up to the chunk).

    sentencex's `segment` returns the sentences themselves, non-destructively (they add up to the
    text), and is about twice as fast as `get_sentence_boundaries`, which builds a dict per
    sentence; the running sum of their lengths gives the same offsets. Should the pieces ever
    not add up to the chunk (a sentencex change), the offsets are taken from the boundaries.
    `pieces`: sentencex's sentences of `chunk` if already at hand."""
    if pieces is None:
        pieces = sentencex.segment("en", chunk)
    ends = list(accumulate(map(len, pieces)))
    if ends and ends[-1] == len(chunk):
        ends.pop()
        return ends, pieces
    n = len(chunk)
    return [b["start_index"] for b in sentencex.get_sentence_boundaries("en", chunk) if 0 < b["start_index"] < n], None


def _all_cuts_stand(pieces: list[str]) -> bool:
    """True if no rule of the cut loop in `_sentence_spans` can drop a cut between these
    sentencex sentences (a turn without quotation marks or added cuts): every sentence but the
    last is longer than an enumerator and ends neither in a closing quote nor in a full stop
    after a capital letter (an initial) or before a lower-case letter or digit. A quick,
    conservative test on the sentences' own ends; False sends the turn through the full loop."""
    nxt = pieces[0]
    for i in range(1, len(pieces)):
        t = nxt.rstrip()
        nxt = pieces[i]
        if len(t.lstrip()) <= 8:
            return False
        last = t[-1]
        if last == ".":
            if "A" <= t[-2] <= "Z":
                return False
            first = nxt.lstrip()[:1]
            if first.islower() or first.isdigit():
                return False
        elif last in _CLOSING_QUOTE_CHARS:
            return False
    return True


_MISSED_QUOTE_CLOSERS = "\"”»"   # the quote marks _MISSED_QUOTE_BOUNDARY_RE can match
# a superset of _MERGED_BEFORE_I_RE's matches, found fast (a literal full stop leads the pattern;
# "I" or "A" then a blank, or "I" then an apostrophe, as the rule needs)
_MERGE_STOP_RE = re.compile(r"\.[ \t]+(?=I[ \t'’]|A[ \t])")
# UTF-8 lead bytes of U+0400..U+053F, which hold every character _CYRILLIC_RE matches
_CYRILLIC_LEAD_BYTES = (b"\xd0", b"\xd1", b"\xd2", b"\xd3", b"\xd4")


class _TextFacts:
    """What a whole text holds, found once with fast scans (substring and literal searches), so
    that the regexes run per turn or per unit only where they can match. Each fact is a
    superset test: it may send a turn to the full check, never skip one that would match."""

    __slots__ = ("quotes", "closers", "cyrillic", "merge_stops", "chair")

    def __init__(self, text: str, layout: str = PLAIN):
        self.quotes = tuple(q for q in _DQUOTE_CHARS if q in text)
        self.closers = tuple(q for q in self.quotes if q in _MISSED_QUOTE_CLOSERS)
        if text.isascii():
            self.cyrillic = False
        else:
            raw = text.encode("utf-8", "surrogatepass")
            self.cyrillic = any(b in raw for b in _CYRILLIC_LEAD_BYTES)
        self.merge_stops = [m.start() for m in _MERGE_STOP_RE.finditer(text)]
        # UN records: a unit can only be a change in the chair if the text says "Chair"
        self.chair = layout == UN_DEBATE and "Chair" in text


def _holds_any(chunk: str, chars: tuple[str, ...]) -> bool:
    for ch in chars:
        if ch in chunk:
            return True
    return False


_PLAIN_LAST_BAD = _NOTE_END_CHARS | _CLOSING_QUOTE_CHARS


def _plain_spans(text: str, lo: int, hi: int, pieces: list[str]) -> tuple[list[int], list[int], bool] | None:
    """The starts and ends of the finished units of the turn text[lo:hi] made of sentencex's
    sentences `pieces` (with no quotation marks and no added cuts), and whether the first one is
    finished too; or None unless the turn is plain: every unit opens with a letter that is not
    lower case (no list marker, note, quotation or page mark; the first unit may, and then it
    is not finished: `_add_body_units` reads it) and ends in none of the characters a note, a
    citation, a bold mark or a quotation ends in. Then the cut loop in `_sentence_spans` keeps every cut but the ones
    before a lower-case word after a full stop, which it always drops (the unit goes on); no
    other rule can drop one (no unit but the last is an enumerator or ends in a lone initial);
    `_strip_notes` only trims the trailing blanks; and each unit is its
    sentences without them. None also if the pieces do not add up to the turn. (One pass over
    the sentences' ends; this runs for most turns.)"""
    starts: list[int] = []
    ends: list[int] = []
    a = lo
    ua = ue = -1   # the unit being read
    first_plain = True
    for p in pieces:
        first = p[:1]
        if ua >= 0:
            if first.islower() and text[ue - 1] == ".":
                ue = a + len(p.rstrip())   # "$4.5 bn. in 2023": the cut is dropped
                a += len(p)
                continue
            # the cut before p stands if the unit before it is plain (and no enumerator: "A.", "iv)")
            if ue - ua <= 8 and _ENUMERATOR_RE.fullmatch(text, ua, ue):
                return None
            last = text[ue - 1]
            if last in _PLAIN_LAST_BAD:
                return None
            if last == "." and "A" <= text[ue - 2] <= "Z" and not (text[ue - 3].isalnum() or text[ue - 3] == "_"):
                return None   # a lone initial ("U.") sentencex may have cut off "U.S.-U.K."
            starts.append(ua)
            ends.append(ue)
        if not first.isalpha() or first.islower() or (first == "P" and text.startswith("age", a + 1)):
            if ua >= 0:
                return None
            # the first unit: no cut before it, so only its own notes and markers are in question
            first_plain = False
        ua = a
        ue = a + len(p.rstrip())
        a += len(p)
    if a != hi or ua < 0 or text[ue - 1] in _NOTE_END_CHARS:
        return None
    starts.append(ua)
    ends.append(ue)
    return starts, ends, first_plain


def _merge_cuts(text: str, lo: int, hi: int, stops: list[int], known: Iterable[int] = ()) -> list[int]:
    """Cuts in text[lo:hi] after "me." or "no." before "I" or "A" ("... to me. I will"), which
    sentencex misses: the regex is tried only at `stops`, the full stops the whole text has
    before a blank and "I" or "A" (every place it can match). Cuts in `known` (made already)
    are left out."""
    out = []
    k = bisect.bisect_left(stops, lo) if stops else 0
    while k < len(stops) and stops[k] < hi:
        m = _MERGED_BEFORE_I_RE.match(text, stops[k], hi)
        k += 1
        if m and m.end() not in known:
            w = _WORD_BEFORE_STOP_RE.search(text, max(lo, m.start() - 24), m.start())
            if w and w.group(1) not in _LOWER_ABBREVIATIONS:
                out.append(m.end())
    return out


def _sentence_spans(text: str, lo: int, hi: int, facts: _TextFacts | None = None,
                    chunk: str | None = None, pieces: list[str] | None = None) -> tuple[list, bool]:
    """Sentences of text[lo:hi] as (start, end, flags), untrimmed ends allowed, and False; or
    `_plain_spans` (starts, ends, whether the first unit is finished) and True. `chunk` (text[lo:hi]) and
    `pieces` (its sentencex sentences), if already at hand."""
    if facts is None:
        facts = _TextFacts(text)
    if chunk is None:
        chunk = text[lo:hi]
    if pieces is None:
        pieces = sentencex.segment("en", chunk)
    added: list[int] = []
    # boundaries sentencex missed after a closing quote ("... ‘fine.’ Ok.” Yes."): the regex
    # is tried at the closing marks only (the text's own marks, found by str.find)
    if facts.closers:
        for q in _char_positions(text, lo, hi, facts.closers):
            if q > lo and text[q - 1] in _TERMINAL:
                m = _MISSED_QUOTE_BOUNDARY_RE.match(text, q - 1, hi)
                if m:
                    p = m.end()
                    while p < hi and text[p].isspace():
                        p += 1
                    if p < hi:
                        added.append(p)
    added += _merge_cuts(text, lo, hi, facts.merge_stops)
    if facts.quotes and _holds_any(chunk, facts.quotes):
        regions, unclosed = _quote_regions(text, lo, hi, facts.quotes)
    else:
        regions, unclosed = [], []
    if not added and not regions and not unclosed:
        plain = _plain_spans(text, lo, hi, pieces)   # the common case
        if plain is not None:
            return plain, True
    offsets, pieces = _sentencex_cuts(chunk, pieces)
    if not regions and not unclosed and pieces is not None:
        # sentencex's cuts (and the added ones) are the units' cuts
        if added:
            edges = sorted({0, *offsets, *(p - lo for p in added), hi - lo})
            pieces = [chunk[a:b] for a, b in zip(edges, edges[1:])]
            offsets = edges[1:-1]
            plain = _plain_spans(text, lo, hi, pieces)
            if plain is not None:
                return plain, True
        if _all_cuts_stand(pieces):
            edges = [lo, *[lo + o for o in offsets], hi]
            return [(a, b, ()) for a, b in zip(edges, edges[1:])], False
    cut_set = {lo + o for o in offsets}
    cut_set.update(added)   # (already in offsets if the pieces were re-cut above: a set)
    if not cut_set and not regions:
        return [(lo, hi, ())], False
    flagged: list[tuple[int, int]] = []   # stretches whose units get "unbalanced_quote"
    long_quotes: list[tuple[int, int]] = []  # stretches whose units get "long_quote"
    # a balanced quotation stays one unit with its attribution, unless it quotes a whole
    # document (a letter, a message of many sentences): then its sentences become units of their
    # own, flagged, and the guidelines' rule for a quotation spread over units applies
    protected: list[tuple[int, int]] = []
    for a, b in regions:
        if b - a < MIN_LONG_QUOTE_CHARS:   # a short quotation is protected whatever it holds
            protected.append((a, b))
            continue
        # sentencex itself rarely cuts inside quotes, so count the quotation's own sentences
        inner_cuts = [a + 1 + o for o in _sentencex_cuts(text[a + 1:b])[0]]
        if len(inner_cuts) + 1 < MAX_QUOTED_SENTENCES:
            protected.append((a, b))
        else:
            long_quotes.append((a, b))
            cut_set.update(inner_cuts)
    cuts = sorted(cut_set)
    region_starts = [a for a, _ in regions]
    for i, start in enumerate(unclosed):
        stop = unclosed[i + 1] if i + 1 < len(unclosed) else hi
        # only the next opening quote, a closed region or the turn end stops an unclosed one
        j = bisect.bisect_right(region_starts, start)
        stop = min(stop, region_starts[j] if j < len(region_starts) else hi)
        inside = bisect.bisect_left(cuts, stop) - bisect.bisect_right(cuts, start)
        if inside < MAX_UNCLOSED_SENTENCES:
            protected.append((start, stop))
        flagged.append((start, stop))
    protected.sort()

    kept: list[int] = []
    prev = lo
    ncuts = len(cuts)
    n_protected = len(protected)
    pj = 0   # the stretches that start at or before the cut (cuts ascend: a pointer, not a search)
    reach = []   # reach[j]: the furthest end of stretches 0..j (a cut beyond it is in none)
    for _, b in protected:
        reach.append(max(b, reach[-1]) if reach else b)
    for idx, c in enumerate(cuts):
        if n_protected:
            while pj < n_protected and protected[pj][0] <= c:
                pj += 1
            if pj and reach[pj - 1] >= c:
                # stretches do not overlap much; look back a few for one still covering c
                for k in range(pj - 1, max(-1, pj - 5), -1):
                    a, b = protected[k]
                    if a < c <= b:
                        break
                else:
                    k = -1
                if k >= 0:
                    continue
        le = c   # end of the sentence before the cut, trailing blanks left out
        while le > prev and text[le - 1].isspace():
            le -= 1
        last = text[le - 1] if le > prev else ""
        ls = prev
        while ls < le and text[ls].isspace():
            ls += 1
        if le - ls <= 8 and _ENUMERATOR_RE.fullmatch(text, ls, le):   # enumerators are short
            continue
        # the checks read only the last characters of the sentence and the first one of the
        # next, never copy a sentence (this runs for every cut)
        if last == ".":
            nxt = cuts[idx + 1] if idx + 1 < ncuts else hi
            if le - prev >= 2 and "A" <= text[le - 2] <= "Z" and _split_initialism(text, prev, le, c, nxt):
                continue
            # English sentences do not start in lower case ("$4.5 bn. in 2023"), and a number
            # after a reference abbreviation belongs to it ("Vol. 2")
            r = c
            while r < nxt and text[r].isspace():
                r += 1
            first = text[r] if r < nxt else ""
            if first.islower() or (first.isdigit() and _REF_ABBREV_RE.search(text[prev:le])):
                continue
        elif last in _CLOSING_QUOTE_CHARS:
            nxt = cuts[idx + 1] if idx + 1 < ncuts else hi
            if _is_attribution(text[c:nxt].strip()):
                continue
        kept.append(c)
        prev = c

    edges = [lo, *kept, hi]
    if not flagged and not long_quotes:   # no flags to work out
        return [(a, b, ()) for a, b in zip(edges, edges[1:])], False
    spans = []
    flag_at = sorted(s for s, _ in flagged)
    for a, b in zip(edges, edges[1:]):
        j = bisect.bisect_left(flag_at, a)
        flags = (FLAG_UNBALANCED_QUOTE,) if j < len(flag_at) and flag_at[j] < b else ()
        if any(qa < b and a < qb for qa, qb in long_quotes):
            flags += (FLAG_LONG_QUOTE,)
        spans.append((a, b, flags))
    return spans, False


# ---------------------------------------------------------------------------------------------
# trimming, notes, headings, homoglyphs


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    if a < b and not text[a].isspace() and not text[b - 1].isspace():
        return a, b
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _strip_notes(text: str, a: int, b: int) -> tuple[int, int]:
    """Trim stage notes and omission marks off both ends of text[a:b]; (a, a) if nothing else."""
    if a < b:
        # most units: a unit that opens with a letter that is not lower case (a list marker "a)"
        # or "o ") nor the "P" of a page mark, and ends in none of the characters a note, a
        # citation or a bold mark ends in, has nothing to strip but its trailing blanks (this runs
        # for every unit)
        first = text[a]
        if first.isalpha() and not first.islower() and (first not in "Pp" or not text.startswith("age", a + 1)):
            while text[b - 1].isspace():   # stops at text[a] at the latest
                b -= 1
            if text[b - 1] not in _NOTE_END_CHARS:
                return a, b
    a, b = _trim(text, a, b)
    if a >= b:
        return a, a
    # the first and last characters decide which patterns can apply (this runs for every unit)
    first = text[a]
    if ((first in "(<[" and _ONLY_NOTES_RE.fullmatch(text, a, b))
            or (first in _DIVIDER_CHARS and _DIVIDER_RE.fullmatch(text, a, b))
            or (first in "Pp" and _PAGE_MARK_RE.fullmatch(text, a, b))):
        return a, a
    bold = first == "*" or text[b - 1] == "*"
    if bold:
        a, b = _strip_bold(text, a, b)
    while True:
        # a note opens with "(" or "<"; a list marker with a bullet, a digit, a lower-case letter or "("
        ch = text[a]
        m = _LEADING_NOTE_RE.match(text, a, b) if ch in "(<" else None
        if m is None and (ch in _LIST_MARKER_FIRST or ch.isdigit() or ch.islower()):
            m = _LIST_MARKER_RE.match(text, a, b)
        if not m or m.end() >= b:
            break
        a = m.end()
    if bold:
        a, b = _strip_bold(text, a, b)
    while text[b - 1] in ")>]":   # every trailing note or citation ends in one of these
        m = _TRAILING_NOTE_RE.search(text, a, b)
        if not m or m.start() <= a:
            break
        b = m.start()
    a, b = _trim(text, a, b)
    if not _HAS_LETTER_RE.search(text, a, b) and not any(ch.isdigit() for ch in text[a:b]):
        return a, a
    return a, b


def _strip_bold(text: str, a: int, b: int) -> tuple[int, int]:
    """Markdown bold marks ("**") at the unit's edges whose partner is outside the unit, or that
    wrap the whole unit, are not text ("**Long live peace!** **Thank you.**" in UN records)."""
    if b - a < 5 or "**" not in text[a:a + 2] + text[b - 2:b]:
        return a, b
    n = text.count("**", a, b)
    starts, ends = text.startswith("**", a), text.endswith("**", a, b)
    if starts and ends and n == 2:
        return _trim(text, a + 2, b - 2)
    if n % 2 == 1:
        return _trim(text, a + 2, b) if starts else _trim(text, a, b - 2)
    return a, b


def _strip_footnote_mark(text: str, a: int, b: int) -> tuple[int, int]:
    """A heading's footnote mark is not part of the heading."""
    m = _FOOTNOTE_MARK_RE.search(text, max(a, b - 12), b)
    if m and m.start() > a:
        return _trim(text, a, m.start())
    return a, b


def _ends_open(s: str) -> bool:
    """No terminal punctuation at the end (footnote asterisks and closing brackets ignored)."""
    s = s.rstrip(" *†‡")
    while s and s[-1] in _CLOSERS:
        s = s[:-1]
    return bool(s) and s[-1] not in _TERMINAL + ":;,—–-"


# A form of address on a line of its own ("Mr President", "Excellencies,") is said, not a heading.
_ADDRESS_RE = re.compile(r"(?:Mr\.?|Madam|Madame|Mister|Your|Dear|Distinguished|Honou?rable|Esteemed)\s|"
                         r".*\b(?:Excellenc(?:y|ies|e)|Ladies|Gentlemen|Colleagues|Delegates|Friends|Majest(?:y|ies)"
                         r"|Highness(?:es)?)\b")
# Lines of one word that are said, not headings.
_ONE_WORD_NON_HEADINGS = frozenset("""Thanks Thank Yes No Okay Ok Hello Hi Goodbye Bye Right Sure Absolutely
    Exactly Indeed Well Good Great Fine Agreed Correct True Please Sorry Applause Laughter Question Answer Ends
    End Signed Attachment Attachments Enclosure Photo Video Audio Transcript Excellencies Excellency""".split())
_SECTION_LETTER_RE = re.compile(r"(?:[A-H]|[IVX]{1,4})\.[ \t]+[A-Z]")
_HEADING_ENUMERATOR_RE = re.compile(r"(?:\d{1,3}|[A-Z]|[IVX]{1,5})[.)][ \t]+(?=\S)")


def _heading_core(s: str) -> str:
    """A candidate heading without markdown bold, a leading section number ("A.", "2.") or a
    trailing footnote mark."""
    s = s.strip()
    if s.startswith("**") and s.endswith("**") and len(s) > 4:
        s = s[2:-2].strip()
    m = _HEADING_ENUMERATOR_RE.match(s)
    if m and m.end() < len(s):
        s = s[m.end():]
    if s.endswith(("*", "†", "‡")):   # the regex only on the tail: lines can be long
        tail = len(s) - 12 if len(s) > 12 else 0
        m = _FOOTNOTE_MARK_RE.search(s, tail)
        if m and m.start() > 0:
            s = s[:m.start()].rstrip()
    return s


_MAX_HEADING_CHARS = 130
_INNER_SENTENCE_END_RE = re.compile(r"[.!?…][\"”’)]?\s")
# A line whose last character is one of these is never heading-like: `_heading_core` leaves that
# end alone and `_ends_open` rejects it (a quick exit for the many short lines that are sentences).
_NO_HEADING_END = frozenset(_TERMINAL + ":;,—–-")


def _heading_like(s: str, max_words: int, min_words: int) -> bool:
    if len(s) > _MAX_HEADING_CHARS:   # cheap exit before the regexes: headings are short
        return False
    s = _heading_core(s)
    if _ADDRESS_RE.match(s):
        return False
    words = s.split()
    if not (min_words <= len(words) <= max_words) or len(s) > 120:
        return False
    if len(words) == 1:
        # a one-word heading ("Trade", "CONCLUSION") is a word, not a number, mark or interjection
        w = words[0].strip("*")
        if (len(w) < 3 or not w.replace("-", "").isalpha()
                or w.capitalize() in _ONE_WORD_NON_HEADINGS or w in _ONE_WORD_NON_HEADINGS):
            return False
    first = s.lstrip("“\"'‘(")[:1]
    if not (first.isupper() or first.isdigit()):
        return False
    if not _ends_open(s) or _INNER_SENTENCE_END_RE.search(s):
        return False
    # a heading does not end in a word that needs the next one ("the", "our", "cannot")
    return words[-1].lower() not in _LABEL_CONNECTORS | _CONTINUING_WORDS


def _title_case(s: str) -> bool:
    """Three or more words, every one capitalised except particles: a section heading even
    inside a transcript ("Foreign Policy Voices and Leading Organizations"), unlike an
    utterance such as "Thank you all"."""
    words = [w for w in s.split() if w not in ("*", "–", "—", "-", "&")]
    if len(words) < 3:
        return False
    return all(w[0].isupper() or w[0].isdigit() or w in _LABEL_CONNECTORS | {"a", "an", "to", "in", "on", "with", "by", "or", "at"}
               for w in words)


_CYRILLIC_RE = re.compile(r"[\u0400-\u04FF\u0500-\u052F]")
_LATIN_LOOKALIKES = frozenset("АВЕКМНОРСТХЅІЈУаеорсухіјѕһԁԛԝӏ")
_WORD_RE = re.compile(r"[\w\-’']+")


def _has_homoglyph(s: str) -> bool:
    """Cyrillic look-alike letters inside Latin-script words (`Т-34`, `Defenсe`, `а` as the
    English article); genuine Cyrillic words quoted in English are not flagged."""
    if not _CYRILLIC_RE.search(s):
        return False
    latin_letters = sum(1 for c in s if "a" <= c.lower() <= "z")
    cyr_letters = len(_CYRILLIC_RE.findall(s))
    for w in _WORD_RE.findall(s):
        cyr = _CYRILLIC_RE.findall(w)
        if not cyr:
            continue
        if any("a" <= c.lower() <= "z" for c in w):
            return True
        if all(c in _LATIN_LOOKALIKES for c in cyr) and (
                any(c.isdigit() for c in w) or latin_letters > cyr_letters):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# the public entry point


def _check_args(text: str, layout: str, exclude: Sequence) -> list[tuple[int, int]]:
    if not isinstance(text, str):
        raise InputError(f"segment() needs the article text as a str, got {type(text).__name__}")
    if layout not in LAYOUTS:
        raise InputError(f"unknown layout {layout!r}; use one of {', '.join(LAYOUTS)} "
                         "(the article record's `layout` field)")
    ranges = []
    for r in exclude or ():
        try:
            s, e = int(r[0]), int(r[1])
        except (TypeError, ValueError, IndexError):
            raise InputError(f"exclude range {r!r} is not a [start, end] pair of integers; fix the "
                             "article record's `exclude` field") from None
        if not (0 <= s <= e <= len(text)):
            raise InputError(f"exclude range [{s}, {e}] does not fit the text ({len(text)} characters); "
                             "fix the article record's `exclude` field")
        ranges.append((s, e))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for s, e in ranges:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        elif s < e:
            merged.append((s, e))
    return merged


def _blocks(text: str, exclude: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Trimmed non-empty line pieces outside `exclude`, as (start, end, paragraph number)."""
    if not exclude:
        return _line_blocks(text)
    out = []
    para = 0
    blank = True
    k = 0
    pos = 0
    n = len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        if nl < 0:
            nl = n
        a, b = pos, nl
        pieces = []
        while k < len(exclude) and exclude[k][1] <= a:
            k += 1
        j = k
        cur = a
        while j < len(exclude) and exclude[j][0] < b:
            pieces.append((cur, max(cur, exclude[j][0])))
            cur = max(cur, exclude[j][1])
            j += 1
        pieces.append((cur, b))
        line_has_text = False
        for s, e in pieces:
            s, e = _trim(text, s, e)
            if s < e:
                if blank:
                    para += 1
                    blank = False
                out.append((s, e, para))
                line_has_text = True
        if not line_has_text and not text[a:b].strip():
            blank = True
        pos = nl + 1
    return out


def _line_blocks(text: str) -> list[tuple[int, int, int]]:
    """`_blocks` without exclude ranges: each line with text is one block, trimmed; a line of
    blanks only starts a new paragraph. (str methods do the per-character work.)"""
    out = []
    para = 0
    blank = True
    pos = 0
    for line in text.split("\n"):
        t = line.strip()   # the same object when there is nothing to strip
        if not t:
            blank = True
        else:
            if blank:
                para += 1
                blank = False
            if t is line:
                out.append((pos, pos + len(line), para))
            else:
                s = pos + len(line) - len(line.lstrip())
                out.append((s, s + len(t), para))
        pos += len(line) + 1
    return out


# UN verbatim records: a line that ends without sentence punctuation goes on in the next line
# when that line starts in lower case or with a number or an opening quote or bracket, when this
# line breaks a word ("cross-"), or when it ends in a word that cannot end a sentence ("the",
# "of", "our"). A line after a blank line, a list item, or a line ending in a comma before a
# capital ("Mr. President," / "We ...") starts a new paragraph.
_CONTINUING_WORDS = frozenset("""a an the of in on at to for by with from into onto upon over under about
    against among between through during within without and or nor but than as that which who whom whose
    our their its his her my your this these those is are was were be been being has have had will would
    shall should can could may might must not cannot very such if when where while including despite
    because although whether towards toward across beyond via unlike until whereas""".split())
_SUBJECT_PRONOUNS = frozenset("We They He She You It".split())
# a line opening with a subject pronoun is an utterance ("It tells me we must be strong"), not a heading
_SENTENCE_SUBJECTS = _SUBJECT_PRONOUNS | {"I"}
_TERMINAL_LINE_END_RE = re.compile(r"[.!?…:;][\"”’')\]*]*$")
_LINE_END_TERMINALS = frozenset(".!?…:;")
_LINE_END_CLOSERS = frozenset("\"”’')]*")
_LIST_LINE_RE = re.compile(r"(?:[-–—•▪●◦·‣∙*#>]|o(?=[^\S\n]+[A-Z])|\d{1,3}[.)]|\(?[a-z]\)|\((?:\d{1,3}|[ivx]{1,5})\))[^\S\n]")
_LIST_LINE_FIRST = frozenset("-–—•▪●◦·‣∙*#>(")   # with digits and a-z, what _LIST_LINE_RE can start with


def _continues(text: str, ps: int, pe: int, nxt: str) -> bool:
    """True if line `nxt` goes on with the paragraph (often the sentence) text[ps:pe] breaks off.

    (The paragraph grows as lines are joined: it is read in place, by offsets, and split into
    words only for the last rule.)"""
    end, first = text[pe - 1], nxt[0]
    # (the regexes only where the line's last or the next one's first character allows a match)
    if end in _LINE_END_TERMINALS or (end in _LINE_END_CLOSERS and _TERMINAL_LINE_END_RE.search(text, max(ps, pe - 8), pe)):
        return False
    if text.endswith("**", ps, pe) or ((first in _LIST_LINE_FIRST or first.isdigit() or "a" <= first <= "z") and _LIST_LINE_RE.match(nxt)):
        return False
    if first.islower() or first.isdigit() or first in "“\"‘(":
        return True
    if end in "-‐" and pe - ps > 1 and text[pe - 2].isalpha():
        return True
    if end == ",":
        return False
    k = pe   # the paragraph's last word
    while k > ps and not text[k - 1].isspace():
        k -= 1
    last = text[k:pe]
    nxt_first = nxt.split(None, 1)[0].strip("“\"'‘(,.;:")
    if nxt_first in _SUBJECT_PRONOUNS:   # "We cannot" / "We will not ...": a new sentence
        return False
    # "... after 1945. Our" / "Government condemns ...": a capitalised article or pronoun too
    if last.lower() in _CONTINUING_WORDS:
        return True
    # a name broken over two lines ("the reform of the Security" / "Council."): running text (a
    # lower-case word that is not a particle: not a Title Case heading) ends in a capitalised word
    # and the next line goes on with one that does not open a sentence or address someone
    if not (last[:1].isupper() and last[-1].isalpha() and nxt_first[:1].isupper()):
        return False
    words = text[ps:pe].split()
    return (len(words) >= 4
            and nxt_first not in _NON_LABEL_STARTERS and not (len(nxt) < 60 and _ADDRESS_RE.match(nxt))
            and any(len(w) > 3 and w.isalpha() and w.islower() and w not in _LABEL_CONNECTORS
                    for w in (x.strip(",;:“”\"'‘’()") for x in words)))


def _join_broken_lines(text: str, blocks: list[tuple[int, int, int]],
                       exclude: list[tuple[int, int]]) -> tuple[list[tuple[int, int, int]], str]:
    """Merge line blocks that one paragraph was broken into; the text with those breaks blanked."""
    out: list[tuple[int, int, int]] = []
    breaks: list[tuple[int, int]] = []
    for s, e, para in blocks:
        if out:
            ps, pe, ppara = out[-1]
            # only line breaks separate them (no exclude range in between); across a blank line
            # (a page break of the PDF) only a line going on in lower case continues
            gap_excluded = False
            if exclude:
                k = bisect.bisect_left(exclude, (pe, -1))
                gap_excluded = (k < len(exclude) and exclude[k][0] < s) or (k > 0 and exclude[k - 1][1] > pe)
            gap = text[pe:s]
            if "\n" in gap and not gap.strip() and not gap_excluded \
                    and (para == ppara or text[s].islower()) and _continues(text, ps, pe, text[s:e]):
                out[-1] = (ps, e, ppara)
                breaks.append((pe, s))
                continue
        out.append((s, e, para))
    # markdown bold ("**Mr. President,**") hides abbreviations from sentencex and is not text
    if not breaks and "**" not in text:
        return out, text
    parts, cur = [], 0
    for pe, s in breaks:
        parts.append(text[cur:pe])
        parts.append(" " * (s - pe))
        cur = s
    parts.append(text[cur:])
    return out, "".join(parts).replace("**", "  ")


def _opens_paragraph(text: str, blocks: list[tuple[int, int, int]], i: int) -> bool:
    """Block i is body text: at least six words and a sentence end (what a one-word heading heads)."""
    if i >= len(blocks):
        return False
    s, e, _ = blocks[i]
    return len(text[s:e].split(None, 6)) > 6 and _HAS_SENTENCE_END_RE.search(text, s, e) is not None


_HAS_SENTENCE_END_RE = re.compile(r"[.!?…]")


def _add_turn_units(out: list[Unit], text: str, ts: int, te: int, spk: tuple[int, int] | None,
                    facts: _TextFacts, layout: str) -> None:
    """Append the body units of the speaker turn text[ts:te] to `out`."""
    if ts >= te or text[ts].isspace() or text[te - 1].isspace():
        ts, te = _trim(text, ts, te)
        if ts >= te:
            return
    cyrillic = facts.cyrillic
    chunk = text[ts:te]
    pieces = sentencex.segment("en", chunk)
    spans = None
    # most turns hold no quotation mark (so no missed-quote cut either: those marks are quote
    # marks) and no "me. I" stop: sentencex's cuts are theirs, and plain ones are units as they are
    quotes = facts.quotes
    if not quotes or not _holds_any(chunk, quotes):
        stops = facts.merge_stops
        k = bisect.bisect_left(stops, ts) if stops else 0
        if k == len(stops) or stops[k] >= te:
            spans = _plain_spans(text, ts, te, pieces)
        else:
            # a "me. I" cut sentencex made itself adds nothing (the cuts are a set)
            if not _merge_cuts(text, ts, te, stops, set(accumulate(map(len, pieces), initial=ts))):
                spans = _plain_spans(text, ts, te, pieces)
    finished = spans is not None
    if not finished:
        spans, finished = _sentence_spans(text, ts, te, facts, chunk, pieces)
    if not finished:
        _add_body_units(out, text, spans, spk, facts, layout)
        return
    starts, ends, first_plain = spans
    if not first_plain:
        _add_body_units(out, text, [(starts[0], ends[0], ())], spk, facts, layout)
        del starts[0], ends[0]
    chair = facts.chair
    if not chair and not cyrillic:
        out += map(_unit, starts, ends, repeat(BODY), repeat(spk), repeat(()))
        return
    for a, b in zip(starts, ends):
        # (text[b - 2] is the "r" of "Chair." or the "i" of "Chair": a cheap test first)
        if chair and text[b - 2] in "ri" and text.endswith(("Chair.", "Chair"), a, b) and _CHAIR_NOTE_RE.fullmatch(text, a, b):
            continue
        out.append(_unit(a, b, BODY, spk, _flags(text, a, b, ()) if cyrillic else ()))


def _add_body_units(out: list[Unit], text: str, spans: list[tuple[int, int, tuple[str, ...]]],
                    spk: tuple[int, int] | None, facts: _TextFacts, layout: str) -> None:
    """Append the body units of sentence spans (untrimmed ends allowed): notes and markers
    stripped, flags worked out, UN chair notes and letterless units dropped."""
    cyrillic = facts.cyrillic
    for a, b, flags in spans:
        # the fast path of _strip_notes, inlined (this runs for every unit)
        first = text[a]
        lettered = False
        if first.isalpha() and not first.islower() and (first not in "Pp" or not text.startswith("age", a + 1)):
            while text[b - 1].isspace():
                b -= 1
            lettered = text[b - 1] not in _NOTE_END_CHARS
        if not lettered:
            a, b = _strip_notes(text, a, b)
        # UN records: changes in the chair, and footnote or page numbers standing alone
        if layout == UN_DEBATE and ((facts.chair and text.endswith(("Chair.", "Chair"), a, b) and _CHAIR_NOTE_RE.fullmatch(text, a, b))
                                    or not (lettered or _HAS_LETTER_RE.search(text, a, b))):
            continue
        if a < b:
            out.append(_unit(a, b, BODY, spk, _flags(text, a, b, flags) if flags or cyrillic else ()))


def segment(text: str, *, layout: str = "plain",
            exclude: Iterable[tuple[int, int]] | Sequence[Sequence[int]] = ()) -> list[Unit]:
    """Annotation units of `text` in text order (see the module docstring for the rules).

    layout: "news" (headline, standfirst, subheadings) or "plain" (archive texts).
    exclude: (start, end) ranges that produce no units, e.g. site boilerplate.
    """
    ranges = _check_args(text, layout, list(exclude or ()))
    blocks = _blocks(text, ranges)
    if layout == UN_DEBATE:
        # the rules below read a copy in which the line breaks inside a paragraph (and markdown
        # bold marks) are blanks; it has the same length, so every offset is an offset into the
        # original text
        blocks, text = _join_broken_lines(text, blocks, ranges)
    facts = _TextFacts(text, layout)
    labels_by_block, all_labels = _labels_by_block(text, blocks)
    transcript = bool(all_labels) and _transcript_mode(all_labels, {s for s, _, _ in blocks})

    if not transcript and any(lab.mixed for lab in all_labels):
        labels_by_block = [[lab for lab in labs if not lab.mixed] if labs else labs for labs in labels_by_block]
    # short unpunctuated lines; a run of them is a list or a signature table, not headings
    # (worked out only for the neighbours of a heading candidate, which are few)
    short_cache: list[bool | None] = [None] * len(blocks)

    def short_line(i: int) -> bool:
        v = short_cache[i]
        if v is None:
            s, e, _ = blocks[i]
            v = short_cache[i] = (not labels_by_block[i] and e - s <= _MAX_HEADING_CHARS and text[e - 1] not in _NO_HEADING_END
                                  and _heading_like(text[s:e], max_words=14, min_words=1))
        return v

    def section(i: int) -> bool:
        # ... except a lettered section heading ("A. Periodic Review") under a section heading
        return short_line(i) and _SECTION_LETTER_RE.match(text, blocks[i][0], blocks[i][1]) is not None

    heading_at = -2   # block index of the last subheading

    units: list[Unit] = []
    speaker: tuple[int, int] | None = None
    first_para = blocks[0][2] if blocks else 0
    lines_may_be_body = layout != NEWS   # (a news line can be a headline or standfirst at any length)
    for bi, (bs, be, para) in enumerate(blocks):
        labels = labels_by_block[bi]
        if (lines_may_be_body and not labels and (be - bs > _MAX_HEADING_CHARS or text[be - 1] in _NO_HEADING_END)
                and text[bs] not in _DIVIDER_CHARS and not text[bs].isspace()):
            # most lines: no speaker label, too long or too finished for a heading, not a
            # divider; the rules below would make them one turn of the current speaker
            _add_turn_units(units, text, bs, be, speaker, facts, layout)
            continue
        is_last = bi == len(blocks) - 1
        line = text[bs:be]
        # news: the paragraph right after the headline, alone in its paragraph, with body after it
        standfirst_slot = (layout == "news" and bi == 1 and para == first_para + 1
                           and blocks[0][2] == first_para and not is_last and blocks[2][2] != para
                           and not labels)
        if not labels and (line[0] in _DIVIDER_CHARS or line[0].isspace()) and _DIVIDER_RE.fullmatch(line):
            speaker = None   # a divider starts a new section; its first speaker is labelled again
            continue

        # kinds that take the whole line as one unit
        whole_kind = None
        if not labels:
            if layout == "news" and bi == 0:
                whole_kind = HEADLINE
            elif layout == "news" and standfirst_slot and _heading_like(line, max_words=40, min_words=1):
                whole_kind = STANDFIRST   # a standfirst written without a full stop
            elif layout == "news" and _heading_like(line, max_words=14, min_words=1) and not is_last:
                whole_kind = SUBHEADING
            elif (layout in (PLAIN, UN_DEBATE) and not is_last and len(line) <= _MAX_HEADING_CHARS
                  and line[-1] not in _NO_HEADING_END
                  and (speaker is None or _title_case(line))
                  and _heading_like(line, max_words=10, min_words=1)
                  and (line.split(None, 1)[0] not in _SENTENCE_SUBJECTS or _title_case(line))
                  # a short line next is a list item, unless it heads a paragraph itself (a
                  # section heading over a subsection heading: "Support to Ukraine" / "Australia")
                  and (not short_line(bi + 1) or section(bi + 1)
                       or (bi + 2 < len(blocks) and not short_line(bi + 2) and _opens_paragraph(text, blocks, bi + 2)))
                  and (len(_heading_core(line).split()) > 1 or _opens_paragraph(text, blocks, bi + 1))
                  and not (bi > 0 and short_line(bi - 1) and heading_at != bi - 1
                           and len(text[blocks[bi - 1][0]:blocks[bi - 1][1]].split()) <= 3)):
                whole_kind = SUBHEADING
        if whole_kind is not None:
            if whole_kind == SUBHEADING:
                speaker = None   # a new section: its speaker, if any, is labelled again
                heading_at = bi
            a, b = _strip_footnote_mark(text, *_strip_notes(text, bs, be))
            if a < b:
                units.append(_unit(a, b, whole_kind, None, _flags(text, a, b, ())))
            continue

        # speaker turns of this line
        turns: list[tuple[int, int, tuple[int, int] | None]] = []
        cur, cur_speaker = bs, speaker
        line_units: list[Unit] = []
        for lab in labels:
            if lab.after_heading:
                # the title line run into the first label is a heading, not the speaker's words
                a, b = _strip_footnote_mark(text, *_strip_notes(text, cur, lab.start))
                if a < b:
                    line_units.append(_unit(a, b, SUBHEADING, None, _flags(text, a, b, ())))
            elif lab.start > cur:
                turns.append((cur, lab.start, cur_speaker))
            cur, cur_speaker = lab.end, lab.name
        turns.append((cur, be, cur_speaker))
        speaker = cur_speaker

        for ts, te, spk in turns:
            _add_turn_units(line_units, text, ts, te, spk, facts, layout)

        if standfirst_slot and len(line_units) == 1:
            u = line_units[0]
            line_units = [_unit(u.start, u.end, STANDFIRST, u.speaker_span, u.flags)]
        units.extend(line_units)
    return units


def paragraph_spans(text: str, *, layout: str = "plain",
                    exclude: Iterable[tuple[int, int]] | Sequence[Sequence[int]] = ()) -> list[tuple[int, int]]:
    """(start, end) of each paragraph of `text` as the segmenter sees it: its line blocks, with
    the lines a PDF broke (UN records) joined again. `annotate select` cuts passages at these
    boundaries, so a passage holds whole paragraphs; a text without line breaks is one paragraph."""
    ranges = _check_args(text, layout, list(exclude or ()))
    blocks = _blocks(text, ranges)
    if layout == UN_DEBATE:
        blocks, _ = _join_broken_lines(text, blocks, ranges)
    return [(s, e) for s, e, _ in blocks]


def _flags(text: str, a: int, b: int, flags: tuple[str, ...]) -> tuple[str, ...]:
    if not flags and _CYRILLIC_RE.search(text, a, b) is None:   # most units: nothing to flag
        return ()
    out = list(flags)
    if _has_homoglyph(text[a:b]):
        out.append(FLAG_HOMOGLYPH)
    return tuple(sorted(set(out)))
