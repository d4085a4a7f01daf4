"""`warvoices annotate pull`: Label Studio exports → stand-off annotation records, validated first.

`validate_export` is a pure function over one project's JSON export plus the corpus texts: it
returns the annotation records and every problem found, each an `Issue` with a stable id.
`pull_batch` reads every project of a batch, validates all of them, and writes only when no
error was found (one atomic write of annotations.jsonl), so nothing is ever half-written.
The tasks come from `LSClient.iter_annotated_tasks`: for a server WarVoices started, straight
from its SQLite database in the export's form (Label Studio 1.23's export serializes only ~500
tasks/s); otherwise, or with WARVOICES_LS_READ=export, through the JSON export. Both give the
same records (tests/integration/test_ls_pull_database.py).
Records are keyed `ls:<server>:<project>:<annotation>` (plus `:skipped`/`:cancelled` for those),
where <server> is the first 12 hex digits of the server's identity (a UUID written into its data
directory when its database is created, see ls_server): Label Studio numbers projects and
annotations from 1 in every new database, so its own ids are unique only within one server.
Pulling twice adds nothing twice.

Edits after a pull (LS011) are judged on what the annotation says, its status, labels and spans
(not on `lead_time`, which Label Studio raises whenever the form is opened again): undoing an
edit in Label Studio clears the error. An edit can also be accepted as a new revision
(`pull --accept-edits`): it is stored as `<id>:r2` (`:r3`, …) with `origin.revision_of`, the
older record stays in the store as history, and only the latest revision counts downstream.
Records of the older format `ls:<project>:<annotation>` are renamed by `annotate migrate-ids`.

Issue ids (each has a fixture in tests/fixtures/exports/ named after the defect):

  LS000 malformed-export           not the shape of a Label Studio JSON export
  LS001 unknown-label              a field or label name that is not in annotation/schema.yaml
  LS002 missing-required-choice    a submitted annotation without a required choice
  LS003 span-outside-sentence      a span that does not lie inside its sentence
  LS004 span-text-mismatch         a span whose marked text is not the sentence's text there
  LS005 task-not-in-corpus         a task whose sentence is not in the corpus batch
  LS006 duplicate-annotation       one annotator annotated one sentence twice
  LS007 task-text-changed          the task's sentence text differs from the corpus text
  LS008 unknown-annotator          completed by a user who is not a registered annotator
  LS009 wrong-project              an annotator worked in another annotator's project
  LS010 inconsistent-attribution   (warning) attribution/source type/spans contradict each other
  LS011 changed-after-pull         an answer edited or withdrawn in Label Studio after it was pulled
                                   (status, labels or spans differ; the message lists each field)

Status: an annotation with `was_cancelled` is `skipped` when nothing was marked and
`cancelled` when the annotator had started (their partial labels are not kept). Both are
recorded, not dropped. Span offsets are character (code point) offsets relative to the sentence;
Label Studio's browser code can give UTF-16 offsets after an emoji (label-studio issue #1347),
so offsets that match the marked text only as UTF-16 units are converted.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from typing import TYPE_CHECKING

from tqdm import tqdm

from warvoices.corpus.records import is_int
from warvoices.corpus.errors import Issue, WarVoicesError
from warvoices.corpus.store import Store
from warvoices.corpus.texts import TextLoader

from warvoices.corpus.batch_manifests import load_manifest, model_version_string, save_manifest
from .ls_config import RATIONALE, SENTENCE_TAG
from .ls_server import short_server_id

if TYPE_CHECKING:  # the client needs httpx (the [annotation] extra); only commands that talk to a server load it
    from .ls_client import LSClient
from warvoices.corpus.schema import Schema, guidelines_version, load_schema

TOOL = "label-studio"
ISSUE_NAMES = {
    "LS000": "malformed-export", "LS001": "unknown-label", "LS002": "missing-required-choice",
    "LS003": "span-outside-sentence", "LS004": "span-text-mismatch", "LS005": "task-not-in-corpus",
    "LS006": "duplicate-annotation", "LS007": "task-text-changed", "LS008": "unknown-annotator",
    "LS009": "wrong-project", "LS010": "inconsistent-attribution", "LS011": "changed-after-pull",
}


class PullError(WarVoicesError):
    """An export failed validation; nothing was written."""

    def __init__(self, issues: list[Issue], what: str):
        self.issues = issues
        errors = [i for i in issues if i.severity == "error"]
        shown = "\n".join(f"  {i}" for i in errors[:30])
        more = f"\n  … and {len(errors) - 30} more" if len(errors) > 30 else ""
        super().__init__(f"{what}: {len(errors)} problem(s) in the Label Studio export; nothing was written.\n"
                         f"{shown}{more}\nFix them in Label Studio (the pointer names project, task and annotation), "
                         "then pull again.")


@dataclass
class PullContext:
    """What an export is checked against."""

    project: int
    batch: str
    corpus: dict[str, str]  # sentence_id -> sentence text (of the batch's articles)
    annotators: dict[int, str]  # Label Studio user id -> annotator id
    project_annotator: str | None = None  # whose project this is (None: any registered annotator)
    prediction: dict | None = None  # {model, version} shown in this batch, if any
    stored: dict[str, dict] = field(default_factory=dict)  # annotation_id -> record already in the store
    server_id: str = "0" * 32  # identity of the server the export came from (ls_server.ensure_identity)
    server_url: str | None = None
    # the guidelines the batch is annotated under (recorded in every pulled record; default: current)
    guideline_version: int = field(default_factory=guidelines_version)
    accept_edits: bool | set = False  # True, or Label Studio annotation ids whose edits become revisions
    adjudication: bool = False  # the batch's adjudication project (its form adds a one-line rationale)


def _iso(value) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _utf16_to_codepoints(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Code point offsets for UTF-16 unit offsets into `text`, or None if they split a character."""
    units = 0
    pos = {0: 0}
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        pos[units] = i + 1
    if start in pos and end in pos:
        return pos[start], pos[end]
    return None


class _Checker:
    def __init__(self, ctx: PullContext, schema: Schema):
        self.ctx = ctx
        self.schema = schema
        self.issues: list[Issue] = []
        self.choice = {f.name: f for f in schema.choice_fields}
        self.spans = {f.name: f for f in schema.span_fields}

    def add(self, id_: str, pointer: str, message: str, severity: str = "error") -> None:
        self.issues.append(Issue(id_, severity, pointer, f"{ISSUE_NAMES[id_]}: {message}"))

    def where(self, task_id, ann_id=None) -> str:
        p = f"project {self.ctx.project} task {task_id}"
        return p + (f" annotation {ann_id}" if ann_id is not None else "")

    def result_to_labels(self, result: list, text: str, ptr: str) -> tuple[dict, list[list[int]], bool]:
        """(labels, spans, ok) for one annotation's result list."""
        labels: dict[str, str | None] = {}
        spans: list[list[int]] = []
        ok = True
        self.rationale = None
        for k, region in enumerate(result):
            rptr = f"{ptr} region {k}"
            if not isinstance(region, dict) or not isinstance(region.get("value"), dict) \
                    or not isinstance(region.get("from_name"), str):
                self.add("LS000", rptr, "a result region needs from_name and a value object")
                ok = False
                continue
            name, value, rtype = region["from_name"], region["value"], region.get("type")
            if region.get("to_name", SENTENCE_TAG) != SENTENCE_TAG:
                self.add("LS000", rptr, f"region {name!r} points at {region.get('to_name')!r}, not the sentence")
                ok = False
                continue
            if name in self.choice:
                f = self.choice[name]
                choices = value.get("choices")
                if rtype != "choices" or not isinstance(choices, list) or len(choices) != 1 \
                        or not isinstance(choices[0], str):
                    self.add("LS000", rptr, f"{name} must hold exactly one choice, got {choices!r}")
                    ok = False
                elif choices[0] not in f.label_names:
                    self.add("LS001", rptr, f"{name} label {choices[0]!r} is not in the schema "
                                            f"(allowed: {', '.join(f.label_names)})")
                    ok = False
                elif name in labels:
                    self.add("LS000", rptr, f"{name} is answered twice in one annotation")
                    ok = False
                else:
                    labels[name] = choices[0]
            elif name == RATIONALE and self.ctx.adjudication:
                text_ = value.get("text")
                text_ = text_[0] if isinstance(text_, list) and text_ else text_
                if rtype != "textarea" or not isinstance(text_, str):
                    self.add("LS000", rptr, "the rationale must be one line of text")
                    ok = False
                else:
                    self.rationale = " ".join(text_.split())
            elif name in self.spans:
                f = self.spans[name]
                got = value.get("labels")
                start, end, marked = value.get("start"), value.get("end"), value.get("text")
                if rtype != "labels" or not isinstance(got, list) or not all(is_int(x) for x in (start, end)):
                    self.add("LS000", rptr, f"{name} span needs integer start/end and a labels list")
                    ok = False
                    continue
                if got != [f.span_label]:
                    self.add("LS001", rptr, f"{name} span label {got!r} is not [{f.span_label!r}]")
                    ok = False
                    continue
                if not (0 <= start < end <= len(text)):
                    fixed = None
                    if isinstance(marked, str) and len(text.encode("utf-16-le")) // 2 >= end:
                        fixed = _utf16_to_codepoints(text, start, end)
                    if fixed is None or text[fixed[0]:fixed[1]] != marked:
                        self.add("LS003", rptr, f"span [{start}, {end}) lies outside the sentence "
                                                f"({len(text)} characters)")
                        ok = False
                        continue
                    start, end = fixed
                if marked is not None and text[start:end] != marked:
                    fixed = _utf16_to_codepoints(text, start, end) if isinstance(marked, str) else None
                    if fixed and text[fixed[0]:fixed[1]] == marked:
                        start, end = fixed
                    else:
                        self.add("LS004", rptr, f"span [{start}, {end}) marks {marked!r} but the sentence has "
                                                f"{text[start:end]!r} there")
                        ok = False
                        continue
                spans.append([start, end])
            else:
                self.add("LS001", rptr, f"field {name!r} is not in the schema "
                                        f"(fields: {', '.join(self.schema.field_names)})")
                ok = False
        return labels, [list(s) for s in sorted({tuple(s) for s in spans})], ok

    def consistency(self, labels: dict, spans: list, ptr: str) -> None:
        span_field = self.schema.span_fields[0].name if self.schema.span_fields else "source_spans"
        for problem in self.schema.dependency_problems(labels, {span_field: spans}):
            self.add("LS010", ptr, problem, "warning")


def validate_export(export, ctx: PullContext, schema: Schema | None = None) -> tuple[list[dict], list[Issue]]:
    """Turn one project's JSON export into annotation records; report every problem found.

    Pure: reads nothing but its arguments. Records are returned even when there are errors
    (callers must not write them then)."""
    schema = schema or load_schema()
    ch = _Checker(ctx, schema)
    records: list[dict] = []
    if isinstance(export, (dict, str, bytes)) or not isinstance(export, Iterable):
        ch.add("LS000", f"project {ctx.project}", f"an export is a JSON list of tasks, got {type(export).__name__}")
        return [], ch.issues
    seen: dict[tuple[str, str], str] = {}
    for t_index, task in enumerate(export):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict) or not is_int(task.get("id")) \
                or not isinstance(task.get("annotations", []), list):
            ch.add("LS000", f"project {ctx.project} task #{t_index}", "a task needs an id, a data object and an "
                                                                     "annotations list")
            continue
        tid = task["id"]
        sid = task["data"].get("sentence_id")
        text = ctx.corpus.get(sid) if isinstance(sid, str) else None
        if text is None:
            ch.add("LS005", ch.where(tid), f"sentence {sid!r} is not in the corpus batch {ctx.batch}")
            continue
        if task["data"].get("text") != text:
            ch.add("LS007", ch.where(tid), f"the task shows a different text for {sid} than the corpus has now "
                                           "(re-segmented or edited?); its offsets cannot be trusted")
            continue
        shown_prediction = bool(task.get("predictions"))
        for ann in task.get("annotations", []):
            if not isinstance(ann, dict) or not is_int(ann.get("id")) or not isinstance(ann.get("result"), list) \
                    or not isinstance(ann.get("was_cancelled", False), (bool, type(None))):
                ch.add("LS000", ch.where(tid), "an annotation needs a whole-number id, a result list and "
                                               "was_cancelled true/false")
                continue
            aid = ann["id"]
            ptr = ch.where(tid, aid)
            user = ann.get("completed_by")
            if isinstance(user, dict):
                user = user.get("id")
            who = ctx.annotators.get(user) if isinstance(user, int) else None
            if who is None:
                ch.add("LS008", ptr, f"completed by Label Studio user {user!r}, who is not a registered annotator; "
                                     "map the account with `warvoices annotate users add NAME --email EMAIL`")
                continue
            if ctx.project_annotator and who != ctx.project_annotator:
                ch.add("LS009", ptr, f"{who} annotated in {ctx.project_annotator}'s project; each annotator works only "
                                     "in their own project (delete this annotation in Label Studio)")
                continue
            created = _iso(ann.get("created_at"))
            if created is None:
                ch.add("LS000", ptr, f"created_at {ann.get('created_at')!r} is not an ISO 8601 time")
                continue
            key = (sid, who)
            if key in seen:
                ch.add("LS006", ptr, f"{who} already annotated {sid} ({seen[key]}); delete one of the two in "
                                     "Label Studio")
                continue
            seen[key] = f"project {ctx.project} annotation {aid}"
            cancelled = bool(ann.get("was_cancelled"))
            labels_, spans, ok = ch.result_to_labels(ann["result"], text, ptr)
            if cancelled:
                status, labels, spans = ("cancelled" if ann["result"] else "skipped"), None, []
            else:
                if not ok:
                    continue
                status = "submitted"
                missing = [f.name for f in schema.required_fields(ctx.guideline_version) if f.name not in labels_]
                if missing:
                    ch.add("LS002", ptr, f"required choice(s) {', '.join(missing)} not answered")
                    continue
                labels = {f.name: labels_.get(f.name) for f in schema.choice_fields}
                ch.consistency(labels, spans, ptr)
            lead = ann.get("lead_time")
            pred = None
            shown = ann.get("prediction") if isinstance(ann.get("prediction"), dict) else {}
            if shown.get("model_version") or shown_prediction:
                pred = _prediction_provenance(shown.get("model_version"), ctx.prediction)
            base = annotation_id(ctx.server_id, ctx.project, aid, status)
            rec = {
                "annotation_id": base, "sentence_id": sid, "annotator": who,
                "created_at": created, "status": status, "labels": labels, "source_spans": spans,
                "origin": {"tool": TOOL, "server_id": ctx.server_id, "server_url": ctx.server_url,
                           "project": ctx.project, "task": tid, "annotation": aid, "batch": ctx.batch,
                           "lead_time": float(lead) if isinstance(lead, (int, float)) else None,
                           "prediction": pred},
                "guideline_version": ctx.guideline_version,
            }
            if ctx.adjudication and ch.rationale:
                rec["rationale"] = ch.rationale
            # a skip later turned into an answer is a new record (its id carries the status); an
            # answer that was pulled and then edited or withdrawn is a change of stored data
            old = latest_revision(ctx.stored, annotation_id(ctx.server_id, ctx.project, aid, "submitted"))
            if old is None:
                old = ctx.stored.get(base)
            if old is not None:
                diff = essential_diff(old, rec)
                if not diff:
                    records.append(old)  # unchanged: the stored record stands (lead_time etc. may differ)
                    continue
                if ctx.accept_edits is True or (ctx.accept_edits and aid in ctx.accept_edits):
                    records.append(revision(old, rec, _iso(ann.get("updated_at"))))
                    continue
                ch.add("LS011", ptr, f"changed in Label Studio after it was pulled as {old['annotation_id']}: "
                                     f"{'; '.join(diff)}. Stored annotations are immutable: undo the edit in Label "
                                     "Studio and pull again, or keep the edit as a new revision with "
                                     f"`--accept-edits` (or `--accept-edit {aid}`; the stored one stays as history)")
                continue
            records.append(rec)
    return records, ch.issues


def annotation_id(server_id: str, project: int, annotation: int, status: str) -> str:
    """`ls:<server>:<project>:<annotation>` for an answer; skipped/cancelled ones get the status
    appended, so an annotator who skips a task and answers it later leaves two records, not a
    conflict. <server> is the short form of the server's identity (see ls_server)."""
    base = f"ls:{short_server_id(server_id)}:{project}:{annotation}"
    return base if status == "submitted" else f"{base}:{status}"


LEGACY_ID = re.compile(r"^ls:(\d+):(\d+)(:skipped|:cancelled)?$")
REVISION = re.compile(r"^(.*):r(\d+)$")
ESSENTIAL = ("status", "labels", "source_spans")


def latest_revision(stored: dict[str, dict], base: str) -> dict | None:
    """The newest stored revision of the answer `base` (`base`, `base:r2`, …), or None."""
    rec, n = stored.get(base), 2
    while f"{base}:r{n}" in stored:
        rec, n = stored[f"{base}:r{n}"], n + 1
    return rec


def essential_diff(old: dict, new: dict) -> list[str]:
    """What an edit changed, field by field: status, each label, the spans. Empty: the same answer."""
    out = []
    if old.get("status") != new.get("status"):
        out.append(f"status: stored {old.get('status')!r}, now {new.get('status')!r}")
    ol, nl = old.get("labels") or {}, new.get("labels") or {}
    for name in sorted(set(ol) | set(nl)):
        if ol.get(name) != nl.get(name):
            out.append(f"{name}: stored {ol.get(name)!r}, now {nl.get(name)!r}")
    if (old.get("source_spans") or []) != (new.get("source_spans") or []):
        out.append(f"source_spans: stored {old.get('source_spans') or []}, now {new.get('source_spans') or []}")
    return out


def revision(old: dict, new: dict, updated_at: str | None) -> dict:
    """`new` as the next revision of the stored `old` (which stays in the store as history)."""
    m = REVISION.match(old["annotation_id"])
    base, n = (m.group(1), int(m.group(2))) if m else (old["annotation_id"], 1)
    rec = dict(new, annotation_id=f"{base}:r{n + 1}")
    rec["origin"] = dict(new["origin"], revision_of=old["annotation_id"])
    # the revision must count as the annotator's latest answer (agreement.collect_answers)
    when = updated_at or new["created_at"]
    if datetime.fromisoformat(when.replace("Z", "+00:00")) <= datetime.fromisoformat(
            old["created_at"].replace("Z", "+00:00")):
        when = datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
    rec["created_at"] = when
    return rec


def _no_identity() -> str:
    raise WarVoicesError("this Label Studio client has no server identity; connect through "
                         "`warvoices.annotation.ls_client.connect` (it reads DATA_DIR/warvoices/server-id.json)")


def _prediction_provenance(model_version: str | None, batch_prediction: dict | None) -> dict:
    if batch_prediction and (model_version is None or model_version == model_version_string(batch_prediction)):
        out = {"model": batch_prediction["model"], "version": batch_prediction["version"]}
        if batch_prediction.get("fields_from"):
            out["fields_from"] = batch_prediction["fields_from"]
        return out
    model, _, version = (model_version or "unknown").rpartition("@")
    return {"model": model or model_version or "unknown", "version": version if model else None}


# -- the whole batch -----------------------------------------------------------------------
@dataclass
class PullReport:
    batch: str
    per_project: dict[str, dict] = field(default_factory=dict)
    added: int = 0
    already: int = 0
    warnings: list[Issue] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"batch {self.batch}:"]
        for who, p in self.per_project.items():
            counts = ", ".join(f"{n} {s}" for s, n in sorted(p["status"].items())) or "no annotations yet"
            lines.append(f"  {who:<12} project {p['project']:>4}: {counts}; {p['unannotated']} task(s) not annotated yet")
        lines.append(f"annotations.jsonl: {self.added} record(s) added, {self.already} already there")
        for w in self.warnings[:20]:
            lines.append(f"  {w}")
        if len(self.warnings) > 20:
            lines.append(f"  … and {len(self.warnings) - 20} more warnings")
        return "\n".join(lines)


def batch_corpus(store: Store, loader: TextLoader, manifest: dict) -> dict[str, str]:
    from warvoices.corpus.textview import sentence_texts

    return sentence_texts(store, loader, manifest["articles"])


def check_server(client: LSClient, manifest: dict) -> bool:
    """The batch must be pulled from the server it was pushed to: same identity, same project titles.
    True when the manifest, written before servers had identities, should adopt the client's (the
    caller saves it once everything else is checked)."""
    batch = manifest["batch"]
    want = manifest.get("server_id")
    if want and client.server_id and want != client.server_id:
        raise WarVoicesError(
            f"batch {batch} was pushed to the Label Studio server {short_server_id(want)} "
            f"({manifest.get('server')}); the server at {client.url} is {short_server_id(client.server_id)}. "
            "Connect to the server the batch was pushed to (its --data-dir); a new data directory is a new server")
    projects = dict(manifest.get("projects") or {})
    if manifest.get("adjudication"):
        projects["adjudication"] = manifest["adjudication"]
    for who, entry in projects.items():
        proj = client.project(entry["project"])
        if proj is None or proj.get("title") != entry["title"]:
            raise WarVoicesError(
                f"batch {batch}: project {entry['project']} should be {entry['title']!r}, but the server at "
                f"{client.url} has {'no such project' if proj is None else repr(proj.get('title'))}. Is this the "
                "server (data directory) the batch was pushed to?")
    return not want and bool(client.server_id)


def legacy_ids(records: list[dict], batch: str) -> list[str]:
    return [r["annotation_id"] for r in records
            if LEGACY_ID.match(str(r.get("annotation_id"))) and (r.get("origin") or {}).get("batch") == batch]


def pull_batch(client: LSClient, store: Store, loader: TextLoader, batch: str, annotators: dict[int, str],
               progress: bool = True, accept_edits: bool | set = False) -> PullReport:
    """Export every annotator project of `batch`, validate everything, then write once.

    `accept_edits` (True, or a set of Label Studio annotation ids) stores edits made after an
    earlier pull as new revisions instead of reporting LS011."""
    manifest = load_manifest(store, batch)
    if not manifest["projects"]:
        raise WarVoicesError(f"batch {batch} has no projects yet; push it first")
    stored_records = store.annotations()
    old = legacy_ids(stored_records, batch)
    if old:
        raise WarVoicesError(f"{store.path('annotations.jsonl')} holds {len(old)} record(s) of batch {batch} with ids "
                             f"of the old format (e.g. {old[0]}), which do not name their server; rename them first "
                             "with `warvoices annotate migrate-ids` (see its --help)")
    adopt = check_server(client, manifest)
    corpus = batch_corpus(store, loader, manifest)
    # users recorded at push time count as well (a data directory's users.json may be newer)
    known = {int(v["user_id"]): k for k, v in manifest.get("annotators", {}).items()}
    known.update(annotators)
    stored = {r["annotation_id"]: r for r in stored_records}
    del stored_records  # the dict holds the same records; the list would be a second index
    gv = guidelines_version()
    report = PullReport(batch=batch)
    all_records: list[dict] = []
    issues: list[Issue] = []
    for who, entry in tqdm(manifest["projects"].items(), desc="pull", unit="project", disable=not progress):
        in_batch = set(entry["tasks"].values())
        found_extra: list[Issue] = []
        n_tasks = 0

        def tasks_of(project: int = entry["project"]):
            # one pass: tasks stream from the export into validation; counted and checked here
            nonlocal n_tasks
            for task in client.iter_annotated_tasks(project):
                n_tasks += 1
                if isinstance(task, dict) and task.get("id") not in in_batch:
                    found_extra.append(Issue("LS005", "error", f"project {project} task {task.get('id')}",
                                             f"{ISSUE_NAMES['LS005']}: task is not in batch {batch}'s manifest"))
                yield task

        ctx = PullContext(project=entry["project"], batch=batch, corpus=corpus, annotators=known,
                          project_annotator=who, prediction=manifest.get("prediction"), stored=stored,
                          server_id=client.server_id or _no_identity(), server_url=client.url,
                          guideline_version=gv, accept_edits=accept_edits)
        recs, found = validate_export(tasks_of(), ctx)
        issues.extend(found)
        issues.extend(found_extra)
        all_records.extend(recs)
        status: dict[str, int] = {}
        for r in recs:
            status[r["status"]] = status.get(r["status"], 0) + 1
        report.per_project[who] = {"project": entry["project"], "status": status,
                                   "unannotated": len(entry["tasks"]) - n_tasks}
    # one annotator, one sentence, across projects too
    seen: dict[tuple[str, str], str] = {}
    for r in all_records:
        key = (r["sentence_id"], r["annotator"])
        if key in seen and seen[key] != r["annotation_id"]:
            o = r["origin"]
            issues.append(Issue("LS006", "error", f"project {o['project']} task {o['task']} annotation {o['annotation']}",
                                f"{ISSUE_NAMES['LS006']}: {r['annotator']} also annotated {r['sentence_id']} as "
                                f"{seen[key]}"))
        seen[key] = r["annotation_id"]
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise PullError(issues, f"pull of batch {batch}")
    report.warnings = [i for i in issues if i.severity != "error"]
    # the records read above are the ones merged into: the annotation file is not read a second time
    report.added, report.already = store.add_annotations(all_records, existing=stored)
    if adopt:
        manifest["server_id"] = client.server_id
        save_manifest(store, manifest)
    return report
