"""`warvoices corpus units --ids ...`: print real units by id, for annotators and adjudicators.

Guideline examples must not copy archive text into the repository; this shows the real units a
rule is about at run time instead, read from the store and the archive. Each unit is printed with
its neighbours, article, publisher and kind, and every stored label of it (the final label and
each annotator's, with the guideline version they follow). Nothing is written.
"""
from __future__ import annotations

from collections import defaultdict

from warvoices.corpus.schema import load_schema

from .errors import InputError
from .store import Store
from .texts import TextLoader
from .textview import sentence_views


def _labels(schema, rec: dict) -> str:
    labels = rec.get("labels") or {}
    parts = [f"{f.name}={labels[f.name]}" for f in schema.choice_fields if labels.get(f.name) is not None]
    if rec.get("source_spans"):
        parts.append(f"spans={rec['source_spans']}")
    return f"(guidelines v{schema.record_version(rec)}) " + (", ".join(parts) or "no labels")


def render_units(store: Store, loader: TextLoader, ids: list[str]) -> str:
    schema = load_schema()
    sentences = {r["sentence_id"]: r for r in store.sentences()}
    unknown = [i for i in ids if i not in sentences]
    if unknown:
        raise InputError(f"unknown sentence id(s): {', '.join(unknown)}; ids look like <article_id>-s0007")
    articles = store.articles()
    views = sentence_views(store, loader, sorted({sentences[i]["article_id"] for i in ids}))
    finals = store.finals()
    anns = defaultdict(list)
    for rec in store.annotations():
        anns[rec["sentence_id"]].append(rec)
    blocks = []
    for sid in ids:
        v, art = views[sid], articles[sentences[sid]["article_id"]]
        lines = [f"== {sid}  ({art['publisher_type']}: {art['publisher']}, {art.get('date') or 'no date'}; "
                 f"{v.kind}{'; speaker ' + v.speaker if v.speaker else ''})"]
        if v.context_before:
            lines.append(f"   before: {v.context_before}")
        lines.append(f"   UNIT:   {v.text}")
        if v.context_after:
            lines.append(f"   after:  {v.context_after}")
        if sid in finals:
            lines.append(f"   final {_labels(schema, finals[sid])}")
        for rec in sorted(anns.get(sid, []), key=lambda r: (r.get("created_at", ""), r["annotation_id"])):
            lines.append(f"   {rec['annotator']} [{rec['status']}] {_labels(schema, rec)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
