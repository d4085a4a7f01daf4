"""Benchmark: how long the scorer and each baseline take at a given corpus size, on 2 threads.

    python -m warvoices.baselines.bench_baselines [--sentences 5000] [--archive DIR] [--models ...]

Without --archive the corpus is the invented toy corpus scaled up (tiny vocabulary: optimistic
for TF-IDF). With --archive (default: $WARVOICES_ARCHIVE or ../shared/archive when present) the
texts are sentences of the external archive with random labels: realistic vocabulary and length,
meaningless scores. Nothing is written outside a temporary directory; no archive text is kept.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from warvoices.annotation.schema import load_schema

from .models import MODEL_NAMES, unavailable
from .toy_corpus import toy_records, write_records_dataset

SENTENCES_PER_ARTICLE = 20


def _archive_records(archive: Path, n: int, seed: int) -> list[dict]:
    schema = load_schema()
    rng = random.Random(seed)
    texts = []
    for path in sorted(archive.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                text = json.loads(line)["text"]
                texts += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 20 <= len(s.strip()) <= 400]
    rng.shuffle(texts)
    texts = texts[:n]
    records = []
    for k, text in enumerate(texts):
        a = k // SENTENCES_PER_ARTICLE
        split = ("train", "train", "train", "validation", "test")[a % 5]
        rec = {"id": f"b{a:05d}-s{k % SENTENCES_PER_ARTICLE:04d}", "article_id": f"b{a:05d}", "split": split,
               "text": text, "source_spans": []}
        for f in schema.choice_fields:
            rec[f.name] = rng.choice(f.label_names)
        records.append(rec)
    return records


def _toy(n: int) -> list[dict]:
    articles = max(5, n // 8)
    return toy_records(0, {"train": articles * 3 // 5, "validation": articles // 5, "test": articles // 5,
                           "unlabeled": 0})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentences", type=int, default=5000)
    ap.add_argument("--archive", type=Path,
                    default=os.environ.get("WARVOICES_ARCHIVE") or Path(__file__).resolve().parents[2] / "shared" / "archive")
    ap.add_argument("--toy", action="store_true", help="use the invented toy corpus even if the archive exists")
    ap.add_argument("--models", nargs="*", default=list(MODEL_NAMES))
    ap.add_argument("--resamples", type=int, default=1000)
    args = ap.parse_args(argv)

    from .run import result_path, run_baselines
    from .score import score_predictions

    use_archive = not args.toy and Path(args.archive).is_dir()
    records = _archive_records(Path(args.archive), args.sentences, 0) if use_archive else _toy(args.sentences)
    counts = {s: sum(r["split"] == s for r in records) for s in ("train", "validation", "test")}
    print(f"corpus: {'archive sentences, random labels' if use_archive else 'toy'}; {counts}")
    with tempfile.TemporaryDirectory() as tmp:
        data = write_records_dataset(records, Path(tmp) / "ds")
        results = Path(tmp) / "results"
        print(f"{'model':<10} {'wall s':>8} {'train s':>8} {'select s':>9} {'predict s':>10}")
        for m in args.models:
            why = unavailable(m)
            if why:
                print(f"{m:<10} skipped: {why}")
                continue
            start = time.perf_counter()
            run_baselines(data, results, models=[m], n_resamples=args.resamples, cache_dir=Path(tmp) / "cache",
                          progress=False, log=lambda msg: None)
            wall = time.perf_counter() - start
            task = "attribution" if m == "rules" else "stance"
            t = json.loads(result_path(results, task, m).read_text())["times"]
            print(f"{m:<10} {wall:>8.1f} {t['train_seconds']:>8.1f} {t['select_seconds']:>9.1f} {t['predict_seconds']:>10.2f}")
        test = [r for r in records if r["split"] == "test"]
        preds = [{"id": r["id"], **{f.name: f.label_names[0] for f in load_schema().choice_fields}} for r in test]
        start = time.perf_counter()
        score_predictions(preds, data, "test", n_resamples=args.resamples)
        print(f"scorer: {len(test)} test sentences, all fields, {args.resamples} resamples: "
              f"{time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
