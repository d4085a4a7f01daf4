"""The stand-off store: JSON Lines files under one directory (default: corpus/data/).

    articles.jsonl     one record per article: id, publisher, url, date, title, licence, the
                       SHA-256 of the text as used, where the text lives, its stored split
    sentences.jsonl    sentences as character offsets into the article text (never the text);
                       re-segmentation keeps replaced ones as history (status "superseded")
    annotations.jsonl  every label any annotator gave, with who, when and where it came from
    final.jsonl        the final label of each sentence and how it was reached

Only the bundled seed text lives in the repository (corpus/texts/); archive texts are read
from the external archive at build time and checked against the stored checksum.

Every write goes to a temporary file in the same directory and is renamed over the old file,
so a crash never leaves a half-written store file. Records are written in a canonical order,
so the same content always gives the same bytes.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from .errors import InputError, JsonLinesError
from .paths import PACKAGE_DIR, store_dir

DEFAULT_STORE = store_dir()  # at import; Store() and the commands ask paths.store_dir() when they run
BUNDLED_TEXTS = PACKAGE_DIR / "texts"

ARTICLES = "articles.jsonl"
SENTENCES = "sentences.jsonl"
ANNOTATIONS = "annotations.jsonl"
FINAL = "final.jsonl"

# `status` of a sentence record: absent for a current unit; "superseded" for a unit that a newer
# segmentation no longer cuts (kept with its labels as history, left out of the dataset)
SUPERSEDED = "superseded"
SENTENCE_STATUSES = (SUPERSEDED,)

# canonical sort key per store file
_ORDER = {
    ARTICLES: lambda r: r["article_id"],
    # a superseded sentence (kept as history after re-segmentation) may share its old index
    SENTENCES: lambda r: (r["article_id"], r["index"], r.get("status") == SUPERSEDED, r["sentence_id"]),
    ANNOTATIONS: lambda r: (r["sentence_id"], r["annotator"], r["annotation_id"]),
    FINAL: lambda r: r["sentence_id"],
}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def short_hash(text: str) -> str:
    """Fingerprint of a sentence's text: lets validation notice drift without storing the text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def sentence_id(article_id: str, index: int) -> str:
    return f"{article_id}-s{index:04d}"


def atomic_write_text(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_writer(path: Path, keep: Callable[[], bool] = lambda: True):
    """A text file handle whose content replaces `path` only when the block ends without error
    and `keep()` is true (otherwise the old file stays): for writers that stream records."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if keep():
            os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, record); a malformed line is an InputError naming file and line."""
    path = Path(path)
    if not path.exists():
        return
    with path.open("rb") as fh:  # decoded per line, so a non-UTF-8 byte is reported at its line
        for lineno, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise JsonLinesError(f"{path}:{lineno}: not UTF-8 text ({exc.reason}); "
                                     "save the file as UTF-8 JSON Lines") from None
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise JsonLinesError(f"{path}:{lineno}: invalid JSON ({exc.msg}); fix or remove this line") from None
            if not isinstance(rec, dict):
                raise JsonLinesError(f"{path}:{lineno}: expected a JSON object, got {type(rec).__name__}")
            yield lineno, rec


def write_jsonl(path: Path, records: Iterable[dict], order=None) -> int:
    records = list(records)
    if order is not None:
        records.sort(key=order)
    atomic_write_text(path, "".join(dumps(r) + "\n" for r in records))
    return len(records)


class UnsortedStore(InputError):
    """A store file is not in the canonical order that streaming readers rely on."""


def merge_immutable(existing: dict[str, dict], new: Iterable[dict], key: str, same, conflict) -> tuple[int, int]:
    """Add records to `existing` (by `key`) in place; returns (added, already present).

    A record already stored counts as present when `same(old, new)`; otherwise `conflict(old,
    new)` gives the error message: stored records never change silently."""
    added = present = 0
    for rec in new:
        old = existing.get(rec[key])
        if old is None:
            existing[rec[key]] = rec
            added += 1
        elif same(old, rec):
            present += 1
        else:
            raise InputError(conflict(old, rec))
    return added, present


class Store:
    """The four store files of one corpus directory."""

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else store_dir()

    def path(self, name: str) -> Path:
        return self.root / name

    def _read(self, name: str) -> list[dict]:
        return [rec for _, rec in read_jsonl(self.path(name))]

    def _write(self, name: str, records: Iterable[dict]) -> int:
        return write_jsonl(self.path(name), records, _ORDER[name])

    # -- readers -------------------------------------------------------------------------
    def iter_records(self, name: str) -> Iterator[dict]:
        """The records of one store file, one at a time (never the whole file in memory)."""
        return (rec for _, rec in read_jsonl(self.path(name)))

    def sentence_groups(self, in_memory: bool = False) -> Iterator[tuple[str, list[dict]]]:
        """(article id, its sentence records) in article-id order, streamed: the store writes
        sentences sorted by article, so one article's records are held at a time. A file whose
        articles are not in that order (hand-edited) raises UnsortedStore before anything of the
        out-of-order article is yielded; `in_memory=True` groups such a file in memory instead."""
        path = self.path(SENTENCES)
        if in_memory:
            groups: dict[str, list[dict]] = {}
            for rec in self.iter_records(SENTENCES):
                groups.setdefault(rec["article_id"], []).append(rec)
            yield from sorted(groups.items())
            return
        current, recs = None, []
        for lineno, rec in read_jsonl(path):
            aid = rec["article_id"]
            if aid != current:
                if current is not None:
                    if aid < current:
                        raise UnsortedStore(f"{path}:{lineno}: article {aid} comes after {current}; the "
                                            "file is not in the store's canonical order")
                    yield current, recs
                current, recs = aid, []
            recs.append(rec)
        if current is not None:
            yield current, recs

    def articles(self) -> dict[str, dict]:
        return {r["article_id"]: r for r in self._read(ARTICLES)}

    def sentences(self, article_id: str | None = None, include_superseded: bool = False) -> list[dict]:
        """Current sentence records; with include_superseded also the history of re-segmentation."""
        rows = self._read(SENTENCES)
        if not include_superseded:
            rows = [r for r in rows if r.get("status") != SUPERSEDED]
        if article_id is not None:
            rows = [r for r in rows if r["article_id"] == article_id]
        return rows

    def annotations(self) -> list[dict]:
        return self._read(ANNOTATIONS)

    def finals(self) -> dict[str, dict]:
        return {r["sentence_id"]: r for r in self._read(FINAL)}

    # -- writers (whole-file, atomic) ----------------------------------------------------
    def write_articles(self, records: Iterable[dict]) -> int:
        return self._write(ARTICLES, records)

    def sentence_order(self, rec: dict):
        """The canonical sort key of sentences.jsonl (article first)."""
        return _ORDER[SENTENCES](rec)

    def write_sentences(self, records: Iterable[dict]) -> int:
        return self._write(SENTENCES, records)

    def write_annotations(self, records: Iterable[dict]) -> int:
        return self._write(ANNOTATIONS, records)

    def write_finals(self, records: Iterable[dict]) -> int:
        return self._write(FINAL, records)

    def add_annotations(self, new: Iterable[dict], existing: dict[str, dict] | None = None) -> tuple[int, int]:
        """Merge annotation records by annotation_id; returns (added, already present).

        Re-adding an identical record is a no-op, so pulling twice adds nothing twice; a record
        that reuses an id with different content is an error (the store never silently changes).
        `existing`: the stored records by id when the caller has just read them (a pull does), so
        the file is not held in memory twice; it is updated in place."""
        if existing is None:
            existing = {r["annotation_id"]: r for r in self.annotations()}
        added, same = merge_immutable(
            existing, new, "annotation_id", lambda old, rec: old == rec,
            lambda old, rec: (f"annotation {rec['annotation_id']} is already stored with different content; "
                              "annotations are immutable: give the new one a new id"))
        if added:
            self.write_annotations(existing.values())
        return added, same

    def upsert_finals(self, records: Iterable[dict]) -> int:
        finals = self.finals()
        n = 0
        for rec in records:
            finals[rec["sentence_id"]] = rec
            n += 1
        self.write_finals(finals.values())
        return n
