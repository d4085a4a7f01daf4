"""The record contract: the shape of the store's label records, the span, and token-overlap F1.

Every reader and writer of labels uses these definitions (validate, direct, agreement, aggregate,
Label Studio pull/results/push, predictions, metrics), so a span one accepts the others accept
too, and the annotators' token F1 (the ceiling) and the models' are the same function.

A record of the wrong shape (an article without `article_id`, a sentence whose `start` is a
string, labels that are not a mapping) is one V040 finding naming file:line; the content checks
(V001–V033) only ever see well-shaped records, so the validator never dies on the defect it
should report.
"""
from __future__ import annotations

import re

from .store import ANNOTATIONS, ARTICLES, FINAL, SENTENCES


def is_int(x) -> bool:
    """A JSON whole number (True/False are not offsets or counts)."""
    return isinstance(x, int) and not isinstance(x, bool)


def _str(x) -> bool:
    return isinstance(x, str) and x != ""


def _opt_str(x) -> bool:
    return x is None or isinstance(x, str)


def _str_list(x) -> bool:
    return isinstance(x, list) and all(isinstance(v, str) for v in x)


def _pair(x) -> bool:
    return isinstance(x, list) and len(x) == 2 and all(is_int(v) for v in x)


def _labels(x) -> bool:
    return isinstance(x, dict) and all(isinstance(k, str) and _opt_str(v) for k, v in x.items())


_ANY = lambda x: True  # noqa: E731  (content checked later, e.g. spans by V004, versions by V032)

# file → key → (required, check, what it should be)
SHAPES: dict[str, dict[str, tuple[bool, object, str]]] = {
    ARTICLES: {
        "article_id": (True, _str, "a non-empty string"),
        "publisher": (True, _str, "a non-empty string"),
        "publisher_type": (True, _str, "a non-empty string"),
        "sha256": (True, _str, "the text's SHA-256 as a hex string"),
        "text_source": (True, lambda x: isinstance(x, dict), "an object ({bundled: path} or {archive_file, archive_id})"),
        "split": (False, _opt_str, "a string"),
        "title": (False, _opt_str, "a string or null"),
        "url": (False, _opt_str, "a string or null"),
        "date": (False, _opt_str, "a string or null"),
        "exclude": (False, lambda x: isinstance(x, list), "a list"),
    },
    SENTENCES: {
        "sentence_id": (True, _str, "a non-empty string"),
        "article_id": (True, _str, "a non-empty string"),
        "index": (True, is_int, "a whole number"),
        "start": (True, is_int, "a whole number (character offset)"),
        "end": (True, is_int, "a whole number (character offset)"),
        "text_hash": (True, _str, "a string"),
        "kind": (True, _str, "a string"),
        "speaker_span": (False, lambda x: x is None or _pair(x), "null or a [start, end] pair of whole numbers"),
        "flags": (False, _str_list, "a list of strings"),
        "status": (False, _opt_str, "a string"),
        "superseded_by": (False, _str_list, "a list of sentence ids"),
    },
    ANNOTATIONS: {
        "annotation_id": (True, _str, "a non-empty string"),
        "sentence_id": (True, _str, "a non-empty string"),
        "annotator": (True, _str, "a non-empty string"),
        "status": (True, _str, "a string"),
        "labels": (False, lambda x: x is None or _labels(x), "an object of field → label name (or null)"),
        "source_spans": (False, lambda x: x is None or isinstance(x, list), "a list of [start, end] pairs"),
        "created_at": (False, _opt_str, "an ISO 8601 time string"),
        "origin": (False, lambda x: x is None or isinstance(x, dict), "an object"),
        "guideline_version": (False, _ANY, ""),
        "rationale": (False, _opt_str, "a string (an adjudicator's one-line reason)"),
    },
    FINAL: {
        "sentence_id": (True, _str, "a non-empty string"),
        "labels": (True, _labels, "an object of field → label name (or null)"),
        "method": (False, lambda x: isinstance(x, dict) and all(isinstance(v, str) for v in x.values()),
                   "an object of field → method name"),
        "annotation_ids": (False, _str_list, "a list of annotation ids"),
        "source_spans": (False, lambda x: x is None or isinstance(x, list), "a list of [start, end] pairs"),
        "adjudicator": (False, _opt_str, "a string or null"),
        "decided_at": (False, _opt_str, "a string or null"),
        "rationale": (False, _opt_str, "a string (the adjudicator's one-line reason)"),
    },
}


def shape_problem(name: str, rec: dict) -> str | None:
    """What is wrong with the shape of `rec`, a record of the store file `name`; None if nothing."""
    for key, (required, check, what) in SHAPES[name].items():
        if key not in rec:
            if required:
                return f"missing {key!r} (every record of {name} has it)"
            continue
        if not check(rec[key]):
            return f"{key} must be {what}, got {_show(rec[key])}"
    return None


def _show(value) -> str:
    import json

    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def span_problem(span, length: int | None = None) -> str | None:
    """Why `span` is not a span of a text of `length` characters: a [start, end] pair of whole
    numbers (not booleans) with 0 <= start < end <= length; None if it is one."""
    if not (isinstance(span, (list, tuple)) and len(span) == 2 and all(is_int(x) for x in span)):
        return f"{_show(span)} is not a [start, end] pair of whole numbers"
    start, end = span
    if not 0 <= start < end:
        return f"{list(span)} is not a [start, end] pair with 0 <= start < end (it is empty or negative)"
    if length is not None and end > length:
        return f"span {list(span)} is not inside the sentence ({length} characters)"
    return None


def spans_problem(spans, length: int | None = None) -> str | None:
    """Why `spans` is not a list of spans (see span_problem); None (or a missing list) is no spans."""
    if spans is None:
        return None
    if not isinstance(spans, list):
        return f"spans must be a list of [start, end] pairs, got {_show(spans)}"
    for span in spans:
        problem = span_problem(span, length)
        if problem:
            return problem
    return None


def span_set(spans) -> tuple[tuple[int, int], ...]:
    """Checked spans as a sorted tuple of unique (start, end) pairs; ValueError if one is not a span."""
    problem = spans_problem(spans)
    if problem:
        raise ValueError(problem)
    return tuple(sorted({(s, e) for s, e in spans or ()}))


# -- token-overlap F1 ------------------------------------------------------------------------------
# A word token is a run of \w characters; a token is "inside" a span list when any of its
# characters is covered. Token F1 compares the sets of inside tokens (micro over sentences).
TOKEN = re.compile(r"\w+")


def word_tokens(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in TOKEN.finditer(text)]


def covered_tokens(spans, tokens: list[tuple[int, int]]) -> set[int]:
    """Indices of the tokens that overlap any span by at least one character."""
    return {i for i, (ts, te) in enumerate(tokens) if any(ts < e and s < te for s, e in spans)}


def token_overlap_counts(tokens: list[tuple[int, int]], a, b) -> tuple[int, int, int]:
    """(tokens inside both, inside a, inside b): the additive counts of token-overlap F1."""
    ta, tb = covered_tokens(a, tokens), covered_tokens(b, tokens)
    return len(ta & tb), len(ta), len(tb)


def f1_from_counts(tp: float, n_a: float, n_b: float) -> float | None:
    """2 tp / (|a| + |b|); None (undefined, never 0) when both are empty."""
    return None if n_a + n_b == 0 else 2 * tp / (n_a + n_b)
