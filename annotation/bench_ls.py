"""Benchmark: push and pull of a large batch (default 10,000 tasks) against a real Label Studio.

    python -m warvoices.annotation.bench_ls [--tasks 10000] [--template DIR] [--tracemalloc]

Builds an invented corpus (sentences generated from word lists, never archive text) in a
temporary directory, starts a server on a free port (on a copy of --template, an already
migrated data directory, if given; otherwise on a fresh one, which first migrates for ~30 s),
and measures, in this process:

  push      the first push of the whole batch (task data built from the store, chunked imports)
  re-push   the same push again (lists every task, imports nothing)
  raw database  the read a pull now makes (ls_client.DatabaseReader's query over the server's
            SQLite database), rows only, nothing parsed: the floor under the pull
  raw export  Label Studio's own JSON export of the pull batch's project, bytes only: the floor
            under the old path (and under any pull through the API)
  pull      `warvoices annotate pull` in its own process: read + validation + one atomic write
            of annotations.jsonl, of a batch whose every task has one annotation (imported with
            the tasks as set-up; see the comment there); peak RSS is that process's own
  re-pull   the same command again (adds nothing)
  pull via export  the first pull again, into an emptied annotations.jsonl, through the JSON
            export (WARVOICES_LS_READ=export); the file it writes must equal the first pull's

For each: wall time, tasks per second, and the process's peak RSS so far (ru_maxrss); with
--tracemalloc also the peak of Python allocations during the step (slower). Machine facts and
the command line are printed first. The server is always stopped at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from warvoices.corpus.bench_scale import _CLI, run_child
from warvoices.corpus.store import Store, sentence_id, sha256_text, short_hash
from warvoices.corpus.texts import TextLoader
from warvoices.corpus.textview import sentence_texts

from . import ls_server
from warvoices.corpus.batch_manifests import load_manifest
from .ls_client import READ_ENV, DatabaseReader, connect
from .ls_push import push_batch
from .ls_results import to_result
from .ls_users import add_annotator, load_users
from warvoices.corpus.schema import load_schema
from warvoices.corpus.store import atomic_write_text

# word lists for invented sentences
_ORGS = ["harbour committee", "grain office", "town council", "rail authority", "water board", "school board",
         "regional court", "weather service", "border post", "library trust"]
_TOWNS = ["Volnovo", "Lisova", "Brenk", "Ostrava Nova", "Kalyn", "Tesmar", "Dubrava", "Hollin", "Perovo", "Ilmen"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_ACTS = ["would reopen the northern pier", "had delayed the ferry timetable", "approved funds for two shelters",
         "expected three barges by noon", "would inspect the bridge", "received twelve trucks of flour",
         "postponed the vote", "reported no damage", "asked residents to stay indoors", "restored the water supply"]
PER_ARTICLE = 50


def invented_corpus(root: Path, n: int, seed: int = 7) -> tuple[Store, Path, list[str]]:
    rng = random.Random(seed)
    archive = root / "archive"
    archive.mkdir(parents=True)
    store = Store(root / "store")
    arts, sents, recs = [], [], []
    for a in range((n + PER_ARTICLE - 1) // PER_ARTICLE):
        aid = f"bench-2024-01-01-{a:08x}"
        k = min(PER_ARTICLE, n - a * PER_ARTICLE)
        sentences = [f"The {rng.choice(_ORGS)} of {rng.choice(_TOWNS)} said on {rng.choice(_DAYS)} that it "
                     f"{rng.choice(_ACTS)} ({a}.{i})." for i in range(k)]
        text = " ".join(sentences)
        recs.append(json.dumps({"id": aid, "text": text}))
        arts.append({"article_id": aid, "publisher": "Bench Wire", "publisher_type": "news", "url": None,
                     "date": "2024-01-01", "title": f"Invented bulletin {a}", "license": "invented",
                     "sha256": sha256_text(text), "split": "train", "exclude": [], "layout": "plain",
                     "text_source": {"archive_file": "bench.jsonl", "archive_id": aid}})
        pos = 0
        for i, s in enumerate(sentences):
            start = text.index(s, pos)
            pos = start + len(s)
            sents.append({"sentence_id": sentence_id(aid, i), "article_id": aid, "index": i, "start": start,
                          "end": pos, "kind": "body", "speaker_span": None, "flags": [], "text_hash": short_hash(s)})
    (archive / "bench.jsonl").write_text("\n".join(recs) + "\n", encoding="utf-8")
    store.write_articles(arts)
    store.write_sentences(sents)
    return store, archive, [a["article_id"] for a in arts]


def raw_export_seconds(client, project: int, repeat: int = 2) -> float:
    """Wall time of Label Studio's JSON export of one project, the response read as bytes and
    nothing parsed: the floor under any pull."""
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        resp = client.request("GET", f"/api/projects/{int(project)}/export", params={"exportType": "JSON"})
        len(resp.content)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best


def raw_database_seconds(client, project: int, repeat: int = 2) -> float:
    """Wall time of the query a pull makes on the server's database, rows fetched and nothing
    parsed: the floor under a pull that reads the database."""
    reader = DatabaseReader(client.database(), client)
    if not reader.usable(project):
        raise SystemExit(f"the server's database cannot be read: {reader.why_not}")
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        db = reader._connect()
        try:
            n = sum(1 for _ in db.execute(reader._QUERY, (int(project),)))
        finally:
            db.close()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def timed(label: str, n: int, fn, use_tracemalloc: bool):
    if use_tracemalloc:
        tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    extra = ""
    if use_tracemalloc:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        extra = f"  python-alloc peak {peak / 2**20:7.1f} MB"
    print(f"{label:<10} {n:>6} tasks  {dt:8.2f} s  {n / dt:9.1f} tasks/s  peak RSS {peak_rss_mb():7.1f} MB{extra}",
          flush=True)
    return out


def machine_info() -> str:
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 2**20:.1f} GiB RAM"
    except OSError:
        pass
    cpu = platform.processor() or ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} CPU(s) {cpu}{mem}; Python "
            f"{platform.python_version()}; load average {os.getloadavg()[0]:.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m warvoices.annotation.bench_ls", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=10_000, help="sentences in the batch (default: %(default)s)")
    ap.add_argument("--template", type=Path, default=None,
                    help="an already migrated Label Studio data directory to copy (saves the ~30 s first start)")
    ap.add_argument("--chunk", type=int, default=500, help="tasks per import request (default: %(default)s)")
    ap.add_argument("--sample", type=int, default=50, help="annotations submitted one by one to time a POST")
    ap.add_argument("--tracemalloc", action="store_true", help="also report Python allocation peaks (slower)")
    ap.add_argument("--json", type=Path, default=None, metavar="FILE",
                    help="also write the figures and targets to FILE (e.g. annotation/bench_ls.json)")
    args = ap.parse_args(argv)

    command = " ".join(["python", "-m", "warvoices.annotation.bench_ls", *(argv if argv is not None else sys.argv[1:])])
    print("command:", command)
    print("machine:", machine_info())
    work = Path(tempfile.mkdtemp(prefix="wv-bench-ls-"))
    data = work / "ls"
    try:
        t0 = time.perf_counter()
        store, archive, articles = invented_corpus(work / "corpus", args.tasks)
        print(f"corpus:    {args.tasks} invented sentences in {len(articles)} articles ({time.perf_counter() - t0:.1f} s)")
        if args.template:
            shutil.copytree(args.template, data)
        t0 = time.perf_counter()
        state = ls_server.start(data, port=0, echo=lambda *_: None)
        print(f"server:    Label Studio {state.ls_version} at {state.url}, started in {time.perf_counter() - t0:.1f} s "
              f"({'copied template' if args.template else 'fresh data directory, with migrations'})", flush=True)
        paths = ls_server.Paths(data.resolve())
        loader = TextLoader(archive)
        with connect(data) as client:
            # the benchmark's annotator is the admin account itself (mapped, not created)
            add_annotator(client, paths, "bench", email=state.admin_email)
            users = {"bench": load_users(paths)["bench"]}
            timed("push", args.tasks, lambda: push_batch(client, store, loader, "bench", articles, users,
                                                         chunk=args.chunk, progress=False), args.tracemalloc)
            timed("re-push", args.tasks, lambda: push_batch(client, store, loader, "bench", None, users,
                                                            progress=False), args.tracemalloc)
            schema = load_schema()
            labels = {f.name: f.label_names[0] for f in schema.choice_fields}

            def answer(text: str) -> list[dict]:
                return to_result(labels, [[4, 4 + len(text.split()[1])]], text)

            # How long one annotation takes to submit through the API (what an annotator's click costs).
            tasks = load_manifest(store, "bench")["projects"]["bench"]["tasks"]
            texts = sentence_texts(store, loader, articles)
            sample = list(tasks.items())[:args.sample]
            t0 = time.perf_counter()
            for sid, tid in sample:
                client.create_annotation(tid, answer(texts[sid]), lead_time=3.0)
            per = (time.perf_counter() - t0) / max(1, len(sample))
            print(f"(one annotation POST: {per * 1000:.0f} ms on average over {len(sample)}, sequential)", flush=True)

            # Set-up of the pull benchmark: submitting 10,000 annotations one POST at a time would take
            # longer than everything measured here, so batch bench-pull is pushed through the same code
            # with one annotation per task attached inline to the import (completed by the admin, who is
            # annotator `bench`). Only the pull that follows is measured.
            real_import = client.import_tasks

            def import_annotated(project, chunk):
                return real_import(project, [dict(t, annotations=[{"result": answer(t["data"]["text"]),
                                                                   "lead_time": 3.0}]) for t in chunk])

            client.import_tasks = import_annotated
            t0 = time.perf_counter()
            push_batch(client, store, loader, "bench-pull", articles, users, chunk=args.chunk, progress=False)
            client.import_tasks = real_import
            print(f"(set-up: batch bench-pull with {args.tasks} annotated tasks imported in "
                  f"{time.perf_counter() - t0:.1f} s)", flush=True)
            project = load_manifest(store, "bench-pull")["projects"]["bench"]["project"]
            db_s = raw_database_seconds(client, project)
            print(f"{'raw database':<10} {args.tasks:>6} tasks  {db_s:8.2f} s  (the query a pull makes on the "
                  "server's SQLite database, the floor: rows only, best of 2)", flush=True)
            export_s = raw_export_seconds(client, project)
            print(f"{'raw export':<10} {args.tasks:>6} tasks  {export_s:8.2f} s  (Label Studio's own export, the "
                  "floor of the old path: bytes only, best of 2)", flush=True)
            # pull and re-pull run as the command a user types, each in its own process, so each
            # step's peak RSS is its own (wait4) and includes what the command imports
            cli = ["annotate", "pull", "--batch", "bench-pull", "--store", str(store.root), "--archive", str(archive),
                   "--data-dir", str(data), "--no-progress"]
            steps = {}
            ann_path = store.path("annotations.jsonl")
            first = b""
            for label in ("pull", "re-pull", "pull via export"):
                if label == "pull via export":
                    first = ann_path.read_bytes()
                    ann_path.unlink()  # a first pull again, through the other path
                    os.environ[READ_ENV] = "export"
                try:
                    step = run_child([sys.executable, "-c", _CLI] + cli)
                finally:
                    os.environ.pop(READ_ENV, None)
                if step["exit"] != 0:
                    raise SystemExit(f"{label} failed (exit {step['exit']}):\n{step['stderr'][-2000:]}")
                steps[label] = step
                print(f"{label:<10} {args.tasks:>6} tasks  {step['seconds']:8.2f} s  {args.tasks / step['seconds']:9.1f} "
                      f"tasks/s  peak RSS {step['peak_rss_mb']:7.1f} MB  (own process; load {step['load_avg_1min']})",
                      flush=True)
            added = sum(1 for _ in open(ann_path, encoding="utf-8"))
            if added != args.tasks:
                raise SystemExit(f"{added} annotations stored, expected {args.tasks}")
            same = ann_path.read_bytes() == first
            if not same:
                raise SystemExit("the pull via the export wrote a different annotations.jsonl than the pull via "
                                 "the database")
            print(f"same annotations.jsonl from both paths: {same}")
            print(f"where the time of pull goes: reading Label Studio's database {db_s:.2f} s (floor), the rest "
                  f"{steps['pull']['seconds'] - db_s:.2f} s (start-up and imports, parse, validation, one write); "
                  f"through the export: Label Studio's export {export_s:.2f} s (floor), pull "
                  f"{steps['pull via export']['seconds']:.2f} s")
            targets = [
                {"target": f"pull {args.tasks:,} tasks ≤ 10 s", "measured": f"{steps['pull']['seconds']} s",
                 "floor": f"raw database read {db_s:.2f} s; raw export {export_s:.2f} s (pull via export "
                          f"{steps['pull via export']['seconds']} s)",
                 "met": steps["pull"]["seconds"] <= 10},
                {"target": "peak RSS < 200 MB on pull", "measured": f"{steps['pull']['peak_rss_mb']} MB",
                 "floor": "–", "met": steps["pull"]["peak_rss_mb"] < 200},
                {"target": "peak RSS < 200 MB on re-pull", "measured": f"{steps['re-pull']['peak_rss_mb']} MB",
                 "floor": "–", "met": steps["re-pull"]["peak_rss_mb"] < 200},
            ]
            for t in targets:
                print(f"target: {t['target']:<34} measured {t['measured']:<10} floor {t['floor']:<22} "
                      f"{'met' if t['met'] else 'NOT met'}")
            result = {"command": command, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                      "machine": machine_info(), "load_avg_1min": round(os.getloadavg()[0], 2),
                      "raw_export_seconds": round(export_s, 2), "raw_database_seconds": round(db_s, 3),
                      "same_records_both_paths": same,
                      "steps": {k: {x: v[x] for x in ("seconds", "peak_rss_mb", "load_avg_1min")} for k, v in steps.items()},
                      "targets": targets}
        size = store.path("annotations.jsonl").stat().st_size
        print(f"annotations.jsonl: {args.tasks} records, {size / 2**20:.1f} MB")
        if args.json:
            atomic_write_text(args.json, json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    finally:
        if (data / "warvoices" / "server.json").exists():
            print(ls_server.stop(data))
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
