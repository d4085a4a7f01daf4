"""Corpus statistics rendered into README.md and datasheet.md (between generated markers).

Computed from the committed store (registry, sentences, annotations, final labels), so a test can
re-render them on any checkout without the archive and compare.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from warvoices.corpus.schema import load_schema

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


def render_agreement_by_publisher(reports_dir=None) -> str:
    """Alpha of every choice field within each publisher type, for every batch report that has
    publisher-type slices (`warvoices annotate agreement` writes them)."""
    import json
    from pathlib import Path

    from .store import PACKAGE_DIR

    folder = Path(reports_dir) if reports_dir else PACKAGE_DIR.parent / "annotation" / "reports" / "agreement"
    schema = load_schema()
    choice = [f.name for f in schema.fields if f.kind == "choice"]
    rows = []
    for path in sorted(folder.glob("*.json")):
        rep = json.loads(path.read_text(encoding="utf-8"))
        for key, g in ((rep.get("slices") or {}).get("publisher_type") or {}).items():
            cells = []
            for n in choice:
                v = g["fields"].get(n)
                if v is None:
                    cells.append("–")
                    continue
                a = "undefined" if v["alpha"] is None else f"{v['alpha']:.3f}"
                oa = "–" if v["observed_agreement"] is None else f"{v['observed_agreement']:.2f}"
                cells.append(f"{a} ({oa}, {v['items']})")
            rows.append([f"`{rep['batch']}`", f"`{key}`", g["sentences"]] + cells)
    if not rows:
        return "No agreement report with publisher-type slices yet (`warvoices annotate agreement` writes them).\n"
    return ("_Alpha within each publisher type's sentences (observed agreement, items compared in parentheses), "
            "rendered from annotation/reports/agreement/*.json by `warvoices generate`; a slice where one label "
            "dominates can have a low alpha at a high observed agreement._\n\n"
            + _md_table(["batch", "publisher type", "sentences"] + [f"{n} α" for n in choice], rows) + "\n")


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


def render_batches(store: Store | None = None, reports_dir=None, labels_dir=None) -> str:
    """One row per annotation batch: guideline version, articles, units, labels per annotator,
    units with two or more annotators, and the batch's agreement (alpha per choice field, from
    its agreement report when there is one)."""
    import json
    from pathlib import Path

    from .store import PACKAGE_DIR

    store = store or Store()
    reports = Path(reports_dir) if reports_dir else PACKAGE_DIR.parent / "annotation" / "reports" / "agreement"
    labels = Path(labels_dir) if labels_dir else PACKAGE_DIR / "labels"
    listed: dict[str, str] = {}
    for path in sorted(labels.glob("*.articles.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.split("#", 1)[0].strip():
                listed[line.split("#", 1)[0].strip()] = path.name[: -len(".articles.txt")]
    article = {s["sentence_id"]: s["article_id"] for s in store.sentences(include_superseded=True)}
    batches: dict[str, dict] = {}
    for rec in store.annotations():
        if rec.get("status") != "submitted":
            continue
        aid = article.get(rec["sentence_id"])
        b = batches.setdefault(batch_of(rec, listed, aid), {"versions": set(), "articles": set(),
                                                             "units": defaultdict(set), "per": Counter()})
        b["versions"].add(rec.get("guideline_version") or 1)
        b["articles"].add(aid)
        b["units"][rec["sentence_id"]].add(rec["annotator"])
        b["per"][rec["annotator"]] += 1
    if not batches:
        return "No annotation batch yet.\n"
    schema = load_schema()
    choice = [f.name for f in schema.fields if f.kind == "choice"]
    rows = []
    for name in sorted(batches, key=lambda n: (min(batches[n]["versions"]), n)):
        b = batches[name]
        report = reports / f"{name}.json"
        fields = json.loads(report.read_text(encoding="utf-8"))["fields"] if report.is_file() else {}
        alphas = []
        for n in choice:
            a = (fields.get(n) or {}).get("alpha")
            alphas.append("–" if n not in fields else "undefined" if a is None else f"{a:.3f}")
        rows.append([f"`{name}`", ", ".join(map(str, sorted(b["versions"]))), len(b["articles"]), len(b["units"]),
                     ", ".join(f"{w} {c}" for w, c in sorted(b["per"].items())),
                     sum(len(a) >= 2 for a in b["units"].values())] + alphas)
    return ("_One row per annotation batch (Label Studio batches by their push name; earlier direct imports by "
            "the article list in corpus/labels/ or their answer file), rendered from the store and "
            "annotation/reports/agreement/ by `warvoices generate`; alpha only where two annotators labelled "
            "the batch (– : no agreement report or a field the batch's guidelines did not have)._\n\n"
            + _md_table(["batch", "guideline version", "articles", "units", "labels per annotator",
                         "units with 2+ annotators"] + [f"{n} α" for n in choice], rows) + "\n")
