"""`warvoices annotate prelabel`: units and baseline predictions for an external collection, in a
plain loop and on a local Dask cluster (the same per-shard function). Texts are invented here."""
from __future__ import annotations

import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warvoices.annotation import prelabel as pl
from warvoices.corpus.schema import load_schema
from warvoices.corpus.build import build
from warvoices.corpus.cli import main
from warvoices.corpus.errors import InputError, WarVoicesError
from warvoices.corpus.store import Store
from warvoices.corpus.texts import TextLoader

DOCS = [
    {"id": "crawl-1", "text": "Officials met in the capital on Monday. \u201cWe will keep talking,\u201d the minister said.\n\n"
                              "Talks resume next week."},
    {"id": "crawl-2", "text": "The council adopted a statement. It calls for a ceasefire and for the release of prisoners."},
    {"id": "crawl-3", "text": "Markets were calm.\nTrade figures are due on Friday.", "layout": "plain"},
    {"id": "crawl-4", "text": "A shelter opened downtown. Volunteers handed out blankets and food."},
]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("prelabel") / "dataset"
    build(Store(), TextLoader(None), out, progress=False)  # the bundled seed article: a train split
    return out


@pytest.fixture()
def collection(tmp_path):
    d = tmp_path / "collection"
    d.mkdir()
    (d / "a.jsonl").write_text("".join(json.dumps(x) + "\n" for x in DOCS[:2]), encoding="utf-8")
    (d / "b.jsonl").write_text(json.dumps(DOCS[2]) + "\n", encoding="utf-8")
    pq.write_table(pa.Table.from_pylist([{"id": DOCS[3]["id"], "text": DOCS[3]["text"], "extra": 1}]), str(d / "c.parquet"))
    return d


def _rows(out) -> list[dict]:
    return [r for p in sorted(out.glob("*.parquet")) for r in pq.read_table(str(p)).to_pylist()]


def test_loop_writes_units_with_predictions(collection, dataset, tmp_path):
    out = tmp_path / "out"
    m = pl.prelabel(collection, out, "tfidf_lr", dataset, workers=1, progress=False)
    assert sorted(p.name for p in out.glob("*.parquet")) == ["a.parquet", "b.parquet", "c.parquet"]
    rows = _rows(out)
    texts = {d["id"]: d["text"] for d in DOCS}
    assert {r["doc_id"] for r in rows} == set(texts)
    assert m["documents"] == 4 and m["units"] == len(rows) and m["engine"] == "loop"
    schema = load_schema()
    for r in rows:
        assert texts[r["doc_id"]][r["start"]:r["end"]] == r["text"]
        assert r["id"] == f"{r['doc_id']}-s{r['index']:04d}"
        assert r["model"] == "tfidf_lr" and r["version"] == m["version"]
        assert r["pred_stance"] in schema.field("stance").label_names
    # the quotation and its attribution stay one unit; the line break is a boundary
    crawl1 = [r["text"] for r in rows if r["doc_id"] == "crawl-1"]
    assert crawl1 == ["Officials met in the capital on Monday.",
                      "\u201cWe will keep talking,\u201d the minister said.", "Talks resume next week."]
    manifest = json.loads((out / "prelabel.json").read_text())
    assert [s["shard"] for s in manifest["shards"]] == ["a.jsonl", "b.jsonl", "c.parquet"]


def test_local_dask_cluster_gives_the_same_rows(collection, dataset, tmp_path):
    pytest.importorskip("dask.distributed", reason="the `scale` extra (dask[distributed]) is not installed")
    loop, dask = tmp_path / "loop", tmp_path / "dask"
    pl.prelabel(collection, loop, "tfidf_lr", dataset, workers=1, progress=False)
    m = pl.prelabel(collection, dask, "tfidf_lr", dataset, workers=2, progress=False)
    assert m["engine"] == "dask" and m["workers"] == 2
    assert _rows(dask) == _rows(loop)


def test_cli_prelabel(collection, dataset, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["annotate", "prelabel", "--collection", str(collection), "--out", str(out), "--model", "majority",
                 "--data", str(dataset), "--no-progress"]) == 0
    assert "prelabelled 4 document(s)" in capsys.readouterr().out
    assert {r["model"] for r in _rows(out)} == {"majority"}


def test_record_without_text_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(DOCS[0]) + "\n" + json.dumps({"id": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl: line 2: needs a non-empty string `id` and a string `text`"):
        pl.read_shard(bad)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no \\*.jsonl or \\*.parquet shards"):
        pl.find_shards(empty)


def test_missing_extra_is_named(collection, dataset, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # as if the extra were not installed
    with pytest.raises(WarVoicesError, match=r"warvoices\[scale\]"):
        pl.prelabel(collection, tmp_path / "o", "majority", dataset, workers=2, progress=False)
