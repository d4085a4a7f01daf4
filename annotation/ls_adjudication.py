"""The adjudication project of a batch: disputed sentences in, the adjudicator's decisions out.

`annotate adjudicate` (annotation/aggregate.py) settles what the annotators agree on and lists
the rest as disputes. Here each disputed sentence becomes one task of the batch's adjudication
project (`wv <batch> adjudication`), showing the same sentence and context and, in a table
beside each other, every annotator's full answer (as "answer A", "answer B", … in the order of
their annotation ids, without names). The form itself starts empty: the answers are task data
shown by the config (ls_config.render_adjudication_config), not predictions, so nothing is
pre-filled and no answer anchors the decision. The adjudicator answers every field and submits.
Pulling turns each submitted adjudication into a decision record for
`aggregate.apply_adjudications`, which writes the final label with method `adjudicated` for
each field the decision settles.

The task keeps the ids of the annotations it was made from (data.annotation_ids); a decision
carries them back, so a decision made on annotations that have since changed is refused.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

from warvoices.corpus.errors import Issue, WarVoicesError
from warvoices.corpus.store import Store, atomic_write_text, dumps
from warvoices.corpus.texts import TextLoader

from warvoices.corpus.batch_manifests import load_manifest, project_title, save_manifest
from .ls_client import LSClient
from .ls_config import render_adjudication_config
from .ls_migrate import new_id
from .ls_pull import ISSUE_NAMES, PullContext, PullError, check_server, validate_export
from .ls_push import batch_tasks
from warvoices.corpus.schema import Schema, guidelines_version, load_schema

ROLE = "adjudication"


def adjudication_config() -> str:
    return render_adjudication_config()


def answers_table(records: list[dict], text: str, schema: Schema, disputed: list[str]) -> str:
    """HTML: one column per annotator's answer (anonymous letters), one row per field; disputed
    fields marked. Values are escaped: only the table's own tags are HTML."""
    cols = [chr(ord("A") + i) if i < 26 else str(i + 1) for i in range(len(records))]
    head = "".join(f"<th style='padding:2px 12px'>answer {c}</th>" for c in cols)
    rows = []
    for f in schema.fields:
        cells = []
        for rec in records:
            if f.kind == "spans":
                spans = rec.get(f.name) or []
                value = "; ".join(f"“{text[a:b]}” [{a}, {b})" for a, b in spans) or "(none marked)"
            else:
                value = (rec.get("labels") or {}).get(f.name) or "—"
            cells.append(f"<td style='padding:2px 12px'>{html.escape(str(value))}</td>")
        mark = " ⚠" if f.name in disputed else ""
        style = "font-weight:bold" if f.name in disputed else ""
        rows.append(f"<tr style='{style}'><th style='text-align:left;padding:2px 12px'>"
                    f"{html.escape(f.title)}{mark}</th>{''.join(cells)}</tr>")
    return (f"<table style='border-collapse:collapse'><tr><th></th>{head}</tr>{''.join(rows)}</table>")


def current_ids(ids: list[str], server_id: str | None) -> list[str]:
    """Annotation ids as the store names them now (ids of the old format, kept by adjudication tasks
    created before `migrate-ids`, get the server's identity)."""
    return sorted(new_id(i, server_id) if server_id else i for i in ids)


def decisions_path(store: Store, batch: str) -> Path:
    return store.root / "batches" / f"{batch}.decisions.jsonl"


def push_disputes(client: LSClient, store: Store, loader: TextLoader, batch: str, entries: list[dict]) -> dict:
    """Put each open dispute (entries of `aggregate.disputes_by_sentence`) into the adjudication
    project, once; returns {project, new, existing}."""
    schema = load_schema()
    manifest = load_manifest(store, batch)
    if not entries:
        return {"project": (manifest.get("adjudication") or {}).get("project"), "new": 0, "existing": 0}
    _, data = batch_tasks(store, loader, manifest["articles"])
    records = {r["annotation_id"]: r for r in store.annotations()}
    config = adjudication_config()
    check_server(client, manifest)
    title = project_title(batch, ROLE)
    adj = manifest.get("adjudication")
    proj = client.project(adj["project"]) if adj else None
    if adj and (proj is None or proj.get("title") != title):
        raise WarVoicesError(f"batch {batch}: the manifest says the adjudication project is {adj['project']}, but the "
                             f"server at {client.url} does not have it; is this the server the batch was pushed to?")
    if proj is None:
        same = [p for p in client.projects() if p.get("title") == title]
        proj = client.project(same[0]["id"]) if same else client.create_project(
            title=title, label_config=config, show_collab_predictions=False, show_skip_button=True,
            enable_empty_annotation=False, maximum_annotations=1, sampling="Sequential sampling",
            show_annotation_history=False,
            description=f"WarVoices batch {batch}: adjudication. The annotators' answers are shown side by side "
                        "above the form; the form starts empty: answer every field and submit.")
        adj = {"project": proj["id"], "title": title, "tasks": {}}
        manifest["adjudication"] = adj
        save_manifest(store, manifest)
    if proj.get("label_config", "").strip() != config.strip():
        raise WarVoicesError(f"adjudication project {proj['id']} uses another labeling config than the schema gives "
                             "now; adjudicate this batch with the config it was pushed with")
    existing: dict[str, dict] = {}
    for task in client.iter_tasks(proj["id"]):
        existing[task["data"].get("sentence_id")] = task
    new_tasks, new_sids = [], []
    for e in entries:
        sid = e["sentence_id"]
        ids = sorted(e["annotation_ids"])
        if sid in existing:
            if current_ids(existing[sid]["data"].get("annotation_ids") or [], manifest.get("server_id")) != ids:
                raise WarVoicesError(
                    f"sentence {sid} is already in adjudication project {proj['id']} (task {existing[sid]['id']}) with "
                    "other annotations than it rests on now; delete that task in Label Studio and run again")
            continue
        if sid not in data:
            raise WarVoicesError(f"disputed sentence {sid} is not in batch {batch}")
        text = data[sid]["text"]
        answers = []
        for aid in ids:
            rec = records.get(aid)
            if rec is None:
                raise WarVoicesError(f"dispute of {sid} names annotation {aid}, which is not in the store")
            answers.append(rec)
        disputed = ", ".join(sorted(e["disputes"]))
        new_tasks.append({"data": {**data[sid], "disputed": disputed, "annotation_ids": ids,
                                   "answers": answers_table(answers, text, schema, sorted(e["disputes"]))}})
        new_sids.append(sid)
    if new_tasks:
        task_ids = client.import_tasks(proj["id"], new_tasks)
        adj["tasks"].update(zip(new_sids, task_ids))
    for sid, task in existing.items():
        adj["tasks"][sid] = task["id"]
    save_manifest(store, manifest)
    return {"project": proj["id"], "new": len(new_tasks), "existing": len(entries) - len(new_tasks)}


_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
QUOTE_WORDS = 3


def mask_quotes(rationale: str, sources: list[str], n: int = QUOTE_WORDS) -> str:
    """The rationale with every run of `n` or more words that it shares with `sources` (the
    unit's article) replaced by "[…]". Rationales are committed with the decisions; the units'
    words are not (stand-off data), so a quoted phrase stays only in Label Studio."""
    words = [(m.start(), m.end(), m.group().lower()) for m in _WORD_RE.finditer(rationale)]
    if len(words) < n:
        return rationale
    grams = set()
    for src in sources:
        toks = [w.lower() for w in _WORD_RE.findall(src)]
        grams.update(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))
    hit = [False] * len(words)
    for i in range(len(words) - n + 1):
        if tuple(w for _, _, w in words[i:i + n]) in grams:
            for j in range(i, i + n):
                hit[j] = True
    out, cur, i = [], 0, 0
    while i < len(words):
        if not hit[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(words) and hit[j + 1]:
            j += 1
        out.append(rationale[cur:words[i][0]] + "[…]")
        cur = words[j][1]
        i = j + 1
    return "".join(out) + rationale[cur:]


def pull_decisions(client: LSClient, store: Store, loader: TextLoader, batch: str,
                   annotators: dict[int, str], write: bool = True) -> tuple[list[dict], dict[str, int]]:
    """The adjudicator's submitted decisions of the batch (validated like any export); with
    `write`, also saved to batches/<batch>.decisions.jsonl (else see `write_decisions`)."""
    from .ls_pull import batch_corpus

    manifest = load_manifest(store, batch)
    adj = manifest.get("adjudication")
    if not adj:
        raise WarVoicesError(f"batch {batch} has no adjudication project yet; run `warvoices annotate adjudicate "
                             f"--batch {batch}` first (it pushes the disputes)")
    check_server(client, manifest)
    corpus = batch_corpus(store, loader, manifest)
    known = {int(v["user_id"]): k for k, v in manifest.get("annotators", {}).items()}
    known.update(annotators)
    export = list(client.iter_annotated_tasks(adj["project"]))  # the database read when it can (ls_client)
    ctx = PullContext(project=adj["project"], batch=batch, corpus=corpus, annotators=known,
                      server_id=client.server_id, server_url=client.url, guideline_version=guidelines_version(),
                      adjudication=True)
    records, issues = validate_export(export, ctx)
    ids_by_task = {t.get("id"): current_ids((t.get("data") or {}).get("annotation_ids") or [],
                                            manifest.get("server_id"))
                   for t in export if isinstance(t, dict)}
    decisions: dict[str, dict] = {}
    counts = {"submitted": 0, "skipped": 0, "cancelled": 0}
    articles = store.articles()
    sentence_article = {s["sentence_id"]: s["article_id"] for s in store.sentences(include_superseded=True)}
    for r in records:
        counts[r["status"]] += 1
        if r["status"] != "submitted":
            continue
        o = r["origin"]
        if r["sentence_id"] in decisions:
            issues.append(Issue("LS006", "error", f"project {o['project']} task {o['task']} annotation {o['annotation']}",
                                f"{ISSUE_NAMES['LS006']}: a second adjudication of {r['sentence_id']}; keep one"))
            continue
        decisions[r["sentence_id"]] = {
            "sentence_id": r["sentence_id"], "adjudicator": r["annotator"],
            "labels": {k: v for k, v in r["labels"].items() if v is not None},
            "source_spans": r["source_spans"], "decided_at": r["created_at"],
            "annotation_ids": ids_by_task.get(o["task"], []),
            "origin": {"tool": "label-studio", "server_id": o["server_id"], "server_url": o["server_url"],
                       "project": o["project"], "task": o["task"], "annotation": o["annotation"], "batch": batch,
                       "annotation_id": r["annotation_id"]},
            "guideline_version": r["guideline_version"],
        }
        if r.get("rationale"):
            art = articles[sentence_article[r["sentence_id"]]]
            decisions[r["sentence_id"]]["rationale"] = mask_quotes(r["rationale"], [loader.text(art)])
    if any(i.severity == "error" for i in issues):
        raise PullError(issues, f"pull of batch {batch}'s adjudication project")
    out = [decisions[s] for s in sorted(decisions)]
    if write:
        write_decisions(store, batch, out)
    return out, counts


def write_decisions(store: Store, batch: str, decisions: list[dict]) -> Path:
    path = decisions_path(store, batch)
    atomic_write_text(path, "".join(dumps(d) + "\n" for d in decisions))
    return path


def read_disputes(path: Path) -> list[dict]:
    if not Path(path).is_file():
        return []
    return json.loads(Path(path).read_text(encoding="utf-8"))
