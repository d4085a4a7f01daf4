"""Benchmark: how long the scorer and each baseline take at a given corpus size, on 2 threads.

    python -m warvoices.baselines.bench_baselines [--sentences 5000] [--archive DIR] [--models ...]
                                                  [--score-sentences 2000] [--scorer-only]

The scorer's fast path comes first: a --score-sentences test file (every field, spans included)
with --resamples resamples, overall and with every slice of --by publisher_type and --by
headline; the goal is under 5 s for 2,000 sentences and 1,000 resamples. The output of the last
run is committed as baselines/bench_baselines.txt (machine, load and command included).

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

from warvoices.corpus.schema import load_schema

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


def _scorer_records(base: list[dict], n: int, seed: int) -> list[dict]:
    """n test sentences (20 per article) with random labels, spans and voices, for the scorer timing."""
    schema = load_schema()
    rng = random.Random(seed)
    voices = [("ukraine_official", "UKR", "party_ukraine"), ("russia_official", "RUS", "party_russia"),
              ("us_official", "USA", "ukraine_ally"), ("news", None, None)] + \
        [("un_general_debate", f"S{k:02d}", rng.choice(["ukraine_ally", "russia_ally", "non_aligned"]))
         for k in range(30)]
    out = []
    for k in range(n):
        src = base[k % len(base)]
        a = k // SENTENCES_PER_ARTICLE
        ptype, country, alignment = voices[a % len(voices)]
        text = src["text"]
        rec = {"id": f"t{a:05d}-s{k % SENTENCES_PER_ARTICLE:04d}", "article_id": f"t{a:05d}", "split": "test",
               "text": text, "publisher_type": ptype, "country": country, "country_alignment": alignment,
               "source_spans": [[0, min(5, len(text))]] if rng.random() < 0.3 else []}
        for f in schema.choice_fields:
            rec[f.name] = rng.choice(f.label_names)
        out.append(rec)
    out.append({**out[0], "id": "train-s0000", "article_id": "train", "split": "train"})
    return out


def _random_predictions(records: list[dict], seed: int) -> list[dict]:
    schema = load_schema()
    rng = random.Random(seed + 1)
    return [{"id": r["id"], **{f.name: rng.choice(f.label_names) for f in schema.choice_fields},
             "source_spans": [[0, min(4, len(r["text"]))]] if rng.random() < 0.3 else []}
            for r in records if r["split"] == "test"]


def bench_scorer(records: list[dict], n: int, resamples: int, tmp: Path) -> None:
    """The fast path: score an n-sentence test file (every field, spans included) with `resamples`."""
    from .gold import load_split
    from .score import score_predictions

    recs = _scorer_records(records, n, 0)
    data = write_records_dataset(recs, tmp / "score-ds")
    preds = _random_predictions(recs, 0)
    path = tmp / "preds.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in preds), encoding="utf-8")
    gold = load_split(data, "test")
    score_predictions(path, gold, "test", n_resamples=10)  # warm-up (imports)
    for by in (None, "publisher_type", "headline"):
        start = time.perf_counter()
        rep = score_predictions(path, gold, "test", n_resamples=resamples, by=by,
                                train=load_split(data, "train") if by == "headline" else None)
        secs = time.perf_counter() - start
        what = "overall" if by is None else f"overall + every slice of --by {by} ({len(rep['slices']['slices'])} slices)"
        print(f"scorer: {rep['n_sentences']} test sentences in {rep['n_articles']} articles, all fields, "
              f"{resamples} resamples, {what}: {secs:.2f} s (limit 5 s)")
    start = time.perf_counter()
    load_split(data, "test")
    print(f"  (reading the split from the built dataset, not included above: {time.perf_counter() - start:.2f} s)")


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
    ap.add_argument("--score-sentences", type=int, default=2000,
                    help="size of the test file of the scorer timing (default 2000)")
    ap.add_argument("--scorer-only", action="store_true", help="time the scorer only, no models")
    args = ap.parse_args(argv)

    from .run import result_path, run_baselines

    use_archive = not args.toy and Path(args.archive).is_dir()
    records = _archive_records(Path(args.archive), args.sentences, 0) if use_archive else _toy(args.sentences)
    import platform
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (the machine may be shared)")
    print(f"command: python -m warvoices.baselines.bench_baselines {' '.join(argv if argv is not None else sys.argv[1:])}")
    counts = {s: sum(r["split"] == s for r in records) for s in ("train", "validation", "test")}
    print(f"corpus: {'archive sentences, random labels' if use_archive else 'toy'}; {counts}")
    with tempfile.TemporaryDirectory() as tmp:
        bench_scorer(records, args.score_sentences, args.resamples, Path(tmp))
        if args.scorer_only:
            return 0
        data = write_records_dataset(records, Path(tmp) / "ds")
        results = Path(tmp) / "results"
        print(f"{'model':<14} {'wall s':>8} {'train s':>8} {'select s':>9} {'predict s':>10}")
        for m in args.models:
            why = unavailable(m)
            if why:
                print(f"{m:<14} skipped: {why}")
                continue
            start = time.perf_counter()
            run_baselines(data, results, models=[m], n_resamples=args.resamples, cache_dir=Path(tmp) / "cache",
                          progress=False, log=lambda msg: None, annotators=False)
            wall = time.perf_counter() - start
            tasks = ["attribution"] if m == "rules" else [t.name for t in load_schema().tasks]
            ts = [json.loads(result_path(results, t, m).read_text())["times"] for t in tasks
                  if result_path(results, t, m).exists()]
            # features are shared by a model's tasks (counted in each); fine-tuning trains per task
            train = sum(t["train_seconds"] for t in ts) if m == "minilm_ft" else ts[0]["train_seconds"]
            pred = sum(t["predict_seconds"] for t in ts) if m == "minilm_ft" else ts[0]["predict_seconds"]
            print(f"{m:<14} {wall:>8.1f} {train:>8.1f} {ts[0]['select_seconds']:>9.1f} {pred:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
