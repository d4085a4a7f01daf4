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

import yaml
from tqdm import tqdm

from warvoices.annotation.schema import load_schema

from .errors import WarVoicesError
from .outdir import check_replaceable
from .features import NO_LABEL, VOICE_COLUMNS, dataset_features, task_columns
from .speakers import unify
from .store import Store
from .texts import TextLoader
from .textview import views_for_article
from .voices import VoiceResolver

UNLABELED = "unlabeled"
CARD_TEMPLATE = Path(__file__).with_name("dataset_card.md")


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


def _encode(schema, labels: dict | None) -> dict:
    labels = labels or {}
    out = {}
    for f in schema.choice_fields:
        value = labels.get(f.name)
        out[f.name] = NO_LABEL if value is None else f.index(value)
    return out


def collect_rows(store: Store, loader: TextLoader, progress: bool = True) -> tuple[dict[str, list[dict]], BuildReport]:
    schema = load_schema()
    splits = list(schema.vocabulary("split")) + [UNLABELED]
    articles = store.articles()
    finals = store.finals()
    anns: dict[str, list[dict]] = defaultdict(list)
    for rec in store.annotations():
        anns[rec["sentence_id"]].append(rec)
    by_article: dict[str, list[dict]] = defaultdict(list)
    for rec in store.sentences():
        by_article[rec["article_id"]].append(rec)
    # superseded sentences (re-segmentation history) are not rows, but their labels still make
    # their article labelled, so its unlabelled text is held back rather than released as unlabeled
    labelled_history = {r["article_id"] for r in store.sentences(include_superseded=True)
                        if r.get("status") == "superseded" and r["sentence_id"] in finals}

    rows: dict[str, list[dict]] = {s: [] for s in splits}
    report = BuildReport()
    art_count: Counter = Counter()
    span_field = schema.span_fields[0].name if schema.span_fields else None
    voices = VoiceResolver(loader)
    for aid in tqdm(sorted(articles), desc="build", unit="article", disable=not progress):
        art = articles[aid]
        if not loader.available(art):
            report.skipped_articles.append(aid)
            continue
        if aid not in by_article:
            report.unsegmented.append(aid)
            continue
        text = loader.text_or_none(art)
        if text is None:
            report.skipped_articles.append(aid)
            continue
        views = views_for_article(art, by_article[aid], text)
        title = voices.metadata(art, "title")
        art_voice = voices.article(art)
        labelled = any(v.sentence_id in finals for v in views) or aid in labelled_history
        split = art["split"] if labelled else UNLABELED
        if split not in rows:
            raise WarVoicesError(f"article {aid} has split {split!r}, not one of {splits}; run `warvoices corpus validate`")
        art_count[split] += 1
        for v in views:
            final = finals.get(v.sentence_id)
            if labelled and final is None:
                report.pending_sentences += 1
                continue
            raw = []
            for a in sorted(anns.get(v.sentence_id, []), key=lambda r: (r["annotator"], r["annotation_id"])):
                entry = {"annotation_id": a["annotation_id"], "annotator": a["annotator"],
                         "created_at": a.get("created_at", ""), "status": a["status"], "origin": _origin(a),
                         "guideline_version": schema.record_version(a)}
                entry.update(_encode(schema, a.get("labels")))
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
            row.update(_encode(schema, final["labels"] if final else None))
            if span_field:
                row[span_field] = _spans(final.get("source_spans") if final else None, v.text)
            row["label_method"] = {f.name: (final or {}).get("method", {}).get(f.name) for f in schema.fields}
            row["guideline_version"] = schema.record_version(final) if final else NO_LABEL
            row["annotations"] = raw
            rows[split].append(row)
    # one display string per person over the whole dataset (spellings differing in accents/case)
    display = unify(r["speaker"] for split_rows in rows.values() for r in split_rows)
    for split_rows in rows.values():
        for r in split_rows:
            if r["speaker"]:
                r["speaker"] = display[r["speaker"]]
    report.rows = {s: len(rows[s]) for s in splits}
    report.articles = dict(art_count)
    for s in splits:
        report.label_counts[s] = {
            f.name: dict(Counter(f.label_names[r[f.name]] for r in rows[s] if r[f.name] != NO_LABEL))
            for f in schema.choice_fields}
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


def write_dataset_dir(rows: dict[str, list[dict]], report: BuildReport, out: Path, features=None) -> None:
    """Write Parquet per non-empty split and the card into a temporary folder, then swap it in,
    so an interrupted build never leaves a half-written dataset. `features` defaults to the
    schema's (test data may add columns)."""
    from datasets import Dataset
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()
    schema = load_schema()
    features = features or dataset_features(schema)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (tmp / "data").mkdir()
        files: dict[str, str] = {}
        for split, split_rows in rows.items():
            if split_rows:
                for r in split_rows:  # rows made by other writers (toy corpora) may lack voice columns
                    for col in VOICE_COLUMNS:
                        if col in features:
                            r.setdefault(col, None)
                part = tmp / "data" / f"{split}.parquet"
                Dataset.from_list(split_rows, features=features).to_parquet(str(part))
                # datasets caches a local folder by file names, not contents: a content-hashed
                # name makes a rebuilt split a new file, so load_dataset never serves stale rows
                digest = hashlib.sha256(part.read_bytes()).hexdigest()[:16]
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


def build(store: Store, loader: TextLoader, out: Path, progress: bool = True, force: bool = False) -> BuildReport:
    check_replaceable(out, force)
    rows, report = collect_rows(store, loader, progress=progress)
    write_dataset_dir(rows, report, out)
    return report
