"""A tiny built dataset of invented sentences, for tests, the scorer example and smoke runs.

Every sentence here is made up from the templates below (no archive text). `[...]` in a
template marks the source mention; the brackets are removed and become `source_spans`.
Labels are written by hand per template, so a model can learn them from the wording.

    write_toy_dataset(out_dir)            a few articles per split (train/validation/test/unlabeled)
    write_records_dataset(records, out)   a dataset from hand-written records (golden tests)
"""
from __future__ import annotations

import random
from pathlib import Path

from warvoices.corpus.schema import load_schema
from warvoices.corpus.build import BuildReport, write_dataset_dir
from warvoices.corpus.features import NO_LABEL, dataset_features

# (stance, attribution, source_type, event_type, template)
TEMPLATES = [
    ("neutral", "none", "none", "combat", "Artillery fire was reported near {town} on {day}."),
    ("neutral", "none", "none", "humanitarian", "About {n} residents left {town} by train on {day}."),
    ("neutral", "indirect", "ukraine_official", "humanitarian",
     "[The governor of the {region} region] said {n} civilians had been evacuated from {town}."),
    ("pro_ukraine", "direct", "ukraine_official", "combat",
     "\u201cOur defenders pushed the enemy back from {town},\u201d [the army spokesman] said."),
    ("pro_russia", "direct", "russia_official", "combat",
     "\u201cThe operation near {town} is going strictly according to plan,\u201d [the Russian defence ministry] said."),
    ("neutral", "indirect", "western_official", "military_support",
     "[The defence secretary] announced a package of {n} armoured vehicles for Ukraine."),
    ("neutral", "none", "none", "diplomacy", "Delegations met in {city} on {day} for another round of talks."),
    ("neutral", "indirect", "international_org", "justice",
     "According to [the court's prosecutor], investigators collected {n} witness statements in {town}."),
    ("pro_russia", "indirect", "russia_official", "politics",
     "[The Kremlin spokesman] claimed the vote in {town} reflected the free will of the people."),
    ("neutral", "none", "none", "economy", "Grain shipments through {port} rose to {n} thousand tonnes in {month}."),
    ("pro_ukraine", "mixed", "ukraine_official", "military_support",
     "[The foreign minister] said partners must send air defence \u201cwithout any delay\u201d."),
    ("neutral", "indirect", "anonymous", "military_support",
     "[A source familiar with the plans] told reporters that {n} instructors would arrive in {month}."),
    ("neutral", "indirect", "media", "combat", "[Local media] reported several explosions in {town} overnight."),
    ("neutral", "direct", "individual", "humanitarian",
     "\u201cWe spent {n} nights in the basement,\u201d [a resident of {town}] told reporters."),
    ("neutral", "none", "none", "none", "This page was last updated on {day}."),
    ("pro_ukraine", "none", "none", "justice", "The invaders will answer for every crime committed in {town}."),
    ("neutral", "indirect", "expert", "economy",
     "[An analyst at a {city} think tank] said sanctions had cut export revenue by {n} percent."),
    ("neutral", "indirect", "other_official", "diplomacy",
     "[The Turkish foreign minister] said {city} was ready to host further talks."),
    ("pro_russia", "none", "none", "politics",
     "The liberated residents of {town} finally voted to rejoin their historic homeland."),
    ("neutral", "mixed", "international_org", "humanitarian",
     "[The agency's spokeswoman] said aid convoys reached {town} \u201cdespite the shelling\u201d."),
]

# templates that are not about the war (about_war "no"); every other template is "yes"
NOT_ABOUT_WAR = {"This page was last updated on {day}."}

TOWNS = ["Vesele", "Zarichne", "Lisove", "Stepove", "Richne", "Sonyachne", "Dubove", "Kamianka"]
REGIONS = ["northern", "eastern", "southern", "coastal"]
CITIES = ["Geneva", "Istanbul", "Vienna", "Oslo"]
PORTS = ["the southern port", "the river port", "the sea terminal"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["March", "April", "May", "June", "July"]

SPLIT_ARTICLES = {"train": 10, "validation": 3, "test": 4, "unlabeled": 2}
SENTENCES_PER_ARTICLE = 8


def _fill(template: str, rng: random.Random) -> tuple[str, list[tuple[int, int]]]:
    text = template.format(town=rng.choice(TOWNS), region=rng.choice(REGIONS), city=rng.choice(CITIES),
                           port=rng.choice(PORTS), day=rng.choice(DAYS), month=rng.choice(MONTHS),
                           n=rng.randint(2, 90))
    spans, out, i = [], [], 0
    while i < len(text):
        if text[i] == "[":
            j = text.index("]", i)
            start = len("".join(out))
            out.append(text[i + 1:j])
            spans.append((start, start + j - i - 1))
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out), spans


# share of labelled sentences whose stance and event type are replaced by another label, so
# that models are not perfect and selection on validation has something to choose
NOISE = 0.15
NOISY_FIELDS = ("stance", "event_type")


def toy_records(seed: int = 0, n_articles: dict[str, int] | None = None) -> list[dict]:
    """Simple records (id, article_id, split, text, labels, source_spans) of the toy corpus."""
    schema = load_schema()
    rng = random.Random(seed)
    records, k = [], 0
    for split, n in (n_articles or SPLIT_ARTICLES).items():
        for a in range(n):
            article_id = f"toy-{split[:3]}{a:02d}"
            for i in range(SENTENCES_PER_ARTICLE):
                # rotate through the templates so each split sees most of them
                *values, template = TEMPLATES[k % len(TEMPLATES)]
                labels = dict(zip(("stance", "attribution", "source_type", "event_type"), values))
                labels["about_war"] = "no" if template in NOT_ABOUT_WAR else "yes"
                k += 1
                text, spans = _fill(template, rng)
                labelled = split != "unlabeled"
                for fname in NOISY_FIELDS:
                    if rng.random() < NOISE:
                        others = [n for n in schema.field(fname).label_names if n != labels[fname]]
                        labels[fname] = rng.choice(others)
                rec = {"id": f"{article_id}-s{i:04d}", "article_id": article_id, "split": split, "text": text}
                rec.update({f: (v if labelled else None) for f, v in labels.items()})
                rec["source_spans"] = [list(s) for s in spans] if labelled else []
                records.append(rec)
    return records


# Voice columns the `sources` work adds to the dataset (ISO 3166-1 alpha-3 country, its
# alignment in the war, the speaker's post). Toy records may carry them; a dataset built from
# records that do gets them as string columns, whether or not this build's features list them.
VOICE_COLUMNS = ("country", "country_alignment", "speaker_role")


def _row(rec: dict, index: int, schema) -> dict:
    text = rec["text"]
    row = {
        "id": rec["id"], "article_id": rec["article_id"], "sentence_index": index, "kind": "body",
        "text": text, "context_before": "", "context_after": "", "speaker": rec.get("speaker"),
        "speaker_role": None, "speaker_label": None, "country": None, "country_alignment": None, "flags": [],
        "publisher": rec.get("publisher", "toy"), "publisher_type": rec.get("publisher_type", "news"),
        "date": "2024-01-01", "url": "", "title": "",
    }
    for col in VOICE_COLUMNS:
        if col in rec:
            row[col] = rec[col]
    for f in schema.choice_fields:
        value = rec.get(f.name)
        row[f.name] = NO_LABEL if value is None else f.index(value)
    for f in schema.span_fields:
        row[f.name] = [{"start": s, "end": e, "text": text[s:e]} for s, e in rec.get(f.name) or []]
    # labelled rows follow the guidelines whose required fields they all have (version-1 gold has no about_war)
    labelled = any(rec.get(f.name) is not None for f in schema.choice_fields)
    row["guideline_version"] = (max((v for v in range(1, schema.guideline_version + 1)
                                     if all(rec.get(f.name) is not None for f in schema.required_fields(v))),
                                    default=1) if labelled else NO_LABEL)
    row["label_method"] = {f.name: ("single" if rec.get(f.name) is not None else None) for f in schema.fields}
    row["annotations"] = [_annotation(a, text, schema) for a in rec.get("annotations") or []]
    return row


def _annotation(a: dict, text: str, schema) -> dict:
    """A raw annotation of a toy record: {annotator, status?, <field>: label, source_spans?}."""
    out = {"annotation_id": f"toy:{a['annotator']}", "annotator": a["annotator"], "created_at": "",
           "status": a.get("status", "submitted"), "origin": "toy",
           "guideline_version": a.get("guideline_version", schema.guideline_version)}
    for f in schema.choice_fields:
        out[f.name] = NO_LABEL if a.get(f.name) is None else f.index(a[f.name])
    for f in schema.span_fields:
        out[f.name] = [{"start": s, "end": e, "text": text[s:e]} for s, e in a.get(f.name) or []]
    return out


def write_records_dataset(records: list[dict], out: str | Path, *, drop_columns: tuple[str, ...] = ()) -> Path:
    """Write simple records (see toy_records) as a built dataset with `warvoices build`'s writer."""
    schema = load_schema()
    splits = list(schema.vocabulary("split")) + ["unlabeled"]
    rows: dict[str, list[dict]] = {s: [] for s in splits}
    index: dict[str, int] = {}
    articles: dict[str, set] = {s: set() for s in splits}
    for rec in records:
        i = index.get(rec["article_id"], 0)
        index[rec["article_id"]] = i + 1
        rows[rec["split"]].append(_row(rec, i, schema))
        articles[rec["split"]].add(rec["article_id"])
    report = BuildReport(rows={s: len(r) for s, r in rows.items()},
                         articles={s: len(a) for s, a in articles.items()})
    features = dataset_features(schema)
    extra = sorted({c for r in records for c in VOICE_COLUMNS if c in r} - set(features))
    if extra:
        from datasets import Value
        features = features.copy()
        for c in extra:
            features[c] = Value("string")
        for split_rows in rows.values():
            for row in split_rows:
                for c in extra:
                    row.setdefault(c, None)
    if drop_columns:
        # a dataset as an older build wrote it, without columns added since (tests of the messages)
        features = features.copy()
        for c in drop_columns:
            features.pop(c, None)
        for split_rows in rows.values():
            for row in split_rows:
                for c in drop_columns:
                    row.pop(c, None)
    write_dataset_dir(rows, report, Path(out), features)
    return Path(out)


def write_toy_dataset(out: str | Path, seed: int = 0) -> Path:
    return write_records_dataset(toy_records(seed), out)


# Invented voices for the toy articles: (publisher_type, country, country_alignment). UN
# addresses cycle through states per split; test has states absent from train (unseen voices)
# next to a state train has seen and a party to the war.
UN = "un_general_debate"
GOVERNMENT_VOICES = [("ukraine_official", "UKR", "party_ukraine"), ("russia_official", "RUS", "party_russia"),
                     ("us_official", "USA", "ukraine_ally"), ("news", None, None)]
UN_STATES = {
    "train": [("FRA", "ukraine_ally"), ("BLR", "russia_ally"), ("BRA", "non_aligned")],
    "validation": [("IND", "non_aligned")],
    "test": [("POL", "ukraine_ally"), ("KEN", "non_aligned"), ("BRA", "non_aligned"), ("RUS", "party_russia")],
    "unlabeled": [("CHL", "non_aligned")],
}


def toy_voice_records(seed: int = 0, n_articles: dict[str, int] | None = None) -> list[dict]:
    """toy_records with publisher_type, country and country_alignment per article: articles
    alternate between a government voice and a UN address of the split's next state."""
    records = toy_records(seed, n_articles)
    voice: dict[str, tuple] = {}
    seen: dict[str, int] = {}
    for r in records:
        aid = r["article_id"]
        if aid not in voice:
            k = seen.get(r["split"], 0)
            seen[r["split"]] = k + 1
            if k % 2:
                country, alignment = UN_STATES[r["split"]][(k // 2) % len(UN_STATES[r["split"]])]
                voice[aid] = (UN, country, alignment)
            else:
                voice[aid] = GOVERNMENT_VOICES[(k // 2) % len(GOVERNMENT_VOICES)]
        r["publisher_type"], r["country"], r["country_alignment"] = voice[aid]
    return records
