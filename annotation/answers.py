"""Which answers count: annotation records selected for a batch, validated, and reduced to each
annotator's latest submitted answer per sentence (shared by agreement and aggregation)."""
from __future__ import annotations

import argparse
import io
import itertools
import json
import math
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import yaml

from warvoices.corpus.schema import Field, Schema, load_schema
from warvoices.corpus.errors import InputError
from warvoices.corpus.records import TOKEN, covered_tokens, span_set, word_tokens
from warvoices.corpus.store import DEFAULT_STORE, PACKAGE_DIR, Store, atomic_write_bytes, atomic_write_text


SpanSet = tuple[tuple[int, int], ...]


# ---------------------------------------------------------------------------------------------
# Reading annotation records (shared with aggregate.py)
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """One annotator's submitted answer for one sentence."""

    annotation_id: str
    sentence_id: str
    annotator: str
    created_at: str
    labels: Mapping[str, str | None]  # every choice field; None = not answered
    spans: Mapping[str, SpanSet]  # every span field; sorted, duplicates removed
    guideline_version: int = 1  # the guidelines the answer was made under (schema `since` per field)


@dataclass
class Batch:
    """The answers of a selection of annotation records, ready for agreement or aggregation."""

    name: str
    answers: dict[str, dict[str, Answer]]  # sentence_id -> annotator -> latest submitted answer
    status_counts: dict[str, int]  # records per status in the selection
    superseded: list[str] = field(default_factory=list)  # older submissions replaced by newer ones
    unanswered: list[str] = field(default_factory=list)  # sentences with only skipped/cancelled records
    # answers made under older guidelines than the sentence's newest answers: kept in the store as
    # history, neither compared nor aggregated with answers made under newer guidelines
    outdated: list[str] = field(default_factory=list)

    def guideline_version(self, sentence_id: str) -> int:
        """The guideline version of a sentence's answers (all equal after `collect_answers`)."""
        return max(a.guideline_version for a in self.answers[sentence_id].values())

    @property
    def sentence_ids(self) -> list[str]:
        return sorted(self.answers)

    @property
    def annotators(self) -> list[str]:
        return sorted({a for per in self.answers.values() for a in per})

    @property
    def records(self) -> int:
        return sum(self.status_counts.values())


def article_of(sentence_id: str) -> str:
    """Article id of a sentence id made by `store.sentence_id` ("<article_id>-s0007")."""
    head, sep, tail = sentence_id.rpartition("-s")
    if not sep or not tail.isdigit():
        raise InputError(f"sentence id {sentence_id!r} is not of the form <article_id>-s<index>")
    return head


def select_records(records: Iterable[dict], *, batch: str | None = None,
                   article_ids: Iterable[str] | None = None,
                   sentence_ids: Iterable[str] | None = None) -> list[dict]:
    """The records of one batch: those whose origin.batch is `batch`, whose sentence belongs to one
    of `article_ids`, and whose sentence is one of `sentence_ids` (each filter only when given)."""
    arts = set(article_ids) if article_ids else None
    sents = set(sentence_ids) if sentence_ids else None
    out = []
    for rec in records:
        sid = rec.get("sentence_id")
        if batch is not None and (rec.get("origin") or {}).get("batch") != batch:
            continue
        if sents is not None and sid not in sents:
            continue
        if arts is not None and (not isinstance(sid, str) or article_of(sid) not in arts):
            continue
        out.append(rec)
    return out


def _when(rec: dict) -> datetime:
    raw = rec.get("created_at")
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"annotation {rec.get('annotation_id')}: created_at {raw!r} is not an ISO 8601 "
                         "timestamp; fix the record in annotations.jsonl (e.g. 2024-05-01T12:00:00Z)") from None


def _spans(rec: dict, name: str) -> SpanSet:
    try:
        return span_set(rec.get(name) or [])
    except ValueError as exc:
        raise InputError(f"annotation {rec['annotation_id']}: {name}: {exc} "
                         "(offsets are relative to the sentence)") from None


def collect_answers(records: Iterable[dict], schema: Schema | None = None, name: str = "all") -> Batch:
    """Validate annotation records and keep, per sentence and annotator, the latest submitted one.

    Only status "submitted" carries labels; skipped and cancelled records are counted. A label
    outside the schema is an InputError naming the annotation, so a stale export cannot slip in."""
    schema = schema or load_schema()
    statuses = schema.vocabulary("annotation_status")
    choice = {f.name: f for f in schema.choice_fields}
    span_names = [f.name for f in schema.span_fields]
    counts = {s: 0 for s in statuses}
    latest: dict[tuple[str, str], tuple[datetime, str, Answer]] = {}
    superseded: list[str] = []
    seen_ids: set[str] = set()
    touched: set[str] = set()
    for rec in records:
        missing = [k for k in ("annotation_id", "sentence_id", "annotator", "status") if not rec.get(k)]
        if missing:
            raise InputError(f"annotation record {rec.get('annotation_id', rec)!r} lacks {missing}; "
                             "see the store contract for annotations.jsonl")
        aid = rec["annotation_id"]
        if aid in seen_ids:
            raise InputError(f"annotation {aid} occurs twice in the input; annotation ids must be unique")
        seen_ids.add(aid)
        status = rec["status"]
        if status not in statuses:
            raise InputError(f"annotation {aid}: status {status!r} is not one of {list(statuses)}")
        counts[status] += 1
        touched.add(rec["sentence_id"])
        if status != "submitted":
            continue
        labels = rec.get("labels")
        if not isinstance(labels, dict):
            raise InputError(f"annotation {aid}: a submitted record needs a labels object, got {labels!r}")
        unknown = sorted(set(labels) - set(choice))
        if unknown:
            raise InputError(f"annotation {aid}: labels has fields {unknown} that annotation/schema.yaml "
                             f"does not define (choice fields: {list(choice)})")
        for fname, value in labels.items():
            if value is not None and value not in choice[fname].label_names:
                raise InputError(f"annotation {aid}: {fname} label {value!r} is not in annotation/schema.yaml "
                                 f"(expected one of {choice[fname].label_names}); re-export or fix the record")
        version = schema.record_version(rec)
        if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= schema.guideline_version:
            raise InputError(f"annotation {aid}: guideline_version {version!r} is not a whole number from 1 to "
                             f"{schema.guideline_version}; run `warvoices corpus validate` (V032)")
        answer = Answer(
            annotation_id=aid, sentence_id=rec["sentence_id"], annotator=rec["annotator"],
            created_at=str(rec.get("created_at", "")),
            labels={f: labels.get(f) for f in choice},
            spans={f: _spans(rec, f) for f in span_names}, guideline_version=version)
        key = (rec["sentence_id"], rec["annotator"])
        stamp = (_when(rec), aid, answer)
        old = latest.get(key)
        if old is None:
            latest[key] = stamp
        elif stamp[:2] > old[:2]:
            superseded.append(old[1])
            latest[key] = stamp
        else:
            superseded.append(aid)
    answers: dict[str, dict[str, Answer]] = {}
    for (sid, annotator), (_, _, answer) in sorted(latest.items()):
        answers.setdefault(sid, {})[annotator] = answer
    outdated = []
    for sid, per in answers.items():
        newest = max(a.guideline_version for a in per.values())
        for annotator in [a for a, ans in per.items() if ans.guideline_version < newest]:
            outdated.append(per.pop(annotator).annotation_id)
    unanswered = sorted(touched - set(answers))
    return Batch(name=name, answers=answers, status_counts=counts, superseded=sorted(superseded),
                 unanswered=unanswered, outdated=sorted(outdated))


