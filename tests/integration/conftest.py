"""Integration fixtures: a real Label Studio server per test, started from a migrated template.

The template data directory is migrated once per session (about 30 s); each test copies it and
starts a server on its own free port (about 3 s). Every started server is stopped by the
fixture's finalizer (SIGTERM, then SIGKILL of its process group); a session finalizer kills any
that a crashed test left behind. Sentence texts here are invented for the tests.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest

from warvoices.annotation import ls_server
from warvoices.annotation.ls_client import LSClient, connect
from warvoices.annotation.ls_server import Paths
from warvoices.corpus.store import Store, sentence_id, sha256_text, short_hash

VENV = ls_server.default_venv()
HAVE_LS = ls_server.ls_executable(VENV).exists()
SKIP_REASON = (f"Label Studio is not installed in {VENV} (run `warvoices annotate server setup`, or set "
               f"{ls_server.VENV_ENV}); CI installs it")

_STARTED: list[int] = []


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)
            if not HAVE_LS:
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


def _quiet(*_a, **_k):
    pass


@pytest.fixture(scope="session")
def ls_template(tmp_path_factory):
    data = tmp_path_factory.mktemp("ls-template") / "data"
    state = ls_server.start(data, port=0, venv=VENV, timeout=300, echo=_quiet)
    _STARTED.append(state.pid)
    ls_server.stop(data)
    yield data
    for pid in _STARTED:  # safety net: nothing may outlive the session
        if ls_server.pid_alive(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def copy_template(template: Path, dst: Path) -> Path:
    """A migrated empty data directory for one more server. Its identity file is dropped, so the
    copy starts as a server of its own (as a fresh data directory would), not as the template."""
    shutil.copytree(template, dst)
    (dst / "warvoices" / "server-id.json").unlink(missing_ok=True)
    return dst


@dataclass
class Server:
    data_dir: Path
    url: str
    paths: Paths

    def admin(self) -> LSClient:
        return connect(self.data_dir)


@pytest.fixture
def server(ls_template, tmp_path, monkeypatch):
    monkeypatch.delenv("WARVOICES_LS_TOKEN", raising=False)
    data = copy_template(ls_template, tmp_path / "ls")
    state = ls_server.start(data, port=0, venv=VENV, timeout=120, echo=_quiet)
    _STARTED.append(state.pid)
    try:
        yield Server(data_dir=data, url=state.url, paths=Paths(data.resolve()))
    finally:
        ls_server.stop(data, timeout=10)


# -- an invented corpus (texts written for these tests; never archive text) ---------------------
INVENTED = {
    "inv-2024-05-01-aaaa0001": ("Harbour talks in Volnovo", [
        "The harbour committee of Volnovo met on Tuesday to discuss the ferry timetable.",
        "“We will reopen the northern pier within a week,” the committee chair, Irena Kostyk, told reporters.",
        "According to the regional grain office, three barges were waiting outside the port.",
        "Residents queued for bread 🍞 while the convoy from Lisova “arrived” late.",
        "Nobody was hurt.",
    ]),
    "inv-2024-05-02-bbbb0002": ("Council vote on shelters", [
        "The town council approved funds for two new shelters under the school.",
        "A spokesperson for the mayor said the contract would be signed in June.",
        "Engineers from a university team inspected the site — and found the soil “suitable”.",
        "Ambassador Ödön Kárpáti called the plan a welcome step.",
    ]),
}


@dataclass
class Corpus:
    store: Store
    archive: Path
    articles: list[str]
    texts: dict[str, str]  # sentence_id -> text


def make_invented_store(root: Path) -> Corpus:
    archive = root / "archive"
    archive.mkdir(parents=True)
    store = Store(root / "store")
    arts, sents, recs, texts = [], [], [], {}
    for aid, (title, sentences) in INVENTED.items():
        text = " ".join(sentences)
        recs.append({"id": aid, "text": text})
        arts.append({"article_id": aid, "publisher": "Invented Wire", "publisher_type": "news", "url": None,
                     "date": aid[4:14], "title": title, "license": "invented for tests", "sha256": sha256_text(text),
                     "text_source": {"archive_file": "invented.jsonl", "archive_id": aid}, "exclude": [],
                     "layout": "plain", "split": "train"})
        pos = 0
        for i, s in enumerate(sentences):
            start = text.index(s, pos)
            pos = start + len(s)
            sid = sentence_id(aid, i)
            sents.append({"sentence_id": sid, "article_id": aid, "index": i, "start": start, "end": pos,
                          "kind": "body", "speaker_span": None, "flags": [], "text_hash": short_hash(s)})
            texts[sid] = s
    (archive / "invented.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs),
                                            encoding="utf-8")
    store.write_articles(arts)
    store.write_sentences(sents)
    return Corpus(store=store, archive=archive, articles=list(INVENTED), texts=texts)


@pytest.fixture
def corpus(tmp_path) -> Corpus:
    return make_invented_store(tmp_path / "corpus")


def seed_store(root: Path) -> Store:
    """A store holding only the bundled seed article and its sentences (no labels), so tests do not
    depend on the state of the committed store's annotations, finals or archive articles."""
    from warvoices.corpus.commands import SEED_DEFAULTS
    from warvoices.corpus.store import DEFAULT_STORE

    seed = SEED_DEFAULTS["article_id"]
    committed = Store(DEFAULT_STORE)
    if seed not in committed.articles() or not committed.sentences(seed):
        pytest.skip("the repository store has no segmented seed article (warvoices corpus segment)")
    store = Store(root)
    store.write_articles([committed.articles()[seed]])
    store.write_sentences(committed.sentences(seed))
    return store


def complete(labels: dict, schema=None) -> dict:
    """`labels` plus every other required choice field of the schema with its first label, so the
    tests name only the fields they are about and keep working when the schema gains a field."""
    from warvoices.corpus.schema import load_schema

    schema = schema or load_schema()
    out = {f.name: f.label_names[0] for f in schema.choice_fields if f.required}
    out.update(labels)
    return out
