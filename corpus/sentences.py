"""The segment step: turn registered article texts into stored sentence records (offsets only).

Sentence ids never change once written: an article that already has sentences keeps them. If
the segmenter now cuts it differently, that is reported (so a curator can decide to register a
new version of the article), never silently applied.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from tqdm import tqdm

from .segment import segment
from .store import Store, sentence_id, short_hash
from .texts import TextLoader


@dataclass
class SegmentReport:
    segmented: dict[str, int] = field(default_factory=dict)   # article → new sentence count
    kept: list[str] = field(default_factory=list)             # already segmented, unchanged
    drifted: list[str] = field(default_factory=list)          # already segmented, segmenter now differs
    skipped: list[str] = field(default_factory=list)          # no text available

    def summary(self) -> str:
        parts = [f"segmented {len(self.segmented)} article(s) into {sum(self.segmented.values())} sentences",
                 f"kept {len(self.kept)} already segmented"]
        if self.skipped:
            parts.append(f"skipped {len(self.skipped)} without text (pass --archive DIR or set WARVOICES_ARCHIVE)")
        if self.drifted:
            parts.append(f"{len(self.drifted)} stored segmentation(s) differ from the current segmenter "
                         f"(kept as stored): {', '.join(self.drifted[:5])}")
        return "; ".join(parts)


def records_for(article: dict, text: str) -> list[dict]:
    units = segment(text, layout=article.get("layout", "plain"),
                    exclude=[tuple(r) for r in article.get("exclude", [])])
    aid = article["article_id"]
    return [{
        "sentence_id": sentence_id(aid, i), "article_id": aid, "index": i, "start": u.start, "end": u.end,
        "kind": u.kind, "speaker_span": list(u.speaker_span) if u.speaker_span else None,
        "flags": list(u.flags), "text_hash": short_hash(text[u.start:u.end]),
    } for i, u in enumerate(units)]


def segment_articles(store: Store, loader: TextLoader, article_ids: list[str] | None = None,
                     progress: bool = True) -> SegmentReport:
    articles = store.articles()
    existing: dict[str, list[dict]] = {}
    for rec in store.sentences():
        existing.setdefault(rec["article_id"], []).append(rec)
    ids = article_ids if article_ids is not None else sorted(articles)
    report = SegmentReport()
    new_records: list[dict] = []
    for aid in tqdm(ids, desc="segment", unit="article", disable=not progress):
        art = articles[aid]
        text = loader.text_or_none(art)
        if text is None:
            report.skipped.append(aid)
            continue
        fresh = records_for(art, text)
        if aid in existing:
            old = sorted(existing[aid], key=lambda r: r["index"])
            same = [(r["start"], r["end"], r["kind"]) for r in old] == [(r["start"], r["end"], r["kind"]) for r in fresh]
            (report.kept if same else report.drifted).append(aid)
            continue
        new_records.extend(fresh)
        report.segmented[aid] = len(fresh)
    if new_records:
        store.write_sentences(store.sentences() + new_records)
    return report
