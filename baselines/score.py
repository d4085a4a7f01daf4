"""The official WarVoices scorer: one scorer for every task, label names from the schema.

Library use (the command `warvoices score` is a thin wrapper around the same calls):

    from warvoices.baselines.score import score_predictions, compare_predictions, format_report

    score_predictions(predictions, data="out/dataset", split="test", *, tasks=None,
                      n_resamples=1000, seed=0, confidence=0.95) -> dict
        predictions: a JSON Lines path, a list of dicts in the same format, or a Predictions.
        data: the built dataset directory (`warvoices build --out DIR`), or an already loaded
              `gold.Split` (then `split` is ignored).
        tasks: names of schema tasks to score (default: every task the predictions cover).
        Returns the report dict (see below); raises InputError for a bad predictions file and
        WarVoicesError for a missing or empty split.

    compare_predictions(a, b, data="out/dataset", split="test", *, tasks=None,
                        n_resamples=1000, seed=0, confidence=0.95) -> dict
        Paired comparison of two prediction files on the same gold: for every field both
        predict, the difference A - B with a bootstrap interval and a paired approximate
        randomization p-value over articles.

    format_report(report) -> str, format_comparison(comparison) -> str: the text the CLI prints.

A runnable example is baselines/example_score.py (the test suite executes it).

What is scored. Each schema task (annotation/schema.yaml `tasks`) groups fields: the
classification fields (stance, attribution, source_type, event_type) are scored by macro-F1
over their labels (the official metric), with accuracy, per-label precision, recall, F1,
support and the confusion matrix (rows gold, columns predicted); span fields (source_spans) by
exact span match and token-overlap F1 (definitions in metrics.py). A task's `official` value is
the mean macro-F1 of its classification fields, given only when the predictions cover all of
them. Gold rows with ClassLabel -1 are not scored for that field. Intervals are percentile
bootstrap intervals over articles, with the seed and number of resamples in the report.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from warvoices.corpus.schema import Schema, load_schema
from warvoices.corpus.errors import InputError, WarVoicesError

from . import metrics as M
from .bootstrap import (DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED, interval,
                        paired_test, resample_weights)
from .gold import DEFAULT_DATA, Split, load_split
from .predictions import Predictions, as_predictions

SCORER_VERSION = 1


def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if np.isnan(x) else x


class _Prepared:
    """Gold and predictions aligned row by row, plus the article index for resampling."""

    def __init__(self, preds: Predictions, gold: Split, schema: Schema, tasks: list[str] | None,
                 rows=None, only_predicted: bool = False):
        """rows: score only these gold rows (a slice); only_predicted: score only the sentences the
        file predicts (e.g. an annotator who labelled part of the split). Ids are checked
        against the whole split either way."""
        self.preds, self.gold, self.schema = preds, gold, schema
        where = f"split {gold.name!r} of {gold.data_dir}"
        if gold.name == "unlabeled":
            raise WarVoicesError("the unlabeled split has no gold labels and is never scored; "
                                 "score against --split test (or validation)")
        if len(gold) == 0:
            raise WarVoicesError(
                f"{where} has no sentences (no {gold.name} articles labelled yet?): nothing to score. "
                f"Label and build some, or score another split with --split validation")
        task_names = [t.name for t in schema.tasks]
        for t in tasks or []:
            if t not in task_names:
                raise WarVoicesError(f"unknown task {t!r}; tasks are {task_names}")
        self.tasks = [t for t in schema.tasks if tasks is None or t.name in tasks]
        wanted = {f for t in self.tasks for f in t.fields}
        self.fields = [f for f in preds.fields if f in wanted]
        if not self.fields:
            raise InputError(f"{preds.source}: predicts {preds.fields}, none of which belongs to the "
                             f"task(s) {[t.name for t in self.tasks]}")

        index = gold.index()
        for sid in preds.ids:
            if sid not in index:
                raise InputError(f"{preds.where(sid)}: unknown id {sid!r}: not a sentence of {where}; "
                                 f"predict only that split's sentences (ids from its `id` column)")
        self.n_labelled_in_split = None
        if only_predicted:
            keep = [i for i in range(len(gold)) if gold.ids[i] in preds.line]
            rows = keep if rows is None else [i for i in rows if gold.ids[i] in preds.line]
            labelled = np.zeros(len(gold), dtype=bool)
            for f in self.fields:
                labelled |= gold.labelled(f)
            self.n_labelled_in_split = int(labelled.sum())
        if rows is not None:
            gold = self.gold = gold.subset(rows)
            if len(gold) == 0:
                raise WarVoicesError(f"{where}: the selected units are empty: nothing to score")
        self.mask = {f: gold.labelled(f) for f in self.fields}
        required = np.zeros(len(gold), dtype=bool)
        for f in self.fields:
            required |= self.mask[f]
        if not required.any():
            raise WarVoicesError(f"{where} has no gold labels for {self.fields} (all -1): nothing to score")
        missing = [gold.ids[i] for i in np.flatnonzero(required) if gold.ids[i] not in preds.line]
        if missing:
            raise InputError(
                f"{preds.source}: missing ids: no prediction for {len(missing)} of {int(required.sum())} "
                f"labelled sentences of {where} (first: {', '.join(missing[:3])}); "
                f"predict every sentence of the split")
        for f in self.fields:
            if f in gold.spans:
                for i in np.flatnonzero(self.mask[f]):
                    sid, n = gold.ids[i], len(gold.texts[i])
                    for s, e in preds.spans[sid][f]:
                        if e > n:
                            raise InputError(f"{preds.where(sid)}: {f} span [{s}, {e}] of id {sid!r} runs "
                                             f"past the end of the sentence ({n} characters)")

        # one article index for every field, from the gold alone, so a field's interval does not
        # depend on which other fields a file predicts
        any_label = np.zeros(len(gold), dtype=bool)
        for f in schema.field_names:
            any_label |= gold.labelled(f)
        self.articles = sorted({gold.article_ids[i] for i in np.flatnonzero(any_label)})
        code = {a: k for k, a in enumerate(self.articles)}
        self.article_code = np.array([code.get(a, -1) for a in gold.article_ids], dtype=np.int64)
        self.n_required = int(required.sum())
        self._metrics: dict[str, dict[str, M.Metric]] = {}

    def choice_metric_inputs(self, fname: str):
        f = self.schema.field(fname)
        rows = np.flatnonzero(self.mask[fname])
        gold = self.gold.labels[fname][rows]
        pred = np.array([f.index(self.preds.labels[self.gold.ids[i]][fname]) for i in rows], dtype=np.int64)
        counts = M.per_article_confusions(self.article_code[rows], len(self.articles), gold, pred,
                                          len(f.label_names))
        return rows, counts

    def span_counts(self, fname: str) -> tuple[np.ndarray, np.ndarray]:
        rows = np.flatnonzero(self.mask[fname])
        counts = np.zeros((len(self.articles), len(M.SPAN_COLUMNS)))
        for i in rows:
            sid = self.gold.ids[i]
            counts[self.article_code[i]] += M.span_counts(self.gold.texts[i], self.gold.spans[fname][i],
                                                          self.preds.spans[sid][fname])
        return rows, counts

    def field_metrics(self, fname: str) -> dict[str, M.Metric]:
        """The metrics that get intervals (and paired tests), keyed by report name."""
        if fname not in self._metrics:
            self._metrics[fname] = self._field_metrics(fname)
        return self._metrics[fname]

    def _field_metrics(self, fname: str) -> dict[str, M.Metric]:
        if fname in self.gold.labels:
            f = self.schema.field(fname)
            n = len(f.label_names)
            _, counts = self.choice_metric_inputs(fname)
            out = {"macro_f1": M.Metric(counts, M.macro_f1_fn(n)),
                   "accuracy": M.Metric(counts, M.accuracy_fn(n))}
            if decomposed(f):
                null = f.index(f.null_label)
                out["detection_macro_f1"] = M.Metric(counts, M.detection_macro_f1_fn(n, null))
                out["direction_accuracy"] = M.Metric(counts, M.direction_accuracy_fn(n, null))
            return out
        _, counts = self.span_counts(fname)
        return {"exact_f1": M.Metric(counts, M.span_fn("exact", "f1")),
                "token_f1": M.Metric(counts, M.span_fn("tok", "f1")),
                "sentence_exact_match": M.Metric(counts, M.span_fn("sent", "match"))}

    def task_metric(self, task) -> M.Metric | None:
        choice = [f for f in task.fields if f in self.gold.labels]
        if not choice or any(f not in self.fields for f in choice):
            return None
        return M.mean_of([self.field_metrics(f)["macro_f1"] for f in choice])


def decomposed(field) -> bool:
    """A choice field with a null label and at least two others gets detection + direction
    (stance: neutral vs partisan, then which side)."""
    return field.kind == "choice" and field.null_label is not None and len(field.label_names) >= 3


def _load(predictions, data, split, schema) -> tuple[Predictions, Split]:
    preds = as_predictions(predictions, schema)
    gold = data if isinstance(data, Split) else load_split(data, split, schema)
    return preds, gold


def _choice_report(p: _Prepared, fname: str, weights, confidence) -> dict:
    names = p.schema.field(fname).label_names
    rows, counts = p.choice_metric_inputs(fname)
    cm = counts.sum(axis=0).reshape(len(names), len(names))
    ms = p.field_metrics(fname)
    present = [n for i, n in enumerate(names) if cm[i, :].sum() + cm[:, i].sum() > 0]
    out = {
        "kind": "choice", "metric": "macro_f1",
        "macro_f1": _num(ms["macro_f1"].value()),
        "macro_f1_ci": interval(ms["macro_f1"], weights, confidence),
        "accuracy": _num(ms["accuracy"].value()),
        "accuracy_ci": interval(ms["accuracy"], weights, confidence),
        "n": int(len(rows)),
        "n_articles": len({int(c) for c in p.article_code[rows]}),
        "labels_in_macro": present,
        "per_label": M.label_table(cm, names),
        "confusion_matrix": {"rows": "gold", "columns": "predicted", "labels": names,
                             "counts": cm.astype(int).tolist()},
    }
    if "detection_macro_f1" in ms:
        f = p.schema.field(fname)
        null = f.index(f.null_label)
        other = [i for i in range(len(names)) if i != null]
        out["decomposition"] = {
            "null_label": f.null_label,
            "detection_macro_f1": _num(ms["detection_macro_f1"].value()),
            "detection_macro_f1_ci": interval(ms["detection_macro_f1"], weights, confidence),
            "direction_accuracy": _num(ms["direction_accuracy"].value()),
            "direction_accuracy_ci": interval(ms["direction_accuracy"], weights, confidence),
            # units not null in gold; of them, those the prediction also calls not null
            "n_gold_not_null": int(cm[other, :].sum()),
            "n_direction": int(cm[np.ix_(other, other)].sum()),
            "definition": (f"detection: macro-F1 of {f.null_label} vs any other label; direction: accuracy on "
                           f"units that are not {f.null_label} in gold and prediction"),
        }
    return out


def _span_report(p: _Prepared, fname: str, weights, confidence) -> dict:
    rows, counts = p.span_counts(fname)
    total = counts.sum(axis=0, keepdims=True)
    ms = p.field_metrics(fname)

    def block(kind, f1_name):
        c = dict(zip(M.SPAN_COLUMNS, total[0].astype(int).tolist()))
        return {"precision": _num(M.span_fn(kind, "precision")(total)[0]),
                "recall": _num(M.span_fn(kind, "recall")(total)[0]),
                "f1": _num(ms[f1_name].value()),
                "f1_ci": interval(ms[f1_name], weights, confidence),
                "tp": c[f"{kind}_tp"], "predicted": c[f"{kind}_pred"], "gold": c[f"{kind}_gold"]}

    return {
        "kind": "spans",
        "n": int(len(rows)),
        "n_articles": len({int(c) for c in p.article_code[rows]}),
        "exact": block("exact", "exact_f1"),
        "token_overlap": block("tok", "token_f1"),
        "sentence_exact_match": _num(ms["sentence_exact_match"].value()),
        "sentence_exact_match_ci": interval(ms["sentence_exact_match"], weights, confidence),
    }


def _body(p: _Prepared, n_resamples: int, seed: int, confidence: float) -> dict:
    """Fields, tasks, counts and warnings of one scored set of rows."""
    weights = resample_weights(len(p.articles), n_resamples, seed)
    fields = {}
    for f in p.fields:
        fields[f] = (_choice_report if f in p.gold.labels else _span_report)(p, f, weights, confidence)
    task_reports = {}
    for t in p.tasks:
        scored = [f for f in t.fields if f in p.fields]
        if not scored:
            continue
        tm = p.task_metric(t)
        choice = [f for f in t.fields if f in p.gold.labels]
        task_reports[t.name] = {
            "fields": scored,
            "not_predicted": [f for f in t.fields if f not in p.fields],
            "official": None if tm is None else {
                "metric": t.metric, "value": _num(tm.value()), "ci": interval(tm, weights, confidence),
                "definition": f"mean macro-F1 over {choice}"},
        }
    warnings = []
    if len(p.articles) < 2:
        warnings.append(f"only {len(p.articles)} article in the split: bootstrap intervals over "
                        f"articles are degenerate")
    return {"n_sentences": p.n_required, "n_articles": len(p.articles), "tasks": task_reports,
            "fields": fields, "warnings": warnings}


def score_predictions(predictions, data=DEFAULT_DATA, split: str = "test", *, tasks=None,
                      n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                      confidence: float = DEFAULT_CONFIDENCE, schema: Schema | None = None,
                      by: str | None = None, train: Split | None = None, only_predicted: bool = False,
                      rows=None) -> dict:
    """Score one predictions file against the gold of `split`; see the module docstring.

    by: also score every slice of a metadata column (`publisher_type`, `country`, ...) or
        `headline` (slices.py); `train` is the train split the headline slice needs (read from
        `data` when not given). only_predicted: score only the sentences the file predicts.
    rows: score only these row indices of the split (the report then covers that subset)."""
    if n_resamples < 1:
        raise WarVoicesError("--resamples must be at least 1")
    schema = schema or load_schema()
    preds, gold = _load(predictions, data, split, schema)
    p = _Prepared(preds, gold, schema, tasks, rows=rows, only_predicted=only_predicted)
    report = {
        "scorer": {"name": "warvoices score", "version": SCORER_VERSION},
        "schema_version": schema.version,
        "data": str(gold.data_dir), "split": gold.name, "gold_fingerprint": gold.fingerprint(),
        "predictions": preds.source,
        "bootstrap": {"unit": "article", "interval": "percentile", "n_resamples": int(n_resamples),
                      "seed": int(seed), "confidence": confidence},
    }
    report.update(_body(p, n_resamples, seed, confidence))
    if only_predicted:
        report["coverage"] = {"scored": p.n_required, "labelled_in_split": p.n_labelled_in_split,
                              "note": "only the sentences the file predicts are scored"}
    if by:
        report["slices"] = score_slices(preds, gold, schema, tasks, by, train, n_resamples, seed, confidence,
                                        only_predicted=only_predicted, rows=rows)
    return report


def score_slices(preds: Predictions, gold: Split, schema: Schema, tasks, by: str, train: Split | None,
                 n_resamples: int, seed: int, confidence: float, only_predicted: bool = False,
                 rows=None) -> dict:
    """Every metric per slice of `by`, each with its own bootstrap over the slice's articles."""
    from .slices import HEADLINE, HEADLINE_DEFINITION, slice_values

    if by == HEADLINE and train is None:
        train = load_split(gold.data_dir, "train", schema)
    values = slice_values(gold, by, train)
    allowed = None if rows is None else set(int(i) for i in rows)
    groups: dict[str, list[int]] = {}
    for i, v in enumerate(values):
        if allowed is None or i in allowed:
            groups.setdefault(v, []).append(i)
    out = {"by": by, "slices": {}}
    if by == HEADLINE:
        from .slices import HEADLINE_IN
        out["definition"] = HEADLINE_DEFINITION
        groups.setdefault(HEADLINE_IN, [])
    for value in sorted(groups):
        idx = groups[value]
        try:
            if not idx:
                raise WarVoicesError("no units")
            p = _Prepared(preds, gold, schema, tasks, rows=idx, only_predicted=only_predicted)
            out["slices"][value] = _body(p, n_resamples, seed, confidence)
        except WarVoicesError as exc:
            # a slice without (labelled) units is reported as empty, never as a zero
            out["slices"][value] = {"n_sentences": 0, "n_articles": 0, "tasks": {}, "fields": {},
                                    "warnings": [], "empty": "no units yet" if not idx else str(exc)}
    return out


def compare_predictions(a, b, data=DEFAULT_DATA, split: str = "test", *, tasks=None,
                        n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                        confidence: float = DEFAULT_CONFIDENCE, schema: Schema | None = None,
                        alpha: float = 0.05) -> dict:
    """Paired comparison of predictions `a` and `b` (A - B) on every field both predict."""
    schema = schema or load_schema()
    pa, gold = _load(a, data, split, schema)
    pb = as_predictions(b, schema)
    A, B = _Prepared(pa, gold, schema, tasks), _Prepared(pb, gold, schema, tasks)
    common = [f for f in A.fields if f in B.fields]
    if not common:
        raise InputError(f"{pa.source} predicts {A.fields} and {pb.source} predicts {B.fields}: "
                         f"no field in common to compare")
    weights = resample_weights(len(A.articles), n_resamples, seed)
    out_fields = {}
    for f in common:
        ma, mb = A.field_metrics(f), B.field_metrics(f)
        names = ["macro_f1"] if f in gold.labels else ["exact_f1", "token_f1"]
        out_fields[f] = {}
        for name in names:
            r = paired_test(ma[name], mb[name], weights, n_resamples, seed, confidence)
            r = {k: (_num(v) if isinstance(v, float) else v) for k, v in r.items()}
            r["significant"] = r["p_value"] is not None and r["p_value"] < alpha
            out_fields[f][name] = r
    out_tasks = {}
    for t in A.tasks:
        ta, tb = A.task_metric(t), B.task_metric(t)
        if ta is not None and tb is not None:
            r = paired_test(ta, tb, weights, n_resamples, seed, confidence)
            r = {k: (_num(v) if isinstance(v, float) else v) for k, v in r.items()}
            r["significant"] = r["p_value"] is not None and r["p_value"] < alpha
            out_tasks[t.name] = r
    return {
        "a": pa.source, "b": pb.source, "data": str(gold.data_dir), "split": gold.name,
        "gold_fingerprint": gold.fingerprint(), "alpha": alpha,
        "bootstrap": {"unit": "article", "interval": "percentile", "n_resamples": int(n_resamples),
                      "seed": int(seed), "confidence": confidence},
        "fields": out_fields, "tasks": out_tasks,
    }


# --- text output ------------------------------------------------------------------------------

def _f(x, digits=3) -> str:
    return "  n/a" if x is None else f"{x:.{digits}f}"


def _ci(ci) -> str:
    return "[  n/a]" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def format_report(report: dict) -> str:
    b = report["bootstrap"]
    lines = [
        f"WarVoices scores: {report['predictions']}",
        f"gold: split {report['split']} of {report['data']} ({report['n_sentences']} sentences, "
        f"{report['n_articles']} articles, gold {report['gold_fingerprint']})",
        f"{int(b['confidence'] * 100)}% intervals: {b['interval']} bootstrap over {b['unit']}s, "
        f"{b['n_resamples']} resamples, seed {b['seed']}",
    ]
    for w in report["warnings"]:
        lines.append(f"warning: {w}")
    if report.get("coverage"):
        c = report["coverage"]
        lines.append(f"scored only the {c['scored']} of {c['labelled_in_split']} labelled sentences the file predicts")
    for tname, t in report["tasks"].items():
        lines.append("")
        off = t["official"]
        head = f"task {tname}"
        if off:
            head += f": official {off['metric']} {_f(off['value'])} {_ci(off['ci'])} ({off['definition']})"
        lines.append(head)
        if t["not_predicted"]:
            lines.append(f"  not predicted: {', '.join(t['not_predicted'])}")
        for fname in t["fields"]:
            r = report["fields"][fname]
            if r["kind"] == "choice":
                lines.append(f"  {fname}: macro-F1 {_f(r['macro_f1'])} {_ci(r['macro_f1_ci'])}  "
                             f"accuracy {_f(r['accuracy'])} {_ci(r['accuracy_ci'])}  n={r['n']}")
                d = r.get("decomposition")
                if d:
                    lines.append(f"    detection ({d['null_label']} vs not): macro-F1 {_f(d['detection_macro_f1'])} "
                                 f"{_ci(d['detection_macro_f1_ci'])}   direction: accuracy "
                                 f"{_f(d['direction_accuracy'])} {_ci(d['direction_accuracy_ci'])} on "
                                 f"{d['n_direction']} of {d['n_gold_not_null']} units not {d['null_label']} in gold")
                width = max(len(n) for n in r["per_label"]) + 2
                lines.append(f"    {'label':<{width}} {'prec':>6} {'rec':>6} {'F1':>6} {'support':>8} {'pred':>6}")
                for name, row in r["per_label"].items():
                    lines.append(f"    {name:<{width}} {_f(row['precision']):>6} {_f(row['recall']):>6} "
                                 f"{_f(row['f1']):>6} {row['support']:>8} {row['predicted']:>6}")
                cm = r["confusion_matrix"]
                lines.append("    confusion matrix (rows gold, columns predicted, label order as above):")
                for name, row in zip(cm["labels"], cm["counts"]):
                    lines.append(f"    {name:<{width}} " + " ".join(f"{v:>4}" for v in row))
            else:
                ex, tok = r["exact"], r["token_overlap"]
                lines.append(f"  {fname}: exact-match F1 {_f(ex['f1'])} {_ci(ex['f1_ci'])} "
                             f"(P {_f(ex['precision'])}, R {_f(ex['recall'])}; {ex['gold']} gold spans)  "
                             f"token-overlap F1 {_f(tok['f1'])} {_ci(tok['f1_ci'])}  "
                             f"sentences exactly right {_f(r['sentence_exact_match'])}  n={r['n']}")
    if report.get("slices"):
        lines += ["", *format_slices(report["slices"])]
    return "\n".join(lines)


def _headline_metrics(body: dict) -> list[tuple[str, float | None, list | None]]:
    """(name, value, interval) of every metric of a slice body, in report order."""
    out = []
    for tname, t in body["tasks"].items():
        if t["official"] and len([f for f in t["fields"] if body["fields"][f]["kind"] == "choice"]) > 1:
            out.append((f"{tname} official", t["official"]["value"], t["official"]["ci"]))
    for fname, r in body["fields"].items():
        if r["kind"] == "choice":
            out.append((f"{fname} macro-F1", r["macro_f1"], r["macro_f1_ci"]))
            out.append((f"{fname} accuracy", r["accuracy"], r["accuracy_ci"]))
            d = r.get("decomposition")
            if d:
                out.append((f"{fname} detection F1", d["detection_macro_f1"], d["detection_macro_f1_ci"]))
                out.append((f"{fname} direction acc.", d["direction_accuracy"], d["direction_accuracy_ci"]))
        else:
            out.append((f"{fname} token F1", r["token_overlap"]["f1"], r["token_overlap"]["f1_ci"]))
            out.append((f"{fname} exact F1", r["exact"]["f1"], r["exact"]["f1_ci"]))
    return out


def format_slices(sl: dict) -> list[str]:
    lines = [f"slices by {sl['by']}" + (f" ({sl['definition']})" if sl.get("definition") else "") + ":"]
    for value, body in sl["slices"].items():
        if body.get("empty"):
            lines.append(f"  {value}: {body['empty']}")
            continue
        lines.append(f"  {value}: {body['n_sentences']} sentences, {body['n_articles']} articles"
                     + "".join(f"; {w}" for w in body["warnings"]))
        for name, v, ci in _headline_metrics(body):
            lines.append(f"    {name:<28} {_f(v)} {_ci(ci)}")
    return lines


def format_comparison(cmp: dict) -> str:
    b = cmp["bootstrap"]
    lines = [f"A = {cmp['a']}", f"B = {cmp['b']}",
             f"gold: split {cmp['split']} of {cmp['data']}; p-values: paired permutation test over "
             f"articles (at most {b['n_resamples']} permutations, seed {b['seed']}); difference intervals: "
             f"{int(b['confidence'] * 100)}% bootstrap over articles", ""]

    def row(label, r):
        sig = ("significant" if r["significant"] else "not significant") + f" at {cmp['alpha']}"
        if r.get("smallest_possible_p") is not None and r["smallest_possible_p"] >= cmp["alpha"]:
            sig += f"; too few articles: p cannot go below {r['smallest_possible_p']:.3g}"
        p = "n/a" if r["p_value"] is None else f"{r['p_value']:.4f}"
        return (f"  {label:<28} A {_f(r['a'])}  B {_f(r['b'])}  A-B {_f(r['difference']):>6} "
                f"{_ci(r['difference_ci'])}  p={p}  ({sig})")

    for tname, r in cmp["tasks"].items():
        lines.append(row(f"task {tname} (official)", r))
    for fname, ms in cmp["fields"].items():
        for mname, r in ms.items():
            lines.append(row(f"{fname} {mname}", r))
    return "\n".join(lines)


def write_report(report: dict, path: str | Path) -> None:
    """The report (or comparison) as indented JSON, written atomically."""
    import json

    from warvoices.corpus.store import atomic_write_text
    atomic_write_text(Path(path), json.dumps(report, indent=2, ensure_ascii=False) + "\n")
