"""The annotation campaign as the datasheet reports it (issue 9, part 6), rendered by `warvoices generate`:

* who annotated: every annotator and adjudicator id, their guideline versions, batches, labels and
  the publisher types they saw (`render_annotators`);
* how many raw answers each split's final units have and how their final labels were derived
  (`render_labels_per_unit`);
* agreement per field pooled over every batch of the newest guideline version, overall, per split
  and per publisher type, with the number of items (`render_pooled_agreement`);
* the ten most common kinds of disagreement, with unit ids as examples (`render_disagreements`).

Everything is computed from the store (ids, offsets, labels; no text), so a checkout without the
archive renders the same tables. "Answers" are what agreement and aggregation use (answers.py):
each annotator's latest submitted answer per unit, under the unit's newest guideline version.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from warvoices.corpus.schema import Schema, load_schema
from warvoices.corpus.stats import _md_table, batch_of, counts_cell, listed_articles, short_type
from warvoices.corpus.store import Store, read_jsonl

from .answers import Batch, article_of, collect_answers
from .statistics import field_alpha, span_agreement

TOP_KINDS = 10
EXAMPLES = 5


@dataclass
class Campaign:
    """The store's answers with each unit's split and publisher type."""

    schema: Schema
    answers: Batch  # every unit: latest submitted answer per annotator, newest guideline version only
    finals: dict[str, dict]
    articles: dict[str, dict]
    records: list[dict]
    root: Path

    def article(self, sid: str) -> dict:
        return self.articles.get(article_of(sid)) or {}

    def split(self, sid: str) -> str:
        return self.article(sid).get("split", "?")

    def ptype(self, sid: str) -> str:
        return self.article(sid).get("publisher_type", "?")

    @property
    def newest(self) -> int | None:
        """The newest guideline version any answer follows."""
        return max((self.answers.guideline_version(s) for s in self.answers.answers), default=None)

    def pooled(self) -> Batch:
        """The answers of every unit labelled under the newest guideline version, across all batches."""
        newest = self.newest
        keep = {s: per for s, per in self.answers.answers.items() if self.answers.guideline_version(s) == newest}
        return subset(self.answers, keep, f"pooled-v{newest}")

    def split_order(self) -> list[str]:
        return list(self.schema.vocabulary("split"))

    def ptype_order(self) -> list[str]:
        return list(self.schema.vocabulary("publisher_type"))


def subset(batch: Batch, answers: dict, name: str) -> Batch:
    return Batch(name=name, answers=answers, status_counts=dict(batch.status_counts))


def load_campaign(store: Store | None = None, schema: Schema | None = None) -> Campaign:
    store = store or Store()
    schema = schema or load_schema()
    # `warvoices generate` renders four blocks from the same store: read and validate it once
    stamp = tuple((p.stat().st_mtime_ns, p.stat().st_size) if p.exists() else None
                  for p in [store.path(n) for n in ("annotations.jsonl", "final.jsonl", "articles.jsonl")])
    key = (str(store.root.resolve()), stamp, schema.version)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = _load(store, schema)
    return _CACHE[key]


_CACHE: dict[tuple, Campaign] = {}


def _load(store: Store, schema: Schema) -> Campaign:
    records = store.annotations()
    return Campaign(schema=schema, answers=collect_answers(records, schema), finals=store.finals(),
                    articles=store.articles(), records=records, root=store.root)


def _ordered(keys, order: list[str]) -> list[str]:
    return sorted(keys, key=lambda k: (order.index(k) if k in order else len(order), k))


def _legend(types) -> str:
    pairs = [f"{short_type(t)} = `{t}`" for t in types if short_type(t) != t]
    return f" ({', '.join(pairs)})" if pairs else ""


# ---------------------------------------------------------------------------------------------
# Who annotated
# ---------------------------------------------------------------------------------------------

def _decisions(root: Path) -> list[dict]:
    out = []
    for path in sorted((root / "batches").glob("*.decisions.jsonl")):
        out += [rec for _, rec in read_jsonl(path)]
    return out


def render_annotators(store: Store | None = None, labels_dir=None) -> str:
    """One row per annotator and adjudicator id: role, guideline versions, batches, labels given,
    units, and the publisher types of those units."""
    camp = load_campaign(store)
    people: dict[tuple[str, str], dict] = {}
    listed = listed_articles(labels_dir)

    def row(who: str, role: str) -> dict:
        return people.setdefault((role, who), {"versions": set(), "batches": set(), "labels": 0, "units": set(),
                                               "shown": Counter()})

    for rec in camp.records:
        if rec.get("status") != "submitted":
            continue
        p = row(rec["annotator"], "annotator")
        p["versions"].add(camp.schema.record_version(rec))
        p["batches"].add(batch_of(rec, listed, article_of(rec["sentence_id"])))
        p["labels"] += 1
        p["units"].add(rec["sentence_id"])
        shown = (rec.get("origin") or {}).get("prediction")
        if shown:  # the model pre-annotation the answer was made on (issue 9: recorded per answer)
            if isinstance(shown, dict):
                shown = f"{shown.get('model', 'unknown')}@{shown['version']}" if shown.get("version") else \
                    str(shown.get("model", "unknown"))
            p["shown"][str(shown)] += 1
    decided = set()
    for rec in _decisions(camp.root):
        if not rec.get("adjudicator"):
            continue
        p = row(rec["adjudicator"], "adjudicator")
        p["versions"].add(camp.schema.record_version(rec))
        p["batches"].add((rec.get("origin") or {}).get("batch") or "?")
        p["labels"] += 1
        p["units"].add(rec["sentence_id"])
        decided.add((rec["adjudicator"], rec["sentence_id"]))
    for sid, fin in camp.finals.items():  # decisions that reached the final labels by another path
        who = fin.get("adjudicator")
        if who and (who, sid) not in decided:
            p = row(who, "adjudicator")
            p["versions"].add(camp.schema.record_version(fin))
            p["labels"] += 1
            p["units"].add(sid)
    if not people:
        return "No annotator yet.\n"
    ptypes = camp.ptype_order()
    rows, seen_types = [], set()
    for (role, who) in sorted(people, key=lambda k: (k[0] != "annotator", k[1])):
        p = people[(role, who)]
        types = Counter(camp.ptype(s) for s in p["units"])
        seen_types |= set(types)
        rows.append([f"`{who}`", role, ", ".join(map(str, sorted(p["versions"]))),
                     ", ".join(f"`{b}`" for b in sorted(p["batches"])) or "–", p["labels"], len(p["units"]),
                     counts_cell(types, ptypes, short=True),
                     ", ".join(f"`{m}` {n}" for m, n in sorted(p["shown"].items())) or "none"])
    return ("_Every annotator and adjudicator id in the store (all are language-model annotators: see the text "
            "above), rendered from corpus/data/annotations.jsonl, corpus/data/batches/*.decisions.jsonl and "
            "final.jsonl by `warvoices generate`. Labels: submitted answers (adjudicators: decisions), every "
            "revision counted; units: distinct units; publisher types: of those units"
            + _legend(_ordered(seen_types, ptypes)) + "; pre-annotation shown: labels made on a model's "
            "pre-annotation (`origin.prediction`), by model._\n\n"
            + _md_table(["id", "role", "guideline versions", "batches", "labels", "units", "publisher types",
                         "pre-annotation shown"], rows)
            + "\n")


# ---------------------------------------------------------------------------------------------
# Labels per unit and derivation of the final label
# ---------------------------------------------------------------------------------------------

def unit_methods(final: dict) -> dict[str, str]:
    """Field -> how its final label was derived (`method`; a single `derivation` string applies to all)."""
    m = final.get("method", final.get("derivation"))
    if isinstance(m, str):
        return {"*": m}
    return {k: v for k, v in (m or {}).items() if v}


def unit_method(final: dict, order: list[str]) -> str | None:
    """The method of the field that needed the most (order of the schema's `final_method`):
    a unit with one adjudicated field and four unanimous ones counts as adjudicated."""
    methods = set(unit_methods(final).values())
    return max(methods, key=lambda m: (order.index(m) if m in order else len(order), m)) if methods else None


def labels_per_unit(camp: Campaign) -> tuple[dict[str, Counter], dict[str, Counter], Counter]:
    """Per split: final units by number of distinct annotators (0, 1, 2, 3+), and by unit-level
    method; and field decisions by method over all final units."""
    order = list(camp.schema.vocabulary("final_method"))
    annotators: dict[str, Counter] = defaultdict(Counter)
    methods: dict[str, Counter] = defaultdict(Counter)
    fields = Counter()
    for sid, fin in camp.finals.items():
        split = camp.split(sid)
        n = len(camp.answers.answers.get(sid, {}))
        annotators[split]["3+" if n >= 3 else str(n)] += 1
        methods[split][unit_method(fin, order) or "–"] += 1
        fields.update(unit_methods(fin).values())
    return annotators, methods, fields


def render_labels_per_unit(store: Store | None = None) -> str:
    camp = load_campaign(store)
    if not camp.finals:
        return "No final label yet.\n"
    annotators, methods, fields = labels_per_unit(camp)
    order = list(camp.schema.vocabulary("final_method"))
    used = _ordered({m for c in methods.values() for m in c}, order)
    counts = ["1", "2", "3+"] + (["0"] if any(c["0"] for c in annotators.values()) else [])
    splits = _ordered(annotators, camp.split_order())
    rows = []
    for split in splits + ["**all**"]:
        a = sum(annotators.values(), Counter()) if split == "**all**" else annotators[split]
        m = sum(methods.values(), Counter()) if split == "**all**" else methods[split]
        rows.append([split if split == "**all**" else f"`{split}`", sum(a.values())] + [a[c] for c in counts]
                    + [m[u] for u in used])
    return ("_Final units per split by how many annotators labelled them (distinct annotators, each one's latest "
            "answer under the unit's newest guideline version) and by how the final label was derived "
            "(`method` in final.jsonl; a unit counts under the method of the field that needed the most, in the "
            f"order {' < '.join(order)}), rendered from the store by `warvoices generate`._\n\n"
            + _md_table(["split", "final units"] + [f"{c} annotator{'s' if c != '1' else ''}" for c in counts]
                        + [f"derived: {u}" for u in used], rows)
            + "\n\nField decisions by method (every field of every final unit): "
            + (", ".join(f"{m} {fields[m]}" for m in _ordered(fields, order)) or "none") + ".\n")


# ---------------------------------------------------------------------------------------------
# Pooled agreement
# ---------------------------------------------------------------------------------------------

def pooled_agreement(camp: Campaign) -> list[tuple[str, str, Batch]]:
    """(kind, slice, answers) for all doubly labelled units of the newest guideline version, each split
    and each publisher type."""
    pooled = camp.pooled()
    multi = {s: per for s, per in pooled.answers.items() if len(per) >= 2}
    out = [("all", "all", subset(pooled, multi, "all"))]
    for kind, of, order in (("split", camp.split, camp.split_order()),
                            ("publisher type", camp.ptype, camp.ptype_order())):
        groups: dict[str, dict] = defaultdict(dict)
        for s, per in multi.items():
            groups[of(s)][s] = per
        out += [(kind, key, subset(pooled, groups[key], key)) for key in _ordered(groups, order)]
    return out


def render_pooled_agreement(store: Store | None = None) -> str:
    camp = load_campaign(store)
    newest = camp.newest
    slices = pooled_agreement(camp)
    if newest is None or not slices[0][2].answers:
        return "No unit has answers from two annotators yet.\n"
    choice = [f for f in camp.schema.fields if f.kind == "choice" and f.since <= newest]
    spans = [f for f in camp.schema.fields if f.kind == "spans" and f.since <= newest]
    rows = []
    for kind, key, batch in slices:
        cells = []
        for f in choice:
            r = field_alpha(batch, f)
            if not r.items:
                cells.append("–")
                continue
            a = "undefined" if r.alpha is None else f"{r.alpha:.3f}"
            cells.append(f"{a} ({r.observed_agreement:.2f}, {r.items})")
        for f in spans:
            r = span_agreement(batch, f)
            cells.append("–" if r.exact.f1 is None else f"{r.exact.f1:.3f} ({r.items})")
        label = "**all**" if kind == "all" else f"{kind}: `{key}`"
        rows.append([label, len(batch.answers), ", ".join(batch.annotators)] + cells)
    return (f"_Agreement pooled over every batch of guideline version {newest} (each annotator's latest answer per "
            "unit; units with answers from two or more annotators), overall, per split and per publisher type, "
            "rendered from the store by `warvoices generate`. Choice fields: Krippendorff's alpha (nominal) with "
            "the observed agreement and the number of items (units compared) in parentheses; a slice where one "
            "label dominates can have a low alpha at a high observed agreement; undefined: no variation. Spans: "
            "exact-match F1 over all pairs of annotators (units compared); token-overlap F1 needs the texts and is "
            "in each batch's agreement report._\n\n"
            + _md_table(["slice", "units", "annotators"] + [f"{f.name} α" for f in choice]
                        + [f"{f.name} exact F1" for f in spans], rows) + "\n")


# ---------------------------------------------------------------------------------------------
# Kinds of disagreement
# ---------------------------------------------------------------------------------------------

@dataclass
class Kind:
    field: str
    a: str
    b: str
    units: list[str]
    types: Counter

    @property
    def count(self) -> int:
        return len(self.units)


def disagreement_kinds(camp: Campaign, batch: Batch | None = None) -> tuple[list[Kind], int]:
    """Every kind of disagreement (field, label A vs label B, unordered) on the doubly labelled units,
    most common first, and the number of disputes: a unit counts once per field and pair of
    different labels its annotators gave (two annotators: at most one dispute per field)."""
    batch = batch or camp.pooled()
    kinds: dict[tuple[str, str, str], Kind] = {}
    fields = [f for f in camp.schema.fields if f.kind == "choice"]
    for sid in sorted(batch.answers):
        per = batch.answers[sid]
        if len(per) < 2:
            continue
        for f in fields:
            given = sorted({ans.labels.get(f.name) for ans in per.values()} - {None}, key=f.label_names.index)
            for i, a in enumerate(given):
                for b in given[i + 1:]:
                    k = kinds.setdefault((f.name, a, b), Kind(f.name, a, b, [], Counter()))
                    k.units.append(sid)
                    k.types[camp.ptype(sid)] += 1
    field_index = {f.name: i for i, f in enumerate(fields)}
    label_index = {f.name: {n: i for i, n in enumerate(f.label_names)} for f in fields}
    ordered = sorted(kinds.values(), key=lambda k: (-k.count, field_index[k.field], label_index[k.field][k.a],
                                                    label_index[k.field][k.b]))
    return ordered, sum(k.count for k in ordered)


def render_disagreements(store: Store | None = None) -> str:
    camp = load_campaign(store)
    pooled = camp.pooled()
    doubled = sum(1 for per in pooled.answers.values() if len(per) >= 2)
    kinds, total = disagreement_kinds(camp, pooled)
    if not kinds:
        return ("No disagreement yet" + (f" among {doubled} doubly labelled units" if doubled else "") + ".\n")
    ptypes = camp.ptype_order()
    rows = []
    for k in kinds[:TOP_KINDS]:
        rows.append([f"{k.field}: `{k.a}` vs `{k.b}`", k.count, f"{100 * k.count / total:.1f} %",
                     counts_cell(k.types, ptypes, short=True),
                     ", ".join(f"`{s}`" for s in k.units[:EXAMPLES])])
    types = _ordered({t for k in kinds[:TOP_KINDS] for t in k.types}, ptypes)
    return (f"_The {min(TOP_KINDS, len(kinds))} most common of {len(kinds)} kinds of disagreement among the "
            f"{doubled} doubly labelled units of guideline version {camp.newest} (all batches pooled; each "
            f"annotator's latest answer): {total} disputes, one per unit, field and pair of different labels. "
            "Share: of all disputes; publisher types: of the disputed units" + _legend(types)
            + f"; examples: up to {EXAMPLES} unit ids (`warvoices corpus units --ids ID,ID` shows each in context "
            "with every answer and its final label). Rendered from the store by `warvoices generate`._\n\n"
            + _md_table(["kind", "units", "share of disputes", "publisher types", "example units"], rows) + "\n")
