"""`warvoices corpus validate`: check the stand-off store against the texts and the schema.

Each finding is an Issue with a stable id; every id has a fixture in tests/fixtures/validation/
named after the defect. Ids, in the order checks run:

  V001 offsets-outside-text        sentence offsets are not inside the article text
  V002 sentence-text-mismatch      text at the offsets no longer matches the stored hash
  V003 unknown-label               a label not in the schema (annotation or final record)
  V004 span-outside-sentence       a source span is not inside its sentence
  V005 sentence-in-two-splits      a sentence id is claimed by two articles (so two splits)
  V006 duplicate-id                an article, sentence or annotation id occurs twice
  V007 checksum-mismatch           the article text no longer matches its SHA-256
  V008 text-unavailable            (warning) no text to check against; pass --archive
  V009 dangling-reference          a record points at an unknown article or sentence
  V010 overlapping-sentences       two sentences of one article overlap or are out of order
  V011 unknown-vocabulary          kind, publisher type, split, status or method not in the schema
  V012 duplicate-text-across-splits (warning) the same long sentence occurs in two splits
  V013 missing-split               an article has no stored split
  V014 inconsistent-attribution    (warning) dependent fields contradict their field (schema `dependencies`:
                                   attribution none with a source type or span, or the reverse)
  V020 country-split-mismatch      addresses of one country (sources split by country) are in different
                                   splits, or such an article has no country known to corpus/countries.yaml
  V021 not-segmented               (warning) registered articles without sentences yet; run `corpus segment`
  V030 inconsistent-about-war      (warning) a when/then rule of the schema is broken (about_war no
                                   with a stance other than neutral or an event type other than none)
  V031 missing-required-label      a record lacks a required field of the guideline version it was
                                   made under (a version-2 record without about_war)
  V032 unknown-guideline-version   guideline_version is not a whole number from 1 to the current one
  V033 missing-guideline-version   (warning) the record does not say which guideline version it
                                   follows; it is judged as version 1 (run `warvoices corpus migrate`)
  V040 malformed-record         a store record has the wrong shape (a key missing or of the wrong type);
                                   it is reported and skipped, so no later check reads it
  V015 relabel-needed              (warning) a labelled sentence was superseded by re-segmentation and none of
                                   the units now covering its text has a final label yet: relabel them
                                   (the old labels stay on the superseded record as history)
"""
from __future__ import annotations

from collections import Counter, defaultdict

from tqdm import tqdm

from warvoices.corpus.schema import load_schema

from .countries import load_countries
from .errors import ChecksumMismatch, Issue, TextUnavailable
from .records import shape_problem, span_problem
from .store import ANNOTATIONS, ARTICLES, FINAL, SENTENCE_STATUSES, SENTENCES, SUPERSEDED, Store, read_jsonl, short_hash
from .texts import TextLoader

ERROR, WARNING = "error", "warning"
_MIN_WORDS_FOR_LEAK = 8  # short formulae ("Thank you.") legitimately recur across articles


def _labels_issues(schema, rec: dict, pointer: str, text_len: int | None) -> list[Issue]:
    issues = []
    labels = rec.get("labels") or {}
    for f in schema.choice_fields:
        value = labels.get(f.name)
        if value is not None and value not in f.label_names:
            issues.append(Issue("V003", ERROR, pointer,
                                f"unknown {f.name} label {value!r}; the schema allows {f.label_names}"))
    for name in labels:
        if name not in schema.field_names:
            issues.append(Issue("V003", ERROR, pointer, f"unknown field {name!r}; fields: {schema.field_names}"))
    spans = rec.get("source_spans") or []
    for span in spans if isinstance(spans, list) else [spans]:
        problem = span_problem(span, text_len)
        if problem:
            issues.append(Issue("V004", ERROR, pointer,
                                f"source span {span} is not inside the sentence (length {text_len}): {problem}"))
    span_fields = {f.name: rec.get(f.name) or [] for f in schema.span_fields if f.name in rec}
    for problem in schema.consistency_problems(labels, span_fields):
        issues.append(Issue("V014" if problem.kind == "null" else "V030", WARNING, pointer, problem.message))
    issues.extend(_version_issues(schema, rec, pointer))
    return issues


def _version_issues(schema, rec: dict, pointer: str) -> list[Issue]:
    """The record's guideline version, and the required fields of that version."""
    raw = schema.stated_version(rec)
    if raw is None:
        version = 1
        issue = [Issue("V033", WARNING, pointer, "no guideline_version; judged as version 1 (records made before "
                                                  "versions were recorded). Run `warvoices corpus migrate`")]
    elif isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= schema.guideline_version:
        return [Issue("V032", ERROR, pointer, f"guideline_version {raw!r} is not a whole number from 1 to "
                                              f"{schema.guideline_version} (the current guidelines)")]
    else:
        version, issue = raw, []
    if rec.get("status", "submitted") != "submitted":  # skipped or cancelled: no labels expected
        return issue
    labels = rec.get("labels") or {}
    missing = [f.name for f in schema.required_fields(version) if labels.get(f.name) is None]
    if missing:
        issue.append(Issue("V031", ERROR, pointer, f"made under guideline version {version} but has no label for "
                                                   f"required field(s) {missing}"))
    return issue


def _malformed(issues: list[Issue], name: str, rec: dict, pointer: str, id_key: str) -> bool:
    """Shape before content: a malformed record is one V040 finding and is not read further."""
    problem = shape_problem(name, rec)
    if problem is None:
        return False
    rid = rec.get(id_key)
    issues.append(Issue("V040", ERROR, f"{pointer} ({rid})" if isinstance(rid, str) else pointer, problem))
    return True


def validate_store(store: Store, loader: TextLoader, progress: bool = False) -> list[Issue]:
    schema = load_schema()
    issues: list[Issue] = []
    vocab = {k: set(v) for k, v in schema.vocabularies.items()}

    paths = {name: str(store.path(name)) for name in (ARTICLES, SENTENCES, ANNOTATIONS, FINAL)}

    def where(name: str, lineno: int) -> str:
        return f"{paths[name]}:{lineno}"

    # articles
    articles: dict[str, dict] = {}
    art_line: dict[str, int] = {}
    for lineno, art in read_jsonl(store.path(ARTICLES)):
        if _malformed(issues, ARTICLES, art, where(ARTICLES, lineno), "article_id"):
            continue
        aid = art["article_id"]
        ptr = f"{where(ARTICLES, lineno)} ({aid})"
        if aid in articles:
            issues.append(Issue("V006", ERROR, ptr, f"article id {aid} occurs twice (first on line {art_line[aid]})"))
            continue
        articles[aid], art_line[aid] = art, lineno
        if not art.get("split"):
            issues.append(Issue("V013", ERROR, ptr, "article has no stored split; run `warvoices corpus add` to assign one"))
        elif art["split"] not in vocab["split"]:
            issues.append(Issue("V011", ERROR, ptr, f"split {art['split']!r} not in {sorted(vocab['split'])}"))
        if art.get("publisher_type") not in vocab["publisher_type"]:
            issues.append(Issue("V011", ERROR, ptr, f"publisher type {art.get('publisher_type')!r} not in "
                                                    f"{sorted(vocab['publisher_type'])}"))

    # sources split by country: one split per country (the registry's rule; stored splits never move)
    countries = load_countries()
    country_split: dict[str, tuple[str, str]] = {}
    for aid in sorted(articles, key=lambda a: art_line[a]):
        art = articles[aid]
        if art.get("split_by") != "country":
            continue
        ptr = f"{where(ARTICLES, art_line[aid])} ({aid})"
        code = art.get("country")
        if code not in countries:
            issues.append(Issue("V020", ERROR, ptr, f"country {code!r} has no entry in corpus/countries.yaml; "
                                                    "add one (name, region, alignment)"))
            continue
        if art.get("split"):
            first = country_split.setdefault(code, (art["split"], aid))
            if first[0] != art["split"]:
                issues.append(Issue("V020", ERROR, ptr, f"split {art['split']} but {first[1]} of the same country "
                                                        f"{code} is in {first[0]}; all articles of a country share a split"))

    # texts (checksum-verified)
    texts: dict[str, str] = {}
    unavailable = 0
    for aid, art in tqdm(articles.items(), desc="texts", unit="article", disable=not progress):
        try:
            texts[aid] = loader.text(art)
        except ChecksumMismatch as exc:
            issues.append(Issue("V007", ERROR, f"{where(ARTICLES, art_line[aid])} ({aid})", str(exc)))
        except TextUnavailable:
            unavailable += 1
    if unavailable:
        issues.append(Issue("V008", WARNING, str(store.path(ARTICLES)),
                            f"{unavailable} article(s) have no text here; their sentences were checked without "
                            "it. Pass --archive DIR or set WARVOICES_ARCHIVE to check them fully"))

    # sentences, streamed: per sentence only (article, length, line) is kept, never the record
    # (the store writes sentences grouped by article, so the overlap check (V010) runs per article
    # as each group ends; a file not grouped that way gets a second pass for it)
    sentences: dict[str, tuple[str, int, int]] = {}
    by_article: dict[str, list[tuple[int, int, int, str, int]]] = defaultdict(list)  # (index, start, end, id, line)
    with_sentences: set[str] = set()
    seen: dict[int, tuple[str, str]] = {}  # V012: hash of a normalised long sentence -> (first id, split)
    superseded: dict[str, tuple[int, list[str]]] = {}  # re-segmentation history: id -> (line, superseded_by)
    same_aid = {aid: aid for aid in articles}  # one string object per article id, not one per record
    v010: list[Issue] = []
    closed: set[str] = set()
    group, grouped = None, True

    def check_order(recs: list[tuple[int, int, int, str, int]]) -> None:
        recs.sort()
        for prev, cur in zip(recs, recs[1:]):
            if cur[1] < prev[2] or cur[0] == prev[0]:
                v010.append(Issue("V010", ERROR, f"{where(SENTENCES, cur[4])} ({cur[3]})",
                                  f"overlaps or repeats the position of {prev[3]}"))

    for lineno, rec in read_jsonl(store.path(SENTENCES)):
        if _malformed(issues, SENTENCES, rec, where(SENTENCES, lineno), "sentence_id"):
            continue
        sid, aid = rec["sentence_id"], rec["article_id"]
        aid = same_aid.get(aid, aid)
        if aid != group:
            if group is not None and grouped:
                check_order(by_article.pop(group, []))
                closed.add(group)
            grouped = grouped and aid not in closed
            group = aid
        with_sentences.add(aid)
        ptr = f"{where(SENTENCES, lineno)} ({sid})"
        if sid in sentences:
            other, _, first_line = sentences[sid]
            if other != aid:
                issues.append(Issue("V005", ERROR, ptr, f"sentence id {sid} is claimed by articles {other} and {aid}"
                                    f" (splits {articles.get(other, {}).get('split')} and "
                                    f"{articles.get(aid, {}).get('split')})"))
            else:
                issues.append(Issue("V006", ERROR, ptr, f"sentence id {sid} occurs twice (first on line {first_line})"))
            continue
        s, e = rec["start"], rec["end"]
        sentences[sid] = (aid, e - s, lineno)
        current = rec.get("status") != SUPERSEDED
        if not current:   # few records: kept whole for the history check below
            superseded[sid] = (lineno, rec.get("superseded_by") or [])
        if aid not in articles:
            issues.append(Issue("V009", ERROR, ptr, f"sentence refers to unregistered article {aid!r}"))
            continue
        if rec.get("status") is not None and rec["status"] not in SENTENCE_STATUSES:
            issues.append(Issue("V011", ERROR, ptr, f"sentence status {rec['status']!r} not in {list(SENTENCE_STATUSES)} "
                                                    "(no status: a current sentence)"))
        if current:   # history may overlap the current cuts
            by_article[aid].append((rec["index"], s, e, sid, lineno))
        if rec.get("kind") not in vocab["sentence_kind"]:
            issues.append(Issue("V011", ERROR, ptr, f"kind {rec.get('kind')!r} not in {sorted(vocab['sentence_kind'])}"))
        text = texts.get(aid)
        if text is None:
            continue
        inside = 0 <= s < e <= len(text)
        if not inside:
            issues.append(Issue("V001", ERROR, ptr, f"offsets [{s}, {e}) are outside the article text ({len(text)} chars)"))
        elif short_hash(text[s:e]) != rec["text_hash"]:
            issues.append(Issue("V002", ERROR, ptr, f"text at [{s}, {e}) does not match the stored hash "
                                                    f"{rec['text_hash']}; the sentence or the text changed"))
        sp = rec.get("speaker_span")
        if sp and not (0 <= sp[0] < sp[1] <= len(text)):
            issues.append(Issue("V001", ERROR, ptr, f"speaker span {sp} is outside the article text"))
        if not inside or not current:
            continue
        # the same long sentence in two splits leaks test content into training
        sent = text[s:e].split()
        if len(sent) < _MIN_WORDS_FOR_LEAK:
            continue
        split = articles[aid].get("split")
        key = int(short_hash(" ".join(sent)), 16)
        if key in seen and seen[key][1] != split:
            issues.append(Issue("V012", WARNING, ptr, f"same text as {seen[key][0]} but in split {split} vs {seen[key][1]}"))
        else:
            seen.setdefault(key, (sid, split))

    if grouped:
        for recs in by_article.values():   # the last group
            check_order(recs)
    else:
        # not grouped by article (hand-edited): the overlap check reads the positions again, whole
        v010.clear()
        by_article.clear()
        first: set[str] = set()
        for lineno, rec in read_jsonl(store.path(SENTENCES)):
            if shape_problem(SENTENCES, rec):  # reported as V040 in the first pass
                continue
            sid, aid = rec["sentence_id"], rec["article_id"]
            if sid in first:
                continue
            first.add(sid)
            if aid in articles and rec.get("status") != SUPERSEDED:
                by_article[aid].append((rec["index"], rec["start"], rec["end"], sid, lineno))
        for recs in by_article.values():
            check_order(recs)
    by_article.clear()
    issues.extend(v010)

    waiting = sorted(aid for aid in articles if aid not in with_sentences)
    if waiting:
        issues.append(Issue("V021", WARNING, str(store.path(ARTICLES)),
                            f"{len(waiting)} registered article(s) have no sentences yet (e.g. {', '.join(waiting[:3])}); "
                            "run `warvoices corpus segment`"))

    def sentence_len(sid: str) -> int | None:
        rec = sentences.get(sid)
        return None if rec is None else rec[1]

    # annotations
    ann_seen: dict[str, int] = {}
    annotated: set[str] = set()
    for lineno, rec in read_jsonl(store.path(ANNOTATIONS)):
        if _malformed(issues, ANNOTATIONS, rec, where(ANNOTATIONS, lineno), "annotation_id"):
            continue
        ptr = f"{where(ANNOTATIONS, lineno)} ({rec.get('annotation_id')})"
        if rec.get("annotation_id") in ann_seen:
            issues.append(Issue("V006", ERROR, ptr, f"annotation id occurs twice (first on line {ann_seen[rec['annotation_id']]})"))
            continue
        ann_seen[rec.get("annotation_id")] = lineno
        annotated.add(rec["sentence_id"])
        if rec.get("sentence_id") not in sentences:
            issues.append(Issue("V009", ERROR, ptr, f"annotation refers to unknown sentence {rec.get('sentence_id')!r}"))
        if rec.get("status") not in vocab["annotation_status"]:
            issues.append(Issue("V011", ERROR, ptr, f"status {rec.get('status')!r} not in {sorted(vocab['annotation_status'])}"))
        issues.extend(_labels_issues(schema, rec, ptr, sentence_len(rec.get("sentence_id"))))

    # final labels
    final_seen: dict[str, int] = {}
    for lineno, rec in read_jsonl(store.path(FINAL)):
        if _malformed(issues, FINAL, rec, where(FINAL, lineno), "sentence_id"):
            continue
        ptr = f"{where(FINAL, lineno)} ({rec.get('sentence_id')})"
        if rec.get("sentence_id") in final_seen:
            issues.append(Issue("V006", ERROR, ptr, "sentence has two final records"))
            continue
        final_seen[rec.get("sentence_id")] = lineno
        if rec.get("sentence_id") not in sentences:
            issues.append(Issue("V009", ERROR, ptr, f"final label for unknown sentence {rec.get('sentence_id')!r}"))
        for fname, method in (rec.get("method") or {}).items():
            if method not in vocab["final_method"]:
                issues.append(Issue("V011", ERROR, ptr, f"method {method!r} for {fname} not in {sorted(vocab['final_method'])}"))
        for aid in rec.get("annotation_ids", []):
            if aid not in ann_seen:
                issues.append(Issue("V009", ERROR, ptr, f"final label derived from unknown annotation {aid!r}"))
        issues.extend(_labels_issues(schema, rec, ptr, sentence_len(rec.get("sentence_id"))))

    # re-segmentation history: labels of a superseded unit wait for its replacements to be labelled
    labelled = set(final_seen) | annotated
    for sid, (lineno, by) in superseded.items():
        ptr = f"{where(SENTENCES, lineno)} ({sid})"
        for other in by:
            if other not in sentences:
                issues.append(Issue("V009", ERROR, ptr, f"superseded_by names unknown sentence {other!r}"))
        if sid in labelled and not any(o in final_seen for o in by):
            issues.append(Issue("V015", WARNING, ptr,
                                f"labelled sentence superseded by re-segmentation; relabel {', '.join(by) or '(no unit now covers its text)'}"
                                " (its labels are kept on this record)"))
    return issues


def migration_summary(store: Store) -> str | None:
    """One line on the store's re-segmentation history, or None when nothing was superseded."""
    # streamed: only the (few) superseded records are kept, not the sentence file
    sup = [r for r in store.iter_records(SENTENCES) if r.get("status") == SUPERSEDED]
    if not sup:
        return None
    finals = store.finals()
    labelled = set(finals) | {a["sentence_id"] for a in store.iter_records(ANNOTATIONS)}
    waiting = [r["sentence_id"] for r in sup if r["sentence_id"] in labelled
               and not any(o in finals for o in r.get("superseded_by") or [])]
    line = (f"re-segmentation history: {len(sup)} superseded sentence(s) in {len({r['article_id'] for r in sup})} "
            f"article(s), {sum(r['sentence_id'] in labelled for r in sup)} of them labelled; "
            f"{len(waiting)} still to relabel (V015)")
    return line + (f": {', '.join(waiting)}" if waiting else "")


def summarize(issues: list[Issue]) -> str:
    counts = Counter((i.severity, i.id) for i in issues)
    if not counts:
        return "store is valid: no issues"
    return ", ".join(f"{n} {sev} {iid}" for (sev, iid), n in sorted(counts.items()))
