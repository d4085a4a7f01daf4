"""The official scorer: golden files with hand-computed scores, one fixture per defect of a
predictions file, intervals, the paired test, empty splits and the command line."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warvoices.baselines import metrics as M
from warvoices.baselines.score import compare_predictions, score_predictions
from warvoices.baselines.toy_corpus import write_records_dataset
from warvoices.corpus.errors import InputError, WarVoicesError

FIX = Path(__file__).parent / "fixtures"
GOLDEN = FIX / "predictions"
BAD = FIX / "score"


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def golden_data(tmp_path_factory) -> Path:
    """The 6-sentence hand-made gold of tests/fixtures/predictions/gold.jsonl as a built dataset."""
    return write_records_dataset(_records(GOLDEN / "gold.jsonl"), tmp_path_factory.mktemp("golden") / "ds")


# --- golden files ------------------------------------------------------------------------------

def test_perfect_predictions_score_one_with_tight_intervals(golden_data):
    rep = score_predictions(GOLDEN / "golden_perfect.jsonl", golden_data, "test", n_resamples=200)
    assert rep["n_sentences"] == 6 and rep["n_articles"] == 3
    for fname in ("stance", "attribution", "source_type", "event_type"):
        r = rep["fields"][fname]
        assert r["macro_f1"] == 1.0 and r["accuracy"] == 1.0
        assert r["macro_f1_ci"] == [1.0, 1.0]
    spans = rep["fields"]["source_spans"]
    assert spans["exact"]["f1"] == 1.0 and spans["token_overlap"]["f1"] == 1.0
    assert spans["sentence_exact_match"] == 1.0
    assert {t: rep["tasks"][t]["official"]["value"] for t in rep["tasks"]} == \
        {"stance": 1.0, "attribution": 1.0, "event_type": 1.0}


def test_mixed_predictions_match_the_hand_computed_scores(golden_data):
    """Every number here is worked out in tests/fixtures/predictions/README.md."""
    rep = score_predictions(GOLDEN / "golden_mixed.jsonl", golden_data, "test", n_resamples=200)
    f = rep["fields"]
    approx = pytest.approx
    assert f["stance"]["macro_f1"] == approx(0.583333, abs=1e-6)
    assert f["stance"]["accuracy"] == approx(4 / 6)
    assert f["stance"]["per_label"]["neutral"] == {"precision": 0.75, "recall": 0.75, "f1": 0.75,
                                                   "support": 4, "predicted": 4}
    assert f["stance"]["confusion_matrix"]["counts"] == [[3, 1, 0], [1, 0, 0], [0, 0, 1]]
    assert f["attribution"]["macro_f1"] == approx(0.575)
    assert f["attribution"]["per_label"]["mixed"] == {"precision": None, "recall": 0.0, "f1": 0.0,
                                                      "support": 1, "predicted": 0}
    assert f["attribution"]["per_label"]["none"]["precision"] == approx(2 / 3)
    assert f["source_type"]["macro_f1"] == approx(11 / 15)
    assert f["source_type"]["accuracy"] == approx(5 / 6)
    assert f["source_type"]["labels_in_macro"] == ["none", "ukraine_official", "russia_official",
                                                   "international_org", "media"]
    assert f["event_type"]["macro_f1"] == approx(0.6)
    assert f["event_type"]["per_label"]["economy"] == {"precision": 0.0, "recall": None, "f1": 0.0,
                                                       "support": 0, "predicted": 1}
    # labels nobody used nor predicted are listed with support 0 and no F1
    assert f["event_type"]["per_label"]["justice"]["f1"] is None
    assert rep["tasks"]["attribution"]["official"]["value"] == approx((0.575 + 11 / 15) / 2)
    assert rep["tasks"]["stance"]["official"]["value"] == approx(0.583333, abs=1e-6)
    sp = f["source_spans"]
    assert (sp["exact"]["tp"], sp["exact"]["predicted"], sp["exact"]["gold"]) == (2, 4, 4)
    assert sp["exact"]["f1"] == approx(0.5)
    assert (sp["token_overlap"]["tp"], sp["token_overlap"]["predicted"], sp["token_overlap"]["gold"]) == (9, 10, 12)
    assert sp["token_overlap"]["precision"] == approx(0.9)
    assert sp["token_overlap"]["recall"] == approx(0.75)
    assert sp["token_overlap"]["f1"] == approx(18 / 22)
    assert sp["sentence_exact_match"] == approx(0.5)


def test_intervals_are_reproducible_and_report_their_settings(golden_data):
    path = GOLDEN / "golden_mixed.jsonl"
    a = score_predictions(path, golden_data, "test", n_resamples=300, seed=7)
    b = score_predictions(path, golden_data, "test", n_resamples=300, seed=7)
    c = score_predictions(path, golden_data, "test", n_resamples=300, seed=8)
    assert a["fields"] == b["fields"]
    assert a["bootstrap"] == {"unit": "article", "interval": "percentile", "n_resamples": 300,
                              "seed": 7, "confidence": 0.95}
    lo, hi = a["fields"]["stance"]["macro_f1_ci"]
    assert 0.0 <= lo < hi <= 1.0
    # the run with seed 8 is checked by its numbers, not by echoing its seed: its interval is the
    # one a naive loop over seed 8's resamples gives (tests/test_bootstrap_oracle.py)
    from test_bootstrap_oracle import _naive_interval

    _, naive = _naive_interval(_records(GOLDEN / "gold.jsonl"), _records(path), 300, 8)
    assert c["bootstrap"]["seed"] == 8 and c["fields"]["stance"]["macro_f1_ci"] == pytest.approx(naive, abs=1e-12)
    # every resample is a multiset of the 3 articles, so the interval can only take values that
    # some article multiset gives: all of them lie in [0, 1] and differ between articles
    assert a["fields"]["stance"]["macro_f1_ci"] != [a["fields"]["stance"]["macro_f1"]] * 2


def test_one_article_gives_a_warning_not_a_fake_interval(tmp_path):
    recs = [r for r in _records(GOLDEN / "gold.jsonl") if r["article_id"] == "g1"]
    data = write_records_dataset(recs, tmp_path / "ds")
    preds = [{"id": r["id"], "stance": r["stance"]} for r in recs]
    rep = score_predictions(preds, data, "test", n_resamples=50)
    assert rep["n_articles"] == 1
    assert any("only 1 article" in w for w in rep["warnings"])


def test_library_call_accepts_dicts_and_task_selection(golden_data):
    preds = _records(GOLDEN / "golden_mixed.jsonl")
    rep = score_predictions(preds, golden_data, "test", tasks=["stance"], n_resamples=100)
    assert list(rep["tasks"]) == ["stance"] and list(rep["fields"]) == ["stance"]
    assert rep["fields"]["stance"]["macro_f1"] == pytest.approx(0.583333, abs=1e-6)
    with pytest.raises(WarVoicesError, match="unknown task 'stanse'"):
        score_predictions(preds, golden_data, "test", tasks=["stanse"])


def test_partial_fields_are_scored_and_the_task_official_needs_all_of_them(golden_data):
    preds = [{"id": r["id"], "attribution": r["attribution"]} for r in _records(GOLDEN / "golden_mixed.jsonl")]
    rep = score_predictions(preds, golden_data, "test", n_resamples=50)
    assert rep["tasks"]["attribution"]["not_predicted"] == ["source_type", "source_spans"]
    assert rep["tasks"]["attribution"]["official"] is None
    assert rep["fields"]["attribution"]["macro_f1"] == pytest.approx(0.575)


def test_spans_alone_are_scored_on_the_attribution_rows(golden_data):
    preds = [{"id": r["id"], "source_spans": r["source_spans"]} for r in _records(GOLDEN / "golden_mixed.jsonl")]
    rep = score_predictions(preds, golden_data, "test", n_resamples=50)
    assert list(rep["fields"]) == ["source_spans"]
    assert rep["fields"]["source_spans"]["exact"]["f1"] == pytest.approx(0.5)
    assert rep["fields"]["source_spans"]["token_overlap"]["f1"] == pytest.approx(18 / 22)


# --- bad predictions files: one fixture per defect -------------------------------------------

@pytest.mark.parametrize("fixture, line, phrase", [
    ("invalid_json", 3, "invalid JSON"),
    ("missing_id", 2, "missing id"),
    ("unknown_id", 4, "unknown id 'g9-s0000'"),
    ("unknown_label", 5, "unknown stance label \"pro-ukraine\""),
    ("duplicated_id", 7, "duplicated id 'g1-s0000': already predicted on line 1"),
    ("missing_field", 3, "has no stance, but other lines predict it"),
    ("unknown_key", 2, "unknown key 'stanse'"),
    ("span_past_end", 1, "runs past the end of the sentence"),
    ("null_label", 2, "stance of id 'g1-s0001' is null"),
])
def test_each_defect_fails_loudly_naming_its_line(golden_data, fixture, line, phrase):
    path = BAD / f"{fixture}.jsonl"
    with pytest.raises(InputError) as exc:
        score_predictions(path, golden_data, "test", n_resamples=10)
    msg = str(exc.value)
    assert f"{path}:{line}:" in msg
    assert phrase in msg


def test_sentences_without_prediction_are_named(golden_data):
    with pytest.raises(InputError, match=r"missing ids: no prediction for 1 of 6 .*g3-s0001"):
        score_predictions(BAD / "missing_sentence.jsonl", golden_data, "test")


def test_empty_predictions_file_is_an_error(golden_data):
    with pytest.raises(InputError, match="no predictions"):
        score_predictions(BAD / "empty.jsonl", golden_data, "test")


def test_every_defect_fixture_is_tested():
    tested = {"invalid_json", "missing_id", "unknown_id", "unknown_label", "duplicated_id", "missing_field",
              "unknown_key", "span_past_end", "null_label", "missing_sentence", "empty"}
    assert {p.stem for p in BAD.glob("*.jsonl")} == tested


# --- gold problems ----------------------------------------------------------------------------

def test_empty_split_says_so_instead_of_scoring_zero(tmp_path):
    recs = _records(GOLDEN / "gold.jsonl")
    for r in recs:
        r["split"] = "train"  # nothing in test: the build writes no test file
    data = write_records_dataset(recs, tmp_path / "ds")
    with pytest.raises(WarVoicesError, match="split 'test' .* has no sentences"):
        score_predictions(GOLDEN / "golden_perfect.jsonl", data, "test")


def test_unlabelled_gold_is_not_scored(tmp_path):
    recs = _records(GOLDEN / "gold.jsonl")
    for r in recs:
        r["stance"] = None
    data = write_records_dataset(recs, tmp_path / "ds")
    preds = [{"id": r["id"], "stance": "neutral"} for r in recs]
    with pytest.raises(WarVoicesError, match=r"no gold labels for \['stance'\]"):
        score_predictions(preds, data, "test")
    # one unlabelled row: left out of stance, and needs no prediction
    recs = _records(GOLDEN / "gold.jsonl")
    recs[0].update(stance=None)
    data = write_records_dataset(recs, tmp_path / "ds2")
    preds = [{"id": r["id"], "stance": r["stance"]} for r in recs[1:]]
    rep = score_predictions(preds, data, "test", n_resamples=20)
    assert rep["fields"]["stance"]["n"] == 5 and rep["fields"]["stance"]["macro_f1"] == 1.0


def test_unlabeled_split_is_never_scored(tmp_path):
    recs = _records(GOLDEN / "gold.jsonl")
    for r in recs:
        r.update(split="unlabeled", stance=None, attribution=None, source_type=None, event_type=None,
                 source_spans=[])
    data = write_records_dataset(recs, tmp_path / "ds")
    preds = [{"id": r["id"], "stance": "neutral"} for r in recs]
    with pytest.raises(WarVoicesError, match="unlabeled split has no gold labels and is never scored"):
        score_predictions(preds, data, "unlabeled")


def test_missing_dataset_and_split_are_clear(tmp_path, golden_data):
    with pytest.raises(WarVoicesError, match="no built dataset at"):
        score_predictions(GOLDEN / "golden_perfect.jsonl", tmp_path / "nothing", "test")
    with pytest.raises(WarVoicesError, match="has no split 'dev'"):
        score_predictions(GOLDEN / "golden_perfect.jsonl", golden_data, "dev")


def test_dataset_with_other_label_names_is_refused(tmp_path):
    """A dataset whose ClassLabel names differ from the schema (built from another version)."""
    from datasets import ClassLabel, Dataset

    from warvoices.corpus.features import dataset_features
    from warvoices.baselines.toy_corpus import _row
    from warvoices.corpus.schema import load_schema

    schema = load_schema()
    feats = dataset_features(schema)
    feats["stance"] = ClassLabel(names=list(reversed(schema.field("stance").label_names)))
    rows = [_row(r, i, schema) for i, r in enumerate(_records(GOLDEN / "gold.jsonl"))]
    (tmp_path / "ds" / "data").mkdir(parents=True)
    Dataset.from_list(rows, features=feats).to_parquet(str(tmp_path / "ds" / "data" / "test.parquet"))
    (tmp_path / "ds" / "README.md").write_text(
        "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: test\n    path: data/test.parquet\n---\n")
    with pytest.raises(WarVoicesError, match="labels of 'stance' are .* but the schema"):
        score_predictions(GOLDEN / "golden_perfect.jsonl", tmp_path / "ds", "test")


# --- paired test ------------------------------------------------------------------------------

def test_paired_test_matches_the_hand_computed_exact_permutation_test(golden_data):
    cmp = compare_predictions(GOLDEN / "golden_perfect.jsonl", GOLDEN / "golden_mixed.jsonl",
                              golden_data, "test", n_resamples=200)
    r = cmp["fields"]["stance"]["macro_f1"]
    assert r["difference"] == pytest.approx(5 / 12)
    assert r["p_value"] == pytest.approx(0.5)  # 4 of 8 swap patterns, see fixtures/predictions/README.md
    assert r["n_permutations"] == 8 and r["test"].startswith("exact")
    assert r["smallest_possible_p"] == pytest.approx(0.25)
    assert r["significant"] is False
    assert set(cmp["fields"]["source_spans"]) == {"exact_f1", "token_f1"}
    assert cmp["tasks"]["attribution"]["difference"] == pytest.approx(1 - (0.575 + 11 / 15) / 2)


def test_paired_test_finds_a_real_difference_with_enough_articles(tmp_path):
    # 12 invented articles; system A right everywhere, B wrong on one sentence of each article
    recs, a, b = [], [], []
    for k in range(12):
        for i, label in enumerate(["neutral", "pro_ukraine", "pro_russia"]):
            sid = f"x{k:02d}-s{i:04d}"
            recs.append({"id": sid, "article_id": f"x{k:02d}", "split": "test", "text": f"Sentence {i} of {k}.",
                         "stance": label, "attribution": "none", "source_type": "none",
                         "event_type": "none", "source_spans": []})
            a.append({"id": sid, "stance": label})
            b.append({"id": sid, "stance": "neutral" if i == 1 else label})
    data = write_records_dataset(recs, tmp_path / "ds")
    r = compare_predictions(a, b, data, "test", n_resamples=2000, seed=0)["fields"]["stance"]["macro_f1"]
    assert r["test"].startswith("paired approximate randomization")
    assert r["difference"] > 0 and r["p_value"] < 0.01 and r["significant"]
    assert r["difference_ci"][0] > 0


# --- metric definitions against an independent implementation ---------------------------------

@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=40))
def test_macro_f1_agrees_with_scikit_learn(pairs):
    from sklearn.metrics import accuracy_score, f1_score

    gold = np.array([g for g, _ in pairs])
    pred = np.array([p for _, p in pairs])
    counts = M.per_article_confusions(np.zeros(len(pairs), dtype=int), 1, gold, pred, 4)
    present = sorted(set(gold) | set(pred))
    expected = f1_score(gold, pred, labels=present, average="macro", zero_division=0)
    assert M.macro_f1_fn(4)(counts)[0] == pytest.approx(expected)
    assert M.accuracy_fn(4)(counts)[0] == pytest.approx(accuracy_score(gold, pred))


def test_token_overlap_counts_partly_covered_tokens():
    text = "The Red Cross said so."
    assert M.span_counts(text, [(0, 13)], [(4, 10)]) == [0, 1, 1, 0, 1, 2, 2, 3]


# --- command line and the runnable example ---------------------------------------------------

def test_cli_score_writes_the_same_report_as_the_library(golden_data, tmp_path, capsys):
    from warvoices.corpus.cli import main

    out = tmp_path / "score.json"
    code = main(["score", "--predictions", str(GOLDEN / "golden_mixed.jsonl"), "--data", str(golden_data),
                 "--out", str(out), "--resamples", "200"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "stance: macro-F1 0.583" in printed
    assert re.search(r"\n    pro_ukraine\s+1\s+0\s+0\n", printed)  # a confusion-matrix row
    lib = score_predictions(GOLDEN / "golden_mixed.jsonl", golden_data, "test", n_resamples=200)
    assert json.loads(out.read_text()) == json.loads(json.dumps(lib))


def test_cli_reports_a_bad_file_without_traceback(golden_data, capsys):
    from warvoices.corpus.cli import main

    path = BAD / "unknown_label.jsonl"
    code = main(["score", "--predictions", str(path), "--data", str(golden_data)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{path}:5:" in err and "Traceback" not in err


def test_cli_compare(golden_data, capsys):
    from warvoices.corpus.cli import main

    code = main(["score", "--predictions", str(GOLDEN / "golden_perfect.jsonl"), "--compare",
                 str(GOLDEN / "golden_mixed.jsonl"), "--data", str(golden_data), "--task", "stance"])
    assert code == 0
    out = capsys.readouterr().out
    assert "A-B  0.417" in out and "p=0.5000" in out and "not significant" in out


def test_runnable_example(golden_data):
    """baselines/example_score.py, run as a user would (on its own invented toy dataset)."""
    proc = subprocess.run([sys.executable, "-m", "warvoices.baselines.example_score"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "stance macro-F1 = " in proc.stdout and "A - B = " in proc.stdout


# --- stance decomposition and slices: golden files (tests/fixtures/predictions/README.md) -------

@pytest.fixture(scope="module")
def voices_data(tmp_path_factory) -> Path:
    """gold_voices.jsonl: invented units with publisher_type, country and country_alignment."""
    return write_records_dataset(_records(GOLDEN / "gold_voices.jsonl"), tmp_path_factory.mktemp("voices") / "ds")


def _stance(body: dict) -> tuple:
    s = body["fields"]["stance"]
    d = s["decomposition"]
    return s["macro_f1"], s["accuracy"], d["detection_macro_f1"], d["direction_accuracy"]


def test_stance_decomposition_matches_the_hand_computed_numbers(golden_data, voices_data):
    approx = pytest.approx
    mixed = score_predictions(GOLDEN / "golden_mixed.jsonl", golden_data, "test", n_resamples=100)
    d = mixed["fields"]["stance"]["decomposition"]
    assert d["null_label"] == "neutral"
    assert (d["detection_macro_f1"], d["direction_accuracy"]) == (approx(0.625), approx(1.0))
    assert (d["n_gold_not_null"], d["n_direction"]) == (2, 1)
    rep = score_predictions(GOLDEN / "golden_voices.jsonl", voices_data, "test", n_resamples=200)
    assert _stance(rep) == (approx(19 / 42), approx(4 / 9), approx(50 / 77), approx(0.5))
    d = rep["fields"]["stance"]["decomposition"]
    assert (d["n_gold_not_null"], d["n_direction"]) == (5, 4)
    lo, hi = d["detection_macro_f1_ci"]
    assert 0 <= lo <= 50 / 77 <= hi <= 1
    # event_type has no null label in the schema: no decomposition
    assert "decomposition" not in mixed["fields"]["event_type"]


def test_slices_by_publisher_type_match_the_hand_computed_numbers(voices_data):
    approx = pytest.approx
    rep = score_predictions(GOLDEN / "golden_voices.jsonl", voices_data, "test", n_resamples=200,
                            by="publisher_type")
    sl = rep["slices"]
    assert sl["by"] == "publisher_type" and list(sl["slices"]) == ["ukraine_official", "un_general_debate"]
    ua, un = sl["slices"]["ukraine_official"], sl["slices"]["un_general_debate"]
    assert (ua["n_sentences"], ua["n_articles"], un["n_sentences"], un["n_articles"]) == (2, 1, 7, 4)
    assert _stance(ua) == (approx(1 / 3), approx(0.5), approx(1 / 3), approx(1.0))
    assert _stance(un) == (approx(7 / 18), approx(3 / 7), approx(17 / 24), approx(1 / 3))
    assert any("only 1 article" in w for w in ua["warnings"]) and not un["warnings"]
    # the overall numbers are unchanged by slicing
    assert _stance(rep) == (approx(19 / 42), approx(4 / 9), approx(50 / 77), approx(0.5))


def test_slices_by_country_leave_undefined_direction_undefined(voices_data):
    rep = score_predictions(GOLDEN / "golden_voices.jsonl", voices_data, "test", n_resamples=50, by="country")
    assert list(rep["slices"]["slices"]) == ["BRA", "FRA", "KEN", "RUS", "UKR"]
    assert rep["slices"]["slices"]["KEN"]["fields"]["stance"]["macro_f1"] == pytest.approx(1 / 3)
    bra = rep["slices"]["slices"]["BRA"]["fields"]["stance"]["decomposition"]
    assert bra["n_direction"] == 0 and bra["direction_accuracy"] is None and bra["direction_accuracy_ci"] is None


def test_headline_slice_holds_unseen_non_party_states(voices_data):
    approx = pytest.approx
    rep = score_predictions(GOLDEN / "golden_voices.jsonl", voices_data, "test", n_resamples=200, by="headline")
    from warvoices.baselines.slices import HEADLINE_IN, HEADLINE_OUT
    head, rest = rep["slices"]["slices"][HEADLINE_IN], rep["slices"]["slices"][HEADLINE_OUT]
    assert (head["n_sentences"], head["n_articles"], rest["n_sentences"]) == (4, 2, 5)
    assert _stance(head) == (approx(0.5), approx(0.5), approx(0.5), approx(1.0))
    assert _stance(rest) == (approx(16 / 45), approx(0.4), approx(16 / 21), approx(1 / 3))
    assert "not parties" in rep["slices"]["definition"]


def test_a_slice_scores_like_a_dataset_of_only_its_units(voices_data, tmp_path):
    """Slice intervals are their own bootstrap over the slice's articles, not a share of the whole."""
    recs = [r for r in _records(GOLDEN / "gold_voices.jsonl") if r["publisher_type"] == "un_general_debate"]
    alone = write_records_dataset(recs, tmp_path / "un")
    preds = [p for p in _records(GOLDEN / "golden_voices.jsonl") if p["id"] not in ("v1-s0000", "v1-s0001")]
    a = score_predictions(preds, alone, "test", n_resamples=300, seed=3)
    b = score_predictions(GOLDEN / "golden_voices.jsonl", voices_data, "test", n_resamples=300, seed=3,
                          by="publisher_type")["slices"]["slices"]["un_general_debate"]
    assert a["fields"] == b["fields"] and a["tasks"] == b["tasks"]


def test_headline_slice_without_voice_columns_says_no_units_yet(tmp_path, capsys):
    """Data built before the voice columns existed: no UN addresses, no country column: an empty
    slice, never a number."""
    golden_data = write_records_dataset(_records(GOLDEN / "gold.jsonl"), tmp_path / "old",
                                        drop_columns=("country", "country_alignment", "speaker_role", "speaker_label"))
    from warvoices.baselines.slices import HEADLINE_IN
    from warvoices.corpus.cli import main

    rep = score_predictions(GOLDEN / "golden_mixed.jsonl", golden_data, "test", n_resamples=50, by="headline")
    assert rep["slices"]["slices"][HEADLINE_IN] == {"n_sentences": 0, "n_articles": 0, "tasks": {}, "fields": {},
                                                     "warnings": [], "empty": "no units yet"}
    with pytest.raises(WarVoicesError, match="has no column 'country'.*rebuild"):
        score_predictions(GOLDEN / "golden_mixed.jsonl", golden_data, "test", by="country")
    assert main(["score", "--predictions", str(GOLDEN / "golden_mixed.jsonl"), "--data", str(golden_data),
                 "--by", "headline", "--resamples", "50"]) == 0
    assert f"{HEADLINE_IN}: no units yet" in capsys.readouterr().out


def test_cli_by_publisher_type_prints_every_metric_per_slice(voices_data, capsys):
    from warvoices.corpus.cli import main

    assert main(["score", "--predictions", str(GOLDEN / "golden_voices.jsonl"), "--data", str(voices_data),
                 "--by", "publisher_type", "--resamples", "100"]) == 0
    out = capsys.readouterr().out
    assert "detection (neutral vs not): macro-F1 0.649" in out
    block = out[out.index("slices by publisher_type"):]
    assert "un_general_debate: 7 sentences, 4 articles" in block
    assert re.search(r"stance direction acc\.\s+0\.333 \[", block)
    assert re.search(r"stance macro-F1\s+0\.389 \[", block)


def test_only_predicted_scores_the_predicted_subset(voices_data):
    preds = [p for p in _records(GOLDEN / "golden_voices.jsonl") if p["id"].startswith("v3")]
    with pytest.raises(InputError, match="missing ids"):
        score_predictions(preds, voices_data, "test")
    rep = score_predictions(preds, voices_data, "test", n_resamples=50, only_predicted=True)
    assert rep["coverage"]["scored"] == 2 and rep["coverage"]["labelled_in_split"] == 9
    assert rep["fields"]["stance"]["macro_f1"] == pytest.approx(1 / 3)


def test_detection_and_direction_agree_with_scikit_learn():
    from sklearn.metrics import accuracy_score, f1_score

    rng = np.random.default_rng(0)
    for _ in range(30):
        gold, pred = rng.integers(0, 3, 25), rng.integers(0, 3, 25)
        counts = M.per_article_confusions(np.zeros(25, dtype=int), 1, gold, pred, 3)
        gb, pb = gold != 0, pred != 0
        expected = f1_score(gb, pb, labels=sorted(set(gb) | set(pb)), average="macro", zero_division=0)
        assert M.detection_macro_f1_fn(3, 0)(counts)[0] == pytest.approx(expected)
        both = gb & pb
        got = M.direction_accuracy_fn(3, 0)(counts)[0]
        if both.any():
            assert got == pytest.approx(accuracy_score(gold[both], pred[both]))
        else:
            assert np.isnan(got)
