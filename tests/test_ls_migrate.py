"""Annotation ids of the old format (ls:<project>:<annotation>, unique only within one Label
Studio database) are renamed to name their server, and every reference follows. Invented records."""
from __future__ import annotations

import json

from warvoices.corpus.batch_manifests import save_manifest
from warvoices.annotation.ls_migrate import legacy_identity, migrate_ids
from warvoices.annotation.ls_pull import legacy_ids
from warvoices.annotation.ls_server import Paths, ensure_identity, short_server_id
from warvoices.corpus.cli import main
from warvoices.corpus.store import Store, read_jsonl

LABELS = {"stance": "neutral", "attribution": "none", "source_type": "none", "event_type": "none"}


def _rec(aid, sid, who, batch, status="submitted"):
    return {"annotation_id": aid, "sentence_id": sid, "annotator": who, "created_at": "2024-05-01T10:00:00Z",
            "status": status, "labels": LABELS if status == "submitted" else None, "source_spans": [],
            "origin": {"tool": "label-studio", "project": int(aid.split(":")[1]), "task": 1,
                       "annotation": int(aid.split(":")[2]), "batch": batch, "lead_time": 3.0, "prediction": None}}


def _store(tmp_path) -> Store:
    store = Store(tmp_path / "store")
    store.write_annotations([
        _rec("ls:1:1", "inv-a-s0000", "ann-a", "old-1"), _rec("ls:2:2", "inv-a-s0000", "ann-b", "old-1"),
        _rec("ls:1:3:skipped", "inv-a-s0001", "ann-a", "old-1", status="skipped"),
        _rec("ls:1:1", "inv-b-s0000", "ann-a", "old-2") | {"annotation_id": "ls:7:1"},
        {"annotation_id": "direct:ann-c:inv-a-s0000", "sentence_id": "inv-a-s0000", "annotator": "ann-c",
         "created_at": "2024-05-01T10:00:00Z", "status": "submitted", "labels": LABELS, "source_spans": [],
         "origin": {"tool": "direct"}}])
    store.write_finals([{"sentence_id": "inv-a-s0000", "labels": LABELS, "source_spans": [],
                         "method": {}, "annotation_ids": ["direct:ann-c:inv-a-s0000", "ls:1:1", "ls:2:2"],
                         "adjudicator": "adj-1", "decided_at": "2024-05-02T10:00:00Z"}])
    (store.root / "batches").mkdir()
    (store.root / "batches" / "old-1.decisions.jsonl").write_text(json.dumps(
        {"sentence_id": "inv-a-s0000", "adjudicator": "adj-1", "labels": LABELS, "source_spans": [],
         "annotation_ids": ["direct:ann-c:inv-a-s0000", "ls:1:1", "ls:2:2"]}) + "\n")
    for batch in ("old-1", "old-2"):
        save_manifest(store, {"manifest_version": 1, "batch": batch, "server": "http://127.0.0.1:8080",
                              "created_at": "2024-05-01T09:00:00Z", "articles": [], "sentences": [],
                              "projects": {}, "annotators": {}})
    return store


def test_old_ids_get_their_server_and_every_reference_follows(tmp_path, capsys):
    store = _store(tmp_path)
    assert sorted(legacy_ids(store.annotations(), "old-1")) == ["ls:1:1", "ls:1:3:skipped", "ls:2:2"]
    paths = Paths(tmp_path / "ls")
    server = ensure_identity(paths)["server_id"]
    assert main(["annotate", "migrate-ids", "--store", str(store.root), "--dry-run"]) == 0
    assert "dry run" in capsys.readouterr().out and legacy_ids(store.annotations(), "old-1")

    m = migrate_ids(store, server_id=server)
    s = short_server_id(server)
    assert m.renamed == {"ls:1:1": f"ls:{s}:1:1", "ls:2:2": f"ls:{s}:2:2", "ls:1:3:skipped": f"ls:{s}:1:3:skipped",
                         "ls:7:1": f"ls:{s}:7:1"}
    recs = {r["annotation_id"]: r for r in store.annotations()}
    assert len(recs) == 5 and "direct:ann-c:inv-a-s0000" in recs  # nothing lost, nothing doubled
    assert recs[f"ls:{s}:1:1"]["origin"]["migrated_from"] == "ls:1:1"
    assert recs[f"ls:{s}:1:1"]["origin"]["server_id"] == server
    assert recs[f"ls:{s}:1:1"]["origin"]["server_url"] == "http://127.0.0.1:8080"
    want = sorted(["direct:ann-c:inv-a-s0000", f"ls:{s}:1:1", f"ls:{s}:2:2"])
    assert store.finals()["inv-a-s0000"]["annotation_ids"] == want
    (dec,) = [r for _, r in read_jsonl(store.root / "batches" / "old-1.decisions.jsonl")]
    assert dec["annotation_ids"] == want
    manifest = json.loads((store.root / "batches" / "old-1.json").read_text())
    assert manifest["server_id"] == server  # pulls of the batch from this server keep working
    before = store.path("annotations.jsonl").read_bytes()
    assert migrate_ids(store).renamed == {}  # a rerun changes nothing
    assert store.path("annotations.jsonl").read_bytes() == before


def test_without_the_server_each_batch_gets_a_fixed_identity_of_its_own(tmp_path):
    store = _store(tmp_path)
    m = migrate_ids(store)
    one = legacy_identity(json.loads((store.root / "batches" / "old-1.json").read_text()), "old-1")
    two = m.servers["old-2"][0]
    assert m.servers["old-1"][0] == one != two
    # the same Label Studio ids on two servers (project 1 annotation 1 in both batches) no longer collide
    ids = [r["annotation_id"] for r in store.annotations()]
    assert len(ids) == len(set(ids)) == 5
    assert f"ls:{short_server_id(one)}:1:1" in ids and f"ls:{short_server_id(two)}:7:1" in ids
