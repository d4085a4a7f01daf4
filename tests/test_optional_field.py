"""An optional choice field works end to end: added to a copy of the schema (the real schema is not
touched), left unanswered it is accepted by `direct`, is no dispute in `aggregate`, and training
skips it (no labels: nothing to learn) while the other fields are trained."""
from __future__ import annotations

import numpy as np
import pytest

from schema_labels import full_labels
from warvoices.annotation.aggregate import aggregate
from warvoices.annotation.agreement import collect_answers
from warvoices.corpus.schema import SCHEMA_PATH, load_schema
from warvoices.baselines.gold import Split
from warvoices.baselines.train import train_baseline
from warvoices.corpus.direct import check_record
from warvoices.corpus.errors import WarVoicesError
from warvoices.corpus.features import NO_LABEL

TONE = """
  - name: tone
    kind: choice
    required: false
    title: Tone
    question: Does the sentence sound alarmed?
    labels:
      - name: calm
        definition: No alarm in the wording.
      - name: alarmed
        definition: Wording meant to alarm.
"""


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    at = text.index("\n# Consistency rules")
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    path.write_text(text[:at] + TONE + text[at:], encoding="utf-8")
    s = load_schema(path)
    assert not s.field("tone").required and "tone" in [f.name for f in s.choice_fields]
    return s


def test_direct_accepts_an_unanswered_optional_field(schema):
    labels = dict(full_labels(), tone=None)
    rec = {"sentence_id": "s1", "labels": labels, "source_spans": []}
    out = check_record(rec, "f.jsonl:1", {"s1": 20}, annotator="ann-a", created_at="2024-05-01T10:00:00Z",
                       schema=schema)
    assert out["labels"]["tone"] is None
    # a required field left empty is still refused
    with pytest.raises(WarVoicesError, match="stance"):
        check_record({**rec, "labels": dict(labels, stance=None)}, "f.jsonl:2", {"s1": 20}, annotator="ann-a",
                     created_at="2024-05-01T10:00:00Z", schema=schema)


def _record(sid, annotator, **labels):
    return {"annotation_id": f"direct:{annotator}:{sid}", "sentence_id": sid, "annotator": annotator,
            "created_at": "2024-05-01T10:00:00Z", "status": "submitted", "labels": {**full_labels(), **labels},
            "source_spans": [], "origin": {"tool": "direct"}, "guideline_version": 2}


def test_nobody_answering_an_optional_field_is_not_a_dispute(schema):
    records = [_record("s1", "ann-a"), _record("s1", "ann-b"),  # nobody answered tone
               _record("s2", "ann-a", tone="calm"), _record("s2", "ann-b", tone="alarmed")]  # a real dispute
    result = aggregate(collect_answers(records, schema=schema, name="t"), schema=schema)
    finals = {r["sentence_id"]: r for r in result.finals}
    assert "s1" in finals and finals["s1"]["labels"]["tone"] is None and "tone" not in finals["s1"]["method"]
    assert finals["s1"]["method"]["stance"] == "unanimous"
    assert [(d.sentence_id, d.field) for d in result.disputes] == [("s2", "tone")]


def _split(schema, name, n, labelled_tone: bool):
    labels = {f.name: np.array([i % len(f.label_names) for i in range(n)]) for f in schema.choice_fields}
    if not labelled_tone:
        labels["tone"] = np.full(n, NO_LABEL)
    return Split("mem", name, [f"s{i}" for i in range(n)], ["a"] * n, [f"text number {i}" for i in range(n)],
                 labels, {f.name: [[] for _ in range(n)] for f in schema.span_fields}, schema)


def test_training_skips_a_field_with_no_labels(schema):
    train, val = _split(schema, "train", 12, False), _split(schema, "validation", 0, False)
    trained = train_baseline("majority", train, val, ["stance", "tone"])
    assert "stance" in trained.fields and "tone" not in trained.fields
    assert "no tone labels" in trained.skipped["tone"]
    assert "tone" not in trained.predict(["another text"]).labels
    with pytest.raises(WarVoicesError, match="no tone labels"):
        train_baseline("majority", train, val, ["tone"])
