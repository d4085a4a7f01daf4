"""`warvoices annotate prelabel --collection DIR --out DIR`: segment and pre-annotate an external
collection (a news crawl, say) with a baseline, shard by shard, ready for `annotate select`.

Input: shards in DIR, JSON Lines (`*.jsonl`) or Parquet (`*.parquet`), one text per record with at
least `id` and `text` (string); an optional `layout` (plain, news, un_debate) picks the
segmenter's layout, default plain. Output: one Parquet shard per input shard (same name,
`.parquet`) with one row per unit: `id` (`DOC-s0000`, ...), `doc_id`, `index`, `start`, `end`
(offsets into the record's text), `kind`, `text`, `speaker`, `flags`, then the chosen baseline's
prediction per schema field (`pred_<field>`: a label name, or [[start, end], ...] for span fields
relative to the unit), `score`, `model` and `version`; and `prelabel.json`, a manifest of shards,
counts, model and timing.

The work per shard is one function, `prelabel_shard`, used unchanged by both paths:
- `--workers 1` and no `--scheduler`: a plain loop in this process;
- `--workers N` (N > 1): a local Dask cluster of N single-threaded worker processes;
- `--scheduler ADDRESS` (e.g. tcp://10.0.0.5:8786): an existing Dask cluster. Start one with
  `dask scheduler` on one machine and `dask worker tcp://HOST:8786 --nthreads 1` on each of the
  others (each with WarVoices and the `scale` extra installed); `--collection` and `--out` must
  then be paths that every worker can read and write (a shared file system).
The baseline is trained once, here, and sent to every worker.

Why Dask and not Ray Data: Dask installs from PyPI as pure Python (`pip install 'warvoices[scale]'`,
no native runtime or object store to run), its local cluster is cheap on a 2-core machine, and it
maps plain Python functions over a list of shards, which is exactly the single-machine function.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from warvoices.corpus.errors import InputError, WarVoicesError
from warvoices.corpus.store import atomic_write_text, read_jsonl, sentence_id

SCALE_EXTRA = "scale"
MANIFEST = "prelabel.json"
ROWS_PER_GROUP = 4096


def find_shards(collection: Path) -> list[Path]:
    collection = Path(collection)
    if not collection.is_dir():
        raise InputError(f"collection {collection} is not a directory; pass the folder holding the "
                         "*.jsonl or *.parquet shards with --collection DIR")
    shards = sorted(p for p in collection.iterdir() if p.is_file() and p.suffix in (".jsonl", ".parquet"))
    if not shards:
        raise InputError(f"collection {collection} holds no *.jsonl or *.parquet shards")
    return shards


def read_shard(path: Path) -> list[dict]:
    """The shard's records (id, text, layout); a record without a string id or text is an
    InputError naming file and line (JSON Lines) or row (Parquet)."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(str(path))
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
        missing = [c for c in ("id", "text") if c not in table.column_names]
        if missing:
            raise InputError(f"{path}: no column {', '.join(missing)}; a shard needs `id` and `text`")
        cols = ["id", "text"] + (["layout"] if "layout" in table.column_names else [])
        rows = ((f"row {i}", r) for i, r in enumerate(table.select(cols).to_pylist()))
    else:
        rows = ((f"line {n}", r) for n, r in read_jsonl(path))
    out = []
    seen: set[str] = set()
    for where, rec in rows:
        doc_id, text = rec.get("id"), rec.get("text")
        if not isinstance(doc_id, str) or not doc_id or not isinstance(text, str):
            raise InputError(f"{path}: {where}: needs a non-empty string `id` and a string `text`")
        if doc_id in seen:
            raise InputError(f"{path}: {where}: id {doc_id!r} occurs twice in this shard")
        seen.add(doc_id)
        out.append({"id": doc_id, "text": text, "layout": rec.get("layout") or "plain"})
    return out


def units_of(doc: dict) -> list[dict]:
    """The document's units, as the corpus segmenter cuts them."""
    from warvoices.corpus.segment import segment

    text = doc["text"]
    try:
        units = segment(text, layout=doc["layout"])
    except InputError as exc:
        raise InputError(f"document {doc['id']}: {exc}") from None
    return [{"id": sentence_id(doc["id"], i), "doc_id": doc["id"], "index": i, "start": u.start, "end": u.end,
             "kind": u.kind, "text": text[u.start:u.end],
             "speaker": text[u.speaker_span[0]:u.speaker_span[1]] if u.speaker_span else None,
             "flags": list(u.flags)} for i, u in enumerate(units)]


def _arrow_schema(fields: list[tuple[str, str]]):
    import pyarrow as pa

    cols = [("id", pa.string()), ("doc_id", pa.string()), ("index", pa.int32()), ("start", pa.int64()),
            ("end", pa.int64()), ("kind", pa.string()), ("text", pa.string()), ("speaker", pa.string()),
            ("flags", pa.list_(pa.string()))]
    for name, kind in fields:
        cols.append((f"pred_{name}", pa.list_(pa.list_(pa.int64())) if kind == "spans" else pa.string()))
    cols += [("score", pa.float64()), ("model", pa.string()), ("version", pa.string())]
    return pa.schema(cols)


def prelabel_shard(shard: str | Path, out_dir: str | Path, model) -> dict:
    """Segment and pre-annotate one shard; write OUT_DIR/<shard name>.parquet atomically.
    The same function runs in the plain loop and on Dask workers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from warvoices.baselines.preannotate import predictions_for_label_studio

    t0 = time.perf_counter()
    shard, out_dir = Path(shard), Path(out_dir)
    docs = read_shard(shard)
    fields = [(f.name, f.kind) for f in model.schema.fields]
    schema = _arrow_schema(fields)
    out = out_dir / f"{shard.stem}.parquet"
    tmp = out_dir / f".{shard.stem}.parquet.{os.getpid()}.tmp"
    n_units = chars = 0
    try:
        with pq.ParquetWriter(str(tmp), schema) as writer:
            batch: list[dict] = []

            def flush() -> None:
                if not batch:
                    return
                preds = predictions_for_label_studio(model, batch)
                for row, p in zip(batch, preds):
                    for name, kind in fields:
                        row[f"pred_{name}"] = p.get(name) if kind == "spans" else p["labels"].get(name)
                    row.update(score=p["score"], model=p["model"], version=p["version"])
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch.clear()

            for doc in docs:
                chars += len(doc["text"])
                for unit in units_of(doc):
                    batch.append(unit)
                    n_units += 1
                    if len(batch) >= ROWS_PER_GROUP:
                        flush()
            flush()
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return {"shard": shard.name, "output": out.name, "documents": len(docs), "units": n_units,
            "characters": chars, "seconds": round(time.perf_counter() - t0, 3)}


def _dask_client(workers: int, scheduler: str | None):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise WarVoicesError(f"--workers > 1 and --scheduler need Dask, the optional extra `{SCALE_EXTRA}`: "
                             f"pip install 'warvoices[{SCALE_EXTRA}]' (or pip install 'dask[distributed]'); "
                             "--workers 1 runs without it") from None
    if scheduler:
        return Client(scheduler)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster)


def run_prelabel(shards: list[Path], out_dir: Path, model, workers: int = 1, scheduler: str | None = None,
                 progress: bool = True) -> list[dict]:
    """prelabel_shard over every shard: a plain loop, or Dask (local cluster or `scheduler`)."""
    from tqdm import tqdm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if workers <= 1 and not scheduler:
        return [prelabel_shard(s, out_dir, model) for s in tqdm(shards, desc="prelabel", unit="shard",
                                                                 disable=not progress)]
    from dask.distributed import as_completed

    client = _dask_client(workers, scheduler)
    try:
        remote_model = client.scatter(model, broadcast=True)
        futures = client.map(prelabel_shard, [str(s) for s in shards], out_dir=str(out_dir), model=remote_model,
                             pure=False)
        done = {}
        for fut in tqdm(as_completed(futures), total=len(futures), desc="prelabel", unit="shard",
                        disable=not progress):
            res = fut.result()
            done[res["shard"]] = res
        return [done[s.name] for s in shards]
    finally:
        cluster = getattr(client, "cluster", None)
        client.close()
        if cluster is not None:
            cluster.close()


def prelabel(collection: Path, out_dir: Path, model_name: str = "tfidf_lr", data: Path | None = None,
             workers: int = 1, scheduler: str | None = None, progress: bool = True) -> dict:
    from warvoices.baselines.gold import DEFAULT_DATA
    from warvoices.baselines.preannotate import train_for_preannotation

    if workers < 1:
        raise WarVoicesError("--workers must be 1 or more")
    if (workers > 1 or scheduler):
        try:
            import dask.distributed  # noqa: F401  (fail before training, with the extra's name)
        except ImportError:
            _dask_client(workers, scheduler)
    shards = find_shards(collection)
    if Path(out_dir).resolve() == Path(collection).resolve():
        raise WarVoicesError("--out must not be the collection folder (its shards would be overwritten)")
    t0 = time.perf_counter()
    model = train_for_preannotation(model_name, data=data or DEFAULT_DATA)
    trained = time.perf_counter() - t0
    t1 = time.perf_counter()
    results = run_prelabel(shards, out_dir, model, workers=workers, scheduler=scheduler, progress=progress)
    seconds = time.perf_counter() - t1
    manifest = {"model": model.name, "version": model.version, "engine": "dask" if (workers > 1 or scheduler) else "loop",
                "workers": workers, "scheduler": scheduler, "collection": str(collection),
                "documents": sum(r["documents"] for r in results), "units": sum(r["units"] for r in results),
                "characters": sum(r["characters"] for r in results),
                "train_seconds": round(trained, 3), "seconds": round(seconds, 3), "shards": results}
    atomic_write_text(Path(out_dir) / MANIFEST, json.dumps(manifest, indent=1) + "\n")
    return manifest


def add_arguments(p) -> None:
    from warvoices.baselines.gold import DEFAULT_DATA
    from warvoices.baselines.models import MODEL_NAMES

    p.add_argument("--collection", type=Path, required=True, metavar="DIR",
                   help="folder of *.jsonl or *.parquet shards; each record has `id` and `text` (optional `layout`)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="folder for the output Parquet shards (one per input shard) and prelabel.json")
    p.add_argument("--model", choices=MODEL_NAMES, default="tfidf_lr",
                   help="baseline whose predictions are attached (trained on the built dataset's train split)")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, metavar="DIR",
                   help=f"built dataset to train the baseline on (default: {DEFAULT_DATA})")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="1: a plain loop in this process; N > 1: a local Dask cluster of N worker processes "
                        f"(needs the `{SCALE_EXTRA}` extra)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on an existing Dask cluster, e.g. tcp://HOST:8786 (paths must be shared with its workers)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args) -> int:
    m = prelabel(args.collection, args.out, args.model, args.data, args.workers, args.scheduler,
                 progress=not args.no_progress)
    print(f"prelabelled {m['documents']} document(s) into {m['units']} unit(s) in {len(m['shards'])} shard(s) "
          f"with {m['model']} {m['version']} ({m['engine']}, {m['seconds']} s); wrote {args.out}")
    return 0
