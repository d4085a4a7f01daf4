"""`warvoices build`: a folder that the real `datasets` library opens offline."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from datasets import ClassLabel, load_dataset

from conftest import REPO
from warvoices.corpus.schema import load_schema
from warvoices.corpus.build import build
from warvoices.corpus.cli import main
from warvoices.corpus.store import Store
from warvoices.corpus.texts import TextLoader

SEED = "news-2023-03-13-1e54c59c"


@pytest.fixture(scope="module")
def seed_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("build") / "dataset"
    report = build(Store(), TextLoader(None), out, progress=False)
    return out, report


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_seed_only_build_loads_with_features(seed_build):
    out, report = seed_build
    ds = load_dataset(str(out))
    assert list(ds) == ["train"]  # validation/test have no labelled article yet; unlabeled needs the archive
    train = ds["train"]
    seed_sentences = Store().sentences(SEED)
    assert train.num_rows == len(seed_sentences) == 29
    schema = load_schema()
    for f in schema.choice_fields:
        assert isinstance(train.features[f.name], ClassLabel)
        assert train.features[f.name].names == f.label_names
    assert train.features["source_spans"].feature["text"].dtype == "string"
    # without the archive every archive article is skipped (all registered articles but the bundled seed)
    assert report.skipped_articles and len(report.skipped_articles) == len(Store().articles()) - 1


def test_rows_match_the_text_and_labels(seed_build):
    out, _ = seed_build
    train = load_dataset(str(out), split="train")
    text = (REPO / "corpus" / "texts" / f"{SEED}.txt").read_text(encoding="utf-8")
    first = train[0]
    assert first["kind"] == "headline"
    assert first["text"] == "Ukrainian and Russian losses mount in fierce battle for Bakhmut"
    for row in train:
        assert row["text"] in text
        for span in row["source_spans"]:
            assert row["text"][span["start"]:span["end"]] == span["text"]
        assert row["label_method"]["stance"] == "single"
        # every raw annotation of the store is in the row, in store order (history included)
        stored = [a for a in Store().annotations() if a["sentence_id"] == row["id"]]
        assert [a["annotator"] for a in row["annotations"]] == [a["annotator"] for a in stored]
        # the final label is the one annotator's answer under the final's guideline version
        current = [a for a in row["annotations"] if a["guideline_version"] == row["guideline_version"]]
        assert [a["stance"] for a in current] == [row["stance"]]
    prig = [r for r in train if r["text"].startswith("“The situation in Bakhmut")]
    assert len(prig) == 1 and prig[0]["text"].endswith("Prigozhin said in a social media post.")
    names = train.features["attribution"].names
    assert names[prig[0]["attribution"]] == "direct"
    assert train[1]["context_before"] == train[0]["text"] and train[0]["context_before"] == ""


def test_rows_say_the_guideline_version_of_their_final_label(seed_build):
    # about_war exists from guideline version 2 on: a version-1 final has none (-1), a version-2
    # final has one; each raw annotation keeps its own version (a relabel keeps the v1 answers)
    out, _ = seed_build
    train = load_dataset(str(out), split="train")
    finals = Store().finals()
    for r in train:
        version = finals[r["id"]]["guideline_version"]
        assert r["guideline_version"] == version
        assert (r["about_war"] == -1) == (version == 1)
        assert (r["label_method"]["about_war"] is None) == (version == 1)
        assert all((a["about_war"] == -1) == (a["guideline_version"] == 1) for a in r["annotations"])
    about = load_dataset(str(out), "about_war", split="train")
    assert about.features["about_war"].names == load_schema().field("about_war").label_names


def test_version_2_labels_carry_about_war(tmp_path):
    from conftest import load_store_fixture

    data = load_store_fixture(REPO / "tests" / "fixtures" / "validation" / "clean.json", tmp_path / "s")
    out = tmp_path / "ds"
    build(data["store"], TextLoader(None), out, progress=False)
    train = load_dataset(str(out), split="train")
    row = next(r for r in train if r["id"] == "tiny-article-s0001")
    names = train.features["about_war"].names
    assert row["guideline_version"] == 2 and names[row["about_war"]] == "yes"
    # the raw annotations keep their own versions: ann-a relabelled under v2, ann-c's v1 answer is history
    by = {a["annotator"]: a for a in row["annotations"]}
    assert (by["ann-a"]["guideline_version"], by["ann-c"]["guideline_version"]) == (2, 1)
    assert by["ann-c"]["about_war"] == -1


def test_task_config_selects_columns(seed_build):
    out, _ = seed_build
    stance = load_dataset(str(out), "stance", split="train")
    assert "stance" in stance.column_names and "event_type" not in stance.column_names
    assert "annotations" not in stance.column_names
    assert stance.features["stance"].names == load_schema().field("stance").label_names
    att = load_dataset(str(out), "attribution", split="train")
    assert {"attribution", "source_type", "source_spans"} <= set(att.column_names)


def test_two_builds_give_identical_files(seed_build, tmp_path):
    out, _ = seed_build
    again = tmp_path / "again"
    build(Store(), TextLoader(None), again, progress=False)
    assert _digest(out) == _digest(again)


def test_cli_build_reports_counts_and_skips(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WARVOICES_ARCHIVE", "")  # empty: no archive, not even ../shared/archive
    assert main(["build", "--out", str(tmp_path / "d"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "train" in out and "29" in out
    assert "skipped 941 registered article(s) without text" in out
    card = (tmp_path / "d" / "README.md").read_text()
    assert card.startswith("---\n") and "config_name: stance" in card


def test_build_with_archive_fills_unlabeled(archive, tmp_path, repo_store_copy):
    store = Store(repo_store_copy)
    if len({s["article_id"] for s in store.sentences()}) < 571:
        pytest.skip("archive articles are not segmented in this store")
    out = tmp_path / "full"
    report = build(store, TextLoader(archive), out, progress=False)
    assert report.skipped_articles == []
    ds = load_dataset(str(out))
    labelled = {sid for sid in store.finals()}
    unl = ds["unlabeled"]
    assert unl.num_rows == sum(1 for s in store.sentences() if s["sentence_id"] not in labelled
                               and s["article_id"] not in {x.rsplit("-s", 1)[0] for x in labelled})
    assert set(unl.unique("stance")) == {-1}
    report_json = json.loads((out / "build_report.json").read_text())
    assert report_json["rows"]["unlabeled"] == unl.num_rows


def test_rebuild_in_place_is_not_served_stale_from_the_cache(tmp_path, repo_store_copy):
    # datasets caches local folders by file name; a rebuilt split must still load fresh rows
    out = tmp_path / "ds"
    build(Store(), TextLoader(None), out, progress=False)
    assert load_dataset(str(out), split="train").num_rows == 29
    store = Store(repo_store_copy)
    finals = store.finals()
    keep = sorted(k for k in finals if k.startswith(SEED))[:5]
    store.write_finals([finals[k] for k in keep])
    build(store, TextLoader(None), out, progress=False)
    assert load_dataset(str(out), split="train").num_rows == 5


def test_build_refuses_a_folder_of_foreign_files(tmp_path, capsys, monkeypatch):
    # `--out` pointed at a folder of someone's notes must not delete them
    monkeypatch.setenv("WARVOICES_ARCHIVE", "")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "notes.txt").write_text("my own notes\n")
    assert main(["build", "--out", str(notes), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert str(notes) in err and "notes.txt" in err and "--force" in err
    assert (notes / "notes.txt").read_text() == "my own notes\n"
    assert sorted(p.name for p in notes.iterdir()) == ["notes.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".notes")]  # no temp left behind
    # a folder with a stray file next to a previous build's files is not a previous build either
    out = tmp_path / "d"
    assert main(["build", "--out", str(out), "--no-progress"]) == 0
    (out / "notes.txt").write_text("x")
    assert main(["build", "--out", str(out), "--no-progress"]) == 2
    assert (out / "notes.txt").exists()
    # --force replaces it
    assert main(["build", "--out", str(notes), "--no-progress", "--force"]) == 0
    assert not (notes / "notes.txt").exists() and (notes / "build_report.json").exists()


def test_build_replaces_an_empty_folder_and_a_previous_build(tmp_path, monkeypatch):
    monkeypatch.setenv("WARVOICES_ARCHIVE", "")
    out = tmp_path / "empty"
    out.mkdir()
    assert main(["build", "--out", str(out), "--no-progress"]) == 0
    first = (out / "build_report.json").read_text()
    assert main(["build", "--out", str(out), "--no-progress"]) == 0
    assert (out / "build_report.json").read_text() == first


def test_build_runs_the_validator_first_and_stops_on_a_stale_label(tmp_path, capsys, monkeypatch, repo_store_copy):
    # a final label the schema no longer has: the V003 finding with file:line, not a KeyError
    monkeypatch.setenv("WARVOICES_ARCHIVE", "")
    final = repo_store_copy / "final.jsonl"
    lines = final.read_text(encoding="utf-8").splitlines(keepends=True)
    rec = json.loads(lines[0])
    rec["labels"]["stance"] = "pro_mars"
    lines[0] = json.dumps(rec) + "\n"
    final.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "d"
    assert main(["build", "--store", str(repo_store_copy), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "V003" in err and f"{final}:1" in err and "pro_mars" in err and "nothing was built" in err
    assert "Traceback" not in err and not out.exists()


def test_build_reports_a_malformed_record_as_v040(tmp_path, capsys, monkeypatch, repo_store_copy):
    monkeypatch.setenv("WARVOICES_ARCHIVE", "")
    arts = repo_store_copy / "articles.jsonl"
    first = json.loads(arts.read_text(encoding="utf-8").splitlines()[0])
    del first["article_id"]
    with arts.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(first) + "\n")
    n = len(arts.read_text(encoding="utf-8").splitlines())
    assert main(["build", "--store", str(repo_store_copy), "--out", str(tmp_path / "d"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "V040" in err and f"{arts}:{n}" in err and "article_id" in err


def test_build_writes_row_groups_and_keeps_the_same_rows(seed_build, tmp_path, monkeypatch):
    # the build streams: rows go out in Parquet row groups of ROWS_PER_GROUP, never all at once
    import pyarrow.parquet as pq

    from warvoices.corpus import build as build_mod

    out, _ = seed_build
    monkeypatch.setattr(build_mod, "ROWS_PER_GROUP", 4)
    small = tmp_path / "small"
    build(Store(), TextLoader(None), small, progress=False)
    [part] = (small / "data").glob("train-*.parquet")
    assert pq.ParquetFile(str(part)).num_row_groups == 8  # 29 rows in groups of 4
    [whole] = (out / "data").glob("train-*.parquet")
    assert pq.read_table(str(part)).to_pylist() == pq.read_table(str(whole)).to_pylist()
    again = tmp_path / "small2"
    build(Store(), TextLoader(None), again, progress=False)
    assert _digest(small) == _digest(again)


def test_unsorted_sentence_file_builds_the_same_dataset(seed_build, tmp_path, repo_store_copy):
    # a hand-edited sentence file whose articles are not contiguous is grouped in memory instead
    from warvoices.corpus.store import UnsortedStore

    out, _ = seed_build
    path = Path(repo_store_copy) / "sentences.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[::-1]), encoding="utf-8")
    with pytest.raises(UnsortedStore, match="canonical order"):
        list(Store(repo_store_copy).sentence_groups())
    again = tmp_path / "unsorted"
    build(Store(repo_store_copy), TextLoader(None), again, progress=False)
    assert _digest(out) == _digest(again)
