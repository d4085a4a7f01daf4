"""Uncertainty over articles: percentile bootstrap intervals and a paired significance test.

Sentences of one article share a topic, a publisher and often a speaker, so they are not
independent; the unit of resampling is the article. Every metric of one report uses the same
resamples (one weight matrix from one seeded generator), so intervals are reproducible from the
seed and the number of resamples written in the report.
"""
from __future__ import annotations

import numpy as np

from .metrics import Metric

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
DEFAULT_CONFIDENCE = 0.95


def resample_weights(n_articles: int, n_resamples: int, seed: int) -> np.ndarray:
    """(n_resamples, n_articles) counts: how often each article is drawn in each resample."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_articles, size=(n_resamples, n_articles))
    flat = draws + (np.arange(n_resamples)[:, None] * n_articles)
    return np.bincount(flat.ravel(), minlength=n_resamples * n_articles) \
        .reshape(n_resamples, n_articles).astype(np.float64)


def percentile_interval(values: np.ndarray, confidence: float) -> list[float] | None:
    # resamples where a metric is undefined (e.g. no gold spans drawn) are left out
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(values, [alpha, 1 - alpha])
    return [float(lo), float(hi)]


def interval(metric: Metric, weights: np.ndarray, confidence: float) -> list[float] | None:
    return percentile_interval(metric.resampled(weights), confidence)


def paired_test(a: Metric, b: Metric, weights: np.ndarray, n_permutations: int, seed: int,
                confidence: float) -> dict:
    """Compare the same metric of two systems on the same articles.

    p-value: paired approximate randomization over articles (each article's counts of A and B
    are swapped with probability 1/2; two-sided, p = (1 + #{|d*| >= |d|}) / (1 + R)); when
    2**articles <= n_permutations every swap pattern is enumerated instead (exact test).
    Interval: percentile bootstrap of the difference A - B over the shared resamples `weights`.
    """
    observed = a.value() - b.value()
    n_articles = a.per_article.shape[0]
    exact = 2 ** n_articles <= n_permutations
    if exact:
        # few articles: enumerate every swap pattern (an exact permutation test)
        codes = np.arange(2 ** n_articles)[:, None]
        swap = ((codes >> np.arange(n_articles)[None, :]) & 1).astype(np.float64)
    else:
        rng = np.random.default_rng(seed + 1)  # not the bootstrap's stream
        swap = rng.integers(0, 2, size=(n_permutations, n_articles)).astype(np.float64)
    keep = 1.0 - swap
    da = a.fn(keep @ a.per_article + swap @ b.per_article)
    db = a.fn(swap @ a.per_article + keep @ b.per_article)
    diffs = da - db
    valid = ~np.isnan(diffs)
    if np.isnan(observed) or not valid.any():
        p = None
    else:
        # a tiny tolerance so that permutations equal to the observed difference count as extreme
        extreme = np.abs(diffs[valid]) >= abs(observed) - 1e-12
        p = float(extreme.mean()) if exact else float((1 + extreme.sum()) / (1 + valid.sum()))
    boot = a.resampled(weights) - b.resampled(weights)
    return {
        "a": a.value(), "b": b.value(), "difference": observed,
        "difference_ci": percentile_interval(boot, confidence),
        "p_value": p, "n_permutations": int(swap.shape[0]),
        # with k articles no test over articles can give p below 2 / 2**k
        "smallest_possible_p": float(2.0 ** (1 - n_articles)) if n_articles else None,
        "test": ("exact paired permutation test over articles (two-sided)" if exact else
                 "paired approximate randomization over articles (two-sided)"),
    }
