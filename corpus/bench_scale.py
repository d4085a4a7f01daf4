"""Benchmark: cost growth of `corpus segment`, `corpus validate`, `build` and a cold `load_dataset`
with the size of the store (not a test).

    python -m warvoices.corpus.bench_scale --archive ../shared/archive \
        --units 10000 100000 1000000 --json corpus/bench_scale.json

For each size N it writes, OUTSIDE the repository (a temporary folder, removed afterwards), a store
of about N units made by replicating the committed store's archive articles under new ids
(`ARTICLE-rNNNNN`: same text record, checksum, layout and split; their annotations and final
labels replicated with the sentence ids). No text is copied: every replica points at the same
archive record, so the archive is read as usual. Then each step runs as its own child process of
the real CLI, and its wall time and peak RSS (from wait4, that child alone) are recorded:

    segment   warvoices corpus segment --store S --archive A --no-progress
    validate  warvoices corpus validate --store S --archive A --no-progress
    build     warvoices build --store S --archive A --out D --no-progress
    load      datasets.load_dataset(D) with an empty cache folder (a cold load)

Targets (issue 12): build <= 60 s and <= 2 GB peak RSS, validate <= 30 s at 1,000,000 units.
The load average is recorded before each step: this machine is shared, so figures are noisy.
`warvoices generate` renders the committed JSON as the README's scaling table.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .bench_corpus import machine
from .store import ANNOTATIONS, ARTICLES, FINAL, PACKAGE_DIR, SENTENCES, SUPERSEDED, Store, dumps, read_jsonl
from .texts import resolve_archive

RESULT = PACKAGE_DIR / "bench_scale.json"
TARGETS = {"build": {"seconds": 60, "peak_rss_mb": 2048}, "validate": {"seconds": 30}}
_CLI = "import sys; from warvoices.corpus.cli import main; sys.exit(main(sys.argv[1:]))"
_LOAD = """import json, sys, time
t0 = time.perf_counter()
import datasets
from .store import atomic_write_text
datasets.disable_progress_bars()
ds = datasets.load_dataset(sys.argv[1], cache_dir=sys.argv[2])
rows = sum(d.num_rows for d in ds.values())
print(json.dumps({"rows": rows, "seconds_in_child": round(time.perf_counter() - t0, 2)}))
"""


def make_store(src: Store, root: Path, units: int) -> dict:
    """A store of about `units` units replicating `src`'s archive articles; returns its size."""
    per_article: dict[str, int] = {}
    for rec in src.iter_records(SENTENCES):
        if rec.get("status") != SUPERSEDED:   # re-segmentation history is not a unit
            per_article[rec["article_id"]] = per_article.get(rec["article_id"], 0) + 1
    articles = [a for a in src.articles().values()
                if "archive_file" in a["text_source"] and per_article.get(a["article_id"])]
    labelled = {}
    for rec in src.iter_records(FINAL):
        labelled.setdefault(rec["sentence_id"].rsplit("-s", 1)[0], []).append(rec)
    anns = {}
    for rec in src.iter_records(ANNOTATIONS):
        anns.setdefault(rec["sentence_id"].rsplit("-s", 1)[0], []).append(rec)
    root.mkdir(parents=True, exist_ok=True)
    n_units = n_articles = 0
    replica = 0
    out_articles, out_anns, out_finals = [], [], []
    while n_units < units:
        for art in articles:
            if n_units >= units:
                break
            aid = art["article_id"]
            new = f"{aid}-r{replica:05d}"
            out_articles.append(dumps(dict(art, article_id=new)) + "\n")
            # labels follow their sentence ids (ARTICLE-sNNNN -> ARTICLE-rNNNNN-sNNNN)
            for rec in anns.get(aid, []):
                out_anns.append(dumps(dict(rec, sentence_id=new + rec["sentence_id"][len(aid):],
                                           annotation_id=f"{rec['annotation_id']}-r{replica:05d}")) + "\n")
            for rec in labelled.get(aid, []):
                out_finals.append(dumps(dict(rec, sentence_id=new + rec["sentence_id"][len(aid):],
                                             annotation_ids=[f"{x}-r{replica:05d}" for x in rec.get("annotation_ids", [])]))
                                  + "\n")
            n_units += per_article[aid]
            n_articles += 1
        replica += 1
    # canonical order (the store's own): sorted by article id, by sentence id for labels
    (root / ARTICLES).write_text("".join(sorted(out_articles)), encoding="utf-8")
    (root / ANNOTATIONS).write_text("".join(sorted(out_anns)), encoding="utf-8")
    (root / FINAL).write_text("".join(sorted(out_finals)), encoding="utf-8")
    (root / SENTENCES).write_text("", encoding="utf-8")
    return {"articles": n_articles, "units_planned": n_units, "annotations": len(out_anns), "finals": len(out_finals)}


def run_child(args: list[str]) -> dict:
    """Run a child process; its wall time and its own peak RSS (wait4), stdout kept for parsing."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        dt = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    return {"seconds": round(dt, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "load_avg_1min": round(load, 2),
            "exit": proc.returncode, "stdout": stdout, "stderr": stderr}


def bench_size(units: int, archive: Path, workdir: Path) -> dict:
    store = workdir / f"store-{units}"
    made = make_store(Store(), store, units)
    cli = [sys.executable, "-c", _CLI]
    common = ["--store", str(store), "--archive", str(archive), "--no-progress"]
    steps = {}
    steps["segment"] = run_child(cli + ["corpus", "segment"] + common)
    real_units = sum(1 for _, r in read_jsonl(store / SENTENCES) if r.get("status") != SUPERSEDED)
    steps["validate"] = run_child(cli + ["corpus", "validate"] + common)
    out = workdir / f"dataset-{units}"
    steps["build"] = run_child(cli + ["build"] + common + ["--out", str(out)])
    cache = workdir / f"hf-cache-{units}"
    steps["load_dataset"] = run_child([sys.executable, "-c", _LOAD, str(out), str(cache)])
    for name, step in steps.items():
        if step["exit"] != 0 and not (name == "validate" and step["exit"] == 1):
            raise SystemExit(f"step {name} at {units} units failed (exit {step['exit']}):\n{step['stderr'][-2000:]}")
    loaded = json.loads(steps["load_dataset"]["stdout"].strip().splitlines()[-1])
    steps["load_dataset"]["rows"] = loaded["rows"]
    steps["validate"]["summary"] = steps["validate"]["stdout"].strip().splitlines()[-1][:300] if steps["validate"]["stdout"].strip() else ""
    for step in steps.values():
        step.pop("stdout")
        step.pop("stderr")
    parquet_mb = sum(p.stat().st_size for p in out.rglob("*.parquet")) / 1e6
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    return {"units": real_units, **made, "parquet_mb": round(parquet_mb, 1), "steps": steps}


def verdicts(sizes: list[dict]) -> list[dict]:
    """The issue's targets at the largest size measured, met or not."""
    if not sizes:
        return []
    top = max(sizes, key=lambda s: s["units"])
    out = []
    for step, limits in TARGETS.items():
        for metric, limit in limits.items():
            got = top["steps"][step][metric]
            out.append({"step": step, "metric": metric, "target": limit, "measured": got, "units": top["units"],
                        "met": got <= limit})
    return out


def render_table(result: dict | None = None) -> str:
    """Markdown: time and peak RSS per step and size, then the targets (README performance section)."""
    if result is None:
        if not RESULT.exists():
            return "_No scaling run committed yet: run `python -m warvoices.corpus.bench_scale`._\n"
        result = json.loads(RESULT.read_text(encoding="utf-8"))
    sizes = sorted(result["sizes"], key=lambda s: s["units"])
    steps = ["segment", "validate", "build", "load_dataset"]
    head = "| units | articles | " + " | ".join(f"{s} s / MB" for s in steps) + " | Parquet MB |"
    lines = [head, "|" + "---|" * (len(steps) + 3)]
    for s in sizes:
        cells = [f"{s['steps'][k]['seconds']} / {s['steps'][k]['peak_rss_mb']:.0f}" for k in steps]
        lines.append(f"| {s['units']:,} | {s['articles']:,} | " + " | ".join(cells) + f" | {s['parquet_mb']} |")
    lines.append("")
    lines.append("| target (issue 12: at 1,000,000 units) | units measured | measured | met |")
    lines.append("|---|---|---|---|")
    for v in result.get("targets", []):
        unit = "s" if v["metric"] == "seconds" else "MB"
        met = ("yes" if v["met"] else "NO") if v["units"] >= 1_000_000 else "not run at 1M"
        lines.append(f"| {v['step']} ≤ {v['target']} {unit} | {v['units']:,} | {v['measured']} {unit} | {met} |")
    m = result["machine"]
    loads = [st["load_avg_1min"] for s in sizes for st in s["steps"].values()]
    lines.append("")
    lines.append(f"Seconds of wall time / peak RSS in MB of each step's own process; one run per size. "
                 f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, shared with other jobs "
                 f"(1-minute load average {min(loads):.1f}–{max(loads):.1f} during the run). "
                 f"Command: `{result['command']}` ({result['date']}).")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--archive", type=Path, default=None, help="archive dir (default: $WARVOICES_ARCHIVE)")
    ap.add_argument("--units", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                    help="store sizes to measure (units)")
    ap.add_argument("--workdir", type=Path, default=None, help="where stores are generated (default: a new /tmp folder)")
    ap.add_argument("--json", type=Path, help="write the figures to this JSON file (e.g. corpus/bench_scale.json)")
    args = ap.parse_args(argv)
    archive = resolve_archive(args.archive)
    if archive is None:
        ap.error("needs the archive: --archive DIR or WARVOICES_ARCHIVE")
    workdir = Path(tempfile.mkdtemp(prefix="wv-scale-", dir=args.workdir))
    command = " ".join(["python", "-m", "warvoices.corpus.bench_scale"] + (argv if argv is not None else sys.argv[1:]))
    sizes = []
    try:
        for n in sorted(args.units):
            print(f"{n} units ...", file=sys.stderr, flush=True)
            sizes.append(bench_size(n, archive, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {"command": command, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "machine": machine(), "sizes": sizes, "targets": verdicts(sizes)}
    print(render_table(result))
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
