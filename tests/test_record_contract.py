"""One record contract (corpus/records.py): every reader of spans accepts and refuses the same
values, and token-overlap F1 is one definition for annotators (agreement) and models (metrics)."""
from __future__ import annotations

import json

import pytest

from schema_labels import full_labels
from warvoices.annotation import agreement, aggregate
from warvoices.annotation.ls_results import to_result
from warvoices.baselines import metrics
from warvoices.baselines.predictions import parse_predictions
from warvoices.corpus import records
from warvoices.corpus.direct import check_record
from warvoices.corpus.errors import InputError
from warvoices.corpus.validate import _labels_issues
from warvoices.corpus.schema import load_schema

TEXT = "The mayor of Volnovo said the bridge is open."  # invented, 45 characters
SCHEMA = load_schema()
GOOD = [[0, 3], [4, 9]]
BAD = {
    "boolean offsets": [[True, 3]],
    "empty": [[3, 3]],
    "reversed": [[5, 2]],
    "negative": [[-1, 2]],
    "float": [[0.0, 2]],
    "string": ["ab"],
    "three numbers": [[1, 2, 3]],
    "not a list": {"start": 0},
}
PAST_END = [[0, 99]]  # only readers that know the sentence text can see this one

LABELS = full_labels(attribution="indirect", source_type="media")


def _validate(spans):
    issues = _labels_issues(SCHEMA, {"labels": LABELS, "source_spans": spans, "guideline_version": 2}, "p", len(TEXT))
    if any(i.id == "V004" for i in issues):
        raise ValueError("V004")


def _direct(spans):
    check_record({"sentence_id": "s1", "labels": LABELS, "source_spans": spans}, "f:1", {"s1": len(TEXT)},
                 annotator="ann-a", created_at="2024-05-01T10:00:00Z")


def _agreement(spans):
    agreement.collect_answers([{"annotation_id": "a1", "sentence_id": "s1", "annotator": "ann-a",
                                "created_at": "2024-05-01T10:00:00Z", "status": "submitted", "labels": LABELS,
                                "source_spans": spans, "guideline_version": 2}], name="t")


def _aggregate(spans):
    aggregate._checked_spans(spans, "decision")


def _results(spans):
    to_result(LABELS, spans, TEXT)


def _predictions(spans):
    parse_predictions([(1, {"id": "s1", "source_spans": spans})], "p.jsonl")


READERS = {"validate": _validate, "direct": _direct, "agreement": _agreement, "aggregate": _aggregate,
           "ls_results": _results, "predictions": _predictions}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_every_reader_accepts_a_good_span_list(reader):
    READERS[reader](GOOD)


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("defect", sorted(BAD))
def test_every_reader_refuses_the_same_bad_spans(reader, defect):
    with pytest.raises((InputError, ValueError)):
        READERS[reader](BAD[defect])


@pytest.mark.parametrize("reader", ["validate", "direct", "ls_results"])
def test_readers_that_know_the_text_refuse_a_span_past_its_end(reader):
    with pytest.raises((InputError, ValueError)):
        READERS[reader](PAST_END)


def test_token_f1_is_one_definition():
    assert metrics.token_ranges is records.word_tokens and agreement.word_tokens is records.word_tokens
    assert agreement.covered_tokens is records.covered_tokens
    gold, pred = [(0, 9)], [(4, 12)]  # "The mayor" / "mayor of"
    counts = metrics.span_counts(TEXT, gold, pred)
    tp, n_pred, n_gold = counts[metrics.SPAN_COLUMNS.index("tok_tp")], counts[metrics.SPAN_COLUMNS.index("tok_pred")], \
        counts[metrics.SPAN_COLUMNS.index("tok_gold")]
    assert (tp, n_gold, n_pred) == records.token_overlap_counts(records.word_tokens(TEXT), gold, pred) == (1, 2, 2)
    assert records.f1_from_counts(tp, n_gold, n_pred) == pytest.approx(0.5)
    assert records.f1_from_counts(0, 0, 0) is None
