"""Import annotation records made outside Label Studio (the seed labels, a language-model
annotator's answer file, a spreadsheet export).

Two line shapes are accepted:

  store shape      {"sentence_id", "annotator", "created_at", "labels": {...},
                    "source_spans": [[start, end], ...]}          (offsets relative to the sentence)
  answer shape     {"sentence_id", "about_war": ..., "stance": ..., "attribution": ...,
                    "source_type": ..., "event_type": ..., "source_mentions": ["exact text",
                    {"text": "...", "occurrence": 1}, ...], "note": "..."}
                                                               (annotator/time from the command line)

Each record keeps the guideline version it was made under (`guideline_version`): the line's own
if it gives one (a store-shape record of version-1 history), else the current guidelines'
(`guidelines_version` in annotation/schema.yaml). The required fields are those of that version.

Mentions are turned into offsets against the sentence text, which is read at import time (so
the archive must be given for archive sentences) and never stored. Everything is checked before
anything is written; a bad line is an error naming file and line. Final labels are not made
here: `warvoices annotate adjudicate` derives them for every source of annotations alike.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from warvoices.corpus.schema import load_schema

from .errors import InputError
from .records import span_problem
from .store import Store, read_jsonl
from .texts import TextLoader
from .textview import sentence_views


def _resolve_mentions(mentions: list, text: str, where: str) -> list[list[int]]:
    spans = []
    for m in mentions:
        mtext, occ = (m, 0) if isinstance(m, str) else (m.get("text"), int(m.get("occurrence", 0)))
        if not mtext:
            raise InputError(f"{where}: empty source mention")
        pos = -1
        for _ in range(occ + 1):
            pos = text.find(mtext, pos + 1)
            if pos < 0:
                raise InputError(f"{where}: source mention {mtext!r} (occurrence {occ}) is not in the sentence text")
        if isinstance(m, str) and not _whole_word(text, pos, pos + len(mtext)):
            # "he" is first found inside "the": the annotator almost surely meant a whole word
            words = [i for i in _all(text, mtext) if _whole_word(text, i, i + len(mtext))]
            if words:
                k = _all(text, mtext).index(words[0])
                raise InputError(f"{where}: source mention {mtext!r} is first found inside a word; the whole word is "
                                 f"occurrence {k}: write {json.dumps({'text': mtext, 'occurrence': k})}")
        spans.append([pos, pos + len(mtext)])
    return sorted(spans)


def _all(text: str, sub: str) -> list[int]:
    out, i = [], text.find(sub)
    while i >= 0:
        out.append(i)
        i = text.find(sub, i + 1)
    return out


def _whole_word(text: str, a: int, b: int) -> bool:
    return (a == 0 or not text[a - 1].isalnum() or not text[a].isalnum()) and \
        (b == len(text) or not text[b].isalnum() or not text[b - 1].isalnum())


def check_record(rec: dict, where: str, sentence_len: dict[str, int], *, annotator: str | None = None,
                 created_at: str | None = None, origin: dict | None = None,
                 texts: dict[str, str] | None = None, schema=None) -> dict:
    schema = schema or load_schema()
    if "sentence_id" not in rec:
        raise InputError(f"{where}: missing 'sentence_id'")
    sid = rec["sentence_id"]
    if sid not in sentence_len:
        raise InputError(f"{where}: sentence {sid!r} is not in the corpus; run `warvoices corpus segment` first")
    annotator = rec.get("annotator") or annotator
    created_at = rec.get("created_at") or created_at
    if not annotator or not created_at:
        raise InputError(f"{where}: no annotator/created_at in the line; pass --annotator (and --created-at)")
    try:
        datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise InputError(f"{where}: created_at {created_at!r} is not an ISO 8601 time") from None
    # the guidelines the labels were made under: the line's own, else the current ones
    version = schema.stated_version(rec)
    version = schema.guideline_version if version is None else version
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= schema.guideline_version:
        raise InputError(f"{where}: guideline_version {version!r} is not a whole number from 1 to "
                         f"{schema.guideline_version}")
    labels = rec.get("labels")
    if labels is None:  # answer shape: labels at the top level
        labels = {f.name: rec[f.name] for f in schema.choice_fields if f.name in rec}
    required = {f.name for f in schema.required_fields(version)}
    for f in schema.choice_fields:
        if f.name not in labels:
            if f.name in required:
                raise InputError(f"{where}: required field {f.name!r} has no label (guideline version {version})")
            continue
        if labels[f.name] is None and f.name not in required:
            continue  # an optional field left unanswered
        if labels[f.name] not in f.label_names:
            raise InputError(f"{where}: unknown {f.name} label {labels[f.name]!r}; allowed: {f.label_names}")
    extra = set(labels) - {f.name for f in schema.choice_fields}
    if extra:
        raise InputError(f"{where}: unknown field(s) {sorted(extra)} in labels")
    newer = sorted(n for n in labels if schema.field(n).since > version)
    if newer:
        raise InputError(f"{where}: {newer} did not exist in guideline version {version}; "
                         "a record of that version cannot have them")
    if "source_mentions" in rec:
        if texts is None or sid not in texts:
            raise InputError(f"{where}: source_mentions need the sentence text; pass --archive DIR")
        spans = _resolve_mentions(rec["source_mentions"], texts[sid], where)
    else:
        spans = [list(s) for s in rec.get("source_spans", [])]
    for span in spans:
        problem = span_problem(span, sentence_len[sid])
        if problem:
            raise InputError(f"{where}: source span {span} is not inside sentence {sid} (length {sentence_len[sid]}): "
                             f"{problem}")
    span_field = schema.span_fields[0].name if schema.span_fields else "source_spans"
    problems = schema.dependency_problems(labels, {span_field: spans})
    if problems:
        raise InputError(f"{where}: {'; '.join(problems)}")
    out_origin = dict(rec.get("origin") or origin or {"tool": "direct"})
    out_origin.setdefault("file", Path(where.rsplit(":", 1)[0]).name)
    if rec.get("note"):
        out_origin["annotator_note"] = rec["note"]
    return {
        "annotation_id": rec.get("annotation_id") or f"direct:{annotator}:{sid}",
        "sentence_id": sid, "annotator": annotator, "created_at": created_at,
        "status": rec.get("status", "submitted"), "labels": dict(labels), "source_spans": spans,
        "origin": out_origin, "guideline_version": version,
    }


def import_direct(store: Store, path: Path, *, annotator: str | None = None, created_at: str | None = None,
                  note: str | None = None, loader: TextLoader | None = None) -> tuple[int, int]:
    """Validate every line, then add the annotations (idempotent by annotation id)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    lines = list(read_jsonl(path))
    sentences = store.sentences()
    sentence_len = {r["sentence_id"]: r["end"] - r["start"] for r in sentences}
    texts = None
    if any("source_mentions" in rec for _, rec in lines):
        article_of = {r["sentence_id"]: r["article_id"] for r in sentences}
        wanted = sorted({article_of[rec["sentence_id"]] for _, rec in lines if rec.get("sentence_id") in article_of})
        texts = {sid: v.text for sid, v in sentence_views(store, loader or TextLoader(None), wanted).items()}
    origin = {"tool": "direct", **({"note": note} if note else {})}
    records = [check_record(rec, f"{path}:{lineno}", sentence_len, annotator=annotator, created_at=created_at,
                            origin=origin, texts=texts) for lineno, rec in lines]
    seen = set()
    for rec in records:
        key = (rec["sentence_id"], rec["annotator"])
        if key in seen:
            raise InputError(f"{path}: {rec['annotator']} labels sentence {rec['sentence_id']} twice")
        seen.add(key)
    return store.add_annotations(records)
