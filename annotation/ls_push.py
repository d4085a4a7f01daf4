"""`warvoices annotate push`: send a batch of whole articles to Label Studio, one project per annotator.

Blind double annotation in the open-source edition (which has no task overlap and no roles):
each annotator gets a project of their own holding the same tasks, so nobody sees anyone
else's labels inside Label Studio. (Every member of the organisation can still open every
project; blindness is by convention — annotators are told to work only in their own project.)

Idempotent and resumable: a task carries its `sentence_id` in its data; before importing, the
push lists the project's tasks on the server and imports only sentences that are missing, in
chunks, rewriting the batch manifest after each chunk. Pushing the same batch again creates
nothing; a push interrupted anywhere can simply be rerun.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from warvoices.corpus.errors import PreannotationError, WarVoicesError
from warvoices.corpus.records import spans_problem
from warvoices.corpus.store import Store, read_jsonl
from warvoices.corpus.texts import TextLoader
from warvoices.corpus.textview import sentence_views

from warvoices.corpus.batch_manifests import (check_batch_name, load_manifest, model_version_string, new_manifest, project_title,
                       save_manifest)
from .ls_client import LSClient
from .ls_config import TASK_VARIABLES, config_fingerprint, render_label_config
from .ls_results import to_result
from warvoices.corpus.schema import Schema, load_schema

DEFAULT_CHUNK = 500


@dataclass
class PushReport:
    batch: str
    sentences: int
    projects: dict[str, dict] = field(default_factory=dict)  # annotator -> {project, new, existing}
    manifest: Path | None = None

    def summary(self) -> str:
        lines = [f"batch {self.batch}: {self.sentences} sentence(s)"]
        for who, p in self.projects.items():
            lines.append(f"  {who:<12} project {p['project']:>4}  {p['new']} task(s) imported, "
                         f"{p['existing']} already there")
        if self.manifest:
            lines.append(f"manifest: {self.manifest}")
        return "\n".join(lines)


def batch_tasks(store: Store, loader: TextLoader, article_ids: list[str],
                only: list[str] | None = None) -> tuple[list[str], dict[str, dict]]:
    """Sentence ids in article order and the task data of each (every config variable present).
    With `only` (a selection's passages), just those units, in that order."""
    if not article_ids:
        raise WarVoicesError("a batch needs at least one article (--articles ID,ID or --articles-file FILE)")
    if len(set(article_ids)) != len(article_ids):
        raise WarVoicesError("an article is listed twice in the batch")
    articles = store.articles()
    views = sentence_views(store, loader, article_ids)
    order: list[str] = []
    data: dict[str, dict] = {}
    for aid in article_ids:
        art = articles[aid]
        mine = sorted((v for v in views.values() if v.article_id == aid), key=lambda v: v.index)
        if not mine:
            raise WarVoicesError(f"article {aid} has no sentences yet; run `warvoices corpus segment` first")
        for v in mine:
            order.append(v.sentence_id)
            data[v.sentence_id] = {
                "sentence_id": v.sentence_id, "title": loader.title(art), "publisher": art.get("publisher") or "",
                "date": art.get("date") or "", "context_before": v.context_before, "text": v.text,
                "context_after": v.context_after,
            }
    if only is not None:
        missing = [sid for sid in only if sid not in data]
        if missing:
            raise WarVoicesError(f"{len(missing)} unit(s) of the batch's selection are not active units of its articles "
                                 f"now (e.g. {missing[0]}; re-segmented?): select a new batch")
        order = list(only)
        data = {sid: data[sid] for sid in order}
    if any(set(d) != set(TASK_VARIABLES) for d in data.values()):  # the config's $variables and the data agree
        raise WarVoicesError(f"task data keys differ from the Label Studio config's variables {sorted(TASK_VARIABLES)}")
    return order, data


def load_predictions(path: Path, texts: dict[str, str], schema: Schema | None = None) -> tuple[dict[str, dict], dict | None]:
    """Model predictions to show annotators: JSON Lines of {sentence_id, labels, source_spans?, score?,
    model?, version?} (what `baselines.preannotate.predictions_for_label_studio` writes).

    Every line is checked against the schema and the batch (Label Studio itself would accept an
    unknown label silently). Returns ({sentence_id: {"result": [...], "score": s}}, {model, version}
    named by the lines, or None when they name none)."""
    from label_studio_sdk.label_interface import LabelInterface

    schema = schema or load_schema()
    li = LabelInterface(render_label_config(schema))
    out: dict[str, dict] = {}
    named: set[tuple] = set()
    outside = 0
    span_name = schema.span_fields[0].name if schema.span_fields else None
    for lineno, rec in read_jsonl(path):
        where = f"{path}:{lineno}"
        for key in ("model", "version"):
            if rec.get(key) is not None and not isinstance(rec[key], (str, int)) or isinstance(rec.get(key), bool):
                raise PreannotationError(f"{where}: {key} must be a string, got {json.dumps(rec[key])[:40]}")
        if rec.get("labels") is not None and not isinstance(rec["labels"], dict):
            raise PreannotationError(f"{where}: labels must be an object of field → label, got "
                                     f"{json.dumps(rec['labels'])[:40]}")
        named.add((rec.get("model"), rec.get("version"), json.dumps(rec.get("fields_from"), sort_keys=True)))
        if len(named) > 1:
            raise PreannotationError(f"{where}: model/version {rec.get('model')!r} {rec.get('version')!r} differs from the lines "
                             "before; one batch shows one model's predictions")
        sid = rec.get("sentence_id")
        if not isinstance(sid, str) or not sid:
            raise PreannotationError(f"{where}: no sentence_id")
        if sid not in texts:
            # a file predicted for the whole unlabeled pool serves every batch: lines for
            # sentences outside this batch are simply not shown
            outside += 1
            continue
        if sid in out:
            raise PreannotationError(f"{where}: a second prediction for sentence {sid}")
        problem = spans_problem(rec.get(span_name), len(texts[sid])) if span_name else None
        if problem:
            raise PreannotationError(f"{where}: {span_name} of {sid}: {problem}")
        try:
            result = to_result(rec.get("labels"), rec.get("source_spans"), texts[sid], schema, prefix="p")
        except (ValueError, TypeError) as exc:
            raise PreannotationError(f"{where}: {exc}") from None
        # a pre-annotation that breaks a schema rule would nudge the annotator into breaking it
        problems = schema.dependency_problems(rec.get("labels") or {}, {f.name: rec.get(f.name) or [] for f in schema.span_fields})
        if problems:
            raise PreannotationError(f"{where}: the prediction breaks a schema rule: {'; '.join(problems)}")
        pred = {"result": result}
        if rec.get("score") is not None:
            if isinstance(rec["score"], bool) or not isinstance(rec["score"], (int, float)):
                raise PreannotationError(f"{where}: score {json.dumps(rec['score'])[:40]} is not a number")
            pred["score"] = float(rec["score"])
        errors = li.validate_prediction(pred, return_errors=True)
        if errors:
            raise PreannotationError(f"{where}: Label Studio's config rejects this prediction: {'; '.join(errors)}")
        out[sid] = pred
    if not out:
        raise PreannotationError(f"{path}: no prediction for any sentence of this batch"
                         + (f" ({outside} line(s) are for other sentences)" if outside else ""))
    model, version, fields_from = next(iter(named))
    if not (model and version):
        return out, None
    info = {"model": str(model), "version": str(version)}
    if json.loads(fields_from):
        info["fields_from"] = json.loads(fields_from)  # a merged pre-annotation: which model gave which field
    return out, info


def _description(batch: str, who: str, fingerprint: str) -> str:
    return (f"WarVoices batch {batch}, annotator {who}. Work only in your own project; the guidelines are "
            f"annotation/guidelines.md. Labeling config {fingerprint} (generated from annotation/schema.yaml).")


def ensure_project(client: LSClient, manifest: dict, who: str, label_config: str, prediction: dict | None) -> dict:
    """The project of `who` for this batch: from the manifest, found by title, or created."""
    batch = manifest["batch"]
    title = project_title(batch, who)
    entry = manifest["projects"].get(who)
    if entry:
        proj = client.project(entry["project"])
        if proj is None or proj.get("title") != title:
            raise WarVoicesError(
                f"batch {batch}: the manifest says {who}'s project is {entry['project']} ({title!r}), but the server at "
                f"{client.url} has {'no such project' if proj is None else repr(proj.get('title'))}. Is this the "
                "server (data directory) the batch was pushed to?")
    else:
        same = [p for p in client.projects() if p.get("title") == title]
        if len(same) > 1:
            raise WarVoicesError(f"the server has {len(same)} projects titled {title!r} ({[p['id'] for p in same]}); "
                                 "delete the extra ones in Label Studio, then push again")
        proj = client.project(same[0]["id"]) if same else None
        if proj is None:
            fields = {"title": title, "label_config": label_config,
                      "description": _description(batch, who, config_fingerprint(label_config)),
                      "show_skip_button": True, "enable_empty_annotation": False, "maximum_annotations": 1,
                      "sampling": "Sequential sampling", "show_annotation_history": False}
            if prediction:
                fields.update(show_collab_predictions=True, model_version=model_version_string(prediction))
            proj = client.create_project(**fields)
        entry = {"project": proj["id"], "title": title, "tasks": {}}
        manifest["projects"][who] = entry
    if proj.get("label_config", "").strip() != label_config.strip():
        raise WarVoicesError(
            f"project {proj['id']} ({title!r}) uses a different labeling config than annotation/schema.yaml gives "
            "now. Annotations of one batch must share one config: push the changed schema as a new batch")
    return entry


def push_batch(client: LSClient, store: Store, loader: TextLoader, batch: str, article_ids: list[str] | None,
               annotators: "dict[str, dict] | Callable[[], dict[str, dict]]", *,
               predictions: dict[str, dict] | None = None,
               prediction_info: dict | None = None, predictions_path: Path | None = None,
               chunk: int = DEFAULT_CHUNK, progress: bool = True) -> PushReport:
    """Push `batch` to one project per annotator; safe to rerun after any interruption.

    `annotators` is {annotator id: users.json record}, or a function giving it that is called once
    every local input (articles, texts, predictions) is checked, e.g. one that creates missing
    accounts: nothing is written anywhere before. `article_ids` may be None for a batch that
    already has a manifest (reuse its articles). With `predictions_path` (+ `prediction_info`
    {model, version}) every task carries the model's prediction, which the projects show."""
    check_batch_name(batch)
    schema = load_schema()
    label_config = render_label_config(schema)
    manifest = load_manifest(store, batch, required=False)
    if manifest and article_ids is not None and list(article_ids) != manifest["articles"]:
        raise WarVoicesError(f"batch {batch} was pushed with articles {manifest['articles']}; a batch never "
                             "changes: choose a new --batch name for other articles")
    only = selection_name = None
    if article_ids is None:
        if manifest is None:
            from .select import load_selection, selection_path

            sel = load_selection(store, batch)
            if sel is None:
                raise WarVoicesError(f"batch {batch} is new: give its articles with --articles or --articles-file, or "
                                     f"choose its passages first with `warvoices annotate select --batch {batch} ...`")
            article_ids, only = sel.articles(), sel.sentence_ids()
            selection_name = selection_path(store, batch).relative_to(store.root).as_posix()
        else:
            article_ids = manifest["articles"]
            if manifest.get("selection"):
                only = manifest["sentences"]
    elif manifest is None:
        from .select import selection_path

        if selection_path(store, batch).exists():
            raise WarVoicesError(f"batch {batch} has a selection ({selection_path(store, batch)}); push it without "
                                 "--articles, or choose another batch name")
    if not annotators:
        raise WarVoicesError("give at least one annotator (--annotators ann-a,ann-b)")
    order, data = batch_tasks(store, loader, list(article_ids), only)
    fingerprint = config_fingerprint(label_config)
    if manifest is None:
        manifest = new_manifest(batch, list(article_ids), order, client.url, fingerprint, schema.version)
        manifest["server_id"] = client.server_id
        if selection_name:
            manifest["selection"] = selection_name
    else:
        if manifest.get("server_id") and client.server_id and manifest["server_id"] != client.server_id:
            raise WarVoicesError(f"batch {batch} was pushed to another Label Studio server ({manifest.get('server')}, "
                                 f"id {manifest['server_id'][:12]}); the server at {client.url} is "
                                 f"{client.server_id[:12]}. Push to that server (its --data-dir), or choose a new "
                                 "--batch name for this one")
        if manifest["sentences"] != order:
            raise WarVoicesError(f"batch {batch}: the articles' sentences changed since the first push (re-segmented?); "
                                 "push them as a new batch")
        if manifest["config"] != fingerprint:
            raise WarVoicesError(f"batch {batch} was pushed with labeling config {manifest['config']}, the schema now "
                                 f"gives {fingerprint}; push the changed schema as a new batch")
        manifest["server"] = client.url
    if predictions_path is not None:
        predictions, named = load_predictions(predictions_path, {s: d["text"] for s, d in data.items()}, schema)
        given = {k: v for k, v in (prediction_info or {}).items() if v}
        if named and given and (given.get("model", named["model"]), given.get("version", named["version"])) != \
                (named["model"], named["version"]):
            raise WarVoicesError(f"{predictions_path} names model {named['model']} {named['version']}, but "
                                 f"--model/--model-version say {given.get('model')} {given.get('version')}")
        prediction_info = {**(named or {}), **given}
        if not prediction_info.get("model") or not prediction_info.get("version"):
            raise WarVoicesError("the predictions file names no model: give --model NAME and --model-version VERSION "
                                 "(recorded as provenance)")
    wanted = None
    if predictions is not None:
        wanted = {"model": prediction_info["model"], "version": prediction_info["version"],
                  "sentences": len(predictions)}
        if prediction_info.get("fields_from"):
            wanted["fields_from"] = prediction_info["fields_from"]
    old = manifest.get("prediction")
    if manifest["projects"] and old != wanted:
        if old is None:
            why = "without predictions"
        else:
            why = f"with predictions of {old['model']} {old['version']} ({old['sentences']} sentences)"
        raise WarVoicesError(f"batch {batch} was pushed {why}; every task of a batch shows the same thing, so rerun "
                             "with the same --predictions/--model/--model-version (or none), or use a new batch name")
    if callable(annotators):
        annotators = annotators()
        if not annotators:
            raise WarVoicesError("give at least one annotator (--annotators ann-a,ann-b)")
    manifest["prediction"] = wanted
    for who, rec in annotators.items():
        manifest["annotators"][who] = {"email": rec["email"], "user_id": rec["user_id"]}

    report = PushReport(batch=batch, sentences=len(order))
    for who in annotators:
        entry = ensure_project(client, manifest, who, label_config, wanted)
        report.manifest = save_manifest(store, manifest)
        existing: dict[str, int] = {}
        for task in client.iter_tasks(entry["project"]):
            sid = (task.get("data") or {}).get("sentence_id")
            if sid in existing:
                raise WarVoicesError(f"project {entry['project']} has two tasks for sentence {sid} ({existing[sid]} and "
                                     f"{task['id']}); delete one in Label Studio, then push again")
            if sid not in data:
                raise WarVoicesError(f"project {entry['project']} holds task {task['id']} for {sid!r}, which is not in "
                                     f"batch {batch}; was the project edited by hand?")
            if task["data"] != data[sid]:
                raise WarVoicesError(f"project {entry['project']} task {task['id']}: its data for {sid} differ from the "
                                     "corpus now (text, context or article metadata changed); push a new batch")
            existing[sid] = task["id"]
        entry["tasks"] = {sid: existing[sid] for sid in order if sid in existing}
        missing = [sid for sid in order if sid not in existing]
        bar = tqdm(total=len(missing), desc=f"push {who}", unit="task", disable=not progress or not missing)
        for i in range(0, len(missing), chunk):
            part = missing[i:i + chunk]
            tasks = []
            for sid in part:
                task = {"data": data[sid]}
                if predictions and sid in predictions:
                    pred = dict(predictions[sid], model_version=model_version_string(wanted))
                    task["predictions"] = [pred]
                tasks.append(task)
            ids = client.import_tasks(entry["project"], tasks)
            entry["tasks"].update(zip(part, ids))
            save_manifest(store, manifest)
            bar.update(len(part))
        bar.close()
        entry["tasks"] = {sid: entry["tasks"][sid] for sid in order}
        report.projects[who] = {"project": entry["project"], "new": len(missing), "existing": len(existing)}
    report.manifest = save_manifest(store, manifest)
    return report
