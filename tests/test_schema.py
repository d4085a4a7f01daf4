"""The one schema and everything rendered from it."""
from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from warvoices.annotation.guidelines_tables import render_label_tables
from warvoices.corpus.schema import _parse, guidelines_version, load_schema
from warvoices.corpus.errors import SchemaError
from warvoices.corpus.features import dataset_features, task_columns
from warvoices.corpus.generate import artifacts, stale


# The label sets as released with schema version 1. Deliberately spelled out: this is the record
# of what ClassLabel ids meant in released data, which no later version may change.
RELEASED_V1 = {
    "stance": ["neutral", "pro_ukraine", "pro_russia"],
    "attribution": ["none", "direct", "indirect", "mixed"],
    "source_type": ["none", "ukraine_official", "russia_official", "russia_affiliated", "western_official",
                    "other_official", "international_org", "media", "expert", "individual", "anonymous"],
    "event_type": ["none", "combat", "humanitarian", "diplomacy", "justice", "military_support", "economy",
                   "politics"],
}


def test_released_label_ids_never_change():
    s = load_schema()
    # new labels are appended: every released label keeps its index (its ClassLabel id)
    for name, released in RELEASED_V1.items():
        assert s.field(name).label_names[:len(released)] == released, name
        assert s.field(name).since == 1
    assert s.version >= 2
    # version 2 appended one event type and added about_war (a field of guideline version 2)
    assert s.field("event_type").label_names[len(RELEASED_V1["event_type"]):] == ["commemoration"]
    assert s.field("about_war").label_names == ["yes", "no"] and s.field("about_war").since == 2
    assert [t.name for t in s.tasks][:3] == ["stance", "attribution", "event_type"]
    assert s.task("about_war").fields == ("about_war",)


def test_guideline_versions_decide_which_fields_a_record_has():
    s = load_schema()
    assert guidelines_version() == s.guideline_version == 2
    assert s.field_names[0] == "about_war"  # first in the Label Studio form: "no" fixes two fields
    assert {f.name for f in s.required_fields(1)} == set(RELEASED_V1)
    assert {f.name for f in s.required_fields(2)} == set(RELEASED_V1) | {"about_war"}
    assert s.record_version({}) == 1 and s.record_version({"guideline_version": 2}) == 2
    # a pull that keeps the version in its origin, as a string, states it too
    assert s.record_version({"origin": {"tool": "label-studio", "guideline_version": "2"}}) == 2
    assert s.stated_version({"guideline_version": "v2"}) == "v2"  # not a number: validation reports it


def test_guidelines_version_falls_back_to_schema_version(tmp_path):
    data = yaml.safe_load(s_path().read_text(encoding="utf-8"))
    data.pop("guidelines_version")
    for f in data["fields"]:
        f.pop("since", None)
    assert _parse(data, tmp_path / "schema.yaml").guideline_version == data["schema_version"]


def s_path():
    return load_schema().path


def test_not_about_war_fixes_stance_and_event_type():
    s = load_schema()
    ok = {"about_war": "no", "stance": "neutral", "attribution": "none", "source_type": "none", "event_type": "none"}
    assert s.consistency_problems(ok) == []
    bad = dict(ok, stance="pro_russia", event_type="diplomacy")
    problems = s.consistency_problems(bad)
    assert [p.kind for p in problems] == ["rule", "rule"]
    assert {p.fields for p in problems} == {("about_war", "stance"), ("about_war", "event_type")}
    assert "must be 'neutral'" in problems[0].message
    # about_war yes, or a version-1 record without about_war, leaves stance and event type free
    assert s.consistency_problems(dict(bad, about_war="yes")) == []
    assert s.consistency_problems({k: v for k, v in bad.items() if k != "about_war"}) == []
    # the null rule and the when/then rule are reported by the same function
    both = s.consistency_problems(dict(bad, source_type="media"))
    assert sorted(p.kind for p in both) == ["null", "rule", "rule"]


@pytest.mark.parametrize("rule, message", [
    ({"when": {"about_war": "maybe"}, "then": {"stance": "neutral"}}, "not a label of 'about_war'"),
    ({"when": {"about_war": "no"}, "then": {"mood": "calm"}}, "unknown field 'mood'"),
    ({"when": {"about_war": "no"}}, "needs both"),
    ({"when": {"about_war": False}, "then": {"stance": "neutral"}}, "quote yes/no"),
])
def test_bad_when_then_rules_are_rejected(tmp_path, rule, message):
    data = yaml.safe_load(s_path().read_text(encoding="utf-8"))
    data["dependencies"].append(rule)
    with pytest.raises(ValueError, match=message):
        _parse(data, tmp_path / "schema.yaml")


def test_features_come_from_the_schema():
    s = load_schema()
    f = dataset_features(s)
    for field in s.choice_fields:
        assert f[field.name].names == field.label_names
        assert f["annotations"].feature[field.name].names == field.label_names
    assert set(f["source_spans"].feature) == {"start", "end", "text"}
    assert task_columns("stance")[-1] == "stance"
    assert task_columns("attribution")[-3:] == ["attribution", "source_type", "source_spans"]


def test_guideline_tables_list_every_label_with_its_definition():
    text = render_label_tables()
    s = load_schema()
    for field in s.choice_fields:
        for i, lab in enumerate(field.labels):
            assert f"| {i} | `{lab.name}` | {lab.definition} |" in text
    # the consistency rules and the version of each newer field are rendered from the schema too
    assert s.rules and all(rule.describe().replace("'", "`") in text for rule in s.rules)
    assert "`about_war` (version 2)" in text


def test_generated_files_are_up_to_date():
    # regenerate every rendering (guideline tables, Label Studio config, README/datasheet tables)
    # and compare with what is committed
    assert stale() == []
    names = {a.path.name for a in artifacts()}
    assert {"guidelines.md", "datasheet.md", "README.md"} <= names


def _header_problem(art, text: str) -> str | None:
    """Why `text` does not say, where a reader sees it, that (this part of) the file is generated."""
    if art.block is None and art.path.suffix == ".json":
        # JSON has no comments: the header is the value of its first key, "generated"
        try:
            header = json.loads(text).get("generated", "") if text.lstrip().startswith("{") else ""
        except json.JSONDecodeError:
            return "not JSON"
        want = rf"Generated from annotation/schema\.yaml \(schema_version {load_schema().version}\).* by `warvoices [a-z -]+`\. Do not edit.*"
        if not text.startswith('{\n "generated": ') or not re.fullmatch(want, header):
            return f"first key is not the generator's header: {text[:80]!r}"
        return None
    if art.block is None:
        # a whole generated file starts with the generator's own header: schema, version, command
        first = text.splitlines()[0] if text else ""
        want = rf"<!-- Generated from annotation/schema\.yaml \(schema_version {load_schema().version}\) by `warvoices [a-z -]+`\. Do not edit[^>]*-->"
        if not re.fullmatch(want, first):
            return f"first line {first[:80]!r} is not the generator's header"
        if art.render().splitlines()[0] != first:
            return "the header is not the one the generator writes"
        return None
    begin = re.findall(rf"^<!-- BEGIN GENERATED: {re.escape(art.block)}(?: [^>]*)?-->$", text, re.M)
    end = re.findall(rf"^<!-- END GENERATED: {re.escape(art.block)} -->$", text, re.M)
    if len(begin) != 1 or len(end) != 1:
        return f"block {art.block!r} needs exactly one BEGIN/END GENERATED marker pair"
    return None


def test_generated_header_says_so():
    for art in artifacts():
        assert _header_problem(art, art.path.read_text(encoding="utf-8")) is None, art.path
    # the check is not satisfied by prose that merely mentions generation
    prose = "This file was generated by hand. GENERATED tables follow.\n"
    assert all(_header_problem(art, prose) is not None for art in artifacts())


def test_bad_schema_is_rejected_with_the_path(tmp_path):
    bad = yaml.safe_load(textwrap.dedent("""
        schema_version: 1
        fields:
          - {name: stance, kind: choice, labels: [{name: a}, {name: a}]}
        tasks: []
    """))
    with pytest.raises(ValueError, match="lists a label twice"):
        _parse(bad, tmp_path / "schema.yaml")
    bad2 = {"schema_version": 1, "fields": [{"name": "x", "kind": "choice", "labels": [{"name": "a"}]}],
            "tasks": [{"name": "t", "fields": ["y"]}]}
    with pytest.raises(ValueError, match="unknown fields"):
        _parse(bad2, tmp_path / "schema.yaml")


def test_dependencies_come_from_the_schema():
    s = load_schema()
    assert s.field("attribution").null_label == "none"
    assert ("attribution", ("source_type", "source_spans")) in s.dependencies
    assert s.dependency_problems({"attribution": "direct", "source_type": "media"}, {"source_spans": []}) == []
    assert len(s.dependency_problems({"attribution": "none", "source_type": "media"}, {"source_spans": [[0, 2]]})) == 2
    assert s.dependency_problems({"attribution": "indirect", "source_type": "none"})


def test_reconcile_makes_predictions_keep_the_rules():
    s = load_schema()
    labels, spans = s.reconcile({"about_war": "no", "stance": "pro_russia", "event_type": "combat",
                                 "attribution": "none", "source_type": "media"}, {"source_spans": [[0, 3]]})
    assert labels == {"about_war": "no", "stance": "neutral", "event_type": "none", "attribution": "none",
                      "source_type": "none"}
    assert spans == {"source_spans": []} and s.consistency_problems(labels, spans) == []
    # attributed speech with no source type: the source type is left to the annotator
    labels, _ = s.reconcile({"attribution": "indirect", "source_type": "none", "stance": "neutral"})
    assert labels == {"attribution": "indirect", "stance": "neutral"}
    # consistent labels pass unchanged
    ok = {"about_war": "yes", "stance": "pro_ukraine", "attribution": "direct", "source_type": "media"}
    assert s.reconcile(ok, {"source_spans": [[0, 2]]}) == (ok, {"source_spans": [[0, 2]]})


def test_fixture_labels_come_from_the_schema():
    # the helper the fixtures use: every required field of the current guidelines, rule-consistent
    from schema_labels import fill_label_studio_results, full_labels

    s = load_schema()
    assert set(full_labels()) == {f.name for f in s.required_fields(s.guideline_version)}
    assert set(full_labels(1)) == {f.name for f in s.required_fields(1)}
    assert s.consistency_problems(full_labels()) == []
    assert full_labels(stance="pro_russia")["stance"] == "pro_russia"
    with pytest.raises(KeyError, match="mood"):
        full_labels(mood="calm")
    export = [{"annotations": [{"result": [{"from_name": "stance", "type": "choices",
                                            "value": {"choices": ["neutral"]}}]},
                               {"was_cancelled": True, "result": []}]}]
    fill_label_studio_results(export, written_for=1)
    added = {r["from_name"] for r in export[0]["annotations"][0]["result"]}
    assert added == {"stance"} | {f.name for f in s.required_fields(s.guideline_version) if f.since > 1}
    assert export[0]["annotations"][1]["result"] == []


SCHEMA_FIXTURES = Path(__file__).parent / "fixtures" / "schema"


@pytest.mark.parametrize("name, line, pointer, says", [
    ("S001-unknown-kind.yaml", 4, "fields[0].kind", "'choise' is not one of ['choice', 'spans']"),
    ("S001-missing-kind.yaml", 3, "fields[0]", "'kind' is a required property"),
    ("S001-unquoted-yes.yaml", 6, "fields[0].labels[0].name", "True is not of type 'string'"),
])
def test_a_malformed_schema_is_an_s001_error_with_file_and_line(name, line, pointer, says):
    path = SCHEMA_FIXTURES / name
    with pytest.raises(SchemaError) as info:
        load_schema(path)
    assert str(info.value) == f"S001 {path}:{line}: {pointer}: {says}"


def test_a_misspelt_kind_in_the_real_schema_is_refused(tmp_path):
    # the committed schema with one field's kind misspelt: before, the field was silently dropped
    text = s_path().read_text(encoding="utf-8").replace("kind: spans", "kind: span", 1)
    bad = tmp_path / "schema.yaml"
    bad.write_text(text, encoding="utf-8")
    line = text[:text.index("kind: span")].count("\n") + 1
    with pytest.raises(SchemaError, match=rf"^S001 {re.escape(str(bad))}:{line}: fields\[\d\]\.kind: 'span'"):
        load_schema(bad)


def test_a_block_name_is_not_matched_by_a_longer_one():
    # `agreement` must not be read from the `agreement-by-publisher` block before it
    from warvoices.corpus.generated import read_block

    text = ("<!-- BEGIN GENERATED: agreement-by-publisher -->\nB\n<!-- END GENERATED: agreement-by-publisher -->\n"
            "<!-- BEGIN GENERATED: agreement (by `warvoices generate`; do not edit by hand) -->\nA\n"
            "<!-- END GENERATED: agreement -->\n")
    assert read_block(text, "agreement") == "A\n"
    assert read_block(text, "agreement-by-publisher") == "B\n"
