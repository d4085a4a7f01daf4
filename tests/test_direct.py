"""`warvoices corpus annotate-direct`: labels made outside Label Studio, checked before writing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import load_store_fixture
from warvoices.corpus.cli import main
from warvoices.corpus.direct import import_direct
from warvoices.corpus.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "validation"
S2 = "tiny-article-s0002"  # “We are ready,” a spokesman told reporters.


@pytest.fixture
def store(tmp_path):
    data = load_store_fixture(FIXTURES / "clean.json", tmp_path / "s")
    return data["store"]


def _write(tmp_path, *lines) -> Path:
    p = tmp_path / "answers.jsonl"
    p.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return p


ANSWER = {"sentence_id": S2, "stance": "neutral", "attribution": "direct", "source_type": "russia_official",
          "event_type": "military_support", "source_mentions": ["a spokesman"], "note": "easy"}


def test_answer_shape_is_resolved_to_sentence_offsets(store, tmp_path):
    path = _write(tmp_path, ANSWER)
    assert import_direct(store, path, annotator="ann-b", created_at="2026-11-28T00:00:00+00:00") == (1, 0)
    rec = next(r for r in store.annotations() if r["annotator"] == "ann-b")
    text = "“We are ready,” a spokesman told reporters."
    s, e = rec["source_spans"][0]
    assert text[s:e] == "a spokesman"
    assert rec["labels"]["attribution"] == "direct" and rec["origin"]["annotator_note"] == "easy"
    assert "text" not in json.dumps(rec["source_spans"])  # offsets only, never the text
    # idempotent
    assert import_direct(store, path, annotator="ann-b", created_at="2026-11-28T00:00:00+00:00") == (0, 1)


@pytest.mark.parametrize("bad, message", [
    (dict(ANSWER, stance="pro_mars"), "unknown stance label 'pro_mars'"),
    (dict(ANSWER, source_mentions=["a general"]), "not in the sentence text"),
    (dict(ANSWER, source_mentions=[{"text": "a spokesman", "occurrence": 1}]), "occurrence 1"),
    (dict(ANSWER, sentence_id="tiny-article-s0042"), "not in the corpus"),
    ({k: v for k, v in ANSWER.items() if k != "event_type"}, "required field 'event_type'"),
    (dict(ANSWER, attribution="none", source_type="none"), "attribution is .none. but source_spans are marked"),
    (dict(ANSWER, source_type="none"), "both should be .none. or neither"),
])
def test_bad_lines_name_file_and_line_and_write_nothing(store, tmp_path, bad, message):
    good = dict(ANSWER, sentence_id="tiny-article-s0001", attribution="indirect",
                source_mentions=["The ministry"])
    path = _write(tmp_path, good, bad)
    before = store.path("annotations.jsonl").read_bytes()
    with pytest.raises(InputError, match=message) as err:
        import_direct(store, path, annotator="ann-b", created_at="2026-11-28T00:00:00+00:00")
    assert "answers.jsonl:2" in str(err.value)
    assert store.path("annotations.jsonl").read_bytes() == before  # the good line 1 was not written either


def test_cli_needs_an_annotator_for_answer_files(store, tmp_path, capsys):
    path = _write(tmp_path, ANSWER)
    assert main(["corpus", "annotate-direct", str(path), "--store", str(store.root)]) == 2
    assert "--annotator" in capsys.readouterr().err
    assert main(["corpus", "annotate-direct", str(path), "--store", str(store.root), "--annotator", "ann-b"]) == 0
