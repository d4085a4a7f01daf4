"""`corpus segment` over the whole store streams the sentence file (one article at a time) and
writes the same bytes as sorting everything in memory; an unsorted file still works."""
from __future__ import annotations

from pathlib import Path

from warvoices.corpus.sentences import segment_articles
from warvoices.corpus.store import Store
from warvoices.corpus.texts import TextLoader

SEED = "news-2023-03-13-1e54c59c"


def test_streamed_segment_rewrites_the_store_byte_for_byte(repo_store_copy):
    path = Path(repo_store_copy) / "sentences.jsonl"
    original = path.read_bytes()
    lines = original.decode("utf-8").splitlines(keepends=True)
    path.write_text("".join(ln for ln in lines if f'"article_id":"{SEED}"' not in ln), encoding="utf-8")
    report = segment_articles(Store(repo_store_copy), TextLoader(None), progress=False)
    assert report.segmented == {SEED: 29}
    assert len(report.skipped) == 941  # archive articles: no text here, their records are kept
    assert path.read_bytes() == original


def test_unsorted_sentence_file_falls_back_to_sorting_in_memory(repo_store_copy):
    path = Path(repo_store_copy) / "sentences.jsonl"
    original = path.read_bytes()
    lines = original.decode("utf-8").splitlines(keepends=True)
    kept = [ln for ln in lines if f'"article_id":"{SEED}"' not in ln]
    path.write_text("".join(kept[::-1]), encoding="utf-8")
    report = segment_articles(Store(repo_store_copy), TextLoader(None), progress=False)
    assert report.segmented == {SEED: 29}
    assert path.read_bytes() == original


def test_nothing_new_leaves_the_file_untouched(repo_store_copy):
    path = Path(repo_store_copy) / "sentences.jsonl"
    before = path.stat().st_mtime_ns
    report = segment_articles(Store(repo_store_copy), TextLoader(None), progress=False)
    assert report.kept == [SEED] and not report.segmented
    assert path.stat().st_mtime_ns == before
    assert not list(Path(repo_store_copy).glob(".sentences.jsonl.*"))  # no temporary file left behind
