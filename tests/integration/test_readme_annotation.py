"""Every example of the README's annotation section runs as printed, in order, with bash, against
a real server, on a fixture store (the seed article only) in a temporary workspace.

Only the README's three variables get the test's values (a free port, the fixture store, a
report directory in the workspace); every other line runs as written. Between the examples the
test does what people do: the two annotators submit (through their own tokens), later the
adjudicator. The workspace has a `.venv` link to the project's venv, so `.venv/bin/warvoices`,
`.ls-data` and `out/dataset` resolve there exactly as they do at the repository root."""
from __future__ import annotations

import json
import os
import re
import subprocess

import datasets
import pytest

from conftest import REPO
from warvoices.annotation import ls_server
from warvoices.corpus.batch_manifests import load_manifest
from warvoices.annotation.ls_results import to_result
from warvoices.annotation.ls_users import annotator_client
from warvoices.corpus.schema import load_schema
from warvoices.corpus.generate import artifacts
from warvoices.corpus.texts import TextLoader
from warvoices.corpus.textview import sentence_texts

from .conftest import complete, copy_template, seed_store

VARIABLES = {"PORT", "STORE", "REPORTS"}


def readme_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Annotation (Label Studio)", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, re.S)


def answers_for(i: int, who: str, schema) -> dict:
    """Varied, mostly agreeing answers (alpha well above the thresholds); one stance dispute.
    Required fields this test does not name get their first label, and on two sentences their
    second one where the schema's rules allow it, so every field varies (a field with one value
    everywhere has no defined alpha, which fails the thresholds)."""
    stance = schema.field("stance").label_names
    events = schema.field("event_type").label_names
    lab = {"stance": stance[i % 2], "attribution": "none", "source_type": "none", "event_type": events[i % len(events)]}
    if i % 3 == 1:
        lab.update(attribution="indirect", source_type="ukraine_official")
    if who == "ann-b" and i == 4:
        lab["stance"] = stance[2]
    full = complete(lab, schema)
    for name in set(full) - set(lab):
        other = dict(full, **{name: schema.field(name).label_names[1]})
        if i in (0, 18) and not schema.dependency_problems(other, {"source_spans": []}):
            full = other
    return full


def result(lab: dict, text: str) -> list[dict]:
    return to_result(lab, [[0, len(text.split()[0])]] if lab["attribution"] != "none" else [], text)


def test_readme_annotation_examples_run_as_printed(ls_template, tmp_path, monkeypatch):
    monkeypatch.delenv("WARVOICES_LS_TOKEN", raising=False)
    if not (REPO / ".venv" / "bin" / "warvoices").exists():
        pytest.skip("the examples call .venv/bin/warvoices: set up the project's venv with `bash .ci/setup`")
    blocks = readme_blocks()
    assigned = dict(re.findall(r"^([A-Z]+)=(\S+)", blocks[0], re.M))
    assert set(assigned) == VARIABLES, "the first block defines the variables the examples use"
    assert all(re.fullmatch(r"[A-Z]+=\S+\s*(#.*)?", ln.strip()) for ln in blocks[0].strip().splitlines())
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".venv").symlink_to(REPO / ".venv")
    store = seed_store(ws / "store")
    copy_template(ls_template, ws / ".ls-data")  # migrated already: the "first start" takes seconds
    values = {"PORT": str(ls_server.free_port()), "STORE": str(store.root), "REPORTS": str(ws / "reports")}
    prelude = "set -euo pipefail\n" + "".join(f"{k}={v}\n" for k, v in values.items())
    env = {**os.environ, ls_server.VENV_ENV: str(ls_server.default_venv())}
    generated = {a.path: a.path.read_bytes() for a in artifacts()}
    schema = load_schema()
    texts = sentence_texts(store, TextLoader(None), store.articles().keys())
    data = (ws / ".ls-data").resolve()
    ran = []
    try:
        for block in blocks[1:]:
            res = subprocess.run(["bash", "-c", prelude + block], cwd=ws, env=env, capture_output=True, text=True,
                                 timeout=600)
            assert res.returncode == 0, f"README example failed:\n{block}\n--- stdout\n{res.stdout}\n--- stderr\n{res.stderr}"
            assert "Traceback" not in res.stderr
            ran.append(block)
            url = ls_server.ServerState.load(ls_server.Paths(data)).url
            if "annotate push" in block:
                manifest = load_manifest(store, "batch-2")
                for who in ("ann-a", "ann-b"):
                    client = annotator_client(ls_server.Paths(data), url, who)
                    for i, sid in enumerate(manifest["sentences"]):
                        client.create_annotation(manifest["projects"][who]["tasks"][sid],
                                                 result(answers_for(i, who, schema), texts[sid]), lead_time=4.0)
            if "annotate adjudicate" in block and "--pull" not in block:
                manifest = load_manifest(store, "batch-2")
                adj = annotator_client(ls_server.Paths(data), url, "adj-1")
                assert manifest["adjudication"]["tasks"]
                for sid, tid in manifest["adjudication"]["tasks"].items():
                    task = adj.json("GET", f"/api/tasks/{tid}/")
                    assert task["predictions"] == [] and "answer B" in task["data"]["answers"]
                    i = manifest["sentences"].index(sid)
                    adj.create_annotation(tid, result(answers_for(i, "ann-a", schema), texts[sid]), lead_time=6.0)
        assert len(ran) == len(blocks) - 1 >= 6
        assert not ls_server.health(url), "the last example stops the server"
        finals = store.finals()
        assert len(finals) == len(texts)
        assert [s for s, r in finals.items() if r["adjudicator"] == "adj-1"] == [load_manifest(store, "batch-2")["sentences"][4]]
        assert json.loads((ws / "reports" / "agreement" / "batch-2.json").read_text())["verdict"]["passed"]
        ds = datasets.load_dataset(str(ws / "out" / "dataset"))
        assert sum(len(split) for split in ds.values()) == len(texts)
    finally:
        ls_server.stop(ws / ".ls-data", timeout=10)
        changed = [p for p, b in generated.items() if p.read_bytes() != b]
        for p in changed:
            p.write_bytes(generated[p])
    assert not changed, f"`warvoices generate` changed {changed}: the repository's generated files were stale"
