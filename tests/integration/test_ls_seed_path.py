"""The curator's whole path on the seed article, against a real server, through the CLI:
users, push to two annotators, their submissions, pull, agreement (checked against an
independent computation), adjudication in Label Studio, build, and load with `datasets`."""
from __future__ import annotations

import json
from collections import Counter
from itertools import permutations

import datasets
import pytest

from schema_labels import full_labels
from warvoices.corpus.batch_manifests import load_manifest
from warvoices.annotation.ls_results import to_result
from warvoices.annotation.ls_users import annotator_client
from warvoices.corpus.schema import load_schema
from warvoices.corpus.cli import main
from warvoices.corpus.commands import SEED_DEFAULTS
from warvoices.corpus.texts import TextLoader
from warvoices.corpus.textview import sentence_texts

from .conftest import seed_store

SEED = SEED_DEFAULTS["article_id"]
BATCH = "seed-it"


def nominal_alpha(units: list[list[str]]) -> float:
    """Krippendorff's alpha for nominal data, from the coincidence matrix (Krippendorff 2011, §3)."""
    o: Counter = Counter()
    for values in units:
        m = len(values)
        if m < 2:
            continue
        for c, k in permutations(range(m), 2):
            o[(values[c], values[k])] += 1 / (m - 1)
    n_c: Counter = Counter()
    for (c, _k), w in o.items():
        n_c[c] += w
    n = sum(n_c.values())
    d_o = sum(w for (c, k), w in o.items() if c != k) / n
    d_e = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k) / (n * (n - 1))
    return 1 - d_o / d_e


def labels_for(i: int, who: str, schema) -> dict:
    """Deterministic answers: the two annotators disagree on stance for every fourth sentence."""
    stance = schema.field("stance").label_names
    events = schema.field("event_type").label_names
    # every required field of the current guidelines from the schema; the test sets the ones it is about
    lab = full_labels(stance=stance[0], attribution="none", source_type="none", event_type=events[i % len(events)])
    if i % 3 == 1:
        lab.update(attribution="indirect", source_type="ukraine_official")
    if who == "ann-b" and i % 4 == 0:
        lab["stance"] = stance[1 + (i // 4) % 2]
    return lab


def test_seed_article_from_push_to_dataset(server, tmp_path, capsys):
    schema = load_schema()
    store = seed_store(tmp_path / "store")  # the seed article only: never the repository's store
    store_dir = store.root
    conn = ["--data-dir", str(server.data_dir)]
    common = ["--store", str(store_dir), "--no-progress", *conn]

    for who in ("ann-a", "ann-b", "adj-1"):
        assert main(["annotate", "users", "add", who, *conn]) == 0
    assert main(["annotate", "push", "--batch", BATCH, "--articles", SEED, "--annotators", "ann-a,ann-b", *common]) == 0
    assert main(["annotate", "push", "--batch", BATCH, "--articles", SEED, "--annotators", "ann-a,ann-b", *common]) == 0
    out = capsys.readouterr().out
    assert "0 task(s) imported" in out

    manifest = load_manifest(store, BATCH)
    texts = sentence_texts(store, TextLoader(None), [SEED])
    order = manifest["sentences"]
    submitted: dict[str, dict[str, dict]] = {}
    for who in ("ann-a", "ann-b"):
        client = annotator_client(server.paths, server.url, who)
        for i, sid in enumerate(order):
            tid = manifest["projects"][who]["tasks"][sid]
            if who == "ann-b" and i == 2:
                client.create_annotation(tid, [], was_cancelled=True)
                continue
            lab = labels_for(i, who, schema)
            text = texts[sid]
            first_word = [[0, len(text.split()[0])]] if lab["attribution"] != "none" else []
            client.create_annotation(tid, to_result(lab, first_word, text), lead_time=5.0 + i)
            submitted.setdefault(sid, {})[who] = lab

    assert main(["annotate", "pull", "--batch", BATCH, *common]) == 0
    assert main(["annotate", "pull", "--batch", BATCH, *common]) == 0
    out = capsys.readouterr().out
    assert "0 record(s) added" in out.split("annotations.jsonl:")[-1]
    ls_records = [r for r in store.annotations() if (r.get("origin") or {}).get("batch") == BATCH]
    assert Counter(r["status"] for r in ls_records) == {"submitted": 2 * len(order) - 1, "skipped": 1}

    # agreement, checked against an independent computation of alpha
    reports = tmp_path / "reports"
    main(["annotate", "agreement", "--batch", BATCH, "--store", str(store_dir), "--out", str(reports)])
    rep = json.loads((reports / f"{BATCH}.json").read_text())
    for fname in ("stance", "attribution", "event_type"):
        units = [[per[w][fname] for w in sorted(per)] for per in submitted.values()]
        assert rep["fields"][fname]["items"] == sum(len(u) == 2 for u in units)
        assert rep["fields"][fname]["alpha"] == pytest.approx(nominal_alpha(units), abs=1e-9)
    pairs = [u for u in ([per[w]["stance"] for w in sorted(per)] for per in submitted.values()) if len(u) == 2]
    assert rep["fields"]["stance"]["observed_agreement"] == pytest.approx(sum(a == b for a, b in pairs) / len(pairs))

    # adjudication in Label Studio: disputes in, the adjudicator's choice out
    disputes = tmp_path / "disputes.json"
    adj = ["--batch", BATCH, "--disputes", str(disputes), *common]
    assert main(["annotate", "adjudicate", *adj]) == 0
    disputed = {sid for sid, per in submitted.items() if len(per) == 2 and per["ann-a"] != per["ann-b"]}
    manifest = load_manifest(store, BATCH)
    assert set(manifest["adjudication"]["tasks"]) == disputed and disputed
    assert main(["annotate", "adjudicate", *adj]) == 0  # rerun: nothing pushed twice
    adjudicator = annotator_client(server.paths, server.url, "adj-1")
    exported = adjudicator.json("GET", "/api/tasks/", params={"project": manifest["adjudication"]["project"],
                                                             "page_size": 100})["tasks"]
    assert len(exported) == len(disputed)
    for sid, tid in manifest["adjudication"]["tasks"].items():
        task = adjudicator.json("GET", f"/api/tasks/{tid}/")
        assert task["predictions"] == []  # the form starts empty; both answers are shown beside it
        assert submitted[sid]["ann-a"]["stance"] in task["data"]["answers"]
        assert submitted[sid]["ann-b"]["stance"] in task["data"]["answers"]
        lab = submitted[sid]["ann-b"]  # the adjudicator sides with ann-b
        text = texts[sid]
        spans = [[0, len(text.split()[0])]] if lab["attribution"] != "none" else []
        adjudicator.create_annotation(tid, to_result(lab, spans, text), lead_time=8.0)
    assert main(["annotate", "adjudicate", "--pull", *adj]) == 0
    finals = store.finals()
    for sid in disputed:
        assert finals[sid]["adjudicator"] == "adj-1"
        assert finals[sid]["labels"] == submitted[sid]["ann-b"]
        assert finals[sid]["method"]["stance"] == "adjudicated"
    agreed = next(s for s, per in submitted.items() if len(per) == 2 and s not in disputed)
    assert finals[agreed]["method"]["stance"] == "unanimous"
    assert finals[order[2]]["method"]["stance"] == "single"  # ann-b skipped it

    # build and load: the final label and every annotator's raw labels
    out_dir = tmp_path / "built"
    assert main(["build", "--store", str(store_dir), "--out", str(out_dir), "--no-progress"]) == 0
    ds = datasets.load_dataset(str(out_dir))
    rows = {r["id"]: r for split in ds.values() for r in split}
    stance_names = schema.field("stance").label_names
    sid = sorted(disputed)[0]
    row = rows[sid]
    assert stance_names[row["stance"]] == submitted[sid]["ann-b"]["stance"]
    assert row["label_method"]["stance"] == "adjudicated"
    raw = {(a["annotator"], a["origin"].split(" annotation")[0]) for a in row["annotations"]
           if a["origin"].startswith("label-studio")}
    assert {who for who, _ in raw} == {"ann-a", "ann-b"}
    ls_a = next(a for a in row["annotations"] if a["annotator"] == "ann-a" and a["origin"].startswith("label-studio"))
    assert stance_names[ls_a["stance"]] == submitted[sid]["ann-a"]["stance"]
