"""The datasheet's campaign reporting on a tiny hand-made store, every number worked out by hand.

The store (all ids invented, no text):

    article  publisher type      split       units and answers (stance; other fields at their first label)
    us-1     us_official         test        s0000 a neutral, b pro_ukraine     (batch b1)
                                             s0001 a pro_russia then neutral (revised), b neutral
                                             s0002 a pro_ukraine, b pro_ukraine
    ru-1     russia_official     train       s0000 a neutral
    un-1     un_general_debate   validation  s0000 a neutral, c pro_ukraine     (batch b2)
                                             s0001 a pro_russia, b pro_russia, c neutral
    ua-1     ukraine_official    validation  s0000 a + b under guidelines v1 (batch old, direct import),
                                             a again under v2 (batch b2): b's v1 answer is history

Pooled stance answers (v2, units with 2+ annotators): u1 (n, pu), u2 (n, n), u3 (pu, pu) from us-1;
u4 (n, pu), u5 (pr, pr, n) from un-1. Coincidences: n-pu 2+2, n-n 2, pu-pu 2, pr-pr 1, pr-n 1+1, so
n = 11, marginals n 5, pu 4, pr 2; D_o = 6/11, D_e = (121-25-16-4)/110 = 76/110, alpha = 1-60/76 = 4/19.
us-1 alone: n = 6, D_o = 2/6, D_e = 18/30, alpha = 4/9. un-1 alone: n = 5, D_o = 4/5, D_e = 16/20, alpha 0.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from warvoices.annotation import campaign_report as cr
from warvoices.corpus import label_figure
from warvoices.corpus.generate import Artifact, generate, stale
from warvoices.corpus.schema import load_schema
from warvoices.corpus.stats import (label_distribution_data, render_batches, render_label_distribution_by_publisher,
                                    time_cell)
from warvoices.corpus.store import Store

SCHEMA = load_schema()
FIELDS = [f.name for f in SCHEMA.fields]


def rec(sid, who, when, batch, stance="neutral", version=2, n=0):
    labels = {f.name: f.label_names[0] for f in SCHEMA.choice_fields}
    labels["stance"] = stance
    if version == 1:
        labels.pop("about_war")
    origin = {"tool": "label-studio", "batch": batch} if batch != "old" else {"tool": "direct", "file": "old.jsonl"}
    return {"annotation_id": f"x:{who}:{sid}:{n}", "sentence_id": sid, "annotator": who, "created_at": when,
            "status": "submitted", "labels": labels, "source_spans": [], "guideline_version": version,
            "origin": origin}


def final(sid, stance, methods, about_war="yes", adjudicator=None):
    labels = {f.name: f.label_names[0] for f in SCHEMA.choice_fields}
    labels.update(stance=stance, about_war=about_war)
    if isinstance(methods, str):
        methods = {f: methods for f in FIELDS}
    return {"sentence_id": sid, "labels": labels, "source_spans": [], "method": methods, "guideline_version": 2,
            "adjudicator": adjudicator, "annotation_ids": []}


def with_stance(method):
    return {f: ("unanimous" if f != "stance" else method) for f in FIELDS}


@pytest.fixture()
def store(tmp_path) -> Store:
    store = Store(tmp_path / "data")
    arts = {"us-1": ("us_official", "test"), "ru-1": ("russia_official", "train"),
            "un-1": ("un_general_debate", "validation"), "ua-1": ("ukraine_official", "validation")}
    store.write_articles([{"article_id": a, "publisher_type": t, "split": s} for a, (t, s) in arts.items()])
    units = ["us-1-s0000", "us-1-s0001", "us-1-s0002", "ru-1-s0000", "un-1-s0000", "un-1-s0001", "ua-1-s0000"]
    store.write_sentences([{"sentence_id": u, "article_id": u[:4], "index": int(u[-4:]), "start": 0, "end": 1,
                            "kind": "body", "speaker_span": None, "flags": [], "text_hash": "x"} for u in units])
    d1, d2 = "2024-05-01T", "2024-05-0"
    store.write_annotations([
        rec("us-1-s0000", "a", d1 + "10:00:00Z", "b1"), rec("us-1-s0000", "b", d1 + "10:10:00Z", "b1", "pro_ukraine"),
        rec("us-1-s0001", "a", d1 + "10:20:00Z", "b1", "pro_russia"),
        rec("us-1-s0001", "a", d1 + "11:30:00Z", "b1", n=1), rec("us-1-s0001", "b", d1 + "10:30:00Z", "b1"),
        dict(rec("us-1-s0002", "a", d1 + "10:40:00Z", "b1", "pro_ukraine"),  # made on a model's pre-annotation
             origin={"tool": "label-studio", "batch": "b1", "prediction": {"model": "tfidf_lr", "version": "3"}}),
        rec("us-1-s0002", "b", d1 + "10:50:00Z", "b1", "pro_ukraine"),
        rec("ru-1-s0000", "a", d1 + "11:00:00Z", "b1"),
        rec("un-1-s0000", "a", d2 + "1T23:50:00Z", "b2"), rec("un-1-s0000", "c", d2 + "2T08:00:00Z", "b2", "pro_ukraine"),
        rec("un-1-s0001", "a", d2 + "2T09:00:00Z", "b2", "pro_russia"),
        rec("un-1-s0001", "b", d2 + "2T10:00:00Z", "b2", "pro_russia"),
        rec("un-1-s0001", "c", d2 + "3T01:00:00Z", "b2"),
        rec("ua-1-s0000", "a", "2024-04-01T09:00:00Z", "old", version=1),
        rec("ua-1-s0000", "b", "2024-04-01T09:00:30Z", "old", "pro_ukraine", version=1),
        rec("ua-1-s0000", "a", d2 + "2T12:00:00Z", "b2", n=1),
    ])
    store.write_finals([
        final("us-1-s0000", "pro_ukraine", with_stance("adjudicated"), adjudicator="adj-x"),
        final("us-1-s0001", "neutral", "unanimous"), final("us-1-s0002", "pro_ukraine", "unanimous"),
        final("un-1-s0000", "neutral", with_stance("adjudicated"), adjudicator="adj-x"),
        final("un-1-s0001", "pro_russia", with_stance("majority"), about_war="no"),
        final("ru-1-s0000", "neutral", "single"), final("ua-1-s0000", "neutral", "single", about_war=None),
    ])
    batches = store.root / "batches"
    batches.mkdir()
    # b1's manifest holds its selection; b2's names its selection file; b3 (pushed, not answered) has none,
    # its selection is found by the batch's name
    (batches / "b1.json").write_text(json.dumps({"batch": "b1", "selection": {"split": "test", "strategy": "random"}}))
    (batches / "b2.json").write_text(json.dumps({"batch": "b2", "selection": "selections/b2.json", "sentences": [
        "un-1-s0000", "un-1-s0001", "un-1-s0002", "ua-1-s0000"]}))
    (store.root / "selections").mkdir()
    (store.root / "selections" / "b2.json").write_text(json.dumps(
        {"split": "validation", "strategy": "random", "seed": 7, "passages": [["un-1-s0000", "un-1-s0001"]]}))
    (batches / "b3.json").write_text(json.dumps({"batch": "b3", "sentences": ["ru-1-s0001", "ru-1-s0002"],
                                                 "articles": ["ru-1"], "projects": {"c": {}, "a": {}}}))
    (batches / "b3.selection.json").write_text(json.dumps({"split": "train", "strategy": "uncertainty", "seed": 3}))
    (batches / "b2.decisions.jsonl").write_text(json.dumps(
        {"adjudicator": "adj-x", "sentence_id": "un-1-s0000", "guideline_version": 2, "labels": {},
         "origin": {"batch": "b2"}}) + "\n")
    return store


def rows(md: str) -> list[str]:
    return [line for line in md.splitlines() if line.startswith("| ")]


def test_campaign_log_has_selection_strata_time_and_agreement_per_batch(store, tmp_path):
    reports, labels = tmp_path / "reports", tmp_path / "labels"
    reports.mkdir(), labels.mkdir()
    (reports / "b1.json").write_text(json.dumps({"fields": {"stance": {"alpha": 4 / 9}}}), encoding="utf-8")
    md = render_batches(store, reports, labels)
    body = rows(md)[1:]
    # in the order the batches were labelled; b1 has a report with stance only, the others none
    assert body == [
        "| `old` | – | 1 | validation 1 | 1 | 1 | ukraine 1 | a 1, b 1 | 2024-04-01 09:00–09:00 (<1 min) | 1 |"
        " – | – | – | – | – |",
        "| `b1` | test · random | 2 | train 1 · test 3 | 2 | 4 | russia 1 · us 3 | a 5, b 3 |"
        " 2024-05-01 10:00–11:30 (1 h 30 min) | 3 | – | 0.444 | – | – | – |",
        # one of the four units pushed is not answered yet
        "| `b2` | validation · random · seed 7 | 2 | validation 3 | 2 | 3 of 4 | ukraine 1 · un 2 | a 3, b 1, c 2 |"
        " 2024-05-01 23:50–2024-05-03 01:00 (1 d 1 h) | 2 | – | – | – | – | – |",
        "| `b3` | train · uncertainty · seed 3 | – | train 2 | 1 | 2 | russia 2 | pushed to a, c; no answer yet | – | – |"
        " – | – | – | – | – |",
    ]
    assert "un = `un_general_debate`" in md


def test_time_cell_spans():
    from datetime import datetime, timezone

    t = lambda s: datetime.fromisoformat(s).replace(tzinfo=timezone.utc)  # noqa: E731
    assert time_cell(t("2024-01-01T10:00"), t("2024-01-01T10:09")) == "2024-01-01 10:00–10:09 (9 min)"
    assert time_cell(t("2024-01-01T10:00"), t("2024-01-01T12:05")) == "2024-01-01 10:00–12:05 (2 h 05 min)"
    assert time_cell(None, None) == "–"


def test_annotators_with_roles_versions_batches_and_publisher_types(store, tmp_path):
    md = cr.render_annotators(store, tmp_path / "no-labels")
    assert rows(md)[1:] == [
        "| `a` | annotator | 1, 2 | `b1`, `b2`, `old` | 9 | 7 | ukraine 1 · russia 1 · us 3 · un 2 | `tfidf_lr@3` 1 |",
        "| `b` | annotator | 1, 2 | `b1`, `b2`, `old` | 5 | 5 | ukraine 1 · us 3 · un 1 | none |",
        "| `c` | annotator | 2 | `b2` | 2 | 2 | un 2 | none |",
        # one decision from the decisions file, one only in final.jsonl
        "| `adj-x` | adjudicator | 2 | `b2` | 2 | 2 | us 1 · un 1 | none |",
    ]


def test_labels_per_unit_and_derivation_per_split(store):
    md = cr.render_labels_per_unit(store)
    assert rows(md) == [
        "| split | final units | 1 annotator | 2 annotators | 3+ annotators | derived: single | derived: unanimous"
        " | derived: majority | derived: adjudicated |",
        "| `train` | 1 | 1 | 0 | 0 | 1 | 0 | 0 | 0 |",
        # ua-1-s0000: b's version-1 answer is history, so one annotator
        "| `validation` | 3 | 1 | 1 | 1 | 1 | 0 | 1 | 1 |",
        "| `test` | 3 | 0 | 3 | 0 | 0 | 2 | 0 | 1 |",
        "| **all** | 7 | 2 | 4 | 1 | 2 | 2 | 1 | 2 |",
    ]
    assert "Field decisions by method (every field of every final unit): single 12, unanimous 27, majority 1, " \
           "adjudicated 2." in md


def test_unit_method_takes_the_field_that_needed_most_and_a_derivation_string():
    order = list(SCHEMA.vocabulary("final_method"))
    assert cr.unit_method({"method": {"stance": "unanimous", "event_type": "adjudicated"}}, order) == "adjudicated"
    assert cr.unit_method({"derivation": "vote"}, order) == "vote"
    assert cr.unit_method({"method": {}}, order) is None


def test_pooled_agreement_overall_per_split_and_per_publisher_type(store):
    md = cr.render_pooled_agreement(store)
    by_slice = {r.split(" | ")[0][2:]: r.split(" | ") for r in rows(md)[1:]}
    stance = rows(md)[0].split(" | ").index("stance α")
    assert list(by_slice) == ["**all**", "split: `validation`", "split: `test`",
                              "publisher type: `us_official`", "publisher type: `un_general_debate`"]
    assert by_slice["**all**"][1:3] == ["5", "a, b, c"]
    assert by_slice["**all**"][stance] == f"{4 / 19:.3f} (0.45, 5)"  # 5 of 11 coincidences on the diagonal
    assert by_slice["publisher type: `us_official`"][stance] == f"{4 / 9:.3f} (0.67, 3)"
    assert by_slice["publisher type: `un_general_debate`"][stance] == "0.000 (0.20, 2)"
    assert by_slice["split: `validation`"][stance] == "0.000 (0.20, 2)"  # un-1 is the validation split's pairs
    # every answer gives attribution `none`: no variation, alpha undefined, observed agreement 1
    attribution = rows(md)[0].split(" | ").index("attribution α")
    assert by_slice["**all**"][attribution] == "undefined (1.00, 5)"


def test_pooled_agreement_matches_the_statistics_module_on_the_same_answers(store):
    from warvoices.annotation.statistics import field_alpha

    camp = cr.load_campaign(store)
    overall = cr.pooled_agreement(camp)[0][2]
    assert sorted(overall.answers) == ["un-1-s0000", "un-1-s0001", "us-1-s0000", "us-1-s0001", "us-1-s0002"]
    assert field_alpha(overall, SCHEMA.field("stance")).alpha == pytest.approx(4 / 19)


def test_ten_most_common_kinds_of_disagreement(store):
    camp = cr.load_campaign(store)
    kinds, total = cr.disagreement_kinds(camp)
    # us-1-s0000 and un-1-s0000 neutral vs pro_ukraine; un-1-s0001 neutral vs pro_russia (three annotators)
    assert total == 3
    assert [(k.field, k.a, k.b, k.units) for k in kinds] == [
        ("stance", "neutral", "pro_ukraine", ["un-1-s0000", "us-1-s0000"]),
        ("stance", "neutral", "pro_russia", ["un-1-s0001"])]
    md = cr.render_disagreements(store)
    assert rows(md)[1:] == [
        "| stance: `neutral` vs `pro_ukraine` | 2 | 66.7 % | us 1 · un 1 | `un-1-s0000`, `us-1-s0000` |",
        "| stance: `neutral` vs `pro_russia` | 1 | 33.3 % | un 1 | `un-1-s0001` |"]
    assert "among the 5 doubly labelled units" in md


def test_disagreements_keep_ten_kinds_and_five_examples(tmp_path):
    # twelve kinds over event_type's labels: unit i disagrees on (none, label i); kind 1 on seven units
    store = Store(tmp_path / "d")
    store.write_articles([{"article_id": "n-1", "publisher_type": "news", "split": "train"}])
    labels = SCHEMA.field("event_type").label_names  # none + 8 others: 8 kinds with `none`
    recs, k = [], 0
    for other in labels[1:]:
        for _ in range(7 if other == labels[1] else 1):
            sid = f"n-1-s{k:04d}"
            for who, ev in (("a", "none"), ("b", other)):
                r = rec(sid, who, "2024-01-01T00:00:00Z", "b1")
                r["labels"]["event_type"] = ev
                recs.append(r)
            k += 1
    # and three kinds between stance labels, one unit each
    for i, (x, y) in enumerate([("neutral", "pro_ukraine"), ("neutral", "pro_russia"), ("pro_ukraine", "pro_russia")]):
        sid = f"n-1-s{100 + i:04d}"
        recs += [rec(sid, "a", "2024-01-01T00:00:00Z", "b1", x), rec(sid, "b", "2024-01-01T00:00:00Z", "b1", y)]
    store.write_annotations(recs)
    kinds, total = cr.disagreement_kinds(cr.load_campaign(store))
    assert len(kinds) == len(labels) - 1 + 3 and total == 7 + (len(labels) - 2) + 3
    md = cr.render_disagreements(store)
    table = rows(md)[1:]
    assert len(table) == 10
    first = table[0].split(" | ")
    assert first[0] == f"| event_type: `none` vs `{labels[1]}`" and first[1] == "7"
    assert first[4].count("`n-1-s") == 5  # seven units, five examples
    # ties: schema field order (stance before event_type), then label order
    assert table[1].startswith("| stance: `neutral` vs `pro_ukraine` | 1 |")


def test_no_data_says_so(tmp_path):
    empty = Store(tmp_path / "empty")
    assert cr.render_disagreements(empty) == "No disagreement yet.\n"
    assert cr.render_pooled_agreement(empty) == "No unit has answers from two annotators yet.\n"
    assert cr.render_labels_per_unit(empty) == "No final label yet.\n"
    assert render_label_distribution_by_publisher(empty) == "No final label yet.\n"


def test_label_distribution_per_split_and_publisher_type(store):
    data = label_distribution_data(store)
    assert [(g["kind"], g["name"], g["units"]) for g in data["groups"]] == [
        ("split", "train", 1), ("split", "validation", 3), ("split", "test", 3),
        ("publisher_type", "ukraine_official", 1), ("publisher_type", "russia_official", 1),
        ("publisher_type", "us_official", 3), ("publisher_type", "un_general_debate", 2)]
    stance = data["fields"]["stance"]
    assert stance["labels"] == ["neutral", "pro_ukraine", "pro_russia"]
    assert stance["counts"]["us_official"] == [1, 2, 0] and stance["counts"]["validation"] == [2, 0, 1]
    # ua-1-s0000's final has no about_war: not counted
    assert data["fields"]["about_war"]["counts"]["ukraine_official"] == [0, 0]
    assert data["fields"]["about_war"]["counts"]["un_general_debate"] == [1, 1]
    md = render_label_distribution_by_publisher(store)
    assert "| `pro_ukraine` | 0 | 0 | 2 | 0 |" in md  # ukraine, russia, us, un
    assert "![Final label distribution per split and publisher type](corpus/figures/label_distribution.png)" in md


def test_figure_is_drawn_from_the_data_and_checked_by_its_digest(store, tmp_path, monkeypatch):
    text = label_figure.render_data(store)
    png = label_figure.draw(text)
    assert png.startswith(b"\x89PNG") and png == label_figure.draw(text)  # reproducible within one install
    assert label_figure.png_text(png)[label_figure.DIGEST_KEY] == label_figure.digest(text)
    data_path, fig_path = tmp_path / "fig" / "dist.json", tmp_path / "fig" / "dist.png"
    data_path.parent.mkdir()
    art = Artifact(data_path, None, lambda: text, figure=fig_path, draw=label_figure.draw,
                   figure_problem=label_figure.figure_problem)
    assert sorted(stale([art])) == [str(data_path)]
    assert generate([art]) == [str(data_path), str(fig_path)]
    assert stale([art]) == [] and generate([art]) == []
    # a picture of other data is stale even though the JSON is current
    other = json.loads(text)
    other["fields"]["stance"]["counts"]["test"] = [3, 0, 0]
    fig_path.write_bytes(label_figure.draw(json.dumps(other)))
    (problem,) = stale([art])
    assert problem.startswith(f"{fig_path} (drawn from other data")
    fig_path.unlink()
    assert stale([art]) == [f"{fig_path} (missing)"]
    assert label_figure.png_text(b"not a png") == {}


def test_a_broken_selection_file_is_an_error_naming_it(store, tmp_path):
    from warvoices.corpus.errors import InputError

    (store.root / "selections" / "b2.json").write_text("{\"split\": ", encoding="utf-8")
    with pytest.raises(InputError, match=r"selections/b2\.json:1: invalid JSON"):
        render_batches(store, tmp_path, tmp_path)


def test_a_bad_timestamp_is_an_error_naming_the_annotation(tmp_path):
    from warvoices.corpus.errors import InputError

    store = Store(tmp_path / "t")
    store.write_annotations([rec("x-1-s0000", "a", "yesterday", "b1")])
    with pytest.raises(InputError, match=r"annotation x:a:x-1-s0000:0: created_at 'yesterday'"):
        render_batches(store, tmp_path, tmp_path)
