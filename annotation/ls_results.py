"""Labels and spans ↔ Label Studio `result` lists (the shape of annotations and predictions).

A result holds one region per answered control: `choices` for a choice field, one `labels`
region per span (offsets into the sentence text, plus the marked text). Used for predictions
shown to annotators, the adjudication project's per-annotator answers, tests and benchmarks;
the reverse direction, with full validation, is in ls_pull.
"""
from __future__ import annotations

from warvoices.corpus.records import spans_problem

from .ls_config import SENTENCE_TAG
from warvoices.corpus.schema import Schema, load_schema


def to_result(labels: dict | None, spans: list | None, text: str, schema: Schema | None = None,
              prefix: str = "r") -> list[dict]:
    schema = schema or load_schema()
    labels = labels or {}
    if not isinstance(labels, dict):
        raise ValueError(f"labels must be an object of field → label, got {type(labels).__name__}")
    out: list[dict] = []
    for f in schema.choice_fields:
        value = labels.get(f.name)
        if value is None:
            continue
        if value not in f.label_names:
            raise ValueError(f"unknown {f.name} label {value!r}; allowed: {f.label_names}")
        out.append({"id": f"{prefix}-{f.name}", "from_name": f.name, "to_name": SENTENCE_TAG, "type": "choices",
                    "value": {"choices": [value]}})
    span_fields = schema.span_fields
    if spans:
        if not span_fields:
            raise ValueError("the schema has no span field, but spans were given")
        sf = span_fields[0]
        problem = spans_problem(spans, len(text))
        if problem:
            raise ValueError(problem)
        for i, (start, end) in enumerate(spans):
            out.append({"id": f"{prefix}-{sf.name}-{i}", "from_name": sf.name, "to_name": SENTENCE_TAG,
                        "type": "labels", "value": {"start": start, "end": end, "text": text[start:end],
                                                    "labels": [sf.span_label]}})
    return out
