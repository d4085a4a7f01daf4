"""Aggregation: settled, voted and disputed fields on hand-made batches whose outcome is worked
out in tests/fixtures/agreement/README.md; Dawid-Skene with crowd-kit; adjudication decisions;
the command writing final.jsonl and the disputes file."""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from schema_labels import full_labels
from warvoices.annotation import aggregate as agg_mod
from warvoices.annotation.aggregate import (aggregate, apply_adjudications, disputes_by_sentence,
                                            plan_store_update)
from warvoices.annotation.agreement import collect_answers, select_records
from warvoices.corpus.schema import load_schema
from warvoices.corpus.errors import InputError
from warvoices.corpus.store import Store, read_jsonl

FIX = Path(__file__).parent / "fixtures" / "agreement"
SCHEMA = load_schema()
N, U, R = "neutral", "pro_ukraine", "pro_russia"


def fixture_records(name: str) -> list[dict]:
    return [rec for _, rec in read_jsonl(FIX / name)]


@pytest.fixture(scope="module")
def toy_batch():
    return collect_answers(select_records(fixture_records("toy_batch.jsonl"), batch="toy-1"), name="toy-1")


def record(sid: str, annotator: str, *, status: str = "submitted", spans=None, version: int | None = None,
           created_at: str = "2024-05-01T10:00:00Z", **labels) -> dict:
    """A submitted record with every required field of guideline `version` (default: current)."""
    suffix = "" if version is None else f":v{version}"  # ids of records of two versions must differ
    version = SCHEMA.guideline_version if version is None else version
    full = full_labels(version, **labels)
    return {"annotation_id": f"direct:{annotator}:{sid}{suffix}", "sentence_id": sid, "annotator": annotator,
            "created_at": created_at, "status": status,
            "labels": full if status == "submitted" else None, "source_spans": spans or [],
            "origin": {"tool": "direct"}, "guideline_version": version}


def by_sentence(records: list[dict]) -> dict[str, dict]:
    return {r["sentence_id"]: r for r in records}


def assert_final_format(rec: dict) -> None:
    """The final.jsonl contract of the brief, with methods from the schema's vocabulary."""
    assert set(rec) == {"sentence_id", "labels", "source_spans", "method", "annotation_ids", "adjudicator",
                        "decided_at", "guideline_version"}
    # a final record has exactly the fields of the guideline version it follows
    fields = SCHEMA.fields_for_version(rec["guideline_version"])
    assert set(rec["labels"]) == {f.name for f in fields if f.kind == "choice"}
    for f in (f for f in fields if f.kind == "choice"):
        assert rec["labels"][f.name] in f.label_names
    assert set(rec["method"]) == {f.name for f in fields}
    assert set(rec["method"].values()) <= set(SCHEMA.vocabulary("final_method"))
    assert rec["annotation_ids"] == sorted(rec["annotation_ids"]) and rec["annotation_ids"]
    assert all(isinstance(s, list) and len(s) == 2 for s in rec["source_spans"])


def test_no_vote_settles_only_agreement(toy_batch):
    agg = aggregate(toy_batch, vote="none")
    assert [r["sentence_id"] for r in agg.finals] == ["toy-s0005"]
    single = agg.finals[0]
    assert_final_format(single)
    assert set(single["method"].values()) == {"single"}
    assert single["annotation_ids"] == ["ls:11:516"] and single["adjudicator"] is None
    assert single["decided_at"] == "2024-05-01T10:15:00Z"
    assert [(d.sentence_id, d.field) for d in agg.disputes] == [
        ("toy-s0000", "source_spans"), ("toy-s0001", "stance"), ("toy-s0002", "attribution"),
        ("toy-s0002", "source_type"), ("toy-s0002", "event_type"), ("toy-s0002", "source_spans"),
        ("toy-s0003", "stance"), ("toy-s0004", "source_spans")]
    # settled fields of a pending sentence are kept for the adjudication step
    p = agg.pending["toy-s0001"]
    assert p.disputed == ["stance"] and p.labels["stance"] is None
    assert p.method == {"attribution": "unanimous", "source_type": "unanimous", "event_type": "unanimous",
                        "source_spans": "unanimous"}
    assert p.spans["source_spans"] == [[0, 9]]


def test_dispute_lists_each_answer_with_its_annotation_id(toy_batch):
    agg = aggregate(toy_batch, vote="none")
    d = next(d for d in agg.disputes if (d.sentence_id, d.field) == ("toy-s0001", "stance"))
    # the latest submission of ann-a counts, not the superseded ls:11:400
    assert d.answers == [{"annotator": "ann-a", "annotation_id": "ls:11:504", "value": U},
                         {"annotator": "ann-b", "annotation_id": "ls:12:505", "value": U},
                         {"annotator": "ann-c", "annotation_id": "ls:13:506", "value": N}]
    assert "no vote" in d.reason
    spans = next(d for d in agg.disputes if (d.sentence_id, d.field) == ("toy-s0000", "source_spans"))
    assert [a["value"] for a in spans.answers] == [[[0, 12]], [[4, 12]], [[4, 12]]]
    json.dumps([d.as_dict() for d in agg.disputes])


def test_majority_vote_golden(toy_batch):
    agg = aggregate(toy_batch, vote="majority")
    finals = by_sentence(agg.finals)
    assert sorted(finals) == ["toy-s0000", "toy-s0001", "toy-s0004", "toy-s0005"]
    for rec in agg.finals:
        assert_final_format(rec)
    assert finals["toy-s0001"]["labels"]["stance"] == U
    assert finals["toy-s0001"]["method"]["stance"] == "majority"
    assert finals["toy-s0001"]["annotation_ids"] == ["ls:11:504", "ls:12:505", "ls:13:506"]
    # spans from the annotators whose attribution/source_type won (all three), most common set
    assert finals["toy-s0000"]["source_spans"] == [[4, 12]]
    assert finals["toy-s0000"]["method"]["source_spans"] == "majority"
    assert finals["toy-s0004"]["source_spans"] == [[2, 14]]
    assert finals["toy-s0000"]["method"]["stance"] == "unanimous"


def test_majority_ties_go_to_adjudication(toy_batch):
    agg = aggregate(toy_batch, vote="majority")
    assert [(d.sentence_id, d.field) for d in agg.disputes] == [("toy-s0002", "source_spans"),
                                                                ("toy-s0003", "stance")]
    tie = agg.disputes[1]
    assert tie.reason == "majority tie between neutral, pro_russia, pro_ukraine"
    spans = agg.disputes[0]
    assert "ann-a, ann-b" in spans.reason and "tie on the spans" in spans.reason
    # ann-c lost on attribution, so its (empty) spans do not count, but it is still shown
    assert [a["annotator"] for a in spans.answers] == ["ann-a", "ann-b", "ann-c"]
    # toy-s0002's labels were voted and stay settled beside the open spans
    assert agg.pending["toy-s0002"].labels == {"stance": N, "attribution": "indirect",
                                               "source_type": "ukraine_official", "event_type": "combat"}


def test_two_disagreeing_annotators_cannot_vote():
    batch = collect_answers([record("two-s0000", "ann-a", stance=N), record("two-s0000", "ann-b", stance=R)])
    agg = aggregate(batch, vote="majority")
    assert not agg.finals
    assert agg.disputes[0].field == "stance" and "vote needs three or more" in agg.disputes[0].reason


def test_spans_follow_the_winning_labels():
    # ann-a says no attribution; ann-b and ann-c win on indirect/expert and agree on the span
    recs = [record("w-s0000", "ann-a"),
            record("w-s0000", "ann-b", attribution="indirect", source_type="expert", spans=[[0, 5]]),
            record("w-s0000", "ann-c", attribution="indirect", source_type="expert", spans=[[0, 5]]),
            # here the winners disagree on the span (one forgot it): adjudication
            record("w-s0001", "ann-a"),
            record("w-s0001", "ann-b", attribution="indirect", source_type="expert", spans=[[0, 5]]),
            record("w-s0001", "ann-c", attribution="indirect", source_type="expert")]
    agg = aggregate(collect_answers(recs), vote="majority")
    final = by_sentence(agg.finals)["w-s0000"]
    assert final["source_spans"] == [[0, 5]] and final["method"]["source_spans"] == "majority"
    assert final["labels"]["attribution"] == "indirect"
    assert [(d.sentence_id, d.field) for d in agg.disputes] == [("w-s0001", "source_spans")]


def test_skipped_and_cancelled_records_carry_no_vote():
    recs = [record("sk-s0000", "ann-a", stance=N), record("sk-s0000", "ann-b", status="skipped"),
            record("sk-s0000", "ann-c", status="cancelled")]
    agg = aggregate(collect_answers(recs), vote="majority")
    assert agg.finals[0]["method"]["stance"] == "single"
    assert agg.finals[0]["annotation_ids"] == ["direct:ann-a:sk-s0000"]


# ---------------------------------------------------------------------------------------------
# Dawid-Skene (crowd-kit) on a three-annotator toy set
# ---------------------------------------------------------------------------------------------

def ds_toy() -> list[dict]:
    """ann-a always agrees with the others' consensus; ann-b's only slip is pro_ukraine → neutral
    (three times); ann-c's slips are pro_ukraine → pro_russia and neutral → pro_russia. On `x`
    (a U, b N, c R) a majority vote is a three-way tie, while pro_ukraine explains every answer by
    behaviour each annotator has shown, so Dawid-Skene picks it. On `y` (a U, b N, c N) both
    methods say neutral."""
    rows = {f"ds-s000{i}": (lab,) * 3 for i, lab in enumerate([N, U, R, N, U, R])}
    rows.update({"ds-s0006": (U, N, U), "ds-s0007": (U, N, U), "ds-s0008": (U, N, U),
                 "ds-s0009": (U, U, R), "ds-s0010": (N, N, R), "ds-s0011": (U, N, R), "ds-s0012": (U, N, N)})
    return [record(sid, ann, stance=lab) for sid, labs in rows.items()
            for ann, lab in zip(("ann-a", "ann-b", "ann-c"), labs)]


def test_dawid_skene_breaks_what_majority_cannot():
    batch = collect_answers(ds_toy())
    ds = aggregate(batch, vote="dawid_skene")
    finals = by_sentence(ds.finals)
    assert not ds.disputes and len(finals) == 13
    assert finals["ds-s0011"]["labels"]["stance"] == U
    assert finals["ds-s0011"]["method"]["stance"] == "dawid_skene"
    assert finals["ds-s0012"]["labels"]["stance"] == N
    for sid in ("ds-s0006", "ds-s0007", "ds-s0008", "ds-s0009"):
        assert finals[sid]["labels"]["stance"] == U, sid
    assert finals["ds-s0000"]["method"]["stance"] == "unanimous"
    mv = aggregate(batch, vote="majority")
    assert [(d.sentence_id, d.field) for d in mv.disputes] == [("ds-s0011", "stance")]
    assert by_sentence(mv.finals)["ds-s0012"]["labels"]["stance"] == N


def test_dawid_skene_low_posterior_goes_to_adjudication():
    # ann-a's U against ann-b's and ann-c's N on ds-s0012 makes ds-s0011 less than certain
    agg = aggregate(collect_answers(ds_toy()), vote="dawid_skene", min_posterior=0.95)
    disputed = {(d.sentence_id, d.field): d for d in agg.disputes}
    assert ("ds-s0011", "stance") in disputed
    assert "Dawid-Skene posterior" in disputed[("ds-s0011", "stance")].reason


def test_bad_vote_arguments():
    batch = collect_answers(ds_toy())
    with pytest.raises(InputError, match="unknown vote"):
        aggregate(batch, vote="loudest")
    with pytest.raises(InputError, match="min_posterior"):
        aggregate(batch, vote="dawid_skene", min_posterior=1.5)


# ---------------------------------------------------------------------------------------------
# adjudication
# ---------------------------------------------------------------------------------------------

def test_adjudicated_finals(toy_batch):
    agg = aggregate(toy_batch, vote="majority")
    finals = by_sentence(apply_adjudications(agg, fixture_records("decisions.jsonl")))
    assert sorted(finals) == ["toy-s0002", "toy-s0003"]
    for rec in finals.values():
        assert_final_format(rec)
        assert rec["adjudicator"] == "lead"
    s2 = finals["toy-s0002"]
    assert s2["source_spans"] == [[13, 29]] and s2["method"]["source_spans"] == "adjudicated"
    # labels the decision repeats keep how they were reached
    assert s2["method"]["attribution"] == "majority" and s2["method"]["stance"] == "unanimous"
    assert s2["decided_at"] == "2024-06-01T09:00:00Z"
    s3 = finals["toy-s0003"]
    assert s3["labels"]["stance"] == N and s3["method"]["stance"] == "adjudicated"
    assert s3["annotation_ids"] == ["ls:11:510", "ls:12:511", "ls:13:512"]


def test_adjudicator_may_overrule_a_settled_field(toy_batch):
    agg = aggregate(toy_batch, vote="majority")
    dec = {"sentence_id": "toy-s0003", "adjudicator": "lead", "labels": {"stance": N, "event_type": "politics"}}
    rec = apply_adjudications(agg, [dec], now="2024-06-02T00:00:00Z")[0]
    assert rec["labels"]["event_type"] == "politics" and rec["method"]["event_type"] == "adjudicated"
    assert rec["decided_at"] == "2024-06-02T00:00:00Z"


@pytest.mark.parametrize("decisions, message", [
    (fixture_records("decision_missing_field.jsonl"), r"disputed field\(s\) \['stance'\]"),
    ([{"sentence_id": "toy-s0001", "adjudicator": "lead", "labels": {"stance": N}}], "no open dispute"),
    ([{"sentence_id": "toy-s0003", "labels": {"stance": N}}], "adjudicator's id"),
    ([{"sentence_id": "toy-s0003", "adjudicator": "lead", "labels": {"stance": "pro_moon"}}], "'pro_moon'"),
    ([{"sentence_id": "toy-s0003", "adjudicator": "lead", "labels": {"stance": N}, "annotation_ids": ["x"]}],
     "push the sentence for adjudication again"),
    ([{"sentence_id": "toy-s0003", "adjudicator": "lead", "labels": {"stance": N}}] * 2, "second decision"),
    ([{"sentence_id": "toy-s0002", "adjudicator": "lead", "labels": {}, "source_spans": [[9, 3]]}],
     r"\[9, 3\] is not a \[start, end\] pair"),
])
def test_bad_decisions_are_input_errors(toy_batch, decisions, message):
    agg = aggregate(toy_batch, vote="majority")
    with pytest.raises(InputError, match=message):
        apply_adjudications(agg, decisions)


def test_disputes_by_sentence_for_the_adjudication_project(toy_batch):
    entries = disputes_by_sentence(aggregate(toy_batch, vote="majority"))
    assert [e["sentence_id"] for e in entries] == ["toy-s0002", "toy-s0003"]
    e = entries[0]
    assert list(e["disputes"]) == ["source_spans"] and e["settled"]["attribution"] == "indirect"
    assert "source_spans" not in e["settled"] and e["annotation_ids"] == ["ls:11:507", "ls:12:508", "ls:13:509"]


def test_store_plan_keeps_adjudications_and_closes_their_disputes(toy_batch):
    agg = aggregate(toy_batch, vote="majority")
    decided = apply_adjudications(agg, fixture_records("decisions.jsonl"))
    # a later re-run without votes must neither overwrite nor re-open what the adjudicator decided
    rerun = aggregate(toy_batch, vote="none")
    existing = by_sentence(decided)
    plan = plan_store_update(rerun, existing)
    assert sorted(plan.closed) == ["toy-s0002", "toy-s0003"]
    assert {d.sentence_id for d in plan.open} == {"toy-s0000", "toy-s0001", "toy-s0004"}
    assert [r["sentence_id"] for r in plan.write] == ["toy-s0005"] and not plan.stale
    # a final made on other annotations is stale once the sentence is disputed again
    existing["toy-s0001"] = dict(decided[0], sentence_id="toy-s0001", annotation_ids=["ls:old"])
    assert plan_store_update(rerun, existing).stale == ["toy-s0001"]


# ---------------------------------------------------------------------------------------------
# the command
# ---------------------------------------------------------------------------------------------

def _run(*argv) -> int:
    """The local step of `warvoices annotate adjudicate ARGV` (no Label Studio), with the
    registered subcommand's arguments."""
    from warvoices.annotation import commands

    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    return agg_mod.run(parser.parse_args(["annotate", "adjudicate", *argv]))


def test_command_writes_finals_and_disputes_then_applies_decisions(tmp_path, capsys):
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    shutil.copy(FIX / "toy_batch.jsonl", store_dir / "annotations.jsonl")
    disputes = tmp_path / "disputes.json"
    common = ["--store", str(store_dir), "--batch", "toy-1", "--vote", "majority", "--disputes", str(disputes)]

    assert _run(*common, "--dry-run") == 0
    assert not (store_dir / "final.jsonl").exists() and not disputes.exists()

    assert _run(*common) == 0
    store = Store(store_dir)
    assert sorted(store.finals()) == ["toy-s0000", "toy-s0001", "toy-s0004", "toy-s0005"]
    assert [e["sentence_id"] for e in json.loads(disputes.read_text(encoding="utf-8"))] == ["toy-s0002", "toy-s0003"]
    first = (store_dir / "final.jsonl").read_bytes()
    assert _run(*common) == 0 and (store_dir / "final.jsonl").read_bytes() == first  # same input, same bytes

    assert _run(*common, "--decisions", str(FIX / "decisions.jsonl")) == 0
    finals = store.finals()
    assert len(finals) == 6 and finals["toy-s0003"]["method"]["stance"] == "adjudicated"
    assert json.loads(disputes.read_text(encoding="utf-8")) == []

    # without votes the adjudicated sentences stay as decided; the others reopen as disputes
    assert _run("--store", str(store_dir), "--batch", "toy-1", "--disputes", str(disputes)) == 0
    assert store.finals()["toy-s0003"]["method"]["stance"] == "adjudicated"
    assert [e["sentence_id"] for e in json.loads(disputes.read_text(encoding="utf-8"))] == [
        "toy-s0000", "toy-s0001", "toy-s0004"]
    assert "need the adjudicator" in capsys.readouterr().out


def test_command_reproduces_the_seed_finals(tmp_path):
    """The repository's annotations, with every committed adjudicator decision (corpus/labels/ and
    the Label Studio ones in corpus/data/batches/*.decisions.jsonl), aggregate to the stored
    final.jsonl: every final label is derived, none is written by hand."""
    repo = Store(agg_mod.REPO_ROOT / "corpus" / "data")
    if not repo.annotations():
        pytest.skip("no seed annotations in the repository store")
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    shutil.copy(repo.path("annotations.jsonl"), store_dir / "annotations.jsonl")
    decisions = []
    for path in [*sorted((agg_mod.REPO_ROOT / "corpus" / "labels").glob("*.decisions-*.jsonl")),
                 *sorted((repo.root / "batches").glob("*.decisions.jsonl"))]:
        decisions += ["--decisions", str(path)]
    assert _run("--store", str(store_dir), "--disputes", str(tmp_path / "d.json"), *decisions) == 0
    assert Store(store_dir).finals() == repo.finals()


def test_a_relabel_under_new_guidelines_replaces_the_old_answers():
    # v1: two annotators disagreed; v2: ann-a relabelled. The v1 answers are history: the final
    # follows the v2 answer alone, says so, and has about_war.
    recs = [record("r-s0000", "ann-a", version=1, stance=U), record("r-s0000", "ann-b", version=1, stance=N),
            record("r-s0000", "ann-a", version=2, stance=U, created_at="2024-06-01T10:00:00Z")]
    batch = collect_answers(recs)
    assert sorted(batch.outdated) == ["direct:ann-b:r-s0000:v1"]
    assert batch.superseded == ["direct:ann-a:r-s0000:v1"]
    agg = aggregate(batch)
    (final,) = agg.finals
    assert final["guideline_version"] == 2 and final["labels"]["about_war"] == "yes"
    assert final["labels"]["stance"] == U and final["method"]["about_war"] == "single"
    assert_final_format(final)


def test_version_1_answers_give_version_1_finals_without_about_war():
    agg = aggregate(collect_answers([record("o-s0000", "ann-a", version=1), record("o-s0000", "ann-b", version=1)]))
    (final,) = agg.finals
    assert final["guideline_version"] == 1 and "about_war" not in final["labels"]
    assert "about_war" not in final["method"]
    assert_final_format(final)


def test_settled_fields_that_break_a_schema_rule_go_to_the_adjudicator():
    # the majority says "not about the war" and, field by field, pro_russia: together they break
    # the rule about_war no → stance neutral, so neither is settled
    recs = [record("v-s0000", "ann-a", about_war="no", stance=R),
            record("v-s0000", "ann-b", about_war="no", stance=R),
            record("v-s0000", "ann-c", about_war="yes", stance=N)]
    agg = aggregate(collect_answers(recs), vote="majority")
    assert agg.finals == []
    assert sorted(d.field for d in agg.disputes) == ["about_war", "stance"]
    assert all("break a schema rule" in d.reason for d in agg.disputes)
    pending = agg.pending["v-s0000"]
    assert pending.labels["about_war"] is None and pending.labels["stance"] is None
    # the adjudicator must decide consistently
    with pytest.raises(InputError, match="break a schema rule"):
        apply_adjudications(agg, [{"sentence_id": "v-s0000", "adjudicator": "lead",
                                   "labels": {"about_war": "no", "stance": R}}])
    (final,) = apply_adjudications(agg, [{"sentence_id": "v-s0000", "adjudicator": "lead", "decided_at": "2024-05-02T00:00:00Z",
                                          "labels": {"about_war": "yes", "stance": R}}])
    assert final["method"]["about_war"] == "adjudicated" and final["guideline_version"] == 2


def test_a_decision_cannot_add_a_field_the_answers_did_not_have():
    recs = [record("w-s0000", "ann-a", version=1, stance=U), record("w-s0000", "ann-b", version=1, stance=N)]
    agg = aggregate(collect_answers(recs))
    with pytest.raises(InputError, match="not a field of guideline version 1"):
        apply_adjudications(agg, [{"sentence_id": "w-s0000", "adjudicator": "lead",
                                   "labels": {"stance": U, "about_war": "yes"}}])


def test_decisions_from_several_files_all_count(tmp_path):
    """--decisions is repeatable: a campaign has one decisions file per batch."""
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    shutil.copy(FIX / "toy_batch.jsonl", store_dir / "annotations.jsonl")
    lines = (FIX / "decisions.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(lines) >= 2
    one, two = tmp_path / "one.decisions.jsonl", tmp_path / "two.decisions.jsonl"
    one.write_text(lines[0], encoding="utf-8")
    two.write_text("".join(lines[1:]), encoding="utf-8")
    common = ["--store", str(store_dir), "--batch", "toy-1", "--vote", "majority", "--disputes", str(tmp_path / "d.json")]
    assert _run(*common, "--decisions", str(one), "--decisions", str(two)) == 0
    both = Store(store_dir).finals()
    assert _run(*common, "--decisions", str(FIX / "decisions.jsonl")) == 0
    assert Store(store_dir).finals() == both
    assert sum("adjudicated" in r["method"].values() for r in both.values()) == len(lines)


def test_a_decision_on_answers_that_are_history_now_decides_nothing(tmp_path):
    """A version-1 dispute was adjudicated; the sentence was then relabelled under version 2 with
    agreement. Re-deriving the finals from every committed decision keeps the v1 decision as
    history (no error, no effect); a v2 decision still applies."""
    from warvoices.annotation.aggregate import update_store
    from warvoices.corpus.store import Store

    recs = [record("h-s0000", "ann-a", version=1, stance=U), record("h-s0000", "ann-b", version=1, stance=N),
            record("h-s0000", "ann-a", version=2, stance=N, created_at="2024-06-01T10:00:00Z"),
            record("h-s0000", "ann-b", version=2, stance=N, created_at="2024-06-01T10:00:00Z"),
            record("h-s0001", "ann-a", version=2, stance=U), record("h-s0001", "ann-b", version=2, stance=N)]
    v1_decision = {"sentence_id": "h-s0000", "adjudicator": "lead", "labels": {"stance": U}}  # no version: v1
    v2_decision = {"sentence_id": "h-s0001", "adjudicator": "lead", "labels": {"stance": U},
                   "guideline_version": 2, "decided_at": "2024-06-02T00:00:00Z"}
    store = Store(tmp_path / "store")
    up = update_store(store, collect_answers(recs), decisions=[v1_decision, v2_decision])
    finals = store.finals()
    assert finals["h-s0000"]["labels"]["stance"] == N and finals["h-s0000"]["method"]["stance"] == "unanimous"
    assert finals["h-s0001"]["labels"]["stance"] == U and finals["h-s0001"]["method"]["stance"] == "adjudicated"
    assert [d["sentence_id"] for d in up.adjudicated] == ["h-s0001"]
    # a version-2 decision for a sentence without an open dispute is still an error
    with pytest.raises(InputError, match="no open dispute"):
        update_store(store, collect_answers(recs), decisions=[dict(v2_decision, sentence_id="h-s0000")])


def test_a_decision_on_answers_revised_since_decides_nothing_once_they_agree(tmp_path):
    """Two answers disagreed on the span and were adjudicated; one answer was then corrected in
    Label Studio and pulled as a revision (:r2). The revised answers agree: the decision rests on
    history and decides nothing; a decision naming the current answers is still checked."""
    from warvoices.annotation.aggregate import update_store

    said = {"attribution": "indirect", "source_type": "ukraine_official"}
    a = record("r-s0000", "ann-a", spans=[[0, 2]], **said)
    b = record("r-s0000", "ann-b", spans=[[5, 7]], **said)
    b2 = dict(b, annotation_id=b["annotation_id"] + ":r2", source_spans=[[0, 2]],
              created_at="2024-05-02T10:00:00Z", origin={"tool": "direct", "revision_of": b["annotation_id"]})
    decision = {"sentence_id": "r-s0000", "adjudicator": "adj-2", "labels": {}, "source_spans": [[0, 2]],
                "guideline_version": SCHEMA.guideline_version,
                "annotation_ids": sorted([a["annotation_id"], b["annotation_id"]])}
    store = Store(tmp_path / "store")
    up = update_store(store, collect_answers([a, b, b2]), decisions=[decision])
    final = store.finals()["r-s0000"]
    assert final["method"]["source_spans"] == "unanimous" and final["source_spans"] == [[0, 2]]
    assert up.adjudicated == []
    # the same decision naming the answers the sentence rests on now is an error: nothing is in dispute
    with pytest.raises(InputError, match="no open dispute"):
        update_store(store, collect_answers([a, b, b2]),
                     decisions=[dict(decision, annotation_ids=sorted([a["annotation_id"], b2["annotation_id"]]))])
