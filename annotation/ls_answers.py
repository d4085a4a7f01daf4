"""Annotators who work through Label Studio's API instead of its web form.

A language-model annotator (or any scripted one) takes the same path as a person: it reads the
tasks of ITS OWN project and submits its answers there with ITS OWN API token, so every answer
is a Label Studio annotation made by that annotator's user, and `annotate pull` brings it in
like any other (ids, server identity, guideline version, the prediction the task showed).

    annotate tasks  --batch B --annotator NAME --out FILE   the project's units, article by article
    annotate submit --batch B --annotator NAME --answers FILE

`--adjudication` does the same for the batch's adjudication project: its tasks carry the
disputed fields and every annotator's answer (as A, B, … without names), as the form shows them.

The tasks file holds sentence texts, which may come from the external archive: it is written
only outside the repository, for the annotator's eyes. The answers file uses the answer shape of
`corpus annotate-direct` (labels as top-level fields, sources as `source_mentions` text that is
resolved to offsets against the sentence). Every line is checked before anything is sent;
submitting again skips the tasks this user has already answered, so an interrupted submit
resumes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from warvoices.corpus.direct import check_record
from warvoices.corpus.errors import InputError, WarVoicesError
from warvoices.corpus.store import Store, atomic_write_text, dumps, read_jsonl
from warvoices.corpus.texts import REPO_ROOT, TextLoader

from warvoices.corpus.batch_manifests import load_manifest, now_iso
from .ls_client import LSClient
from .ls_config import RATIONALE, SENTENCE_TAG
from .ls_push import batch_tasks
from .ls_results import to_result
from warvoices.corpus.schema import load_schema

ADJUDICATION = "adjudication"


def _project_tasks(manifest: dict, annotator: str, adjudication: bool) -> dict[str, int]:
    batch = manifest["batch"]
    if adjudication:
        adj = manifest.get("adjudication")
        if not adj:
            raise WarVoicesError(f"batch {batch} has no adjudication project yet; run `warvoices annotate adjudicate "
                                 f"--batch {batch}` first (it pushes the disputes)")
        return dict(adj.get("tasks") or {})
    projects = manifest.get("projects") or {}
    if annotator not in projects:
        raise WarVoicesError(f"batch {batch} has no project for {annotator!r}; its annotators are "
                             f"{', '.join(sorted(projects)) or 'none'}")
    return dict(projects[annotator].get("tasks") or {})


def _outside_repo(path: Path) -> Path:
    path = Path(path).resolve()
    if path == REPO_ROOT or REPO_ROOT in path.parents:
        raise InputError(f"{path} is inside the repository ({REPO_ROOT}); a tasks file holds sentence texts, which "
                         "must never be committed: write it outside the checkout (e.g. /tmp/tasks-NAME.jsonl)")
    return path


def _answers_of(store: Store, ids: list[str]) -> dict[str, dict]:
    wanted = set(ids)
    return {r["annotation_id"]: r for r in store.annotations() if r["annotation_id"] in wanted}


def write_tasks(store: Store, loader: TextLoader, batch: str, annotator: str, out: Path, *,
                adjudication: bool = False, client: LSClient | None = None) -> int:
    """The units of `annotator`'s project in the batch (or of the adjudication project), grouped
    by article in project order, to JSON Lines at `out` (outside the repository). Returns the
    number of units."""
    out = _outside_repo(out)
    manifest = load_manifest(store, batch)
    tasks = _project_tasks(manifest, annotator, adjudication)
    order, data = batch_tasks(store, loader, manifest["articles"])
    schema = load_schema()
    articles = store.articles()
    sentences = {s["sentence_id"]: s for s in store.sentences()}
    disputes: dict[str, dict] = {}
    if adjudication:
        # what the adjudication form shows: the task data written by `annotate adjudicate`
        if client is None:
            raise WarVoicesError("the adjudication tasks are read from Label Studio: a connection is needed")
        for t in client.iter_tasks(manifest["adjudication"]["project"]):
            d = t.get("data") or {}
            disputes[d.get("sentence_id")] = d
    # a batch chosen by `annotate select`: one line per passage, in the batch's order
    passage_of: dict[str, int] = {}
    if manifest.get("selection"):
        from .select import load_selection

        sel = load_selection(store, batch)
        if sel is not None:
            order = sel.sentence_ids()
            passage_of = {sid: i for i, p in enumerate(sel.passages) for sid in p.sentence_ids}
    lines, current, n = [], None, 0
    for sid in order:
        if sid not in tasks:
            continue
        s = sentences[sid]
        if current is None or current["article_id"] != s["article_id"] \
                or current.get("passage") != (passage_of[sid] + 1 if passage_of else None):
            art = articles[s["article_id"]]
            current = {"article_id": s["article_id"], "title": data[sid]["title"],
                       "publisher_type": art.get("publisher_type"), "date": art.get("date"), "units": []}
            if passage_of:
                current["passage"] = passage_of[sid] + 1
                if art.get("country"):
                    current["country"] = art["country"]
            lines.append(current)
        unit = {"sentence_id": sid, "kind": s.get("kind", "body"), "speaker": s.get("speaker"),
                "text": data[sid]["text"]}
        if adjudication:
            # the form shows the sentence in its context; the tasks file does too
            unit["context_before"] = data[sid]["context_before"]
            unit["context_after"] = data[sid]["context_after"]
            e = disputes.get(sid) or {}
            recs = _answers_of(store, sorted(e.get("annotation_ids") or []))
            unit["disputed"] = [d.strip() for d in str(e.get("disputed") or "").split(",") if d.strip()]
            unit["answers"] = {}
            for i, aid in enumerate(sorted(recs)):
                r = recs[aid]
                text = data[sid]["text"]
                answer = {f.name: (r.get("labels") or {}).get(f.name) for f in schema.choice_fields}
                answer["source_mentions"] = [text[a:b] for a, b in r.get("source_spans") or []]
                unit["answers"][chr(ord("A") + i)] = answer
        current["units"].append(unit)
        n += 1
    missing = sorted(set(tasks) - set(order))
    if missing:
        raise WarVoicesError(f"batch {batch}: {len(missing)} task(s) of the project are not sentences of the batch "
                             f"(e.g. {missing[0]}); was the store changed after the push?")
    atomic_write_text(out, "".join(dumps(a) + "\n" for a in lines))
    return n


@dataclass
class SubmitReport:
    batch: str
    annotator: str
    project: str
    sent: int = 0
    already: int = 0
    skipped: int = 0
    ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (f"batch {self.batch}, {self.project} project, as {self.annotator}: {self.sent} answer(s) submitted"
                f"{f' ({self.skipped} as skipped)' if self.skipped else ''}, {self.already} task(s) already answered "
                "by this user (left as they are)")


def check_answers(store: Store, loader: TextLoader, batch: str, annotator: str, answers: Path, *,
                  adjudication: bool = False) -> tuple[list[tuple[int, dict, dict]], dict[str, int], dict[str, str]]:
    """Every line of the answers file checked against the schema and the project: returns
    (task id, store-shaped record, line) per line, the task map and the sentence texts."""
    answers = Path(answers)
    if not answers.is_file():
        raise InputError(f"{answers}: no such file")
    manifest = load_manifest(store, batch)
    tasks = _project_tasks(manifest, annotator, adjudication)
    _, data = batch_tasks(store, loader, manifest["articles"])
    texts = {sid: data[sid]["text"] for sid in tasks if sid in data}
    lengths = {sid: len(t) for sid, t in texts.items()}
    checked, seen = [], set()
    for lineno, rec in read_jsonl(answers):
        where = f"{answers}:{lineno}"
        if not isinstance(rec, dict):
            raise InputError(f"{where}: not a JSON object")
        sid = rec.get("sentence_id")
        if sid not in tasks:
            raise InputError(f"{where}: sentence {sid!r} is not a task of {annotator}'s "
                             f"{'adjudication' if adjudication else ''} project in batch {batch}")
        if sid in seen:
            raise InputError(f"{where}: sentence {sid} is answered twice in this file")
        seen.add(sid)
        if rec.get("skipped"):
            checked.append((tasks[sid], {"sentence_id": sid, "status": "skipped"}, rec))
            continue
        body = {k: v for k, v in rec.items() if k not in ("note", "lead_time", "skipped", "rationale")}
        if adjudication:
            why = rec.get("rationale")
            if not isinstance(why, str) or not why.strip() or "\n" in why.strip():
                raise InputError(f"{where}: an adjudication needs a `rationale`: one line naming the guideline rule "
                                 "that decides")
        stored = check_record(body, where, lengths, annotator=annotator, created_at=now_iso(),
                              origin={"tool": "label-studio"}, texts=texts)
        checked.append((tasks[sid], stored, rec))
    if not checked:
        raise InputError(f"{answers}: no answers")
    return checked, tasks, texts


def submit_answers(client: LSClient, store: Store, loader: TextLoader, batch: str, annotator: str, answers: Path, *,
                   adjudication: bool = False) -> SubmitReport:
    """Submit the answers as `client`'s user (the annotator's own token), skipping tasks this user
    has answered already."""
    checked, _, texts = check_answers(store, loader, batch, annotator, answers, adjudication=adjudication)
    me = client.whoami()
    report = SubmitReport(batch, annotator, ADJUDICATION if adjudication else "own")
    for task_id, rec, line in checked:
        mine = [a for a in client.json("GET", f"/api/tasks/{int(task_id)}/annotations/")
                if isinstance(a, dict) and _user_id(a.get("completed_by")) == me.get("id")]
        if mine:
            report.already += 1
            continue
        lead = line.get("lead_time")
        if rec.get("status") == "skipped":
            ann = client.create_annotation(task_id, [], lead_time=lead, was_cancelled=True)
            report.skipped += 1
        else:
            result = to_result(rec["labels"], rec["source_spans"], texts[rec["sentence_id"]])
            if adjudication:
                result.append({"id": "r-rationale", "from_name": RATIONALE, "to_name": SENTENCE_TAG,
                               "type": "textarea", "value": {"text": [" ".join(line["rationale"].split())]}})
            ann = client.create_annotation(task_id, result, lead_time=lead)
        report.sent += 1
        report.ids.append(int(ann["id"]))
    return report


def _user_id(value) -> int | None:
    if isinstance(value, dict):
        value = value.get("id")
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
