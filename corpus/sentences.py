"""The segment step: turn registered article texts into stored sentence records (offsets only).

An article segmented for the first time gets ids `ARTICLE-s0000`, `-s0001`, ... in text order.

Ids never move to other text. By default an article that already has sentences keeps them, and
a segmenter that would now cut it differently is only reported ("drifted"). With `resegment`
the stored cuts are migrated to the current segmenter:

- a unit whose span and text are unchanged keeps its record, id and labels (its kind, speaker
  span, flags and position are brought up to date);
- a new unit gets a fresh id made from its offsets (`offsets_sentence_id`: `ARTICLE-s` and 14
  digits), which cannot collide with an index id nor with any other unit of the article (two
  units with the same offsets are the same text of the same checksum-verified article);
- an old unit that is no longer cut is kept as history with `status: "superseded"`, the ids of
  the units now covering its text (`superseded_by`) and `needs_relabel: true` when annotations
  or final labels refer to it. Its labels stay on it, never moved onto different text; the
  build leaves superseded units out, `corpus validate` reports those still to relabel (V015).
- an old superseded unit that the segmenter cuts again is made current again, with its labels.

Everything is written once, atomically, at the end.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from tqdm import tqdm

from .segment import segment
from .store import SENTENCES, SUPERSEDED, Store, UnsortedStore, atomic_writer, dumps, sentence_id, short_hash
from .texts import TextLoader


def offsets_sentence_id(article_id: str, start: int, end: int) -> str:
    """Id of a unit added by re-segmentation: `ARTICLE-s` and its start and end offsets, each
    written with the same number of digits (at least 7), e.g. `ARTICLE-s00012040001388`.

    It keeps the `ARTICLE-s<digits>` form that code reading article ids out of sentence ids
    expects, cannot be an index id (those have 4 or 5 digits) and is unique per span: the two
    halves of the digits decode to one (start, end)."""
    width = max(7, len(str(end)))
    return f"{article_id}-s{start:0{width}d}{end:0{width}d}"


@dataclass
class SegmentReport:
    segmented: dict[str, int] = field(default_factory=dict)   # article → new sentence count
    kept: list[str] = field(default_factory=list)             # already segmented, unchanged
    drifted: list[str] = field(default_factory=list)          # already segmented, segmenter now differs (kept)
    skipped: list[str] = field(default_factory=list)          # no text available
    # re-segmentation (resegment=True)
    migrated: list[str] = field(default_factory=list)         # articles whose stored cuts were migrated
    unchanged: int = 0                                        # units kept with id and labels (same span and text)
    updated: list[str] = field(default_factory=list)          # kept units whose kind/speaker/flags changed
    added: list[str] = field(default_factory=list)            # new unit ids
    revived: list[str] = field(default_factory=list)          # superseded units made current again
    superseded: list[str] = field(default_factory=list)       # units superseded now (unlabelled and labelled)
    relabel: list[str] = field(default_factory=list)          # superseded units that carry labels

    def summary(self) -> str:
        parts = [f"segmented {len(self.segmented)} article(s) into {sum(self.segmented.values())} sentences",
                 f"kept {len(self.kept)} already segmented"]
        if self.skipped:
            parts.append(f"skipped {len(self.skipped)} without text (pass --archive DIR or set WARVOICES_ARCHIVE)")
        if self.drifted:
            parts.append(f"{len(self.drifted)} stored segmentation(s) differ from the current segmenter "
                         f"(kept as stored; `--resegment` migrates them): {', '.join(self.drifted[:5])}")
        if self.migrated:
            parts.append(f"re-segmented {len(self.migrated)} article(s): {self.unchanged + len(self.updated)} unit(s) "
                         f"kept with id and labels ({len(self.updated)} of them with new kind/speaker/flags), "
                         f"{len(self.added)} new, {len(self.superseded)} superseded, {len(self.revived)} revived")
            if self.relabel:
                parts.append(f"{len(self.relabel)} superseded unit(s) carry labels and need relabelling "
                             f"(labels kept on the old record): {', '.join(self.relabel)}")
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


def _shape(rec: dict) -> tuple:
    return rec["start"], rec["end"], rec["kind"], rec.get("speaker_span"), list(rec.get("flags", []))


def _meta(rec: dict) -> tuple:
    return rec["kind"], rec.get("speaker_span"), list(rec.get("flags", []))


def migrate_article(old: list[dict], fresh: list[dict], labelled: set[str], report: SegmentReport) -> list[dict]:
    """The article's records after re-segmentation: `old` (current and superseded records) moved
    onto the cuts of `fresh` (records as `records_for` makes them) by the rules in the module doc."""
    current = [r for r in old if r.get("status") != SUPERSEDED]
    by_span = {(r["start"], r["end"], r["text_hash"]): r for r in current}
    history = {(r["start"], r["end"], r["text_hash"]): r for r in old if r.get("status") == SUPERSEDED}
    taken = {r["sentence_id"] for r in old}
    out: list[dict] = []
    matched: set[str] = set()
    for f in fresh:
        key = (f["start"], f["end"], f["text_hash"])
        rec = by_span.get(key)
        revived = rec is None and key in history
        if revived:
            rec = dict(history.pop(key))
            for k in ("status", "superseded_by", "needs_relabel"):
                rec.pop(k, None)
            report.revived.append(rec["sentence_id"])
        if rec is not None:
            rec = dict(rec)
            if _meta(rec) != _meta(f):
                report.updated.append(rec["sentence_id"])
            elif not revived:
                report.unchanged += 1
            matched.add(rec["sentence_id"])
            rec.update(index=f["index"], kind=f["kind"], speaker_span=f["speaker_span"], flags=f["flags"])
            out.append(rec)
            continue
        sid = offsets_sentence_id(f["article_id"], f["start"], f["end"])
        n = 2
        while sid in taken:   # defensive: only a changed text could reuse a span, and then V007 fires
            sid = f"{offsets_sentence_id(f['article_id'], f['start'], f['end'])}-{n}"
            n += 1
        taken.add(sid)
        out.append(dict(f, sentence_id=sid))
        report.added.append(sid)
    new_spans = sorted((r["start"], r["end"], r["sentence_id"]) for r in out)
    for r in current:
        if r["sentence_id"] in matched:
            continue
        covering = [sid for s, e, sid in new_spans if s < r["end"] and r["start"] < e]
        rec = dict(r, status=SUPERSEDED, superseded_by=covering, needs_relabel=r["sentence_id"] in labelled)
        out.append(rec)
        report.superseded.append(r["sentence_id"])
        if rec["needs_relabel"]:
            report.relabel.append(r["sentence_id"])
    out.extend(history.values())   # older history stays as it was
    return out


def segment_articles(store: Store, loader: TextLoader, article_ids: list[str] | None = None,
                     progress: bool = True, resegment: bool = False) -> SegmentReport:
    articles = store.articles()
    labelled: set[str] = set()
    if resegment:
        labelled = {a["sentence_id"] for a in store.annotations()} | set(store.finals())
    if article_ids is None:
        try:
            return _segment_all(store, loader, articles, labelled, resegment, progress)
        except UnsortedStore:
            pass  # a hand-edited sentence file: the in-memory path below sorts it
    ids = article_ids if article_ids is not None else sorted(articles)
    report = SegmentReport()
    all_records = store.sentences(include_superseded=True)
    existing: dict[str, list[dict]] = {}
    for rec in all_records:
        existing.setdefault(rec["article_id"], []).append(rec)
    replaced: dict[str, list[dict]] = {}
    for aid in tqdm(ids, desc="segment", unit="article", disable=not progress):
        art = articles[aid]
        text = loader.text_or_none(art)
        if text is None:
            report.skipped.append(aid)
            continue
        fresh = records_for(art, text)
        if aid in existing:
            old_current = sorted((r for r in existing[aid] if r.get("status") != SUPERSEDED), key=lambda r: r["index"])
            if [_shape(r) for r in old_current] == [_shape(r) for r in fresh]:
                report.kept.append(aid)
            elif resegment:
                replaced[aid] = migrate_article(existing[aid], fresh, labelled, report)
                report.migrated.append(aid)
            else:
                report.drifted.append(aid)
            continue
        replaced[aid] = fresh
        report.segmented[aid] = len(fresh)
    if replaced:
        keep = [r for r in all_records if r["article_id"] not in replaced]
        store.write_sentences(keep + [r for recs in replaced.values() for r in recs])
    return report


def _segment_all(store: Store, loader: TextLoader, articles: dict[str, dict], labelled: set[str],
                 resegment: bool, progress: bool) -> SegmentReport:
    """Every registered article, streamed: the stored sentences are read one article at a time and
    the new file is written as it goes (same rules and the same bytes as the in-memory path), so
    memory does not grow with the store. Raises UnsortedStore for a file not in canonical order."""
    report = SegmentReport()
    changed = False
    groups = store.sentence_groups()
    with atomic_writer(store.path(SENTENCES), keep=lambda: changed) as fh:
        def emit(recs: list[dict]) -> None:
            fh.writelines(dumps(r) + "\n" for r in sorted(recs, key=store.sentence_order))

        nxt = next(groups, None)
        for aid in tqdm(sorted(articles), desc="segment", unit="article", disable=not progress):
            while nxt is not None and nxt[0] < aid:   # sentences of an unregistered article: kept
                emit(nxt[1])
                nxt = next(groups, None)
            old = None
            if nxt is not None and nxt[0] == aid:
                old, nxt = nxt[1], next(groups, None)
            art = articles[aid]
            text = loader.text_or_none(art)
            if text is None:
                report.skipped.append(aid)
                if old is not None:
                    emit(old)
                continue
            fresh = records_for(art, text)
            if old is not None:
                old_current = sorted((r for r in old if r.get("status") != SUPERSEDED), key=lambda r: r["index"])
                if [_shape(r) for r in old_current] == [_shape(r) for r in fresh]:
                    report.kept.append(aid)
                elif resegment:
                    old = migrate_article(old, fresh, labelled, report)
                    report.migrated.append(aid)
                    changed = True
                else:
                    report.drifted.append(aid)
                emit(old)
                continue
            emit(fresh)
            changed = True
            report.segmented[aid] = len(fresh)
        while nxt is not None:
            emit(nxt[1])
            nxt = next(groups, None)
    return report
