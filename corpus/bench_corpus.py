"""Benchmark: segmentation and build throughput on the whole archive (not a test).

    python -m warvoices.corpus.bench_corpus --archive ../shared/archive [--repeat 3]

Measures, on this machine: (1) segmenting every registered article whose text is available
(sentences per second, MB per second) against its floor, raw sentencex over the same texts, (2)
a full `build` of the committed store into a temporary folder (sentences per second), and peak
memory (max RSS of this process, and the tracemalloc peak of Python allocations in one extra,
untimed run of each phase). Prints the machine and the command with the figures.

The segmenter and its floor run in turns (floor, segmenter, floor, segmenter, ...) so that other
jobs on a shared machine slow both alike; each keeps its best time, as wall time (the target's
measure) and as CPU time of this process (steadier when the machine is busy). The 1-minute load
average is recorded before and after.
"""
from __future__ import annotations

import argparse
import hashlib
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
from .segment import segment
from .sentences import records_for
from .store import Store
from .texts import TextLoader, resolve_archive
from .store import atomic_write_text


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


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = None, None
    for _ in range(repeat):  # timed without tracemalloc, which slows Python code several-fold
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best, out


def _best_interleaved(fns: dict, repeat: int) -> tuple[dict, dict, dict]:
    """Best wall time, best CPU time and last result of each function, run in turns."""
    wall = {k: None for k in fns}
    cpu = {k: None for k in fns}
    out = {}
    for _ in range(repeat):
        for k, fn in fns.items():
            out[k] = None   # the previous run's result is not kept alive while timing the next
            t0, c0 = time.perf_counter(), time.process_time()
            out[k] = fn()
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            wall[k] = dt if wall[k] is None else min(wall[k], dt)
            cpu[k] = dc if cpu[k] is None else min(cpu[k], dc)
    return wall, cpu, out


SEGMENT_TARGET_RATIO = 5.0  # issue 12: the segmenter within 5x of raw sentencex


def bench_segment(store: Store, loader: TextLoader, repeat: int) -> dict:
    """The segmenter (`segment`, and `records_for` which also hashes each unit) against its floor,
    raw sentencex over the same texts, in this one process, best of `repeat` each."""
    import sentencex

    arts = [a for a in store.articles().values() if loader.available(a)]
    texts = [(a, loader.text(a)) for a in arts]
    chars = sum(len(t) for _, t in texts)
    mb = sum(len(t.encode("utf-8")) for _, t in texts) / 1e6
    wall, cpu, out = _best_interleaved({
        "raw": lambda: sum(sum(1 for _ in sentencex.segment("en", t)) for _, t in texts),
        "segment": lambda: [segment(t, layout=a.get("layout", "plain"),
                                    exclude=[tuple(r) for r in a.get("exclude", [])]) for a, t in texts]}, repeat)
    raw_s, seg_s, raw_n, units = wall["raw"], wall["segment"], out["raw"], out["segment"]
    rec_s, _ = _best(lambda: [records_for(a, t) for a, t in texts], repeat)
    n = sum(len(u) for u in units)
    # a fingerprint of every unit of every article: equal before and after a speed change
    digest = hashlib.sha256(json.dumps([[a["article_id"], [(u.start, u.end, u.kind, u.speaker_span, u.flags) for u in us]]
                                        for (a, _), us in zip(texts, units)]).encode()).hexdigest()[:16]
    tracemalloc.start()
    for a, t in texts:
        records_for(a, t)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ratio = seg_s / raw_s
    cpu_ratio = cpu["segment"] / cpu["raw"]
    return {"articles": len(texts), "characters": chars, "megabytes_utf8": round(mb, 2), "units": n,
            "units_digest": digest,
            "floor_raw_sentencex": {"seconds_best": round(raw_s, 3), "cpu_seconds_best": round(cpu["raw"], 3),
                                    "mb_per_s": round(mb / raw_s, 1), "sentences": raw_n},
            "segment": {"seconds_best": round(seg_s, 3), "cpu_seconds_best": round(cpu["segment"], 3),
                        "mb_per_s": round(mb / seg_s, 2), "units_per_s": round(n / seg_s)},
            "records_for": {"seconds_best": round(rec_s, 3), "mb_per_s": round(mb / rec_s, 2)},
            "ratio_to_sentencex": round(ratio, 2), "ratio_to_sentencex_cpu": round(cpu_ratio, 2),
            "target_ratio": SEGMENT_TARGET_RATIO,
            "target_met": ratio <= SEGMENT_TARGET_RATIO,
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
    load_before = round(os.getloadavg()[0], 2)
    result = {"command": " ".join([Path(sys.executable).name, "-m", "warvoices.corpus.bench_corpus"] + (argv or sys.argv[1:])),
              "machine": machine(), "segment": bench_segment(store, loader, args.repeat),
              "build": bench_build(store, loader, args.repeat), "max_rss_mb": round(max_rss_mb(), 1),
              "load_avg_1min": round(os.getloadavg()[0], 2), "load_avg_1min_before": load_before}
    print(json.dumps(result, indent=1))
    seg = result["segment"]
    print(f"segment: {seg['segment']['mb_per_s']} MB/s vs raw sentencex {seg['floor_raw_sentencex']['mb_per_s']} MB/s "
          f"(floor): {seg['ratio_to_sentencex']}x wall time ({seg['ratio_to_sentencex_cpu']}x CPU time), "
          f"target <= {seg['target_ratio']}x: {'met' if seg['target_met'] else 'NOT met'}; "
          f"load average {result['load_avg_1min_before']} before, {result['load_avg_1min']} after")
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
