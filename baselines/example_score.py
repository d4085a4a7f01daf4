"""Runnable example: score predictions from research code with the official scorer.

    python -m warvoices.baselines.example_score            # on a tiny invented dataset
    python -m warvoices.baselines.example_score out/dataset  # on the real built dataset

The test suite runs this file, so the example cannot drift from the library.
"""
from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

from warvoices.baselines.gold import load_split
from warvoices.baselines.score import compare_predictions, format_report, score_predictions


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        if argv:
            data = Path(argv[0])
        else:
            from warvoices.baselines.toy_corpus import write_toy_dataset
            data = write_toy_dataset(Path(tmp) / "toy")

        # 1. Your model's predictions: one dict per test sentence, label names from the schema.
        #    Here: the most frequent training label for every field ("majority baseline").
        train, test = load_split(data, "train"), load_split(data, "test")
        schema = train.schema
        predictions = []
        for i, sid in enumerate(test.ids):
            row = {"id": sid}
            for f in schema.choice_fields:
                counts = Counter(int(x) for x in train.labels[f.name] if x >= 0)
                if counts:  # a field without train labels (not asked by the labels' guidelines) is left out
                    row[f.name] = f.label_names[counts.most_common(1)[0][0]]
            predictions.append(row)

        # 2. Score them: a list of dicts, or a path to a JSON Lines file, is accepted.
        report = score_predictions(predictions, data, "test", n_resamples=200, seed=0)
        print(format_report(report))
        stance = report["fields"]["stance"]
        lo, hi = stance["macro_f1_ci"]
        print(f"\nstance macro-F1 = {stance['macro_f1']:.3f}, 95% CI [{lo:.3f}, {hi:.3f}]")

        # 3. Compare with another system on the same sentences (here: a two-word keyword rule).
        other = [{"id": sid, "stance": "pro_ukraine" if {"defenders", "invaders"} & set(text.split())
                  else "neutral"} for sid, text in zip(test.ids, test.texts)]
        cmp = compare_predictions(predictions, other, data, "test", tasks=["stance"], n_resamples=200)
        r = cmp["fields"]["stance"]["macro_f1"]
        print(f"stance: A - B = {r['difference']:+.3f}, p = {r['p_value']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
