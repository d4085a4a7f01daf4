"""The annotator ceiling: each independent annotator's own labels, scored like a model against
the final (adjudicated) labels, with the same scorer and intervals.

The annotators are language models (see the datasheet), not people. Only units with at least
two independent submitted annotations are scored: on a unit labelled once, the final label *is*
that annotator's label. Even so the bound is generous: a final label on which two annotators
agree equals both their labels by construction, and only disputed units (decided by the
adjudicator) can count against an annotator.

    annotator_records(split) -> {annotator: [prediction lines]}
    run_annotators(...)      -> writes predictions/<split>/<annotator>.jsonl and
                                <task>/<annotator>.json (kind "annotator")
"""
from __future__ import annotations

import json
from pathlib import Path

from warvoices.corpus.features import NO_LABEL
from warvoices.corpus.store import atomic_write_text

from .gold import Split
from .predictions import write_predictions

MIN_ANNOTATORS = 2
SUBMITTED = "submitted"


def annotator_records(split: Split) -> dict[str, list[dict]]:
    """Per annotator, prediction lines (scorer format) for the units with >= 2 independent annotators."""
    schema = split.schema
    out: dict[str, list[dict]] = {}
    if split.annotations is None:
        return out
    for sid, anns in zip(split.ids, split.annotations):
        submitted = [a for a in anns if a.get("status") == SUBMITTED]
        # the final label follows the newest guidelines its unit was labelled under; answers made
        # under older guidelines are history (a relabelled pilot), not what the final was made from
        newest = max((int(a.get("guideline_version") or 1) for a in submitted), default=1)
        subs = {}
        for a in submitted:
            if int(a.get("guideline_version") or 1) == newest:
                subs[a["annotator"]] = a  # the latest answer of each annotator (an accepted revision comes later)
        if len(subs) < MIN_ANNOTATORS:
            continue
        for who, a in sorted(subs.items()):
            rec = {"id": sid}
            for f in schema.choice_fields:
                if a.get(f.name, NO_LABEL) not in (None, NO_LABEL):
                    rec[f.name] = f.label_names[int(a[f.name])]
            for f in schema.span_fields:
                rec[f.name] = [[int(s["start"]), int(s["end"])] for s in a.get(f.name) or []]
            out.setdefault(who, []).append(rec)
    # every line of a file must predict the same fields: keep the fields the annotator always gave
    for who, recs in out.items():
        common = set.intersection(*(set(r) for r in recs))
        out[who] = [{k: v for k, v in r.items() if k in common} for r in recs]
    return out


def disputes(per: dict[str, list[dict]], split: Split, who: str) -> dict:
    """On the label fields where the annotators of a unit disagree, how often the final label is `who`'s."""
    schema = split.schema
    index = split.index()
    labels = {w: {r["id"]: r for r in recs} for w, recs in per.items()}
    n = kept = 0
    for sid, mine in labels[who].items():
        for f in schema.choice_fields:
            if f.name not in mine:
                continue
            given = {recs[sid].get(f.name) for w, recs in labels.items() if sid in recs}
            gold = int(split.labels[f.name][index[sid]])
            if len(given) > 1 and gold != NO_LABEL:
                n += 1
                kept += mine[f.name] == f.label_names[gold]
    return {"disputed_fields": n, "final_is_this_annotator": kept}


def run_annotators(data, results: Path, tasks, evaluation: Split, train: Split, split: str, seed: int,
                   n_resamples: int, log=print) -> list[dict]:
    from .run import headline_slice, predictions_path, result_path, versions
    from .score import score_predictions

    summaries = []
    per = annotator_records(evaluation)
    if not per:
        log(f"annotator ceiling: no {split} unit has {MIN_ANNOTATORS} independent annotations; no annotator rows")
        return summaries
    for who, recs in sorted(per.items()):
        ppath = predictions_path(results, split, who)
        write_predictions(ppath, recs)
        fields = {k for r in recs for k in r if k != "id"}
        for task in tasks:
            if not fields & set(task.fields):
                continue
            report = score_predictions(ppath, evaluation, split, tasks=[task.name], n_resamples=n_resamples,
                                       seed=seed, schema=evaluation.schema, only_predicted=True)
            n = report["coverage"]["scored"]
            out = {
                "task": task.name,
                "kind": "annotator",
                "model": who,
                "description": (f"language-model annotator `{who}`: its own independent labels on the {n} {split} "
                                f"units that have {MIN_ANNOTATORS}+ independent annotations, against the final labels"),
                "version": None,
                "split": split,
                "data": str(data),
                "gold_fingerprint": evaluation.fingerprint(),
                "seed": seed,
                "times": None,
                "predictions_file": str(ppath),
                "score_command": (f"warvoices score --predictions {ppath} --data {data} --split {split} "
                                  f"--task {task.name} --only-predicted --resamples {n_resamples} --seed {seed}"),
                "versions": versions(),
                "score": report,
                # the final label of a disputed field is the adjudicator's, often one annotator's answer
                "disputes": disputes(per, evaluation, who),
                "headline_slice": headline_slice(ppath, data, evaluation, train, task, seed, n_resamples,
                                                 only_predicted=True),
            }
            atomic_write_text(result_path(results, task.name, who), json.dumps(out, indent=2, ensure_ascii=False) + "\n")
            summaries.append(out)
        log(f"annotator {who}: scored on {len(recs)} {split} units")
    return summaries
