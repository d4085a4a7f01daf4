"""Agreement: Krippendorff's alpha against an independent hand computation and published values,
span F1 against figures worked out on paper (tests/fixtures/agreement/README.md), edge cases,
thresholds, written reports and the command's exit status."""
from __future__ import annotations

import argparse
import itertools
import json
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from warvoices.annotation import agreement
from warvoices.annotation.agreement import (check_thresholds, coincidence_matrix, collect_answers,
                                            compute_agreement, field_alpha, load_thresholds, select_records,
                                            span_agreement, word_tokens, write_report)
from warvoices.corpus.schema import load_schema
from warvoices.corpus.errors import InputError
from warvoices.corpus.store import read_jsonl

FIX = Path(__file__).parent / "fixtures" / "agreement"
SCHEMA = load_schema()


def toy_records() -> list[dict]:
    return [rec for _, rec in read_jsonl(FIX / "toy_batch.jsonl")]


def toy_texts() -> dict[str, str]:
    return json.loads((FIX / "toy_texts.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def toy_batch():
    return collect_answers(select_records(toy_records(), batch="toy-1"), name="toy-1")


@pytest.fixture(scope="module")
def toy_report(toy_batch):
    return compute_agreement(toy_batch, toy_texts())


def record(sid: str, annotator: str, *, status: str = "submitted", minute: int = 0, spans=None, **labels) -> dict:
    """A hand-made annotation record; labels not given default to the schema's first label."""
    full = {f.name: f.label_names[0] for f in SCHEMA.choice_fields}
    full.update(labels)
    return {"annotation_id": f"direct:{annotator}:{sid}:{minute}", "sentence_id": sid, "annotator": annotator,
            "created_at": f"2024-05-01T10:{minute:02d}:00Z", "status": status,
            "labels": full if status == "submitted" else None, "source_spans": spans or [],
            "origin": {"tool": "direct"}}


# ---------------------------------------------------------------------------------------------
# An independent alpha: Krippendorff's coincidence-matrix formula written out with explicit
# loops over ordered pairs of annotators, in exact fractions (no numpy, no krippendorff package).
# ---------------------------------------------------------------------------------------------

def alpha_by_hand(units: list[list]) -> Fraction:
    """units: the values each unit received (missing values left out)."""
    values = sorted({v for u in units for v in u})
    o = {(c, k): Fraction(0) for c in values for k in values}
    for u in units:
        m = len(u)
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            o[(u[i], u[j])] += Fraction(1, m - 1)
    n_c = {c: sum(o[(c, k)] for k in values) for c in values}
    n = sum(n_c.values())
    observed = sum(o[(c, k)] for c in values for k in values if c != k)
    expected = sum(n_c[c] * n_c[k] for c in values for k in values if c != k)
    return 1 - (n - 1) * observed / expected


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers,
# twelve units, values 1-5, missing values as None. The paper gives alpha (nominal) = 0.743.
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def reliability_records(table: dict[str, list], fname: str) -> list[dict]:
    """Annotation records coding value v as the v-th label of `fname` (needs > max(v) labels)."""
    labels = SCHEMA.field(fname).label_names
    recs = []
    for coder, row in table.items():
        for unit, v in enumerate(row):
            if v is not None:
                recs.append(record(f"kripp-s{unit:04d}", f"obs-{coder}", **{fname: labels[v]}))
    return recs


def test_alpha_matches_krippendorff_2011_and_the_hand_formula():
    units = [[row[u] for row in KRIPPENDORFF_2011.values() if row[u] is not None] for u in range(12)]
    by_hand = alpha_by_hand(units)
    assert round(float(by_hand), 3) == 0.743  # the published value
    batch = collect_answers(reliability_records(KRIPPENDORFF_2011, "event_type"))
    res = field_alpha(batch, SCHEMA.field("event_type"))
    assert res.alpha == pytest.approx(float(by_hand), abs=1e-12)
    # unit 12 has a single value: excluded from alpha, counted
    assert (res.items, res.items_single, res.annotators, res.values) == (11, 1, 4, 40)


def test_coincidence_matrix_matches_the_hand_loops():
    units = [[row[u] for row in KRIPPENDORFF_2011.values() if row[u] is not None] for u in range(12)]
    got = coincidence_matrix(units, 6)
    want = np.zeros((6, 6))
    for u in units:
        if len(u) > 1:
            for i, j in itertools.permutations(range(len(u)), 2):
                want[u[i], u[j]] += 1 / (len(u) - 1)
    assert np.allclose(got, want)
    assert got.sum() == pytest.approx(40)


def test_two_coders_worked_on_paper():
    # units (a,a) (a,a) (b,b) (a,b): n = 8, n_a = 5, n_b = 3, o_ab = o_ba = 1;
    # alpha = 1 - 7 * 2 / (2 * 5 * 3) = 8/15
    table = {"x": [0, 0, 1, 0], "y": [0, 0, 1, 1]}
    assert alpha_by_hand([[0, 0], [0, 0], [1, 1], [0, 1]]) == Fraction(8, 15)
    res = field_alpha(collect_answers(reliability_records(table, "stance")), SCHEMA.field("stance"))
    assert res.alpha == pytest.approx(8 / 15, abs=1e-12)
    assert res.observed_agreement == pytest.approx(6 / 8)


def test_toy_batch_alpha_golden_values(toy_report):
    golden = {"stance": Fraction(33, 68), "attribution": Fraction(15, 22), "source_type": Fraction(27, 34),
              "event_type": Fraction(36, 43)}
    for fname, want in golden.items():
        res = toy_report.alphas[fname]
        assert res.alpha == pytest.approx(float(want), abs=1e-12), fname
        assert (res.items, res.items_single, res.annotators) == (5, 1, 3)
    assert toy_report.alphas["stance"].observed_agreement == pytest.approx(2 / 3)


def test_toy_batch_alpha_equals_hand_formula_from_the_records(toy_batch):
    # the toy batch is version-1 history (no about_war): every field of its version is compared
    version = max(toy_batch.guideline_version(sid) for sid in toy_batch.answers)
    assert version == 1
    for f in (f for f in SCHEMA.fields_for_version(version) if f.kind == "choice"):
        units = [[ans.labels[f.name] for ans in per.values()] for per in toy_batch.answers.values()]
        assert field_alpha(toy_batch, f).alpha == pytest.approx(float(alpha_by_hand(units)), abs=1e-12)


def test_pairwise_confusion_table(toy_report):
    res = toy_report.alphas["stance"]
    pair = next(p for p in res.pairs if (p.a, p.b) == ("ann-a", "ann-b"))
    n, u, r = (res.labels.index(x) for x in ("neutral", "pro_ukraine", "pro_russia"))
    want = np.zeros((3, 3), dtype=int)
    want[n, n], want[u, u], want[r, r], want[n, r] = 2, 1, 1, 1
    assert np.array_equal(pair.matrix, want)
    assert (pair.items, pair.agreement) == (5, pytest.approx(0.8))
    assert [(p.a, p.b) for p in res.pairs] == [("ann-a", "ann-b"), ("ann-a", "ann-c"), ("ann-b", "ann-c")]


def test_counts_skips_cancels_and_superseded(toy_batch):
    assert toy_batch.status_counts == {"submitted": 17, "skipped": 1, "cancelled": 1}
    assert toy_batch.superseded == ["ls:11:400"]
    # the later submission of ann-a wins; the skip and cancel leave toy-s0005 with ann-a alone
    assert toy_batch.answers["toy-s0001"]["ann-a"].labels["stance"] == "pro_ukraine"
    assert list(toy_batch.answers["toy-s0005"]) == ["ann-a"]


def test_selection_by_batch_article_and_sentence():
    recs = toy_records()
    assert {r["annotation_id"] for r in select_records(recs, batch="toy-2")} == {"ls:11:700"}
    assert {r["sentence_id"] for r in select_records(recs, article_ids=["other"])} == {"other-s0000"}
    assert len(select_records(recs, article_ids=["toy"])) == 19
    picked = select_records(recs, sentence_ids=["toy-s0003", "toy-s0005"])
    assert len(picked) == 6 and {r["sentence_id"] for r in picked} == {"toy-s0003", "toy-s0005"}


def test_span_f1_golden_values(toy_report):
    res = toy_report.spans["source_spans"]
    want = {("ann-a", "ann-b"): (1 / 4, 10 / 13), ("ann-a", "ann-c"): (4 / 7, 6 / 10),
            ("ann-b", "ann-c"): (4 / 7, 6 / 9)}
    got = {(p.a, p.b): (p.exact.f1, p.token.f1) for p in res.pairs}
    assert got.keys() == want.keys()
    for key, (exact, token) in want.items():
        assert got[key] == (pytest.approx(exact), pytest.approx(token)), key
    assert res.exact.f1 == pytest.approx(10 / 22) and res.token.f1 == pytest.approx(22 / 32)
    assert (res.exact.tp, res.exact.a, res.exact.b) == (5, 12, 10)


def test_word_tokens_ignore_punctuation():
    text = "According to a local governor, two bridges were damaged."
    toks = word_tokens(text)
    assert [text[s:e] for s, e in toks][:5] == ["According", "to", "a", "local", "governor"]
    assert "," not in [text[s:e] for s, e in toks]


def test_span_f1_without_texts_reports_why(toy_batch):
    res = span_agreement(toy_batch, SCHEMA.field("source_spans"), None)
    assert res.token is None and "no sentence texts" in res.token_reason
    assert res.exact.f1 == pytest.approx(10 / 22)


def test_span_f1_needs_every_text(toy_batch):
    texts = toy_texts()
    del texts["toy-s0002"]
    with pytest.raises(InputError, match="toy-s0002"):
        span_agreement(toy_batch, SCHEMA.field("source_spans"), texts)


def test_one_annotator_gives_undefined_alpha_not_a_number():
    batch = collect_answers([record("solo-s0000", "ann-a", stance="neutral"),
                             record("solo-s0001", "ann-a", stance="pro_russia")])
    report = compute_agreement(batch, {"solo-s0000": "One invented line.", "solo-s0001": "Another one."})
    res = report.alphas["stance"]
    assert res.alpha is None and "only one annotator" in res.reason
    assert (res.items, res.items_single, res.annotators, res.observed_agreement) == (0, 2, 1, None)
    assert report.spans["source_spans"].exact.f1 is None
    json.dumps(agreement.report_dict(report))  # None, not NaN, so the JSON stays valid


def test_identical_labels_give_undefined_alpha_with_reason():
    recs = [record(f"same-s000{i}", a, stance="pro_ukraine") for i in range(3) for a in ("ann-a", "ann-b")]
    res = field_alpha(collect_answers(recs), SCHEMA.field("stance"))
    assert res.alpha is None and "no variation" in res.reason and "pro_ukraine" in res.reason
    assert res.observed_agreement == 1.0 and res.items == 3


def test_single_annotation_items_are_excluded_and_counted():
    recs = [record("mix-s0000", "ann-a", stance="neutral"), record("mix-s0000", "ann-b", stance="pro_russia"),
            record("mix-s0001", "ann-a", stance="neutral"), record("mix-s0001", "ann-b", stance="neutral"),
            record("mix-s0002", "ann-a", stance="pro_russia"),
            record("mix-s0002", "ann-b", status="skipped")]
    res = field_alpha(collect_answers(recs), SCHEMA.field("stance"))
    # without mix-s0002 (one answer): units (n, r) (n, n): n_n 3, n_r 1, o_nr = o_rn = 1;
    # alpha = 1 - 3 * 2 / (2 * 3 * 1) = 0
    assert (res.items, res.items_single) == (2, 1)
    assert res.alpha == pytest.approx(0.0, abs=1e-12)


def test_sentences_with_only_skips_are_listed():
    batch = collect_answers([record("skip-s0000", "ann-a", status="skipped"),
                             record("skip-s0001", "ann-a", stance="neutral")])
    assert batch.unanswered == ["skip-s0000"] and batch.sentence_ids == ["skip-s0001"]


def test_empty_batch_is_a_clear_error():
    with pytest.raises(InputError, match="no submitted annotation"):
        compute_agreement(collect_answers([record("e-s0000", "ann-a", status="cancelled")]))


@pytest.mark.parametrize("fixture, message", [
    ("unknown_label.jsonl", "'pro_moon' is not in annotation/schema.yaml"),
    ("unknown_status.jsonl", "status 'draft'"),
    ("reversed_span.jsonl", r"\[12, 4\] is not a \[start, end\] pair"),
    ("bad_timestamp.jsonl", "not an ISO 8601"),
])
def test_defect_fixtures_raise_input_errors(fixture, message):
    recs = [rec for _, rec in read_jsonl(FIX / fixture)]
    with pytest.raises(InputError, match=message) as exc:
        collect_answers(recs)
    assert recs[0]["annotation_id"] in str(exc.value)


def test_span_beyond_the_sentence_is_an_input_error():
    recs = [rec for _, rec in read_jsonl(FIX / "span_beyond_sentence.jsonl")]
    batch = collect_answers(recs)
    with pytest.raises(InputError, match="ends beyond sentence toy-s0005"):
        span_agreement(batch, SCHEMA.field("source_spans"), toy_texts())


def test_duplicate_annotation_ids_are_rejected():
    rec = record("dup-s0000", "ann-a")
    with pytest.raises(InputError, match="occurs twice"):
        collect_answers([rec, dict(rec)])


# ---------------------------------------------------------------------------------------------
# thresholds
# ---------------------------------------------------------------------------------------------

def test_default_config_covers_schema_fields_only():
    th = load_thresholds()
    assert set(th.minimums) <= set(SCHEMA.field_names) and th.undefined == "fail"
    assert all("min_alpha" in th.minimums[f.name] for f in SCHEMA.choice_fields)


def test_threshold_pass(toy_report):
    verdict = check_thresholds(toy_report, load_thresholds(FIX / "thresholds_pass.yaml"))
    assert verdict.passed and len(verdict.checks) == 6 and not verdict.failures


def test_threshold_fail_names_each_failed_check(toy_report):
    verdict = check_thresholds(toy_report, load_thresholds(FIX / "thresholds_fail.yaml"))
    assert not verdict.passed
    assert [(c.field, c.metric) for c in verdict.failures] == [("stance", "alpha"), ("source_spans", "token_f1")]
    assert verdict.failures[0].describe() == "stance alpha 0.485 < 0.500"
    assert [c.passed for c in verdict.checks] == [False, True, False]


def test_undefined_alpha_follows_the_config(tmp_path):
    batch = collect_answers([record("u-s0000", "ann-a", stance="neutral")])
    report = compute_agreement(batch)
    for policy, passed in (("fail", False), ("pass", True)):
        cfg = tmp_path / f"{policy}.yaml"
        cfg.write_text(f"fields:\n  stance: {{min_alpha: 0.667}}\nundefined: {policy}\n", encoding="utf-8")
        verdict = check_thresholds(report, load_thresholds(cfg))
        assert verdict.passed is passed
        assert "undefined" in verdict.checks[0].describe()


@pytest.mark.parametrize("fixture, message", [
    ("thresholds_unknown_field.yaml", "field 'sentiment' is not in annotation/schema.yaml"),
    ("thresholds_wrong_metric.yaml", "stance.min_token_f1 is not a threshold of a choice field"),
])
def test_bad_config_is_an_input_error(fixture, message):
    with pytest.raises(InputError, match=message):
        load_thresholds(FIX / fixture)


# ---------------------------------------------------------------------------------------------
# written reports and the command
# ---------------------------------------------------------------------------------------------

def test_write_report_files(toy_report, tmp_path):
    verdict = check_thresholds(toy_report, load_thresholds(FIX / "thresholds_fail.yaml"))
    paths = write_report(toy_report, verdict, tmp_path / "reports")
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "toy-1.json", "toy-1.md", "toy-1.stance_confusion.png"]
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["fields"]["stance"]["alpha"] == pytest.approx(33 / 68)
    assert data["fields"]["source_spans"]["token_f1"] == pytest.approx(0.6875)
    assert data["counts"]["skipped"] == 1 and data["counts"]["superseded"] == 1
    assert data["verdict"]["passed"] is False
    md = paths["markdown"].read_text(encoding="utf-8")
    assert "**Verdict: FAIL**" in md and "| stance | 0.485 | 0.667 | 5 | 1 | 3 |" in md
    assert "(toy-1.stance_confusion.png)" in md
    png = paths["stance_confusion"].read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000
    # same figures, same bytes (no timestamps in the PNG)
    assert agreement.render_heatmap(toy_report.alphas["stance"]) == png


def test_unsafe_batch_name_is_refused(toy_batch, tmp_path):
    bad = agreement.Batch(name="../escape", answers=toy_batch.answers, status_counts=toy_batch.status_counts)
    with pytest.raises(InputError, match="cannot be a file name"):
        write_report(compute_agreement(bad), None, tmp_path)


def _run(tmp_path, *argv) -> int:
    """`warvoices annotate agreement ARGV`, through the registered subcommand."""
    from warvoices.annotation import commands

    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    args = parser.parse_args(["annotate", "agreement", *argv])
    return args.func(args)


@pytest.fixture
def toy_store(tmp_path) -> Path:
    store = tmp_path / "store"
    store.mkdir()
    shutil.copy(FIX / "toy_batch.jsonl", store / "annotations.jsonl")
    return store


def test_command_exits_1_below_threshold(toy_store, tmp_path, capsys):
    out = tmp_path / "out"
    code = _run(tmp_path, "--store", str(toy_store), "--batch", "toy-1", "--out", str(out), "--no-texts",
                "--config", str(FIX / "thresholds_fail.yaml"))
    err = capsys.readouterr().err
    assert code == 1
    assert "FAILS the agreement thresholds" in err and "stance alpha 0.485 < 0.500" in err
    assert (out / "toy-1.md").exists() and (out / "toy-1.stance_confusion.png").exists()


def test_command_exits_0_when_thresholds_hold(toy_store, tmp_path, capsys):
    out = tmp_path / "out"
    cfg = tmp_path / "ok.yaml"
    cfg.write_text("fields:\n  stance: {min_alpha: 0.45}\n  source_spans: {min_exact_f1: 0.45}\n", encoding="utf-8")
    code = _run(tmp_path, "--store", str(toy_store), "--articles", "toy", "--name", "pilot", "--out", str(out),
                "--no-texts", "--config", str(cfg))
    assert code == 0, capsys.readouterr().err
    data = json.loads((out / "pilot.json").read_text(encoding="utf-8"))
    assert data["batch"] == "pilot" and data["counts"]["records"] == 19
    assert data["fields"]["source_spans"]["token_f1"] is None


def test_command_with_no_matching_records_is_an_input_error(toy_store, tmp_path):
    with pytest.raises(InputError, match="no annotation record"):
        _run(tmp_path, "--store", str(toy_store), "--batch", "nope", "--out", str(tmp_path), "--no-texts")


def test_command_reads_sentence_texts_of_the_bundled_seed(tmp_path, capsys):
    """Token F1 through the corpus text loader: the seed article is bundled, so no archive needed.
    Two invented annotators mark spans on the first two seed sentences."""
    from warvoices.corpus.store import Store

    repo_store = Store(agreement.DEFAULT_STORE)
    seed = next(a for a in repo_store.articles().values() if "bundled" in a["text_source"])
    sents = sorted(repo_store.sentences(seed["article_id"]), key=lambda r: r["index"])[:2]
    store = Store(tmp_path / "store")
    store.write_articles([seed])
    store.write_sentences(sents)
    recs = []
    for s in sents:
        length = s["end"] - s["start"]
        recs += [record(s["sentence_id"], "ann-x", spans=[[0, min(8, length)]]),
                 record(s["sentence_id"], "ann-y", spans=[[0, min(8, length)]])]
    store.write_annotations(recs)
    out = tmp_path / "out"
    _run(tmp_path, "--store", str(store.root), "--out", str(out))
    data = json.loads((out / "all.json").read_text(encoding="utf-8"))
    spans = data["fields"]["source_spans"]
    assert spans["exact_f1"] == 1.0 and spans["token_f1"] == 1.0 and spans["token_reason"] is None


def test_a_version_1_batch_is_not_judged_on_fields_it_did_not_have(toy_report):
    # the toy batch follows guideline version 1: about_war was not asked, so it is neither reported
    # nor checked, while the default thresholds (which name about_war) still check every other field
    assert "about_war" not in toy_report.alphas
    assert "about_war" not in agreement.report_dict(toy_report)["fields"]
    verdict = check_thresholds(toy_report, load_thresholds())
    (about,) = [c for c in verdict.checks if c.field == "about_war"]
    assert about.passed and about.value is None and "guideline version 1" in about.note
    assert {c.field for c in verdict.checks} >= {"stance", "event_type"}


def test_answers_under_older_guidelines_are_history_not_compared():
    def rec(annotator, version, stance, when):
        labels = {f.name: f.label_names[0] for f in SCHEMA.required_fields(version)}
        labels["stance"] = stance
        return {"annotation_id": f"{annotator}-{version}", "sentence_id": "h-s0000", "annotator": annotator,
                "created_at": when, "status": "submitted", "labels": labels, "source_spans": [],
                "guideline_version": version}

    batch = collect_answers([rec("ann-a", 1, "neutral", "2024-01-01T00:00:00Z"),
                             rec("ann-b", 1, "pro_ukraine", "2024-01-01T00:00:00Z"),
                             rec("ann-b", 2, "neutral", "2024-02-01T00:00:00Z")])
    # ann-b's v2 answer supersedes their v1 answer; ann-a's v1 answer is outdated, not compared
    assert batch.outdated == ["ann-a-1"] and batch.superseded == ["ann-b-1"]
    assert list(batch.answers["h-s0000"]) == ["ann-b"] and batch.guideline_version("h-s0000") == 2
    report = compute_agreement(batch)
    assert "about_war" in report.alphas and report.alphas["stance"].items == 0


def test_slices_compute_alpha_within_each_group_only():
    # group x: two sentences the annotators disagree on one of; group y: perfect agreement on two
    # sentences with two labels. Each slice's alpha is that of its own sentences, by the hand formula.
    recs = [record("x-s0000", "a", stance="neutral"), record("x-s0000", "b", stance="pro_russia"),
            record("x-s0001", "a", stance="pro_ukraine"), record("x-s0001", "b", stance="pro_ukraine"),
            record("y-s0000", "a", stance="neutral"), record("y-s0000", "b", stance="neutral"),
            record("y-s0001", "a", stance="pro_russia"), record("y-s0001", "b", stance="pro_russia")]
    batch = collect_answers(recs)
    slices = agreement.slice_agreement(batch, {"x-s0000": "x", "x-s0001": "x", "y-s0000": "y", "y-s0001": "y"})
    assert list(slices) == ["x", "y"] and slices["x"]["sentences"] == 2
    x = slices["x"]["fields"]["stance"]
    units = [["neutral", "pro_russia"], ["pro_ukraine", "pro_ukraine"]]
    assert x["alpha"] == pytest.approx(float(alpha_by_hand(units)), abs=1e-12)
    assert x["observed_agreement"] == pytest.approx(0.5) and x["items"] == 2
    assert slices["y"]["fields"]["stance"]["alpha"] == pytest.approx(1.0)
    # the overall alpha differs from both slices: the slices are not a copy of the batch
    overall = field_alpha(batch, SCHEMA.field("stance")).alpha
    assert overall not in (pytest.approx(x["alpha"]), pytest.approx(1.0))
    # unknown slice: left out; the rendered report has a row per slice
    assert list(agreement.slice_agreement(batch, {"y-s0000": "y"})) == ["y"]
    md = agreement.render_markdown(compute_agreement(batch), None, None, {"publisher_type": slices})
    assert "## Choice fields by publisher_type" in md and "| x | 2 |" in md and "| y | 2 |" in md


def test_datasheet_batch_rows_count_units_annotators_and_agreement(tmp_path):
    from warvoices.corpus.stats import render_batches
    from warvoices.corpus.store import Store

    store = Store(tmp_path / "store")
    store.write_sentences([{"sentence_id": f"art-{i}-s0000", "article_id": f"art-{i}", "index": 0, "start": 0,
                            "end": 5, "kind": "body", "speaker_span": None, "flags": [], "text_hash": "x"}
                           for i in (1, 2)])
    recs = [record("art-1-s0000", "a"), record("art-1-s0000", "b"), record("art-2-s0000", "a")]
    for r in recs[:2]:
        r["origin"] = {"tool": "label-studio", "batch": "b-ls"}
    recs[2]["origin"] = {"tool": "direct", "file": "old.jsonl"}
    recs.append(dict(record("art-1-s0000", "c", status="skipped"), origin={"tool": "label-studio", "batch": "b-ls"}))
    store.add_annotations(recs)
    labels, reports = tmp_path / "labels", tmp_path / "reports"
    labels.mkdir(), reports.mkdir()
    (reports / "b-ls.json").write_text(json.dumps({"fields": {"stance": {"alpha": 0.25}}}), encoding="utf-8")
    md = render_batches(store, reports, labels)
    # skipped answers carry no labels and are not counted; the direct import falls back to its file name
    # (no articles registered: split and publisher type are unknown, "?")
    assert "| `b-ls` | – | 1 | ? 1 | 1 | 1 | ? 1 | a 1, b 1 | 2024-05-01 10:00–10:00 (<1 min) | 1 | – | 0.250 |" in md
    assert "| `old` | – | 1 | ? 1 | 1 | 1 | ? 1 | a 1 | 2024-05-01 10:00–10:00 (<1 min) | 0 |" in md
    (labels / "named.articles.txt").write_text("art-2  # listed\n", encoding="utf-8")
    assert "| `named` | – | 1 | ? 1 | 1 | 1 | ? 1 | a 1 |" in render_batches(store, reports, labels)
