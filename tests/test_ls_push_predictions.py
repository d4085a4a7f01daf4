"""Pre-annotation files are checked before anything reaches Label Studio (which would store an
unknown label silently). Invented sentences; no server needed."""
from __future__ import annotations

import json

import pytest

from warvoices.annotation.ls_push import load_predictions
from warvoices.corpus.errors import InputError

TEXTS = {"inv-s0000": "The ferry operator said the crossing would resume on Friday.",
         "inv-s0001": "Snow closed the mountain road."}
LABELS = {"stance": "neutral", "attribution": "indirect", "source_type": "media", "event_type": "economy"}


def write(tmp_path, lines):
    p = tmp_path / "preds.jsonl"
    p.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return p


def test_baseline_style_file_gives_results_scores_and_the_model(tmp_path):
    span = [4, 18]  # "ferry operator"
    path = write(tmp_path, [
        {"sentence_id": "inv-s0000", "labels": LABELS, "source_spans": [span], "model": "tfidf_lr",
         "version": "3f9a", "score": 0.61},
        {"sentence_id": "inv-s0001", "labels": {"event_type": "none"}, "model": "tfidf_lr", "version": "3f9a",
         "score": None},
    ])
    preds, named = load_predictions(path, TEXTS)
    assert named == {"model": "tfidf_lr", "version": "3f9a"}
    first = preds["inv-s0000"]
    assert first["score"] == 0.61
    choices = {r["from_name"]: r["value"]["choices"][0] for r in first["result"] if r["type"] == "choices"}
    assert choices == LABELS
    (region,) = [r for r in first["result"] if r["type"] == "labels"]
    assert region["value"]["text"] == "ferry operator" and [region["value"]["start"], region["value"]["end"]] == span
    assert "score" not in preds["inv-s0001"]  # a rule baseline has no score
    assert [r["from_name"] for r in preds["inv-s0001"]["result"]] == ["event_type"]


@pytest.mark.parametrize("line, message", [
    ({"sentence_id": "inv-s0001", "labels": {"stance": "pro_atlantis"}}, "unknown stance label"),
    ({"labels": LABELS}, "no sentence_id"),
    ({"sentence_id": "inv-s0001", "labels": LABELS, "source_spans": [[10, 99]]}, "not inside the sentence"),
    # the schema's consistency rules hold for pre-annotations too (one function for every check)
    ({"sentence_id": "inv-s0001", "labels": {"about_war": "no", "stance": "pro_russia"}},
     "about_war is 'no' but stance is 'pro_russia'"),
    ({"sentence_id": "inv-s0001", "labels": dict(LABELS, attribution="none")}, "both should be 'none' or neither"),
])
def test_bad_lines_name_file_and_line(tmp_path, line, message):
    path = write(tmp_path, [{"sentence_id": "inv-s0000", "labels": LABELS}, line])
    with pytest.raises(InputError, match=message) as info:
        load_predictions(path, TEXTS)
    assert f"{path}:2" in str(info.value)


def test_one_batch_shows_one_model(tmp_path):
    path = write(tmp_path, [{"sentence_id": "inv-s0000", "labels": LABELS, "model": "a", "version": "1"},
                            {"sentence_id": "inv-s0001", "labels": LABELS, "model": "b", "version": "1"}])
    with pytest.raises(InputError, match="one model"):
        load_predictions(path, TEXTS)


def test_predictions_for_other_sentences_are_not_shown(tmp_path):
    # one file for the whole unlabeled pool serves every batch
    path = write(tmp_path, [{"sentence_id": "inv-s9999", "labels": LABELS},
                            {"sentence_id": "inv-s0001", "labels": LABELS}])
    preds, _ = load_predictions(path, TEXTS)
    assert list(preds) == ["inv-s0001"]
    only_outside = write(tmp_path, [{"sentence_id": "inv-s9999", "labels": LABELS}])
    with pytest.raises(InputError, match="no prediction for any sentence of this batch"):
        load_predictions(only_outside, TEXTS)


def test_task_data_takes_archive_titles_from_the_archive(tmp_path):
    # archive titles are not stored in the registry (they would repeat archive words); the task
    # form must still show them
    from warvoices.annotation.ls_push import batch_tasks
    from warvoices.corpus.registry import add_archive
    from warvoices.corpus.sentences import segment_articles
    from warvoices.corpus.store import Store
    from warvoices.corpus.texts import TextLoader

    arch = tmp_path / "arch"
    arch.mkdir()
    rec = {"id": "wh-inv-1", "url": "https://example.org/inv", "title": "An invented readout", "date": "2024-01-02",
           "license": "PD", "text": "The ferry operator said the crossing would resume.\n\nSnow closed the road."}
    (arch / "whitehouse.jsonl").write_text(json.dumps(rec) + "\n", encoding="utf-8")
    store = Store(tmp_path / "s")
    add_archive(store, arch, ["whitehouse.jsonl"])
    assert store.articles()["wh-inv-1"]["title"] is None
    loader = TextLoader(arch)
    segment_articles(store, loader, progress=False)
    order, data = batch_tasks(store, loader, ["wh-inv-1"])
    assert len(order) == 2
    assert {d["title"] for d in data.values()} == {"An invented readout"}
    assert data[order[1]]["context_before"] == "The ferry operator said the crossing would resume."


def test_a_prediction_that_breaks_a_schema_dependency_is_refused(tmp_path):
    path = write(tmp_path, [{"sentence_id": "inv-s0000", "labels": dict(LABELS, source_type="none"),
                             "model": "m", "version": "1"}])
    with pytest.raises(InputError, match=r"preds.jsonl:1: .*schema rule.*attribution is 'indirect'"):
        load_predictions(path, TEXTS)


def test_a_merged_prediction_names_which_model_gave_which_field(tmp_path):
    path = write(tmp_path, [{"sentence_id": "inv-s0000", "labels": LABELS, "source_spans": [[4, 18]],
                             "model": "tfidf_lr+rules", "version": "tfidf_lr=1;rules=2",
                             "fields_from": {"stance": "tfidf_lr", "source_spans": "rules"}}])
    _, named = load_predictions(path, TEXTS)
    assert named == {"model": "tfidf_lr+rules", "version": "tfidf_lr=1;rules=2",
                     "fields_from": {"stance": "tfidf_lr", "source_spans": "rules"}}
