"""Agreement statistics of a batch: Krippendorff's alpha and confusion tables for choice fields,
exact and token-overlap F1 for span fields, slices, and the threshold check (see agreement.py)."""
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


from .answers import (  # noqa: F401
    Answer, Batch, article_of, select_records, _when, _spans, collect_answers,
)

DEFAULT_CONFIG = Path(__file__).with_name("agreement.yaml")


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
TOKEN_RE = TOKEN  # word tokens, covered tokens and token F1: the record contract (corpus/records.py)


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


def slice_agreement(batch: Batch, slice_of: Mapping[str, str], schema: Schema | None = None) -> dict[str, dict]:
    """Alpha and observed agreement of every choice field within each slice of the batch's
    sentences (e.g. publisher type): {slice: {"sentences": n, "fields": {field: {alpha, items,
    observed_agreement, reason}}}}. A sentence whose slice is unknown is left out."""
    schema = schema or load_schema()
    groups: dict[str, list[str]] = {}
    for sid in batch.answers:
        key = slice_of.get(sid)
        if key is not None:
            groups.setdefault(key, []).append(sid)
    out: dict[str, dict] = {}
    for key in sorted(groups):
        keep = set(groups[key])
        sub = Batch(name=f"{batch.name}[{key}]",
                    answers={sid: per for sid, per in batch.answers.items() if sid in keep},
                    unanswered=[sid for sid in batch.unanswered if sid in keep],
                    status_counts=dict(batch.status_counts), superseded=list(batch.superseded),
                    outdated=list(batch.outdated))
        fields = {}
        for f in schema.fields:
            if f.kind != "choice" or not any(a.labels.get(f.name) is not None for per in sub.answers.values()
                                             for a in per.values()):
                continue
            r = field_alpha(sub, f)
            fields[f.name] = {"alpha": r.alpha, "observed_agreement": r.observed_agreement, "items": r.items,
                              "reason": r.reason}
        out[key] = {"sentences": len(keep), "fields": fields}
    return out


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


