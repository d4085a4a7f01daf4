"""Oracle for the scorer's bootstrap intervals: a naive loop that resamples articles one by one,
re-collects their sentences and recomputes macro-F1 from scratch must give the same percentile
interval as the scorer's weight-matrix shortcut (baselines/bootstrap.py + metrics.py)."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest

from warvoices.baselines.score import score_predictions
from warvoices.baselines.toy_corpus import write_records_dataset

STANCES = ["neutral", "pro_ukraine", "pro_russia"]


@pytest.fixture(scope="module")
def invented(tmp_path_factory):
    """14 invented test articles of 1–6 sentences with random stance gold and predictions."""
    rnd = random.Random(11)
    gold, preds = [], []
    for a in range(14):
        for s in range(rnd.randint(1, 6)):
            sid = f"art{a:02d}-s{s:04d}"
            g = rnd.choice(STANCES)
            gold.append({"id": sid, "article_id": f"art{a:02d}", "split": "test", "text": f"Sentence {s} of {a}.",
                         "stance": g, "attribution": "none", "source_type": "none", "event_type": "none",
                         "source_spans": []})
            p = g if rnd.random() < 0.6 else rnd.choice(STANCES)
            preds.append({"id": sid, "stance": p})
    root = tmp_path_factory.mktemp("oracle")
    data = write_records_dataset(gold, root / "ds")
    path = root / "preds.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in preds), encoding="utf-8")
    return gold, preds, data, path


def _macro_f1(pairs: list[tuple[str, str]]) -> float:
    """From the definition: mean F1 over the labels that occur in gold or predictions."""
    labels = {g for g, _ in pairs} | {p for _, p in pairs}
    f1s = []
    for lab in labels:
        tp = sum(1 for g, p in pairs if g == lab and p == lab)
        n_gold = sum(1 for g, _ in pairs if g == lab)
        n_pred = sum(1 for _, p in pairs if p == lab)
        f1s.append(2 * tp / (n_gold + n_pred))
    return sum(f1s) / len(f1s)


def _naive_interval(gold, preds, n_resamples, seed, confidence=0.95):
    by_article: dict[str, list[tuple[str, str]]] = {}
    pred = {p["id"]: p["stance"] for p in preds}
    for g in gold:
        by_article.setdefault(g["article_id"], []).append((g["stance"], pred[g["id"]]))
    articles = sorted(by_article)
    # the same documented draws: one seeded generator, n_resamples rows of n_articles article picks
    draws = np.random.default_rng(seed).integers(0, len(articles), size=(n_resamples, len(articles)))
    values = []
    for row in draws:
        pairs = [pair for k in row for pair in by_article[articles[k]]]
        values.append(_macro_f1(pairs))
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(np.array(values), [alpha, 1 - alpha])
    return _macro_f1([pair for a in articles for pair in by_article[a]]), [float(lo), float(hi)]


@pytest.mark.parametrize("seed", [0, 7, 8])
def test_bootstrap_interval_equals_a_naive_loop(invented, seed):
    gold, preds, data, path = invented
    rep = score_predictions(path, data, "test", tasks=["stance"], n_resamples=400, seed=seed)
    value, ci = _naive_interval(gold, preds, 400, seed)
    got = rep["fields"]["stance"]
    assert got["macro_f1"] == pytest.approx(value, abs=1e-12)
    assert got["macro_f1_ci"] == pytest.approx(ci, abs=1e-12)


def test_another_seed_draws_other_resamples(invented):
    gold, preds, data, path = invented
    a = score_predictions(path, data, "test", tasks=["stance"], n_resamples=400, seed=7)["fields"]["stance"]
    b = score_predictions(path, data, "test", tasks=["stance"], n_resamples=400, seed=8)["fields"]["stance"]
    assert a["macro_f1"] == b["macro_f1"] and a["macro_f1_ci"] != b["macro_f1_ci"]
