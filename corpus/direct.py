"""Import annotation records made outside Label Studio (e.g. the seed article's labels).

Input lines have the store's annotation shape (see corpus/store.py). Everything is checked before
anything is written: a bad line is an error naming file and line.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from warvoices.annotation.schema import load_schema

from .errors import InputError
from .store import Store, read_jsonl

REQUIRED = ("sentence_id", "annotator", "created_at", "labels")


def check_record(rec: dict, where: str, sentence_len: dict[str, int]) -> dict:
    schema = load_schema()
    for key in REQUIRED:
        if key not in rec:
            raise InputError(f"{where}: missing {key!r}")
    sid = rec["sentence_id"]
    if sid not in sentence_len:
        raise InputError(f"{where}: sentence {sid!r} is not in the corpus; run `warvoices corpus segment` first")
    try:
        datetime.fromisoformat(rec["created_at"].replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise InputError(f"{where}: created_at {rec['created_at']!r} is not an ISO 8601 time") from None
    labels = rec["labels"]
    for f in schema.choice_fields:
        if f.name not in labels:
            if f.required:
                raise InputError(f"{where}: required field {f.name!r} has no label")
            continue
        if labels[f.name] not in f.label_names:
            raise InputError(f"{where}: unknown {f.name} label {labels[f.name]!r}; allowed: {f.label_names}")
    extra = set(labels) - {f.name for f in schema.choice_fields}
    if extra:
        raise InputError(f"{where}: unknown field(s) {sorted(extra)} in labels")
    spans = rec.get("source_spans", [])
    for span in spans:
        if not (isinstance(span, list) and len(span) == 2 and 0 <= span[0] < span[1] <= sentence_len[sid]):
            raise InputError(f"{where}: source span {span} is not inside sentence {sid} (length {sentence_len[sid]})")
    if labels.get("attribution") == "none" and spans:
        raise InputError(f"{where}: attribution is none but source spans are given")
    return {
        "annotation_id": rec.get("annotation_id") or f"direct:{rec['annotator']}:{sid}",
        "sentence_id": sid, "annotator": rec["annotator"], "created_at": rec["created_at"],
        "status": rec.get("status", "submitted"), "labels": dict(labels), "source_spans": [list(s) for s in spans],
        "origin": rec.get("origin") or {"tool": "direct", "file": Path(where.split(":")[0]).name},
    }


def import_direct(store: Store, path: Path) -> tuple[int, int, int]:
    """Add the file's annotations; give single-annotator sentences a final label (method single)."""
    schema = load_schema()
    sentence_len = {r["sentence_id"]: r["end"] - r["start"] for r in store.sentences()}
    records = [check_record(rec, f"{path}:{lineno}", sentence_len) for lineno, rec in read_jsonl(path)]
    seen = set()
    for rec in records:
        key = (rec["sentence_id"], rec["annotator"])
        if key in seen:
            raise InputError(f"{path}: {rec['annotator']} labels sentence {rec['sentence_id']} twice")
        seen.add(key)
    added, same = store.add_annotations(records)

    by_sentence: dict[str, list[dict]] = {}
    for rec in store.annotations():
        if rec["status"] == "submitted":
            by_sentence.setdefault(rec["sentence_id"], []).append(rec)
    finals = store.finals()
    new_finals = []
    for rec in records:
        sid = rec["sentence_id"]
        anns = by_sentence.get(sid, [])
        if sid in finals or len({a["annotator"] for a in anns}) != 1:
            continue  # several annotators: agreement/adjudication decide, not this import
        a = anns[0]
        new_finals.append({
            "sentence_id": sid, "labels": a["labels"], "source_spans": a["source_spans"],
            "method": {f.name: "single" for f in schema.fields}, "annotation_ids": [a["annotation_id"]],
            "adjudicator": None, "decided_at": a["created_at"],
        })
    if new_finals:
        store.upsert_finals(new_finals)
    return added, same, len(new_finals)
