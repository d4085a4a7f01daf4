"""Which models are not significantly better or worse than the best model of their task.

For each task, the model with the highest official value is compared with every other model
(paired permutation test over articles, the scorer's `compare_predictions`, the same test as
`warvoices score --compare`). Annotator rows are a reference, not competitors, and are left out.
`warvoices baselines run` writes results/significance.json; `warvoices report` marks the rows.
"""
from __future__ import annotations

import json
from pathlib import Path

from warvoices.corpus.store import atomic_write_text

from .gold import Split

ALPHA = 0.05
FILE = "significance.json"


def significance_path(results: Path) -> Path:
    return Path(results) / FILE


def write_significance(results: Path, data, evaluation: Split, n_resamples: int, seed: int, log=print,
                       alpha: float = ALPHA) -> dict:
    from .report import best_models, load_results
    from .run import predictions_path
    from .score import compare_predictions

    fingerprint = evaluation.fingerprint()
    rows = [r for r in load_results(results) if r.get("kind", "model") == "model"
            and r["gold_fingerprint"] == fingerprint and r["split"] == evaluation.name]
    out = {"alpha": alpha, "split": evaluation.name, "gold_fingerprint": fingerprint,
           "test": "paired permutation test over articles on the task's official metric (warvoices score --compare)",
           "n_resamples": n_resamples, "seed": seed, "tasks": {}}
    for task, best in best_models(rows).items():
        entry = {"best": best["model"], "best_version": best["version"], "others": {}}
        a = predictions_path(results, evaluation.name, best["model"])
        for r in rows:
            if r["task"] != task or r["model"] == best["model"]:
                continue
            off = r["score"]["tasks"][task]["official"]
            if off is None or off["value"] is None:
                continue
            b = predictions_path(results, evaluation.name, r["model"])
            cmp = compare_predictions(a, b, evaluation, evaluation.name, tasks=[task], n_resamples=n_resamples,
                                      seed=seed, schema=evaluation.schema, alpha=alpha)
            t = cmp["tasks"][task]
            entry["others"][r["model"]] = {"version": r["version"], "difference": t["difference"],
                                           "difference_ci": t["difference_ci"], "p_value": t["p_value"],
                                           "significant": t["significant"], "test": t["test"]}
        out["tasks"][task] = entry
    atomic_write_text(significance_path(results), json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    for task, e in out["tasks"].items():
        tied = [m for m, o in e["others"].items() if not o["significant"]]
        log(f"  {task}: best {e['best']}; not significantly different (alpha {alpha}): {', '.join(tied) or 'none'}")
    return out


def read_significance(results: Path) -> dict | None:
    path = significance_path(results)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
