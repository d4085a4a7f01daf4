"""`warvoices corpus add|segment|validate|annotate-direct`, `warvoices build` and `warvoices show`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import WarVoicesError
from .store import Store
from .texts import ARCHIVE_ENV, TextLoader, resolve_archive

SEED_DEFAULTS = {
    "article_id": "news-2023-03-13-1e54c59c",
    "publisher": "unknown news site (seed article)",
    "publisher_type": "news",
    "url": None,
    "date": "2023-03-13",
    "title": "Ukrainian and Russian losses mount in fierce battle for Bakhmut",
    "license": "unknown; bundled as the project's seed article (see datasheet.md)",
}


def _common(p: argparse.ArgumentParser, archive: bool = True) -> None:
    p.add_argument("--store", type=Path, default=None,
                   help="corpus store directory (default: WORKSPACE/corpus/data; see `warvoices --workspace`)")
    if archive:
        p.add_argument("--archive", type=Path, default=None,
                       help=f"external text archive directory (default: ${ARCHIVE_ENV}; without either only "
                            "bundled texts are used)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _articles_arg(value: str | None, store: Store) -> list[str] | None:
    if not value:
        return None
    ids = [a for a in value.split(",") if a]
    known = store.articles()
    missing = [a for a in ids if a not in known]
    if missing:
        raise WarVoicesError(f"unknown article id(s): {', '.join(missing)}; list them with `warvoices corpus list`")
    return ids


def cmd_add(args) -> int:
    from .registry import add_archive, add_bundled

    store = Store(args.store)
    did = False
    if args.text:
        meta = dict(SEED_DEFAULTS) if args.seed_defaults else {}
        for key in ("article_id", "publisher", "publisher_type", "url", "date", "title", "license"):
            if getattr(args, key) is not None:
                meta[key] = getattr(args, key)
        missing = [k for k in ("article_id", "publisher", "publisher_type", "date", "title", "license") if not meta.get(k)]
        if missing:
            raise WarVoicesError(f"--text needs {', '.join('--' + m.replace('_', '-') for m in missing)} "
                                 "(or --seed-defaults for the seed article)")
        if not args.seed_defaults and args.url is None:
            raise WarVoicesError("--text needs --url URL (where the text was published); give --url none "
                                 "when no URL is known (the dataset's url column is then empty)")
        if isinstance(meta.get("url"), str) and meta["url"].strip().lower() == "none":
            meta["url"] = None
        added, same = add_bundled(store, args.text, boilerplate_lines=args.boilerplate_lines,
                                  layout=args.layout, **meta)
        print(f"bundled text {args.text}: {added} article added, {same} already registered")
        did = True
    if args.from_archive:
        archive = resolve_archive(args.archive)
        if archive is None:
            raise WarVoicesError(f"--from-archive needs --archive DIR or ${ARCHIVE_ENV}")
        added, same = add_archive(store, archive, args.files)
        print(f"archive {archive}: {added} article(s) added, {same} already registered")
        did = True
    if not did:
        raise WarVoicesError("nothing to add: give --text FILE (a bundled text) and/or --from-archive")
    arts = store.articles().values()
    by_split: dict[str, int] = {}
    for a in arts:
        by_split[a["split"]] = by_split.get(a["split"], 0) + 1
    print(f"registry: {len(arts)} article(s); stored splits: {json.dumps(by_split, sort_keys=True)}")
    return 0


def cmd_list(args) -> int:
    from warvoices.corpus.schema import load_schema

    store = Store(args.store)
    types = list(load_schema().vocabulary("publisher_type"))
    if args.publisher_type and args.publisher_type not in types:
        raise WarVoicesError(f"unknown publisher type {args.publisher_type!r}; choose one of {', '.join(types)}")
    archive = resolve_archive(args.archive)
    loader = TextLoader(archive)
    units: dict[str, int] = {}
    sent_article: dict[str, str] = {}
    for rec in store.sentences():
        units[rec["article_id"]] = units.get(rec["article_id"], 0) + 1
        sent_article[rec["sentence_id"]] = rec["article_id"]
    labelled: dict[str, int] = {}
    for sid in store.finals():
        aid = sent_article.get(sid)
        if aid:
            labelled[aid] = labelled.get(aid, 0) + 1
    arts = [a for a in store.articles().values()
            if (not args.publisher_type or a["publisher_type"] == args.publisher_type)
            and (not args.unlabeled or not labelled.get(a["article_id"]))]
    print("article_id\tpublisher_type\tsplit\tdate\tunits\tlabelled\ttitle")
    for a in sorted(arts, key=lambda a: a["article_id"]):
        title = a.get("title") or (loader.title(a) if archive else "") or "(title in the archive; pass --archive)"
        n = units.get(a["article_id"])
        print(f"{a['article_id']}\t{a['publisher_type']}\t{a['split']}\t{a.get('date') or ''}\t"
              f"{n if n is not None else 'not segmented'}\t{labelled.get(a['article_id'], 0)}\t{title}")
    print(f"{len(arts)} article(s), {sum(units.get(a['article_id'], 0) for a in arts)} unit(s), "
          f"{sum(labelled.get(a['article_id'], 0) for a in arts)} labelled unit(s)", file=sys.stderr)
    return 0


def cmd_speakers(args) -> int:
    from .speakers import speaker_report

    store = Store(args.store)
    report = speaker_report(store, TextLoader(resolve_archive(args.archive)), segment_now=not args.stored,
                            progress=not args.no_progress)
    print(report.summary())
    return 0


def cmd_segment(args) -> int:
    from .segment import LAYOUTS
    from .sentences import segment_articles

    store = Store(args.store)
    loader = TextLoader(resolve_archive(args.archive))
    ids = _articles_arg(args.articles, store)
    articles = store.articles()
    # a layout declared in corpus/sources.yaml that this segmenter does not have yet: those
    # articles wait (reported), the others are segmented
    waiting = sorted(aid for aid in (ids if ids is not None else articles)
                     if articles[aid].get("layout", "plain") not in LAYOUTS)
    if waiting:
        layouts = sorted({articles[a].get("layout") for a in waiting})
        print(f"not segmented: {len(waiting)} article(s) with layout(s) {', '.join(map(str, layouts))} that this "
              f"segmenter does not have (it has {', '.join(LAYOUTS)})", file=sys.stderr)
        ids = [a for a in (ids if ids is not None else sorted(articles)) if a not in set(waiting)]
    report = segment_articles(store, loader, ids, progress=not args.no_progress,
                              resegment=args.resegment)
    print(report.summary())
    return 0


def cmd_validate(args) -> int:
    from .validate import migration_summary, summarize, validate_store

    from .paths import require_store

    store = Store(args.store)
    require_store(store.root)
    loader = TextLoader(resolve_archive(args.archive))
    issues = validate_store(store, loader, progress=not args.no_progress)
    for issue in issues:
        print(issue, file=sys.stderr)
    if args.json:
        print(json.dumps([i.as_dict() for i in issues], indent=1))
    print(summarize(issues))
    # the history summary reads the records as well-shaped: not over malformed ones (V040)
    history = None if any(i.id == "V040" for i in issues) else migration_summary(store)
    if history:
        print(history)
    return 1 if any(i.severity == "error" for i in issues) else 0


def cmd_build(args) -> int:
    from .build import build

    from .outdir import check_replaceable
    from .validate import validate_store

    from .paths import require_store

    store = Store(args.store)
    require_store(store.root)
    loader = TextLoader(resolve_archive(args.archive))
    check_replaceable(args.out, args.force)
    # the validator first: a defect it names (V003 for a stale label) stops the build, with
    # file:line, before any row is written
    errors = [i for i in validate_store(store, loader, progress=not args.no_progress) if i.severity == "error"]
    if errors:
        for issue in errors[:20]:
            print(issue, file=sys.stderr)
        more = f" ({len(errors) - 20} more not shown)" if len(errors) > 20 else ""
        raise WarVoicesError(f"the store {store.root} has {len(errors)} validation error(s){more}; nothing was "
                             "built. Fix them (`warvoices corpus validate` lists them all) and build again")
    report = build(store, loader, args.out, progress=not args.no_progress, force=args.force)
    print(f"wrote {args.out} (open it with datasets.load_dataset({str(args.out)!r}))")
    print(report.summary())
    if args.show:
        return cmd_show(argparse.Namespace(data=args.out, rows=3))
    return 0


def cmd_show(args) -> int:
    from .show import show

    print(show(args.data, rows=args.rows))
    return 0


def cmd_units(args) -> int:
    from .units import render_units

    ids = [i for i in args.ids.split(",") if i]
    if not ids:
        raise WarVoicesError("--ids needs at least one sentence id")
    print(render_units(Store(args.store), TextLoader(resolve_archive(args.archive)), ids))
    return 0


def cmd_migrate(args) -> int:
    from .migrate import stamp_guideline_version

    report = stamp_guideline_version(Store(args.store), args.guideline_version, dry_run=args.dry_run)
    print(report.summary() + (" (dry run: nothing written)" if args.dry_run else ""))
    return 0


def cmd_annotate_direct(args) -> int:
    from .direct import import_direct

    store = Store(args.store)
    created_at = args.created_at
    if args.annotator and not created_at:
        from datetime import datetime, timezone
        created_at = datetime.fromtimestamp(args.file.stat().st_mtime, timezone.utc).replace(microsecond=0).isoformat()
    added, same = import_direct(store, args.file, annotator=args.annotator, created_at=created_at,
                                note=args.note, loader=TextLoader(resolve_archive(args.archive)))
    print(f"{args.file}: {added} annotation(s) added, {same} already stored. Next: "
          "`warvoices annotate adjudicate --no-label-studio --articles ...` derives the final labels")
    return 0


def cmd_generate(args) -> int:
    from .generate import generate, stale

    if args.check:
        out = stale()
        if out:
            print("out of date (run `warvoices generate`): " + ", ".join(out), file=sys.stderr)
            return 1
        print("all generated files are up to date")
        return 0
    changed = generate()
    print("regenerated: " + (", ".join(changed) if changed else "nothing changed"))
    return 0


def register(sub) -> None:
    corpus = sub.add_parser("corpus", help="the stand-off corpus store: add, segment, validate, list",
                            description="Manage the stand-off corpus store (articles, sentences as offsets, "
                                        "annotations, final labels).")
    csub = corpus.add_subparsers(dest="corpus_command", metavar="STEP", required=True)

    p = csub.add_parser("add", help="register articles (a bundled text file and/or the external archive)",
                        description="Register articles. A bundled text (--text) is copied verbatim into "
                                    "corpus/texts/; archive articles (--from-archive) are registered by id, URL "
                                    "and checksum only; each archive file's publisher, layout and split rule come "
                                    "from corpus/sources.yaml. Each new article gets its split once, stratified by "
                                    "publisher type (UN addresses: one split per country); stored splits never "
                                    "move. An empty or binary --text is refused before anything is written.")
    _common(p)
    p.add_argument("--text", type=Path, help="a text file to bundle (e.g. ../shared/seed/000_1e54c59c42d50b44.txt)")
    p.add_argument("--seed-defaults", action="store_true", help="use the seed article's metadata for --text")
    p.add_argument("--boilerplate-lines", type=int, default=0,
                   help="leading lines of --text that are site boilerplate, excluded from segmentation")
    p.add_argument("--layout", choices=["news", "plain"], default="news",
                   help="news: first paragraph is the headline, then a standfirst; plain: body text")
    for key in ("article_id", "publisher", "publisher_type", "date", "title", "license"):
        p.add_argument("--" + key.replace("_", "-"), dest=key, default=None, help=f"{key} of the --text article")
    p.add_argument("--url", default=None,
                   help="where the --text article was published; required with --text (write `none` when no "
                        "URL is known: the url column is then empty); --seed-defaults has none")
    p.add_argument("--from-archive", action="store_true",
                   help="register every article of the external archive; every *.jsonl file there must be "
                        "declared in corpus/sources.yaml")
    p.add_argument("--files", nargs="*", help="only these archive files (e.g. kremlin.jsonl)")
    p.set_defaults(func=cmd_add)

    p = csub.add_parser("list", help="list registered articles: split, date, units, labelled units, title",
                        description="List registered articles, one per line after a header: id, publisher type, "
                                    "stored split, date, number of units (sentences), number of labelled units "
                                    "and title (archive titles are read from the archive with --archive). "
                                    "Totals go to stderr.")
    _common(p)
    p.add_argument("--publisher-type", help="only articles of this publisher type (schema vocabulary)")
    p.add_argument("--unlabeled", action="store_true", help="only articles without any final label")
    p.set_defaults(func=cmd_list)

    p = csub.add_parser("segment", help="split article texts into sentences (stored as offsets)",
                        description="Segment registered articles whose text is available. Sentence ids never "
                                    "move to other text: already segmented articles are kept (and reported if the "
                                    "segmenter would now cut them differently) unless --resegment is given.")
    _common(p)
    p.add_argument("--articles", help="comma-separated article ids (default: all with text)")
    p.add_argument("--resegment", action="store_true",
                   help="migrate already segmented articles to the current segmenter: unchanged units keep id and "
                        "labels, new units get fresh ids made of their offsets (ARTICLE-s<start><end>, 7+7 digits), replaced units stay as history "
                        "(status superseded; labelled ones marked needs_relabel and reported by `corpus validate`, "
                        "V015)")
    p.set_defaults(func=cmd_segment)

    p = csub.add_parser("speakers", help="raw speaker strings and their canonical speaker and role",
                        description="Report every raw speaker string of the corpus (speaker labels found by the "
                                    "current segmenter, run in memory, and the speaker fields of sources that give "
                                    "them as metadata) with the canonical speaker and role it normalises to "
                                    "(corpus/speakers.py + corpus/speakers.yaml), and the strings left unmapped "
                                    "(no role and no full name). Nothing is written.")
    _common(p)
    p.add_argument("--stored", action="store_true", help="use the stored sentences' labels instead of segmenting now")
    p.set_defaults(func=cmd_speakers)

    p = csub.add_parser("validate", help="check offsets, checksums, labels, spans, splits and ids",
                        description="Validate the store against the texts and the schema. Exit 1 on any error. "
                                    "Each finding has an id (V001..), a severity and a pointer to file:line.")
    _common(p)
    p.add_argument("--json", action="store_true", help="also print the findings as JSON")
    p.set_defaults(func=cmd_validate)

    p = csub.add_parser("units", help="print units by id with their context and stored labels (nothing is written)",
                        description="Show real units to annotators at run time (guideline examples never copy "
                                    "archive text into the repository): each unit with its neighbours, publisher, "
                                    "and its final and per-annotator labels with their guideline versions.")
    _common(p)
    p.add_argument("--ids", required=True, metavar="ID,ID,...", help="comma-separated sentence ids")
    p.set_defaults(func=cmd_units)

    p = csub.add_parser("migrate", help="record guideline version 1 on annotation and final records that have none",
                        description="Records written before guideline versions were recorded carry no "
                                    "`guideline_version`; they were made under version 1. This writes it down in "
                                    "annotations.jsonl and final.jsonl (each file replaced atomically). Records "
                                    "that already have a version are never changed, so re-running is safe.")
    _common(p, archive=False)
    p.add_argument("--guideline-version", type=int, default=1, metavar="N",
                   help="the version to record (default: %(default)s, the pilot guidelines)")
    p.add_argument("--dry-run", action="store_true", help="count what would be stamped, write nothing")
    p.set_defaults(func=cmd_migrate)

    p = csub.add_parser("annotate-direct", help="import labels made outside Label Studio (JSON Lines)",
                        description="Import annotations made without Label Studio: the store's record shape "
                                    "(labels{...}, source_spans as sentence offsets) or an annotator's answer "
                                    "file (flat labels, source_mentions as exact text, resolved to offsets "
                                    "here). Final labels are derived afterwards by `warvoices annotate "
                                    "adjudicate`.")
    _common(p)
    p.add_argument("file", type=Path)
    p.add_argument("--annotator", help="annotator id for lines that do not name one (e.g. ann-b)")
    p.add_argument("--created-at", help="ISO time for lines without one (default: the file's modification time)")
    p.add_argument("--note", help="provenance note stored in each record's origin, e.g. who or what the "
                                  "annotator is")
    p.set_defaults(func=cmd_annotate_direct)

    p = sub.add_parser("build", help="write the Hugging Face dataset folder (Parquet + card)",
                       description="Build the dataset that datasets.load_dataset(OUT) opens offline: Parquet per "
                                   "split (train/validation/test by stored article split, unlabeled for "
                                   "articles without labels) and a README.md card declaring the configs.")
    _common(p)
    p.add_argument("--out", type=Path, required=True,
                   help="output folder: new, empty, or a previous build (replaced atomically)")
    p.add_argument("--force", action="store_true",
                   help="replace --out even if it holds files a build did not write (they are deleted)")
    p.add_argument("--show", action="store_true", help="afterwards, show what is in the dataset")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("generate", help="re-render every file and block generated from the schema or the store",
                       description="Re-render the guideline label tables, the Label Studio config and the corpus "
                                   "tables of README.md and datasheet.md (with the annotation campaign's log, "
                                   "agreement and disagreements, and the label-distribution figure in "
                                   "corpus/figures/). --check only compares (exit 1 if stale); it checks the figure "
                                   "by the digest of the data it was drawn from, not by its bytes.")
    p.add_argument("--check", action="store_true", help="compare only; exit 1 when something is out of date")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("show", help="summarize a built dataset: splits, features, label counts, examples")
    p.add_argument("data", type=Path, help="built dataset folder")
    p.add_argument("--rows", type=int, default=3, help="example rows to print per labelled split")
    p.set_defaults(func=cmd_show)
