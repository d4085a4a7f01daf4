"""Each validation error id has a fixture named after its defect; each triggers exactly its id."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import load_store_fixture
from warvoices.corpus import validate as validate_module
from warvoices.corpus.texts import TextLoader
from warvoices.corpus.validate import validate_store

FIXTURES = Path(__file__).parent / "fixtures" / "validation"
DEFECTS = sorted(FIXTURES.glob("V*.json"))
DOC_IDS = re.findall(r"^\s+(V\d{3}) ", validate_module.__doc__, re.M)


def test_clean_fixture_has_no_issues(tmp_path):
    data = load_store_fixture(FIXTURES / "clean.json", tmp_path / "s")
    assert validate_store(data["store"], TextLoader(None)) == []


def test_every_documented_id_has_a_fixture():
    assert DOC_IDS, "the module docstring lists the ids"
    have = {p.name[:4] for p in DEFECTS}
    assert set(DOC_IDS) == have


@pytest.mark.parametrize("path", DEFECTS, ids=[p.stem for p in DEFECTS])
def test_fixture_triggers_its_id(path, tmp_path):
    data = load_store_fixture(path, tmp_path / "s")
    issues = validate_store(data["store"], TextLoader(None))
    ids = {i.id for i in issues}
    assert ids == {data["expect"]}, [str(i) for i in issues]
    issue = next(i for i in issues if i.id == data["expect"])
    # every finding points at a store file and line (or names the file for store-wide warnings)
    assert str(tmp_path / "s") in issue.pointer
    assert issue.severity in ("error", "warning")


def test_cli_exit_code_and_pointer(tmp_path, capsys):
    from warvoices.corpus.cli import main

    load_store_fixture(FIXTURES / "V003-unknown-label.json", tmp_path / "s")
    assert main(["corpus", "validate", "--store", str(tmp_path / "s"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "V003" in err and "annotations.jsonl:1" in err and "pro_mars" in err
