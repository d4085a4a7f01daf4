"""`annotate adjudicate` checks every input before it writes anything: without the archive that
holds a batch's texts it fails with the reason and leaves final.jsonl and the disputes file alone.
Invented store; no server is reached (the texts are checked first)."""
from __future__ import annotations

import json

from integration.conftest import make_invented_store
from warvoices.corpus.batch_manifests import new_manifest, save_manifest
from warvoices.corpus.cli import main

LABELS = {"stance": "neutral", "attribution": "none", "source_type": "none", "event_type": "none"}


def test_adjudicate_without_the_archive_writes_nothing(tmp_path, monkeypatch, capsys):
    corpus = make_invented_store(tmp_path / "c")
    sids = sorted(corpus.texts)[:2]
    save_manifest(corpus.store, new_manifest("b1", corpus.articles[:1], sids, "http://127.0.0.1:1", "x", 1))
    recs = []
    for i, sid in enumerate(sids):
        for who, stance in (("ann-a", "neutral"), ("ann-b", "pro_ukraine" if i else "neutral")):
            recs.append({"annotation_id": f"ls:5e1f00000000:1:{len(recs) + 1}", "sentence_id": sid, "annotator": who,
                         "created_at": "2024-05-01T10:00:00Z", "status": "submitted",
                         "labels": dict(LABELS, stance=stance), "source_spans": [],
                         "origin": {"tool": "label-studio", "batch": "b1"}})
    corpus.store.write_annotations(recs)
    monkeypatch.setenv("WARVOICES_ARCHIVE", "")  # no archive at all, not even ../shared/archive
    disputes = tmp_path / "d.json"
    rc = main(["annotate", "adjudicate", "--batch", "b1", "--store", str(corpus.store.root),
               "--disputes", str(disputes), "--data-dir", str(tmp_path / "ls")])
    captured = capsys.readouterr()
    assert rc == 2 and "--archive" in captured.err and "archive: - (none" in captured.out
    assert not corpus.store.path("final.jsonl").exists() and not disputes.exists()
    # with the archive, the local part runs (the server is then the next thing checked)
    rc = main(["annotate", "adjudicate", "--batch", "b1", "--store", str(corpus.store.root), "--archive",
               str(corpus.archive), "--disputes", str(disputes), "--data-dir", str(tmp_path / "ls")])
    err = capsys.readouterr().err
    assert rc == 2 and "no Label Studio server is recorded" in err
    assert not corpus.store.path("final.jsonl").exists() and not disputes.exists()
    assert json.loads(json.dumps(recs)) == corpus.store.annotations()
