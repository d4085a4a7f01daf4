"""Train one baseline: features fitted on `train`, one setting per field chosen by macro-F1 on
`validation` (ties go to the first setting of the grid), then predict any sentences.

    trained = train_baseline("tfidf_lr", train, validation, fields=["stance"], seed=0)
    labels, spans, confidence, seconds = trained.predict(texts)
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import version as _metadata_version
from pathlib import Path

import numpy as np

from warvoices.corpus.errors import WarVoicesError

from . import metrics as M
from .gold import Split
from .models import Constant, Model, make_model, model_fields, unavailable

# bump when a model's behaviour changes, so pre-annotation versions change with it
MODEL_CODE_VERSION = 1


def _rows(X, idx: np.ndarray):
    if isinstance(X, dict):
        return {k: _rows(v, idx) for k, v in X.items()}
    if isinstance(X, list):
        return [X[i] for i in idx]
    return X[idx]


def _macro_f1(gold: np.ndarray, pred: np.ndarray, n_labels: int) -> float:
    counts = M.per_article_confusions(np.zeros(len(gold), dtype=np.int64), 1, gold, pred, n_labels)
    return float(M.macro_f1_fn(n_labels)(counts)[0])


@dataclass
class FieldFit:
    field: str
    kind: str
    settings: dict
    selection: list[dict]
    selection_note: str | None
    n_train: int
    train_labels: dict[str, int]
    train_seconds: float
    select_seconds: float
    fitted: object = field(repr=False, default=None)

    def summary(self) -> dict:
        return {"settings": self.settings, "selection": self.selection, "selection_note": self.selection_note,
                "n_train": self.n_train, "train_labels": self.train_labels,
                "train_seconds": round(self.train_seconds, 4), "select_seconds": round(self.select_seconds, 4)}


@dataclass
class Predicted:
    labels: dict[str, list[str]]               # field -> label names
    spans: dict[str, list[list[tuple[int, int]]]]
    confidence: list[float | None]             # mean over fields of the predicted label's probability
    feature_seconds: float
    field_seconds: dict[str, float]


@lru_cache(maxsize=None)
def pkg_version(name: str) -> str:
    """The installed version of a package, read once: reading package metadata takes about a
    millisecond, and callers ask for a model's version once per predicted unit."""
    return _metadata_version(name)


@dataclass
class TrainedBaseline:
    name: str
    description: str
    model: Model = field(repr=False)
    schema: object = field(repr=False)
    seed: int = 0
    fields: dict[str, FieldFit] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # field → why it was not trained
    feature_seconds: float = 0.0
    train_fingerprint: str = ""

    @property
    def version(self) -> str:
        """Stable for the same code, training data, seed and selected settings."""
        h = hashlib.sha256(json.dumps([self.name, MODEL_CODE_VERSION, self.seed, self.train_fingerprint,
                                       {f: ff.settings for f, ff in sorted(self.fields.items())}],
                                      sort_keys=True).encode()).hexdigest()[:10]
        return f"{pkg_version('warvoices')}+{self.name}.{h}"

    def predict(self, texts: list[str], meta: dict[str, list] | None = None) -> Predicted:
        """meta: the units' metadata columns (gold.META_COLUMNS), needed by the publisher models."""
        if getattr(self.model, "needs_meta", False) and meta is None:
            raise WarVoicesError(f"model {self.name} predicts from the units' publisher and country, not from "
                                 f"text alone: predict a split of the built dataset (`warvoices baselines run`)")
        start = time.perf_counter()
        X = self.model.features(list(texts), meta)
        feature_seconds = time.perf_counter() - start
        labels, spans, conf, secs = {}, {}, [], {}
        for fname, ff in self.fields.items():
            start = time.perf_counter()
            if ff.kind == "spans":
                spans[fname] = self.model.predict_spans(ff.fitted, list(texts))
            else:
                ids, c = self.model.predict(ff.fitted, X, list(texts))
                names = self.schema.field(fname).label_names
                labels[fname] = [names[int(i)] for i in ids]
                if c is not None:
                    conf.append(np.asarray(c, dtype=float))
            secs[fname] = time.perf_counter() - start
        confidence = (np.mean(conf, axis=0).tolist() if conf else [None] * len(texts))
        return Predicted(labels, spans, confidence, feature_seconds, secs)


def train_baseline(name: str, train: Split, validation: Split, fields: list[str], seed: int = 0,
                   cache_dir: Path | None = None, progress: bool = False) -> TrainedBaseline:
    why = unavailable(name)
    if why:
        raise WarVoicesError(f"model {name} cannot run here: {why}")
    schema = train.schema
    model = make_model(name, cache_dir, progress)
    chosen = model_fields(model, schema, fields)
    if not chosen:
        raise WarVoicesError(f"model {name} predicts none of {fields}")
    if len(train) == 0:
        raise WarVoicesError(f"split 'train' of {train.data_dir} has no sentences: label train articles "
                             f"and rebuild (`warvoices build`) before training baselines")
    trained = TrainedBaseline(name, model.description, model, schema, seed, train_fingerprint=train.fingerprint())

    start = time.perf_counter()
    model.prepare(list(train.texts), seed)
    X_train = model.features(list(train.texts), train.meta)
    trained.feature_seconds = time.perf_counter() - start
    X_val = model.features(list(validation.texts), validation.meta) if len(validation) else None
    if hasattr(model, "fit_task"):
        # models that train one network per task (fine-tuning) instead of one classifier per field
        return _train_per_task(trained, model, train, validation, chosen, seed)

    for fname in chosen:
        f = schema.field(fname)
        if f.kind == "spans":
            start = time.perf_counter()
            fitted = model.fit(f, None, None, {}, seed)
            secs = time.perf_counter() - start
            trained.fields[fname] = FieldFit(fname, "spans", {}, [], None, int(train.labelled(fname).sum()), {},
                                             secs, 0.0, fitted)
            continue
        rows = np.flatnonzero(train.labelled(fname))
        if not len(rows):
            # an optional field nobody labelled yet: nothing to learn, so the model does not predict it
            trained.skipped[fname] = f"split 'train' of {train.data_dir} has no {fname} labels: nothing to learn from"
            continue
        y = train.labels[fname][rows]
        Xf = _rows(X_train, rows)
        vrows = np.flatnonzero(validation.labelled(fname)) if len(validation) else np.zeros(0, dtype=np.int64)
        selection, fits = [], []
        t_select = time.perf_counter()
        for settings in model.grid(f):
            start = time.perf_counter()
            fitted = model.fit(f, Xf, y, settings, seed)
            fit_secs = time.perf_counter() - start
            fits.append((fitted, fit_secs))
            entry = {"settings": settings}
            if len(vrows):
                pred, _ = model.predict(fitted, _rows(X_val, vrows), [validation.texts[i] for i in vrows])
                entry["validation_macro_f1"] = _macro_f1(validation.labels[fname][vrows], pred, len(f.label_names))
            selection.append(entry)
        select_secs = time.perf_counter() - t_select
        note = None
        if len(selection) > 1 and not len(vrows):
            note = "validation has no labels for this field: the first setting of the grid was used"
        best = 0
        if len(vrows):
            scores = [e["validation_macro_f1"] for e in selection]
            best = int(np.argmax(scores))  # first maximum: ties go to the earlier setting
        fitted, fit_secs = fits[best]
        if isinstance(fitted, Constant) and name != "majority":
            note = (note + "; " if note else "") + "one label only in train: predicts it everywhere"
        counts = np.bincount(y, minlength=len(f.label_names))
        trained.fields[fname] = FieldFit(
            fname, "choice", selection[best]["settings"], selection if len(selection) > 1 else [], note, int(len(rows)),
            {f.label_names[i]: int(c) for i, c in enumerate(counts) if c}, fit_secs, select_secs, fitted)
    if not any(ff.kind == "choice" for ff in trained.fields.values()) and trained.skipped:
        raise WarVoicesError(next(iter(trained.skipped.values())))
    return trained


def _train_per_task(trained: TrainedBaseline, model: Model, train: Split, validation: Split, chosen: list[str],
                    seed: int) -> TrainedBaseline:
    """One fit per schema task over its chosen choice fields; the model selects on validation itself."""
    schema = train.schema
    for task in schema.tasks:
        tfields = [f for f in task.fields if f in chosen]
        if not tfields:
            continue
        for fname in tfields:
            if not train.labelled(fname).any():
                raise WarVoicesError(f"split 'train' of {train.data_dir} has no {fname} labels: nothing to learn from")
        start = time.perf_counter()
        fitted, summary = model.fit_task(task.name, [schema.field(f) for f in tfields], train, validation, seed)
        secs = time.perf_counter() - start
        for k, fname in enumerate(tfields):
            f = schema.field(fname)
            rows = np.flatnonzero(train.labelled(fname))
            counts = np.bincount(train.labels[fname][rows], minlength=len(f.label_names))
            # the task's one training run is counted once, on its first field
            trained.fields[fname] = FieldFit(
                fname, "choice", summary["settings"], summary["selection"], summary.get("note"), int(len(rows)),
                {f.label_names[i]: int(c) for i, c in enumerate(counts) if c}, secs if k == 0 else 0.0, 0.0,
                fitted[fname])
    return trained
