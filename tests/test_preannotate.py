"""Pre-annotations for one batch: several models merged into one answer, the schema's
dependencies enforced, only the batch's sentences. Invented ids; no training needed."""
from __future__ import annotations

import json

import pytest

from warvoices.corpus.schema import load_schema
from warvoices.baselines.preannotate import (batch_sentence_ids, enforce_dependencies, merge_predictions,
                                             parse_model_spec)
from warvoices.corpus.errors import WarVoicesError
from warvoices.corpus.store import Store

SCHEMA = load_schema()


def _pred(sid, model, version, labels, spans=None, score=None):
    rec = {"sentence_id": sid, "labels": labels, "model": model, "version": version, "score": score}
    if spans is not None:
        rec["source_spans"] = spans
    return rec


def test_labels_from_one_model_spans_from_another():
    tfidf = [_pred("s1", "tfidf_lr", "t1", {"stance": "neutral", "attribution": "indirect",
                                             "source_type": "media", "event_type": "economy"}, score=0.8)]
    rules = [_pred("s1", "rules", "r1", {"attribution": "direct"}, spans=[[0, 4]])]
    (rec,) = merge_predictions([("tfidf_lr", None, tfidf), ("rules", ["source_spans"], rules)], SCHEMA)
    assert rec["labels"] == {"stance": "neutral", "attribution": "indirect", "source_type": "media",
                             "event_type": "economy"}  # rules' attribution is not taken: restricted to spans
    assert rec["source_spans"] == [[0, 4]]
    assert rec["model"] == "tfidf_lr+rules" and rec["version"] == "tfidf_lr=t1;rules=r1"
    assert rec["fields_from"] == {"attribution": "tfidf_lr", "event_type": "tfidf_lr", "source_spans": "rules",
                                  "source_type": "tfidf_lr", "stance": "tfidf_lr"}
    assert rec["score"] == 0.8


def test_a_model_that_gives_nothing_is_an_error():
    a = [_pred("s1", "a", "1", {"stance": "neutral"})]
    b = [_pred("s1", "b", "2", {"stance": "pro_russia"})]
    with pytest.raises(WarVoicesError, match="model b gives no field"):
        merge_predictions([("a", None, a), ("b", None, b)], SCHEMA)


def test_model_spec_with_unknown_field_is_refused():
    assert parse_model_spec("rules:source_spans", SCHEMA) == ("rules", ["source_spans"])
    assert parse_model_spec("tfidf_lr", SCHEMA) == ("tfidf_lr", None)
    with pytest.raises(WarVoicesError, match="unknown field"):
        parse_model_spec("rules:speaker", SCHEMA)


@pytest.mark.parametrize("labels, spans, dropped, left", [
    ({"attribution": "indirect", "source_type": "none"}, [], ["source_type"], {"attribution": "indirect"}),
    ({"attribution": "none", "source_type": "media"}, [], ["source_type"], {"attribution": "none"}),
    ({"attribution": "none", "source_type": "none"}, [[0, 3]], ["source_spans"],
     {"attribution": "none", "source_type": "none"}),
    ({"attribution": "direct", "source_type": "media"}, [[0, 3]], [], {"attribution": "direct", "source_type": "media"}),
])
def test_dependencies_are_enforced_by_leaving_the_contradiction_unanswered(labels, spans, dropped, left):
    rec = {"sentence_id": "s1", "labels": dict(labels), "source_spans": spans}
    assert enforce_dependencies(rec, SCHEMA) == dropped
    assert {k: rec["labels"].get(k) for k in left} == left
    # the contradicting dependent is left for the annotator (or, under a null field, set to null)
    for k in set(rec["labels"]) - set(left):
        assert rec["labels"][k] == SCHEMA.field(k).null_label
    assert SCHEMA.dependency_problems(rec["labels"], {"source_spans": rec["source_spans"]}) == []


def test_batch_sentences_come_from_the_manifest_or_the_articles(tmp_path):
    store = Store(tmp_path)
    store.write_articles([{"article_id": "inv-a", "split": "train"}, {"article_id": "inv-b", "split": "train"}])
    store.write_sentences([{"sentence_id": f"inv-{a}-s000{i}", "article_id": f"inv-{a}", "index": i}
                           for a in "ab" for i in range(3)])
    assert batch_sentence_ids(tmp_path, articles=["inv-b"]) == ["inv-b-s0000", "inv-b-s0001", "inv-b-s0002"]
    (tmp_path / "batches").mkdir()
    (tmp_path / "batches" / "b1.json").write_text(json.dumps({
        "manifest_version": 1, "batch": "b1", "articles": ["inv-a"], "sentences": ["inv-a-s0000", "inv-a-s0002"]}))
    assert batch_sentence_ids(tmp_path, batch="b1") == ["inv-a-s0000", "inv-a-s0002"]
    with pytest.raises(WarVoicesError, match="no batch 'b2'"):
        batch_sentence_ids(tmp_path, batch="b2")
    with pytest.raises(WarVoicesError, match="unknown article"):
        batch_sentence_ids(tmp_path, articles=["inv-z"])
