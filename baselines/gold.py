"""Read one split of a built WarVoices dataset into plain arrays: the scorer's gold and the
baselines' training data.

The dataset directory is what `warvoices build --out DIR` writes and `datasets.load_dataset(DIR)`
opens. Label columns are ClassLabel; their names must equal the schema's (checked here, so a
dataset built from another schema version is refused instead of being scored with shifted ids).
ClassLabel -1 means "no label": such rows are left out of that field's score.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from warvoices.corpus.schema import Schema, load_schema
from warvoices.corpus.errors import WarVoicesError
from warvoices.corpus.features import NO_LABEL
from warvoices.corpus.paths import dataset_dir

DEFAULT_DATA = dataset_dir()  # WORKSPACE/out/dataset (corpus/paths.py)
SPLITS = ("train", "validation", "test", "unlabeled")

# Who speaks in a unit: read when the dataset has the column (older builds lack `country`,
# `country_alignment` and `speaker_role`; a missing column reads as None everywhere).
META_COLUMNS = ("publisher", "publisher_type", "country", "country_alignment", "speaker", "speaker_role")


@dataclass
class Split:
    """One split, column-wise. `labels[field]` holds ClassLabel ids (NO_LABEL = unlabeled);
    `spans[field][i]` is a sorted list of (start, end) pairs relative to sentence i."""

    data_dir: str
    name: str
    ids: list[str]
    article_ids: list[str]
    texts: list[str]
    labels: dict[str, np.ndarray]
    spans: dict[str, list[list[tuple[int, int]]]]
    schema: Schema = field(repr=False, default=None)
    # META_COLUMNS -> one value per row (None where the dataset lacks the column or the value)
    meta: dict[str, list] = field(default_factory=dict, repr=False)
    # per row, the raw annotations (annotator, status, label ids, spans); None: not read
    annotations: list[list[dict]] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def column(self, name: str) -> list:
        """A metadata column, None per row when the dataset has no such column."""
        return self.meta.get(name) or [None] * len(self.ids)

    def has_column(self, name: str) -> bool:
        return name in self.meta

    def subset(self, rows) -> "Split":
        """The rows `rows` (indices, in that order) as a Split of their own."""
        rows = [int(i) for i in rows]
        return Split(self.data_dir, self.name, [self.ids[i] for i in rows], [self.article_ids[i] for i in rows],
                     [self.texts[i] for i in rows], {f: v[rows] for f, v in self.labels.items()},
                     {f: [v[i] for i in rows] for f, v in self.spans.items()}, self.schema,
                     {k: [v[i] for i in rows] for k, v in self.meta.items()},
                     None if self.annotations is None else [self.annotations[i] for i in rows])

    def index(self) -> dict[str, int]:
        return {sid: i for i, sid in enumerate(self.ids)}

    def labelled(self, field_name: str) -> np.ndarray:
        """Boolean mask of rows that carry a gold label for this field."""
        if field_name in self.labels:
            return self.labels[field_name] != NO_LABEL
        return self.span_labelled(field_name)

    def span_labelled(self, span_field: str) -> np.ndarray:
        # A span list has no "-1"; an empty list is a real answer ("no source named") only
        # when the sentence was annotated, i.e. when the choice fields of the same task are.
        siblings = [f for t in self.schema.tasks if span_field in t.fields
                    for f in t.fields if f in self.labels]
        if not siblings:
            return np.ones(len(self.ids), dtype=bool)
        mask = np.zeros(len(self.ids), dtype=bool)
        for f in siblings:
            mask |= self.labels[f] != NO_LABEL
        return mask

    def fingerprint(self) -> str:
        """Short hash of ids and gold labels: a results file scored on other gold says so."""
        h = hashlib.sha256()
        for i, sid in enumerate(self.ids):
            row = [sid, self.article_ids[i]]
            row += [int(self.labels[f][i]) for f in sorted(self.labels)]
            row += [self.spans[f][i] for f in sorted(self.spans)]
            h.update(json.dumps(row, separators=(",", ":")).encode())
        return h.hexdigest()[:16]


def _empty_split(data_dir: Path, split: str, schema: Schema) -> Split:
    return Split(str(data_dir), split, [], [], [],
                 {f.name: np.zeros(0, dtype=np.int64) for f in schema.choice_fields},
                 {f.name: [] for f in schema.span_fields}, schema)


def load_split(data_dir: str | Path = DEFAULT_DATA, split: str = "test",
               schema: Schema | None = None) -> Split:
    """Load `split` of the built dataset in `data_dir` (rows in file order).

    An empty split is returned as a Split of length 0; callers decide whether that is an error.
    """
    schema = schema or load_schema()
    data_dir = Path(data_dir)
    if not (data_dir / "README.md").exists() and not any(data_dir.glob("**/*.parquet")):
        raise WarVoicesError(
            f"no built dataset at {data_dir}: run `warvoices build --out {data_dir}` first, "
            f"or pass --data DIR pointing at a directory written by `warvoices build`")
    import datasets  # slow import (about 1 s): only when a dataset is really read

    datasets.logging.set_verbosity_error()
    bars_were_on = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # one tiny split: the bars would only be noise
    # A private, throw-away cache: datasets 5.2 keys its cache of a local folder with a README
    # `configs:` block by folder name and config only (not file times), so a rebuilt dataset, or
    # another folder with the same name, would silently be read from the stale cache.
    cache = tempfile.TemporaryDirectory(prefix="warvoices-load-")
    try:
        ds = datasets.load_dataset(str(data_dir), split=split, cache_dir=cache.name)
        return _from_dataset(ds, data_dir, split, schema)
    except ValueError as exc:
        msg = str(exc)
        if "corresponds to no data" in msg:
            return _empty_split(data_dir, split, schema)
        if "Unknown split" in msg and split in SPLITS:
            # `warvoices build` writes no file (and no card entry) for a split without rows
            return _empty_split(data_dir, split, schema)
        if "Unknown split" in msg:
            raise WarVoicesError(f"{data_dir} has no split {split!r} ({msg.split('. ', 1)[-1]}); "
                                 f"choose another --split or rebuild the dataset") from None
        raise WarVoicesError(f"cannot read split {split!r} of {data_dir}: {msg}") from None
    except FileNotFoundError as exc:
        raise WarVoicesError(f"cannot read the dataset at {data_dir}: {exc}; "
                             f"run `warvoices build --out {data_dir}` first") from None
    finally:
        if bars_were_on:
            datasets.enable_progress_bars()
        cache.cleanup()


def _from_dataset(ds, data_dir: Path, split: str, schema: Schema) -> Split:
    for f in schema.choice_fields:
        if f.name not in ds.features:
            raise WarVoicesError(f"{data_dir} split {split}: column {f.name!r} is missing; "
                                 f"rebuild the dataset with this version of warvoices")
        names = getattr(ds.features[f.name], "names", None)
        if names != f.label_names:
            raise WarVoicesError(
                f"{data_dir} split {split}: labels of {f.name!r} are {names}, but the schema "
                f"({schema.path}) says {f.label_names}; the dataset was built from another schema "
                f"version: rebuild it (`warvoices build`) before scoring")
    for f in schema.span_fields:
        if f.name not in ds.features:
            raise WarVoicesError(f"{data_dir} split {split}: column {f.name!r} is missing; "
                                 f"rebuild the dataset with this version of warvoices")

    meta_cols = [c for c in META_COLUMNS if c in ds.features]
    # raw annotations only where they can be scored (the unlabeled pool is large and has none)
    with_annotations = split != "unlabeled" and "annotations" in ds.features
    cols = ["id", "article_id", "text"] + [f.name for f in schema.choice_fields] \
        + [f.name for f in schema.span_fields] + meta_cols + (["annotations"] if with_annotations else [])
    data = ds.select_columns(cols).to_dict()
    labels = {f.name: np.asarray(data[f.name], dtype=np.int64) for f in schema.choice_fields}
    spans = {f.name: [sorted((int(s["start"]), int(s["end"])) for s in (row or []))
                      for row in data[f.name]]
             for f in schema.span_fields}
    return Split(str(data_dir), split, list(data["id"]), list(data["article_id"]),
                 list(data["text"]), labels, spans, schema, {c: list(data[c]) for c in meta_cols},
                 [list(a or []) for a in data["annotations"]] if with_annotations else None)
