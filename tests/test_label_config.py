"""The Label Studio labeling config is generated from the schema and never edited by hand."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from label_studio_sdk.label_interface import LabelInterface

from warvoices.annotation.ls_config import CONFIG_PATH, GENERATE_COMMAND, TASK_VARIABLES, render_label_config
from warvoices.corpus.schema import load_schema


def test_committed_config_matches_the_schema():
    assert CONFIG_PATH.read_text(encoding="utf-8") == render_label_config(), (
        f"{CONFIG_PATH} is out of date: run `{GENERATE_COMMAND}`")


def test_header_says_it_is_generated_and_by_what():
    first = render_label_config().splitlines()[0]
    assert "annotation/schema.yaml" in first and GENERATE_COMMAND in first


def test_label_studio_accepts_the_config():
    li = LabelInterface(render_label_config())
    li.validate()
    schema = load_schema()
    assert sorted(c.name for c in li.controls) == sorted(schema.field_names)


def test_every_choice_field_and_label_is_rendered_with_required_flags():
    root = ET.fromstring(render_label_config())
    schema = load_schema()
    choices = {el.get("name"): el for el in root.iter("Choices")}
    for f in schema.choice_fields:
        el = choices[f.name]
        assert [c.get("value") for c in el.iter("Choice")] == f.label_names
        assert (el.get("required") == "true") == f.required
        assert el.get("toName") == "text"
    labels = {el.get("name"): el for el in root.iter("Labels")}
    for f in schema.span_fields:
        assert [lab.get("value") for lab in labels[f.name].iter("Label")] == [f.span_label]


def test_every_task_variable_is_used_and_nothing_else():
    used = set(re.findall(r"\$(\w+)", render_label_config()))
    assert used == set(TASK_VARIABLES)


def test_unknown_label_is_caught_by_label_interface():
    """Label Studio itself stores unknown labels silently; the config lets us catch them."""
    li = LabelInterface(render_label_config())
    bad = {"result": [{"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["bogus"]}}]}
    assert li.validate_prediction(bad, return_errors=True)


def test_adjudication_config_is_the_same_form_plus_the_answers_beside_it():
    from warvoices.annotation.ls_config import ADJUDICATION_VARIABLES, render_adjudication_config

    xml = render_adjudication_config()
    li = LabelInterface(xml)
    li.validate()
    schema = load_schema()
    # the same controls as the annotators' form (the adjudicator answers every field, from empty),
    # plus the required one-line rationale of the decision
    assert sorted(c.name for c in li.controls) == sorted(schema.field_names + ["rationale"])
    (area,) = adj_areas = list(ET.fromstring(xml).iter("TextArea"))
    assert area.get("name") == "rationale" and area.get("required") == "true" and len(adj_areas) == 1
    variables = set(re.findall(r'value="\$([a-z_]+)"', xml)) | set(re.findall(r"\$([a-z_]+)", xml))
    assert variables == set(TASK_VARIABLES) | set(ADJUDICATION_VARIABLES)
    base = ET.fromstring(render_label_config())
    adj = ET.fromstring(xml)
    assert len(list(adj.iter("Choice"))) == len(list(base.iter("Choice")))
    assert [e.get("name") for e in adj.iter("HyperText")] == ["answers"]


def test_answers_table_shows_each_answer_side_by_side_and_escapes_text():
    from warvoices.annotation.ls_adjudication import answers_table

    schema = load_schema()
    text = "The <b>mayor</b> said the bridge & road were closed."
    a = {"labels": {"stance": "neutral", "attribution": "indirect", "source_type": "other_official",
                    "event_type": "none"}, "source_spans": [[4, 16]]}
    b = {"labels": {"stance": "pro_ukraine", "attribution": "none", "source_type": "none", "event_type": "none"},
         "source_spans": []}
    table = answers_table([a, b], text, schema, ["stance", "attribution"])
    root = ET.fromstring(table)  # well-formed: nothing of the sentence is read as markup
    rows = {r[0].text.rstrip(" ⚠"): [c.text for c in r[1:]] for r in root.iter("tr") if r[0].text}
    assert rows["Stance"] == ["neutral", "pro_ukraine"]
    assert rows["Source mention"] == ["“<b>mayor</b>” [4, 16)", "(none marked)"]  # as text, once parsed
    assert "<b>mayor" not in table and "&lt;b&gt;" in table
    assert "⚠" in table.split("Stance")[1][:5] and "⚠" not in table.split("Event type")[1][:5]
