"""corpus/sources.yaml: every archive file declared, undeclared files refused by name, entries checked."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from warvoices.corpus.cli import main
from warvoices.corpus.errors import InputError
from warvoices.corpus.registry import add_archive
from warvoices.corpus.sources import archive_files, load_sources
from warvoices.corpus.store import Store

GOOD_ENTRY = """\
  parliament.jsonl:
    publisher: Invented Parliament
    publisher_type: news
    country_field: nation
    layout: hansard
    split_by: country
    cleaning: {exclude_lines: ['-- page \\d+ --']}
    metadata: {title: title, url: url, country: nation, speaker: member, speaker_role: post}
"""


def _record(rid: str, text: str, **extra) -> dict:
    rec = {"id": rid, "source": "invented", "url": f"https://example.org/{rid}", "title": f"Title {rid}",
           "date": "2024-09-01", "license": "CC0 (invented for tests)", "text": text}
    rec.update(extra)
    return rec


def _write(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _sources(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "sources.yaml"
    p.write_text("sources:\n" + body, encoding="utf-8")
    return p


def test_every_archive_file_is_declared(archive):
    sources = load_sources()
    assert set(archive_files(archive)) <= set(sources), "declare every archive file in corpus/sources.yaml"
    un = sources["ungdc.jsonl"]
    assert (un.publisher_type, un.layout, un.split_by, un.country_field) == (
        "un_general_debate", "un_debate", "country", "country_code")
    assert {s.country for f, s in sources.items() if f != "ungdc.jsonl"} == {"USA", "RUS", "UKR"}
    assert un.metadata["speaker_role"] == "speaker_post"


def test_undeclared_file_in_the_folder_is_an_error_naming_it(tmp_path):
    arch = tmp_path / "arch"
    arch.mkdir()
    _write(arch / "kremlin.jsonl", [_record("k-1", "An invented statement.")])
    _write(arch / "blogs.jsonl", [_record("b-1", "An invented blog post.")])
    store = Store(tmp_path / "store")
    with pytest.raises(InputError) as err:
        add_archive(store, arch)
    msg = str(err.value)
    assert "'blogs.jsonl'" in msg and "  blogs.jsonl:\n    publisher:" in msg and "publisher_type:" in msg
    assert "metadata: {title: title, url: url}" in msg
    assert not (tmp_path / "store" / "articles.jsonl").exists(), "nothing is registered"
    with pytest.raises(InputError, match="blogs.jsonl"):
        add_archive(store, arch, ["blogs.jsonl"])
    # the declared file alone registers
    assert add_archive(store, arch, ["kremlin.jsonl"]) == (1, 0)


def test_cli_names_the_undeclared_file(tmp_path, capsys):
    arch = tmp_path / "arch"
    arch.mkdir()
    _write(arch / "senate.jsonl", [_record("s-1", "An invented speech.")])
    code = main(["corpus", "add", "--from-archive", "--archive", str(arch), "--store", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 2 and "senate.jsonl" in err and "Add an entry under `sources:`" in err


def test_a_new_source_is_one_entry_with_any_layout(tmp_path):
    arch = tmp_path / "arch"
    arch.mkdir()
    text = "First invented paragraph.\n-- page 2 --\nSecond invented paragraph.\n"
    _write(arch / "parliament.jsonl", [
        _record("p-1", text, nation="BRA", member="Ana Example", post="Member"),
        _record("p-2", "Another invented speech.", nation="BRA", member="Ana Example", post="Member"),
        _record("p-3", "A third invented speech.", nation="KEN", member="Joe Example", post="Member"),
    ])
    store = Store(tmp_path / "s")
    assert add_archive(store, arch, sources_file=_sources(tmp_path, GOOD_ENTRY)) == (3, 0)
    arts = store.articles()
    p1 = arts["p-1"]
    assert p1["layout"] == "hansard" and p1["publisher"] == "Invented Parliament"
    assert p1["country"] == "BRA" and p1["split_by"] == "country"
    assert [text[s:e] for s, e in p1["exclude"]] == ["-- page 2 --\n"]
    assert arts["p-1"]["split"] == arts["p-2"]["split"], "one country, one split"


@pytest.mark.parametrize("body, key", [
    (GOOD_ENTRY.replace("publisher_type: news", "publisher_type: blog"), "sources.parliament.jsonl.publisher_type"),
    (GOOD_ENTRY.replace("    layout: hansard\n", ""), "sources.parliament.jsonl.layout"),
    (GOOD_ENTRY.replace("country_field: nation", "country_field: nation\n    country: BRA"), "sources.parliament.jsonl:"),
    (GOOD_ENTRY.replace("country_field: nation", "country: Brazil").replace("split_by: country", "split_by: article"),
     "sources.parliament.jsonl.country"),
    (GOOD_ENTRY.replace("country_field: nation", "country: BRA"), "sources.parliament.jsonl.split_by"),
    (GOOD_ENTRY.replace("split_by: country", "split_by: topic"), "sources.parliament.jsonl.split_by"),
    (GOOD_ENTRY.replace("'-- page \\d+ --'", "'(unclosed'"), "sources.parliament.jsonl.cleaning.exclude_lines[0]"),
    (GOOD_ENTRY.replace("speaker_role: post", "mood: post"), "sources.parliament.jsonl.metadata.mood"),
    (GOOD_ENTRY + "    colour: blue\n", "sources.parliament.jsonl.colour"),
    (GOOD_ENTRY.replace("parliament.jsonl:", "parliament.csv:"), "sources.parliament.csv"),
])
def test_malformed_entry_names_file_and_key(tmp_path, body, key):
    path = _sources(tmp_path, body)
    with pytest.raises(InputError) as err:
        load_sources(path)
    assert str(path) in str(err.value) and key in str(err.value)


def test_sources_file_without_sources_mapping(tmp_path):
    p = tmp_path / "sources.yaml"
    p.write_text("files: []\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"sources\.yaml: sources: the file needs a top-level mapping"):
        load_sources(p)


def test_metadata_fields_are_read_as_the_entry_maps_them(tmp_path):
    from warvoices.corpus.texts import TextLoader
    from warvoices.corpus.voices import VoiceResolver

    arch = tmp_path / "arch"
    arch.mkdir()
    _write(arch / "parliament.jsonl", [_record("p-1", "An invented speech.", nation="KEN", member="MS. ANA EXAMPLE",
                                               post="Speaker of the Invented House", headline="Invented headline")])
    entry = GOOD_ENTRY.replace("title: title", "title: headline")
    sources_file = _sources(tmp_path, entry)
    store = Store(tmp_path / "s")
    add_archive(store, arch, sources_file=sources_file)
    resolver = VoiceResolver(TextLoader(arch))
    resolver.sources = load_sources(sources_file)
    art = store.articles()["p-1"]
    assert resolver.metadata(art, "title") == "Invented headline"
    voice = resolver.article(art)
    assert (voice.country, voice.alignment) == ("KEN", "non_aligned")
    assert (voice.speaker.speaker, voice.speaker.role) == ("Ana Example", "Speaker of the Invented House")
