"""Label sets for test fixtures, generated from annotation/schema.yaml.

Fixtures should spell only the labels a test is about; every other required field is filled
here from the schema, so adding a field or a label to the schema needs no hand edit of the
fixtures (the one-schema promise, checked by test_schema.py).
"""
from __future__ import annotations

from warvoices.corpus.schema import load_schema


def full_labels(version: int | None = None, **overrides: str) -> dict[str, str]:
    """Every required choice field of guideline `version` (default: the current guidelines)
    with its first label (ClassLabel id 0), then `overrides`. The first labels satisfy every
    schema rule (about_war yes, stance neutral, attribution none ...); overrides that break one
    are the test's own doing."""
    schema = load_schema()
    version = schema.guideline_version if version is None else version
    labels = {f.name: f.label_names[0] for f in schema.required_fields(version)}
    unknown = set(overrides) - {f.name for f in schema.choice_fields}
    if unknown:
        raise KeyError(f"no choice field(s) {sorted(unknown)} in the schema")
    labels.update(overrides)
    return labels


def fill_label_studio_results(export: list, written_for: int = 1) -> list:
    """Give every submitted annotation of a Label Studio export fixture a choice for each required
    field newer than the guideline version the fixture was written for (first label), in place.

    Cancelled annotations and fields the fixture answers (or leaves out on purpose, being of its
    own version) are untouched."""
    schema = load_schema()
    newer = [f for f in schema.required_fields(schema.guideline_version) if f.since > written_for]
    if not isinstance(export, list):
        return export
    for task in export:
        for ann in (task.get("annotations") or []) if isinstance(task, dict) else []:
            if not isinstance(ann, dict) or ann.get("was_cancelled") or not ann.get("result"):
                continue
            answered = {r.get("from_name") for r in ann["result"] if isinstance(r, dict)}
            for f in newer:
                if f.name not in answered:
                    ann["result"].append({"id": f"r-{f.name}", "from_name": f.name, "to_name": "text",
                                          "type": "choices", "value": {"choices": [f.label_names[0]]}})
    return export
