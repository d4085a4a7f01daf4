"""Fuzz the doors: malformed inputs of five kinds (store records, Label Studio exports, prediction
files, pre-annotation files, schema files), generated with hypothesis. Every one must be refused
with an error id (V0xx, LS0xx, J001, P001, A001, S001 ...), never a traceback, and nothing may be
written. The number of inputs each kind ran is counted; the last test checks the total (≥ 1,000).

Each input is built from a valid one plus one defect that makes it invalid by the contract (a
required key missing or of the wrong type, an unknown label, a span that is not a span, a line
that is not a JSON object, bytes that are not UTF-8 ...), so "accepted" is always a failure."""
from __future__ import annotations

import copy
import itertools
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema_labels import fill_label_studio_results, full_labels
from warvoices.annotation.ls_pull import PullContext, validate_export
from warvoices.corpus.schema import SCHEMA_PATH, load_schema
from warvoices.baselines.predictions import read_predictions
from warvoices.corpus.errors import WarVoicesError
from warvoices.corpus.records import SHAPES
from warvoices.corpus.store import ANNOTATIONS, ARTICLES, FINAL, SENTENCES, Store
from warvoices.corpus.texts import TextLoader
from warvoices.corpus.validate import validate_store

FIX = Path(__file__).parent / "fixtures"
ERROR_ID = re.compile(r"\b(?:V|LS|J|P|A|S|I)\d{3}\b")
RUNS: Counter = Counter()
QUOTA = {"store": 260, "export": 200, "predictions": 240, "preannotation": 150, "schema": 200}
SCHEMA = load_schema()
_counter = itertools.count()

FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much])

# any JSON value; the defects below filter it to the ones a slot must not hold
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 10 ** 6), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=12)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6)


def _not_object_lines(text: str) -> bool:
    """True if some non-blank line of `text` is not a JSON object (so the file is malformed)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return False
    for ln in lines:
        try:
            if not isinstance(json.loads(ln), dict):
                return True
        except ValueError:
            return True
    return False


garbage_lines = st.one_of(
    st.text(min_size=1, max_size=40).filter(_not_object_lines),
    st.binary(min_size=1, max_size=20).map(lambda b: b"\xff" + b),  # not UTF-8
    st.just("{" * 5000),  # deep nesting
)


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _assert_refused(call, root: Path, kind: str) -> str:
    """`call` must raise a WarVoicesError with an id (or return its id); nothing new in `root`."""
    before = _files(root)
    try:
        result = call()
    except WarVoicesError as exc:
        msg = str(exc)
    else:
        msg = result
        assert msg, f"{kind}: a malformed input was accepted"
    assert ERROR_ID.search(msg), f"{kind}: no error id in {msg!r}"
    assert _files(root) == before, f"{kind}: files were written"
    RUNS[kind] += 1
    return msg


# --- store records -------------------------------------------------------------------------------
BASE_STORE = json.loads((FIX / "validation" / "clean.json").read_text(encoding="utf-8"))
FILE_KEY = {ARTICLES: "articles", SENTENCES: "sentences", ANNOTATIONS: "annotations", FINAL: "final"}


@st.composite
def store_defects(draw):
    store = copy.deepcopy({k: BASE_STORE[k] for k in FILE_KEY.values()})
    name = draw(st.sampled_from(sorted(FILE_KEY)))
    recs = store[FILE_KEY[name]]
    i = draw(st.integers(0, len(recs) - 1))
    how = draw(st.sampled_from(["drop", "wrong", "garbage", "label"]))
    lines = {n: [json.dumps(r, ensure_ascii=False).encode() for r in store[k]] for n, k in FILE_KEY.items()}
    if how == "garbage":
        g = draw(garbage_lines)
        lines[name][i] = g if isinstance(g, bytes) else g.encode("utf-8")
    elif how == "label" and name in (ANNOTATIONS, FINAL):
        f = draw(st.sampled_from(SCHEMA.choice_fields))
        recs[i]["labels"][f.name] = draw(st.text(min_size=1, max_size=10).filter(lambda v: v not in f.label_names))
        lines[name][i] = json.dumps(recs[i]).encode()
    else:
        required = [k for k, (req, _, _) in SHAPES[name].items() if req]
        key = draw(st.sampled_from(required))
        if how == "drop":
            del recs[i][key]
        else:
            check = SHAPES[name][key][1]
            recs[i][key] = draw(json_values.filter(lambda v: not check(v)))
        lines[name][i] = json.dumps(recs[i]).encode()
    return lines


@settings(FUZZ, max_examples=QUOTA["store"])
@given(defect=store_defects())
def test_fuzz_store_records(tmp_path_factory, defect):
    root = tmp_path_factory.mktemp("store")
    for name, lines in defect.items():
        (root / name).write_bytes(b"\n".join(lines) + b"\n")

    def run():
        issues = validate_store(Store(root), TextLoader(None))
        return " ".join(str(i) for i in issues if i.severity == "error")
    _assert_refused(run, root, "store")


# --- Label Studio exports --------------------------------------------------------------------------
def _export_base():
    data = json.loads((FIX / "exports" / "clean.json").read_text(encoding="utf-8"))
    fill_label_studio_results(data["export"], written_for=1)
    return data


EXPORT = _export_base()
EXPORT_PATHS = [  # (where in a task) → slots a malformed value can go
    ("task", "id"), ("task", "data"), ("task", "annotations"),
    ("annotation", "id"), ("annotation", "result"), ("annotation", "completed_by"), ("annotation", "was_cancelled"),
    ("annotation", "created_at"), ("result", "value"), ("result", "from_name"), ("result", "type"),
]


@st.composite
def export_defects(draw):
    export = copy.deepcopy(EXPORT["export"])
    how = draw(st.sampled_from(["slot", "drop", "whole", "choice"]))
    if how == "whole":
        return draw(json_values.filter(lambda v: not isinstance(v, list) or (v and not all(isinstance(t, dict) for t in v))))
    task = export[draw(st.integers(0, len(export) - 1))]
    submitted = [a for a in task.get("annotations", []) if not a.get("was_cancelled") and a.get("result")]
    if how == "choice" and submitted:
        res = [r for r in submitted[0]["result"] if r.get("type") == "choices"]
        if res:
            r = draw(st.sampled_from(res))
            names = SCHEMA.field(r["from_name"]).label_names
            r["value"] = {"choices": [draw(st.text(min_size=1, max_size=8).filter(lambda v: v not in names))]}
            return export
    where, key = draw(st.sampled_from(EXPORT_PATHS))
    if where == "task":
        target = task
    elif where == "annotation" and task.get("annotations"):
        target = task["annotations"][0]
    elif submitted:
        target = draw(st.sampled_from(submitted[0]["result"]))
    else:
        target = task
        key = "data"
    if how == "drop":
        target.pop(key, None)
        if key not in ("data", "id", "result", "value", "from_name", "completed_by"):
            target[key] = {"not": "valid"}  # an optional key: give it a wrong value instead
    else:
        old = target.get(key)
        # a value of another type than the slot's (completed_by may also be a {id} object)
        target[key] = draw(json_values.filter(lambda v: v is not None and not isinstance(v, type(old))
                                              and not (key == "completed_by" and isinstance(v, dict))))
    return export


@settings(FUZZ, max_examples=QUOTA["export"])
@given(export=export_defects())
def test_fuzz_label_studio_exports(tmp_path, export):
    data = EXPORT
    ctx = PullContext(project=data["project"], batch=data["batch"], corpus=data["corpus"],
                      annotators={int(k): v for k, v in data["annotators"].items()},
                      project_annotator=data["project_annotator"], prediction=data["prediction"],
                      stored={}, server_id="5e1f0000-0000-4000-8000-000000000001",
                      server_url="http://127.0.0.1:8080")

    def run():
        _, issues = validate_export(export, ctx)
        return " ".join(str(i) for i in issues if i.severity == "error")
    _assert_refused(run, tmp_path, "export")


# --- prediction files ------------------------------------------------------------------------------
PRED_LINES = [json.loads(ln) for ln in (FIX / "predictions" / "golden_mixed.jsonl").read_text().splitlines() if ln.strip()]
SPAN_FIELD = SCHEMA.span_fields[0].name


def _span_list_ok(v) -> bool:
    return isinstance(v, list) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in p)
        and 0 <= p[0] < p[1] for p in v)


@st.composite
def prediction_defects(draw):
    lines = copy.deepcopy(PRED_LINES)
    i = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["label", "span", "id", "unknown_key", "duplicate", "garbage"]))
    out = [json.dumps(r).encode() for r in lines]
    if how == "label":
        f = draw(st.sampled_from(SCHEMA.choice_fields))
        lines[i][f.name] = draw(json_values.filter(lambda v: not (isinstance(v, str) and v in f.label_names)))
    elif how == "span":
        lines[i][SPAN_FIELD] = draw(json_values.filter(lambda v: not _span_list_ok(v)))
    elif how == "id":
        lines[i]["id"] = draw(json_values.filter(lambda v: not (isinstance(v, str) and v)))
    elif how == "unknown_key":
        key = draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in SCHEMA.field_names and k not in ("id",)))
        lines[i][key] = draw(json_values)
    elif how == "duplicate":
        out.append(json.dumps(lines[i]).encode())
    if how == "garbage":
        g = draw(garbage_lines)
        out[i] = g if isinstance(g, bytes) else g.encode("utf-8")
    elif how != "duplicate":
        out[i] = json.dumps(lines[i]).encode()
    return b"\n".join(out) + b"\n"


@settings(FUZZ, max_examples=QUOTA["predictions"])
@given(content=prediction_defects())
def test_fuzz_prediction_files(tmp_path_factory, content):
    root = tmp_path_factory.mktemp("pred")
    path = root / "preds.jsonl"
    path.write_bytes(content)
    _assert_refused(lambda: read_predictions(path), root, "predictions")


# --- pre-annotation files (shown to annotators in Label Studio) --------------------------------------
TEXTS = {"pa-s0000": "The minister said the talks would resume on Friday.", "pa-s0001": "Rain fell in the valley."}
PRE_LINES = [{"sentence_id": sid, "labels": full_labels(), SPAN_FIELD: [], "score": 0.5, "model": "m", "version": "1"}
             for sid in TEXTS]


@st.composite
def preannotation_defects(draw):
    lines = copy.deepcopy(PRE_LINES)
    i = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["labels", "label", "span", "sentence_id", "score", "model", "garbage", "duplicate"]))
    out = None
    if how == "labels":
        lines[i]["labels"] = draw(json_values.filter(lambda v: v is not None and not isinstance(v, dict)))
    elif how == "label":
        f = draw(st.sampled_from(SCHEMA.choice_fields))
        lines[i]["labels"][f.name] = draw(json_values.filter(lambda v: v is not None and not (isinstance(v, str) and v in f.label_names)))
    elif how == "span":
        lines[i][SPAN_FIELD] = draw(json_values.filter(lambda v: v not in (None, []) and not (
            _span_list_ok(v) and False)))
    elif how == "sentence_id":
        lines[i]["sentence_id"] = draw(json_values.filter(lambda v: not (isinstance(v, str) and v)))
    elif how == "score":
        lines[i]["score"] = draw(json_values.filter(lambda v: v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)))))
    elif how == "model":
        lines[i]["model"] = draw(st.text(max_size=6).filter(lambda v: v != "m"))
    elif how == "duplicate":
        lines.append(copy.deepcopy(lines[i]))
    out = [json.dumps(r).encode() for r in lines]
    if how == "garbage":
        g = draw(garbage_lines)
        out[i] = g if isinstance(g, bytes) else g.encode("utf-8")
    return b"\n".join(out) + b"\n"


@settings(FUZZ, max_examples=QUOTA["preannotation"])
@given(content=preannotation_defects())
def test_fuzz_preannotation_files(tmp_path_factory, content):
    from warvoices.annotation.ls_push import load_predictions

    root = tmp_path_factory.mktemp("pre")
    path = root / "pre.jsonl"
    path.write_bytes(content)
    _assert_refused(lambda: load_predictions(path, TEXTS), root, "preannotation")


# --- schema files ----------------------------------------------------------------------------------
import yaml  # noqa: E402

SCHEMA_DATA = yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))


@st.composite
def schema_defects(draw):
    data = copy.deepcopy(SCHEMA_DATA)
    how = draw(st.sampled_from(["top", "field", "kind", "label", "task", "dependency", "garbage", "duplicate_label"]))
    if how == "garbage":
        return draw(st.one_of(st.text(max_size=40).filter(lambda t: not isinstance(_yaml_or_none(t), dict)),
                              st.binary(min_size=1, max_size=10).map(lambda b: b"\xff" + b)))
    if how == "top":
        key = draw(st.sampled_from(["schema_version", "fields", "tasks"]))
        if draw(st.booleans()):
            del data[key]
        else:
            data[key] = draw(json_values.filter(lambda v: not isinstance(v, type(data[key])) or v in ([], 0)))
    elif how in ("field", "kind"):
        f = data["fields"][draw(st.integers(0, len(data["fields"]) - 1))]
        if how == "kind":
            f["kind"] = draw(json_values.filter(lambda v: v not in ("choice", "spans")))
        else:
            key = draw(st.sampled_from(["name", "kind", "labels", "required", "since"]))
            if key in ("name", "kind") and draw(st.booleans()):
                del f[key]
            elif key == "labels" and f["kind"] == "choice" and draw(st.booleans()):
                del f[key]
            else:
                good = {"name": str, "kind": str, "labels": list, "required": bool, "since": int}[key]
                f[key] = draw(json_values.filter(lambda v: not isinstance(v, good) or isinstance(v, bool) != (good is bool)))
    elif how == "label":
        f = draw(st.sampled_from([f for f in data["fields"] if f["kind"] == "choice"]))
        lab = f["labels"][draw(st.integers(0, len(f["labels"]) - 1))]
        lab["name"] = draw(json_values.filter(lambda v: not isinstance(v, str) or v == ""))
    elif how == "duplicate_label":
        f = draw(st.sampled_from([f for f in data["fields"] if f["kind"] == "choice"]))
        f["labels"].append(dict(f["labels"][0]))
    elif how == "task":
        t = data["tasks"][draw(st.integers(0, len(data["tasks"]) - 1))]
        t["fields"] = draw(st.one_of(
            st.lists(st.text(min_size=1, max_size=6).filter(lambda n: n not in [f["name"] for f in data["fields"]]),
                     min_size=1, max_size=2),
            json_values.filter(lambda v: not isinstance(v, list) or not v)))
    elif how == "dependency":
        data["dependencies"].append(draw(st.one_of(
            st.fixed_dictionaries({"when": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2)}),
            st.fixed_dictionaries({"field": st.text(min_size=1, max_size=5).filter(lambda n: n not in [f["name"] for f in data["fields"]]),
                                   "dependents": st.just(["stance"])}),
            json_values.filter(lambda v: not isinstance(v, dict) or not v))))
    return yaml.safe_dump(data, allow_unicode=True)


def _yaml_or_none(text):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


@settings(FUZZ, max_examples=QUOTA["schema"])
@given(content=schema_defects())
def test_fuzz_schema_files(tmp_path_factory, content):
    root = tmp_path_factory.mktemp("schema")
    path = root / f"schema-{next(_counter)}.yaml"  # a new path each time: load_schema caches by path
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    msg = _assert_refused(lambda: load_schema(path), root, "schema")
    assert msg.startswith("S001 ") and str(path) in msg


def test_fuzz_total_is_at_least_a_thousand():
    if set(RUNS) != set(QUOTA):
        pytest.skip(f"only some fuzz kinds ran in this session: {dict(RUNS)}")
    print(f"fuzzed inputs: {dict(RUNS)}, total {sum(RUNS.values())}")
    assert sum(RUNS.values()) >= 1000, dict(RUNS)


