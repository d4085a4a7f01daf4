"""Pre-annotations keep the schema's consistency rules (independent per-field models need not)."""
from __future__ import annotations

import json

from warvoices.annotation.ls_push import load_predictions
from warvoices.corpus.schema import load_schema
from warvoices.baselines.gold import load_split
from warvoices.baselines.preannotate import predictions_for_label_studio, train_for_preannotation
from warvoices.baselines.toy_corpus import write_toy_dataset


def test_every_task_pre_annotation_is_consistent_and_loads(tmp_path):
    toy = write_toy_dataset(tmp_path / "toy")
    schema = load_schema()
    model = train_for_preannotation("tfidf_lr", toy)  # every task, about_war included
    assert "about_war" in model.fields
    unl = load_split(toy, "unlabeled")
    texts = dict(zip(unl.ids, unl.texts))
    texts.update({"extra-s0000": "This page was last updated on Friday.",  # a toy "not about the war" line
                  "extra-s0001": "This page was last updated on Monday."})
    preds = predictions_for_label_studio(model, [{"sentence_id": i, "text": t} for i, t in texts.items()])
    assert any(p["labels"].get("about_war") == "no" for p in preds)
    for p in preds:
        spans = {f.name: p.get(f.name, []) for f in schema.span_fields}
        assert schema.consistency_problems(p["labels"], spans) == []
        if p["labels"].get("about_war") == "no":
            assert p["labels"]["stance"] == "neutral" and p["labels"]["event_type"] == "none"
    # and Label Studio's pre-annotation loader (which checks the rules) accepts them
    path = tmp_path / "pre.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in preds), encoding="utf-8")
    loaded, named = load_predictions(path, texts)
    assert len(loaded) == len(preds) and named["model"] == "tfidf_lr"


def test_pre_annotation_training_skips_fields_without_train_labels(tmp_path):
    # version-1 gold: no about_war labels anywhere; training must not fail on the new field
    from warvoices.baselines.toy_corpus import toy_records, write_records_dataset

    recs = [{k: v for k, v in r.items() if k != "about_war"} for r in toy_records()]
    data = write_records_dataset(recs, tmp_path / "v1")
    model = train_for_preannotation("tfidf_lr", data)
    assert "about_war" not in model.fields and "stance" in model.fields


def test_baselines_run_on_version_1_gold_skips_about_war(tmp_path):
    # today's finals follow guideline version 1: the about_war task has no gold label yet, which
    # must not stop the other tasks (smallest generic fix in baselines/run.py)
    from warvoices.baselines.run import result_path, run_baselines
    from warvoices.baselines.toy_corpus import toy_records, write_records_dataset

    recs = [{k: v for k, v in r.items() if k != "about_war"} for r in toy_records()]
    data = write_records_dataset(recs, tmp_path / "v1")
    messages = []
    run_baselines(data, tmp_path / "results", models=["majority"], n_resamples=20, progress=False,
                  log=messages.append)
    assert any("skipping about_war" in m for m in messages)
    assert result_path(tmp_path / "results", "stance", "majority").is_file()
    assert not result_path(tmp_path / "results", "about_war", "majority").exists()
