"""Load the one declarative schema (annotation/schema.yaml) and answer questions about it.

Every label set used anywhere in WarVoices comes from here; nothing else spells a label name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from warvoices.corpus.errors import SchemaError

# The data file stays in annotation/ (its path is used everywhere and in the docs); only this
# module, the schema kernel, lives with the other kernel modules in corpus/.
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "annotation" / "schema.yaml"

# The shape of schema.yaml, checked before anything reads it (a misspelt `kind: choise` or a
# field without `kind` is an S001 error naming file and line, never a silently dropped field).
_NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_TEXT = {"type": "string"}
SCHEMA_SHAPE = {
    "type": "object",
    "required": ["schema_version", "fields", "tasks"],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"type": "integer", "minimum": 1},
        "guidelines_version": {"type": "integer", "minimum": 1},
        "fields": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["name", "kind"],
            "additionalProperties": False,
            "properties": {
                "name": _NAME, "kind": {"enum": ["choice", "spans"]}, "required": {"type": "boolean"},
                "since": {"type": "integer", "minimum": 1}, "title": _TEXT, "question": _TEXT,
                "description": _TEXT, "span_label": _TEXT, "null_label": _TEXT,
                "labels": {"type": "array", "items": {
                    "type": "object", "required": ["name"], "additionalProperties": False,
                    "properties": {"name": {"type": "string", "minLength": 1}, "definition": _TEXT}}},
            },
            "if": {"properties": {"kind": {"const": "choice"}}, "required": ["kind"]},
            "then": {"required": ["labels"], "properties": {"labels": {"minItems": 1}}},
        }},
        "tasks": {"type": "array", "items": {
            "type": "object", "required": ["name", "fields"], "additionalProperties": False,
            "properties": {"name": _NAME, "fields": {"type": "array", "minItems": 1, "items": _NAME},
                           "metric": {"enum": ["macro_f1"]}},
        }},
        "dependencies": {"type": "array", "items": {"oneOf": [
            {"type": "object", "required": ["field", "dependents"], "additionalProperties": False,
             "properties": {"field": _NAME, "dependents": {"type": "array", "minItems": 1, "items": _NAME}}},
            {"type": "object", "required": ["when", "then"], "additionalProperties": False,
             "properties": {"when": {"type": "object"}, "then": {"type": "object"}}},
        ]}},
        "vocabularies": {"type": "object", "additionalProperties": {
            "type": "array", "items": {"type": "string"}}},
    },
}


@dataclass(frozen=True)
class Label:
    name: str
    definition: str


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # "choice" or "spans"
    required: bool
    title: str
    question: str
    description: str = ""
    labels: tuple[Label, ...] = ()
    span_label: str | None = None
    null_label: str | None = None  # the label meaning "does not apply" (e.g. no attribution)
    since: int = 1  # guideline version that introduced the field; older records lack it

    @property
    def label_names(self) -> list[str]:
        return [lab.name for lab in self.labels]

    def index(self, label: str) -> int:
        try:
            return self.label_names.index(label)
        except ValueError:
            raise KeyError(f"unknown {self.name} label {label!r}; expected one of {self.label_names}") from None


@dataclass(frozen=True)
class Task:
    name: str
    fields: tuple[str, ...]
    metric: str


@dataclass(frozen=True)
class Rule:
    """A conditional consistency rule: when every `when` label holds, each `then` field has its
    label (schema `dependencies`, entries with when/then)."""

    when: tuple[tuple[str, str], ...]
    then: tuple[tuple[str, str], ...]

    def describe(self) -> str:
        cond = " and ".join(f"{k} is {v!r}" for k, v in self.when)
        return f"when {cond}, " + " and ".join(f"{k} must be {v!r}" for k, v in self.then)


@dataclass(frozen=True)
class Problem:
    """One broken consistency rule: `kind` is "null" (field/dependents) or "rule" (when/then);
    `fields` are the fields involved (the ones to look at again)."""

    kind: str
    fields: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Schema:
    version: int
    fields: tuple[Field, ...]
    tasks: tuple[Task, ...]
    vocabularies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    path: Path = SCHEMA_PATH
    dependencies: tuple[tuple[str, tuple[str, ...]], ...] = ()
    rules: tuple[Rule, ...] = ()
    guidelines_version: int = 0  # 0: not given, the schema version stands for it

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"no field {name!r} in {self.path}")

    def task(self, name: str) -> Task:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(f"no task {name!r} in {self.path}; tasks: {[t.name for t in self.tasks]}")

    @property
    def choice_fields(self) -> list[Field]:
        return [f for f in self.fields if f.kind == "choice"]

    @property
    def span_fields(self) -> list[Field]:
        return [f for f in self.fields if f.kind == "spans"]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def guideline_version(self) -> int:
        """The guideline version current labels are made under (falls back to schema_version)."""
        return self.guidelines_version or self.version

    def fields_for_version(self, version: int) -> list[Field]:
        """The fields a record made under guideline `version` has (a field exists from `since`)."""
        return [f for f in self.fields if f.since <= version]

    def required_fields(self, version: int) -> list[Field]:
        """Required choice fields of a record made under guideline `version`."""
        return [f for f in self.fields_for_version(version) if f.kind == "choice" and f.required]

    @staticmethod
    def stated_version(rec: dict):
        """The guideline version a record states, as stored: its `guideline_version` (the store
        contract), else `origin.guideline_version` (where a Label Studio pull may put it); a
        string of digits counts as that number. None when the record states none."""
        v = rec.get("guideline_version")
        if v is None:
            v = (rec.get("origin") or {}).get("guideline_version") if isinstance(rec.get("origin"), dict) else None
        if isinstance(v, str) and v.isdigit():
            v = int(v)
        return v

    def record_version(self, rec: dict) -> int:
        """Guideline version of an annotation or final record. Records written before versions
        were recorded carry none and are version 1 (validation warns about them, V033)."""
        v = self.stated_version(rec)
        return 1 if v is None else v

    def dependency_problems(self, labels: dict, spans: dict[str, list] | None = None) -> list[str]:
        """Messages of `consistency_problems` (kept for callers that only report text)."""
        return [p.message for p in self.consistency_problems(labels, spans)]

    def consistency_problems(self, labels: dict, spans: dict[str, list] | None = None) -> list[Problem]:
        """Where labels break a consistency rule of the schema (`dependencies`). The one check
        used by validation, direct imports, Label Studio pulls, pre-annotations and aggregation.

        field/dependents: a dependent must be empty exactly when its field has the null label.
        when/then: when every `when` label holds, each `then` field must have its label.
        `spans` maps span field names to their spans; fields missing from `labels` (or with
        None) are not judged, so version-1 records without about_war pass the about_war rule."""
        spans = spans or {}
        problems: list[Problem] = []
        for rule in self.rules:
            if not all(labels.get(k) == v for k, v in rule.when):
                continue
            for dep, want in rule.then:
                got = labels.get(dep)
                if got is not None and got != want:
                    cond = " and ".join(f"{k} is {v!r}" for k, v in rule.when)
                    problems.append(Problem("rule", (*(k for k, _ in rule.when), dep),
                                            f"{cond} but {dep} is {got!r}: it must be {want!r}"))
        for name, dependents in self.dependencies:
            value = labels.get(name)
            if value is None:
                continue
            is_null = value == self.field(name).null_label
            for dep in dependents:
                f = self.field(dep)
                if f.kind == "spans":
                    if dep not in spans:
                        continue
                    empty = not spans[dep]
                    if is_null and not empty:
                        problems.append(Problem("null", (name, dep), f"{name} is {value!r} but {dep} are marked"))
                    # a source need not be mentioned in the unit, so spans may be empty otherwise
                else:
                    dv = labels.get(dep)
                    if dv is None:
                        continue
                    if is_null != (dv == f.null_label):
                        problems.append(Problem("null", (name, dep), f"{name} is {value!r} but {dep} is {dv!r}: "
                                                f"both should be {self.field(name).null_label!r} or neither"))
        return problems

    def reconcile(self, labels: dict, spans: dict[str, list] | None = None) -> tuple[dict, dict]:
        """Labels (and spans) that keep the schema's rules, for machine predictions shown to
        annotators: a when/then rule that holds sets its `then` labels; a null field empties its
        dependents; a dependent left null under a non-null field is dropped (the annotator
        decides it). Independent per-field models can otherwise predict e.g. about_war "no" with
        stance "pro_russia". Returns new dicts; `consistency_problems` of the result is empty."""
        labels, spans = dict(labels), {k: list(v) for k, v in (spans or {}).items()}
        for rule in self.rules:
            if all(labels.get(k) == v for k, v in rule.when):
                for dep, want in rule.then:
                    if dep in labels:
                        labels[dep] = want
        for name, dependents in self.dependencies:
            value = labels.get(name)
            if value is None:
                continue
            null = self.field(name).null_label
            for dep in dependents:
                f = self.field(dep)
                if f.kind == "spans":
                    if value == null and dep in spans:
                        spans[dep] = []
                elif dep in labels and labels[dep] is not None:
                    if value == null:
                        labels[dep] = f.null_label
                    elif labels[dep] == f.null_label:
                        del labels[dep]
        return labels, spans

    def vocabulary(self, name: str) -> tuple[str, ...]:
        try:
            return self.vocabularies[name]
        except KeyError:
            raise KeyError(f"no vocabulary {name!r} in {self.path}") from None


def _line(node, keys) -> int | None:
    """The 1-based line of the YAML node at `keys` (a JSON path), or of its nearest parent."""
    line = None
    for key in keys:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
    return node.start_mark.line + 1 if node is not None else line


def _pointer(keys) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else (f".{k}" if i else str(k)) for i, k in enumerate(keys)) or "(top)"


def check_shape(data, path: Path, node=None) -> None:
    """Raise SchemaError (S001, file:line) for the first way `data` breaks SCHEMA_SHAPE."""
    from jsonschema import Draft202012Validator

    errors = list(Draft202012Validator(SCHEMA_SHAPE).iter_errors(data))
    if not errors:
        return
    err = min(errors, key=lambda e: (len(e.absolute_path), [str(k) for k in e.absolute_path]))
    if err.validator == "oneOf":  # a dependency: say which of the two forms it should take
        inst = err.instance if isinstance(err.instance, dict) else {}
        msg = ("a when/then dependency needs both a `when` and a `then` mapping (and nothing else)"
               if "when" in inst or "then" in inst else
               "a dependency is either {field, dependents} or {when, then}")
    else:
        msg = err.message
    keys = list(err.absolute_path)
    where = _pointer(keys)
    line = _line(node, keys) if node is not None else None
    raise SchemaError(f"{path}{f':{line}' if line else ''}: {where}: {msg}")


def _parse(data: dict, path: Path, node=None) -> Schema:
    check_shape(data, path, node)
    try:
        return _parse_checked(data, path)
    except SchemaError:
        raise
    except ValueError as exc:
        raise SchemaError(str(exc)) from None


def _parse_checked(data: dict, path: Path) -> Schema:
    fields = []
    for raw in data["fields"]:
        labels = tuple(Label(lab["name"], " ".join(str(lab.get("definition", "")).split()))
                       for lab in raw.get("labels", []))
        names = [lab.name for lab in labels]
        if len(set(names)) != len(names):
            raise ValueError(f"{path}: field {raw['name']!r} lists a label twice")
        if raw["kind"] == "choice" and not labels:
            raise ValueError(f"{path}: choice field {raw['name']!r} has no labels")
        fields.append(Field(
            name=raw["name"], kind=raw["kind"], required=bool(raw.get("required", False)),
            title=raw.get("title", raw["name"]), question=raw.get("question", ""),
            description=" ".join(str(raw.get("description", "")).split()), labels=labels,
            span_label=raw.get("span_label"), null_label=raw.get("null_label"), since=int(raw.get("since", 1)),
        ))
        if fields[-1].null_label is not None and fields[-1].null_label not in fields[-1].label_names:
            raise ValueError(f"{path}: null_label of {raw['name']!r} is not one of its labels")
    known = {f.name for f in fields}
    tasks = []
    for raw in data["tasks"]:
        missing = [f for f in raw["fields"] if f not in known]
        if missing:
            raise ValueError(f"{path}: task {raw['name']!r} names unknown fields {missing}")
        tasks.append(Task(raw["name"], tuple(raw["fields"]), raw.get("metric", "macro_f1")))
    vocab = {k: tuple(v) for k, v in (data.get("vocabularies") or {}).items()}
    by_name = {f.name: f for f in fields}
    deps, rules = [], []
    for raw in data.get("dependencies") or []:
        if "when" in raw or "then" in raw:
            when, then = raw.get("when") or {}, raw.get("then") or {}
            if not when or not then:
                raise ValueError(f"{path}: a when/then dependency needs both a `when` and a `then` mapping")
            for name, label in [*when.items(), *then.items()]:
                if name not in by_name:
                    raise ValueError(f"{path}: dependency names unknown field {name!r}")
                if by_name[name].kind != "choice" or str(label) not in by_name[name].label_names:
                    raise ValueError(f"{path}: dependency label {label!r} is not a label of {name!r} "
                                     f"({by_name[name].label_names}); quote yes/no in YAML")
            rules.append(Rule(tuple((k, str(v)) for k, v in when.items()),
                              tuple((k, str(v)) for k, v in then.items())))
            continue
        names = [raw["field"], *raw["dependents"]]
        if any(n not in known for n in names):
            raise ValueError(f"{path}: dependency names unknown fields {[n for n in names if n not in known]}")
        if next(f for f in fields if f.name == raw["field"]).null_label is None:
            raise ValueError(f"{path}: field {raw['field']!r} has dependents but no null_label")
        deps.append((raw["field"], tuple(raw["dependents"])))
    gv = int(data.get("guidelines_version") or 0)
    if gv and any(f.since > gv for f in fields):
        raise ValueError(f"{path}: a field has `since` beyond guidelines_version {gv}")
    return Schema(int(data["schema_version"]), tuple(fields), tuple(tasks), vocab, path, tuple(deps),
                  tuple(rules), gv)


def guidelines_version(path: str | Path = SCHEMA_PATH) -> int:
    """The guideline version new annotations are made under (`guidelines_version` in the
    schema, else its `schema_version`). Stored as `guideline_version` in every record."""
    return load_schema(path).guideline_version


@lru_cache(maxsize=4)
def load_schema(path: str | Path = SCHEMA_PATH) -> Schema:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaError(f"{path}: no such schema file") from None
    except UnicodeDecodeError as exc:
        raise SchemaError(f"{path}: not UTF-8 text ({exc.reason})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SchemaError(f"{path}{f':{mark.line + 1}' if mark else ''}: not valid YAML "
                          f"({getattr(exc, 'problem', None) or exc})") from None
    return _parse(data, path, node)
