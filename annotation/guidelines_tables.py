"""Render the label tables of annotation/guidelines.md from the schema."""
from __future__ import annotations

from pathlib import Path

from warvoices.corpus.schema import Schema, load_schema

GUIDELINES = Path(__file__).with_name("guidelines.md")
BLOCK = "label-tables"


def render_label_tables(schema: Schema | None = None) -> str:
    schema = schema or load_schema()
    out = [f"_Rendered from `annotation/schema.yaml` (schema version {schema.version}) by `warvoices generate`; "
           "edit the schema, not this block._", ""]
    for f in schema.fields:
        out.append(f"### `{f.name}` — {f.title}")
        out.append("")
        out.append(f"**Question:** {f.question}" + (" (required)" if f.required else ""))
        if f.description:
            out.extend(["", f.description])
        out.append("")
        if f.kind == "choice":
            out.append("| id | label | definition |")
            out.append("|---|---|---|")
            for i, lab in enumerate(f.labels):
                out.append(f"| {i} | `{lab.name}` | {lab.definition} |")
        else:
            out.append(f"Marked as `{f.span_label}` spans over the sentence text in Label Studio; stored as "
                       "character offsets relative to the sentence.")
        out.append("")
    rules = []
    for name, deps in schema.dependencies:
        null = schema.field(name).null_label
        for dep in deps:
            f = schema.field(dep)
            rules.append(f"`{dep}` is `{f.null_label}` exactly when `{name}` is `{null}`" if f.kind == "choice"
                         else f"`{dep}` are empty when `{name}` is `{null}`")
    rules += [rule.describe().replace("'", "`") for rule in schema.rules]
    if rules:
        out.append("Consistency rules (schema `dependencies`): " + "; ".join(rules) + ".")
        out.append("")
    new_fields = [f for f in schema.fields if f.since > 1]
    if new_fields:
        out.append("Fields added after guideline version 1 (records made under an earlier version do not have "
                   "them): " + ", ".join(f"`{f.name}` (version {f.since})" for f in new_fields) + ".")
        out.append("")
    out.append("Benchmark tasks: " + "; ".join(f"`{t.name}` ({', '.join(t.fields)})" for t in schema.tasks) + ".")
    return "\n".join(out) + "\n"
