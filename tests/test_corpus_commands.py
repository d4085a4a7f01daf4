"""`warvoices corpus add|list|segment`: refusals before writing, the list table, help texts."""
from __future__ import annotations

import argparse
import json

import pytest

from conftest import REPO
from warvoices.corpus.cli import build_parser, main

SEED = "news-2023-03-13-1e54c59c"
TEXT_ARGS = ["--article-id", "invented-1", "--publisher", "Invented Wire", "--publisher-type", "news",
             "--date", "2024-01-01", "--title", "Invented", "--license", "CC0"]


def _texts_dir():
    return sorted(p.name for p in (REPO / "corpus" / "texts").iterdir())


@pytest.mark.parametrize("content, message", [
    (b"", "the text is empty"),
    (b"  \n\n\t\n", "the text is empty"),
    (b"Invented text\x00with a NUL byte", "binary file (NUL byte at offset 13)"),
    ("Invented caf\u00e9 text".encode("latin-1"), "not UTF-8 text (invalid byte at offset 12)"),
])
def test_add_refuses_empty_and_binary_texts_before_writing(tmp_path, capsys, content, message):
    src = tmp_path / "in.txt"
    src.write_bytes(content)
    before = _texts_dir()
    code = main(["corpus", "add", "--store", str(tmp_path / "s"), "--text", str(src), "--url", "none", *TEXT_ARGS])
    assert code == 2 and message in capsys.readouterr().err
    assert _texts_dir() == before and not (tmp_path / "s").exists()


def test_add_text_needs_a_url(tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_text("An invented sentence.\n", encoding="utf-8")
    code = main(["corpus", "add", "--store", str(tmp_path / "s"), "--text", str(src), *TEXT_ARGS])
    assert code == 2 and "--url" in capsys.readouterr().err and not (tmp_path / "s").exists()


def test_list_has_header_counts_and_filters(capsys, monkeypatch):
    monkeypatch.delenv("WARVOICES_ARCHIVE", raising=False)
    assert main(["corpus", "list", "--publisher-type", "news"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split("\t") == ["article_id", "publisher_type", "split", "date", "units", "labelled", "title"]
    assert len(lines) == 2 and lines[1].split("\t")[:6] == [SEED, "news", "train", "2023-03-13", "29", "29"]
    assert "1 article(s), 29 unit(s), 29 labelled unit(s)" in err
    assert main(["corpus", "list", "--publisher-type", "un_general_debate", "--unlabeled"]) == 0
    out, err = capsys.readouterr()
    rows = out.splitlines()[1:]
    # counts come from the store itself, so the test holds whatever has been segmented or labelled
    from warvoices.corpus.store import Store
    store = Store()
    articles = store.articles()
    finals = store.finals()
    labelled = {s["article_id"] for s in store.sentences() if s["sentence_id"] in finals}
    un = {a for a, r in articles.items() if r["publisher_type"] == "un_general_debate"}
    assert un and {r.split("\t")[0] for r in rows} <= un
    assert all(r.split("\t")[1] == "un_general_debate" and r.split("\t")[5] == "0" for r in rows)
    assert all(r.split("\t")[4] == "not segmented" or r.split("\t")[4].isdigit() for r in rows)
    assert main(["corpus", "list", "--unlabeled"]) == 0
    ids = {line.split("\t")[0] for line in capsys.readouterr()[0].splitlines()[1:]}
    assert SEED not in ids and ids < set(articles)
    assert ids == set(articles) - labelled
    assert main(["corpus", "list", "--publisher-type", "blog"]) == 2
    assert "unknown publisher type 'blog'" in capsys.readouterr().err


def test_every_corpus_subcommand_has_a_description():
    parser = build_parser()
    corpus = next(a for a in parser._subparsers._group_actions[0].choices.items() if a[0] == "corpus")[1]
    subs = next(a for a in corpus._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert {"add", "list", "segment", "validate", "annotate-direct"} <= set(subs)
    for name, sub in subs.items():
        assert sub.description and len(sub.description) > 40, name


def test_segment_leaves_articles_of_a_layout_it_does_not_have(tmp_path, capsys, monkeypatch):
    arch = tmp_path / "arch"
    arch.mkdir()
    rec = {"id": "p-1", "url": "u", "title": "t", "date": "2024-01-01", "license": "CC0", "text": "An invented line."}
    (arch / "parl.jsonl").write_text(json.dumps(rec) + "\n", encoding="utf-8")
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  parl.jsonl:\n    publisher: P\n    publisher_type: news\n    country: BRA\n"
                       "    layout: hansard_test\n", encoding="utf-8")
    from warvoices.corpus.registry import add_archive
    from warvoices.corpus.store import Store

    store = Store(tmp_path / "s")
    add_archive(store, arch, sources_file=sources)
    assert main(["corpus", "segment", "--store", str(store.root), "--archive", str(arch), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert "not segmented: 1 article(s) with layout(s) hansard_test" in err and "segmented 0 article(s)" in out
    assert store.sentences() == []
