"""Registry, stored splits, atomic writes, text checksums."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from warvoices.corpus.errors import ChecksumMismatch, InputError, TextUnavailable
from warvoices.corpus.registry import add_archive, assign_splits
from warvoices.corpus.store import Store, atomic_write_text, read_jsonl
from warvoices.corpus.texts import TextLoader, resolve_archive


def _art(i, ptype, split=None):
    return {"article_id": f"a{i:03d}", "publisher_type": ptype, "split": split}


def test_splits_are_stratified_and_never_move():
    arts = {a["article_id"]: a for a in [_art(i, "news") for i in range(40)] + [_art(i + 100, "us_official") for i in range(20)]}
    assign_splits(arts)
    per = Counter((a["publisher_type"], a["split"]) for a in arts.values())
    assert per[("news", "train")] == 32 and per[("news", "validation")] == 4 and per[("news", "test")] == 4
    assert per[("us_official", "train")] == 16 and per[("us_official", "test")] == 2
    before = {k: a["split"] for k, a in arts.items()}
    # later registrations never move stored splits
    arts.update({a["article_id"]: a for a in [_art(i + 200, "news") for i in range(10)]})
    assign_splits(arts)
    assert all(arts[k]["split"] == v for k, v in before.items())
    assert Counter(a["split"] for a in arts.values() if a["publisher_type"] == "news")["test"] == 5


def test_committed_registry_has_every_archive_article_and_a_split():
    arts = Store().articles()
    by_file = Counter(a["text_source"].get("archive_file") for a in arts.values())
    assert by_file["whitehouse.jsonl"] == 230 and by_file["kremlin.jsonl"] == 122 and by_file["president_gov_ua.jsonl"] == 218
    assert by_file["ungdc.jsonl"] == 371
    assert all(a["split"] in ("train", "validation", "test") for a in arts.values())
    assert len(arts) == 942


def test_archive_registration_is_idempotent_and_matches_checksums(archive, tmp_path):
    store = Store(tmp_path)
    assert add_archive(store, archive, ["kremlin.jsonl"]) == (122, 0)
    assert add_archive(store, archive, ["kremlin.jsonl"]) == (0, 122)
    committed = Store().articles()
    for aid, a in store.articles().items():
        assert a["sha256"] == committed[aid]["sha256"]
        assert a["split"] == committed[aid]["split"], "split assignment must be reproducible"


def test_changed_text_is_an_error_naming_the_article(tmp_path):
    src = tmp_path / "arch"
    src.mkdir()
    rec = {"id": "wh-x", "url": "u", "title": "t", "date": "2024-01-01", "license": "PD", "text": "Invented text."}
    (src / "whitehouse.jsonl").write_text(json.dumps(rec) + "\n")
    store = Store(tmp_path / "s")
    add_archive(store, src, ["whitehouse.jsonl"])
    art = store.articles()["wh-x"]
    assert TextLoader(src).text(art) == "Invented text."
    rec["text"] = "Invented text, edited."
    (src / "whitehouse.jsonl").write_text(json.dumps(rec) + "\n")
    with pytest.raises(ChecksumMismatch, match="wh-x"):
        TextLoader(src).text(art)
    with pytest.raises(TextUnavailable, match="--archive"):
        TextLoader(None).text(art)
    with pytest.raises(InputError, match="another text checksum"):
        add_archive(store, src, ["whitehouse.jsonl"])


def test_missing_archive_dir_says_what_to_do(tmp_path):
    with pytest.raises(TextUnavailable, match="WARVOICES_ARCHIVE"):
        resolve_archive(tmp_path / "nowhere")


def test_malformed_store_line_names_file_and_line(tmp_path):
    p = tmp_path / "articles.jsonl"
    p.write_text('{"article_id": "a"}\n{oops\n')
    with pytest.raises(InputError, match=r"articles.jsonl:2"):
        list(read_jsonl(p))


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    p = tmp_path / "f.jsonl"
    atomic_write_text(p, "old\n")

    def boom(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(p, "new\n")
    assert p.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [p], "no temporary file is left behind"


def test_annotations_are_immutable_and_idempotent(tmp_path):
    store = Store(tmp_path)
    rec = {"annotation_id": "x", "sentence_id": "s", "annotator": "ann-a", "labels": {"stance": "neutral"}}
    assert store.add_annotations([rec]) == (1, 0)
    assert store.add_annotations([rec]) == (0, 1)
    with pytest.raises(InputError, match="immutable"):
        store.add_annotations([dict(rec, labels={"stance": "pro_russia"})])
