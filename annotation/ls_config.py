"""Render the Label Studio labeling config from the schema (annotation/schema.yaml).

The config is never edited by hand: `warvoices annotate config` writes
annotation/label_config.xml, and a test regenerates it and compares, so the file in the
repository always matches the schema. Every `$variable` used here must be present in every
task (Label Studio answers 400 otherwise); `TASK_VARIABLES` is that list and the push fills
each of them, with "" where a value is missing.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from xml.sax.saxutils import quoteattr

from warvoices.corpus.schema import Schema, load_schema

CONFIG_PATH = Path(__file__).with_name("label_config.xml")
LABEL_CONFIG_PATH = CONFIG_PATH  # the name `warvoices generate` (corpus/generate.py) looks for
GENERATE_COMMAND = "warvoices annotate config"

# name of the object tag the annotator labels; span offsets are relative to its text
SENTENCE_TAG = "text"
RATIONALE = "rationale"  # the adjudication form's one-line reason (not a schema field)
# data keys of every task (the labeling config reads all of them)
TASK_VARIABLES = ("sentence_id", "title", "publisher", "date", "context_before", "text", "context_after")

_SPAN_COLOUR = "#ffa663"


def _attr(name: str, value: str) -> str:
    return f"{name}={quoteattr(value)}"


def render_label_config(schema: Schema | None = None) -> str:
    """The labeling config XML for `schema`, deterministic (same schema, same bytes)."""
    schema = schema or load_schema()
    lines = [
        f"<!-- Generated from annotation/schema.yaml (schema_version {schema.version}) by "
        f"`{GENERATE_COMMAND}`. Do not edit: change the schema and regenerate. -->",
        "<View>",
        '  <View style="padding: 0 0.5em; color: #555">',
        '    <Header value="$title" size="4"/>',
        '    <Header value="$publisher" size="6"/>',
        '    <Header value="$date" size="6"/>',
        '    <Header value="$sentence_id" size="6"/>',
        "  </View>",
        '  <View style="padding: 0.5em; color: #777">',
        '    <Text name="context_before" value="$context_before"/>',
        "  </View>",
        '  <View style="padding: 0.5em; border: 2px solid #4a90d9; border-radius: 4px">',
        f"    <Text {_attr('name', SENTENCE_TAG)} value=\"${SENTENCE_TAG}\" granularity=\"symbol\"/>",
        "  </View>",
        '  <View style="padding: 0.5em; color: #777">',
        '    <Text name="context_after" value="$context_after"/>',
        "  </View>",
    ]
    for f in schema.fields:
        question = f"{f.title}: {f.question}" if f.question else f.title
        lines.append(f"  <Header {_attr('value', question)} size=\"5\"/>")
        if f.kind == "choice":
            req = ' required="true"' if f.required else ""
            lines.append(f"  <Choices {_attr('name', f.name)} {_attr('toName', SENTENCE_TAG)} "
                         f"choice=\"single-radio\" showInline=\"true\"{req}>")
            for lab in f.labels:
                hint = f" {_attr('hint', lab.definition)}" if lab.definition else ""
                lines.append(f"    <Choice {_attr('value', lab.name)}{hint}/>")
            lines.append("  </Choices>")
        elif f.kind == "spans":
            if not f.span_label:
                raise ValueError(f"{schema.path}: spans field {f.name!r} needs a span_label")
            lines.append(f"  <Labels {_attr('name', f.name)} {_attr('toName', SENTENCE_TAG)}>")
            lines.append(f"    <Label {_attr('value', f.span_label)} {_attr('background', _SPAN_COLOUR)}/>")
            lines.append("  </Labels>")
        else:  # pragma: no cover - the schema loader accepts only these kinds
            raise ValueError(f"unknown field kind {f.kind!r}")
    lines.append("</View>")
    return "\n".join(lines) + "\n"


# extra data keys of an adjudication task (besides TASK_VARIABLES and annotation_ids)
ADJUDICATION_VARIABLES = ("disputed", "answers")


def render_adjudication_config(schema: Schema | None = None) -> str:
    """The adjudication project's config: the annotators' form, empty, under the sentence a table
    with every annotator's answer side by side (task data `answers`, HTML made by
    ls_adjudication.answers_table) and the fields in dispute. The answers are shown, never loaded
    into the form: the adjudicator decides from an empty form, not by editing one answer."""
    schema = schema or load_schema()
    xml = render_label_config(schema)
    marker = '  <View style="padding: 0.5em; color: #777">\n    <Text name="context_after"'
    head, sep, rest = xml.partition(marker)
    if not sep:  # pragma: no cover - render_label_config always writes this block
        raise ValueError("the label config has no context_after block")
    after_end = rest.index("  </View>\n") + len("  </View>\n")
    extra = ('  <View style="padding: 0.5em; background: #fff3cd">\n'
             '    <Header value="Adjudication. In dispute: $disputed" size="5"/>\n'
             '    <HyperText name="answers" value="$answers" inline="true"/>\n'
             '    <Header value="Your decision (the form starts empty; answer every field):" size="6"/>\n'
             "  </View>\n")
    # the decision's reason, kept with it in the store (the datasheet's adjudication log)
    reason = (f'  <Header value="Rationale: one line, the guideline rule that decides" size="6"/>\n'
              f'  <TextArea name="{RATIONALE}" toName="{SENTENCE_TAG}" required="true" maxSubmissions="1" '
              'rows="1" editable="true" placeholder="e.g. S3: a loaded term in the source\'s own voice"/>\n')
    xml = head + sep + rest[:after_end] + extra + rest[after_end:]
    close = xml.rindex("</View>")
    xml = xml[:close] + reason + xml[close:]
    return xml.replace("by `" + GENERATE_COMMAND + "`", "by `" + GENERATE_COMMAND + "` (adjudication variant)", 1)


def config_fingerprint(xml: str) -> str:
    """Short hash recorded in batch manifests: tells which config a project was created with."""
    return hashlib.sha256(xml.encode("utf-8")).hexdigest()[:12]


def write_label_config(path: Path = CONFIG_PATH, schema: Schema | None = None) -> bool:
    """Write the config if it changed; returns True when the file was (re)written."""
    from warvoices.corpus.store import atomic_write_text

    xml = render_label_config(schema)
    path = Path(path)
    if path.exists() and path.read_text(encoding="utf-8") == xml:
        return False
    atomic_write_text(path, xml)
    return True


if __name__ == "__main__":  # pragma: no cover
    print("rewritten" if write_label_config() else "unchanged", CONFIG_PATH)
