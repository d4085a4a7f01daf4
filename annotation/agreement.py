"""Inter-annotator agreement of one batch: alpha, confusion tables, span F1 → Markdown, JSON, PNG.

`warvoices annotate agreement` reads the annotation records of the store, keeps each annotator's
latest *submitted* answer per sentence (skipped and cancelled records are only counted), and
reports per field:

* choice fields: Krippendorff's alpha (nominal) over all annotators, computed with the
  `krippendorff` package; the number of items (sentences with two or more answers: only those
  are "pairable" and enter alpha), items with a single answer (counted, excluded), annotators;
  the coincidence matrix alpha is built from (drawn as a heat map for stance) and one confusion
  table per pair of annotators.
* span fields (source_spans): exact-match F1 and token-overlap F1 between each pair of
  annotators, micro-averaged over the sentences both answered, plus the pool over all pairs.

When alpha is undefined it is reported as None with the reason, never as a made-up number:

* no item has two answers (e.g. one annotator): there is nothing to compare;
* every pairable answer is the same label: observed and expected disagreement are both 0 and
  alpha = 1 - D_o/D_e = 1 - 0/0. Some implementations substitute 1.0; we follow the formula
  (as the `krippendorff` package does, returning NaN): data without variation carry no evidence
  that the annotators can tell the labels apart, only that they never had to. The raw observed
  agreement (1.0 in that case) is reported beside it.

A batch passes when every threshold in the agreement config (annotation/agreement.yaml) holds;
`run` exits 1 with a message naming each failed check.

The record-reading helpers at the top (`select_records`, `collect_answers`) are shared with
annotation/aggregate.py.
"""
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

from warvoices.annotation.schema import Field, Schema, load_schema
from warvoices.corpus.errors import InputError
from warvoices.corpus.store import DEFAULT_STORE, PACKAGE_DIR, Store, atomic_write_bytes, atomic_write_text

REPO_ROOT = PACKAGE_DIR.parent
DEFAULT_CONFIG = Path(__file__).with_name("agreement.yaml")
DEFAULT_OUT = REPO_ROOT / "annotation" / "reports" / "agreement"

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
    raw = rec.get(name) or []
    where = f"annotation {rec['annotation_id']}: {name}"
    if not isinstance(raw, list):
        raise InputError(f"{where} must be a list of [start, end] pairs, got {raw!r}")
    out = set()
    for span in raw:
        if (not isinstance(span, (list, tuple)) or len(span) != 2
                or not all(isinstance(x, int) and not isinstance(x, bool) for x in span)
                or not 0 <= span[0] < span[1]):
            raise InputError(f"{where}: {span!r} is not a [start, end] pair with 0 <= start < end "
                             "(offsets are relative to the sentence)")
        out.add((span[0], span[1]))
    return tuple(sorted(out))


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


# ---------------------------------------------------------------------------------------------
# Krippendorff's alpha and confusion tables (choice fields)
# ---------------------------------------------------------------------------------------------

@dataclass
class PairConfusion:
    """How two annotators' labels meet on the sentences both answered: rows a, columns b."""

    a: str
    b: str
    items: int
    agreement: float | None  # share of those sentences with the same label
    matrix: list[list[int]]


@dataclass
class AlphaResult:
    field: str
    labels: list[str]
    alpha: float | None
    reason: str | None  # why alpha is None
    items: int  # sentences with >= 2 answers (enter alpha)
    items_single: int  # sentences with exactly one answer (excluded from alpha)
    items_unanswered: int  # sentences of the batch where nobody gave this field
    annotators: int
    values: int  # pairable values n (sum of the coincidence matrix)
    observed_agreement: float | None  # sum of the diagonal / n
    coincidence: list[list[float]]
    pairs: list[PairConfusion]


def field_values(batch: Batch, fname: str) -> dict[str, dict[str, str]]:
    """sentence_id -> annotator -> label, only the answers that give this field."""
    out: dict[str, dict[str, str]] = {}
    for sid, per in batch.answers.items():
        vals = {a: ans.labels[fname] for a, ans in per.items() if ans.labels.get(fname) is not None}
        if vals:
            out[sid] = vals
    return out


def coincidence_matrix(units: Iterable[Iterable[int]], n_labels: int) -> np.ndarray:
    """Krippendorff's coincidence matrix: o[c, k] = sum over units of (c-k pairs of values from
    different annotators) / (m_u - 1); units with fewer than two values contribute nothing."""
    o = np.zeros((n_labels, n_labels))
    for unit in units:
        vals = list(unit)
        m = len(vals)
        if m < 2:
            continue
        counts = np.bincount(vals, minlength=n_labels).astype(float)
        pairs = np.outer(counts, counts) - np.diag(counts)  # ordered pairs of distinct annotators
        o += pairs / (m - 1)
    return o


def field_alpha(batch: Batch, f: Field) -> AlphaResult:
    import krippendorff  # imported here: only agreement needs it

    labels = f.label_names
    index = {lab: i for i, lab in enumerate(labels)}
    values = field_values(batch, f.name)
    annotators = sorted({a for per in values.values() for a in per})
    pairable = {sid: per for sid, per in values.items() if len(per) >= 2}
    o = coincidence_matrix(([index[v] for v in per.values()] for per in pairable.values()), len(labels))
    n = float(o.sum())
    observed = float(np.trace(o) / n) if n else None
    alpha: float | None = None
    reason: str | None = None
    if not pairable:
        reason = ("no sentence has answers from two annotators, so there is nothing to compare"
                  + (" (only one annotator)" if len(annotators) == 1 else ""))
    elif np.count_nonzero(o.sum(axis=0)) < 2:
        only = labels[int(np.argmax(o.sum(axis=0)))]
        reason = (f"no variation: every pairable answer is {only!r}, so expected disagreement is 0 "
                  "and alpha = 1 - 0/0 is undefined")
    else:
        row_of = {a: i for i, a in enumerate(annotators)}
        table = np.full((len(annotators), len(pairable)), np.nan)
        for j, per in enumerate(pairable[s] for s in sorted(pairable)):
            for a, v in per.items():
                table[row_of[a], j] = index[v]
        alpha = float(krippendorff.alpha(reliability_data=table, value_domain=list(range(len(labels))),
                                         level_of_measurement="nominal"))
    pairs = []
    for a, b in itertools.combinations(annotators, 2):
        m = np.zeros((len(labels), len(labels)), dtype=int)
        for per in values.values():
            if a in per and b in per:
                m[index[per[a]], index[per[b]]] += 1
        items = int(m.sum())
        pairs.append(PairConfusion(a, b, items, float(np.trace(m) / items) if items else None, m.tolist()))
    return AlphaResult(
        field=f.name, labels=labels, alpha=alpha, reason=reason, items=len(pairable),
        items_single=sum(1 for per in values.values() if len(per) == 1),
        items_unanswered=len(batch.answers) - len(values), annotators=len(annotators), values=int(round(n)),
        observed_agreement=observed, coincidence=o.tolist(), pairs=pairs)


# ---------------------------------------------------------------------------------------------
# Span agreement (span fields)
# ---------------------------------------------------------------------------------------------

# Word tokens: punctuation is not a token, so spans that differ only by a trailing full stop or
# quotation mark overlap completely.
TOKEN_RE = re.compile(r"\w+")


def word_tokens(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in TOKEN_RE.finditer(text)]


def covered_tokens(spans: SpanSet, tokens: list[tuple[int, int]]) -> set[int]:
    """Indices of the tokens that overlap any span by at least one character."""
    return {i for i, (ts, te) in enumerate(tokens) if any(ts < e and s < te for s, e in spans)}


@dataclass
class F1Count:
    """F1 between two annotators from counts: tp matched units, a and b units each marked.
    Symmetric, so neither annotator plays gold; None when neither marked anything."""

    tp: int = 0
    a: int = 0
    b: int = 0

    @property
    def f1(self) -> float | None:
        return 2 * self.tp / (self.a + self.b) if self.a + self.b else None

    def add(self, other: "F1Count") -> None:
        self.tp += other.tp
        self.a += other.a
        self.b += other.b

    def as_dict(self) -> dict:
        return {"tp": self.tp, "a": self.a, "b": self.b, "f1": self.f1}


@dataclass
class PairSpans:
    a: str
    b: str
    sentences: int
    exact: F1Count
    token: F1Count | None


@dataclass
class SpanResult:
    field: str
    items: int  # sentences with >= 2 answers
    annotators: int
    exact: F1Count  # pooled over all pairs
    token: F1Count | None
    token_reason: str | None  # why token F1 is missing
    pairs: list[PairSpans]

    @property
    def reason(self) -> str | None:
        if self.exact.f1 is None:
            return ("no sentence has two annotators" if not self.items
                    else "no annotator marked a span on the sentences two annotators answered")
        return None


def span_agreement(batch: Batch, f: Field, texts: Mapping[str, str] | None = None) -> SpanResult:
    """Exact-match and token-overlap F1 of `f`'s spans between every pair of annotators.

    Exact: a span counts when the other annotator marked the same [start, end]. Token overlap:
    the word tokens each annotator's spans cover, compared as sets. Both micro-average over the
    sentences the pair both answered (sentences where both marked nothing add nothing)."""
    multi = {sid: per for sid, per in batch.answers.items() if len(per) >= 2}
    tokens: dict[str, list[tuple[int, int]]] | None = None
    token_reason = None
    if texts is None:
        token_reason = "no sentence texts were given, so token overlap cannot be computed"
    else:
        missing = sorted(sid for sid in batch.answers if sid not in texts)
        if missing:
            raise InputError(f"no text for {len(missing)} annotated sentence(s), e.g. {missing[:3]}; "
                             "pass the texts of every sentence in the batch (or none, to skip token F1)")
        tokens = {}
        for sid, per in batch.answers.items():
            length = len(texts[sid])
            for ans in per.values():
                for s, e in ans.spans[f.name]:
                    if e > length:
                        raise InputError(f"annotation {ans.annotation_id}: {f.name} span [{s}, {e}] ends beyond "
                                         f"sentence {sid} ({length} characters); was it made on another text?")
            if sid in multi:
                tokens[sid] = word_tokens(texts[sid])
    annotators = sorted({a for per in multi.values() for a in per})
    pooled_exact, pooled_token = F1Count(), (F1Count() if tokens is not None else None)
    pairs = []
    for a, b in itertools.combinations(annotators, 2):
        exact, tok = F1Count(), (F1Count() if tokens is not None else None)
        shared = 0
        for sid, per in multi.items():
            if a not in per or b not in per:
                continue
            shared += 1
            sa, sb = per[a].spans[f.name], per[b].spans[f.name]
            exact.add(F1Count(len(set(sa) & set(sb)), len(sa), len(sb)))
            if tok is not None:
                ta, tb = covered_tokens(sa, tokens[sid]), covered_tokens(sb, tokens[sid])
                tok.add(F1Count(len(ta & tb), len(ta), len(tb)))
        pairs.append(PairSpans(a, b, shared, exact, tok))
        pooled_exact.add(exact)
        if tok is not None:
            pooled_token.add(tok)
    return SpanResult(field=f.name, items=len(multi), annotators=len(annotators), exact=pooled_exact,
                      token=pooled_token, token_reason=token_reason, pairs=pairs)


# ---------------------------------------------------------------------------------------------
# The report and the threshold check
# ---------------------------------------------------------------------------------------------

@dataclass
class AgreementReport:
    batch: Batch
    schema: Schema
    alphas: dict[str, AlphaResult]
    spans: dict[str, SpanResult]


def compute_agreement(batch: Batch, texts: Mapping[str, str] | None = None,
                      schema: Schema | None = None) -> AgreementReport:
    """All agreement figures of a batch; `texts` maps sentence_id to sentence text (token F1)."""
    schema = schema or load_schema()
    if not batch.answers:
        raise InputError(f"batch {batch.name!r} has no submitted annotation ({batch.records} record(s) "
                         f"selected: {batch.status_counts}); pull annotations first or widen the selection")
    # only the fields the batch's guidelines asked for (no about_war in a version-1 batch)
    newest = max(a.guideline_version for per in batch.answers.values() for a in per.values())
    asked = [f for f in schema.fields_for_version(newest)]
    return AgreementReport(
        batch=batch, schema=schema,
        alphas={f.name: field_alpha(batch, f) for f in asked if f.kind == "choice"},
        spans={f.name: span_agreement(batch, f, texts) for f in asked if f.kind == "spans"})


# metric names allowed in the config, per field kind
CHOICE_METRICS = {"min_alpha": "alpha"}
SPAN_METRICS = {"min_exact_f1": "exact_f1", "min_token_f1": "token_f1"}
UNDEFINED_POLICIES = ("fail", "pass")


@dataclass(frozen=True)
class Thresholds:
    minimums: dict[str, dict[str, float]]  # field -> metric key (min_alpha, ...) -> minimum
    undefined: str = "fail"
    path: str = ""


def load_thresholds(path: str | Path = DEFAULT_CONFIG, schema: Schema | None = None) -> Thresholds:
    """Read the agreement config; every field and metric is checked against the schema."""
    schema = schema or load_schema()
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InputError(f"agreement config {path} does not exist; pass --config FILE "
                         f"(format: see {DEFAULT_CONFIG})") from None
    except yaml.YAMLError as exc:
        raise InputError(f"agreement config {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("fields", {}), dict):
        raise InputError(f"{path}: expected a mapping with a 'fields' mapping (see {DEFAULT_CONFIG})")
    extra = sorted(set(data) - {"fields", "undefined"})
    if extra:
        raise InputError(f"{path}: unknown keys {extra}; allowed: fields, undefined")
    undefined = data.get("undefined", "fail")
    if undefined not in UNDEFINED_POLICIES:
        raise InputError(f"{path}: undefined must be one of {list(UNDEFINED_POLICIES)}, got {undefined!r}")
    minimums: dict[str, dict[str, float]] = {}
    for fname, spec in (data.get("fields") or {}).items():
        try:
            f = schema.field(fname)
        except KeyError:
            raise InputError(f"{path}: field {fname!r} is not in annotation/schema.yaml "
                             f"(fields: {schema.field_names})") from None
        allowed = CHOICE_METRICS if f.kind == "choice" else SPAN_METRICS
        if not isinstance(spec, dict) or not spec:
            raise InputError(f"{path}: field {fname!r} needs a mapping such as {{{next(iter(allowed))}: 0.667}}")
        for key, value in spec.items():
            if key not in allowed:
                raise InputError(f"{path}: {fname}.{key} is not a threshold of a {f.kind} field; "
                                 f"use one of {sorted(allowed)}")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1 <= value <= 1:
                raise InputError(f"{path}: {fname}.{key} must be a number between -1 and 1, got {value!r}")
        minimums[fname] = {k: float(v) for k, v in spec.items()}
    return Thresholds(minimums=minimums, undefined=undefined, path=str(path))


@dataclass
class Check:
    field: str
    metric: str
    value: float | None
    minimum: float
    passed: bool
    note: str = ""

    def describe(self) -> str:
        if self.value is None:
            return f"{self.field} {self.metric} is undefined (minimum {self.minimum:.3f}): {self.note}"
        return f"{self.field} {self.metric} {self.value:.3f} {'>=' if self.passed else '<'} {self.minimum:.3f}"


@dataclass
class Verdict:
    passed: bool
    checks: list[Check]

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]


def _metric(report: AgreementReport, fname: str, key: str) -> tuple[float | None, str]:
    if fname in report.alphas:
        res = report.alphas[fname]
        return res.alpha, res.reason or ""
    res = report.spans[fname]
    if key == "min_exact_f1":
        return res.exact.f1, res.reason or ""
    if res.token is None:
        return None, res.token_reason or ""
    return res.token.f1, res.reason or ""


def check_thresholds(report: AgreementReport, thresholds: Thresholds) -> Verdict:
    """Every configured minimum against the report; an undefined figure follows `undefined`."""
    checks = []
    # a field newer than every answer's guidelines (about_war in a version-1 batch) was not asked
    newest = max((a.guideline_version for per in report.batch.answers.values() for a in per.values()), default=1)
    for fname, spec in thresholds.minimums.items():
        for key, minimum in spec.items():
            metric = {**CHOICE_METRICS, **SPAN_METRICS}[key]
            if report.schema.field(fname).since > newest:
                checks.append(Check(fname, metric, None, minimum, True,
                                    f"not asked: the batch's answers follow guideline version {newest}"))
                continue
            value, note = _metric(report, fname, key)
            if value is None:
                ok = thresholds.undefined == "pass"
                note = f"{note}; undefined counts as {'pass' if ok else 'fail'} (config: undefined)"
            else:
                ok = value >= minimum
                note = ""
            checks.append(Check(fname, metric, value, minimum, ok, note))
    return Verdict(passed=all(c.passed for c in checks), checks=checks)


# ---------------------------------------------------------------------------------------------
# Rendering: JSON, Markdown, heat map
# ---------------------------------------------------------------------------------------------

def report_dict(report: AgreementReport, verdict: Verdict | None = None) -> dict:
    batch = report.batch
    fields: dict[str, dict] = {}
    for f in report.schema.fields:
        if f.name in report.alphas:
            r = report.alphas[f.name]
            fields[f.name] = {
                "kind": "choice", "alpha": r.alpha, "alpha_reason": r.reason, "items": r.items,
                "items_single": r.items_single, "items_unanswered": r.items_unanswered,
                "annotators": r.annotators, "values": r.values, "observed_agreement": r.observed_agreement,
                "labels": r.labels, "coincidence": r.coincidence,
                "pairs": [{"annotators": [p.a, p.b], "items": p.items, "agreement": p.agreement,
                           "confusion": p.matrix} for p in r.pairs]}
        elif f.name in report.spans:
            s = report.spans[f.name]
            fields[f.name] = {
                "kind": "spans", "items": s.items, "annotators": s.annotators,
                "exact_f1": s.exact.f1, "token_f1": s.token.f1 if s.token else None,
                "reason": s.reason, "token_reason": s.token_reason,
                "exact": s.exact.as_dict(), "token": s.token.as_dict() if s.token else None,
                "pairs": [{"annotators": [p.a, p.b], "sentences": p.sentences, "exact": p.exact.as_dict(),
                           "token": p.token.as_dict() if p.token else None} for p in s.pairs]}
    out = {
        "batch": batch.name,
        "schema_version": report.schema.version,
        "counts": {"records": batch.records, **batch.status_counts, "superseded": len(batch.superseded),
                   "sentences": len(batch.answers), "sentences_without_submission": len(batch.unanswered),
                   "annotators": batch.annotators},
        "fields": fields,
    }
    if verdict is not None:
        out["verdict"] = {"passed": verdict.passed,
                          "checks": [{"field": c.field, "metric": c.metric, "value": c.value,
                                      "minimum": c.minimum, "passed": c.passed, "note": c.note}
                                     for c in verdict.checks]}
    return out


def _fmt(x: float | None, digits: int = 3) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(report: AgreementReport, verdict: Verdict | None = None,
                    images: Mapping[str, str] | None = None) -> str:
    """The human-readable report; `images` maps field name to a picture path relative to it."""
    batch = report.batch
    c = batch.status_counts
    lines = [f"# Annotation agreement: batch `{batch.name}`", ""]
    if verdict is not None:
        if not verdict.checks:
            lines += ["**Verdict: no thresholds configured.**", ""]
        else:
            lines += [f"**Verdict: {'PASS' if verdict.passed else 'FAIL'}**", ""]
            lines += [f"- {'✔' if ch.passed else '✘'} {_md_escape(ch.describe())}" for ch in verdict.checks]
            lines.append("")
    lines += [
        f"Records: {batch.records} ({', '.join(f'{k} {v}' for k, v in c.items())}); "
        f"superseded submissions: {len(batch.superseded)}; answers under older guidelines than the "
        f"sentence's newest (history, not compared): {len(batch.outdated)}. Only each annotator's latest "
        "submitted answer counts; skipped and cancelled records carry no labels.",
        "",
        f"Sentences with a submitted answer: {len(batch.answers)}; annotators: "
        f"{', '.join(batch.annotators) or '—'}.",
        "",
        "## Choice fields: Krippendorff's alpha (nominal)",
        "",
        "Items are sentences with answers from two or more annotators; sentences with a single answer "
        "cannot be compared and are excluded from alpha (counted as *single*).",
        "",
        "| field | alpha | observed agreement | items | single | annotators | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in report.alphas.values():
        lines.append(f"| {r.field} | {_fmt(r.alpha)} | {_fmt(r.observed_agreement)} | {r.items} | "
                     f"{r.items_single} | {r.annotators} | {_md_escape(r.reason or '')} |")
    if report.spans:
        lines += ["", "## Span fields: F1 between annotators", "",
                  "Exact: same [start, end]. Token overlap: the word tokens the spans cover. Micro-averaged "
                  "over the sentences both annotators answered; the first row pools all pairs.", "",
                  "| field | pair | sentences | exact F1 | token F1 |", "|---|---|---:|---:|---:|"]
        for s in report.spans.values():
            lines.append(f"| {s.field} | all pairs | {s.items} | {_fmt(s.exact.f1)} | "
                         f"{_fmt(s.token.f1 if s.token else None)} |")
            for p in s.pairs:
                lines.append(f"| {s.field} | {p.a} / {p.b} | {p.sentences} | {_fmt(p.exact.f1)} | "
                             f"{_fmt(p.token.f1 if p.token else None)} |")
            notes = [n for n in (s.reason, s.token_reason) if n]
            if notes:
                lines += ["", f"Note ({s.field}): " + "; ".join(notes) + "."]
    lines += ["", "## Confusion tables per pair of annotators", "",
              "Rows: the first annotator's label; columns: the second's; counts of sentences both answered."]
    for r in report.alphas.values():
        lines += ["", f"### {r.field}", ""]
        if images and r.field in images:
            lines += [f"![{r.field} coincidence matrix]({images[r.field]})", ""]
        if not r.pairs:
            lines.append("No pair of annotators answered a common sentence.")
        # only the labels some pair used, so an 11-label field stays readable (the JSON has all)
        used = [i for i in range(len(r.labels))
                if any(p.matrix[i][j] or p.matrix[j][i] for p in r.pairs for j in range(len(r.labels)))]
        if r.pairs and len(used) < len(r.labels):
            lines += [f"Labels no pair used are left out: "
                      f"{', '.join(r.labels[i] for i in range(len(r.labels)) if i not in used)}.", ""]
        for p in r.pairs:
            lines += [f"**{p.a}** (rows) vs **{p.b}** (columns): sentences {p.items}, agreement "
                      f"{_fmt(p.agreement)}", ""]
            lines.append("| | " + " | ".join(r.labels[i] for i in used) + " |")
            lines.append("|---|" + "---:|" * len(used))
            for i in used:
                lines.append(f"| **{r.labels[i]}** | " + " | ".join(str(p.matrix[i][j]) for j in used) + " |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_heatmap(result: AlphaResult, title: str | None = None) -> bytes:
    """PNG of a field's coincidence matrix (each pairable answer paired with the others' answers)."""
    # The object API with an explicit Agg canvas: no pyplot state, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    o = np.array(result.coincidence)
    k = len(result.labels)
    size = max(4.0, 0.9 * k + 2.5)
    fig = Figure(figsize=(size, size * 0.85), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    peak = float(o.max()) if o.size and o.max() > 0 else 1.0
    im = ax.imshow(o, cmap="Blues", vmin=0, vmax=peak)
    ax.set_xticks(range(k), result.labels, rotation=45, ha="right")
    ax.set_yticks(range(k), result.labels)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{o[i, j]:.3g}", ha="center", va="center",
                    color="white" if o[i, j] > peak / 2 else "black", fontsize=9)
    ax.set_xlabel("label of another annotator")
    ax.set_ylabel("label of one annotator")
    alpha = "undefined" if result.alpha is None else f"{result.alpha:.3f}"
    ax.set_title(title or f"{result.field}: coincidence matrix (alpha {alpha}, {result.items} items)")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    buf = io.BytesIO()
    # no Software/date metadata, so the same figures give the same bytes
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def write_report(report: AgreementReport, verdict: Verdict | None, out_dir: str | Path,
                 heatmap_fields: Iterable[str] = ("stance",)) -> dict[str, Path]:
    """Write <out>/<batch>.json, <batch>.md and <batch>.<field>_confusion.png, each atomically."""
    name = report.batch.name
    if not SAFE_NAME.match(name):
        raise InputError(f"batch name {name!r} cannot be a file name; use letters, digits, '.', '_' and '-'")
    out_dir = Path(out_dir)
    paths: dict[str, Path] = {}
    images: dict[str, str] = {}
    for fname in heatmap_fields:
        if fname not in report.alphas:
            raise InputError(f"no choice field {fname!r} to draw; choice fields: {list(report.alphas)}")
        png = out_dir / f"{name}.{fname}_confusion.png"
        atomic_write_bytes(png, render_heatmap(report.alphas[fname]))
        paths[f"{fname}_confusion"] = png
        images[fname] = png.name
    paths["json"] = out_dir / f"{name}.json"
    atomic_write_text(paths["json"], json.dumps(report_dict(report, verdict), indent=2, ensure_ascii=False) + "\n")
    paths["markdown"] = out_dir / f"{name}.md"
    atomic_write_text(paths["markdown"], render_markdown(report, verdict, images))
    return paths


# ---------------------------------------------------------------------------------------------
# Command line hooks: annotation/commands.py registers add_arguments/run as
# `warvoices annotate agreement`
# ---------------------------------------------------------------------------------------------

HELP = "inter-annotator agreement of a batch: alpha, confusion tables, span F1 → Markdown, JSON, PNG"
DESCRIPTION = """\
Compute the agreement of a batch of annotations and check it against the thresholds of the
agreement config. Per choice field: Krippendorff's alpha (nominal) over all annotators, the number
of items (sentences with two or more answers) and annotators, a confusion table per pair of
annotators. Per span field: exact and token-overlap F1 between annotators (token F1 needs the
sentence texts, read from the corpus; --no-texts skips it). Only each annotator's latest submitted
answer counts; skipped and cancelled records are counted.

Writes OUT/NAME.md, OUT/NAME.json and OUT/NAME.stance_confusion.png. Exit status: 0 when every
threshold holds, 1 when one fails (the failed checks are printed), 2 on bad input."""


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    """Store and batch selection, shared by `annotate agreement` and `annotate adjudicate`."""
    parser.add_argument("--store", default=str(DEFAULT_STORE), metavar="DIR",
                        help="corpus store directory holding annotations.jsonl (default: %(default)s)")
    parser.add_argument("--batch", metavar="NAME",
                        help="only records pushed as this batch (origin.batch); also the report name")
    from .cli_args import add_articles_argument

    add_articles_argument(parser, help="only sentences of these articles (ids separated by spaces or commas)")
    parser.add_argument("--sentences", nargs="+", metavar="ID", help="only these sentence ids")
    parser.add_argument("--name", metavar="NAME",
                        help="name of the outputs (default: the --batch name, else 'all' or 'selection')")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_selection_arguments(parser)
    parser.add_argument("--out", default=str(DEFAULT_OUT), metavar="DIR",
                        help="report directory (default: %(default)s)")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), metavar="FILE",
                        help="agreement thresholds, per field (default: %(default)s)")
    parser.add_argument("--archive", metavar="DIR",
                        help="external text archive for the sentence texts (default: $WARVOICES_ARCHIVE, else "
                             "../shared/archive when present)")
    parser.add_argument("--no-texts", action="store_true",
                        help="do not read sentence texts; token-overlap F1 is then reported as undefined")


def output_name(args: argparse.Namespace) -> str:
    if args.name:
        return args.name
    if args.batch:
        return args.batch
    return "selection" if (args.articles or args.sentences) else "all"


def load_batch(args: argparse.Namespace, schema: Schema | None = None) -> tuple[Store, Batch]:
    """The store and the selected batch of the command line's selection arguments."""
    store = Store(args.store)
    records = store.annotations()
    selected = select_records(records, batch=args.batch, article_ids=args.articles, sentence_ids=args.sentences)
    if not selected:
        raise InputError(f"no annotation record in {store.path('annotations.jsonl')} matches the selection "
                         f"(batch={args.batch}, articles={args.articles}, sentences={args.sentences}); "
                         "pull annotations first (`warvoices annotate pull`) or change the selection")
    return store, collect_answers(selected, schema, name=output_name(args))


def read_texts(store: Store, batch: Batch, archive: str | None) -> dict[str, str]:
    """Sentence texts of the batch, read and checksum-verified through the corpus text loader."""
    from warvoices.corpus.texts import TextLoader, archive_source, resolve_archive
    from warvoices.corpus.textview import sentence_texts

    articles = sorted({article_of(sid) for sid in batch.answers})
    path = resolve_archive(archive)
    print(f"archive: {path or '-'} ({archive_source(archive)})")
    return sentence_texts(store, TextLoader(path), articles)


def run(args: argparse.Namespace) -> int:
    schema = load_schema()
    thresholds = load_thresholds(args.config, schema)
    store, batch = load_batch(args, schema)
    texts = None if args.no_texts else read_texts(store, batch, args.archive)
    report = compute_agreement(batch, texts, schema)
    verdict = check_thresholds(report, thresholds)
    paths = write_report(report, verdict, args.out)
    for r in report.alphas.values():
        print(f"{r.field:<12} alpha {_fmt(r.alpha)}  items {r.items}  single {r.items_single}  "
              f"annotators {r.annotators}" + (f"  ({r.reason})" if r.reason else ""))
    for s in report.spans.values():
        print(f"{s.field:<12} exact F1 {_fmt(s.exact.f1)}  token F1 {_fmt(s.token.f1 if s.token else None)}  "
              f"items {s.items}")
    c = batch.status_counts
    print(f"records: {batch.records} ({', '.join(f'{k} {v}' for k, v in c.items())}), "
          f"superseded {len(batch.superseded)}")
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    if not verdict.passed:
        print(f"warvoices: batch {batch.name!r} FAILS the agreement thresholds of {thresholds.path}:",
              file=sys.stderr)
        for ch in verdict.failures:
            print(f"  - {ch.describe()}", file=sys.stderr)
        if any(ch.value is not None for ch in verdict.failures):
            print("  Discuss the disagreements with the annotators (see the confusion tables in "
                  f"{paths['markdown']}) and refine the guidelines before aggregating this batch.", file=sys.stderr)
        if any(ch.value is None for ch in verdict.failures):
            print("  An undefined figure cannot show agreement: have a second annotator label the batch "
                  "(or pass the sentence texts for token F1); to accept it anyway set `undefined: pass` "
                  "in the config.", file=sys.stderr)
        return 1
    print(f"batch {batch.name!r} passes the agreement thresholds" if verdict.checks
          else "no agreement thresholds configured")
    return 0


__all__ = [
    "Answer", "Batch", "article_of", "select_records", "collect_answers", "coincidence_matrix", "field_alpha",
    "word_tokens", "span_agreement", "compute_agreement", "Thresholds", "load_thresholds", "check_thresholds",
    "report_dict", "render_markdown", "render_heatmap", "write_report", "add_selection_arguments",
    "add_arguments", "run",
]
