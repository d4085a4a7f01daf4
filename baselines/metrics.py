"""Metrics as functions of per-article counts, so bootstrap resamples and paired tests over
articles are matrix products instead of re-scoring loops.

A `Metric` holds one row of additive counts per article (for a classification field, its
flattened confusion matrix) and a function from summed counts to the metric value. Summing rows
with bootstrap weights gives the resampled value of any metric in one product.

Definitions (also written in the scorer's docstring and report):
- per-label F1 = 2 TP / (gold count + predicted count); macro-F1 is the mean F1 over the labels
  that occur in the gold or the predictions of the scored sentences (a label nobody used and
  nobody predicted carries no information; a label predicted but absent from the gold scores 0).
- span exact match: a predicted span counts when its (start, end) equals a gold span of that
  sentence; micro precision, recall and F1 over all spans.
- token overlap: a word token (regex \\w+) is "inside" a span list when any of its characters is
  covered; micro F1 over the sentence tokens that gold and prediction put inside spans.
- F1 is undefined (None, never 0) when gold and predictions are both empty.
- decomposition of a field with a null label (schema `null_label`, e.g. stance's neutral):
  detection = macro-F1 of null vs not-null (neutral vs partisan); direction = accuracy on the
  units that are not null in the gold and in the prediction (which side, given that both see one).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from warvoices.corpus.records import TOKEN, covered_tokens, word_tokens  # noqa: F401 (TOKEN: re-export)


@dataclass
class Metric:
    """per_article: (articles, K) additive counts; fn: (N, K) summed counts -> (N,) values."""

    per_article: np.ndarray
    fn: Callable[[np.ndarray], np.ndarray]

    def value(self) -> float:
        return float(self.fn(self.per_article.sum(axis=0, keepdims=True))[0])

    def resampled(self, weights: np.ndarray) -> np.ndarray:
        """weights: (B, articles) counts of each article in each resample -> (B,) values."""
        return self.fn(weights @ self.per_article)


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


# --- classification -------------------------------------------------------------------------

def per_article_confusions(articles: np.ndarray, n_articles: int, gold: np.ndarray,
                           pred: np.ndarray, n_labels: int) -> np.ndarray:
    """(articles, L*L) counts; row-major cell [g, p] = gold g predicted p."""
    out = np.zeros((n_articles, n_labels * n_labels), dtype=np.float64)
    np.add.at(out, (articles, gold * n_labels + pred), 1)
    return out


def _cm(counts: np.ndarray, n_labels: int) -> np.ndarray:
    return counts.reshape(-1, n_labels, n_labels)


def macro_f1_fn(n_labels: int) -> Callable[[np.ndarray], np.ndarray]:
    def fn(counts: np.ndarray) -> np.ndarray:
        cm = _cm(counts, n_labels)
        tp = np.diagonal(cm, axis1=1, axis2=2)
        gold, pred = cm.sum(axis=2), cm.sum(axis=1)
        present = (gold + pred) > 0
        f1 = np.where(present, _safe_div(2 * tp, gold + pred), 0.0)
        return _safe_div(f1.sum(axis=1), present.sum(axis=1))
    return fn


def accuracy_fn(n_labels: int) -> Callable[[np.ndarray], np.ndarray]:
    def fn(counts: np.ndarray) -> np.ndarray:
        cm = _cm(counts, n_labels)
        return _safe_div(np.trace(cm, axis1=1, axis2=2), cm.sum(axis=(1, 2)))
    return fn


def detection_macro_f1_fn(n_labels: int, null: int) -> Callable[[np.ndarray], np.ndarray]:
    """Macro-F1 of the two-way decision null label vs any other label (e.g. neutral vs partisan)."""
    binary = macro_f1_fn(2)

    def fn(counts: np.ndarray) -> np.ndarray:
        cm = _cm(counts, n_labels)
        other = [i for i in range(n_labels) if i != null]
        nn = cm[:, null, null]
        no = cm[:, null][:, other].sum(axis=1)
        on = cm[:, other][:, :, null].sum(axis=1)
        oo = cm[:, other][:, :, other].sum(axis=(1, 2))
        return binary(np.stack([nn, no, on, oo], axis=1))
    return fn


def direction_accuracy_fn(n_labels: int, null: int) -> Callable[[np.ndarray], np.ndarray]:
    """Accuracy among the units that are non-null in the gold AND in the prediction (which side,
    once both say there is one); a unit missed or invented counts in detection, not here."""
    other = [i for i in range(n_labels) if i != null]

    def fn(counts: np.ndarray) -> np.ndarray:
        sub = _cm(counts, n_labels)[:, other][:, :, other]
        return _safe_div(np.trace(sub, axis1=1, axis2=2), sub.sum(axis=(1, 2)))
    return fn


def label_table(cm: np.ndarray, names: list[str]) -> dict[str, dict]:
    """Per-label precision, recall, F1, support (gold count) and predicted count."""
    out = {}
    for i, name in enumerate(names):
        tp, support, predicted = cm[i, i], cm[i, :].sum(), cm[:, i].sum()
        out[name] = {
            "precision": _num(tp / predicted) if predicted else None,
            "recall": _num(tp / support) if support else None,
            "f1": _num(2 * tp / (support + predicted)) if support + predicted else None,
            "support": int(support),
            "predicted": int(predicted),
        }
    return out


def _num(x) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x


def mean_of(metrics: list[Metric]) -> Metric:
    """The mean of several metrics over the same articles (e.g. a task's fields)."""
    widths = [m.per_article.shape[1] for m in metrics]
    bounds = np.cumsum([0] + widths)

    def fn(counts: np.ndarray) -> np.ndarray:
        vals = [m.fn(counts[:, bounds[i]:bounds[i + 1]]) for i, m in enumerate(metrics)]
        return np.mean(vals, axis=0)
    return Metric(np.hstack([m.per_article for m in metrics]), fn)


# --- spans ------------------------------------------------------------------------------------

# word tokens and what a span covers: one definition with the annotators' token F1 (corpus/records.py)
token_ranges = word_tokens


def _covered(tokens: list[tuple[int, int]], spans: list[tuple[int, int]]) -> set[int]:
    return covered_tokens(spans, tokens)


SPAN_COLUMNS = ["exact_tp", "exact_pred", "exact_gold", "sent_match", "sent_n",
                "tok_tp", "tok_pred", "tok_gold"]


def span_counts(text: str, gold: list[tuple[int, int]], pred: list[tuple[int, int]]) -> list[int]:
    """One sentence's additive span counts, in SPAN_COLUMNS order."""
    g, p = set(gold), set(pred)
    tokens = token_ranges(text)
    tg, tp_ = _covered(tokens, gold), _covered(tokens, pred)
    return [len(g & p), len(p), len(g), int(g == p), 1, len(tg & tp_), len(tp_), len(tg)]


def _col(name: str) -> int:
    return SPAN_COLUMNS.index(name)


def span_fn(kind: str, what: str) -> Callable[[np.ndarray], np.ndarray]:
    """kind: exact|tok; what: precision|recall|f1. Or kind 'sent', what 'match'."""
    if kind == "sent":
        return lambda c: _safe_div(c[:, _col("sent_match")], c[:, _col("sent_n")])
    tp, npred, ngold = _col(f"{kind}_tp"), _col(f"{kind}_pred"), _col(f"{kind}_gold")
    if what == "precision":
        return lambda c: _safe_div(c[:, tp], c[:, npred])
    if what == "recall":
        return lambda c: _safe_div(c[:, tp], c[:, ngold])
    return lambda c: _safe_div(2 * c[:, tp], c[:, npred] + c[:, ngold])
