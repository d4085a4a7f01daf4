"""Count segmentation defects on the whole external archive (a check, not a test).

    python -m warvoices.corpus.defect_counts --archive ../shared/archive [--show CLASS] [--json OUT]

Segments every record of every archive file (the UN file with layout `un_debate`, the others
`plain`, as registered) and counts, per file, the units that show each defect class of issue 13.
The detectors are written independently of the segmenter's own rules where possible, so a rule
that fails shows up here. Prints a table; `--show CLASS` prints the offending units of one class
to stdout for reading (archive text: never paste it into the repository).

Classes:
  long_label_missed    a unit starts with, or holds after a sentence end, a mixed-case speaker label
                       of 3+ words naming an office ("Governor of X Region Anna Lind :")
  garbled_speaker      the unit's speaker string repeats a name or glues two words ("Lind LindAnna")
                       (kept raw by the segmenter; the sources branch normalises it at build time)
  merged_me_I          two sentences in one unit after a lower-case word: "... to me. I will ..."
  list_marker_start    a unit starts with a list hyphen or bullet ("- ", "• ", "1) "); an en or em dash
                       continues an interrupted sentence in transcripts and is not counted
  lower_stage_note     a lower-case stage note ("(sighs)", "(laughter)") at a unit's edge or between
                       sentences, where it could stand outside the unit
  stage_note_mid_sentence  the same inside a sentence ("We are — (applause) — gathered"): a unit is
                       one span, so it stays (counted for information)
  heading_footnote     a short unpunctuated unit (a heading) ends in a footnote mark ("Middle East *")
  short_heading_body   a whole line of one to three capitalised words, no punctuation, typed body
                       although a paragraph of body text follows (a heading typed body)
  un_paragraph_span    (UN) a unit runs over a line break that ends a paragraph (terminal punctuation)
  un_pdf_cut           (UN) a unit ends at a line break mid-sentence: no terminal punctuation and the
                       next line goes on in lower case
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

from .segment import BODY, LAYOUTS, segment
from .texts import resolve_archive
from .store import atomic_write_text

CLASSES = ("long_label_missed", "garbled_speaker", "merged_me_I", "list_marker_start", "lower_stage_note",
           "stage_note_mid_sentence", "heading_footnote", "short_heading_body", "un_paragraph_span", "un_pdf_cut")

_TITLES = r"(?:President|Minister|Governor|Chairman|Chair|Head|Director|Secretary|Deputy|Mayor|Chancellor|" \
          r"Commissioner|Ambassador|Prime|Premier|General|Chief|Member|Speaker|Advisor|Adviser|Spokesman|Prosecutor)"
_LWORD = r"(?:[A-Z][\w'’\-.]*|of|the|and|for|in|on|at|to|de|von|van|der|al|bin)"
_LABEL = rf"(?=[^:]{{0,400}}\b{_TITLES}\b){_LWORD}(?:,? {_LWORD}|\([\w ]{{1,30}}\)){{2,60}}"
_LABEL_AT_START = re.compile(rf"{_LABEL} ?:\s+[\"“A-Z]")
_LABEL_INSIDE = re.compile(rf"[.!?…][\"”]? {_LABEL} ?:\s+[\"“A-Z]")
_GARBLED = re.compile(r"\b([A-Z][\w\-]+) \1\b|[a-z][A-Z][a-z]")
# the merge: a lower-case word (not an abbreviation) ends a sentence, "I"/"A" opens the next
_NOT_SENTENCE_END = frozenset("etc al approx incl vs cf viz ca esp resp dept govt art vol fig figs sec para pp ch".split())
_MERGED = re.compile(r"(?<![\w.])([a-z]{2,})\.\s+(?:I(?:['’](?:m|ll|ve|d))?|A)\s+[a-z]")
_LIST_START = re.compile(r"(?:[-•▪●◦·*]|\d{1,2}\)|\([a-z0-9]\))\s")
_STAGE_WORDS = r"inaudible|applause|laughter|laughs|laughing|sighs|coughs|chuckles|crosstalk|cross-talk|pause|" \
               r"audience \w+ \w+|audience \w+|speaks \w+|smiles|silence|off-mic|unintelligible|booing|cheers|music"
_LOWER_NOTE = re.compile(rf"\((?:{_STAGE_WORDS})\)")
_TERMINAL_AT_END = re.compile(r"[.!?…:;][\"”’)\]*\d]*\s*$")
_PUNCT_AT_END = re.compile(r"[.!?…:;,][\"”’)\]*\d]*\s*$")
# a footnote mark: a lone asterisk or dagger (a double asterisk is markdown bold, not a footnote)
_FOOTNOTE_END = re.compile(r"(?:\s[*†‡]+|(?<![*\s])[*†‡])$")
# a form of address on a line of its own ("Mr. President", "Excellencies") is not a heading
_SALUTATION = re.compile(r"\b(?:President|Excellenc\w*|Delegates|Ladies|Gentlemen|Colleagues|Friends|Chair\w*|"
                         r"Secretary-General|Majest\w+|Highness\w*)\b")


def _outside_quotes(body: str, pos: int) -> bool:
    return sum(body.count(q, 0, pos) for q in '"“”') % 2 == 0


def _line_of(text: str, pos: int) -> tuple[int, int]:
    a = text.rfind("\n", 0, pos) + 1
    b = text.find("\n", pos)
    return a, (len(text) if b < 0 else b)


def _next_line(text: str, end: int) -> str:
    """The next non-blank line after the line holding `end`."""
    b = text.find("\n", end)
    while b >= 0:
        c = text.find("\n", b + 1)
        line = text[b + 1:(len(text) if c < 0 else c)].strip()
        if line:
            return line
        if c < 0:
            return ""
        b = c
    return ""


def defects(text: str, units, un: bool) -> dict[str, list[int]]:
    """{class: [unit index, ...]} for one text's units."""
    found: dict[str, list[int]] = {c: [] for c in CLASSES}
    for i, u in enumerate(units):
        body = text[u.start:u.end]
        if _LABEL_AT_START.match(body) or _LABEL_INSIDE.search(body):
            found["long_label_missed"].append(i)
        if u.speaker_span and _GARBLED.search(text[u.speaker_span[0]:u.speaker_span[1]]):
            found["garbled_speaker"].append(i)
        # several sentences inside one quotation are one unit by design: only merges outside quotes count
        if any(m.group(1) not in _NOT_SENTENCE_END and _outside_quotes(body, m.start())
               for m in _MERGED.finditer(body)):
            found["merged_me_I"].append(i)
        if _LIST_START.match(body):
            found["list_marker_start"].append(i)
        for m in _LOWER_NOTE.finditer(body):
            # at the unit's edge or between sentences the note could be outside the unit; inside a
            # sentence ("We are — (applause) — gathered") it cannot, a unit being one span
            between = m.start() == 0 or m.end() == len(body) or re.search(r"[.!?…][\"”’]?\s*$", body[:m.start()])
            found["lower_stage_note" if between else "stage_note_mid_sentence"].append(i)
            break
        words = body.split()
        if len(words) <= 12 and _FOOTNOTE_END.search(body) and not _PUNCT_AT_END.search(body.rstrip(" *†‡")):
            found["heading_footnote"].append(i)
        la, lb = _line_of(text, u.start)
        if (u.kind == BODY and u.speaker_span is None and text[la:lb].strip() == body and 1 <= len(words) <= 3
                and all(w[:1].isupper() for w in words) and body[-1].isalpha() and not _SALUTATION.search(body)
                and len(_next_line(text, u.end).split()) >= 8):
            found["short_heading_body"].append(i)
        if un:
            for m in re.finditer(r"\n", body):
                before = body[:m.start()]
                if _TERMINAL_AT_END.search(before) or not text[u.start + m.end():u.end].strip():
                    found["un_paragraph_span"].append(i)
                    break
            _, le = _line_of(text, u.end - 1)
            nxt = _next_line(text, u.end)
            if not text[u.end:le].strip() and not _TERMINAL_AT_END.search(body) and nxt[:1].islower():
                found["un_pdf_cut"].append(i)
    return found


def layout_for(file_name: str) -> str:
    return "un_debate" if file_name == "ungdc.jsonl" and "un_debate" in LAYOUTS else "plain"


def count(archive: Path, show: str | None = None, out=sys.stdout) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for path in sorted(archive.glob("*.jsonl")):
        layout = layout_for(path.name)
        c: Counter = Counter()
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            text = rec["text"]
            units = segment(text, layout=layout)
            c["records"] += 1
            c["units"] += len(units)
            for cls, idx in defects(text, units, un=layout == "un_debate" or path.name == "ungdc.jsonl").items():
                c[cls] += len(idx)
                if cls == show:
                    for i in idx:
                        u = units[i]
                        spk = text[u.speaker_span[0]:u.speaker_span[1]] if u.speaker_span else None
                        print(f"--- {rec['id']} [{u.start}:{u.end}] {u.kind} speaker={spk!r}\n{text[u.start:u.end]!r}", file=out)
        table[path.name] = {"layout": layout, **{k: c[k] for k in ("records", "units", *CLASSES)}}
    return table


def render(table: dict[str, dict]) -> str:
    files = list(table)
    rows = ["records", "units", *CLASSES]
    head = f"{'class':<20}" + "".join(f"{f.removesuffix('.jsonl'):>18}" for f in files) + f"{'total':>10}"
    lines = [head, f"{'layout':<20}" + "".join(f"{table[f]['layout']:>18}" for f in files)]
    for r in rows:
        vals = [table[f][r] for f in files]
        lines.append(f"{r:<20}" + "".join(f"{v:>18}" for v in vals) + f"{sum(vals):>10}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", type=Path, default=None, help="archive dir (default: $WARVOICES_ARCHIVE)")
    ap.add_argument("--show", choices=CLASSES, help="print the units of this class (stdout only)")
    ap.add_argument("--json", type=Path, help="also write the counts (no text) to this JSON file")
    args = ap.parse_args(argv)
    archive = resolve_archive(args.archive)
    if archive is None:
        ap.error("needs the archive: --archive DIR or WARVOICES_ARCHIVE")
    table = count(archive, show=args.show)
    print(render(table))
    if args.json:
        atomic_write_text(args.json, json.dumps(table, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
