"""Re-segmentation with migration (`corpus segment --resegment`): unchanged units keep id and labels,
changed labelled units stay as superseded history and are reported, new ids never collide.

The store is invented: one bundled text (tests/fixtures/resegment/briefing.txt) whose "old" cuts
are written by hand the way the previous segmenter cut it (the long speaker label left inside the
first unit, "... to me. I will ..." merged).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from warvoices.annotation.agreement import article_of
from warvoices.corpus import store as store_module
from warvoices.corpus.sentences import SegmentReport, migrate_article, offsets_sentence_id, records_for, segment_articles
from warvoices.corpus.store import SUPERSEDED, Store, sha256_text, short_hash
from warvoices.corpus.texts import TextLoader
from warvoices.corpus.validate import migration_summary, validate_store

HERE = Path(__file__).parent
REL = "tests/fixtures/resegment/briefing.txt"
TEXT = (HERE / "fixtures" / "resegment" / "briefing.txt").read_text(encoding="utf-8")
AID = "briefing-1"
LABELS = {"stance": "neutral", "attribution": "none", "source_type": "none", "event_type": "none"}


def _sent(i, a_text, b_text=None, speaker=None):
    s = TEXT.index(a_text)
    e = TEXT.index(b_text) + len(b_text) if b_text else s + len(a_text)
    sp = None
    if speaker:
        k = TEXT.index(speaker)
        sp = [k, k + len(speaker)]
    return {"sentence_id": f"{AID}-s{i:04d}", "article_id": AID, "index": i, "start": s, "end": e, "kind": "body",
            "speaker_span": sp, "flags": [], "text_hash": short_hash(TEXT[s:e])}


def _ann(sid, annotator="ann-a"):
    return {"annotation_id": f"direct:{annotator}:{sid}", "sentence_id": sid, "annotator": annotator,
            "created_at": "2026-11-30T00:00:00+00:00", "status": "submitted", "labels": dict(LABELS),
            "source_spans": [], "origin": {"tool": "direct"}, "guideline_version": 1}


def _final(sid):
    return {"sentence_id": sid, "labels": dict(LABELS), "source_spans": [], "annotation_ids": [f"direct:ann-a:{sid}"],
            "method": {k: "single" for k in ("stance", "attribution", "source_type", "source_spans", "event_type")},
            "adjudicator": None, "decided_at": "2026-11-30T00:00:00+00:00", "guideline_version": 1}


@pytest.fixture
def old_store(tmp_path) -> Store:
    st = Store(tmp_path / "store")
    st.write_articles([{
        "article_id": AID, "publisher": "Invented Ministry", "publisher_type": "russia_official", "url": None,
        "date": "2026-01-01", "title": "Invented briefing", "license": "CC0 (invented for tests)",
        "sha256": sha256_text(TEXT), "text_source": {"bundled": REL}, "exclude": [], "layout": "plain",
        "split": "test"}])
    old = [
        _sent(0, "Minister of Harbour", "run again."),                      # label left in the unit
        _sent(1, "The storm damage", "what we found."),                      # "me. I" merged
        _sent(2, "Thank you.", speaker="Vladimir Petrov"),
        _sent(3, "We will help.", speaker="Vladimir Petrov"),
    ]
    st.write_sentences(old)
    # s0001 (changed) and s0002 (unchanged) are labelled; s0000 (changed) only has an annotation
    st.write_annotations([_ann(f"{AID}-s0000"), _ann(f"{AID}-s0001"), _ann(f"{AID}-s0002")])
    st.write_finals([_final(f"{AID}-s0001"), _final(f"{AID}-s0002")])
    return st


def _texts(st: Store, **kw) -> dict[str, str]:
    return {r["sentence_id"]: TEXT[r["start"]:r["end"]] for r in st.sentences(**kw)}


def test_without_flag_old_cuts_are_kept_and_reported(old_store):
    before = old_store.path("sentences.jsonl").read_bytes()
    report = segment_articles(old_store, TextLoader(None), progress=False)
    assert report.drifted == [AID] and not report.migrated
    assert "--resegment" in report.summary()
    assert old_store.path("sentences.jsonl").read_bytes() == before


def test_resegment_keeps_unchanged_units_and_supersedes_changed_ones(old_store):
    report = segment_articles(old_store, TextLoader(None), progress=False, resegment=True)
    assert report.migrated == [AID]
    current = _texts(old_store)
    # the new cuts: label outside the unit, "me." split from "I will"
    assert sorted(current.values()) == sorted(["The ferries run again.", "The storm damage was reported to me.",
                                               "I will tell you what we found.", "Thank you.", "We will help."])
    # unchanged units keep their ids (and so their labels)
    assert current[f"{AID}-s0002"] == "Thank you." and current[f"{AID}-s0003"] == "We will help."
    assert report.unchanged == 2
    # new units have offset ids that no index id can take
    new = {sid: t for sid, t in current.items() if sid in report.added}
    assert len(new) == 3 and not set(new) & {f"{AID}-s{i:04d}" for i in range(10000)}
    for sid, t in new.items():
        s = TEXT.index(t)
        assert sid == offsets_sentence_id(AID, s, s + len(t)) == f"{AID}-s{s:07d}{s + len(t):07d}"
        # code that reads the article id out of a sentence id still can
        assert article_of(sid) == AID
    # changed units are history, with the units now covering their text; labels stay on them
    hist = {r["sentence_id"]: r for r in old_store.sentences(include_superseded=True) if r.get("status") == SUPERSEDED}
    assert set(hist) == {f"{AID}-s0000", f"{AID}-s0001"}
    assert hist[f"{AID}-s0001"]["needs_relabel"] is True and hist[f"{AID}-s0000"]["needs_relabel"] is True
    assert [current[x] for x in hist[f"{AID}-s0001"]["superseded_by"]] == [
        "The storm damage was reported to me.", "I will tell you what we found."]
    assert sorted(report.relabel) == [f"{AID}-s0000", f"{AID}-s0001"]
    assert {f["sentence_id"] for f in old_store.finals().values()} == {f"{AID}-s0001", f"{AID}-s0002"}
    # the speaker of the new first unit is the whole long label, raw
    first = next(r for r in old_store.sentences() if TEXT[r["start"]:r["end"]] == "The ferries run again.")
    assert TEXT[slice(*first["speaker_span"])] == "Minister of Harbour Affairs of the Northern Region Anna Lind"
    # a second run has nothing to do
    again = segment_articles(old_store, TextLoader(None), progress=False, resegment=True)
    assert again.kept == [AID] and not again.migrated


def test_validate_reports_units_to_relabel(old_store):
    segment_articles(old_store, TextLoader(None), progress=False, resegment=True)
    issues = validate_store(old_store, TextLoader(None))
    v015 = sorted(i.pointer.rsplit("(", 1)[1].rstrip(")") for i in issues if i.id == "V015")
    assert v015 == [f"{AID}-s0000", f"{AID}-s0001"]
    assert {i.id for i in issues} == {"V015"}, [str(i) for i in issues]
    line = migration_summary(old_store)
    assert "2 superseded sentence(s) in 1 article(s), 2 of them labelled; 2 still to relabel" in line
    # once the replacements of s0001 carry final labels, it is history only
    hist = next(r for r in old_store.sentences(include_superseded=True) if r["sentence_id"] == f"{AID}-s0001")
    old_store.upsert_finals([_final(sid) for sid in hist["superseded_by"]])
    left = [i for i in validate_store(old_store, TextLoader(None)) if i.id == "V015"]
    assert [i.pointer.rsplit("(", 1)[1].rstrip(")") for i in left] == [f"{AID}-s0000"]


def test_build_leaves_superseded_units_out(old_store, tmp_path):
    from warvoices.corpus.build import collect_rows

    segment_articles(old_store, TextLoader(None), progress=False, resegment=True)
    rows, report = collect_rows(old_store, TextLoader(None), progress=False)
    ids = [r["id"] for split_rows in rows.values() for r in split_rows]
    assert f"{AID}-s0001" not in ids and f"{AID}-s0000" not in ids
    # the article is labelled (s0002 kept its final label): it stays in its stored split
    assert ids == [f"{AID}-s0002"] and rows["test"][0]["text"] == "Thank you."
    assert report.pending_sentences == 4
    # the history is still in the store with its labels
    assert f"{AID}-s0001" in {r["sentence_id"] for r in old_store.sentences(include_superseded=True)}


def test_a_unit_cut_again_is_revived_with_its_id():
    fresh_old = records_for({"article_id": AID, "layout": "plain"}, TEXT)
    # history holds a unit that the segmenter cuts again: it becomes current under its old id
    hist = dict(fresh_old[0], sentence_id=f"{AID}-s0007", index=7, status=SUPERSEDED, superseded_by=[], needs_relabel=True)
    other = dict(fresh_old[0], sentence_id=offsets_sentence_id(AID, 0, 5), start=0, end=5, text_hash=short_hash(TEXT[0:5]))
    report = SegmentReport()
    out = migrate_article([hist, other], fresh_old, set(), report)
    by_id = {r["sentence_id"]: r for r in out}
    assert report.revived == [f"{AID}-s0007"]
    assert "status" not in by_id[f"{AID}-s0007"] and by_id[f"{AID}-s0007"]["index"] == 0
    assert by_id[offsets_sentence_id(AID, 0, 5)]["status"] == SUPERSEDED
    assert len(by_id) == len(out)   # no id twice


def test_an_interrupted_write_leaves_the_store_as_it_was(old_store, monkeypatch):
    before = old_store.path("sentences.jsonl").read_bytes()

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(store_module.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        segment_articles(old_store, TextLoader(None), progress=False, resegment=True)
    assert old_store.path("sentences.jsonl").read_bytes() == before
    assert not [p for p in old_store.root.iterdir() if p.name.endswith(".tmp")]


def test_cli_resegment_flag(old_store, capsys):
    from warvoices.corpus.cli import main

    assert main(["corpus", "segment", "--store", str(old_store.root), "--no-progress"]) == 0
    assert "--resegment" in capsys.readouterr().out
    assert main(["corpus", "segment", "--store", str(old_store.root), "--no-progress", "--resegment"]) == 0
    out = capsys.readouterr().out
    assert "re-segmented 1 article(s)" in out and f"{AID}-s0001" in out
    assert main(["corpus", "validate", "--store", str(old_store.root), "--no-progress"]) == 0   # warnings only
    assert "2 still to relabel (V015)" in capsys.readouterr().out


def test_offset_ids_are_unique_per_span():
    pairs = [(0, 5), (0, 50), (5, 50), (1234567, 12345678), (12345671, 12345678), (9999999, 10000000)]
    ids = [offsets_sentence_id(AID, a, b) for a, b in pairs]
    assert len(set(ids)) == len(ids)
