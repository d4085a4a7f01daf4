"""The annotation loop as a team lives it, on a fresh invented store, against real servers.

Server A: push to two annotators, their answers, pull; an edit (LS011 with a field-by-field diff,
lead_time ignored), its undo (pull works again), another edit accepted as a new revision; `server
stop` and an immediate restart on the same port; adjudication from an empty form. Server B, a
fresh data directory (Label Studio numbers projects and annotations from 1 again): a second batch
whose Label Studio ids repeat server A's, without any collision. Every printed next step is run
as printed. At the end: no false LS011, no lost or duplicated record, a store that validates."""
from __future__ import annotations

import shlex
import stat
import time
from collections import Counter

from warvoices.annotation import ls_server
from warvoices.corpus.batch_manifests import load_manifest
from warvoices.annotation.ls_client import connect
from warvoices.annotation.ls_results import to_result
from warvoices.annotation.ls_users import annotator_client
from warvoices.corpus.schema import guidelines_version
from warvoices.corpus.cli import main
from warvoices.corpus.texts import TextLoader
from warvoices.corpus.validate import validate_store

from .conftest import VENV, _STARTED, _quiet, complete, copy_template

AGREED = complete({"stance": "neutral", "attribution": "none", "source_type": "none", "event_type": "diplomacy"})


def run_printed(out: str, prefix: str) -> int:
    """Run the command a previous command printed after `prefix`, exactly as printed."""
    line = next(ln for ln in out.splitlines() if prefix in ln)
    cmd = line.split(prefix, 1)[1].strip().strip("`,")
    argv = shlex.split(cmd)
    assert argv[0].endswith("warvoices"), cmd
    return main(argv[1:])


def submit_all(server_paths, url, manifest, texts, answers: dict[str, dict[str, dict]]) -> dict:
    """Each annotator submits their answers through their own token; returns LS annotation ids."""
    ids = {}
    for who, per in answers.items():
        client = annotator_client(server_paths, url, who)
        for sid, labels in per.items():
            ann = client.create_annotation(manifest["projects"][who]["tasks"][sid],
                                           to_result(labels, [], texts[sid]), lead_time=10.0)
            ids[(who, sid)] = ann["id"]
    return ids


def start_server(template, tmp_path, name):
    data = copy_template(template, tmp_path / name)
    state = ls_server.start(data, port=0, venv=VENV, timeout=180, echo=_quiet)
    _STARTED.append(state.pid)
    return data, state


def test_two_servers_edits_undo_revision_restart_and_blind_adjudication(ls_template, corpus, tmp_path, capsys,
                                                                       monkeypatch):
    monkeypatch.delenv("WARVOICES_LS_TOKEN", raising=False)
    store = corpus.store
    files = ["--store", str(store.root), "--archive", str(corpus.archive), "--no-progress"]
    loader = TextLoader(corpus.archive)
    data_a, state_a = start_server(ls_template, tmp_path, "ls-a")
    try:
        # -- server A: push, two annotators, pull ---------------------------------------------------
        conn_a = ["--data-dir", str(data_a)]
        for who in ("ann-a", "ann-b", "adj-1"):
            assert main(["annotate", "users", "add", who, *conn_a]) == 0
        assert main(["annotate", "push", "--batch", "loop-1", "--articles", corpus.articles[0],
                     "--annotators", "ann-a,ann-b", *files, *conn_a]) == 0
        out = capsys.readouterr().out
        assert "/projects/" in out  # each annotator's own project link
        manifest = load_manifest(store, "loop-1")
        sids = manifest["sentences"]
        answers = {"ann-a": {s: AGREED for s in sids},
                   "ann-b": {s: (dict(AGREED, stance="pro_ukraine") if i == 1 else AGREED) for i, s in enumerate(sids)}}
        ls_ids = submit_all(ls_server.Paths(data_a.resolve()), state_a.url, manifest, corpus.texts, answers)
        # the one-server layout's limit, as the README states it: ann-b can open ann-a's project …
        b_client = annotator_client(ls_server.Paths(data_a.resolve()), state_a.url, "ann-b")
        a_project = manifest["projects"]["ann-a"]["project"]
        assert a_project in {p["id"] for p in b_client.projects()}
        # … and work done there is refused at pull (LS009), with nothing written
        stray = b_client.create_annotation(manifest["projects"]["ann-a"]["tasks"][sids[0]],
                                           to_result(AGREED, [], corpus.texts[sids[0]]))
        assert main(["annotate", "pull", "--batch", "loop-1", *files, *conn_a]) == 2
        assert "LS009" in capsys.readouterr().err and not store.path("annotations.jsonl").exists()
        with connect(data_a) as admin:
            admin.request("DELETE", f"/api/annotations/{stray['id']}/")
        assert run_printed(out, "next, when they have submitted:") == 0  # the pull, as printed
        out = capsys.readouterr().out
        assert "10 record(s) added" in out and "generate" in out
        stored = store.path("annotations.jsonl").read_bytes()

        # -- an edit, its LS011, the undo ----------------------------------------------------------
        edited_sid = sids[2]
        ann_id = ls_ids[("ann-a", edited_sid)]
        a_client = annotator_client(ls_server.Paths(data_a.resolve()), state_a.url, "ann-a")

        def edit(labels, lead):
            a_client.json("PATCH", f"/api/annotations/{ann_id}/",
                          json={"result": to_result(labels, [], corpus.texts[edited_sid]), "lead_time": lead})

        edit(dict(AGREED, event_type="combat"), 55.0)
        assert main(["annotate", "pull", "--batch", "loop-1", *files, *conn_a]) == 2
        err = capsys.readouterr().err
        assert "LS011" in err and "event_type: stored 'diplomacy', now 'combat'" in err
        assert "stance" not in err.split("LS011")[1].split("\n")[0]  # only the changed field is listed
        assert f"--accept-edit {ann_id}" in err
        assert store.path("annotations.jsonl").read_bytes() == stored  # nothing written
        edit(AGREED, 80.0)  # undone in the UI: same answer, more editing time
        assert main(["annotate", "pull", "--batch", "loop-1", *files, *conn_a]) == 0
        assert "0 record(s) added, 10 already there" in capsys.readouterr().out
        assert store.path("annotations.jsonl").read_bytes() == stored

        # -- an edit accepted as a new revision ------------------------------------------------------
        edit(dict(AGREED, stance="pro_russia"), 95.0)
        assert main(["annotate", "pull", "--batch", "loop-1", "--accept-edit", str(ann_id), *files, *conn_a]) == 0
        assert "1 record(s) added" in capsys.readouterr().out
        mine = [r for r in store.annotations() if r["origin"].get("annotation") == ann_id]
        assert len(mine) == 2
        old, rev = sorted(mine, key=lambda r: r["annotation_id"])
        assert rev["annotation_id"] == old["annotation_id"] + ":r2" and rev["origin"]["revision_of"] == old["annotation_id"]
        assert old["labels"] == AGREED and rev["labels"]["stance"] == "pro_russia"

        # -- stop and restart at once, same port --------------------------------------------------------
        db = data_a / "label_studio.sqlite3"
        assert stat.S_IMODE(db.stat().st_mode) & 0o077 == 0, oct(db.stat().st_mode)
        ident = ls_server.read_identity(ls_server.Paths(data_a.resolve()))
        ls_server.stop(data_a)
        t0 = time.monotonic()
        again = ls_server.start(data_a, port=state_a.port, venv=VENV, timeout=180, echo=_quiet)
        _STARTED.append(again.pid)
        print(f"restart on the same port took {time.monotonic() - t0:.1f} s")
        assert again.port == state_a.port
        assert ls_server.read_identity(ls_server.Paths(data_a.resolve())) == ident
        assert main(["annotate", "pull", "--batch", "loop-1", *files, *conn_a]) == 0
        out = capsys.readouterr().out
        assert "0 record(s) added, 10 already there" in out

        # -- adjudication: the form starts empty, the answers side by side -----------------------------
        adj_files = [*files, "--disputes", str(tmp_path / "loop-1.disputes.json")]
        printed = next(ln for ln in out.splitlines() if "settle the final labels with" in ln)
        for option in ("--store", "--archive", "--data-dir"):  # (not run: it writes under annotation/reports/)
            assert option in printed
        assert main(["annotate", "adjudicate", "--batch", "loop-1", *adj_files, *conn_a]) == 0
        out = capsys.readouterr().out
        manifest = load_manifest(store, "loop-1")
        disputed = set(manifest["adjudication"]["tasks"])
        assert disputed == {sids[1], edited_sid}
        adj = annotator_client(ls_server.Paths(data_a.resolve()), state_a.url, "adj-1")
        project = adj.json("GET", f"/api/projects/{manifest['adjudication']['project']}/")
        assert project["show_collab_predictions"] is False
        for sid, tid in manifest["adjudication"]["tasks"].items():
            task = adj.json("GET", f"/api/tasks/{tid}/")
            assert task["predictions"] == [] and task["annotations"] == []  # nothing pre-filled
            table = task["data"]["answers"]
            assert "answer A" in table and "answer B" in table and "ann-a" not in table
        rsid = next(s for s in disputed if s != edited_sid)
        assert "pro_ukraine" in adj.json("GET", f"/api/tasks/{manifest['adjudication']['tasks'][rsid]}/")["data"]["answers"]
        for sid, tid in manifest["adjudication"]["tasks"].items():
            adj.create_annotation(tid, to_result(dict(AGREED, stance="pro_ukraine"), [], corpus.texts[sid]), lead_time=9)
        assert run_printed(out, "next, when the adjudicator has submitted:") == 0
        finals = store.finals()
        assert all(finals[s]["adjudicator"] == "adj-1" and finals[s]["labels"]["stance"] == "pro_ukraine"
                   for s in disputed)
        assert rev["annotation_id"] in finals[edited_sid]["annotation_ids"]  # the revision counts
        assert old["annotation_id"] not in finals[edited_sid]["annotation_ids"]
        ls_server.stop(data_a)
    finally:
        ls_server.stop(data_a, timeout=10)

    # -- server B: a fresh data directory ------------------------------------------------------------
    data_b, state_b = start_server(ls_template, tmp_path, "ls-b")
    try:
        conn_b = ["--data-dir", str(data_b)]
        for who in ("ann-a", "ann-b"):
            assert main(["annotate", "users", "add", who, *conn_b]) == 0
        # the first batch belongs to server A: refused with a clear message, not LS011
        assert main(["annotate", "pull", "--batch", "loop-1", *files, *conn_b]) == 2
        err = capsys.readouterr().err
        assert "was pushed to the Label Studio server" in err and "LS011" not in err
        # … and so is pushing it again to the new server (a batch lives on one server)
        assert main(["annotate", "push", "--batch", "loop-1", "--annotators", "ann-a,ann-b", *files, *conn_b]) == 2
        assert "was pushed to another Label Studio server" in capsys.readouterr().err
        assert main(["annotate", "push", "--batch", "loop-2", "--articles", corpus.articles[1],
                     "--annotators", "ann-a,ann-b", *files, *conn_b]) == 0
        capsys.readouterr()
        m2 = load_manifest(store, "loop-2")
        submit_all(ls_server.Paths(data_b.resolve()), state_b.url, m2, corpus.texts,
                   {w: {s: AGREED for s in m2["sentences"]} for w in ("ann-a", "ann-b")})
        assert main(["annotate", "pull", "--batch", "loop-2", *files, *conn_b]) == 0
        assert f"{2 * len(m2['sentences'])} record(s) added" in capsys.readouterr().out
    finally:
        ls_server.stop(data_b, timeout=10)

    recs = store.annotations()
    ids = [r["annotation_id"] for r in recs]
    assert len(ids) == len(set(ids)) == 10 + 1 + 2 * len(m2["sentences"])  # nothing lost, nothing doubled
    by_server = {}
    for r in recs:
        by_server.setdefault(r["origin"]["server_id"], set()).add((r["origin"]["project"], r["origin"]["annotation"]))
    assert len(by_server) == 2
    one, two = by_server.values()
    assert one & two, "server B reuses server A's Label Studio ids: the case that used to collide"
    assert Counter(r["origin"]["batch"] for r in recs) == {"loop-1": 11, "loop-2": 2 * len(m2["sentences"])}
    assert {r["guideline_version"] for r in recs} == {guidelines_version()}
    errors = [i for i in validate_store(store, loader) if i.severity == "error"]
    assert errors == [], [str(i) for i in errors]
