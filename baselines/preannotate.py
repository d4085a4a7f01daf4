"""Baselines as pre-annotations for the next Label Studio batch.

    model = train_for_preannotation("tfidf_lr", data="out/dataset")
    preds = predictions_for_label_studio(model, [{"sentence_id": ..., "text": ...}, ...])
    # -> [{"sentence_id", "labels": {field: label}, "source_spans": [[s, e], ...] (if predicted),
    #      "model", "version", "score"}, ...]

`version` changes whenever the code, the training data, the seed or a selected setting changes,
so every Label Studio prediction can be traced to the model that made it. `score` is the mean
probability of the predicted labels (None for the rule baseline, which has none).
`warvoices baselines predict` writes the same predictions in the scorer's format.
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

    from warvoices.annotation.schema import load_schema

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
