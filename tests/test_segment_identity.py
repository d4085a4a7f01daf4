"""The segmenter still cuts every registered article exactly as the committed store says.

The store's sentences were written by the segmenter (re-migrated after its last change), so any
speed work on corpus/segment.py must leave every unit's offsets, kind, speaker span and flags as
they are. Reads the external archive at run time; skipped without it."""
from __future__ import annotations

import pytest

from conftest import archive_dir
from warvoices.corpus.sentences import records_for
from warvoices.corpus.store import SUPERSEDED, Store
from warvoices.corpus.texts import TextLoader


def _shape(rec: dict) -> tuple:
    return rec["start"], rec["end"], rec["kind"], rec.get("speaker_span"), list(rec.get("flags", []))


@pytest.mark.skipif(archive_dir() is None, reason="external archive not found (set WARVOICES_ARCHIVE)")
def test_every_article_segments_as_stored():
    store = Store()
    loader = TextLoader(archive_dir())
    stored: dict[str, list[tuple]] = {}
    for rec in store.sentences(include_superseded=True):
        if rec.get("status") != SUPERSEDED:
            stored.setdefault(rec["article_id"], []).append((rec["index"], _shape(rec)))
    articles = store.articles()
    assert len(stored) == len(articles)  # every registered article is segmented in the store
    differ = []
    for aid, art in articles.items():
        fresh = [_shape(r) for r in records_for(art, loader.text(art))]
        if fresh != [shape for _, shape in sorted(stored[aid])]:
            differ.append(aid)
    assert differ == []
