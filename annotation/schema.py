"""Load the one declarative schema (annotation/schema.yaml) and answer questions about it.

Every label set used anywhere in WarVoices comes from here; nothing else spells a label name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")


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
class Schema:
    version: int
    fields: tuple[Field, ...]
    tasks: tuple[Task, ...]
    vocabularies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    path: Path = SCHEMA_PATH
    dependencies: tuple[tuple[str, tuple[str, ...]], ...] = ()

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

    def dependency_problems(self, labels: dict, spans: dict[str, list] | None = None) -> list[str]:
        """Where dependent fields contradict the field they describe (schema `dependencies`):
        a dependent must be empty exactly when its field has the null label. `spans` maps span
        field names to their spans; fields missing from `labels` are not judged."""
        spans = spans or {}
        problems = []
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
                        problems.append(f"{name} is {value!r} but {dep} are marked")
                    # a source need not be mentioned in the unit, so spans may be empty otherwise
                else:
                    dv = labels.get(dep)
                    if dv is None:
                        continue
                    if is_null != (dv == f.null_label):
                        problems.append(f"{name} is {value!r} but {dep} is {dv!r}: both should be "
                                        f"{self.field(name).null_label!r} or neither")
        return problems

    def vocabulary(self, name: str) -> tuple[str, ...]:
        try:
            return self.vocabularies[name]
        except KeyError:
            raise KeyError(f"no vocabulary {name!r} in {self.path}") from None


def _parse(data: dict, path: Path) -> Schema:
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
            span_label=raw.get("span_label"), null_label=raw.get("null_label"),
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
    deps = []
    for raw in data.get("dependencies") or []:
        names = [raw["field"], *raw["dependents"]]
        if any(n not in known for n in names):
            raise ValueError(f"{path}: dependency names unknown fields {[n for n in names if n not in known]}")
        if next(f for f in fields if f.name == raw["field"]).null_label is None:
            raise ValueError(f"{path}: field {raw['field']!r} has dependents but no null_label")
        deps.append((raw["field"], tuple(raw["dependents"])))
    return Schema(int(data["schema_version"]), tuple(fields), tuple(tasks), vocab, path, tuple(deps))


@lru_cache(maxsize=4)
def load_schema(path: str | Path = SCHEMA_PATH) -> Schema:
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        return _parse(yaml.safe_load(fh), path)



def guidelines_version(path: str | Path = SCHEMA_PATH) -> int:
    """The guideline version new annotations are made under (`guidelines_version` in the
    schema, else its `schema_version`). Stored as `guideline_version` in every pulled record."""
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return int(data.get("guidelines_version") or data["schema_version"])
