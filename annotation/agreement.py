"""Inter-annotator agreement of one batch: alpha, confusion tables, span F1 → Markdown, JSON, PNG.

`warvoices annotate agreement` reads the annotation records of the store, keeps each annotator's
latest *submitted* answer per sentence (skipped and cancelled records are only counted), and
reports per field:

* choice fields: Krippendorff's alpha (nominal) over all annotators, computed with the
  `krippendorff` package; the number of items (sentences with two or more answers: only those
  are "pairable" and enter alpha), items with a single answer (counted, excluded), annotators;
  the coincidence matrix alpha is built from (drawn as a heat map for stance) and one confusion
  table per pair of annotators.
* span fields (source_spans): exact-match F1 and token-overlap F1 between each pair of
  annotators, micro-averaged over the sentences both answered, plus the pool over all pairs.

When alpha is undefined it is reported as None with the reason, never as a made-up number:

* no item has two answers (e.g. one annotator): there is nothing to compare;
* every pairable answer is the same label: observed and expected disagreement are both 0 and
  alpha = 1 - D_o/D_e = 1 - 0/0. Some implementations substitute 1.0; we follow the formula
  (as the `krippendorff` package does, returning NaN): data without variation carry no evidence
  that the annotators can tell the labels apart, only that they never had to. The raw observed
  agreement (1.0 in that case) is reported beside it.

A batch passes when every threshold in the agreement config (annotation/agreement.yaml) holds;
`run` exits 1 with a message naming each failed check.

The work is split by what it is: answers.py (which answers count; shared with aggregate.py),
statistics.py (alpha, span F1, thresholds) and rendering.py (JSON, Markdown, heat maps). This
module wires them to the command line and re-exports their names for existing callers.
"""
from __future__ import annotations

import argparse
import io
import itertools
import json
import math
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import yaml

from warvoices.corpus.schema import Field, Schema, load_schema
from warvoices.corpus.errors import InputError
from warvoices.corpus.records import TOKEN, covered_tokens, span_set, word_tokens
from warvoices.corpus.store import DEFAULT_STORE, PACKAGE_DIR, Store, atomic_write_bytes, atomic_write_text


REPO_ROOT = PACKAGE_DIR.parent
DEFAULT_OUT = REPO_ROOT / "annotation" / "reports" / "agreement"

from .answers import (  # noqa: F401
    Answer, Batch, article_of, select_records, _when, _spans, collect_answers,
)
from .statistics import (  # noqa: F401
    PairConfusion, AlphaResult, field_values, coincidence_matrix, field_alpha, TOKEN_RE, F1Count, PairSpans, SpanResult, span_agreement, AgreementReport, compute_agreement, CHOICE_METRICS, SPAN_METRICS, UNDEFINED_POLICIES, slice_agreement, Thresholds, load_thresholds, Check, Verdict, _metric, check_thresholds, DEFAULT_CONFIG,
)
from .rendering import (  # noqa: F401
    report_dict, _fmt, _md_escape, render_markdown, render_heatmap, SAFE_NAME, write_report,
)


# ---------------------------------------------------------------------------------------------
# Command line hooks: annotation/commands.py registers add_arguments/run as
# `warvoices annotate agreement`
# ---------------------------------------------------------------------------------------------

HELP = "inter-annotator agreement of a batch: alpha, confusion tables, span F1 → Markdown, JSON, PNG"
DESCRIPTION = """\
Compute the agreement of a batch of annotations and check it against the thresholds of the
agreement config. Per choice field: Krippendorff's alpha (nominal) over all annotators, the number
of items (sentences with two or more answers) and annotators, a confusion table per pair of
annotators. Per span field: exact and token-overlap F1 between annotators (token F1 needs the
sentence texts, read from the corpus; --no-texts skips it). Only each annotator's latest submitted
answer counts; skipped and cancelled records are counted.

The choice fields' alpha is also given per publisher type of the sentences' articles.

Writes OUT/NAME.md, OUT/NAME.json and OUT/NAME.stance_confusion.png. Exit status: 0 when every
threshold holds, 1 when one fails (the failed checks are printed), 2 on bad input."""


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    """Store and batch selection, shared by `annotate agreement` and `annotate adjudicate`."""
    parser.add_argument("--store", default=str(DEFAULT_STORE), metavar="DIR",
                        help="corpus store directory holding annotations.jsonl (default: %(default)s)")
    parser.add_argument("--batch", metavar="NAME",
                        help="only records pushed as this batch (origin.batch); also the report name")
    from warvoices.corpus.cli_args import add_articles_argument

    add_articles_argument(parser, help="only sentences of these articles (ids separated by spaces or commas)")
    parser.add_argument("--sentences", nargs="+", metavar="ID", help="only these sentence ids")
    parser.add_argument("--name", metavar="NAME",
                        help="name of the outputs (default: the --batch name, else 'all' or 'selection')")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_selection_arguments(parser)
    parser.add_argument("--out", default=str(DEFAULT_OUT), metavar="DIR",
                        help="report directory (default: %(default)s)")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), metavar="FILE",
                        help="agreement thresholds, per field (default: %(default)s)")
    parser.add_argument("--archive", metavar="DIR",
                        help="external text archive for the sentence texts (default: $WARVOICES_ARCHIVE, else "
                             "../shared/archive when present)")
    parser.add_argument("--no-texts", action="store_true",
                        help="do not read sentence texts; token-overlap F1 is then reported as undefined")


def output_name(args: argparse.Namespace) -> str:
    if args.name:
        return args.name
    if args.batch:
        return args.batch
    return "selection" if (args.articles or args.sentences) else "all"


def load_batch(args: argparse.Namespace, schema: Schema | None = None) -> tuple[Store, Batch]:
    """The store and the selected batch of the command line's selection arguments."""
    store = Store(args.store)
    records = store.annotations()
    selected = select_records(records, batch=args.batch, article_ids=args.articles, sentence_ids=args.sentences)
    if not selected:
        raise InputError(f"no annotation record in {store.path('annotations.jsonl')} matches the selection "
                         f"(batch={args.batch}, articles={args.articles}, sentences={args.sentences}); "
                         "pull annotations first (`warvoices annotate pull`) or change the selection")
    return store, collect_answers(selected, schema, name=output_name(args))


def read_texts(store: Store, batch: Batch, archive: str | None) -> dict[str, str]:
    """Sentence texts of the batch, read and checksum-verified through the corpus text loader."""
    from warvoices.corpus.texts import TextLoader, archive_source, resolve_archive
    from warvoices.corpus.textview import sentence_texts

    articles = sorted({article_of(sid) for sid in batch.answers})
    path = resolve_archive(archive)
    print(f"archive: {path or '-'} ({archive_source(archive)})")
    return sentence_texts(store, TextLoader(path), articles)


def run(args: argparse.Namespace) -> int:
    schema = load_schema()
    thresholds = load_thresholds(args.config, schema)
    store, batch = load_batch(args, schema)
    texts = None if args.no_texts else read_texts(store, batch, args.archive)
    report = compute_agreement(batch, texts, schema)
    verdict = check_thresholds(report, thresholds)
    articles = store.articles()
    publisher_type = {sid: (articles.get(article_of(sid)) or {}).get("publisher_type") for sid in batch.answers}
    slices = {"publisher_type": slice_agreement(batch, publisher_type, schema)}
    paths = write_report(report, verdict, args.out, slices=slices)
    for r in report.alphas.values():
        print(f"{r.field:<12} alpha {_fmt(r.alpha)}  items {r.items}  single {r.items_single}  "
              f"annotators {r.annotators}" + (f"  ({r.reason})" if r.reason else ""))
    for s in report.spans.values():
        print(f"{s.field:<12} exact F1 {_fmt(s.exact.f1)}  token F1 {_fmt(s.token.f1 if s.token else None)}  "
              f"items {s.items}")
    c = batch.status_counts
    print(f"records: {batch.records} ({', '.join(f'{k} {v}' for k, v in c.items())}), "
          f"superseded {len(batch.superseded)}")
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    if not verdict.passed:
        print(f"warvoices: batch {batch.name!r} FAILS the agreement thresholds of {thresholds.path}:",
              file=sys.stderr)
        for ch in verdict.failures:
            print(f"  - {ch.describe()}", file=sys.stderr)
        if any(ch.value is not None for ch in verdict.failures):
            print("  Discuss the disagreements with the annotators (see the confusion tables in "
                  f"{paths['markdown']}) and refine the guidelines before aggregating this batch.", file=sys.stderr)
        if any(ch.value is None for ch in verdict.failures):
            print("  An undefined figure cannot show agreement: have a second annotator label the batch "
                  "(or pass the sentence texts for token F1); to accept it anyway set `undefined: pass` "
                  "in the config.", file=sys.stderr)
        return 1
    print(f"batch {batch.name!r} passes the agreement thresholds" if verdict.checks
          else "no agreement thresholds configured")
    return 0


__all__ = [
    "Answer", "Batch", "article_of", "select_records", "collect_answers", "coincidence_matrix", "field_alpha",
    "word_tokens", "span_agreement", "compute_agreement", "Thresholds", "load_thresholds", "check_thresholds",
    "report_dict", "render_markdown", "render_heatmap", "write_report", "add_selection_arguments",
    "add_arguments", "run",
]
