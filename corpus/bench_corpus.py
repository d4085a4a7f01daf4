"""Benchmark: segmentation and build throughput on the whole archive (not a test).

    python -m warvoices.corpus.bench_corpus --archive ../shared/archive [--repeat 3]

Measures, on this machine: (1) segmenting every registered article whose text is available
(sentences per second, MB per second), (2) a full `build` of the committed store into a temporary
folder (sentences per second), and peak memory (max RSS of this process, and the tracemalloc
peak of Python allocations in one extra, untimed run of each phase). Prints the machine and the command with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from .build import build
from .sentences import records_for
from .store import Store
from .texts import TextLoader, resolve_archive


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"python": platform.python_version(), "platform": platform.platform(), "cpu": cpu,
            "cores": os.cpu_count()}


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_segment(store: Store, loader: TextLoader, repeat: int) -> dict:
    arts = [a for a in store.articles().values() if loader.available(a)]
    texts = [(a, loader.text(a)) for a in arts]
    chars = sum(len(t) for _, t in texts)
    best = None
    n = 0
    for _ in range(repeat):  # timed without tracemalloc, which slows Python code several-fold
        t0 = time.perf_counter()
        n = sum(len(records_for(a, t)) for a, t in texts)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    tracemalloc.start()
    for a, t in texts:
        records_for(a, t)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"articles": len(texts), "characters": chars, "sentences": n, "seconds_best": round(best, 3),
            "sentences_per_s": round(n / best), "mb_per_s": round(chars / 1e6 / best, 2),
            "tracemalloc_peak_mb": round(peak / 1e6, 1)}


def bench_build(store: Store, loader: TextLoader, repeat: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="wv-bench-"))
    try:
        best = None
        rows = 0
        for i in range(repeat):
            t0 = time.perf_counter()
            report = build(store, loader, tmp / f"d{i}", progress=False)
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
            rows = sum(report.rows.values())
        tracemalloc.start()
        build(store, loader, tmp / "traced", progress=False)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"sentences": rows, "seconds_best": round(best, 3), "sentences_per_s": round(rows / best),
                "tracemalloc_peak_mb": round(peak / 1e6, 1)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", type=Path, default=None, help="archive dir (default: $WARVOICES_ARCHIVE)")
    ap.add_argument("--store", type=Path, default=None, help="store dir (default: the committed corpus/data)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per phase; the best time is reported")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    archive = resolve_archive(args.archive)
    if archive is None:
        ap.error("needs the archive: --archive DIR or WARVOICES_ARCHIVE")
    store = Store(args.store) if args.store else Store()
    loader = TextLoader(archive)
    result = {"command": " ".join([Path(sys.executable).name, "-m", "warvoices.corpus.bench_corpus"] + (argv or sys.argv[1:])),
              "machine": machine(), "segment": bench_segment(store, loader, args.repeat),
              "build": bench_build(store, loader, args.repeat), "max_rss_mb": round(max_rss_mb(), 1)}
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
