"""The predictions file format of the official scorer: read it strictly, write it canonically.

JSON Lines, one object per sentence:

    {"id": "<sentence id>", "stance": "neutral", "attribution": "direct",
     "source_type": "media", "event_type": "combat", "source_spans": [[0, 12]]}

- `id` is the dataset's `id` column. Every labelled sentence of the scored split needs one line.
- Any subset of the schema's choice fields may be given (label names as in
  annotation/schema.yaml), but every line must give the same fields: a field that is on some
  lines and not on others is an error, never a silent zero.
- Span fields (`source_spans`) are optional: a list of [start, end] character offsets relative
  to the sentence text, end exclusive ({"start": s, "end": e} objects are accepted too).
- `model`, `version` and `score` may be added (pre-annotation output); they are not scored.

Anything else (invalid JSON, a missing or duplicated id, an unknown label or key) raises
InputError naming the file and line.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from warvoices.corpus.schema import Schema, load_schema
from warvoices.corpus.errors import JsonLinesError, PredictionsError
from warvoices.corpus.records import span_problem
from warvoices.corpus.store import atomic_write_text

# keys a prediction line may carry besides `id` and the schema's fields; not scored
METADATA_KEYS = ("model", "version", "score")


@dataclass
class Predictions:
    source: str
    fields: list[str]                                   # predicted fields, schema order
    labels: dict[str, dict[str, str]] = field(default_factory=dict)   # id -> {field: label}
    spans: dict[str, dict[str, list[tuple[int, int]]]] = field(default_factory=dict)  # id -> {field: spans}
    line: dict[str, int] = field(default_factory=dict)  # id -> line number (1-based)

    @property
    def ids(self) -> list[str]:
        return list(self.line)

    def where(self, sid: str) -> str:
        return f"{self.source}:{self.line[sid]}"


def _span_list(value, where: str, sid: str, fname: str) -> list[tuple[int, int]]:
    if not isinstance(value, list):
        raise PredictionsError(f"{where}: {fname} of id {sid!r} must be a list of [start, end] pairs, "
                         f"got {json.dumps(value)[:60]}")
    out = []
    for item in value:
        if isinstance(item, dict) and set(item) >= {"start", "end"}:
            pair = (item["start"], item["end"])
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            pair = tuple(item)
        else:
            raise PredictionsError(f"{where}: {fname} of id {sid!r} has {json.dumps(item)[:60]}; "
                             f"each span must be [start, end] (character offsets in the sentence)")
        problem = span_problem(list(pair))
        if problem:
            raise PredictionsError(f"{where}: {fname} of id {sid!r}: {problem}; span offsets are whole numbers "
                                   f"with 0 <= start < end")
        out.append(tuple(pair))
    return sorted(set(out))


def parse_predictions(records: Iterable[tuple[int, object]], source: str,
                      schema: Schema | None = None) -> Predictions:
    """Validate (line number, decoded JSON) pairs; see the module docstring for the rules."""
    schema = schema or load_schema()
    choice = {f.name: f for f in schema.choice_fields}
    spans = {f.name for f in schema.span_fields}
    known = ["id", *schema.field_names, *METADATA_KEYS]
    preds = Predictions(source, [])
    first_line_of: dict[str, int] = {}   # field -> first line that predicts it
    present: dict[str, set[str]] = {}    # id -> fields given on its line

    for lineno, rec in records:
        where = f"{source}:{lineno}"
        if not isinstance(rec, dict):
            raise PredictionsError(f"{where}: expected a JSON object like "
                             f'{{"id": ..., "stance": ...}}, got {type(rec).__name__}')
        sid = rec.get("id")
        if sid is None:
            raise PredictionsError(f"{where}: missing id: every line needs the sentence's \"id\" "
                             f"(the dataset's id column)")
        if not isinstance(sid, str) or not sid:
            raise PredictionsError(f"{where}: id must be a non-empty string, got {json.dumps(sid)}")
        if sid in preds.line:
            raise PredictionsError(f"{where}: duplicated id {sid!r}: already predicted on line "
                             f"{preds.line[sid]}; keep one line per sentence")
        unknown = [k for k in rec if k not in known]
        if unknown:
            raise PredictionsError(f"{where}: unknown key {unknown[0]!r} for id {sid!r}; a prediction has "
                             f"\"id\", fields {schema.field_names} and optionally {list(METADATA_KEYS)}")
        preds.line[sid] = lineno
        preds.labels[sid] = {}
        preds.spans[sid] = {}
        for key, value in rec.items():
            if key in choice:
                if value is None:
                    raise PredictionsError(f"{where}: {key} of id {sid!r} is null; give a label name, "
                                     f"or leave {key} out of every line")
                if not isinstance(value, str) or value not in choice[key].label_names:
                    raise PredictionsError(f"{where}: unknown {key} label {json.dumps(value)} for id {sid!r}; "
                                     f"expected one of {choice[key].label_names} "
                                     f"(annotation/schema.yaml)")
                preds.labels[sid][key] = value
            elif key in spans:
                preds.spans[sid][key] = _span_list(value, where, sid, key)
            else:
                continue
            first_line_of.setdefault(key, lineno)
        present[sid] = set(preds.labels[sid]) | set(preds.spans[sid])

    if not preds.line:
        raise PredictionsError(f"{source}: no predictions (empty file); write one JSON object per sentence")
    preds.fields = [f for f in schema.field_names if f in first_line_of]
    if not preds.fields:
        first = next(iter(preds.line))
        raise PredictionsError(f"{preds.where(first)}: id {first!r} predicts no field; give at least one of "
                         f"{schema.field_names}")
    for sid, got in present.items():
        for f in preds.fields:
            if f not in got:
                raise PredictionsError(
                    f"{preds.where(sid)}: id {sid!r} has no {f}, but other lines predict it (first on "
                    f"line {first_line_of[f]}); every line must predict the same fields")
    return preds


def _decoded_lines(path: Path):
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                raise JsonLinesError(f"{path}:{lineno}: invalid JSON ({exc.msg} at column {exc.colno}); "
                                 f"each line must be one JSON object") from None


def read_predictions(path: str | Path, schema: Schema | None = None) -> Predictions:
    path = Path(path)
    if not path.is_file():
        raise PredictionsError(f"{path}: no such predictions file")
    try:
        return parse_predictions(_decoded_lines(path), str(path), schema)
    except UnicodeDecodeError as exc:
        raise PredictionsError(f"{path}: not UTF-8 text ({exc.reason}); save the predictions as UTF-8 JSON Lines") from None


def as_predictions(predictions, schema: Schema | None = None) -> Predictions:
    """A path, a list of prediction dicts, or a Predictions object → Predictions."""
    if isinstance(predictions, Predictions):
        return predictions
    if isinstance(predictions, (str, Path)):
        return read_predictions(predictions, schema)
    return parse_predictions(enumerate(predictions, 1), "<predictions record>", schema)


def prediction_line(sid: str, labels: dict[str, str], spans: dict[str, list] | None = None,
                    **metadata) -> dict:
    rec = {"id": sid, **labels}
    for k, v in (spans or {}).items():
        rec[k] = [list(p) for p in v]
    rec.update({k: v for k, v in metadata.items() if v is not None})
    return rec


def write_predictions(path: str | Path, records: Iterable[dict], key: str = "id") -> int:
    """Write records (sorted by `key`, keys sorted) atomically: same predictions, same bytes."""
    records = sorted(records, key=lambda r: r[key])
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
                   for r in records)
    atomic_write_text(Path(path), text)
    return len(records)
