"""Push and pull against a real Label Studio server, with an invented corpus."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from schema_labels import full_labels
from warvoices.corpus.batch_manifests import load_manifest
from warvoices.annotation.ls_pull import PullError, pull_batch
from warvoices.annotation.ls_push import push_batch
from warvoices.annotation.ls_results import to_result
from warvoices.annotation.ls_users import add_annotator, annotator_by_user_id, annotator_client, load_users
from warvoices.corpus.cli import main
from warvoices.corpus.errors import InputError
from warvoices.corpus.texts import TextLoader


def _users(server, client, *names):
    for n in names:
        add_annotator(client, server.paths, n)
    users = load_users(server.paths)
    return {n: users[n] for n in names}


class Interrupted(Exception):
    pass


def test_push_is_idempotent_and_an_interrupted_push_resumes(server, corpus):
    loader = TextLoader(corpus.archive)
    n = len(corpus.texts)
    with server.admin() as client:
        users = _users(server, client, "ann-a", "ann-b")
        real_import = client.import_tasks
        calls = []

        def import_then_fail(project, tasks):
            # fault injection: the connection drops after the server stored the second chunk
            ids = real_import(project, tasks)
            calls.append(len(tasks))
            if len(calls) == 2:
                raise Interrupted()
            return ids

        client.import_tasks = import_then_fail
        with pytest.raises(Interrupted):
            push_batch(client, corpus.store, loader, "b1", corpus.articles, users, chunk=3, progress=False)
        client.import_tasks = real_import
        manifest = load_manifest(corpus.store, "b1")
        assert len(manifest["projects"]["ann-a"]["tasks"]) == 3  # the manifest says how far it got
        # even with the manifest lost, the rerun finds the project by its title and the tasks by sentence id
        (corpus.store.root / "batches" / "b1.json").unlink()

        report = push_batch(client, corpus.store, loader, "b1", corpus.articles, users, chunk=3, progress=False)
        assert report.projects["ann-a"] == {"project": report.projects["ann-a"]["project"], "new": n - 6,
                                            "existing": 6}
        assert report.projects["ann-b"]["new"] == n
        again = push_batch(client, corpus.store, loader, "b1", None, users, progress=False)
        assert all(p["new"] == 0 and p["existing"] == n for p in again.projects.values())

        manifest = load_manifest(corpus.store, "b1")
        for who, entry in manifest["projects"].items():
            tasks = list(client.iter_tasks(entry["project"]))
            sids = Counter(t["data"]["sentence_id"] for t in tasks)
            assert set(sids) == set(corpus.texts) and max(sids.values()) == 1, who
            assert {t["data"]["sentence_id"]: t["id"] for t in tasks} == entry["tasks"]
            task = next(t for t in tasks if t["data"]["sentence_id"] == manifest["sentences"][1])
            assert task["data"]["context_before"] == corpus.texts[manifest["sentences"][0]]
            assert task["data"]["context_after"] == corpus.texts[manifest["sentences"][2]]
            assert task["data"]["title"] == "Harbour talks in Volnovo" and task["data"]["publisher"] == "Invented Wire"
        assert manifest["projects"]["ann-a"]["project"] != manifest["projects"]["ann-b"]["project"]
        assert manifest["annotators"]["ann-a"]["email"] == "ann-a@warvoices.local"


def test_pull_records_every_status_validates_and_writes_nothing_on_error(server, corpus):
    loader = TextLoader(corpus.archive)
    with server.admin() as client:
        users = _users(server, client, "ann-a", "ann-b")
        push_batch(client, corpus.store, loader, "b2", corpus.articles[:1], users, progress=False)
        manifest = load_manifest(corpus.store, "b2")
        sids = manifest["sentences"]
        a = annotator_client(server.paths, server.url, "ann-a")
        b = annotator_client(server.paths, server.url, "ann-b")
        labels = full_labels(stance="neutral", attribution="direct", source_type="ukraine_official",
                             event_type="diplomacy")
        text = corpus.texts[sids[1]]
        span = [text.index("Irena Kostyk"), text.index("Irena Kostyk") + len("Irena Kostyk")]
        a.create_annotation(manifest["projects"]["ann-a"]["tasks"][sids[1]], to_result(labels, [span], text),
                            lead_time=41.5)
        a.create_annotation(manifest["projects"]["ann-a"]["tasks"][sids[0]], [], was_cancelled=True)
        b.create_annotation(manifest["projects"]["ann-b"]["tasks"][sids[1]], to_result(labels, [span], text))

        report = pull_batch(client, corpus.store, loader, "b2", annotator_by_user_id(server.paths), progress=False)
        assert report.added == 3
        recs = {(r["annotator"], r["sentence_id"]): r for r in corpus.store.annotations()}
        got = recs[("ann-a", sids[1])]
        assert got["labels"] == labels and got["source_spans"] == [span] and got["status"] == "submitted"
        assert got["origin"]["lead_time"] == 41.5 and got["origin"]["batch"] == "b2"
        assert got["origin"]["project"] == manifest["projects"]["ann-a"]["project"]
        assert recs[("ann-a", sids[0])]["status"] == "skipped"
        assert pull_batch(client, corpus.store, loader, "b2", annotator_by_user_id(server.paths),
                          progress=False).added == 0

        before = corpus.store.path("annotations.jsonl").read_bytes()
        # Label Studio stores an unknown label silently; the pull must refuse it
        bad = to_result(labels, [], corpus.texts[sids[2]])
        bad[0]["value"]["choices"] = ["pro_atlantis"]
        b.create_annotation(manifest["projects"]["ann-b"]["tasks"][sids[2]], bad)
        with pytest.raises(PullError) as info:
            pull_batch(client, corpus.store, loader, "b2", annotator_by_user_id(server.paths), progress=False)
        assert [i.id for i in info.value.issues] == ["LS001"]
        assert "pro_atlantis" in str(info.value) and "nothing was written" in str(info.value)
        assert corpus.store.path("annotations.jsonl").read_bytes() == before


def test_predictions_are_shown_and_recorded_as_provenance(server, corpus, tmp_path, capsys):
    sids = [s for s in corpus.texts if s.startswith(corpus.articles[1])]
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"sentence_id": s, "labels": full_labels(stance="neutral", attribution="none",
                                                                                  source_type="none",
                                                                                  event_type="politics"),
                                         "score": 0.7}) + "\n" for s in sids))
    common = ["--store", str(corpus.store.root), "--archive", str(corpus.archive), "--data-dir", str(server.data_dir),
              "--no-progress"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"sentence_id": sids[0], "labels": {"stance": "pro_atlantis"}}) + "\n")
    rc = main(["annotate", "push", "--batch", "p0", "--articles", corpus.articles[1], "--annotators", "ann-a",
               "--predictions", str(bad), "--model", "tfidf-lr", "--model-version", "0.3", *common])
    assert rc == 2 and "pro_atlantis" in capsys.readouterr().err
    with server.admin() as client:
        assert not any(p["title"].startswith("wv p0 ") for p in client.projects())  # refused before creating
    # … and before creating any account or manifest: nothing is written before the inputs are checked
    assert "ann-a" not in load_users(server.paths)
    assert not (corpus.store.root / "batches" / "p0.json").exists()

    rc = main(["annotate", "push", "--batch", "p1", "--articles", corpus.articles[1], "--annotators", "ann-a",
               "--predictions", str(preds), "--model", "tfidf-lr", "--model-version", "0.3", *common])
    assert rc == 0
    manifest = load_manifest(corpus.store, "p1")
    assert manifest["prediction"] == {"model": "tfidf-lr", "version": "0.3", "sentences": len(sids)}
    a = annotator_client(server.paths, server.url, "ann-a")
    tid = manifest["projects"]["ann-a"]["tasks"][sids[0]]
    task = a.json("GET", f"/api/tasks/{tid}/")
    assert [p["model_version"] for p in task["predictions"]] == ["tfidf-lr@0.3"]
    a.create_annotation(tid, task["predictions"][0]["result"], lead_time=2.0)  # accepted as shown
    assert main(["annotate", "pull", "--batch", "p1", *common]) == 0
    (rec,) = [r for r in corpus.store.annotations() if r["origin"]["batch"] == "p1"]
    assert rec["origin"]["prediction"] == {"model": "tfidf-lr", "version": "0.3"}
    assert rec["labels"]["event_type"] == "politics"
    # a rerun without the predictions would make the batch inconsistent: refused
    rc = main(["annotate", "push", "--batch", "p1", "--annotators", "ann-a", *common])
    assert rc == 2 and "same --predictions" in capsys.readouterr().err
