"""Pull through Label Studio's database stores exactly what pull through its JSON export stores.

A real server and an invented corpus: a batch shown with predictions, an answer that accepts the
prediction, a plain answer with a span, a skip, a cancelled start; then an edit (LS011 on both
paths, the same message) and the edit kept as a revision (the same :r2 record on both paths).
Each pull runs twice, into two copies of one store: once as by default (the database) and once
with WARVOICES_LS_READ=export."""
from __future__ import annotations

import json
import shutil

import pytest

from schema_labels import full_labels
from warvoices.annotation.ls_client import READ_ENV, DatabaseReader, LSClient, connect
from warvoices.annotation.ls_pull import PullError, pull_batch
from warvoices.annotation.ls_push import push_batch
from warvoices.annotation.ls_results import to_result
from warvoices.annotation.ls_users import annotator_by_user_id, annotator_client, load_users
from warvoices.corpus.batch_manifests import load_manifest
from warvoices.corpus.cli import main
from warvoices.corpus.errors import WarVoicesError
from warvoices.corpus.store import Store
from warvoices.corpus.texts import TextLoader

# the fields of an exported task and annotation that a pull reads
TASK_KEYS = ("id", "data")
ANN_KEYS = ("id", "completed_by", "result", "was_cancelled", "created_at", "updated_at", "lead_time", "prediction")


def _pull_both(server, stores, loader, monkeypatch, calls, **kw):
    """Pull into stores[0] by default (must read the database) and into stores[1] through the
    export; returns the two outcomes (the report, or the PullError's issues as text)."""
    out = []
    for store, mode in zip(stores, ("auto", "export")):
        monkeypatch.setenv(READ_ENV, mode)
        calls.clear()
        with connect(server.data_dir) as client:
            assert client.read_mode() == ("database" if mode == "auto" else "export")
            try:
                report = pull_batch(client, store, loader, "db1", annotator_by_user_id(server.paths),
                                    progress=False, **kw)
                out.append((report.added, report.already))
            except PullError as exc:
                out.append([str(i) for i in exc.issues])
        # the spy proves which path ran: the export is called only when asked for
        assert calls == ([] if mode == "auto" else ["export", "export"])  # one per annotator project
    return out


def test_database_read_stores_exactly_what_the_export_stores(server, corpus, tmp_path, monkeypatch):
    calls: list[str] = []
    real_export = LSClient.iter_export

    def spy_export(self, project_id):
        calls.append("export")
        return real_export(self, project_id)

    monkeypatch.setattr(LSClient, "iter_export", spy_export)
    sids = [s for s in corpus.texts if s.startswith(corpus.articles[0])]
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"sentence_id": s, "labels": full_labels(event_type="politics"),
                                         "score": 0.6}) + "\n" for s in sids))
    common = ["--store", str(corpus.store.root), "--archive", str(corpus.archive), "--data-dir",
              str(server.data_dir), "--no-progress"]
    assert main(["annotate", "push", "--batch", "db1", "--articles", corpus.articles[0], "--annotators", "ann-a,ann-b",
                 "--predictions", str(preds), "--model", "tfidf-lr", "--model-version", "0.4", *common]) == 0
    manifest = load_manifest(corpus.store, "db1")
    a = annotator_client(server.paths, server.url, "ann-a")
    b = annotator_client(server.paths, server.url, "ann-b")
    ta, tb = manifest["projects"]["ann-a"]["tasks"], manifest["projects"]["ann-b"]["tasks"]
    shown = a.json("GET", f"/api/tasks/{ta[sids[0]]}/")["predictions"][0]["result"]
    a.create_annotation(ta[sids[0]], shown, lead_time=4.5)  # the prediction accepted as shown
    text = corpus.texts[sids[1]]
    span = [text.index("Irena Kostyk"), text.index("Irena Kostyk") + len("Irena Kostyk")]
    labels = full_labels(stance="neutral", attribution="direct", source_type="ukraine_official",
                         event_type="diplomacy")
    edited = a.create_annotation(ta[sids[1]], to_result(labels, [span], text), lead_time=30.25)
    a.create_annotation(ta[sids[2]], [], was_cancelled=True)  # a skip
    b.create_annotation(tb[sids[3]], to_result(full_labels(), [], corpus.texts[sids[3]])[:2],
                        was_cancelled=True)  # started, then cancelled
    b.create_annotation(tb[sids[1]], to_result(labels, [span], text))  # no lead time

    with connect(server.data_dir) as client:
        for project in (manifest["projects"]["ann-a"]["project"], manifest["projects"]["ann-b"]["project"]):
            reader = DatabaseReader(client.database(), client)
            assert reader.usable(project), reader.why_not
            by_db, by_export = list(reader.iter_tasks(project)), list(real_export(client, project))
            assert [t["id"] for t in by_db] == [t["id"] for t in by_export] and len(by_db) >= 2
            for x, y in zip(by_db, by_export):
                assert {k: x[k] for k in TASK_KEYS} == {k: y[k] for k in TASK_KEYS}
                assert bool(x["predictions"]) == bool(y["predictions"]) is True
                assert [{k: n[k] for k in ANN_KEYS} for n in x["annotations"]] == \
                       [{k: n[k] for k in ANN_KEYS} for n in y["annotations"]]

    loader = TextLoader(corpus.archive)
    other = Store(tmp_path / "store-export")
    shutil.copytree(corpus.store.root, other.root)
    stores = [corpus.store, other]
    path = "annotations.jsonl"
    assert _pull_both(server, stores, loader, monkeypatch, calls) == [(5, 0), (5, 0)]
    first = corpus.store.path(path).read_bytes()
    assert first == other.path(path).read_bytes()
    recs = {(r["annotator"], r["sentence_id"]): r for r in corpus.store.annotations()}
    assert recs[("ann-a", sids[0])]["origin"]["prediction"] == {"model": "tfidf-lr", "version": "0.4"}
    assert recs[("ann-a", sids[1])]["origin"]["lead_time"] == 30.25
    assert recs[("ann-a", sids[2])]["status"] == "skipped" and recs[("ann-b", sids[3])]["status"] == "cancelled"
    assert _pull_both(server, stores, loader, monkeypatch, calls) == [(0, 5), (0, 5)]

    # an edit after the pull: the same LS011 on both paths, nothing written; then kept as a revision
    a.json("PATCH", f"/api/annotations/{edited['id']}/",
           json={"result": to_result(dict(labels, event_type="combat"), [span], text), "lead_time": 50.0})
    refused = _pull_both(server, stores, loader, monkeypatch, calls)
    assert refused[0] == refused[1] and len(refused[0]) == 1 and "LS011" in refused[0][0]
    assert corpus.store.path(path).read_bytes() == first == other.path(path).read_bytes()
    assert _pull_both(server, stores, loader, monkeypatch, calls, accept_edits=True) == [(1, 4), (1, 4)]
    assert corpus.store.path(path).read_bytes() == other.path(path).read_bytes()
    rev = [r for r in corpus.store.annotations() if r["annotation_id"].endswith(":r2")]
    assert len(rev) == 1 and rev[0]["labels"]["event_type"] == "combat"


def test_read_mode_follows_the_setting_and_refuses_nonsense(server, monkeypatch, tmp_path):
    with connect(server.data_dir) as client:
        monkeypatch.delenv(READ_ENV, raising=False)
        assert client.read_mode() == "database"
        monkeypatch.setenv(READ_ENV, "export")
        assert client.read_mode() == "export"
        monkeypatch.setenv(READ_ENV, "sideways")
        with pytest.raises(WarVoicesError, match="auto, database or export"):
            client.read_mode()
    # a server named by --url is read through its API only, and asking for the database is an error
    monkeypatch.setenv(READ_ENV, "database")
    with connect(server.data_dir, url=server.url) as client:
        assert client.database() is None
        with pytest.raises(WarVoicesError, match="not a server WarVoices started"):
            client.read_mode()
    monkeypatch.setenv(READ_ENV, "auto")
    with connect(server.data_dir, url=server.url) as client:
        assert client.read_mode() == "export"


def test_a_database_of_another_project_is_not_read(server, corpus, monkeypatch):
    """The database must hold the project the server shows (same id, same title); otherwise the
    pull falls back to the export rather than read someone else's tasks."""
    with connect(server.data_dir) as client:
        pid = client.create_project(title="wv invented check")["id"]
        reader = DatabaseReader(client.database(), client)
        assert reader.usable(pid)
        monkeypatch.setattr(LSClient, "project", lambda self, p: {"title": "another title"})
        assert not reader.usable(pid) and "not the one" in reader.why_not
        assert not DatabaseReader(client.database(), client).usable(pid + 1000)


def test_the_server_can_write_while_a_pull_works_through_the_tasks(server, corpus):
    """The database is read in one short query and closed before the first task is handed on: a
    pull that is still validating must not keep Label Studio from committing a submit (an open
    read would make the submit wait and then fail with 'database is locked')."""
    loader = TextLoader(corpus.archive)
    with connect(server.data_dir) as client:
        assert main(["annotate", "users", "add", "ann-a", "--data-dir", str(server.data_dir)]) == 0
        push_batch(client, corpus.store, loader, "w1", corpus.articles[:1], {"ann-a": load_users(server.paths)["ann-a"]},
                   progress=False)
        tasks = load_manifest(corpus.store, "w1")["projects"]["ann-a"]["tasks"]
        project = load_manifest(corpus.store, "w1")["projects"]["ann-a"]["project"]
        a = annotator_client(server.paths, server.url, "ann-a")
        sids = sorted(tasks)
        for sid in sids[:2]:
            a.create_annotation(tasks[sid], [], was_cancelled=True)
        reading = DatabaseReader(client.database(), client).iter_tasks(project)
        first = next(reading)  # the pull is between two tasks now
        assert first["id"] == min(tasks[s] for s in sids[:2])
        a.create_annotation(tasks[sids[2]], [], was_cancelled=True)  # a submit meanwhile: committed
        assert [t["id"] for t in reading] == [max(tasks[s] for s in sids[:2])]  # the snapshot taken
        assert len(list(DatabaseReader(client.database(), client).iter_tasks(project))) == 3
