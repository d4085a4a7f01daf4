"""Corpus statistics rendered into README.md and datasheet.md (between generated markers).

Computed from the committed store (registry, sentences, annotations, final labels), so a test can
re-render them on any checkout without the archive and compare.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

from warvoices.corpus.schema import load_schema

from .errors import InputError
from .store import Store


def _md_table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def render_corpus_stats(store: Store | None = None) -> str:
    store = store or Store()
    schema = load_schema()
    splits = list(schema.vocabulary("split"))
    articles = store.articles()
    sents = store.sentences()
    finals = store.finals()
    anns = store.annotations()
    sent_by_article = Counter(s["article_id"] for s in sents)
    labelled_by_article = Counter(sid.rsplit("-s", 1)[0] for sid in finals)

    rows = []
    for ptype in schema.vocabulary("publisher_type"):
        arts = [a for a in articles.values() if a["publisher_type"] == ptype]
        if not arts:
            continue
        per_split = Counter(a["split"] for a in arts)
        rows.append([f"`{ptype}`", len(arts), " / ".join(str(per_split[s]) for s in splits),
                     sum(sent_by_article[a["article_id"]] for a in arts),
                     sum(1 for a in arts if labelled_by_article[a["article_id"]]),
                     sum(labelled_by_article[a["article_id"]] for a in arts)])
    rows.append(["**all**", len(articles),
                 " / ".join(str(sum(1 for a in articles.values() if a["split"] == s)) for s in splits),
                 len(sents), sum(1 for a in articles if labelled_by_article[a]), len(finals)])
    annotators = Counter(a["annotator"] for a in anns if a["status"] == "submitted")
    methods = Counter(m for f in finals.values() for m in set(f.get("method", {}).values()))
    lines = [
        f"_Rendered from the corpus store by `warvoices generate`; schema version {schema.version}._", "",
        _md_table(["publisher type", "articles", f"stored split ({' / '.join(splits)})", "segmented sentences",
                   "labelled articles", "labelled sentences"], rows), "",
        "Annotators (submitted labels): " + (", ".join(f"`{k}` {v}" for k, v in sorted(annotators.items())) or "none")
        + ". Labelled sentences with at least one field decided by each method: "
        + (", ".join(f"{k} {v}" for k, v in sorted(methods.items())) or "none") + ".",
    ]
    return "\n".join(lines) + "\n"


def render_label_distribution(store: Store | None = None) -> str:
    store = store or Store()
    schema = load_schema()
    articles = store.articles()
    finals = store.finals()
    split_of = {}
    for s in store.sentences():
        split_of[s["sentence_id"]] = articles[s["article_id"]]["split"]
    counts: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    spans = Counter()
    for sid, f in finals.items():
        for field in schema.choice_fields:
            counts[field.name][split_of.get(sid, "?")][f["labels"].get(field.name)] += 1
        spans[split_of.get(sid, "?")] += len(f.get("source_spans") or [])
    splits = list(schema.vocabulary("split"))
    versions = Counter(schema.record_version(f) for f in finals.values())
    lines = [f"_Final labels per split ({' / '.join(splits)}), rendered by `warvoices generate`._", "",
             "Final labels by guideline version: "
             + (", ".join(f"version {v}: {n}" for v, n in sorted(versions.items())) or "none")
             + ". A field that a label's guideline version did not have (`about_war` before version 2) is "
               "not counted for that label.", ""]
    for field in schema.choice_fields:
        rows = [[f"`{lab}`"] + [counts[field.name][s][lab] for s in splits] for lab in field.label_names]
        lines += [f"**{field.name}**", "", _md_table(["label"] + splits, rows), ""]
    lines.append("Source spans marked: " + ", ".join(f"{s} {spans[s]}" for s in splits) + ".")
    return "\n".join(lines) + "\n"


def label_distribution_data(store: Store | None = None) -> dict:
    """Final label counts of every choice field per split and per publisher type (the data behind the
    tables and the figure corpus/figures/label_distribution.png). Groups without final units are left
    out; a field a label's guideline version did not have is not counted for it."""
    store = store or Store()
    schema = load_schema()
    articles = store.articles()
    groups = [("split", s) for s in schema.vocabulary("split")] + \
             [("publisher_type", t) for t in schema.vocabulary("publisher_type")]
    counts: dict[tuple[str, str], dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    units = Counter()
    for sid, f in store.finals().items():
        art = articles.get(sid.rsplit("-s", 1)[0]) or {}
        for kind in ("split", "publisher_type"):
            key = (kind, art.get(kind, "?"))
            units[key] += 1
            for field in schema.choice_fields:
                if f["labels"].get(field.name) is not None:
                    counts[key][field.name][f["labels"][field.name]] += 1
    present = [g for g in groups if units[g]] + sorted(g for g in units if g not in groups)
    return {
        "groups": [{"kind": k, "name": n, "units": units[(k, n)]} for k, n in present],
        "fields": {field.name: {"labels": field.label_names,
                                "counts": {n: [counts[(k, n)][field.name][lab] for lab in field.label_names]
                                           for k, n in present}}
                   for field in schema.choice_fields},
    }


FIGURE = "corpus/figures/label_distribution.png"


def render_label_distribution_by_publisher(store: Store | None = None) -> str:
    data = label_distribution_data(store)
    types = [g for g in data["groups"] if g["kind"] == "publisher_type"]
    if not types:
        return "No final label yet.\n"
    lines = ["_Final labels per publisher type, rendered from the store by `warvoices generate` (units per type: "
             + ", ".join(f"`{g['name']}` {g['units']}" for g in types) + "). The figure shows every field's "
             "label shares per split and per publisher type; its data are corpus/figures/label_distribution.json._",
             "", f"![Final label distribution per split and publisher type]({FIGURE})", ""]
    for name, f in data["fields"].items():
        rows = [[f"`{lab}`"] + [f["counts"][g["name"]][i] for g in types] for i, lab in enumerate(f["labels"])]
        lines += [f"**{name}**", "", _md_table(["label"] + [f"`{g['name']}`" for g in types], rows), ""]
    return "\n".join(lines)


def render_agreement(reports_dir=None) -> str:
    """Agreement of every batch report in annotation/reports/agreement/*.json (written by `warvoices annotate
    agreement`)."""
    import json
    from pathlib import Path

    from .store import PACKAGE_DIR

    folder = Path(reports_dir) if reports_dir else PACKAGE_DIR.parent / "annotation" / "reports" / "agreement"
    reports = sorted(folder.glob("*.json"))
    if not reports:
        return "No agreement report yet (`warvoices annotate agreement` writes annotation/reports/agreement/).\n"
    schema = load_schema()
    rows = []
    for path in reports:
        rep = json.loads(path.read_text(encoding="utf-8"))
        cells = []
        for f in schema.fields:
            info = rep["fields"].get(f.name)
            if info is None:  # the batch was labelled under guidelines without this field
                cells.append("–")
            elif f.kind == "choice":
                a = info.get("alpha")
                cells.append("undefined" if a is None else f"{a:.3f}")
            else:
                tf = info.get("token_f1")  # pooled over all pairs of annotators
                cells.append("–" if tf is None else f"{tf:.3f}")
        c = rep["counts"]
        rows.append([f"`{rep['batch']}`", c["sentences"], ", ".join(c["annotators"])] + cells
                    + ["pass" if rep["verdict"]["passed"] else "fail"])
    header = ["batch", "sentences", "annotators"] + [
        f"{f.name} α" if f.kind == "choice" else f"{f.name} token F1" for f in schema.fields] + ["verdict"]
    out = ("_Krippendorff's alpha (nominal) per field and span token-overlap F1 between annotators, "
           "rendered from annotation/reports/agreement/*.json by `warvoices generate`; – : not in the report "
           "(a field the batch's guideline version did not have, or no span F1)._\n\n"
           + _md_table(header, rows) + "\n")
    return out


def batch_of(record: dict, listed: dict[str, str], article: str | None) -> str:
    """The batch a raw annotation belongs to: the Label Studio batch it was pushed as
    (`origin.batch`); for a record imported with `annotate-direct`, the batch whose article list
    (`corpus/labels/<batch>.articles.txt`) holds its article; else its answer file's name."""
    origin = record.get("origin") or {}
    if origin.get("batch"):
        return origin["batch"]
    if article in listed:
        return listed[article]
    return str(origin.get("file") or "direct").rsplit(".", 1)[0]


def short_type(ptype: str) -> str:
    """A publisher type's short name for dense table cells (`un_general_debate` -> `un`)."""
    return ptype.split("_", 1)[0]


def counts_cell(counts: Counter, order: list[str] | None = None, short: bool = False) -> str:
    """`un 210 · us 120`: counts in the given order (then by name), zeros left out."""
    keys = [k for k in (order or []) if counts.get(k)] + sorted(k for k in counts if k not in (order or []))
    return " · ".join(f"{short_type(k) if short else k} {counts[k]}" for k in keys if counts[k]) or "–"


def _parse_time(rec: dict) -> datetime | None:
    raw = rec.get("created_at")
    if raw is None:
        return None
    try:
        when = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"annotation {rec.get('annotation_id')}: created_at {raw!r} is not an ISO 8601 timestamp; "
                         "fix the record in annotations.jsonl (e.g. 2024-05-01T12:00:00Z)") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def time_cell(first: datetime | None, last: datetime | None) -> str:
    """First and last annotation of a batch in UTC and the span between them:
    `2026-11-30 16:55–17:04 (9 min)`."""
    if first is None or last is None:
        return "–"
    first, last = first.astimezone(timezone.utc), last.astimezone(timezone.utc)
    end = last.strftime("%H:%M") if last.date() == first.date() else last.strftime("%Y-%m-%d %H:%M")
    minutes = round((last - first).total_seconds() / 60)
    if minutes < 1:
        span = "<1 min"
    elif minutes < 60:
        span = f"{minutes} min"
    elif minutes < 24 * 60:
        span = f"{minutes // 60} h {minutes % 60:02d} min"
    else:
        span = f"{minutes // (24 * 60)} d {minutes % (24 * 60) // 60} h"
    return f"{first.strftime('%Y-%m-%d %H:%M')}–{end} ({span})"


def batch_selection(store_root: Path, name: str) -> dict | None:
    """How a batch was chosen (`warvoices annotate select`): the file its manifest's `selection` names
    (relative to the store, e.g. `selections/<batch>.json`) or the object it holds, else
    `selections/<batch>.json` or `batches/<batch>.selection.json`; None for batches chosen by hand."""
    import json

    def read(path: Path):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg}); restore the file from git") from None

    manifest = store_root / "batches" / f"{name}.json"
    candidates = []
    if manifest.is_file():
        data = read(manifest)
        sel = data.get("selection") if isinstance(data, dict) else None
        if isinstance(sel, dict):
            return sel
        if isinstance(sel, str) and sel:
            candidates.append(store_root / sel)
    candidates += [store_root / "selections" / f"{name}.json", store_root / "batches" / f"{name}.selection.json"]
    for path in candidates:
        if path.is_file():
            data = read(path)
            return data if isinstance(data, dict) else None
    return None


def selection_cell(sel: dict | None) -> str:
    if not sel:
        return "–"
    parts = [str(sel[k]) for k in ("split", "strategy") if sel.get(k)]
    if sel.get("seed") is not None:
        parts.append(f"seed {sel['seed']}")
    return " · ".join(parts) or "–"


def listed_articles(labels_dir=None) -> dict[str, str]:
    """article id -> batch, from the article lists of direct imports (corpus/labels/<batch>.articles.txt)."""
    from .store import PACKAGE_DIR

    labels = Path(labels_dir) if labels_dir else PACKAGE_DIR / "labels"
    listed: dict[str, str] = {}
    for path in sorted(labels.glob("*.articles.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.split("#", 1)[0].strip():
                listed[line.split("#", 1)[0].strip()] = path.name[: -len(".articles.txt")]
    return listed


def render_batches(store: Store | None = None, reports_dir=None, labels_dir=None) -> str:
    """The campaign log: one row per annotation batch, in the order the batches were labelled, with
    its selection (split, strategy, seed), guideline version, splits, articles, units, publisher
    types, labels per annotator, time, units with two or more annotators, and the batch's agreement
    (alpha per choice field, from its agreement report when there is one)."""
    import json

    from .store import PACKAGE_DIR

    store = store or Store()
    reports = Path(reports_dir) if reports_dir else PACKAGE_DIR.parent / "annotation" / "reports" / "agreement"
    listed = listed_articles(labels_dir)
    article = {s["sentence_id"]: s["article_id"] for s in store.sentences(include_superseded=True)}
    articles = store.articles()
    batches: dict[str, dict] = {}
    for rec in store.annotations():
        if rec.get("status") != "submitted":
            continue
        aid = article.get(rec["sentence_id"]) or rec["sentence_id"].rsplit("-s", 1)[0]
        b = batches.setdefault(batch_of(rec, listed, aid), {"versions": set(), "articles": set(), "times": [],
                                                             "units": defaultdict(set), "per": Counter()})
        b["versions"].add(rec.get("guideline_version") or 1)
        b["articles"].add(aid)
        b["units"][rec["sentence_id"]].add(rec["annotator"])
        b["per"][rec["annotator"]] += 1
        when = _parse_time(rec)
        if when is not None:
            b["times"].append(when)
    # batches pushed to Label Studio with no submitted answer yet: listed from their manifests
    manifests: dict[str, dict] = {}
    for path in sorted((store.root / "batches").glob("*.json")):
        if path.name.endswith(".selection.json"):
            continue
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg}); restore the file from git") from None
        if isinstance(manifest, dict) and manifest.get("batch") == path.stem:
            manifests[path.stem] = manifest
    pending = {name: m for name, m in manifests.items() if name not in batches}
    if not batches and not pending:
        return "No annotation batch yet.\n"
    schema = load_schema()
    choice = [f.name for f in schema.fields if f.kind == "choice"]
    splits, ptypes = list(schema.vocabulary("split")), list(schema.vocabulary("publisher_type"))
    never = datetime.max.replace(tzinfo=timezone.utc)
    rows = []
    for name in sorted(batches, key=lambda n: (min(batches[n]["times"], default=never), n)):
        b = batches[name]
        report = reports / f"{name}.json"
        fields = json.loads(report.read_text(encoding="utf-8"))["fields"] if report.is_file() else {}
        alphas = []
        for n in choice:
            a = (fields.get(n) or {}).get("alpha")
            alphas.append("–" if n not in fields else "undefined" if a is None else f"{a:.3f}")
        meta = [articles.get(article.get(sid) or sid.rsplit("-s", 1)[0]) or {} for sid in b["units"]]
        pushed = len(set((manifests.get(name) or {}).get("sentences") or []) | set(b["units"]))
        units = len(b["units"]) if pushed <= len(b["units"]) else f"{len(b['units'])} of {pushed}"
        rows.append([f"`{name}`", selection_cell(batch_selection(store.root, name)),
                     ", ".join(map(str, sorted(b["versions"]))),
                     counts_cell(Counter(m.get("split", "?") for m in meta), splits), len(b["articles"]),
                     units, counts_cell(Counter(m.get("publisher_type", "?") for m in meta), ptypes, True),
                     ", ".join(f"{w} {c}" for w, c in sorted(b["per"].items())),
                     time_cell(min(b["times"], default=None), max(b["times"], default=None)),
                     sum(len(a) >= 2 for a in b["units"].values())] + alphas)
    for name, manifest in sorted(pending.items()):
        sids = [sid for sid in manifest.get("sentences") or [] if isinstance(sid, str)]
        meta = [articles.get(article.get(sid) or sid.rsplit("-s", 1)[0]) or {} for sid in sids]
        rows.append([f"`{name}`", selection_cell(batch_selection(store.root, name)),
                     str(manifest.get("guideline_version") or "–"),
                     counts_cell(Counter(m.get("split", "?") for m in meta), splits), len(manifest.get("articles") or []),
                     len(sids), counts_cell(Counter(m.get("publisher_type", "?") for m in meta), ptypes, True),
                     "pushed to " + (", ".join(sorted(manifest.get("projects") or {})) or "nobody") + "; no answer yet",
                     "–", "–"] + ["–"] * len(choice))
        batches[name] = {"units": {sid: set() for sid in sids}}
    present = sorted({t for b in batches.values() for sid in b["units"]
                      for t in [(articles.get(article.get(sid) or sid.rsplit("-s", 1)[0]) or {}).get("publisher_type")]
                      if t}, key=lambda t: ptypes.index(t) if t in ptypes else len(ptypes))
    legend = ", ".join(f"{short_type(t)} = `{t}`" for t in present if short_type(t) != t)
    return ("_The campaign log: one row per annotation batch in the order it was labelled (Label Studio batches by "
            "their push name; earlier direct imports by the article list in corpus/labels/ or their answer file), "
            "rendered from the store, corpus/data/batches/ and annotation/reports/agreement/ by `warvoices generate`. "
            "Selection: split · strategy · seed of `warvoices annotate select` (– : chosen by hand). Split and "
            "publisher type count the batch's units" + (f" ({legend})" if legend else "")
            + "; a batch still being answered shows the units answered of those pushed, a batch pushed but not yet "
            "answered the units pushed. Time: first and last submitted annotation (UTC) and the span "
            "between them. Alpha only where two annotators labelled the batch (– : no agreement report or a field "
            "the batch's guidelines did not have)._\n\n"
            + _md_table(["batch", "selection", "guideline version", "split", "articles", "units", "publisher types",
                         "labels per annotator", "time", "units with 2+ annotators"]
                        + [f"{n} α" for n in choice], rows) + "\n")
