"""Shared test fixtures: the repository root, the external archive (when present), tiny stores."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def archive_dir() -> Path | None:
    value = os.environ.get("WARVOICES_ARCHIVE") or str(REPO.parent / "shared" / "archive")
    path = Path(value)
    return path if path.is_dir() and any(path.glob("*.jsonl")) else None


@pytest.fixture(scope="session")
def archive() -> Path:
    path = archive_dir()
    if path is None:
        pytest.skip("external archive not found (set WARVOICES_ARCHIVE); CI has it")
    return path


def load_store_fixture(path: Path, root: Path) -> dict:
    """Write a one-file store fixture (articles, sentences, annotations, final) into root."""
    from warvoices.corpus.store import Store

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    store = Store(root)
    root.mkdir(parents=True, exist_ok=True)
    # written line by line, unsorted and unmerged, so defects such as duplicate ids survive
    for name, key in (("articles.jsonl", "articles"), ("sentences.jsonl", "sentences"),
                      ("annotations.jsonl", "annotations"), ("final.jsonl", "final")):
        (root / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data.get(key, [])),
                                 encoding="utf-8")
    data["store"] = store
    return data


@pytest.fixture
def repo_store_copy(tmp_path) -> Path:
    """A copy of the committed store, so tests can write without touching the repository."""
    dst = tmp_path / "store"
    shutil.copytree(REPO / "corpus" / "data", dst)
    return dst
