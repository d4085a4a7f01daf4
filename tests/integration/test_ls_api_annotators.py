"""Annotators who work through the API (`annotate tasks` / `annotate submit`), against a real
server: each submits into their own project with their own token, a rerun resumes without
duplicates, bad answer files are refused before anything is sent, and the adjudicator answers
the adjudication project the same way. Texts are the invented ones of conftest."""
from __future__ import annotations

import json

import pytest

from schema_labels import full_labels
from warvoices.corpus.batch_manifests import load_manifest
from warvoices.annotation.ls_users import annotator_client, load_users
from warvoices.corpus.cli import main
from warvoices.corpus.errors import InputError


def complete(labels: dict) -> dict:
    return full_labels(**labels)


def _write(path, lines):
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return path


def test_api_annotators_submit_as_themselves_and_adjudicate(server, corpus, tmp_path, capsys):
    store, conn = corpus.store, ["--data-dir", str(server.data_dir)]
    files = ["--store", str(store.root), "--archive", str(corpus.archive), "--no-progress"]
    for who in ("ann-a", "ann-b", "adj-1"):
        assert main(["annotate", "users", "add", who, *conn]) == 0
    art = corpus.articles[0]
    assert main(["annotate", "push", "--batch", "api-1", "--articles", art, "--annotators", "ann-a,ann-b",
                 *files, *conn]) == 0
    sids = [s for s in corpus.texts if s.startswith(art)]

    # the tasks file: the annotator's units in order, with texts; never inside the repository
    out = tmp_path / "tasks-ann-a.jsonl"
    assert main(["annotate", "tasks", "--batch", "api-1", "--annotator", "ann-a", "--out", str(out),
                 *files, *conn]) == 0
    (article,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert article["article_id"] == art and [u["sentence_id"] for u in article["units"]] == sids
    assert article["units"][1]["text"] == corpus.texts[sids[1]]
    from warvoices.corpus.texts import REPO_ROOT

    assert main(["annotate", "tasks", "--batch", "api-1", "--annotator", "ann-a", "--out",
                 str(REPO_ROOT / "tasks.jsonl"), *files, *conn]) == 2
    assert "inside the repository" in capsys.readouterr().err
    assert not (REPO_ROOT / "tasks.jsonl").exists()

    def answers(who, stance_1):
        lines = []
        for i, sid in enumerate(sids):
            labels = complete({"stance": stance_1 if i == 1 else "neutral"})
            line = {"sentence_id": sid, **labels}
            if i == 1:
                line.update(attribution="direct", source_type="other_official",
                            source_mentions=["the committee chair, Irena Kostyk"])
            lines.append(line)
        return _write(tmp_path / f"answers-{who}.jsonl", lines)

    # a bad line (unknown label) is refused before anything is sent
    bad = _write(tmp_path / "bad.jsonl", [{"sentence_id": sids[0], **complete({"stance": "pro_mars"})}])
    assert main(["annotate", "submit", "--batch", "api-1", "--annotator", "ann-a", "--answers", str(bad),
                 *files, *conn]) == 2
    assert "bad.jsonl:1" in capsys.readouterr().err
    manifest = load_manifest(store, "api-1")
    with annotator_client(server.paths, server.url, "ann-a") as a:
        pid = manifest["projects"]["ann-a"]["project"]
        assert a.export(pid) == []

    # each annotator submits with their own token; a rerun sends nothing twice
    assert main(["annotate", "submit", "--batch", "api-1", "--annotator", "ann-a", "--answers",
                 str(answers("ann-a", "pro_ukraine")), *files, *conn]) == 0
    assert f"{len(sids)} answer(s) submitted" in capsys.readouterr().out
    assert main(["annotate", "submit", "--batch", "api-1", "--annotator", "ann-a", "--answers",
                 str(answers("ann-a", "pro_ukraine")), *files, *conn]) == 0
    assert f"0 answer(s) submitted, {len(sids)} task(s) already answered" in capsys.readouterr().out
    assert main(["annotate", "submit", "--batch", "api-1", "--annotator", "ann-b", "--answers",
                 str(answers("ann-b", "pro_russia")), *files, *conn]) == 0
    assert main(["annotate", "pull", "--batch", "api-1", *files, *conn]) == 0
    recs = [r for r in store.annotations() if r["origin"].get("batch") == "api-1"]
    users = {who: load_users(server.paths)[who]["user_id"] for who in ("ann-a", "ann-b")}
    assert sorted({r["annotator"] for r in recs}) == ["ann-a", "ann-b"] and len(recs) == 2 * len(sids)
    by = {(r["annotator"], r["sentence_id"]): r for r in recs}
    kostyk = by[("ann-b", sids[1])]
    assert [corpus.texts[sids[1]][a:b] for a, b in kostyk["source_spans"]] == ["the committee chair, Irena Kostyk"]
    assert users["ann-a"] != users["ann-b"]

    # the one dispute goes to the adjudication project; the adjudicator's tasks show both answers
    assert main(["annotate", "adjudicate", "--batch", "api-1", "--disputes", str(tmp_path / "d.json"),
                 *files, *conn]) == 0
    capsys.readouterr()
    adj_tasks = tmp_path / "adj.jsonl"
    assert main(["annotate", "tasks", "--batch", "api-1", "--annotator", "adj-1", "--adjudication", "--out",
                 str(adj_tasks), *files, *conn]) == 0
    (adj_article,) = [json.loads(line) for line in adj_tasks.read_text(encoding="utf-8").splitlines()]
    (unit,) = adj_article["units"]
    assert unit["sentence_id"] == sids[1] and unit["disputed"] == ["stance"]
    assert sorted(a["stance"] for a in unit["answers"].values()) == ["pro_russia", "pro_ukraine"]
    line = {"sentence_id": sids[1], **complete({"stance": "neutral"}), "attribution": "direct",
            "source_type": "other_official", "source_mentions": ["the committee chair, Irena Kostyk"]}
    decision = _write(tmp_path / "decision.jsonl", [line])
    # a decision without its one-line rationale is refused before anything is sent
    assert main(["annotate", "submit", "--batch", "api-1", "--annotator", "adj-1", "--adjudication",
                 "--answers", str(decision), *files, *conn]) == 2
    assert "decision.jsonl:1: an adjudication needs a `rationale`" in capsys.readouterr().err
    decision = _write(tmp_path / "decision.jsonl", [dict(line, rationale="S2: the report states both sides' claims")])
    assert main(["annotate", "submit", "--batch", "api-1", "--annotator", "adj-1", "--adjudication",
                 "--answers", str(decision), *files, *conn]) == 0
    assert main(["annotate", "adjudicate", "--batch", "api-1", "--pull", "--disputes", str(tmp_path / "d.json"),
                 *files, *conn]) == 0
    final = store.finals()[sids[1]]
    assert final["labels"]["stance"] == "neutral" and final["method"]["stance"] == "adjudicated"
    assert final["adjudicator"] == "adj-1"
    assert final["rationale"] == "S2: the report states both sides' claims"
    decisions = [json.loads(x) for x in (store.root / "batches" / "api-1.decisions.jsonl").read_text().splitlines()]
    assert [d.get("rationale") for d in decisions] == ["S2: the report states both sides' claims"]


def test_an_answer_for_a_sentence_of_another_batch_is_refused(server, corpus, tmp_path):
    from warvoices.annotation.ls_answers import check_answers
    from warvoices.corpus.texts import TextLoader

    store, conn = corpus.store, ["--data-dir", str(server.data_dir)]
    files = ["--store", str(store.root), "--archive", str(corpus.archive), "--no-progress"]
    assert main(["annotate", "users", "add", "ann-a", *conn]) == 0
    assert main(["annotate", "push", "--batch", "api-2", "--articles", corpus.articles[0], "--annotators", "ann-a",
                 *files, *conn]) == 0
    other = next(s for s in corpus.texts if s.startswith(corpus.articles[1]))
    path = _write(tmp_path / "a.jsonl", [{"sentence_id": other, **complete({})}])
    with pytest.raises(InputError, match=r"a\.jsonl:1: sentence .* is not a task of ann-a's"):
        check_answers(store, TextLoader(corpus.archive), "api-2", "ann-a", path)
