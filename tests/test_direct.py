"""`warvoices corpus annotate-direct`: labels made outside Label Studio, checked before writing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import load_store_fixture
from schema_labels import full_labels
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


ANSWER = {"sentence_id": S2, **full_labels(stance="neutral", attribution="direct", source_type="russia_official",
                                          event_type="military_support"),
          "source_mentions": ["a spokesman"], "note": "easy"}


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


def test_imports_record_the_guideline_version(store, tmp_path):
    from warvoices.corpus.schema import guidelines_version

    # an answer made now follows the current guidelines, so about_war is required ...
    no_about = {k: v for k, v in ANSWER.items() if k != "about_war"}
    with pytest.raises(InputError, match="required field 'about_war'"):
        import_direct(store, _write(tmp_path, no_about), annotator="ann-b", created_at="2026-11-28T00:00:00+00:00")
    import_direct(store, _write(tmp_path, ANSWER), annotator="ann-b", created_at="2026-11-28T00:00:00+00:00")
    rec = next(r for r in store.annotations() if r["annotator"] == "ann-b")
    assert rec["guideline_version"] == guidelines_version() == 2
    # ... while a record of version-1 history keeps its version and needs no about_war
    old = dict(no_about, guideline_version=1, sentence_id="tiny-article-s0001", attribution="indirect",
               source_mentions=["The ministry"])
    import_direct(store, _write(tmp_path, old), annotator="ann-d", created_at="2026-11-27T00:00:00+00:00")
    rec = next(r for r in store.annotations() if r["annotator"] == "ann-d")
    assert rec["guideline_version"] == 1 and "about_war" not in rec["labels"]
    with pytest.raises(InputError, match=r"\['about_war'\] did not exist in guideline version 1"):
        import_direct(store, _write(tmp_path, dict(old, about_war="yes")), annotator="ann-e",
                      created_at="2026-11-27T00:00:00+00:00")
    with pytest.raises(InputError, match="guideline_version 9"):
        import_direct(store, _write(tmp_path, dict(ANSWER, guideline_version=9)), annotator="ann-e",
                      created_at="2026-11-28T00:00:00+00:00")
    # the about_war rule is checked by the same function as the attribution rule
    with pytest.raises(InputError, match="about_war is 'no' but event_type is 'military_support'"):
        import_direct(store, _write(tmp_path, dict(ANSWER, about_war="no")), annotator="ann-e",
                      created_at="2026-11-28T00:00:00+00:00")


def test_a_mention_first_found_inside_a_word_is_refused_with_the_occurrence_to_write():
    from warvoices.corpus.direct import _resolve_mentions

    # "he" is first found inside "The"? no: case differs; inside "the" yes (position 3)
    text = "At the end he said so."
    with pytest.raises(InputError, match=r'x\.jsonl:4: .*\{"text": "he", "occurrence": 1\}'):
        _resolve_mentions(["he"], text, "x.jsonl:4")
    assert _resolve_mentions([{"text": "he", "occurrence": 1}], text, "x.jsonl:4") == [[11, 13]]
    # a mention that is a whole word where first found, or that has no whole-word match, stands
    assert _resolve_mentions(["Putin"], "Putin and Putin's aide", "x") == [[0, 5]]
    assert _resolve_mentions(["Kyiv"], "the Kyiv-based office", "x") == [[4, 8]]
