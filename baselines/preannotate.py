"""Baselines as pre-annotations for the next Label Studio batch.

    model = train_for_preannotation("tfidf_lr", data="out/dataset")
    preds = predictions_for_label_studio(model, [{"sentence_id": ..., "text": ...}, ...])
    # -> [{"sentence_id", "labels": {field: label}, "source_spans": [[s, e], ...] (if predicted),
    #      "model", "version", "score"}, ...]

`version` changes whenever the code, the training data, the seed or a selected setting changes,
so every Label Studio prediction can be traced to the model that made it. `score` is the mean
probability of the predicted labels (None for the rule baseline, which has none).
`warvoices baselines predict` writes the same predictions in the scorer's format.

For a Label Studio batch (`predict --batch B` or `--articles ...`) only that batch's sentences
are predicted. Several models can make one pre-annotation (`--model tfidf_lr --model
rules:source_spans`): each field comes from one model (`merge_predictions`), the line's `model`
names all of them and `fields_from` says which field came from which. Before anything is written
the schema's dependencies are enforced (`enforce_dependencies`): a pre-annotation never shows,
say, `indirect` speech with source type `none`; the contradicting dependent is left unanswered.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from warvoices.corpus.errors import InputError, WarVoicesError

from .bootstrap import DEFAULT_SEED
from .gold import DEFAULT_DATA, load_split
from .train import TrainedBaseline, train_baseline


def train_for_preannotation(model: str, data=DEFAULT_DATA, tasks: list[str] | None = None,
                            seed: int = DEFAULT_SEED, cache_dir: Path | None = None) -> TrainedBaseline:
    """Train `model` on train (settings chosen on validation) for the fields of `tasks`."""
    from threadpoolctl import threadpool_limits

    from warvoices.corpus.schema import load_schema

    schema = load_schema()
    names = [t.name for t in schema.tasks]
    for t in tasks or []:
        if t not in names:
            raise WarVoicesError(f"unknown task {t!r}; tasks are {names}")
    fields = [f for t in schema.tasks if tasks is None or t.name in tasks for f in t.fields]
    train = load_split(data, "train", schema)
    # a field with no gold label in train yet (about_war while labels follow guideline version 1) is left out
    fields = [f for f in fields if schema.field(f).kind != "choice" or train.labelled(f).any()]
    with threadpool_limits(2):
        return train_baseline(model, train, load_split(data, "validation", schema), fields, seed, cache_dir)


def predictions_for_label_studio(model: TrainedBaseline, sentences: Iterable[dict]) -> list[dict]:
    """One pre-annotation per sentence; each sentence is a dict with `sentence_id` (or `id`) and `text`."""
    sentences = list(sentences)
    ids, texts = [], []
    for k, s in enumerate(sentences, 1):
        sid = s.get("sentence_id", s.get("id"))
        if not isinstance(sid, str) or not isinstance(s.get("text"), str):
            raise InputError(f"sentence {k}: needs a string `sentence_id` (or `id`) and a string `text`, got keys "
                             f"{sorted(s)}")
        ids.append(sid)
        texts.append(s["text"])
    from threadpoolctl import threadpool_limits

    with threadpool_limits(2):
        pred = model.predict(texts)
    out = []
    for i, sid in enumerate(ids):
        # per-field models can contradict the schema's rules; annotators are shown consistent labels
        labels, spans = model.schema.reconcile({f: pred.labels[f][i] for f in pred.labels},
                                               {f: [list(s) for s in pred.spans[f][i]] for f in pred.spans})
        rec = {"sentence_id": sid, "labels": labels,
               "model": model.name, "version": model.version,
               "score": None if pred.confidence[i] is None else round(float(pred.confidence[i]), 6)}
        rec.update(spans)
        out.append(rec)
    return out


# -- pre-annotations for one batch ---------------------------------------------------------------
def parse_model_spec(spec: str, schema) -> tuple[str, list[str] | None]:
    """`M` (every field M predicts that no earlier model gives) or `M:F1,F2` (only those fields)."""
    name, _, fields = spec.partition(":")
    if not fields:
        return name, None
    names = [f.strip() for f in fields.split(",") if f.strip()]
    unknown = [f for f in names if f not in schema.field_names]
    if unknown:
        raise WarVoicesError(f"--model {spec}: unknown field(s) {unknown}; fields are {schema.field_names}")
    return name, names


def batch_sentence_ids(store_dir, batch: str | None = None, articles: list[str] | None = None) -> list[str]:
    """The sentence ids of a pushed batch (its manifest) or of whole articles (the store)."""
    from warvoices.corpus.store import Store

    store = Store(store_dir)
    if batch:
        from warvoices.corpus.batch_manifests import load_manifest

        manifest = load_manifest(store, batch, required=not articles)
        if manifest is not None:
            if articles and list(articles) != manifest["articles"]:
                raise WarVoicesError(f"batch {batch} was pushed with articles {manifest['articles']}, not {articles}")
            return list(manifest["sentences"])
    known = store.articles()
    missing = [a for a in articles or [] if a not in known]
    if missing:
        raise WarVoicesError(f"unknown article id(s) {missing} in {store.root}; list them with `warvoices corpus list`")
    wanted = set(articles or [])
    rows = sorted((r for r in store.sentences() if r["article_id"] in wanted), key=lambda r: (r["article_id"], r["index"]))
    if not rows:
        raise WarVoicesError(f"articles {articles} have no sentences in {store.root}; run `warvoices corpus segment`")
    return [r["sentence_id"] for r in rows]


def merge_predictions(parts: list[tuple[str, list[str] | None, list[dict]]], schema) -> list[dict]:
    """One pre-annotation per sentence from several models' `predictions_for_label_studio` lists.

    `parts` is [(model name, fields it may give or None for any, its predictions)]; each field is
    taken from the first model allowed to give it that predicts it."""
    if len(parts) == 1 and parts[0][1] is None:
        return parts[0][2]
    span_names = {f.name for f in schema.span_fields}
    source: dict[str, tuple[str, str]] = {}  # field -> (model, version)
    by_sid: dict[str, dict] = {}
    for name, allowed, preds in parts:
        for p in preds:
            rec = by_sid.setdefault(p["sentence_id"], {"sentence_id": p["sentence_id"], "labels": {}, "_scores": []})
            given = [*p["labels"], *(k for k in p if k in span_names)]
            took = False
            for f in given:
                if allowed is not None and f not in allowed:
                    continue
                if source.get(f, (name,))[0] != name:
                    continue
                source[f] = (name, p["version"])
                if f in span_names:
                    rec[f] = p[f]
                else:
                    rec["labels"][f] = p["labels"][f]
                took = True
            if took and p.get("score") is not None:
                rec["_scores"].append(p["score"])
    models = []
    for name, _, _ in parts:
        used = sorted(f for f, (m, _) in source.items() if m == name)
        if not used:
            raise WarVoicesError(f"model {name} gives no field here (every field it predicts comes from an earlier "
                                 "--model); drop it or name its fields with --model NAME:FIELD,FIELD")
        models.append(name)
    versions = {m: v for m, v in source.values()}
    out = []
    for sid, rec in by_sid.items():
        scores = rec.pop("_scores")
        rec.update(model="+".join(models), version=";".join(f"{m}={versions[m]}" for m in models),
                   fields_from={f: m for f, (m, _) in sorted(source.items())},
                   score=round(sum(scores) / len(scores), 6) if scores else None)
        out.append(rec)
    return out


def enforce_dependencies(rec: dict, schema) -> list[str]:
    """Make one pre-annotation obey the schema's rules, in place; returns what was changed or dropped.

    The schema's own repair for machine predictions (`Schema.reconcile`) decides, so merged and
    single-model pre-annotations follow the same rules: a dependent that contradicts its field is
    left unanswered for the annotator instead of shown as a contradiction the model made."""
    span_names = [f.name for f in schema.span_fields if f.name in rec]
    before = rec.get("labels") or {}
    labels, spans = schema.reconcile(before, {n: rec[n] for n in span_names})
    dropped = sorted({k for k in set(labels) | set(before) if labels.get(k) != before.get(k)}
                     | {n for n in span_names if spans.get(n) != rec[n]})
    rec["labels"] = labels
    rec.update(spans)
    return dropped
