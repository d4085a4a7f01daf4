"""`warvoices corpus migrate`: records from before guideline versions get version 1, explicitly."""
from __future__ import annotations

import json

import pytest

from conftest import REPO, load_store_fixture
from warvoices.corpus.schema import load_schema
from warvoices.corpus.cli import main
from warvoices.corpus.errors import InputError
from warvoices.corpus.migrate import stamp_guideline_version
from warvoices.corpus.store import Store, read_jsonl
from warvoices.corpus.texts import TextLoader
from warvoices.corpus.validate import validate_store

FIXTURES = REPO / "tests" / "fixtures" / "validation"


def _legacy_store(tmp_path):
    """The clean fixture as it looked before versions: no guideline_version, no about_war."""
    data = json.loads((FIXTURES / "clean.json").read_text(encoding="utf-8"))
    for rec in data["annotations"] + data["final"]:
        rec.pop("guideline_version", None)
        rec["labels"].pop("about_war", None)
        (rec.get("method") or {}).pop("about_war", None)
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return load_store_fixture(path, tmp_path / "s")["store"]


def test_legacy_records_are_stamped_version_1_once(tmp_path):
    store = _legacy_store(tmp_path)
    assert {i.id for i in validate_store(store, TextLoader(None))} == {"V033"}
    report = stamp_guideline_version(store)
    assert report.stamped == {"annotations.jsonl": 2, "final.jsonl": 1}
    assert all(r["guideline_version"] == 1 for r in store.annotations())
    assert all(r["guideline_version"] == 1 for r in store.finals().values())
    assert validate_store(store, TextLoader(None)) == []  # version-1 records need no about_war
    before = {n: store.path(n).read_bytes() for n in ("annotations.jsonl", "final.jsonl")}
    again = stamp_guideline_version(store)
    assert again.stamped == {"annotations.jsonl": 0, "final.jsonl": 0} and again.kept["annotations.jsonl"] == 2
    assert {n: store.path(n).read_bytes() for n in before} == before


def test_a_record_with_a_newer_field_is_refused_and_nothing_is_written(tmp_path):
    store = _legacy_store(tmp_path)
    lines = [rec for _, rec in read_jsonl(store.path("final.jsonl"))]
    lines[0]["labels"]["about_war"] = "yes"  # cannot be a version-1 record
    store.path("final.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    before = {n: store.path(n).read_bytes() for n in ("annotations.jsonl", "final.jsonl")}
    with pytest.raises(InputError, match=r"final.jsonl:1: has \['about_war'\]"):
        stamp_guideline_version(store)
    # annotations.jsonl was fine, but nothing is written unless every file can be migrated
    assert {n: store.path(n).read_bytes() for n in before} == before
    assert not list(store.root.glob(".*.tmp"))


def test_cli_dry_run_writes_nothing(tmp_path, capsys):
    store = _legacy_store(tmp_path)
    before = store.path("annotations.jsonl").read_bytes()
    assert main(["corpus", "migrate", "--store", str(store.root), "--dry-run"]) == 0
    assert "annotations.jsonl: 2 record(s) stamped" in capsys.readouterr().out
    assert store.path("annotations.jsonl").read_bytes() == before
    assert main(["corpus", "migrate", "--store", str(store.root), "--guideline-version", "7"]) == 2


def test_the_committed_store_says_the_version_of_every_record():
    store = Store(REPO / "corpus" / "data")
    versions = set(range(1, load_schema().guideline_version + 1))
    assert {r.get("guideline_version") for r in store.annotations()} <= versions
    assert {r.get("guideline_version") for r in store.finals().values()} <= versions


def test_a_version_stated_only_in_the_origin_is_moved_to_the_record(tmp_path):
    store = _legacy_store(tmp_path)
    lines = [rec for _, rec in read_jsonl(store.path("annotations.jsonl"))]
    lines[0]["origin"]["guideline_version"] = "2"  # how a pull may keep it
    lines[0]["labels"]["about_war"] = "yes"
    store.path("annotations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    stamp_guideline_version(store)
    by_id = {r["annotation_id"]: r for r in store.annotations()}
    assert by_id[lines[0]["annotation_id"]]["guideline_version"] == 2
    assert by_id[lines[1]["annotation_id"]]["guideline_version"] == 1
