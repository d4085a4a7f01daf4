"""`warvoices build --out DIR`: the Hugging Face dataset folder that `load_dataset(DIR)` opens.

Texts are read here, at build time (bundled seed + external archive); the repository itself
only holds offsets, labels and checksums. The output is Parquet per split plus a README.md card
whose YAML declares the configs `default` (all columns) and one per benchmark task, selecting
columns of the same files.

Split rule: an article with at least one final label is labelled; its labelled sentences go to
the article's stored split (train/validation/test) and its not-yet-labelled sentences are held
back (reported as pending) so test text never leaks into the unlabeled pool. Articles with no
final label go, whole, to `unlabeled`. datasets cannot load a split with no rows, so an empty
split gets no file and no entry in the card; the command and the card say which are empty.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import yaml
from tqdm import tqdm

from warvoices.corpus.schema import load_schema

from .errors import WarVoicesError
from .outdir import check_replaceable
from .features import NO_LABEL, VOICE_COLUMNS, dataset_features, task_columns
from .speakers import unify
from .store import ANNOTATIONS, SUPERSEDED, Store, UnsortedStore
from .texts import TextLoader
from .textview import views_for_article
from .voices import VoiceResolver

UNLABELED = "unlabeled"
CARD_TEMPLATE = Path(__file__).with_name("dataset_card.md")
ROWS_PER_GROUP = 2048  # rows per Parquet row group: the unit of memory while writing


@dataclass
class BuildReport:
    rows: dict[str, int] = field(default_factory=dict)
    articles: dict[str, int] = field(default_factory=dict)
    skipped_articles: list[str] = field(default_factory=list)
    unsegmented: list[str] = field(default_factory=list)
    pending_sentences: int = 0
    label_counts: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # split → field → label → n

    def summary(self) -> str:
        lines = ["split        articles  sentences"]
        for split, n in self.rows.items():
            lines.append(f"{split:<12} {self.articles.get(split, 0):>8}  {n:>9}" + ("   (empty: no file)" if n == 0 else ""))
        if self.skipped_articles:
            lines.append(f"skipped {len(self.skipped_articles)} registered article(s) without text "
                         "(pass --archive DIR or set WARVOICES_ARCHIVE to include them)")
        if self.unsegmented:
            lines.append(f"skipped {len(self.unsegmented)} registered article(s) not segmented yet "
                         "(run `warvoices corpus segment`)")
        if self.pending_sentences:
            lines.append(f"held back {self.pending_sentences} not-yet-labelled sentence(s) of labelled articles")
        return "\n".join(lines)


def _origin(rec: dict) -> str:
    o = rec.get("origin") or {}
    if o.get("tool") == "label-studio":
        s = f"label-studio project {o.get('project')} task {o.get('task')} annotation {o.get('annotation')}"
    else:
        s = o.get("tool", "unknown")
    if o.get("prediction"):
        p = o["prediction"]
        s += f"; shown prediction {p.get('model')} {p.get('version')}"
    return s


def _spans(spans, text: str) -> list[dict]:
    return [{"start": s, "end": e, "text": text[s:e]} for s, e in (spans or [])]


def _encode(schema, labels: dict | None, choice_fields=None) -> dict:
    labels = labels or {}
    out = {}
    for f in choice_fields if choice_fields is not None else schema.choice_fields:
        value = labels.get(f.name)
        out[f.name] = NO_LABEL if value is None else f.index(value)
    return out


def _annotations_by_sentence(store: Store) -> dict[str, list[dict]]:
    anns: dict[str, list[dict]] = defaultdict(list)
    for rec in store.iter_records(ANNOTATIONS):
        anns[rec["sentence_id"]].append(rec)
    return anns


def iter_rows(store: Store, loader: TextLoader, report: BuildReport, progress: bool = True,
              in_memory: bool = False) -> Iterator[tuple[str, dict]]:
    """(split, row) for every unit of the dataset, article by article, in article-id order.

    Sentences are streamed from the store one article at a time (the store writes them grouped by
    article), so memory holds one article's rows, the registry and the labels, not every unit.
    `in_memory` groups the sentence file in memory instead (for a hand-edited, unsorted file).
    Fills `report` as it goes; speakers are raw (see `unify` in write_dataset_dir)."""
    schema = load_schema()
    splits = list(schema.vocabulary("split")) + [UNLABELED]
    articles = store.articles()
    finals = store.finals()
    anns = _annotations_by_sentence(store)
    report.rows = {s: 0 for s in splits}
    counts = {s: {f.name: Counter() for f in schema.choice_fields} for s in splits}
    art_count: Counter = Counter()
    span_field = schema.span_fields[0].name if schema.span_fields else None
    choice_fields = schema.choice_fields
    field_names = [f.name for f in schema.fields]
    no_final = {name: None for name in field_names}
    unlabelled = _encode(schema, None, choice_fields)
    voices = VoiceResolver(loader)
    groups = store.sentence_groups(in_memory=in_memory)
    nxt = next(groups, None)
    for aid in tqdm(sorted(articles), desc="build", unit="article", disable=not progress):
        while nxt is not None and nxt[0] < aid:  # sentences of an unregistered article (V009)
            nxt = next(groups, None)
        sentences, labelled_history = None, False
        if nxt is not None and nxt[0] == aid:
            group, nxt = nxt[1], next(groups, None)
            # superseded sentences (re-segmentation history) are not rows, but their labels still make
            # their article labelled, so its unlabelled text is held back rather than released as unlabeled
            sentences = [r for r in group if r.get("status") != SUPERSEDED] or None
            labelled_history = any(r.get("status") == SUPERSEDED and r["sentence_id"] in finals for r in group)
        art = articles[aid]
        if not loader.available(art):
            report.skipped_articles.append(aid)
            continue
        if sentences is None:
            report.unsegmented.append(aid)
            continue
        text = loader.text_or_none(art)
        if text is None:
            report.skipped_articles.append(aid)
            continue
        views = views_for_article(art, sentences, text)
        title = voices.metadata(art, "title")
        art_voice = voices.article(art)
        labelled = any(v.sentence_id in finals for v in views) or labelled_history
        split = art["split"] if labelled else UNLABELED
        if split not in report.rows:
            raise WarVoicesError(f"article {aid} has split {split!r}, not one of {splits}; run `warvoices corpus validate`")
        art_count[split] += 1
        for v in views:
            final = finals.get(v.sentence_id)
            if labelled and final is None:
                report.pending_sentences += 1
                continue
            raw = []
            for a in sorted(anns.get(v.sentence_id, ()), key=lambda r: (r["annotator"], r["annotation_id"])):
                entry = {"annotation_id": a["annotation_id"], "annotator": a["annotator"],
                         "created_at": a.get("created_at", ""), "status": a["status"], "origin": _origin(a),
                         "guideline_version": schema.record_version(a)}
                entry.update(_encode(schema, a.get("labels"), choice_fields))
                if span_field:
                    entry[span_field] = _spans(a.get("source_spans"), v.text)
                raw.append(entry)
            voice = voices.unit(art_voice, v.speaker)
            row = {
                "id": v.sentence_id, "article_id": aid, "sentence_index": v.index, "kind": v.kind,
                "text": v.text, "context_before": v.context_before, "context_after": v.context_after,
                "speaker": voice.speaker, "speaker_role": voice.role,
                "speaker_label": v.speaker or art_voice.speaker_label or None,
                "country": art_voice.country, "country_alignment": art_voice.alignment,
                "flags": list(v.flags), "publisher": art["publisher"],
                "publisher_type": art["publisher_type"], "date": art.get("date") or "", "url": voices.metadata(art, "url"),
                "title": title,
            }
            if final is None:  # most units at scale: the constant unlabelled columns
                row.update(unlabelled)
                if span_field:
                    row[span_field] = []
                row["label_method"] = dict(no_final)
                row["guideline_version"] = NO_LABEL
            else:
                row.update(_encode(schema, final["labels"], choice_fields))
                if span_field:
                    row[span_field] = _spans(final.get("source_spans"), v.text)
                method = final.get("method", {})
                row["label_method"] = {name: method.get(name) for name in field_names}
                row["guideline_version"] = schema.record_version(final)
                for f in choice_fields:
                    if row[f.name] != NO_LABEL:
                        counts[split][f.name][f.label_names[row[f.name]]] += 1
            row["annotations"] = raw
            report.rows[split] += 1
            yield split, row
    report.articles = dict(art_count)
    report.label_counts = {s: {name: dict(c) for name, c in by_field.items()} for s, by_field in counts.items()}


def collect_rows(store: Store, loader: TextLoader, progress: bool = True) -> tuple[dict[str, list[dict]], BuildReport]:
    """Every row in memory, speakers unified (small stores and tests; `build` streams instead)."""
    schema = load_schema()
    report = BuildReport()
    rows: dict[str, list[dict]] = {s: [] for s in list(schema.vocabulary("split")) + [UNLABELED]}
    for split, row in iter_rows(store, loader, report, progress):
        rows[split].append(row)
    # one display string per person over the whole dataset (spellings differing in accents/case)
    display = unify(r["speaker"] for split_rows in rows.values() for r in split_rows)
    for split_rows in rows.values():
        for r in split_rows:
            if r["speaker"]:
                r["speaker"] = display[r["speaker"]]
    return rows, report


def card_yaml(files_by_split: dict[str, str]) -> dict:
    schema = load_schema()
    files = [{"split": s, "path": path} for s, path in files_by_split.items()]
    configs = [{"config_name": "default", "default": True, "data_files": files}]
    for task in schema.tasks:
        configs.append({"config_name": task.name, "data_files": files, "columns": task_columns(task.name)})
    return {
        "pretty_name": "WarVoices",
        "language": ["en"],
        "license": "other",
        "task_categories": ["text-classification", "token-classification"],
        "configs": configs,
    }


def render_card(report: BuildReport, schema_version: int, files_by_split: dict[str, str]) -> str:
    front = yaml.safe_dump(card_yaml(files_by_split), sort_keys=False, allow_unicode=True)
    counts = "\n".join(f"| {s} | {report.articles.get(s, 0)} | {n} |" for s, n in report.rows.items())
    empty = [s for s, n in report.rows.items() if n == 0]
    body = CARD_TEMPLATE.read_text(encoding="utf-8").format(
        counts=counts, schema_version=schema_version,
        empty=", ".join(empty) if empty else "none",
        label_counts=json.dumps(report.label_counts, indent=1, sort_keys=True))
    return f"---\n{front}---\n{body}"


class _SplitWriter:
    """Rows of one split to a Parquet file in row groups of ROWS_PER_GROUP rows: memory holds one
    group, never the split. Same rows in the same order give the same bytes."""

    def __init__(self, path: Path, features):
        self.path, self.features, self.schema = path, features, None
        self.writer = None
        self.batch: list[dict] = []
        self.rows = 0

    def add(self, row: dict) -> None:
        self.batch.append(row)
        if len(self.batch) >= ROWS_PER_GROUP:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.batch:
            return
        wanted = [col for col in VOICE_COLUMNS if col in self.features]
        if any(col not in self.batch[0] for col in wanted):
            for r in self.batch:  # rows made by other writers (toy corpora) may lack voice columns
                for col in wanted:
                    r.setdefault(col, None)
        if self.writer is None:
            # columns in the rows' own order, as datasets' Dataset.from_list wrote them before
            from datasets import Features

            self.schema = Features({k: self.features[k] for k in self.batch[0]}).arrow_schema
            self.writer = pq.ParquetWriter(str(self.path), self.schema)
        self.writer.write_table(pa.Table.from_pylist(self.batch, schema=self.schema))
        self.rows += len(self.batch)
        self.batch = []

    def close(self) -> int:
        self.flush()
        if self.writer is not None:
            self.writer.close()
        return self.rows


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def _apply_display(src: Path, dst: Path, display: dict[str, str]) -> None:
    """Copy a split file row group by row group with `speaker` mapped through `display`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(str(src))
    schema = pf.schema_arrow
    col = schema.get_field_index("speaker")
    with pq.ParquetWriter(str(dst), schema) as writer:
        for i in range(pf.num_row_groups):
            table = pf.read_row_group(i)
            mapped = [display.get(n, n) if n else n for n in table.column(col).to_pylist()]
            writer.write_table(table.set_column(col, schema.field(col), pa.array(mapped, type=schema.field(col).type)))


def _write_dir(rows: Iterable[tuple[str, dict]], report: BuildReport, out: Path, unify_speakers: bool,
               order: list[str] | None = None, features=None) -> None:
    """Stream (split, row) pairs into Parquet per non-empty split plus the card, in a temporary
    folder that is then swapped in, so an interrupted build never leaves a half-written dataset.

    With `unify_speakers` every spelling of one person gets one display string over the whole
    dataset: the raw strings are counted while writing and the (small) mapping is applied in a
    second pass over the written row groups."""
    schema = load_schema()
    features = features or dataset_features(schema)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (tmp / "data").mkdir()
        writers: dict[str, _SplitWriter] = {}
        speakers: Counter = Counter()
        for split, row in rows:
            if split not in writers:
                writers[split] = _SplitWriter(tmp / "data" / f".{split}.raw.parquet", features)
            writers[split].add(row)
            if unify_speakers and row.get("speaker"):
                speakers[row["speaker"]] += 1
        display = {k: v for k, v in unify(speakers.elements()).items() if k != v} if unify_speakers else {}
        files: dict[str, str] = {}
        order = order or list(report.rows)
        for split in sorted(writers, key=lambda s: (order.index(s) if s in order else len(order), s)):
            if not writers[split].close():
                continue
            raw = writers[split].path
            part = tmp / "data" / f"{split}.parquet"
            if display:
                _apply_display(raw, part, display)
                raw.unlink()
            else:
                raw.rename(part)
            # datasets caches a local folder by file names, not contents: a content-hashed
            # name makes a rebuilt split a new file, so load_dataset never serves stale rows
            digest = _file_digest(part)
            part.rename(part.with_name(f"{split}-{digest}.parquet"))
            files[split] = f"data/{split}-{digest}.parquet"
        (tmp / "README.md").write_text(render_card(report, schema.version, files), encoding="utf-8")
        (tmp / "build_report.json").write_text(json.dumps({
            "rows": report.rows, "articles": report.articles, "skipped_articles": len(report.skipped_articles),
            "pending_sentences": report.pending_sentences, "label_counts": report.label_counts,
        }, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_dataset_dir(rows: dict[str, list[dict]], report: BuildReport, out: Path, features=None) -> None:
    """Write rows already in memory (speakers as given) as a dataset folder. `features` defaults
    to the schema's (test data may add or drop columns)."""
    _write_dir(((split, r) for split, split_rows in rows.items() for r in split_rows), report, out,
               unify_speakers=False, order=list(rows), features=features)


def build(store: Store, loader: TextLoader, out: Path, progress: bool = True, force: bool = False) -> BuildReport:
    """Stream the store into the dataset folder `out` (see iter_rows and _write_dir). `out` must be
    new, empty or a previous build unless `force` (corpus/outdir.py)."""
    check_replaceable(out, force)
    report = BuildReport()
    try:
        _write_dir(iter_rows(store, loader, report, progress), report, out, unify_speakers=True)
    except UnsortedStore:
        # a hand-edited sentence file whose articles are not contiguous: group it in memory
        report = BuildReport()
        _write_dir(iter_rows(store, loader, report, progress, in_memory=True), report, out, unify_speakers=True)
    return report
