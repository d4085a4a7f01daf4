"""The one schema and everything rendered from it."""
from __future__ import annotations

import textwrap

import pytest
import yaml

from warvoices.annotation.guidelines_tables import render_label_tables
from warvoices.annotation.schema import _parse, load_schema
from warvoices.corpus.features import dataset_features, task_columns
from warvoices.corpus.generate import artifacts, stale


def test_label_sets_in_the_issue_order():
    s = load_schema()
    # index 0 first: ClassLabel ids depend on this order, so a reorder must fail loudly here
    assert s.field("stance").label_names == ["neutral", "pro_ukraine", "pro_russia"]
    assert s.field("attribution").label_names == ["none", "direct", "indirect", "mixed"]
    assert s.field("source_type").label_names[:3] == ["none", "ukraine_official", "russia_official"]
    assert len(s.field("source_type").label_names) == 11
    assert s.field("event_type").label_names[0] == "none" and len(s.field("event_type").label_names) == 8
    assert [t.name for t in s.tasks] == ["stance", "attribution", "event_type"]


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


def test_generated_files_are_up_to_date():
    # regenerate every rendering (guideline tables, Label Studio config, README/datasheet tables)
    # and compare with what is committed
    assert stale() == []
    names = {a.path.name for a in artifacts()}
    assert {"guidelines.md", "datasheet.md", "README.md"} <= names


def test_generated_header_says_so():
    for art in artifacts():
        text = art.path.read_text(encoding="utf-8")
        assert "generated" in text.lower() or "GENERATED" in text, art.path


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
