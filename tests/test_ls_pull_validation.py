"""Pull validation is a pure function over an export and the corpus texts: no server needed.

Each fixture in tests/fixtures/exports/ is a small export (with invented sentences) named after
the defect it carries; every issue id of ls_pull has one, and it triggers exactly that id."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from schema_labels import fill_label_studio_results, full_labels
from warvoices.corpus.schema import guidelines_version
from warvoices.annotation.ls_pull import ISSUE_NAMES, PullContext, latest_revision, validate_export

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
SERVER = "5e1f0000-0000-4000-8000-000000000001"  # the fixtures' server identity (short form 5e1f00000000)


def load(name: str) -> tuple[list | dict, PullContext]:
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    # the fixtures spell the labels of guideline version 1; newer required fields come from the schema
    fill_label_studio_results(data["export"], written_for=1)
    ctx = PullContext(project=data["project"], batch=data["batch"], corpus=data["corpus"],
                      annotators={int(k): v for k, v in data["annotators"].items()},
                      project_annotator=data["project_annotator"], prediction=data["prediction"],
                      # stored records get the newer required fields too, as a pull under these guidelines made them
                      stored={r["annotation_id"]: dict(r, labels=full_labels(**r["labels"])) for r in data["stored"]},
                      server_id=SERVER,
                      server_url="http://127.0.0.1:8080")
    return data["export"], ctx


def test_every_issue_id_has_a_fixture_named_after_its_defect():
    for issue_id, name in ISSUE_NAMES.items():
        assert (FIXTURES / f"{name}.json").is_file(), f"{issue_id} has no fixture {name}.json"


@pytest.mark.parametrize("issue_id", sorted(ISSUE_NAMES))
def test_fixture_triggers_exactly_its_issue(issue_id):
    export, ctx = load(ISSUE_NAMES[issue_id])
    _, issues = validate_export(export, ctx)
    assert [i.id for i in issues] == [issue_id], [str(i) for i in issues]
    issue = issues[0]
    assert issue.severity == ("warning" if issue_id == "LS010" else "error")
    assert ISSUE_NAMES[issue_id] in issue.message
    if issue_id != "LS000":
        # the pointer names project and task (and the annotation, where there is one)
        assert issue.pointer.startswith(f"project {ctx.project} task ")


def test_clean_export_gives_records_with_provenance():
    export, ctx = load("clean")
    records, issues = validate_export(export, ctx)
    assert issues == []
    by_status = {r["status"]: r for r in records}
    assert set(by_status) == {"submitted", "skipped"}
    sub = by_status["submitted"]
    text = ctx.corpus[sub["sentence_id"]]
    assert sub["annotation_id"] == "ls:5e1f00000000:7:101"
    assert sub["annotator"] == "ann-a"
    assert sub["labels"] == full_labels(stance="neutral", attribution="indirect", source_type="other_official",
                                        event_type="humanitarian")
    assert [text[s:e] for s, e in sub["source_spans"]] == ["harbour committee"]
    assert sub["origin"] == {"tool": "label-studio", "server_id": SERVER, "server_url": "http://127.0.0.1:8080",
                             "project": 7, "task": 11, "annotation": 101, "batch": "fx", "lead_time": 12.0,
                             "prediction": {"model": "tfidf-lr", "version": "0.1"}}
    assert sub["guideline_version"] == ctx.guideline_version == guidelines_version()
    skipped = by_status["skipped"]
    assert skipped["annotation_id"] == "ls:5e1f00000000:7:102:skipped"
    assert skipped["labels"] is None and skipped["source_spans"] == []
    assert skipped["origin"]["prediction"] is None and skipped["origin"]["lead_time"] is None
    assert skipped["created_at"] == "2024-05-02T10:00:00.000000Z"


def test_cancelled_annotation_is_recorded_without_its_partial_labels():
    export, ctx = load("cancelled")
    records, issues = validate_export(export, ctx)
    assert issues == []
    assert [(r["status"], r["labels"]) for r in records] == [("cancelled", None)]


def test_utf16_offsets_after_an_emoji_are_converted_to_code_points():
    export, ctx = load("utf16-offsets")
    records, issues = validate_export(export, ctx)
    assert issues == []
    (rec,) = records
    text = ctx.corpus[rec["sentence_id"]]
    (span,) = rec["source_spans"]
    assert text[span[0]:span[1]] == "convoy"
    raw = next(r for r in export[0]["annotations"][0]["result"] if r["type"] == "labels")["value"]
    assert span == [raw["start"] - 1, raw["end"] - 1]


def test_validation_is_pure_and_repeatable():
    export, ctx = load("clean")
    before = json.dumps(export, sort_keys=True)
    first = validate_export(export, ctx)
    second = validate_export(export, ctx)
    assert first == second
    assert json.dumps(export, sort_keys=True) == before


def test_pulled_record_equal_to_stored_is_not_a_change():
    export, ctx = load("clean")
    records, _ = validate_export(export, ctx)
    ctx.stored = {r["annotation_id"]: r for r in records}
    again, issues = validate_export(export, ctx)
    assert issues == [] and again == records


def test_a_record_is_valid_for_the_store_contract():
    """Pulled records pass the same checks as directly imported ones (corpus/direct.py)."""
    from warvoices.corpus.direct import check_record

    export, ctx = load("clean")
    records, _ = validate_export(export, ctx)
    lengths = {sid: len(t) for sid, t in ctx.corpus.items()}
    sub = next(r for r in records if r["status"] == "submitted")
    checked = check_record(sub, "pulled", lengths)
    assert checked["labels"] == sub["labels"] and checked["source_spans"] == sub["source_spans"]


def test_a_skip_answered_later_adds_a_record_but_a_withdrawn_answer_is_a_change():
    export, ctx = load("clean")
    first, _ = validate_export(export, ctx)
    ctx.stored = {r["annotation_id"]: r for r in first}
    later = json.loads(json.dumps(export))
    skipped_ann = later[1]["annotations"][0]
    skipped_ann.update(was_cancelled=False,
                       result=[r for r in later[0]["annotations"][0]["result"] if r["type"] == "choices"])
    records, issues = validate_export(later, ctx)
    assert issues == []
    # the skip (…:102:skipped) stays stored; the answer is a record of its own
    assert {r["annotation_id"] for r in records} == {"ls:5e1f00000000:7:101", "ls:5e1f00000000:7:102"}

    withdrawn = json.loads(json.dumps(export))
    withdrawn[0]["annotations"][0].update(was_cancelled=True)
    _, issues = validate_export(withdrawn, ctx)
    assert [i.id for i in issues] == ["LS011"]


def test_pulled_records_say_their_guideline_version():
    from warvoices.corpus.schema import guidelines_version

    export, ctx = load("clean")
    records, _ = validate_export(export, ctx)
    assert {r["guideline_version"] for r in records} == {guidelines_version()}
    # a batch annotated under version 1 (a project made with the version-1 form) needs no about_war
    raw = json.loads((FIXTURES / "clean.json").read_text(encoding="utf-8"))["export"]  # as written: no about_war
    ctx.guideline_version = 1
    records, issues = validate_export(raw, ctx)
    assert issues == [] and {r["guideline_version"] for r in records} == {1}
    ctx.guideline_version = 2
    _, issues = validate_export(raw, ctx)
    assert [i.id for i in issues] == ["LS002"] and "about_war" in issues[0].message


def _edited(export, **labels):
    out = json.loads(json.dumps(export))
    ann = out[0]["annotations"][0]
    for region in ann["result"]:
        if region["from_name"] in labels:
            region["value"]["choices"] = [labels[region["from_name"]]]
    ann["lead_time"] = ann["lead_time"] + 30.0  # Label Studio adds the time the form was open again
    ann["updated_at"] = "2024-05-03T08:00:00.000000Z"
    return out


def test_ls011_names_each_changed_field_and_ignores_lead_time():
    export, ctx = load("changed-after-pull")
    _, issues = validate_export(export, ctx)
    (issue,) = issues
    assert "stance: stored 'pro_ukraine', now 'neutral'" in issue.message
    assert "event_type" not in issue.message and "lead_time" not in issue.message
    assert "--accept-edit 101" in issue.message
    # undo in Label Studio: labels back as stored, only the editing time grew -> no error, nothing new
    undone = _edited(export, stance="pro_ukraine")
    records, issues = validate_export(undone, ctx)
    assert issues == [] and records == list(ctx.stored.values())


def test_an_accepted_edit_is_a_new_revision_and_the_old_one_stays():
    export, ctx = load("changed-after-pull")
    (old,) = ctx.stored.values()
    edited = _edited(export, stance="neutral")
    for accept in (True, {101}):
        ctx.accept_edits = accept
        (rev,), issues = validate_export(edited, ctx)
        assert issues == []
        assert rev["annotation_id"] == old["annotation_id"] + ":r2"
        assert rev["origin"]["revision_of"] == old["annotation_id"]
        assert rev["labels"]["stance"] == "neutral" and rev["created_at"] == "2024-05-03T08:00:00.000000Z"
    ctx.accept_edits = {999}  # another annotation's id accepts nothing here
    _, issues = validate_export(edited, ctx)
    assert [i.id for i in issues] == ["LS011"]
    # with the revision stored, the same export is unchanged; a further edit is checked against r2
    ctx.stored[rev["annotation_id"]] = rev
    assert latest_revision(ctx.stored, old["annotation_id"]) is rev
    ctx.accept_edits = False
    again, issues = validate_export(edited, ctx)
    assert issues == [] and again == [rev]
    _, issues = validate_export(_edited(export, stance="pro_russia"), ctx)
    assert [i.id for i in issues] == ["LS011"] and "stored 'neutral', now 'pro_russia'" in issues[0].message
    ctx.accept_edits = True
    (r3,), _ = validate_export(_edited(export, stance="pro_russia"), ctx)
    assert r3["annotation_id"] == old["annotation_id"] + ":r3" and r3["origin"]["revision_of"] == rev["annotation_id"]
    # collect_answers counts the latest revision, the older ones are history (superseded)
    from warvoices.annotation.agreement import collect_answers

    batch = collect_answers([old, rev, r3])
    assert batch.answers[old["sentence_id"]]["ann-a"].annotation_id == r3["annotation_id"]
    assert batch.superseded == sorted([old["annotation_id"], rev["annotation_id"]])
