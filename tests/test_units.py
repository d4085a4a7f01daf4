"""`warvoices corpus units`: real units by id, read at run time, with their stored labels."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import load_store_fixture
from warvoices.corpus.cli import main
from warvoices.corpus.errors import InputError
from warvoices.corpus.texts import TextLoader
from warvoices.corpus.units import render_units

FIXTURES = Path(__file__).parent / "fixtures" / "validation"


def test_units_show_text_context_and_every_labels_version(tmp_path):
    store = load_store_fixture(FIXTURES / "clean.json", tmp_path / "s")["store"]
    out = render_units(store, TextLoader(None), ["tiny-article-s0001"])
    unit = next(line for line in out.splitlines() if "UNIT:" in line)
    assert unit.split("UNIT:", 1)[1].strip().startswith("The ministry")
    assert "before: Drills continue near the river" in out
    assert "final (guidelines v2) about_war=yes" in out
    ann_c = next(line for line in out.splitlines() if "ann-c" in line)
    assert "(guidelines v1) stance=neutral" in ann_c and "about_war" not in ann_c
    with pytest.raises(InputError, match="unknown sentence id"):
        render_units(store, TextLoader(None), ["tiny-article-s0099"])


def test_cli_prints_and_writes_nothing(tmp_path, capsys):
    store = load_store_fixture(FIXTURES / "clean.json", tmp_path / "s")["store"]
    before = {p.name: p.read_bytes() for p in store.root.iterdir()}
    assert main(["corpus", "units", "--store", str(store.root), "--ids", "tiny-article-s0002", "--no-progress"]) == 0
    assert "== tiny-article-s0002" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in store.root.iterdir()} == before
