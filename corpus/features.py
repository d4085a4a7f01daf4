"""The dataset's columns and `datasets.Features`, rendered from the schema.

Label columns are `ClassLabel` with the schema's names in the schema's order; -1 means "no
label" (the `unlabeled` split, or a field the label's guideline version did not have, such as
`about_war` in labels made under guideline version 1). Spans are lists of {start, end, text}, offsets relative to the
sentence. `annotations` carries every annotator's raw labels beside the final one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from warvoices.corpus.schema import Schema, load_schema

if TYPE_CHECKING:
    from datasets import Features, List

NO_LABEL = -1

# metadata columns, in output order (label columns follow, then provenance)
META_COLUMNS = [
    "id", "article_id", "sentence_index", "kind", "text", "context_before", "context_after",
    "speaker", "speaker_role", "speaker_label", "country", "country_alignment",
    "flags", "publisher", "publisher_type", "date", "url", "title",
]
# whose voice a unit is (corpus/voices.py); null when the source does not say
VOICE_COLUMNS = ["speaker", "speaker_role", "speaker_label", "country", "country_alignment"]


def span_feature() -> List:
    from datasets import List, Value  # imported here: `import datasets` costs about a second

    return List({"start": Value("int32"), "end": Value("int32"), "text": Value("string")})


def label_features(schema: Schema) -> dict:
    from datasets import ClassLabel

    out = {}
    for f in schema.fields:
        if f.kind == "choice":
            out[f.name] = ClassLabel(names=f.label_names)
        elif f.kind == "spans":
            out[f.name] = span_feature()
        else:  # pragma: no cover - schema validation rejects other kinds
            raise ValueError(f"unknown field kind {f.kind!r}")
    return out


def dataset_features(schema: Schema | None = None) -> Features:
    from datasets import Features, List, Value

    schema = schema or load_schema()
    feats = {
        "id": Value("string"),
        "article_id": Value("string"),
        "sentence_index": Value("int32"),
        "kind": Value("string"),
        "text": Value("string"),
        "context_before": Value("string"),
        "context_after": Value("string"),
        "speaker": Value("string"),
        "speaker_role": Value("string"),
        "speaker_label": Value("string"),
        "country": Value("string"),
        "country_alignment": Value("string"),
        "flags": List(Value("string")),
        "publisher": Value("string"),
        "publisher_type": Value("string"),
        "date": Value("string"),
        "url": Value("string"),
        "title": Value("string"),
    }
    feats.update(label_features(schema))
    # how each final label was reached: {field: method}
    feats["label_method"] = {f.name: Value("string") for f in schema.fields}
    # the guideline version the final labels follow (-1: no final label); fields newer than it
    # (about_war for version 1) are -1 in that row
    feats["guideline_version"] = Value("int32")
    raw = {
        "annotation_id": Value("string"),
        "annotator": Value("string"),
        "created_at": Value("string"),
        "status": Value("string"),
        "origin": Value("string"),  # e.g. "label-studio project 3 task 17 annotation 42"
        "guideline_version": Value("int32"),
    }
    raw.update(label_features(schema))
    feats["annotations"] = List(raw)
    return Features(feats)


def task_columns(task_name: str, schema: Schema | None = None) -> list[str]:
    """Columns of one task config: identifiers and context, plus the task's label fields."""
    schema = schema or load_schema()
    task = schema.task(task_name)
    base = ["id", "article_id", "sentence_index", "kind", "text", "context_before", "context_after",
            "speaker", "publisher_type"]
    return base + list(task.fields)
