"""Final labels from several annotators' answers: settle what agrees, vote if asked, list the rest.

Rules, per sentence and field (only each annotator's latest submitted answer counts; see
`agreement.collect_answers`):

choice fields
  * one answer                              → that label, method `single`
  * all answers equal                       → that label, method `unanimous`
  * three or more answers, `vote="majority"` → crowd-kit MajorityVote (plurality), method
    `majority`; a tie for the most votes goes to adjudication instead of being broken at random
  * three or more answers, `vote="dawid_skene"` → crowd-kit DawidSkene fitted on every answer of
    the field in the selection (so each annotator's confusion matrix uses all their work), method
    `dawid_skene`; a tied posterior, or one below `min_posterior`, goes to adjudication
  * otherwise (two annotators disagree, or `vote="none"`, the default) → adjudication

span fields (source_spans), which belong with the choice fields of the same task (attribution,
source_type)
  * every annotator marked exactly the same spans → those spans, `single`/`unanimous`
  * else, with a vote and three or more answers, when the task's choice fields were settled:
    among the annotators whose answers to those fields equal the final labels (the annotators
    whose labels won), the span set most of them marked exactly (a tie → adjudication); method
    `dawid_skene` if one of those fields was settled by Dawid-Skene, else `majority`. Taking
    the spans from the winners keeps spans and labels coherent (no "indirect" speech with the
    spans of an annotator who said "none").
  * otherwise → adjudication

A sentence with any field in dispute gets no final record yet: it becomes a `Pending` record
(its settled fields) plus one `Dispute` per open field, with each annotator's answer and
annotation_id, for the Label Studio adjudication project. `apply_adjudications` turns the
adjudicator's decisions into final records (method `adjudicated` for each field the decision
settles or changes).

`decided_at` of a settled record is the time of the latest annotation it rests on, so re-running
on the same annotations writes the same bytes; an adjudicated record carries the decision's time.
"""
from __future__ import annotations

import argparse
import json
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping

from warvoices.annotation.agreement import REPO_ROOT, load_batch, output_name  # batch selection
from warvoices.annotation.answers import Answer, Batch, SpanSet, collect_answers
from warvoices.corpus.schema import Field, Schema, load_schema
from warvoices.corpus.errors import InputError
from warvoices.corpus.records import span_set
from warvoices.corpus.store import atomic_write_text, read_jsonl

VOTES = ("none", "majority", "dawid_skene")
DEFAULT_DISPUTES = REPO_ROOT / "annotation" / "reports" / "adjudication"
TIE_EPS = 1e-9  # posteriors closer than this are a tie

__all__ = ["VOTES", "Dispute", "Pending", "Aggregation", "aggregate", "disputes_by_sentence",
           "apply_adjudications", "StorePlan", "plan_store_update", "Update", "update_store", "read_decisions",
           "run", "collect_answers"]


@dataclass
class Dispute:
    """One field of one sentence that needs the adjudicator: who answered what."""

    sentence_id: str
    field: str
    reason: str
    answers: list[dict]  # [{annotator, annotation_id, value}], value a label or [[start, end], ...]

    def as_dict(self) -> dict:
        return {"sentence_id": self.sentence_id, "field": self.field, "reason": self.reason,
                "answers": self.answers}


@dataclass
class Pending:
    """A sentence waiting for adjudication: the fields already settled and the ones in dispute."""

    sentence_id: str
    labels: dict[str, str | None]  # None for a disputed choice field
    spans: dict[str, list[list[int]] | None]  # None for a disputed span field
    method: dict[str, str]  # settled fields only
    annotation_ids: list[str]
    disputed: list[str]
    guideline_version: int = 1  # of the answers the sentence rests on; its final label follows it


@dataclass
class Aggregation:
    vote: str
    finals: list[dict]  # final.jsonl records of the sentences with nothing in dispute
    pending: dict[str, Pending]
    disputes: list[Dispute]

    def method_counts(self) -> dict[str, Counter]:
        """field -> Counter of methods over the final records."""
        out: dict[str, Counter] = {}
        for rec in self.finals:
            for fname, m in rec["method"].items():
                out.setdefault(fname, Counter())[m] += 1
        return out


# ---------------------------------------------------------------------------------------------
# Voting with crowd-kit
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Vote:
    label: str | None  # None when tied
    support: float  # vote share (majority) or posterior (Dawid-Skene) of the winner
    tied: list[str]


def _votes(answers: Mapping[str, Mapping[str, str]], vote: str, targets: set[str]) -> dict[str, Vote]:
    """Aggregate the answers (sentence -> annotator -> label) with crowd-kit; results for `targets`."""
    import pandas as pd
    from crowdkit.aggregation import DawidSkene, MajorityVote

    if not targets:
        return {}
    # Majority vote is per item, so only the targets matter; Dawid-Skene learns each annotator's
    # confusion matrix, so it sees every answer of the field.
    items = targets if vote == "majority" else set(answers)
    rows = [(sid, a, lab) for sid in sorted(items) for a, lab in sorted(answers[sid].items())]
    df = pd.DataFrame(rows, columns=["task", "worker", "label"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # crowd-kit's pandas deprecation chatter, not ours to fix
        model = MajorityVote() if vote == "majority" else DawidSkene(n_iter=100, tol=1e-7)
        probas = model.fit(df).probas_
    out = {}
    for sid in targets:
        row = probas.loc[sid]
        best = float(row.max())
        top = sorted(str(lab) for lab, p in row.items() if best - float(p) <= TIE_EPS)
        out[sid] = Vote(top[0] if len(top) == 1 else None, best, top if len(top) > 1 else [])
    return out


# ---------------------------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------------------------

def _latest_time(answers: Iterable[Answer]) -> str:
    def key(a: Answer):
        try:
            return datetime.fromisoformat(a.created_at.replace("Z", "+00:00"))
        except ValueError:  # collect_answers validated them; this is only for hand-built Answers
            return datetime.min.replace(tzinfo=timezone.utc)
    return max(answers, key=key).created_at


def _span_value(spans: SpanSet) -> list[list[int]]:
    return [list(s) for s in spans]


def _linked_choice_fields(schema: Schema, span_field: str) -> list[str]:
    """The choice fields asked in the same task as a span field (attribution, source_type)."""
    choice = {f.name for f in schema.choice_fields}
    return [n for t in schema.tasks if span_field in t.fields for n in t.fields if n in choice]


def aggregate(batch: Batch, *, vote: str = "none", min_posterior: float = 0.0,
              schema: Schema | None = None) -> Aggregation:
    """Final records for the settled sentences, and pending records plus disputes for the rest."""
    schema = schema or load_schema()
    if vote not in VOTES:
        raise InputError(f"unknown vote {vote!r}; choose one of {list(VOTES)}")
    if not 0.0 <= min_posterior <= 1.0:
        raise InputError(f"min_posterior must lie in [0, 1], got {min_posterior}")

    # choice fields: settle unanimous/single, vote where allowed, collect the rest
    settled: dict[str, dict[str, tuple[str, str]]] = {}  # sid -> field -> (label, method)
    disputes: dict[str, list[Dispute]] = {}
    # a field the sentence's guideline version does not have (about_war in version-1 answers) is
    # not asked: no label, no method, no dispute
    version = {sid: batch.guideline_version(sid) for sid in batch.answers}
    for f in schema.choice_fields:
        answers = {sid: {a: ans.labels[f.name] for a, ans in per.items() if ans.labels[f.name] is not None}
                   for sid, per in batch.answers.items() if f.since <= version[sid]}
        need_vote = set()
        for sid, per in answers.items():
            distinct = set(per.values())
            if not per and not f.required:
                continue  # an optional field nobody answered: no label, and nothing to dispute
            if len(distinct) == 1:
                settled.setdefault(sid, {})[f.name] = (next(iter(distinct)), "single" if len(per) == 1 else "unanimous")
            elif vote != "none" and len(per) >= 3:
                need_vote.add(sid)
            else:
                reason = ("no annotator answered this field" if not per
                          else f"{len(per)} annotators disagree and a vote needs three or more" if len(per) < 3
                          else "annotators disagree and no vote was asked for (vote: none)")
                disputes.setdefault(sid, []).append(_choice_dispute(batch, sid, f, reason))
        votes = _votes({s: p for s, p in answers.items() if p}, vote, need_vote) if vote != "none" else {}
        for sid, v in sorted(votes.items()):
            if v.label is None:
                reason = f"{vote} tie between {', '.join(v.tied)}"
            elif vote == "dawid_skene" and v.support < min_posterior:
                reason = f"Dawid-Skene posterior {v.support:.3f} of {v.label!r} is below {min_posterior}"
            else:
                settled.setdefault(sid, {})[f.name] = (v.label, vote)
                continue
            disputes.setdefault(sid, []).append(_choice_dispute(batch, sid, f, reason))

    # span fields: exact agreement, else the spans of the annotators whose labels won
    span_settled: dict[str, dict[str, tuple[SpanSet, str]]] = {}
    for f in schema.span_fields:
        linked = _linked_choice_fields(schema, f.name)
        for sid, per in batch.answers.items():
            sets = {a: ans.spans[f.name] for a, ans in per.items()}
            if len(set(sets.values())) == 1:
                span_settled.setdefault(sid, {})[f.name] = (
                    next(iter(sets.values())), "single" if len(sets) == 1 else "unanimous")
                continue
            reason = "annotators marked different spans"
            final = settled.get(sid, {})
            if vote != "none" and len(sets) >= 3 and linked and all(n in final for n in linked):
                winners = [a for a, ans in per.items() if all(ans.labels[n] == final[n][0] for n in linked)]
                ranked = Counter(sets[a] for a in winners).most_common()
                if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
                    method = "dawid_skene" if any(final[n][1] == "dawid_skene" for n in linked) else "majority"
                    span_settled.setdefault(sid, {})[f.name] = (ranked[0][0], method)
                    continue
                reason += (f"; the annotators whose {'/'.join(linked)} labels won ({', '.join(sorted(winners))}) "
                           "tie on the spans" if winners else "; no annotator gave the winning labels")
            elif vote != "none" and len(sets) >= 3 and linked:
                reason += f"; {'/'.join(n for n in linked if n not in final)} is itself in dispute"
            disputes.setdefault(sid, []).append(Dispute(sid, f.name, reason, [
                {"annotator": a, "annotation_id": per[a].annotation_id, "value": _span_value(sets[a])}
                for a in sorted(per)]))

    finals, pending = [], {}
    for sid in sorted(batch.answers):
        per = batch.answers[sid]
        ids = sorted(ans.annotation_id for ans in per.values())
        labels = {f.name: settled.get(sid, {}).get(f.name, (None, None))[0]
                  for f in schema.fields_for_version(version[sid]) if f.kind == "choice"}
        spans = {f.name: (_span_value(span_settled[sid][f.name][0]) if f.name in span_settled.get(sid, {})
                          else None) for f in schema.span_fields}
        method = {n: m for n, (_, m) in {**settled.get(sid, {}), **span_settled.get(sid, {})}.items()}
        if sid not in disputes:
            # field-wise settling can break a schema rule (about_war "no" settled, stance voted
            # pro_x): the adjudicator decides the fields of the broken rule
            for problem in schema.consistency_problems(labels, {k: v for k, v in spans.items() if v is not None}):
                for fname in problem.fields:
                    if fname not in {d.field for d in disputes.get(sid, [])} and fname in labels:
                        disputes.setdefault(sid, []).append(_choice_dispute(
                            batch, sid, schema.field(fname), f"the settled labels break a schema rule: {problem.message}"))
        if sid in disputes:
            for d in disputes[sid]:
                if d.field in labels:
                    labels[d.field] = None
                if d.field in spans:
                    spans[d.field] = None
                method.pop(d.field, None)
            pending[sid] = Pending(sid, labels, spans, method, ids, [d.field for d in disputes[sid]],
                                   version[sid])
        else:
            finals.append(_final_record(schema, sid, labels, spans, method, ids, None, _latest_time(per.values()),
                                        version[sid]))
    ordered = [d for sid in sorted(disputes) for d in disputes[sid]]
    return Aggregation(vote=vote, finals=finals, pending=pending, disputes=ordered)


def _choice_dispute(batch: Batch, sid: str, f: Field, reason: str) -> Dispute:
    per = batch.answers[sid]
    return Dispute(sid, f.name, reason, [
        {"annotator": a, "annotation_id": per[a].annotation_id, "value": per[a].labels[f.name]}
        for a in sorted(per)])


def _final_record(schema: Schema, sid: str, labels: Mapping[str, str | None],
                  spans: Mapping[str, list | None], method: Mapping[str, str], annotation_ids: list[str],
                  adjudicator: str | None, decided_at: str, guideline_version: int) -> dict:
    """A final.jsonl record; it has exactly the fields of its guideline version."""
    fields = schema.fields_for_version(guideline_version)
    rec = {"sentence_id": sid, "labels": {f.name: labels[f.name] for f in fields if f.kind == "choice"}}
    for f in fields:
        if f.kind == "spans":
            rec[f.name] = spans[f.name]
    # an optional field nobody answered has no label and so no method
    rec.update({"method": {f.name: method[f.name] for f in fields if f.name in method}, "annotation_ids": annotation_ids,
                "adjudicator": adjudicator, "decided_at": decided_at, "guideline_version": guideline_version})
    return rec


def disputes_by_sentence(aggregation: Aggregation) -> list[dict]:
    """One entry per sentence for an adjudication task: the settled fields, and for each disputed
    field every annotator's answer."""
    grouped: dict[str, dict] = {}
    for d in aggregation.disputes:
        p = aggregation.pending[d.sentence_id]
        entry = grouped.setdefault(d.sentence_id, {
            "sentence_id": d.sentence_id,
            "settled": {**{k: v for k, v in p.labels.items() if v is not None},
                        **{k: v for k, v in p.spans.items() if v is not None}},
            "method": dict(p.method), "annotation_ids": list(p.annotation_ids), "disputes": {}})
        entry["disputes"][d.field] = {"reason": d.reason, "answers": d.answers}
    return [grouped[s] for s in sorted(grouped)]


# ---------------------------------------------------------------------------------------------
# Adjudication
# ---------------------------------------------------------------------------------------------

def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def apply_adjudications(pending: Aggregation | Mapping[str, Pending], decisions: Iterable[dict], *,
                        schema: Schema | None = None, now: str | None = None) -> list[dict]:
    """Final records from the adjudicator's decisions on pending sentences.

    A decision: {"sentence_id", "adjudicator", "labels": {field: label, ...}, "source_spans":
    [[start, end], ...], optional "decided_at" (default: `now`, else the current UTC time) and
    optional "annotation_ids" (the annotations the adjudicator saw; if given they must equal the
    pending sentence's, else the annotations changed since the task was pushed). It must decide
    every disputed field; a settled field it repeats keeps its method, one it changes becomes
    `adjudicated` too."""
    schema = schema or load_schema()
    pend = pending.pending if isinstance(pending, Aggregation) else pending
    choice = {f.name: f for f in schema.choice_fields}
    span_names = [f.name for f in schema.span_fields]
    seen: set[str] = set()
    out = []
    for i, dec in enumerate(decisions, 1):
        where = f"adjudication decision {i} (sentence {dec.get('sentence_id')!r})"
        sid = dec.get("sentence_id")
        if sid not in pend:
            raise InputError(f"{where}: the sentence has no open dispute in this selection; was it decided "
                             "for another batch, or did its annotations change? Re-run the aggregation and re-push")
        if sid in seen:
            raise InputError(f"{where}: a second decision for the same sentence; keep one (delete the other "
                             "annotation in the adjudication project) and pull again")
        seen.add(sid)
        adjudicator = dec.get("adjudicator")
        if not isinstance(adjudicator, str) or not adjudicator:
            raise InputError(f"{where}: needs the adjudicator's id")
        p = pend[sid]
        if "annotation_ids" in dec and sorted(dec["annotation_ids"]) != p.annotation_ids:
            raise InputError(f"{where}: made on annotations {sorted(dec['annotation_ids'])}, but the sentence now "
                             f"rests on {p.annotation_ids}; push the sentence for adjudication again")
        labels = dec.get("labels") or {}
        if not isinstance(labels, dict):
            raise InputError(f"{where}: labels must be an object")
        unknown = sorted(set(labels) - set(choice))
        if unknown:
            raise InputError(f"{where}: labels has fields {unknown} not in annotation/schema.yaml")
        new_labels, new_spans, method = dict(p.labels), dict(p.spans), dict(p.method)
        for fname, value in labels.items():
            if value not in choice[fname].label_names:
                raise InputError(f"{where}: {fname} label {value!r} is not one of {choice[fname].label_names}")
            if fname not in p.labels:
                raise InputError(f"{where}: {fname} is not a field of guideline version {p.guideline_version}, "
                                 "which the sentence's annotations follow; relabel it under the current guidelines")
            if value != p.labels[fname]:
                new_labels[fname], method[fname] = value, "adjudicated"
        for fname in span_names:
            if fname not in dec:
                continue
            spans = _checked_spans(dec[fname], f"{where}: {fname}")
            if spans != p.spans[fname]:
                new_spans[fname], method[fname] = spans, "adjudicated"
        undecided = [n for n in p.disputed if method.get(n) is None]
        if undecided:
            raise InputError(f"{where}: decides nothing for the disputed field(s) {undecided}; "
                             "the adjudicator must answer every field in dispute")
        problems = schema.dependency_problems({k: v for k, v in new_labels.items() if v is not None},
                                              {k: v for k, v in new_spans.items() if v is not None})
        if problems:
            raise InputError(f"{where}: the decided labels break a schema rule: {'; '.join(problems)}")
        decided_at = dec.get("decided_at") or now or _now()
        out.append(_final_record(schema, sid, new_labels, new_spans, method, p.annotation_ids,
                                 adjudicator, decided_at, p.guideline_version))
        if isinstance(dec.get("rationale"), str) and dec["rationale"].strip():
            out[-1]["rationale"] = dec["rationale"].strip()
    return sorted(out, key=lambda r: r["sentence_id"])


def _checked_spans(raw, where: str) -> list[list[int]]:
    if not isinstance(raw, list):
        raise InputError(f"{where} must be a list of [start, end] pairs")
    try:
        return [list(s) for s in span_set(raw)]
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Merging with the finals already in the store
# ---------------------------------------------------------------------------------------------

@dataclass
class StorePlan:
    write: list[dict] = field(default_factory=list)  # final records to upsert
    kept: list[str] = field(default_factory=list)  # adjudicated finals a re-run must not overwrite
    open: list[Dispute] = field(default_factory=list)  # disputes still needing the adjudicator
    closed: list[str] = field(default_factory=list)  # disputed sentences already adjudicated
    stale: list[str] = field(default_factory=list)  # finals made on other annotations, now in dispute


def _adjudicated_on(existing: Mapping[str, dict], sid: str, annotation_ids: list[str]) -> bool:
    rec = existing.get(sid)
    return bool(rec) and "adjudicated" in (rec.get("method") or {}).values() \
        and sorted(rec.get("annotation_ids") or []) == annotation_ids


def plan_store_update(aggregation: Aggregation, existing: Mapping[str, dict],
                      adjudicated: Iterable[dict] = ()) -> StorePlan:
    """What to write to final.jsonl: an adjudicated final made on the same annotations outranks a
    re-run of the aggregation (which may now vote where the adjudicator decided) and closes the
    sentence's disputes."""
    plan = StorePlan()
    decided = {r["sentence_id"]: r for r in adjudicated}
    for rec in aggregation.finals:
        if _adjudicated_on(existing, rec["sentence_id"], rec["annotation_ids"]):
            plan.kept.append(rec["sentence_id"])
        else:
            plan.write.append(rec)
    for sid, p in aggregation.pending.items():
        if sid in decided:
            plan.write.append(decided[sid])
            plan.closed.append(sid)
        elif _adjudicated_on(existing, sid, p.annotation_ids):
            plan.closed.append(sid)
        else:
            if sid in existing:
                plan.stale.append(sid)
            plan.open.extend(d for d in aggregation.disputes if d.sentence_id == sid)
    plan.write.sort(key=lambda r: r["sentence_id"])
    return plan


def read_decisions(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"decisions file {path} does not exist")
    return [rec for _, rec in read_jsonl(path)]


@dataclass
class Update:
    """What `update_store` did (or, in a dry run, would do)."""

    aggregation: Aggregation
    plan: StorePlan
    adjudicated: list[dict]  # finals made from decisions in this call
    open_entries: list[dict]  # disputes_by_sentence entries still open
    disputes_path: Path | None


def update_store(store, batch: Batch, *, vote: str = "none", min_posterior: float = 0.0,
                 decisions: Iterable[dict] = (), disputes_path: str | Path | None = None,
                 dry_run: bool = False, schema: Schema | None = None, now: str | None = None) -> Update:
    """Aggregate a batch, apply adjudicator decisions, upsert final.jsonl and write the open
    disputes (a JSON list of `disputes_by_sentence` entries) to `disputes_path`, atomically.
    For callers without argparse, e.g. the Label Studio adjudication push/pull."""
    schema = schema or load_schema()
    agg = aggregate(batch, vote=vote, min_posterior=min_posterior, schema=schema)
    # a decision made under older guidelines than the sentence's answers now follow decided a
    # dispute between answers that are history (a relabelled batch): it stays in its file as
    # history and decides nothing
    # likewise a decision on a sentence that is no longer in dispute because the answers it was
    # made on were revised since (an accepted edit, `:r2`): the revised answers now agree
    def rests_on_history(d: dict) -> bool:
        sid = d.get("sentence_id")
        if sid not in batch.answers or sid in agg.pending or "annotation_ids" not in d:
            return False
        return sorted(d["annotation_ids"]) != sorted(a.annotation_id for a in batch.answers[sid].values())

    current = [d for d in decisions
               if not (d.get("sentence_id") in batch.answers
                       and schema.record_version(d) < batch.guideline_version(d["sentence_id"]))
               and not rests_on_history(d)]
    decided = apply_adjudications(agg, current, schema=schema, now=now)
    plan = plan_store_update(agg, store.finals(), decided)
    open_sids = {d.sentence_id for d in plan.open}
    entries = [e for e in disputes_by_sentence(agg) if e["sentence_id"] in open_sids]
    path = Path(disputes_path) if disputes_path else None
    if not dry_run:
        if plan.write:
            store.upsert_finals(plan.write)
        if path is not None:
            atomic_write_text(path, json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    return Update(agg, plan, decided, entries, path)


def run(args: argparse.Namespace, quiet: bool = False) -> int:
    """`annotate adjudicate` without Label Studio. `args.decision_records` (optional) adds decisions
    already read; `quiet` prints nothing (a dry run that only validates)."""
    if quiet:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            return run(args)
    schema = load_schema()
    store, batch = load_batch(args, schema)
    disputes_path = Path(args.disputes) if args.disputes else DEFAULT_DISPUTES / f"{output_name(args)}.disputes.json"
    files = [args.decisions] if isinstance(args.decisions, (str, Path)) else (args.decisions or [])
    decisions = [d for f in files for d in read_decisions(f)] + list(getattr(args, "decision_records", None) or [])
    up = update_store(store, batch, vote=args.vote, min_posterior=args.min_posterior, decisions=decisions,
                      disputes_path=disputes_path, dry_run=args.dry_run, schema=schema)
    c = batch.status_counts
    print(f"records: {batch.records} ({', '.join(f'{k} {v}' for k, v in c.items())}), superseded "
          f"{len(batch.superseded)}; sentences: {len(batch.answers)}")
    for fname, counts in sorted(up.aggregation.method_counts().items()):
        print(f"{fname:<12} " + ", ".join(f"{m} {n}" for m, n in sorted(counts.items())))
    n_open = len(up.open_entries)
    print(f"final records: {len(up.plan.write)} to write ({len(up.adjudicated)} adjudicated now), "
          f"{len(up.plan.kept)} adjudicated earlier kept; sentences in dispute: {n_open} open, "
          f"{len(up.plan.closed)} closed")
    if up.plan.stale:
        print(f"warning: {len(up.plan.stale)} final record(s) rest on annotations that changed and are now in "
              f"dispute (e.g. {up.plan.stale[:3]}); they stay until adjudicated again")
    if args.dry_run:
        print("dry run: nothing written")
        return 0
    print(f"wrote {store.path('final.jsonl')} and {disputes_path}")
    if n_open:
        print(f"{n_open} sentence(s) need the adjudicator: push {disputes_path} to the adjudication project")
    return 0
