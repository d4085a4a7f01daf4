"""Benchmark: `annotate prelabel` throughput at 1 and 2 workers on this machine (not a test).

    python -m warvoices.annotation.bench_prelabel --archive ../shared/archive --shards 8 \
        --json annotation/bench_prelabel.json

Writes a collection of SHARDS JSON Lines shards to a temporary folder (every archive record
registered in the store: id, text, layout; nothing is copied into the repository), builds the
dataset into a temporary folder to train the baseline (tfidf_lr) once, then times `run_prelabel`
(segment + predict + write Parquet) with the plain loop (1 worker) and a local Dask cluster of
2 worker processes (cluster start-up included). The machine is shared: the load average is
recorded with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from warvoices.corpus.bench_corpus import machine
from warvoices.corpus.build import build
from warvoices.corpus.store import Store
from warvoices.corpus.texts import TextLoader, resolve_archive

from .prelabel import find_shards, run_prelabel
from warvoices.corpus.store import atomic_write_text


def write_collection(folder: Path, loader: TextLoader, n_shards: int) -> dict:
    arts = sorted((a for a in Store().articles().values() if "archive_file" in a["text_source"]),
                  key=lambda a: a["article_id"])
    folder.mkdir(parents=True)
    handles = [(folder / f"part-{i:03d}.jsonl").open("w", encoding="utf-8") for i in range(n_shards)]
    chars = 0
    try:
        for i, a in enumerate(arts):
            text = loader.text(a)
            chars += len(text)
            handles[i % n_shards].write(json.dumps({"id": a["article_id"], "text": text,
                                                    "layout": a.get("layout", "plain")}) + "\n")
    finally:
        for h in handles:
            h.close()
    return {"documents": len(arts), "characters": chars,
            "megabytes": round(sum(p.stat().st_size for p in folder.iterdir()) / 1e6, 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", type=Path, default=None, help="archive dir (default: $WARVOICES_ARCHIVE)")
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--model", default="tfidf_lr")
    ap.add_argument("--json", type=Path, help="write the figures to this JSON file")
    args = ap.parse_args(argv)
    archive = resolve_archive(args.archive)
    if archive is None:
        ap.error("needs the archive: --archive DIR or WARVOICES_ARCHIVE")
    from warvoices.baselines.preannotate import train_for_preannotation

    loader = TextLoader(archive)
    work = Path(tempfile.mkdtemp(prefix="wv-prelabel-"))
    try:
        coll = write_collection(work / "collection", loader, args.shards)
        build(Store(), loader, work / "dataset", progress=False)
        model = train_for_preannotation(args.model, data=work / "dataset")
        shards = find_shards(work / "collection")
        runs = []
        for workers in (1, 2):
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            res = run_prelabel(shards, work / f"out-{workers}", model, workers=workers, progress=False)
            dt = time.perf_counter() - t0
            units = sum(r["units"] for r in res)
            runs.append({"workers": workers, "engine": "loop" if workers == 1 else "dask LocalCluster",
                         "seconds": round(dt, 2), "units": units, "documents_per_s": round(coll["documents"] / dt, 1),
                         "units_per_s": round(units / dt), "mb_per_s": round(coll["megabytes"] / dt, 2),
                         "load_avg_1min": round(load, 2)})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {"command": " ".join(["python", "-m", "warvoices.annotation.bench_prelabel"]
                                  + (argv if argv is not None else sys.argv[1:])),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
              "model": model.name, "collection": {**coll, "shards": args.shards}, "runs": runs,
              "speedup_2_vs_1": round(runs[0]["seconds"] / runs[1]["seconds"], 2)}
    print(json.dumps(result, indent=1))
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
