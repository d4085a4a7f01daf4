"""Voice columns of the built dataset (country, country_alignment, speaker, speaker_role), on
invented archive records; read back through the real `datasets` library."""
from __future__ import annotations

import json
from pathlib import Path

from datasets import load_dataset

from warvoices.corpus.build import build
from warvoices.corpus.registry import add_archive
from warvoices.corpus.sentences import segment_articles
from warvoices.corpus.store import Store, sentence_id, short_hash
from warvoices.corpus.texts import TextLoader

KREMLIN_TEXT = ("Defence Minister Ivan Example Example IvanDefence Minister: The invented exercise is over. "
                "The units have returned.")
UN_TEXTS = {
    "un-a": ("BRA", "José Exámple", "Minister of Foreign Affairs", "We speak for peace.\nWe ask for talks."),
    "un-b": ("BRA", "Jose Example", "Minister of Foreign Affairs", "Our view has not changed."),
    "un-c": ("DEU", "Cardinal Ana Invented", "Chancellor", "We stand with our partners."),
}


def _rec(rid: str, text: str, **extra) -> dict:
    rec = {"id": rid, "source": "invented", "url": f"https://example.org/{rid}", "title": f"Invented {rid}",
           "date": "2024-09-24", "license": "CC0 (invented for tests)", "text": text}
    rec.update(extra)
    return rec


def _archive(root: Path) -> Path:
    root.mkdir()
    (root / "kremlin.jsonl").write_text(json.dumps(_rec("kr-1", KREMLIN_TEXT)) + "\n", encoding="utf-8")
    (root / "ungdc.jsonl").write_text("".join(
        json.dumps(_rec(rid, text, country="x", country_code=code, speaker=speaker, speaker_post=post)) + "\n"
        for rid, (code, speaker, post, text) in UN_TEXTS.items()), encoding="utf-8")
    return root


def _un_sentences(store: Store, texts: dict[str, str]) -> None:
    # written by hand: the un_debate layout is the segmenter branch's; this test is about columns
    recs = []
    for aid, text in texts.items():
        pos = 0
        for i, line in enumerate(text.split("\n")):
            recs.append({"sentence_id": sentence_id(aid, i), "article_id": aid, "index": i, "start": pos,
                         "end": pos + len(line), "kind": "body", "speaker_span": None, "flags": [],
                         "text_hash": short_hash(line)})
            pos += len(line) + 1
    store.write_sentences(store.sentences() + recs)


def test_build_gives_voice_columns(tmp_path):
    arch = _archive(tmp_path / "arch")
    store = Store(tmp_path / "store")
    assert add_archive(store, arch) == (4, 0)
    arts = store.articles()
    assert arts["un-a"]["split"] == arts["un-b"]["split"], "addresses of one state share a split"
    assert "speaker" not in arts["un-a"] and arts["un-a"]["title"] is None, "names and titles stay in the archive"
    loader = TextLoader(arch)
    segment_articles(store, loader, ["kr-1"], progress=False)
    _un_sentences(store, {rid: v[3] for rid, v in UN_TEXTS.items()})
    out = tmp_path / "ds"
    report = build(store, loader, out, progress=False)
    assert report.rows["unlabeled"] == 6
    rows = {r["id"]: r for r in load_dataset(str(out), split="unlabeled")}
    kr = [r for r in rows.values() if r["article_id"] == "kr-1"]
    assert [r["text"] for r in kr] == ["The invented exercise is over.", "The units have returned."]
    for r in kr:
        assert (r["speaker"], r["speaker_role"], r["country"], r["country_alignment"]) == (
            "Ivan Example", "Defence Minister", "RUS", "party_russia")
        assert r["speaker_label"].startswith("Defence Minister Ivan Example Example")
    a0, b0, c0 = rows["un-a-s0000"], rows["un-b-s0000"], rows["un-c-s0000"]
    assert (a0["country"], a0["country_alignment"], a0["speaker_role"]) == ("BRA", "non_aligned", "Minister of Foreign Affairs")
    assert a0["speaker"] == b0["speaker"] == rows["un-a-s0001"]["speaker"], "one string per person"
    assert (c0["speaker"], c0["country"], c0["country_alignment"]) == ("Ana Invented", "DEU", "ukraine_ally")
    assert a0["title"] == "Invented un-a"


def test_seed_rows_have_null_voice(tmp_path):
    out = tmp_path / "seed"
    build(Store(), TextLoader(None), out, progress=False)
    train = load_dataset(str(out), split="train")
    assert set(train.unique("country")) == {None} and set(train.unique("country_alignment")) == {None}
    for col in ("speaker", "speaker_role", "speaker_label", "country", "country_alignment"):
        assert train.features[col].dtype == "string"


def test_speaker_report_counts_raw_and_canonical(tmp_path, capsys):
    from warvoices.corpus.cli import main
    from warvoices.corpus.speakers import speaker_report

    arch = _archive(tmp_path / "arch")
    store = Store(tmp_path / "store")
    add_archive(store, arch)
    report = speaker_report(store, TextLoader(arch))
    label = KREMLIN_TEXT.split(":")[0]
    assert report.raw[label] == 2 and report.voices[label].speaker == "Ivan Example"
    assert report.raw["José Exámple"] == 1 and report.raw["Jose Example"] == 1
    assert report.voices["José Exámple"].speaker == report.voices["Jose Example"].speaker
    assert report.unmapped == []
    assert main(["corpus", "speakers", "--store", str(store.root), "--archive", str(arch), "--no-progress"]) == 0
    assert "4 distinct raw speaker string(s) -> 3 canonical speaker(s)" in capsys.readouterr().out
