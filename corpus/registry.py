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

from warvoices.corpus.schema import load_schema

from .countries import Country, load_countries, missing_country_error
from .errors import InputError, WarVoicesError
from .sources import archive_files, load_sources, undeclared_error
from .store import BUNDLED_TEXTS, PACKAGE_DIR, Store, atomic_write_bytes, merge_immutable, sha256_text
from .texts import ArchiveReader

# Publishers, publisher types, layouts and split rules of archive files: corpus/sources.yaml.

# Target shares of the stored splits. Assignment is greedy per publisher type (stratified), in a
# hash order of article ids, so the same registration order always gives the same splits.
SPLIT_SHARES = {"train": 0.8, "validation": 0.1, "test": 0.1}
# Shares of STATES for sources split by country (the UN general debate): validation and test hold
# states never seen in training, and test is large enough for per-state results (>= 30 states).
COUNTRY_SPLIT_SHARES = {"train": 0.6, "validation": 0.15, "test": 0.25}


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


def _by_country(article: dict) -> bool:
    return article.get("split_by") == "country"


def assign_splits(articles: dict[str, dict], countries: dict[str, Country] | None = None) -> list[str]:
    """Give a split to every article that has none; never touch a stored split.

    Within each publisher type, each new article goes to the split furthest below its target
    share (counting what is already stored), so splits stay stratified as the corpus grows.
    Articles registered with split_by "country" get their country's split instead (see
    assign_country_splits)."""
    splits = load_schema().vocabulary("split")
    if set(SPLIT_SHARES) != set(splits):
        raise WarVoicesError(f"SPLIT_SHARES {sorted(SPLIT_SHARES)} must cover the schema's split vocabulary {list(splits)}")
    assigned = assign_country_splits(articles, countries)
    new = sorted((a for a in articles.values() if not a.get("split") and not _by_country(a)),
                 key=lambda a: (a["publisher_type"], _hash_order(a["article_id"])))
    assigned = []
    for art in new:
        same_type = [a for a in articles.values() if a["publisher_type"] == art["publisher_type"] and a.get("split")
                     and not _by_country(a)]
        total = len(same_type) + 1
        counts = {s: sum(1 for a in same_type if a["split"] == s) for s in splits}
        deficit = {s: SPLIT_SHARES[s] * total - counts[s] for s in splits}
        art["split"] = max(splits, key=lambda s: (deficit[s], -splits.index(s)))
        assigned.append(art["article_id"])
    return assigned


def country_splits(articles: dict[str, dict]) -> dict[str, str]:
    """{country: split} as stored (articles split by country); the first stored article decides,
    and `corpus validate` reports a country whose stored articles disagree (V015)."""
    out: dict[str, str] = {}
    for aid in sorted(articles):
        a = articles[aid]
        if _by_country(a) and a.get("split") and a.get("country"):
            out.setdefault(a["country"], a["split"])
    return out


def assign_country_splits(articles: dict[str, dict], countries: dict[str, Country] | None = None) -> list[str]:
    """Splits for articles split by country: all articles of one country share one split.

    A country that already has a stored split keeps it, so a new address of a known state joins
    its split. New countries are taken in hash order of their code; each goes to the split whose
    share of states is furthest below COUNTRY_SPLIT_SHARES, summed over three strata: all
    states, the states of its alignment group and the states of its UN region (countries.yaml).
    So every split gets states of every region and of each alignment group as the data allows,
    and the same registry always gives the same splits."""
    pending = [a for a in articles.values() if _by_country(a) and not a.get("split")]
    if not pending:
        return []
    splits = list(load_schema().vocabulary("split"))
    if set(COUNTRY_SPLIT_SHARES) != set(splits):
        raise WarVoicesError(f"COUNTRY_SPLIT_SHARES {sorted(COUNTRY_SPLIT_SHARES)} must cover the split vocabulary {splits}")
    countries = load_countries() if countries is None else countries
    missing = sorted({a.get("country") or "(none)" for a in pending if a.get("country") not in countries})
    if missing:
        ids = [a["article_id"] for a in pending if (a.get("country") or "(none)") in missing][:3]
        raise missing_country_error(missing, f"articles {', '.join(ids)}")
    by_country = country_splits(articles)
    for code in sorted({a["country"] for a in pending} - set(by_country), key=_hash_order):
        c = countries[code]
        placed = [(countries[k], s) for k, s in by_country.items() if k in countries]

        def need(split: str) -> float:
            total = 0.0
            for same in (lambda o: True, lambda o: o.alignment == c.alignment, lambda o: o.region == c.region):
                group = [s for o, s in placed if same(o)]
                total += COUNTRY_SPLIT_SHARES[split] * (len(group) + 1) - group.count(split)
            return total
        by_country[code] = max(splits, key=lambda s: (need(s), -splits.index(s)))
    for a in pending:
        a["split"] = by_country[a["country"]]
    return [a["article_id"] for a in pending]


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


def read_text_file(path: Path) -> str:
    """A bundled text's content; an empty, binary or non-UTF-8 file is refused with a clear error."""
    data = Path(path).read_bytes()
    nul = data.find(b"\0")
    if nul >= 0:
        raise InputError(f"{path}: looks like a binary file (NUL byte at offset {nul}); "
                         "give a UTF-8 plain-text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (invalid byte at offset {exc.start}); convert it to UTF-8 "
                         "(e.g. iconv -f latin1 -t utf-8)") from None
    if not text.strip():
        raise InputError(f"{path}: the text is empty; nothing to register")
    return text


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
    text = read_text_file(path)
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


def _record_fields(reader: ArchiveReader, fname: str) -> list[str] | None:
    try:
        recs = reader.records(fname)
    except WarVoicesError:
        return None
    return sorted(next(iter(recs.values()))) if recs else None


def add_archive(store: Store, archive: Path, files: list[str] | None = None,
                sources_file: Path | None = None) -> tuple[int, int]:
    """Register every record of the archive files (every *.jsonl file of the folder by default).

    Each file must be declared in corpus/sources.yaml; an undeclared one is an error naming it
    and showing the entry to add, before anything is written."""
    sources = load_sources(sources_file) if sources_file else load_sources()
    reader = ArchiveReader(archive)
    targets = list(files) if files else archive_files(archive)
    if not targets:
        raise InputError(f"archive {archive} holds no *.jsonl files")
    for fname in targets:
        if fname not in sources:
            raise undeclared_error(fname, sources, _record_fields(reader, fname),
                                   **({"path": Path(sources_file)} if sources_file else {}))
    runs = word_runs(rec["text"] for f in sorted(sources) if (Path(archive) / f).is_file()
                     for rec in reader.records(f).values())
    records = []
    for fname in targets:
        src = sources[fname]
        for rid, rec in reader.records(fname).items():
            article = {
                "article_id": rid, "publisher": src.publisher, "publisher_type": src.publisher_type,
                "url": None if url_repeats_text(rec.get("url") or "", runs) else rec.get("url"),
                # no title: long archive titles repeat the article's own words, and archive text
                # never enters the repository; the build reads the title from the archive
                "date": rec.get("date"), "title": None, "license": rec.get("license"),
                "sha256": sha256_text(rec["text"]),
                "text_source": {"archive_file": fname, "archive_id": rid},
                "exclude": src.exclude_ranges(rec["text"]), "layout": src.layout, "split": None,
            }
            if src.split_by == "country":
                code = src.record_country(rec)
                if not code:
                    raise InputError(f"{Path(archive) / fname}: record {rid!r} has no {src.country_field!r}, "
                                     "which its source splits by (corpus/sources.yaml)")
                # a code is metadata, not archive text; stored so the split rule needs no archive
                article.update(country=code, split_by="country")
            records.append(article)
    return _merge(store, records)
