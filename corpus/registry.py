"""Register articles (the ingest step) and give each its split, once.

A registered article is a pointer: id, URL, metadata and the SHA-256 of its text. Bundled texts
are copied into corpus/texts/; archive texts stay in the archive and only their checksum is
stored. Registering an article again with the same checksum is a no-op; with a different one it
is an error, because stored sentence offsets would no longer fit.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from warvoices.annotation.schema import load_schema

from .errors import InputError
from .store import BUNDLED_TEXTS, PACKAGE_DIR, Store, atomic_write_bytes, merge_immutable, sha256_text
from .texts import ArchiveReader

# archive file → publisher type (a vocabulary of the schema) and short publisher name
ARCHIVE_PUBLISHERS = {
    "whitehouse.jsonl": ("us_official", "The White House"),
    "kremlin.jsonl": ("russia_official", "President of Russia"),
    "president_gov_ua.jsonl": ("ukraine_official", "President of Ukraine"),
}

# Target shares of the stored splits. Assignment is greedy per publisher type (stratified), in a
# hash order of article ids, so the same registration order always gives the same splits.
SPLIT_SHARES = {"train": 0.8, "validation": 0.1, "test": 0.1}


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_SHINGLE = 12  # the archive-text guard's run length


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def word_runs(texts) -> set[int]:
    """Hashes of every run of _SHINGLE words in the texts."""
    runs: set[int] = set()
    for text in texts:
        tw = _words(text)
        runs.update(hash(" ".join(tw[i:i + _SHINGLE])) for i in range(len(tw) - _SHINGLE + 1))
    return runs


def url_repeats_text(url: str, runs: set[int]) -> bool:
    """Whether a URL's slug spells out a run of archive words (long White House slugs do). Such
    URLs are not stored, since archive text never enters the repository; the build reads them
    from the archive like the text."""
    words = _words(url)
    return any(hash(" ".join(words[i:i + _SHINGLE])) in runs for i in range(len(words) - _SHINGLE + 1))


def _hash_order(article_id: str) -> str:
    return hashlib.sha256(article_id.encode()).hexdigest()


def assign_splits(articles: dict[str, dict]) -> list[str]:
    """Give a split to every article that has none; never touch a stored split.

    Within each publisher type, each new article goes to the split furthest below its target
    share (counting what is already stored), so splits stay stratified as the corpus grows."""
    splits = load_schema().vocabulary("split")
    assert set(SPLIT_SHARES) == set(splits), "SPLIT_SHARES must cover the schema's split vocabulary"
    new = sorted((a for a in articles.values() if not a.get("split")),
                 key=lambda a: (a["publisher_type"], _hash_order(a["article_id"])))
    assigned = []
    for art in new:
        same_type = [a for a in articles.values() if a["publisher_type"] == art["publisher_type"] and a.get("split")]
        total = len(same_type) + 1
        counts = {s: sum(1 for a in same_type if a["split"] == s) for s in splits}
        deficit = {s: SPLIT_SHARES[s] * total - counts[s] for s in splits}
        art["split"] = max(splits, key=lambda s: (deficit[s], -splits.index(s)))
        assigned.append(art["article_id"])
    return assigned


def _merge(store: Store, records: list[dict]) -> tuple[int, int]:
    articles = store.articles()
    added, same = merge_immutable(
        articles, records, "article_id", lambda old, rec: old["sha256"] == rec["sha256"],
        lambda old, rec: (f"article {rec['article_id']} is already registered with another text checksum "
                          f"({old['sha256'][:12]}… vs {rec['sha256'][:12]}…); register the new text under a new id"))
    assign_splits(articles)
    if added:
        store.write_articles(articles.values())
    return added, same


def add_bundled(store: Store, path: Path, *, article_id: str, publisher: str, publisher_type: str,
                url: str | None, date: str, title: str, license: str, boilerplate_lines: int = 0,
                layout: str = "news") -> tuple[int, int]:
    """Bundle a text file into corpus/texts/ (verbatim) and register it."""
    types = load_schema().vocabulary("publisher_type")
    if publisher_type not in types:
        raise InputError(f"publisher type {publisher_type!r} is not in the schema's vocabulary {list(types)}")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such text file")
    text = path.read_text(encoding="utf-8")
    target = BUNDLED_TEXTS / f"{article_id}.txt"
    if target.resolve() != path.resolve():
        if target.exists() and target.read_text(encoding="utf-8") != text:
            raise InputError(f"{target} exists with other content; choose another article id")
        atomic_write_bytes(target, path.read_bytes())
    # boilerplate lines (site navigation text etc.) are excluded from segmentation, not cut out,
    # so the bundled file stays byte-identical to its source and offsets stay true
    exclude = []
    if boilerplate_lines:
        end = 0
        for _ in range(boilerplate_lines):
            nl = text.find("\n", end)
            end = len(text) if nl < 0 else nl + 1
        exclude.append([0, end])
    rec = {
        "article_id": article_id, "publisher": publisher, "publisher_type": publisher_type, "url": url,
        "date": date, "title": title, "license": license, "sha256": sha256_text(text),
        "text_source": {"bundled": str(target.relative_to(PACKAGE_DIR.parent))},
        "exclude": exclude, "layout": layout, "split": None,
    }
    return _merge(store, [rec])


def add_archive(store: Store, archive: Path, files: list[str] | None = None) -> tuple[int, int]:
    """Register every record of the archive files (all known files by default)."""
    reader = ArchiveReader(archive)
    runs = word_runs(rec["text"] for f in sorted(ARCHIVE_PUBLISHERS) if (Path(archive) / f).is_file()
                     for rec in reader.records(f).values())
    records = []
    for fname in files or sorted(ARCHIVE_PUBLISHERS):
        if fname not in ARCHIVE_PUBLISHERS:
            raise InputError(f"unknown archive file {fname!r}; known: {sorted(ARCHIVE_PUBLISHERS)}")
        ptype, publisher = ARCHIVE_PUBLISHERS[fname]
        for rid, rec in reader.records(fname).items():
            records.append({
                "article_id": rid, "publisher": publisher, "publisher_type": ptype,
                "url": None if url_repeats_text(rec["url"], runs) else rec["url"],
                # no title: long archive titles repeat the article's own words, and archive text
                # never enters the repository; the build reads the title from the archive
                "date": rec["date"], "title": None, "license": rec["license"],
                "sha256": sha256_text(rec["text"]),
                "text_source": {"archive_file": fname, "archive_id": rid},
                "exclude": [], "layout": "plain", "split": None,
            })
    return _merge(store, records)
